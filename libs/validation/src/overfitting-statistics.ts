import { ConfigError } from '@quantbot/core';
import { normalCdf, normalInverseCdf } from './normal-distribution';
import { sampleMoments, trialMoments } from './sample-moments';
import type { SampleMoments, TrialReturnMatrix } from './sample-moments';

/**
 * Overfitting statistics for a Sharpe ratio: the Probabilistic Sharpe Ratio, the Deflated
 * Sharpe Ratio and the Minimum Track Record Length of Bailey & López de Prado.
 *
 * Every Sharpe ratio here is **per period and not annualised**: the mean over the standard
 * deviation of the returns the observations count (daily returns → daily Sharpe). Convert an
 * annualised figure with SR_period = SR_annual / √(periods per year), and the variance of
 * annualised Sharpe ratios with V_period = V_annual / (periods per year). Kurtosis is the
 * non-excess γ₄ (3 for normal returns), as {@link sampleMoments} computes it.
 */

/** The Euler–Mascheroni constant γ ≈ 0.5772156649, used by {@link expectedMaximumSharpe}. */
export const EULER_MASCHERONI = 0.5772156649015329;

/** The estimated Sharpe ratio of a track record and the shape of its returns. */
export interface SharpeRatioEstimate {
  /** Observed per-period Sharpe ratio SR̂ (not annualised). */
  readonly sharpe: number;
  /** Number of returns T behind SR̂, an integer ≥ 2. */
  readonly observations: number;
  /** Skewness γ₃ of the returns (0 for normal returns). */
  readonly skewness: number;
  /** Non-excess kurtosis γ₄ of the returns (3 for normal returns); must satisfy γ₄ ≥ 1 + γ₃². */
  readonly kurtosis: number;
}

/**
 * The standard error of an estimated Sharpe ratio under non-normal, IID returns (Mertens 2002;
 * Bailey & López de Prado 2012):
 *
 *   σ(SR̂) = √( (1 − γ₃·SR̂ + (γ₄ − 1)/4 · SR̂²) / (T − 1) ).
 *
 * For normal returns (γ₃ = 0, γ₄ = 3) this is Lo's √((1 + SR̂²/2)/(T − 1)).
 *
 * @throws ConfigError naming the parameter: non-finite values, `observations` not an integer ≥ 2,
 *   `kurtosis` below 1 + γ₃² (excess kurtosis passed by mistake, typically), or a `sharpe` at
 *   which the variance term vanishes.
 */
export function sharpeRatioStandardError(estimate: SharpeRatioEstimate): number {
  const observations = requireObservations(estimate.observations);
  return Math.sqrt(sharpeVarianceTerm(estimate.sharpe, estimate.skewness, estimate.kurtosis) / (observations - 1));
}

/** Inputs of {@link probabilisticSharpeRatio}. */
export interface ProbabilisticSharpeInput extends SharpeRatioEstimate {
  /** The per-period Sharpe ratio SR* to beat; default 0. */
  readonly benchmarkSharpe?: number;
}

/**
 * The Probabilistic Sharpe Ratio (Bailey & López de Prado 2012, "The Sharpe Ratio Efficient
 * Frontier", J. of Risk 15(2)): the probability that the true Sharpe ratio exceeds the
 * benchmark SR*, given the observed SR̂ over T returns with skewness γ₃ and kurtosis γ₄:
 *
 *   PSR(SR*) = Φ( (SR̂ − SR*) · √(T − 1) / √(1 − γ₃·SR̂ + (γ₄ − 1)/4 · SR̂²) ).
 *
 * A value ≥ 0.95 says SR̂ beats SR* at 95 % confidence. Negative skewness and fat tails lower it.
 *
 * @throws ConfigError as {@link sharpeRatioStandardError}, and for a non-finite `benchmarkSharpe`.
 * @example probabilisticSharpeRatio({ sharpe: 0.1, observations: 1000, skewness: 0, kurtosis: 3 }) ≈ 0.9991
 */
export function probabilisticSharpeRatio(input: ProbabilisticSharpeInput): number {
  return normalCdf(probabilisticSharpeZScore(input));
}

/**
 * {@link probabilisticSharpeRatio} of a return series: SR̂, T, γ₃ and γ₄ come from
 * {@link sampleMoments} of `returns`.
 *
 * @throws ConfigError as {@link sampleMoments} (key `returns`) and {@link probabilisticSharpeRatio}.
 */
export function probabilisticSharpeRatioFromReturns(returns: ArrayLike<number>, benchmarkSharpe = 0): number {
  const moments = sampleMoments(returns);
  return probabilisticSharpeRatio({ ...estimateOf(moments), benchmarkSharpe });
}

/** Inputs of {@link expectedMaximumSharpe}. */
export interface ExpectedMaximumSharpeInput {
  /** Number of independent trials N (configurations tried before choosing one), an integer ≥ 1. */
  readonly trials: number;
  /** Variance V[{SR̂ₙ}] of the trials' per-period Sharpe ratios, ≥ 0. */
  readonly sharpeVariance: number;
}

/**
 * The expected maximum of N per-period Sharpe ratios drawn when the true Sharpe ratio is 0
 * (Bailey & López de Prado 2014, "The Deflated Sharpe Ratio", J. of Portfolio Management 40(5),
 * from the False Strategy theorem of Bailey, Borwein, López de Prado & Zhu 2014):
 *
 *   SR₀ = √V[{SR̂ₙ}] · ( (1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)) ),   γ = Euler–Mascheroni.
 *
 * With a single trial nothing was selected, and the formula's Φ⁻¹(0) = −∞ is replaced by the
 * exact answer: SR₀ = 0 when N = 1. SR₀ = 0 as well when the variance is 0.
 *
 * @throws ConfigError (key `trials`) unless trials is an integer ≥ 1; (key `sharpeVariance`) unless
 *   it is finite and ≥ 0.
 */
export function expectedMaximumSharpe(input: ExpectedMaximumSharpeInput): number {
  const trials = requireTrials(input.trials);
  const variance = requireFiniteAtLeast('sharpeVariance', input.sharpeVariance, 0);
  if (trials === 1 || variance === 0) return 0;
  const quantile = (1 - EULER_MASCHERONI) * normalInverseCdf(1 - 1 / trials) + EULER_MASCHERONI * normalInverseCdf(1 - 1 / (trials * Math.E));
  return Math.sqrt(variance) * quantile;
}

/** Inputs of {@link deflatedSharpeRatio}: the selected trial's estimate and the search it won. */
export interface DeflatedSharpeInput extends SharpeRatioEstimate, ExpectedMaximumSharpeInput {}

/** The result of {@link deflatedSharpeRatio}. */
export interface DeflatedSharpeResult {
  /** DSR = PSR(SR₀): the probability that the selected Sharpe ratio beats the best of N false strategies. */
  readonly dsr: number;
  /** SR₀, the expected maximum per-period Sharpe ratio of N trials with no skill ({@link expectedMaximumSharpe}). */
  readonly expectedMaxSharpe: number;
  /** The z-score (SR̂ − SR₀) / σ(SR̂); dsr = Φ(zScore). */
  readonly zScore: number;
  /** σ(SR̂), the standard error of the selected Sharpe ratio ({@link sharpeRatioStandardError}). */
  readonly standardError: number;
  /** The selected per-period Sharpe ratio SR̂. */
  readonly sharpe: number;
  /** The number of trials N. */
  readonly trials: number;
}

/**
 * The Deflated Sharpe Ratio (Bailey & López de Prado 2014, "The Deflated Sharpe Ratio:
 * Correcting for Selection Bias, Backtest Overfitting and Non-Normality", J. of Portfolio
 * Management 40(5)): the {@link probabilisticSharpeRatio} of the selected trial against
 * SR₀, the Sharpe ratio the best of N skill-less trials is expected to reach:
 *
 *   DSR = PSR(SR₀) = Φ( (SR̂ − SR₀) · √(T − 1) / √(1 − γ₃·SR̂ + (γ₄ − 1)/4 · SR̂²) ).
 *
 * All Sharpe ratios and the variance are per period. The paper's example (annual SR 2.5 from
 * 1250 daily returns, γ₃ = −3, γ₄ = 10, N = 100, annual V = 0.5, 250 days a year) becomes
 * sharpe = 2.5/√250, sharpeVariance = 0.5/250 and gives SR₀ ≈ 0.1132 and DSR ≈ 0.9004.
 *
 * @throws ConfigError as {@link expectedMaximumSharpe} and {@link sharpeRatioStandardError}.
 */
export function deflatedSharpeRatio(input: DeflatedSharpeInput): DeflatedSharpeResult {
  const expectedMaxSharpe = expectedMaximumSharpe(input);
  const standardError = sharpeRatioStandardError(input);
  const zScore = (requireFinite('sharpe', input.sharpe) - expectedMaxSharpe) / standardError;
  return Object.freeze({
    dsr: normalCdf(zScore),
    expectedMaxSharpe,
    zScore,
    standardError,
    sharpe: input.sharpe,
    trials: input.trials,
  });
}

/** The result of {@link deflatedSharpeRatioOfBestTrial}. */
export interface BestTrialDeflatedSharpeResult extends DeflatedSharpeResult {
  /** Column index of the selected trial (highest Sharpe ratio; the lowest index on ties). */
  readonly bestTrial: number;
  /** Moments of the selected trial's returns. */
  readonly bestMoments: SampleMoments;
  /** Per-period Sharpe ratio of every trial, in column order. */
  readonly trialSharpes: readonly number[];
  /** Sample variance (divisor N − 1) of `trialSharpes`; 0 when N = 1. */
  readonly sharpeVariance: number;
}

/**
 * Selects the trial with the highest Sharpe ratio from a T×N matrix of trial returns (rows are
 * periods, columns are trials) and deflates it: {@link deflatedSharpeRatio} with N = the number
 * of columns, V = the sample variance of the columns' Sharpe ratios, and T, γ₃, γ₄ of the
 * selected column. Pass every configuration that was tried, not only the survivors: N and V are
 * what the deflation corrects for.
 *
 * @throws ConfigError (key `returns`, `returns[t][n]` or `returns[:, n]`) for a ragged matrix,
 *   fewer than 2 rows, a non-finite entry or a constant column.
 */
export function deflatedSharpeRatioOfBestTrial(matrix: TrialReturnMatrix): BestTrialDeflatedSharpeResult {
  const moments = trialMoments(matrix);
  const trialSharpes = moments.map((m) => m.sharpe);
  let bestTrial = 0;
  for (let n = 1; n < trialSharpes.length; n++) {
    if ((trialSharpes[n] as number) > (trialSharpes[bestTrial] as number)) bestTrial = n;
  }
  const bestMoments = moments[bestTrial] as SampleMoments;
  const sharpeVariance = trialSharpes.length > 1 ? sampleVariance(trialSharpes) : 0;
  const result = deflatedSharpeRatio({ ...estimateOf(bestMoments), trials: trialSharpes.length, sharpeVariance });
  return Object.freeze({ ...result, bestTrial, bestMoments, trialSharpes: Object.freeze(trialSharpes), sharpeVariance });
}

/** Inputs of {@link minimumTrackRecordLength}. */
export interface MinimumTrackRecordInput {
  /** Observed per-period Sharpe ratio SR̂ (not annualised). */
  readonly sharpe: number;
  /** The per-period Sharpe ratio SR* to beat; default 0. */
  readonly benchmarkSharpe?: number;
  /** Skewness γ₃ of the returns. */
  readonly skewness: number;
  /** Non-excess kurtosis γ₄ of the returns (3 for normal returns). */
  readonly kurtosis: number;
  /** Required confidence 1 − α, in [0.5, 1); default 0.95. */
  readonly confidence?: number;
}

/**
 * The Minimum Track Record Length (Bailey & López de Prado 2012, "The Sharpe Ratio Efficient
 * Frontier"): how many returns it takes before an observed SR̂ (with skewness γ₃ and
 * kurtosis γ₄) shows, at confidence 1 − α, that the true Sharpe ratio exceeds SR*:
 *
 *   MinTRL = 1 + (1 − γ₃·SR̂ + (γ₄ − 1)/4 · SR̂²) · ( Φ⁻¹(1 − α) / (SR̂ − SR*) )².
 *
 * The result is a real number of periods (not rounded; take the ceiling for a count) in the
 * periods of the Sharpe ratio: daily SR̂ gives days. It is exactly the T at which
 * {@link probabilisticSharpeRatio} equals the confidence. When SR̂ ≤ SR* no track record is
 * long enough, and the result is `Infinity`.
 *
 * @throws ConfigError naming the parameter: non-finite values, `confidence` outside [0.5, 1),
 *   `kurtosis` below 1 + γ₃².
 * @example minimumTrackRecordLength({ sharpe: 0.1, skewness: 0, kurtosis: 3 }) ≈ 272.9 (days, at 95 %)
 */
export function minimumTrackRecordLength(input: MinimumTrackRecordInput): number {
  const sharpe = requireFinite('sharpe', input.sharpe);
  const benchmark = requireFinite('benchmarkSharpe', input.benchmarkSharpe ?? 0);
  const confidence = input.confidence ?? 0.95;
  if (!Number.isFinite(confidence) || confidence < 0.5 || confidence >= 1) {
    throw new ConfigError('confidence', `must be in [0.5, 1), got ${confidence}`);
  }
  const term = sharpeVarianceTerm(sharpe, input.skewness, input.kurtosis);
  if (sharpe <= benchmark) return Infinity;
  const ratio = normalInverseCdf(confidence) / (sharpe - benchmark);
  return 1 + term * ratio * ratio;
}

/** z = (SR̂ − SR*) / σ(SR̂), the argument of Φ in the PSR. */
function probabilisticSharpeZScore(input: ProbabilisticSharpeInput): number {
  const benchmark = requireFinite('benchmarkSharpe', input.benchmarkSharpe ?? 0);
  const standardError = sharpeRatioStandardError(input);
  return (input.sharpe - benchmark) / standardError;
}

/** 1 − γ₃·SR̂ + (γ₄ − 1)/4 · SR̂², validated to be > 0. */
function sharpeVarianceTerm(sharpeInput: number, skewnessInput: number, kurtosisInput: number): number {
  const sharpe = requireFinite('sharpe', sharpeInput);
  const skewness = requireFinite('skewness', skewnessInput);
  const kurtosis = requireFinite('kurtosis', kurtosisInput);
  const pearsonBound = 1 + skewness * skewness;
  if (kurtosis < pearsonBound * (1 - 1e-9)) {
    throw new ConfigError(
      'kurtosis',
      `must be ≥ 1 + skewness² = ${pearsonBound} (Pearson's inequality; kurtosis is non-excess, 3 for normal returns), got ${kurtosis}`,
    );
  }
  const term = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  if (!(term > 0)) {
    throw new ConfigError('sharpe', `gives a non-positive Sharpe ratio variance term 1 − γ₃·SR + (γ₄ − 1)/4·SR² = ${term} (sharpe ${sharpe}, skewness ${skewness}, kurtosis ${kurtosis})`);
  }
  return term;
}

function estimateOf(moments: SampleMoments): SharpeRatioEstimate {
  return { sharpe: moments.sharpe, observations: moments.count, skewness: moments.skewness, kurtosis: moments.kurtosis };
}

function sampleVariance(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  const mean = sum / values.length;
  let squares = 0;
  for (const value of values) squares += (value - mean) * (value - mean);
  return squares / (values.length - 1);
}

function requireObservations(value: number): number {
  if (!Number.isSafeInteger(value) || value < 2) throw new ConfigError('observations', `must be an integer ≥ 2, got ${value}`);
  return value;
}

function requireTrials(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError('trials', `must be an integer ≥ 1, got ${value}`);
  return value;
}

function requireFinite(key: string, value: number): number {
  if (!Number.isFinite(value)) throw new ConfigError(key, `must be a finite number, got ${value}`);
  return value;
}

function requireFiniteAtLeast(key: string, value: number, min: number): number {
  requireFinite(key, value);
  if (value < min) throw new ConfigError(key, `must be ≥ ${min}, got ${value}`);
  return value;
}
