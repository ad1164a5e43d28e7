import type { Clock, EpochMs } from '@quantbot/core';
import { ConfigError, epochMs } from '@quantbot/core';
import { NYSE_CALENDAR } from '@quantbot/data-quality';
import { STORAGE_MIGRATIONS } from '@quantbot/storage';
import { describeStorageBackends } from '@quantbot/storage/testing';
import { summarizeDrift } from './drift-summary';
import { DEFAULT_PROMOTION_GATE_CONFIG } from './promotion-gate-config';
import { assessPaperStability } from './readiness-report';
import type { RegistryTables } from './registry-schema';
import { REGISTRY_MIGRATIONS } from './registry-schema';
import { ResearchRegistry } from './research-registry';
import type { TradingDayDrift, TradingDayInput } from './trading-day-input';
import { parseTradingDayInput } from './trading-days';
import { parseValidationInput } from './walk-forward-evidence';

/** Today, by the clock: 2024-06-03. */
const START = Date.parse('2024-06-03T09:00:00.000Z');
const clock = (): Clock => {
  let n = 0;
  return { now: (): EpochMs => epochMs(START + 1000 * n++) };
};
const DRIFT: TradingDayDrift = { returnGap: 0.001, slippageGapBps: 2, fillRateGap: -0.02, timingGapMs: 1000, ordersCompared: 2, actualTradingPnl: 50, shadowTradingPnl: 150 };

function day(date: string, overrides: Partial<TradingDayInput> = {}): TradingDayInput {
  return {
    date,
    sessionId: 'session-1',
    journalDigest: 'ef'.repeat(32),
    stage: 'paper',
    capitalStage: null,
    complete: true,
    startEquity: 100_000,
    equity: 100_100,
    dailyPnl: 100,
    drawdownPct: 1,
    maxGrossExposure: 30_000,
    execution: { orders: 2, fills: 2, rejects: 0, qualityScore: 90, implementationShortfallBps: 5, averageSlippageBps: 4, fillRate: 1, averageLatencyMs: 150 },
    killSwitch: [{ time: `${date}T13:30:00Z`, state: 'armed', reason: null }],
    incidents: [],
    drift: DRIFT,
    shadowOrders: [
      {
        clientOrderId: 'o-1',
        symbol: 'ORCL',
        side: 'buy',
        qty: 10,
        decisionPrice: 100,
        decidedAt: `${date}T14:00:00Z`,
        actual: { filledQty: 10, averagePrice: 100.05, filledAt: `${date}T14:01:00Z`, commission: 1 },
        shadow: { filledQty: 10, averagePrice: 100.03, filledAt: `${date}T14:00:59Z`, commission: 1 },
        attribution: { arrivalPrice: 100.02, delayBps: 2, spreadBps: 1, impactBps: 2, feesBps: 1, totalBps: 6 },
      },
    ],
    ...overrides,
  };
}

/** `count` NYSE sessions from `from` (inclusive), as dates. */
function sessions(count: number, from: string): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); dates.length < count; t += 86_400_000) if (NYSE_CALENDAR.isSession(t)) dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}

describe('parseTradingDayInput', () => {
  const broken: readonly [string, (d: Record<string, unknown>) => void, string][] = [
    ['an impossible date', (d) => (d['date'] = '2024-02-30'), 'date: must be a calendar date'],
    ['a short digest', (d) => (d['journalDigest'] = 'abc'), 'journalDigest: must be 64 lower-case hex digits'],
    ['an unknown stage', (d) => (d['stage'] = 'shadow'), "stage: must be one of 'paper', 'live'"],
    ['a capital stage on a paper day', (d) => (d['capitalStage'] = 0), 'capitalStage: must be null for a paper day, got 0'],
    ['a live day without a capital stage', (d) => (d['stage'] = 'live'), 'capitalStage: must be a whole number ≥ 0 for a live day'],
    ['a live day at stage 1.5', (d) => Object.assign(d, { stage: 'live', capitalStage: 1.5 }), 'capitalStage: must be a whole number ≥ 0'],
    ['a non-finite return gap', (d) => (d['drift'] = { ...DRIFT, returnGap: Number.NaN }), 'drift.returnGap: is required: a finite number, got NaN'],
    ['a drift field left out', (d) => (d['drift'] = { ...DRIFT, timingGapMs: undefined }), 'drift.timingGapMs: must be a finite number or null, got nothing'],
    ['a bad order quantity', (d) => ((d['shadowOrders'] as Record<string, unknown>[])[0] = { ...(d['shadowOrders'] as Record<string, unknown>[])[0], qty: 0 }), 'shadowOrders[0].qty: must be greater than 0, got 0'],
    ['a fill time without a zone', (d) => (((d['shadowOrders'] as { actual: Record<string, unknown> }[])[0] as { actual: Record<string, unknown> }).actual['filledAt'] = '2024-01-03 14:01'), 'shadowOrders[0].actual.filledAt: must be an ISO 8601 time'],
    ['a fractional order count', (d) => (d['execution'] = { ...(d['execution'] as object), orders: 1.5 }), 'execution.orders: must be a whole number, got 1.5'],
    ['a fill rate above 1', (d) => (d['execution'] = { ...(d['execution'] as object), fillRate: 1.2 }), 'execution.fillRate: must be at most 1, got 1.2'],
    ['an unknown field', (d) => (d['notes'] = 'x'), 'notes: unknown field'],
    ['an unknown incident priority', (d) => (d['incidents'] = [{ id: 'inc-1', priority: 'P9', title: 't' }]), "incidents[0].priority: must be one of 'P1'"],
    ['a non-boolean complete', (d) => (d['complete'] = 'yes'), 'complete: is required: true or false'],
  ];
  it.each(broken)('refuses %s, naming the field', (_title, breakIt, message) => {
    const input = JSON.parse(JSON.stringify(day('2024-01-03'))) as Record<string, unknown>;
    breakIt(input);
    expect(() => parseTradingDayInput(input)).toThrow(ConfigError);
    expect(() => parseTradingDayInput(input)).toThrow(message);
  });

  it('reads a valid day whole and frozen; a live day carries its capital stage; names the payload label', () => {
    const parsed = parseTradingDayInput(JSON.parse(JSON.stringify(day('2024-01-03'))));
    expect(parsed).toEqual(day('2024-01-03'));
    expect(Object.isFrozen(parsed.shadowOrders[0]?.actual)).toBe(true);
    expect(parseTradingDayInput({ ...day('2024-01-03'), stage: 'live', capitalStage: 2 }).capitalStage).toBe(2);
    expect(() => parseTradingDayInput({ ...day('2024-01-03'), dailyPnl: null }, { label: 'payload' })).toThrow('payload.dailyPnl: is required: a finite number');
  });
});

describe('summarizeDrift', () => {
  const gates = DEFAULT_PROMOTION_GATE_CONFIG.gates.drift;

  it('sums return gaps, weights slippage, fill-rate and timing gaps by orders compared, names the worst day', () => {
    const summary = summarizeDrift(
      [
        { date: '2024-01-04', drift: { ...DRIFT, returnGap: -0.004, slippageGapBps: 12, fillRateGap: 0, timingGapMs: 3000, ordersCompared: 1 } },
        { date: '2024-01-03', drift: { ...DRIFT, returnGap: 0.001, slippageGapBps: 3, fillRateGap: -0.1, timingGapMs: null, ordersCompared: 3 } },
        { date: '2024-01-05', drift: null },
      ],
      gates,
    );
    expect(summary.rows.map((r) => r.date)).toEqual(['2024-01-03', '2024-01-04', '2024-01-05']);
    expect(summary.rows[2]).toEqual({ date: '2024-01-05', returnGap: null, slippageGapBps: null, fillRateGap: null, timingGapMs: null, ordersCompared: 0 });
    expect(summary).toMatchObject({ days: 3, driftDays: 2 });
    expect(summary.cumulative.returnGap).toBeCloseTo(-0.003, 12);
    expect(summary.cumulative.slippageGapBps).toBeCloseTo((12 * 1 + 3 * 3) / 4, 12);
    expect(summary.cumulative.fillRateGap).toBeCloseTo(-0.3 / 4, 12);
    expect(summary.cumulative.timingGapMs).toBe(3000);
    expect(summary.cumulative.ordersCompared).toBe(4);
    const byMetric = Object.fromEntries(summary.checks.map((c) => [c.metric, c]));
    expect(byMetric['daily-return-gap']).toMatchObject({ status: 'pass', worstDay: '2024-01-04', threshold: 0.5 });
    expect(byMetric['daily-return-gap']?.value).toBeCloseTo(-0.4, 12);
    expect(byMetric['cumulative-return-gap']?.value).toBeCloseTo(-0.3, 12);
    expect(byMetric['slippage-gap']).toMatchObject({ status: 'pass', worstDay: '2024-01-04' });
    expect(byMetric['timing-gap']).toMatchObject({ status: 'pass', worstDay: '2024-01-04' });
    expect(summary.passed).toBe(true);
  });

  it('fails a gap beyond its threshold either way, and is missing (not passed) without drift', () => {
    const failing = summarizeDrift([{ date: '2024-01-03', drift: { ...DRIFT, returnGap: -0.006, fillRateGap: 0.15 } }], gates);
    expect(failing.checks.filter((c) => c.status === 'fail').map((c) => c.metric)).toEqual(['daily-return-gap', 'fill-rate-gap']);
    expect(failing.passed).toBe(false);
    const none = summarizeDrift([{ date: '2024-01-03', drift: null }], gates);
    expect(none.checks.every((c) => c.status === 'missing')).toBe(true);
    expect(none.checks[0]?.detail).toContain('no trading day of the run has drift');
    expect(none.passed).toBe(false);
    expect(summarizeDrift([{ date: '2024-01-03', drift: { ...DRIFT, slippageGapBps: null } }], gates).checks.find((c) => c.metric === 'slippage-gap')).toMatchObject({
      status: 'missing',
      detail: 'no order filled on both sides',
    });
  });
});

describe('assessPaperStability', () => {
  it('cuts the run into windows of 10 days (the last one shorter) and compares each with the first', () => {
    const days = sessions(25, '2024-01-02').map((date, i) => ({ date, dailyPnl: i < 20 ? (i % 2 === 0 ? 100 : -100) : i % 2 === 0 ? 500 : -500, drawdownPct: 1 }));
    const stability = assessPaperStability(days, 10);
    expect(stability.windows.map((w) => w.days)).toEqual([10, 10, 5]);
    expect(stability.windows[2]).toMatchObject({ index: 2, start: days[20]?.date, end: days[24]?.date });
    expect(stability.stable).toBe(false);
    expect(stability.detail).toContain('window 3');
    expect(assessPaperStability(days.slice(0, 20), 10).stable).toBe(true);
    expect(assessPaperStability(days.slice(0, 20), 0.5).stable).toBe(false);
    expect(assessPaperStability([], 10)).toMatchObject({ stable: null, windows: [] });
  });
});

describeStorageBackends<RegistryTables>('trader-recorded trading days', { migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS] }, ({ database }) => {
  const registry = (): ResearchRegistry => new ResearchRegistry(database().handle.db, { clock: clock() });

  /** An experiment whose snapshot passes every non-paper gate, promoted to paper on 2024-01-02 (and to live when asked). */
  async function promoted(options: { readonly live?: string } = {}): Promise<{ id: string; reg: ResearchRegistry }> {
    const reg = registry();
    const { id } = await reg.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trends persist', owner: 'alice' });
    const snapshot = (await reg.createSnapshot(id, { fast: 10, slow: 30 })).record;
    await reg.recordBacktest(id, { runId: 'r1', digest: 'ab'.repeat(32), digestVerified: true, metrics: { sharpe: 1, totalReturn: 0.1, maxDrawdownPct: 3, closedTrades: 10, extra: {} }, dataQualityErrors: 0, lookaheadPassed: true });
    await reg.recordValidation(id, { ...parseValidationInput({ meanIsSharpe: 1.2, meanOosSharpe: 0.9 }), verified: true });
    await reg.recordReview(id, { decision: 'approved', reviewer: 'bob', comment: null });
    const stages: [string, string][] = [['paper', '2024-01-02T15:00:00.000Z']];
    if (options.live !== undefined) stages.push(['live', options.live]);
    for (const [stage, at] of stages) {
      await database()
        .handle.db.insertInto('registry_promotions')
        .values({ experiment_id: id, snapshot_id: snapshot.id, stage, promoted_by: 'dana', promoted_at: at, config_version: 3, config_sha256: '0'.repeat(64), checklist: '{}' })
        .execute();
    }
    return { id, reg };
  }

  it.each([
    ['a weekend day', day('2024-01-06'), 'date: 2024-01-06 is not a trading day of the NYSE calendar'],
    ['a day after the clock’s today', day('2024-06-04'), 'date: 2024-06-04 is in the future (today is 2024-06-03)'],
    ['the day of the paper promotion', day('2024-01-02'), 'date: 2024-01-02 is not after the paper promotion'],
    ['a live day of a snapshot never promoted live', day('2024-01-03', { stage: 'live', capitalStage: 0 }), 'has not been promoted to live'],
  ])('refuses %s, writing nothing', async (_title, input, message) => {
    const { id, reg } = await promoted();
    await expect(reg.recordTradingDay(id, input)).rejects.toMatchObject({ code: 'REGISTRY_TRADING_DAY_REFUSED', message: expect.stringContaining(message) });
    expect(await reg.listTradingDays(id)).toEqual([]);
  });

  it('records a day once: the same record again is a no-op; a complete day or another session’s day is never replaced', async () => {
    const { id, reg } = await promoted();
    const first = await reg.recordTradingDay(id, day('2024-01-03'), { recordedBy: 'trader' });
    expect(first.created).toBe(true);
    expect(first.record).toMatchObject({ ...day('2024-01-03'), id: expect.stringMatching(/^day-\d+$/), experimentId: id, revision: 0, recordedBy: 'trader', recordedAt: expect.any(Number) });
    expect(await reg.recordTradingDay(id, day('2024-01-03'))).toEqual({ record: first.record, created: false });
    await expect(reg.recordTradingDay(id, day('2024-01-03', { dailyPnl: 5 }))).rejects.toMatchObject({ code: 'REGISTRY_CONFLICT', message: expect.stringContaining('date: paper day 2024-01-03') });
    await expect(reg.recordTradingDay(id, day('2024-01-03', { dailyPnl: 5 }))).rejects.toThrow('a complete day is never overwritten');
    expect(await reg.listTradingDays(id)).toEqual([first.record]);
  });

  it('replaces a partial day by a later record of the same session (revision + 1, same id), never by another session', async () => {
    const { id, reg } = await promoted();
    const partial = await reg.recordTradingDay(id, day('2024-01-04', { complete: false, dailyPnl: 20 }));
    await expect(reg.recordTradingDay(id, day('2024-01-04', { sessionId: 'session-2' }))).rejects.toMatchObject({
      code: 'REGISTRY_CONFLICT',
      message: expect.stringContaining('by session session-1; session session-2 may not replace it'),
    });
    const completed = await reg.recordTradingDay(id, day('2024-01-04'));
    expect(completed).toMatchObject({ created: true, record: { id: partial.record.id, revision: 1, complete: true, dailyPnl: 100 } });
    await expect(reg.recordTradingDay(id, day('2024-01-04', { complete: false }))).rejects.toMatchObject({ code: 'REGISTRY_CONFLICT' });
    expect((await reg.listTradingDays(id)).map((d) => [d.date, d.revision, d.complete])).toEqual([['2024-01-04', 1, true]]);
  });

  it('lists days oldest first, by snapshot and stage; live days follow the live promotion', async () => {
    const { id, reg } = await promoted({ live: '2024-02-01T15:00:00.000Z' });
    await reg.recordTradingDay(id, day('2024-02-05', { stage: 'live', capitalStage: 0 }));
    await reg.recordTradingDay(id, day('2024-01-05'));
    await reg.recordTradingDay(id, day('2024-01-03'));
    await expect(reg.recordTradingDay(id, day('2024-02-01', { stage: 'live', capitalStage: 0 }))).rejects.toThrow('date: 2024-02-01 is not after the live promotion');
    expect((await reg.listTradingDays(id)).map((d) => d.date)).toEqual(['2024-01-03', '2024-01-05', '2024-02-05']);
    expect((await reg.listTradingDays(id, { stage: 'live' })).map((d) => [d.date, d.capitalStage])).toEqual([['2024-02-05', 0]]);
    const snapshotId = (await reg.resolveSnapshot(id)).id;
    expect(await reg.listTradingDays(id, { snapshotId, stage: 'paper' })).toHaveLength(2);
    // The drift report defaults to the stage the snapshot trades at now: live.
    expect(await reg.driftReport(id)).toMatchObject({ stage: 'live', streakStart: '2024-02-05', days: 1, driftDays: 1 });
    expect(await reg.driftReport(id, { stage: 'paper' })).toMatchObject({ stage: 'paper', streakStart: '2024-01-05', completeDays: 2, days: 1 });
  });

  it('never counts manual days: 30 of them leave the strict live gate blocked, and are shown as not counted', async () => {
    const { id, reg } = await promoted();
    const dates = sessions(30, '2024-01-03');
    await reg.recordPaperDays(
      id,
      dates.map((date) => ({ date, dailyPnl: 100, qualityScore: 90, averageSlippageBps: 4, fillRate: 1, drawdownPct: 1, equity: null })),
    );
    const strict = await reg.isPromotionReady(id, { strict: true, stage: 'live' });
    expect(strict.ready).toBe(false);
    expect(strict.blockers.map((b) => b.gate)).toEqual(['paper-days', 'paper-drawdown', 'paper-pnl-volatility', 'paper-execution-quality', 'paper-slippage', 'paper-fill-rate', 'drift-return', 'drift-slippage', 'drift-fill-rate', 'drift-timing']);
    expect(strict.blockers[0]?.detail).toContain('30 manual day(s) not counted');
    const lenient = await reg.isPromotionReady(id, { strict: false, stage: 'live' });
    expect(lenient.checklist.paper).toMatchObject({ streakDays: 0, manualDays: 30, traderDays: 0 });
    await expect(reg.promote(id, { stage: 'live', by: 'erin', targetCapital: 100_000 })).rejects.toMatchObject({ code: 'PROMOTION_BLOCKED' });
    // The same 30 days recorded by the trader pass.
    // (30 daily return gaps of 0.1 % would sum to 3 %, beyond the cumulative drift threshold: these drift less.)
    for (const date of dates) await reg.recordTradingDay(id, day(date, { dailyPnl: date.endsWith('5') ? 140 : 100, drift: { ...DRIFT, returnGap: 0.0001 } }));
    expect((await reg.isPromotionReady(id, { strict: true, stage: 'live' })).ready).toBe(true);
  }, 60_000);

  it('judges execution means over the days with orders, leaves partial days out, and reports readiness with reasons', async () => {
    const { id, reg } = await promoted();
    const dates = sessions(12, '2024-01-03');
    const noOrders = { orders: 0, fills: 0, rejects: 0, qualityScore: null, implementationShortfallBps: null, averageSlippageBps: null, fillRate: null, averageLatencyMs: null };
    for (const [i, date] of dates.entries()) {
      const quiet = i % 3 === 0;
      await reg.recordTradingDay(id, day(date, quiet ? { execution: noOrders, drift: null, shadowOrders: [] } : { execution: { ...day(date).execution, qualityScore: 80 + i } }));
    }
    await reg.recordTradingDay(id, day('2024-01-22', { complete: false }));
    const checklist = await reg.generatePromotionChecklist(id, { stage: 'live' });
    expect(checklist.paper).toMatchObject({ streakDays: 12, executionDays: 8, traderDays: 13, partialDays: 1 });
    const quality = checklist.items.find((i) => i.gate === 'paper-execution-quality');
    const expected = dates.map((_d, i) => i).filter((i) => i % 3 !== 0).reduce((a, i) => a + 80 + i, 0) / 8;
    expect(quality?.measured).toBeCloseTo(expected, 10);
    expect(quality?.detail).toBe('mean over the 8 of 12 day(s) with orders (days without orders have no execution figures)');
    expect(checklist.items.find((i) => i.gate === 'drift-return')).toMatchObject({ status: 'pass', measuredText: 'daily 0.1 %, Σ 0.8 %' });

    const report = await reg.readiness(id);
    expect(report).toMatchObject({ experimentId: id, strategy: 'sma-crossover', stage: 'live', configVersion: 3, ready: false, generatedAt: expect.any(Number) });
    expect(report.reasons).toEqual([expect.stringMatching(/^paper-days fails: measured 12, needs ≥ 30 consecutive NYSE trading day\(s\) \(12 consecutive trader day\(s\) 2024-01-03\.\.2024-01-19 .*1 partial day\(s\) not counted\)\)\.$/)]);
    expect(report.paper).toMatchObject({ requiredDays: 30, streakDays: 12, traderDays: 13, manualDays: 0, partialDays: 1 });
    expect(report.paper.stability.windows.map((w) => w.days)).toEqual([10, 2]);
    expect(report.paper.stability.stable).toBe(true);
    expect(report.drift.driftDays).toBe(8);
    expect(report.walkForward).toMatchObject({ verified: true, meanOosSharpe: 0.9 });
    expect(report.checklist.items.map((i) => i.gate)).toContain('drift-timing');
  }, 60_000);
});
