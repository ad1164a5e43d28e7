import type { DecisionEvent, EpochMs, Fill, Order, OrderEventRecord, OrderEventRecordKind, OrderRequest, OrderUpdate } from '@quantbot/core';
import { JsonBytes, finiteOrNull, formatIsoTime } from '@quantbot/core';

// Other packages' values that a journal line calls, bound once at load: a read through a package's
// exports is not inlined by the JIT (docs/development.md, "Rules the code keeps").
const formatTime = formatIsoTime;

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
 * Where a {@link RunRecorder} hands its journal as it goes, as the UTF-8 bytes of JSON Lines
 * (each record's line exactly as the run folder's file holds it), instead of keeping the records.
 * A piece is only valid during the call: the recorder writes its next lines into the same memory,
 * so a sink that keeps the bytes copies them.
 */
export interface RunJournalSink {
  /** Whole lines of `decision_events.jsonl`, in order, each ending in a line feed. */
  decisions(bytes: Uint8Array): void;
  /** Whole lines of `orders.jsonl`, in order, each ending in a line feed. */
  orders(bytes: Uint8Array): void;
}

/** Options of {@link RunRecorder}. */
export interface RunRecorderOptions {
  /**
   * Hand the journal to `sink` as JSON Lines, in pieces of about 32 KiB of whole lines (the rest
   * on `flush`), and keep no records: a long backtest then never holds its journal as objects,
   * nor its lines as strings (they are written straight into bytes). `decisions` and `orders`
   * stay empty.
   */
  readonly sink?: RunJournalSink;
}

/** A recorder with a sink hands a piece over once it holds this many bytes (whole lines). */
const JOURNAL_PIECE_BYTES = 32 << 10;
const LINE_FEED = 10;
const CLOSE = 0x7d;

/**
 * Records what a session decided and what happened to its orders, as the run artifacts'
 * `decision_events.jsonl` and `orders.jsonl` records. One sequence number orders every record,
 * so a replay interleaves decisions, order steps and fills exactly as they happened. Give one
 * to `runBacktest` (`recorder`) to keep a journal; without one, nothing is recorded and the
 * hot loop pays nothing. With a `sink`, the records are written out as JSON Lines as they come
 * instead of being kept, straight into UTF-8 bytes (`JsonBytes`) without making the records or
 * their text: the bytes of `JSON.stringify` of each decision and `orderEventRecordJson` of each
 * order record, the text a run folder holds. Call `flush` after the run.
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
  /** The lines not yet handed to the sink (with a sink only). */
  readonly #decisionBytes: JsonBytes | undefined;
  readonly #orderBytes: JsonBytes | undefined;

  constructor(options: RunRecorderOptions = {}) {
    this.#sink = options.sink;
    if (options.sink !== undefined) {
      this.#decisionBytes = new JsonBytes(2 * JOURNAL_PIECE_BYTES);
      this.#orderBytes = new JsonBytes(2 * JOURNAL_PIECE_BYTES);
    }
  }

  /** Hands the lines not yet handed over to the sink (no-op without one). Call once the run is over. */
  flush(): void {
    if (this.#decisionBytes !== undefined) this.#handOver(this.#decisionBytes, 'decisions', 1);
    if (this.#orderBytes !== undefined) this.#handOver(this.#orderBytes, 'orders', 1);
  }

  /** A strategy's new order, before the gateway judges it. */
  submitDecision(request: OrderRequest, inputs: DecisionInputs): void {
    const out = this.#decisionBytes;
    if (out !== undefined) {
      writeDecisionLine(out, ++this.#seq, request.decidedAt, request.symbol, 'submit', request.clientOrderId, request.side, request.type, request.qty, request.limitPrice ?? null, request.stopPrice ?? null, inputs);
      this.#handOver(out, 'decisions', JOURNAL_PIECE_BYTES);
      return;
    }
    this.decisions.push({
      seq: ++this.#seq,
      time: formatTime(request.decidedAt),
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
    const out = this.#decisionBytes;
    if (out !== undefined) {
      writeDecisionLine(out, ++this.#seq, time, order.symbol, action, order.clientOrderId, order.side, order.type, changes.qty ?? null, changes.limitPrice ?? null, changes.stopPrice ?? null, inputs);
      this.#handOver(out, 'decisions', JOURNAL_PIECE_BYTES);
      return;
    }
    this.decisions.push({
      seq: ++this.#seq,
      time: formatTime(time),
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
    const out = this.#orderBytes;
    if (out !== undefined) {
      writeOrderLine(out, ++this.#seq, time, symbol, clientOrderId, event, side, type, qty, filledQty, fillQty, fillPrice, commission, reason);
      this.#handOver(out, 'orders', JOURNAL_PIECE_BYTES);
      return;
    }
    this.orders.push({
      seq: ++this.#seq,
      time: formatTime(time),
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

  /** Hands `out`'s lines to the sink's `to` once they hold `atLeast` bytes (a piece; any on `flush`). */
  #handOver(out: JsonBytes, to: keyof RunJournalSink, atLeast: number): void {
    if (out.length < atLeast) return;
    (this.#sink as RunJournalSink)[to](out.view());
    out.reset();
  }
}

const SEQ = JsonBytes.ascii('{"seq":');
const TIME = JsonBytes.ascii(',"time":');
const SYMBOL = JsonBytes.ascii(',"symbol":');
const ACTION = JsonBytes.ascii(',"action":');
const DECISION_ACTIONS = constantMembers<DecisionEvent['action']>('action', { submit: null, cancel: null, replace: null });
const CLIENT_ORDER_ID = JsonBytes.ascii(',"clientOrderId":');
const SIDE = JsonBytes.ascii(',"side":');
const TYPE = JsonBytes.ascii(',"type":');
const QTY = JsonBytes.ascii(',"qty":');
const LIMIT_PRICE = JsonBytes.ascii(',"limitPrice":');
const STOP_PRICE = JsonBytes.ascii(',"stopPrice":');
const INPUTS_OPEN = JsonBytes.ascii(',"inputs":{"open":');
const INPUTS_HIGH = JsonBytes.ascii(',"high":');
const INPUTS_LOW = JsonBytes.ascii(',"low":');
const INPUTS_CLOSE = JsonBytes.ascii(',"close":');
const INPUTS_VOLUME = JsonBytes.ascii(',"volume":');
const INPUTS_POSITION = JsonBytes.ascii(',"position":');
const INPUTS_CASH = JsonBytes.ascii(',"cash":');
const INPUTS_EQUITY = JsonBytes.ascii(',"equity":');
const EVENT = JsonBytes.ascii(',"event":');
const ORDER_EVENTS = constantMembers<OrderEventRecordKind>('event', {
  submitted: null,
  rejected: null,
  accepted: null,
  'partially-filled': null,
  filled: null,
  canceled: null,
  expired: null,
  replaced: null,
});
const FILLED_QTY = JsonBytes.ascii(',"filledQty":');
const FILL_QTY = JsonBytes.ascii(',"fillQty":');
const FILL_PRICE = JsonBytes.ascii(',"fillPrice":');
const COMMISSION = JsonBytes.ascii(',"commission":');
const REASON = JsonBytes.ascii(',"reason":');

/**
 * The members `,"<key>":"<value>"` of every value of `V` (each key of `values`, which the type
 * makes list them all), made once: the table `constantMember` reads.
 */
function constantMembers<V extends string>(key: string, values: { readonly [value in V]: null }): { readonly [value in V]: Uint8Array } {
  const table = {} as { [value in V]: Uint8Array };
  for (const value of Object.keys(values) as V[]) table[value] = JsonBytes.ascii(`,${JSON.stringify(key)}:${JSON.stringify(value)}`);
  return table;
}

/**
 * A constant member (`,"event":"filled"`) made once for a known value; any other value (a kind
 * a venue added, or not a string at all) written as `JSON.stringify` writes it. Own keys only:
 * a value named like a prototype member (`constructor`) is not in the table.
 */
function constantMember<K extends string>(out: JsonBytes, table: { readonly [value in K]: Uint8Array }, key: Uint8Array, value: unknown): void {
  if (typeof value === 'string' && Object.hasOwn(table, value)) out.fragment(table[value as K]);
  else out.member(key, value);
}

/** `{"seq":…,"time":"…","symbol":…`: how both journals' lines begin. */
function writeHead(out: JsonBytes, seq: number, time: number, symbol: string): void {
  out.fragment(SEQ);
  out.number(seq);
  out.fragment(TIME);
  out.string(formatTime(time));
  out.member(SYMBOL, symbol);
}

/**
 * A line of `decision_events.jsonl`, written straight into bytes: `JSON.stringify` of the
 * {@link DecisionEvent} the recorder without a sink keeps, then a line feed. Each field is
 * written as that record holds it (the prices `?? null`, the bar and book through
 * `finiteOrNull` but the position as it is), so that whatever a strategy written in plain
 * JavaScript puts there (a string, `undefined`), both give the same bytes. A write that throws
 * leaves no part of its line.
 */
function writeDecisionLine(
  out: JsonBytes,
  seq: number,
  time: number,
  symbol: string,
  action: DecisionEvent['action'],
  clientOrderId: string,
  side: string | null,
  type: string | null,
  qty: number | null | undefined,
  limitPrice: number | null,
  stopPrice: number | null,
  inputs: DecisionInputs,
): void {
  const start = out.length;
  try {
    writeHead(out, seq, time, symbol);
    constantMember(out, DECISION_ACTIONS, ACTION, action);
    out.member(CLIENT_ORDER_ID, clientOrderId);
    out.member(SIDE, side);
    out.member(TYPE, type);
    out.member(QTY, qty);
    out.member(LIMIT_PRICE, limitPrice);
    out.member(STOP_PRICE, stopPrice);
    // `finiteOrNull` of each (a number or null), as `flattenInputs` keeps them; the position as it is.
    out.fragment(INPUTS_OPEN);
    out.number(inputs.open);
    out.fragment(INPUTS_HIGH);
    out.number(inputs.high);
    out.fragment(INPUTS_LOW);
    out.number(inputs.low);
    out.fragment(INPUTS_CLOSE);
    out.number(inputs.close);
    out.fragment(INPUTS_VOLUME);
    out.number(inputs.volume);
    out.member(INPUTS_POSITION, inputs.position);
    out.fragment(INPUTS_CASH);
    out.number(inputs.cash);
    out.fragment(INPUTS_EQUITY);
    out.number(inputs.equity);
    const strategy = inputs.strategy;
    if (strategy !== undefined) {
      // The keys in the order `flattenInputs` adds them (all are `strategy.`-prefixed, never index-like).
      for (const key in strategy) {
        if (Object.hasOwn(strategy, key)) {
          out.fragment(strategyKeyBytes(key));
          out.number(strategy[key]);
        }
      }
    }
    out.byte(CLOSE);
    out.byte(CLOSE);
    out.byte(LINE_FEED);
  } catch (error) {
    out.truncate(start);
    throw error;
  }
}

/**
 * A line of `orders.jsonl`, written straight into bytes: `orderEventRecordJson` of the
 * {@link OrderEventRecord} the recorder without a sink keeps (each field as that record holds
 * it), then a line feed. A write that throws leaves no part of its line.
 */
function writeOrderLine(
  out: JsonBytes,
  seq: number,
  time: number,
  symbol: string,
  clientOrderId: string,
  event: OrderEventRecordKind,
  side: string,
  type: string,
  qty: number,
  filledQty: number,
  fillQty: number | null,
  fillPrice: number | null,
  commission: number | null,
  reason: string | null,
): void {
  const start = out.length;
  try {
    writeHead(out, seq, time, symbol);
    out.member(CLIENT_ORDER_ID, clientOrderId);
    constantMember(out, ORDER_EVENTS, EVENT, event);
    out.member(SIDE, side);
    out.member(TYPE, type);
    out.member(QTY, qty);
    out.member(FILLED_QTY, filledQty);
    out.member(FILL_QTY, fillQty);
    out.member(FILL_PRICE, fillPrice);
    out.member(COMMISSION, commission);
    out.member(REASON, reason);
    out.byte(CLOSE);
    out.byte(LINE_FEED);
  } catch (error) {
    out.truncate(start);
    throw error;
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
/** `,"strategy.<key>":` as bytes, built once per key name. */
const STRATEGY_KEY_BYTES = new Map<string, Uint8Array>();
const KEY_ENCODER = new TextEncoder();

function strategyKeyBytes(key: string): Uint8Array {
  let bytes = STRATEGY_KEY_BYTES.get(key);
  if (bytes === undefined) {
    bytes = KEY_ENCODER.encode(`,${JSON.stringify(strategyKey(key))}:`);
    if (STRATEGY_KEY_BYTES.size < 1024) STRATEGY_KEY_BYTES.set(key, bytes);
  }
  return bytes;
}

function strategyKey(key: string): string {
  let named = STRATEGY_KEYS.get(key);
  if (named === undefined) {
    named = `strategy.${key}`;
    // Bounded: a strategy naming its inputs anew on every bar gets no cache, only the same keys.
    if (STRATEGY_KEYS.size < 1024) STRATEGY_KEYS.set(key, named);
  }
  return named;
}

