import { ConfigError } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { factorValues } from './factor-panel';
import type { FactorFinding } from './findings';
import { finding } from './findings';
import { averageRanks, isConstant, sortedQuantile } from './statistics';

/** A transform's output: one value per panel row (`NaN` where the input was missing) and what it noticed. */
export interface TransformResult {
  readonly values: Float64Array;
  readonly findings: readonly FactorFinding[];
}

/** Quantile limits for {@link winsorize}: 0 ≤ lower < upper ≤ 1. */
export interface WinsorizeOptions {
  readonly lower: number;
  readonly upper: number;
}

/** Options of {@link rank}. */
export interface RankOptions {
  /** Map the average ranks 1..n to [0, 1] by (rank − 1) / (n − 1) (a lone value gets 0.5). Default false. */
  readonly normalize?: boolean;
}

/** Options of {@link demean}. */
export interface DemeanOptions {
  /** Subtract the mean of each (date, group) instead of the date's mean; needs the panel's group column. Default false. */
  readonly byGroup?: boolean;
}

/** Options of {@link neutralize}. */
export interface NeutralizeOptions {
  /** The factor (a name, or a column aligned with the rows) to regress on. */
  readonly against: string | Float64Array;
}

/**
 * Calls `each(date, rows)` per date with the rows of that date whose value is finite. The output
 * starts as all `NaN`: a missing input stays missing.
 */
function perDate(panel: FactorPanel, values: Float64Array, each: (date: string, rows: number[], out: Float64Array, findings: FactorFinding[]) => void): TransformResult {
  const out = new Float64Array(panel.rows).fill(NaN);
  const findings: FactorFinding[] = [];
  for (let d = 0; d < panel.dates.length; d++) {
    const rows: number[] = [];
    for (let row = panel.dateStart[d] as number; row < (panel.dateStart[d + 1] as number); row++) if (Number.isFinite(values[row] as number)) rows.push(row);
    if (rows.length > 0) each(panel.dates[d] as string, rows, out, findings);
  }
  return Object.freeze({ values: out, findings: Object.freeze(findings) });
}

/**
 * Clips each date's values to that date's `lower` and `upper` quantiles (linear interpolation
 * between order statistics, numpy's default) of its finite values. `NaN` stays `NaN`.
 * Throws a `ConfigError` keyed `lower` / `upper` unless 0 ≤ lower < upper ≤ 1.
 */
export function winsorize(panel: FactorPanel, values: string | Float64Array, options: WinsorizeOptions): TransformResult {
  const { lower, upper } = options;
  if (!(lower >= 0 && lower < 1)) throw new ConfigError('lower', `must be in [0, 1), got ${lower}`);
  if (!(upper > lower && upper <= 1)) throw new ConfigError('upper', `must be in (lower, 1], got ${upper}`);
  const input = factorValues(panel, values, 'values');
  return perDate(panel, input, (_date, rows, out) => {
    const sorted = Float64Array.from(rows, (row) => input[row] as number).sort();
    const lo = sortedQuantile(sorted, lower);
    const hi = sortedQuantile(sorted, upper);
    for (const row of rows) out[row] = Math.min(hi, Math.max(lo, input[row] as number));
  });
}

/**
 * Standardizes each date: (x − mean) / std over the date's finite values, with the sample
 * standard deviation (n − 1). A date whose values are all equal gets 0 for each and a
 * `constant-cross-section` finding; a date with a single value gets 0 and a `too-few-values` finding.
 */
export function zscore(panel: FactorPanel, values: string | Float64Array): TransformResult {
  const input = factorValues(panel, values, 'values');
  return perDate(panel, input, (date, rows, out, findings) => {
    const xs = rows.map((row) => input[row] as number);
    if (rows.length < 2 || isConstant(xs)) {
      for (const row of rows) out[row] = 0;
      findings.push(rows.length < 2 ? finding(date, 'too-few-values', 'a single value: its z-score is 0') : finding(date, 'constant-cross-section', `all ${rows.length} values equal ${xs[0]}: z-scores are 0`));
      return;
    }
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
    for (const row of rows) out[row] = ((input[row] as number) - mean) / std;
  });
}

/**
 * Ranks each date's finite values: average ranks 1..n (ties share the mean of their ranks), or,
 * with `normalize`, (rank − 1) / (n − 1) in [0, 1]. A lone value ranks 1 (normalized 0.5) with a
 * `too-few-values` finding.
 */
export function rank(panel: FactorPanel, values: string | Float64Array, options: RankOptions = {}): TransformResult {
  const input = factorValues(panel, values, 'values');
  return perDate(panel, input, (date, rows, out, findings) => {
    const ranks = averageRanks(rows.map((row) => input[row] as number));
    const n = rows.length;
    if (n === 1) findings.push(finding(date, 'too-few-values', `a single value: rank 1${options.normalize === true ? ', normalized 0.5' : ''}`));
    rows.forEach((row, i) => {
      const r = ranks[i] as number;
      out[row] = options.normalize !== true ? r : n === 1 ? 0.5 : (r - 1) / (n - 1);
    });
  });
}

/**
 * Subtracts each date's mean, or with `byGroup` the mean of the value's (date, group), over the
 * finite values. A group with a single value on a date gets 0 and a `small-group` finding (a date
 * with a single value, without `byGroup`, gets 0 and a `too-few-values` finding); a
 * finite value without a group label becomes `NaN` with a `missing-group` finding. Throws a
 * `ConfigError` keyed `byGroup` when the panel has no group column.
 */
export function demean(panel: FactorPanel, values: string | Float64Array, options: DemeanOptions = {}): TransformResult {
  const input = factorValues(panel, values, 'values');
  const groups = panel.group;
  if (options.byGroup === true && groups === null) throw new ConfigError('byGroup', 'the panel has no group column');
  return perDate(panel, input, (date, rows, out, findings) => {
    const byGroup = new Map<string, number[]>();
    let ungrouped = 0;
    for (const row of rows) {
      const key = options.byGroup === true ? groups?.[row] ?? null : '';
      if (key === null) ungrouped++;
      else {
        const members = byGroup.get(key);
        if (members === undefined) byGroup.set(key, [row]);
        else members.push(row);
      }
    }
    if (ungrouped > 0) findings.push(finding(date, 'missing-group', `${ungrouped} value(s) without a group set to NaN`));
    for (const [group, members] of byGroup) {
      if (members.length < 2) {
        findings.push(options.byGroup === true ? finding(date, 'small-group', `group '${group}' has a single value: demeaned to 0`) : finding(date, 'too-few-values', 'a single value: demeaned to 0'));
      }
      const mean = members.reduce((a, row) => a + (input[row] as number), 0) / members.length;
      for (const row of members) out[row] = members.length < 2 ? 0 : (input[row] as number) - mean;
    }
  });
}

/**
 * Neutralizes each date against another factor: the residual y − (a + b·x) of that date's
 * ordinary least squares fit of the values y on `against` x, over the rows where both are finite.
 * A value whose `against` is missing becomes `NaN` (a `missing-values` finding counts them); when
 * x is constant the fit is the mean (residual y − mean(y), a `constant-regressor` finding); a
 * single complete row gets 0 (`too-few-values`).
 */
export function neutralize(panel: FactorPanel, values: string | Float64Array, options: NeutralizeOptions): TransformResult {
  const input = factorValues(panel, values, 'values');
  const x = factorValues(panel, options.against, 'against');
  return perDate(panel, input, (date, rows, out, findings) => {
    const complete = rows.filter((row) => Number.isFinite(x[row] as number));
    if (complete.length < rows.length) findings.push(finding(date, 'missing-values', `${rows.length - complete.length} value(s) without the regressor set to NaN`));
    if (complete.length === 0) return;
    const xs = complete.map((row) => x[row] as number);
    const ys = complete.map((row) => input[row] as number);
    const n = complete.length;
    const my = ys.reduce((a, b) => a + b, 0) / n;
    if (n < 2) {
      findings.push(finding(date, 'too-few-values', 'a single value with a regressor: residual 0'));
      out[complete[0] as number] = 0;
      return;
    }
    if (isConstant(xs)) {
      findings.push(finding(date, 'constant-regressor', `the regressor is constant (${xs[0]}): the residual is the value minus the date's mean`));
      complete.forEach((row, i) => (out[row] = (ys[i] as number) - my));
      return;
    }
    const mx = xs.reduce((a, b) => a + b, 0) / n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
      sxx += ((xs[i] as number) - mx) ** 2;
    }
    const slope = sxy / sxx;
    complete.forEach((row, i) => (out[row] = (ys[i] as number) - my - slope * ((xs[i] as number) - mx)));
  });
}
