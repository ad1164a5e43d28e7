import { ConfigError } from '@quantbot/core';
import { studentTTwoSidedPValue } from './student-t';
import { oneSampleTTest, twoSampleTTest } from './t-test';

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: readonly number[]) => xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1);

describe('oneSampleTTest', () => {
  it.each([
    // scipy.stats.ttest_1samp (scipy 1.17.1): statistic, pvalue, df.
    [[1, 2, 3, 4], 0, 3.872983346207417, 0.030466291662170977, 3],
    [[0.5, -0.2, 1.3, 0.8, 0.1, -0.4], 0.3, 0.1910401799752179, 0.856009234067152, 5],
  ])('agrees with scipy on %j against %d', (values, mu0, t, p, df) => {
    const result = oneSampleTTest(values, { mu0 });
    expect(result).toEqual(expect.objectContaining({ defined: true, n: values.length, dropped: 0, mu0, df }));
    expect(result.reason).toBeUndefined();
    expect(result.t).toBeCloseTo(t, 12);
    expect(result.pValue).toBeCloseTo(p, 12);
  });

  it('computes t = (mean − mu0) / (s / √n) and its p-value from the definitions', () => {
    const values = [0.013, -0.004, 0.021, 0.007, -0.011, 0.016, 0.002, 0.009];
    const result = oneSampleTTest(values, { mu0: 0.001 });
    const t = (mean(values) - 0.001) / Math.sqrt(variance(values) / values.length);
    expect(result.mean).toBeCloseTo(mean(values), 15);
    expect(result.std).toBeCloseTo(Math.sqrt(variance(values)), 15);
    expect(result.standardError).toBeCloseTo(Math.sqrt(variance(values) / 8), 15);
    expect(result.t).toBeCloseTo(t, 12);
    expect(result.pValue).toBeCloseTo(studentTTwoSidedPValue(t, 7), 14);
  });

  it('leaves non-finite values out and counts them', () => {
    const result = oneSampleTTest([1, NaN, 2, Infinity, 3, -Infinity, 4]);
    expect(result.n).toBe(4);
    expect(result.dropped).toBe(3);
    expect(result.t).toBeCloseTo(3.872983346207417, 12);
  });

  it.each([
    ['no value', []],
    ['one value', [5]],
    ['one finite value among missing ones', [NaN, 5, NaN]],
  ])('is undefined (too-few-values) for %s', (_what, values) => {
    const result = oneSampleTTest(values);
    expect(result).toEqual(expect.objectContaining({ defined: false, reason: 'too-few-values', t: null, df: null, pValue: null, std: null }));
    expect(result.mean).toBe(values.some(Number.isFinite) ? 5 : null);
  });

  it.each([
    ['equal to mu0 (t would be 0/0)', [2, 2, 2], 2],
    ['above mu0 (t would be +∞)', [2, 2, 2], 0],
    ['below mu0 (t would be −∞)', [2, 2, 2], 3],
  ])('is undefined (zero-variance) for constant values %s, keeping the mean', (_what, values, mu0) => {
    const result = oneSampleTTest(values, { mu0 });
    expect(result).toEqual(expect.objectContaining({ defined: false, reason: 'zero-variance', mean: 2, std: 0, standardError: 0, t: null, pValue: null }));
  });

  it('is frozen and JSON-ready', () => {
    const result = oneSampleTTest([1, 1]);
    expect(Object.isFrozen(result)).toBe(true);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('refuses a non-finite mu0', () => {
    expect(() => oneSampleTTest([1, 2], { mu0: NaN })).toThrow(ConfigError);
    expect(() => oneSampleTTest([1, 2], { mu0: Infinity })).toThrow(/mu0: must be a finite number/);
  });
});

describe('twoSampleTTest', () => {
  it.each([
    // scipy.stats.ttest_ind (scipy 1.17.1): statistic, pvalue, df.
    [[1, 2, 3, 4], [2, 4, 6, 8, 10], false, -2.2514363231593695, 0.06913359319239237, 5.520787746170677],
    [[1, 2, 3, 4], [2, 4, 6, 8, 10], true, -2.0578065752724592, 0.0786192350586938, 7],
    [[1.1, 2.5, 0.3, 4.2, 3.3, 2.0], [0.2, 0.1, 0.4], false, 3.3990106542155925, 0.017989466035624905, 5.225550855585237],
    [[5], [1, 2, 3], true, 2.598076211353316, 0.12168993434632014, 2],
  ])('agrees with scipy on %j and %j (equal variances: %s)', (a, b, equalVariances, t, p, df) => {
    const result = twoSampleTTest(a, b, { equalVariances });
    expect(result.defined).toBe(true);
    expect(result.variant).toBe(equalVariances ? 'pooled' : 'welch');
    expect(result.t).toBeCloseTo(t, 12);
    expect(result.pValue).toBeCloseTo(p, 12);
    expect(result.df).toBeCloseTo(df, 12);
  });

  it('computes Welch’s t and Welch–Satterthwaite df from the definitions', () => {
    const a = [0.02, 0.01, 0.035, -0.005, 0.012];
    const b = [0.001, -0.002, 0.004, 0.0, 0.003, -0.001, 0.002];
    const w1 = variance(a) / a.length;
    const w2 = variance(b) / b.length;
    const t = (mean(a) - mean(b)) / Math.sqrt(w1 + w2);
    const df = (w1 + w2) ** 2 / (w1 ** 2 / (a.length - 1) + w2 ** 2 / (b.length - 1));
    const result = twoSampleTTest(a, b);
    expect(result.difference).toBeCloseTo(mean(a) - mean(b), 15);
    expect(result.t).toBeCloseTo(t, 12);
    expect(result.df).toBeCloseTo(df, 12);
    expect(result.pValue).toBeCloseTo(studentTTwoSidedPValue(t, df), 14);
  });

  it('is defined when only one sample is constant (Welch: df = n − 1 of the other)', () => {
    const result = twoSampleTTest([3, 3, 3], [1, 2, 3, 4]);
    expect(result.defined).toBe(true);
    expect(result.df).toBeCloseTo(3, 12);
    expect(result.t).toBeCloseTo((3 - 2.5) / Math.sqrt(variance([1, 2, 3, 4]) / 4), 12);
  });

  it('leaves non-finite values out of each sample and counts them', () => {
    const result = twoSampleTTest([1, 2, NaN, 3, 4], [Infinity, 2, 4, 6, 8, 10, NaN]);
    expect(result).toEqual(expect.objectContaining({ n1: 4, n2: 5, dropped1: 1, dropped2: 2 }));
    expect(result.t).toBeCloseTo(-2.2514363231593695, 12);
  });

  it.each([
    ['a sample of one (Welch)', [1], [1, 2, 3], false],
    ['an empty sample (Welch)', [], [1, 2, 3], false],
    ['two samples of one (pooled: df 0)', [1], [2], true],
    ['an empty sample (pooled)', [], [1, 2, 3], true],
  ])('is undefined (too-few-values) for %s', (_what, a, b, equalVariances) => {
    expect(twoSampleTTest(a, b, { equalVariances })).toEqual(expect.objectContaining({ defined: false, reason: 'too-few-values', t: null, df: null, pValue: null }));
  });

  it.each([
    ['equal means', [2, 2, 2], [2, 2], 0],
    ['different means (t would be ±∞)', [2, 2, 2], [5, 5], -3],
  ])('is undefined (zero-variance) for two constant samples with %s, keeping the difference', (_what, a, b, difference) => {
    for (const equalVariances of [false, true]) {
      expect(twoSampleTTest(a, b, { equalVariances })).toEqual(expect.objectContaining({ defined: false, reason: 'zero-variance', difference, standardError: 0, t: null, pValue: null }));
    }
  });

  it('is frozen and JSON-ready', () => {
    const result = twoSampleTTest([1], [2, 3]);
    expect(Object.isFrozen(result)).toBe(true);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});
