import type { JsonValue } from '@quantbot/core';
import { ConfigError, DataError } from '@quantbot/core';
import type { DecisionEvent, OrderEventRecord, OrderEventRecordKind } from './run-records';

/** What a replay line shows: a strategy decision, an order lifecycle step, or a fill. */
export type ReplayEntryKind = 'decision' | 'order' | 'fill';

/** One line of a replay. */
export interface ReplayEntry {
  readonly kind: ReplayEntryKind;
  /** The record's ISO 8601 time. */
  readonly time: string;
  readonly seq: number;
  readonly symbol: string;
  readonly clientOrderId: string;
  /**
   * What happened, in one line, without the time, symbol and order id (which
   * {@link formatReplay} puts in columns): `submit buy 10 market | close=101.5 sma20=99.8`,
   * `rejected sell 5 limit: insufficient-position`, `filled buy 10 @ 101.6 (10/10) commission=1`.
   */
  readonly text: string;
  readonly record: DecisionEvent | OrderEventRecord;
}

/** The records a replay reads (a `RunData` from `readRun` fits). */
export interface ReplaySource {
  readonly decisions: readonly DecisionEvent[];
  readonly orders: readonly OrderEventRecord[];
}

/** Which entries to keep; every filter given must match. */
export interface ReplayFilter {
  /** Only this symbol (case-insensitive). */
  readonly symbol?: string;
  /** Only entries of this UTC date, `YYYY-MM-DD`. */
  readonly date?: string;
  /** Only problems: rejected, canceled and expired order events, and anything with a reason. */
  readonly errorsOnly?: boolean;
  /** Keep the first this many entries after filtering (a positive integer). */
  readonly limit?: number;
}

const ERROR_EVENTS: ReadonlySet<OrderEventRecordKind> = new Set<OrderEventRecordKind>(['rejected', 'canceled', 'expired']);
const FILL_EVENTS: ReadonlySet<OrderEventRecordKind> = new Set<OrderEventRecordKind>(['filled', 'partially-filled']);
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Merges a run's decisions and order events into one timeline, in time order and then by `seq`
 * (global across a run, so ties replay exactly as they happened), and applies `filter`.
 *
 * Throws a `ConfigError` naming `date` for a date that is not a real `YYYY-MM-DD` day,
 * naming `limit` for a limit that is not a positive integer, and a `DataError` for a record
 * whose time is not ISO 8601.
 *
 * @example
 * const run = readRun('results/runs', runId);
 * process.stdout.write(formatReplay(replayEvents(run, { symbol: 'ORCL', errorsOnly: true, limit: 20 })));
 */
export function replayEvents(run: ReplaySource, filter: ReplayFilter = {}): ReplayEntry[] {
  const { date, limit } = filter;
  if (date !== undefined && !isCalendarDate(date)) {
    throw new ConfigError('date', `'${date}' is not a date; use YYYY-MM-DD (UTC), such as 2024-01-02`);
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new ConfigError('limit', `${limit} is not a positive integer`);
  }
  const symbol = filter.symbol?.toUpperCase();
  const timed: { readonly entry: ReplayEntry; readonly ms: number }[] = [];
  const add = (entry: ReplayEntry): void => {
    const ms = Date.parse(entry.time);
    if (!Number.isFinite(ms)) throw new DataError(`record ${entry.seq}: '${entry.time}' is not an ISO 8601 time`, { field: 'time', symbol: entry.symbol });
    if (symbol !== undefined && entry.symbol.toUpperCase() !== symbol) return;
    if (date !== undefined && new Date(ms).toISOString().slice(0, 10) !== date) return;
    if (filter.errorsOnly === true && !isProblem(entry)) return;
    timed.push({ entry, ms });
  };
  for (const decision of run.decisions) add(decisionEntry(decision));
  for (const order of run.orders) add(orderEntry(order));
  timed.sort((a, b) => a.ms - b.ms || a.entry.seq - b.entry.seq);
  const entries = timed.map((item) => item.entry);
  return limit === undefined ? entries : entries.slice(0, limit);
}

/**
 * Formats entries as aligned columns, one line each (`time  seq  kind  symbol  order  what`),
 * ending with a newline; `''` for no entries.
 *
 * @example
 * // 2024-01-02T00:00:00.000Z  12  decision  ORCL  c-7  submit buy 10 market | close=101.5
 * // 2024-01-02T00:00:00.000Z  13  order     ORCL  c-7  submitted buy 10 market
 */
export function formatReplay(entries: readonly ReplayEntry[]): string {
  if (entries.length === 0) return '';
  const seqs = entries.map((entry) => String(entry.seq));
  const width = (values: readonly string[]): number => values.reduce((max, value) => Math.max(max, value.length), 0);
  const timeWidth = width(entries.map((entry) => entry.time));
  const seqWidth = width(seqs);
  const kindWidth = width(entries.map((entry) => entry.kind));
  const symbolWidth = width(entries.map((entry) => entry.symbol));
  const orderWidth = width(entries.map((entry) => entry.clientOrderId));
  const lines = entries.map((entry, i) =>
    [
      entry.time.padEnd(timeWidth),
      (seqs[i] as string).padStart(seqWidth),
      entry.kind.padEnd(kindWidth),
      entry.symbol.padEnd(symbolWidth),
      entry.clientOrderId.padEnd(orderWidth),
      entry.text,
    ]
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

function decisionEntry(decision: DecisionEvent): ReplayEntry {
  const order = [decision.action, decision.side, decision.qty, decision.type]
    .filter((part) => part !== null)
    .map(String)
    .join(' ');
  const prices = [
    decision.limitPrice === null ? '' : ` limit=${decision.limitPrice}`,
    decision.stopPrice === null ? '' : ` stop=${decision.stopPrice}`,
  ].join('');
  const inputs = Object.entries(decision.inputs ?? {}).map(([key, value]) => `${key}=${formatInput(value)}`);
  return {
    kind: 'decision',
    time: decision.time,
    seq: decision.seq,
    symbol: decision.symbol,
    clientOrderId: decision.clientOrderId,
    text: `${order}${prices}${inputs.length === 0 ? '' : ` | ${inputs.join(' ')}`}`,
    record: decision,
  };
}

function orderEntry(order: OrderEventRecord): ReplayEntry {
  const isFill = FILL_EVENTS.has(order.event);
  const text = isFill
    ? [
        `${order.event} ${order.side} ${formatNumber(order.fillQty)} @ ${formatNumber(order.fillPrice)} (${order.filledQty}/${order.qty})`,
        order.commission === null ? '' : ` commission=${order.commission}`,
      ].join('')
    : [
        `${order.event} ${order.side} ${order.qty} ${order.type}`,
        order.filledQty > 0 ? ` (filled ${order.filledQty}/${order.qty})` : '',
        order.reason === null ? '' : `: ${order.reason}`,
      ].join('');
  return {
    kind: isFill ? 'fill' : 'order',
    time: order.time,
    seq: order.seq,
    symbol: order.symbol,
    clientOrderId: order.clientOrderId,
    text,
    record: order,
  };
}

function isProblem(entry: ReplayEntry): boolean {
  const record = entry.record;
  if ('event' in record && ERROR_EVENTS.has(record.event)) return true;
  return 'reason' in record && record.reason !== null && record.reason !== undefined;
}

function isCalendarDate(text: string): boolean {
  if (!DATE_PATTERN.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00.000Z`);
  // Date.parse accepts 2023-02-30 in some engines; the round trip catches it.
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

function formatInput(value: JsonValue): string {
  if (typeof value === 'string') return /^[^\s"'=|]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

function formatNumber(value: number | null): string {
  return value === null ? '?' : String(value);
}
