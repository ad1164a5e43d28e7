import type { EpochMs, Ticker } from '@quantbot/core';
import type { BarView } from './bar-view';

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
}

/**
 * A trading strategy. It is told about each bar, one symbol at a time, after that bar has
 * closed, and sees only the past through `BarView`. It never awaits and never reads a clock:
 * the same code decides in a backtest, on paper and live.
 */
export interface Strategy {
  readonly name: string;
  onBar(bar: BarView, ctx: StrategyContext): void;
}
