import type { ClientOrderId, EpochMs, Fill, OrderRequest, OrderUpdate } from '@quantbot/core';
import { finiteOrNull, formatIsoTime } from '@quantbot/core';
import type { DecisionEvent, OrderEvent, OrderEventKind } from '@quantbot/observability';

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

interface OrderFacts {
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  qty: number;
}

/**
 * Records what a session decided and what happened to its orders, as the run artifacts'
 * `decision_events.jsonl` and `orders.jsonl` records. One sequence number orders every record,
 * so a replay interleaves decisions, order steps and fills exactly as they happened. Give one
 * to `runBacktest` (`recorder`) to keep a journal; without one, nothing is recorded and the
 * hot loop pays nothing.
 */
export class RunRecorder {
  readonly decisions: DecisionEvent[] = [];
  readonly orders: OrderEvent[] = [];
  readonly #facts = new Map<string, OrderFacts>();
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

  /** A strategy's cancel or replace of a working order. */
  changeDecision(action: 'cancel' | 'replace', time: EpochMs, id: ClientOrderId, changes: { qty?: number; limitPrice?: number; stopPrice?: number }, inputs: DecisionInputs): void {
    const facts = this.#facts.get(id);
    this.decisions.push({
      seq: ++this.#seq,
      time: formatIsoTime(time),
      symbol: facts?.symbol ?? '',
      action,
      clientOrderId: id,
      side: facts?.side ?? null,
      type: facts?.type ?? null,
      qty: changes.qty ?? null,
      limitPrice: changes.limitPrice ?? null,
      stopPrice: changes.stopPrice ?? null,
      inputs: flattenInputs(inputs),
    });
  }

  /** The order went to the broker. */
  submitted(request: OrderRequest): void {
    this.#facts.set(request.clientOrderId, { symbol: request.symbol, side: request.side, type: request.type, qty: request.qty });
    this.#push(request.clientOrderId, request.decidedAt, 'submitted', 0, null, null, null, null);
  }

  /** The session refused the order before the broker saw it (risk gateway, sizing). */
  refused(request: OrderRequest, reason: string): void {
    this.#facts.set(request.clientOrderId, { symbol: request.symbol, side: request.side, type: request.type, qty: request.qty });
    this.#push(request.clientOrderId, request.decidedAt, 'rejected', 0, null, null, null, reason);
  }

  /** A replacement order the broker will accept under a new id. */
  replacing(oldId: ClientOrderId, newId: ClientOrderId, qty: number | undefined): void {
    const facts = this.#facts.get(oldId);
    if (facts !== undefined) this.#facts.set(newId, { ...facts, qty: qty ?? facts.qty });
  }

  /** A broker's status report. Fills are recorded from `fill`, not from their status. */
  update(update: OrderUpdate): void {
    const status = update.status;
    if (status === 'filled' || status === 'partially_filled' || status === 'new') return;
    let facts = this.#facts.get(update.clientOrderId);
    if (facts === undefined) {
      // A bracket leg the broker created.
      facts = { symbol: update.symbol, side: update.side, type: update.stopPrice !== undefined ? 'stop' : 'limit', qty: update.qty };
      this.#facts.set(update.clientOrderId, facts);
    }
    facts.qty = update.qty;
    this.#push(update.clientOrderId, update.time, status, update.filledQty, null, null, null, update.reason ?? null);
  }

  /** A fill: `filled` when it completes the order, `partially-filled` otherwise. */
  fill(fill: Fill, filledQty: number): void {
    const facts = this.#facts.get(fill.clientOrderId);
    const kind: OrderEventKind = facts !== undefined && filledQty < facts.qty ? 'partially-filled' : 'filled';
    if (facts === undefined) this.#facts.set(fill.clientOrderId, { symbol: fill.symbol, side: fill.side, type: 'market', qty: fill.qty });
    this.#push(fill.clientOrderId, fill.time, kind, filledQty, fill.qty, fill.price, fill.commission, null);
  }

  #push(
    id: ClientOrderId,
    time: number,
    event: OrderEventKind,
    filledQty: number,
    fillQty: number | null,
    fillPrice: number | null,
    commission: number | null,
    reason: string | null,
  ): void {
    const facts = this.#facts.get(id) as OrderFacts;
    this.orders.push({
      seq: ++this.#seq,
      time: formatIsoTime(time),
      symbol: facts.symbol,
      clientOrderId: id,
      event,
      side: facts.side,
      type: facts.type,
      qty: facts.qty,
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
  for (const [key, value] of Object.entries(inputs.strategy ?? {})) out[`strategy.${key}`] = finiteOrNull(value);
  return out;
}

