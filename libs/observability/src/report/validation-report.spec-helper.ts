import type { SweepReportInput, SweepReportTrial } from './sweep-report';
import type { WalkForwardReportFold, WalkForwardReportInput } from './walk-forward-report';
import type { ReportMetrics } from './validation-report-page';

/** Metrics of a trial whose Sharpe ratio is `sharpe` (null: undefined). */
export function metrics(sharpe: number | null, totalReturn = 0.1): ReportMetrics {
  return { totalReturn, cagr: totalReturn / 2, sharpe, sortino: sharpe, calmar: null, maxDrawdownPct: 12.5, closedTrades: 7, winRate: 0.5, bars: 500 };
}

/**
 * A sweep over `fast` × `slow` × `stop` (3 × 2 × 2 = 12 points) ranked by a made-up Sharpe:
 * best at fast=10, slow=40, stop=0.02; the point fast=15, slow=20, stop=0.01 never traded (null).
 */
export function sweepInput(overrides: Partial<SweepReportInput> = {}): SweepReportInput {
  const trials: Omit<SweepReportTrial, 'rank'>[] = [];
  for (const fast of [5, 10, 15]) {
    for (const slow of [20, 40]) {
      for (const stop of [0.01, 0.02]) {
        const sharpe = fast === 15 && slow === 20 && stop === 0.01 ? null : 1 - Math.abs(fast - 10) / 10 + (slow === 40 ? 0.3 : 0) + (stop === 0.02 ? 0.1 : -0.05);
        trials.push({ params: { fast, slow, stop }, objectiveValue: sharpe, metrics: metrics(sharpe) });
      }
    }
  }
  const ranked = [...trials].sort((a, b) => (b.objectiveValue ?? -Infinity) - (a.objectiveValue ?? -Infinity)).map((t, i) => ({ ...t, rank: i + 1 }));
  return {
    runId: '20260102T030405Z-sweep-abc',
    source: 'synthetic <data> & more',
    strategy: 'sma-crossover',
    objective: 'sharpe',
    space: {
      text: 'fast=5..15:5,slow=[20,40],stop=[0.01,0.02]',
      dimensions: [
        { name: 'fast', values: [5, 10, 15] },
        { name: 'slow', values: [20, 40] },
        { name: 'stop', values: [0.01, 0.02] },
      ],
    },
    period: { start: '2020-01-01T00:00:00.000Z', end: '2021-12-31T00:00:00.000Z', bars: 500 },
    trials: ranked.length,
    invalid: 1,
    invalidPoints: [{ params: { fast: 40, slow: 20, stop: 0.01 }, reason: 'fast must be below slow <b>' }],
    results: ranked,
    statistics: {
      deflatedSharpe: { value: 0.62, selectedSharpe: 0.09, expectedMaxSharpe: 0.07, sharpeVariance: 0.001, trials: 12, observations: 500, reason: null },
      pbo: { value: 0.25, blocks: 16, combinations: 12870, probabilityOfLoss: 0.1, trials: 12, reason: null },
    },
    generatedAt: '2026-01-02T03:04:05.000Z',
    ...overrides,
  };
}

const DAY_MS = 86_400_000;

function fold(index: number, isSharpe: number | null, oosSharpe: number | null, chosen: Record<string, number | string>): WalkForwardReportFold {
  const day = (d: number): string => new Date(Date.UTC(2020, 0, 1) + d * DAY_MS).toISOString();
  const testStart = 100 + index * 50;
  return {
    index,
    trainStart: day(testStart - 100),
    trainEnd: day(testStart - 1),
    testStart: day(testStart),
    testEnd: day(testStart + 49),
    chosenParams: chosen,
    inSample: metrics(isSharpe, 0.2),
    outOfSample: metrics(oosSharpe, 0.05),
    trials: 6,
    invalid: 0,
    statistics: { deflatedSharpe: { value: 0.4, reason: null }, pbo: { value: null, reason: 'PBO needs at least 2 trials <i>' } },
  };
}

/** A 3-fold walk-forward (daily test windows of 50 bars from 2020-04-10) with its stitched curve, one point per test day. */
export function walkForwardInput(overrides: Partial<WalkForwardReportInput> = {}): WalkForwardReportInput {
  const folds = [fold(0, 1.5, 0.5, { fast: 5, slow: 20, mode: 'a' }), fold(1, 1.2, null, { fast: 10, slow: 20, mode: 'b' }), fold(2, 0.9, 0.7, { fast: 10, slow: 40, mode: 'a' })];
  const time: number[] = [];
  const equity: number[] = [];
  for (let d = 0; d < 150; d++) {
    time.push(Date.UTC(2020, 0, 1) + (100 + d) * DAY_MS);
    equity.push(100_000 * (1 + 0.001 * d + 0.01 * Math.sin(d / 5)));
  }
  return {
    runId: '20260102T030405Z-walk-forward-abc',
    source: 'synthetic',
    strategy: 'sma-crossover',
    objective: 'sharpe',
    space: { text: 'fast=5..10:5,slow=[20,40]' },
    search: { kind: 'grid' },
    layout: { train: 100, test: 50, step: 50, anchored: false, purge: 0, embargo: 0 },
    folds,
    overall: {
      oosMetrics: metrics(0.4, 0.15),
      oosPeriod: { start: folds[0]?.testStart ?? '', end: folds[2]?.testEnd ?? '', bars: 150 },
      oosPsr: 0.81,
      meanIsSharpe: 1.2,
      meanOosSharpe: 0.4,
      overfitRatio: 3,
      overfitRatioStatus: 'finite',
      pass: false,
      reasons: ['overfit ratio 3.000 > 2 <b>'],
      thresholds: { maxOverfitRatio: 2, minOosSharpe: 0 },
    },
    trials: 18,
    oosEquity: { time, equity },
    generatedAt: '2026-01-02T03:04:05.000Z',
    ...overrides,
  };
}
