import { createHash } from 'node:crypto';
import type { JsonValue } from '@quantbot/core';
import { canonicalJson } from '@quantbot/core';
import type { LiveAuditRecord, LiveFillRecord, LiveOrderRecord, LiveStateStore } from './live-state';

/** The regular session's last minute bar starts at 15:59 New York. */
const LAST_MINUTE_OF_SESSION = 15 * 60 + 59;

const NEW_YORK_PARTS = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** The New York date (`YYYY-MM-DD`) and minute of the day of an instant (epoch ms). */
export function newYorkDay(timeMs: number): { readonly date: string; readonly minuteOfDay: number } {
  const parts: Record<string, string> = {};
  for (const part of NEW_YORK_PARTS.formatToParts(new Date(timeMs))) parts[part.type] = part.value;
  return { date: `${parts['year']}-${parts['month']}-${parts['day']}`, minuteOfDay: Number(parts['hour']) * 60 + Number(parts['minute']) };
}

/** Whether a minute bar starting at `timeMs` is the regular session's last (15:59 New York) or later. */
export function isSessionCloseBar(timeMs: number): boolean {
  return newYorkDay(timeMs).minuteOfDay >= LAST_MINUTE_OF_SESSION;
}

/** A session's journal for one New York day: the orders decided that day, the fills and audit entries of the day. */
export interface TradingDayJournal {
  readonly sessionId: string;
  readonly date: string;
  readonly orders: readonly LiveOrderRecord[];
  readonly fills: readonly LiveFillRecord[];
  readonly audit: readonly LiveAuditRecord[];
}

/**
 * Reads a session's journal for New York day `date` from the state store: orders by their
 * decision time, fills and audit entries by their time. Orders sorted by client order id, fills by
 * fill key, audit entries as stored (their order is the chain's).
 */
export async function readTradingDayJournal(store: LiveStateStore, sessionId: string, date: string): Promise<TradingDayJournal> {
  const inDay = (time: number): boolean => newYorkDay(time).date === date;
  // The New York day lies within the UTC day and the next (UTC−4 or −5): only those rows are read.
  const fromMs = Date.parse(`${date}T00:00:00Z`);
  const window = { fromMs, toMs: fromMs + 2 * 86_400_000 };
  const orders = (await store.orders(sessionId, window)).filter((o) => inDay(o.decidedAt)).sort((a, b) => compare(a.clientOrderId, b.clientOrderId));
  const fills = (await store.fills(sessionId, window)).filter((f) => inDay(f.time)).sort((a, b) => compare(a.fillKey, b.fillKey));
  const audit = (await store.audit(sessionId, window)).filter((a) => inDay(a.time));
  return Object.freeze({ sessionId, date, orders: Object.freeze(orders), fills: Object.freeze(fills), audit: Object.freeze(audit) });
}

/**
 * Hex SHA-256 of a day's journal: the canonical JSON of `{ sessionId, date, orders, fills, audit }`
 * as {@link readTradingDayJournal} reads them. A recorded trading day carries it, so the day can be
 * re-checked against the state store later: any order, fill or audit entry of the day edited,
 * added or removed changes it.
 */
export function tradingDayJournalDigest(journal: TradingDayJournal): string {
  const document = {
    sessionId: journal.sessionId,
    date: journal.date,
    orders: journal.orders as unknown as JsonValue,
    fills: journal.fills as unknown as JsonValue,
    audit: journal.audit as unknown as JsonValue,
  };
  return createHash('sha256').update(canonicalJson(document), 'utf8').digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
