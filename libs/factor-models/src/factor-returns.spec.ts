import { ConfigError, SeededRng } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { createFactorPanel, forwardReturns } from './factor-panel';
import { estimateFactorReturns } from './factor-returns';
import { referenceOls } from './reference-ols.spec-helper';
import { generateSyntheticPanel } from './synthetic-panel';
import { oneSampleTTest } from './t-test';

interface Planted {
  readonly panel: FactorPanel;
  /** Per date: the planted intercept and returns of `size` and `value`. */
  readonly truth: readonly { readonly a: number; readonly size: number; readonly value: number }[];
}

/**
 * A one-row forward-return panel whose returns are r(t, s) = a(t) + f_size(t)·size(t, s) +
 * f_value(t)·value(t, s) + e(t, s): exposures and noise standard normal (noise scaled by
 * `noise`), planted factor returns drawn per date around a drift.
 */
function plantedPanel(symbols: number, dates: number, noise: number, seed: number): Planted {
  const rng = new SeededRng(seed);
  const date: string[] = [];
  const symbol: string[] = [];
  const forwardReturn: number[] = [];
  const size: number[] = [];
  const value: number[] = [];
  const truth: { a: number; size: number; value: number }[] = [];
  for (let t = 0; t < dates; t++) {
    const day = new Date(Date.UTC(2021, 0, 4 + t)).toISOString().slice(0, 10);
    const planted = { a: 0.0002 + 0.001 * rng.nextNormal(), size: 0.002 + 0.004 * rng.nextNormal(), value: -0.001 + 0.003 * rng.nextNormal() };
    truth.push(planted);
    for (let s = 0; s < symbols; s++) {
      const x1 = rng.nextNormal();
      const x2 = rng.nextNormal();
      date.push(day);
      symbol.push(`N${String(s).padStart(3, '0')}`);
      size.push(x1);
      value.push(x2);
      forwardReturn.push(planted.a + planted.size * x1 + planted.value * x2 + noise * rng.nextNormal());
    }
  }
  return { panel: createFactorPanel({ date, symbol, forwardReturn, factors: { size, value } }), truth };
}

describe('estimateFactorReturns', () => {
  describe('on a panel with planted factor returns', () => {
    const { panel, truth } = plantedPanel(200, 120, 0.01, 17);
    const result = estimateFactorReturns(panel, { factors: ['size', 'value'] });

    it('recovers each date’s factor returns within a few standard errors', () => {
      expect(result.regressions).toHaveLength(120);
      result.regressions.forEach((regression, d) => {
        const planted = truth[d] as Planted['truth'][number];
        expect(regression.defined).toBe(true);
        expect(regression.n).toBe(200);
        // The standard error of each is about 0.01 / √200 ≈ 0.0007.
        for (const name of ['size', 'value'] as const) {
          const se = regression.standardErrors[name] as number;
          expect(se).toBeGreaterThan(0.0004);
          expect(se).toBeLessThan(0.001);
          expect(Math.abs((regression.factorReturns[name] as number) - planted[name])).toBeLessThan(5 * se);
        }
        expect(Math.abs((regression.intercept as number) - planted.a)).toBeLessThan(0.004);
      });
    });

    it('recovers the planted mean factor returns and tests them over time (Fama–MacBeth)', () => {
      const plantedMean = (name: 'size' | 'value') => truth.reduce((s, t) => s + t[name], 0) / truth.length;
      for (const name of ['size', 'value'] as const) {
        const summary = result.summary[name];
        expect(Math.abs((summary?.mean as number) - plantedMean(name))).toBeLessThan(0.0002);
        const series = result.regressions.map((r) => r.factorReturns[name] as number);
        expect(summary).toEqual(oneSampleTTest(series));
        expect(summary?.n).toBe(120);
      }
      // size drifts by 0.002 a day with a spread of 0.004: t ≈ 0.002 / (0.004 / √120) ≈ 5.5.
      expect(result.summary['size']?.t).toBeGreaterThan(3);
      expect(result.summary['size']?.pValue).toBeLessThan(0.01);
    });

    it('reports R² per date and its mean', () => {
      const defined = result.regressions.map((r) => r.rSquared as number);
      expect(result.meanRSquared).toBeCloseTo(defined.reduce((a, b) => a + b, 0) / defined.length, 12);
      expect(defined.every((r) => r > 0 && r < 1)).toBe(true);
    });
  });

  it('matches a hand-computed OLS on every date of a close panel over 5 periods', () => {
    const panel = generateSyntheticPanel({ symbols: 12, dates: 15, seed: 4, ic: 0.3 });
    const result = estimateFactorReturns(panel, { factors: ['signal', 'noise'], period: 5 });
    const fwd = forwardReturns(panel, [5]).get(5) as Float64Array;
    panel.dates.forEach((date, d) => {
      const rows = Array.from({ length: 12 }, (_, s) => d * 12 + s).filter((row) => Number.isFinite(fwd[row] as number));
      const regression = result.regressions[d];
      expect(regression?.date).toBe(date);
      if (d >= 10) {
        expect(rows).toHaveLength(0);
        expect(regression?.defined).toBe(false);
        expect(regression?.factorReturns).toEqual({ signal: null, noise: null });
        return;
      }
      const columns = ['signal', 'noise'].map((name) => rows.map((row) => (panel.factors[name] as Float64Array)[row] as number));
      const reference = referenceOls(columns, rows.map((row) => fwd[row] as number));
      expect(regression?.intercept).toBeCloseTo(reference.coefficients[0] as number, 12);
      expect(regression?.factorReturns['signal']).toBeCloseTo(reference.coefficients[1] as number, 12);
      expect(regression?.factorReturns['noise']).toBeCloseTo(reference.coefficients[2] as number, 12);
      expect(regression?.standardErrors['signal']).toBeCloseTo(reference.standardErrors[1] as number, 12);
      expect(regression?.tStats['noise']).toBeCloseTo((reference.coefficients[2] as number) / (reference.standardErrors[2] as number), 9);
      expect(regression?.rSquared).toBeCloseTo(reference.rSquared, 12);
    });
    expect(result.findings.filter((f) => f.kind === 'too-few-values').map((f) => f.date)).toEqual(panel.dates.slice(10));
  });

  it('keys the series by the date each return is realized', () => {
    const panel = generateSyntheticPanel({ symbols: 8, dates: 10, seed: 2 });
    for (const period of [1, 3]) {
      const result = estimateFactorReturns(panel, { factors: ['signal'], period });
      expect(result.series.dates).toEqual(panel.dates.slice(period));
      expect(result.series.returns['signal']).toEqual(result.regressions.slice(0, 10 - period).map((r) => r.factorReturns['signal']));
    }
  });

  describe('with dates it cannot fully regress', () => {
    // Date 1: 4 names. Date 2: `b` constant. Date 3: `b` = 2a + 1. Date 4: one name lacks `a`,
    // leaving 3 complete names for 2 factors (df 0). Date 5: 6 names but a constant `a` and `b`.
    const rows: [string, string, number, number, number][] = [];
    const add = (date: string, values: [number, number, number][]) => values.forEach(([r, a, b], i) => rows.push([date, `S${i}`, r, a, b]));
    add('2024-01-01', [[0.01, 1, 2], [0.02, 2, 1], [-0.01, -1, 0], [0.0, 0.5, -1]]);
    add('2024-01-02', [[0.01, 1, 5], [0.02, 2, 5], [-0.01, -1, 5], [0.0, 0.5, 5], [0.015, 1.5, 5]]);
    add('2024-01-03', [[0.01, 1, 3], [0.02, 2, 5], [-0.01, -1, -1], [0.0, 0.5, 2], [0.03, 1.5, 4]]);
    add('2024-01-04', [[0.01, 1, 3], [0.02, NaN, 5], [-0.01, -1, -1], [0.0, 0.5, 2]]);
    add('2024-01-05', [[0.01, 1, 1], [0.02, 1, 1], [-0.01, 1, 1], [0.0, 1, 1], [0.03, 1, 1], [0.02, 1, 1]]);
    const panel = createFactorPanel({
      date: rows.map((r) => r[0]),
      symbol: rows.map((r) => r[1]),
      forwardReturn: rows.map((r) => r[2]),
      factors: { a: rows.map((r) => r[3]), b: rows.map((r) => r[4]) },
    });
    const result = estimateFactorReturns(panel, { factors: ['a', 'b'] });
    const kinds = (date: string) => result.findings.filter((f) => f.date === date).map((f) => f.kind);

    it('fits the other factor when one is constant on a date', () => {
      const day = result.regressions[1];
      expect(day?.defined).toBe(true);
      expect(day?.factorReturns['b']).toBeNull();
      expect(day?.tStats['b']).toBeNull();
      const alone = referenceOls([[1, 2, -1, 0.5, 1.5]], [0.01, 0.02, -0.01, 0.0, 0.015]);
      expect(day?.factorReturns['a']).toBeCloseTo(alone.coefficients[1] as number, 12);
      expect(kinds('2024-01-02')).toEqual(['constant-regressor']);
    });

    it('leaves out a factor collinear with an earlier one, naming both', () => {
      const day = result.regressions[2];
      expect(day?.defined).toBe(true);
      expect(day?.factorReturns['b']).toBeNull();
      expect(day?.factorReturns['a']).toEqual(expect.any(Number));
      expect(kinds('2024-01-03')).toEqual(['collinear-regressor']);
      expect(result.findings.find((f) => f.date === '2024-01-03')?.detail).toMatch(/'b' is collinear with the intercept and 'a'/);
    });

    it('gives no regression, with a finding, on a date with too few complete names or no usable factor', () => {
      expect(result.regressions[0]?.defined).toBe(true);
      expect(result.regressions[3]).toEqual(expect.objectContaining({ defined: false, n: 3, intercept: null, rSquared: null, factorReturns: { a: null, b: null } }));
      expect(kinds('2024-01-04')).toEqual(['too-few-values']);
      expect(result.regressions[4]).toEqual(expect.objectContaining({ defined: false, n: 6 }));
      expect(kinds('2024-01-05')).toEqual(['constant-regressor', 'constant-regressor', 'too-few-values']);
      expect(result.findings.find((f) => f.kind === 'missing-values')?.detail).toMatch(/^1 row\(s\)/);
    });

    it('never gives NaN: every number is finite or null, and the result is frozen', () => {
      const json = JSON.stringify(result);
      expect(json).not.toMatch(/NaN|Infinity/);
      expect(JSON.parse(json)).toEqual(result);
      expect(Object.isFrozen(result) && Object.isFrozen(result.regressions[0]) && Object.isFrozen(result.series.returns)).toBe(true);
      expect(result.summary['a']?.n).toBe(3);
      expect(result.summary['a']?.dropped).toBe(2);
      expect(result.summary['b']?.n).toBe(1);
      expect(result.summary['b']?.defined).toBe(false);
    });
  });

  it('refuses bad options naming the field', () => {
    const panel = generateSyntheticPanel({ symbols: 5, dates: 5 });
    expect(() => estimateFactorReturns(panel, { factors: [] })).toThrow(/factors: give at least one factor/);
    expect(() => estimateFactorReturns(panel, { factors: ['signal', 'signal'] })).toThrow(/factors: a factor appears twice/);
    expect(() => estimateFactorReturns(panel, { factors: ['size'] })).toThrow(/factors: unknown factor 'size'/);
    expect(() => estimateFactorReturns(panel, { factors: ['signal'], period: 0 })).toThrow(ConfigError);
  });
});
