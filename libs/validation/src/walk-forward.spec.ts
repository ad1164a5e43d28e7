import { ConfigError } from '@quantbot/core';
import { sliceUniverse } from '@quantbot/engine';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { createStrategy } from '@quantbot/strategies';
import { gridPoints, parseParameterSpace, randomPoints } from './parameter-space';
import { openSweepPool, runSweep } from './sweep';
import type { WalkForwardOptions, WalkForwardResult } from './walk-forward';
import { assessOverfitting, planWalkForward, runWalkForward, warmupBarsFor } from './walk-forward';

describe('planWalkForward', () => {
  it('rolls a training window of fixed length, testing right after it', () => {
    expect(planWalkForward(1000, { train: 500, test: 200, anchored: false })).toEqual([
      { index: 0, trainStart: 0, trainEnd: 500, testStart: 500, testEnd: 700 },
      { index: 1, trainStart: 200, trainEnd: 700, testStart: 700, testEnd: 900 },
    ]);
  });

  it('anchors every training window at bar 0 when asked', () => {
    const folds = planWalkForward(1000, { train: 500, test: 200, anchored: true });
    expect(folds.map((f) => [f.trainStart, f.trainEnd])).toEqual([
      [0, 500],
      [0, 700],
    ]);
  });

  it('leaves a gap of purge bars between training and test', () => {
    expect(planWalkForward(1000, { train: 400, test: 200, anchored: false, purge: 10 })).toEqual([
      { index: 0, trainStart: 0, trainEnd: 400, testStart: 410, testEnd: 610 },
      { index: 1, trainStart: 200, trainEnd: 600, testStart: 610, testEnd: 810 },
    ]);
  });

  it('skips embargo bars after each test window: no test uses them, nor the next fold training', () => {
    const folds = planWalkForward(1200, { train: 400, test: 200, anchored: false, purge: 10, embargo: 30 });
    expect(folds).toEqual([
      { index: 0, trainStart: 0, trainEnd: 400, testStart: 410, testEnd: 610 },
      { index: 1, trainStart: 200, trainEnd: 600, testStart: 640, testEnd: 840 },
      { index: 2, trainStart: 430, trainEnd: 830, testStart: 870, testEnd: 1070 },
    ]);
    for (let i = 1; i < folds.length; i++) {
      const previous = folds[i - 1];
      const fold = folds[i];
      if (previous === undefined || fold === undefined) throw new Error('missing fold');
      // The embargoed bars [previous.testEnd, previous.testEnd + 30) are neither trained on by this fold nor tested.
      expect(fold.trainEnd).toBeLessThanOrEqual(previous.testEnd);
      expect(fold.testStart).toBe(previous.testEnd + 30);
    }
  });

  it('advances by step when it is longer than the test window, and never builds a partial fold', () => {
    const folds = planWalkForward(1000, { train: 300, test: 100, step: 250, anchored: false });
    expect(folds.map((f) => [f.trainStart, f.trainEnd, f.testStart, f.testEnd])).toEqual([
      [0, 300, 300, 400],
      [250, 550, 550, 650],
      [500, 800, 800, 900],
    ]);
  });

  it.each([
    [{ train: 1 }, /^train: must be a whole number of bars, at least 2/],
    [{ test: 0 }, /^test: /],
    [{ test: 10.5 }, /^test: /],
    [{ step: 50 }, /^step: must be at least test \(100\)/],
    [{ purge: -1 }, /^purge: /],
    [{ embargo: 1.5 }, /^embargo: /],
    [{ train: 950 }, /^train: the data has 1000 bars; one fold needs train \+ purge \+ test = 1050/],
  ])('rejects %p with a ConfigError naming the flag', (override, message) => {
    const attempt = (): unknown => planWalkForward(1000, { train: 300, test: 100, anchored: false, ...override });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });
});

describe('assessOverfitting', () => {
  it.each([
    // [IS Sharpes, OOS Sharpes, ratio, status, pass]
    [[1.2, 0.8], [0.6, 0.4], 2, 'finite', true],
    [[1.5, 1.5], [0.5, 0.5], 3, 'finite', false],
    [[1, 1], [0, 0], Infinity, 'infinite', false],
    [[1, 1], [-0.5, 0.2], Infinity, 'infinite', false],
    [[0, 0], [0, 0], null, 'no-in-sample-edge', false],
    [[-1, 0.5], [-0.2, -0.1], null, 'no-in-sample-edge', false],
    [[-1, 0.5], [1, 1], null, 'no-in-sample-edge', false],
    [[null, 1], [null, 0.5], 2, 'finite', true],
  ])('IS %p, OOS %p: ratio %p (%s), pass %p', (is, oos, ratio, status, pass) => {
    const a = assessOverfitting(is, oos);
    expect(a.overfitRatio).toBe(ratio);
    expect(a.overfitRatioStatus).toBe(status);
    expect(a.pass).toBe(pass);
    expect(a.reasons.length === 0).toBe(pass);
  });

  it('explains each failed check', () => {
    expect(assessOverfitting([1], [-0.1]).reasons).toEqual([
      'overfit ratio is infinite: mean in-sample Sharpe 1.000 > 0 but mean out-of-sample Sharpe -0.100 ≤ 0',
      'mean out-of-sample Sharpe -0.100 < 0',
    ]);
    expect(assessOverfitting([-0.5], [0.3]).reasons).toEqual(['no in-sample edge: mean in-sample Sharpe -0.500 ≤ 0']);
    expect(assessOverfitting([3], [1], { maxOverfitRatio: 2, minOosSharpe: 1.5 }).reasons).toEqual([
      'overfit ratio 3.000 > 2 (mean IS Sharpe 3.000 / mean OOS Sharpe 1.000)',
      'mean out-of-sample Sharpe 1.000 < 1.5',
    ]);
  });

  it('applies the thresholds it is given', () => {
    expect(assessOverfitting([3], [1], { maxOverfitRatio: 3 }).pass).toBe(true);
    expect(assessOverfitting([3], [1], { maxOverfitRatio: 2.9 }).pass).toBe(false);
    expect(assessOverfitting([1], [0.6], { minOosSharpe: 0.6 }).pass).toBe(true);
    expect(assessOverfitting([1], [0.6], { minOosSharpe: 0.61 }).pass).toBe(false);
    expect(assessOverfitting([1], [1]).thresholds).toEqual({ maxOverfitRatio: 2, minOosSharpe: 0 });
  });

  it('refuses bad thresholds and mismatched folds', () => {
    expect(() => assessOverfitting([1], [1], { maxOverfitRatio: 0 })).toThrow(/^maxOverfitRatio: /);
    expect(() => assessOverfitting([1], [1], { minOosSharpe: Number.NaN })).toThrow(/^minOosSharpe: /);
    expect(() => assessOverfitting([1, 2], [1])).toThrow(RangeError);
    expect(() => assessOverfitting([], [])).toThrow(RangeError);
  });
});

describe('runWalkForward', () => {
  const universe = generateSyntheticUniverse({ symbols: 1, bars: 1600, seed: 23 });
  const space = parseParameterSpace('fast=5..20:5,slow=20..80:30');
  const options: WalkForwardOptions = {
    universe,
    strategy: 'sma-crossover',
    space,
    search: { kind: 'grid' },
    objective: 'sharpe',
    train: 600,
    test: 250,
    anchored: false,
    purge: 5,
    startingCash: 100_000,
    sizing: { kind: 'percent-of-cash', percent: 90 },
    workers: 1,
  };
  let result: WalkForwardResult;

  beforeAll(async () => {
    result = await runWalkForward(options);
  });

  it('annualises every fold and the stitched curve with the bar interval of the universe', async () => {
    // The same bars stamped as one-minute bars of 390-minute sessions: the same returns, so every
    // annualised Sharpe ratio is the daily one × √(252 × 390 / 252).
    const MINUTE = 60_000;
    const time = new Float64Array(universe.length).map((_, k) => Date.UTC(2024, 0, 2 + Math.floor(k / 390), 14, 30) + (k % 390) * MINUTE);
    const minute = await runWalkForward({ ...options, universe: { ...universe, time } });
    expect(minute.folds.map((f) => f.chosenParams)).toEqual(result.folds.map((f) => f.chosenParams));
    for (const [i, fold] of minute.folds.entries()) {
      const daily = result.folds[i];
      expect(fold.inSample.barInterval).toBe('1m');
      expect(fold.outOfSample.periodsPerYear).toBe(98_280);
      expect(fold.outOfSample.sharpe).toBeCloseTo((daily?.outOfSample.sharpe as number) * Math.sqrt(390), 9);
      expect(fold.inSample.sharpe).toBeCloseTo((daily?.inSample.sharpe as number) * Math.sqrt(390), 9);
      // By hand from the fold's out-of-sample returns.
      const r = Array.from(fold.oosReturns);
      const mean = r.reduce((a, b) => a + b, 0) / r.length;
      const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
      expect(fold.outOfSample.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(252 * 390), 9);
    }
    expect(minute.meanOosSharpe).toBeCloseTo(result.meanOosSharpe * Math.sqrt(390), 9);
    expect(minute.oosMetrics.barInterval).toBe('1m');
    expect(minute.overfitRatio).toBeCloseTo(result.overfitRatio as number, 9);
  });

  it('has one fold per planned window', () => {
    expect(result.folds.map((f) => f.window)).toEqual(planWalkForward(universe.length, options));
    expect(result.folds).toHaveLength(3);
  });

  it('chooses, in each fold, the best point of a sweep over the training window alone', async () => {
    for (const fold of result.folds) {
      const { trainStart, trainEnd } = fold.window;
      const alone = await runSweep({ universe: sliceUniverse(universe, trainStart, trainEnd), strategy: 'sma-crossover', space, startingCash: 100_000, sizing: options.sizing, objective: 'sharpe', workers: 1 });
      expect(fold.chosenParams).toEqual(alone.best.params);
      expect(fold.inSample).toStrictEqual(alone.best.metrics);
      expect(fold.sweep.trialCount).toBe(alone.trialCount);
    }
    expect(result.trials).toBe(result.folds.reduce((n, f) => n + f.sweep.trialCount, 0));
  });

  it('scores exactly the test window, after warming the strategy up on the bars before it', () => {
    for (const fold of result.folds) {
      const slow = fold.resolvedParams['slow'] as number;
      expect(fold.warmupBars).toBe(slow + 1); // sma-crossover's warmupBars
      expect(fold.outOfSample.bars).toBe(options.test);
      expect(fold.oosReturns).toHaveLength(options.test);
      // The book is flat with the starting cash at the first test bar.
      expect(fold.oosReturns[0]).toBe(0);
      let level = 1;
      for (const r of fold.oosReturns) level *= 1 + r;
      expect(level - 1).toBeCloseTo(fold.outOfSample.totalReturn, 10);
    }
  });

  it('chains the folds into one out-of-sample curve from the starting cash', () => {
    const bars = result.folds.length * options.test;
    expect(result.oosEquity).toHaveLength(bars);
    expect(result.oosMetrics.bars).toBe(bars);
    const expected = result.folds.reduce((e, f) => e * (1 + f.outOfSample.totalReturn), 100_000);
    expect(result.oosEquity[bars - 1]).toBeCloseTo(expected, 4);
    expect(result.oosMetrics.finalEquity).toBe(result.oosEquity[bars - 1]);
    expect(result.oosTime[0]).toBe(universe.time[result.folds[0]?.window.testStart ?? -1]);
    expect(result.oosMetrics.closedTrades).toBe(result.folds.reduce((n, f) => n + f.outOfSample.closedTrades, 0));
  });

  it('judges overfitting from the folds Sharpe ratios', () => {
    const verdict = assessOverfitting(
      result.folds.map((f) => f.inSample.sharpe),
      result.folds.map((f) => f.outOfSample.sharpe),
    );
    expect(result).toMatchObject({ meanIsSharpe: verdict.meanIsSharpe, meanOosSharpe: verdict.meanOosSharpe, overfitRatio: verdict.overfitRatio, pass: verdict.pass, reasons: verdict.reasons });
  });

  it('gives the same numbers on worker threads as in one thread', async () => {
    const parallel = await runWalkForward({ ...options, workers: 2 });
    expect(parallel.workers).toBe(2);
    expect(parallel.folds.map((f) => f.chosenParams)).toEqual(result.folds.map((f) => f.chosenParams));
    parallel.folds.forEach((f, i) => {
      const g = result.folds[i];
      expect({ ...f.inSample }).toStrictEqual({ ...g?.inSample });
      expect({ ...f.outOfSample }).toStrictEqual({ ...g?.outOfSample });
      expect(Array.from(f.oosReturns)).toStrictEqual(Array.from(g?.oosReturns ?? []));
      expect(f.sweep.trials.map((t) => ({ ...t.metrics }))).toStrictEqual(g?.sweep.trials.map((t) => ({ ...t.metrics })));
    });
    expect({ ...parallel.oosMetrics }).toStrictEqual({ ...result.oosMetrics });
    expect(Array.from(parallel.oosEquity)).toStrictEqual(Array.from(result.oosEquity));
  });

  it('runs on a pool kept across walk-forwards, with the same numbers', async () => {
    const pool = openSweepPool(universe, 2);
    try {
      for (let run = 0; run < 2; run++) {
        const pooled = await runWalkForward({ ...options, workers: undefined, pool });
        expect(pooled.workers).toBe(2);
        expect({ ...pooled.oosMetrics }).toStrictEqual({ ...result.oosMetrics });
        expect(pooled.folds.map((f) => f.chosenParams)).toEqual(result.folds.map((f) => f.chosenParams));
      }
    } finally {
      await pool.close();
    }
  });

  it('searches the same random sample of points in every fold', async () => {
    const random = await runWalkForward({ ...options, search: { kind: 'random', samples: 3, seed: 9 } });
    const sample = randomPoints(space, 3, 9);
    for (const fold of random.folds) {
      const ran = [...fold.sweep.trials].sort((a, b) => a.pointIndex - b.pointIndex).map((t) => t.params);
      expect(ran).toEqual(sample.filter((p) => (p['fast'] as number) < (p['slow'] as number)));
      expect(fold.sweep.trialCount + fold.sweep.invalid.length).toBe(3);
    }
  });

  it('anchors training windows at the first bar', async () => {
    const anchored = await runWalkForward({ ...options, anchored: true, space: parseParameterSpace('fast=10,slow=40') });
    expect(anchored.folds.map((f) => f.window.trainStart)).toEqual([0, 0, 0]);
    expect(anchored.folds.map((f) => f.sweep.bars)).toEqual([600, 850, 1100]);
  });

  it('reports progress per fold', async () => {
    const seen: string[] = [];
    await runWalkForward({ ...options, space: parseParameterSpace('fast=10|15,slow=40'), onProgress: (p) => seen.push(`${p.fold}/${p.folds}:${p.completed}/${p.total}`) });
    expect(seen).toEqual(['0/3:1/2', '0/3:2/2', '1/3:1/2', '1/3:2/2', '2/3:1/2', '2/3:2/2']);
  });

  it('rejects data too short for a fold before running anything', async () => {
    await expect(runWalkForward({ ...options, train: 1500 })).rejects.toThrow(/^train: the data has 1600 bars/);
  });

  it('counts points the strategy refuses as invalid in every fold, not as trials', () => {
    const refused = gridPoints(space).filter((p) => (p['fast'] as number) >= (p['slow'] as number));
    expect(refused.length).toBeGreaterThan(0);
    for (const fold of result.folds) expect(fold.sweep.invalid).toHaveLength(refused.length);
  });
});

describe('warmupBarsFor', () => {
  it("uses the strategy's own warm-up when it declares one", () => {
    const { strategy, params } = createStrategy('sma-crossover', { fast: 10, slow: 40 }, 1);
    expect(warmupBarsFor(strategy, params)).toBe(41);
    expect(warmupBarsFor({ warmupBars: 12.5 }, {})).toBe(13);
  });

  it('falls back to the largest integer parameter, else 0', () => {
    expect(warmupBarsFor({}, { lookback: 20, atrPeriod: 14, takeProfitAtr: 3.5, allowShort: true })).toBe(20);
    expect(warmupBarsFor({}, { entryZ: 1.5 })).toBe(0);
  });
});
