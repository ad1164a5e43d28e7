import type { EpochMs, Ticker } from './ids';

/** One OHLCV bar. Prices in the instrument's currency, volume in shares. */
export interface Bar {
  readonly time: EpochMs;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * The bars of one symbol in columns (typed arrays), sorted by strictly increasing time.
 * Columnar storage lets a backtest walk bars without allocating an object per bar.
 * `adjClose` holds the dividend- and split-adjusted close when the source had one.
 */
export interface BarSeries {
  readonly symbol: Ticker;
  readonly length: number;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly adjClose: Float64Array | null;
}

/** Reads bar `index` of a series as an object (for tests and printing; not for hot paths). */
export function barAt(series: BarSeries, index: number): Bar {
  if (!Number.isInteger(index) || index < 0 || index >= series.length) {
    throw new RangeError(`bar index ${index} outside 0..${series.length - 1} of ${series.symbol}`);
  }
  return {
    time: series.time[index] as EpochMs,
    open: series.open[index] as number,
    high: series.high[index] as number,
    low: series.low[index] as number,
    close: series.close[index] as number,
    volume: series.volume[index] as number,
  };
}

/**
 * Several symbols on one time axis. Column `k` of symbol `s` is the bar of `symbols[s]` at
 * `time[k]`; a symbol without a bar at that time has `NaN` in every price column there
 * (`hasBar` says which). Arrays are indexed `[s * length + k]`.
 */
export interface BarUniverse {
  readonly symbols: readonly Ticker[];
  readonly length: number;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly hasBar: Uint8Array;
}
