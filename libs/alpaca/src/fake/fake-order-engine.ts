import { Order, clientOrderId as toClientOrderId, epochMs, parseTicker } from '@quantbot/core';
import type { EpochMs, OrderRequest, OrderSide, OrderType, SeededRng, Ticker } from '@quantbot/core';
import type { OhlcvValues } from '../alpaca-bar';
import type { AlpacaOrderWire } from '../alpaca-types';
import { seededUuid } from '../seeded-uuid';
import { FakeHttpFailure, unprocessable } from './fake-http';
import { money, orderWire, tradeUpdateWire } from './fake-wire-views';
import type { FakeOrderFacts, FakePositionValues, FakeTradeUpdateMessage } from './fake-wire-views';

/**
 * When the fake fills orders:
 * - `trade`: at submission and on every `setPrice` at the last trade price, and against pushed bars;
 * - `bar`: only against the next pushed bar of the symbol (market orders at its open, limits and
 *   stops when its range reaches them), never at submission or on `setPrice`.
 */
export type FakeFillMode = 'trade' | 'bar';

/** Every `FakeFillMode`, for validating a flag. */
export const FAKE_FILL_MODES: readonly FakeFillMode[] = Object.freeze(['trade', 'bar']);

/**
 * How long, in the fake's `now` time (ms), Alpaca takes to act on an order, so a client meets
 * Alpaca's intermediate statuses and the races they open. 0 everywhere (the default) is
 * immediate: an order is created `new`, a cancel or replace takes effect in the request.
 *
 * - `acceptMs`: a new order (a submission, a position close, a replacement made with
 *   `replaceMs` 0) is `pending_new` (trade update `pending_new`) until `acceptMs` has passed, then
 *   `new` (trade update `new`). It cannot fill before it is `new`.
 * - `cancelMs`: `DELETE /v2/orders/{id}` still answers 204 at once; the order is `pending_cancel`
 *   (trade update `pending_cancel`) until `cancelMs` has passed, then `canceled`. It keeps
 *   filling meanwhile: a fill that completes it first wins, and the cancel is moot.
 * - `replaceMs`: `PATCH /v2/orders/{id}` answers the replacement order (`pending_new`) at once;
 *   the old order is `pending_replace` (trade update `pending_replace`) and keeps filling until
 *   `replaceMs` has passed. Then it is `replaced` and the replacement, for the quantity the old
 *   one left unfilled, is `new`; or, when the old order has filled in full meanwhile, the
 *   replacement is `rejected` and the old order gets `order_replace_rejected`.
 *
 * Nothing runs on a timer: due transitions are made, in due order and stamped with their due
 * time, at the start of every REST request, every `setPrice`, `pushBar` and `endSession`, and by
 * `advance()`.
 */
export interface FakeOrderLatency {
  readonly acceptMs: number;
  readonly cancelMs: number;
  readonly replaceMs: number;
}

/** No latency: every order is `new` at once, and cancels and replaces take effect in the request. */
export const NO_ORDER_LATENCY: FakeOrderLatency = Object.freeze({ acceptMs: 0, cancelMs: 0, replaceMs: 0 });

/** How a `FakeOrderEngine` fills, draws its ids and reports what happens. */
export interface FakeOrderEngineOptions {
  /** Draws every id the fake makes up (account, assets, orders, client order ids, executions), in the order it needs them. */
  readonly rng: SeededRng;
  /** The server's clock, epoch ms: read once per timestamp the engine writes. */
  readonly now: () => number;
  readonly startingCash: number;
  readonly fillOn: FakeFillMode;
  /** Most shares one `setPrice` tick fills per order (undefined: all). */
  readonly maxFillQty: number | undefined;
  /** Fraction of a bar's volume one order may take from it (undefined: all). */
  readonly barParticipation: number | undefined;
  /** Receives every trade update, in the order the engine makes them. */
  readonly onTradeUpdate: (message: FakeTradeUpdateMessage) => void;
  /** Whether a new order may reverse a position in one order (see `FakeAlpacaServerOptions.oneOrderReversals`). Default false. */
  readonly oneOrderReversals?: boolean;
  /** How long Alpaca takes to accept, cancel and replace orders (checked by the caller). Default `NO_ORDER_LATENCY`. */
  readonly orderLatency?: FakeOrderLatency;
}

/** A transition the engine owes an order once the clock reaches `due`. */
type PendingWork =
  | { readonly kind: 'accept'; readonly due: number; readonly order: FakeOrder }
  | { readonly kind: 'cancel'; readonly due: number; readonly order: FakeOrder }
  | { readonly kind: 'replace'; readonly due: number; readonly order: FakeOrder; readonly replacement: FakeOrder; readonly totalQty: number };

/** A new order, checked for shape by the route that received it. */
export interface FakeOrderRequest {
  readonly symbol: string;
  /** Decimal string of shares, above zero. */
  readonly qty: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit' | 'stop';
  readonly tif: string;
  readonly limit: string | null;
  readonly stop: string | null;
  readonly clientOrderId: string;
}

/** The new terms of a replaced order, checked for shape by the route (the current terms fill in what the request left out). */
export interface FakeReplaceRequest {
  /** Decimal string of the new total quantity, above what is already filled. */
  readonly qty: string;
  readonly tif: string;
  readonly limit: string | null;
  readonly stop: string | null;
  readonly clientOrderId: string;
}

/**
 * One order of the fake: its `Order` aggregate, the one home of its state (status, quantities,
 * fills, finality), and the facts only the wire shows. `wire()` (and `toJSON()`, so a route can
 * answer with the order itself and it is written as it is when the answer is) is its Alpaca shape.
 */
export class FakeOrder {
  readonly aggregate: Order;
  facts: FakeOrderFacts;

  constructor(aggregate: Order, facts: FakeOrderFacts) {
    this.aggregate = aggregate;
    this.facts = facts;
  }

  get id(): string {
    return this.facts.id;
  }

  /** Whether the order can still change (its aggregate is not terminal). */
  get isOpen(): boolean {
    return !this.aggregate.isTerminal;
  }

  /** The order in Alpaca's shape, as it is now (a new object each time). */
  wire(): AlpacaOrderWire {
    return orderWire(this.facts, this.aggregate);
  }

  toJSON(): AlpacaOrderWire {
    return this.wire();
  }
}

interface PositionBook extends FakePositionValues {
  assetId: string;
  qty: number;
  costBasis: number;
}

interface CreateOrder {
  readonly symbol: string;
  readonly qty: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly tif: string;
  readonly limit: string | null;
  readonly stop: string | null;
  readonly clientOrderId: string;
  readonly replaces?: string;
  /** Default true: try to fill at the current price right away. */
  readonly fillNow?: boolean;
  /** A replacement waiting for its replace to take effect: it stays `pending_new` until then (no accept of its own). */
  readonly awaitsReplace?: boolean;
}

/**
 * The fake's order engine: the account (cash, positions, last prices) and every order it ever
 * accepted, with the rules that change them: submission, replacement, cancellation, expiry at
 * the session end, and fills against trades (`setPrice`) and bars (`applyBar`). It knows nothing
 * of HTTP or WebSockets: routes call it with checked requests, and it reports each change as a
 * trade update through `onTradeUpdate`. A rule it refuses is a `FakeHttpFailure` carrying
 * Alpaca's status and error code.
 *
 * Each order is a `FakeOrder`: a core `Order` aggregate, changed only by its events (`accept`,
 * `fill`/`partial_fill`, `cancel`, `expire`, `reject`, `replace`), which decides the order's state
 * and refuses what its transition table does not allow, beside the facts only the wire shows.
 * `order`, `orders` and the methods that return an order hand out the live `FakeOrder` (a route
 * answers with it, and it is written as it is when the answer is). Every id is drawn from the
 * one seeded generator in a fixed order, so a seed and a clock reproduce a session exactly.
 */
export class FakeOrderEngine {
  readonly #rng: SeededRng;
  readonly #now: () => number;
  readonly #fillOn: FakeFillMode;
  readonly #maxFillQty: number | undefined;
  readonly #barParticipation: number | undefined;
  readonly #onTradeUpdate: (message: FakeTradeUpdateMessage) => void;
  readonly #accountId: string;
  readonly #createdAt: string;
  readonly #assetIds = new Map<string, string>();
  readonly #orders = new Map<string, FakeOrder>();
  readonly #positions = new Map<string, PositionBook>();
  readonly #prices = new Map<string, number>();
  #cash: number;
  #stallPartials = false;
  readonly #rejectQueue: string[] = [];
  readonly #oneOrderReversals: boolean;
  #latency: FakeOrderLatency;
  /** Transitions owed, in the order they were requested. */
  #work: PendingWork[] = [];
  /** Replacement orders whose replace has not taken effect yet: they hold no cash or shares. */
  readonly #awaitingReplace = new Set<string>();
  /** While due work is made: its due time, which stamps what it does. */
  #at: number | undefined;

  constructor(options: FakeOrderEngineOptions) {
    this.#rng = options.rng;
    this.#now = options.now;
    this.#fillOn = options.fillOn;
    this.#maxFillQty = options.maxFillQty;
    this.#barParticipation = options.barParticipation;
    this.#onTradeUpdate = options.onTradeUpdate;
    this.#oneOrderReversals = options.oneOrderReversals ?? false;
    this.#latency = options.orderLatency ?? NO_ORDER_LATENCY;
    this.#accountId = seededUuid(this.#rng);
    this.#createdAt = this.#iso();
    this.#cash = options.startingCash;
  }

  /** The account's id, drawn first from the generator. */
  get accountId(): string {
    return this.#accountId;
  }

  /** ISO time the engine was created. */
  get createdAt(): string {
    return this.#createdAt;
  }

  get cash(): number {
    return this.#cash;
  }

  get fillOn(): FakeFillMode {
    return this.#fillOn;
  }

  /** Open positions by symbol, in the order they were opened. */
  positions(): ReadonlyMap<string, FakePositionValues> {
    return this.#positions;
  }

  /** The last trade price or bar close of `symbol`, undefined before the first. */
  lastPrice(symbol: string): number | undefined {
    return this.#prices.get(symbol);
  }

  /** Every order ever accepted, oldest first (live objects). */
  orders(): readonly FakeOrder[] {
    return [...this.#orders.values()];
  }

  /** The order with `id`; Alpaca's 404 when there is none. */
  order(id: string): FakeOrder {
    const order = this.#orders.get(id);
    if (order === undefined) throw orderNotFound();
    return order;
  }

  /** The order with `clientOrderId`; Alpaca's 404 when there is none. */
  orderByClientOrderId(clientOrderId: string | null): FakeOrder {
    const order = [...this.#orders.values()].find((o) => o.aggregate.clientOrderId === clientOrderId);
    if (order === undefined) throw orderNotFound();
    return order;
  }

  /** A client order id for a request that brought none (a seeded UUID). */
  assignClientOrderId(): string {
    return seededUuid(this.#rng);
  }

  /**
   * Accepts a new order (then rejects it when `rejectNextOrders` queued a rejection), and fills
   * what the last price reaches. Refused with Alpaca's 403 (code 40310000) when a buy costs more
   * than `buyingPower()` or a sell against a long position asks for more than `qtyAvailable`
   * (unless `oneOrderReversals` is on: then a sell is not checked against the position).
   */
  submit(request: FakeOrderRequest): FakeOrder {
    this.#assertUniqueClientOrderId(request.clientOrderId);
    const qty = Number(request.qty);
    if (request.side === 'sell' && !this.#oneOrderReversals) this.#assertQtyAvailable(request.symbol, 'sell', qty);
    else this.#assertBuyingPower(request, qty);
    return this.#createOrder(request);
  }

  /**
   * Shares of `symbol` not yet promised to open orders that would reduce the position (Alpaca's
   * `qty_available`): for a long position its quantity minus what open sell orders have left to
   * fill, for a short one its (negative) quantity plus what open buy orders have left, 0 without
   * a position. Never past zero.
   */
  qtyAvailable(symbol: string): number {
    const qty = this.#positions.get(symbol)?.qty ?? 0;
    if (qty > 0) return Math.max(0, qty - this.#openRemaining(symbol, 'sell'));
    if (qty < 0) return Math.min(0, qty + this.#openRemaining(symbol, 'buy'));
    return 0;
  }

  /**
   * Cash not yet promised to open buy orders: cash minus, for each open buy order, what it has
   * left to fill times its limit (or stop) price, or the symbol's last price for a market order
   * (no margin: the fake's multiplier is 1). Never below zero.
   */
  buyingPower(): number {
    let reserved = 0;
    for (const order of this.#orders.values()) {
      if (!order.isOpen || order.aggregate.side !== 'buy' || this.#awaitingReplace.has(order.id)) continue;
      const { symbol, limitPrice, stopPrice } = order.aggregate;
      const price = limitPrice ?? stopPrice ?? this.#prices.get(symbol) ?? 0;
      reserved += (order.aggregate.qty - order.aggregate.filledQty) * price;
    }
    return Math.max(0, this.#cash - reserved);
  }

  /** The latency orders meet from now on (the admin fault `order-latency` changes it while the server runs). */
  get orderLatency(): FakeOrderLatency {
    return this.#latency;
  }

  /** Sets the latency for requests from now on; transitions already owed keep their due time. */
  setOrderLatency(latency: FakeOrderLatency): void {
    this.#latency = latency;
  }

  /**
   * Makes every transition owed by the clock (`now()` ≥ its due time): accepts, cancels and
   * replaces requested with a latency, oldest due first (ties in the order they were requested),
   * each stamped with its due time. Work it causes (a fill on acceptance) happens with it.
   */
  advance(): void {
    const now = this.#now();
    const due = this.#work.filter((w) => w.due <= now).sort((a, b) => a.due - b.due);
    if (due.length === 0) return;
    this.#work = this.#work.filter((w) => w.due > now);
    for (const work of due) {
      this.#at = work.due;
      try {
        this.#perform(work);
      } finally {
        this.#at = undefined;
      }
    }
  }

  /**
   * Alpaca's 422 when `order` can no longer be replaced: it has ended, or a cancel or another
   * replace of it is under way (`pending_cancel`, `pending_replace`).
   */
  assertReplaceable(order: FakeOrder): void {
    if (!order.isOpen || order.facts.pending !== null) throw new FakeHttpFailure(422, 42210000, `order is not replaceable (status ${order.wire().status})`);
  }

  /**
   * Replaces an open order: it becomes `replaced`, and a new order for the quantity not yet
   * filled takes its place (`replaces` / `replaced_by` link them) and may fill right away.
   * With `replaceMs` the old order is `pending_replace` until then and the new one `pending_new`
   * (see `FakeOrderLatency`). Returns the new order.
   */
  replace(order: FakeOrder, request: FakeReplaceRequest): FakeOrder {
    this.assertReplaceable(order);
    this.#assertUniqueClientOrderId(request.clientOrderId);
    const delayed = this.#latency.replaceMs > 0;
    const t = this.#stamp();
    const remaining = money(Number(request.qty) - order.aggregate.filledQty);
    const next = this.#createOrder({
      symbol: order.aggregate.symbol,
      qty: remaining,
      side: order.aggregate.side,
      type: order.aggregate.type,
      tif: request.tif,
      limit: request.limit,
      stop: request.stop,
      clientOrderId: request.clientOrderId,
      replaces: order.id,
      fillNow: false,
      awaitsReplace: delayed,
    });
    if (delayed) {
      order.facts = { ...order.facts, pending: 'pending_replace', updatedAt: t.iso };
      this.#emit('pending_replace', order);
      this.#work.push({ kind: 'replace', due: t.ms + this.#latency.replaceMs, order, replacement: next, totalQty: Number(request.qty) });
      return next;
    }
    order.aggregate.end('replace', t.ms, `replaced by ${next.id}`);
    order.facts = { ...order.facts, replacedAt: t.iso, updatedAt: t.iso, replacedBy: next.id };
    this.#emit('replaced', order);
    this.#tryFill(next);
    return next;
  }

  /**
   * Cancels an open order: at once, or with `cancelMs` after `pending_cancel` (see
   * `FakeOrderLatency`). Alpaca's 422 when it is closed already, or `pending_replace` (Alpaca's
   * docs: such an order rejects cancel requests). A second cancel while one is pending changes
   * nothing (Alpaca's docs do not say what it answers; the fake answers as for the first).
   */
  cancel(order: FakeOrder): void {
    if (!order.isOpen || order.facts.pending === 'pending_replace') {
      throw new FakeHttpFailure(422, 42210000, `order is not cancelable (status ${order.wire().status})`);
    }
    this.#requestCancel(order);
  }

  /** Cancels (or, with `cancelMs`, asks to cancel) every open order not `pending_replace`, oldest first, and returns them. */
  cancelAllOpen(): FakeOrder[] {
    const open = [...this.#orders.values()].filter((o) => o.isOpen && o.facts.pending !== 'pending_replace');
    for (const order of open) this.#requestCancel(order);
    return open;
  }

  /** Symbols with an open position, in the order they were opened. */
  positionSymbols(): string[] {
    return [...this.#positions.keys()];
  }

  /**
   * Sends a day market order that closes the whole position in `symbol`; Alpaca's 404 when there
   * is none, and Alpaca's 403 "insufficient qty available" when open orders on the closing side
   * already hold some of it (so a second close while the first is working is refused).
   */
  closePosition(symbol: string): FakeOrder {
    const position = this.#positions.get(symbol);
    if (position === undefined) throw new FakeHttpFailure(404, 40410000, 'position does not exist');
    const side = position.qty > 0 ? 'sell' : 'buy';
    this.#assertQtyAvailable(symbol, side, Math.abs(position.qty));
    return this.#createOrder({
      symbol,
      qty: money(Math.abs(position.qty)),
      side,
      type: 'market',
      tif: 'day',
      limit: null,
      stop: null,
      clientOrderId: seededUuid(this.#rng),
    });
  }

  /** A trade at `price` (positive): open orders of `symbol` that it reaches fill (in `bar` mode none do). */
  setPrice(symbol: string, price: number): void {
    if (!Number.isFinite(price) || price <= 0) throw new RangeError(`price must be positive, got ${price}`);
    this.advance();
    this.#prices.set(symbol, price);
    for (const order of this.#orders.values()) if (order.aggregate.symbol === symbol) this.#tryFill(order);
  }

  /** A bar of `symbol` (checked by the caller): open orders fill against it, then its close is the last price. */
  applyBar(symbol: string, bar: OhlcvValues): void {
    this.advance();
    for (const order of this.#orders.values()) if (order.aggregate.symbol === symbol) this.#fillAgainstBar(order, bar);
    this.#prices.set(symbol, bar.close);
  }

  /** The session ends: open `day` orders expire (after the transitions due by then; one still `pending_new` expires too). */
  endSession(): void {
    this.advance();
    for (const order of this.#orders.values()) {
      if (order.isOpen && order.aggregate.timeInForce === 'day') {
        const t = this.#stamp();
        if (order.aggregate.status === 'new') order.aggregate.accept(t.ms);
        order.aggregate.end('expire', t.ms, 'the session ended');
        order.facts = { ...order.facts, expiredAt: t.iso, updatedAt: t.iso };
        this.#emit('expired', order);
      }
    }
  }

  /** While on, orders that have started filling get no further fills; turned off, every open order tries to fill again. */
  stallPartialFills(on: boolean): void {
    this.#stallPartials = on;
    if (!on) for (const order of this.#orders.values()) this.#tryFill(order);
  }

  /** The next `n` orders are accepted, then rejected. */
  rejectNextOrders(n: number, reason: string): void {
    for (let i = 0; i < n; i++) this.#rejectQueue.push(reason);
  }

  /** Ends the engine's faults: no stalled fills, no queued rejections. */
  resetFaults(): void {
    this.#stallPartials = false;
    this.#rejectQueue.length = 0;
  }

  #iso(): string {
    return new Date(this.#at ?? this.#now()).toISOString();
  }

  /** The clock read once (or the due time of the work being made): as an event time for an aggregate and as the ISO text of the wire. */
  #stamp(): { readonly ms: EpochMs; readonly iso: string } {
    const ms = this.#at ?? this.#now();
    return { ms: epochMs(ms), iso: new Date(ms).toISOString() };
  }

  #assetId(symbol: string): string {
    let id = this.#assetIds.get(symbol);
    if (id === undefined) {
      id = seededUuid(this.#rng);
      this.#assetIds.set(symbol, id);
    }
    return id;
  }

  /** What open orders of `symbol` on `side` have left to fill, shares. */
  #openRemaining(symbol: string, side: OrderSide): number {
    let sum = 0;
    for (const o of this.#orders.values()) {
      if (o.isOpen && o.aggregate.symbol === symbol && o.aggregate.side === side && !this.#awaitingReplace.has(o.id)) sum += o.aggregate.qty - o.aggregate.filledQty;
    }
    return sum;
  }

  /**
   * Alpaca's 403 when an order on `side` would take more of a position than is available: a sell
   * against a long position (or a buy closing a short one through `closePosition`) for more than
   * `qtyAvailable`. Without a position on the other side the order opens one (the fake allows
   * short sales) and is not checked. The body is the one Alpaca sends (code 40310000, message
   * `insufficient qty available for order (requested: N, available: M)`, with `available`,
   * `existing_qty`, `held_for_orders`, `related_orders` and `symbol`).
   */
  #assertQtyAvailable(symbol: string, side: OrderSide, requested: number): void {
    const held = this.#positions.get(symbol)?.qty ?? 0;
    if (side === 'sell' ? held <= 0 : held >= 0) return;
    const available = Math.abs(this.qtyAvailable(symbol));
    if (requested <= available + 1e-9) return;
    const related = [...this.#orders.values()].filter((o) => o.isOpen && o.aggregate.symbol === symbol && o.aggregate.side === side).map((o) => o.id);
    throw new FakeHttpFailure(403, 40310000, `insufficient qty available for order (requested: ${money(requested)}, available: ${money(available)})`, {
      available: money(available),
      existing_qty: money(Math.abs(held)),
      held_for_orders: money(Math.abs(held) - available),
      related_orders: related,
      symbol,
    });
  }

  /**
   * Alpaca's 403 `insufficient buying power` (code 40310000) when a buy would cost more than
   * `buyingPower()`: its quantity times its limit (or stop) price, or the last price for a market
   * order. A market buy of a symbol with no price yet cannot be costed and is not checked.
   */
  #assertBuyingPower(request: FakeOrderRequest, qty: number): void {
    const price = request.limit !== null ? Number(request.limit) : request.stop !== null ? Number(request.stop) : this.#prices.get(request.symbol);
    if (price === undefined) return;
    if (qty * price <= this.buyingPower() + 1e-6) return;
    throw new FakeHttpFailure(403, 40310000, 'insufficient buying power');
  }

  #assertUniqueClientOrderId(clientOrderId: string): void {
    for (const o of this.#orders.values()) {
      if (o.aggregate.clientOrderId === clientOrderId) throw unprocessable('client_order_id must be unique');
    }
  }

  #emit(event: string, order: FakeOrder, execution?: { price: number; qty: number; positionQty: number }): void {
    const timestamp = this.#iso();
    this.#onTradeUpdate(
      tradeUpdateWire(event, order.wire(), timestamp, execution === undefined ? undefined : { executionId: seededUuid(this.#rng), ...execution }),
    );
  }

  #createOrder(input: CreateOrder): FakeOrder {
    const t = this.#stamp();
    // The order id is drawn before the asset id of a first-seen symbol.
    const id = seededUuid(this.#rng);
    const request: OrderRequest = Object.freeze({
      clientOrderId: toClientOrderId(input.clientOrderId),
      symbol: parseTicker(input.symbol) ?? (input.symbol as Ticker),
      side: input.side,
      type: input.type,
      qty: Number(input.qty),
      // The fake expires `day` orders at the session end; every other time in force stays, as `gtc`.
      timeInForce: input.tif === 'day' ? 'day' : 'gtc',
      decidedAt: t.ms,
      ...(input.limit !== null ? { limitPrice: Number(input.limit) } : {}),
      ...(input.stop !== null ? { stopPrice: Number(input.stop) } : {}),
    });
    const order = new FakeOrder(Order.create(request, { time: t.ms }), {
      id,
      clientOrderId: input.clientOrderId,
      createdAt: t.iso,
      updatedAt: t.iso,
      filledAt: null,
      expiredAt: null,
      canceledAt: null,
      failedAt: null,
      replacedAt: null,
      replacedBy: null,
      replaces: input.replaces ?? null,
      pending: null,
      assetId: this.#assetId(input.symbol),
      qty: input.qty,
      tif: input.tif,
      limit: input.limit,
      stop: input.stop,
    });
    this.#orders.set(order.id, order);
    const rejection = this.#rejectQueue.shift();
    if (rejection !== undefined) {
      order.aggregate.end('reject', t.ms, rejection);
      order.facts = { ...order.facts, failedAt: t.iso };
      this.#emit('rejected', order);
      return order;
    }
    if (input.awaitsReplace === true) {
      this.#awaitingReplace.add(order.id);
      this.#emit('pending_new', order);
      return order;
    }
    if (this.#latency.acceptMs > 0) {
      this.#emit('pending_new', order);
      this.#work.push({ kind: 'accept', due: t.ms + this.#latency.acceptMs, order });
      return order;
    }
    order.aggregate.accept(t.ms);
    this.#emit('new', order);
    if (input.fillNow !== false) this.#tryFill(order);
    return order;
  }

  /** A cancel now, or with `cancelMs` a `pending_cancel` and a cancel owed (a second request while one is owed changes nothing). */
  #requestCancel(order: FakeOrder): void {
    if (order.facts.pending === 'pending_cancel') return;
    if (this.#latency.cancelMs <= 0) {
      this.#cancel(order);
      return;
    }
    const t = this.#stamp();
    order.facts = { ...order.facts, pending: 'pending_cancel', updatedAt: t.iso };
    this.#emit('pending_cancel', order);
    this.#work.push({ kind: 'cancel', due: t.ms + this.#latency.cancelMs, order });
  }

  /** One owed transition; an order that has ended since it was requested is left as it is. */
  #perform(work: PendingWork): void {
    const { order } = work;
    switch (work.kind) {
      case 'accept': {
        if (order.aggregate.status !== 'new') return;
        const t = this.#stamp();
        order.aggregate.accept(t.ms);
        order.facts = { ...order.facts, updatedAt: t.iso };
        // An order a cancel is already pending on stays `pending_cancel` on the wire: no `new` for it.
        if (order.facts.pending === null) this.#emit('new', order);
        this.#tryFill(order);
        return;
      }
      case 'cancel':
        if (!order.isOpen) return; // filled (or ended otherwise) first: the cancel is moot
        this.#cancel(order);
        return;
      case 'replace': {
        const { replacement } = work;
        this.#awaitingReplace.delete(replacement.id);
        const t = this.#stamp();
        const left = work.totalQty - order.aggregate.filledQty;
        if (order.isOpen) order.facts = { ...order.facts, pending: null, updatedAt: t.iso };
        if (order.isOpen && replacement.aggregate.status === 'new' && left > 1e-9) {
          if (Math.abs(left - replacement.aggregate.qty) > 1e-9) {
            replacement.aggregate.amendQty(left, t.ms);
            replacement.facts = { ...replacement.facts, qty: money(left) };
          }
          order.aggregate.end('replace', t.ms, `replaced by ${replacement.id}`);
          order.facts = { ...order.facts, replacedAt: t.iso, replacedBy: replacement.id };
          this.#emit('replaced', order);
          replacement.aggregate.accept(t.ms);
          replacement.facts = { ...replacement.facts, updatedAt: t.iso };
          this.#emit('new', replacement);
          this.#tryFill(replacement);
          return;
        }
        // The old order ended first (filled, expired) or the replacement did (canceled): the replace fails.
        if (order.isOpen) this.#emit('order_replace_rejected', order);
        if (replacement.aggregate.status === 'new') {
          replacement.aggregate.end('reject', t.ms, `the replace of ${order.id} failed: that order ${order.wire().status} first`);
          replacement.facts = { ...replacement.facts, failedAt: t.iso, updatedAt: t.iso };
          this.#emit('rejected', replacement);
        }
        return;
      }
    }
  }

  #cancel(order: FakeOrder): void {
    const t = this.#stamp();
    order.aggregate.end('cancel', t.ms, 'cancel requested');
    order.facts = { ...order.facts, canceledAt: t.iso, updatedAt: t.iso };
    this.#emit('canceled', order);
  }

  /** Books a fill of `signed` shares (negative: sold) at `price` into cash and the position; returns the position after it. */
  #book(symbol: string, signed: number, price: number): number {
    const position = this.#positions.get(symbol) ?? { assetId: this.#assetId(symbol), qty: 0, costBasis: 0 };
    if (position.qty === 0 || Math.sign(position.qty) === Math.sign(signed)) {
      position.costBasis += signed * price;
      position.qty += signed;
    } else {
      const closing = Math.min(Math.abs(signed), Math.abs(position.qty));
      const avg = position.costBasis / position.qty;
      position.qty += Math.sign(signed) * closing;
      position.costBasis = position.qty * avg;
      const opening = Math.abs(signed) - closing;
      if (opening > 0) {
        position.qty += Math.sign(signed) * opening;
        position.costBasis = position.qty * price;
      }
    }
    if (Math.abs(position.qty) < 1e-9) this.#positions.delete(symbol);
    else this.#positions.set(symbol, position);
    this.#cash -= signed * price;
    return position.qty;
  }

  /** Fills `qty` (capped at what remains) of `order` at `price`; emits `partial_fill` or `fill`. */
  #fill(order: FakeOrder, price: number, qty: number): void {
    const aggregate = order.aggregate;
    const ordered = aggregate.qty;
    const done = aggregate.filledQty;
    const take = Math.min(qty, ordered - done);
    if (!(take > 0)) return;
    const positionQty = this.#book(aggregate.symbol, aggregate.side === 'buy' ? take : -take, price);
    const t = this.#stamp();
    const complete = done + take >= ordered - 1e-9;
    aggregate.apply({ kind: complete ? 'fill' : 'partial_fill', clientOrderId: aggregate.clientOrderId, time: t.ms, qty: take, price, commission: 0 });
    order.facts = { ...order.facts, updatedAt: t.iso, ...(complete ? { filledAt: t.iso } : {}) };
    this.#emit(complete ? 'fill' : 'partial_fill', order, { price, qty: take, positionQty });
  }

  /** Working (`new` or later, so never `pending_new`), open, and not held back by `stallPartialFills`. */
  #isFillable(order: FakeOrder): boolean {
    return order.isOpen && order.aggregate.status !== 'new' && !(this.#stallPartials && order.aggregate.filledQty > 0);
  }

  /** A trade at the last price: fills what it reaches (in `bar` mode nothing fills on a trade). */
  #tryFill(order: FakeOrder): void {
    if (this.#fillOn === 'bar' || !this.#isFillable(order)) return;
    const { symbol, side, type, limitPrice, stopPrice } = order.aggregate;
    const price = this.#prices.get(symbol);
    if (price === undefined) return;
    const buy = side === 'buy';
    const cap = this.#maxFillQty ?? Infinity;
    if (type === 'market') this.#fill(order, price, cap);
    else if (type === 'limit' && limitPrice !== undefined) {
      if (buy ? price <= limitPrice : price >= limitPrice) this.#fill(order, price, cap);
    } else if (type === 'stop' && stopPrice !== undefined) {
      if (isTriggeredStop(order) || (buy ? price >= stopPrice : price <= stopPrice)) this.#fill(order, price, cap);
    }
  }

  /**
   * A bar: market orders (and stops already triggered) at the open; limits and stops at the
   * better of the open and their price when the range reaches it.
   */
  #fillAgainstBar(order: FakeOrder, bar: OhlcvValues): void {
    if (!this.#isFillable(order)) return;
    const { side, type, limitPrice, stopPrice } = order.aggregate;
    const buy = side === 'buy';
    const cap = this.#barParticipation === undefined ? Infinity : Math.floor(bar.volume * this.#barParticipation);
    if (type === 'market') this.#fill(order, bar.open, cap);
    else if (type === 'limit' && limitPrice !== undefined) {
      if (buy ? bar.low <= limitPrice : bar.high >= limitPrice) this.#fill(order, buy ? Math.min(bar.open, limitPrice) : Math.max(bar.open, limitPrice), cap);
    } else if (type === 'stop' && stopPrice !== undefined) {
      if (isTriggeredStop(order)) this.#fill(order, bar.open, cap);
      else if (buy ? bar.high >= stopPrice : bar.low <= stopPrice) this.#fill(order, buy ? Math.max(bar.open, stopPrice) : Math.min(bar.open, stopPrice), cap);
    }
  }
}

/** A stop that has started filling was triggered: the rest is a market order. */
function isTriggeredStop(order: FakeOrder): boolean {
  return order.aggregate.type === 'stop' && order.aggregate.filledQty > 0;
}

/** Alpaca's 404 for an unknown order id or client order id. */
function orderNotFound(): FakeHttpFailure {
  return new FakeHttpFailure(404, 40410000, 'order not found');
}
