import { ConfigError, DataError, SeededRng } from '@quantbot/core';
import {
  alignAsOf,
  annualReturns,
  barReturns,
  benchmarkStatistics,
  buyAndHoldCurve,
  drawdownPeriods,
  exposureSeries,
  histogram,
  rollingBeta,
  rollingSharpe,
  rollingVolatility,
  tradeExcursion,
} from './run-analytics';

const DAY = 86_400_000;

describe('barReturns', () => {
  it('is aligned with the values, NaN first and where a value is missing or the base not positive', () => {
    expect(Array.from(barReturns([100, 110, 99]))).toEqual([NaN, expect.closeTo(0.1, 12), expect.closeTo(-0.1, 12)]);
    expect(Array.from(barReturns([0, 1, NaN, 2]))).toEqual([NaN, NaN, NaN, NaN]);
  });
});

describe('benchmarkStatistics', () => {
  it('finds beta 2, correlation 1 and the constant excess as alpha for r = 2b + 0.001', () => {
    const b = [0.01, -0.02, 0.03];
    const r = [0.021, -0.039, 0.061];
    const s = benchmarkStatistics(r, b, 252);
    expect(s.observations).toBe(3);
    expect(s.beta).toBeCloseTo(2, 10);
    expect(s.correlation).toBeCloseTo(1, 10);
    expect(s.alpha).toBeCloseTo(0.001 * 252, 10);
    // active returns 0.011, −0.019, 0.031: deviations (1, −8, 7)/300, sample variance 114/90000/2; × 252 = 0.1596
    expect(s.trackingError).toBeCloseTo(Math.sqrt(0.1596), 10);
    expect(s.informationRatio).toBeCloseTo(((0.023 / 3) * 252) / Math.sqrt(0.1596), 10);
  });

  it('matches a hand-computed beta, correlation and alpha, skipping pairs with a missing value', () => {
    // means 0.005 and 0.01; Σdr·db = 0.0005, Σdb² = 0.0006, Σdr² = 0.0013
    const r = [NaN, 0.01, 0.03, -0.02, 0.0, 0.5];
    const b = [0.01, 0.02, 0.01, -0.01, 0.02, NaN];
    const s = benchmarkStatistics(r, b, 252);
    expect(s.observations).toBe(4);
    expect(s.beta).toBeCloseTo(0.0005 / 0.0006, 12);
    expect(s.correlation).toBeCloseTo(0.566138517, 8);
    expect(s.alpha).toBeCloseTo((0.005 - (0.0005 / 0.0006) * 0.01) * 252, 12);
    expect(s.alpha).toBeCloseTo(-0.84, 10);
  });

  it('is NaN where undefined and refuses mismatched input', () => {
    const flat = benchmarkStatistics([0.01, 0.02], [0.01, 0.01], 252);
    expect(flat.beta).toBeNaN();
    expect(flat.correlation).toBeNaN();
    expect(benchmarkStatistics([0.01], [0.02], 252).trackingError).toBeNaN();
    expect(benchmarkStatistics([0.01, 0.02], [0.01, 0.02], 252).informationRatio).toBeNaN();
    expect(() => benchmarkStatistics([0.01], [0.01, 0.02], 252)).toThrow(DataError);
    expect(() => benchmarkStatistics([0.01], [0.01], 0)).toThrow(ConfigError);
  });
});

describe('rolling metrics', () => {
  const returns = [NaN, 0.01, 0.03, -0.02, 0.0];
  it('rollingSharpe and rollingVolatility use the last window of returns, NaN until it is full', () => {
    const sharpe = rollingSharpe(returns, 3, 252);
    // 0.01, 0.03, −0.02: mean 1/150, sample sd √(114/90000/2)
    const sd = Math.sqrt(114 / 90000 / 2);
    expect(sharpe[0]).toBeNaN();
    expect(sharpe[2]).toBeNaN(); // the window holds the NaN first return
    expect(sharpe[3]).toBeCloseTo((1 / 150 / sd) * Math.sqrt(252), 10);
    expect(sharpe[3]).toBeCloseTo(4.2052598643, 8);
    const vol = rollingVolatility(returns, 3, 252);
    expect(vol[3]).toBeCloseTo(sd * Math.sqrt(252), 12);
    expect(vol[3]).toBeCloseTo(0.3994996871, 8);
    expect(() => rollingSharpe(returns, 1, 252)).toThrow(ConfigError);
  });

  it('rollingBeta is cov/var of the window', () => {
    const r = [0.01, 0.03, -0.02, 0.0];
    const b = [0.02, 0.01, -0.01, 0.02];
    const beta = rollingBeta(r, b, 3);
    expect(beta[1]).toBeNaN();
    // window r 0.03, −0.02, 0; b 0.01, −0.01, 0.02: Σdr·db = 39/90000, Σdb² = 42/90000
    expect(beta[3]).toBeCloseTo(39 / 42, 12);
    expect(rollingBeta([1, 2, 3], [0.01, 0.01, 0.01], 3)[2]).toBeNaN();
  });
});

describe('drawdownPeriods', () => {
  it('lists periods deepest first with peak, trough, recovery, depth and length', () => {
    expect(drawdownPeriods([100, 90, 100, 120, 60, 130], 5)).toEqual([
      { peakIndex: 3, troughIndex: 4, recoveryIndex: 5, depthPct: 50, lengthBars: 2 },
      { peakIndex: 0, troughIndex: 1, recoveryIndex: 2, depthPct: 10, lengthBars: 2 },
    ]);
  });

  it('leaves an open period unrecovered, measured to the last bar, and keeps only the top ones', () => {
    const periods = drawdownPeriods([100, 95, 101, 99, 102, 80, 90, NaN, 85], 2);
    expect(periods).toEqual([
      { peakIndex: 4, troughIndex: 5, recoveryIndex: null, depthPct: expect.closeTo((22 / 102) * 100, 10), lengthBars: 4 },
      { peakIndex: 0, troughIndex: 1, recoveryIndex: 2, depthPct: expect.closeTo(5, 10), lengthBars: 2 },
    ]);
    expect(drawdownPeriods([1, 2, 3], 5)).toEqual([]);
    expect(() => drawdownPeriods([1], 0)).toThrow(ConfigError);
  });
});

describe('annualReturns', () => {
  it('measures each calendar year from the previous year-end, the first from the first equity', () => {
    const time = [Date.UTC(2020, 5, 1), Date.UTC(2020, 11, 31), Date.UTC(2021, 0, 4), Date.UTC(2021, 11, 31), Date.UTC(2023, 1, 1)];
    const years = annualReturns(time, [100, 120, 130, 90, 99]);
    expect(years.map((y) => y.year)).toEqual([2020, 2021, 2023]);
    expect(years[0]?.returnPct).toBeCloseTo(20, 10);
    expect(years[1]?.returnPct).toBeCloseTo(-25, 10);
    expect(years[2]?.returnPct).toBeCloseTo(10, 10);
    expect(() => annualReturns([1], [])).toThrow(DataError);
  });
});

describe('histogram', () => {
  it('bins finite values equally from min to max, the max in the last bin', () => {
    expect(histogram([0, 1, 2, 3, 4, NaN], 2)).toEqual([
      { from: 0, to: 2, count: 2 },
      { from: 2, to: 4, count: 3 },
    ]);
    expect(histogram([5, 5], 4)).toEqual([{ from: 4.5, to: 5.5, count: 2 }]);
    expect(histogram([NaN], 4)).toEqual([]);
  });
});

describe('tradeExcursion', () => {
  const bars = {
    time: [1, 2, 3, 4, 5].map((d) => d * DAY),
    high: [11, 12, 13, 20, 99],
    low: [9, 8, 10, 5, 1],
    close: [10, 11, 12, 15, 50],
  };
  it('takes the entry bar up to the bar before the exit, plus both prices, for a long', () => {
    // bars 2 and 3 (exit on bar 4): low 8, high 13
    const e = tradeExcursion('long', 2 * DAY, 10, 4 * DAY, 12, bars);
    expect(e.maePct).toBeCloseTo(-20, 10);
    expect(e.mfePct).toBeCloseTo(30, 10);
  });
  it('mirrors the excursion for a short and is 0 on the side never reached', () => {
    const e = tradeExcursion('short', 2 * DAY, 10, 4 * DAY, 12, bars);
    expect(e.maePct).toBeCloseTo(-30, 10);
    expect(e.mfePct).toBeCloseTo(20, 10);
    const flat = tradeExcursion('long', 10 * DAY, 10, 11 * DAY, 11, bars);
    expect(flat.maePct).toBe(0);
    expect(flat.mfePct).toBeCloseTo(10, 10);
    expect(tradeExcursion('long', 1, 0, 2, 1, bars).maePct).toBeNaN();
  });
});

describe('exposureSeries', () => {
  it('rebuilds positions from fills and values them at the last close, over equity', () => {
    const time = [1, 2, 3, 4];
    const equity = [1000, 1000, 2000, 1000];
    const closes = new Map<string, ArrayLike<number>>([
      ['AAA', [10, 10, 20, 10]],
      ['BBB', [5, NaN, 5, 5]],
    ]);
    const fills = [
      { time: 2, symbol: 'AAA', qty: 50 },
      { time: 2, symbol: 'BBB', qty: -40 },
      { time: 4, symbol: 'AAA', qty: -50 },
    ];
    const x = exposureSeries(time, equity, fills, closes);
    expect(Array.from(x.long)).toEqual([0, 0.5, 0.5, 0]);
    expect(Array.from(x.short)).toEqual([0, -0.2, -0.1, -0.2]);
    expect(Array.from(x.net)).toEqual([0, expect.closeTo(0.3, 12), expect.closeTo(0.4, 12), -0.2]);
    expect(Array.from(x.gross)).toEqual([0, expect.closeTo(0.7, 12), expect.closeTo(0.6, 12), 0.2]);
    expect(x.timeInMarket.get('AAA')).toBe(0.5);
    expect(x.timeInMarket.get('BBB')).toBe(0.75);
  });
});

describe('buyAndHoldCurve and alignAsOf', () => {
  it('splits the start value equally, a late symbol holding cash until its first close', () => {
    const curve = buyAndHoldCurve(3, [
      [10, 20, 5],
      [NaN, 4, 8],
    ], 100);
    // AAA: 5 units; BBB: 50 cash, then 12.5 units at 4
    expect(Array.from(curve)).toEqual([100, 150, 125]);
  });
  it('carries the last value at or before each target time', () => {
    expect(Array.from(alignAsOf([0, 1, 2, 3, 5], [1, 3, 4], [10, NaN, 30]))).toEqual([NaN, 10, 10, 10, 30]);
  });
});

describe('rolling metrics against a direct computation', () => {
  it('agree on a long seeded series with gaps (running sums do not drift)', () => {
    const rng = new SeededRng(7);
    const n = 3000;
    const r = Float64Array.from({ length: n }, (_, i) => (i === 1500 ? NaN : 0.0004 + rng.nextNormal() * 0.012));
    const b = Float64Array.from({ length: n }, (_, i) => 0.5 * (r[i] as number) + rng.nextNormal() * 0.008);
    const window = 63;
    const vol = rollingVolatility(r, window, 252);
    const beta = rollingBeta(r, b, window);
    for (const i of [62, 100, 1499, 1500, 1562, 1563, 2999]) {
      const slice = Array.from(r.subarray(i - window + 1, i + 1));
      const bs = Array.from(b.subarray(i - window + 1, i + 1));
      if (slice.some((v) => !Number.isFinite(v))) {
        expect(vol[i]).toBeNaN();
        expect(beta[i]).toBeNaN();
        continue;
      }
      const mean = slice.reduce((a, v) => a + v, 0) / window;
      const meanB = bs.reduce((a, v) => a + v, 0) / window;
      const sd = Math.sqrt(slice.reduce((a, v) => a + (v - mean) ** 2, 0) / (window - 1));
      const cov = slice.reduce((a, v, k) => a + (v - mean) * ((bs[k] as number) - meanB), 0);
      const varB = bs.reduce((a, v) => a + (v - meanB) ** 2, 0);
      expect(vol[i]).toBeCloseTo(sd * Math.sqrt(252), 10);
      expect(beta[i]).toBeCloseTo(cov / varB, 9);
    }
  });
});
