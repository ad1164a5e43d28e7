import { ConfigError, QuantbotError } from '@quantbot/core';
import { parseAlpacaBar } from './alpaca-bar';
import type { AlpacaBar } from './alpaca-bar';
import { AlpacaHttpTransport, retryOptionsOf } from './alpaca-http-transport';
import type { AlpacaKeyPair, AlpacaRetryOptions } from './alpaca-http-transport';
import { parseAlpacaTimeframe } from './alpaca-timeframe';
import { AlpacaProtocolError } from './alpaca-types';
import { resolveAlpacaCredentials } from './credentials';
import type { EnvLike } from './credentials';

/** Alpaca's historical market-data host: the same for paper and live accounts. */
export const ALPACA_DATA_URL = 'https://data.alpaca.markets';

/** The largest `limit` Alpaca accepts on a bars request (bars per page, all symbols together). */
export const ALPACA_BARS_MAX_LIMIT = 10_000;

/** Data feeds: `iex` (free plan, one exchange), `sip` (all US exchanges, paid plan), `otc`. */
export const ALPACA_DATA_FEEDS = ['iex', 'sip', 'otc'] as const;
export type AlpacaDataFeed = (typeof ALPACA_DATA_FEEDS)[number];

/**
 * Corporate-action adjustment of bar prices: `raw` (as traded), `split`, `dividend`, or `all`
 * (split and dividend adjusted).
 */
export const ALPACA_ADJUSTMENTS = ['raw', 'split', 'dividend', 'all'] as const;
export type AlpacaAdjustment = (typeof ALPACA_ADJUSTMENTS)[number];

/** Pagination that does not end: a `next_page_token` seen before, or more pages than allowed. */
export class AlpacaPaginationError extends QuantbotError {
  constructor(message: string) {
    super('ALPACA_PAGINATION', message);
  }
}

export interface AlpacaMarketDataClientOptions extends AlpacaRetryOptions {
  /** Explicit key pair, or a function called on the first request. Default: read `env` then. */
  readonly credentials?: AlpacaKeyPair | (() => AlpacaKeyPair);
  /** Where to look for the key pair when `credentials` is absent. Default `process.env`, read lazily. */
  readonly env?: EnvLike;
  /** Another root URL (the fake server). Default `https://data.alpaca.markets`, paper or live alike. */
  readonly dataUrl?: string;
  /** Most pages `getAllBars` follows before giving up with `AlpacaPaginationError`. Default 100 000. */
  readonly maxPages?: number;
}

/** A time bound: RFC-3339 (`2024-01-02T14:30:00Z`, whole seconds), a date `YYYY-MM-DD`, or epoch ms. */
export type AlpacaTimeBound = string | number;

export interface GetBarsParams {
  /** Stock symbols, at least one (`AAPL`, `BRK.B`). */
  readonly symbols: readonly string[];
  /** `1Min`, `5Min`, `1Hour`, `1Day`, … (see `parseAlpacaTimeframe`); checked before sending. */
  readonly timeframe: string;
  /** Inclusive start. Alpaca has no useful default (the beginning of the current day), so it is required. */
  readonly start: AlpacaTimeBound;
  /** Inclusive end; default (Alpaca's) the current time. */
  readonly end?: AlpacaTimeBound;
  /** Bars per page across all symbols, 1..10 000 (Alpaca's default 1000). */
  readonly limit?: number;
  /** Default (Alpaca's): `sip` with a paid subscription, else `iex`. */
  readonly feed?: AlpacaDataFeed;
  /** Default (Alpaca's) `raw`. */
  readonly adjustment?: AlpacaAdjustment;
  /** Time order within each symbol; symbols always come in sorted order. Default `asc`. */
  readonly sort?: 'asc' | 'desc';
  /** Continue from a page's `nextPageToken`. */
  readonly pageToken?: string;
}

/** One page of `GET /v2/stocks/bars`. `nextPageToken` is null on the last page. */
export interface AlpacaBarsPage {
  /** Bars by symbol, in time order; a symbol without bars on this page is absent. */
  readonly bars: ReadonlyMap<string, readonly AlpacaBar[]>;
  readonly nextPageToken: string | null;
}

/**
 * Alpaca Market Data API v2 (historical stock bars) over undici. Credentials and the connection
 * pool are created on the first request; requests time out, and 429 / 5xx / network failures are
 * retried as in `AlpacaClient`.
 *
 * @example
 * const data = new AlpacaMarketDataClient({ now: () => clock.now(), rng: new SeededRng(1) });
 * const bars = await data.getAllBars({ symbols: ['AAPL', 'MSFT'], timeframe: '1Day', start: '2024-01-02', end: '2024-03-01', feed: 'iex', adjustment: 'all' });
 * bars.get('AAPL'); // AlpacaBar[] in time order
 * await data.close();
 */
export class AlpacaMarketDataClient {
  readonly #options: AlpacaMarketDataClientOptions;
  readonly #transport: AlpacaHttpTransport;

  constructor(options: AlpacaMarketDataClientOptions) {
    this.#options = options;
    this.#transport = new AlpacaHttpTransport({
      baseUrl: () => resolveDataUrl(options.dataUrl),
      credentials: () => this.#resolveCredentials(),
      ...retryOptionsOf(options),
    });
  }

  /**
   * One page of `GET /v2/stocks/bars`. Parameters are checked before anything is sent
   * (`ConfigError` naming the parameter); a response of another shape throws an
   * `AlpacaProtocolError` naming the field (`bars.AAPL[3].o`), including a symbol that was not
   * asked for.
   */
  async getBars(params: GetBarsParams): Promise<AlpacaBarsPage> {
    const query = barsQuery(params);
    const raw = await this.#transport.requestJson('GET', `/v2/stocks/bars?${query.toString()}`);
    const body = asObject(raw, 'bars response');
    const bars = parseBySymbol(body['bars'], new Set(params.symbols), parseBarList);
    const token = body['next_page_token'];
    if (token !== null && (typeof token !== 'string' || token === '')) {
      throw new AlpacaProtocolError('next_page_token', `expected a non-empty string or null, got ${describe(token)}`);
    }
    return { bars, nextPageToken: token };
  }

  /**
   * Every page of a bars request, following `next_page_token` until it is null. Throws an
   * `AlpacaPaginationError` when a token comes back a second time (the server would loop) or
   * after `maxPages` pages.
   */
  async *barPages(params: Omit<GetBarsParams, 'pageToken'>): AsyncGenerator<AlpacaBarsPage, void, undefined> {
    const maxPages = this.#options.maxPages ?? 100_000;
    const seen = new Set<string>();
    let pageToken: string | undefined;
    for (let pages = 1; ; pages++) {
      const page = await this.getBars(pageToken === undefined ? params : { ...params, pageToken });
      yield page;
      if (page.nextPageToken === null) return;
      if (seen.has(page.nextPageToken)) {
        throw new AlpacaPaginationError(
          `GET /v2/stocks/bars returned next_page_token '${clip(page.nextPageToken)}' a second time (after ${pages} pages); stopping instead of looping`,
        );
      }
      if (pages >= maxPages) throw new AlpacaPaginationError(`GET /v2/stocks/bars still had more pages after ${maxPages}; stopping`);
      seen.add(page.nextPageToken);
      pageToken = page.nextPageToken;
    }
  }

  /**
   * All bars of a request, across pages, by symbol. Each symbol's bars must keep strictly to the
   * requested time order across pages (a repeated or out-of-order bar throws an
   * `AlpacaProtocolError` naming it). Symbols without any bar are absent from the map.
   */
  async getAllBars(params: Omit<GetBarsParams, 'pageToken'>): Promise<ReadonlyMap<string, readonly AlpacaBar[]>> {
    const descending = params.sort === 'desc';
    const all = new Map<string, AlpacaBar[]>();
    for await (const page of this.barPages(params)) {
      for (const [symbol, bars] of page.bars) {
        let list = all.get(symbol);
        if (list === undefined) {
          list = [];
          all.set(symbol, list);
        }
        for (const bar of bars) {
          const previous = list[list.length - 1];
          if (previous !== undefined && (descending ? bar.time >= previous.time : bar.time <= previous.time)) {
            throw new AlpacaProtocolError(
              `bars.${symbol}[${list.length}].t`,
              `${new Date(bar.time).toISOString()} does not follow ${new Date(previous.time).toISOString()} (${descending ? 'descending' : 'ascending'} order, no repeats)`,
            );
          }
          list.push(bar);
        }
      }
    }
    return all;
  }

  /**
   * The latest (minute) bar of each symbol, `GET /v2/stocks/bars/latest`. Symbols Alpaca has no
   * bar for are absent from the map.
   */
  async getLatestBars(symbols: readonly string[], options: { readonly feed?: AlpacaDataFeed } = {}): Promise<ReadonlyMap<string, AlpacaBar>> {
    const query = new URLSearchParams({ symbols: symbolList(symbols) });
    if (options.feed !== undefined) query.set('feed', oneOf(options.feed, ALPACA_DATA_FEEDS, 'feed'));
    const raw = await this.#transport.requestJson('GET', `/v2/stocks/bars/latest?${query.toString()}`);
    const body = asObject(raw, 'latest bars response');
    return parseBySymbol(body['bars'], new Set(symbols), parseAlpacaBar);
  }

  /** Releases the connection pool. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  #resolveCredentials(): AlpacaKeyPair {
    const given = this.#options.credentials;
    if (typeof given === 'function') return given();
    if (given !== undefined) return given;
    // The trading base URL that comes with it is not used: market data has its own host.
    return resolveAlpacaCredentials(this.#options.env ?? process.env);
  }
}

function resolveDataUrl(dataUrl: string | undefined): string {
  if (dataUrl === undefined) return ALPACA_DATA_URL;
  let parsed: URL;
  try {
    parsed = new URL(dataUrl);
  } catch {
    throw new ConfigError('alpaca dataUrl', `'${dataUrl}' is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError('alpaca dataUrl', `unsupported protocol ${parsed.protocol}`);
  }
  return dataUrl.replace(/\/+$/, '');
}

function barsQuery(params: GetBarsParams): URLSearchParams {
  const query = new URLSearchParams();
  query.set('symbols', symbolList(params.symbols));
  query.set('timeframe', parseAlpacaTimeframe(params.timeframe).text);
  query.set('start', formatBound(params.start, 'start', 'start'));
  if (params.end !== undefined) query.set('end', formatBound(params.end, 'end', 'end'));
  if (params.end !== undefined) {
    const start = Date.parse(query.get('start') ?? '');
    const end = Date.parse(query.get('end') ?? '');
    if (start > end) throw new ConfigError('end', `${query.get('end') ?? ''} is before start ${query.get('start') ?? ''}`);
  }
  if (params.limit !== undefined) {
    if (!Number.isInteger(params.limit) || params.limit < 1 || params.limit > ALPACA_BARS_MAX_LIMIT) {
      throw new ConfigError('limit', `${params.limit} is not a whole number in 1..${ALPACA_BARS_MAX_LIMIT}`);
    }
    query.set('limit', String(params.limit));
  }
  if (params.feed !== undefined) query.set('feed', oneOf(params.feed, ALPACA_DATA_FEEDS, 'feed'));
  if (params.adjustment !== undefined) query.set('adjustment', oneOf(params.adjustment, ALPACA_ADJUSTMENTS, 'adjustment'));
  if (params.sort !== undefined) query.set('sort', oneOf(params.sort, ['asc', 'desc'] as const, 'sort'));
  if (params.pageToken !== undefined) {
    if (params.pageToken === '') throw new ConfigError('pageToken', 'is empty');
    query.set('page_token', params.pageToken);
  }
  return query;
}

const SYMBOL = /^[A-Z0-9][A-Z0-9.\-/]{0,31}$/;

function symbolList(symbols: readonly string[]): string {
  if (symbols.length === 0) throw new ConfigError('symbols', 'at least one symbol is needed');
  const seen = new Set<string>();
  for (const symbol of symbols) {
    if (!SYMBOL.test(symbol)) throw new ConfigError('symbols', `'${symbol}' is not a stock symbol (upper case, e.g. AAPL or BRK.B)`);
    if (seen.has(symbol)) throw new ConfigError('symbols', `${symbol} is listed twice`);
    seen.add(symbol);
  }
  return symbols.join(',');
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;

/**
 * Epoch ms become RFC-3339 in UTC with whole seconds (Alpaca refuses fractions): a start is
 * rounded up and an end down, so the bound never widens the interval.
 */
function formatBound(value: AlpacaTimeBound, key: string, side: 'start' | 'end'): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConfigError(key, `${value} is not a time`);
    const seconds = side === 'start' ? Math.ceil(value / 1000) : Math.floor(value / 1000);
    return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
  }
  const text = value.trim();
  if ((DATE_ONLY.test(text) || RFC3339_SECONDS.test(text)) && Number.isFinite(Date.parse(text))) return text;
  throw new ConfigError(key, `'${value}' is not RFC-3339 with whole seconds (2024-01-02T14:30:00Z) or a date (YYYY-MM-DD)`);
}

function oneOf<T extends string>(value: string, allowed: readonly T[], key: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(key, `'${value}' is not one of ${allowed.join(', ')}`);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new AlpacaProtocolError(what, `expected a JSON object, got ${describe(value)}`);
}

/**
 * `{"AAPL": [bar, ...]}` (history) or `{"AAPL": bar}` (latest). A null `bars` is read as no bars
 * (Alpaca has answered so for empty results); a symbol that was not requested is an error.
 */
function parseBySymbol<T>(raw: unknown, requested: ReadonlySet<string>, parse: (value: unknown, field: string) => T): Map<string, T> {
  const out = new Map<string, T>();
  if (raw === null) return out;
  for (const [symbol, value] of Object.entries(asObject(raw, 'bars'))) {
    if (!requested.has(symbol)) throw new AlpacaProtocolError(`bars.${symbol}`, 'a symbol that was not requested');
    out.set(symbol, parse(value, `bars.${symbol}`));
  }
  return out;
}

function parseBarList(value: unknown, field: string): readonly AlpacaBar[] {
  if (!Array.isArray(value)) throw new AlpacaProtocolError(field, `expected an array of bars, got ${describe(value)}`);
  return Object.freeze((value as unknown[]).map((bar, i) => parseAlpacaBar(bar, `${field}[${i}]`)));
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
