import type { BarRequest, BarSeries, BarUniverse, EpochMs, MarketData, Ticker } from '@quantbot/core';
import { ConfigError, DataError, formatIsoTime } from '@quantbot/core';
import type { AlpacaBar } from './alpaca-bar';
import { parseAlpacaTimeframe } from './alpaca-timeframe';
import type { AlpacaTimeframe } from './alpaca-timeframe';
import { AlpacaProtocolError } from './alpaca-types';
import { ALPACA_BARS_MAX_LIMIT } from './market-data-client';
import type { AlpacaAdjustment, AlpacaDataFeed, GetBarsParams } from './market-data-client';
import { formatNewYorkTime, newYorkMidnight } from './new-york-time';

const MS_PER_DAY = 86_400_000;

/**
 * Puts several series on one time axis (a `BarUniverse`). `@quantbot/market-data`'s
 * `alignUniverse` is the implementation to pass: the alpaca library sits in the data layer
 * beside market-data and may not import it, so the composing app injects it.
 */
export type UniverseAligner = (series: readonly BarSeries[], range: { readonly start?: EpochMs; readonly end?: EpochMs }) => BarUniverse;

/** What the adapter needs of a market-data client (an `AlpacaMarketDataClient`, or a stand-in in tests). */
export interface AlpacaBarSource {
  getAllBars(params: Omit<GetBarsParams, 'pageToken'>): Promise<ReadonlyMap<string, readonly AlpacaBar[]>>;
}

export interface AlpacaMarketDataOptions {
  readonly client: AlpacaBarSource;
  /** Builds the universe from the fetched series; pass `alignUniverse` from `@quantbot/market-data`. */
  readonly align: UniverseAligner;
  /** Bar timeframe, default `1Day`. */
  readonly timeframe?: string;
  /** Default `iex` (available on every plan). */
  readonly feed?: AlpacaDataFeed;
  /**
   * Default `all`: split- and dividend-adjusted prices, so a return series has no false jumps on
   * ex-dates and splits. Use `raw` to see prices as they traded (e.g. to compare with fills).
   */
  readonly adjustment?: AlpacaAdjustment;
  /** Bars per request page, all symbols together; default the maximum, 10 000. */
  readonly pageLimit?: number;
}

/**
 * The `MarketData` port over Alpaca's historical bars. Daily (and weekly, monthly) bars, which
 * Alpaca stamps at 00:00 New York time, are re-stamped at 00:00 UTC of their session date as
 * everywhere in Quantbot; a request's `start`/`end` are then session dates, and Alpaca is asked
 * for New York midnight of `start` through the last second of `end` in New York. Intraday bars
 * keep their instants, and the request bounds are sent as they are.
 */
export class AlpacaMarketData implements MarketData {
  readonly #options: AlpacaMarketDataOptions;
  readonly #timeframe: AlpacaTimeframe;

  constructor(options: AlpacaMarketDataOptions) {
    this.#options = options;
    this.#timeframe = parseAlpacaTimeframe(options.timeframe ?? '1Day');
  }

  /** The validated timeframe (`1Day` by default). */
  get timeframe(): AlpacaTimeframe {
    return this.#timeframe;
  }

  /**
   * The bars of each requested symbol, in request order, as series (empty when Alpaca has none).
   * `start` is required: Alpaca's own default is the beginning of the current day, which is never
   * what a backtest means. Throws `ConfigError` for an empty symbol list, a missing start or
   * start after end, and `AlpacaProtocolError` when two bars fall on one session date.
   */
  async loadSeries(request: BarRequest): Promise<readonly BarSeries[]> {
    const { symbols, start, end } = request;
    if (symbols.length === 0) throw new ConfigError('symbols', 'at least one symbol is needed');
    if (start === undefined) throw new ConfigError('start', 'Alpaca needs a start time (its default is the beginning of the current day)');
    if (end !== undefined && start > end) {
      throw new ConfigError('start', `${formatIsoTime(start)} is after end ${formatIsoTime(end)}`);
    }
    const daily = this.#timeframe.isDaily;
    const params: Omit<GetBarsParams, 'pageToken'> = {
      symbols,
      timeframe: this.#timeframe.text,
      start: daily ? formatNewYorkTime(newYorkMidnight(start)) : start,
      ...(end === undefined ? {} : { end: daily ? formatNewYorkTime(newYorkMidnight(end + MS_PER_DAY) - 1000) : end }),
      limit: this.#options.pageLimit ?? ALPACA_BARS_MAX_LIMIT,
      feed: this.#options.feed ?? 'iex',
      adjustment: this.#options.adjustment ?? 'all',
    };
    const bySymbol = await this.#options.client.getAllBars(params);
    return Object.freeze(symbols.map((symbol) => toSeries(symbol, bySymbol.get(symbol) ?? [], daily, start, end)));
  }

  /**
   * The `MarketData` port: the requested symbols on one time axis. A symbol for which Alpaca has
   * no bar in the range is a `DataError` naming it, never a silently empty column.
   */
  async loadBars(request: BarRequest): Promise<BarUniverse> {
    const series = await this.loadSeries(request);
    for (const s of series) {
      if (s.length === 0) {
        const range = `${request.start === undefined ? '' : formatIsoTime(request.start)} .. ${request.end === undefined ? 'now' : formatIsoTime(request.end)}`;
        throw new DataError(`Alpaca returned no ${this.#timeframe.text} bars in ${range}`, { symbol: s.symbol });
      }
    }
    const range: { start?: EpochMs; end?: EpochMs } = {};
    if (request.start !== undefined) range.start = request.start;
    if (request.end !== undefined) range.end = request.end;
    return this.#options.align(series, range);
  }
}

/** Columns of one symbol; daily bars re-stamped at 00:00 UTC of their date, then kept to the range. */
function toSeries(symbol: Ticker, bars: readonly AlpacaBar[], daily: boolean, start: number, end: number | undefined): BarSeries {
  const times: number[] = [];
  const kept: AlpacaBar[] = [];
  for (const [i, bar] of bars.entries()) {
    const time = daily ? Math.floor(bar.time / MS_PER_DAY) * MS_PER_DAY : bar.time;
    if (time < start || (end !== undefined && time > end)) continue;
    const previous = times[times.length - 1];
    if (previous !== undefined && time <= previous) {
      throw new AlpacaProtocolError(`bars.${symbol}[${i}].t`, `${formatIsoTime(time)} is not after the previous bar's ${formatIsoTime(previous)}`);
    }
    times.push(time);
    kept.push(bar);
  }
  const column = (pick: (bar: AlpacaBar) => number): Float64Array => Float64Array.from(kept, pick);
  return Object.freeze({
    symbol,
    length: kept.length,
    time: Float64Array.from(times),
    open: column((b) => b.open),
    high: column((b) => b.high),
    low: column((b) => b.low),
    close: column((b) => b.close),
    volume: column((b) => b.volume),
    adjClose: null,
  });
}
