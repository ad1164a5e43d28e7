import type { BarSeries, BarUniverse, EpochMs, Ticker } from '@quantbot/core';
import { ConfigError, DataError } from '@quantbot/core';
import { formatBarDate } from './bar-date';

/** An inclusive time range in epoch ms UTC; a missing end is open. */
export interface TimeRange {
  readonly start?: EpochMs;
  readonly end?: EpochMs;
}

function describeRange(start: number, end: number): string {
  const from = start === -Infinity ? 'the beginning' : formatBarDate(start);
  const to = end === Infinity ? 'the end' : formatBarDate(end);
  return `${from} .. ${to}`;
}

function describeCoverage(series: readonly BarSeries[]): string {
  return series
    .map((s) =>
      s.length === 0
        ? `${s.symbol} (no bars)`
        : `${s.symbol} ${formatBarDate(s.time[0] as number)}..${formatBarDate(s.time[s.length - 1] as number)}`,
    )
    .join(', ');
}

function assertUniqueSymbols(series: readonly BarSeries[]): void {
  const seen = new Set<Ticker>();
  for (const s of series) {
    if (seen.has(s.symbol)) throw new DataError('symbol appears in more than one series', { symbol: s.symbol });
    seen.add(s.symbol);
  }
}

function assertIncreasingTimes(series: BarSeries): void {
  const time = series.time;
  for (let i = 0; i < series.length; i++) {
    const t = time[i] as number;
    if (!Number.isFinite(t)) throw new DataError(`bar ${i} has time ${t}`, { symbol: series.symbol });
    if (i > 0 && t <= (time[i - 1] as number)) {
      throw new DataError(`bar ${i} at ${formatBarDate(t)} is not after bar ${i - 1}; times must strictly increase`, {
        symbol: series.symbol,
      });
    }
  }
}

/** True when a series has bars and each column holds exactly one entry per bar (so a universe can share it). */
function wholeColumns(s: BarSeries): boolean {
  const n = s.length;
  return n > 0 && s.time.length === n && s.open.length === n && s.high.length === n && s.low.length === n && s.close.length === n && s.volume.length === n;
}

/**
 * Puts several series on one time axis: the sorted union of their bar times within the
 * inclusive `range` (either end may be omitted). Arrays are symbol-major, `[s * length + k]`,
 * `s` in input order; where `series[s]` has no bar at `time[k]`, price and volume columns hold
 * `NaN` and `hasBar` holds 0 (else 1). Adjusted closes are not carried over.
 *
 * Throws a `DataError` when a symbol appears twice or a series' times are not finite and
 * strictly increasing; a `ConfigError` (key `series`) when `series` is empty and (key `range`)
 * when `start > end` or no bar falls in the range (the message lists each symbol's coverage).
 * The result is a frozen object with a frozen `symbols` list. Its typed arrays are fresh copies,
 * except for a single series whose bars all fall in the range: the universe then shares that
 * series' columns (a million-bar file is not held twice); series are not to be written to.
 */
export function alignUniverse(series: readonly BarSeries[], range: TimeRange = {}): BarUniverse {
  if (series.length === 0) throw new ConfigError('series', 'at least one series is needed to build a universe');
  const start: number = range.start ?? -Infinity;
  const end: number = range.end ?? Infinity;
  if (Number.isNaN(start) || Number.isNaN(end) || start > end) {
    throw new ConfigError('range', `start ${formatBarDate(start)} must not be after end ${formatBarDate(end)}`);
  }
  assertUniqueSymbols(series);
  let total = 0;
  for (const s of series) {
    assertIncreasingTimes(s);
    total += s.length;
  }

  const only = series[0] as BarSeries;
  if (series.length === 1 && wholeColumns(only) && (only.time[0] as number) >= start && (only.time[only.length - 1] as number) <= end) {
    // One series wholly in range: its columns are the universe's as they are (no copy, no gaps).
    return Object.freeze({
      symbols: Object.freeze([only.symbol]),
      length: only.length,
      time: only.time,
      open: only.open,
      high: only.high,
      low: only.low,
      close: only.close,
      volume: only.volume,
      hasBar: new Uint8Array(only.length).fill(1),
    });
  }

  // Union of times in range: gather, sort, drop duplicates.
  const gathered = new Float64Array(total);
  let gatheredCount = 0;
  for (const s of series) {
    for (let i = 0; i < s.length; i++) {
      const t = s.time[i] as number;
      if (t >= start && t <= end) gathered[gatheredCount++] = t;
    }
  }
  // One series is already strictly increasing (checked above): no sort, no duplicates.
  const sorted = series.length === 1 ? gathered.subarray(0, gatheredCount) : gathered.subarray(0, gatheredCount).sort();
  let length = 0;
  for (let i = 0; i < gatheredCount; i++) {
    const t = sorted[i] as number;
    if (length === 0 || t !== sorted[length - 1]) sorted[length++] = t;
  }
  if (length === 0) {
    throw new ConfigError(
      'range',
      `no bars between ${describeRange(start, end)}; the series cover ${describeCoverage(series)}`,
    );
  }
  const time = sorted.slice(0, length);

  const cells = series.length * length;
  const open = new Float64Array(cells).fill(NaN);
  const high = new Float64Array(cells).fill(NaN);
  const low = new Float64Array(cells).fill(NaN);
  const close = new Float64Array(cells).fill(NaN);
  const volume = new Float64Array(cells).fill(NaN);
  const hasBar = new Uint8Array(cells);
  series.forEach((s, symbolIndex) => {
    const base = symbolIndex * length;
    let k = 0;
    for (let i = 0; i < s.length; i++) {
      const t = s.time[i] as number;
      if (t < start || t > end) continue;
      while ((time[k] as number) < t) k++;
      const cell = base + k;
      open[cell] = s.open[i] as number;
      high[cell] = s.high[i] as number;
      low[cell] = s.low[i] as number;
      close[cell] = s.close[i] as number;
      volume[cell] = s.volume[i] as number;
      hasBar[cell] = 1;
    }
  });

  return Object.freeze({
    symbols: Object.freeze(series.map((s) => s.symbol)),
    length,
    time,
    open,
    high,
    low,
    close,
    volume,
    hasBar,
  });
}

/**
 * Picks series by symbol, in the order of `symbols`. Throws a `DataError` when `series` holds a
 * symbol twice, and a `ConfigError` (key `symbols`) when a symbol is asked for twice or is not
 * available; the message lists the available symbols. Returns a frozen list of the same series
 * objects (no copy).
 */
export function selectSymbols(series: readonly BarSeries[], symbols: readonly Ticker[]): readonly BarSeries[] {
  assertUniqueSymbols(series);
  const bySymbol = new Map<Ticker, BarSeries>(series.map((s) => [s.symbol, s]));
  const requested = new Set<Ticker>();
  const selected = symbols.map((symbol) => {
    if (requested.has(symbol)) throw new ConfigError('symbols', `${symbol} is listed twice`);
    requested.add(symbol);
    const found = bySymbol.get(symbol);
    if (found === undefined) {
      const available = series.map((s) => s.symbol).join(', ') || 'none';
      throw new ConfigError('symbols', `unknown symbol ${symbol}; available: ${available}`);
    }
    return found;
  });
  return Object.freeze(selected);
}

/**
 * Extracts symbol `symbolIndex` of a universe as a series holding only the times where it has a
 * bar (`hasBar` 1), with `adjClose` null. Throws a `RangeError` when the index is not an integer
 * in `0..symbols.length - 1`. The result is frozen; its arrays are fresh copies.
 */
export function seriesFromUniverse(universe: BarUniverse, symbolIndex: number): BarSeries {
  const symbol = universe.symbols[symbolIndex];
  if (!Number.isInteger(symbolIndex) || symbol === undefined) {
    throw new RangeError(`symbol index ${symbolIndex} outside 0..${universe.symbols.length - 1}`);
  }
  const { length } = universe;
  const base = symbolIndex * length;
  let count = 0;
  for (let k = 0; k < length; k++) count += universe.hasBar[base + k] as number;
  const time = new Float64Array(count);
  const open = new Float64Array(count);
  const high = new Float64Array(count);
  const low = new Float64Array(count);
  const close = new Float64Array(count);
  const volume = new Float64Array(count);
  let row = 0;
  for (let k = 0; k < length; k++) {
    const cell = base + k;
    if (universe.hasBar[cell] !== 1) continue;
    time[row] = universe.time[k] as number;
    open[row] = universe.open[cell] as number;
    high[row] = universe.high[cell] as number;
    low[row] = universe.low[cell] as number;
    close[row] = universe.close[cell] as number;
    volume[row] = universe.volume[cell] as number;
    row++;
  }
  return Object.freeze({ symbol, length: count, time, open, high, low, close, volume, adjClose: null });
}

/**
 * The bars of each series whose time lies in the inclusive `range` (views on the same arrays,
 * no copy): what a run over that range will use, and so what must be validated.
 */
export function seriesInRange(series: readonly BarSeries[], range: TimeRange = {}): readonly BarSeries[] {
  if (range.start === undefined && range.end === undefined) return series;
  return series.map((s) => {
    let from = 0;
    let to = s.length;
    while (from < to && range.start !== undefined && (s.time[from] as number) < range.start) from++;
    while (to > from && range.end !== undefined && (s.time[to - 1] as number) > range.end) to--;
    return Object.freeze({
      symbol: s.symbol,
      length: to - from,
      time: s.time.subarray(from, to),
      open: s.open.subarray(from, to),
      high: s.high.subarray(from, to),
      low: s.low.subarray(from, to),
      close: s.close.subarray(from, to),
      volume: s.volume.subarray(from, to),
      adjClose: s.adjClose === null ? null : s.adjClose.subarray(from, to),
    });
  });
}
