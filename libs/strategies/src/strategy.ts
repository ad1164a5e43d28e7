import type { ClientOrderId, EpochMs, Fill, JsonValue, OrderSide, OrderType, OrderUpdate, Ticker, TimeInForce } from '@quantbot/core';
import type { BarView } from './bar-view';

/**
 * An order a strategy asks for. Prices are in currency; a `qty` left out is chosen by the
 * session's sizing rule. `bracket` is an entry (market, or limit when `limitPrice` is set) with a
 * take-profit limit and a stop-loss stop that cancel each other once the entry fills.
 * `timeInForce` defaults to `gtc`.
 */
export interface OrderSpec {
  readonly symbolIndex: number;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly qty?: number;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly takeProfitPrice?: number;
  readonly stopLossPrice?: number;
  readonly timeInForce?: TimeInForce;
}

/**
 * What a strategy may do and know at a decision point. Orders are market orders decided on
 * the current bar; the broker fills them later (the next bar's open in a backtest). A quantity
 * left out is chosen by the session's sizing rule.
 */
export interface StrategyContext {
  /** The decision time: the close of the current bar. */
  readonly time: EpochMs;
  readonly symbols: readonly Ticker[];
  /** Cash available now, in currency. */
  readonly cash: number;
  /** Cash plus positions marked at the latest closes. */
  equity(): number;
  /** Signed position in shares: positive long, negative short, 0 flat. */
  position(symbolIndex: number): number;
  /** True while an order for the symbol is working at the broker. */
  hasPendingOrder(symbolIndex: number): boolean;
  /** Buys `qty` shares (or the sized quantity) at market. */
  buy(symbolIndex: number, qty?: number): void;
  /** Sells `qty` shares (or the sized quantity) at market; selling more than is held opens a short. */
  sell(symbolIndex: number, qty?: number): void;
  /** Closes whatever position the symbol has (no-op when flat). */
  closePosition(symbolIndex: number): void;
  /**
   * Sends any order type. Returns its client order id, or `undefined` when the sized quantity
   * was 0 (recorded as a rejected order, never silently dropped).
   */
  submitOrder(spec: OrderSpec): ClientOrderId | undefined;
  /** Asks the broker to cancel a working order (the outcome arrives as an order update). */
  cancelOrder(clientOrderId: ClientOrderId): void;
  /** Replaces a working order's quantity or prices; returns the replacement's client order id. */
  replaceOrder(clientOrderId: ClientOrderId, changes: { readonly qty?: number; readonly limitPrice?: number; readonly stopPrice?: number }): ClientOrderId;
}

/**
 * A trading strategy. It is told about each bar, one symbol at a time, after that bar has
 * closed, and sees only the past through `BarView`. It never awaits and never reads a clock:
 * the same code decides in a backtest, on paper and live.
 */
export interface Strategy {
  readonly name: string;
  /**
   * Bars after which the strategy's decisions no longer depend on how much history preceded
   * its start (the longest indicator window; longer for indicators with infinite memory).
   * The lookahead check's warm-up test compares decisions only after it.
   */
  readonly warmupBars?: number;
  onBar(bar: BarView, ctx: StrategyContext): void;
  /**
   * Called once per time step, after `onBar` has been called for every symbol with a bar at that
   * step: the place for cross-sectional decisions (rank the universe, rebalance). `step.views`
   * holds one view per symbol in universe order; a symbol without a bar at this step reads NaN at
   * `ago = 0`, and `step.hasBar` says which did. The same rules as `onBar` hold: only the past and
   * the current step are visible, and the call never awaits.
   */
  onStep?(step: StepView, ctx: StrategyContext): void;
  /**
   * A fill of an order this session sent (a bracket leg's fill carries its entry's id as
   * `parentId`), after the books have taken it. Backtests report fills before the next step's
   * decisions; live sessions as the venue reports them. The lookahead check's replay has no
   * broker and reports none, so decisions must not depend on fills in ways the recorded
   * positions do not show.
   */
  onFill?(fill: Fill): void;
  /** A change of state of an order this session sent (accepted, canceled, expired, rejected, replaced, filled). */
  onOrderUpdate?(update: OrderUpdate): void;
  /**
   * The values behind the strategy's latest decision on symbol `symbolIndex` (indicator values
   * by name), recorded with every decision in the run's journal. Called only when a journal is
   * kept, after `onBar` has decided.
   */
  describeInputs?(symbolIndex: number): Readonly<Record<string, number>>;
  /**
   * The state that the recent bars alone cannot rebuild (signals, last crossings, counters), as
   * JSON, for a live checkpoint. A restart replays the checkpoint's recent bars with orders
   * muted (rebuilding indicator windows), then hands this back to `importState`.
   */
  exportState?(): JsonValue;
  importState?(state: JsonValue): void;
}

/** The whole universe at one time step, as `Strategy.onStep` sees it. */
export interface StepView {
  /** The step's time: the close of its bars. */
  readonly time: EpochMs;
  /** One view per symbol, in universe order. */
  readonly views: readonly BarView[];
  /** True when symbol `symbolIndex` has a bar at this step. */
  hasBar(symbolIndex: number): boolean;
}

/**
 * Something a strategy wants the operator to know that is not an order: a model that fell back
 * to its defaults, a member strategy that was switched off. Sessions log notices and record them
 * in the run's artifacts; they never change what the engine does.
 */
export interface StrategyNotice {
  readonly time: EpochMs;
  /** The strategy (or member) that raised it. */
  readonly strategy: string;
  /** A stable, machine-readable code, e.g. `meta-learner-fallback`. */
  readonly code: string;
  readonly message: string;
}
