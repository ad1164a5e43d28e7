import type { ClientOrderId, EpochMs, Ticker } from '../ids';
import type { Fill, OrderRequest, OrderSide, OrderStatus } from '../order';

/**
 * A change in an order's state at the broker. Sent for every transition: accepted (the order
 * has arrived and is working), partially filled, filled, canceled, expired, rejected, replaced.
 * Fills are reported separately (`onFill`) and before the update they cause.
 */
export interface OrderUpdate {
  readonly clientOrderId: ClientOrderId;
  readonly symbol: Ticker;
  readonly side: OrderSide;
  readonly status: OrderStatus;
  readonly time: EpochMs;
  /** Quantity ordered, in shares (after any replace). */
  readonly qty: number;
  /** Cumulative quantity filled, in shares. */
  readonly filledQty: number;
  /** Why: always set when rejected, canceled, expired or replaced. */
  readonly reason?: string;
  /** For a leg of a bracket (take-profit or stop-loss): the bracket's entry order. */
  readonly parentId?: ClientOrderId;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
}

/** What a replace changes. The replacement gets a new client order id; the original ends `replaced`. */
export interface OrderChanges {
  readonly newClientOrderId: ClientOrderId;
  readonly qty?: number;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
}

/** What a broker reports back. A simulated broker calls these synchronously; a live one as events arrive. */
export interface BrokerEventSink {
  onOrderUpdate(update: OrderUpdate): void;
  onFill(fill: Fill): void;
}

/** Where orders go. Commands return nothing: every outcome arrives through the `BrokerEventSink`. */
export interface Broker {
  submit(order: OrderRequest): void;
  cancel(clientOrderId: ClientOrderId): void;
  replace(clientOrderId: ClientOrderId, changes: OrderChanges): void;
}
