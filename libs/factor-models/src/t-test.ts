import { ConfigError, finiteOrNull } from '@quantbot/core';
import { studentTTwoSidedPValue } from './student-t';

/**
 * Why a t-test has no result: fewer values than it needs (`too-few-values`), or a standard
 * error of 0 because the values do not vary (`zero-variance`), where t would be 0/0 or ±∞.
 */
export type TTestUndefinedReason = 'too-few-values' | 'zero-variance';

/**
 * A one-sample t-test of the mean against `mu0`, JSON-ready: every number is finite or `null`.
 * When `defined` is false, `t`, `df` and `pValue` are `null` and `reason` says why; the
 * descriptive fields (`mean`, `std`) keep whatever could be computed.
 */
export interface OneSampleTTest {
  readonly defined: boolean;
  readonly reason?: TTestUndefinedReason;
  /** The number of finite values used. */
  readonly n: number;
  /** The number of non-finite values (`NaN`, ±∞) left out. */
  readonly dropped: number;
  readonly mu0: number;
  /** The mean of the finite values; `null` when there are none. */
  readonly mean: number | null;
  /** Their sample standard deviation (divisor n − 1); `null` when n < 2. */
  readonly std: number | null;
  /** std / √n; `null` when n < 2. */
  readonly standardError: number | null;
  /** (mean − mu0) / standardError. */
  readonly t: number | null;
  /** n − 1. */
  readonly df: number | null;
  /** The two-sided p-value P(|T| ≥ |t|) under Student's t with `df` degrees of freedom. */
  readonly pValue: number | null;
}

/**
 * A two-sample t-test of mean1 − mean2 against 0, JSON-ready (see {@link OneSampleTTest} for
 * `defined` and `reason`).
 */
export interface TwoSampleTTest {
  readonly defined: boolean;
  readonly reason?: TTestUndefinedReason;
  /** `welch` (unequal variances, the default) or `pooled` (Student's, equal variances). */
  readonly variant: 'welch' | 'pooled';
  readonly n1: number;
  readonly n2: number;
  /** Non-finite values left out of the first and of the second sample. */
  readonly dropped1: number;
  readonly dropped2: number;
  readonly mean1: number | null;
  readonly mean2: number | null;
  /** Sample standard deviations (divisor n − 1); `null` for a sample of fewer than 2 values. */
  readonly std1: number | null;
  readonly std2: number | null;
  /** mean1 − mean2. */
  readonly difference: number | null;
  readonly standardError: number | null;
  readonly t: number | null;
  /** Welch–Satterthwaite degrees of freedom (fractional) or n1 + n2 − 2 (pooled). */
  readonly df: number | null;
  readonly pValue: number | null;
}

/** Options of {@link oneSampleTTest}. */
export interface OneSampleTTestOptions {
  /** The mean under the null hypothesis (finite). Default 0. */
  readonly mu0?: number;
}

/** Options of {@link twoSampleTTest}. */
export interface TwoSampleTTestOptions {
  /** Assume equal variances and pool them (Student's test) instead of Welch's test. Default false. */
  readonly equalVariances?: boolean;
}

/** The finite values, their count, mean and sum of squared deviations (two passes, for accuracy). */
interface Moments {
  readonly n: number;
  readonly dropped: number;
  readonly mean: number;
  readonly sumSquares: number;
}

function moments(values: ArrayLike<number>): Moments {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) {
      n++;
      sum += v;
    }
  }
  const mean = n === 0 ? NaN : sum / n;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) sumSquares += (v - mean) * (v - mean);
  }
  return { n, dropped: values.length - n, mean, sumSquares };
}

/**
 * Student's one-sample t-test: t = (x̄ − mu0) / (s / √n) with s the sample standard deviation,
 * df = n − 1, two-sided p-value from Student's t. Non-finite values are left out and counted in
 * `dropped`. Not defined (`defined: false`, t and p `null`) when fewer than 2 finite values
 * remain (`too-few-values`) or when they are all equal (`zero-variance`: s = 0, so t would be 0/0
 * when x̄ = mu0 and ±∞ otherwise; `mean` still tells which). Throws a `ConfigError` keyed `mu0`
 * for a non-finite `mu0`.
 *
 * @example oneSampleTTest([1, 2, 3, 4]).t ≈ 3.873 (df 3, p ≈ 0.0305), as scipy.stats.ttest_1samp
 */
export function oneSampleTTest(values: ArrayLike<number>, options: OneSampleTTestOptions = {}): OneSampleTTest {
  const mu0 = options.mu0 ?? 0;
  if (!Number.isFinite(mu0)) throw new ConfigError('mu0', `must be a finite number, got ${mu0}`);
  const m = moments(values);
  const base = { n: m.n, dropped: m.dropped, mu0, mean: finiteOrNull(m.mean) };
  if (m.n < 2) return Object.freeze({ defined: false, reason: 'too-few-values', ...base, std: null, standardError: null, t: null, df: null, pValue: null });
  const std = Math.sqrt(m.sumSquares / (m.n - 1));
  const standardError = std / Math.sqrt(m.n);
  const described = { ...base, std, standardError };
  if (!(standardError > 0)) return Object.freeze({ defined: false, reason: 'zero-variance', ...described, t: null, df: null, pValue: null });
  const t = (m.mean - mu0) / standardError;
  const df = m.n - 1;
  return Object.freeze({ defined: true, ...described, t, df, pValue: studentTTwoSidedPValue(t, df) });
}

/**
 * A two-sample t-test of mean1 − mean2 = 0. Welch's (default): se = √(s₁²/n₁ + s₂²/n₂),
 * df = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)) (Welch–Satterthwaite),
 * needing n₁, n₂ ≥ 2. Pooled (`equalVariances`): s_p² = ((n₁ − 1)s₁² + (n₂ − 1)s₂²) / (n₁ + n₂ − 2),
 * se = s_p·√(1/n₁ + 1/n₂), df = n₁ + n₂ − 2, needing n₁, n₂ ≥ 1 and n₁ + n₂ ≥ 3. t = (x̄₁ − x̄₂) / se,
 * two-sided p-value from Student's t. Non-finite values are left out and counted. Not defined when
 * a sample is too small (`too-few-values`) or when se = 0, both samples being constant
 * (`zero-variance`, whether or not their means differ; `difference` still tells).
 *
 * @example twoSampleTTest([1, 2, 3, 4], [2, 4, 6, 8, 10]) → t ≈ −2.251, df ≈ 5.52, p ≈ 0.0691 (as scipy.stats.ttest_ind with equal_var=False)
 */
export function twoSampleTTest(sample1: ArrayLike<number>, sample2: ArrayLike<number>, options: TwoSampleTTestOptions = {}): TwoSampleTTest {
  const pooled = options.equalVariances === true;
  const a = moments(sample1);
  const b = moments(sample2);
  const variance = (m: Moments) => (m.n < 2 ? NaN : m.sumSquares / (m.n - 1));
  const v1 = variance(a);
  const v2 = variance(b);
  const base = {
    variant: pooled ? ('pooled' as const) : ('welch' as const),
    n1: a.n,
    n2: b.n,
    dropped1: a.dropped,
    dropped2: b.dropped,
    mean1: finiteOrNull(a.mean),
    mean2: finiteOrNull(b.mean),
    std1: finiteOrNull(Math.sqrt(v1)),
    std2: finiteOrNull(Math.sqrt(v2)),
    difference: finiteOrNull(a.mean - b.mean),
  };
  const undefinedResult = (reason: TTestUndefinedReason, standardError: number) =>
    Object.freeze({ defined: false, reason, ...base, standardError: finiteOrNull(standardError), t: null, df: null, pValue: null });
  const tooFew = pooled ? a.n < 1 || b.n < 1 || a.n + b.n < 3 : a.n < 2 || b.n < 2;
  if (tooFew) return undefinedResult('too-few-values', NaN);
  let standardError: number;
  let df: number;
  if (pooled) {
    df = a.n + b.n - 2;
    const pooledVariance = (a.sumSquares + b.sumSquares) / df;
    standardError = Math.sqrt(pooledVariance * (1 / a.n + 1 / b.n));
  } else {
    const w1 = v1 / a.n;
    const w2 = v2 / b.n;
    standardError = Math.sqrt(w1 + w2);
    df = (w1 + w2) ** 2 / ((w1 * w1) / (a.n - 1) + (w2 * w2) / (b.n - 1));
  }
  if (!(standardError > 0)) return undefinedResult('zero-variance', standardError);
  const t = (a.mean - b.mean) / standardError;
  return Object.freeze({ defined: true, ...base, standardError, t, df, pValue: studentTTwoSidedPValue(t, df) });
}
