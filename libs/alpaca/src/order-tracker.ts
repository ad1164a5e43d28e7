import { Order, OrderStateError, QuantbotError, clientOrderId as toClientOrderId, epochMs, orderStatusLeadsTo, parseTicker } from '@quantbot/core';
import type { ClientOrderId, EpochMs, OrderEvent, OrderRequest, OrderStatus, OrderType, OrderUpdate, Ticker } from '@quantbot/core';
import { coreOrderStatus } from './alpaca-order-status';
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

/**
 * An Alpaca snapshot the order's aggregate refuses: a state it cannot reach from the one it is
 * in (a second, different end, such as `canceled` after `filled`; `rejected` after a partial
 * fill), or a fill of an order that has already ended. Alpaca contradicts itself; the tracker
 * changes nothing and returns this (as an `anomaly` change) instead of throwing, so a trader
 * keeps running and can log it. `cause` is the aggregate's `OrderStateError`.
 */
export class AlpacaOrderAnomalyError extends QuantbotError {
  /** Alpaca's order id. */
  readonly orderId: string;
  readonly clientOrderId: string;
  /** The order's state, which stays. */
  readonly state: OrderStatus;
  /** Cumulative quantity filled as the tracker knows it, which stays. */
  readonly filledQty: number;
  /** What Alpaca reported: its status and cumulative filled quantity. */
  readonly reportedStatus: AlpacaOrderStatus;
  readonly reportedFilledQty: number;

  constructor(order: TrackedOrder, reported: AlpacaOrder, cause: OrderStateError) {
    super(
      'ALPACA_ORDER_ANOMALY',
      `order ${reported.clientOrderId} (Alpaca id ${reported.id}): Alpaca reports it ${reported.status} with ${reported.filledQty} filled, ` +
        `which an order ${order.status} with ${order.filledQty} filled cannot become; the report is ignored`,
      { cause },
    );
    this.orderId = reported.id;
    this.clientOrderId = reported.clientOrderId;
    this.state = order.status;
    this.filledQty = order.filledQty;
    this.reportedStatus = reported.status;
    this.reportedFilledQty = reported.filledQty;
  }
}

export type TrackedChange =
  | { readonly kind: 'fill'; readonly fill: TrackedFill; readonly order: AlpacaOrder }
  | {
      readonly kind: 'status';
      readonly order: AlpacaOrder;
      /** Alpaca's status before, or null for an order seen for the first time. */
      readonly previous: AlpacaOrderStatus | null;
      /**
       * The order's core state after the change (`Order.toUpdate()` of its aggregate) when that
       * state changed, else null: Alpaca moved between statuses of one core state (`new` and
       * `accepted`, say) or into one of its own (`pending_cancel`, ...).
       */
      readonly update: OrderUpdate | null;
      /** The stream event, or null for a change found through REST. */
      readonly event: AlpacaTradeEvent | null;
      readonly time: number;
      readonly recovered: boolean;
    }
  | {
      readonly kind: 'anomaly';
      /** The snapshot that was refused. */
      readonly order: AlpacaOrder;
      readonly error: AlpacaOrderAnomalyError;
      readonly event: AlpacaTradeEvent | null;
      readonly time: number;
      readonly recovered: boolean;
    };

/**
 * An order's `Order` aggregate as the tracker lends it out: its readings, not its event methods
 * (the tracker is its only writer).
 */
export interface TrackedOrder {
  readonly clientOrderId: ClientOrderId;
  readonly status: OrderStatus;
  /** True once no further event can change the order. */
  readonly isTerminal: boolean;
  readonly qty: number;
  readonly filledQty: number;
  /** Volume-weighted average fill price; NaN before the first fill. */
  readonly avgFillPrice: number;
  /** Why the order ended (canceled, expired, rejected, replaced). */
  readonly reason: string | undefined;
  /** The order's history, oldest first (`Order.fromEvents` rebuilds it). */
  readonly events: readonly OrderEvent[];
  /** The order as a broker reports it after its latest event. */
  toUpdate(): OrderUpdate;
}

/** What the tracker keeps of one Alpaca order. */
interface Tracked {
  /** The order's state, fills and finality: every decision is the aggregate's. */
  readonly order: Order;
  /** Alpaca's own status word as last accepted (data for reporting, not a second state machine). */
  wireStatus: AlpacaOrderStatus;
  /** The newest `updated_at` folded in: how Alpaca versions its snapshots. */
  updatedAt: number;
}

/** Quantities below this are rounding noise of decimal strings, not shares. */
const QTY_EPSILON = 1e-9;

const isTerminalWire = (status: AlpacaOrderStatus): boolean => ALPACA_TERMINAL_STATUSES.includes(status);

/**
 * Turns order snapshots, from the stream or from REST, into the changes they imply, exactly once.
 * Each Alpaca order is held as a core `Order` aggregate, and each snapshot is translated into
 * aggregate events: the growth of the cumulative `filled_qty` is a `fill` (when Alpaca reports
 * the order filled) or a `partial_fill`, priced from the growth of `filled_qty × filled_avg_price`;
 * the status, mapped by `coreOrderStatus`, is reached with `Order.applyReport` (an `accept`,
 * `cancel`, `expire`, `reject` or `replace`, an `update` when a quantity or price differs). So:
 *
 * - a duplicated update yields nothing the second time: the aggregate already has its fills and state;
 * - an update that arrives after a later one is stale and yields nothing (the later one already
 *   carried its fill): it reports less filled than the aggregate has, an older `updated_at`
 *   (unless it ends the order), or a state the aggregate has passed (one the transition table
 *   leads from to the order's state);
 * - an order found through REST after a gap yields the fills the stream never delivered;
 * - a terminal order is final: the aggregate refuses every further transition. A snapshot it
 *   refuses that is not stale (a different end, a fill after the end) is an `anomaly` change
 *   carrying an `AlpacaOrderAnomalyError`, and changes nothing.
 *
 * Alpaca's statuses with no core state (`pending_cancel`, `calculated`, ...) are kept as the
 * order's wire status and reported as `status` changes with a null `update`.
 */
export class AlpacaOrderTracker {
  readonly #orders = new Map<string, Tracked>();

  /** Folds one snapshot in; returns the fills and the status change it reveals, fills first. */
  observe(
    snapshot: AlpacaOrder,
    options: {
      readonly time: number;
      readonly event: AlpacaTradeEvent | null;
      readonly recovered: boolean;
      readonly executionId?: string | null;
      readonly executionPrice?: number | null;
      readonly executionQty?: number | null;
    },
  ): TrackedChange[] {
    const known = this.#orders.get(snapshot.id);
    const tracked: Tracked = known ?? {
      order: Order.create(requestOf(snapshot), { time: epochMs(snapshot.createdAt) }),
      wireStatus: snapshot.status,
      updatedAt: -Infinity,
    };
    const order = tracked.order;
    const time = epochMs(options.time);
    const statusBefore = order.status;
    const wasTerminal = order.isTerminal;
    const reported = coreOrderStatus(snapshot.status);
    const anomaly = (error: OrderStateError): TrackedChange => ({
      kind: 'anomaly',
      order: snapshot,
      error: new AlpacaOrderAnomalyError(order, snapshot, error),
      event: options.event,
      time: options.time,
      recovered: options.recovered,
    });
    const changes: TrackedChange[] = [];

    const delta = snapshot.filledQty - order.filledQty;
    if (delta > QTY_EPSILON) {
      const price = fillPrice(snapshot, order, delta, options);
      try {
        // An order Alpaca fills was acknowledged, whether or not that was reported.
        if (order.status === 'new') order.accept(time);
        order.apply({
          kind: reported === 'filled' ? 'fill' : 'partial_fill',
          clientOrderId: order.clientOrderId,
          time,
          qty: delta,
          price,
          commission: 0,
        });
      } catch (error) {
        if (!(error instanceof OrderStateError)) throw error;
        return [anomaly(error)];
      }
      this.#orders.set(snapshot.id, tracked);
      changes.push({
        kind: 'fill',
        order: snapshot,
        fill: {
          orderId: snapshot.id,
          clientOrderId: snapshot.clientOrderId,
          symbol: snapshot.symbol,
          side: snapshot.side,
          qty: delta,
          price,
          time: options.time,
          executionId: options.recovered ? null : (options.executionId ?? null),
          recovered: options.recovered,
        },
      });
    }

    // A snapshot that carries a fill is news; one without is stale when a later one was seen.
    const updatedAt = snapshot.updatedAt ?? snapshot.createdAt;
    const stale =
      known !== undefined &&
      delta <= QTY_EPSILON &&
      (snapshot.filledQty < order.filledQty - QTY_EPSILON || (updatedAt < tracked.updatedAt && !isTerminalWire(snapshot.status)));
    if (stale) return changes;

    if (reported !== null) {
      try {
        order.applyReport({
          status: reported,
          time,
          qty: snapshot.qty ?? order.qty,
          reason: endReason(snapshot),
          limitPrice: snapshot.limitPrice ?? undefined,
          stopPrice: snapshot.stopPrice ?? undefined,
        });
      } catch (error) {
        if (!(error instanceof OrderStateError)) throw error;
        // A state the order has been through (or could have passed through) on its way to the
        // one it is in arrives late: stale. Anything else contradicts what the order did.
        if (!orderStatusLeadsTo(reported, order.status)) changes.push(anomaly(error));
        return changes;
      }
    }
    this.#orders.set(snapshot.id, tracked);
    if (wasTerminal) return changes;
    const previous = known === undefined ? null : tracked.wireStatus;
    if (known === undefined || tracked.wireStatus !== snapshot.status || order.status !== statusBefore) {
      tracked.wireStatus = snapshot.status;
      changes.push({
        kind: 'status',
        order: snapshot,
        previous,
        update: order.status !== statusBefore ? order.toUpdate() : null,
        event: options.event,
        time: options.time,
        recovered: options.recovered,
      });
    }
    tracked.updatedAt = Math.max(tracked.updatedAt, updatedAt);
    return changes;
  }

  /** Orders whose aggregate can still change: the ones to look up after a gap. */
  openOrderIds(): string[] {
    const ids: string[] = [];
    for (const [id, tracked] of this.#orders) if (!tracked.order.isTerminal) ids.push(id);
    return ids;
  }

  /** Cumulative quantity filled as far as this tracker knows (0 for an unknown order). */
  filledQty(orderId: string): number {
    return this.#orders.get(orderId)?.order.filledQty ?? 0;
  }

  /** Alpaca's status of the order as last accepted (undefined for an unknown order). */
  status(orderId: string): AlpacaOrderStatus | undefined {
    return this.#orders.get(orderId)?.wireStatus;
  }

  /** The aggregate of the order with Alpaca id `orderId` (undefined for an unknown order): its core state, fills and history. */
  order(orderId: string): TrackedOrder | undefined {
    return this.#orders.get(orderId)?.order;
  }
}

/**
 * The price of an execution of `delta` shares: from the growth of `filled_qty × filled_avg_price`
 * over the aggregate's fill value. The cumulative average is documented without ambiguity; the
 * event's own price is preferred only when it agrees with it (to the half cent), being exact
 * where the derived value carries the rounding of decimal strings.
 */
function fillPrice(
  snapshot: AlpacaOrder,
  order: Order,
  delta: number,
  options: { readonly executionPrice?: number | null; readonly executionQty?: number | null },
): number {
  const { executionPrice, executionQty } = options;
  const filledValue = order.filledQty > 0 ? order.avgFillPrice * order.filledQty : 0;
  const derived = snapshot.filledAvgPrice === null ? null : (snapshot.filledAvgPrice * snapshot.filledQty - filledValue) / delta;
  if (derived === null) {
    if (executionPrice == null) {
      throw new AlpacaProtocolError('order.filled_avg_price', `order ${snapshot.id} reports filled_qty ${snapshot.filledQty} without a price`);
    }
    return executionPrice;
  }
  const eventFits = executionPrice != null && executionQty != null && Math.abs(executionQty - delta) <= QTY_EPSILON;
  return eventFits && Math.abs(executionPrice - derived) <= 0.005 ? executionPrice : derived;
}

/** Why an order ended, in the words reported to the engine (undefined while it works or once filled). */
function endReason(snapshot: AlpacaOrder): string | undefined {
  switch (snapshot.status) {
    case 'replaced':
      return `replaced by ${snapshot.replacedBy ?? 'another order'}`;
    case 'canceled':
      return 'canceled at Alpaca';
    case 'expired':
    case 'done_for_day':
      return 'expired at the end of the session';
    case 'rejected':
      return 'rejected by Alpaca';
    default:
      return undefined;
  }
}

/** The request an Alpaca order stands for: what its aggregate is created from. */
function requestOf(o: AlpacaOrder): OrderRequest {
  const type: OrderType = o.type === 'limit' || o.type === 'stop' || o.type === 'stop_limit' ? o.type : 'market';
  const decidedAt: EpochMs = epochMs(o.submittedAt ?? o.createdAt);
  return Object.freeze({
    clientOrderId: toClientOrderId(o.clientOrderId),
    symbol: parseTicker(o.symbol) ?? (o.symbol as Ticker),
    side: o.side,
    type,
    qty: o.qty ?? 0,
    timeInForce: o.timeInForce === 'day' ? 'day' : 'gtc',
    decidedAt,
    ...(o.limitPrice !== null ? { limitPrice: o.limitPrice } : {}),
    ...(o.stopPrice !== null ? { stopPrice: o.stopPrice } : {}),
  });
}
