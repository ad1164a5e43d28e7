import type { DecisionEvent, EpochMs, Fill, Order, OrderEventRecord, OrderEventRecordKind, OrderRequest, OrderUpdate } from '@quantbot/core';
import { finiteOrNull, formatIsoTime, orderEventRecordJson } from '@quantbot/core';

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
 * Where a {@link RunRecorder} hands its journal as it goes, as JSON Lines text (each record's
 * line exactly as the run folder's file holds it), instead of keeping the records.
 */
export interface RunJournalSink {
  /** Whole lines of `decision_events.jsonl`, in order, each ending in `\n`. */
  decisions(text: string): void;
  /** Whole lines of `orders.jsonl`, in order, each ending in `\n`. */
  orders(text: string): void;
}

/** Options of {@link RunRecorder}. */
export interface RunRecorderOptions {
  /**
   * Hand the journal to `sink` as JSON Lines, in pieces of 256 lines (small strings, which the young generation reclaims without touching new memory)
   * (the rest on `flush`), and keep no records: a long backtest then never holds its journal
   * as objects. `decisions` and `orders` stay empty.
   */
  readonly sink?: RunJournalSink;
}

/** Lines per piece a recorder with a sink hands over. */
const JOURNAL_PIECE_LINES = 256;

/**
 * Records what a session decided and what happened to its orders, as the run artifacts'
 * `decision_events.jsonl` and `orders.jsonl` records. One sequence number orders every record,
 * so a replay interleaves decisions, order steps and fills exactly as they happened. Give one
 * to `runBacktest` (`recorder`) to keep a journal; without one, nothing is recorded and the
 * hot loop pays nothing. With a `sink`, the records are written out as JSON Lines as they come
 * (`JSON.stringify` of each decision, `orderEventRecordJson` of each order record: the text a
 * run folder holds) instead of being kept; call `flush` after the run.
 *
 * The recorder keeps no book of its own: an order's symbol, side, type and quantity are read
 * from the `Order` aggregate the trading core holds for it.
 */
export class RunRecorder {
  /** Every decision, in order (empty with a sink). */
  readonly decisions: DecisionEvent[] = [];
  /** Every order record, in order (empty with a sink). */
  readonly orders: OrderEventRecord[] = [];
  #seq = 0;
  readonly #sink: RunJournalSink | undefined;
  #decisionLines: string[] = [];
  #orderLines: string[] = [];

  constructor(options: RunRecorderOptions = {}) {
    this.#sink = options.sink;
  }

  /** Hands the lines not yet handed over to the sink (no-op without one). Call once the run is over. */
  flush(): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    if (this.#decisionLines.length > 0) sink.decisions(this.#decisionLines.join(''));
    if (this.#orderLines.length > 0) sink.orders(this.#orderLines.join(''));
    this.#decisionLines = [];
    this.#orderLines = [];
  }

  #decision(record: DecisionEvent): void {
    const sink = this.#sink;
    if (sink === undefined) {
      this.decisions.push(record);
      return;
    }
    const lines = this.#decisionLines;
    lines.push(JSON.stringify(record), '\n');
    if (lines.length >= 2 * JOURNAL_PIECE_LINES) {
      sink.decisions(lines.join(''));
      this.#decisionLines = [];
    }
  }

  #order(record: OrderEventRecord): void {
    const sink = this.#sink;
    if (sink === undefined) {
      this.orders.push(record);
      return;
    }
    const lines = this.#orderLines;
    lines.push(orderEventRecordJson(record), '\n');
    if (lines.length >= 2 * JOURNAL_PIECE_LINES) {
      sink.orders(lines.join(''));
      this.#orderLines = [];
    }
  }

  /** A strategy's new order, before the gateway judges it. */
  submitDecision(request: OrderRequest, inputs: DecisionInputs): void {
    this.#decision({
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
    this.#decision({
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
    this.#order({
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

