import type { BarIntervalName } from '@quantbot/core';
import { detectBarInterval, isIntradayInterval, periodsPerYear } from '@quantbot/core';
import type { ClosedTrade, TradeOutcomes } from './trade-tracker';
import { tradeOutcomes } from './trade-tracker';

const MS_PER_YEAR = 365.25 * 24 * 60 * 60 * 1000;

/**
 * Performance of a run. Returns and ratios are fractions (0.12 = 12%) except where the name
 * ends in `Pct`, which is in percent. A statistic that is undefined for the run (a Sharpe ratio
 * with zero volatility, a profit factor with no losing trade) is `null`, never a made-up number.
 *
 * Annualised figures use `periodsPerYear` of the bar interval (`periodsPerYear` of
 * `@quantbot/core`: 252 for daily bars, 252 × 390 / minutes per bar for intraday bars, 52 for
 * weekly bars): a volatility or a Sharpe ratio is the per-bar figure × √periodsPerYear.
 */
export interface PerformanceMetrics {
  /** The bar interval the annualised figures assume. */
  readonly barInterval: BarIntervalName;
  /** Bars of `barInterval` in a year. */
  readonly periodsPerYear: number;
  readonly startingEquity: number;
  readonly finalEquity: number;
  readonly totalReturn: number;
  /**
   * Compound annual growth. For daily and longer bars over calendar time between the first and
   * last bar; for intraday bars over trading time (bars / periodsPerYear), since nights and
   * weekends hold no bars.
   */
  readonly cagr: number | null;
  /** Standard deviation of per-bar returns (sample) × √periodsPerYear. */
  readonly annualVolatility: number | null;
  /** Mean per-bar return / its sample standard deviation × √periodsPerYear; risk-free rate 0. */
  readonly sharpe: number | null;
  /** Mean per-bar return / downside deviation (root mean square of negative returns) × √periodsPerYear. */
  readonly sortino: number | null;
  /** Largest peak-to-trough fall of equity, in percent of the peak. */
  readonly maxDrawdownPct: number;
  /** Longest time under a previous equity peak, in bars. */
  readonly maxDrawdownDurationBars: number;
  /** CAGR / max drawdown (as a fraction). */
  readonly calmar: number | null;
  readonly closedTrades: number;
  /** Share of closed trades with positive net P&L. */
  readonly winRate: number | null;
  /** Sum of winning net P&L / |sum of losing net P&L|. */
  readonly profitFactor: number | null;
  /** Share of bars that ended with a position open. */
  readonly exposure: number;
  /** Traded notional / average equity over the run. */
  readonly turnover: number;
  readonly totalCommission: number;
  readonly bars: number;
}

/** What `computeMetrics` reads: the equity at each bar's close and what happened in between. */
export interface MetricsInput {
  readonly startingEquity: number;
  readonly time: Float64Array;
  readonly equity: Float64Array;
  /** Number of bars that ended with a position open. */
  readonly barsInMarket: number;
  readonly tradedNotional: number;
  readonly totalCommission: number;
  /** The closed trades, or only their outcomes (`TradeTracker.outcomes`: the same figures without a trade object). */
  readonly trades: readonly ClosedTrade[] | TradeOutcomes;
  /**
   * The bar interval of `time`, which sets the annualisation. Default: detected from `time`
   * (`detectBarInterval`), daily when the times cannot tell.
   */
  readonly barInterval?: BarIntervalName;
}

/** Computes run statistics from an equity curve sampled at every bar's close. */
export function computeMetrics(input: MetricsInput): PerformanceMetrics {
  const { equity, time } = input;
  const n = equity.length;
  const start = input.startingEquity;
  const final = n > 0 ? (equity[n - 1] as number) : start;

  const curve = new Float64Array(CURVE_FIGURES);
  curvePass(equity, start, curve);
  const count = curve[0] as number;
  const shift = curve[1] as number;
  const sum = curve[2] as number;
  const sumSquares = curve[3] as number;
  const downside = curve[4] as number;
  const maxDd = curve[5] as number;
  const maxDdBars = curve[6] as number;
  const equitySum = curve[7] as number;
  const mean = count > 0 ? shift + sum / count : 0;
  const m2 = count > 0 ? Math.max(0, sumSquares - (sum * sum) / count) : 0;

  const std = count > 1 ? Math.sqrt(m2 / (count - 1)) : 0;
  const downsideDev = count > 0 ? Math.sqrt(downside / count) : 0;
  const barInterval = input.barInterval ?? detectBarInterval(time).interval ?? '1d';
  const perYear = periodsPerYear(barInterval);
  const annual = Math.sqrt(perYear);
  const years = isIntradayInterval(barInterval) ? count / perYear : n > 1 ? ((time[n - 1] as number) - (time[0] as number)) / MS_PER_YEAR : 0;
  const cagr = years > 0 && start > 0 && final > 0 ? Math.pow(final / start, 1 / years) - 1 : null;

  const trades = input.trades;
  const { count: tradeCount, wins, grossWin, grossLoss } = isTradeList(trades) ? tradeOutcomes(trades) : trades;
  const averageEquity = n > 0 ? equitySum / n : start;

  return Object.freeze({
    barInterval,
    periodsPerYear: perYear,
    startingEquity: start,
    finalEquity: final,
    totalReturn: start > 0 ? final / start - 1 : 0,
    cagr,
    annualVolatility: count > 1 ? std * annual : null,
    sharpe: std > 0 ? (mean / std) * annual : null,
    sortino: downsideDev > 0 ? (mean / downsideDev) * annual : null,
    maxDrawdownPct: maxDd * 100,
    maxDrawdownDurationBars: maxDdBars,
    calmar: cagr !== null && maxDd > 0 ? cagr / maxDd : null,
    closedTrades: tradeCount,
    winRate: tradeCount > 0 ? wins / tradeCount : null,
    profitFactor: grossLoss > 0 ? grossWin / grossLoss : null,
    exposure: n > 0 ? input.barsInMarket / n : 0,
    turnover: averageEquity > 0 ? input.tradedNotional / averageEquity : 0,
    totalCommission: input.totalCommission,
    bars: n,
  });
}

/** How many figures {@link curvePass} writes. */
const CURVE_FIGURES = 8;

/**
 * The one pass over the curve, in a function of its own: it runs once per backtest over every
 * bar, and kept apart from the rest of the metrics (whose branches a first run may not take) its
 * optimized code is not thrown away and rebuilt on every run. Written so that the JIT keeps every
 * running value unboxed: no allocation per bar. Its figures go into `out` (count, shift, sum,
 * sumSquares, downside, maxDd, maxDdBars, equitySum), not into an object made here: the optimized
 * code of a loop that ended in an object literal was thrown away at the literal after every run
 * (`--trace-deopt`: 11 deoptimizations in 11 backtests), so each run began the loop unoptimized.
 */
function curvePass(equity: Float64Array, start: number, out: Float64Array): void {
  const n = equity.length;
  // One pass over the curve. Mean and variance of daily returns use sums shifted by the first
  // return (numerically as robust as Welford's method, with one division per bar, not two).
  let count = 0;
  let shift = 0;
  let sum = 0;
  let sumSquares = 0;
  let downside = 0;
  let peak = start;
  // The largest fall below the current peak so far.
  let fall = 0;
  let maxDd = 0;
  let peakStep = -1;
  let maxDdBars = 0;
  let equitySum = 0;
  let previous = start;
  for (let k = 0; k < n; k++) {
    const e = equity[k] as number;
    equitySum += e;
    const r = previous !== 0 ? e / previous - 1 : 0;
    previous = e;
    if (count === 0) shift = r;
    count++;
    const d = r - shift;
    sum += d;
    sumSquares += d * d;
    // The negative part of r without a branch: (r − |r|) / 2 is r exactly when r < 0 (doubling
    // and halving are exact) and +0 otherwise. The sign of a return is a coin flip, and a branch
    // or a ternary on it (V8 emits no conditional move for doubles) is mispredicted half the
    // time: measured 10 ms against 1.4 ms for this line over 1M bars. A NaN or +∞ return makes
    // it NaN: the sum is then taken again below, the plain way.
    const negative = (r - Math.abs(r)) * 0.5;
    downside += negative * negative;
    if (e >= peak) {
      peak = e;
      peakStep = k;
    }
    const drop = peak - e;
    if (k === peakStep) {
      fall = drop;
    } else {
      // The drawdown from this peak, (peak − e) / peak, can only exceed its maximum where the fall
      // peak − e (rounded; never 0 below the peak) is the largest since the peak: the division
      // runs only there.
      if (drop > fall) {
        fall = drop;
        const dd = peak > 0 ? drop / peak : 0;
        maxDd = dd > maxDd ? dd : maxDd;
      }
      if (k - peakStep > maxDdBars) maxDdBars = k - peakStep;
    }
  }
  // NaN only when a return was NaN or +∞ (a sum of squares cannot make one otherwise).
  if (downside !== downside) downside = downsideSquares(equity, start);
  out[0] = count;
  out[1] = shift;
  out[2] = sum;
  out[3] = sumSquares;
  out[4] = downside;
  out[5] = maxDd;
  out[6] = maxDdBars;
  out[7] = equitySum;
}

/** Σ r² over the negative per-bar returns r, skipping NaN ones: the branching form, for curves with non-finite returns. */
function downsideSquares(equity: Float64Array, start: number): number {
  let downside = 0;
  let previous = start;
  for (let k = 0; k < equity.length; k++) {
    const e = equity[k] as number;
    const r = previous !== 0 ? e / previous - 1 : 0;
    previous = e;
    if (r < 0) downside += r * r;
  }
  return downside;
}

function isTradeList(trades: readonly ClosedTrade[] | TradeOutcomes): trades is readonly ClosedTrade[] {
  return Array.isArray(trades);
}
