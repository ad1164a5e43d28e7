import { readFileSync } from 'node:fs';
import type { BarSeries } from '@quantbot/core';
import { ConfigError, DataError, ticker } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataFile, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { computeGapStatistics, gapAdjustedExposure, gapRiskBySymbol } from './gap-risk';

const DAY_MS = 86_400_000;

/** A series from opens and closes (high and low follow them; time is one bar a day). */
function series(symbol: string, opens: readonly number[], closes: readonly number[]): BarSeries {
  const length = opens.length;
  return {
    symbol: ticker(symbol),
    length,
    time: Float64Array.from({ length }, (_, i) => i * DAY_MS),
    open: Float64Array.from(opens),
    high: Float64Array.from(opens, (open, i) => Math.max(open, closes[i] as number)),
    low: Float64Array.from(opens, (open, i) => Math.min(open, closes[i] as number)),
    close: Float64Array.from(closes),
    volume: new Float64Array(length).fill(1_000),
    adjClose: null,
  };
}

/** Closes at 100 every day; the opens after the first gap by `gapsPct` percent. */
function seriesWithGaps(symbol: string, gapsPct: readonly number[]): BarSeries {
  const opens = [100, ...gapsPct.map((gap) => 100 + gap)];
  return series(symbol, opens, opens.map(() => 100));
}

/** Reads the ORCL daily file (Date,Open,High,Low,Close,Adj Close,Volume) the simple way. */
function loadOrcl(): BarSeries {
  const path = realMarketDataFile('orcl-1995-2014.txt');
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(',').map((cell, i) => (i === 0 ? Date.parse(`${cell}T00:00:00Z`) : Number(cell))));
  const column = (index: number): Float64Array => Float64Array.from(rows, (row) => row[index] as number);
  return {
    symbol: ticker('ORCL'),
    length: rows.length,
    time: column(0),
    open: column(1),
    high: column(2),
    low: column(3),
    close: column(4),
    volume: column(6),
    adjClose: column(5),
  };
}

describe('computeGapStatistics', () => {
  // |gaps| are 1 … 10 %, alternating up and down.
  const tenGaps = seriesWithGaps('TEN', [1, -2, 3, -4, 5, -6, 7, -8, 9, -10]);

  it('gives nearest-rank quantiles of the absolute gap in percent', () => {
    // n = 10: p50 → rank 5, p90 → rank 9, p95 → rank ⌈9.5⌉ = 10, p99 → rank ⌈9.9⌉ = 10.
    expect(computeGapStatistics(tenGaps).quantiles).toEqual({ p50: 5, p90: 9, p95: 10, p99: 10 });
  });

  it('summarises gaps: count, frequency over the threshold, mean, extremes and tail', () => {
    expect(computeGapStatistics(tenGaps)).toEqual({
      symbol: 'TEN',
      gaps: 10,
      skipped: 0,
      thresholdPct: 2,
      frequency: 0.9,
      meanAbsGapPct: 5.5,
      quantiles: { p50: 5, p90: 9, p95: 10, p99: 10 },
      worstUpPct: 9,
      worstDownPct: -10,
      tailGap: 0.1,
    });
  });

  it('counts a gap exactly at the threshold as large', () => {
    expect(computeGapStatistics(tenGaps, { thresholdPct: 5 }).frequency).toBe(0.6);
  });

  it('takes the gap against the previous close, not the previous open', () => {
    const stats = computeGapStatistics(series('AB', [100, 80], [90, 85]));
    expect(stats.worstDownPct).toBeCloseTo((100 * (80 - 90)) / 90, 12);
    expect(stats.worstUpPct).toBe(0);
  });

  it('uses p99 of 100 gaps at rank 99', () => {
    const gaps = Array.from({ length: 100 }, (_, i) => (i + 1) / 10);
    expect(computeGapStatistics(seriesWithGaps('HUN', gaps)).quantiles.p99).toBeCloseTo(9.9, 10);
  });

  it('skips pairs with a non-finite or non-positive price and counts them', () => {
    // Pairs: (100 → 101) ok, (NaN close → 100) skip, (100 → 0 open) skip, (0 close → 100) skip, (100 → Inf) skip.
    const stats = computeGapStatistics(series('SKP', [100, 101, 100, 0, 100, Infinity], [100, NaN, 100, 0, 100, 100]));
    expect(stats.gaps).toBe(1);
    expect(stats.skipped).toBe(4);
    expect(stats.quantiles.p99).toBeCloseTo(1, 12);
  });

  it('reports NaN statistics when no gap can be measured', () => {
    const stats = computeGapStatistics(series('ONE', [100], [100]));
    expect(stats.gaps).toBe(0);
    expect(stats.skipped).toBe(0);
    expect(stats.tailGap).toBeNaN();
    expect(stats.frequency).toBeNaN();
    expect(stats.quantiles.p50).toBeNaN();
  });

  it.each([[NaN], [-1], [Infinity]])('refuses thresholdPct %p', (thresholdPct) => {
    expect(() => computeGapStatistics(tenGaps, { thresholdPct })).toThrow(ConfigError);
    expect(() => computeGapStatistics(tenGaps, { thresholdPct })).toThrow(/thresholdPct/);
  });

  it('returns a frozen result', () => {
    const stats = computeGapStatistics(tenGaps);
    expect(Object.isFrozen(stats)).toBe(true);
    expect(Object.isFrozen(stats.quantiles)).toBe(true);
  });

  describeWithPrerequisite(realMarketDataPrerequisite(), 'on ORCL daily bars 1995–2014', () => {
    const orcl = loadOrcl();
    const stats = computeGapStatistics(orcl);

    it('measures a gap for every bar after the first', () => {
      expect(stats.gaps).toBe(5035);
      expect(stats.skipped).toBe(0);
    });

    it('finds plausible magnitudes', () => {
      expect(stats.quantiles.p99).toBeGreaterThan(1);
      expect(stats.quantiles.p99).toBeLessThan(20);
      expect(stats.tailGap).toBeCloseTo(stats.quantiles.p99 / 100, 15);
      expect(stats.quantiles.p50).toBeLessThanOrEqual(stats.quantiles.p90);
      expect(stats.quantiles.p90).toBeLessThanOrEqual(stats.quantiles.p95);
      expect(stats.quantiles.p95).toBeLessThanOrEqual(stats.quantiles.p99);
      expect(stats.worstDownPct).toBeLessThan(0);
      expect(stats.worstUpPct).toBeGreaterThan(0);
      expect(stats.frequency).toBeGreaterThan(0);
      expect(stats.frequency).toBeLessThan(0.5);
    });

    it('is deterministic', () => {
      expect(computeGapStatistics(loadOrcl())).toEqual(stats);
    });
  });
});

describe('gapRiskBySymbol', () => {
  it('maps each symbol to its tail gap fraction', () => {
    const risk = gapRiskBySymbol([seriesWithGaps('AAA', [1, -2, 3, -4, 5, -6, 7, -8, 9, -10]), seriesWithGaps('BBB', [1, 1, 2])]);
    expect(risk).toEqual({ AAA: 0.1, BBB: 0.02 });
  });

  it('refuses a series whose gap risk cannot be measured, naming the symbol', () => {
    expect(() => gapRiskBySymbol([series('NEW', [100], [100])])).toThrow(DataError);
    expect(() => gapRiskBySymbol([series('NEW', [100], [100])])).toThrow(/NEW/);
  });

  it('refuses a symbol given twice', () => {
    expect(() => gapRiskBySymbol([seriesWithGaps('AAA', [1]), seriesWithGaps('AAA', [2])])).toThrow(/AAA/);
  });
});

describe('gapAdjustedExposure', () => {
  it('sums |value| × gap risk over positions, long and short alike', () => {
    expect(gapAdjustedExposure({ ORCL: 10_000, MSFT: -5_000 }, { ORCL: 0.06, MSFT: 0.04 })).toBeCloseTo(800, 9);
  });

  it('is 0 without positions', () => {
    expect(gapAdjustedExposure({}, { ORCL: 0.06 })).toBe(0);
  });

  it('ignores a flat position even without gap risk', () => {
    expect(gapAdjustedExposure({ ORCL: 0, MSFT: 1_000 }, { MSFT: 0.05 })).toBeCloseTo(50, 9);
  });

  it('uses defaultGapRisk for symbols without their own', () => {
    expect(gapAdjustedExposure({ ORCL: 1_000, MSFT: -2_000 }, { MSFT: 0.05 }, 0.1)).toBeCloseTo(200, 9);
  });

  it.each([[NaN], [-0.1]])('refuses defaultGapRisk %p', (defaultGapRisk) => {
    expect(() => gapAdjustedExposure({}, {}, defaultGapRisk)).toThrow(ConfigError);
  });

  it.each([
    ['a position without gap risk', { ORCL: 1_000 }, {}],
    ['a non-finite position value', { ORCL: NaN }, { ORCL: 0.05 }],
    ['a negative gap risk', { ORCL: 1_000 }, { ORCL: -0.05 }],
    ['a non-finite gap risk', { ORCL: 1_000 }, { ORCL: Infinity }],
  ])('refuses %s, naming the symbol', (_name, positions, gapRisk) => {
    expect(() => gapAdjustedExposure(positions, gapRisk)).toThrow(DataError);
    expect(() => gapAdjustedExposure(positions, gapRisk)).toThrow(/ORCL/);
  });

  it('does not take gap risk from the object prototype', () => {
    expect(() => gapAdjustedExposure({ toString: 1_000 }, {})).toThrow(DataError);
  });
});
