import type { DecisionEvent, EpochMs, Fill, Order, OrderEventRecord, OrderEventRecordKind, OrderRequest, OrderUpdate } from '@quantbot/core';
import { finiteOrNull, formatIsoTime } from '@quantbot/core';

/** The bar and the book a decision was made on. */
export interface DecisionInputs {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly position: number;
  readonly cash: number;
  readonly equity: number;
  /** The strategy's own inputs (indicator values), from `Strategy.describeInputs`. */
  readonly strategy: Readonly<Record<string, number>> | undefined;
}

/**
 * Records what a session decided and what happened to its orders, as the run artifacts'
 * `decision_events.jsonl` and `orders.jsonl` records. One sequence number orders every record,
 * so a replay interleaves decisions, order steps and fills exactly as they happened. Give one
 * to `runBacktest` (`recorder`) to keep a journal; without one, nothing is recorded and the
 * hot loop pays nothing.
 *
 * The recorder keeps no book of its own: an order's symbol, side, type and quantity are read
 * from the `Order` aggregate the trading core holds for it.
 */
export class RunRecorder {
  readonly decisions: DecisionEvent[] = [];
  readonly orders: OrderEventRecord[] = [];
  #seq = 0;

  /** A strategy's new order, before the gateway judges it. */
  submitDecision(request: OrderRequest, inputs: DecisionInputs): void {
    this.decisions.push({
      seq: ++this.#seq,
      time: formatIsoTime(request.decidedAt),
      symbol: request.symbol,
      action: 'submit',
      clientOrderId: request.clientOrderId,
      side: request.side,
      type: request.type,
      qty: request.qty,
      limitPrice: request.limitPrice ?? null,
      stopPrice: request.stopPrice ?? null,
      inputs: flattenInputs(inputs),
    });
  }

  /** A strategy's cancel or replace of the working order `order`. */
  changeDecision(action: 'cancel' | 'replace', time: EpochMs, order: Order, changes: { qty?: number; limitPrice?: number; stopPrice?: number }, inputs: DecisionInputs): void {
    this.decisions.push({
      seq: ++this.#seq,
      time: formatIsoTime(time),
      symbol: order.symbol,
      action,
      clientOrderId: order.clientOrderId,
      side: order.side,
      type: order.type,
      qty: changes.qty ?? null,
      limitPrice: changes.limitPrice ?? null,
      stopPrice: changes.stopPrice ?? null,
      inputs: flattenInputs(inputs),
    });
  }

  /** The order went to the broker. */
  submitted(order: Order): void {
    this.#push(order, order.request.decidedAt, 'submitted', 0, null, null, null, null);
  }

  /** The session refused the order before the broker saw it (risk gateway, sizing). */
  refused(order: Order, reason: string): void {
    this.#push(order, order.request.decidedAt, 'rejected', 0, null, null, null, reason);
  }

  /** A broker's status report, once `order` has taken it in. Fills are recorded from `fill`, not from their status. */
  update(update: OrderUpdate, order: Order): void {
    const status = update.status;
    if (status === 'filled' || status === 'partially_filled' || status === 'new') return;
    this.#push(order, update.time, status, update.filledQty, null, null, null, update.reason ?? null);
  }

  /**
   * A fill, once `order` (when the session follows it) has taken it in: `filled` when it
   * completes the order, `partially-filled` otherwise.
   */
  fill(fill: Fill, order: Order | undefined): void {
    if (order === undefined) {
      this.#record(fill.clientOrderId, fill.symbol, fill.side, 'market', fill.qty, fill.time, 'filled', fill.qty, fill.qty, fill.price, fill.commission, null);
      return;
    }
    const kind: OrderEventRecordKind = order.filledQty < order.qty ? 'partially-filled' : 'filled';
    this.#push(order, fill.time, kind, order.filledQty, fill.qty, fill.price, fill.commission, null);
  }

  #push(
    order: Order,
    time: number,
    event: OrderEventRecordKind,
    filledQty: number,
    fillQty: number | null,
    fillPrice: number | null,
    commission: number | null,
    reason: string | null,
  ): void {
    this.#record(order.clientOrderId, order.symbol, order.side, order.type, order.qty, time, event, filledQty, fillQty, fillPrice, commission, reason);
  }

  #record(
    clientOrderId: string,
    symbol: string,
    side: string,
    type: string,
    qty: number,
    time: number,
    event: OrderEventRecordKind,
    filledQty: number,
    fillQty: number | null,
    fillPrice: number | null,
    commission: number | null,
    reason: string | null,
  ): void {
    this.orders.push({
      seq: ++this.#seq,
      time: formatIsoTime(time),
      symbol,
      clientOrderId,
      event,
      side,
      type,
      qty,
      filledQty,
      fillQty,
      fillPrice,
      commission,
      reason,
    });
  }
}

function flattenInputs(inputs: DecisionInputs): { readonly [key: string]: number | null } {
  const out: Record<string, number | null> = {
    open: finiteOrNull(inputs.open),
    high: finiteOrNull(inputs.high),
    low: finiteOrNull(inputs.low),
    close: finiteOrNull(inputs.close),
    volume: finiteOrNull(inputs.volume),
    position: inputs.position,
    cash: finiteOrNull(inputs.cash),
    equity: finiteOrNull(inputs.equity),
  };
  const strategy = inputs.strategy;
  if (strategy !== undefined) {
    // Own keys in the order Object.entries gives them; each record key built once per name.
    for (const key in strategy) {
      if (Object.hasOwn(strategy, key)) out[strategyKey(key)] = finiteOrNull(strategy[key] as number);
    }
  }
  return out;
}

/** `strategy.<key>`, built once per key name (the same few names come with every decision). */
const STRATEGY_KEYS = new Map<string, string>();

function strategyKey(key: string): string {
  let named = STRATEGY_KEYS.get(key);
  if (named === undefined) {
    named = `strategy.${key}`;
    // Bounded: a strategy naming its inputs anew on every bar gets no cache, only the same keys.
    if (STRATEGY_KEYS.size < 1024) STRATEGY_KEYS.set(key, named);
  }
  return named;
}

