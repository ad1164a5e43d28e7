import type { BarUniverse, Broker, BrokerEventSink, ClientOrderId, EpochMs, OrderChanges, OrderRequest } from '@quantbot/core';
import { Order, epochMs } from '@quantbot/core';
import type { FeeModel } from './execution-models';
import { FeeScheduleModel } from './execution-models';
import { bpsFeeSchedule } from './fee-model';
import { SeenOrderIds } from './seen-order-ids';
import { SubmissionCash } from './submission-cash';

// Other packages' values that the order path calls, bound once at load: a read through a package's
// exports is not inlined by the JIT (docs/development.md, "Rules the code keeps").
const OrderAggregate = Order;

/** What a simulated broker needs to know of the account to check buying power at the fill. */
export interface CashAccount {
  readonly cash: number;
  qty(symbolIndex: number): number;
}

/** Options of {@link NextOpenFillBroker}. */
export interface NextOpenFillBrokerOptions {
  /** The fee model in place of `commissionBps` basis points of notional (which is then unused). */
  readonly fees?: FeeModel;
}

interface WorkingOrder {
  readonly order: Order;
  readonly symbolIndex: number;
  readonly isBuy: boolean;
}

/**
 * The next-open fill model: the simple fill model of a first backtest, kept as the reference the
 * execution simulator's `idealistic` profile must reproduce exactly. A market order decided on
 * bar t's close is accepted at once and fills in full at the open of the symbol's next bar.
 * Buying power is checked twice, as established event-driven backtesters do: when the order is
 * submitted, against the signal bar's close (quantity × close + commission must not exceed the
 * cash left after the orders already submitted at this bar; see `SubmissionCash`), and at
 * the fill, with the fill price and its commission. Failing either rejects the order whole; it
 * is never partly invented. Selling short needs no margin in this model beyond paying the
 * commission. Only market orders are accepted.
 *
 * Each order is an `Order` aggregate (its state changes only through its events); commissions
 * come from the same fee model as the simulator's (a `FeeScheduleModel` of `commissionBps`
 * basis points), or from the `FeeModel` given as `options.fees`. Fills are not slipped: the
 * next open is the price.
 */
export class NextOpenFillBroker implements Broker {
  readonly #universe: BarUniverse;
  readonly #fees: FeeModel;
  #account: CashAccount | undefined;
  #sink: BrokerEventSink | undefined;
  readonly #symbolIndex: ReadonlyMap<string, number>;
  readonly #seenIds = new SeenOrderIds();
  #working: WorkingOrder[] = [];
  #spare: WorkingOrder[] = [];
  #lastTime: EpochMs = epochMs(Number.NEGATIVE_INFINITY);
  /** The step of the last `processBar`: the bar whose close orders submitted now are decided on. */
  #step = -1;
  readonly #submissionCash = new SubmissionCash();

  /** `commissionBps`: commission on each fill in basis points of its notional (unless `options.fees` replaces it). */
  constructor(universe: BarUniverse, commissionBps: number, options: NextOpenFillBrokerOptions = {}) {
    this.#universe = universe;
    this.#fees = options.fees ?? new FeeScheduleModel(bpsFeeSchedule(commissionBps));
    this.#symbolIndex = new Map(universe.symbols.map((s, i) => [s as string, i]));
  }

  /** Connects the account to check and the sink that hears about order updates and fills. */
  connect(account: CashAccount, sink: BrokerEventSink): void {
    this.#account = account;
    this.#sink = sink;
  }

  submit(request: OrderRequest): void {
    this.#lastTime = request.decidedAt;
    // Idempotent client order ids: a resubmission of a known id creates nothing.
    if (!this.#seenIds.add(request.clientOrderId)) return;
    const order = OrderAggregate.create(request);
    const symbolIndex = this.#symbolIndex.get(request.symbol);
    const reason =
      symbolIndex === undefined
        ? `unknown symbol ${request.symbol}`
        : request.type !== 'market'
          ? `order type '${request.type}' is not supported by the next-open fill model`
          : !Number.isInteger(request.qty) || request.qty <= 0
            ? `quantity must be a positive whole number, got ${request.qty}`
            : this.#unaffordableAtSubmission(request, symbolIndex as number);
    if (reason !== undefined || symbolIndex === undefined) {
      this.#end(order, 'reject', request.decidedAt, reason);
      return;
    }
    this.#working.push({ order, symbolIndex, isBuy: request.side === 'buy' });
    order.accept(request.decidedAt);
    this.#requireSink().onOrderUpdate(order.toUpdate());
  }

  cancel(clientOrderId: ClientOrderId): void {
    const at = this.#working.findIndex((w) => w.order.clientOrderId === clientOrderId);
    if (at < 0) return;
    const [w] = this.#working.splice(at, 1);
    if (w !== undefined) this.#end(w.order, 'cancel', this.#lastTime, 'canceled by client');
  }

  replace(clientOrderId: ClientOrderId, changes: OrderChanges): void {
    const at = this.#working.findIndex((w) => w.order.clientOrderId === clientOrderId);
    if (at < 0) return;
    const [w] = this.#working.splice(at, 1);
    if (w === undefined) return;
    this.#end(w.order, 'replace', this.#lastTime, `replaced by ${changes.newClientOrderId}`);
    const request = w.order.request;
    this.submit({ ...request, clientOrderId: changes.newClientOrderId, qty: changes.qty ?? request.qty, decidedAt: this.#lastTime });
  }

  /**
   * Fills working orders at the open of step `step`, in submission order. Orders for a symbol
   * with no bar at this step keep working.
   */
  processBar(step: number): void {
    this.#step = step;
    if (this.#working.length === 0) return;
    const sink = this.#requireSink();
    const account = this.#account as CashAccount;
    const u = this.#universe;
    const time = u.time[step] as EpochMs;
    this.#lastTime = time;
    // Two arrays swapped each call: orders that keep working move to the spare one.
    const pending = this.#working;
    const stillWorking = this.#spare;
    stillWorking.length = 0;
    this.#working = stillWorking;
    this.#spare = pending;
    for (const w of pending) {
      const at = w.symbolIndex * u.length + step;
      if (u.hasBar[at] !== 1) {
        stillWorking.push(w);
        continue;
      }
      const order = w.order;
      const qty = order.qty;
      const price = u.open[at] as number;
      // cash − value − commission < 0: the same operations, in the same order, as established
      // event-driven backtesters, so results agree to the last bit.
      const fees = this.#fees;
      const commission = fees.feeDue(fees.rawFee(qty, price), 0);
      const cashAfter = w.isBuy ? account.cash - qty * price - commission : account.cash - commission;
      if (cashAfter < 0) {
        const needs = w.isBuy ? qty * price + commission : commission;
        this.#end(order, 'reject', time, `insufficient buying power: needs ${needs.toFixed(2)}, cash ${account.cash.toFixed(2)}`);
        continue;
      }
      sink.onFill({ clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, qty, price, commission, time });
      order.fill(qty, price, commission, time);
      sink.onOrderUpdate(order.toUpdate());
    }
  }

  /** Cancels every working order (at the end of the data), reporting each with `reason`. */
  cancelAll(reason: string): void {
    const pending = this.#working;
    this.#working = [];
    for (const w of pending) this.#end(w.order, 'cancel', this.#lastTime, reason);
  }

  /** The submission check of buying power (undefined: affordable, or no bar to price it on). */
  #unaffordableAtSubmission(request: OrderRequest, symbolIndex: number): string | undefined {
    const u = this.#universe;
    const step = this.#step;
    if (step < 0 || this.#account === undefined) return undefined;
    const at = symbolIndex * u.length + step;
    if (u.hasBar[at] !== 1) return undefined;
    const fees = this.#fees;
    const close = u.close[at] as number;
    const commission = fees.feeDue(fees.rawFee(request.qty, close), 0);
    return this.#submissionCash.check(step, this.#account.cash, request.side === 'buy', request.qty, close, commission);
  }

  #end(order: Order, kind: 'cancel' | 'reject' | 'replace', time: EpochMs, reason: string | undefined): void {
    order.end(kind, time, reason);
    this.#requireSink().onOrderUpdate(order.toUpdate());
  }

  #requireSink(): BrokerEventSink {
    if (this.#sink === undefined) throw new Error('NextOpenFillBroker used before connect()');
    return this.#sink;
  }
}
