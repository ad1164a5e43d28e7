import { ConfigError } from '@quantbot/core';

/**
 * Sample moments of a return series, in the definitions the Bailey & López de Prado papers use
 * for the Probabilistic and Deflated Sharpe Ratios. Returns are per period (daily returns give
 * daily moments and a daily Sharpe ratio); nothing here annualises.
 */

/** The moments of one return series; see {@link sampleMoments} for the exact definitions. */
export interface SampleMoments {
  /** Number of returns T. */
  readonly count: number;
  /** Arithmetic mean μ̂ = Σ rₜ / T. */
  readonly mean: number;
  /** Sample standard deviation σ̂ = √(Σ (rₜ − μ̂)² / (T − 1)). */
  readonly standardDeviation: number;
  /** Skewness γ̂₃ = m₃ / m₂^{3/2} (0 for a normal distribution). */
  readonly skewness: number;
  /** Non-excess kurtosis γ̂₄ = m₄ / m₂² (3 for a normal distribution, not 0). */
  readonly kurtosis: number;
  /** Per-period Sharpe ratio SR̂ = μ̂ / σ̂ (no risk-free rate: pass excess returns if one applies). */
  readonly sharpe: number;
}

/**
 * Mean, standard deviation, skewness, kurtosis and per-period Sharpe ratio of `returns`.
 *
 * With μ̂ = Σ rₜ / T and the central moments mₖ = Σ (rₜ − μ̂)ᵏ / T (divisor T):
 * - standard deviation σ̂ = √(m₂ · T / (T − 1)), the usual sample (Bessel-corrected) one;
 * - skewness γ̂₃ = m₃ / m₂^{3/2} and kurtosis γ̂₄ = m₄ / m₂², the plain moment ratios without
 *   small-sample corrections; γ̂₄ is *not* excess kurtosis: a normal sample gives γ̂₄ ≈ 3.
 *   These are the γ₃, γ₄ of Bailey & López de Prado (2012, "The Sharpe Ratio Efficient
 *   Frontier", J. of Risk 15(2)) and (2014, "The Deflated Sharpe Ratio", J. of Portfolio
 *   Management 40(5)), and they satisfy Pearson's inequality γ̂₄ ≥ 1 + γ̂₃², which keeps the
 *   Sharpe ratio's standard error real;
 * - Sharpe ratio SR̂ = μ̂ / σ̂, per period.
 *
 * Two passes (mean first, then centred sums) keep the moments accurate when the mean is large
 * against the spread.
 *
 * @param returns per-period returns, at least 2, all finite, not all equal.
 * @param key the name errors use for `returns` (default `"returns"`), e.g. `"returns[:, 3]"` for a column.
 * @throws ConfigError (key `key`) when fewer than 2 returns are given or they are all equal
 *   (zero variance: skewness, kurtosis and Sharpe ratio are undefined); key `key[i]` when
 *   the i-th return is not finite.
 * @example sampleMoments([0.01, -0.01, 0.02, 0]).mean === 0.005
 */
export function sampleMoments(returns: ArrayLike<number>, key = 'returns'): SampleMoments {
  const count = returns.length;
  if (count < 2) throw new ConfigError(key, `needs at least 2 returns, got ${count}`);
  let sum = 0;
  let isConstant = true;
  const first = returns[0] as number;
  for (let i = 0; i < count; i++) {
    const value = returns[i] as number;
    if (!Number.isFinite(value)) throw new ConfigError(`${key}[${i}]`, `must be a finite return, got ${value}`);
    if (value !== first) isConstant = false;
    sum += value;
  }
  if (isConstant) throw zeroVariance(key, count, first);
  const roughMean = sum / count;
  // Second pass: centred sums. The residual Σ(r − μ̂) corrects the mean for the rounding of the
  // first pass (the "corrected two-pass" algorithm of Chan, Golub & LeVeque 1983).
  let residual = 0;
  for (let i = 0; i < count; i++) residual += (returns[i] as number) - roughMean;
  const mean = roughMean + residual / count;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  for (let i = 0; i < count; i++) {
    const d = (returns[i] as number) - mean;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  const m2 = s2 / count;
  if (!(m2 > 0)) throw zeroVariance(key, count, mean);
  const m3 = s3 / count;
  const m4 = s4 / count;
  const standardDeviation = Math.sqrt(s2 / (count - 1));
  return Object.freeze({
    count,
    mean,
    standardDeviation,
    skewness: m3 / Math.pow(m2, 1.5),
    kurtosis: m4 / (m2 * m2),
    sharpe: mean / standardDeviation,
  });
}

function zeroVariance(key: string, count: number, value: number): ConfigError {
  return new ConfigError(key, `has zero variance (all ${count} returns equal ${value}): skewness, kurtosis and Sharpe ratio are undefined`);
}

/**
 * A T×N matrix of trial returns: `matrix[t][n]` is the return of trial (strategy configuration)
 * n in period t. Rows are time, columns are trials; every row has the same length N.
 */
export type TrialReturnMatrix = readonly (readonly number[])[];

/** The shape of a validated {@link TrialReturnMatrix}. */
export interface TrialMatrixShape {
  /** Number of rows (periods) T. */
  readonly periods: number;
  /** Number of columns (trials) N. */
  readonly trials: number;
}

/**
 * Checks that `matrix` is a rectangular T×N matrix of finite numbers with T ≥ `minPeriods` and
 * N ≥ `minTrials`, and returns its shape.
 *
 * @throws ConfigError (key `returns`) for a ragged or too small matrix; key `returns[t][n]` for a
 *   non-finite entry, naming its row t and column n.
 */
export function validateTrialReturnMatrix(matrix: TrialReturnMatrix, minPeriods: number, minTrials: number, key = 'returns'): TrialMatrixShape {
  const periods = matrix.length;
  if (periods < minPeriods) throw new ConfigError(key, `needs at least ${minPeriods} rows (periods), got ${periods}`);
  const first = matrix[0];
  const trials = first === undefined ? 0 : first.length;
  if (trials < minTrials) throw new ConfigError(key, `needs at least ${minTrials} columns (trials), got ${trials}`);
  for (let t = 0; t < periods; t++) {
    const row = matrix[t] as readonly number[];
    if (row.length !== trials) throw new ConfigError(`${key}[${t}]`, `has ${row.length} columns, expected ${trials} like row 0`);
    for (let n = 0; n < trials; n++) {
      const value = row[n] as number;
      if (!Number.isFinite(value)) throw new ConfigError(`${key}[${t}][${n}]`, `must be a finite return (row ${t}, column ${n}), got ${value}`);
    }
  }
  return { periods, trials };
}

/**
 * The {@link SampleMoments} of every column (trial) of a T×N return matrix, in column order.
 *
 * @throws ConfigError as {@link validateTrialReturnMatrix} (T ≥ 2, N ≥ 1), and key `returns[:, n]`
 *   when column n has zero variance.
 */
export function trialMoments(matrix: TrialReturnMatrix): readonly SampleMoments[] {
  const { periods, trials } = validateTrialReturnMatrix(matrix, 2, 1);
  const result: SampleMoments[] = [];
  const column = new Float64Array(periods);
  for (let n = 0; n < trials; n++) {
    for (let t = 0; t < periods; t++) column[t] = (matrix[t] as readonly number[])[n] as number;
    result.push(sampleMoments(column, `returns[:, ${n}]`));
  }
  return Object.freeze(result);
}
