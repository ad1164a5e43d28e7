import type {
  BarSeries,
  BarUniverse,
  BrokerEventSink,
  JsonValue,
  LiveBroker,
  LiveVenue,
  OrderType,
  SeededRng,
  Ticker,
  TimeInForce,
  VenueAccount,
  VenueBar,
  VenueClock,
  VenueOrder,
  VenueMoneyMode,
  VenueSnapshot,
} from '@quantbot/core';
import { VenueUnavailableError, epochMs } from '@quantbot/core';
import type { StreamTiming } from './stream-connection';
import type { AlpacaClient } from './alpaca-client';
import { AlpacaApiError, AlpacaNetworkError } from './alpaca-errors';
import { AlpacaMarketData } from './alpaca-market-data';
import { AlpacaBroker } from './alpaca-broker';
import { ALPACA_DATA_STREAM_URL, AlpacaBarStream, AlpacaTradeStream, recoverBarsFromRest } from './alpaca-streams';
import type { AlpacaOrder } from './alpaca-types';
import type { AlpacaCredentials } from './credentials';
import type { AlpacaMarketDataClient } from './market-data-client';
import { classifyDataEndpoint, classifyTradingEndpoint, sessionEndpointMode } from './endpoint-mode';

export interface AlpacaVenueOptions {
  readonly client: AlpacaClient;
  readonly marketData: AlpacaMarketDataClient;
  readonly credentials: AlpacaCredentials;
  /** Root of the market-data stream (a local fake's URL in tests). Default Alpaca's. */
  readonly dataStreamUrl?: string;
  readonly feed?: 'iex' | 'sip';
  /** Aligns series on one time axis (market-data's `alignUniverse`); refuses what cannot be aligned. */
  readonly align: (series: readonly BarSeries[]) => BarUniverse;
  /** Milliseconds for the streams' timing (heartbeats, backoff): never for decisions. */
  readonly latencyClock: () => number;
  readonly rng: SeededRng;
  /**
   * The streams' heartbeat, connect timeout and reconnect backoff (`StreamTiming`; defaults: a
   * probe after 15 s of silence answered within 5 s, 10 s to connect, reconnects after 250 ms
   * doubling to 30 s). Drills shorten them; a trader has no reason to.
   */
  readonly streamTiming?: Omit<StreamTiming, 'now' | 'rng'>;
  /** Stream states, errors and recoveries, streamed bars dropped as duplicates or out of order (`bar-dropped`), and order snapshots Alpaca contradicted itself with (`order-anomaly`), for the log and the outage watchdog. */
  readonly onEvent?: (event: string, detail: { readonly [key: string]: JsonValue }) => void;
}

/** Alpaca's orders page holds at most this many. */
const PAGE = 500;

/**
 * Alpaca as a `LiveVenue`: REST for the snapshot, order recovery and history, the trade-update
 * stream behind the `AlpacaBroker`, the market-data stream for bars. Every order it reports is
 * remembered by client order id, so the driver can later cancel, seed or adopt it by that id.
 */
export class AlpacaVenue implements LiveVenue {
  readonly #options: AlpacaVenueOptions;
  readonly #event: (event: string, detail: { readonly [key: string]: JsonValue }) => void;
  readonly #seen = new Map<string, AlpacaOrder>();
  #stream: AlpacaTradeStream | undefined;
  #bars: AlpacaBarStream | undefined;
  #broker: AlpacaBroker | undefined;
  readonly #pendingChanges: Parameters<AlpacaBroker['onStreamChange']>[0][] = [];

  constructor(options: AlpacaVenueOptions) {
    this.#options = options;
    this.#event = options.onEvent ?? (() => undefined);
  }

  /**
   * `live` when the client's trading URL, the trade stream's (the credentials' URL) or the data
   * stream's host is neither Alpaca (paper, or its data hosts) nor loopback; else `paper` or
   * `local`. Derived from the URLs every time, never configured.
   */
  /** Alpaca refuses a sell beyond the shares held minus open sells (`qty_available`): a reversal is a close, then an opening order. */
  readonly reversals = 'close-then-open' as const;

  get moneyMode(): VenueMoneyMode {
    const { client, credentials, dataStreamUrl } = this.#options;
    return sessionEndpointMode([
      client.endpointMode,
      classifyTradingEndpoint(credentials.baseUrl, 'alpaca credentials baseUrl'),
      classifyDataEndpoint(dataStreamUrl ?? ALPACA_DATA_STREAM_URL, 'dataStreamUrl'),
    ]);
  }

  async snapshot(): Promise<VenueSnapshot> {
    const { client } = this.#options;
    let clock: Awaited<ReturnType<AlpacaClient['getClock']>>;
    let account: Awaited<ReturnType<AlpacaClient['getAccount']>>;
    let positions: Awaited<ReturnType<AlpacaClient['listPositions']>>;
    let open: AlpacaOrder[];
    try {
      clock = await client.getClock();
      account = await client.getAccount();
      positions = await client.listPositions();
      open = await client.listOrders({ status: 'open', limit: PAGE, direction: 'asc' });
    } catch (error) {
      throw new VenueUnavailableError(`cannot reach Alpaca, so not trading: ${(error as Error).message}`, { cause: error });
    }
    if (account.tradingBlocked || account.accountBlocked) throw new VenueUnavailableError('the Alpaca account is blocked from trading');
    return {
      clock: { isOpen: clock.isOpen, nextOpen: clock.nextOpen, nextClose: clock.nextClose, timestamp: clock.timestamp },
      cash: account.cash,
      positions: positions.map((p) => ({ symbol: p.symbol, qty: p.qty, avgEntryPrice: p.avgEntryPrice, currentPrice: p.currentPrice })),
      openOrders: open.map((o) => this.#remember(o)),
    };
  }

  async clock(): Promise<VenueClock> {
    const clock = await this.#options.client.getClock();
    return { isOpen: clock.isOpen, nextOpen: clock.nextOpen, nextClose: clock.nextClose, timestamp: clock.timestamp };
  }

  async openOrders(symbols: readonly Ticker[]): Promise<readonly VenueOrder[]> {
    const open = await this.#options.client.listOrders({ status: 'open', symbols });
    return open.map((o) => this.#remember(o));
  }

  async findOrder(clientOrderId: string): Promise<VenueOrder | null> {
    try {
      return this.#remember(await this.#options.client.getOrderByClientId(clientOrderId));
    } catch (error) {
      if (error instanceof AlpacaApiError && error.status === 404) return null;
      throw error;
    }
  }

  async ordersSince(after: number): Promise<readonly VenueOrder[]> {
    const out: VenueOrder[] = [];
    let from = after;
    for (;;) {
      const page = await this.#options.client.listOrders({ status: 'all', after: from, limit: PAGE, direction: 'asc' });
      for (const order of page) out.push(this.#remember(order));
      const last = page[page.length - 1];
      if (page.length < PAGE || last === undefined) return out;
      from = last.submittedAt ?? last.createdAt;
    }
  }

  async cancelOrder(clientOrderId: string): Promise<void> {
    const order = this.#seen.get(clientOrderId);
    // Only an order the venue reported has a broker id to cancel by; nothing else is ours to cancel.
    if (order === undefined) throw new VenueUnavailableError(`cannot cancel order ${clientOrderId}: Alpaca never reported it to this session`);
    await this.#options.client.cancelOrder(order.id);
  }

  async account(): Promise<VenueAccount> {
    const [account, positions] = await Promise.all([this.#options.client.getAccount(), this.#options.client.listPositions()]);
    return {
      cash: account.cash,
      positions: positions.map((p) => ({ symbol: p.symbol, qty: p.qty, avgEntryPrice: p.avgEntryPrice, currentPrice: p.currentPrice })),
    };
  }

  async loadBars(symbols: readonly Ticker[], start: number, end: number): Promise<readonly BarSeries[]> {
    // The stream's bars are as traded, so the history they continue is too (`raw`).
    return new AlpacaMarketData({
      client: this.#options.marketData,
      align: this.#options.align,
      timeframe: '1Min',
      adjustment: 'raw',
      ...(this.#options.feed !== undefined ? { feed: this.#options.feed } : {}),
    }).loadSeries({ symbols, start: epochMs(start), end: epochMs(end) });
  }

  async startOrderUpdates(seed: readonly string[]): Promise<void> {
    const stream = new AlpacaTradeStream({
      ...this.#options.streamTiming,
      credentials: this.#options.credentials,
      client: this.#options.client,
      now: this.#options.latencyClock,
      rng: this.#options.rng,
      onChange: (change) => {
        if (this.#broker === undefined) this.#pendingChanges.push(change);
        else this.#broker.onStreamChange(change);
      },
      onError: (error) => this.#event('trade-stream-error', { message: error.message, fatal: error.fatal }),
      onState: (state, detail) => this.#event('trade-stream', { state, detail }),
      onRecovered: (summary) => this.#event('trade-stream-recovered', { ordersChecked: summary.ordersChecked, changes: summary.changes }),
    });
    this.#stream = stream;
    stream.seed(seed.map((id) => this.#seen.get(id)).filter((o): o is AlpacaOrder => o !== undefined));
    try {
      await stream.start();
    } catch (error) {
      throw new VenueUnavailableError(`the trade-update stream did not start, so not trading: ${(error as Error).message}`, { cause: error });
    }
  }

  broker(sink: BrokerEventSink, adopted: readonly string[]): LiveBroker {
    const stream = this.#stream;
    if (stream === undefined) throw new VenueUnavailableError('the trade-update stream is not running: call startOrderUpdates before broker');
    const broker = new AlpacaBroker({
      client: this.#options.client,
      sink,
      tracker: stream.tracker,
      onError: (error) => this.#event('broker-error', { message: error.message, clientOrderId: error.clientOrderId }),
      onAnomaly: (error) =>
        this.#event('order-anomaly', {
          message: error.message,
          clientOrderId: error.clientOrderId,
          orderId: error.orderId,
          state: error.state,
          reportedStatus: error.reportedStatus,
        }),
    });
    this.#broker = broker;
    for (const id of adopted) {
      const order = this.#seen.get(id);
      if (order !== undefined) broker.adopt(order);
    }
    for (const change of this.#pendingChanges.splice(0)) broker.onStreamChange(change);
    return {
      submit: (order) => broker.submit(order),
      cancel: (id) => broker.cancel(id),
      replace: (id, changes) => broker.replace(id, changes),
      beforeDecision: () => broker.syncOpenOrders(),
      settle: () => broker.settle(),
    };
  }

  async startBars(symbols: readonly Ticker[], afterTime: number, onBar: (bar: VenueBar) => void): Promise<void> {
    const options = this.#options;
    this.#bars = new AlpacaBarStream({
      ...options.streamTiming,
      credentials: options.credentials,
      ...(options.dataStreamUrl !== undefined ? { url: options.dataStreamUrl } : {}),
      ...(options.feed !== undefined ? { feed: options.feed } : {}),
      symbols,
      startAfter: afterTime,
      now: options.latencyClock,
      rng: options.rng,
      onBar: (bar) => onBar({ symbol: bar.symbol, time: epochMs(bar.time), open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume }),
      recoverBars: recoverBarsFromRest(options.marketData, options.feed !== undefined ? { feed: options.feed } : {}),
      onGap: (gap) => this.#event('bar-gap', { symbol: gap.symbol, afterMs: gap.afterMs, recovered: gap.recovered }),
      onDroppedBar: (bar, reason) => this.#event('bar-dropped', { symbol: bar.symbol, time: new Date(bar.time).toISOString(), reason }),
      onError: (error) => this.#event('bar-stream-error', { message: error.message, fatal: error.fatal }),
      onState: (state, detail) => this.#event('bar-stream', { state, detail }),
    });
    await this.#bars.start();
  }

  isUnreachable(error: unknown): boolean {
    return isAlpacaUnreachable(error);
  }

  async close(): Promise<void> {
    await this.#bars?.close();
    await this.#stream?.close();
  }

  #remember(order: AlpacaOrder): VenueOrder {
    this.#seen.set(order.clientOrderId, order);
    return venueOrder(order);
  }
}

/**
 * Whether `error` (or an error it was caused by) says Alpaca could not be reached: no answer (a
 * refused or reset connection, a timeout) or a server error (HTTP 5xx), after the client's retries.
 */
export function isAlpacaUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof AlpacaNetworkError) return true;
    if (e instanceof AlpacaApiError && e.status >= 500) return true;
  }
  return false;
}

function venueOrder(o: AlpacaOrder): VenueOrder {
  const type: OrderType = o.type === 'limit' || o.type === 'stop' || o.type === 'stop_limit' ? o.type : 'market';
  const tif: TimeInForce = o.timeInForce === 'day' ? 'day' : 'gtc';
  return {
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    type,
    timeInForce: tif,
    qty: o.qty ?? 0,
    filledQty: o.filledQty,
    filledAvgPrice: o.filledAvgPrice,
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    createdAt: o.createdAt,
    lastActivityAt: o.filledAt ?? o.updatedAt ?? o.createdAt,
  };
}
