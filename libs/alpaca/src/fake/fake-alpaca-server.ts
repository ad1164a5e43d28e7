import { ConfigError, SeededRng } from '@quantbot/core';
import type { OhlcvValues } from '../alpaca-bar';
import type { AlpacaClockWire, AlpacaOrderWire } from '../alpaca-types';
import { parseAlpacaTimeframe } from '../alpaca-timeframe';
import { FakeHttpFrontend } from './fake-http-frontend';
import { clockWire } from './fake-market-clock';
import { FakeBarStore } from './fake-market-data';
import { FAKE_FILL_MODES, FakeOrderEngine, NO_ORDER_LATENCY } from './fake-order-engine';
import type { FakeFillMode, FakeOrderLatency } from './fake-order-engine';
import { FakeStreamHub } from './fake-stream-hub';
import type { FakeBarDelivery, FakeKeepAliveFrame } from './fake-bar-delivery';
import type { FakeStreamKind } from './fake-stream-kind';
import type { FakeRoute } from './fake-http';
import { routeFakeAdmin } from './fake-admin';
import { routeFakeAlpacaRequest } from './fake-trading-routes';

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
 * market-hours enforcement; Alpaca's refusals are: 403 for a buy beyond the buying power (cash
 * net of open buys) and for a sell beyond a long position's `qty_available` (so a second close
 * of a position while one is working is refused), 429 past `rateLimitPerMinute`.
 *
 * The market-data REST endpoints (`GET /v2/stocks/bars`, `GET /v2/stocks/bars/latest`) are served
 * from `state.barStore` on the same server, and every pushed bar is added to it, so the bar
 * stream's gap recovery through REST finds the bars it missed.
 *
 * The parts: the order engine (`fake-order-engine.ts`) keeps the account and the orders, the wire
 * views (`fake-wire-views.ts`) write them in Alpaca's shapes, the routes
 * (`fake-trading-routes.ts`) check requests and call the engine, the HTTP side
 * (`fake-http-frontend.ts`) and the WebSocket side (`fake-stream-hub.ts`) carry them and inject
 * faults. This function wires them together.
 */

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
  /**
   * Requests one key may make per minute of `now` on each API (trading; market data), as
   * Alpaca's 200 a minute: past it the answer is 429 `rate limit exceeded` until the window
   * resets. Every authorized answer carries `X-Ratelimit-Limit`, `X-Ratelimit-Remaining` and
   * `X-Ratelimit-Reset` (epoch seconds). Default 200; a positive integer.
   */
  readonly rateLimitPerMinute?: number;
  /**
   * When true, a sell larger than a long position's `qty_available` is accepted and reverses the
   * position in one order, as a backtest's `SimulatedBroker` fills it. Alpaca refuses such an
   * order (403 `insufficient qty available for order`), and so does the fake by default (false).
   * Closing a position (`DELETE /v2/positions/{symbol}`) is checked either way.
   */
  readonly oneOrderReversals?: boolean;
  /**
   * Open connections one key may hold on each stream endpoint (`/stream`; each market-data feed),
   * as Alpaca's limit of 1: a second `trade_updates` connection is refused at the handshake with
   * HTTP 429, a second market-data one with error 406 `connection limit exceeded`. Default 1.
   */
  readonly streamConnectionsPerKey?: number;
  /** Real milliseconds a market-data connection has to authenticate before error 404 `auth timeout` (Alpaca: 10 s). Default 10 000. */
  readonly streamAuthTimeoutMs?: number;
  /**
   * How long, in `now` time (ms), orders take to become `new`, canceled and replaced, each
   * going through Alpaca's `pending_new`, `pending_cancel` and `pending_replace` meanwhile (see
   * `FakeOrderLatency`); a field left out is 0. Default all 0: immediate. Each a number ≥ 0.
   */
  readonly orderLatency?: Partial<FakeOrderLatency>;
  /**
   * Fractions of the streamed bars delivered late, twice or out of order (see `FakeBarDelivery`),
   * drawn from an RNG seeded by `seed`: the same seed and bars give the same wire. Default none.
   * The faults `lateNextBars`, `duplicateNextBars` and `reorderNextBars` do the same by count.
   */
  readonly barDelivery?: FakeBarDelivery;
  /**
   * Keep-alives on both streams every `intervalMs` real milliseconds (`state.sendKeepAlives` sends
   * one round at once). `frame`: `ping` (default), a WebSocket ping frame with an empty payload,
   * which is what clients of Alpaca's `trade_updates` stream have logged receiving (Alpaca's
   * stream documentation describes no heartbeat message on either stream); `empty`, an empty data
   * frame. Default: none.
   */
  readonly streamKeepAlive?: { readonly intervalMs: number; readonly frame?: FakeKeepAliveFrame };
}

/**
 * `latency` with its missing fields 0, checked: a `ConfigError` naming `field.acceptMs` (and so
 * on) when one is not a finite number ≥ 0.
 */
export function resolveOrderLatency(latency: Partial<FakeOrderLatency> | undefined, field = 'orderLatency'): FakeOrderLatency {
  const resolved = { ...NO_ORDER_LATENCY, ...latency };
  for (const key of ['acceptMs', 'cancelMs', 'replaceMs'] as const) {
    const v: unknown = resolved[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`${field}.${key}`, `must be a number of ms ≥ 0, got ${String(v)}`);
  }
  for (const key of Object.keys(latency ?? {})) {
    if (!(key in NO_ORDER_LATENCY)) throw new ConfigError(`${field}.${key}`, 'is not one of acceptMs, cancelMs, replaceMs');
  }
  return Object.freeze(resolved);
}

/** Alpaca's Trading API limit: 200 requests a minute per account (alpaca.markets support: "usage limit api calls"). */
export const ALPACA_RATE_LIMIT_PER_MINUTE = 200;

/**
 * The fault controls. An HTTP fault with a `route` (`'POST /v2/orders'`, `'/v2/account'`,
 * `'/v2/orders/*'`: see `FakeRoute`) waits for the next request of that route, other requests
 * pass; without one it takes the next request. A stream fault with a `stream` (`trading` or
 * `market-data`) touches only that stream. The same faults are reachable by name through
 * `POST /__admin/faults/{name}` on the server (loopback clients only; see `applyFakeFault`).
 */
export interface FakeAlpacaFaults {
  /** The next `n` requests (of `route`) answer `status` with an Alpaca error body, without being processed. */
  failNext(n: number, status: number, route?: FakeRoute): void;
  /** The next `n` requests (of `route`) are processed, then answered after `ms`. */
  delayNext(n: number, ms: number, route?: FakeRoute): void;
  /** The next `n` requests (of `route`) answer 429 with `Retry-After: retryAfterSeconds`, without being processed. */
  rateLimitNext(n: number, retryAfterSeconds: number, route?: FakeRoute): void;
  /** The next `n` requests (of `route`) are processed, then their socket is destroyed without an answer. */
  dropResponseAfterProcessing(n: number, route?: FakeRoute): void;
  /** Terminates every open WebSocket connection (of `stream`) now (the clients must reconnect). */
  dropStreams(stream?: FakeStreamKind): void;
  /** While on, every WebSocket connection (of `stream`) stays open but sends nothing and answers nothing. */
  silenceStreams(on: boolean, stream?: FakeStreamKind): void;
  /** The next `n` WebSocket connections (of `stream`) are terminated as soon as they authenticate (a reconnect storm). */
  refuseStreams(n: number, stream?: FakeStreamKind): void;
  /** The next `n` trade updates are sent twice. */
  duplicateNextUpdates(n: number): void;
  /** The next `n` trade updates are each held back and sent after the update that follows them. */
  reorderNextUpdates(n: number): void;
  /** The next `n` streamed bars are each held back and sent after a later minute's bar of another symbol (`FakeBarDelivery.late`). */
  lateNextBars(n: number): void;
  /** The next `n` streamed bars are each sent twice. */
  duplicateNextBars(n: number): void;
  /** The next `n` streamed bars are each sent after their own symbol's next bar (minute t after t+1). */
  reorderNextBars(n: number): void;
  /** While on, orders that have started filling get no further fills (a stalled partial fill). */
  stallPartialFills(on: boolean): void;
  /** The next `n` orders are accepted, then rejected (trade update `rejected`). */
  rejectNextOrders(n: number, reason: string): void;
  /**
   * Orders requested from now on meet this latency (missing fields 0; see `FakeOrderLatency`);
   * `reset` restores the server's `orderLatency`. A `ConfigError` for a bad value.
   */
  orderLatency(latency: Partial<FakeOrderLatency>): void;
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
  /**
   * Makes the order transitions owed by `now()` (with `orderLatency`: orders becoming `new`,
   * pending cancels and replaces taking effect). REST requests, `setPrice`, `pushBar` and
   * `endSession` do it first themselves; call it after moving the clock when nothing else would.
   */
  advance(): void;
  /** Every trade update generated so far (wire shape), whether or not a client received it. */
  tradeUpdates(): unknown[];
  /** The bars served by `GET /v2/stocks/bars` and `/latest` (pushed bars included). */
  readonly barStore: FakeBarStore;
  /** Bar frames written to the market-data stream so far (a duplicated bar counts twice; a held bar once it is sent). */
  readonly barsStreamed: number;
  /** Sends one round of keep-alives to every open stream connection now (`frame` default `ping`; see `streamKeepAlive`). */
  sendKeepAlives(frame?: FakeKeepAliveFrame): void;
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

/** Starts a fake Alpaca server on `host:port` (default 127.0.0.1 and a free port). */
export async function startFakeAlpacaServer(options: FakeAlpacaServerOptions): Promise<FakeAlpacaServer> {
  const { credentials, now } = options;
  const fillOn = options.fillOn ?? 'trade';
  if (!FAKE_FILL_MODES.includes(fillOn)) throw new ConfigError('fillOn', `'${String(fillOn)}' is not one of ${FAKE_FILL_MODES.join(', ')}`);
  const rateLimitPerMinute = options.rateLimitPerMinute ?? ALPACA_RATE_LIMIT_PER_MINUTE;
  if (!Number.isSafeInteger(rateLimitPerMinute) || rateLimitPerMinute < 1) {
    throw new ConfigError('rateLimitPerMinute', `must be a positive integer, got ${String(rateLimitPerMinute)}`);
  }
  const barTimeframe = parseAlpacaTimeframe(options.barTimeframe ?? '1Min').text;
  const barStore = options.barStore ?? new FakeBarStore();
  const marketClock = options.marketClock ?? clockWire;
  const tradeLog: unknown[] = [];
  const connectionsPerKey = options.streamConnectionsPerKey ?? 1;
  if (!Number.isSafeInteger(connectionsPerKey) || connectionsPerKey < 1) {
    throw new ConfigError('streamConnectionsPerKey', `must be a positive integer, got ${String(connectionsPerKey)}`);
  }
  const authTimeoutMs = options.streamAuthTimeoutMs ?? 10_000;
  if (!(authTimeoutMs > 0)) throw new ConfigError('streamAuthTimeoutMs', `must be positive, got ${String(authTimeoutMs)}`);
  const orderLatency = resolveOrderLatency(options.orderLatency);
  const keepAlive = options.streamKeepAlive;
  const keepAliveFrame = keepAlive?.frame ?? 'ping';
  if (keepAlive !== undefined) {
    if (!(Number.isFinite(keepAlive.intervalMs) && keepAlive.intervalMs > 0)) {
      throw new ConfigError('streamKeepAlive.intervalMs', `must be a positive number of ms, got ${String(keepAlive.intervalMs)}`);
    }
    if (keepAliveFrame !== 'ping' && keepAliveFrame !== 'empty') throw new ConfigError('streamKeepAlive.frame', `must be ping or empty, got ${String(keepAliveFrame)}`);
  }
  // Its own RNG, so that bar delivery draws never shift the order engine's ids.
  const streams = new FakeStreamHub(credentials, { connectionsPerKey, authTimeoutMs }, new SeededRng(((options.seed ?? 42) ^ 0x5bd1e995) >>> 0), options.barDelivery);
  const engine = new FakeOrderEngine({
    rng: new SeededRng(options.seed ?? 42),
    now,
    startingCash: options.startingCash ?? 100_000,
    fillOn,
    maxFillQty: options.maxFillQty,
    barParticipation: options.barParticipation,
    oneOrderReversals: options.oneOrderReversals ?? false,
    orderLatency,
    onTradeUpdate: (message) => {
      tradeLog.push(message);
      streams.broadcastTradeUpdate(JSON.stringify(message));
    },
  });
  const http = new FakeHttpFrontend({
    credentials,
    now,
    rateLimitPerMinute,
    admin: (method, path, body) => routeFakeAdmin(method, path, body, faults),
    route: (method, url, body) => routeFakeAlpacaRequest(method, url, body, { engine, barStore, now, marketClock }),
  });
  streams.attach(http.server);

  const faults: FakeAlpacaFaults = {
    failNext: (n, status, route) => http.failNext(n, status, route),
    delayNext: (n, ms, route) => http.delayNext(n, ms, route),
    rateLimitNext: (n, seconds, route) => http.rateLimitNext(n, seconds, route),
    dropResponseAfterProcessing: (n, route) => http.dropResponseAfterProcessing(n, route),
    dropStreams: (stream) => streams.dropAll(stream),
    silenceStreams: (on, stream) => streams.silence(on, stream),
    refuseStreams: (n, stream) => streams.refuseNext(n, stream),
    duplicateNextUpdates: (n) => streams.duplicateNextUpdates(n),
    reorderNextUpdates: (n) => streams.reorderNextUpdates(n),
    lateNextBars: (n) => streams.lateNextBars(n),
    duplicateNextBars: (n) => streams.duplicateNextBars(n),
    reorderNextBars: (n) => streams.reorderNextBars(n),
    stallPartialFills: (on) => engine.stallPartialFills(on),
    rejectNextOrders: (n, reason) => engine.rejectNextOrders(n, reason),
    orderLatency: (latency) => engine.setOrderLatency(resolveOrderLatency(latency)),
    reset: () => {
      http.resetFaults();
      streams.resetFaults();
      engine.resetFaults();
      engine.setOrderLatency(orderLatency);
    },
  };

  const host = options.host ?? '127.0.0.1';
  const address = await http.listen(options.port ?? 0, host);
  const keepAliveTimer = keepAlive === undefined ? undefined : setInterval(() => streams.sendKeepAlives(keepAliveFrame), keepAlive.intervalMs);
  keepAliveTimer?.unref();

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    faults,
    state: {
      setPrice: (symbol, price) => engine.setPrice(symbol, price),
      pushBar(symbol, bar) {
        const values = [bar.open, bar.high, bar.low, bar.close];
        if (!values.every((v) => Number.isFinite(v) && v > 0) || !(bar.volume >= 0) || bar.high < bar.low) {
          throw new RangeError(`invalid bar for ${symbol} at ${new Date(bar.time).toISOString()}`);
        }
        streams.publishBar(symbol, barStore.addBar(symbol, barTimeframe, bar));
        engine.applyBar(symbol, bar);
      },
      endSession: () => engine.endSession(),
      advance: () => engine.advance(),
      tradeUpdates: () => tradeLog.map((m) => JSON.parse(JSON.stringify(m)) as unknown),
      barStore,
      get barsStreamed() {
        return streams.barsStreamed;
      },
      sendKeepAlives: (frame = 'ping') => streams.sendKeepAlives(frame),
      fillOn,
      get streamConnections() {
        return streams.connections;
      },
      get cash() {
        return engine.cash;
      },
      orders: () => engine.orders().map((o) => o.wire()),
      requests: http.requests,
    },
    close: async () => {
      clearInterval(keepAliveTimer);
      http.clearTimers();
      streams.close();
      await http.close();
    },
  };
}
