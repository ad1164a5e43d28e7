import type { JsonValue } from './ports/store';

/*
 * The journal records of a run: what a session decided and what happened to its orders, as a
 * run folder keeps them (`decision_events.jsonl`, `orders.jsonl`). They are defined here, in the
 * base library, because the engine writes them and observability reads them. Times are ISO 8601
 * strings (UTC); `seq` is global across a run's decisions, orders and fills, so a replay can
 * interleave them exactly as they happened.
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

/**
 * The step of an order's life a journal record reports (the `event` column of `orders.jsonl`).
 * Not to be confused with the aggregate's `OrderEvent`, which is what changes an `Order`.
 */
export type OrderEventRecordKind = 'submitted' | 'rejected' | 'accepted' | 'partially-filled' | 'filled' | 'canceled' | 'expired' | 'replaced';

/** One journal record of an order's life (a line of `orders.jsonl`); fills carry `fillQty` and `fillPrice`. */
export interface OrderEventRecord {
  readonly seq: number;
  readonly time: string;
  readonly symbol: string;
  readonly clientOrderId: string;
  readonly event: OrderEventRecordKind;
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
