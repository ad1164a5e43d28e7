import type { Bar, BarSeries, BarUniverse, JsonValue, OrderType, SeededRng, Ticker, TimeInForce } from '@quantbot/core';
import { QuantbotError, epochMs } from '@quantbot/core';
import { AlpacaApiError, AlpacaBarStream, AlpacaBroker, AlpacaMarketData, AlpacaTradeStream, recoverBarsFromRest } from '@quantbot/alpaca';
import type { AlpacaClient, AlpacaCredentials, AlpacaMarketDataClient, AlpacaOrder, AlpacaStreamBar } from '@quantbot/alpaca';
import { CHECKPOINT_FORMAT } from './live-checkpoint';
import type { CheckpointOrder, LiveCheckpoint } from './live-checkpoint';
import type { BarStep } from './live-runner';
import type { LiveBroker, LiveBrokerContext } from './live-session';
import type { LiveFillRecord } from './live-state';
import { reconcile } from './reconcile';
import type { BrokerOrderView, Divergence, OrphanPolicy } from './reconcile';

/** The broker could not be reached or refused us: the trader does not trade (fails closed). */
export class VenueUnavailableError extends QuantbotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VENUE_UNAVAILABLE', message, options);
  }
}

export interface AlpacaVenueOptions {
  readonly client: AlpacaClient;
  readonly marketData: AlpacaMarketDataClient;
  readonly credentials: AlpacaCredentials;
  /** Root of the market-data stream (the fake server's URL in tests). Default Alpaca's. */
  readonly dataStreamUrl?: string;
  readonly feed?: 'iex' | 'sip';
  readonly sessionId: string;
  readonly strategy: { readonly name: string; readonly params: JsonValue };
  readonly symbols: readonly Ticker[];
  readonly orphanPolicy: OrphanPolicy;
  /** Minutes of minute bars to warm a new session up with. */
  readonly historyMinutes: number;
  /** Aligns series on one time axis (market-data's `alignUniverse`). */
  readonly align: (series: readonly BarSeries[]) => BarUniverse;
  readonly latencyClock: () => number;
  readonly rng: SeededRng;
  /** A bar step is complete when every symbol's bar arrived, or this long after its first bar. */
  readonly stepTimeoutMs?: number;
  readonly onEvent?: (event: string, detail: { readonly [key: string]: JsonValue }) => void;
  /**
   * What the journal already holds, per client order id: quantity and value (Σ qty × price) of
   * the fills saved so far. Every fill at the broker beyond it is recovered, once.
   */
  readonly journaled?: ReadonlyMap<string, { readonly qty: number; readonly value: number }>;
}

export interface AlpacaVenue {
  /** What the session restores from: the checkpoint with the broker's books, or a fresh v1 document. */
  readonly restore: LiveCheckpoint;
  /**
   * Bars to warm up (or catch up) with; null when restoring a checkpoint that no bar has come
   * after (a restart within the minute, or with the market quiet).
   */
  readonly history: BarUniverse | null;
  readonly divergences: readonly Divergence[];
  readonly recoveredFills: readonly LiveFillRecord[];
  /** The market clock at connection. */
  readonly clock: { readonly isOpen: boolean; readonly nextOpen: number; readonly nextClose: number; readonly timestamp: number };
  readonly broker: (context: LiveBrokerContext) => LiveBroker;
  /** Starts delivering complete bar steps, from the first bar after `afterTime` (the session's last). */
  startBars(onStep: (step: BarStep) => void, afterTime: number): Promise<void>;
  /**
   * Positions and cash at the broker vs the session's books, for the periodic check. Symbols
   * with working orders are skipped (a fill may be on its way), and cash too while any is.
   */
  compare(ledger: { readonly cash: number; qty(symbol: Ticker): number; hasWorkingOrder(symbol: Ticker): boolean }): Promise<readonly Divergence[]>;
  close(): Promise<void>;
}

/**
 * Connects a live session to Alpaca: reads the clock, the account, positions and open orders
 * (failing closed if it cannot), recovers what happened to the session's working orders while it
 * was away, reconciles (the broker is authoritative; every divergence is returned for the audit
 * log), cancels or adopts orphans by policy, loads warm-up bars, and starts the trade-update
 * stream before any order can be sent.
 */
export async function connectAlpacaVenue(options: AlpacaVenueOptions, checkpoint: LiveCheckpoint | undefined): Promise<AlpacaVenue> {
  const { client, symbols, sessionId } = options;
  const event = options.onEvent ?? (() => undefined);
  let clock: Awaited<ReturnType<AlpacaClient['getClock']>>;
  let account: Awaited<ReturnType<AlpacaClient['getAccount']>>;
  let positions: Awaited<ReturnType<AlpacaClient['listPositions']>>;
  let open: AlpacaOrder[];
  try {
    clock = await client.getClock();
    account = await client.getAccount();
    positions = await client.listPositions();
    open = await client.listOrders({ status: 'open', limit: 500, direction: 'asc' });
  } catch (error) {
    throw new VenueUnavailableError(`cannot reach Alpaca, so not trading: ${(error as Error).message}`, { cause: error });
  }
  if (account.tradingBlocked || account.accountBlocked) throw new VenueUnavailableError('the Alpaca account is blocked from trading');

  // What became of the session's orders while no process watched: the ones it left working, and
  // any it sent after its last checkpoint (a crash between sending and saving).
  const localWorking: readonly CheckpointOrder[] = checkpoint?.version === 2 ? checkpoint.workingOrders : [];
  const known = new Map(open.map((o) => [o.clientOrderId, o]));
  const ours = (id: string): boolean => id.startsWith(`${sessionId}-`);
  const candidates = new Map<string, AlpacaOrder>();
  for (const order of open) if (ours(order.clientOrderId)) candidates.set(order.clientOrderId, order);
  const ended: AlpacaOrder[] = [];
  try {
    for (const local of localWorking) {
      if (candidates.has(local.clientOrderId) || known.has(local.clientOrderId)) continue;
      try {
        const order = await client.getOrderByClientId(local.clientOrderId);
        candidates.set(order.clientOrderId, order);
        ended.push(order);
      } catch (error) {
        if (!(error instanceof AlpacaApiError && error.status === 404)) throw error;
      }
    }
    if (checkpoint !== undefined) {
      // Decisions are stamped with their bar's close; look back a little before the last one saved.
      let after = checkpoint.lastBarTime - 120_000;
      for (;;) {
        const page = await client.listOrders({ status: 'all', after, limit: 500, direction: 'asc' });
        for (const order of page) {
          if (!ours(order.clientOrderId) || candidates.has(order.clientOrderId)) continue;
          candidates.set(order.clientOrderId, order);
          if (!known.has(order.clientOrderId)) ended.push(order);
        }
        const last = page[page.length - 1];
        if (page.length < 500 || last === undefined) break;
        after = last.submittedAt ?? last.createdAt;
      }
    }
  } catch (error) {
    throw new VenueUnavailableError(`cannot recover the session's orders from Alpaca, so not trading: ${(error as Error).message}`, { cause: error });
  }
  const recoveredFills: LiveFillRecord[] = [];
  for (const order of candidates.values()) {
    const saved = options.journaled?.get(order.clientOrderId) ?? { qty: 0, value: 0 };
    const delta = order.filledQty - saved.qty;
    if (!(delta > 1e-9) || order.filledAvgPrice === null) continue;
    recoveredFills.push({
      fillKey: `${order.clientOrderId}@${order.filledQty}`,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      qty: delta,
      price: saved.qty === 0 ? order.filledAvgPrice : (order.filledAvgPrice * order.filledQty - saved.value) / delta,
      commission: 0,
      time: order.filledAt ?? order.updatedAt ?? order.createdAt,
      recovered: true,
    });
  }

  const localLedger = checkpoint?.ledger ?? {
    startingCash: account.cash,
    cash: account.cash,
    fees: 0,
    realizedPnl: 0,
    positions: symbols.map((symbol) => ({ symbol: symbol as string, qty: 0, averageCost: 0, mark: null, realizedPnl: 0 })),
  };
  const plan = reconcile(
    { symbols, ledger: localLedger, working: localWorking },
    {
      cash: account.cash,
      positions: positions.map((p) => ({ symbol: p.symbol, qty: p.qty, avgEntryPrice: p.avgEntryPrice, currentPrice: p.currentPrice })),
      openOrders: open.map(orderView),
    },
    recoveredFills,
    { sessionPrefix: sessionId, policy: options.orphanPolicy },
  );
  for (const clientOrderId of plan.cancel) {
    const order = known.get(clientOrderId);
    if (order !== undefined) await client.cancelOrder(order.id);
  }
  for (const d of plan.divergences) event('reconciliation', { kind: d.kind, symbol: d.symbol, local: d.local, broker: d.broker, action: d.action });

  // Warm-up and catch-up bars.
  const start = checkpoint?.version === 2 ? checkpoint.lastBarTime + 1 : clock.timestamp - options.historyMinutes * 60_000;
  // The stream's bars are as traded, so the history they continue is too (`raw`).
  const series = await new AlpacaMarketData({
    client: options.marketData,
    align: options.align,
    timeframe: '1Min',
    adjustment: 'raw',
    ...(options.feed !== undefined ? { feed: options.feed } : {}),
  }).loadSeries({ symbols, start: epochMs(start), end: epochMs(clock.timestamp) });
  // Nothing after the checkpoint is normal; nothing at all on a fresh start is left to `align`
  // to refuse (a wrong symbol, say).
  const isCaughtUp = checkpoint?.version === 2 && series.every((s) => s.length === 0);
  const history = isCaughtUp ? null : options.align(series);

  const lastBarTime = checkpoint?.lastBarTime ?? 0;
  const restore: LiveCheckpoint =
    checkpoint?.version === 2
      ? { ...checkpoint, ledger: plan.ledger, workingOrders: plan.working }
      : {
          format: CHECKPOINT_FORMAT,
          version: 1,
          sessionId,
          strategy: options.strategy,
          symbols: [...symbols],
          lastBarTime,
          ledger: plan.ledger,
        };

  // The trade stream, seeded with what the broker says now, so nothing is reported twice.
  let broker: AlpacaBroker | undefined;
  const pendingChanges: Parameters<AlpacaBroker['onStreamChange']>[0][] = [];
  const stream = new AlpacaTradeStream({
    credentials: options.credentials,
    client,
    now: options.latencyClock,
    rng: options.rng,
    onChange: (change) => {
      if (broker === undefined) pendingChanges.push(change);
      else broker.onStreamChange(change);
    },
    onError: (error) => event('trade-stream-error', { message: error.message, fatal: error.fatal }),
    onState: (state, detail) => event('trade-stream', { state, detail }),
    onRecovered: (summary) => event('trade-stream-recovered', { ordersChecked: summary.ordersChecked, changes: summary.changes }),
  });
  stream.seed([...open, ...ended]);
  try {
    await stream.start();
  } catch (error) {
    throw new VenueUnavailableError(`the trade-update stream did not start, so not trading: ${(error as Error).message}`, { cause: error });
  }

  let bars: AlpacaBarStream | undefined;
  const adopted = plan.working.map((o) => known.get(o.clientOrderId)).filter((o): o is AlpacaOrder => o !== undefined);

  return {
    restore,
    history,
    divergences: plan.divergences,
    recoveredFills,
    clock: { isOpen: clock.isOpen, nextOpen: clock.nextOpen, nextClose: clock.nextClose, timestamp: clock.timestamp },
    broker: (context) => {
      const b = new AlpacaBroker({
        client,
        sink: context.sink,
        tracker: stream.tracker,
        onError: (error) => event('broker-error', { message: error.message, clientOrderId: error.clientOrderId }),
      });
      broker = b;
      for (const order of adopted) b.adopt(order);
      for (const change of pendingChanges.splice(0)) b.onStreamChange(change);
      return {
        submit: (order) => b.submit(order),
        cancel: (id) => b.cancel(id),
        replace: (id, changes) => b.replace(id, changes),
        beforeDecision: () => b.syncOpenOrders(),
        settle: () => b.settle(),
      };
    },
    startBars: async (onStep, afterTime) => {
      const aggregator = new StepAggregator(symbols, options.latencyClock, options.stepTimeoutMs ?? 10_000, onStep);
      bars = new AlpacaBarStream({
        credentials: options.credentials,
        ...(options.dataStreamUrl !== undefined ? { url: options.dataStreamUrl } : {}),
        ...(options.feed !== undefined ? { feed: options.feed } : {}),
        symbols,
        startAfter: afterTime,
        now: options.latencyClock,
        rng: options.rng,
        onBar: (bar) => aggregator.add(bar),
        recoverBars: recoverBarsFromRest(options.marketData, options.feed !== undefined ? { feed: options.feed } : {}),
        onGap: (gap) => event('bar-gap', { symbol: gap.symbol, afterMs: gap.afterMs, recovered: gap.recovered }),
        onError: (error) => event('bar-stream-error', { message: error.message, fatal: error.fatal }),
        onState: (state, detail) => event('bar-stream', { state, detail }),
      });
      await bars.start();
    },
    compare: async (ledger) => {
      const [acct, pos] = await Promise.all([client.getAccount(), client.listPositions()]);
      const out: Divergence[] = [];
      const qty = new Map(pos.map((p) => [p.symbol, p.qty]));
      let anyWorking = false;
      for (const symbol of symbols) {
        if (ledger.hasWorkingOrder(symbol)) {
          anyWorking = true;
          continue;
        }
        const mine = ledger.qty(symbol);
        const theirs = qty.get(symbol) ?? 0;
        if (Math.abs(mine - theirs) > 1e-6) out.push({ kind: 'position', symbol, local: mine, broker: theirs, action: 'halted: restart to take the broker position' });
      }
      if (!anyWorking && Math.abs(acct.cash - ledger.cash) > 1e-4) out.push({ kind: 'cash', symbol: null, local: ledger.cash, broker: acct.cash, action: 'halted: restart to take the broker cash' });
      return out;
    },
    close: async () => {
      await bars?.close();
      await stream.close();
    },
  };
}

function orderView(o: AlpacaOrder): BrokerOrderView {
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
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    createdAt: o.createdAt,
  };
}

/**
 * Gathers the bars of one minute across symbols: a step is complete when every symbol's bar has
 * arrived, when a later bar of any symbol arrives, or `timeoutMs` after its first bar (symbols
 * that did not trade simply have no bar). Steps come out in time order; a bar for a step already
 * delivered is late and dropped (the session never rewrites the past).
 */
export class StepAggregator {
  readonly #symbols: readonly Ticker[];
  readonly #clock: () => number;
  readonly #timeoutMs: number;
  readonly #emit: (step: BarStep) => void;
  readonly #pending = new Map<number, { bars: (Bar | undefined)[]; count: number; firstAt: number; timer: NodeJS.Timeout }>();
  #lastEmitted = Number.NEGATIVE_INFINITY;
  late = 0;

  constructor(symbols: readonly Ticker[], clock: () => number, timeoutMs: number, emit: (step: BarStep) => void) {
    this.#symbols = symbols;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#emit = emit;
  }

  add(bar: AlpacaStreamBar): void {
    const s = this.#symbols.indexOf(bar.symbol as Ticker);
    if (s < 0) return;
    if (bar.time <= this.#lastEmitted) {
      this.late++;
      return;
    }
    let step = this.#pending.get(bar.time);
    if (step === undefined) {
      const time = bar.time;
      step = { bars: this.#symbols.map(() => undefined), count: 0, firstAt: this.#clock(), timer: setTimeout(() => this.#flushThrough(time), this.#timeoutMs) };
      this.#pending.set(bar.time, step);
    }
    if (step.bars[s] === undefined) step.count++;
    step.bars[s] = { time: epochMs(bar.time), open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
    // A bar of a later minute completes every earlier one.
    for (const time of [...this.#pending.keys()].sort((a, b) => a - b)) if (time < bar.time) this.#flushThrough(time);
    if (step.count === this.#symbols.length) this.#flushThrough(bar.time);
  }

  #flushThrough(time: number): void {
    for (const t of [...this.#pending.keys()].sort((a, b) => a - b)) {
      if (t > time) break;
      const step = this.#pending.get(t);
      if (step === undefined) continue;
      clearTimeout(step.timer);
      this.#pending.delete(t);
      this.#lastEmitted = t;
      this.#emit({ time: t, bars: step.bars, arrivedAt: step.firstAt });
    }
  }
}
