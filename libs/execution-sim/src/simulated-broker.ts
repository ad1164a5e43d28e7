import type {
  BarUniverse,
  Broker,
  BrokerEventSink,
  ClientOrderId,
  EpochMs,
  OrderChanges,
  OrderRequest,
  OrderSide,
  OrderType,
} from '@quantbot/core';
import { ConfigError, Order, SeededRng, clientOrderId } from '@quantbot/core';
import type { ExecutionProfile } from './execution-profile';
import type { ExecutionModels, FeeModel, FillModel, LatencyModel, SlippageModel } from './execution-models';
import { executionModelsFor } from './execution-models';
import { SeenOrderIds } from './seen-order-ids';
import { SubmissionCash } from './submission-cash';

// Other packages' values that the order path calls, bound once at load: a read through a package's
// exports is not inlined by the JIT (docs/development.md, "Rules the code keeps").
const OrderAggregate = Order;
const toClientOrderId = clientOrderId;

/** Up to this many symbols, the volume used per bar is cleared by a loop rather than by `fill`. */
const SMALL_FILL = 64;

/** What the simulator needs to know of the account to check buying power at a fill. */
export interface SimulatedAccount {
  readonly cash: number;
}

/**
 * One order inside the simulator: the `Order` aggregate (its state, quantities, commissions;
 * changed only by applying events) and the matching engine's working facts about it.
 */
interface SimOrder {
  readonly order: Order;
  readonly id: ClientOrderId;
  readonly symbolIndex: number;
  readonly isBuy: boolean;
  /** `market`, `limit`, `stop` or `stop_limit`; a bracket's entry is market or limit. */
  readonly type: Exclude<OrderType, 'bracket'>;
  /** Working prices, NaN when absent (the simulator never amends them: a replace is a new order). */
  readonly limitPrice: number;
  readonly stopPrice: number;
  isTriggered: boolean;
  /** Time at which it reaches the broker: decision + latency. */
  readonly arrivesAt: number;
  /** First step on which it may fill (a bracket leg: the bar after its entry filled). */
  readonly activeFromStep: number;
  /** The step on which a day order expires (its first eligible step), else -1. */
  expiresAfterStep: number;
  /** Raw fees of the fills so far (before the minimum); what was charged is the aggregate's `commission`. */
  feeRaw: number;
  /** A bracket's entry: its request's take-profit and stop-loss prices become the legs. */
  readonly isBracket: boolean;
  sibling: SimOrder | undefined;
  isTakeProfit: boolean;
}

/** Options of a simulated broker. */
export interface SimulatedBrokerOptions {
  readonly universe: BarUniverse;
  readonly profile: ExecutionProfile;
  /** Seed of the liquidity-reject draws (the generator every model's `rng` draws from). */
  readonly seed: number;
  /**
   * Models replacing the profile's own (see `executionModelsFor`): e.g. `{ slippage }` prices
   * taking fills with a custom slippage model and keeps the profile's fees, latency and fill rules.
   */
  readonly models?: Partial<ExecutionModels>;
}

/**
 * The execution simulator: a `Broker` that fills orders against OHLCV bars under an
 * `ExecutionProfile`, its costs priced by pluggable models (`options.models`, see
 * `ExecutionModels`; the profile's own by default). Market, limit, stop, stop-limit and bracket
 * orders; `day` and `gtc`; cancel and replace; idempotent client order ids; partial fills under a
 * volume-participation cap; slippage and square-root impact; fees with a per-order minimum;
 * latency; seeded liquidity rejects. Fill rules (see docs/execution.md):
 *
 * - market: the open of the first bar after arrival, slipped against the order;
 * - limit (buy; sells mirror): the open if it is at or below the limit, else the limit if the
 *   low reaches it (`touch`) or trades below it (`through`); no slippage;
 * - stop (buy): triggers when the high reaches the stop; fills at the open when the bar gaps
 *   through the stop (gap risk), else at the stop, slipped;
 * - stop-limit: triggers like a stop, then fills as a limit; when it triggers inside the bar it
 *   fills at the stop only if that is within the limit;
 * - bracket: the entry (market, or limit if `limitPrice` is set); once it has filled, a
 *   take-profit limit and a stop-loss stop for the filled quantity work from the next bar and
 *   cancel each other; a bar that touches both resolves by the profile's intrabar path.
 *
 * It answers synchronously: commands queue, `processBar` reports fills and order updates to the
 * sink in the same call stack. No fill is ever priced outside the bar's high–low range.
 */
export class SimulatedBroker implements Broker {
  readonly profile: ExecutionProfile;
  /** The models fills are priced and limited by: the profile's, with any `options.models` in their place. */
  readonly models: ExecutionModels;
  readonly #fees: FeeModel;
  readonly #slippage: SlippageModel;
  readonly #latency: LatencyModel;
  readonly #fill: FillModel;
  readonly #u: BarUniverse;
  readonly #rng: SeededRng;
  readonly #symbolIndex: ReadonlyMap<string, number>;
  readonly #seenIds = new SeenOrderIds();
  readonly #usedVolume: Float64Array;
  /**
   * The orders, in submission order, in the first `#orderCount` slots (the slots after them are
   * cleared, not cut off: the array keeps its capacity instead of being regrown for every order).
   */
  readonly #orders: (SimOrder | undefined)[] = [];
  #orderCount = 0;
  #account: SimulatedAccount | undefined;
  #sink: BrokerEventSink | undefined;
  #step = -1;
  #now = Number.NEGATIVE_INFINITY;
  readonly #submissionCash = new SubmissionCash();

  constructor(options: SimulatedBrokerOptions) {
    this.profile = options.profile;
    const models = executionModelsFor(options.profile, options.models);
    this.models = models;
    this.#fees = models.fees;
    this.#slippage = models.slippage;
    this.#latency = models.latency;
    this.#fill = models.fill;
    this.#u = options.universe;
    this.#rng = new SeededRng(options.seed);
    this.#symbolIndex = new Map(options.universe.symbols.map((s, i) => [s as string, i]));
    this.#usedVolume = new Float64Array(options.universe.symbols.length);
  }

  /** Connects the account checked for buying power and the sink that hears about orders and fills. */
  connect(account: SimulatedAccount, sink: BrokerEventSink): void {
    this.#account = account;
    this.#sink = sink;
  }

  /** Orders not yet in a final state. */
  get openOrderCount(): number {
    let open = 0;
    for (let i = 0; i < this.#orderCount; i++) if (!(this.#orders[i] as SimOrder).order.isTerminal) open++;
    return open;
  }

  submit(order: OrderRequest): void {
    // Idempotent client order ids: a known id creates nothing.
    if (!this.#seenIds.add(order.clientOrderId)) return;
    this.#now = Math.max(this.#now, order.decidedAt);
    const s = this.#symbolIndex.get(order.symbol) ?? -1;
    const reason = this.#validate(order, s);
    const arrivesAt = this.#latency.arrivalTime(order);
    if (!(arrivesAt >= order.decidedAt)) {
      throw new ConfigError('models.latency', `arrival time ${arrivesAt} of ${order.clientOrderId} is before its decision time ${order.decidedAt}`);
    }
    const isBracket = order.type === 'bracket';
    const sim: SimOrder = {
      order: OrderAggregate.create(order),
      id: order.clientOrderId,
      symbolIndex: s,
      isBuy: order.side === 'buy',
      type: isBracket ? (order.limitPrice !== undefined ? 'limit' : 'market') : (order.type as Exclude<OrderType, 'bracket'>),
      limitPrice: order.limitPrice ?? NaN,
      stopPrice: order.stopPrice ?? NaN,
      isTriggered: false,
      arrivesAt,
      activeFromStep: 0,
      expiresAfterStep: -1,
      feeRaw: 0,
      isBracket,
      sibling: undefined,
      isTakeProfit: false,
    };
    const rejection = reason ?? (sim.type === 'market' ? this.#unaffordableAtSubmission(order, s) : undefined);
    if (rejection !== undefined) {
      this.#transition(sim, 'reject', order.decidedAt, rejection);
      return;
    }
    this.#add(sim);
  }

  cancel(id: ClientOrderId): void {
    const order = this.#findOpen(id);
    if (order === undefined) return;
    this.#end(order, 'cancel', this.#now, 'canceled by client');
  }

  replace(id: ClientOrderId, changes: OrderChanges): void {
    const sim = this.#findOpen(id);
    if (sim === undefined || sim.order.parentId !== undefined) return;
    const order = sim.order;
    const qty = changes.qty ?? order.qty;
    if (!(qty > order.filledQty)) return;
    this.#end(sim, 'replace', this.#now, `replaced by ${changes.newClientOrderId}`);
    this.submit({
      clientOrderId: changes.newClientOrderId,
      symbol: order.symbol,
      side: order.side,
      type: sim.type,
      qty: qty - order.filledQty,
      timeInForce: order.timeInForce,
      decidedAt: this.#now as EpochMs,
      ...(Number.isNaN(changes.limitPrice ?? sim.limitPrice) ? {} : { limitPrice: changes.limitPrice ?? sim.limitPrice }),
      ...(Number.isNaN(changes.stopPrice ?? sim.stopPrice) ? {} : { stopPrice: changes.stopPrice ?? sim.stopPrice }),
    });
  }

  /**
   * Works every open order against bar `step` (in the order they were submitted), then expires
   * the day orders whose session it was.
   */
  processBar(step: number): void {
    const u = this.#u;
    const time = u.time[step] as number;
    this.#step = step;
    this.#now = time;
    if (this.#orderCount === 0) return;
    // A loop for a few symbols: `fill` is a call into the runtime, which costs more than the stores.
    const used = this.#usedVolume;
    if (used.length <= SMALL_FILL) for (let s = 0; s < used.length; s++) used[s] = 0;
    else used.fill(0);
    // Orders added while this bar is worked (bracket legs, replacements) start on a later bar.
    const orders = this.#orders;
    const count = this.#orderCount;
    for (let i = 0; i < count; i++) {
      const order = orders[i] as SimOrder;
      const state = order.order;
      if (state.isTerminal) continue;
      if (state.status === 'new') {
        if (!(time > state.request.decidedAt && time >= order.arrivesAt)) continue;
        if (this.#fill.rejectsOnArrival(state.request, this.#rng)) {
          this.#transition(order, 'reject', order.arrivesAt, 'liquidity: no counterparty at arrival (simulated)');
          continue;
        }
        this.#transition(order, 'accept', order.arrivesAt);
        if (state.timeInForce === 'day') order.expiresAfterStep = step;
      }
      if (step < order.activeFromStep) continue;
      const at = order.symbolIndex * u.length + step;
      if (u.hasBar[at] === 1) {
        const sibling = order.sibling;
        if (sibling !== undefined && !sibling.order.isTerminal && this.#legOrder(order, step, at) === 'sibling-first') {
          this.#work(sibling, step, at);
          if (!state.isTerminal) this.#work(order, step, at);
        } else {
          this.#work(order, step, at);
        }
      }
      if (order.expiresAfterStep === step && !state.isTerminal) {
        this.#end(order, 'expire', time, 'day order: session ended');
      }
    }
    // Compact in place: no new array per bar.
    const total = this.#orderCount;
    let kept = 0;
    for (let i = 0; i < total; i++) {
      const order = orders[i] as SimOrder;
      if (!order.order.isTerminal) orders[kept++] = order;
    }
    for (let i = kept; i < total; i++) orders[i] = undefined;
    this.#orderCount = kept;
  }

  /** Cancels every open order (at the end of the data), reporting each with `reason`. */
  cancelAll(reason: string): void {
    // The live length: canceling a partly filled bracket entry opens its legs, which end here too.
    for (let i = 0; i < this.#orderCount; i++) {
      const order = this.#orders[i] as SimOrder;
      if (!order.order.isTerminal) this.#end(order, 'cancel', this.#now, reason);
    }
    this.#orders.length = 0;
    this.#orderCount = 0;
  }

  /** Appends an order to the book. */
  #add(order: SimOrder): void {
    if (this.#orderCount < this.#orders.length) this.#orders[this.#orderCount] = order;
    else this.#orders.push(order);
    this.#orderCount++;
  }

  /** The order `id` if it has not ended (ended orders stay listed until the bar is done). */
  #findOpen(id: ClientOrderId): SimOrder | undefined {
    for (let i = 0; i < this.#orderCount; i++) {
      const o = this.#orders[i] as SimOrder;
      if (o.id === id && !o.order.isTerminal) return o;
    }
    return undefined;
  }

  /** The submission check of a market order's buying power at the signal bar's close (see `SubmissionCash`). */
  #unaffordableAtSubmission(order: OrderRequest, symbolIndex: number): string | undefined {
    const u = this.#u;
    const step = this.#step;
    if (step < 0 || this.#account === undefined) return undefined;
    const at = symbolIndex * u.length + step;
    if (u.hasBar[at] !== 1) return undefined;
    const close = u.close[at] as number;
    const commission = this.#fees.feeDue(this.#fees.rawFee(order.qty, close), 0);
    return this.#submissionCash.check(step, this.#account.cash, order.side === 'buy', order.qty, close, commission);
  }

  /** Why `order` (for symbol index `s`, -1 when unknown) cannot be accepted, or undefined. */
  #validate(order: OrderRequest, s: number): string | undefined {
    if (s < 0) return `unknown symbol ${order.symbol}`;
    if (!Number.isInteger(order.qty) || order.qty <= 0) return `quantity must be a positive whole number, got ${order.qty}`;
    const needsLimit = order.type === 'limit' || order.type === 'stop_limit';
    const needsStop = order.type === 'stop' || order.type === 'stop_limit';
    if (needsLimit && !(order.limitPrice !== undefined && order.limitPrice > 0)) return `${order.type} order needs a positive limit price`;
    if (needsStop && !(order.stopPrice !== undefined && order.stopPrice > 0)) return `${order.type} order needs a positive stop price`;
    if (order.type === 'bracket') {
      const tp = order.takeProfitPrice;
      const sl = order.stopLossPrice;
      if (tp === undefined || sl === undefined || !(tp > 0) || !(sl > 0)) return 'bracket order needs positive take-profit and stop-loss prices';
      if (order.side === 'buy' ? !(tp > sl) : !(tp < sl)) return `bracket ${order.side}: take-profit ${tp} must be on the profitable side of stop-loss ${sl}`;
    }
    return undefined;
  }

  /** For a bracket leg whose sibling also works: which of the two this bar reaches first. */
  #legOrder(order: SimOrder, step: number, at: number): 'this-first' | 'sibling-first' {
    const sibling = order.sibling as SimOrder;
    const thisTouched = this.#reaches(order, at);
    const siblingTouched = this.#reaches(sibling, at);
    if (!siblingTouched) return 'this-first';
    if (!thisTouched) return 'sibling-first';
    const stopLeg = order.isTakeProfit ? sibling : order;
    const stopFirst = this.#fill.isStopFirst(this.#u, order.symbolIndex, step, stopLeg.isBuy);
    return (stopFirst ? stopLeg : order.isTakeProfit ? order : sibling) === order ? 'this-first' : 'sibling-first';
  }

  /** Whether bar `at` reaches the price at which `order` would fill or trigger. */
  #reaches(order: SimOrder, at: number): boolean {
    const u = this.#u;
    const high = u.high[at] as number;
    const low = u.low[at] as number;
    if (order.type === 'limit') return order.isBuy ? low <= order.limitPrice : high >= order.limitPrice;
    if (order.type === 'stop') return order.isBuy ? high >= order.stopPrice : low <= order.stopPrice;
    return true;
  }

  /** Tries to fill `order` on bar `at` of step `step`. */
  #work(order: SimOrder, step: number, at: number): void {
    const u = this.#u;
    const open = u.open[at] as number;
    const high = u.high[at] as number;
    const low = u.low[at] as number;
    const isBuy = order.isBuy;
    const fill = this.#fill;
    let price = NaN;
    let isTaking = false;

    switch (order.type) {
      case 'market':
        price = open;
        isTaking = true;
        break;
      case 'limit':
        price = fill.limitFillPrice(isBuy, order.limitPrice, open, high, low);
        break;
      case 'stop':
        // Once triggered, a stop is a market order: what a participation cap left unfilled
        // takes the next bars' opens.
        if (order.isTriggered || (isBuy ? open >= order.stopPrice : open <= order.stopPrice)) price = open;
        else if (isBuy ? high >= order.stopPrice : low <= order.stopPrice) price = order.stopPrice;
        if (!Number.isNaN(price)) order.isTriggered = true;
        isTaking = true;
        break;
      case 'stop_limit':
        if (!order.isTriggered) {
          if (isBuy ? open >= order.stopPrice : open <= order.stopPrice) {
            order.isTriggered = true;
            price = fill.limitFillPrice(isBuy, order.limitPrice, open, high, low);
          } else if (isBuy ? high >= order.stopPrice : low <= order.stopPrice) {
            order.isTriggered = true;
            // Triggered inside the bar at the stop: fills there only if the stop is within the limit.
            if (isBuy ? order.stopPrice <= order.limitPrice : order.stopPrice >= order.limitPrice) price = order.stopPrice;
          }
        } else {
          price = fill.limitFillPrice(isBuy, order.limitPrice, open, high, low);
        }
        break;
    }
    if (Number.isNaN(price)) return;

    const state = order.order;
    let qty = state.qty - state.filledQty;
    const capacity = fill.barCapacity(u, order.symbolIndex, step);
    if (capacity !== Number.POSITIVE_INFINITY) {
      const room = capacity - (this.#usedVolume[order.symbolIndex] as number);
      qty = Math.min(qty, Math.max(0, room));
    }
    if (qty <= 0) return;
    if (isTaking) {
      const slipped = this.#slippage.fillPrice(price, isBuy, qty, u, order.symbolIndex, step);
      // Whatever the model says, no fill prints outside what traded.
      if (slipped !== price) price = Math.min(high, Math.max(low, slipped));
    }

    const fees = this.#fees;
    const raw = order.feeRaw + fees.rawFee(qty, price);
    const fee = fees.feeDue(raw, state.commission);
    const account = this.#account as SimulatedAccount;
    const cashAfter = isBuy ? account.cash - qty * price - fee : account.cash - fee;
    if (cashAfter < 0) {
      const needs = isBuy ? qty * price + fee : fee;
      const reason = `insufficient buying power: needs ${needs.toFixed(2)}, cash ${account.cash.toFixed(2)}`;
      if (state.filledQty === 0) this.#end(order, 'reject', this.#now, reason);
      else this.#end(order, 'cancel', this.#now, reason);
      return;
    }
    order.feeRaw = raw;
    this.#usedVolume[order.symbolIndex] = (this.#usedVolume[order.symbolIndex] as number) + qty;
    const sink = this.#requireSink();
    sink.onFill({
      clientOrderId: order.id,
      symbol: state.symbol,
      side: state.side,
      qty,
      price,
      commission: fee,
      time: this.#now as EpochMs,
      parentId: state.parentId,
    });
    state.fill(qty, price, fee, this.#now);
    sink.onOrderUpdate(state.toUpdate());
    const isDone = state.isTerminal;

    const sibling = order.sibling;
    if (sibling !== undefined && !sibling.order.isTerminal) {
      // One-cancels-other: the other leg shrinks with every fill, and ends when this one does.
      const leg = sibling.order;
      const legQty = Math.max(leg.filledQty, leg.qty - qty);
      if (legQty !== leg.qty) leg.amendQty(legQty, this.#now);
      if (isDone || leg.qty <= leg.filledQty) this.#end(sibling, 'cancel', this.#now, `oco: ${order.isTakeProfit ? 'take-profit' : 'stop-loss'} ${order.id} filled`);
    }
    if (isDone && order.isBracket) this.#openLegs(order, step);
  }

  /** Creates a filled bracket entry's take-profit and stop-loss, working from the next bar. */
  #openLegs(entry: SimOrder, step: number): void {
    const exitSide: OrderSide = entry.isBuy ? 'sell' : 'buy';
    const make = (suffix: string, type: 'limit' | 'stop', price: number, isTakeProfit: boolean): SimOrder => {
      const id = toClientOrderId(`${entry.id}.${suffix}`);
      const request: OrderRequest = {
        clientOrderId: id,
        symbol: entry.order.symbol,
        side: exitSide,
        type,
        qty: entry.order.filledQty,
        timeInForce: 'gtc',
        decidedAt: this.#now as EpochMs,
        ...(type === 'limit' ? { limitPrice: price } : { stopPrice: price }),
      };
      return {
        order: OrderAggregate.create(request, { parentId: entry.id }),
        id,
        symbolIndex: entry.symbolIndex,
        isBuy: !entry.isBuy,
        type,
        limitPrice: type === 'limit' ? price : NaN,
        stopPrice: type === 'stop' ? price : NaN,
        isTriggered: false,
        arrivesAt: this.#now,
        activeFromStep: step + 1,
        expiresAfterStep: -1,
        feeRaw: 0,
        isBracket: false,
        sibling: undefined,
        isTakeProfit,
      };
    };
    // Validated at submission: a bracket has both prices.
    const tp = make('tp', 'limit', entry.order.request.takeProfitPrice as number, true);
    const sl = make('sl', 'stop', entry.order.request.stopLossPrice as number, false);
    tp.sibling = sl;
    sl.sibling = tp;
    for (const leg of [tp, sl]) {
      this.#seenIds.add(leg.id);
      this.#add(leg);
      this.#transition(leg, 'accept', this.#now);
    }
  }

  /** Ends an order early (cancel, expire, reject, replace); a partly filled bracket entry still gets its legs. */
  #end(order: SimOrder, event: 'cancel' | 'expire' | 'reject' | 'replace', time: number, reason: string): void {
    this.#transition(order, event, time, reason);
    if (order.order.filledQty > 0 && order.isBracket) this.#openLegs(order, this.#step);
    if (order.sibling !== undefined && !order.sibling.order.isTerminal && event !== 'replace') {
      this.#transition(order.sibling, 'cancel', time, `oco: ${order.id} ended`);
    }
  }

  /** Applies an accept or an ending event to the order's aggregate and reports the order as it now stands. */
  #transition(order: SimOrder, event: 'accept' | 'cancel' | 'expire' | 'reject' | 'replace', time: number, reason?: string): void {
    if (event === 'accept') order.order.accept(time);
    else order.order.end(event, time, reason);
    this.#requireSink().onOrderUpdate(order.order.toUpdate());
  }

  #requireSink(): BrokerEventSink {
    if (this.#sink === undefined) throw new Error('SimulatedBroker used before connect()');
    return this.#sink;
  }
}
