import type { BarSeries } from '@quantbot/core';
import { DataError } from '@quantbot/core';

/** Which prices a session trades on: as written in the file, or scaled to the adjusted close. */
export type BarPrices = 'raw' | 'adjusted';

/** The price choices, for option checks and help texts. */
export const BAR_PRICES: readonly BarPrices[] = Object.freeze(['raw', 'adjusted'] as const);

/**
 * Split- and dividend-adjusts a series with its own adjusted close (`Adj Close` of a Yahoo-style
 * file): per bar, the factor `f = adjClose / close` scales open, high, low and close (so the
 * adjusted close equals `adjClose`), and volume is divided by `f`, so that price × volume (the
 * traded value) is kept and a 2:1 split doubles the earlier bars' share counts as it halves their
 * prices. `adjClose` is kept as it is. Returns a new frozen series; the input is not changed.
 *
 * Throws a `DataError` naming `source` when the series has no adjusted close column.
 */
export function adjustSeriesPrices(series: BarSeries, source: string): BarSeries {
  const { adjClose, length } = series;
  if (adjClose === null) {
    throw new DataError(`has no Adj Close column: adjusted prices need one (trade on raw prices, or use a file with adjusted closes)`, {
      file: source,
      symbol: series.symbol,
    });
  }
  const open = new Float64Array(length);
  const high = new Float64Array(length);
  const low = new Float64Array(length);
  const close = new Float64Array(length);
  const volume = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const factor = (adjClose[i] as number) / (series.close[i] as number);
    open[i] = (series.open[i] as number) * factor;
    high[i] = (series.high[i] as number) * factor;
    low[i] = (series.low[i] as number) * factor;
    // The adjusted close itself, not close × factor, which may differ in the last bit.
    close[i] = adjClose[i] as number;
    volume[i] = (series.volume[i] as number) / factor;
  }
  return Object.freeze({ symbol: series.symbol, length, time: series.time, open, high, low, close, volume, adjClose });
}
