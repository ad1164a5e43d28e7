import { ConfigError, finiteOrNull } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { factorValues, forwardReturns } from './factor-panel';
import type { FactorFinding } from './findings';
import { finding } from './findings';
import { averageRanks, pearsonCorrelation, spearmanCorrelation } from './statistics';

/** What {@link evaluateFactor} evaluates. */
export interface FactorEvaluationOptions {
  /** The factor column's name. */
  readonly factor: string;
  /** Forward-return horizons in rows of each symbol's dates. Default [1, 5, 10]. */
  readonly periods?: readonly number[];
  /** The number of quantile buckets (2 or more). Default 5. */
  readonly quantiles?: number;
}

/** The information coefficient's summary for one period; `null` where a value is not defined. */
export interface IcSummary {
  /** Mean of the per-date ICs that are finite. */
  readonly mean: number | null;
  /** Their sample standard deviation (n − 1); `null` when n < 2. */
  readonly std: number | null;
  /** mean / std. */
  readonly icir: number | null;
  /** mean / (std / √n). */
  readonly t: number | null;
  /** The number of dates with a finite IC. */
  readonly n: number;
}

/** A date's values per period (keys are the periods, `"1"`, `"5"`...); `null` where not defined. */
export interface DatedPeriodValues {
  readonly date: string;
  readonly [period: `${number}`]: number | null;
}

/**
 * The evaluation of one factor, JSON-ready: every number is finite or `null`. Keys of the
 * per-period records are the periods (`"1"`, `"5"`...), of `turnover` the quantiles (`"1"` is the
 * lowest factor values). Definitions: docs/factor-models.md.
 */
export interface FactorEvaluation {
  readonly factor: string;
  readonly periods: readonly number[];
  readonly quantiles: number;
  readonly ic: Readonly<Record<string, IcSummary>>;
  /** Per period, per quantile (index 0 is quantile 1): the mean over dates of the quantile's mean forward return. */
  readonly quantileReturns: Readonly<Record<string, readonly (number | null)[]>>;
  /** Per period, the mean over dates of (top quantile's mean − bottom quantile's mean). */
  readonly topMinusBottom: Readonly<Record<string, number | null>>;
  /** Per quantile, the mean share of its names at a date that were not in it at the previous date. */
  readonly turnover: Readonly<Record<string, number | null>>;
  /** Mean over dates of the correlation of the factor's ranks at a date and at the previous date. */
  readonly rankAutocorrelation: number | null;
  /** Per period p, per quantile: the mean share of its names at a date that were not in it p dates earlier. */
  readonly turnoverByPeriod: Readonly<Record<string, Readonly<Record<string, number | null>>>>;
  /** Per period p: the mean over dates of the correlation of the factor's ranks at a date and p dates earlier. */
  readonly rankAutocorrelationByPeriod: Readonly<Record<string, number | null>>;
  /** Per date, the IC of each period. */
  readonly icSeries: readonly DatedPeriodValues[];
  /** Per date, the top-minus-bottom spread of each period. */
  readonly spreadSeries: readonly DatedPeriodValues[];
  readonly findings: readonly FactorFinding[];
}

/**
 * Assigns each date's finite factor values to `quantiles` buckets by rank, as pandas' `qcut`
 * does: with the n values sorted ascending at positions i = 0..n−1, the bucket of position i is
 * max(1, ⌈i·Q / (n − 1)⌉) (the bucket whose quantile edge, interpolated between order statistics,
 * first reaches the value); tied values all take the bucket of the lowest position of their
 * tie. Returns per row its bucket 1..Q, or 0 when the value is missing or its date has fewer
 * than Q finite values (a `too-few-names-for-quantiles` finding).
 */
export function assignQuantiles(panel: FactorPanel, values: string | Float64Array, quantiles: number, findings: FactorFinding[] = []): Int32Array {
  if (!Number.isInteger(quantiles) || quantiles < 2) throw new ConfigError('quantiles', `must be a whole number of at least 2, got ${quantiles}`);
  const input = factorValues(panel, values, 'values');
  const out = new Int32Array(panel.rows);
  for (let d = 0; d < panel.dates.length; d++) {
    const rows: number[] = [];
    for (let row = panel.dateStart[d] as number; row < (panel.dateStart[d + 1] as number); row++) if (Number.isFinite(input[row] as number)) rows.push(row);
    const n = rows.length;
    if (n < quantiles) {
      findings.push(finding(panel.dates[d] as string, 'too-few-names-for-quantiles', `${n} finite value(s) for ${quantiles} quantiles: no quantile assigned`));
      continue;
    }
    rows.sort((a, b) => (input[a] as number) - (input[b] as number));
    let tieStart = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0 && input[rows[i] as number] !== input[rows[i - 1] as number]) tieStart = i;
      out[rows[i] as number] = Math.max(1, Math.floor((tieStart * quantiles + n - 2) / (n - 1)));
    }
  }
  return out;
}

/**
 * Evaluates a factor against its forward returns with alphalens' definitions (see
 * docs/factor-models.md): per period the daily information coefficient (Spearman), its mean,
 * standard deviation, ICIR and t-statistic; the mean forward return per quantile and the
 * top-minus-bottom spread; the factor's rank autocorrelation and the turnover of each quantile, at
 * lag 1 and at a lag of each period. Throws a `ConfigError` keyed `factor`, `periods` or `quantiles` for a bad option.
 */
export function evaluateFactor(panel: FactorPanel, options: FactorEvaluationOptions): FactorEvaluation {
  const periods = [...(options.periods ?? [1, 5, 10])];
  const quantiles = options.quantiles ?? 5;
  const factor = factorValues(panel, options.factor, 'factor');
  const returns = forwardReturns(panel, periods);
  if (new Set(periods).size !== periods.length) throw new ConfigError('periods', `a period appears twice in [${periods.join(', ')}]`);
  const findings: FactorFinding[] = [];
  if ((panel.missing[options.factor] ?? 0) > 0) findings.push(finding(null, 'missing-values', `${panel.missing[options.factor]} missing value(s) of '${options.factor}' left out of every statistic`));
  const bucket = assignQuantiles(panel, factor, quantiles, findings);
  const dates = panel.dates.length;

  const icSeries: Record<string, number | null>[] = panel.dates.map(() => ({}));
  const spreadSeries: Record<string, number | null>[] = panel.dates.map(() => ({}));
  const ic: Record<string, IcSummary> = {};
  const quantileReturns: Record<string, readonly (number | null)[]> = {};
  const topMinusBottom: Record<string, number | null> = {};
  for (const period of periods) {
    const fwd = returns.get(period) as Float64Array;
    const ics: number[] = [];
    const quantileSum = new Float64Array(quantiles);
    const quantileDates = new Int32Array(quantiles);
    const spreads: number[] = [];
    let undefinedIc = 0;
    for (let d = 0; d < dates; d++) {
      const xs: number[] = [];
      const ys: number[] = [];
      const sum = new Float64Array(quantiles);
      const count = new Int32Array(quantiles);
      for (let row = panel.dateStart[d] as number; row < (panel.dateStart[d + 1] as number); row++) {
        const x = factor[row] as number;
        const y = fwd[row] as number;
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        xs.push(x);
        ys.push(y);
        const q = bucket[row] as number;
        if (q > 0) {
          sum[q - 1] = (sum[q - 1] as number) + y;
          count[q - 1] = (count[q - 1] as number) + 1;
        }
      }
      const value = spearmanCorrelation(xs, ys);
      if (Number.isFinite(value)) ics.push(value);
      else undefinedIc++;
      (icSeries[d] as Record<string, number | null>)[String(period)] = finiteOrNull(value);
      for (let q = 0; q < quantiles; q++) {
        if ((count[q] as number) > 0) {
          quantileSum[q] = (quantileSum[q] as number) + (sum[q] as number) / (count[q] as number);
          quantileDates[q] = (quantileDates[q] as number) + 1;
        }
      }
      const top = (count[quantiles - 1] as number) > 0 ? (sum[quantiles - 1] as number) / (count[quantiles - 1] as number) : NaN;
      const bottom = (count[0] as number) > 0 ? (sum[0] as number) / (count[0] as number) : NaN;
      const spread = top - bottom;
      if (Number.isFinite(spread)) spreads.push(spread);
      (spreadSeries[d] as Record<string, number | null>)[String(period)] = finiteOrNull(spread);
    }
    if (undefinedIc > 0) findings.push(finding(null, 'undefined-ic', `period ${period}: the IC is undefined on ${undefinedIc} of ${dates} date(s) (fewer than 2 names with both a factor value and a forward return, or no variance in either)`));
    ic[String(period)] = summarize(ics);
    quantileReturns[String(period)] = Object.freeze(Array.from(quantileSum, (s, q) => finiteOrNull(s / (quantileDates[q] as number))));
    topMinusBottom[String(period)] = finiteOrNull(mean(spreads));
  }

  // Rank autocorrelation and turnover at lag 1, and at a lag of each period, on the panel's dates.
  const ranks = new Float64Array(panel.rows).fill(NaN);
  for (let d = 0; d < dates; d++) {
    const rows: number[] = [];
    for (let row = panel.dateStart[d] as number; row < (panel.dateStart[d + 1] as number); row++) if (Number.isFinite(factor[row] as number)) rows.push(row);
    const r = averageRanks(rows.map((row) => factor[row] as number));
    rows.forEach((row, i) => (ranks[row] = r[i] as number));
  }
  const lagged = (lag: number) => laggedStatistics(panel, ranks, bucket, quantiles, lag);
  const atLagOne = lagged(1);
  const turnoverByPeriod: Record<string, Readonly<Record<string, number | null>>> = {};
  const rankAutocorrelationByPeriod: Record<string, number | null> = {};
  for (const period of periods) {
    const statistics = period === 1 ? atLagOne : lagged(period);
    turnoverByPeriod[String(period)] = statistics.turnover;
    rankAutocorrelationByPeriod[String(period)] = statistics.rankAutocorrelation;
  }

  const freezeSeries = (series: Record<string, number | null>[]) => Object.freeze(series.map((values, d) => Object.freeze({ date: panel.dates[d] as string, ...values }) as DatedPeriodValues));
  return Object.freeze({
    factor: options.factor,
    periods: Object.freeze(periods),
    quantiles,
    ic: Object.freeze(ic),
    quantileReturns: Object.freeze(quantileReturns),
    topMinusBottom: Object.freeze(topMinusBottom),
    turnover: atLagOne.turnover,
    rankAutocorrelation: atLagOne.rankAutocorrelation,
    turnoverByPeriod: Object.freeze(turnoverByPeriod),
    rankAutocorrelationByPeriod: Object.freeze(rankAutocorrelationByPeriod),
    icSeries: freezeSeries(icSeries),
    spreadSeries: freezeSeries(spreadSeries),
    findings: Object.freeze(findings),
  });
}

/**
 * Turnover per quantile and the rank autocorrelation at `lag` dates: date d is compared with date
 * d − lag of the panel (alphalens' `quantile_turnover` and `factor_rank_autocorrelation` with
 * `period = lag`), on the dates where both exist (and, for a quantile's turnover, where it has
 * names at both).
 */
function laggedStatistics(
  panel: FactorPanel,
  ranks: Float64Array,
  bucket: Int32Array,
  quantiles: number,
  lag: number,
): { readonly turnover: Readonly<Record<string, number | null>>; readonly rankAutocorrelation: number | null } {
  const symbols = panel.symbols.length;
  const dates = panel.dates.length;
  // Per date: each symbol's rank (NaN: none) and quantile (0: none), and each quantile's count.
  const rankAt: Float64Array[] = [];
  const bucketAt: Int32Array[] = [];
  const countAt: Int32Array[] = [];
  const autocorrelations: number[] = [];
  const turnovers: number[][] = Array.from({ length: quantiles }, () => []);
  for (let d = 0; d < dates; d++) {
    const rank = new Float64Array(symbols).fill(NaN);
    const buckets = new Int32Array(symbols);
    const count = new Int32Array(quantiles + 1);
    for (let row = panel.dateStart[d] as number; row < (panel.dateStart[d + 1] as number); row++) {
      const s = panel.symbolIndex[row] as number;
      rank[s] = ranks[row] as number;
      const q = bucket[row] as number;
      buckets[s] = q;
      if (q > 0) count[q] = (count[q] as number) + 1;
    }
    rankAt.push(rank);
    bucketAt.push(buckets);
    countAt.push(count);
    if (d < lag) continue;
    const previousRank = rankAt[d - lag] as Float64Array;
    const previousBucket = bucketAt[d - lag] as Int32Array;
    const previousCount = countAt[d - lag] as Int32Array;
    const now: number[] = [];
    const before: number[] = [];
    const fresh = new Int32Array(quantiles + 1);
    for (let s = 0; s < symbols; s++) {
      if (Number.isFinite(rank[s] as number) && Number.isFinite(previousRank[s] as number)) {
        now.push(rank[s] as number);
        before.push(previousRank[s] as number);
      }
      const q = buckets[s] as number;
      if (q > 0 && previousBucket[s] !== q) fresh[q] = (fresh[q] as number) + 1;
    }
    const value = pearsonCorrelation(now, before);
    if (Number.isFinite(value)) autocorrelations.push(value);
    for (let q = 1; q <= quantiles; q++) {
      if ((count[q] as number) > 0 && (previousCount[q] as number) > 0) (turnovers[q - 1] as number[]).push((fresh[q] as number) / (count[q] as number));
    }
  }
  const turnover: Record<string, number | null> = {};
  turnovers.forEach((series, q) => (turnover[String(q + 1)] = finiteOrNull(mean(series))));
  return { turnover: Object.freeze(turnover), rankAutocorrelation: finiteOrNull(mean(autocorrelations)) };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function summarize(ics: readonly number[]): IcSummary {
  const n = ics.length;
  const m = mean(ics);
  const std = n < 2 ? NaN : Math.sqrt(ics.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
  return Object.freeze({ mean: finiteOrNull(m), std: finiteOrNull(std), icir: finiteOrNull(m / std), t: finiteOrNull(m / (std / Math.sqrt(n))), n });
}
