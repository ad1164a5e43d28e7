import type { AlpacaClockWire, AlpacaOrderWire } from '../alpaca-types';
import { newYorkDate } from '../new-york-time';
import { FakeHttpFailure, unprocessable } from './fake-http';
import type { FakeReply } from './fake-http';
import { routeMarketData } from './fake-market-data';
import type { FakeBarStore } from './fake-market-data';
import type { FakeOrderEngine, FakeReplaceRequest } from './fake-order-engine';
import { accountWire, positionWire } from './fake-wire-views';

/** What the REST routes answer from. */
export interface FakeTradingRoutesContext {
  readonly engine: FakeOrderEngine;
  /** The bars of the market-data routes on the same server. */
  readonly barStore: FakeBarStore;
  /** The server's clock, epoch ms. */
  readonly now: () => number;
  /** What `GET /v2/clock` answers at a time. */
  readonly marketClock: (nowMs: number) => AlpacaClockWire;
}

const DAY_MS = 86_400_000;
const TIME_IN_FORCE = new Set(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']);
const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * Answers one REST request of the fake Alpaca API (`body` is the raw request body): the Trading
 * API routes (account, clock, calendar, positions, orders) and, through `routeMarketData`, the
 * market-data routes. Checks each request's shape as Alpaca does, then hands it to the order
 * engine. A refusal is thrown as a `FakeHttpFailure` (the HTTP layer writes Alpaca's error body);
 * an unknown route is Alpaca's 404. Every request first makes the order transitions its clock has
 * reached (`FakeOrderEngine.advance`), so it sees and acts on the orders as they are by then.
 */
export function routeFakeAlpacaRequest(method: string, url: URL, body: string, context: FakeTradingRoutesContext): FakeReply {
  const { engine } = context;
  engine.advance();
  const path = url.pathname;
  if (method === 'GET' && path === '/v2/calendar') return calendar(url.searchParams, context.now());
  if (method === 'DELETE' && path === '/v2/positions') return closeAllPositions(engine);
  const parseBody = (): unknown => {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new FakeHttpFailure(400, 40010000, 'request body format is invalid');
    }
  };
  const marketData = routeMarketData(method, url, context.barStore, context.now());
  if (marketData !== undefined) return marketData;
  if (method === 'GET' && path === '/v2/account') {
    return {
      status: 200,
      body: accountWire({
        accountId: engine.accountId,
        createdAt: engine.createdAt,
        cash: engine.cash,
        buyingPower: engine.buyingPower(),
        positions: engine.positions(),
        lastPrice: (symbol) => engine.lastPrice(symbol),
      }),
    };
  }
  if (method === 'GET' && path === '/v2/clock') return { status: 200, body: context.marketClock(context.now()) };
  if (method === 'GET' && path === '/v2/positions') {
    return {
      status: 200,
      body: [...engine.positions()].map(([symbol, position]) => positionWire(symbol, position, engine.lastPrice(symbol), engine.qtyAvailable(symbol))),
    };
  }
  if (method === 'GET' && path === '/v2/orders') return listOrders(url.searchParams, engine);
  if (method === 'POST' && path === '/v2/orders') return submitOrder(parseBody(), engine);
  if (method === 'DELETE' && path === '/v2/orders') {
    return { status: 207, body: engine.cancelAllOpen().map((o) => ({ id: o.id, status: 200, body: o })) };
  }
  if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
    return { status: 200, body: engine.orderByClientOrderId(url.searchParams.get('client_order_id')) };
  }
  const orderMatch = /^\/v2\/orders\/([^/]+)$/.exec(path);
  if (orderMatch !== null) {
    const order = engine.order(decodeURIComponent(orderMatch[1] ?? ''));
    if (method === 'GET') return { status: 200, body: order };
    if (method === 'PATCH') {
      const raw = parseBody();
      engine.assertReplaceable(order);
      return { status: 200, body: engine.replace(order, replaceRequest(raw, order.wire(), engine)) };
    }
    if (method === 'DELETE') {
      engine.cancel(order);
      return { status: 204 };
    }
  }
  const positionMatch = /^\/v2\/positions\/([^/]+)$/.exec(path);
  if (positionMatch !== null && method === 'DELETE') return { status: 200, body: engine.closePosition(decodeURIComponent(positionMatch[1] ?? '')) };
  if (positionMatch !== null && method === 'GET') {
    // `GET /v2/positions/{symbol}`: the open position, or Alpaca's 404 `position does not exist` (code 40410000).
    const symbol = decodeURIComponent(positionMatch[1] ?? '');
    const position = engine.positions().get(symbol);
    if (position === undefined) throw new FakeHttpFailure(404, 40410000, 'position does not exist');
    return { status: 200, body: positionWire(symbol, position, engine.lastPrice(symbol), engine.qtyAvailable(symbol)) };
  }
  throw new FakeHttpFailure(404, 40400000, 'endpoint not found');
}

/** A JSON number or string as the decimal text Alpaca takes; undefined for anything else. */
function decimalText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

function jsonObjectBody(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw unprocessable('request body must be a JSON object');
  return raw as Record<string, unknown>;
}

/**
 * `POST /v2/orders`: market, limit and stop orders (the fake has no other types), of order class
 * `simple` only. Alpaca's `bracket`, `oco` and `oto` classes (legs held until their entry fills,
 * one leg's fill canceling the other) are refused with 422 rather than taken and ignored: an
 * order whose exits silently vanish would pass a test it should fail. Quantbot's broker does not
 * send them (it submits exits as orders of their own).
 */
function submitOrder(raw: unknown, engine: FakeOrderEngine): FakeReply {
  const b = jsonObjectBody(raw);
  const orderClass = b['order_class'];
  if (orderClass !== undefined && orderClass !== '' && orderClass !== 'simple') {
    throw unprocessable(`order_class ${JSON.stringify(orderClass)} is not supported by the fake: only simple orders`);
  }
  const symbol = decimalText(b['symbol']);
  if (symbol === undefined || !/^[A-Z][A-Z0-9./]{0,15}$/.test(symbol)) throw unprocessable('invalid symbol');
  const qty = decimalText(b['qty']);
  if (qty === undefined || !DECIMAL.test(qty) || Number(qty) <= 0) throw unprocessable('qty must be a positive number');
  const side = b['side'];
  if (side !== 'buy' && side !== 'sell') throw unprocessable('invalid side');
  const type = b['type'];
  if (type !== 'market' && type !== 'limit' && type !== 'stop') throw unprocessable(`invalid order type for the fake: ${String(type)}`);
  const tif = b['time_in_force'];
  if (typeof tif !== 'string' || !TIME_IN_FORCE.has(tif)) throw unprocessable('invalid time_in_force');
  const limit = decimalText(b['limit_price']) ?? null;
  const stop = decimalText(b['stop_price']) ?? null;
  if (type === 'limit' && (limit === null || !DECIMAL.test(limit))) throw unprocessable('limit_price is required for limit orders');
  if (type === 'stop' && (stop === null || !DECIMAL.test(stop))) throw unprocessable('stop_price is required for stop orders');
  let clientOrderId = b['client_order_id'];
  if (clientOrderId === undefined) clientOrderId = engine.assignClientOrderId();
  if (typeof clientOrderId !== 'string' || clientOrderId.length === 0 || clientOrderId.length > 128) {
    throw unprocessable('client_order_id must be a string of 1 to 128 characters');
  }
  return { status: 200, body: engine.submit({ symbol, qty, side, type, tif, limit, stop, clientOrderId }) };
}

/** `PATCH /v2/orders/{id}`: the new terms, the order's current ones where the request leaves them out. */
function replaceRequest(raw: unknown, order: AlpacaOrderWire, engine: FakeOrderEngine): FakeReplaceRequest {
  const b = jsonObjectBody(raw);
  const qty = decimalText(b['qty']) ?? order.qty ?? '0';
  if (!DECIMAL.test(qty) || Number(qty) <= Number(order.filled_qty)) throw unprocessable('qty must be a number above the quantity already filled');
  const limit = decimalText(b['limit_price']) ?? order.limit_price;
  const stop = decimalText(b['stop_price']) ?? order.stop_price;
  const tif = typeof b['time_in_force'] === 'string' ? b['time_in_force'] : order.time_in_force;
  if (!TIME_IN_FORCE.has(tif)) throw unprocessable('invalid time_in_force');
  const clientOrderId = typeof b['client_order_id'] === 'string' ? b['client_order_id'] : engine.assignClientOrderId();
  return { qty, tif, limit, stop, clientOrderId };
}

/** `GET /v2/orders`: `status` open|closed|all, `limit` 1..500, `direction`, `after`/`until` (exclusive), `symbols`. */
function listOrders(query: URLSearchParams, engine: FakeOrderEngine): FakeReply {
  const status = query.get('status') ?? 'open';
  if (!['open', 'closed', 'all'].includes(status)) throw unprocessable('invalid status');
  const limitText = query.get('limit') ?? '50';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw unprocessable('invalid limit');
  const direction = query.get('direction') ?? 'desc';
  if (direction !== 'asc' && direction !== 'desc') throw unprocessable('invalid direction');
  const after = query.get('after');
  const until = query.get('until');
  const afterMs = after === null ? null : Date.parse(after);
  const untilMs = until === null ? null : Date.parse(until);
  if (Number.isNaN(afterMs) || Number.isNaN(untilMs)) throw unprocessable('invalid after/until');
  const symbols = query.get('symbols')?.split(',').filter((s) => s !== '');
  let list = engine.orders().filter((o) => {
    if (status === 'open' && !o.isOpen) return false;
    if (status === 'closed' && o.isOpen) return false;
    const t = Date.parse(o.facts.createdAt);
    if (afterMs !== null && t <= afterMs) return false;
    if (untilMs !== null && t >= untilMs) return false;
    return symbols === undefined || symbols.includes(o.aggregate.symbol);
  });
  if (direction === 'desc') list = list.reverse();
  return { status: 200, body: list.slice(0, limit) };
}

/** `DELETE /v2/positions`: a closing order per position, by symbol, each answered as its own 200. */
function closeAllPositions(engine: FakeOrderEngine): FakeReply {
  return {
    status: 207,
    body: engine
      .positionSymbols()
      .sort()
      .map((symbol) => {
        // Each symbol is answered on its own: a refusal (a close already working) is that entry's status and error body.
        try {
          return { symbol, status: 200, body: engine.closePosition(symbol) };
        } catch (error) {
          if (!(error instanceof FakeHttpFailure)) throw error;
          return { symbol, status: error.status, body: error.body() };
        }
      }),
  };
}

/** `GET /v2/calendar`: weekdays only (the fake knows no holidays or early closes). Settlement is T+1 (US equities since May 2024). */
function calendar(query: URLSearchParams, nowMs: number): FakeReply {
  const parse = (name: string, fallback: number): number => {
    const text = query.get(name);
    if (text === null) return fallback;
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
    if (!Number.isFinite(ms)) throw unprocessable(`invalid ${name}: expected YYYY-MM-DD`);
    return ms;
  };
  const today = newYorkDate(nowMs);
  const start = parse('start', today);
  const end = parse('end', today + 30 * DAY_MS);
  if (end - start > 3_660 * DAY_MS) throw unprocessable('date range too large');
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
}
