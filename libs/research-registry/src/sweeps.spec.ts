import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, EpochMs } from '@quantbot/core';
import { DataError, epochMs } from '@quantbot/core';
import { STORAGE_MIGRATIONS, openDatabase } from '@quantbot/storage';
import { describeStorageBackends } from '@quantbot/storage/testing';
import type { BacktestInput } from './backtest-evidence';
import type { RegistryTables } from './registry-schema';
import { REGISTRY_MIGRATIONS } from './registry-schema';
import { ResearchRegistry } from './research-registry';
import type { SweepInput } from './sweep-evidence';
import { sweepInputFromRunFolder } from './sweep-evidence';

const SLOW = 60_000;
const SHA_FILE = 'f1'.repeat(32);

function clock(): Clock {
  let n = 0;
  return { now: (): EpochMs => epochMs(Date.parse('2024-06-03T09:00:00Z') + 1000 * n++) };
}

/** A `sweep.json` as the validation library writes it, with `sharpes.length` trials (best first). */
function sweepDocument(sharpes: readonly (number | null)[], change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    kind: 'sweep',
    strategy: 'sma-crossover',
    objective: 'sharpe',
    space: { text: 'fast=5..20:5,slow=30..60:10', size: 16, dimensions: [] },
    settings: { baseParams: {}, startingCash: 100_000, sizing: { kind: 'fixed-fraction', fraction: 1 }, execution: null, fillModel: 'simulator', seed: 42 },
    period: { start: '2020-01-01T00:00:00.000Z', end: '2021-06-01T00:00:00.000Z', bars: 400 },
    trials: sharpes.length,
    invalid: 2,
    invalidPoints: [],
    results: sharpes.map((sharpe, i) => ({ rank: i + 1, pointIndex: i, params: {}, resolvedParams: {}, objectiveValue: sharpe, metrics: { sharpe, bars: 400, closedTrades: 3 } })),
    statistics: {
      deflatedSharpe: { value: 0.42, selectedSharpe: 0.05, expectedMaxSharpe: 0.06, sharpeVariance: 0.0004, trials: sharpes.length, observations: 399, reason: null },
      pbo: { value: 0.25, blocks: 16, combinations: 12870, probabilityOfLoss: 0.3, trials: sharpes.length, reason: null },
    },
    ...change,
  };
}

const SHARPES = [1.5, 1.0, 0.5, null, -0.5, 0.25, 0.75, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 1.1];

function sweep(options: { readonly runId?: string; readonly sha?: string; readonly execution?: 'local' | 'distributed'; readonly doc?: Record<string, unknown> } = {}): SweepInput {
  return sweepInputFromRunFolder({
    runId: options.runId ?? '20240603T090000Z-sweep-1a2b3c4d',
    digest: 'd1'.repeat(32),
    artifactSha256: options.sha ?? 'a0'.repeat(32),
    execution: options.execution ?? 'local',
    artifact: options.doc ?? sweepDocument(SHARPES),
  });
}

const BACKTEST: BacktestInput = {
  runId: 'run-1',
  digest: 'ab'.repeat(32),
  digestVerified: true,
  metrics: { sharpe: 1.1, totalReturn: 0.2, maxDrawdownPct: 5, closedTrades: 40, extra: {} },
  dataQualityErrors: 0,
  lookaheadPassed: true,
};

describe('sweepInputFromRunFolder', () => {
  it('reads the trials, invalid points and the dispersion of the trials’ Sharpe ratios (a missing Sharpe counts as 0)', () => {
    const input = sweep();
    const counted = SHARPES.map((s) => s ?? 0);
    const mean = counted.reduce((a, b) => a + b, 0) / counted.length;
    const variance = counted.reduce((a, b) => a + (b - mean) ** 2, 0) / (counted.length - 1);
    expect(input).toMatchObject({ strategy: 'sma-crossover', strategyFileSha256: null, trials: 16, invalid: 2, space: 'fast=5..20:5,slow=30..60:10', bars: 400, bestSharpe: 1.5 });
    expect(input.sharpeMean).toBeCloseTo(mean, 12);
    expect(input.sharpeVariance).toBeCloseTo(variance, 12);
    expect(input).toMatchObject({ deflatedSharpe: 0.42, perBarSharpeVariance: 0.0004, pbo: 0.25 });
    expect(sweep({ doc: sweepDocument([0.5], { statistics: null }) })).toMatchObject({ trials: 1, sharpeVariance: null, deflatedSharpe: null, pbo: null });
  });

  it('reads a sweep of 200 000 trials (a grid spread over many workers), its best Sharpe too', () => {
    const sharpes = Array.from({ length: 200_000 }, (_, i) => (i === 123_456 ? 3.25 : (i % 1000) / 1000));
    expect(sweep({ doc: sweepDocument(sharpes) })).toMatchObject({ trials: 200_000, bestSharpe: 3.25 });
  });

  it('refuses a document whose results do not match its trial count, or of another kind, naming the file and the field', () => {
    const read = (doc: Record<string, unknown>): SweepInput =>
      sweepInputFromRunFolder({ runId: 'r-1', digest: 'd1'.repeat(32), artifactSha256: 'a0'.repeat(32), execution: 'local', artifact: doc }, { file: '/runs/r-1/sweep.json' });
    expect(() => read(sweepDocument(SHARPES, { trials: 17 }))).toThrow(DataError);
    expect(() => read(sweepDocument(SHARPES, { trials: 17 }))).toThrow(/\/runs\/r-1\/sweep\.json.*results.*holds 16 trial\(s\), but trials says 17/);
    expect(() => read(sweepDocument(SHARPES, { kind: 'walk-forward' }))).toThrow(/kind.*must be 'sweep'/);
    expect(() => read(sweepDocument(SHARPES, { trials: 0, results: [] }))).toThrow(/trials.*must be at least 1/);
  });
});

describeStorageBackends<RegistryTables>('sweeps in the registry', { migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS] }, ({ database }) => {
  it('counts a recorded sweep’s trials in the experiment’s trial count, the checklist and the summary; the same sweep twice counts once', async () => {
    const registry = new ResearchRegistry(database().handle.db, { clock: clock(), recorder: 'carol' });
    const { id } = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trends persist', owner: 'alice' });
    await registry.createSnapshot(id, { fast: 10, slow: 30 });
    await registry.recordBacktest(id, BACKTEST);
    expect(await registry.trialCount(id)).toBe(1);

    const first = await registry.recordSweep(id, sweep({ execution: 'distributed' }));
    expect(first.created).toBe(true);
    expect(first.record).toMatchObject({ id: expect.stringMatching(/^sweep-\d+$/), experimentId: id, trials: 16, invalid: 2, execution: 'distributed', reproduced: false, recordedBy: 'carol' });
    expect(await registry.trialCount(id)).toBe(1 + 16);
    expect(await registry.trialCounts(id)).toEqual({ total: 17, backtests: 1, sweeps: 1, sweepTrials: 16 });

    // The same sweep.json from another run folder (a local run of the same sweep): nothing changes.
    const again = await registry.recordSweep(id, sweep({ runId: '20240604T090000Z-sweep-9f8e7d6c', execution: 'local' }));
    expect(again).toEqual({ record: first.record, created: false });
    expect(await registry.trialCount(id)).toBe(17);

    // Another sweep adds its own trials; one the caller re-ran says so.
    const third = await registry.recordSweep(id, { ...sweep({ sha: 'b0'.repeat(32), doc: sweepDocument([0.1, 0.2, 0.3]) }), reproduced: true });
    expect(third.record).toMatchObject({ trials: 3, reproduced: true });
    expect(await registry.trialCounts(id)).toEqual({ total: 20, backtests: 1, sweeps: 2, sweepTrials: 19 });
    expect((await registry.listSweeps(id)).map((s) => s.trials)).toEqual([16, 3]);

    const checklist = await registry.generatePromotionChecklist(id);
    expect(checklist).toMatchObject({ trialCount: 20, trials: { total: 20, backtests: 1, sweeps: 2, sweepTrials: 19 } });
    const summary = await registry.summarize(id);
    expect(summary).toMatchObject({ trialCount: 20, trials: { sweeps: 2 } });
    expect(summary.sweeps.map((s) => s.id)).toEqual([first.record.id, expect.any(String)]);

    // Sweeps of one experiment never count for another.
    const other = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'h', owner: 'alice' });
    expect(await registry.trialCount(other.id)).toBe(0);
    expect((await registry.recordSweep(other.id, sweep())).created).toBe(true);
    expect(await registry.trialCounts(other.id)).toEqual({ total: 16, backtests: 0, sweeps: 1, sweepTrials: 16 });
    expect(await registry.trialCount(id)).toBe(20);
  }, SLOW);

  it('refuses a sweep of another strategy or strategy file, naming the field, and records nothing', async () => {
    const registry = new ResearchRegistry(database().handle.db, { clock: clock() });
    const { id } = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'h', owner: 'alice' });
    await expect(registry.recordSweep(id, sweep({ doc: sweepDocument(SHARPES, { strategy: 'rsi-reversion' }) }))).rejects.toMatchObject({
      key: 'strategy',
      message: expect.stringContaining(`the sweep ran 'rsi-reversion', but ${id} is an experiment of 'sma-crossover'`),
    });
    const withFile = sweepDocument(SHARPES, { settings: { ...(sweepDocument(SHARPES)['settings'] as object), strategyFile: { path: '/s/x.ts', sha256: SHA_FILE } } });
    await expect(registry.recordSweep(id, sweep({ doc: withFile }))).rejects.toMatchObject({ key: 'strategyFileSha256', message: expect.stringContaining(SHA_FILE) });
    expect(await registry.trialCounts(id)).toEqual({ total: 0, backtests: 0, sweeps: 0, sweepTrials: 0 });
    await expect(registry.recordSweep('exp-999', sweep())).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
  }, SLOW);
});

describe('registry migration 0006 (sweeps)', () => {
  it('adds sweeps to a database at migration 0005 without changing its trial count', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'qb-registry-migration-'));
    const env = { QUANTBOT_DATA_DIR: join(cwd, 'quantbot') };
    try {
      const before = await openDatabase<RegistryTables>({ migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS.slice(0, 5)], env, cwd });
      let experimentId: string;
      try {
        const registry = new ResearchRegistry(before.db, { clock: clock() });
        experimentId = (await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'h', owner: 'alice' })).id;
        await registry.createSnapshot(experimentId, { fast: 10, slow: 30 });
        await registry.recordBacktest(experimentId, BACKTEST);
      } finally {
        await before.close();
      }
      const after = await openDatabase<RegistryTables>({ migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS], env, cwd });
      try {
        const registry = new ResearchRegistry(after.db, { clock: clock() });
        expect(await registry.trialCounts(experimentId)).toEqual({ total: 1, backtests: 1, sweeps: 0, sweepTrials: 0 });
        await registry.recordSweep(experimentId, sweep());
        expect(await registry.trialCount(experimentId)).toBe(17);
      } finally {
        await after.close();
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, SLOW);
});
