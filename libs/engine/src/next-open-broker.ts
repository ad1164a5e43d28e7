import type { BarUniverse, Broker, BrokerEventSink, ClientOrderId, EpochMs, OrderChanges, OrderRequest, OrderStatus } from '@quantbot/core';
import { epochMs } from '@quantbot/core';

/** What a simulated broker needs to know of the account to check buying power at the fill. */
export interface CashAccount {
  readonly cash: number;
  qty(symbolIndex: number): number;
}

interface WorkingOrder {
  readonly order: OrderRequest;
  readonly symbolIndex: number;
  readonly signedQty: number;
}

/**
 * The simple fill model of a first backtest, kept as the reference the execution simulator's
 * `idealistic` profile must reproduce exactly: a market order decided on bar t's close fills in
 * full at the open of the symbol's next bar. Buying power is checked at the fill, with the fill
 * price and its commission: an order that cannot be paid is rejected whole, never partly
 * invented. Selling short needs no margin in this model beyond paying the commission. Only
 * market orders are accepted.
 */
export class NextOpenFillBroker implements Broker {
  readonly #universe: BarUniverse;
  readonly #commissionRate: number;
  #account: CashAccount | undefined;
  #sink: BrokerEventSink | undefined;
  readonly #symbolIndex: ReadonlyMap<string, number>;
  readonly #seenIds = new Set<string>();
  #working: WorkingOrder[] = [];
  #spare: WorkingOrder[] = [];
  #lastTime: EpochMs = epochMs(Number.NEGATIVE_INFINITY);

  /** `commissionBps`: commission on each fill in basis points of its notional. */
  constructor(universe: BarUniverse, commissionBps: number) {
    this.#universe = universe;
    this.#commissionRate = commissionBps / 10_000;
    this.#symbolIndex = new Map(universe.symbols.map((s, i) => [s as string, i]));
  }

  /** Connects the account to check and the sink that hears about order updates and fills. */
  connect(account: CashAccount, sink: BrokerEventSink): void {
    this.#account = account;
    this.#sink = sink;
  }

  submit(order: OrderRequest): void {
    this.#lastTime = order.decidedAt;
    // Idempotent client order ids: a resubmission of a known id creates nothing.
    if (this.#seenIds.has(order.clientOrderId)) return;
    this.#seenIds.add(order.clientOrderId);
    const symbolIndex = this.#symbolIndex.get(order.symbol);
    const reason =
      symbolIndex === undefined
        ? `unknown symbol ${order.symbol}`
        : order.type !== 'market'
          ? `order type '${order.type}' is not supported by the next-open fill model`
          : !Number.isInteger(order.qty) || order.qty <= 0
            ? `quantity must be a positive whole number, got ${order.qty}`
            : undefined;
    if (reason !== undefined || symbolIndex === undefined) {
      this.#update(order, 'rejected', order.decidedAt, 0, reason);
      return;
    }
    this.#working.push({ order, symbolIndex, signedQty: order.side === 'buy' ? order.qty : -order.qty });
    this.#update(order, 'accepted', order.decidedAt, 0);
  }

  cancel(clientOrderId: ClientOrderId): void {
    const at = this.#working.findIndex((w) => w.order.clientOrderId === clientOrderId);
    if (at < 0) return;
    const [w] = this.#working.splice(at, 1);
    if (w !== undefined) this.#update(w.order, 'canceled', this.#lastTime, 0, 'canceled by client');
  }

  replace(clientOrderId: ClientOrderId, changes: OrderChanges): void {
    const at = this.#working.findIndex((w) => w.order.clientOrderId === clientOrderId);
    if (at < 0) return;
    const [w] = this.#working.splice(at, 1);
    if (w === undefined) return;
    this.#update(w.order, 'replaced', this.#lastTime, 0, `replaced by ${changes.newClientOrderId}`);
    this.submit({ ...w.order, clientOrderId: changes.newClientOrderId, qty: changes.qty ?? w.order.qty, decidedAt: this.#lastTime });
  }

  /**
   * Fills working orders at the open of step `step`, in submission order. Orders for a symbol
   * with no bar at this step keep working.
   */
  processBar(step: number): void {
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
      const price = u.open[at] as number;
      // qty × rate × price, and cash − value − commission < 0: the same operations, in the same
      // order, as established event-driven backtesters, so results agree to the last bit.
      const commission = Math.abs(w.signedQty) * this.#commissionRate * price;
      const isBuy = w.signedQty > 0;
      const cashAfter = isBuy ? account.cash - w.signedQty * price - commission : account.cash - commission;
      if (cashAfter < 0) {
        const needs = isBuy ? w.signedQty * price + commission : commission;
        this.#update(w.order, 'rejected', time, 0, `insufficient buying power: needs ${needs.toFixed(2)}, cash ${account.cash.toFixed(2)}`);
        continue;
      }
      sink.onFill({ clientOrderId: w.order.clientOrderId, symbol: w.order.symbol, side: w.order.side, qty: w.order.qty, price, commission, time });
      this.#update(w.order, 'filled', time, w.order.qty);
    }
  }

  /** Cancels every working order (at the end of the data), reporting each with `reason`. */
  cancelAll(reason: string): void {
    const pending = this.#working;
    this.#working = [];
    for (const w of pending) this.#update(w.order, 'canceled', this.#lastTime, 0, reason);
  }

  #update(order: OrderRequest, status: OrderStatus, time: EpochMs, filledQty: number, reason?: string): void {
    this.#requireSink().onOrderUpdate({
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      status,
      time,
      qty: order.qty,
      filledQty,
      ...(reason !== undefined ? { reason } : {}),
    });
  }

  #requireSink(): BrokerEventSink {
    if (this.#sink === undefined) throw new Error('NextOpenFillBroker used before connect()');
    return this.#sink;
  }
}
