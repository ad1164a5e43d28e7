import { ALPACA_TERMINAL_STATUSES, AlpacaProtocolError } from './alpaca-types';
import type { AlpacaOrder, AlpacaOrderStatus } from './alpaca-types';
import type { AlpacaTradeEvent } from './stream-types';

/** One execution, derived from the change in an order's cumulative filled quantity. */
export interface TrackedFill {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  readonly price: number;
  readonly time: number;
  /** The stream's execution id; null when the fill was recovered through REST. */
  readonly executionId: string | null;
  /** True when it was found through REST after a gap in the stream, not received as an event. */
  readonly recovered: boolean;
}

export type TrackedChange =
  | { readonly kind: 'fill'; readonly fill: TrackedFill; readonly order: AlpacaOrder }
  | {
      readonly kind: 'status';
      readonly order: AlpacaOrder;
      readonly previous: AlpacaOrderStatus | null;
      /** The stream event, or null for a change found through REST. */
      readonly event: AlpacaTradeEvent | null;
      readonly time: number;
      readonly recovered: boolean;
    };

interface Known {
  status: AlpacaOrderStatus;
  filledQty: number;
  filledValue: number;
  updatedAt: number;
}

/** Quantities below this are rounding noise of decimal strings, not shares. */
const QTY_EPSILON = 1e-9;

const isTerminal = (status: AlpacaOrderStatus): boolean => ALPACA_TERMINAL_STATUSES.includes(status);

/**
 * Turns order snapshots, from the stream or from REST, into the changes they imply, exactly once.
 * A fill is the growth of an order's cumulative `filled_qty`, priced from the growth of
 * `filled_qty × filled_avg_price`, so:
 *
 * - a duplicated update yields nothing the second time;
 * - an update that arrives after a later one (lower cumulative quantity, or an older state) is
 *   stale and yields nothing; the later one already carried its fill;
 * - an order found through REST after a gap yields the fills the stream never delivered.
 *
 * Terminal states are final: nothing moves an order out of `filled`, `canceled`, `replaced`, ….
 */
export class AlpacaOrderTracker {
  readonly #orders = new Map<string, Known>();

  /** Folds one snapshot in; returns the fills and the status change it reveals, fills first. */
  observe(
    order: AlpacaOrder,
    options: {
      readonly time: number;
      readonly event: AlpacaTradeEvent | null;
      readonly recovered: boolean;
      readonly executionId?: string | null;
      readonly executionPrice?: number | null;
      readonly executionQty?: number | null;
    },
  ): TrackedChange[] {
    const known = this.#orders.get(order.id);
    const changes: TrackedChange[] = [];
    const next: Known = known ?? { status: order.status, filledQty: 0, filledValue: 0, updatedAt: -Infinity };
    const previousStatus = known?.status ?? null;

    const delta = order.filledQty - next.filledQty;
    if (delta > QTY_EPSILON) {
      // The order's cumulative average is documented without ambiguity; the event's own price
      // is preferred only when it agrees with it (to the half cent), being exact where the
      // derived value carries the rounding of decimal strings.
      const { executionPrice, executionQty } = options;
      const derived = order.filledAvgPrice === null ? null : (order.filledAvgPrice * order.filledQty - next.filledValue) / delta;
      const eventFits = executionPrice != null && executionQty != null && Math.abs(executionQty - delta) <= QTY_EPSILON;
      let price: number;
      if (derived === null) {
        if (executionPrice == null) {
          throw new AlpacaProtocolError('order.filled_avg_price', `order ${order.id} reports filled_qty ${order.filledQty} without a price`);
        }
        price = executionPrice;
      }
      else if (eventFits && Math.abs((executionPrice as number) - derived) <= 0.005) price = executionPrice as number;
      else price = derived;
      next.filledQty = order.filledQty;
      next.filledValue += delta * price;
      changes.push({
        kind: 'fill',
        order,
        fill: {
          orderId: order.id,
          clientOrderId: order.clientOrderId,
          symbol: order.symbol,
          side: order.side,
          qty: delta,
          price,
          time: options.time,
          executionId: options.recovered ? null : (options.executionId ?? null),
          recovered: options.recovered,
        },
      });
    }

    const updatedAt = order.updatedAt ?? order.createdAt;
    const stale =
      known !== undefined &&
      (isTerminal(known.status) ||
        order.filledQty < known.filledQty - QTY_EPSILON ||
        (updatedAt < known.updatedAt && !isTerminal(order.status)));
    const statusChanged = known === undefined || known.status !== order.status;
    if (!stale && statusChanged) {
      next.status = order.status;
      changes.push({ kind: 'status', order, previous: previousStatus, event: options.event, time: options.time, recovered: options.recovered });
    }
    if (!stale) next.updatedAt = Math.max(next.updatedAt, updatedAt);
    this.#orders.set(order.id, next);
    return changes;
  }

  /** Orders last seen in a state that can still change: the ones to look up after a gap. */
  openOrderIds(): string[] {
    const ids: string[] = [];
    for (const [id, known] of this.#orders) if (!isTerminal(known.status)) ids.push(id);
    return ids;
  }

  /** Cumulative quantity filled as far as this tracker knows (0 for an unknown order). */
  filledQty(orderId: string): number {
    return this.#orders.get(orderId)?.filledQty ?? 0;
  }

  status(orderId: string): AlpacaOrderStatus | undefined {
    return this.#orders.get(orderId)?.status;
  }
}
