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
  return IS_TERMINAL[orderStatusCode(status)] === 1;
}

/**
 * The states and event kinds as small integers, for the table below: the order's hot path (every
 * accept and fill of every order) then reads a typed array instead of looking strings up in
 * objects. The codes are positions in these lists; the table itself is read from
 * {@link ORDER_TRANSITIONS}, its one source.
 */
export const ORDER_STATUSES: readonly OrderStatus[] = Object.freeze(['new', 'accepted', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected', 'replaced']);
// Not frozen (read-only by its type, and private): V8's optimizing compiler does not inline an
// element read from a frozen array, and `orderEventKindBetween` reads it for every status report.
const ORDER_EVENT_KINDS: readonly OrderEventKind[] = ['accept', 'partial_fill', 'fill', 'cancel', 'expire', 'reject', 'replace', 'update'];

/** The code of a state: its position in {@link ORDER_STATUSES}. */
function orderStatusCode(status: OrderStatus): number {
  switch (status) {
    case 'new':
      return 0;
    case 'accepted':
      return 1;
    case 'partially_filled':
      return 2;
    case 'filled':
      return 3;
    case 'canceled':
      return 4;
    case 'expired':
      return 5;
    case 'rejected':
      return 6;
    case 'replaced':
      return 7;
    default:
      return unknownName(status);
  }
}

/** The code of an event kind: its position in the kinds' list (`accept` 0 … `update` 7). */
function orderEventKindCode(kind: OrderEventKind): number {
  switch (kind) {
    case 'accept':
      return 0;
    case 'partial_fill':
      return 1;
    case 'fill':
      return 2;
    case 'cancel':
      return 3;
    case 'expire':
      return 4;
    case 'reject':
      return 5;
    case 'replace':
      return 6;
    case 'update':
      return 7;
    default:
      return unknownName(kind);
  }
}

/** A name outside the lists (only from untyped callers): no code, so no transition. */
function unknownName(name: never): number {
  void name;
  return -1;
}

const KIND_COUNT = ORDER_EVENT_KINDS.length;

/** `NEXT_STATUS[from × kinds + kind]`: the code of the next state, -1 where the table has no entry. */
const NEXT_STATUS: Int8Array = (() => {
  const table = new Int8Array(ORDER_STATUSES.length * KIND_COUNT).fill(-1);
  ORDER_STATUSES.forEach((from, f) => {
    if (orderStatusCode(from) !== f) throw new Error(`order status ${from} has code ${orderStatusCode(from)}, listed at ${f}`);
    ORDER_EVENT_KINDS.forEach((kind, k) => {
      if (orderEventKindCode(kind) !== k) throw new Error(`order event ${kind} has code ${orderEventKindCode(kind)}, listed at ${k}`);
      const to = ORDER_TRANSITIONS[from][kind];
      if (to !== undefined) table[f * KIND_COUNT + k] = orderStatusCode(to);
    });
  });
  if (Object.keys(ORDER_TRANSITIONS).length !== ORDER_STATUSES.length) throw new Error('ORDER_STATUSES does not list every state of ORDER_TRANSITIONS');
  return table;
})();

/** 1 for a state with no exits (terminal), by code. */
const IS_TERMINAL: Uint8Array = Uint8Array.from(ORDER_STATUSES, (s) => (Object.keys(ORDER_TRANSITIONS[s]).length === 0 ? 1 : 0));

/**
 * The code of the state `kind` leads to from the state of code `from` (see
 * {@link orderStatusCode}), or -1 when {@link ORDER_TRANSITIONS} has no such transition.
 */
export function nextOrderStatusCode(from: number, kind: OrderEventKind): number {
  const k = orderEventKindCode(kind);
  return k < 0 || from < 0 ? -1 : (NEXT_STATUS[from * KIND_COUNT + k] as number);
}

/** Whether the state of code `status` is terminal. */
export function isTerminalOrderStatusCode(status: number): boolean {
  return IS_TERMINAL[status] === 1;
}

/**
 * The event that takes an order from `from` to `to` in one transition, read from the table, or
 * undefined when none does (each state's exits lead to distinct states, so the answer is unique).
 * A reader of a venue's status reports uses it to turn a reported state into the event to apply.
 */
export function orderEventKindBetween(from: OrderStatus, to: OrderStatus): OrderEventKind | undefined {
  const f = orderStatusCode(from);
  const t = orderStatusCode(to);
  if (f < 0 || t < 0) return undefined;
  const k = EVENT_KIND_BETWEEN[f * ORDER_STATUS_COUNT + t] as number;
  return k < 0 ? undefined : ORDER_EVENT_KINDS[k];
}

const ORDER_STATUS_COUNT = ORDER_STATUSES.length;

/**
 * {@link orderEventKindBetween} for every pair of states, read from the table once: the code of
 * the first event (in table order, `update` aside) that leads from one to the other, else -1.
 */
const EVENT_KIND_BETWEEN: Int8Array = (() => {
  const table = new Int8Array(ORDER_STATUS_COUNT * ORDER_STATUS_COUNT).fill(-1);
  for (const from of Object.keys(ORDER_TRANSITIONS) as OrderStatus[]) {
    const exits = ORDER_TRANSITIONS[from];
    for (const kind of Object.keys(exits) as OrderEventKind[]) {
      const to = exits[kind];
      const at = orderStatusCode(from) * ORDER_STATUS_COUNT + (to === undefined ? 0 : orderStatusCode(to));
      if (kind !== 'update' && to !== undefined && table[at] === -1) table[at] = orderEventKindCode(kind);
    }
  }
  return table;
})();

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
