import type {
  BarUniverse,
  Broker,
  BrokerEventSink,
  ClientOrderId,
  EpochMs,
  Fill,
  OrderRejection,
  OrderSide,
  Ticker,
} from '@quantbot/core';
import { PortfolioLedger, clientOrderId, epochMs } from '@quantbot/core';
import type { BarView, Strategy, StrategyContext } from '@quantbot/strategies';
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

/** An order that was canceled before it filled (for example, still working when the data ended). */
export interface CanceledOrder {
  readonly clientOrderId: ClientOrderId;
  readonly time: EpochMs;
  readonly reason: string;
}

/** What the core needs to run. */
export interface TradingCoreOptions {
  readonly universe: BarUniverse;
  readonly strategy: Strategy;
  readonly startingCash: number;
  readonly sizing: SizingRule;
}

/**
 * The synchronous heart of a session: it takes one event at a time (a bar has closed, an order
 * was accepted, filled, rejected or canceled), keeps the books, asks the strategy for decisions
 * and sends the resulting commands to the broker. It never awaits: the backtest driver calls it
 * in a tight loop, a live driver posts what its adapters report. Nothing here knows which world
 * it runs in.
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
  /** Orders sent and not yet final: which symbol, and whether the broker has accepted them. */
  readonly #open = new Map<string, { readonly symbolIndex: number; isAccepted: boolean }>();
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
    this.#submit(symbolIndex, 'buy', qty);
  }

  sell(symbolIndex: number, qty?: number): void {
    this.#submit(symbolIndex, 'sell', qty);
  }

  closePosition(symbolIndex: number): void {
    const qty = this.ledger.qty(symbolIndex);
    if (qty > 0) this.#submit(symbolIndex, 'sell', qty);
    else if (qty < 0) this.#submit(symbolIndex, 'buy', -qty);
  }

  onAccepted(id: ClientOrderId): void {
    const ticket = this.#open.get(id);
    if (ticket === undefined || ticket.isAccepted) return;
    ticket.isAccepted = true;
    this.#working[ticket.symbolIndex] = (this.#working[ticket.symbolIndex] as number) + 1;
  }

  onFill(fill: Fill): void {
    const s = this.#settle(fill.clientOrderId);
    const signedQty = fill.side === 'buy' ? fill.qty : -fill.qty;
    this.ledger.applyFill(s, signedQty, fill.price, fill.commission);
    this.trades.onFill(s, signedQty, fill.price, fill.commission, fill.time, this.#cursor.index);
    this.#tradedNotional += fill.qty * fill.price;
  }

  onRejected(rejection: OrderRejection): void {
    if (this.#open.has(rejection.clientOrderId)) this.#settle(rejection.clientOrderId);
    this.rejected.push(Object.freeze({ ...rejection }));
  }

  onCanceled(id: ClientOrderId, time: EpochMs, reason: string): void {
    if (this.#open.has(id)) this.#settle(id);
    this.canceled.push(Object.freeze({ clientOrderId: id, time, reason }));
  }

  #submit(symbolIndex: number, side: OrderSide, qty: number | undefined): void {
    const broker = this.#broker;
    if (broker === undefined) throw new Error('TradingCore has no broker attached');
    const symbol = this.symbols[symbolIndex];
    if (symbol === undefined) throw new RangeError(`symbol index ${symbolIndex} outside the universe`);
    const id = clientOrderId(`${this.#strategy.name}-${++this.#orderSeq}`);
    let size = qty;
    if (size === undefined) {
      const close = this.#universe.close[symbolIndex * this.#universe.length + this.#cursor.index] as number;
      size = sizeOrder(this.#sizing, this.ledger.cash, close);
      if (size <= 0) {
        this.rejected.push(
          Object.freeze({
            clientOrderId: id,
            symbol,
            time: this.#time,
            reason: `sized quantity is 0 (cash ${this.ledger.cash.toFixed(2)}, price ${close})`,
          }),
        );
        return;
      }
    }
    this.#open.set(id, { symbolIndex, isAccepted: false });
    broker.submit({ clientOrderId: id, symbol, side, type: 'market', qty: size, timeInForce: 'gtc', decidedAt: this.#time });
  }

  #settle(id: ClientOrderId): number {
    const ticket = this.#open.get(id);
    if (ticket === undefined) throw new Error(`broker reported an order this core did not send: ${id}`);
    this.#open.delete(id);
    const s = ticket.symbolIndex;
    if (ticket.isAccepted) this.#working[s] = (this.#working[s] as number) - 1;
    return s;
  }
}
