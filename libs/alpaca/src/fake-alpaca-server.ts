import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SeededRng } from '@quantbot/core';
import { ALPACA_TERMINAL_STATUSES } from './alpaca-types';
import type { AlpacaAccountWire, AlpacaClockWire, AlpacaOrderWire, AlpacaPositionWire } from './alpaca-types';
import { seededUuid } from './seeded-uuid';
import { FakeHttpFailure, unprocessable } from './fake-http';
import type { FakeReply } from './fake-http';

/**
 * A local, in-memory imitation of Alpaca's Trading API v2 over real HTTP: same paths, same JSON
 * shapes (decimal strings, ISO timestamps, UUIDs), same error bodies, plus fault injection.
 * Market orders fill at the price set with `state.setPrice`; limit and stop orders fill when a
 * later `setPrice` crosses them. No partial fills, no margin, no market-hours enforcement.
 */

export interface FakeAlpacaServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly credentials: { readonly keyId: string; readonly secretKey: string };
  readonly now: () => number;
  readonly seed?: number;
  readonly startingCash?: number;
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
  reset(): void;
}

export interface FakeAlpacaState {
  setPrice(symbol: string, price: number): void;
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

const TIME_IN_FORCE = new Set(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']);
const DECIMAL = /^\d+(\.\d+)?$/;

export async function startFakeAlpacaServer(options: FakeAlpacaServerOptions): Promise<FakeAlpacaServer> {
  const { credentials, now } = options;
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

  // ------------------------------------------------------------ order engine

  const fill = (order: AlpacaOrderWire, price: number): void => {
    const qty = Number(order.qty);
    const signed = order.side === 'buy' ? qty : -qty;
    const book = positions.get(order.symbol) ?? { assetId: assetId(order.symbol), qty: 0, costBasis: 0 };
    if (book.qty === 0 || Math.sign(book.qty) === Math.sign(signed)) {
      book.costBasis += signed * price;
      book.qty += signed;
    } else {
      const closing = Math.min(Math.abs(signed), Math.abs(book.qty));
      const avg = book.costBasis / book.qty;
      book.qty += Math.sign(signed) * closing;
      book.costBasis = book.qty * avg;
      const opening = Math.abs(signed) - closing;
      if (opening > 0) {
        book.qty += Math.sign(signed) * opening;
        book.costBasis = book.qty * price;
      }
    }
    if (book.qty === 0) positions.delete(order.symbol);
    else positions.set(order.symbol, book);
    cash -= signed * price;
    const t = iso();
    order.status = 'filled';
    order.filled_qty = order.qty ?? '0';
    order.filled_avg_price = money(price);
    order.filled_at = t;
    order.updated_at = t;
  };

  const tryFill = (order: AlpacaOrderWire): void => {
    if (order.status !== 'new' && order.status !== 'accepted') return;
    const price = prices.get(order.symbol);
    if (price === undefined) return;
    const buy = order.side === 'buy';
    if (order.type === 'market') fill(order, price);
    else if (order.type === 'limit') {
      const limit = Number(order.limit_price);
      if (buy ? price <= limit : price >= limit) fill(order, price);
    } else if (order.type === 'stop') {
      const stop = Number(order.stop_price);
      if (buy ? price >= stop : price <= stop) fill(order, price);
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
      replaces: null,
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
    tryFill(order);
    return order;
  };

  const cancel = (order: AlpacaOrderWire): void => {
    const t = iso();
    order.status = 'canceled';
    order.canceled_at = t;
    order.updated_at = t;
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

  const route = (method: string, url: URL, body: string): Reply => {
    const path = url.pathname;
    const parseBody = (): unknown => {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        throw new HttpFailure(400, 40010000, 'request body format is invalid');
      }
    };
    if (method === 'GET' && path === '/v2/account') return { status: 200, body: accountWire() };
    if (method === 'GET' && path === '/v2/clock') return { status: 200, body: clockWire(now()) };
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    faults: {
      failNext: (n, status) => push(n, { kind: 'fail', status }),
      delayNext: (n, ms) => push(n, { kind: 'delay', ms }),
      rateLimitNext: (n, seconds) => push(n, { kind: 'rateLimit', seconds }),
      dropResponseAfterProcessing: (n) => push(n, { kind: 'drop' }),
      reset: () => {
        faultQueue.length = 0;
      },
    },
    state: {
      setPrice(symbol, price) {
        if (!Number.isFinite(price) || price <= 0) throw new RangeError(`price must be positive, got ${price}`);
        prices.set(symbol, price);
        for (const order of orders.values()) if (order.symbol === symbol) tryFill(order);
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
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The market clock, approximated: regular hours 14:30–21:00 UTC, Monday to Friday (US Eastern
 * standard time; no daylight saving, no holidays).
 */
export function clockWire(nowMs: number): AlpacaClockWire {
  const DAY = 86_400_000;
  const OPEN = (14 * 60 + 30) * 60_000;
  const CLOSE = 21 * 3_600_000;
  const dayStart = Math.floor(nowMs / DAY) * DAY;
  const weekday = (d: number): boolean => {
    const wd = new Date(d).getUTCDay();
    return wd >= 1 && wd <= 5;
  };
  const isOpen = weekday(dayStart) && nowMs >= dayStart + OPEN && nowMs < dayStart + CLOSE;
  let openDay = dayStart;
  while (!weekday(openDay) || openDay + OPEN <= nowMs) openDay += DAY;
  let closeDay = dayStart;
  while (!weekday(closeDay) || closeDay + CLOSE <= nowMs) closeDay += DAY;
  return {
    timestamp: new Date(nowMs).toISOString(),
    is_open: isOpen,
    next_open: new Date(openDay + OPEN).toISOString(),
    next_close: new Date(closeDay + CLOSE).toISOString(),
  };
}
