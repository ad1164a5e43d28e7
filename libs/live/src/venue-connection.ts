import { requireLiveAuthorization } from './live-authorization';
import type { LiveAuthorization } from './live-authorization';
import type { Bar, BarUniverse, BarStep, BarSeries, JsonValue, LiveBroker, LiveVenue, Ticker, VenueBar, VenueClock, VenueOrder } from '@quantbot/core';
import { VenueUnavailableError, epochMs } from '@quantbot/core';
import { CHECKPOINT_FORMAT } from './live-checkpoint';
import type { CheckpointOrder, LiveCheckpoint } from './live-checkpoint';
import type { LiveBrokerContext } from './live-session';
import type { LiveFillRecord } from './live-state';
import { reconcile } from './reconcile';
import type { BrokerOrderView, Divergence, OrphanPolicy } from './reconcile';

export interface VenueConnectionOptions {
  /** The broker: an adapter such as `@quantbot/alpaca`'s `AlpacaVenue`. */
  readonly venue: LiveVenue;
  readonly sessionId: string;
  readonly strategy: { readonly name: string; readonly params: JsonValue };
  readonly symbols: readonly Ticker[];
  readonly orphanPolicy: OrphanPolicy;
  /** Minutes of minute bars to warm a new session up with. */
  readonly historyMinutes: number;
  /** Aligns series on one time axis (market-data's `alignUniverse`). */
  readonly align: (series: readonly BarSeries[]) => BarUniverse;
  readonly latencyClock: () => number;
  /** A bar step is complete when every symbol's bar arrived, or this long after its first bar. */
  readonly stepTimeoutMs?: number;
  readonly onEvent?: (event: string, detail: { readonly [key: string]: JsonValue }) => void;
  /** A bar that came after its minute's step was delivered, and was dropped (see `StepAggregator`). */
  readonly onLateBar?: (bar: VenueBar, lastStep: number) => void;
  /**
   * What the journal already holds, per client order id: quantity and value (Σ qty × price) of
   * the fills saved so far. Every fill at the broker beyond it is recovered, once.
   */
  readonly journaled?: ReadonlyMap<string, { readonly qty: number; readonly value: number }>;
  /** Required when the venue's orders move real money: an authorization `authorizeLiveTrading` issued for this session. */
  readonly live?: LiveAuthorization;
}

/** A session's broker, connected, recovered and reconciled. */
export interface VenueConnection {
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
  readonly clock: VenueClock;
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
 * Connects a live session to its broker: reads the clock, the account, positions and open orders
 * (failing closed if it cannot), recovers what happened to the session's working orders while it
 * was away, reconciles (the broker is authoritative; every divergence is returned for the audit
 * log), cancels or adopts orphans by policy, loads warm-up bars, and starts the order-update
 * stream before any order can be sent. What is broker-specific is the venue adapter's.
 */
export async function connectVenue(options: VenueConnectionOptions, checkpoint: LiveCheckpoint | undefined): Promise<VenueConnection> {
  const { venue, symbols, sessionId } = options;
  // The second line of the live-money gate, for callers that connect without tradeOnVenue (which
  // also checks the caps and the kill switch): a real-money venue needs an issued authorization.
  if (venue.moneyMode === 'live') requireLiveAuthorization(options.live, sessionId);
  const event = options.onEvent ?? (() => undefined);
  const { clock, cash, positions, openOrders: open } = await venue.snapshot();

  // What became of the session's orders while no process watched: the ones it left working, and
  // any it sent after its last checkpoint (a crash between sending and saving).
  const localWorking: readonly CheckpointOrder[] = checkpoint?.version === 2 ? checkpoint.workingOrders : [];
  const known = new Map(open.map((o) => [o.clientOrderId, o]));
  const ours = (id: string): boolean => id.startsWith(`${sessionId}-`);
  const candidates = new Map<string, VenueOrder>();
  for (const order of open) if (ours(order.clientOrderId)) candidates.set(order.clientOrderId, order);
  const ended: VenueOrder[] = [];
  try {
    for (const local of localWorking) {
      if (candidates.has(local.clientOrderId) || known.has(local.clientOrderId)) continue;
      const order = await venue.findOrder(local.clientOrderId);
      if (order === null) continue;
      candidates.set(order.clientOrderId, order);
      ended.push(order);
    }
    if (checkpoint !== undefined) {
      // Decisions are stamped with their bar's close; look back a little before the last one saved.
      for (const order of await venue.ordersSince(checkpoint.lastBarTime - 120_000)) {
        if (!ours(order.clientOrderId) || candidates.has(order.clientOrderId)) continue;
        candidates.set(order.clientOrderId, order);
        if (!known.has(order.clientOrderId)) ended.push(order);
      }
    }
  } catch (error) {
    if (error instanceof VenueUnavailableError) throw error;
    throw new VenueUnavailableError(`cannot recover the session's orders from the broker, so not trading: ${(error as Error).message}`, { cause: error });
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
      time: order.lastActivityAt,
      recovered: true,
    });
  }

  const localLedger = checkpoint?.ledger ?? {
    startingCash: cash,
    cash,
    fees: 0,
    realizedPnl: 0,
    positions: symbols.map((symbol) => ({ symbol: symbol as string, qty: 0, averageCost: 0, mark: null, realizedPnl: 0 })),
  };
  const plan = reconcile(
    { symbols, ledger: localLedger, working: localWorking },
    { cash, positions, openOrders: open.map(orderView) },
    recoveredFills,
    { sessionPrefix: sessionId, policy: options.orphanPolicy },
  );
  for (const clientOrderId of plan.cancel) {
    if (known.has(clientOrderId)) await venue.cancelOrder(clientOrderId);
  }
  for (const d of plan.divergences) event('reconciliation', { kind: d.kind, symbol: d.symbol, local: d.local, broker: d.broker, action: d.action });

  // Warm-up and catch-up bars.
  const start = checkpoint?.version === 2 ? checkpoint.lastBarTime + 1 : clock.timestamp - options.historyMinutes * 60_000;
  const series = await venue.loadBars(symbols, start, clock.timestamp);
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

  // The order-update stream, seeded with what the broker says now, so nothing is reported twice.
  await venue.startOrderUpdates([...open, ...ended].map((o) => o.clientOrderId));
  const adopted = plan.working.map((o) => o.clientOrderId).filter((id) => known.has(id));

  return {
    restore,
    history,
    divergences: plan.divergences,
    recoveredFills,
    clock,
    broker: (context) => venue.broker(context.sink, adopted),
    startBars: async (onStep, afterTime) => {
      const aggregator = new StepAggregator(symbols, options.latencyClock, options.stepTimeoutMs ?? 10_000, onStep, options.onLateBar);
      await venue.startBars(symbols, afterTime, (bar) => aggregator.add(bar));
    },
    compare: async (ledger) => {
      const account = await venue.account();
      const out: Divergence[] = [];
      const qty = new Map(account.positions.map((p) => [p.symbol, p.qty]));
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
      if (!anyWorking && Math.abs(account.cash - ledger.cash) > 1e-4) out.push({ kind: 'cash', symbol: null, local: ledger.cash, broker: account.cash, action: 'halted: restart to take the broker cash' });
      return out;
    },
    close: () => venue.close(),
  };
}

function orderView(o: VenueOrder): BrokerOrderView {
  return {
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    qty: o.qty,
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
 * delivered is late and dropped (the session never rewrites the past): counted in `late` and
 * reported through `onLate`. A second bar of a symbol for a step still gathering replaces the
 * first and is not counted twice.
 */
export class StepAggregator {
  readonly #symbols: readonly Ticker[];
  readonly #clock: () => number;
  readonly #timeoutMs: number;
  readonly #emit: (step: BarStep) => void;
  readonly #onLate: ((bar: VenueBar, lastStep: number) => void) | undefined;
  readonly #pending = new Map<number, { bars: (Bar | undefined)[]; count: number; firstAt: number; timer: NodeJS.Timeout }>();
  #lastEmitted = Number.NEGATIVE_INFINITY;
  late = 0;

  constructor(symbols: readonly Ticker[], clock: () => number, timeoutMs: number, emit: (step: BarStep) => void, onLate?: (bar: VenueBar, lastStep: number) => void) {
    this.#onLate = onLate;
    this.#symbols = symbols;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#emit = emit;
  }

  add(bar: VenueBar): void {
    const s = this.#symbols.indexOf(bar.symbol as Ticker);
    if (s < 0) return;
    if (bar.time <= this.#lastEmitted) {
      this.late++;
      this.#onLate?.(bar, this.#lastEmitted);
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
