import type { Clock, EpochMs } from '@quantbot/core';
import { ConfigError, epochMs } from '@quantbot/core';
import { NYSE_CALENDAR } from '@quantbot/data-quality';
import { STORAGE_MIGRATIONS } from '@quantbot/storage';
import { describeStorageBackends } from '@quantbot/storage/testing';
import { PromotionBlockedError } from './promotion-blocked-error';
import type { PromotionGateConfig } from './promotion-gate-config';
import { DEFAULT_PROMOTION_GATE_CONFIG } from './promotion-gate-config';
import type { RegistryTables } from './registry-schema';
import { REGISTRY_MIGRATIONS } from './registry-schema';
import { ResearchRegistry } from './research-registry';
import type { TradingDayDrift } from './trading-day-input';
import { parseValidationInput } from './walk-forward-evidence';

/** The live promotion happens on 2024-06-03 (the clock's start); trader days follow it. */
const START = Date.parse('2024-06-03T09:00:00.000Z');
const SLOW = 30_000;

function steppingClock(): Clock {
  let n = 0;
  return { now: (): EpochMs => epochMs(START + 1000 * n++) };
}

/** 30 NYSE sessions of passing paper days from 2024-01-02 (after a paper promotion on 2023-12-29). */
/** The 30 NYSE sessions from 2024-01-02: the paper days of an evidenced experiment. */
function paperDates(): string[] {
  const dates: string[] = [];
  for (let t = Date.UTC(2024, 0, 2); dates.length < 30; t += 86_400_000) if (NYSE_CALENDAR.isSession(t)) dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}

/** NYSE sessions from 2024-06-04 on (after the live promotion), as many as asked, after `skip` of them. */
function sessions(count: number, skip = 0): string[] {
  const out: string[] = [];
  let seen = 0;
  for (let t = Date.UTC(2024, 5, 4); out.length < count; t += 86_400_000) {
    if (!NYSE_CALENDAR.isSession(t)) continue;
    if (seen++ >= skip) out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

const DRIFT_OK: TradingDayDrift = { returnGap: 0.0004, slippageGapBps: 1.5, fillRateGap: 0, timingGapMs: 120, ordersCompared: 4, actualTradingPnl: 10, shadowTradingPnl: 12 };

describeStorageBackends<RegistryTables>('defects and the capital ramp', { migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS] }, ({ database }) => {
  const registry = (gates: PromotionGateConfig = DEFAULT_PROMOTION_GATE_CONFIG): ResearchRegistry => new ResearchRegistry(database().handle.db, { clock: steppingClock(), gates });
  const withRamp = (ramp: Partial<PromotionGateConfig['ramp']>): PromotionGateConfig => ({ ...DEFAULT_PROMOTION_GATE_CONFIG, ramp: { ...DEFAULT_PROMOTION_GATE_CONFIG.ramp, ...ramp } });

  /** An experiment with every piece of evidence a live promotion needs (paper promoted on 2023-12-29); returns its id and snapshot. */
  async function evidenced(reg: ResearchRegistry = registry()): Promise<{ id: string; snapshotId: string }> {
    const experiment = await reg.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trends persist', owner: 'alice' });
    const { record: snapshot } = await reg.createSnapshot(experiment.id, { fast: 10, slow: 30 });
    await reg.recordBacktest(experiment.id, {
      runId: 'run-1',
      digest: 'ab'.repeat(32),
      digestVerified: true,
      metrics: { sharpe: 1.1, totalReturn: 0.2, maxDrawdownPct: 5, closedTrades: 40, extra: {} },
      dataQualityErrors: 0,
      lookaheadPassed: true,
    });
    await reg.recordValidation(experiment.id, { ...parseValidationInput({ meanIsSharpe: 1.2, meanOosSharpe: 0.9 }), verified: true });
    await database()
      .handle.db.insertInto('registry_promotions')
      .values({ experiment_id: experiment.id, snapshot_id: snapshot.id, stage: 'paper', promoted_by: 'dana', promoted_at: '2023-12-29T15:00:00.000Z', config_version: 2, config_sha256: '0'.repeat(64), checklist: '{}' })
      .execute();
    // The 30 paper days the trader recorded (manual days are never counted by the gates).
    await traderDays({ id: experiment.id, snapshotId: snapshot.id }, paperDates(), { capitalStage: null, stage: 'paper' });
    await reg.recordReview(experiment.id, { decision: 'approved', reviewer: 'bob', comment: null });
    return { id: experiment.id, snapshotId: snapshot.id };
  }

  /** Promoted to live with a target capital of 100,000. */
  async function live(reg: ResearchRegistry = registry()): Promise<{ id: string; snapshotId: string }> {
    const exp = await evidenced(reg);
    await reg.promote(exp.id, { stage: 'live', by: 'erin', targetCapital: 100_000 });
    return exp;
  }

  /** Trader days as the live trader records them (inserted as rows, with exactly the fields a test sets). */
  async function traderDays(
    exp: { id: string; snapshotId: string },
    dates: readonly string[],
    fields: { readonly capitalStage: number | null; readonly complete?: boolean; readonly drift?: TradingDayDrift | null; readonly stage?: 'paper' | 'live' },
  ): Promise<void> {
    for (const date of dates) {
      await database()
        .handle.db.insertInto('registry_trading_days')
        .values({
          experiment_id: exp.id,
          snapshot_id: exp.snapshotId,
          trade_date: date,
          stage: fields.stage ?? 'live',
          capital_stage: fields.capitalStage,
          session_id: 'sess-1',
          journal_digest: 'c'.repeat(64),
          complete: fields.complete ?? true,
          start_equity: 1000,
          equity: 1001,
          daily_pnl: 1,
          drawdown_pct: 0.5,
          max_gross_exposure: 900,
          orders: 4,
          fills: 4,
          rejects: 0,
          quality_score: 90,
          implementation_shortfall_bps: 2,
          average_slippage_bps: 1,
          fill_rate: 1,
          average_latency_ms: 20,
          drift: JSON.stringify(fields.drift === undefined ? DRIFT_OK : fields.drift),
          kill_switch: '[]',
          incidents: '[]',
          shadow_orders: '[]',
          revision: 0,
          recorded_at: `${date}T21:00:00.000Z`,
          recorded_by: 'trader',
        })
        .execute();
    }
  }

  async function blockedAdvance(reg: ResearchRegistry, id: string): Promise<PromotionBlockedError> {
    const error = await reg.advanceCapitalStage(id, { by: 'dana' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PromotionBlockedError);
    return error as PromotionBlockedError;
  }

  describe('defects', () => {
    it('opens, lists and closes defects; closing one twice is refused', async () => {
      const reg = registry();
      const { id } = await evidenced(reg);
      const { record: p3, created } = await reg.openDefect(id, { severity: 'P3', title: 'log line lies about fills', openedBy: 'rita' });
      expect(created).toBe(true);
      expect(p3).toMatchObject({ id: expect.stringMatching(/^def-\d+$/), experimentId: id, snapshotId: null, severity: 'P3', source: 'manual', incidentId: null, openedBy: 'rita', status: 'open', closedBy: null, closedAt: null, resolution: null });
      const { record: p1 } = await reg.openDefect(id, { severity: 'P1', title: 'orders sent twice', detail: 'after a reconnect', openedBy: 'rita', snapshotId: (await reg.resolveSnapshot(id)).id });
      expect(p1.snapshotId).toMatch(/^snap-/);
      const closed = await reg.closeDefect(p3.id, { by: 'sam', resolution: 'fixed the log line' });
      expect(closed).toMatchObject({ id: p3.id, status: 'closed', closedBy: 'sam', resolution: 'fixed the log line', closedAt: expect.any(Number) });
      expect((await reg.listDefects(id)).map((d) => d.id)).toEqual([p3.id, p1.id]);
      expect((await reg.listDefects(id, { status: 'open' })).map((d) => d.id)).toEqual([p1.id]);
      expect((await reg.listDefects(id, { status: 'closed' })).map((d) => d.id)).toEqual([p3.id]);
      await expect(reg.closeDefect(p3.id, { by: 'sam', resolution: 'again' })).rejects.toMatchObject({ code: 'REGISTRY_CONFLICT', message: expect.stringContaining(`${p3.id} is already closed (by sam`) });
      await expect(reg.closeDefect('def-999999', { by: 'sam', resolution: 'x' })).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
    }, SLOW);

    it('opens one defect per incident, however often it is reported', async () => {
      const reg = registry();
      const { id } = await evidenced(reg);
      const first = await reg.openDefect(id, { severity: 'P2', title: 'broker rejected every order', openedBy: 'trader', incidentId: 'inc-42' });
      const again = await reg.openDefect(id, { severity: 'P1', title: 'reported again', openedBy: 'trader', incidentId: 'inc-42' });
      expect(first).toMatchObject({ created: true, record: { source: 'incident', incidentId: 'inc-42', severity: 'P2' } });
      expect(again).toEqual({ created: false, record: first.record });
      expect(await reg.listDefects(id)).toHaveLength(1);
      const other = await evidenced(reg);
      await expect(reg.openDefect(other.id, { severity: 'P2', title: 'x', openedBy: 'trader', incidentId: 'inc-42' })).rejects.toMatchObject({ code: 'REGISTRY_CONFLICT', message: expect.stringContaining(`already opened ${first.record.id} of ${id}`) });
    }, SLOW);

    it('refuses a bad severity, an empty title and another experiment’s snapshot, naming the field', async () => {
      const reg = registry();
      const { id } = await evidenced(reg);
      const other = await evidenced(reg);
      await expect(reg.openDefect(id, { severity: 'P5' as 'P1', title: 't', openedBy: 'r' })).rejects.toThrow("severity: must be one of P1, P2, P3, P4, got 'P5'");
      await expect(reg.openDefect(id, { severity: 'P1', title: ' ', openedBy: 'r' })).rejects.toThrow(ConfigError);
      await expect(reg.openDefect(id, { severity: 'P1', title: 't', openedBy: 'r', snapshotId: other.snapshotId })).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
      expect(await reg.listDefects(id)).toEqual([]);
    }, SLOW);

    it('blocks a live promotion (gate open-defects) while a P1 or P2 defect is open, never a paper one', async () => {
      const reg = registry();
      const { id } = await evidenced(reg);
      const gate = async (): Promise<unknown> => (await reg.generatePromotionChecklist(id, { stage: 'live' })).items.find((i) => i.gate === 'open-defects');
      expect(await gate()).toMatchObject({ status: 'pass', measured: 0, required: true, threshold: '0 open P1/P2' });
      await reg.openDefect(id, { severity: 'P3', title: 'cosmetic', openedBy: 'rita' });
      expect(await gate()).toMatchObject({ status: 'pass', detail: 'no open P1 or P2 defect (1 open defect(s) of lower severity)' });
      const { record: p2 } = await reg.openDefect(id, { severity: 'P2', title: 'stale prices after a gap', openedBy: 'rita' });
      expect(await gate()).toMatchObject({ status: 'fail', measured: 1, detail: `open: ${p2.id} P2 stale prices after a gap`, evidence: p2.id });
      expect((await reg.generatePromotionChecklist(id, { stage: 'paper' })).items.find((i) => i.gate === 'open-defects')).toMatchObject({ required: false });
      const blocked = await reg.promote(id, { stage: 'live', by: 'erin', targetCapital: 50_000 }).catch((e: unknown) => e);
      expect(blocked).toBeInstanceOf(PromotionBlockedError);
      expect((blocked as PromotionBlockedError).readiness?.blockers.map((b) => b.gate)).toEqual(['open-defects']);
      await reg.closeDefect(p2.id, { by: 'sam', resolution: 'prices refreshed at the open' });
      expect((await reg.promote(id, { stage: 'live', by: 'erin', targetCapital: 50_000 })).promotion).toMatchObject({ capitalStage: 0, targetCapital: 50_000 });
    }, SLOW);
  });

  describe('the capital ramp', () => {
    it('starts a live promotion at stage 0 and needs a target capital for it', async () => {
      const reg = registry();
      const exp = await evidenced(reg);
      expect(await reg.capitalStage(exp.id)).toBeNull();
      await expect(reg.promote(exp.id, { stage: 'live', by: 'erin', targetCapital: 0 })).rejects.toThrow('targetCapital: is required for a live promotion');
      await expect(reg.promote(exp.id, { stage: 'paper', by: 'erin', targetCapital: 10 })).rejects.toThrow('targetCapital: is for live promotions only');
      const { promotion } = await reg.promote(exp.id, { stage: 'live', by: 'erin', targetCapital: 100_000 });
      expect(await reg.capitalStage(exp.id)).toEqual({
        experimentId: exp.id,
        snapshotId: exp.snapshotId,
        promotionId: promotion.id,
        stageIndex: 0,
        stagePct: 1,
        targetCapital: 100_000,
        notionalCap: 1000,
        halted: false,
        lastAction: 'promote',
        since: promotion.promotedAt,
        reason: null,
      });
      await expect(reg.advanceCapitalStage('exp-999999', { by: 'dana' })).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
    }, SLOW);

    it('advances only on enough complete live days at the stage dated after it began, and writes the evidence', async () => {
      const reg = registry();
      const exp = await live(reg);
      const none = await blockedAdvance(reg, exp.id);
      expect(none.readiness).toBeNull();
      expect(none.capitalStage?.blockers.map((b) => b.check)).toEqual(['stage-days']);
      expect(none.message).toContain('stage-days: 0 of 5 complete live trader day(s) at stage 0 after 2024-06-03');
      // Days that do not count: the promotion day itself, a partial day, a paper day, a day at another stage.
      await traderDays(exp, ['2024-06-03'], { capitalStage: 0 });
      await traderDays(exp, sessions(4), { capitalStage: 0 });
      await traderDays(exp, sessions(1, 4), { capitalStage: 0, complete: false });
      await traderDays(exp, sessions(1, 5), { capitalStage: null, stage: 'paper' });
      await traderDays(exp, sessions(1, 6), { capitalStage: 1 });
      const four = await blockedAdvance(reg, exp.id);
      expect(four.capitalStage?.blockers).toEqual([{ check: 'stage-days', passed: false, detail: '4 of 5 complete live trader day(s) at stage 0 after 2024-06-03 (1 partial, not counted)' }]);
      expect((await reg.listPromotions(exp.id)).map((p) => p.action)).toEqual(['promote', 'promote']);

      await traderDays(exp, sessions(1, 7), { capitalStage: 0 });
      const { state, readiness } = await reg.advanceCapitalStage(exp.id, { by: 'dana' });
      expect(state).toMatchObject({ stageIndex: 1, stagePct: 5, notionalCap: 5000, halted: false, lastAction: 'advance', targetCapital: 100_000 });
      expect(readiness).toMatchObject({ ready: true, toStageIndex: 1, toStagePct: 5, days: { complete: 5, required: 5 } });
      expect(readiness.checks.find((c) => c.check === 'stage-drift')?.detail).toBe('drift within thresholds on 6 day(s)');
      const rows = await reg.listPromotions(exp.id);
      expect(rows[rows.length - 1]).toMatchObject({ id: state.promotionId, action: 'advance', capitalStage: 1, targetCapital: 100_000, promotedBy: 'dana', stage: 'live' });
      const stored = await database().handle.db.selectFrom('registry_promotions').select('checklist').where('id', '=', state.promotionId).executeTakeFirstOrThrow();
      expect(stored.checklist).toMatchObject({ advance: { ready: true, days: { complete: 5, dayIds: expect.arrayContaining([expect.stringMatching(/^day-\d+$/)]) } } });
      expect(await reg.capitalStage(exp.id)).toEqual(state);
      // The days of stage 0 do not count for stage 1: only the one day recorded at stage 1.
      expect((await blockedAdvance(reg, exp.id)).capitalStage?.blockers.map((b) => b.detail)).toEqual(['1 of 5 complete live trader day(s) at stage 1 after 2024-06-03']);
    }, SLOW);

    it('refuses an advance while a day drifted beyond the thresholds or a P1/P2 defect is open', async () => {
      const config = withRamp({ minDaysPerStage: 2 });
      const reg = registry(config);
      const exp = await live(reg);
      await traderDays(exp, sessions(2), { capitalStage: 0 });
      await traderDays(exp, sessions(1, 2), { capitalStage: 0, complete: false, drift: { ...DRIFT_OK, returnGap: -0.03 } });
      await traderDays(exp, sessions(1, 3), { capitalStage: 0, drift: null });
      const { record: defect } = await reg.openDefect(exp.id, { severity: 'P1', title: 'fills booked twice', openedBy: 'rita' });
      const blocked = await blockedAdvance(reg, exp.id);
      expect(blocked.capitalStage?.blockers.map((b) => b.check)).toEqual(['stage-drift', 'open-defects']);
      expect(blocked.message).toContain(`stage-drift: drift beyond thresholds: ${sessions(1, 2)[0]} (day-`);
      // Judged by the drift gates of the configuration: a 3 % return gap is beyond the 0.5 % daily one.
      expect(blocked.message).toContain('daily-return-gap -3 beyond 0.5');
      expect(blocked.message).toContain(`open-defects: open: ${defect.id} P1 fills booked twice`);
      expect((await reg.capitalStage(exp.id))?.stageIndex).toBe(0);
      // Closing the defect leaves the drift: the stage stays.
      await reg.closeDefect(defect.id, { by: 'sam', resolution: 'deduplicated' });
      expect((await blockedAdvance(reg, exp.id)).capitalStage?.blockers.map((b) => b.check)).toEqual(['stage-drift']);
      // With thresholds that allow it, the same days advance the stage.
      const loose = registry({ ...config, gates: { ...config.gates, drift: { ...config.gates.drift, maxDailyReturnGapPct: 5, maxCumulativeReturnGapPct: 5 } } });
      expect((await loose.advanceCapitalStage(exp.id, { by: 'dana' })).state.stageIndex).toBe(1);
    }, SLOW);

    it('rolls back one stage on a breach, halts at stage 0, and resumes a halt at stage 0', async () => {
      const reg = registry(withRamp({ minDaysPerStage: 1 }));
      const exp = await live(reg);
      await traderDays(exp, sessions(1), { capitalStage: 0 });
      await reg.advanceCapitalStage(exp.id, { by: 'dana' });
      await expect(reg.breachCapitalStage(exp.id, { kind: 'oops' as 'manual', reason: 'x', by: 'risk' })).rejects.toThrow("kind: must be one of drawdown, drift, incident, manual, got 'oops'");
      await expect(reg.resumeCapitalStage(exp.id, { by: 'risk', reason: 'not halted' })).rejects.toMatchObject({ code: 'REGISTRY_CONFLICT' });

      const rolled = await reg.breachCapitalStage(exp.id, { kind: 'drawdown', reason: 'drawdown 6.2 % beyond 5 %', by: 'trader' });
      expect(rolled).toMatchObject({ stageIndex: 0, stagePct: 1, notionalCap: 1000, halted: false, lastAction: 'rollback', reason: 'drawdown: drawdown 6.2 % beyond 5 %' });
      const halted = await reg.breachCapitalStage(exp.id, { kind: 'incident', reason: 'inc-7 broker outage', by: 'trader' });
      expect(halted).toMatchObject({ stageIndex: 0, halted: true, notionalCap: 0, lastAction: 'halt', reason: 'incident: inc-7 broker outage' });
      expect((await blockedAdvance(reg, exp.id)).capitalStage?.blockers.map((b) => b.check)).toEqual(['not-halted']);
      await expect(reg.promote(exp.id, { stage: 'live', by: 'erin', targetCapital: 100_000 })).rejects.toMatchObject({ code: 'REGISTRY_CONFLICT', message: expect.stringContaining('is halted on its capital ramp') });

      const resumed = await reg.resumeCapitalStage(exp.id, { by: 'risk desk', reason: 'broker back' });
      expect(resumed).toMatchObject({ stageIndex: 0, halted: false, notionalCap: 1000, lastAction: 'resume', reason: 'broker back' });
      expect((await reg.listPromotions(exp.id)).map((p) => [p.action, p.capitalStage, p.promotedBy])).toEqual([
        ['promote', null, 'dana'],
        ['promote', 0, 'erin'],
        ['advance', 1, 'dana'],
        ['rollback', 0, 'trader'],
        ['halt', 0, 'trader'],
        ['resume', 0, 'risk desk'],
      ]);
    }, SLOW);

    it('records a keyed breach once: the same key again writes nothing and leaves the stage', async () => {
      const reg = registry(withRamp({ minDaysPerStage: 1 }));
      const exp = await live(reg);
      await traderDays(exp, sessions(1), { capitalStage: 0 });
      await reg.advanceCapitalStage(exp.id, { by: 'dana' });
      const first = await reg.breachCapitalStageOnce(exp.id, { kind: 'drawdown', reason: '2024-06-05: drawdown 6% ≥ 5%', by: 'live-trader/s1', key: 's1/2024-06-05' });
      expect(first).toMatchObject({ created: true, record: { stageIndex: 0, lastAction: 'rollback' } });
      const again = await reg.breachCapitalStageOnce(exp.id, { kind: 'drawdown', reason: '2024-06-05: drawdown 7% ≥ 5%', by: 'live-trader/s1', key: 's1/2024-06-05' });
      expect(again).toMatchObject({ created: false, record: { stageIndex: 0, lastAction: 'rollback', promotionId: first.record.promotionId } });
      // Another key is another breach: at stage 0 a rollback halts.
      const next = await reg.breachCapitalStageOnce(exp.id, { kind: 'drawdown', reason: '2024-06-06: drawdown 6% ≥ 5%', by: 'live-trader/s1', key: 's1/2024-06-06' });
      expect(next).toMatchObject({ created: true, record: { halted: true, lastAction: 'halt' } });
      expect((await reg.listPromotions(exp.id)).filter((p) => p.action === 'rollback' || p.action === 'halt')).toHaveLength(2);
    }, SLOW);

    it('halts on a breach when onBreach is halt, and refuses an advance beyond the last stage', async () => {
      const reg = registry(withRamp({ stagesPct: [50, 100], minDaysPerStage: 1, onBreach: 'halt' }));
      const exp = await live(reg);
      await traderDays(exp, sessions(1), { capitalStage: 0 });
      expect((await reg.advanceCapitalStage(exp.id, { by: 'dana' })).state).toMatchObject({ stageIndex: 1, stagePct: 100, notionalCap: 100_000 });
      await traderDays(exp, sessions(1, 1), { capitalStage: 1 });
      expect((await reg.capitalStage(exp.id))?.since).toBeGreaterThan(START);
      const last = await blockedAdvance(reg, exp.id);
      expect(last.capitalStage?.blockers).toEqual([expect.objectContaining({ check: 'next-stage', detail: 'stage 1 (100 %) is the last stage' })]);
      // An explicit rollback overrides onBreach; then the configured halt.
      expect(await reg.breachCapitalStage(exp.id, { kind: 'manual', reason: 'operator call', by: 'risk', action: 'rollback' })).toMatchObject({ stageIndex: 0, halted: false, lastAction: 'rollback' });
      expect(await reg.breachCapitalStage(exp.id, { kind: 'drift', reason: 'slippage gap 40 bps', by: 'trader' })).toMatchObject({ stageIndex: 0, halted: true, notionalCap: 0, lastAction: 'halt' });
    }, SLOW);
  });
});
