import type { ClientOrderId, EpochMs, Ticker } from './ids';

/** Buy or sell. A sell with no long position opens (or adds to) a short. */
export type OrderSide = 'buy' | 'sell';

/** Order types. `bracket` is an entry with a take-profit and a stop-loss that cancel each other. */
export type OrderType = 'market' | 'limit' | 'stop' | 'stop_limit' | 'bracket';

/** `day` orders expire at the end of the session they were accepted in; `gtc` stay until canceled. */
export type TimeInForce = 'day' | 'gtc';

/**
 * How a venue lets a position change sides. `one-order`: an order may take a long position
 * short (or a short one long) by itself, and orders decided together may too (a backtest, the
 * execution simulator). `close-then-open`: an order against a position may not exceed what is
 * held minus what open orders on its side will take (Alpaca's `qty_available`), so a reversal is
 * a close, then, once it has filled, an opening order (see the engine's `TradingCoreOptions`).
 */
export type ReversalRule = 'one-order' | 'close-then-open';

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

/**
 * What can happen to an order once it exists: the keys of {@link ORDER_TRANSITIONS}. `update`
 * amends a working order in place (its quantity or prices) without changing its state: a venue's
 * amendment, or a bracket leg shrinking as its sibling fills. An order comes into being with an
 * `initialize` event (see `OrderEvent`), which is not a transition.
 */
export type OrderEventKind = 'accept' | 'partial_fill' | 'fill' | 'cancel' | 'expire' | 'reject' | 'replace' | 'update';

/**
 * The order lifecycle as a transition table: `ORDER_TRANSITIONS[from][event]` is the next state.
 * A missing entry is an invalid transition. Terminal states have no exits. The table is applied
 * in one place, `Order.apply` (order-aggregate.ts).
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, Readonly<Partial<Record<OrderEventKind, OrderStatus>>>>> =
  Object.freeze({
    // An order not yet acknowledged can still be rejected, or canceled or replaced on its way.
    new: { accept: 'accepted', reject: 'rejected', cancel: 'canceled', replace: 'replaced', update: 'new' },
    accepted: {
      partial_fill: 'partially_filled',
      fill: 'filled',
      cancel: 'canceled',
      expire: 'expired',
      replace: 'replaced',
      reject: 'rejected',
      update: 'accepted',
    },
    partially_filled: {
      partial_fill: 'partially_filled',
      fill: 'filled',
      cancel: 'canceled',
      expire: 'expired',
      replace: 'replaced',
      update: 'partially_filled',
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

/**
 * The event that takes an order from `from` to `to` in one transition, read from the table, or
 * undefined when none does (each state's exits lead to distinct states, so the answer is unique).
 * A reader of a venue's status reports uses it to turn a reported state into the event to apply.
 */
export function orderEventKindBetween(from: OrderStatus, to: OrderStatus): OrderEventKind | undefined {
  return EVENT_KIND_BETWEEN.get(from)?.get(to);
}

/** {@link orderEventKindBetween} for every pair of states, read from the table once. */
const EVENT_KIND_BETWEEN: ReadonlyMap<OrderStatus, ReadonlyMap<OrderStatus, OrderEventKind>> = new Map(
  (Object.keys(ORDER_TRANSITIONS) as OrderStatus[]).map((from) => {
    const exits = ORDER_TRANSITIONS[from];
    const byTarget = new Map<OrderStatus, OrderEventKind>();
    for (const kind of Object.keys(exits) as OrderEventKind[]) {
      const to = exits[kind];
      // The first event (in table order) that leads there.
      if (kind !== 'update' && to !== undefined && !byTarget.has(to)) byTarget.set(to, kind);
    }
    return [from, byTarget];
  }),
);

/**
 * Whether {@link ORDER_TRANSITIONS} leads from `from` to another state `to` in one or more
 * transitions (a state does not lead to itself: `update` and repeated partial fills stay). A reader
 * of a venue's snapshots uses it to tell a late report (a state the order has already passed) from
 * an impossible one, without deciding any state itself.
 */
export function orderStatusLeadsTo(from: OrderStatus, to: OrderStatus): boolean {
  const seen = new Set<OrderStatus>([from]);
  const queue: OrderStatus[] = [from];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const kind of Object.keys(ORDER_TRANSITIONS[state]) as OrderEventKind[]) {
      const next = ORDER_TRANSITIONS[state][kind];
      if (next === undefined || seen.has(next)) continue;
      if (next === to) return true;
      seen.add(next);
      queue.push(next);
    }
  }
  return false;
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
