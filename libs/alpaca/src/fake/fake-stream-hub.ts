import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import type { WebSocket as WsSocket } from 'ws';
import { ConfigError } from '@quantbot/core';
import type { SeededRng } from '@quantbot/core';
import type { AlpacaBar } from '../alpaca-bar';
import { barStreamWire } from './fake-wire-views';
import { FAKE_STREAM_KINDS } from './fake-stream-kind';
import type { FakeStreamKind } from './fake-stream-kind';
import type { FakeBarDelivery, FakeKeepAliveFrame } from './fake-bar-delivery';

/**
 * The fake's WebSocket side: `/stream` (Alpaca's `trade_updates`, binary frames as on Alpaca's
 * paper stream) and `/v2/{iex,sip,test}` (the market-data bar stream), with their protocol
 * (authentication, `listen`, `subscribe`), Alpaca's connection limits (one connection per key on
 * each endpoint: HTTP 429 at the handshake of a second `trade_updates` connection, error 406 on
 * a second market-data one) and control errors, and the stream faults (dropped, silent, refused
 * connections; duplicated and reordered trade updates).
 */
/** The market-data stream's channels for stocks: subscribing to anything else is Alpaca's error 410. */
const STOCK_CHANNELS: ReadonlySet<string> = new Set(['trades', 'quotes', 'bars', 'updatedBars', 'dailyBars', 'statuses', 'lulds', 'corrections', 'cancelErrors', 'imbalances']);

/** How many streams a key may hold open, and how long a market-data connection may stay unauthenticated. */
export interface FakeStreamLimits {
  /** Open connections one key may hold on each stream endpoint (Alpaca: 1 in most subscriptions). */
  readonly connectionsPerKey: number;
  /** Real milliseconds a market-data connection has to authenticate (Alpaca: 10 seconds), then error 404 `auth timeout`. */
  readonly authTimeoutMs: number;
}


/** The kinds of bar-delivery perturbation, in the order they are tried on a bar. */
const BAR_DELIVERY_KINDS = ['reorder', 'late', 'duplicate'] as const;
type BarDeliveryKind = (typeof BAR_DELIVERY_KINDS)[number];

/** Checks the fractions of a `FakeBarDelivery`; a `ConfigError` names the one out of range (`barDelivery.late`, ...). */
export function checkBarDelivery(delivery: FakeBarDelivery): Required<FakeBarDelivery> {
  const out = { late: 0, duplicate: 0, reorder: 0 };
  for (const kind of BAR_DELIVERY_KINDS) {
    const f = delivery[kind] ?? 0;
    if (!(typeof f === 'number' && f >= 0 && f <= 1)) throw new ConfigError(`barDelivery.${kind}`, `must be a fraction 0..1, got ${String(f)}`);
    out[kind] = f;
  }
  return out;
}

/** A bar held back by the late or reorder perturbation. */
interface HeldBar {
  readonly symbol: string;
  readonly time: number;
  readonly text: string;
}

export class FakeStreamHub {
  readonly #credentials: { readonly keyId: string; readonly secretKey: string };
  readonly #limits: FakeStreamLimits;
  /** Open connections per endpoint path (`/stream`, `/v2/iex`, ...): trading ones from the upgrade, market-data ones once authenticated. */
  readonly #held = new Map<string, Set<WsSocket>>();
  readonly #authTimers = new Set<NodeJS.Timeout>();
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<WsSocket>();
  readonly #listeners = new Set<WsSocket>();
  readonly #barSubscribers = new Map<WsSocket, Set<string>>();
  readonly #silent = new Set<FakeStreamKind>();
  readonly #kinds = new Map<WsSocket, FakeStreamKind>();
  /** Connections to refuse, per target (`any`: whichever stream connects next). */
  readonly #refuse = new Map<FakeStreamKind | 'any', number>();
  #duplicateUpdates = 0;
  #reorderUpdates = 0;
  #heldUpdate: string | null = null;
  #connections = 0;
  readonly #rng: SeededRng;
  readonly #barFractions: Required<FakeBarDelivery>;
  /** Bars still to perturb by count (`lateNextBars`, ...), before the fractions are drawn. */
  readonly #barCounts: Record<BarDeliveryKind, number> = { late: 0, duplicate: 0, reorder: 0 };
  #lateHeld: HeldBar[] = [];
  readonly #reorderHeld = new Map<string, HeldBar>();
  #barsStreamed = 0;
  #keepAlives = 0;

  constructor(credentials: { readonly keyId: string; readonly secretKey: string }, limits: FakeStreamLimits, rng: SeededRng, barDelivery: FakeBarDelivery = {}) {
    this.#credentials = credentials;
    this.#limits = limits;
    this.#rng = rng;
    this.#barFractions = checkBarDelivery(barDelivery);
  }

  /** Bar frames written to market-data subscribers' feed so far (a duplicate counts twice; before the per-socket fan-out). */
  get barsStreamed(): number {
    return this.#barsStreamed;
  }

  /** Keep-alive rounds sent so far (`sendKeepAlives`). */
  get keepAlives(): number {
    return this.#keepAlives;
  }

  /** WebSocket connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  /** Serves the stream paths on `server`'s upgrades (any other path is a 404). */
  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://fake.local').pathname;
      const serve = path === '/stream' ? this.#serveTrading : /^\/v2\/(iex|sip|test)$/.test(path) ? this.#serveMarketData : null;
      if (serve === null) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      // Alpaca refuses a second trade-updates connection of a key at the handshake with HTTP 429
      // (what its clients report: "status code '429' when status code '101' was expected"). The
      // fake accepts one key, so every open `/stream` connection is that key's.
      if (path === '/stream' && this.#heldOn(path).size >= this.#limits.connectionsPerKey) {
        socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: 27\r\nConnection: close\r\n\r\nconnection limit exceeded\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.#connections++;
        this.#sockets.add(ws);
        this.#kinds.set(ws, path === '/stream' ? 'trading' : 'market-data');
        if (path === '/stream') this.#heldOn(path).add(ws);
        ws.on('close', () => {
          this.#sockets.delete(ws);
          this.#kinds.delete(ws);
          this.#listeners.delete(ws);
          this.#barSubscribers.delete(ws);
          for (const held of this.#held.values()) held.delete(ws);
        });
        ws.on('error', () => ws.terminate());
        serve(ws, path);
      });
    });
  }

  /** Sends a trade update (JSON text) to every `trade_updates` listener, through the duplicate and reorder faults. */
  broadcastTradeUpdate(text: string): void {
    let batch = [text];
    if (this.#reorderUpdates > 0 && this.#heldUpdate === null) {
      this.#reorderUpdates--;
      this.#heldUpdate = text;
      return;
    }
    if (this.#heldUpdate !== null) {
      batch = [text, this.#heldUpdate];
      this.#heldUpdate = null;
    }
    if (this.#duplicateUpdates > 0) {
      this.#duplicateUpdates--;
      batch = batch.flatMap((t) => [t, t]);
    }
    for (const socket of this.#listeners) for (const t of batch) this.#sendTrade(socket, t);
  }

  /**
   * Streams a stored bar to the subscribers of its symbol (or of `*`), through the bar-delivery
   * perturbations: bars held back earlier that this bar releases go out around it (a late bar of
   * its own symbol before it; a reordered bar of its symbol and late bars of other symbols after
   * it), and this bar may itself be held back or doubled.
   */
  publishBar(symbol: string, bar: AlpacaBar): void {
    const text = barStreamWire(symbol, bar);
    const before: string[] = [];
    const after: string[] = [];
    const stillLate: HeldBar[] = [];
    for (const held of this.#lateHeld) {
      if (held.symbol === symbol) before.push(held.text);
      else if (bar.time > held.time) after.push(held.text);
      else stillLate.push(held);
    }
    this.#lateHeld = stillLate;
    const reordered = this.#reorderHeld.get(symbol);
    if (reordered !== undefined) {
      this.#reorderHeld.delete(symbol);
      after.unshift(reordered.text);
    }
    // A bar whose symbol just had a held bar released is sent as it is: holding it too would put
    // the released one back in order.
    const fate = before.length > 0 || reordered !== undefined ? 'plain' : this.#drawFate();
    const own: string[] = [];
    if (fate === 'reorder') this.#reorderHeld.set(symbol, { symbol, time: bar.time, text });
    else if (fate === 'late') this.#lateHeld.push({ symbol, time: bar.time, text });
    else own.push(...(fate === 'duplicate' ? [text, text] : [text]));
    for (const frame of [...before, ...own, ...after]) this.#sendBar(symbol, frame);
  }

  /** Which perturbation this bar gets: counts first, then one seeded draw per kind with a fraction (the same draws whatever the outcome). */
  #drawFate(): BarDeliveryKind | 'plain' {
    for (const kind of BAR_DELIVERY_KINDS) {
      if (this.#barCounts[kind] > 0) {
        this.#barCounts[kind]--;
        return kind;
      }
    }
    let fate: BarDeliveryKind | 'plain' = 'plain';
    for (const kind of BAR_DELIVERY_KINDS) {
      const f = this.#barFractions[kind];
      if (f <= 0) continue;
      const drawn = this.#rng.nextFloat() < f;
      if (drawn && fate === 'plain') fate = kind;
    }
    return fate;
  }

  #sendBar(symbol: string, text: string): void {
    this.#barsStreamed++;
    for (const [socket, symbols] of this.#barSubscribers) {
      if (!this.#silent.has('market-data') && socket.readyState === socket.OPEN && (symbols.has(symbol) || symbols.has('*'))) socket.send(text);
    }
  }

  /** The next `n` streamed bars are each held back and sent late (see `FakeBarDelivery.late`). */
  lateNextBars(n: number): void {
    this.#barCounts.late += n;
  }

  /** The next `n` streamed bars are each sent twice. */
  duplicateNextBars(n: number): void {
    this.#barCounts.duplicate += n;
  }

  /** The next `n` streamed bars are each sent after their symbol's next bar. */
  reorderNextBars(n: number): void {
    this.#barCounts.reorder += n;
  }

  /**
   * One keep-alive to every open connection of both streams (silenced ones excepted): a WebSocket
   * ping frame with an empty payload (`ping`; the client's WebSocket answers it with a pong), or
   * an empty data frame (`empty`: text on the market-data stream, binary on `trade_updates`).
   */
  sendKeepAlives(frame: FakeKeepAliveFrame): void {
    this.#keepAlives++;
    for (const socket of this.#sockets) {
      const kind = this.#kinds.get(socket);
      if (kind === undefined || this.#silent.has(kind) || socket.readyState !== socket.OPEN) continue;
      if (frame === 'ping') socket.ping();
      else if (kind === 'trading') socket.send(Buffer.alloc(0), { binary: true });
      else socket.send('');
    }
  }

  /** Terminates every open connection of `kind` (default: every stream) now (the clients must reconnect). */
  dropAll(kind?: FakeStreamKind): void {
    for (const socket of this.#sockets) if (kind === undefined || this.#kinds.get(socket) === kind) socket.terminate();
  }

  /** While on, every connection of `kind` (default: both streams) stays open but sends nothing and answers nothing. */
  silence(on: boolean, kind?: FakeStreamKind): void {
    for (const k of kind === undefined ? FAKE_STREAM_KINDS : [kind]) {
      if (on) this.#silent.add(k);
      else this.#silent.delete(k);
    }
  }

  /** The next `n` connections of `kind` (default: of either stream) are terminated as soon as they authenticate. */
  refuseNext(n: number, kind?: FakeStreamKind): void {
    const key = kind ?? 'any';
    this.#refuse.set(key, (this.#refuse.get(key) ?? 0) + n);
  }

  /** The next `n` trade updates are sent twice. */
  duplicateNextUpdates(n: number): void {
    this.#duplicateUpdates += n;
  }

  /** The next `n` trade updates are each held back and sent after the update that follows them. */
  reorderNextUpdates(n: number): void {
    this.#reorderUpdates += n;
  }

  /** Ends the stream faults (an update or bar already held back stays held until the one that releases it); the `barDelivery` fractions stay. */
  resetFaults(): void {
    this.#silent.clear();
    this.#refuse.clear();
    this.#duplicateUpdates = 0;
    this.#reorderUpdates = 0;
    for (const kind of BAR_DELIVERY_KINDS) this.#barCounts[kind] = 0;
  }

  /** Terminates every connection and stops accepting new ones. */
  close(): void {
    for (const timer of this.#authTimers) clearTimeout(timer);
    this.#authTimers.clear();
    for (const socket of this.#sockets) socket.terminate();
    this.#wss.close();
  }

  /** The open connections held on an endpoint path. */
  #heldOn(path: string): Set<WsSocket> {
    let held = this.#held.get(path);
    if (held === undefined) {
      held = new Set();
      this.#held.set(path, held);
    }
    return held;
  }

  #sendTrade(socket: WsSocket, text: string): void {
    // Alpaca's paper trading stream sends binary frames.
    if (!this.#silent.has('trading') && socket.readyState === socket.OPEN) socket.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  #authorized(m: Record<string, unknown>): boolean {
    const data = (typeof m['data'] === 'object' && m['data'] !== null ? m['data'] : {}) as Record<string, unknown>;
    const key = m['key'] ?? data['key_id'];
    const secret = m['secret'] ?? data['secret_key'];
    return key === this.#credentials.keyId && secret === this.#credentials.secretKey;
  }

  #refuseIfStorm(socket: WsSocket): boolean {
    const kind = this.#kinds.get(socket);
    const key = kind !== undefined && (this.#refuse.get(kind) ?? 0) > 0 ? kind : 'any';
    const left = this.#refuse.get(key) ?? 0;
    if (left <= 0) return false;
    this.#refuse.set(key, left - 1);
    socket.terminate();
    return true;
  }


  /** `/stream`: authenticate (`auth` or the older `authenticate`), then `listen` to trade_updates. */
  readonly #serveTrading = (socket: WsSocket): void => {
    let authed = false;
    const reply = (message: unknown): void => this.#sendTrade(socket, JSON.stringify(message));
    socket.on('message', (raw: Buffer) => {
      if (this.#silent.has('trading')) return;
      const m = jsonObject(raw);
      if (m === null) {
        reply({ stream: 'error', data: { error_message: 'invalid syntax' } });
        return;
      }
      const action = m['action'];
      if (action === 'auth' || action === 'authenticate') {
        authed = this.#authorized(m);
        reply({ stream: 'authorization', data: { action: 'authenticate', status: authed ? 'authorized' : 'unauthorized' } });
        if (!authed) socket.close(1008, 'unauthorized');
        else this.#refuseIfStorm(socket);
        return;
      }
      if (action === 'listen') {
        if (!authed) {
          reply({ stream: 'authorization', data: { action: 'listen', status: 'unauthorized' } });
          return;
        }
        const data = (typeof m['data'] === 'object' && m['data'] !== null ? m['data'] : {}) as Record<string, unknown>;
        const streams = Array.isArray(data['streams']) ? (data['streams'] as unknown[]) : [];
        if (streams.includes('trade_updates')) this.#listeners.add(socket);
        else this.#listeners.delete(socket);
        reply({ stream: 'listening', data: { streams: streams.filter((x) => x === 'trade_updates') } });
      }
    });
  };

  /**
   * `/v2/{feed}`: `connected`, then `auth`, then `subscribe` with `bars`. The control errors are
   * those of Alpaca's market-data stream documentation: 400 `invalid syntax`, 401 `not
   * authenticated`, 402 `auth failed`, 403 `already authenticated`, 404 `auth timeout` (no
   * authentication within `authTimeoutMs`; the connection is closed), 406 `connection limit
   * exceeded` (the key already holds `connectionsPerKey` authenticated connections to this feed;
   * closed) and 410 `invalid subscribe action for this feed` (a channel the stock stream does not
   * have).
   */
  readonly #serveMarketData = (socket: WsSocket, path: string): void => {
    let authed = false;
    const reply = (messages: unknown[]): void => {
      if (!this.#silent.has('market-data') && socket.readyState === socket.OPEN) socket.send(JSON.stringify(messages));
    };
    const refuse = (code: number, msg: string): void => {
      // Written even while silenced: a refusal ends the connection, as Alpaca's does.
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify([{ T: 'error', code, msg }]));
      socket.close(1008, msg);
    };
    reply([{ T: 'success', msg: 'connected' }]);
    const authTimer = setTimeout(() => {
      this.#authTimers.delete(authTimer);
      if (!authed) refuse(404, 'auth timeout');
    }, this.#limits.authTimeoutMs);
    this.#authTimers.add(authTimer);
    socket.on('close', () => {
      clearTimeout(authTimer);
      this.#authTimers.delete(authTimer);
    });
    socket.on('message', (raw: Buffer) => {
      if (this.#silent.has('market-data')) return;
      const m = jsonObject(raw);
      if (m === null) {
        reply([{ T: 'error', code: 400, msg: 'invalid syntax' }]);
        return;
      }
      if (m['action'] === 'auth') {
        if (authed) {
          reply([{ T: 'error', code: 403, msg: 'already authenticated' }]);
          return;
        }
        if (!this.#authorized(m)) {
          refuse(402, 'auth failed');
          return;
        }
        if (this.#heldOn(path).size >= this.#limits.connectionsPerKey) {
          refuse(406, 'connection limit exceeded');
          return;
        }
        authed = true;
        this.#heldOn(path).add(socket);
        reply([{ T: 'success', msg: 'authenticated' }]);
        this.#refuseIfStorm(socket);
        return;
      }
      if (!authed) {
        reply([{ T: 'error', code: 401, msg: 'not authenticated' }]);
        return;
      }
      if (m['action'] === 'subscribe' || m['action'] === 'unsubscribe') {
        const channels = Object.keys(m).filter((k) => k !== 'action');
        if (channels.some((c) => !STOCK_CHANNELS.has(c))) {
          reply([{ T: 'error', code: 410, msg: 'invalid subscribe action for this feed' }]);
          return;
        }
        if (channels.some((c) => !Array.isArray(m[c]) || (m[c] as unknown[]).some((x) => typeof x !== 'string'))) {
          reply([{ T: 'error', code: 400, msg: 'invalid syntax' }]);
          return;
        }
        const set = this.#barSubscribers.get(socket) ?? new Set<string>();
        const bars = Array.isArray(m['bars']) ? (m['bars'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
        for (const symbol of bars) {
          if (m['action'] === 'subscribe') set.add(symbol);
          else set.delete(symbol);
        }
        this.#barSubscribers.set(socket, set);
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
