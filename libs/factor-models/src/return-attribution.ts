import { ConfigError, DataError, finiteOrNull } from '@quantbot/core';
import { isIsoDate } from './factor-panel';
import type { FactorReturnSeries } from './factor-returns';
import type { FactorFinding } from './findings';
import { finding } from './findings';
import { fitLeastSquares } from './least-squares';

/** A strategy's per-period (daily) returns: `returns[i]` is earned up to `dates[i]`; `null` or `NaN` is missing. */
export interface StrategyReturns {
  /** `YYYY-MM-DD`, each once (any order). */
  readonly dates: readonly string[];
  readonly returns: readonly (number | null)[];
}

/** Options of {@link attributeReturns}. */
export interface ReturnAttributionOptions {
  /** The periods in a year, to annualise alpha and residual volatility. Default 252 (trading days). */
  readonly periodsPerYear?: number;
  /** The factors to attribute to, from the series. Default: all of them, in the series' order. */
  readonly factors?: readonly string[];
}

/** One factor's exposure; `null` where not defined (a factor left out of the fit, no mean return). */
export interface FactorExposure {
  /** βⱼ, the strategy's return per unit of the factor's return. */
  readonly beta: number | null;
  readonly standardError: number | null;
  /** βⱼ / se, `null` when se = 0. */
  readonly t: number | null;
  /** Two-sided, Student's t with n − p degrees of freedom. */
  readonly pValue: number | null;
  /** The factor's mean return over the dates used. */
  readonly meanFactorReturn: number | null;
  /** βⱼ · meanFactorReturn: the part of the strategy's mean return this factor explains. */
  readonly contribution: number | null;
  /** contribution / the strategy's mean return. */
  readonly share: number | null;
}

/** Why an attribution has no fit. */
export type ReturnAttributionUndefinedReason = 'too-few-dates' | 'every-factor-left-out';

/**
 * The result of {@link attributeReturns}, frozen and JSON-ready (every number finite or `null`).
 * Returns are per period unless named `annualized`.
 */
export interface ReturnAttribution {
  readonly defined: boolean;
  readonly reason?: ReturnAttributionUndefinedReason;
  readonly factors: readonly string[];
  readonly periodsPerYear: number;
  /** The number of dates with a strategy return and every factor's return (the observations). */
  readonly n: number;
  /** n − (factors fitted) − 1. */
  readonly df: number | null;
  /** The strategy's mean return over the dates used. */
  readonly meanReturn: number | null;
  readonly alpha: {
    /** α, the intercept: the mean return no factor explains. */
    readonly perPeriod: number | null;
    /** α · periodsPerYear (arithmetic, as Fama–French alphas are annualised). */
    readonly annualized: number | null;
    readonly standardError: number | null;
    readonly t: number | null;
    readonly pValue: number | null;
    /** α / meanReturn. */
    readonly share: number | null;
  };
  readonly exposures: Readonly<Record<string, FactorExposure>>;
  readonly rSquared: number | null;
  readonly residualVolatility: {
    /** √(SSR / (n − p)). */
    readonly perPeriod: number | null;
    /** perPeriod · √periodsPerYear. */
    readonly annualized: number | null;
  };
  /** Dates of either input with no finite strategy return, ascending. */
  readonly datesWithoutStrategyReturn: readonly string[];
  /** Dates of either input where a factor has no finite return, ascending. */
  readonly datesWithoutFactorReturns: readonly string[];
  readonly findings: readonly FactorFinding[];
}

/** Values by date, checking each date and each value; a missing value is `NaN`. */
function byDate(dates: readonly string[], values: readonly (number | null)[], field: string): Map<string, number> {
  if (values.length !== dates.length) throw new ConfigError(field, `has ${values.length} values for ${dates.length} dates`);
  const out = new Map<string, number>();
  dates.forEach((date, i) => {
    if (!isIsoDate(date)) throw new DataError(`'${date}' is not a date written YYYY-MM-DD`, { field: `${field}.dates[${i}]` });
    if (out.has(date)) throw new DataError(`the date ${date} appears twice`, { field: `${field}.dates[${i}]` });
    const value = values[i] ?? NaN;
    if (value === Infinity || value === -Infinity) throw new DataError(`${value} is not a finite return`, { field: `${field}[${i}]` });
    out.set(date, value);
  });
  return out;
}

/**
 * Attributes a strategy's returns rₜ to factor returns fⱼ,ₜ by ordinary least squares over the
 * dates where the strategy and every chosen factor have a finite return:
 *
 *     rₜ = α + Σⱼ βⱼ fⱼ,ₜ + εₜ
 *
 * giving alpha (per period, annualised as α · periodsPerYear, with its standard error, t and
 * p-value), the exposures βⱼ with standard errors, t-statistics and p-values (Student's t,
 * n − p degrees of freedom, p counting α), R², the residual volatility (√(SSR / (n − p)), per
 * period and · √periodsPerYear) and the share of the mean return each part explains: with an
 * intercept the fit passes through the means, r̄ = α + Σⱼ βⱼ f̄ⱼ, so α / r̄ and βⱼ f̄ⱼ / r̄ sum to 1.
 *
 * Dates are matched exactly; a date of either input without a finite strategy return or
 * without every factor's return is not used and is listed (`datesWithoutStrategyReturn`,
 * `datesWithoutFactorReturns`, an `unmatched-dates` finding). A constant or collinear factor is
 * left out (`null` exposure, a finding); shares are `null` when r̄ = 0 (`zero-mean-return`). The
 * fit is not defined when fewer than (factors + 2) dates match (`too-few-dates`) or every factor
 * is left out. Throws a `ConfigError` for bad options or inputs of mismatched length and a
 * `DataError` naming the field for a bad or repeated date or an infinite return.
 */
export function attributeReturns(strategy: StrategyReturns, factorReturns: FactorReturnSeries, options: ReturnAttributionOptions = {}): ReturnAttribution {
  const periodsPerYear = options.periodsPerYear ?? 252;
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) throw new ConfigError('periodsPerYear', `must be a positive number, got ${periodsPerYear}`);
  const names = [...(options.factors ?? Object.keys(factorReturns.returns))];
  if (names.length === 0) throw new ConfigError('factors', 'give at least one factor to attribute to');
  if (new Set(names).size !== names.length) throw new ConfigError('factors', `a factor appears twice in [${names.join(', ')}]`);
  const strategyByDate = byDate(strategy.dates, strategy.returns, 'strategy');
  const factorByDate = names.map((name) => {
    const values = factorReturns.returns[name];
    if (values === undefined) throw new ConfigError('factors', `unknown factor '${name}' (the series has ${Object.keys(factorReturns.returns).join(', ')})`);
    return byDate(factorReturns.dates, values, `factorReturns.returns.${name}`);
  });

  const allDates = [...new Set([...strategy.dates, ...factorReturns.dates])].sort();
  const used: string[] = [];
  const withoutStrategy: string[] = [];
  const withoutFactors: string[] = [];
  for (const date of allDates) {
    const hasStrategy = Number.isFinite(strategyByDate.get(date) ?? NaN);
    const hasFactors = factorByDate.every((values) => Number.isFinite(values.get(date) ?? NaN));
    if (!hasStrategy) withoutStrategy.push(date);
    if (!hasFactors) withoutFactors.push(date);
    if (hasStrategy && hasFactors) used.push(date);
  }
  const findings: FactorFinding[] = [];
  if (withoutStrategy.length + withoutFactors.length > 0) {
    findings.push(
      finding(null, 'unmatched-dates', `${allDates.length - used.length} of ${allDates.length} date(s) not used: ${withoutStrategy.length} without a strategy return, ${withoutFactors.length} without every factor's return`),
    );
  }

  const n = used.length;
  const y = Float64Array.from(used, (date) => strategyByDate.get(date) as number);
  const x = factorByDate.map((values) => Float64Array.from(used, (date) => values.get(date) as number));
  const meanOf = (values: Float64Array) => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);
  const meanReturn = meanOf(y);
  const fit = n < names.length + 2 ? null : fitLeastSquares(x, y);
  for (const { index, reason } of fit?.dropped ?? []) {
    findings.push(finding(null, reason === 'constant' ? 'constant-regressor' : 'collinear-regressor', `'${names[index]}' is ${reason === 'constant' ? 'constant over the dates used' : 'collinear with the intercept and the factors before it'}: left out, its exposure is null`));
  }
  const defined = fit?.defined === true;
  const reason: ReturnAttributionUndefinedReason | undefined = fit === null ? 'too-few-dates' : defined ? undefined : 'every-factor-left-out';
  if (reason !== undefined) findings.push(finding(null, 'undefined-regression', reason === 'too-few-dates' ? `${n} date(s) with every return; attributing to ${names.length} factor(s) needs at least ${names.length + 2}` : 'every factor was left out: no fit'));
  const shareOf = (part: number) => (defined && meanReturn !== 0 ? finiteOrNull(part / meanReturn) : null);
  if (defined && meanReturn === 0) findings.push(finding(null, 'zero-mean-return', 'the mean strategy return is 0: shares are not defined'));

  const exposures: Record<string, FactorExposure> = {};
  names.forEach((name, j) => {
    const beta = defined ? (fit?.coefficients[j] as number) : NaN;
    const meanFactorReturn = meanOf(x[j] as Float64Array);
    const contribution = beta * meanFactorReturn;
    exposures[name] = Object.freeze({
      beta: finiteOrNull(beta),
      standardError: defined ? finiteOrNull(fit?.standardErrors[j]) : null,
      t: defined ? finiteOrNull(fit?.tStats[j]) : null,
      pValue: defined ? finiteOrNull(fit?.pValues[j]) : null,
      meanFactorReturn: finiteOrNull(meanFactorReturn),
      contribution: finiteOrNull(contribution),
      share: Number.isFinite(contribution) ? shareOf(contribution) : null,
    });
  });
  const alpha = defined ? (fit?.intercept as number) : NaN;
  const residual = defined ? (fit?.residualStd as number) : NaN;
  return Object.freeze({
    defined,
    ...(reason === undefined ? {} : { reason }),
    factors: Object.freeze(names),
    periodsPerYear,
    n,
    df: defined ? (fit?.df as number) : null,
    meanReturn: finiteOrNull(meanReturn),
    alpha: Object.freeze({
      perPeriod: finiteOrNull(alpha),
      annualized: finiteOrNull(alpha * periodsPerYear),
      standardError: defined ? finiteOrNull(fit?.interceptStandardError) : null,
      t: defined ? finiteOrNull(fit?.interceptTStat) : null,
      pValue: defined ? finiteOrNull(fit?.interceptPValue) : null,
      share: defined ? shareOf(alpha) : null,
    }),
    exposures: Object.freeze(exposures),
    rSquared: defined ? finiteOrNull(fit?.rSquared) : null,
    residualVolatility: Object.freeze({ perPeriod: finiteOrNull(residual), annualized: finiteOrNull(residual * Math.sqrt(periodsPerYear)) }),
    datesWithoutStrategyReturn: Object.freeze(withoutStrategy),
    datesWithoutFactorReturns: Object.freeze(withoutFactors),
    findings: Object.freeze(findings),
  });
}
