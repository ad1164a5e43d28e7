import type { ClientOrderId, EpochMs, Ticker } from './ids';
import { OrderStateError } from './errors';

/** Buy or sell. A sell with no long position opens (or adds to) a short. */
export type OrderSide = 'buy' | 'sell';

/** Order types. `bracket` is an entry with a take-profit and a stop-loss that cancel each other. */
export type OrderType = 'market' | 'limit' | 'stop' | 'stop_limit' | 'bracket';

/** `day` orders expire at the end of the session they were accepted in; `gtc` stay until canceled. */
export type TimeInForce = 'day' | 'gtc';

/** What a strategy or a user asks a broker to do. Quantities are positive; `side` gives the direction. */
export interface OrderRequest {
  readonly clientOrderId: ClientOrderId;
  readonly symbol: Ticker;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly qty: number;
  readonly timeInForce: TimeInForce;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly takeProfitPrice?: number;
  readonly stopLossPrice?: number;
  /** When the decision was made (the close of the bar that produced it, in a backtest). */
  readonly decidedAt: EpochMs;
  /**
   * The price the decision saw (the close of its bar): the benchmark of implementation
   * shortfall and slippage. Optional for orders from outside a strategy.
   */
  readonly decisionPrice?: number;
}

/** The states of an order's life at a broker. */
export type OrderStatus =
  | 'new'
  | 'accepted'
  | 'partially_filled'
  | 'filled'
  | 'canceled'
  | 'expired'
  | 'rejected'
  | 'replaced';

/** What can happen to an order. */
export type OrderEvent = 'accept' | 'partial_fill' | 'fill' | 'cancel' | 'expire' | 'reject' | 'replace';

/**
 * The order lifecycle as a transition table: `ORDER_TRANSITIONS[from][event]` is the next state.
 * A missing entry is an invalid transition. Terminal states have no exits.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, Readonly<Partial<Record<OrderEvent, OrderStatus>>>>> =
  Object.freeze({
    // An order not yet acknowledged can still be rejected, or canceled or replaced on its way.
    new: { accept: 'accepted', reject: 'rejected', cancel: 'canceled', replace: 'replaced' },
    accepted: {
      partial_fill: 'partially_filled',
      fill: 'filled',
      cancel: 'canceled',
      expire: 'expired',
      replace: 'replaced',
      reject: 'rejected',
    },
    partially_filled: {
      partial_fill: 'partially_filled',
      fill: 'filled',
      cancel: 'canceled',
      expire: 'expired',
      replace: 'replaced',
    },
    filled: {},
    canceled: {},
    expired: {},
    rejected: {},
    replaced: {},
  });

/** True when no further event can change an order in this state. */
export function isTerminalOrderStatus(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(
  (Object.keys(ORDER_TRANSITIONS) as OrderStatus[]).filter((s) => Object.keys(ORDER_TRANSITIONS[s]).length === 0),
);

/** The state after `event`; throws `OrderStateError` when the table does not allow it. */
export function nextOrderStatus(from: OrderStatus, event: OrderEvent, orderId?: string): OrderStatus {
  const to = ORDER_TRANSITIONS[from][event];
  if (to === undefined) {
    const which = orderId === undefined ? 'order' : `order ${orderId}`;
    throw new OrderStateError(`${which}: event '${event}' is not allowed in state '${from}'`);
  }
  return to;
}

/** An execution: part or all of an order, at one price. `commission` is in currency, never negative. */
export interface Fill {
  readonly clientOrderId: ClientOrderId;
  readonly symbol: Ticker;
  readonly side: OrderSide;
  readonly qty: number;
  readonly price: number;
  readonly commission: number;
  readonly time: EpochMs;
  /** For a leg of a bracket: the bracket's entry order. */
  readonly parentId?: ClientOrderId;
}
