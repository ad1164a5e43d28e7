import { ConfigError, SeededRng } from '@quantbot/core';
import { normalInverseCdf } from './normal-distribution';
import {
  deflatedSharpeRatio,
  deflatedSharpeRatioOfBestTrial,
  expectedMaximumSharpe,
  EULER_MASCHERONI,
  minimumTrackRecordLength,
  probabilisticSharpeRatio,
  probabilisticSharpeRatioFromReturns,
  sharpeRatioStandardError,
} from './overfitting-statistics';
import { sampleMoments } from './sample-moments';

const NORMAL = { skewness: 0, kurtosis: 3 } as const;

describe('sharpeRatioStandardError', () => {
  it('reduces to Lo’s √((1 + SR²/2)/(T − 1)) for normal returns', () => {
    expect(sharpeRatioStandardError({ sharpe: 0.1, observations: 1001, ...NORMAL })).toBeCloseTo(Math.sqrt((1 + 0.005) / 1000), 15);
  });

  it('grows with negative skewness and fat tails when SR > 0', () => {
    const normal = sharpeRatioStandardError({ sharpe: 0.1, observations: 500, ...NORMAL });
    expect(sharpeRatioStandardError({ sharpe: 0.1, observations: 500, skewness: -1, kurtosis: 3 })).toBeGreaterThan(normal);
    expect(sharpeRatioStandardError({ sharpe: 0.1, observations: 500, skewness: 0, kurtosis: 10 })).toBeGreaterThan(normal);
  });
});

describe('probabilisticSharpeRatio', () => {
  it('computes Φ((SR − SR*)·√(T − 1) / √(1 − γ₃SR + (γ₄ − 1)/4·SR²))', () => {
    // scipy: norm.cdf(0.1·√999 / √1.005) = 0.9991915033756518
    expect(probabilisticSharpeRatio({ sharpe: 0.1, observations: 1000, ...NORMAL })).toBeCloseTo(0.9991915033756518, 13);
    // SR 0.05, T 1000, normal: norm.cdf(0.05·√999 / √1.00125) = 0.9428733922457418
    expect(probabilisticSharpeRatio({ sharpe: 0.05, observations: 1000, ...NORMAL })).toBeCloseTo(0.9428733922457418, 13);
  });

  it('is ½ when the Sharpe ratio equals the benchmark and below ½ under it', () => {
    expect(probabilisticSharpeRatio({ sharpe: 0.08, benchmarkSharpe: 0.08, observations: 250, ...NORMAL })).toBe(0.5);
    expect(probabilisticSharpeRatio({ sharpe: 0.05, benchmarkSharpe: 0.08, observations: 250, ...NORMAL })).toBeLessThan(0.5);
  });

  it('falls with negative skewness and fat tails, and rises with the track record length', () => {
    const base = { sharpe: 0.08, observations: 500 };
    const normal = probabilisticSharpeRatio({ ...base, ...NORMAL });
    expect(probabilisticSharpeRatio({ ...base, skewness: -2, kurtosis: 8 })).toBeLessThan(normal);
    expect(probabilisticSharpeRatio({ sharpe: 0.08, observations: 2000, ...NORMAL })).toBeGreaterThan(normal);
  });

  it('from a return series uses the series’ own moments', () => {
    const rng = new SeededRng(3);
    const returns = Array.from({ length: 750 }, () => 0.0004 + 0.01 * rng.nextNormal());
    const moments = sampleMoments(returns);
    const expected = probabilisticSharpeRatio({
      sharpe: moments.sharpe,
      benchmarkSharpe: 0.01,
      observations: 750,
      skewness: moments.skewness,
      kurtosis: moments.kurtosis,
    });
    expect(probabilisticSharpeRatioFromReturns(returns, 0.01)).toBe(expected);
  });

  it.each([
    [{ sharpe: 0.1, observations: 1, ...NORMAL }, /^observations: must be an integer ≥ 2, got 1/],
    [{ sharpe: 0.1, observations: 100.5, ...NORMAL }, /^observations: /],
    [{ sharpe: NaN, observations: 100, ...NORMAL }, /^sharpe: must be a finite number/],
    [{ sharpe: 0.1, benchmarkSharpe: Infinity, observations: 100, ...NORMAL }, /^benchmarkSharpe: /],
    [{ sharpe: 0.1, observations: 100, skewness: NaN, kurtosis: 3 }, /^skewness: /],
    // Excess kurtosis (0 for normal returns) passed by mistake violates γ₄ ≥ 1 + γ₃².
    [{ sharpe: 0.1, observations: 100, skewness: 0, kurtosis: 0 }, /^kurtosis: must be ≥ 1 \+ skewness²/],
    [{ sharpe: 0.1, observations: 100, skewness: -2, kurtosis: 4 }, /^kurtosis: /],
  ])('rejects invalid input %p with a ConfigError naming the parameter', (input, message) => {
    expect(() => probabilisticSharpeRatio(input)).toThrow(ConfigError);
    expect(() => probabilisticSharpeRatio(input)).toThrow(message);
  });
});

describe('expectedMaximumSharpe', () => {
  it('computes √V·((1 − γ)Φ⁻¹(1 − 1/N) + γΦ⁻¹(1 − 1/(Ne)))', () => {
    // scipy: (1 − γ)·norm.ppf(0.99) + γ·norm.ppf(1 − 1/(100e)) = 2.5306028932016846
    expect(expectedMaximumSharpe({ trials: 100, sharpeVariance: 1 })).toBeCloseTo(2.5306028932016846, 13);
    expect(expectedMaximumSharpe({ trials: 10, sharpeVariance: 4 })).toBeCloseTo(2 * 1.57459830134575, 13);
    expect(EULER_MASCHERONI).toBeCloseTo(0.5772156649015329, 16);
  });

  it('approximates the mean maximum of N independent normal Sharpe ratios (Monte Carlo, within 2 %)', () => {
    // The exact E[max of 100 N(0, 1)] is 2.5076 (numerical integration); the formula says 2.5306.
    const rng = new SeededRng(11);
    const trials = 100;
    const repetitions = 4000;
    let sumOfMaxima = 0;
    for (let r = 0; r < repetitions; r++) {
      let max = -Infinity;
      for (let n = 0; n < trials; n++) max = Math.max(max, rng.nextNormal());
      sumOfMaxima += max;
    }
    const simulated = sumOfMaxima / repetitions;
    expect(Math.abs(simulated - 2.5076) / 2.5076).toBeLessThan(0.01);
    expect(Math.abs(expectedMaximumSharpe({ trials, sharpeVariance: 1 }) - simulated) / simulated).toBeLessThan(0.02);
  });

  it('is 0 for a single trial or zero variance, and grows with N', () => {
    expect(expectedMaximumSharpe({ trials: 1, sharpeVariance: 0.3 })).toBe(0);
    expect(expectedMaximumSharpe({ trials: 50, sharpeVariance: 0 })).toBe(0);
    let previous = expectedMaximumSharpe({ trials: 2, sharpeVariance: 1 });
    for (const trials of [3, 5, 10, 100, 1000, 1e6]) {
      const value = expectedMaximumSharpe({ trials, sharpeVariance: 1 });
      expect(value).toBeGreaterThan(previous);
      previous = value;
    }
  });

  it.each([
    [{ trials: 0, sharpeVariance: 1 }, /^trials: must be an integer ≥ 1, got 0/],
    [{ trials: 2.5, sharpeVariance: 1 }, /^trials: /],
    [{ trials: 10, sharpeVariance: -0.1 }, /^sharpeVariance: must be ≥ 0/],
    [{ trials: 10, sharpeVariance: NaN }, /^sharpeVariance: must be a finite number/],
  ])('rejects %p', (input, message) => {
    expect(() => expectedMaximumSharpe(input)).toThrow(message);
  });
});

describe('deflatedSharpeRatio', () => {
  it('reproduces the numerical example of Bailey & López de Prado (2014)', () => {
    // The paper: an annualised SR of 2.5 selected from N = 100 trials whose annualised Sharpe
    // ratios have variance 0.5, over T = 1250 daily returns (5 years of 250 days) with
    // skewness −3 and (non-excess) kurtosis 10. The formulas need per-period quantities:
    // SR = 2.5/√250 ≈ 0.1581 a day and V = 0.5/250 = 0.002 (variance scales with 1/250).
    // Then SR₀ = √0.002 · ((1 − γ)Φ⁻¹(0.99) + γΦ⁻¹(1 − 1/(100e))) = 0.1131720 a day (≈ 1.789
    // annualised), and DSR = Φ((0.1581 − 0.1132)·√1249 / √(1 + 3·0.1581 + 9/4·0.1581²))
    // = Φ(1.28382) = 0.900397: the published SR₀ ≈ 0.1132 and DSR ≈ 0.9004. The same figures
    // come out of scipy (norm.ppf / norm.cdf) independently of this library's Φ and Φ⁻¹.
    const result = deflatedSharpeRatio({
      sharpe: 2.5 / Math.sqrt(250),
      trials: 100,
      sharpeVariance: 0.5 / 250,
      observations: 1250,
      skewness: -3,
      kurtosis: 10,
    });
    expect(result.expectedMaxSharpe).toBeCloseTo(0.1132, 4);
    expect(result.dsr).toBeCloseTo(0.9004, 4);
    // Tighter pins against the scipy computation.
    expect(result.expectedMaxSharpe).toBeCloseTo(0.11317200186513214, 12);
    expect(result.zScore).toBeCloseTo(1.2838160365336546, 10);
    expect(result.dsr).toBeCloseTo(0.9003968344493903, 10);
    expect(result.trials).toBe(100);
  });

  it('equals the PSR against SR₀ and, for one trial, the PSR against 0', () => {
    const estimate = { sharpe: 0.09, observations: 900, skewness: -0.5, kurtosis: 5 };
    const deflated = deflatedSharpeRatio({ ...estimate, trials: 30, sharpeVariance: 0.0009 });
    expect(deflated.dsr).toBeCloseTo(probabilisticSharpeRatio({ ...estimate, benchmarkSharpe: deflated.expectedMaxSharpe }), 15);
    expect(deflatedSharpeRatio({ ...estimate, trials: 1, sharpeVariance: 0.0009 }).dsr).toBe(probabilisticSharpeRatio(estimate));
  });

  it('falls as more trials are run', () => {
    const estimate = { sharpe: 0.09, observations: 900, ...NORMAL, sharpeVariance: 0.0009 };
    const few = deflatedSharpeRatio({ ...estimate, trials: 5 }).dsr;
    const many = deflatedSharpeRatio({ ...estimate, trials: 500 }).dsr;
    expect(many).toBeLessThan(few);
  });

  it('validates its inputs', () => {
    const valid = { sharpe: 0.1, trials: 10, sharpeVariance: 0.001, observations: 500, ...NORMAL };
    expect(() => deflatedSharpeRatio({ ...valid, trials: 0 })).toThrow(/^trials: /);
    expect(() => deflatedSharpeRatio({ ...valid, observations: 1 })).toThrow(/^observations: must be an integer ≥ 2/);
    expect(() => deflatedSharpeRatio({ ...valid, sharpeVariance: Infinity })).toThrow(/^sharpeVariance: /);
    expect(() => deflatedSharpeRatio({ ...valid, kurtosis: 0.5 })).toThrow(/^kurtosis: /);
  });
});

describe('deflatedSharpeRatioOfBestTrial', () => {
  it('selects the column with the highest Sharpe ratio and deflates it by N and the Sharpe variance', () => {
    const rng = new SeededRng(5);
    const drifts = [0, 0.0002, 0.001, -0.0005];
    const matrix = Array.from({ length: 600 }, () => drifts.map((drift) => drift + 0.01 * rng.nextNormal()));
    const result = deflatedSharpeRatioOfBestTrial(matrix);
    const sharpes = [0, 1, 2, 3].map((n) => sampleMoments(matrix.map((row) => row[n] as number)).sharpe);
    expect(result.trialSharpes).toEqual(sharpes);
    expect(result.bestTrial).toBe(sharpes.indexOf(Math.max(...sharpes)));
    expect(result.bestTrial).toBe(2);
    const mean = sharpes.reduce((a, b) => a + b, 0) / 4;
    const variance = sharpes.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
    expect(result.sharpeVariance).toBeCloseTo(variance, 15);
    const best = result.bestMoments;
    const direct = deflatedSharpeRatio({
      sharpe: best.sharpe,
      trials: 4,
      sharpeVariance: variance,
      observations: 600,
      skewness: best.skewness,
      kurtosis: best.kurtosis,
    });
    expect(result.dsr).toBeCloseTo(direct.dsr, 14);
    expect(result.expectedMaxSharpe).toBeCloseTo(direct.expectedMaxSharpe, 14);
  });

  it('names the offending cell of the matrix', () => {
    expect(() => deflatedSharpeRatioOfBestTrial([[0.01, 0.02], [0.03, NaN], [0.01, 0.0]])).toThrow(/^returns\[1\]\[1\]: /);
  });
});

describe('minimumTrackRecordLength', () => {
  it('computes 1 + (1 − γ₃SR + (γ₄ − 1)/4·SR²)·(Φ⁻¹(1 − α)/(SR − SR*))²', () => {
    // Normal returns, SR 0.1 a day, 95 %: 1 + 1.005·(1.6448536/0.1)² = 272.907 days.
    expect(minimumTrackRecordLength({ sharpe: 0.1, ...NORMAL })).toBeCloseTo(272.907117136589, 9);
    // γ₃ = −3, γ₄ = 10: 1 + (1 + 0.3 + 2.25·0.01)·(1.6448536/0.1)² = 358.808 days.
    expect(minimumTrackRecordLength({ sharpe: 0.1, skewness: -3, kurtosis: 10 })).toBeCloseTo(358.8081218041184, 9);
    const z = normalInverseCdf(0.99);
    expect(minimumTrackRecordLength({ sharpe: 0.12, benchmarkSharpe: 0.02, ...NORMAL, confidence: 0.99 })).toBeCloseTo(
      1 + (1 + 0.0072) * (z / 0.1) ** 2,
      10,
    );
  });

  it('is where the PSR crosses the confidence: PSR(⌈MinTRL⌉) ≥ 1 − α > PSR(⌊MinTRL⌋)', () => {
    for (const input of [
      { sharpe: 0.1, ...NORMAL },
      { sharpe: 0.07, benchmarkSharpe: 0.01, skewness: -1.2, kurtosis: 7, confidence: 0.9 },
      { sharpe: 0.2, skewness: 0.5, kurtosis: 4, confidence: 0.99 },
    ]) {
      const length = minimumTrackRecordLength(input);
      const confidence = input.confidence ?? 0.95;
      const psrAt = (observations: number): number => probabilisticSharpeRatio({ ...input, observations });
      expect(psrAt(Math.ceil(length))).toBeGreaterThanOrEqual(confidence);
      expect(psrAt(Math.floor(length))).toBeLessThan(confidence);
    }
  });

  it('is Infinity when the Sharpe ratio does not exceed the benchmark', () => {
    expect(minimumTrackRecordLength({ sharpe: 0.05, benchmarkSharpe: 0.05, ...NORMAL })).toBe(Infinity);
    expect(minimumTrackRecordLength({ sharpe: -0.1, ...NORMAL })).toBe(Infinity);
  });

  it('is longer for negative skewness, fat tails and higher confidence', () => {
    const normal = minimumTrackRecordLength({ sharpe: 0.1, ...NORMAL });
    expect(minimumTrackRecordLength({ sharpe: 0.1, skewness: -1, kurtosis: 3 })).toBeGreaterThan(normal);
    expect(minimumTrackRecordLength({ sharpe: 0.1, skewness: 0, kurtosis: 9 })).toBeGreaterThan(normal);
    expect(minimumTrackRecordLength({ sharpe: 0.1, ...NORMAL, confidence: 0.99 })).toBeGreaterThan(normal);
  });

  it.each([
    [{ sharpe: 0.1, ...NORMAL, confidence: 1 }, /^confidence: must be in \[0\.5, 1\), got 1/],
    [{ sharpe: 0.1, ...NORMAL, confidence: 0.3 }, /^confidence: /],
    [{ sharpe: 0.1, ...NORMAL, confidence: NaN }, /^confidence: /],
    [{ sharpe: Infinity, ...NORMAL }, /^sharpe: /],
    [{ sharpe: 0.1, benchmarkSharpe: NaN, ...NORMAL }, /^benchmarkSharpe: /],
    [{ sharpe: 0.1, skewness: 0, kurtosis: 0 }, /^kurtosis: /],
  ])('rejects %p', (input, message) => {
    expect(() => minimumTrackRecordLength(input)).toThrow(message);
  });
});
