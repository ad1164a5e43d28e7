import type { JsonValue } from '@quantbot/core';

/**
 * The records a run leaves in `results/runs/<run_id>/`. Times are ISO 8601 strings (UTC);
 * `seq` orders records of the same time (it is global across a run's decisions, orders and
 * fills, so replay can interleave them exactly as they happened).
 */

/** One strategy decision (an order intent), with the inputs the strategy saw when it made it. */
export interface DecisionEvent {
  readonly seq: number;
  readonly time: string;
  readonly symbol: string;
  /** `submit`, `cancel` or `replace`. */
  readonly action: 'submit' | 'cancel' | 'replace';
  readonly clientOrderId: string;
  readonly side: string | null;
  readonly type: string | null;
  readonly qty: number | null;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
  /**
   * What the strategy saw: the bar (`open`, `high`, `low`, `close`, `volume`), the book
   * (`position`, `cash`, `equity`) and the strategy's own inputs (indicator values) by name.
   */
  readonly inputs: { readonly [key: string]: JsonValue };
}

/** What happened to an order: one record per lifecycle step. */
export type OrderEventKind = 'submitted' | 'rejected' | 'accepted' | 'partially-filled' | 'filled' | 'canceled' | 'expired' | 'replaced';

/** One step of an order's life; fills carry `fillQty` and `fillPrice`. */
export interface OrderEvent {
  readonly seq: number;
  readonly time: string;
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly event: OrderEventKind;
  readonly side: string;
  readonly type: string;
  readonly qty: number;
  readonly filledQty: number;
  readonly fillQty: number | null;
  readonly fillPrice: number | null;
  readonly commission: number | null;
  /** Why an order was rejected, canceled or expired; null otherwise. */
  readonly reason: string | null;
}

/** One closed round trip. */
export interface TradeRecord {
  readonly symbol: string;
  readonly side: string;
  readonly qty: number;
  readonly entryTime: string;
  readonly entryPrice: number;
  readonly exitTime: string;
  readonly exitPrice: number;
  readonly pnl: number;
  readonly commission: number;
  readonly netPnl: number;
  readonly barsHeld: number;
}

/** Equity at each step's close (`equity.csv` has the columns `time,equity`). */
export interface EquityCurve {
  /** Epoch ms of each step. */
  readonly time: ArrayLike<number>;
  readonly equity: ArrayLike<number>;
}
