import type { AlpacaClient } from './alpaca-client';
import type { AlpacaDataFeed, AlpacaMarketDataClient } from './market-data-client';
import type { AlpacaOrder } from './alpaca-types';
import type { AlpacaCredentials } from './credentials';
import { AlpacaOrderTracker } from './order-tracker';
import type { TrackedChange } from './order-tracker';
import { AlpacaStreamError, StreamConnection } from './stream-connection';
import type { ProtocolStep, StreamEvents, StreamState, StreamTiming } from './stream-connection';
import { parseStreamBar, parseTradeUpdate } from './stream-types';
import type { AlpacaStreamBar, AlpacaTradeUpdate } from './stream-types';

/** The trading stream's URL for a trading API root: `https://paper-api…` → `wss://paper-api…/stream`. */
export function tradeStreamUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/stream`;
  return url.toString();
}

export const ALPACA_DATA_STREAM_URL = 'wss://stream.data.alpaca.markets';

export interface TradeStreamOptions extends StreamTiming, StreamEvents {
  readonly credentials: AlpacaCredentials;
  /** Used after every reconnect to recover what happened while the stream was down. */
  readonly client: Pick<AlpacaClient, 'listOrders' | 'getOrder'>;
  /**
   * Every change, exactly once and in order: fills (derived from cumulative quantities, so
   * duplicates and late updates add nothing) before the status change they caused.
   */
  readonly onChange: (change: TrackedChange) => void;
  /** Every raw update as received, duplicates included (for audit logs). */
  readonly onRawUpdate?: (update: AlpacaTradeUpdate) => void;
  /** After a reconnect: how many orders REST returned and how many changes they revealed. */
  readonly onRecovered?: (summary: { readonly ordersChecked: number; readonly changes: number }) => void;
  /** Look back this far before the last event when listing orders after a gap. Default 60 000. */
  readonly recoveryLookbackMs?: number;
}

/**
 * Alpaca's `trade_updates` stream with gap recovery. Every reconnect is followed by a REST
 * sweep (open orders, orders submitted since the last event minus a margin, and every order the
 * tracker still holds open), folded into the same `AlpacaOrderTracker` as the stream's own
 * updates: a fill that happened while the connection was down is reported once, marked
 * `recovered`; one that also arrives through the stream later is not reported again.
 */
export class AlpacaTradeStream extends StreamConnection {
  readonly #options: TradeStreamOptions;
  readonly #tracker = new AlpacaOrderTracker();
  #lastEventTime: number | null = null;

  constructor(options: TradeStreamOptions) {
    super(tradeStreamUrl(options.credentials.baseUrl), options, options);
    this.#options = options;
  }

  /** Orders known before the stream starts (from a checkpoint): their fills so far are not reported again. */
  seed(orders: readonly AlpacaOrder[]): void {
    for (const order of orders) this.#tracker.observe(order, { time: order.updatedAt ?? order.createdAt, event: null, recovered: true });
  }

  get tracker(): AlpacaOrderTracker {
    return this.#tracker;
  }

  protected onOpened(): ProtocolStep[] {
    const { keyId, secretKey } = this.#options.credentials;
    return [{ kind: 'send', message: { action: 'auth', key: keyId, secret: secretKey } }];
  }

  protected onMessage(payload: unknown, state: StreamState): ProtocolStep[] {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return [{ kind: 'retry', message: 'trading stream sent a message that is not a JSON object' }];
    }
    const message = payload as { stream?: unknown; data?: unknown };
    const data = (typeof message.data === 'object' && message.data !== null ? message.data : {}) as Record<string, unknown>;
    switch (message.stream) {
      case 'authorization':
        if (data['status'] === 'authorized') return [{ kind: 'authenticated' }];
        return [{ kind: 'fatal', message: 'trading stream refused the credentials (unauthorized)' }];
      case 'listening': {
        const streams = data['streams'];
        if (Array.isArray(streams) && streams.includes('trade_updates')) return state === 'subscribing' ? [{ kind: 'subscribed' }] : [];
        return [{ kind: 'retry', message: 'trading stream did not confirm trade_updates' }];
      }
      case 'trade_updates': {
        let update: AlpacaTradeUpdate;
        try {
          update = parseTradeUpdate(message.data);
        } catch (error) {
          this.#options.onError?.(new AlpacaStreamError(`malformed trade update ignored: ${(error as Error).message}`, false, { cause: error }));
          return [];
        }
        this.enqueue(() => this.#onUpdate(update));
        return [];
      }
      default:
        return [];
    }
  }

  protected subscribeMessages(): unknown[] {
    return [{ action: 'listen', data: { streams: ['trade_updates'] } }];
  }

  protected probeMessage(): unknown {
    return { action: 'listen', data: { streams: ['trade_updates'] } };
  }

  protected async onReady(reconnected: boolean): Promise<void> {
    if (!reconnected) return;
    await this.#recover();
  }

  #onUpdate(update: AlpacaTradeUpdate): void {
    this.#options.onRawUpdate?.(update);
    this.#lastEventTime = Math.max(this.#lastEventTime ?? -Infinity, update.timestamp);
    const changes = this.#tracker.observe(update.order, {
      time: update.timestamp,
      event: update.event,
      recovered: false,
      executionId: update.executionId,
      executionPrice: update.price,
      executionQty: update.qty,
    });
    for (const change of changes) this.#options.onChange(change);
  }

  async #recover(): Promise<void> {
    const client = this.#options.client;
    const seen = new Map<string, AlpacaOrder>();
    const open = await client.listOrders({ status: 'open', limit: 500, direction: 'asc' });
    for (const order of open) seen.set(order.id, order);
    if (this.#lastEventTime !== null) {
      let after = this.#lastEventTime - (this.#options.recoveryLookbackMs ?? 60_000);
      for (;;) {
        const page = await client.listOrders({ status: 'all', after, limit: 500, direction: 'asc' });
        for (const order of page) seen.set(order.id, order);
        const last = page[page.length - 1];
        if (page.length < 500 || last === undefined) break;
        after = last.submittedAt ?? last.createdAt;
      }
    }
    for (const id of this.#tracker.openOrderIds()) {
      if (!seen.has(id)) seen.set(id, await client.getOrder(id));
    }
    const ordered = [...seen.values()].sort((a, b) => (a.updatedAt ?? a.createdAt) - (b.updatedAt ?? b.createdAt));
    let changes = 0;
    for (const order of ordered) {
      const time = order.updatedAt ?? order.createdAt;
      for (const change of this.#tracker.observe(order, { time, event: null, recovered: true })) {
        changes++;
        this.#options.onChange(change);
      }
      this.#lastEventTime = Math.max(this.#lastEventTime ?? -Infinity, time);
    }
    this.#options.onRecovered?.({ ordersChecked: ordered.length, changes });
  }
}

export interface BarStreamOptions extends StreamTiming, StreamEvents {
  readonly credentials: AlpacaCredentials;
  /** `iex` (free) or `sip`. Default `iex`. */
  readonly feed?: 'iex' | 'sip';
  /** Root of the market-data stream. Default Alpaca's; the fake server's URL for tests. */
  readonly url?: string;
  readonly symbols: readonly string[];
  /** Each bar once, in order per symbol (a bar not newer than the last one of its symbol is dropped). */
  readonly onBar: (bar: AlpacaStreamBar, recovered: boolean) => void;
  /**
   * A streamed bar that was dropped because its symbol already had a bar of that minute
   * (`duplicate`) or of a later one (`out-of-order`: minute t after t+1), for logs and counters.
   */
  readonly onDroppedBar?: (bar: AlpacaStreamBar, reason: BarDropReason) => void;
  /**
   * After a reconnect: fetch the bars of `symbol` that started after `afterMs` (REST). Without
   * it the gap is only reported through `onGap`.
   */
  readonly recoverBars?: (symbol: string, afterMs: number) => Promise<readonly AlpacaStreamBar[]>;
  readonly onGap?: (gap: { readonly symbol: string; readonly afterMs: number; readonly recovered: number }) => void;
  /**
   * The time of the last bar the caller already has (from REST history): the first connection
   * recovers the bars after it, like a reconnect, so nothing published between the history
   * request and the subscription is lost.
   */
  readonly startAfter?: number;
}

/** Why `AlpacaBarStream` dropped a streamed bar. */
export type BarDropReason = 'duplicate' | 'out-of-order';

/** Market-data stream error codes that retrying cannot cure (Alpaca's documented table). */
const FATAL_DATA_STREAM_ERRORS: ReadonlySet<number> = new Set([402, 405, 409, 410]);

/**
 * Alpaca's market-data stream (v2), subscribed to minute bars. After a reconnect, the bars
 * missed during the gap are fetched through `recoverBars` and delivered (marked recovered)
 * before the stream's own, in time order across symbols (symbol order within a minute), so
 * every symbol's bars arrive once and in time order, and a minute's bars before the next
 * minute's. A streamed bar not newer than the last one delivered for its symbol (a duplicate,
 * or one sent after its symbol's next minute) is dropped and reported through `onDroppedBar`.
 * Empty frames and WebSocket pings (keep-alives) are not messages and are never reported.
 */
export class AlpacaBarStream extends StreamConnection {
  readonly #options: BarStreamOptions;
  readonly #lastBar = new Map<string, number>();
  #dropped = 0;

  /** Streamed bars dropped so far as duplicates or out of order (see `onDroppedBar`). */
  get droppedBars(): number {
    return this.#dropped;
  }

  constructor(options: BarStreamOptions) {
    const root = (options.url ?? ALPACA_DATA_STREAM_URL).replace(/\/+$/, '');
    const wsRoot = root.replace(/^http(s?):/, 'ws$1:');
    super(`${wsRoot}/v2/${options.feed ?? 'iex'}`, options, options);
    this.#options = options;
  }

  protected onOpened(): ProtocolStep[] {
    return [];
  }

  protected onMessage(payload: unknown, state: StreamState): ProtocolStep[] {
    if (!Array.isArray(payload)) return [{ kind: 'retry', message: 'market-data stream sent a message that is not a JSON array' }];
    const steps: ProtocolStep[] = [];
    (payload as unknown[]).forEach((entry, index) => {
      if (typeof entry !== 'object' || entry === null) return;
      const m = entry as Record<string, unknown>;
      switch (m['T']) {
        case 'success':
          if (m['msg'] === 'connected') {
            const { keyId, secretKey } = this.#options.credentials;
            steps.push({ kind: 'send', message: { action: 'auth', key: keyId, secret: secretKey } });
          } else if (m['msg'] === 'authenticated') steps.push({ kind: 'authenticated' });
          break;
        case 'error': {
          const code = typeof m['code'] === 'number' ? m['code'] : 0;
          const text = `market-data stream error ${code}: ${typeof m['msg'] === 'string' ? m['msg'] : 'unknown'}`;
          if (code === 403) {
            // 403 already authenticated: the connection is fine; report it and carry on.
            this.#options.onError?.(new AlpacaStreamError(text, false));
            break;
          }
          // 402 auth failed, 405 symbol limit exceeded, 409 insufficient subscription, 410 invalid
          // subscribe action for this feed: the same request would be refused again. Anything else
          // (406 connection limit exceeded, 404 auth timeout, 407 slow client, 500, ...) is
          // retried on a new connection with the jittered backoff.
          steps.push(FATAL_DATA_STREAM_ERRORS.has(code) ? { kind: 'fatal', message: text } : { kind: 'retry', message: text });
          break;
        }
        case 'subscription':
          if (state === 'subscribing') steps.push({ kind: 'subscribed' });
          break;
        case 'b': {
          let bar: AlpacaStreamBar;
          try {
            bar = parseStreamBar(m, `bars[${index}]`);
          } catch (error) {
            this.#options.onError?.(new AlpacaStreamError(`malformed bar ignored: ${(error as Error).message}`, false, { cause: error }));
            return;
          }
          this.enqueue(() => {
            this.#deliver(bar, false);
          });
          break;
        }
        default:
          break;
      }
    });
    return steps;
  }

  protected subscribeMessages(): unknown[] {
    return [{ action: 'subscribe', bars: [...this.#options.symbols] }];
  }

  protected probeMessage(): unknown {
    return { action: 'subscribe', bars: [...this.#options.symbols] };
  }

  protected async onReady(reconnected: boolean): Promise<void> {
    if (!reconnected && this.#options.startAfter === undefined) return;
    const gaps: { readonly symbol: string; readonly afterMs: number; recovered: number }[] = [];
    const missed: AlpacaStreamBar[] = [];
    for (const symbol of this.#options.symbols) {
      const after = this.#lastBar.get(symbol) ?? this.#options.startAfter;
      if (after === undefined) continue;
      gaps.push({ symbol, afterMs: after, recovered: 0 });
      if (this.#options.recoverBars !== undefined) missed.push(...(await this.#options.recoverBars(symbol, after)));
    }
    // One symbol after the other would hand a consumer that gathers a minute's bars across
    // symbols the second symbol's minutes after the first's later ones: in time order instead.
    const rank = new Map(this.#options.symbols.map((symbol, i) => [symbol, i]));
    missed.sort((a, b) => a.time - b.time || (rank.get(a.symbol) ?? 0) - (rank.get(b.symbol) ?? 0));
    for (const bar of missed) {
      if (!this.#deliver(bar, true)) continue;
      const gap = gaps.find((g) => g.symbol === bar.symbol);
      if (gap !== undefined) gap.recovered++;
    }
    for (const gap of gaps) this.#options.onGap?.({ symbol: gap.symbol, afterMs: gap.afterMs, recovered: gap.recovered });
  }

  #deliver(bar: AlpacaStreamBar, recovered: boolean): boolean {
    const last = this.#lastBar.get(bar.symbol);
    if (last !== undefined && bar.time <= last) {
      if (!recovered) {
        this.#dropped++;
        this.#options.onDroppedBar?.(bar, bar.time === last ? 'duplicate' : 'out-of-order');
      }
      return false;
    }
    this.#lastBar.set(bar.symbol, bar.time);
    this.#options.onBar(bar, recovered);
    return true;
  }
}

/** What `recoverBarsFromRest` asks the market-data API for. */
export interface RestBarRecoveryOptions {
  /** Timeframe of the streamed bars. Default `1Min` (the stream's `bars` channel). */
  readonly timeframe?: string;
  /** Default: the client's (Alpaca's) default feed. */
  readonly feed?: AlpacaDataFeed;
}

/**
 * A `recoverBars` for `AlpacaBarStream` that asks the Market Data REST API
 * (`GET /v2/stocks/bars`, every page) for the bars of a symbol that started after the last one
 * delivered.
 *
 * @example
 * new AlpacaBarStream({ ..., recoverBars: recoverBarsFromRest(marketDataClient) });
 */
export function recoverBarsFromRest(
  client: Pick<AlpacaMarketDataClient, 'getAllBars'>,
  options: RestBarRecoveryOptions = {},
): (symbol: string, afterMs: number) => Promise<readonly AlpacaStreamBar[]> {
  return async (symbol, afterMs) => {
    const bars = await client.getAllBars({
      symbols: [symbol],
      timeframe: options.timeframe ?? '1Min',
      // Epoch ms are sent as whole seconds rounded up: the bar that started at afterMs is excluded.
      start: afterMs + 1,
      ...(options.feed !== undefined ? { feed: options.feed } : {}),
    });
    return (bars.get(symbol) ?? [])
      .filter((bar) => bar.time > afterMs)
      .map((bar) => ({ symbol, ...bar }));
  };
}
