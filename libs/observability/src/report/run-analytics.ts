import { ConfigError, DataError } from '@quantbot/core';

// The statistics the run report draws beyond equity and drawdown: benchmark-relative figures,
// rolling metrics, drawdown periods, annual returns, histograms, trade excursions and the book's
// exposure over time. Pure functions of plain arrays, so each is checked against a hand-computed
// example. Returns are simple per-bar returns as fractions (`0.01` = 1 %).

/**
 * Per-bar simple returns of a value series, aligned with it: `out[0]` is NaN, `out[i]` is
 * `values[i] / values[i − 1] − 1`, and NaN where either value is not finite or the base is not
 * positive.
 *
 * @example barReturns([100, 110, 99]) // Float64Array [NaN, 0.1, -0.1]
 */
export function barReturns(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n; i++) {
    const base = values[i - 1] as number;
    const value = values[i] as number;
    if (Number.isFinite(base) && Number.isFinite(value) && base > 0) out[i] = value / base - 1;
  }
  return out;
}

/** How a strategy's returns relate to a benchmark's, over the bars where both are finite. */
export interface BenchmarkStatistics {
  /** Bars used (both returns finite). */
  readonly observations: number;
  /** Jensen's alpha with a zero risk-free rate, annualised arithmetically: `(mean(r) − β·mean(b)) × periodsPerYear`. A fraction. */
  readonly alpha: number;
  /** `cov(r, b) / var(b)`. */
  readonly beta: number;
  /** Pearson correlation of `r` and `b`. */
  readonly correlation: number;
  /** Sample standard deviation of `r − b`, times √periodsPerYear. A fraction. */
  readonly trackingError: number;
  /** `mean(r − b) × periodsPerYear / trackingError`. */
  readonly informationRatio: number;
}

/**
 * Alpha, beta, correlation, tracking error and information ratio of `returns` against
 * `benchmark` (both per-bar simple returns, aligned by index), annualised with `periodsPerYear`
 * (252 for daily bars). Pairs where either return is not finite are skipped. Every statistic is
 * NaN when it is undefined: fewer than two pairs, a benchmark (or strategy, for the correlation)
 * without variance, a tracking error of zero.
 *
 * @throws DataError when the two series differ in length.
 * @throws ConfigError when `periodsPerYear` is not a positive number.
 */
export function benchmarkStatistics(returns: ArrayLike<number>, benchmark: ArrayLike<number>, periodsPerYear: number): BenchmarkStatistics {
  if (returns.length !== benchmark.length) {
    throw new DataError(`returns has ${returns.length} values but benchmark has ${benchmark.length}`, { field: 'benchmark' });
  }
  checkPeriods(periodsPerYear);
  let n = 0;
  let sumR = 0;
  let sumB = 0;
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i] as number;
    const b = benchmark[i] as number;
    if (!Number.isFinite(r) || !Number.isFinite(b)) continue;
    n++;
    sumR += r;
    sumB += b;
  }
  if (n < 2) return Object.freeze({ observations: n, alpha: NaN, beta: NaN, correlation: NaN, trackingError: NaN, informationRatio: NaN });
  const meanR = sumR / n;
  const meanB = sumB / n;
  let varR = 0;
  let varB = 0;
  let cov = 0;
  let varA = 0;
  const meanA = meanR - meanB;
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i] as number;
    const b = benchmark[i] as number;
    if (!Number.isFinite(r) || !Number.isFinite(b)) continue;
    const dr = r - meanR;
    const db = b - meanB;
    const da = r - b - meanA;
    varR += dr * dr;
    varB += db * db;
    cov += dr * db;
    varA += da * da;
  }
  const beta = varB > 0 ? cov / varB : NaN;
  const correlation = varB > 0 && varR > 0 ? cov / Math.sqrt(varR * varB) : NaN;
  const trackingError = Math.sqrt(varA / (n - 1)) * Math.sqrt(periodsPerYear);
  return Object.freeze({
    observations: n,
    alpha: Number.isFinite(beta) ? (meanR - beta * meanB) * periodsPerYear : NaN,
    beta,
    correlation,
    trackingError,
    informationRatio: trackingError > 0 ? (meanA * periodsPerYear) / trackingError : NaN,
  });
}

/**
 * Rolling annualised Sharpe ratio (zero risk-free rate) of per-bar returns over the last
 * `window` bars: `mean / sd × √periodsPerYear` with the sample standard deviation. `out[i]` uses
 * `returns[i − window + 1 .. i]` and is NaN until a full window of finite returns is there (any
 * non-finite return in the window makes it NaN), and when the window has no variance.
 */
export function rollingSharpe(returns: ArrayLike<number>, window: number, periodsPerYear: number): Float64Array {
  checkWindow(window);
  checkPeriods(periodsPerYear);
  const scale = Math.sqrt(periodsPerYear);
  return rollingMoments(returns, window, (mean, sd) => (sd > 0 ? (mean / sd) * scale : NaN));
}

/** Rolling annualised volatility of per-bar returns: the window's sample standard deviation × √periodsPerYear, NaN as in {@link rollingSharpe}. */
export function rollingVolatility(returns: ArrayLike<number>, window: number, periodsPerYear: number): Float64Array {
  checkWindow(window);
  checkPeriods(periodsPerYear);
  const scale = Math.sqrt(periodsPerYear);
  return rollingMoments(returns, window, (_mean, sd) => sd * scale);
}

/**
 * Rolling beta of `returns` against `benchmark` over the last `window` bars (`cov / var(b)`),
 * NaN until a full window of finite pairs and when the benchmark does not vary in the window.
 */
export function rollingBeta(returns: ArrayLike<number>, benchmark: ArrayLike<number>, window: number): Float64Array {
  if (returns.length !== benchmark.length) {
    throw new DataError(`returns has ${returns.length} values but benchmark has ${benchmark.length}`, { field: 'benchmark' });
  }
  checkWindow(window);
  const n = returns.length;
  const out = new Float64Array(n).fill(NaN);
  let sumR = 0;
  let sumB = 0;
  let sumRB = 0;
  let sumBB = 0;
  let bad = 0;
  const ok = (k: number): boolean => Number.isFinite(returns[k]) && Number.isFinite(benchmark[k]);
  for (let i = 0; i < n; i++) {
    if (ok(i)) {
      const r = returns[i] as number;
      const b = benchmark[i] as number;
      sumR += r;
      sumB += b;
      sumRB += r * b;
      sumBB += b * b;
    } else bad++;
    if (i >= window) {
      const k = i - window;
      if (ok(k)) {
        const r = returns[k] as number;
        const b = benchmark[k] as number;
        sumR -= r;
        sumB -= b;
        sumRB -= r * b;
        sumBB -= b * b;
      } else bad--;
    }
    if (i < window - 1 || bad > 0) continue;
    const cov = sumRB - (sumR * sumB) / window;
    const varB = sumBB - (sumB * sumB) / window;
    out[i] = varB > 1e-12 * sumBB ? cov / varB : NaN;
  }
  return out;
}

function rollingMoments(returns: ArrayLike<number>, window: number, statistic: (mean: number, sd: number) => number): Float64Array {
  // Running sums over the window (O(n) whatever the window), with a count of the non-finite
  // values in it; a variance that is only rounding noise counts as none.
  const n = returns.length;
  const out = new Float64Array(n).fill(NaN);
  let sum = 0;
  let squares = 0;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i] as number;
    if (Number.isFinite(r)) {
      sum += r;
      squares += r * r;
    } else bad++;
    if (i >= window) {
      const old = returns[i - window] as number;
      if (Number.isFinite(old)) {
        sum -= old;
        squares -= old * old;
      } else bad--;
    }
    if (i < window - 1 || bad > 0) continue;
    const mean = sum / window;
    const variance = (squares - sum * mean) / (window - 1);
    const sd = variance > 1e-12 * (squares / window) ? Math.sqrt(variance) : 0;
    out[i] = statistic(mean, sd);
  }
  return out;
}

/** One drawdown period: from a peak, down to its trough, back to the peak's level (or not yet). */
export interface DrawdownPeriod {
  /** Index of the peak (the last bar at the running high before the fall). */
  readonly peakIndex: number;
  readonly troughIndex: number;
  /** Index of the first bar back at or above the peak's equity; null while not recovered. */
  readonly recoveryIndex: number | null;
  /** Depth at the trough, in percent below the peak (positive: `25` is a 25 % fall). */
  readonly depthPct: number;
  /** Bars from the peak to the recovery, or to the last bar while not recovered. */
  readonly lengthBars: number;
}

/**
 * The `top` deepest drawdown periods of an equity curve, deepest first (ties: the earlier). A
 * period starts at a running high that equity then falls below, and ends at the first bar that
 * is back at or above that high; a period still open at the end has a null `recoveryIndex`.
 * Non-finite values are skipped; while the running high is not positive no drawdown is counted.
 *
 * @example
 * drawdownPeriods([100, 90, 100, 120, 60, 130], 5)
 * // [{ peakIndex: 3, troughIndex: 4, recoveryIndex: 5, depthPct: 50, lengthBars: 2 },
 * //  { peakIndex: 0, troughIndex: 1, recoveryIndex: 2, depthPct: 10, lengthBars: 2 }]
 */
export function drawdownPeriods(equity: ArrayLike<number>, top: number): readonly DrawdownPeriod[] {
  if (!Number.isInteger(top) || top < 1) throw new ConfigError('top', `must be a whole number ≥ 1, got ${top}`);
  const periods: DrawdownPeriod[] = [];
  let peak = -Infinity;
  let peakIndex = -1;
  let troughIndex = -1;
  let trough = Infinity;
  let lastIndex = -1;
  const close = (recoveryIndex: number | null): void => {
    const end = recoveryIndex ?? lastIndex;
    periods.push(Object.freeze({ peakIndex, troughIndex, recoveryIndex, depthPct: ((peak - trough) / peak) * 100, lengthBars: end - peakIndex }));
    troughIndex = -1;
    trough = Infinity;
  };
  for (let i = 0; i < equity.length; i++) {
    const value = equity[i] as number;
    if (!Number.isFinite(value)) continue;
    lastIndex = i;
    if (value >= peak) {
      if (troughIndex >= 0) close(i);
      peak = value;
      peakIndex = i;
      continue;
    }
    if (!(peak > 0)) continue;
    if (value < trough) {
      trough = value;
      troughIndex = i;
    }
  }
  if (troughIndex >= 0) close(null);
  periods.sort((a, b) => b.depthPct - a.depthPct || a.peakIndex - b.peakIndex);
  return Object.freeze(periods.slice(0, top));
}

/** The return of one calendar year (UTC). */
export interface AnnualReturn {
  readonly year: number;
  /** Percent: `12.5` is +12.5 %; NaN when the base equity is not positive. */
  readonly returnPct: number;
}

/**
 * Calendar-year returns (UTC) of an equity curve, oldest first: each year's last equity over the
 * previous year's last equity; the first year is measured from the first equity. Steps whose
 * time or equity is not finite are ignored; times must not decrease.
 *
 * @throws DataError when `time` and `equity` differ in length.
 */
export function annualReturns(time: ArrayLike<number>, equity: ArrayLike<number>): readonly AnnualReturn[] {
  if (time.length !== equity.length) {
    throw new DataError(`time has ${time.length} values but equity has ${equity.length}`, { field: 'equity' });
  }
  const out: AnnualReturn[] = [];
  let year = NaN;
  let base = NaN;
  let last = NaN;
  let yearEnd = -Infinity;
  for (let i = 0; i < time.length; i++) {
    const t = time[i] as number;
    const value = equity[i] as number;
    if (!Number.isFinite(t) || !Number.isFinite(value)) continue;
    if (t < yearEnd) {
      last = value;
      continue;
    }
    if (Number.isFinite(year)) {
      out.push(Object.freeze({ year, returnPct: base > 0 ? (last / base - 1) * 100 : NaN }));
      base = last;
    } else {
      base = value;
    }
    year = new Date(t).getUTCFullYear();
    yearEnd = Date.UTC(year + 1, 0, 1);
    last = value;
  }
  if (Number.isFinite(year)) out.push(Object.freeze({ year, returnPct: base > 0 ? (last / base - 1) * 100 : NaN }));
  return Object.freeze(out);
}

/** One bin of a histogram: values in `[from, to)` (the last bin also holds `to`). */
export interface HistogramBin {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/**
 * A histogram of the finite values in `bins` equal-width bins from the smallest to the largest
 * value. All values equal give one bin of width 1 centred on them; no finite value gives none.
 */
export function histogram(values: ArrayLike<number>, bins: number): readonly HistogramBin[] {
  if (!Number.isInteger(bins) || bins < 1) throw new ConfigError('bins', `must be a whole number ≥ 1, got ${bins}`);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return Object.freeze([]);
  if (min === max) {
    let count = 0;
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) count++;
    return Object.freeze([Object.freeze({ from: min - 0.5, to: min + 0.5, count })]);
  }
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.floor((v - min) / width));
    counts[b] = (counts[b] ?? 0) + 1;
  }
  return Object.freeze(counts.map((count, b) => Object.freeze({ from: min + b * width, to: b === bins - 1 ? max : min + (b + 1) * width, count })));
}

/** A symbol's bars as the report reads them: epoch ms times and prices, one value per bar. */
export interface PriceBars {
  readonly time: ArrayLike<number>;
  readonly high: ArrayLike<number>;
  readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>;
}

/** The worst and best a trade was while open, in percent of its entry price (side-aware). */
export interface TradeExcursion {
  /** Maximum adverse excursion: ≤ 0, `-4` when the trade was 4 % against its entry at worst. */
  readonly maePct: number;
  /** Maximum favourable excursion: ≥ 0. */
  readonly mfePct: number;
}

/**
 * A trade's maximum adverse and favourable excursion (MAE, MFE) over the bars it was open:
 * the entry bar up to the bar before the exit bar (`entryTime ≤ time < exitTime`, a fill falls
 * within its bar, so the entry bar's whole range counts and the exit bar's does not), plus the
 * entry and exit prices. For a long trade the adverse price is the lowest low, for a short the
 * highest high. Bars with a non-finite high or low are skipped. NaN when the entry price is not
 * positive. `bars.time` must be increasing.
 */
export function tradeExcursion(side: 'long' | 'short', entryTime: number, entryPrice: number, exitTime: number, exitPrice: number, bars: PriceBars): TradeExcursion {
  if (!(entryPrice > 0)) return Object.freeze({ maePct: NaN, mfePct: NaN });
  let low = Math.min(entryPrice, exitPrice);
  let high = Math.max(entryPrice, exitPrice);
  for (let i = lowerBound(bars.time, entryTime); i < bars.time.length && (bars.time[i] as number) < exitTime; i++) {
    const h = bars.high[i] as number;
    const l = bars.low[i] as number;
    if (Number.isFinite(h) && h > high) high = h;
    if (Number.isFinite(l) && l < low) low = l;
  }
  const up = (high / entryPrice - 1) * 100;
  const down = (low / entryPrice - 1) * 100;
  return side === 'long' ? Object.freeze({ maePct: Math.min(0, down), mfePct: Math.max(0, up) }) : Object.freeze({ maePct: Math.min(0, -up), mfePct: Math.max(0, -down) });
}

/** The first index whose time is ≥ `t` (binary search on increasing times). */
export function lowerBound(time: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = time.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((time[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A fill as the book replays it: a signed quantity (buys positive, sells negative) at a time. */
export interface BookFill {
  readonly time: number;
  readonly symbol: string;
  /** Shares bought (positive) or sold (negative). */
  readonly qty: number;
}

/** The book's exposure at each step of an equity curve, in fractions of equity. */
export interface ExposureSeries {
  /** Value of the long positions over equity. */
  readonly long: Float64Array;
  /** Value of the short positions over equity (≤ 0). */
  readonly short: Float64Array;
  /** `long + short`: the net exposure. */
  readonly net: Float64Array;
  /** `long − short`: gross exposure, the leverage. */
  readonly gross: Float64Array;
  /** Per symbol: the share of steps with a non-zero position. */
  readonly timeInMarket: ReadonlyMap<string, number>;
}

/**
 * Rebuilds the positions from the fills and values them at each step's close: at step `k` every
 * fill with `time ≤ time[k]` is in the book, and a position is valued at its symbol's last known
 * close at or before `time[k]` (`closes`, one value per step, NaN where the symbol has no bar).
 * A position without any known close yet counts as 0. A step whose equity is not positive gives
 * NaN. Fills must be in time order.
 */
export function exposureSeries(time: ArrayLike<number>, equity: ArrayLike<number>, fills: readonly BookFill[], closes: ReadonlyMap<string, ArrayLike<number>>): ExposureSeries {
  if (time.length !== equity.length) {
    throw new DataError(`time has ${time.length} values but equity has ${equity.length}`, { field: 'equity' });
  }
  const n = time.length;
  const long = new Float64Array(n);
  const short = new Float64Array(n);
  const net = new Float64Array(n);
  const gross = new Float64Array(n);
  const symbols = [...new Set([...closes.keys(), ...fills.map((f) => f.symbol)])];
  const position = new Map<string, number>(symbols.map((s) => [s, 0]));
  const lastClose = new Map<string, number>(symbols.map((s) => [s, NaN]));
  const inMarket = new Map<string, number>(symbols.map((s) => [s, 0]));
  let f = 0;
  for (let k = 0; k < n; k++) {
    const t = time[k] as number;
    while (f < fills.length && (fills[f] as BookFill).time <= t) {
      const fill = fills[f] as BookFill;
      position.set(fill.symbol, (position.get(fill.symbol) ?? 0) + fill.qty);
      f++;
    }
    let longValue = 0;
    let shortValue = 0;
    for (const symbol of symbols) {
      const column = closes.get(symbol);
      const c = column === undefined ? NaN : (column[k] as number);
      if (Number.isFinite(c)) lastClose.set(symbol, c);
      const qty = position.get(symbol) ?? 0;
      if (qty !== 0) inMarket.set(symbol, (inMarket.get(symbol) ?? 0) + 1);
      const price = lastClose.get(symbol) ?? NaN;
      if (qty === 0 || !Number.isFinite(price)) continue;
      if (qty > 0) longValue += qty * price;
      else shortValue += qty * price;
    }
    const e = equity[k] as number;
    if (!(e > 0)) {
      long[k] = short[k] = net[k] = gross[k] = NaN;
      continue;
    }
    long[k] = longValue / e;
    short[k] = shortValue / e;
    net[k] = (longValue + shortValue) / e;
    gross[k] = (longValue - shortValue) / e;
  }
  const timeInMarket = new Map<string, number>();
  for (const [symbol, count] of inMarket) timeInMarket.set(symbol, n > 0 ? count / n : NaN);
  return Object.freeze({ long, short, net, gross, timeInMarket });
}

/**
 * The value of an equally weighted buy-and-hold of `closes` (one column per symbol, aligned
 * with `time`), starting at `startValue`: at the first step where a symbol has a close, it
 * receives `startValue / symbols` and holds it; before that, its share stays in cash. A missing
 * close keeps the symbol's last value.
 */
export function buyAndHoldCurve(length: number, closes: readonly ArrayLike<number>[], startValue: number): Float64Array {
  const out = new Float64Array(length);
  const m = closes.length;
  if (m === 0) return out.fill(NaN);
  const share = startValue / m;
  const units = new Float64Array(m).fill(NaN);
  const last = new Float64Array(m).fill(NaN);
  for (let k = 0; k < length; k++) {
    let value = 0;
    for (let s = 0; s < m; s++) {
      const c = (closes[s] as ArrayLike<number>)[k] as number;
      if (Number.isFinite(c) && c > 0) {
        last[s] = c;
        if (Number.isNaN(units[s] as number)) units[s] = share / c;
      }
      value += Number.isNaN(units[s] as number) ? share : (units[s] as number) * (last[s] as number);
    }
    out[k] = value;
  }
  return out;
}

/**
 * A price column re-sampled onto another time axis: at each `target` time, the last `source`
 * value at or before it (NaN before the first). Both axes increasing.
 */
export function alignAsOf(target: ArrayLike<number>, sourceTime: ArrayLike<number>, sourceValue: ArrayLike<number>): Float64Array {
  const out = new Float64Array(target.length).fill(NaN);
  let j = 0;
  let last = NaN;
  for (let k = 0; k < target.length; k++) {
    const t = target[k] as number;
    while (j < sourceTime.length && (sourceTime[j] as number) <= t) {
      const v = sourceValue[j] as number;
      if (Number.isFinite(v)) last = v;
      j++;
    }
    out[k] = last;
  }
  return out;
}

function checkWindow(window: number): void {
  if (!Number.isInteger(window) || window < 2) throw new ConfigError('window', `must be a whole number ≥ 2, got ${window}`);
}

function checkPeriods(periodsPerYear: number): void {
  if (!Number.isFinite(periodsPerYear) || periodsPerYear <= 0) throw new ConfigError('periodsPerYear', `must be a positive number, got ${periodsPerYear}`);
}
