import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, SeededRng } from '@quantbot/core';
import { ALPACA_TERMINAL_STATUSES } from './alpaca-types';
import type { AlpacaAccountWire, AlpacaClockWire, AlpacaOrderWire, AlpacaPositionWire } from './alpaca-types';
import { WebSocketServer } from 'ws';
import type { WebSocket as WsSocket } from 'ws';
import { seededUuid } from './seeded-uuid';
import type { OhlcvValues } from './alpaca-bar';
import { FakeHttpFailure, unprocessable } from './fake-http';
import type { FakeReply } from './fake-http';
import type { AlpacaBar } from './alpaca-bar';
import { parseAlpacaTimeframe } from './alpaca-timeframe';
import { FakeBarStore, routeMarketData } from './fake-market-data';
import { newYorkDate, newYorkMidnight } from './new-york-time';

/**
 * A local, in-memory imitation of Alpaca's Trading API v2 over real HTTP and WebSocket: same
 * paths, same JSON shapes (decimal strings, ISO timestamps, UUIDs), same error bodies, the
 * `trade_updates` stream (binary frames, as Alpaca's paper stream) and the market-data bar
 * stream, plus fault injection on both.
 *
 * Prices come from `state.setPrice` (a trade at that price) or `state.pushBar` (a bar: market
 * orders fill at its open, limit and stop orders when its range crosses them, at the better of
 * the open and the order's price). `maxFillQty` / `barParticipation` cap what one tick or bar
 * can fill, which produces partial fills. With `fillOn: 'bar'` orders fill only against the
 * next bar, as a backtest with the `idealistic` execution profile fills them. No margin and no
 * market-hours enforcement.
 *
 * The market-data REST endpoints (`GET /v2/stocks/bars`, `GET /v2/stocks/bars/latest`) are served
 * from `state.barStore` on the same server, and every pushed bar is added to it, so the bar
 * stream's gap recovery through REST finds the bars it missed.
 */

/**
 * When the fake fills orders:
 * - `trade`: at submission and on every `setPrice` at the last trade price, and against pushed bars;
 * - `bar`: only against the next pushed bar of the symbol (market orders at its open, limits and
 *   stops when its range reaches them), never at submission or on `setPrice`.
 */
export type FakeFillMode = 'trade' | 'bar';

/** Every `FakeFillMode`, for validating a flag. */
export const FAKE_FILL_MODES: readonly FakeFillMode[] = Object.freeze(['trade', 'bar']);

export interface FakeAlpacaServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly credentials: { readonly keyId: string; readonly secretKey: string };
  readonly now: () => number;
  readonly seed?: number;
  readonly startingCash?: number;
  /** Most shares one `setPrice` tick fills per order (default: all). */
  readonly maxFillQty?: number;
  /** Fraction of a bar's volume one order may take from it (default: all). */
  readonly barParticipation?: number;
  /** When orders fill; default `trade` (see `FakeFillMode`). */
  readonly fillOn?: FakeFillMode;
  /** The bars served by the market-data endpoints on this server. Default: a new empty store. */
  readonly barStore?: FakeBarStore;
  /** Timeframe under which `pushBar` stores bars (`1Min`, `1Day`, ...). Default `1Min`. */
  readonly barTimeframe?: string;
  /**
   * What `GET /v2/clock` answers at the server's `now`. Default `clockWire` (regular hours in
   * New York). A `FakeMarketReplay`'s `clockAt` follows the replayed sessions instead.
   */
  readonly marketClock?: (nowMs: number) => AlpacaClockWire;
}

export interface FakeAlpacaFaults {
  /** The next `n` requests answer `status` with an Alpaca error body, without being processed. */
  failNext(n: number, status: number): void;
  /** The next `n` requests are processed, then answered after `ms`. */
  delayNext(n: number, ms: number): void;
  /** The next `n` requests answer 429 with `Retry-After: retryAfterSeconds`, without being processed. */
  rateLimitNext(n: number, retryAfterSeconds: number): void;
  /** The next `n` requests are processed, then their socket is destroyed without an answer. */
  dropResponseAfterProcessing(n: number): void;
  /** Terminates every open WebSocket connection now (the clients must reconnect). */
  dropStreams(): void;
  /** While on, every WebSocket connection stays open but sends nothing and answers nothing. */
  silenceStreams(on: boolean): void;
  /** The next `n` WebSocket connections are terminated as soon as they authenticate (a reconnect storm). */
  refuseStreams(n: number): void;
  /** The next `n` trade updates are sent twice. */
  duplicateNextUpdates(n: number): void;
  /** The next `n` trade updates are each held back and sent after the update that follows them. */
  reorderNextUpdates(n: number): void;
  /** While on, orders that have started filling get no further fills (a stalled partial fill). */
  stallPartialFills(on: boolean): void;
  /** The next `n` orders are accepted, then rejected (trade update `rejected`). */
  rejectNextOrders(n: number, reason: string): void;
  reset(): void;
}

/** A bar the fake is given (`pushBar`, a replay). */
export type FakeBar = OhlcvValues;

export interface FakeAlpacaState {
  /** A trade at `price`: open orders of `symbol` that it reaches fill (up to `maxFillQty` each). */
  setPrice(symbol: string, price: number): void;
  /**
   * A bar: added to `barStore` under the server's `barTimeframe` (a `DataError` when one is
   * already stored at its time), streamed to subscribers, then open orders of the symbol fill
   * against it; its close becomes the symbol's last price.
   */
  pushBar(symbol: string, bar: FakeBar): void;
  /** The session ends: open `day` orders expire. */
  endSession(): void;
  /** Every trade update generated so far (wire shape), whether or not a client received it. */
  tradeUpdates(): unknown[];
  /** The bars served by `GET /v2/stocks/bars` and `/latest` (pushed bars included). */
  readonly barStore: FakeBarStore;
  /** When orders fill (the `fillOn` option). */
  readonly fillOn: FakeFillMode;
  /** WebSocket connections accepted so far. */
  readonly streamConnections: number;
  readonly cash: number;
  /** Every order ever accepted, oldest first (wire shape). */
  orders(): AlpacaOrderWire[];
  /** Requests received, as `METHOD path`, in order. */
  readonly requests: string[];
}

export interface FakeAlpacaServer {
  readonly url: string;
  readonly port: number;
  readonly faults: FakeAlpacaFaults;
  readonly state: FakeAlpacaState;
  close(): Promise<void>;
}

interface PositionBook {
  assetId: string;
  qty: number;
  costBasis: number;
}

type Reply = FakeReply;
const HttpFailure = FakeHttpFailure;

const ORDER_NOT_FOUND = (): FakeHttpFailure => new FakeHttpFailure(404, 40410000, 'order not found');
const invalid = unprocessable;

const DAY_MS = 86_400_000;
const TIME_IN_FORCE = new Set(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']);
const DECIMAL = /^\d+(\.\d+)?$/;

export async function startFakeAlpacaServer(options: FakeAlpacaServerOptions): Promise<FakeAlpacaServer> {
  const { credentials, now } = options;
  const fillOn = options.fillOn ?? 'trade';
  if (!FAKE_FILL_MODES.includes(fillOn)) throw new ConfigError('fillOn', `'${String(fillOn)}' is not one of ${FAKE_FILL_MODES.join(', ')}`);
  const barTimeframe = parseAlpacaTimeframe(options.barTimeframe ?? '1Min').text;
  const barStore = options.barStore ?? new FakeBarStore();
  const marketClock = options.marketClock ?? clockWire;
  const rng = new SeededRng(options.seed ?? 42);
  const accountId = seededUuid(rng);
  const createdAt = new Date(now()).toISOString();
  const assetIds = new Map<string, string>();
  const orders = new Map<string, AlpacaOrderWire>();
  const positions = new Map<string, PositionBook>();
  const prices = new Map<string, number>();
  const requests: string[] = [];
  let cash = options.startingCash ?? 100_000;

  type Fault =
    | { kind: 'fail'; status: number }
    | { kind: 'delay'; ms: number }
    | { kind: 'rateLimit'; seconds: number }
    | { kind: 'drop' };
  const faultQueue: Fault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const push = (n: number, fault: Fault): void => {
    for (let i = 0; i < n; i++) faultQueue.push(fault);
  };

  const iso = (): string => new Date(now()).toISOString();
  const assetId = (symbol: string): string => {
    let id = assetIds.get(symbol);
    if (id === undefined) {
      id = seededUuid(rng);
      assetIds.set(symbol, id);
    }
    return id;
  };
  const money = (n: number): string => String(Math.round(n * 1e6) / 1e6);

  // ------------------------------------------------------------ streams (wire side)

  const tradeLog: unknown[] = [];
  const listeners = new Set<WsSocket>();
  const barSubscribers = new Map<WsSocket, Set<string>>();
  const sockets = new Set<WsSocket>();
  let silent = false;
  let refuseStreams = 0;
  let duplicateUpdates = 0;
  let reorderUpdates = 0;
  let heldUpdate: string | null = null;
  let stallPartials = false;
  let streamConnections = 0;
  const rejectQueue: string[] = [];

  const sendTrade = (socket: WsSocket, text: string): void => {
    // Alpaca's paper trading stream sends binary frames.
    if (!silent && socket.readyState === socket.OPEN) socket.send(Buffer.from(text, 'utf8'), { binary: true });
  };

  const broadcastTrade = (text: string): void => {
    let batch = [text];
    if (reorderUpdates > 0 && heldUpdate === null) {
      reorderUpdates--;
      heldUpdate = text;
      return;
    }
    if (heldUpdate !== null) {
      batch = [text, heldUpdate];
      heldUpdate = null;
    }
    if (duplicateUpdates > 0) {
      duplicateUpdates--;
      batch = batch.flatMap((t) => [t, t]);
    }
    for (const socket of listeners) for (const t of batch) sendTrade(socket, t);
  };

  const emit = (
    event: string,
    order: AlpacaOrderWire,
    execution?: { price: number; qty: number; positionQty: number },
  ): void => {
    const data: Record<string, unknown> = { event, order: { ...order }, timestamp: iso() };
    if (execution !== undefined) {
      data['execution_id'] = seededUuid(rng);
      data['price'] = money(execution.price);
      data['qty'] = money(execution.qty);
      data['position_qty'] = money(execution.positionQty);
    }
    const message = { stream: 'trade_updates', data };
    tradeLog.push(message);
    broadcastTrade(JSON.stringify(message));
  };

  // ------------------------------------------------------------ order engine

  const book = (symbol: string, signed: number, price: number): number => {
    const position = positions.get(symbol) ?? { assetId: assetId(symbol), qty: 0, costBasis: 0 };
    if (position.qty === 0 || Math.sign(position.qty) === Math.sign(signed)) {
      position.costBasis += signed * price;
      position.qty += signed;
    } else {
      const closing = Math.min(Math.abs(signed), Math.abs(position.qty));
      const avg = position.costBasis / position.qty;
      position.qty += Math.sign(signed) * closing;
      position.costBasis = position.qty * avg;
      const opening = Math.abs(signed) - closing;
      if (opening > 0) {
        position.qty += Math.sign(signed) * opening;
        position.costBasis = position.qty * price;
      }
    }
    if (Math.abs(position.qty) < 1e-9) positions.delete(symbol);
    else positions.set(symbol, position);
    cash -= signed * price;
    return position.qty;
  };

  /** Fills `qty` (capped at what remains) of `order` at `price`; emits `partial_fill` or `fill`. */
  const fill = (order: AlpacaOrderWire, price: number, qty: number): void => {
    const ordered = Number(order.qty);
    const done = Number(order.filled_qty);
    const take = Math.min(qty, ordered - done);
    if (!(take > 0)) return;
    const positionQty = book(order.symbol, order.side === 'buy' ? take : -take, price);
    const filled = done + take;
    const previousValue = order.filled_avg_price === null ? 0 : Number(order.filled_avg_price) * done;
    const t = iso();
    const complete = filled >= ordered - 1e-9;
    order.status = complete ? 'filled' : 'partially_filled';
    order.filled_qty = money(filled);
    order.filled_avg_price = money((previousValue + take * price) / filled);
    order.updated_at = t;
    if (complete) order.filled_at = t;
    emit(complete ? 'fill' : 'partial_fill', order, { price, qty: take, positionQty });
  };

  const fillable = (order: AlpacaOrderWire): boolean =>
    (order.status === 'new' || order.status === 'accepted' || order.status === 'partially_filled') &&
    !(stallPartials && Number(order.filled_qty) > 0);

  /** A stop that has started filling was triggered: the rest is a market order. */
  const isTriggeredStop = (order: AlpacaOrderWire): boolean => order.type === 'stop' && Number(order.filled_qty) > 0;

  /** A trade at `price`: fills what it reaches (in `bar` mode nothing fills on a trade). */
  const tryFill = (order: AlpacaOrderWire): void => {
    if (fillOn === 'bar' || !fillable(order)) return;
    const price = prices.get(order.symbol);
    if (price === undefined) return;
    const buy = order.side === 'buy';
    const cap = options.maxFillQty ?? Infinity;
    if (order.type === 'market') fill(order, price, cap);
    else if (order.type === 'limit') {
      const limit = Number(order.limit_price);
      if (buy ? price <= limit : price >= limit) fill(order, price, cap);
    } else if (order.type === 'stop') {
      const stop = Number(order.stop_price);
      if (isTriggeredStop(order) || (buy ? price >= stop : price <= stop)) fill(order, price, cap);
    }
  };

  /**
   * A bar: market orders (and stops already triggered) at the open; limits and stops at the
   * better of the open and their price when the range reaches it.
   */
  const fillAgainstBar = (order: AlpacaOrderWire, bar: FakeBar): void => {
    if (!fillable(order)) return;
    const buy = order.side === 'buy';
    const cap = options.barParticipation === undefined ? Infinity : Math.floor(bar.volume * options.barParticipation);
    if (order.type === 'market') fill(order, bar.open, cap);
    else if (order.type === 'limit') {
      const limit = Number(order.limit_price);
      if (buy ? bar.low <= limit : bar.high >= limit) fill(order, buy ? Math.min(bar.open, limit) : Math.max(bar.open, limit), cap);
    } else if (order.type === 'stop') {
      const stop = Number(order.stop_price);
      if (isTriggeredStop(order)) fill(order, bar.open, cap);
      else if (buy ? bar.high >= stop : bar.low <= stop) fill(order, buy ? Math.max(bar.open, stop) : Math.min(bar.open, stop), cap);
    }
  };

  const isOpen = (o: AlpacaOrderWire): boolean =>
    !(ALPACA_TERMINAL_STATUSES as readonly string[]).includes(o.status);

  const createOrder = (input: {
    symbol: string;
    qty: string;
    side: string;
    type: string;
    tif: string;
    limit: string | null;
    stop: string | null;
    clientOrderId: string;
    replaces?: string;
    /** Default true: try to fill at the current price right away. */
    fillNow?: boolean;
  }): AlpacaOrderWire => {
    const t = iso();
    const order: AlpacaOrderWire = {
      id: seededUuid(rng),
      client_order_id: input.clientOrderId,
      created_at: t,
      updated_at: t,
      submitted_at: t,
      filled_at: null,
      expired_at: null,
      canceled_at: null,
      failed_at: null,
      replaced_at: null,
      replaced_by: null,
      replaces: input.replaces ?? null,
      asset_id: assetId(input.symbol),
      symbol: input.symbol,
      asset_class: 'us_equity',
      notional: null,
      qty: input.qty,
      filled_qty: '0',
      filled_avg_price: null,
      order_class: '',
      order_type: input.type,
      type: input.type,
      side: input.side,
      time_in_force: input.tif,
      limit_price: input.limit,
      stop_price: input.stop,
      status: 'new',
      extended_hours: false,
      legs: null,
      trail_percent: null,
      trail_price: null,
      hwm: null,
    };
    orders.set(order.id, order);
    const rejection = rejectQueue.shift();
    if (rejection !== undefined) {
      order.status = 'rejected';
      order.failed_at = t;
      emit('rejected', order);
      return order;
    }
    emit('new', order);
    if (input.fillNow !== false) tryFill(order);
    return order;
  };

  const cancel = (order: AlpacaOrderWire): void => {
    const t = iso();
    order.status = 'canceled';
    order.canceled_at = t;
    order.updated_at = t;
    emit('canceled', order);
  };

  const replace = (order: AlpacaOrderWire, raw: unknown): AlpacaOrderWire => {
    if (!isOpen(order)) throw new HttpFailure(422, 42210000, `order is not replaceable (status ${order.status})`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('request body must be a JSON object');
    const b = raw as Record<string, unknown>;
    const str = (v: unknown): string | undefined =>
      typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
    const qty = str(b['qty']) ?? order.qty ?? '0';
    if (!DECIMAL.test(qty) || Number(qty) <= Number(order.filled_qty)) throw invalid('qty must be a number above the quantity already filled');
    const limit = str(b['limit_price']) ?? order.limit_price;
    const stop = str(b['stop_price']) ?? order.stop_price;
    const tif = typeof b['time_in_force'] === 'string' ? b['time_in_force'] : order.time_in_force;
    if (!TIME_IN_FORCE.has(tif)) throw invalid('invalid time_in_force');
    const clientOrderId = typeof b['client_order_id'] === 'string' ? b['client_order_id'] : seededUuid(rng);
    for (const o of orders.values()) {
      if (o.client_order_id === clientOrderId) throw invalid('client_order_id must be unique');
    }
    const t = iso();
    const remaining = money(Number(qty) - Number(order.filled_qty));
    order.status = 'replaced';
    order.replaced_at = t;
    order.updated_at = t;
    const next = createOrder({
      symbol: order.symbol,
      qty: remaining,
      side: order.side,
      type: order.type,
      tif,
      limit,
      stop,
      clientOrderId,
      replaces: order.id,
      fillNow: false,
    });
    order.replaced_by = next.id;
    emit('replaced', order);
    tryFill(next);
    return next;
  };

  // ------------------------------------------------------------ wire views

  const positionWire = (symbol: string, book: PositionBook): AlpacaPositionWire => {
    const avg = book.costBasis / book.qty;
    const current = prices.get(symbol) ?? avg;
    const marketValue = book.qty * current;
    const pl = marketValue - book.costBasis;
    return {
      asset_id: book.assetId,
      symbol,
      exchange: 'NASDAQ',
      asset_class: 'us_equity',
      asset_marginable: true,
      qty: money(book.qty),
      avg_entry_price: money(avg),
      side: book.qty > 0 ? 'long' : 'short',
      market_value: money(marketValue),
      cost_basis: money(book.costBasis),
      unrealized_pl: money(pl),
      unrealized_plpc: money(book.costBasis === 0 ? 0 : pl / Math.abs(book.costBasis)),
      unrealized_intraday_pl: money(pl),
      unrealized_intraday_plpc: money(book.costBasis === 0 ? 0 : pl / Math.abs(book.costBasis)),
      current_price: money(current),
      lastday_price: money(current),
      change_today: '0',
      qty_available: money(book.qty),
    };
  };

  const accountWire = (): AlpacaAccountWire => {
    let long = 0;
    let short = 0;
    for (const [symbol, book] of positions) {
      const value = book.qty * (prices.get(symbol) ?? book.costBasis / book.qty);
      if (value >= 0) long += value;
      else short += value;
    }
    const equity = cash + long + short;
    return {
      account_blocked: false,
      account_number: 'PAFAKE0001',
      buying_power: money(Math.max(0, cash)),
      cash: money(cash),
      created_at: createdAt,
      currency: 'USD',
      crypto_status: 'INACTIVE',
      non_marginable_buying_power: money(Math.max(0, cash)),
      accrued_fees: '0',
      pending_transfer_in: '0',
      pending_transfer_out: '0',
      daytrade_count: '0',
      daytrading_buying_power: '0',
      equity: money(equity),
      id: accountId,
      initial_margin: '0',
      last_equity: money(equity),
      last_maintenance_margin: '0',
      long_market_value: money(long),
      maintenance_margin: '0',
      multiplier: '1',
      pattern_day_trader: false,
      portfolio_value: money(equity),
      regt_buying_power: money(Math.max(0, cash)),
      short_market_value: money(short),
      shorting_enabled: true,
      sma: '0',
      status: 'ACTIVE',
      trade_suspended_by_user: false,
      trading_blocked: false,
      transfers_blocked: false,
    };
  };

  // ------------------------------------------------------------ routes

  const findOrder = (id: string): AlpacaOrderWire => {
    const order = orders.get(id);
    if (order === undefined) throw ORDER_NOT_FOUND();
    return order;
  };

  const submit = (raw: unknown): Reply => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('request body must be a JSON object');
    const b = raw as Record<string, unknown>;
    const str = (v: unknown): string | undefined =>
      typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
    const symbol = str(b['symbol']);
    if (symbol === undefined || !/^[A-Z][A-Z0-9./]{0,15}$/.test(symbol)) throw invalid('invalid symbol');
    const qty = str(b['qty']);
    if (qty === undefined || !DECIMAL.test(qty) || Number(qty) <= 0) throw invalid('qty must be a positive number');
    const side = b['side'];
    if (side !== 'buy' && side !== 'sell') throw invalid('invalid side');
    const type = b['type'];
    if (type !== 'market' && type !== 'limit' && type !== 'stop') throw invalid(`invalid order type for the fake: ${String(type)}`);
    const tif = b['time_in_force'];
    if (typeof tif !== 'string' || !TIME_IN_FORCE.has(tif)) throw invalid('invalid time_in_force');
    const limit = str(b['limit_price']) ?? null;
    const stop = str(b['stop_price']) ?? null;
    if (type === 'limit' && (limit === null || !DECIMAL.test(limit))) throw invalid('limit_price is required for limit orders');
    if (type === 'stop' && (stop === null || !DECIMAL.test(stop))) throw invalid('stop_price is required for stop orders');
    let clientOrderId = b['client_order_id'];
    if (clientOrderId === undefined) clientOrderId = seededUuid(rng);
    if (typeof clientOrderId !== 'string' || clientOrderId.length === 0 || clientOrderId.length > 128) {
      throw invalid('client_order_id must be a string of 1 to 128 characters');
    }
    for (const o of orders.values()) {
      if (o.client_order_id === clientOrderId) throw invalid('client_order_id must be unique');
    }
    const order = createOrder({ symbol, qty, side, type, tif, limit, stop, clientOrderId });
    return { status: 200, body: order };
  };

  const listOrders = (query: URLSearchParams): Reply => {
    const status = query.get('status') ?? 'open';
    if (!['open', 'closed', 'all'].includes(status)) throw invalid('invalid status');
    const limitText = query.get('limit') ?? '50';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw invalid('invalid limit');
    const direction = query.get('direction') ?? 'desc';
    if (direction !== 'asc' && direction !== 'desc') throw invalid('invalid direction');
    const after = query.get('after');
    const until = query.get('until');
    const afterMs = after === null ? null : Date.parse(after);
    const untilMs = until === null ? null : Date.parse(until);
    if (Number.isNaN(afterMs) || Number.isNaN(untilMs)) throw invalid('invalid after/until');
    const symbols = query.get('symbols')?.split(',').filter((s) => s !== '');
    let list = [...orders.values()].filter((o) => {
      if (status === 'open' && !isOpen(o)) return false;
      if (status === 'closed' && isOpen(o)) return false;
      const t = Date.parse(o.submitted_at ?? o.created_at);
      if (afterMs !== null && t <= afterMs) return false;
      if (untilMs !== null && t >= untilMs) return false;
      return symbols === undefined || symbols.includes(o.symbol);
    });
    if (direction === 'desc') list = list.reverse();
    return { status: 200, body: list.slice(0, limit) };
  };

  const closePosition = (symbol: string): Reply => {
    const book = positions.get(symbol);
    if (book === undefined) throw new HttpFailure(404, 40410000, 'position does not exist');
    const order = createOrder({
      symbol,
      qty: money(Math.abs(book.qty)),
      side: book.qty > 0 ? 'sell' : 'buy',
      type: 'market',
      tif: 'day',
      limit: null,
      stop: null,
      clientOrderId: seededUuid(rng),
    });
    return { status: 200, body: order };
  };

  const closeAllPositions = (): Reply => ({
    status: 207,
    body: [...positions.keys()].sort().map((symbol) => ({ symbol, status: 200, body: closePosition(symbol).body })),
  });

  /** Weekdays only: the fake knows no holidays or early closes. Settlement is T+1 (US equities since May 2024). */
  const calendar = (query: URLSearchParams): Reply => {
    const parse = (name: string, fallback: number): number => {
      const text = query.get(name);
      if (text === null) return fallback;
      const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
      if (!Number.isFinite(ms)) throw invalid(`invalid ${name}: expected YYYY-MM-DD`);
      return ms;
    };
    const today = newYorkDate(now());
    const start = parse('start', today);
    const end = parse('end', today + 30 * DAY_MS);
    if (end - start > 3_660 * DAY_MS) throw invalid('date range too large');
    const days: unknown[] = [];
    const weekday = (ms: number): boolean => new Date(ms).getUTCDay() % 6 !== 0;
    for (let d = start; d <= end; d += DAY_MS) {
      if (!weekday(d)) continue;
      let settle = d + DAY_MS;
      while (!weekday(settle)) settle += DAY_MS;
      days.push({
        date: new Date(d).toISOString().slice(0, 10),
        open: '09:30',
        close: '16:00',
        session_open: '0400',
        session_close: '2000',
        settlement_date: new Date(settle).toISOString().slice(0, 10),
      });
    }
    return { status: 200, body: days };
  };

  const route = (method: string, url: URL, body: string): Reply => {
    const path = url.pathname;
    if (method === 'GET' && path === '/v2/calendar') return calendar(url.searchParams);
    if (method === 'DELETE' && path === '/v2/positions') return closeAllPositions();
    const parseBody = (): unknown => {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        throw new HttpFailure(400, 40010000, 'request body format is invalid');
      }
    };
    const marketData = routeMarketData(method, url, barStore, now());
    if (marketData !== undefined) return marketData;
    if (method === 'GET' && path === '/v2/account') return { status: 200, body: accountWire() };
    if (method === 'GET' && path === '/v2/clock') return { status: 200, body: marketClock(now()) };
    if (method === 'GET' && path === '/v2/positions') {
      return { status: 200, body: [...positions].map(([s, b]) => positionWire(s, b)) };
    }
    if (method === 'GET' && path === '/v2/orders') return listOrders(url.searchParams);
    if (method === 'POST' && path === '/v2/orders') return submit(parseBody());
    if (method === 'DELETE' && path === '/v2/orders') {
      const results = [...orders.values()].filter(isOpen).map((o) => {
        cancel(o);
        return { id: o.id, status: 200, body: o };
      });
      return { status: 207, body: results };
    }
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
      const id = url.searchParams.get('client_order_id');
      const order = [...orders.values()].find((o) => o.client_order_id === id);
      if (order === undefined) throw ORDER_NOT_FOUND();
      return { status: 200, body: order };
    }
    const orderMatch = /^\/v2\/orders\/([^/]+)$/.exec(path);
    if (orderMatch !== null) {
      const order = findOrder(decodeURIComponent(orderMatch[1] ?? ''));
      if (method === 'GET') return { status: 200, body: order };
      if (method === 'PATCH') return { status: 200, body: replace(order, parseBody()) };
      if (method === 'DELETE') {
        if (!isOpen(order)) throw new HttpFailure(422, 42210000, `order is not cancelable (status ${order.status})`);
        cancel(order);
        return { status: 204 };
      }
    }
    const positionMatch = /^\/v2\/positions\/([^/]+)$/.exec(path);
    if (positionMatch !== null && method === 'DELETE') return closePosition(decodeURIComponent(positionMatch[1] ?? ''));
    throw new HttpFailure(404, 40400000, 'endpoint not found');
  };

  // ------------------------------------------------------------ http

  const write = (res: ServerResponse, reply: Reply): void => {
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(reply.body);
    headers['content-type'] = 'application/json; charset=UTF-8';
    res.writeHead(reply.status, headers);
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake.local');
    requests.push(`${method} ${url.pathname}${url.search}`);
    if (req.headers['apca-api-key-id'] !== credentials.keyId || req.headers['apca-api-secret-key'] !== credentials.secretKey) {
      write(res, { status: 401, body: { code: 40110000, message: 'request is not authorized' } });
      return;
    }
    const fault = faultQueue.shift();
    if (fault?.kind === 'fail') {
      write(res, { status: fault.status, body: { code: fault.status * 100_000, message: `injected failure ${fault.status}` } });
      return;
    }
    if (fault?.kind === 'rateLimit') {
      write(res, {
        status: 429,
        headers: { 'retry-after': String(fault.seconds) },
        body: { code: 42910000, message: 'rate limit exceeded' },
      });
      return;
    }
    let reply: Reply;
    try {
      reply = route(method, url, body);
    } catch (error) {
      if (!(error instanceof FakeHttpFailure)) throw error;
      reply = { status: error.status, body: { code: error.code, message: error.message } };
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        write(res, reply);
      }, fault.ms);
      timers.add(timer);
      return;
    }
    write(res, reply);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch {
        write(res, { status: 500, body: { code: 50000000, message: 'internal server error' } });
      }
    });
  });

  // ------------------------------------------------------------ websocket

  const wss = new WebSocketServer({ noServer: true });

  /** Streams a stored bar, so the stream and REST agree on every field. */
  const publishBar = (symbol: string, bar: AlpacaBar): void => {
    const text = JSON.stringify([
      {
        T: 'b',
        S: symbol,
        o: bar.open,
        h: bar.high,
        l: bar.low,
        c: bar.close,
        v: bar.volume,
        t: new Date(bar.time).toISOString(),
        n: bar.tradeCount,
        vw: bar.vwap,
      },
    ]);
    for (const [socket, symbols] of barSubscribers) {
      if (!silent && socket.readyState === socket.OPEN && (symbols.has(symbol) || symbols.has('*'))) socket.send(text);
    }
  };

  const authorized = (m: Record<string, unknown>): boolean => {
    const data = (typeof m['data'] === 'object' && m['data'] !== null ? m['data'] : {}) as Record<string, unknown>;
    const key = m['key'] ?? data['key_id'];
    const secret = m['secret'] ?? data['secret_key'];
    return key === credentials.keyId && secret === credentials.secretKey;
  };

  const refuseIfStorm = (socket: WsSocket): boolean => {
    if (refuseStreams <= 0) return false;
    refuseStreams--;
    socket.terminate();
    return true;
  };

  /** `/stream`: authenticate (`auth` or the older `authenticate`), then `listen` to trade_updates. */
  const serveTrading = (socket: WsSocket): void => {
    let authed = false;
    const reply = (message: unknown): void => sendTrade(socket, JSON.stringify(message));
    socket.on('message', (raw: Buffer) => {
      if (silent) return;
      const m = jsonObject(raw);
      if (m === null) {
        reply({ stream: 'error', data: { error_message: 'invalid syntax' } });
        return;
      }
      const action = m['action'];
      if (action === 'auth' || action === 'authenticate') {
        authed = authorized(m);
        reply({ stream: 'authorization', data: { action: 'authenticate', status: authed ? 'authorized' : 'unauthorized' } });
        if (!authed) socket.close(1008, 'unauthorized');
        else refuseIfStorm(socket);
        return;
      }
      if (action === 'listen') {
        if (!authed) {
          reply({ stream: 'authorization', data: { action: 'listen', status: 'unauthorized' } });
          return;
        }
        const data = (typeof m['data'] === 'object' && m['data'] !== null ? m['data'] : {}) as Record<string, unknown>;
        const streams = Array.isArray(data['streams']) ? (data['streams'] as unknown[]) : [];
        if (streams.includes('trade_updates')) listeners.add(socket);
        else listeners.delete(socket);
        reply({ stream: 'listening', data: { streams: streams.filter((x) => x === 'trade_updates') } });
      }
    });
  };

  /** `/v2/{feed}`: `connected`, then `auth`, then `subscribe` with `bars`. */
  const serveMarketData = (socket: WsSocket): void => {
    let authed = false;
    const reply = (messages: unknown[]): void => {
      if (!silent && socket.readyState === socket.OPEN) socket.send(JSON.stringify(messages));
    };
    reply([{ T: 'success', msg: 'connected' }]);
    socket.on('message', (raw: Buffer) => {
      if (silent) return;
      const m = jsonObject(raw);
      if (m === null) {
        reply([{ T: 'error', code: 400, msg: 'invalid syntax' }]);
        return;
      }
      if (m['action'] === 'auth') {
        if (!authorized(m)) {
          reply([{ T: 'error', code: 402, msg: 'auth failed' }]);
          socket.close(1008, 'auth failed');
          return;
        }
        authed = true;
        reply([{ T: 'success', msg: 'authenticated' }]);
        refuseIfStorm(socket);
        return;
      }
      if (!authed) {
        reply([{ T: 'error', code: 401, msg: 'not authenticated' }]);
        return;
      }
      if (m['action'] === 'subscribe' || m['action'] === 'unsubscribe') {
        const set = barSubscribers.get(socket) ?? new Set<string>();
        const bars = Array.isArray(m['bars']) ? (m['bars'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
        for (const symbol of bars) {
          if (m['action'] === 'subscribe') set.add(symbol);
          else set.delete(symbol);
        }
        barSubscribers.set(socket, set);
        reply([
          {
            T: 'subscription',
            trades: [],
            quotes: [],
            bars: [...set].sort(),
            updatedBars: [],
            dailyBars: [],
            statuses: [],
            lulds: [],
            corrections: [],
            cancelErrors: [],
          },
        ]);
        return;
      }
      reply([{ T: 'error', code: 400, msg: 'invalid syntax' }]);
    });
  };

  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://fake.local').pathname;
    const serve = path === '/stream' ? serveTrading : /^\/v2\/(iex|sip|test)$/.test(path) ? serveMarketData : null;
    if (serve === null) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      streamConnections++;
      sockets.add(ws);
      ws.on('close', () => {
        sockets.delete(ws);
        listeners.delete(ws);
        barSubscribers.delete(ws);
      });
      ws.on('error', () => ws.terminate());
      serve(ws);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    faults: {
      failNext: (n, status) => push(n, { kind: 'fail', status }),
      delayNext: (n, ms) => push(n, { kind: 'delay', ms }),
      rateLimitNext: (n, seconds) => push(n, { kind: 'rateLimit', seconds }),
      dropResponseAfterProcessing: (n) => push(n, { kind: 'drop' }),
      dropStreams: () => {
        for (const socket of sockets) socket.terminate();
      },
      silenceStreams: (on) => {
        silent = on;
      },
      refuseStreams: (n) => {
        refuseStreams += n;
      },
      duplicateNextUpdates: (n) => {
        duplicateUpdates += n;
      },
      reorderNextUpdates: (n) => {
        reorderUpdates += n;
      },
      stallPartialFills: (on) => {
        stallPartials = on;
        if (!on) for (const order of orders.values()) tryFill(order);
      },
      rejectNextOrders: (n, reason) => {
        for (let i = 0; i < n; i++) rejectQueue.push(reason);
      },
      reset: () => {
        faultQueue.length = 0;
        silent = false;
        refuseStreams = 0;
        duplicateUpdates = 0;
        reorderUpdates = 0;
        stallPartials = false;
        rejectQueue.length = 0;
      },
    },
    state: {
      setPrice(symbol, price) {
        if (!Number.isFinite(price) || price <= 0) throw new RangeError(`price must be positive, got ${price}`);
        prices.set(symbol, price);
        for (const order of orders.values()) if (order.symbol === symbol) tryFill(order);
      },
      pushBar(symbol, bar) {
        const values = [bar.open, bar.high, bar.low, bar.close];
        if (!values.every((v) => Number.isFinite(v) && v > 0) || !(bar.volume >= 0) || bar.high < bar.low) {
          throw new RangeError(`invalid bar for ${symbol} at ${new Date(bar.time).toISOString()}`);
        }
        publishBar(symbol, barStore.addBar(symbol, barTimeframe, bar));
        for (const order of orders.values()) if (order.symbol === symbol) fillAgainstBar(order, bar);
        prices.set(symbol, bar.close);
      },
      endSession() {
        for (const order of orders.values()) {
          if (isOpen(order) && order.time_in_force === 'day') {
            const t = iso();
            order.status = 'expired';
            order.expired_at = t;
            order.updated_at = t;
            emit('expired', order);
          }
        }
      },
      tradeUpdates: () => tradeLog.map((m) => JSON.parse(JSON.stringify(m)) as unknown),
      barStore,
      fillOn,
      get streamConnections() {
        return streamConnections;
      },
      get cash() {
        return cash;
      },
      orders: () => [...orders.values()].map((o) => ({ ...o })),
      requests,
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.terminate();
        wss.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Regular trading hours in New York: 09:30 to 16:00, minutes after local midnight. */
const REGULAR_OPEN_MINUTES = 9 * 60 + 30;
const REGULAR_CLOSE_MINUTES = 16 * 60;

/**
 * The market clock of regular hours: 09:30–16:00 America/New_York, Monday to Friday, daylight
 * saving time included (14:30–21:00 UTC in winter, 13:30–20:00 UTC in summer). No holidays and
 * no early closes.
 */
export function clockWire(nowMs: number): AlpacaClockWire {
  const DAY = 86_400_000;
  const weekday = (dateMs: number): boolean => {
    const wd = new Date(dateMs).getUTCDay();
    return wd >= 1 && wd <= 5;
  };
  // DST changes on Sundays at 02:00, so on a weekday local midnight + n minutes is n minutes later.
  const open = (dateMs: number): number => newYorkMidnight(dateMs) + REGULAR_OPEN_MINUTES * 60_000;
  const close = (dateMs: number): number => newYorkMidnight(dateMs) + REGULAR_CLOSE_MINUTES * 60_000;
  const today = newYorkDate(nowMs);
  const isOpen = weekday(today) && nowMs >= open(today) && nowMs < close(today);
  let openDay = today;
  while (!weekday(openDay) || open(openDay) <= nowMs) openDay += DAY;
  let closeDay = today;
  while (!weekday(closeDay) || close(closeDay) <= nowMs) closeDay += DAY;
  return {
    timestamp: new Date(nowMs).toISOString(),
    is_open: isOpen,
    next_open: new Date(open(openDay)).toISOString(),
    next_close: new Date(close(closeDay)).toISOString(),
  };
}

/** A client's WebSocket message as a JSON object, or null when it is not one. */
function jsonObject(raw: Buffer): Record<string, unknown> | null {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
