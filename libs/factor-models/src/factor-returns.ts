import { ConfigError, finiteOrNull } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { factorValues, forwardReturns } from './factor-panel';
import type { FactorFinding } from './findings';
import { finding } from './findings';
import { fitLeastSquares } from './least-squares';
import type { OneSampleTTest } from './t-test';
import { oneSampleTTest } from './t-test';

/** Options of {@link estimateFactorReturns}. */
export interface FactorReturnsOptions {
  /** The factor columns to regress on (the exposures), at least one, each once. */
  readonly factors: readonly string[];
  /** The forward-return horizon in rows of each symbol's dates (a positive whole number). Default 1. */
  readonly period?: number;
}

/** One date's cross-sectional regression; `null` where a value is not defined. */
export interface CrossSectionalRegression {
  /** The panel date the exposures are taken at; the returns run from it `period` rows forward. */
  readonly date: string;
  /** The number of names with a finite forward return and every factor value. */
  readonly n: number;
  /** True when the regression could be fitted (see {@link estimateFactorReturns}). */
  readonly defined: boolean;
  readonly intercept: number | null;
  /** Per factor, its return on this date (the regression coefficient); `null` when left out. */
  readonly factorReturns: Readonly<Record<string, number | null>>;
  readonly standardErrors: Readonly<Record<string, number | null>>;
  readonly tStats: Readonly<Record<string, number | null>>;
  readonly rSquared: number | null;
}

/**
 * Per-period returns keyed by the date each return is realized: `returns[name][i]` is earned up
 * to `dates[i]`, as a strategy's daily return on `dates[i]` is. `null` (or `NaN`) is a missing value.
 */
export interface FactorReturnSeries {
  /** `YYYY-MM-DD`, ascending, each once. */
  readonly dates: readonly string[];
  /** Per factor, one value per date. */
  readonly returns: Readonly<Record<string, readonly (number | null)[]>>;
}

/** The result of {@link estimateFactorReturns}, frozen and JSON-ready (every number finite or `null`). */
export interface FactorReturns {
  readonly factors: readonly string[];
  readonly period: number;
  /** One regression per panel date. */
  readonly regressions: readonly CrossSectionalRegression[];
  /**
   * The factor returns keyed by the date they are realized: the regression at panel date
   * `dates[d]` gives the returns earned up to `dates[d + period]`. Only dates with a realization
   * date in the panel appear; a date whose regression is not defined has `null` returns.
   */
  readonly series: FactorReturnSeries;
  /**
   * Per factor, the one-sample t-test of its per-date returns against 0 (Fama–MacBeth): mean,
   * std, t, p-value; dates where the factor has no return are left out and counted in `dropped`.
   */
  readonly summary: Readonly<Record<string, OneSampleTTest>>;
  /** The mean of the defined regressions' R². */
  readonly meanRSquared: number | null;
  readonly findings: readonly FactorFinding[];
}

/**
 * Factor returns by cross-sectional regression (the first pass of Fama–MacBeth, as Barra-style
 * risk models estimate them): on each date t, over the names with a finite forward return
 * R_k and a finite value of every factor, the ordinary least squares fit
 *
 *     R_k(t, s) = a(t) + Σⱼ fⱼ(t) · xⱼ(t, s) + e(t, s)
 *
 * gives the factor returns fⱼ(t), their standard errors and t-statistics, and R². Then each
 * factor's returns over the dates are tested against 0 with a one-sample t-test.
 *
 * A date's regression is not defined, with a finding, when it has fewer than (factors + 2)
 * complete names (`too-few-values`: df = n − factors − 1 must be at least 1; the last `period`
 * dates never have a forward return) or when every factor is left out. A factor is left out of
 * a date's regression (its return `null`, the others still estimated) when it is constant on
 * that date (`constant-regressor`) or collinear with the intercept and the factors listed before
 * it (`collinear-regressor`). Rows with a forward return but a missing factor value are left out
 * and counted in a `missing-values` finding. Throws a `ConfigError` keyed `factors` or `period`
 * for a bad option.
 */
export function estimateFactorReturns(panel: FactorPanel, options: FactorReturnsOptions): FactorReturns {
  const names = [...options.factors];
  const period = options.period ?? 1;
  if (names.length === 0) throw new ConfigError('factors', 'give at least one factor to regress on');
  if (new Set(names).size !== names.length) throw new ConfigError('factors', `a factor appears twice in [${names.join(', ')}]`);
  const columns = names.map((name) => factorValues(panel, name, 'factors'));
  const fwd = forwardReturns(panel, [period]).get(period) as Float64Array;
  const k = names.length;
  const findings: FactorFinding[] = [];
  const regressions: CrossSectionalRegression[] = [];
  const seriesValues = names.map(() => new Array<number | null>());
  const perFactor = names.map(() => new Array<number>());
  const rSquares: number[] = [];
  let incomplete = 0;

  for (let d = 0; d < panel.dates.length; d++) {
    const date = panel.dates[d] as string;
    const rows: number[] = [];
    for (let row = panel.dateStart[d] as number; row < (panel.dateStart[d + 1] as number); row++) {
      if (!Number.isFinite(fwd[row] as number)) continue;
      let complete = true;
      for (let j = 0; j < k && complete; j++) complete = Number.isFinite((columns[j] as Float64Array)[row] as number);
      if (complete) rows.push(row);
      else incomplete++;
    }
    const n = rows.length;
    const y = Float64Array.from(rows, (row) => fwd[row] as number);
    const x = columns.map((column) => Float64Array.from(rows, (row) => column[row] as number));
    const fit = n < k + 2 ? null : fitLeastSquares(x, y);
    if (fit === null) findings.push(finding(date, 'too-few-values', `${n} name(s) with a ${period}-period forward return and every factor; a regression on ${k} factor(s) needs at least ${k + 2}`));
    for (const { index, reason } of fit?.dropped ?? []) {
      const name = names[index] as string;
      findings.push(
        reason === 'constant'
          ? finding(date, 'constant-regressor', `'${name}' is constant over the ${n} names: left out of the regression, its return is null`)
          : finding(date, 'collinear-regressor', `'${name}' is collinear with the intercept${index > 0 ? ` and ${names.slice(0, index).map((f) => `'${f}'`).join(', ')}` : ''}: left out of the regression, its return is null`),
      );
    }
    if (fit !== null && !fit.defined) findings.push(finding(date, 'too-few-values', 'every factor was left out: no regression'));
    const defined = fit?.defined === true;
    const record = (values: Float64Array | undefined) => Object.freeze(Object.fromEntries(names.map((name, j) => [name, defined ? finiteOrNull(values?.[j]) : null])));
    regressions.push(
      Object.freeze({
        date,
        n,
        defined,
        intercept: defined ? finiteOrNull(fit?.intercept) : null,
        factorReturns: record(fit?.coefficients),
        standardErrors: record(fit?.standardErrors),
        tStats: record(fit?.tStats),
        rSquared: defined ? finiteOrNull(fit?.rSquared) : null,
      }),
    );
    if (defined && Number.isFinite(fit?.rSquared)) rSquares.push(fit?.rSquared as number);
    names.forEach((_, j) => {
      const value = defined ? (fit?.coefficients[j] as number) : NaN;
      (perFactor[j] as number[]).push(value);
      if (d + period < panel.dates.length) (seriesValues[j] as (number | null)[]).push(finiteOrNull(value));
    });
  }
  if (incomplete > 0) findings.push(finding(null, 'missing-values', `${incomplete} row(s) with a ${period}-period forward return but a missing factor value left out of their date's regression`));

  return Object.freeze({
    factors: Object.freeze(names),
    period,
    regressions: Object.freeze(regressions),
    series: Object.freeze({
      dates: Object.freeze(panel.dates.slice(period)),
      returns: Object.freeze(Object.fromEntries(names.map((name, j) => [name, Object.freeze(seriesValues[j] as (number | null)[])]))),
    }),
    summary: Object.freeze(Object.fromEntries(names.map((name, j) => [name, oneSampleTTest(perFactor[j] as number[])]))),
    meanRSquared: rSquares.length === 0 ? null : finiteOrNull(rSquares.reduce((a, b) => a + b, 0) / rSquares.length),
    findings: Object.freeze(findings),
  });
}
