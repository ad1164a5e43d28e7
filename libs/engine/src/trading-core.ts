import type {
  BarUniverse,
  Broker,
  BrokerEventSink,
  ClientOrderId,
  EpochMs,
  Fill,
  OrderRequest,
  OrderSide,
  OrderUpdate,
  Ticker,
} from '@quantbot/core';
import { PortfolioLedger, clientOrderId, epochMs, isTerminalOrderStatus } from '@quantbot/core';
import type { ExecutionFill, OrderExecutionRecord } from '@quantbot/execution-sim';
import type { BarView, OrderSpec, Strategy, StrategyContext } from '@quantbot/strategies';
import { TimeCursor, UniverseBarView } from '@quantbot/strategies';
import type { SizingRule } from './position-sizing';
import { sizeOrder } from './position-sizing';
import { TradeTracker } from './trade-tracker';

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

/** What the core needs to run. */
export interface TradingCoreOptions {
  readonly universe: BarUniverse;
  readonly strategy: Strategy;
  readonly startingCash: number;
  readonly sizing: SizingRule;
}

/** The core's book of one order while it lives, and its execution record when it ends. */
interface OrderBook {
  readonly symbolIndex: number;
  readonly record: {
    clientOrderId: string;
    symbol: string;
    side: OrderSide;
    qty: number;
    referencePrice: number;
    decidedAt: number;
    acceptedAt: number | null;
    fills: ExecutionFill[];
    status: OrderExecutionRecord['status'];
    markPriceAtEnd: number | null;
    isBracketLeg: boolean;
  };
  isWorking: boolean;
}

/**
 * The synchronous heart of a session: it takes one event at a time (a bar has closed; an order
 * was accepted, filled, rejected, canceled, expired or replaced), keeps the books, asks the
 * strategy for decisions and sends the resulting commands to the broker. It never awaits: the
 * backtest driver calls it in a tight loop, a live driver posts what its adapters report.
 * Nothing here knows which world it runs in.
 */
export class TradingCore implements StrategyContext, BrokerEventSink {
  readonly ledger: PortfolioLedger;
  readonly trades: TradeTracker;
  readonly rejected: RejectedOrder[] = [];
  readonly canceled: CanceledOrder[] = [];
  readonly symbols: readonly Ticker[];
  readonly #universe: BarUniverse;
  readonly #strategy: Strategy;
  readonly #sizing: SizingRule;
  readonly #cursor: TimeCursor;
  readonly #views: readonly BarView[];
  readonly #working: Int32Array;
  readonly #orders = new Map<string, OrderBook>();
  readonly #finished: OrderExecutionRecord[] = [];
  #broker: Broker | undefined;
  #orderSeq = 0;
  #time: EpochMs = epochMs(Number.NEGATIVE_INFINITY);
  #tradedNotional = 0;

  constructor(options: TradingCoreOptions) {
    const { universe } = options;
    this.#universe = universe;
    this.#strategy = options.strategy;
    this.#sizing = options.sizing;
    this.symbols = universe.symbols;
    this.ledger = new PortfolioLedger(universe.symbols, options.startingCash);
    this.trades = new TradeTracker(universe.symbols);
    this.#cursor = new TimeCursor(universe.length);
    this.#views = universe.symbols.map((_, i) => new UniverseBarView(universe, i, this.#cursor));
    this.#working = new Int32Array(universe.symbols.length);
  }

  /** Connects the broker that receives this core's orders. */
  attachBroker(broker: Broker): void {
    this.#broker = broker;
  }

  /** The decision time: the close of the current bar. */
  get time(): EpochMs {
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

  /** Execution records of every order that has ended, then of those still open (as they stand). */
  executionRecords(): readonly OrderExecutionRecord[] {
    const open = [...this.#orders.values()].map((book) => Object.freeze({ ...book.record, fills: [...book.record.fills] }));
    return [...this.#finished, ...open];
  }

  /** Moves time to `step` (before its orders fill at the open). */
  beginStep(step: number): void {
    this.#cursor.advanceTo(step);
    // A cast, not a call: this runs once per bar.
    this.#time = this.#universe.time[step] as EpochMs;
  }

  /**
   * Bar `step` has closed for every symbol that traded: mark the books at the closes, then let
   * the strategy decide, one symbol at a time in universe order.
   */
  onBarClose(): void {
    const u = this.#universe;
    const step = this.#cursor.index;
    const n = u.symbols.length;
    for (let s = 0; s < n; s++) {
      const at = s * u.length + step;
      if (u.hasBar[at] === 1) this.ledger.mark(s, u.close[at] as number);
    }
    for (let s = 0; s < n; s++) {
      if (u.hasBar[s * u.length + step] === 1) this.#strategy.onBar(this.#views[s] as BarView, this);
    }
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

  submitOrder(spec: OrderSpec): ClientOrderId | undefined {
    const broker = this.#requireBroker();
    const s = spec.symbolIndex;
    const symbol = this.symbols[s];
    if (symbol === undefined) throw new RangeError(`symbol index ${s} outside the universe`);
    const id = clientOrderId(`${this.#strategy.name}-${++this.#orderSeq}`);
    const close = this.#universe.close[s * this.#universe.length + this.#cursor.index] as number;
    const qty = spec.qty ?? sizeOrder(this.#sizing, this.ledger.cash, close);
    if (spec.qty === undefined && qty <= 0) {
      this.rejected.push(
        Object.freeze({ clientOrderId: id, symbol, time: this.#time, reason: `sized quantity is 0 (cash ${this.ledger.cash.toFixed(2)}, price ${close})` }),
      );
      return undefined;
    }
    const request: OrderRequest = {
      clientOrderId: id,
      symbol,
      side: spec.side,
      type: spec.type,
      qty,
      timeInForce: spec.timeInForce ?? 'gtc',
      decidedAt: this.#time,
      decisionPrice: close,
      ...(spec.limitPrice !== undefined ? { limitPrice: spec.limitPrice } : {}),
      ...(spec.stopPrice !== undefined ? { stopPrice: spec.stopPrice } : {}),
      ...(spec.takeProfitPrice !== undefined ? { takeProfitPrice: spec.takeProfitPrice } : {}),
      ...(spec.stopLossPrice !== undefined ? { stopLossPrice: spec.stopLossPrice } : {}),
    };
    this.#markWorking(this.#track(id, s, spec.side, qty, close, this.#time, false));
    broker.submit(request);
    return id;
  }

  cancelOrder(id: ClientOrderId): void {
    this.#requireBroker().cancel(id);
  }

  replaceOrder(id: ClientOrderId, changes: { readonly qty?: number; readonly limitPrice?: number; readonly stopPrice?: number }): ClientOrderId {
    const book = this.#orders.get(id);
    if (book === undefined) throw new RangeError(`no open order ${id} to replace`);
    const newId = clientOrderId(`${this.#strategy.name}-${++this.#orderSeq}`);
    const r = book.record;
    this.#markWorking(this.#track(newId, book.symbolIndex, r.side, changes.qty ?? r.qty, r.referencePrice, this.#time, r.isBracketLeg));
    this.#requireBroker().replace(id, { newClientOrderId: newId, ...changes });
    return newId;
  }

  onFill(fill: Fill): void {
    const s = this.ledger.indexOf(fill.symbol);
    if (s < 0) throw new Error(`broker reported a fill for ${fill.symbol}, which this session does not trade`);
    const signedQty = fill.side === 'buy' ? fill.qty : -fill.qty;
    this.ledger.applyFill(s, signedQty, fill.price, fill.commission);
    this.trades.onFill(s, signedQty, fill.price, fill.commission, fill.time, this.#cursor.index);
    this.#tradedNotional += fill.qty * fill.price;
    const book = this.#orders.get(fill.clientOrderId);
    if (book !== undefined) book.record.fills.push({ qty: fill.qty, price: fill.price, commission: fill.commission, time: fill.time });
  }

  onOrderUpdate(update: OrderUpdate): void {
    let book = this.#orders.get(update.clientOrderId);
    if (book === undefined) {
      // A bracket leg, created by the broker when its entry filled: judged against its trigger.
      const s = this.ledger.indexOf(update.symbol);
      if (s < 0) throw new Error(`broker reported order ${update.clientOrderId} for ${update.symbol}, which this session does not trade`);
      const reference = update.stopPrice ?? update.limitPrice ?? NaN;
      book = this.#track(update.clientOrderId, s, update.side, update.qty, reference, update.time, update.parentId !== undefined);
    }
    const s = book.symbolIndex;
    const r = book.record;
    r.status = update.status;
    r.qty = update.qty;
    if (update.status === 'accepted' && r.acceptedAt === null) r.acceptedAt = update.time;
    if (!isTerminalOrderStatus(update.status)) {
      this.#markWorking(book);
      return;
    }

    if (book.isWorking) this.#working[s] = (this.#working[s] as number) - 1;
    this.#orders.delete(update.clientOrderId);
    const close = this.#universe.close[s * this.#universe.length + this.#cursor.index] as number;
    r.markPriceAtEnd = Number.isFinite(close) ? close : this.ledger.markPrice(s);
    this.#finished.push(Object.freeze({ ...r, fills: Object.freeze([...r.fills]) }));
    const reason = update.reason ?? update.status;
    if (update.status === 'rejected') {
      this.rejected.push(Object.freeze({ clientOrderId: update.clientOrderId, symbol: update.symbol, time: update.time, reason }));
    } else if (update.status === 'canceled' || update.status === 'expired') {
      this.canceled.push(
        Object.freeze({ clientOrderId: update.clientOrderId, symbol: update.symbol, status: update.status, time: update.time, filledQty: update.filledQty, reason }),
      );
    }
  }

  #track(id: string, symbolIndex: number, side: OrderSide, qty: number, referencePrice: number, decidedAt: number, isBracketLeg: boolean): OrderBook {
    const book: OrderBook = {
      symbolIndex,
      isWorking: false,
      record: {
        clientOrderId: id,
        symbol: this.symbols[symbolIndex] as string,
        side,
        qty,
        referencePrice,
        decidedAt,
        acceptedAt: null,
        fills: [],
        status: 'new',
        markPriceAtEnd: null,
        isBracketLeg,
      },
    };
    this.#orders.set(id, book);
    return book;
  }

  /** Counts an order as working for its symbol (once), from submission until it ends. */
  #markWorking(book: OrderBook): void {
    if (book.isWorking) return;
    book.isWorking = true;
    this.#working[book.symbolIndex] = (this.#working[book.symbolIndex] as number) + 1;
  }

  #requireBroker(): Broker {
    if (this.#broker === undefined) throw new Error('TradingCore has no broker attached');
    return this.#broker;
  }
}
