import { formatIsoTime } from '@quantbot/core';
import type { PerformanceMetrics } from '@quantbot/engine';
import { resolveExecutionProfile } from '@quantbot/execution-sim';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { parseParameterSpace } from './parameter-space';
import type { SweepResult } from './sweep';
import { runSweep } from './sweep';
import { VALIDATION_SCHEMA_VERSION, metricsSummary, selectionStatistics, sweepArtifact, walkForwardArtifact } from './validation-artifacts';
import type { WalkForwardResult } from './walk-forward';
import { runWalkForward } from './walk-forward';
import { finiteOrNull } from '@quantbot/core';

/** True when `value` survives JSON unchanged: no NaN, Infinity, undefined or typed arrays. */
function isJsonSafe(value: unknown): boolean {
  return JSON.stringify(JSON.parse(JSON.stringify(value))) === JSON.stringify(value) && expectDeepJson(value);
}

function expectDeepJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(expectDeepJson);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(expectDeepJson);
  return false;
}

const universe = generateSyntheticUniverse({ symbols: 1, bars: 1300, seed: 4 });
const space = parseParameterSpace('fast=5..15:5,slow=20..60:20');

describe('metricsSummary', () => {
  it('keeps the listed metrics, non-finite numbers as null', () => {
    const m = { totalReturn: 0.1, cagr: null, sharpe: Number.NaN, sortino: Infinity, calmar: 1, annualVolatility: 0.2, maxDrawdownPct: 5, closedTrades: 3, winRate: 0.5, profitFactor: null, exposure: 0.4, turnover: 2, totalCommission: 0, bars: 10 } as unknown as PerformanceMetrics;
    expect(metricsSummary(m)).toEqual({ totalReturn: 0.1, cagr: null, sharpe: null, sortino: null, calmar: 1, annualVolatility: 0.2, maxDrawdownPct: 5, closedTrades: 3, winRate: 0.5, profitFactor: null, exposure: 0.4, turnover: 2, totalCommission: 0, bars: 10 });
    expect(finiteOrNull(-Infinity)).toBeNull();
    expect(finiteOrNull(undefined)).toBeNull();
    expect(finiteOrNull(-0.5)).toBe(-0.5);
  });
});

describe('sweepArtifact', () => {
  let sweep: SweepResult;
  beforeAll(async () => {
    sweep = await runSweep({ universe, strategy: 'sma-crossover', space, startingCash: 100_000, sizing: { kind: 'percent-of-cash', percent: 50 }, execution: resolveExecutionProfile('realistic'), objective: 'sortino', workers: 1 });
  });

  it('describes the sweep in schema version 1, trials best first', () => {
    const a = sweepArtifact(sweep);
    expect(a).toMatchObject({ schemaVersion: 1, kind: 'sweep', strategy: 'sma-crossover', objective: 'sortino', trials: 9, invalid: 0 });
    expect(VALIDATION_SCHEMA_VERSION).toBe(1);
    expect(a.space).toMatchObject({ text: 'fast=5..15:5,slow=20..60:20', size: 9 });
    expect(a.period).toEqual({ start: formatIsoTime(universe.time[0] as number), end: formatIsoTime(universe.time[1299] as number), bars: 1300 });
    expect(a.results.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.results[0]).toMatchObject({ pointIndex: sweep.best.pointIndex, params: sweep.best.params, objectiveValue: sweep.best.metrics.sortino });
    expect(a.settings).toMatchObject({ startingCash: 100_000, sizing: { kind: 'percent-of-cash', percent: 50 }, fillModel: 'simulator', seed: 0 });
    expect(a.settings.execution).toMatchObject({ name: 'realistic', maxParticipation: 0.1 });
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    const a = sweepArtifact(sweep);
    expect(isJsonSafe(a)).toBe(true);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('carries the deflated Sharpe ratio and the PBO of the selection', () => {
    const { deflatedSharpe, pbo } = sweepArtifact(sweep).statistics ?? selectionStatistics(sweep);
    expect(deflatedSharpe.reason).toBeNull();
    expect(deflatedSharpe.value).toBeGreaterThanOrEqual(0);
    expect(deflatedSharpe.value).toBeLessThanOrEqual(1);
    expect(deflatedSharpe).toMatchObject({ trials: 9, observations: 1300 });
    expect(pbo.reason).toBeNull();
    expect(pbo).toMatchObject({ blocks: 16, combinations: 12870, trials: 9 });
    expect(pbo.value).toBeGreaterThanOrEqual(0);
    expect(pbo.value).toBeLessThanOrEqual(1);
  });

  it('gives a null statistic with its reason when it cannot be computed, and none when not asked', async () => {
    const single = await runSweep({ universe, strategy: 'sma-crossover', points: [{ fast: 10, slow: 40 }], startingCash: 100_000, sizing: { kind: 'fixed-shares', shares: 10 }, objective: 'sharpe', workers: 1 });
    const stats = selectionStatistics(single);
    expect(stats.pbo).toEqual({ value: null, reason: 'PBO needs at least 2 trials' });
    expect(stats.deflatedSharpe.value).not.toBeNull();
    expect(sweepArtifact(single, { statistics: false }).statistics).toBeNull();
    expect(sweepArtifact(single).space).toBeNull();
  });
});

describe('walkForwardArtifact', () => {
  let result: WalkForwardResult;
  beforeAll(async () => {
    result = await runWalkForward({
      universe,
      strategy: 'sma-crossover',
      space,
      search: { kind: 'grid' },
      objective: 'sharpe',
      train: 500,
      test: 200,
      anchored: false,
      purge: 3,
      embargo: 7,
      startingCash: 100_000,
      sizing: { kind: 'percent-of-cash', percent: 50 },
      workers: 1,
    });
  });

  it('lists each fold with the ISO times of its first and last bars, and the windows as bar indices', () => {
    const a = walkForwardArtifact(result);
    expect(a).toMatchObject({ schemaVersion: 1, kind: 'walk-forward', strategy: 'sma-crossover', objective: 'sharpe', search: { kind: 'grid' } });
    expect(a.layout).toEqual({ train: 500, test: 200, step: 200, anchored: false, purge: 3, embargo: 7 });
    expect(a.folds).toHaveLength(result.folds.length);
    a.folds.forEach((f, i) => {
      const w = result.folds[i]?.window;
      if (w === undefined) throw new Error('missing fold');
      const iso = (k: number): string => formatIsoTime(universe.time[k] as number);
      expect(f).toMatchObject({ index: i, trainStart: iso(w.trainStart), trainEnd: iso(w.trainEnd - 1), testStart: iso(w.testStart), testEnd: iso(w.testEnd - 1) });
      expect(f.bars).toEqual({ trainStart: w.trainStart, trainEnd: w.trainEnd, testStart: w.testStart, testEnd: w.testEnd, warmup: result.folds[i]?.warmupBars });
      expect(f.chosenParams).toEqual(result.folds[i]?.chosenParams);
      expect(f.inSample.sharpe).toBe(finiteOrNull(result.folds[i]?.inSample.sharpe));
      expect(f.outOfSample.bars).toBe(200);
      expect(f.statistics?.deflatedSharpe).toBeDefined();
    });
    expect(a.trials).toBe(result.trials);
  });

  it('states the verdict with a finite ratio or null and its status', () => {
    const a = walkForwardArtifact(result);
    expect(a.overall).toMatchObject({ pass: result.pass, reasons: result.reasons, overfitRatioStatus: result.overfitRatioStatus, thresholds: { maxOverfitRatio: 2, minOosSharpe: 0 } });
    expect(a.overall.overfitRatio).toBe(finiteOrNull(result.overfitRatio));
    expect(a.overall.oosPeriod.bars).toBe(result.oosTime.length);
    expect(a.overall.oosPsr === null || (a.overall.oosPsr >= 0 && a.overall.oosPsr <= 1)).toBe(true);
  });

  it('writes an infinite overfit ratio as null with status "infinite", and stays plain JSON', () => {
    const infinite: WalkForwardResult = { ...result, overfitRatio: Infinity, overfitRatioStatus: 'infinite', pass: false, reasons: ['overfit ratio is infinite'] };
    const a = walkForwardArtifact(infinite);
    expect(a.overall).toMatchObject({ overfitRatio: null, overfitRatioStatus: 'infinite', pass: false });
    expect(isJsonSafe(a)).toBe(true);
    expect(isJsonSafe(walkForwardArtifact(result, { statistics: false }))).toBe(true);
  });
});
