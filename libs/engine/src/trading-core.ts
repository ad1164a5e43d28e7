import type {
  BarUniverse,
  Broker,
  BrokerEventSink,
  ClientOrderId,
  Clock,
  EpochMs,
  Fill,
  OrderRequest,
  OrderSide,
  OrderType,
  OrderUpdate,
  ReversalRule,
  Ticker,
  TimeInForce,
} from '@quantbot/core';
import { Order, PortfolioLedger, clientOrderId, epochMs } from '@quantbot/core';
import type { LedgerSnapshot } from '@quantbot/core';
import type { ExecutionQuality, OrderOutcome } from '@quantbot/execution-sim';
import { ExecutionQualityAccumulator } from '@quantbot/execution-sim';
import type { BarView, OrderSpec, StepView, Strategy, StrategyContext } from '@quantbot/strategies';
import { TimeCursor, UniverseBarView, UniverseStepView } from '@quantbot/strategies';
import type { OrderGateway, PortfolioView, TradingState } from '@quantbot/risk-guardrails';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { sizeFor, sizeOrder } from '@quantbot/risk-guardrails';
import type { DecisionInputs, RunRecorder } from './run-recorder';
import { SequentialIds } from './sequential-ids';
import { TradeTracker } from './trade-tracker';

// Other packages' values that the order path calls, bound once at load: a read through a package's
// exports is not inlined by the JIT (docs/development.md, "Rules the code keeps").
const OrderAggregate = Order;
const toClientOrderId = clientOrderId;
const sizeByRule = sizeOrder;
const sizeByContext = sizeFor;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An order the broker refused, or one the core could not size. */
export interface RejectedOrder {
  readonly clientOrderId: ClientOrderId;
  readonly symbol: Ticker;
  readonly time: EpochMs;
  readonly reason: string;
}

/** An order that ended without filling completely: canceled, or expired (day orders). */
export interface CanceledOrder {
  readonly clientOrderId: ClientOrderId;
  readonly symbol: Ticker;
  readonly status: 'canceled' | 'expired';
  readonly time: EpochMs;
  readonly filledQty: number;
  readonly reason: string;
}

/**
 * The cash and equity a sized order is sized from, in currency: by default the portfolio's; a
 * strategy manager sizes each sleeve's orders from the sleeve's own books. `label` names the books
 * in the refusal of an order sized to 0 (`sleeve trend`).
 */
export interface SizingBasis {
  readonly cash: number;
  readonly equity: number;
  readonly label: string;
}

/** What the core needs to run. */
export interface TradingCoreOptions {
  readonly universe: BarUniverse;
  readonly strategy: Strategy;
  readonly startingCash: number;
  readonly sizing: SizingRule;
  /** The gateway every order passes before it reaches the broker. */
  readonly gateway?: OrderGateway;
  /** Keeps the journal of decisions and order events (run artifacts); none by default. */
  readonly recorder?: RunRecorder;
  /** Start from these books (a live restart) instead of `startingCash` in cash. */
  readonly ledger?: LedgerSnapshot;
  /**
   * Derive client order ids from the decision: `<prefix>-<symbol>-<bar time>-<n>`, n counting
   * the orders decided for that symbol on that bar. A decision replayed after a crash gets the
   * id it had, so the broker recognises it. Default: `<strategy>-<sequence>` (backtests).
   */
  readonly orderIdPrefix?: string;
  /**
   * How a position changes sides. `one-order` (default; a backtest's rule): an order may take a
   * long position short (or a short one long) by itself, and orders decided together may too.
   * `close-then-open` (Alpaca's rule: a sell may not exceed the shares held minus what open sell
   * orders will take, and the reverse for a short): the part of an order that would take the
   * position past zero is held back as its own order (its own client order id, a decision of its
   * own) and sent, checked by the gateway again, once the closing orders have flattened the
   * position; if they end without flattening it (canceled, expired, rejected), the held order is
   * rejected. See `docs/live-trading.md`, "Reversals".
   */
  readonly reversals?: ReversalRule;
}

/** An order working at the broker when a session starts (a restart adopts it). */
export interface AdoptedOrder {
  readonly clientOrderId: ClientOrderId;
  readonly symbol: Ticker;
  readonly side: OrderSide;
  readonly qty: number;
  readonly filledQty: number;
  readonly referencePrice: number;
  readonly decidedAt: EpochMs;
  /** How the order works at the broker; absent: a good-till-canceled market order. */
  readonly type?: OrderType;
  readonly timeInForce?: TimeInForce;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
}

/**
 * An order the core follows while it lives: its `Order` aggregate (state, quantities, times; fed
 * the broker's reports and fills) and what only the core knows of it.
 */
interface TrackedOrder {
  readonly order: Order;
  readonly symbolIndex: number;
  /** The decision price (a bracket leg: its trigger price): the benchmark of its fills. */
  readonly referencePrice: number;
  /** Fills counted before the core followed it (an adopted order's earlier fills, as one). */
  readonly fillsBefore: number;
  isWorking: boolean;
  /** Held back until the position is flat (`close-then-open`): not yet sent to the broker. */
  isHeld: boolean;
}

/**
 * The synchronous heart of a session: it takes one event at a time (a bar has closed; an order
 * was accepted, filled, rejected, canceled, expired or replaced), keeps the books, asks the
 * strategy for decisions and sends the resulting commands to the broker. It never awaits: the
 * backtest driver calls it in a tight loop, a live driver posts what its adapters report.
 * Nothing here knows which world it runs in.
 */
export class TradingCore implements StrategyContext, BrokerEventSink, Clock {
  readonly ledger: PortfolioLedger;
  readonly trades: TradeTracker;
  readonly rejected: RejectedOrder[] = [];
  readonly canceled: CanceledOrder[] = [];
  readonly symbols: readonly Ticker[];
  /**
   * `symbols` as an array of its own, for the order path's reads: the universe's list is frozen,
   * and V8's optimizing compiler does not inline an element read from a frozen array.
   */
  readonly #symbolNames: readonly Ticker[];
  readonly #universe: BarUniverse;
  readonly #strategy: Strategy;
  readonly #sizing: SizingRule;
  readonly #cursor: TimeCursor;
  readonly #views: readonly BarView[];
  readonly #stepView: StepView;
  readonly #working: Int32Array;
  readonly #orders = new OpenOrders();
  #lastEnded: Order | undefined;
  readonly #quality = new ExecutionQualityAccumulator();
  #broker: Broker | undefined;
  readonly #gateway: OrderGateway | undefined;
  readonly #portfolio: LedgerPortfolioView;
  readonly #recorder: RunRecorder | undefined;
  #orderSeq = 0;
  readonly #sequentialIds = new SequentialIds();
  readonly #orderIdPrefix: string | undefined;
  /** Orders decided per symbol on the current bar (derived ids). */
  readonly #decidedThisStep: Int32Array;
  #time: EpochMs = epochMs(Number.NEGATIVE_INFINITY);
  #tradedNotional = 0;
  readonly #closeThenOpen: boolean;
  /** Orders held back until their symbol's position is flat (`close-then-open`), in decision order. */
  readonly #held: TrackedOrder[] = [];
  /** The one object `#outcome` fills in. */
  readonly #outcomeScratch: Mutable<OrderOutcome> = {
    side: 'buy',
    qty: 0,
    referencePrice: 0,
    decidedAt: 0,
    acceptedAt: null,
    filledQty: 0,
    fillCount: 0,
    status: 'new',
    markPriceAtEnd: null,
  };

  constructor(options: TradingCoreOptions) {
    const { universe } = options;
    this.#universe = universe;
    this.#strategy = options.strategy;
    this.#sizing = options.sizing;
    this.symbols = universe.symbols;
    this.#symbolNames = [...universe.symbols];
    this.ledger =
      options.ledger === undefined ? new PortfolioLedger(universe.symbols, options.startingCash) : PortfolioLedger.restore(universe.symbols, options.ledger);
    this.#orderIdPrefix = options.orderIdPrefix;
    this.#decidedThisStep = new Int32Array(universe.symbols.length);
    this.trades = new TradeTracker(universe.symbols);
    this.#cursor = new TimeCursor(universe.length);
    this.#views = universe.symbols.map((_, i) => new UniverseBarView(universe, i, this.#cursor));
    this.#stepView = new UniverseStepView(universe, this.#views, this.#cursor);
    this.#working = new Int32Array(universe.symbols.length);
    this.#gateway = options.gateway;
    this.#portfolio = new LedgerPortfolioView(this.ledger, this);
    this.#recorder = options.recorder;
    this.#closeThenOpen = options.reversals === 'close-then-open';
  }

  /** Connects the broker that receives this core's orders. */
  attachBroker(broker: Broker): void {
    this.#broker = broker;
  }

  /** The decision time: the close of the current bar. */
  get time(): EpochMs {
    return this.#time;
  }

  /**
   * The session's simulated clock: time is the current bar's, advanced only by `beginStep`
   * (the data), never backwards.
   */
  now(): EpochMs {
    return this.#time;
  }

  get cash(): number {
    return this.ledger.cash;
  }

  /** Total notional of all fills, in currency. */
  get tradedNotional(): number {
    return this.#tradedNotional;
  }

  /** The current step of the time axis (-1 before the first bar). */
  get step(): number {
    return this.#cursor.index;
  }

  /** The gateway's trading state (`active` without a gateway): what an order sent now would face. */
  get tradingState(): TradingState {
    return this.#gateway?.state ?? 'active';
  }

  /** Execution quality of every order so far; orders still open count as they stand. */
  executionQuality(): ExecutionQuality {
    const snapshot = new ExecutionQualityAccumulator();
    snapshot.merge(this.#quality);
    for (const tracked of this.#orders.values()) snapshot.addOrder(this.#outcome(tracked, 'accepted'));
    return snapshot.result();
  }

  /** Moves time to `step` (before its orders fill at the open). */
  beginStep(step: number): void {
    this.#cursor.advanceTo(step);
    // A cast, not a call: this runs once per bar.
    this.#time = this.#universe.time[step] as EpochMs;
    if (this.#orderIdPrefix !== undefined) this.#decidedThisStep.fill(0);
  }

  /** Bar `step` has closed for every symbol that traded: mark the books at the closes. */
  markCloses(): void {
    const u = this.#universe;
    const step = this.#cursor.index;
    const n = u.symbols.length;
    for (let s = 0; s < n; s++) {
      const at = s * u.length + step;
      if (u.hasBar[at] === 1) this.ledger.mark(s, u.close[at] as number);
    }
  }

  /** Lets the strategy decide on bar `step`, one symbol at a time in universe order. */
  decide(): void {
    const u = this.#universe;
    const step = this.#cursor.index;
    const n = u.symbols.length;
    for (let s = 0; s < n; s++) {
      if (u.hasBar[s * u.length + step] === 1) this.#strategy.onBar(this.#views[s] as BarView, this);
    }
    if (this.#strategy.onStep !== undefined) this.#strategy.onStep(this.#stepView, this);
  }

  /**
   * While the kill switch says `flatten`: cancels nothing, but sends a closing market order for
   * every open position that has none working; once every position is closed and no order
   * works, tells the gateway, which then halts.
   */
  flattenIfRequired(): void {
    const gateway = this.#gateway;
    if (gateway === undefined || gateway.state !== 'flatten') return;
    this.#dropHeld('kill switch: flatten');
    let isFlat = true;
    for (let s = 0; s < this.symbols.length; s++) {
      if (this.ledger.qty(s) !== 0 || this.hasPendingOrder(s)) isFlat = false;
      if (this.ledger.qty(s) !== 0 && !this.hasPendingOrder(s)) this.closePosition(s);
    }
    if (isFlat) gateway.flattened(this.#time);
  }

  equity(): number {
    return this.ledger.equity();
  }


  position(symbolIndex: number): number {
    return this.ledger.qty(symbolIndex);
  }

  hasPendingOrder(symbolIndex: number): boolean {
    return (this.#working[symbolIndex] as number) > 0;
  }

  buy(symbolIndex: number, qty?: number): void {
    this.submitOrder(qty === undefined ? { symbolIndex, side: 'buy', type: 'market' } : { symbolIndex, side: 'buy', type: 'market', qty });
  }

  sell(symbolIndex: number, qty?: number): void {
    this.submitOrder(qty === undefined ? { symbolIndex, side: 'sell', type: 'market' } : { symbolIndex, side: 'sell', type: 'market', qty });
  }

  closePosition(symbolIndex: number): void {
    const qty = this.ledger.qty(symbolIndex);
    if (qty > 0) this.submitOrder({ symbolIndex, side: 'sell', type: 'market', qty });
    else if (qty < 0) this.submitOrder({ symbolIndex, side: 'buy', type: 'market', qty: -qty });
  }

  /**
   * Sends an order (see `StrategyContext.submitOrder`). A quantity left out is sized by the
   * session's rule from `basis` (default: the portfolio's cash and equity).
   */
  submitOrder(spec: OrderSpec, basis?: SizingBasis): ClientOrderId | undefined {
    const broker = this.#requireBroker();
    const s = spec.symbolIndex;
    const symbol = this.#symbolNames[s];
    if (symbol === undefined) throw new RangeError(`symbol index ${s} outside the universe`);
    const id = this.#nextOrderId(s);
    const close = this.#universe.close[s * this.#universe.length + this.#cursor.index] as number;
    const cash = basis === undefined ? this.ledger.cash : basis.cash;
    const sizing = this.#sizing;
    const qty =
      spec.qty ??
      // Rules that read only cash and the close need no equity (a sum over every position).
      (sizing.kind === 'fixed-shares' || sizing.kind === 'percent-of-cash'
        ? sizeByRule(sizing, cash, close)
        : sizeByContext(sizing, { cash, equity: basis === undefined ? this.ledger.equity() : basis.equity, universe: this.#universe, symbolIndex: s, step: this.#cursor.index }));
    // A plain literal of one shape for every order (absent prices are undefined); read-only by type.
    const request: OrderRequest = {
      clientOrderId: id,
      symbol,
      side: spec.side,
      type: spec.type,
      qty,
      timeInForce: spec.timeInForce ?? 'gtc',
      decidedAt: this.#time,
      decisionPrice: close,
      limitPrice: spec.limitPrice,
      stopPrice: spec.stopPrice,
      takeProfitPrice: spec.takeProfitPrice,
      stopLossPrice: spec.stopLossPrice,
    };
    const recorder = this.#recorder;
    recorder?.submitDecision(request, this.#decisionInputs(s));
    const order = OrderAggregate.create(request);
    if (spec.qty === undefined && qty <= 0) {
      this.#refuse(order, `sized quantity is 0 (${this.#sizing.kind}; ${basis === undefined ? '' : `${basis.label} `}cash ${cash.toFixed(2)}, price ${close})`);
      return undefined;
    }
    if (this.#closeThenOpen) {
      const available = this.#closable(s, spec.side);
      if (available > 0 && qty > available) {
        // Part closes the position, part opens the other side: two decisions, the second held.
        const first = this.submitOrder({ ...spec, qty: available });
        this.submitOrder({ ...spec, qty: qty - available });
        return first;
      }
    }
    const gateway = this.#gateway;
    if (gateway !== undefined) {
      // The gateway asks the view about this order's symbol: its index is known here.
      this.#portfolio.focus(symbol, s);
      const decision = gateway.check(request, this.#portfolio);
      if (!decision.accepted) {
        this.#refuse(order, `risk ${decision.code}: ${decision.message}`);
        return undefined;
      }
    }
    const mustWait = this.#closeThenOpen && qty > this.#closable(s, spec.side);
    const tracked = this.#track(order, s, close);
    this.#markWorking(tracked);
    recorder?.submitted(order);
    if (mustWait) {
      tracked.isHeld = true;
      this.#held.push(tracked);
      return id;
    }
    broker.submit(request);
    return id;
  }

  cancelOrder(id: ClientOrderId): void {
    const tracked = this.#orders.get(id);
    if (this.#recorder !== undefined && tracked !== undefined) this.#recorder.changeDecision('cancel', this.#time, tracked.order, {}, this.#decisionInputs(tracked.symbolIndex));
    if (tracked?.isHeld === true) {
      // Never sent: it ends here.
      this.#endHeld(tracked, 'cancel', 'canceled by the strategy before it was sent');
      return;
    }
    this.#requireBroker().cancel(id);
  }

  replaceOrder(id: ClientOrderId, changes: { readonly qty?: number; readonly limitPrice?: number; readonly stopPrice?: number }): ClientOrderId {
    const tracked = this.#orders.get(id);
    if (tracked === undefined) throw new RangeError(`no open order ${id} to replace`);
    if (tracked.isHeld) throw new RangeError(`order ${id} is held until the position is flat (close-then-open) and has not been sent: cancel it instead`);
    const old = tracked.order;
    const newId = this.#nextOrderId(tracked.symbolIndex);
    this.#recorder?.changeDecision('replace', this.#time, old, changes, this.#decisionInputs(tracked.symbolIndex));
    // The replacement as the core expects it; the broker's reports correct what it decides
    // otherwise (a simulator replaces only the quantity left to fill).
    const replacement = OrderAggregate.create(
      Object.freeze({
        ...old.request,
        clientOrderId: newId,
        qty: changes.qty ?? old.qty,
        decidedAt: this.#time,
        limitPrice: changes.limitPrice ?? old.limitPrice,
        stopPrice: changes.stopPrice ?? old.stopPrice,
      }),
    );
    this.#markWorking(this.#track(replacement, tracked.symbolIndex, tracked.referencePrice));
    this.#requireBroker().replace(id, { newClientOrderId: newId, ...changes });
    return newId;
  }

  onFill(fill: Fill): void {
    const tracked = this.#orders.get(fill.clientOrderId);
    // The order's symbol index when the fill is for its symbol (no lookup by name), else the ledger's.
    const s = tracked !== undefined && this.#symbolNames[tracked.symbolIndex] === fill.symbol ? tracked.symbolIndex : this.ledger.indexOf(fill.symbol);
    if (s < 0) throw new Error(`broker reported a fill for ${fill.symbol}, which this session does not trade`);
    const signedQty = fill.side === 'buy' ? fill.qty : -fill.qty;
    this.ledger.applyFill(s, signedQty, fill.price, fill.commission);
    this.trades.onFill(s, signedQty, fill.price, fill.commission, fill.time, this.#cursor.index);
    this.#tradedNotional += fill.qty * fill.price;
    if (tracked !== undefined) {
      const order = tracked.order;
      // A venue may report an execution before its acknowledgement: the accept is inferred.
      if (order.status === 'new') order.accept(fill.time);
      order.fill(fill.qty, fill.price, fill.commission, fill.time);
      this.#quality.addFill(fill.side, tracked.referencePrice, fill.qty, fill.price, fill.commission);
    }
    this.#recorder?.fill(fill, tracked?.order);
    if (this.#held.length > 0) this.#releaseHeld(s, fill.time);
    this.#strategy.onFill?.(fill);
  }

  onOrderUpdate(update: OrderUpdate): void {
    let tracked = this.#orders.get(update.clientOrderId);
    if (tracked === undefined) {
      // A bracket leg, created by the broker when its entry filled: judged against its trigger.
      const s = this.ledger.indexOf(update.symbol);
      if (s < 0) throw new Error(`broker reported order ${update.clientOrderId} for ${update.symbol}, which this session does not trade`);
      const leg = OrderAggregate.create(
        Object.freeze({
          clientOrderId: update.clientOrderId,
          symbol: update.symbol,
          side: update.side,
          type: update.stopPrice !== undefined ? 'stop' : 'limit',
          qty: update.qty,
          timeInForce: 'gtc',
          decidedAt: update.time,
          limitPrice: update.limitPrice,
          stopPrice: update.stopPrice,
        }),
        update.parentId === undefined ? {} : { parentId: update.parentId },
      );
      tracked = this.#track(leg, s, update.stopPrice ?? update.limitPrice ?? NaN);
    }
    const order = tracked.order;
    order.applyReport(update);
    this.#recorder?.update(update, order);
    if (!order.isTerminal) {
      this.#markWorking(tracked);
      this.#strategy.onOrderUpdate?.(update);
      return;
    }

    const s = tracked.symbolIndex;
    if (tracked.isWorking) this.#working[s] = (this.#working[s] as number) - 1;
    this.#orders.delete(update.clientOrderId);
    this.#lastEnded = order;
    this.#quality.addOrder(this.#outcome(tracked, order.status));
    const reason = update.reason ?? update.status;
    if (update.status === 'rejected') {
      this.rejected.push(Object.freeze({ clientOrderId: update.clientOrderId, symbol: update.symbol, time: update.time, reason }));
    } else if (update.status === 'canceled' || update.status === 'expired') {
      this.canceled.push(
        Object.freeze({ clientOrderId: update.clientOrderId, symbol: update.symbol, status: update.status, time: update.time, filledQty: update.filledQty, reason }),
      );
    }
    if (this.#held.length > 0) this.#releaseHeld(s, update.time);
    this.#strategy.onOrderUpdate?.(update);
  }

  /**
   * Takes over an order that is working at the broker (found at a restart's reconciliation):
   * its fills and updates are booked like those of an order this core sent.
   */
  adoptOrder(order: AdoptedOrder): void {
    const s = this.ledger.indexOf(order.symbol);
    if (s < 0) throw new RangeError(`cannot adopt order ${order.clientOrderId} for ${order.symbol}: not in this session`);
    if (this.#orders.has(order.clientOrderId)) return;
    const adopted = OrderAggregate.create(
      Object.freeze({
        clientOrderId: order.clientOrderId,
        symbol: order.symbol,
        side: order.side,
        type: order.type ?? 'market',
        qty: order.qty,
        timeInForce: order.timeInForce ?? 'gtc',
        decidedAt: order.decidedAt,
        limitPrice: order.limitPrice,
        stopPrice: order.stopPrice,
      }),
    );
    adopted.accept(order.decidedAt);
    // What filled before the restart, as one execution at an unknown price (the books already hold it).
    if (order.filledQty > 0) adopted.fill(order.filledQty, NaN, 0, order.decidedAt);
    this.#markWorking(this.#track(adopted, s, order.referencePrice, order.filledQty > 0 ? 1 : 0));
  }

  /**
   * The `Order` aggregate of an order the core follows (sent or adopted, not yet ended), or of the
   * order the latest report ended; undefined otherwise. Read-only for callers: only the core
   * applies events to it.
   */
  order(clientOrderId: string): Order | undefined {
    const tracked = this.#orders.get(clientOrderId);
    if (tracked !== undefined) return tracked.order;
    // The order the latest report ended, so that whoever relays reports can read its final state.
    return this.#lastEnded?.clientOrderId === clientOrderId ? this.#lastEnded : undefined;
  }

  /** Orders held back until their symbol's position is flat (`close-then-open`), not yet sent. */
  heldOrders(): readonly Order[] {
    return this.#held.map((tracked) => tracked.order);
  }

  /** Orders still working at the broker, as a restart would adopt them (held orders are not: they were never sent). */
  workingOrders(): AdoptedOrder[] {
    const out: AdoptedOrder[] = [];
    for (const tracked of this.#orders.values()) {
      if (tracked.isHeld) continue;
      const order = tracked.order;
      out.push({
        clientOrderId: order.clientOrderId,
        symbol: this.symbols[tracked.symbolIndex] as Ticker,
        side: order.side,
        qty: order.qty,
        filledQty: order.filledQty,
        referencePrice: tracked.referencePrice,
        decidedAt: order.request.decidedAt,
        type: order.type,
        timeInForce: order.timeInForce,
        ...(order.limitPrice !== undefined ? { limitPrice: order.limitPrice } : {}),
        ...(order.stopPrice !== undefined ? { stopPrice: order.stopPrice } : {}),
      });
    }
    return out;
  }

  #nextOrderId(symbolIndex: number): ClientOrderId {
    const prefix = this.#orderIdPrefix;
    if (prefix === undefined) return toClientOrderId(this.#sequentialIds.next(this.#strategy.name, ++this.#orderSeq));
    const n = (this.#decidedThisStep[symbolIndex] as number) + 1;
    this.#decidedThisStep[symbolIndex] = n;
    const stamp = new Date(this.#time).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return toClientOrderId(`${prefix}-${this.#symbolNames[symbolIndex] as string}-${stamp}-${n}`);
  }

  /** What the strategy saw of symbol `s` at the current step: the bar, the book, its inputs. */
  #decisionInputs(s: number): DecisionInputs {
    const u = this.#universe;
    const at = s * u.length + Math.max(0, this.#cursor.index);
    return {
      open: u.open[at] as number,
      high: u.high[at] as number,
      low: u.low[at] as number,
      close: u.close[at] as number,
      volume: u.volume[at] as number,
      position: this.ledger.qty(s),
      cash: this.ledger.cash,
      equity: this.ledger.equity(),
      strategy: this.#strategy.describeInputs?.(s),
    };
  }

  /**
   * An order as execution quality judges it, ended in `status`, with the symbol's latest close:
   * written into one reused object (the accumulator reads it and keeps nothing of it).
   */
  #outcome(tracked: TrackedOrder, status: OrderOutcome['status']): OrderOutcome {
    const order = tracked.order;
    const o = this.#outcomeScratch;
    o.side = order.side;
    o.qty = order.qty;
    o.referencePrice = tracked.referencePrice;
    o.decidedAt = order.request.decidedAt;
    o.acceptedAt = order.acceptedAt ?? null;
    o.filledQty = order.filledQty;
    o.fillCount = order.fillCount - tracked.fillsBefore;
    o.status = status;
    o.markPriceAtEnd = this.#latestClose(tracked.symbolIndex);
    return o;
  }

  /** Refuses `order` before the broker sees it (sizing, the risk gateway). */
  #refuse(order: Order, reason: string): void {
    order.end('reject', this.#time, reason);
    this.rejected.push(Object.freeze({ clientOrderId: order.clientOrderId, symbol: order.symbol, time: this.#time, reason }));
    this.#recorder?.refused(order, reason);
  }

  /** The symbol's close at the current step, or its last mark when it has no bar now. */
  #latestClose(s: number): number {
    const close = this.#universe.close[s * this.#universe.length + Math.max(0, this.#cursor.index)] as number;
    return Number.isFinite(close) ? close : this.ledger.markPrice(s);
  }

  /**
   * How much of an order on `side` Alpaca's rule lets through now for symbol `s`: against a long
   * position a sell may take the shares held minus what sent sell orders have left to fill (a
   * buy against a short, the reverse); without a position on the other side, any quantity.
   */
  #closable(s: number, side: OrderSide): number {
    const position = this.ledger.qty(s);
    const held = side === 'sell' ? position : -position;
    if (held <= 0) return Number.POSITIVE_INFINITY;
    let promised = 0;
    for (const tracked of this.#orders.values()) {
      const order = tracked.order;
      if (tracked.symbolIndex !== s || tracked.isHeld || order.side !== side || order.isTerminal) continue;
      promised += order.qty - order.filledQty;
    }
    return Math.max(0, held - promised);
  }

  /**
   * After a fill or an order's end on symbol `s`: once the position is flat (or already on
   * their side), sends the held orders (the gateway checks each again: the kill switch may have
   * tripped meanwhile); while it is not, rejects those that can never go because no sent order
   * on their side is left to flatten it.
   */
  #releaseHeld(s: number, time: EpochMs): void {
    for (const tracked of [...this.#held]) {
      if (tracked.symbolIndex !== s) continue;
      const order = tracked.order;
      // A held order opens the other side: it goes once nothing is left to close, never to close the rest itself.
      if (this.#closable(s, order.side) === Number.POSITIVE_INFINITY) {
        this.#held.splice(this.#held.indexOf(tracked), 1);
        tracked.isHeld = false;
        const decision = this.#gateway?.check(order.request, this.#portfolio);
        if (decision !== undefined && !decision.accepted) {
          this.#endHeld(tracked, 'reject', `risk ${decision.code}: ${decision.message} (when the position was flat)`, time);
          continue;
        }
        this.#requireBroker().submit(order.request);
        continue;
      }
      if (!this.#hasSentOrder(s, order.side)) {
        const position = this.ledger.qty(s);
        this.#endHeld(tracked, 'reject', `held until the position was flat, but the orders closing it ended with ${position} still held`, time);
      }
    }
  }

  #hasSentOrder(s: number, side: OrderSide): boolean {
    for (const tracked of this.#orders.values()) {
      if (tracked.symbolIndex === s && !tracked.isHeld && tracked.order.side === side && !tracked.order.isTerminal) return true;
    }
    return false;
  }

  /** Ends every held order (the kill switch flattens): none of them was sent. */
  #dropHeld(reason: string): void {
    for (const tracked of [...this.#held]) this.#endHeld(tracked, 'reject', reason);
  }

  /** Ends an order the broker never saw: rejected (it could not go) or canceled (by the strategy). */
  #endHeld(tracked: TrackedOrder, event: 'reject' | 'cancel', reason: string, time: EpochMs = this.#time): void {
    const index = this.#held.indexOf(tracked);
    if (index >= 0) this.#held.splice(index, 1);
    tracked.isHeld = false;
    const order = tracked.order;
    order.end(event, time, reason);
    const s = tracked.symbolIndex;
    if (tracked.isWorking) this.#working[s] = (this.#working[s] as number) - 1;
    tracked.isWorking = false;
    this.#orders.delete(order.clientOrderId);
    this.#lastEnded = order;
    this.#quality.addOrder(this.#outcome(tracked, event === 'reject' ? 'rejected' : 'canceled'));
    if (event === 'reject') {
      this.rejected.push(Object.freeze({ clientOrderId: order.clientOrderId, symbol: order.symbol, time, reason }));
      this.#recorder?.refused(order, reason);
    } else {
      this.canceled.push(Object.freeze({ clientOrderId: order.clientOrderId, symbol: order.symbol, status: 'canceled', time, filledQty: 0, reason }));
    }
    // The strategy hears of the end like of any other (it holds the id: submitOrder returned it, or
    // the order was held back from one it sent).
    this.#strategy.onOrderUpdate?.(order.toUpdate());
  }

  #track(order: Order, symbolIndex: number, referencePrice: number, fillsBefore = 0): TrackedOrder {
    const tracked: TrackedOrder = { order, symbolIndex, referencePrice, fillsBefore, isWorking: false, isHeld: false };
    this.#orders.set(tracked);
    return tracked;
  }

  /** Counts an order as working for its symbol (once), from submission until it ends. */
  #markWorking(tracked: TrackedOrder): void {
    if (tracked.isWorking) return;
    tracked.isWorking = true;
    this.#working[tracked.symbolIndex] = (this.#working[tracked.symbolIndex] as number) + 1;
  }

  #requireBroker(): Broker {
    if (this.#broker === undefined) throw new Error('TradingCore has no broker attached');
    return this.#broker;
  }
}

/**
 * The ledger as the gateway reads it: by symbol, at the session's current time. Equity and the
 * exposures are summed over every symbol, so they are computed once per ledger revision: the
 * orders a strategy sends on one bar (no fill or mark in between) share one pass.
 */
class LedgerPortfolioView implements PortfolioView {
  readonly #ledger: PortfolioLedger;
  readonly #clock: Clock;
  #revision = -1;
  #lastSymbol: Ticker | undefined = undefined;
  #lastIndex = -1;
  #marketValue = 0;
  #grossExposure = 0;

  constructor(ledger: PortfolioLedger, clock: Clock) {
    this.#ledger = ledger;
    this.#clock = clock;
  }

  get time(): EpochMs {
    return this.#clock.now();
  }

  get equity(): number {
    // The same sum, in the same order, as PortfolioLedger.equity().
    this.#refresh();
    return this.#ledger.cash + this.#marketValue;
  }

  position(symbol: Ticker): number {
    const s = this.#indexOf(symbol);
    return s < 0 ? 0 : this.#ledger.qty(s);
  }

  lastPrice(symbol: Ticker): number {
    const s = this.#indexOf(symbol);
    return s < 0 ? NaN : this.#ledger.markPrice(s);
  }

  /** Tells the view that `symbol` is at ledger index `index` (the symbol the next questions are about). */
  focus(symbol: Ticker, index: number): void {
    this.#lastSymbol = symbol;
    this.#lastIndex = index;
  }

  /** The ledger's index of `symbol`; the gateway asks about one order's symbol several times in a row. */
  #indexOf(symbol: Ticker): number {
    if (symbol !== this.#lastSymbol) {
      this.#lastSymbol = symbol;
      this.#lastIndex = this.#ledger.indexOf(symbol);
    }
    return this.#lastIndex;
  }

  grossExposure(): number {
    this.#refresh();
    return this.#grossExposure;
  }

  netExposure(): number {
    this.#refresh();
    return this.#marketValue;
  }

  #refresh(): void {
    const ledger = this.#ledger;
    if (ledger.revision !== this.#revision) {
      this.#marketValue = ledger.marketValue();
      this.#grossExposure = ledger.grossExposure();
      this.#revision = ledger.revision;
    }
  }
}

/**
 * Open orders kept in a list while there are at most this many; a map by id beyond. Measured on
 * the benchmark's 100 symbols × 2,520 bars (up to 11 orders open at once): 16 against the
 * earlier 4 took 5–10% less time and 7% less CPU per run (see docs/benchmarks.md).
 */
const OPEN_ORDER_LIST_MAX = 16;

/**
 * The orders the core follows, by client order id, in the order they were tracked. While few are
 * open, a short list searched by id costs less than a map, whose every new id must be hashed and
 * whose table is rebuilt as orders come and go: the id a broker reports is the very string sent, and
 * a broker reports its orders in the order they were sent, so the search mostly ends at the first
 * entry. Comparing ids that are not the same string costs more than a hash lookup once there are
 * many, so past {@link OPEN_ORDER_LIST_MAX} open orders the list turns into a map for good.
 */
class OpenOrders {
  /** The orders in the first `#count` slots (later slots are cleared, not cut: the array keeps its capacity). */
  readonly #list: (TrackedOrder | undefined)[] = [];
  #count = 0;
  #map: Map<string, TrackedOrder> | undefined;

  get(id: string): TrackedOrder | undefined {
    if (this.#map !== undefined) return this.#map.get(id);
    const list = this.#list;
    for (let i = 0; i < this.#count; i++) {
      const tracked = list[i] as TrackedOrder;
      if (tracked.order.clientOrderId === id) return tracked;
    }
    return undefined;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Tracks `tracked` under its order's id (replacing, in its place, an order tracked under the same id). */
  set(tracked: TrackedOrder): void {
    const id = tracked.order.clientOrderId;
    if (this.#map !== undefined) {
      this.#map.set(id, tracked);
      return;
    }
    const list = this.#list;
    const count = this.#count;
    for (let i = 0; i < count; i++) {
      if ((list[i] as TrackedOrder).order.clientOrderId === id) {
        list[i] = tracked;
        return;
      }
    }
    if (count < OPEN_ORDER_LIST_MAX) {
      if (count < list.length) list[count] = tracked;
      else list.push(tracked);
      this.#count = count + 1;
      return;
    }
    const map = new Map<string, TrackedOrder>();
    for (let i = 0; i < count; i++) {
      const t = list[i] as TrackedOrder;
      map.set(t.order.clientOrderId, t);
    }
    map.set(id, tracked);
    list.length = 0;
    this.#count = 0;
    this.#map = map;
  }

  delete(id: string): void {
    if (this.#map !== undefined) {
      this.#map.delete(id);
      return;
    }
    const list = this.#list;
    const count = this.#count;
    for (let i = 0; i < count; i++) {
      if ((list[i] as TrackedOrder).order.clientOrderId !== id) continue;
      for (let j = i + 1; j < count; j++) list[j - 1] = list[j];
      list[count - 1] = undefined;
      this.#count = count - 1;
      return;
    }
  }

  /** The orders, in the order they were tracked. */
  values(): Iterable<TrackedOrder> {
    return this.#map !== undefined ? this.#map.values() : (this.#list.slice(0, this.#count) as TrackedOrder[]);
  }
}
