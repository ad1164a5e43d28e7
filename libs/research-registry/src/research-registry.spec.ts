import type { Clock, EpochMs } from '@quantbot/core';
import { ConfigError, epochMs } from '@quantbot/core';
import { NYSE_CALENDAR } from '@quantbot/data-quality';
import { STORAGE_MIGRATIONS } from '@quantbot/storage';
import { describeStorageBackends } from '@quantbot/storage/testing';
import type { BacktestInput } from './backtest-evidence';
import { parameterHash } from './canonical-json';
import type { PaperDayInput } from './paper-days';
import type { GateId, GateStatus, PromotionChecklist } from './promotion-checklist';
import { PromotionBlockedError } from './promotion-blocked-error';
import type { PromotionGateConfig } from './promotion-gate-config';
import { DEFAULT_PROMOTION_GATE_CONFIG } from './promotion-gate-config';
import { RegistryError } from './registry-error';
import type { RegistryTables } from './registry-schema';
import { REGISTRY_MIGRATIONS } from './registry-schema';
import { ResearchRegistry } from './research-registry';
import type { StrategyCatalog } from './strategy-catalog';
import type { TradingDayInput } from './trading-day-input';
import type { ValidationInput } from './walk-forward-evidence';
import { parseValidationInput } from './walk-forward-evidence';

const START = Date.parse('2024-06-03T09:00:00.000Z');

/** A clock that moves one second per reading, so record times are distinct and known; `advance` jumps ahead. */
function steppingClock(): Clock & { readonly readings: () => number; advance(ms: number): void } {
  let n = 0;
  let offset = 0;
  return {
    now: (): EpochMs => epochMs(START + offset + 1000 * n++),
    readings: () => n,
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

const DIGEST = 'ab'.repeat(32);

function backtest(overrides: Partial<BacktestInput> = {}): BacktestInput {
  return {
    runId: 'run-1',
    digest: DIGEST,
    digestVerified: true,
    metrics: { sharpe: 1.1, totalReturn: 0.2, maxDrawdownPct: 5, closedTrades: 40, extra: { cagr: 0.04 } },
    dataQualityErrors: 0,
    lookaheadPassed: true,
    ...overrides,
  };
}

/** A validation the caller reproduced (as the promotion gate's store-walk-forward --run-id does). */
function validation(payload: Record<string, unknown> = {}): ValidationInput {
  return { ...parseValidationInput({ meanIsSharpe: 1.2, meanOosSharpe: 0.9, ...payload }), verified: true };
}

/** Typed-in figures: unverified. */
function typedValidation(payload: Record<string, unknown> = {}): ValidationInput {
  return parseValidationInput({ meanIsSharpe: 1.2, meanOosSharpe: 0.9, ...payload });
}

/** The paper promotion the fixture's paper days follow (a Friday; the first NYSE session of 2024 is Tuesday 2024-01-02). */
const PAPER_PROMOTED_AT = '2023-12-29T15:00:00.000Z';

/** `count` NYSE trading days from 2024-01-02, each passing every paper gate unless `change` alters it. */
function paperDays(count: number, change: (day: PaperDayInput, index: number) => Partial<PaperDayInput> = () => ({}), from = Date.UTC(2024, 0, 1)): PaperDayInput[] {
  const days: PaperDayInput[] = [];
  for (let t = from; days.length < count; t += 86_400_000) {
    if (!NYSE_CALENDAR.isSession(t)) continue;
    const day: PaperDayInput = {
      date: new Date(t).toISOString().slice(0, 10),
      dailyPnl: days.length % 2 === 0 ? 120 : -40,
      qualityScore: 90,
      averageSlippageBps: 4,
      fillRate: 0.98,
      drawdownPct: 1.5,
      equity: 100_000,
    };
    days.push({ ...day, ...change(day, days.length) });
  }
  return days;
}

/** A day's drift well within the default thresholds. */
const DRIFT = { returnGap: -0.0002, slippageGapBps: 1.5, fillRateGap: -0.01, timingGapMs: 800, ordersCompared: 1, actualTradingPnl: 80, shadowTradingPnl: 100 } as const;

/**
 * A paper day as the trader records it: the figures of `day`, one order compared with its shadow
 * (drift well within the default thresholds), complete.
 */
function traderDay(day: PaperDayInput, overrides: Partial<TradingDayInput> = {}): TradingDayInput {
  const startEquity = day.equity ?? 100_000;
  return {
    date: day.date,
    sessionId: 'session-1',
    journalDigest: 'cd'.repeat(32),
    stage: 'paper',
    capitalStage: null,
    complete: true,
    startEquity,
    equity: startEquity + day.dailyPnl,
    dailyPnl: day.dailyPnl,
    drawdownPct: day.drawdownPct,
    maxGrossExposure: 25_000,
    execution: {
      orders: 1,
      fills: 1,
      rejects: 0,
      qualityScore: day.qualityScore,
      implementationShortfallBps: day.averageSlippageBps + 1,
      averageSlippageBps: day.averageSlippageBps,
      fillRate: day.fillRate,
      averageLatencyMs: 120,
    },
    killSwitch: [],
    incidents: [],
    drift: DRIFT,
    shadowOrders: [],
    ...overrides,
  };
}

/** What a fully evidenced experiment gets; each field can be left out (null) or changed. */
interface Evidence {
  readonly backtest: BacktestInput | null;
  readonly validation: ValidationInput | null;
  readonly paper: readonly PaperDayInput[] | null;
  readonly review: 'approved' | 'changes-requested' | null;
  /** Changes to the i-th trader day beyond its paper figures (drift, execution). */
  readonly trader?: (index: number) => Partial<TradingDayInput>;
}

const PASSING: Evidence = { backtest: backtest(), validation: validation(), paper: paperDays(30), review: 'approved' };

describeStorageBackends<RegistryTables>('ResearchRegistry', { migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS] }, ({ database }) => {
  const registry = (gates: PromotionGateConfig = DEFAULT_PROMOTION_GATE_CONFIG, clock: Clock = steppingClock()): ResearchRegistry =>
    new ResearchRegistry(database().handle.db, { clock, gates });

  /**
   * A paper promotion of the experiment's current snapshot at `at`, written as a past record (the
   * fixture's paper days lie before the clock's today and must follow a paper promotion).
   */
  async function paperPromotion(id: string, at = PAPER_PROMOTED_AT): Promise<void> {
    const experiment = await database().handle.db.selectFrom('registry_experiments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    await database()
      .handle.db.insertInto('registry_promotions')
      .values({
        experiment_id: id,
        snapshot_id: experiment.current_snapshot_id as string,
        stage: 'paper',
        promoted_by: 'dana',
        promoted_at: at,
        config_version: DEFAULT_PROMOTION_GATE_CONFIG.version,
        config_sha256: '0'.repeat(64),
        checklist: '{}',
      })
      .execute();
  }

  /** A new experiment with one snapshot and the given evidence (trader-recorded paper days after a paper promotion); returns its id. */
  async function evidenced(evidence: Partial<Evidence> = {}, reg: ResearchRegistry = registry()): Promise<string> {
    const e = { ...PASSING, ...evidence };
    const experiment = await reg.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trends persist', owner: 'alice' });
    await reg.createSnapshot(experiment.id, { fast: 10, slow: 30 });
    if (e.backtest !== null) await reg.recordBacktest(experiment.id, e.backtest);
    if (e.validation !== null) await reg.recordValidation(experiment.id, e.validation);
    if (e.paper !== null) {
      await paperPromotion(experiment.id);
      for (const [i, day] of e.paper.entries()) await reg.recordTradingDay(experiment.id, traderDay(day, e.trader?.(i) ?? {}));
    }
    if (e.review !== null) await reg.recordReview(experiment.id, { decision: e.review, reviewer: 'bob', comment: null });
    return experiment.id;
  }

  function statusOf(checklist: PromotionChecklist, gate: GateId): GateStatus {
    const item = checklist.items.find((i) => i.gate === gate);
    if (item === undefined) throw new Error(`no gate ${gate} in the checklist`);
    return item.status;
  }

  describe('experiments', () => {
    it('creates experiments with sequential ids and the clock’s time, and reads them back', async () => {
      const reg = registry();
      const a = await reg.createExperiment({ strategy: 'sma-crossover', hypothesis: ' trends persist ', owner: 'alice' });
      const b = await reg.createExperiment({ strategy: 'mean-reversion', hypothesis: 'ranges revert', owner: 'bob' });
      expect(a.id).toMatch(/^exp-\d+$/);
      expect(Number(b.id.slice(4))).toBe(Number(a.id.slice(4)) + 1);
      expect(a).toEqual({ id: a.id, strategy: 'sma-crossover', hypothesis: 'trends persist', owner: 'alice', strategyFile: null, currentSnapshotId: null, createdAt: START });
      expect(await reg.getExperiment(b.id)).toEqual(b);
      expect((await reg.listExperiments()).map((e) => e.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    });

    it('refuses an unknown experiment with REGISTRY_NOT_FOUND and an empty owner with a ConfigError naming it', async () => {
      await expect(registry().getExperiment('exp-999999')).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND', message: expect.stringContaining('exp-999999') });
      await expect(registry().createExperiment({ strategy: 's', hypothesis: 'h', owner: '  ' })).rejects.toThrow(ConfigError);
      await expect(registry().createExperiment({ strategy: 's', hypothesis: 'h', owner: '  ' })).rejects.toThrow(/^owner: /);
    });
  });

  describe('parameter snapshots', () => {
    it('recognizes the same parameters by content hash, whatever the key order, and never duplicates them', async () => {
      const reg = registry();
      const { id } = await reg.createExperiment({ strategy: 'sma-crossover', hypothesis: 'h', owner: 'alice' });
      const first = await reg.createSnapshot(id, { slow: 30, fast: 10, filters: { volume: true, atr: [14, 2.5] } }, { label: 'baseline' });
      const again = await reg.createSnapshot(id, { filters: { atr: [14, 2.5], volume: true }, fast: 10, slow: 30 }, { label: 'ignored' });
      expect(first.created).toBe(true);
      expect(again).toEqual({ record: first.record, created: false });
      expect(first.record.paramsHash).toBe(parameterHash({ fast: 10, slow: 30, filters: { volume: true, atr: [14, 2.5] } }));
      expect(first.record.label).toBe('baseline');
      const other = await reg.createSnapshot(id, { slow: 30, fast: 12, filters: { volume: true, atr: [14, 2.5] } });
      expect(other.created).toBe(true);
      expect(other.record.id).not.toBe(first.record.id);
      expect((await reg.listSnapshots(id)).map((s) => s.id)).toEqual([first.record.id, other.record.id]);
    });

    it('makes the snapshot registered last (new or known) the current one', async () => {
      const reg = registry();
      const { id } = await reg.createExperiment({ strategy: 's', hypothesis: 'h', owner: 'o' });
      const a = await reg.createSnapshot(id, { p: 1 });
      const b = await reg.createSnapshot(id, { p: 2 });
      expect((await reg.getExperiment(id)).currentSnapshotId).toBe(b.record.id);
      await reg.createSnapshot(id, { p: 1 });
      expect((await reg.getExperiment(id)).currentSnapshotId).toBe(a.record.id);
      expect((await reg.resolveSnapshot(id)).params).toEqual({ p: 1 });
    });

    it('keeps equal parameters of two experiments as two snapshots, and refuses another experiment’s snapshot', async () => {
      const reg = registry();
      const one = await reg.createExperiment({ strategy: 's', hypothesis: 'h', owner: 'o' });
      const two = await reg.createExperiment({ strategy: 's', hypothesis: 'h', owner: 'o' });
      const a = await reg.createSnapshot(one.id, { p: 1 });
      const b = await reg.createSnapshot(two.id, { p: 1 });
      expect(b.created).toBe(true);
      expect(b.record.id).not.toBe(a.record.id);
      await expect(reg.recordBacktest(two.id, backtest(), { snapshotId: a.record.id })).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
    });

    it('refuses parameters JSON cannot hold exactly, naming the path, and evidence before any snapshot', async () => {
      const reg = registry();
      const { id } = await reg.createExperiment({ strategy: 's', hypothesis: 'h', owner: 'o' });
      await expect(reg.createSnapshot(id, { window: [1, Number.NaN] })).rejects.toThrow('params.window[1]: NaN cannot be stored as JSON');
      await expect(reg.recordBacktest(id, backtest())).rejects.toMatchObject({ code: 'REGISTRY_NO_SNAPSHOT' });
      expect(await reg.listSnapshots(id)).toEqual([]);
    });
  });

  describe('trials', () => {
    it('counts every backtest of the experiment, over all its snapshots, as a trial', async () => {
      const reg = registry();
      const { id } = await reg.createExperiment({ strategy: 's', hypothesis: 'h', owner: 'o' });
      expect(await reg.trialCount(id)).toBe(0);
      await reg.createSnapshot(id, { p: 1 });
      await reg.recordBacktest(id, backtest({ runId: 'r1' }));
      await reg.recordBacktest(id, backtest({ runId: 'r2', digest: 'cd'.repeat(32) }));
      await reg.createSnapshot(id, { p: 2 });
      await reg.recordBacktest(id, backtest({ runId: 'r3' }));
      expect(await reg.trialCount(id)).toBe(3);
      expect((await reg.listSnapshots(id)).map((s) => s.backtests)).toEqual([2, 1]);
      const other = await evidenced();
      expect(await reg.trialCount(other)).toBe(1);
      expect(await reg.trialCount(id)).toBe(3);
    });

    it('records a run once: the same run again is a no-op, the same run id with another digest a conflict', async () => {
      const reg = registry();
      const { id } = await reg.createExperiment({ strategy: 's', hypothesis: 'h', owner: 'o' });
      await reg.createSnapshot(id, { p: 1 });
      const first = await reg.recordBacktest(id, backtest({ runId: 'r1' }));
      expect(first.created).toBe(true);
      expect(first.record).toMatchObject({ runId: 'r1', digest: DIGEST, digestVerified: true, dataQualityErrors: 0, lookaheadPassed: true });
      expect(first.record.metrics).toEqual({ sharpe: 1.1, totalReturn: 0.2, maxDrawdownPct: 5, closedTrades: 40, extra: { cagr: 0.04 } });
      expect(await reg.recordBacktest(id, backtest({ runId: 'r1' }))).toEqual({ record: first.record, created: false });
      await expect(reg.recordBacktest(id, backtest({ runId: 'r1', digest: 'cd'.repeat(32) }))).rejects.toMatchObject({
        code: 'REGISTRY_CONFLICT',
        message: expect.stringContaining(`run r1 is already recorded for ${id} as ${first.record.id}`),
      });
      expect(await reg.trialCount(id)).toBe(1);
    });

    it('checks a backtest given in code: a malformed digest or a fractional count is refused, naming the field', async () => {
      const reg = registry();
      const id = await evidenced({ backtest: null });
      await expect(reg.recordBacktest(id, backtest({ digest: 'xyz' }))).rejects.toThrow('digest: must be 64 lower-case hex digits');
      await expect(reg.recordBacktest(id, backtest({ dataQualityErrors: 1.5 }))).rejects.toThrow('dataQualityErrors: must be a whole number, got 1.5');
      expect(await reg.trialCount(id)).toBe(0);
    });
  });

  describe('validations', () => {
    it('keeps an infinite overfit ratio as Infinity, and DSR/PBO of the folds', async () => {
      const reg = registry();
      const id = await evidenced({ validation: null });
      const record = await reg.recordValidation(
        id,
        parseValidationInput({
          folds: [
            { inSample: { sharpe: 1.4 }, outOfSample: { sharpe: -0.2 }, trials: 9, deflatedSharpe: 0.4, pbo: 0.3 },
            { inSample: { sharpe: 0.8 }, outOfSample: { sharpe: 0.1 }, trials: 9, deflatedSharpe: 0.7, pbo: 0.6 },
          ],
        }),
      );
      expect(record).toMatchObject({ meanIsSharpe: 1.1, overfitRatio: Number.POSITIVE_INFINITY, overfitRatioStatus: 'infinite', deflatedSharpe: 0.4, pbo: 0.6, trials: 18 });
      expect(record.meanOosSharpe).toBeCloseTo(-0.05, 12);
      expect(record.folds[1]).toEqual({ index: 1, inSample: { sharpe: 0.8, totalReturn: null, maxDrawdownPct: null, closedTrades: null }, outOfSample: { sharpe: 0.1, totalReturn: null, maxDrawdownPct: null, closedTrades: null }, trials: 9, deflatedSharpe: 0.7, pbo: 0.6 });
      expect((await reg.listValidations(id)).at(-1)).toEqual(record);
    });
  });

  describe('paper days', () => {
    it('writes a batch all or nothing: one known date keeps every new day of the batch out', async () => {
      const reg = registry();
      const id = await evidenced({ paper: null });
      await paperPromotion(id);
      await reg.recordPaperDays(id, paperDays(3));
      const more = paperDays(6).slice(2); // the third day is already recorded
      await expect(reg.recordPaperDays(id, more)).rejects.toMatchObject({ code: 'REGISTRY_CONFLICT', message: expect.stringContaining('2024-01-04 already recorded') });
      expect((await reg.listPaperDays(id)).map((d) => d.date)).toEqual(['2024-01-02', '2024-01-03', '2024-01-04']);
      const added = await reg.recordPaperDays(id, more.slice(1));
      expect(added.map((d) => d.date)).toEqual(['2024-01-05', '2024-01-08', '2024-01-09']);
      expect(added[0]).toMatchObject({ source: 'manual', recordedBy: null, dailyPnl: -40, qualityScore: 90, averageSlippageBps: 4, fillRate: 0.98, drawdownPct: 1.5, equity: 100_000 });
    });

    it('checks days given in code like a payload, naming the field, and writes none of a bad batch', async () => {
      const reg = registry();
      const id = await evidenced({ paper: null });
      const days = paperDays(3, (_d, i) => (i === 2 ? { fillRate: 1.5 } : {}));
      await expect(reg.recordPaperDays(id, days)).rejects.toThrow('days[2].fillRate: must be at most 1, got 1.5');
      await expect(reg.recordPaperDays(id, [])).rejects.toThrow('days: must hold at least one day');
      expect(await reg.listPaperDays(id)).toEqual([]);
    });

    it.each([
      ['a weekend (Friday → Monday)', ['2024-01-05', '2024-01-08'], 2],
      ['a holiday weekend (Friday → Tuesday over Martin Luther King Jr. Day)', ['2024-01-12', '2024-01-16'], 2],
      ['a missed session (Friday → Tuesday, Monday traded): a new run starts', ['2024-01-05', '2024-01-09'], 1],
      ['an old run, missed sessions, then three days', ['2024-01-02', '2024-01-03', '2024-01-16', '2024-01-17', '2024-01-18'], 3],
    ])('counts consecutive days across %s', async (_title, dates, expected) => {
      const reg = registry({ ...DEFAULT_PROMOTION_GATE_CONFIG, gates: { ...DEFAULT_PROMOTION_GATE_CONFIG.gates, paper: { ...DEFAULT_PROMOTION_GATE_CONFIG.gates.paper, minDays: expected } } });
      const days = dates.map((date, i) => ({ ...(paperDays(1)[0] as PaperDayInput), date, dailyPnl: i }));
      const id = await evidenced({ paper: days }, reg);
      const checklist = await reg.generatePromotionChecklist(id, { stage: 'live' });
      const item = checklist.items.find((i) => i.gate === 'paper-days');
      expect(item).toMatchObject({ measured: expected, status: 'pass' });
      expect(checklist.paper.streakEnd).toBe(dates.at(-1));
    });
  });

  describe('the promotion checklist', () => {
    it('passes every gate for complete evidence, listing thresholds, measured values and the config version', async () => {
      const reg = registry();
      const id = await evidenced();
      const checklist = await reg.generatePromotionChecklist(id, { stage: 'live' });
      expect(checklist.items.map((i) => [i.gate, i.status])).toEqual([
        ['backtest-reproducible', 'pass'],
        ['walk-forward-oos-sharpe', 'pass'],
        ['walk-forward-overfit-ratio', 'pass'],
        ['data-quality', 'pass'],
        ['lookahead', 'pass'],
        ['paper-days', 'pass'],
        ['paper-drawdown', 'pass'],
        ['paper-pnl-volatility', 'pass'],
        ['paper-execution-quality', 'pass'],
        ['paper-slippage', 'pass'],
        ['paper-fill-rate', 'pass'],
        ['drift-return', 'pass'],
        ['drift-slippage', 'pass'],
        ['drift-fill-rate', 'pass'],
        ['drift-timing', 'pass'],
        ['review-approved', 'pass'],
        ['open-defects', 'pass'],
      ]);
      expect(checklist).toMatchObject({ experimentId: id, stage: 'live', configVersion: 3, trialCount: 1 });
      expect(checklist.items.find((i) => i.gate === 'walk-forward-oos-sharpe')).toMatchObject({ threshold: '> 0.5', measured: 0.9, measuredText: '0.9' });
      expect(checklist.items.find((i) => i.gate === 'walk-forward-overfit-ratio')).toMatchObject({ threshold: '< 2', measuredText: '1.3333' });
      expect(checklist.items.find((i) => i.gate === 'paper-days')).toMatchObject({ measured: 30, threshold: '≥ 30 consecutive NYSE trading day(s)' });
      expect((await reg.isPromotionReady(id, { strict: true, stage: 'live' })).ready).toBe(true);
    });

    const paperWith = (change: Partial<PaperDayInput>): Evidence['paper'] => paperDays(30, (_d, i) => (i === 29 ? change : {}));
    const allWith = (change: Partial<PaperDayInput>): Evidence['paper'] => paperDays(30, () => change);
    const cases: readonly [GateId, Partial<Evidence>, Partial<Evidence>][] = [
      ['backtest-reproducible', { backtest: backtest({ digestVerified: false }) }, { backtest: null }],
      ['walk-forward-oos-sharpe', { validation: validation({ meanIsSharpe: 0.6, meanOosSharpe: 0.5 }) }, { validation: null }],
      ['walk-forward-overfit-ratio', { validation: validation({ meanIsSharpe: 1.4, meanOosSharpe: 0.7 }) }, { validation: null }],
      ['data-quality', { backtest: backtest({ dataQualityErrors: 2 }) }, { backtest: backtest({ dataQualityErrors: null }) }],
      ['lookahead', { backtest: backtest({ lookaheadPassed: false }) }, { backtest: backtest({ lookaheadPassed: null }) }],
      ['paper-days', { paper: paperDays(29) }, { paper: null }],
      ['paper-drawdown', { paper: paperWith({ drawdownPct: 10.5 }) }, { paper: null }],
      ['paper-pnl-volatility', { paper: paperWith({ dailyPnl: 9e307 }) }, { paper: null }],
      ['paper-execution-quality', { paper: allWith({ qualityScore: 69 }) }, { paper: null }],
      ['paper-slippage', { paper: allWith({ averageSlippageBps: 15.5 }) }, { paper: null }],
      ['paper-fill-rate', { paper: allWith({ fillRate: 0.89 }) }, { paper: null }],
      ['drift-return', { trader: (i) => (i === 29 ? { drift: { ...DRIFT, returnGap: 0.006 } } : {}) }, { trader: () => ({ drift: null }) }],
      ['drift-slippage', { trader: () => ({ drift: { ...DRIFT, slippageGapBps: -10.5 } }) }, { trader: () => ({ drift: { ...DRIFT, slippageGapBps: null } }) }],
      ['drift-fill-rate', { trader: () => ({ drift: { ...DRIFT, fillRateGap: -0.11 } }) }, { trader: () => ({ drift: { ...DRIFT, fillRateGap: null } }) }],
      ['drift-timing', { trader: () => ({ drift: { ...DRIFT, timingGapMs: 120_001 } }) }, { trader: () => ({ drift: { ...DRIFT, timingGapMs: null } }) }],
      ['review-approved', { review: 'changes-requested' }, { review: null }],
    ];

    it.each(cases)('%s: passes with the evidence, fails when it falls short, is missing without it', async (gate, failing, absent) => {
      const reg = registry();
      const [pass, fail, none] = await Promise.all([evidenced({}, reg), evidenced(failing, reg), evidenced(absent, reg)]);
      const status = async (id: string): Promise<GateStatus> => statusOf(await reg.generatePromotionChecklist(id, { stage: 'live' }), gate);
      expect([await status(pass), await status(fail), await status(none)]).toEqual(['pass', 'fail', 'missing']);
      // Only that gate changed: the failing experiment is blocked by exactly it.
      const blocked = await reg.isPromotionReady(fail, { strict: true, stage: 'live' });
      expect(blocked.blockers.map((b) => b.gate)).toEqual([gate]);
    });

    it('fails an infinite overfit ratio (in-sample edge, no out-of-sample edge) and an undefined one', async () => {
      const reg = registry();
      const infinite = await evidenced({ validation: validation({ meanIsSharpe: 1.2, meanOosSharpe: -0.1 }) }, reg);
      const undefinedRatio = await evidenced({ validation: validation({ meanIsSharpe: -0.3, meanOosSharpe: 0.6 }) }, reg);
      const fromArtifact = await evidenced({ validation: validation({ overfitRatio: null, overfitRatioStatus: 'infinite', meanOosSharpe: 0.7 }) }, reg);
      const item = async (id: string) => (await reg.generatePromotionChecklist(id)).items.find((i) => i.gate === 'walk-forward-overfit-ratio');
      expect(await item(infinite)).toMatchObject({ status: 'fail', measured: Number.POSITIVE_INFINITY, measuredText: 'Infinity' });
      expect(await item(undefinedRatio)).toMatchObject({ status: 'fail', measured: null, measuredText: 'undefined' });
      expect(await item(fromArtifact)).toMatchObject({ status: 'fail', measured: Number.POSITIVE_INFINITY });
    });

    it('judges daily P&L volatility against maxDailyPnlStdDev when set, and needs 2 days for it', async () => {
      const strictVol = registry({ ...DEFAULT_PROMOTION_GATE_CONFIG, version: 7, gates: { ...DEFAULT_PROMOTION_GATE_CONFIG.gates, paper: { ...DEFAULT_PROMOTION_GATE_CONFIG.gates.paper, maxDailyPnlStdDev: 50 } } });
      const id = await evidenced({}, strictVol);
      const checklist = await strictVol.generatePromotionChecklist(id, { stage: 'live' });
      expect(checklist.configVersion).toBe(7);
      expect(checklist.items.find((i) => i.gate === 'paper-pnl-volatility')).toMatchObject({ status: 'fail', threshold: 'finite, ≤ 50' });
      expect(checklist.items.find((i) => i.gate === 'paper-pnl-volatility')?.measured).toBeCloseTo(81.3676, 3);
      const oneDay = await evidenced({ paper: paperDays(1) });
      const item = (await registry().generatePromotionChecklist(oneDay, { stage: 'live' })).items.find((i) => i.gate === 'paper-pnl-volatility');
      expect(item).toMatchObject({ status: 'fail', measuredText: 'undefined' });
    });

    it('judges the latest review, and the latest backtest of the snapshot', async () => {
      const reg = registry();
      const id = await evidenced({ review: 'changes-requested', backtest: backtest({ runId: 'old', lookaheadPassed: false }) });
      await reg.recordReview(id, { decision: 'approved', reviewer: 'carol', comment: 'fixed' });
      await reg.recordBacktest(id, backtest({ runId: 'new', digest: 'cd'.repeat(32) }));
      const checklist = await reg.generatePromotionChecklist(id);
      expect(checklist.items.find((i) => i.gate === 'review-approved')).toMatchObject({ status: 'pass', detail: 'approved by carol: fixed' });
      expect(checklist.items.find((i) => i.gate === 'lookahead')).toMatchObject({ status: 'pass' });
      expect(checklist.trialCount).toBe(2);
    });

    it('takes evidence from the candidate snapshot only', async () => {
      const reg = registry();
      const id = await evidenced();
      const fresh = await reg.createSnapshot(id, { fast: 5, slow: 50 });
      const current = await reg.generatePromotionChecklist(id, { stage: 'live' });
      expect(current.snapshotId).toBe(fresh.record.id);
      // Every gate lacks evidence but open-defects, which is never missing (no defect: pass).
      expect(current.items.filter((i) => i.status !== 'missing').map((i) => [i.gate, i.status])).toEqual([['open-defects', 'pass']]);
      const named = await reg.generatePromotionChecklist(id, { stage: 'live', snapshotId: (await reg.listSnapshots(id))[0]?.id });
      expect(named.items.every((i) => i.status === 'pass')).toBe(true);
    });
  });

  describe('readiness: strict and non-strict', () => {
    it('treats missing evidence as a warning outside strict mode and as a blocker in strict mode', async () => {
      const reg = registry();
      const id = await evidenced({ review: null, paper: null });
      const lenient = await reg.isPromotionReady(id, { strict: false, stage: 'live' });
      expect(lenient.ready).toBe(true);
      expect(lenient.blockers).toEqual([]);
      expect(lenient.warnings.map((w) => w.gate)).toEqual([
        'paper-days',
        'paper-drawdown',
        'paper-pnl-volatility',
        'paper-execution-quality',
        'paper-slippage',
        'paper-fill-rate',
        'drift-return',
        'drift-slippage',
        'drift-fill-rate',
        'drift-timing',
        'review-approved',
      ]);
      const strict = await reg.isPromotionReady(id, { strict: true, stage: 'live' });
      expect(strict.ready).toBe(false);
      expect(strict.warnings).toEqual([]);
      expect(strict.blockers.map((b) => b.gate)).toEqual(lenient.warnings.map((w) => w.gate));
    });

    it('blocks on a failing gate in both modes', async () => {
      const reg = registry();
      const id = await evidenced({ backtest: backtest({ dataQualityErrors: 1 }) });
      for (const strict of [false, true]) {
        const readiness = await reg.isPromotionReady(id, { strict, stage: 'live' });
        expect({ strict, ready: readiness.ready, blockers: readiness.blockers.map((b) => b.gate) }).toEqual({ strict, ready: false, blockers: ['data-quality'] });
      }
    });

    it('does not require paper-trading gates for a promotion to paper', async () => {
      const reg = registry();
      const id = await evidenced({ paper: null });
      const readiness = await reg.isPromotionReady(id, { strict: true });
      expect(readiness.stage).toBe('paper');
      expect(readiness.ready).toBe(true);
      expect(readiness.checklist.items.filter((i) => !i.required).map((i) => [i.gate, i.status])).toEqual([
        ['paper-days', 'missing'],
        ['paper-drawdown', 'missing'],
        ['paper-pnl-volatility', 'missing'],
        ['paper-execution-quality', 'missing'],
        ['paper-slippage', 'missing'],
        ['paper-fill-rate', 'missing'],
        ['drift-return', 'missing'],
        ['drift-slippage', 'missing'],
        ['drift-fill-rate', 'missing'],
        ['drift-timing', 'missing'],
        ['open-defects', 'pass'],
      ]);
    });
  });

  describe('promotions', () => {
    it('refuses while blockers remain, listing them, and records nothing', async () => {
      const reg = registry();
      const id = await evidenced({ review: 'changes-requested', paper: null });
      const attempt = reg.promote(id, { stage: 'live', by: 'dana', targetCapital: 100_000 });
      await expect(attempt).rejects.toThrow(PromotionBlockedError);
      const error = (await attempt.catch((e: unknown) => e)) as PromotionBlockedError;
      expect(error).toBeInstanceOf(RegistryError);
      expect(error.code).toBe('PROMOTION_BLOCKED');
      expect(error.capitalStage).toBeNull();
      expect(error.readiness?.blockers.map((b) => b.gate)).toEqual([
        'paper-days',
        'paper-drawdown',
        'paper-pnl-volatility',
        'paper-execution-quality',
        'paper-slippage',
        'paper-fill-rate',
        'drift-return',
        'drift-slippage',
        'drift-fill-rate',
        'drift-timing',
        'review-approved',
      ]);
      expect(error.message).toContain('review-approved fail (measured changes-requested, needs approved)');
      expect(await reg.listPromotions(id)).toEqual([]);
    });

    it('records who promoted which snapshot to which stage and when; the next check is for live', async () => {
      const clock = steppingClock();
      const reg = registry(DEFAULT_PROMOTION_GATE_CONFIG, clock);
      const id = await evidenced({ paper: null }, reg);
      const snapshot = await reg.resolveSnapshot(id);
      expect((await reg.generatePromotionChecklist(id)).stage).toBe('paper');
      const { promotion, readiness } = await reg.promote(id, { stage: 'paper', by: 'dana' });
      expect(readiness.ready).toBe(true);
      expect(promotion).toEqual({
        id: promotion.id,
        experimentId: id,
        snapshotId: snapshot.id,
        stage: 'paper',
        promotedBy: 'dana',
        promotedAt: expect.any(Number),
        configVersion: 3,
        action: 'promote',
        capitalStage: null,
        targetCapital: null,
        reason: null,
      });
      expect(promotion.id).toMatch(/^promo-\d+$/);
      expect(promotion.promotedAt).toBe(START + 1000 * (clock.readings() - 1));
      expect(await reg.listPromotions(id)).toEqual([promotion]);
      expect((await reg.generatePromotionChecklist(id)).stage).toBe('live');
      await expect(reg.promote(id, { stage: 'live', by: 'dana', targetCapital: 100_000 })).rejects.toMatchObject({ code: 'PROMOTION_BLOCKED' });
      // Paper days follow the promotion (2024-06-03) and are recorded once traded: two months later.
      clock.advance(60 * 86_400_000);
      for (const day of paperDays(30, () => ({}), Date.UTC(2024, 5, 4))) await reg.recordTradingDay(id, traderDay(day));
      await expect(reg.promote(id, { stage: 'live', by: 'erin' })).rejects.toThrow('targetCapital: is required for a live promotion');
      await expect(reg.promote(id, { stage: 'live', by: 'erin', targetCapital: Number.POSITIVE_INFINITY })).rejects.toThrow(ConfigError);
      const live = await reg.promote(id, { stage: 'live', by: 'erin', targetCapital: 100_000 });
      expect(live.promotion).toMatchObject({ stage: 'live', promotedBy: 'erin', snapshotId: snapshot.id, action: 'promote', capitalStage: 0, targetCapital: 100_000 });
      const summary = await reg.summarize(id);
      expect(summary.promotions.map((p) => p.stage)).toEqual(['paper', 'live']);
      expect(summary.trialCount).toBe(1);
      expect(summary.candidate.backtest?.runId).toBe('run-1');
    });

    it('keeps records across a reopen of the database', async () => {
      const id = await evidenced();
      await database().reopen();
      const reg = registry();
      expect((await reg.generatePromotionChecklist(id, { stage: 'live' })).items.every((i) => i.status === 'pass')).toBe(true);
      expect(await reg.trialCount(id)).toBe(1);
    }, 30_000);
  });

  describe('validation evidence: only verified walk-forwards are judged', () => {
    const gateOf = (checklist: PromotionChecklist, gate: GateId) => checklist.items.find((i) => i.gate === gate);

    it('records typed-in figures as unverified: shown as such, never satisfying a strict gate', async () => {
      const reg = registry();
      const id = await evidenced({ validation: typedValidation(), paper: null });
      const [record] = await reg.listValidations(id);
      expect(record).toMatchObject({ verified: false });
      const checklist = await reg.generatePromotionChecklist(id, { stage: 'paper' });
      expect(gateOf(checklist, 'walk-forward-oos-sharpe')).toMatchObject({ status: 'missing', measured: null, measuredText: '0.9 (unverified)', evidence: record?.id });
      expect(gateOf(checklist, 'walk-forward-oos-sharpe')?.detail).toContain('is unverified');
      const strict = await reg.isPromotionReady(id, { strict: true, stage: 'paper' });
      expect(strict.blockers.map((b) => b.gate)).toEqual(['walk-forward-oos-sharpe', 'walk-forward-overfit-ratio']);
      await expect(reg.promote(id, { stage: 'paper', by: 'dana' })).rejects.toMatchObject({ code: 'PROMOTION_BLOCKED' });
    });

    it('never lets a newer unverified record mask an older failing verified one; a newer verified one replaces it', async () => {
      const reg = registry();
      const id = await evidenced({ validation: validation({ meanIsSharpe: 1.4, meanOosSharpe: 0.3 }), paper: null });
      const failing = (await reg.listValidations(id))[0];
      await reg.recordValidation(id, typedValidation({ meanIsSharpe: 1.2, meanOosSharpe: 0.9 }));
      const masked = await reg.generatePromotionChecklist(id, { stage: 'paper' });
      expect(gateOf(masked, 'walk-forward-oos-sharpe')).toMatchObject({ status: 'fail', measured: 0.3, evidence: failing?.id });
      expect(gateOf(masked, 'walk-forward-oos-sharpe')?.detail).toContain('newer unverified');
      expect((await reg.summarize(id, { stage: 'paper' })).candidate.validation?.id).toBe(failing?.id);
      const replaced = await reg.recordValidation(id, validation({ meanIsSharpe: 1.2, meanOosSharpe: 0.9 }));
      const fixed = await reg.generatePromotionChecklist(id, { stage: 'paper' });
      expect(gateOf(fixed, 'walk-forward-oos-sharpe')).toMatchObject({ status: 'pass', measured: 0.9, evidence: replaced.id });
    });

    it('refuses an artifact of another strategy than the experiment’s, naming the field', async () => {
      const reg = registry();
      const id = await evidenced({ validation: null, paper: null });
      await expect(reg.recordValidation(id, { ...validation(), strategy: 'bracket-momentum' })).rejects.toThrow(
        `strategy: the walk-forward ran bracket-momentum, but ${id} is an experiment of sma-crossover`,
      );
    });
  });

  describe('separation of duties', () => {
    it('refuses an approval by the owner or by anyone who recorded the snapshot’s evidence, naming who and why', async () => {
      const reg = registry(DEFAULT_PROMOTION_GATE_CONFIG, steppingClock());
      const id = await evidenced({ backtest: null, validation: null, paper: null, review: null });
      await reg.recordBacktest(id, backtest(), { recordedBy: 'carol' });
      await reg.recordValidation(id, validation(), { recordedBy: 'victor' });
      for (const [reviewer, why] of [
        ['alice', 'alice owns the experiment'],
        [' ALICE ', 'ALICE owns the experiment'],
        ['carol', 'carol recorded evidence of the snapshot'],
        ['Victor', 'Victor recorded evidence of the snapshot'],
      ] as const) {
        const refused = reg.recordReview(id, { decision: 'approved', reviewer, comment: null });
        await expect(refused).rejects.toBeInstanceOf(RegistryError);
        await expect(reg.recordReview(id, { decision: 'approved', reviewer, comment: null })).rejects.toMatchObject({
          code: 'REGISTRY_SEPARATION_OF_DUTIES',
          message: expect.stringContaining(`reviewer: ${why}`),
        });
      }
      expect(await reg.listReviews(id)).toEqual([]);
      // Requesting changes is open to anyone; an independent reviewer approves.
      await reg.recordReview(id, { decision: 'changes-requested', reviewer: 'alice', comment: 'more data' });
      await reg.recordReview(id, { decision: 'approved', reviewer: 'bob', comment: null });
      expect(statusOf(await reg.generatePromotionChecklist(id, { stage: 'paper' }), 'review-approved')).toBe('pass');
    });

    it('stamps records with the registry’s default recorder, and fails the review gate when the approver later records evidence', async () => {
      const reg = new ResearchRegistry(database().handle.db, { clock: steppingClock(), recorder: 'rob' });
      const id = await evidenced({ validation: null, paper: null, review: null }, reg);
      expect((await reg.listBacktests(id))[0]?.recordedBy).toBe('rob');
      await expect(reg.recordReview(id, { decision: 'approved', reviewer: 'rob', comment: null })).rejects.toMatchObject({ code: 'REGISTRY_SEPARATION_OF_DUTIES' });
      await reg.recordReview(id, { decision: 'approved', reviewer: 'bob', comment: null });
      await reg.recordValidation(id, validation(), { recordedBy: 'bob' });
      const item = (await reg.generatePromotionChecklist(id, { stage: 'paper' })).items.find((i) => i.gate === 'review-approved');
      expect(item).toMatchObject({ status: 'fail', measuredText: 'not independent' });
      expect(item?.detail).toContain('bob recorded evidence of the snapshot');
    });
  });

  describe('paper days: trading days after the paper promotion, never in the future', () => {
    const day = (date: string): PaperDayInput => ({ ...(paperDays(1)[0] as PaperDayInput), date });

    it.each([
      ['a weekend day', '2024-01-06', 'days[0].date: 2024-01-06 is not a trading day of the NYSE calendar'],
      ['a holiday (Martin Luther King Jr. Day)', '2024-01-15', 'days[0].date: 2024-01-15 is not a trading day of the NYSE calendar'],
      ['a date after the clock’s today', '2024-06-04', 'days[0].date: 2024-06-04 is in the future (today is 2024-06-03)'],
      ['the day of the paper promotion', '2024-01-02', 'days[0].date: 2024-01-02 is not after the paper promotion'],
      ['a day before the paper promotion', '2023-12-29', 'days[0].date: 2023-12-29 is not after the paper promotion'],
    ])('refuses %s, writing nothing', async (_title, date, message) => {
      const reg = registry();
      const id = await evidenced({ paper: null });
      await paperPromotion(id, '2024-01-02T15:00:00.000Z');
      await expect(reg.recordPaperDays(id, [day('2024-01-03'), day(date)].reverse())).rejects.toMatchObject({ code: 'REGISTRY_PAPER_DAY_REFUSED', message: expect.stringContaining(message) });
      expect(await reg.listPaperDays(id)).toEqual([]);
    });

    it('refuses paper days of a snapshot that was never promoted to paper', async () => {
      const reg = registry();
      const id = await evidenced({ paper: null });
      await expect(reg.recordPaperDays(id, [day('2024-01-03')])).rejects.toMatchObject({
        code: 'REGISTRY_PAPER_DAY_REFUSED',
        message: expect.stringContaining('has not been promoted to paper'),
      });
    });

    it('counts the run by the injected calendar', async () => {
      const weekdays = { name: 'weekdays', isSession: (t: number) => ![0, 6].includes(new Date(t).getUTCDay()) };
      const reg = new ResearchRegistry(database().handle.db, { clock: steppingClock(), calendar: weekdays });
      const id = await evidenced({ paper: [day('2024-01-12'), day('2024-01-15'), day('2024-01-16')] }, reg);
      expect((await reg.generatePromotionChecklist(id, { stage: 'live' })).paper.streakDays).toBe(3);
      expect((await registry().generatePromotionChecklist(id, { stage: 'live' })).paper.streakDays).toBe(1);
    });
  });

  describe('strategy catalog', () => {
    const catalog: StrategyCatalog = {
      strategies: () => ['sma-crossover'],
      checkParams: (_strategy, params) => {
        if (typeof params['fast'] !== 'number') throw new ConfigError('params.fast', 'must be a number');
        if (typeof params['slow'] === 'number' && params['fast'] >= params['slow']) throw new ConfigError('params.fast', 'must be below params.slow');
      },
    };

    it('refuses an unknown strategy naming the field, and parameters that do not fit, writing no snapshot', async () => {
      const reg = new ResearchRegistry(database().handle.db, { clock: steppingClock(), strategies: catalog });
      await expect(reg.createExperiment({ strategy: 'sma-crossuver', hypothesis: 'h', owner: 'alice' })).rejects.toThrow(
        "strategy: unknown strategy 'sma-crossuver'; available: sma-crossover",
      );
      const experiment = await reg.createExperiment({ strategy: 'sma-crossover', hypothesis: 'h', owner: 'alice' });
      await expect(reg.createSnapshot(experiment.id, { fast: 30, slow: 10 })).rejects.toMatchObject({ key: 'params.fast' });
      await expect(reg.createSnapshot(experiment.id, { fast: '10' })).rejects.toThrow('params.fast: must be a number');
      expect(await reg.listSnapshots(experiment.id)).toEqual([]);
      expect((await reg.createSnapshot(experiment.id, { fast: 10, slow: 30 })).created).toBe(true);
    });
  });
});
