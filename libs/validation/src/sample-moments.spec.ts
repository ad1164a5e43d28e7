import { ConfigError, SeededRng } from '@quantbot/core';
import { sampleMoments, trialMoments, validateTrialReturnMatrix } from './sample-moments';

describe('sampleMoments', () => {
  it('computes the documented definitions on a hand-checkable series', () => {
    // r = 1, 2, 3, 4, 10: mean 4, deviations −3, −2, −1, 0, 6.
    // Σd² = 50 → m₂ = 10, σ̂ = √(50/4); Σd³ = 180 → m₃ = 36; Σd⁴ = 1394 → m₄ = 278.8.
    // γ₃ = 36 / 10^1.5, γ₄ = 278.8 / 100 (scipy: skew(bias=True), kurtosis(fisher=False, bias=True)).
    const moments = sampleMoments([1, 2, 3, 4, 10]);
    expect(moments.count).toBe(5);
    expect(moments.mean).toBe(4);
    expect(moments.standardDeviation).toBeCloseTo(Math.sqrt(12.5), 14);
    expect(moments.skewness).toBeCloseTo(36 / Math.pow(10, 1.5), 14);
    expect(moments.skewness).toBeCloseTo(1.1384199576606167, 14);
    expect(moments.kurtosis).toBeCloseTo(2.788, 14);
    expect(moments.sharpe).toBeCloseTo(4 / Math.sqrt(12.5), 14);
  });

  it('matches scipy on a short return series', () => {
    const moments = sampleMoments([0.01, -0.02, 0.03, 0.005]);
    expect(moments.mean).toBeCloseTo(0.00625, 15);
    expect(moments.standardDeviation).toBeCloseTo(0.02056493779875511, 15);
    expect(moments.skewness).toBeCloseTo(-0.20537254648674685, 12);
    expect(moments.kurtosis).toBeCloseTo(1.9709529471717342, 12);
    expect(moments.sharpe).toBeCloseTo(0.3039153369274154, 12);
  });

  it('reports non-excess kurtosis: about 3 (not 0) and skewness about 0 for normal returns', () => {
    const rng = new SeededRng(42);
    const returns = Array.from({ length: 200_000 }, () => 0.0005 + 0.01 * rng.nextNormal());
    const moments = sampleMoments(returns);
    expect(moments.kurtosis).toBeGreaterThan(2.95);
    expect(moments.kurtosis).toBeLessThan(3.05);
    expect(Math.abs(moments.skewness)).toBeLessThan(0.02);
    expect(moments.standardDeviation).toBeCloseTo(0.01, 4);
  });

  it('gives zero skewness for a symmetric series and satisfies Pearson’s inequality γ₄ ≥ 1 + γ₃²', () => {
    expect(sampleMoments([-2, -1, 0, 1, 2]).skewness).toBe(0);
    const rng = new SeededRng(7);
    for (let trial = 0; trial < 50; trial++) {
      const returns = Array.from({ length: 5 + trial }, () => Math.exp(rng.nextNormal()) - 1);
      const { skewness, kurtosis } = sampleMoments(returns);
      expect(kurtosis).toBeGreaterThanOrEqual(1 + skewness * skewness - 1e-12);
    }
  });

  it('is accurate when the mean is large against the spread (two-pass algorithm)', () => {
    const base = [0.01, -0.02, 0.03, 0.005];
    const shifted = sampleMoments(base.map((r) => r + 1e6));
    const plain = sampleMoments(base);
    expect(shifted.standardDeviation).toBeCloseTo(plain.standardDeviation, 8);
    expect(shifted.skewness).toBeCloseTo(plain.skewness, 5);
  });

  it('accepts typed arrays', () => {
    expect(sampleMoments(Float64Array.from([1, 2, 3, 4, 10])).kurtosis).toBeCloseTo(2.788, 14);
  });

  it('rejects fewer than 2 returns, naming returns', () => {
    expect(() => sampleMoments([0.01])).toThrow(ConfigError);
    expect(() => sampleMoments([])).toThrow(/^returns: needs at least 2 returns, got 0/);
  });

  it('rejects a non-finite return, naming its index', () => {
    expect(() => sampleMoments([0.01, 0.02, NaN, 0.03])).toThrow(/^returns\[2\]: must be a finite return, got NaN/);
    expect(() => sampleMoments([Infinity, 0.02])).toThrow(/^returns\[0\]: /);
  });

  it('rejects a constant series (zero variance) instead of returning NaN or Infinity', () => {
    expect(() => sampleMoments([0.1, 0.1, 0.1])).toThrow(/^returns: has zero variance/);
  });

  it('uses the given key in its errors', () => {
    expect(() => sampleMoments([1, NaN], 'trial')).toThrow(/^trial\[1\]: /);
  });
});

describe('trialMoments', () => {
  it('returns the moments of every column of a T×N matrix, in column order', () => {
    const matrix = [
      [1, 0.01],
      [2, -0.02],
      [3, 0.03],
      [4, 0.005],
      [10, 0.005],
    ];
    const moments = trialMoments(matrix);
    expect(moments).toHaveLength(2);
    expect(moments[0]?.kurtosis).toBeCloseTo(2.788, 14);
    expect(moments[1]?.mean).toBeCloseTo((0.01 - 0.02 + 0.03 + 0.005 + 0.005) / 5, 15);
  });

  it('names the column of a constant trial', () => {
    expect(() => trialMoments([[1, 0], [2, 0], [3, 0]])).toThrow(/^returns\[:, 1\]: has zero variance/);
  });
});

describe('validateTrialReturnMatrix', () => {
  it('returns the shape of a valid matrix', () => {
    expect(validateTrialReturnMatrix([[1, 2, 3], [4, 5, 6]], 2, 3)).toEqual({ periods: 2, trials: 3 });
  });

  it('rejects too few rows or columns', () => {
    expect(() => validateTrialReturnMatrix([[1, 2]], 2, 1)).toThrow(/^returns: needs at least 2 rows/);
    expect(() => validateTrialReturnMatrix([[1], [2]], 2, 2)).toThrow(/^returns: needs at least 2 columns/);
    expect(() => validateTrialReturnMatrix([], 1, 1)).toThrow(ConfigError);
  });

  it('rejects a ragged row, naming it', () => {
    expect(() => validateTrialReturnMatrix([[1, 2], [3]], 2, 2)).toThrow(/^returns\[1\]: has 1 columns, expected 2/);
  });

  it('rejects a non-finite entry, naming its row and column', () => {
    expect(() => validateTrialReturnMatrix([[1, 2], [3, NaN], [5, 6]], 2, 2)).toThrow(/^returns\[1\]\[1\]: must be a finite return \(row 1, column 1\), got NaN/);
  });
});
