import type { BarSeries, BarUniverse } from '@quantbot/core';
import { DataError } from '@quantbot/core';
import { toAlpacaBarWire } from '../alpaca-bar';
import type { AlpacaBar, AlpacaBarWire, OhlcvValues } from '../alpaca-bar';
import { parseAlpacaTimeframe } from '../alpaca-timeframe';
import type { AlpacaTimeframe, AlpacaTimeframeUnit } from '../alpaca-timeframe';
import { FakeHttpFailure, badRequest, unprocessable } from './fake-http';
import type { FakeReply } from './fake-http';
import { newYorkDate, newYorkMidnight } from '../new-york-time';

/**
 * The market-data side of the fake Alpaca API: a store of bars and the two REST endpoints
 * `GET /v2/stocks/bars` (history, paginated) and `GET /v2/stocks/bars/latest`, answering with
 * Alpaca's shapes and error bodies. It never serves the future: only bars that start at or
 * before the server's `now` are visible. Feeds and adjustments are accepted and validated but
 * all served from the same bars; timeframes are not aggregated (a request sees the bars stored
 * under its timeframe).
 */

/** A bar to put into the store. Without `tradeCount`/`vwap`, plausible ones are derived. */
export interface FakeBarInput extends OhlcvValues {
  readonly tradeCount?: number;
  readonly vwap?: number;
}

/** How Quantbot bars (daily ones at 00:00 UTC of their session) enter the store. */
export interface FakeBarImportOptions {
  /** Timeframe to file them under; default `1Day`. Day, week and month bars are re-stamped at 00:00 New York, as Alpaca stamps them. */
  readonly timeframe?: string;
}

const MS_PER_DAY = 86_400_000;

/** Bars by symbol and timeframe, each list sorted by time. */
export class FakeBarStore {
  readonly #bars = new Map<string, Map<string, AlpacaBar[]>>();

  /**
   * Adds bars of one symbol and timeframe (any order; kept sorted by time). Throws a
   * `DataError` naming the symbol for a non-finite value or a time that is already stored, and a
   * `ConfigError` for an invalid timeframe.
   */
  addBars(symbol: string, timeframe: string, bars: readonly FakeBarInput[]): void {
    const key = parseAlpacaTimeframe(timeframe).text;
    let byTimeframe = this.#bars.get(symbol);
    if (byTimeframe === undefined) {
      byTimeframe = new Map();
      this.#bars.set(symbol, byTimeframe);
    }
    const list = byTimeframe.get(key) ?? [];
    const times = new Set(list.map((b) => b.time));
    for (const input of bars) {
      const bar = completeBar(input, symbol);
      if (times.has(bar.time)) {
        throw new DataError(`a ${key} bar at ${new Date(bar.time).toISOString()} is already stored`, { symbol });
      }
      times.add(bar.time);
      list.push(bar);
    }
    list.sort((a, b) => a.time - b.time);
    byTimeframe.set(key, list);
  }

  /**
   * Adds one bar and returns it as stored (with `tradeCount` and `vwap` derived when absent).
   * Appending in time order costs O(1); an earlier time is inserted in place. Throws like
   * `addBars` for a non-finite value, a time already stored or an invalid timeframe.
   */
  addBar(symbol: string, timeframe: string, input: FakeBarInput): AlpacaBar {
    const key = parseAlpacaTimeframe(timeframe).text;
    const bar = completeBar(input, symbol);
    let byTimeframe = this.#bars.get(symbol);
    if (byTimeframe === undefined) {
      byTimeframe = new Map();
      this.#bars.set(symbol, byTimeframe);
    }
    let list = byTimeframe.get(key);
    if (list === undefined) {
      list = [];
      byTimeframe.set(key, list);
    }
    // First index whose time is not before the bar's (binary search; usually the end).
    let lo = 0;
    let hi = list.length;
    if (hi > 0 && (list[hi - 1] as AlpacaBar).time < bar.time) lo = hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as AlpacaBar).time < bar.time) lo = mid + 1;
      else hi = mid;
    }
    if (list[lo]?.time === bar.time) {
      throw new DataError(`a ${key} bar at ${new Date(bar.time).toISOString()} is already stored`, { symbol });
    }
    list.splice(lo, 0, bar);
    return bar;
  }

  /** Adds one or several series (as loaded by `@quantbot/market-data`). */
  addSeries(series: BarSeries | readonly BarSeries[], options: FakeBarImportOptions = {}): void {
    const list: readonly BarSeries[] = isSeriesList(series) ? series : [series];
    const timeframe = parseAlpacaTimeframe(options.timeframe ?? '1Day');
    for (const s of list) {
      const bars: FakeBarInput[] = [];
      for (let i = 0; i < s.length; i++) {
        bars.push({
          time: alpacaStamp(s.time[i] as number, timeframe),
          open: s.open[i] as number,
          high: s.high[i] as number,
          low: s.low[i] as number,
          close: s.close[i] as number,
          volume: s.volume[i] as number,
        });
      }
      this.addBars(s.symbol, timeframe.text, bars);
    }
  }

  /**
   * Adds every bar of a universe (cells where `hasBar` is 1), e.g. one made by
   * `generateSyntheticUniverse` of `@quantbot/market-data` for seeded synthetic data.
   */
  addUniverse(universe: BarUniverse, options: FakeBarImportOptions = {}): void {
    const timeframe = parseAlpacaTimeframe(options.timeframe ?? '1Day');
    universe.symbols.forEach((symbol, s) => {
      const bars: FakeBarInput[] = [];
      for (let k = 0; k < universe.length; k++) {
        const cell = s * universe.length + k;
        if (universe.hasBar[cell] !== 1) continue;
        bars.push({
          time: alpacaStamp(universe.time[k] as number, timeframe),
          open: universe.open[cell] as number,
          high: universe.high[cell] as number,
          low: universe.low[cell] as number,
          close: universe.close[cell] as number,
          volume: universe.volume[cell] as number,
        });
      }
      this.addBars(symbol, timeframe.text, bars);
    });
  }

  /** The stored bars of a symbol and timeframe, sorted by time (empty when none). */
  bars(symbol: string, timeframe: string): readonly AlpacaBar[] {
    return this.#bars.get(symbol)?.get(parseAlpacaTimeframe(timeframe).text) ?? [];
  }

  /** Timeframes stored for a symbol, canonical spelling. */
  timeframes(symbol: string): readonly string[] {
    return [...(this.#bars.get(symbol)?.keys() ?? [])];
  }

  /** Symbols with any bar, sorted. */
  get symbols(): readonly string[] {
    return [...this.#bars.keys()].sort(compareText);
  }
}

/**
 * Answers a market-data request of the fake server, or returns `undefined` when `url` is not a
 * market-data path (so the caller can try its other routes). Bad parameters are answered as
 * Alpaca does, with `{code, message}` and 400 or 422. Authentication is the caller's business.
 *
 * `GET /v2/stocks/bars`: `symbols` and `timeframe` required; `start` (default: the beginning of
 * the current New York day) and `end` (default: now) are inclusive, RFC-3339 with whole seconds
 * or `YYYY-MM-DD` (read as 00:00 New York). `limit` (1..10000, default 1000) caps the bars of a
 * page across all symbols; symbols come in sorted order, each in time order (`sort=desc` reverses
 * time within a symbol). `next_page_token` is an opaque cursor to the next bar, null on the last
 * page.
 */
export function routeMarketData(method: string, url: URL, store: FakeBarStore, nowMs: number): FakeReply | undefined {
  const path = url.pathname;
  if (path !== '/v2/stocks/bars' && path !== '/v2/stocks/bars/latest') return undefined;
  try {
    if (method !== 'GET') throw new FakeHttpFailure(405, 40510000, 'method not allowed');
    return path === '/v2/stocks/bars' ? historicalBars(url.searchParams, store, nowMs) : latestBars(url.searchParams, store, nowMs);
  } catch (error) {
    if (!(error instanceof FakeHttpFailure)) throw error;
    return { status: error.status, body: { code: error.code, message: error.message } };
  }
}

// ---------------------------------------------------------------- endpoints

const BARS_PARAMS = new Set(['symbols', 'timeframe', 'start', 'end', 'limit', 'page_token', 'feed', 'adjustment', 'sort', 'asof', 'currency']);
const LATEST_PARAMS = new Set(['symbols', 'feed', 'currency']);

function historicalBars(query: URLSearchParams, store: FakeBarStore, nowMs: number): FakeReply {
  checkParams(query, BARS_PARAMS);
  const symbols = symbolsParam(query);
  const timeframe = timeframeParam(query.get('timeframe'));
  const start = timeParam(query, 'start') ?? newYorkMidnight(newYorkDate(nowMs));
  const end = timeParam(query, 'end') ?? nowMs;
  if (end < start) throw unprocessable('end should not be before start');
  const limit = limitParam(query.get('limit'));
  enumParam(query, 'feed', ['iex', 'sip', 'otc']);
  enumParam(query, 'adjustment', ['raw', 'split', 'dividend', 'all']);
  const descending = enumParam(query, 'sort', ['asc', 'desc']) === 'desc';
  const cursor = pageTokenParam(query.get('page_token'));

  // Visible: in [start, end] and not in the future of the server's clock.
  const last = Math.min(end, nowMs);
  const page: Record<string, AlpacaBarWire[]> = {};
  let taken = 0;
  let next: string | null = null;
  for (const symbol of symbols) {
    if (cursor !== null && symbol < cursor.symbol) continue;
    const all = store.bars(symbol, timeframe.text).filter((b) => b.time >= start && b.time <= last);
    const ordered = descending ? [...all].reverse() : all;
    for (const bar of ordered) {
      if (cursor !== null && symbol === cursor.symbol && (descending ? bar.time > cursor.time : bar.time < cursor.time)) continue;
      if (taken === limit) {
        next = encodePageToken(symbol, bar.time);
        break;
      }
      (page[symbol] ??= []).push(toAlpacaBarWire(bar));
      taken++;
    }
    if (next !== null) break;
  }
  return { status: 200, body: { bars: page, next_page_token: next } };
}

/** Order of preference for "the latest bar": Alpaca's is a minute bar; the fake falls back to the finest stored. */
const UNIT_MINUTES: Readonly<Record<AlpacaTimeframeUnit, number>> = { Min: 1, Hour: 60, Day: 1440, Week: 10_080, Month: 43_200 };

function latestBars(query: URLSearchParams, store: FakeBarStore, nowMs: number): FakeReply {
  checkParams(query, LATEST_PARAMS);
  const symbols = symbolsParam(query);
  enumParam(query, 'feed', ['iex', 'sip', 'otc']);
  const out: Record<string, AlpacaBarWire> = {};
  for (const symbol of symbols) {
    const finest = store
      .timeframes(symbol)
      .map((t) => parseAlpacaTimeframe(t))
      .sort((a, b) => a.amount * UNIT_MINUTES[a.unit] - b.amount * UNIT_MINUTES[b.unit]);
    for (const timeframe of finest) {
      const visible = store.bars(symbol, timeframe.text).filter((b) => b.time <= nowMs);
      const latest = visible[visible.length - 1];
      if (latest !== undefined) {
        out[symbol] = toAlpacaBarWire(latest);
        break;
      }
    }
  }
  return { status: 200, body: { bars: out } };
}

// ---------------------------------------------------------------- parameters

function checkParams(query: URLSearchParams, allowed: ReadonlySet<string>): void {
  const unexpected = [...new Set(query.keys())].filter((k) => !allowed.has(k));
  if (unexpected.length > 0) throw badRequest(`unexpected parameter(s): ${unexpected.join(', ')}`);
}

const SYMBOL = /^[A-Z0-9][A-Z0-9.\-/]{0,31}$/;

function symbolsParam(query: URLSearchParams): string[] {
  const text = query.get('symbols');
  if (text === null || text.trim() === '') throw badRequest('missing symbols');
  const symbols = new Set<string>();
  for (const symbol of text.split(',')) {
    if (!SYMBOL.test(symbol)) throw badRequest(`invalid symbol: '${symbol}'`);
    symbols.add(symbol);
  }
  return [...symbols].sort(compareText);
}

function timeframeParam(text: string | null): AlpacaTimeframe {
  try {
    return parseAlpacaTimeframe(text ?? '');
  } catch {
    // As Alpaca answers an unknown timeframe.
    throw new FakeHttpFailure(422, 42210000, 'invalid timeframe');
  }
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;

/** RFC-3339 (whole seconds) as given; a bare date is 00:00 New York of that day. */
function timeParam(query: URLSearchParams, name: 'start' | 'end'): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (DATE_ONLY.test(text)) {
    const date = Date.parse(`${text}T00:00:00Z`);
    if (Number.isFinite(date) && new Date(date).toISOString().startsWith(text)) return newYorkMidnight(date);
  } else if (RFC3339_SECONDS.test(text)) {
    const time = Date.parse(text);
    if (Number.isFinite(time)) return time;
  }
  throw badRequest(`invalid ${name}: '${text}' is neither RFC-3339 with whole seconds nor YYYY-MM-DD`);
}

function limitParam(text: string | null): number {
  if (text === null) return 1000;
  const limit = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw unprocessable(`invalid limit: '${text}' (1..10000)`);
  return limit;
}

function enumParam(query: URLSearchParams, name: string, allowed: readonly string[]): string | null {
  const value = query.get(name);
  if (value !== null && !allowed.includes(value)) throw unprocessable(`invalid ${name}: '${value}' (${allowed.join(', ')})`);
  return value;
}

interface PageCursor {
  readonly symbol: string;
  readonly time: number;
}

/** base64 of `SYMBOL|RFC-3339`: opaque to clients, like Alpaca's own tokens. */
function encodePageToken(symbol: string, time: number): string {
  return Buffer.from(`${symbol}|${new Date(time).toISOString()}`, 'utf8').toString('base64');
}

function pageTokenParam(token: string | null): PageCursor | null {
  if (token === null) return null;
  const text = Buffer.from(token, 'base64').toString('utf8');
  const bar = text.indexOf('|');
  const symbol = text.slice(0, bar);
  const time = Date.parse(text.slice(bar + 1));
  if (bar < 1 || !SYMBOL.test(symbol) || !Number.isFinite(time) || Buffer.from(text, 'utf8').toString('base64') !== token) {
    throw badRequest('invalid page token');
  }
  return { symbol, time };
}

// ---------------------------------------------------------------- bars

function completeBar(input: FakeBarInput, symbol: string): AlpacaBar {
  for (const key of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
    if (!Number.isFinite(input[key])) throw new DataError(`${key} is ${input[key]}`, { symbol, field: key });
  }
  const tradeCount = input.tradeCount ?? (input.volume > 0 ? Math.max(1, Math.round(input.volume / 100)) : 0);
  const vwap = input.vwap ?? Math.round(((input.high + input.low + input.close) / 3) * 10_000) / 10_000;
  if (!Number.isFinite(tradeCount) || !Number.isFinite(vwap)) throw new DataError('tradeCount and vwap must be finite', { symbol });
  return Object.freeze({
    time: input.time,
    open: input.open,
    high: input.high,
    low: input.low,
    close: input.close,
    volume: input.volume,
    tradeCount,
    vwap,
  });
}

/** Quantbot stamps a daily bar at 00:00 UTC of its session; Alpaca at 00:00 New York. */
function alpacaStamp(time: number, timeframe: AlpacaTimeframe): number {
  return timeframe.isDaily ? newYorkMidnight(Math.floor(time / MS_PER_DAY) * MS_PER_DAY) : time;
}

function isSeriesList(value: BarSeries | readonly BarSeries[]): value is readonly BarSeries[] {
  return Array.isArray(value);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
