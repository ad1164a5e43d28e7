import type { BarSeries, Ticker } from '@quantbot/core';
import { ConfigError, DataError } from '@quantbot/core';

/** Quantiles of the absolute overnight gap, in percent (nearest rank). */
export interface GapQuantiles {
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
}

/**
 * How far a symbol's open jumps from the previous close, the move a stop order cannot protect
 * against. A gap is open / previous close − 1, measured on every pair of consecutive bars.
 * Percent fields are percent (2 = 2 %); `tailGap` is a fraction. When no gap could be measured
 * (`gaps` is 0), every statistic is `NaN`.
 */
export interface GapStatistics {
  readonly symbol: Ticker;
  /** Bars with a usable previous close: the number of gaps measured. */
  readonly gaps: number;
  /** Pairs of bars left out because a price was non-finite or ≤ 0. */
  readonly skipped: number;
  /** The threshold `frequency` counts against, in percent. */
  readonly thresholdPct: number;
  /** Share of gaps (0–1) with |gap| ≥ `thresholdPct`. */
  readonly frequency: number;
  /** Mean |gap| in percent. */
  readonly meanAbsGapPct: number;
  readonly quantiles: GapQuantiles;
  /** The largest gap up in percent (0 when the open never gapped up). */
  readonly worstUpPct: number;
  /** The largest gap down in percent, ≤ 0 (0 when the open never gapped down). */
  readonly worstDownPct: number;
  /** The 99th percentile |gap| as a fraction (0.05 = 5 %): the gap a risk limit should survive. */
  readonly tailGap: number;
}

/** Options of {@link computeGapStatistics}. */
export interface GapStatisticsOptions {
  /** The |gap| in percent that counts as a large gap for `frequency`. ≥ 0, default 2. */
  readonly thresholdPct?: number;
}

/** Default `thresholdPct` of {@link computeGapStatistics}. */
export const DEFAULT_GAP_THRESHOLD_PCT = 2;

/**
 * Measures the overnight gaps of one series. A pair of consecutive bars whose previous close or
 * open is non-finite or ≤ 0 is not a gap and is counted in `skipped`. Quantiles use the nearest
 * rank: the p-th percentile of n sorted values is the value at rank ⌈p/100 × n⌉.
 *
 * @example
 * const stats = computeGapStatistics(orcl);
 * stats.quantiles.p99; // ≈ 6.55 for ORCL 1995–2014: 1 open in 100 is that many percent or more off the previous close
 */
export function computeGapStatistics(series: BarSeries, options: GapStatisticsOptions = {}): GapStatistics {
  const thresholdPct = options.thresholdPct ?? DEFAULT_GAP_THRESHOLD_PCT;
  if (typeof thresholdPct !== 'number' || !Number.isFinite(thresholdPct) || thresholdPct < 0) {
    throw new ConfigError('thresholdPct', `must be a finite number ≥ 0, got ${String(thresholdPct)}`);
  }
  const pairs = Math.max(0, series.length - 1);
  const absGapsPct = new Float64Array(pairs);
  let gaps = 0;
  let sumAbsPct = 0;
  let large = 0;
  let worstUpPct = 0;
  let worstDownPct = 0;
  for (let i = 1; i < series.length; i++) {
    const previousClose = series.close[i - 1] as number;
    const open = series.open[i] as number;
    if (!(Number.isFinite(previousClose) && Number.isFinite(open) && previousClose > 0 && open > 0)) continue;
    // 100 × (open − close) / close is exact for round numbers, where open / close − 1 is not.
    const gapPct = (100 * (open - previousClose)) / previousClose;
    const absPct = Math.abs(gapPct);
    absGapsPct[gaps++] = absPct;
    sumAbsPct += absPct;
    if (absPct >= thresholdPct) large++;
    if (gapPct > worstUpPct) worstUpPct = gapPct;
    if (gapPct < worstDownPct) worstDownPct = gapPct;
  }
  const sorted = absGapsPct.subarray(0, gaps).sort();
  const quantiles: GapQuantiles = Object.freeze({
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
  });
  const hasGaps = gaps > 0;
  return Object.freeze({
    symbol: series.symbol,
    gaps,
    skipped: pairs - gaps,
    thresholdPct,
    frequency: hasGaps ? large / gaps : NaN,
    meanAbsGapPct: hasGaps ? sumAbsPct / gaps : NaN,
    quantiles,
    worstUpPct: hasGaps ? worstUpPct : NaN,
    worstDownPct: hasGaps ? worstDownPct : NaN,
    tailGap: quantiles.p99 / 100,
  });
}

/**
 * The tail gap (`tailGap`, a fraction) of each series by symbol: the input of the gateway's
 * gap-adjusted exposure limit. Throws a `DataError` naming the symbol when a series has no
 * measurable gap (its risk is unknown, not zero) or a symbol appears twice.
 */
export function gapRiskBySymbol(series: readonly BarSeries[], options: GapStatisticsOptions = {}): Readonly<Record<string, number>> {
  const risk = new Map<string, number>();
  for (const one of series) {
    if (risk.has(one.symbol)) throw new DataError('appears in two series', { symbol: one.symbol });
    const stats = computeGapStatistics(one, options);
    if (stats.gaps === 0) {
      throw new DataError(`no measurable gap in ${one.length} bars (${stats.skipped} skipped): gap risk unknown`, { symbol: one.symbol });
    }
    risk.set(one.symbol, stats.tailGap);
  }
  return Object.freeze(Object.fromEntries(risk));
}

/**
 * The loss a tail gap would cause across positions, in currency: Σ |value| × gapRisk[symbol].
 * `positions` maps symbol to signed market value; `gapRisk` maps symbol to a gap fraction (from
 * {@link gapRiskBySymbol}). A non-zero position whose symbol has no gap risk takes
 * `defaultGapRisk` when given (as the gateway's `defaultGapRisk` limit does) and is a `DataError`
 * otherwise: unknown risk is not zero risk. Non-finite values or negative risks are errors too.
 *
 * @example gapAdjustedExposure({ ORCL: 10_000, MSFT: -5_000 }, { ORCL: 0.06, MSFT: 0.04 }) // 800
 */
export function gapAdjustedExposure(
  positions: Readonly<Record<string, number>>,
  gapRisk: Readonly<Record<string, number>>,
  defaultGapRisk?: number,
): number {
  if (defaultGapRisk !== undefined && !(Number.isFinite(defaultGapRisk) && defaultGapRisk >= 0)) {
    throw new ConfigError('defaultGapRisk', `must be a finite fraction ≥ 0, got ${defaultGapRisk}`);
  }
  let total = 0;
  for (const [symbol, value] of Object.entries(positions)) {
    if (!Number.isFinite(value)) throw new DataError(`position value ${value} is not finite`, { symbol });
    if (value === 0) continue;
    const risk = Object.prototype.hasOwnProperty.call(gapRisk, symbol) ? gapRisk[symbol] : defaultGapRisk;
    if (risk === undefined) throw new DataError('has a position but no gap risk', { symbol });
    if (!Number.isFinite(risk) || risk < 0) throw new DataError(`gap risk ${risk} is not a finite fraction ≥ 0`, { symbol });
    total += Math.abs(value) * risk;
  }
  return total;
}

function nearestRank(sorted: Float64Array, percentile: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((percentile * sorted.length) / 100));
  return sorted[rank - 1] as number;
}
