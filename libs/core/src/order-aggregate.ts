import { OrderStateError } from './errors';
import type { ClientOrderId, EpochMs, Ticker } from './ids';
import type { OrderEventKind, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce } from './order';
import { ORDER_STATUSES, isTerminalOrderStatusCode, nextOrderStatusCode, orderEventKindBetween } from './order';
import type { OrderUpdate } from './ports/broker';

/**
 * The states by code, for `apply`: a copy of {@link ORDER_STATUSES} that is not frozen. V8's
 * optimizing compiler does not inline an element read from a frozen array (it calls its generic
 * keyed load, seen in the order path's disassembly), and `apply` runs several times per order.
 */
const STATUS_BY_CODE: readonly OrderStatus[] = [...ORDER_STATUSES];

/** `Order.create` without options (one shared object, not a new one per order). */
const NO_OPTIONS: { readonly time?: EpochMs; readonly parentId?: ClientOrderId } = Object.freeze({});

/** What every order event carries: the order it belongs to and when it happened. */
interface OrderEventBase {
  readonly clientOrderId: ClientOrderId;
  readonly time: EpochMs;
}

/** The order came into being from a request. Always an order's first event, and only its first. */
export interface OrderInitialized extends OrderEventBase {
  readonly kind: 'initialize';
  readonly request: OrderRequest;
  /** For a leg of a bracket (take-profit or stop-loss): the bracket's entry order. */
  readonly parentId?: ClientOrderId;
}

/** The venue acknowledged the order: it is working. */
export interface OrderAccepted extends OrderEventBase {
  readonly kind: 'accept';
}

/**
 * An execution of `qty` shares at `price`, paying `commission` (currency, never negative):
 * `fill` when it completes the order, `partial_fill` when some quantity is left (see
 * `Order.fillKind`). A `qty` of 0 only moves the state: a venue reported the order (partly)
 * filled before its executions arrived.
 */
export interface OrderFilled extends OrderEventBase {
  readonly kind: 'fill' | 'partial_fill';
  readonly qty: number;
  readonly price: number;
  readonly commission: number;
}

/** The order ended without (completely) filling: canceled, expired, rejected or replaced, and why. */
export interface OrderEnded extends OrderEventBase {
  readonly kind: 'cancel' | 'expire' | 'reject' | 'replace';
  readonly reason: string | undefined;
}

/** A working order was amended in place: its quantity or its working prices. The state stays. */
export interface OrderUpdated extends OrderEventBase {
  readonly kind: 'update';
  readonly qty?: number;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
}

/**
 * One thing that happened to one order. The history of an order is its `initialize` event and
 * then transitions (the kinds of {@link ORDER_TRANSITIONS}); `Order.fromEvents` rebuilds the
 * order from that history.
 */
export type OrderEvent = OrderInitialized | OrderAccepted | OrderFilled | OrderEnded | OrderUpdated;

/**
 * An order and its history: the one home of an order's state. It is created from an
 * `OrderRequest` and changes only by `apply(event)`, which looks the next state up in
 * {@link ORDER_TRANSITIONS} (an event the table does not allow throws `OrderStateError` naming the
 * order, the state and the event) and then folds the event's facts in: quantities, the average
 * fill price, commissions, working prices, the reason it ended and the times. `Order.fromEvents`
 * rebuilds an equal order from `events`.
 *
 * Brokers (the simulator, the next-open fill model), the trading core and the journal hold
 * aggregates and read their state; none keeps a status of its own.
 *
 * @example
 * const order = Order.create(request);               // status 'new'
 * order.accept(time);                                // 'accepted'
 * order.fill(60, 10.5, 0.06, time);                  // 'partially_filled' (of 100)
 * order.cancel(time, 'canceled by client');          // 'canceled', filledQty 60
 * const copy = Order.fromEvents(order.events);       // the same state
 */
export class Order {
  readonly request: OrderRequest;
  readonly parentId: ClientOrderId | undefined;
  // The history: the initialize event, the next three in fields of their own (an order's usual
  // life: accept, fill, and one more), any later ones in a list. No array per order.
  readonly #initialized: OrderInitialized;
  #event1: OrderEvent | undefined = undefined;
  #event2: OrderEvent | undefined = undefined;
  #event3: OrderEvent | undefined = undefined;
  #laterEvents: OrderEvent[] | undefined = undefined;
  #eventCount = 1;
  #lastEvent: OrderEvent;
  /** The state as its code (`orderStatusCode`): the transition table is read by code. */
  #statusCode = 0;
  #status: OrderStatus = 'new';
  #isTerminal = false;
  #qty: number;
  #filledQty = 0;
  #fillValue = 0;
  #fillCount = 0;
  #commission = 0;
  #limitPrice: number | undefined;
  #stopPrice: number | undefined;
  #reason: string | undefined = undefined;
  #acceptedAt: EpochMs | undefined = undefined;

  private constructor(initialized: OrderInitialized) {
    const request = initialized.request;
    if (request.clientOrderId !== initialized.clientOrderId) {
      throw new OrderStateError(initialized.clientOrderId, 'new', 'initialize', `its request is for order ${request.clientOrderId}`);
    }
    this.request = request;
    this.parentId = initialized.parentId;
    this.#initialized = initialized;
    this.#lastEvent = initialized;
    this.#qty = request.qty;
    this.#limitPrice = request.limitPrice;
    this.#stopPrice = request.stopPrice;
  }

  /**
   * A new order (status `new`) from `request`, initialized at `time` (default: the decision
   * time). Nothing is validated: a venue that refuses the request applies a `reject` event.
   */
  static create(request: OrderRequest, options: { readonly time?: EpochMs; readonly parentId?: ClientOrderId } = NO_OPTIONS): Order {
    const initialized: OrderInitialized =
      options.parentId === undefined
        ? { kind: 'initialize', clientOrderId: request.clientOrderId, time: options.time ?? request.decidedAt, request }
        : { kind: 'initialize', clientOrderId: request.clientOrderId, time: options.time ?? request.decidedAt, request, parentId: options.parentId };
    return new Order(initialized);
  }

  /**
   * Rebuilds an order from its history: the first event must be its `initialize`, every later
   * one is applied in order (and must be a transition the table allows, of the same order).
   */
  static fromEvents(events: readonly OrderEvent[]): Order {
    const first = events[0];
    if (first === undefined) throw new OrderStateError(undefined, 'none', 'none', 'an order is rebuilt from at least its initialize event');
    if (first.kind !== 'initialize') throw new OrderStateError(first.clientOrderId, 'none', first.kind, 'the first event of an order must be initialize');
    const order = new Order(first);
    for (let i = 1; i < events.length; i++) order.apply(events[i] as OrderEvent);
    return order;
  }

  /**
   * Applies one event: the table decides the next state (throwing `OrderStateError` when it has
   * no entry, or when the event is another order's or a second `initialize`), then the event's
   * facts are folded in.
   */
  apply(event: OrderEvent): void {
    const id = this.request.clientOrderId;
    if (event.kind === 'initialize') throw new OrderStateError(id, this.#status, 'initialize', 'an order is initialized once');
    if (event.clientOrderId !== id) throw new OrderStateError(id, this.#status, event.kind, `the event is for order ${event.clientOrderId}`);
    const nextCode = nextOrderStatusCode(this.#statusCode, event.kind);
    if (nextCode < 0) throw new OrderStateError(id, this.#status, event.kind);
    switch (event.kind) {
      case 'accept':
        if (this.#acceptedAt === undefined) this.#acceptedAt = event.time;
        break;
      case 'fill':
      case 'partial_fill':
        if (event.qty > 0) {
          this.#filledQty += event.qty;
          this.#fillValue += event.qty * event.price;
          this.#fillCount++;
        }
        this.#commission += event.commission;
        break;
      case 'update':
        if (event.qty !== undefined) this.#qty = event.qty;
        if (event.limitPrice !== undefined) this.#limitPrice = event.limitPrice;
        if (event.stopPrice !== undefined) this.#stopPrice = event.stopPrice;
        break;
      default:
        this.#reason = event.reason;
    }
    this.#statusCode = nextCode;
    this.#status = STATUS_BY_CODE[nextCode] as OrderStatus;
    this.#isTerminal = isTerminalOrderStatusCode(nextCode);
    this.#record(event);
  }

  /** Appends `event` to the history. */
  #record(event: OrderEvent): void {
    switch (this.#eventCount) {
      case 1:
        this.#event1 = event;
        break;
      case 2:
        this.#event2 = event;
        break;
      case 3:
        this.#event3 = event;
        break;
      default:
        if (this.#laterEvents === undefined) this.#laterEvents = [event];
        else this.#laterEvents.push(event);
    }
    this.#eventCount++;
    this.#lastEvent = event;
  }

  // ------------------------------------------------------------ building and applying events

  /** Applies an `accept` at `time`. */
  accept(time: EpochMs | number): void {
    this.apply({ kind: 'accept', clientOrderId: this.request.clientOrderId, time: time as EpochMs });
  }

  /**
   * Applies an execution of `qty` at `price`: a `fill` when it completes the order, else a
   * `partial_fill` ({@link Order.fillKind}).
   */
  fill(qty: number, price: number, commission: number, time: EpochMs | number): void {
    this.apply({ kind: this.fillKind(qty), clientOrderId: this.request.clientOrderId, time: time as EpochMs, qty, price, commission });
  }

  /** `fill` when an execution of `qty` would complete the order, else `partial_fill`. */
  fillKind(qty: number): 'fill' | 'partial_fill' {
    return this.#filledQty + qty >= this.#qty ? 'fill' : 'partial_fill';
  }

  /** Applies an ending event (`cancel`, `expire`, `reject`, `replace`) at `time`, with why. */
  end(kind: OrderEnded['kind'], time: EpochMs | number, reason: string | undefined): void {
    this.apply({ kind, clientOrderId: this.request.clientOrderId, time: time as EpochMs, reason });
  }

  /** Applies an `update` that sets the quantity ordered to `qty`. */
  amendQty(qty: number, time: EpochMs | number): void {
    this.apply({ kind: 'update', clientOrderId: this.request.clientOrderId, time: time as EpochMs, qty });
  }

  /**
   * Brings the order to what a venue reports of it (a status report: `OrderUpdate`): an amended
   * quantity or working price becomes an `update`, a new state the event the table leads there
   * by. A state the order cannot reach in one step from `new` is reached through an inferred
   * `accept` (a venue may report a fill or an expiry without the acknowledgement before it). A
   * fill state reached this way is a fill of 0: the executions arrive as fills of their own. A
   * report of the state the order is in changes nothing else; one the table cannot reach throws
   * `OrderStateError`.
   */
  applyReport(report: Pick<OrderUpdate, 'status' | 'time' | 'qty' | 'reason' | 'limitPrice' | 'stopPrice'>): void {
    const id = this.request.clientOrderId;
    const to = report.status;
    // Find the way first, so a report the table cannot follow changes nothing.
    let inferAccept = false;
    let kind: OrderEventKind | undefined;
    if (to !== this.#status) {
      kind = orderEventKindBetween(this.#status, to);
      if (kind === undefined && this.#status === 'new') {
        kind = orderEventKindBetween('accepted', to);
        inferAccept = kind !== undefined;
      }
      if (kind === undefined) throw new OrderStateError(id, this.#status, `report ${to}`, 'no transition leads there');
    }
    if (!this.#isTerminal) {
      const qtyChanged = report.qty !== this.#qty;
      const limitChanged = report.limitPrice !== undefined && report.limitPrice !== this.#limitPrice;
      const stopChanged = report.stopPrice !== undefined && report.stopPrice !== this.#stopPrice;
      if (qtyChanged || limitChanged || stopChanged) {
        this.apply({
          kind: 'update',
          clientOrderId: id,
          time: report.time,
          ...(qtyChanged ? { qty: report.qty } : {}),
          ...(limitChanged ? { limitPrice: report.limitPrice } : {}),
          ...(stopChanged ? { stopPrice: report.stopPrice } : {}),
        });
      }
    }
    if (kind === undefined) return;
    if (inferAccept) this.accept(report.time);
    if (kind === 'fill' || kind === 'partial_fill') this.apply({ kind, clientOrderId: id, time: report.time, qty: 0, price: 0, commission: 0 });
    else if (kind === 'accept') this.accept(report.time);
    else if (kind !== 'update') this.end(kind, report.time, report.reason);
  }

  // ------------------------------------------------------------------------------ reading

  get clientOrderId(): ClientOrderId {
    return this.request.clientOrderId;
  }

  get symbol(): Ticker {
    return this.request.symbol;
  }

  get side(): OrderSide {
    return this.request.side;
  }

  get type(): OrderType {
    return this.request.type;
  }

  get timeInForce(): TimeInForce {
    return this.request.timeInForce;
  }

  get status(): OrderStatus {
    return this.#status;
  }

  /** True when no further event can change the order (filled, canceled, expired, rejected, replaced). */
  get isTerminal(): boolean {
    return this.#isTerminal;
  }

  /** Quantity ordered, in shares (after any `update`). */
  get qty(): number {
    return this.#qty;
  }

  /** Cumulative quantity filled, in shares. */
  get filledQty(): number {
    return this.#filledQty;
  }

  /** Quantity still to fill: `qty − filledQty`, never below 0. */
  get leavesQty(): number {
    return Math.max(0, this.#qty - this.#filledQty);
  }

  /** Volume-weighted average price of the fills; NaN before the first. */
  get avgFillPrice(): number {
    return this.#filledQty > 0 ? this.#fillValue / this.#filledQty : NaN;
  }

  /** Number of executions (fills of a positive quantity). */
  get fillCount(): number {
    return this.#fillCount;
  }

  /** Commissions of every fill, in currency. */
  get commission(): number {
    return this.#commission;
  }

  /** The working limit price (after any `update`), if the order has one. */
  get limitPrice(): number | undefined {
    return this.#limitPrice;
  }

  /** The working stop price (after any `update`), if the order has one. */
  get stopPrice(): number | undefined {
    return this.#stopPrice;
  }

  /** Why the order ended (canceled, expired, rejected, replaced); undefined while it lives or once filled. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** When the order was initialized. */
  get initializedAt(): EpochMs {
    return this.#initialized.time;
  }

  /** When the venue first accepted it; undefined if it never did. */
  get acceptedAt(): EpochMs | undefined {
    return this.#acceptedAt;
  }

  /** The time of the latest event. */
  get lastEventAt(): EpochMs {
    return this.lastEvent.time;
  }

  /** The latest event applied (the `initialize` of a new order). */
  get lastEvent(): OrderEvent {
    return this.#lastEvent;
  }

  /** The order's history, oldest first (a new array at each read): `Order.fromEvents(order.events)` rebuilds it. */
  get events(): readonly OrderEvent[] {
    const events: OrderEvent[] = [this.#initialized];
    if (this.#event1 !== undefined) events.push(this.#event1);
    if (this.#event2 !== undefined) events.push(this.#event2);
    if (this.#event3 !== undefined) events.push(this.#event3);
    if (this.#laterEvents !== undefined) events.push(...this.#laterEvents);
    return events;
  }

  /**
   * The order as a broker reports it (`BrokerEventSink.onOrderUpdate`) after its latest event:
   * its state, quantities and working prices, with the latest event's time and reason.
   */
  toUpdate(): OrderUpdate {
    const last = this.lastEvent;
    // One object literal of one shape for every update (absent fields are undefined).
    return {
      clientOrderId: this.request.clientOrderId,
      symbol: this.request.symbol,
      side: this.request.side,
      status: this.#status,
      time: last.time,
      qty: this.#qty,
      filledQty: this.#filledQty,
      reason: last.kind === 'cancel' || last.kind === 'expire' || last.kind === 'reject' || last.kind === 'replace' ? last.reason : undefined,
      parentId: this.parentId,
      limitPrice: this.#limitPrice,
      stopPrice: this.#stopPrice,
    };
  }
}
