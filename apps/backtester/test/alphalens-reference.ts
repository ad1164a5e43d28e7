// An independent, deliberately plain implementation of alphalens' factor statistics, for checking
// `backtester factors` against: maps and sorted arrays instead of the library's columnar loops,
// quantiles by pandas' qcut (edges interpolated between order statistics, right-closed bins)
// instead of the library's closed-form bucket index. Nothing here calls @quantbot/factor-models.

/** One (date, symbol) row of a panel: a close or a one-row forward return, and the factor; NaN when missing. */
export interface ReferenceRow {
  readonly date: string;
  readonly symbol: string;
  readonly close?: number;
  readonly forwardReturn?: number;
  readonly factor: number;
}

/** What the reference computes, with NaN where a value is undefined (the CLI prints null there). */
export interface ReferenceResult {
  readonly dates: readonly string[];
  readonly ic: Record<string, { mean: number; std: number; icir: number; t: number; n: number }>;
  /** Per period, per date (the order of `dates`), the IC. */
  readonly icSeries: Record<string, number[]>;
  readonly quantileReturns: Record<string, number[]>;
  readonly topMinusBottom: Record<string, number>;
  /** Per period, per date, the top quantile's mean return minus the bottom one's. */
  readonly spreadSeries: Record<string, number[]>;
  /** Per quantile (1-based key), the mean share of names new to the quantile since the previous date. */
  readonly turnover: Record<string, number>;
  readonly turnoverByPeriod: Record<string, Record<string, number>>;
  readonly rankAutocorrelationByPeriod: Record<string, number>;
  readonly rankAutocorrelation: number;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Average ranks 1..n, ties sharing the mean of their positions (scipy.stats.rankdata). */
function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]?.v === order[start]?.v) end++;
    for (let k = start; k <= end; k++) ranks[order[k]?.i as number] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return ranks;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  x.forEach((xi, i) => {
    const dx = xi - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  });
  return sxy / Math.sqrt(sxx * syy);
}

/** numpy's default percentile: linear interpolation between the order statistics at (n − 1)·p. */
function quantileLinear(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** pd.qcut(values, q, labels=False) + 1: bins (e_{j−1}, e_j], the first one closed on the left. */
function qcut(values: readonly number[], q: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const edges = Array.from({ length: q + 1 }, (_, j) => quantileLinear(sorted, j / q));
  return values.map((x) => {
    for (let j = 1; j <= q; j++) if (x <= (edges[j] as number)) return j;
    return q;
  });
}

/**
 * alphalens' statistics of `rows` for `periods` and `quantiles`, on the panel's own dates: the
 * forward return over k rows of each symbol, the daily Spearman IC and its summary, the mean
 * return of each qcut quantile (per date, then over dates), the top-minus-bottom spread, and at
 * lag 1 (the previous panel date) and at a lag of each period the turnover of each quantile and
 * the rank autocorrelation.
 */
export function alphalensReference(rows: readonly ReferenceRow[], periods: readonly number[], quantiles: number): ReferenceResult {
  const dates = [...new Set(rows.map((r) => r.date))].sort();
  const bySymbol = new Map<string, ReferenceRow[]>();
  for (const row of rows) {
    const series = bySymbol.get(row.symbol) ?? [];
    series.push(row);
    bySymbol.set(row.symbol, series);
  }
  const forward = new Map<number, Map<ReferenceRow, number>>();
  for (const k of periods) {
    const returns = new Map<ReferenceRow, number>();
    for (const series of bySymbol.values()) {
      series.sort((a, b) => (a.date < b.date ? -1 : 1));
      series.forEach((row, j) => {
        const later = series[j + k];
        if (row.close !== undefined) {
          returns.set(row, later === undefined ? NaN : (later.close as number) / row.close - 1);
        } else {
          let growth = 1;
          for (let i = 0; i < k; i++) growth *= 1 + (series[j + i]?.forwardReturn ?? NaN);
          returns.set(row, k === 1 ? (row.forwardReturn as number) : growth - 1);
        }
      });
    }
    forward.set(k, returns);
  }
  const onDate = dates.map((d) => rows.filter((r) => r.date === d));

  // Quantiles from the factor alone: the same buckets for every period.
  const bucket = new Map<ReferenceRow, number>();
  for (const dateRows of onDate) {
    const named = dateRows.filter((r) => Number.isFinite(r.factor));
    if (named.length < quantiles) continue;
    qcut(named.map((r) => r.factor), quantiles).forEach((q, i) => bucket.set(named[i] as ReferenceRow, q));
  }

  const result: ReferenceResult = { dates, ic: {}, icSeries: {}, quantileReturns: {}, topMinusBottom: {}, spreadSeries: {}, turnover: {}, rankAutocorrelation: NaN, turnoverByPeriod: {}, rankAutocorrelationByPeriod: {} };
  for (const k of periods) {
    const returns = forward.get(k) as Map<ReferenceRow, number>;
    const series: number[] = [];
    const perQuantile: number[][] = Array.from({ length: quantiles }, () => []);
    const spreads: number[] = [];
    const spreadSeries: number[] = [];
    for (const dateRows of onDate) {
      const both = dateRows.filter((r) => Number.isFinite(r.factor) && Number.isFinite(returns.get(r) as number));
      series.push(both.length < 2 ? NaN : pearson(averageRanks(both.map((r) => r.factor)), averageRanks(both.map((r) => returns.get(r) as number))));
      const means = Array.from({ length: quantiles }, (_, q) => mean(both.filter((r) => bucket.get(r) === q + 1).map((r) => returns.get(r) as number)));
      means.forEach((m, q) => {
        if (Number.isFinite(m)) perQuantile[q]?.push(m);
      });
      const spread = (means[quantiles - 1] as number) - (means[0] as number);
      if (Number.isFinite(spread)) spreads.push(spread);
      spreadSeries.push(spread);
    }
    const finite = series.filter((x) => Number.isFinite(x));
    const m = mean(finite);
    const std = Math.sqrt(finite.reduce((a, x) => a + (x - m) ** 2, 0) / (finite.length - 1));
    result.ic[String(k)] = { mean: m, std, icir: m / std, t: m / (std / Math.sqrt(finite.length)), n: finite.length };
    result.icSeries[String(k)] = series;
    result.quantileReturns[String(k)] = perQuantile.map(mean);
    result.topMinusBottom[String(k)] = mean(spreads);
    result.spreadSeries[String(k)] = spreadSeries;
  }

  // At lag k: the quantile members of a date against those k dates earlier, and ranks of the common names.
  const atLag = (lag: number): { turnover: Record<string, number>; rankAutocorrelation: number } => {
    const shares: number[][] = Array.from({ length: quantiles }, () => []);
    const autocorrelations: number[] = [];
    for (let d = lag; d < onDate.length; d++) {
      const today = onDate[d] as ReferenceRow[];
      const before = onDate[d - lag] as ReferenceRow[];
      for (let q = 1; q <= quantiles; q++) {
        const now = today.filter((r) => bucket.get(r) === q).map((r) => r.symbol);
        const then = new Set(before.filter((r) => bucket.get(r) === q).map((r) => r.symbol));
        if (now.length > 0 && then.size > 0) shares[q - 1]?.push(now.filter((s) => !then.has(s)).length / now.length);
      }
      const rankOf = (dateRows: readonly ReferenceRow[]): Map<string, number> => {
        const named = dateRows.filter((r) => Number.isFinite(r.factor));
        const ranks = averageRanks(named.map((r) => r.factor));
        return new Map(named.map((r, i) => [r.symbol, ranks[i] as number]));
      };
      const rNow = rankOf(today);
      const rThen = rankOf(before);
      const common = [...rNow.keys()].filter((s) => rThen.has(s));
      const value = pearson(common.map((s) => rNow.get(s) as number), common.map((s) => rThen.get(s) as number));
      if (Number.isFinite(value)) autocorrelations.push(value);
    }
    const turnover: Record<string, number> = {};
    shares.forEach((list, q) => (turnover[String(q + 1)] = mean(list)));
    return { turnover, rankAutocorrelation: mean(autocorrelations) };
  };
  const lagOne = atLag(1);
  for (const k of periods) {
    const at = k === 1 ? lagOne : atLag(k);
    result.turnoverByPeriod[String(k)] = at.turnover;
    result.rankAutocorrelationByPeriod[String(k)] = at.rankAutocorrelation;
  }
  return { ...result, turnover: lagOne.turnover, rankAutocorrelation: lagOne.rankAutocorrelation };
}
