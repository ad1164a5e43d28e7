import type { Fail, InputObject, InputSource } from './input-reader';
import { describeValue, failureFor, fieldPath, isInputObject, readArray, readNullableNumber, readNumber, readObject, rejectUnknownKeys } from './input-reader';

/** One paper-trading day to record. */
export interface PaperDayInput {
  /** The trading date, `YYYY-MM-DD` (a real calendar date). */
  readonly date: string;
  /** Profit and loss of the day, in account currency. */
  readonly dailyPnl: number;
  /** Execution quality score, 0 to 100. */
  readonly qualityScore: number;
  /** Average slippage against the arrival price, in basis points; negative is price improvement. */
  readonly averageSlippageBps: number;
  /** Filled / ordered quantity, 0 to 1. */
  readonly fillRate: number;
  /** Drawdown from the equity peak at the day's close, in percent, ≥ 0. */
  readonly drawdownPct: number;
  /** Equity at the close, when known (≥ 0). */
  readonly equity: number | null;
}

/** The fields of a paper day, for messages and flag mapping. */
export const PAPER_DAY_FIELDS: readonly string[] = Object.freeze(['date', 'dailyPnl', 'qualityScore', 'averageSlippageBps', 'fillRate', 'drawdownPct', 'equity']);

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * Checks paper-trading days given as one day object, an array of them, or `{ days: [...] }`.
 * A day is `{ date, dailyPnl, qualityScore, averageSlippageBps, fillRate, drawdownPct, equity? }`;
 * unknown fields, impossible dates and a date given twice are refused. Throws a `ConfigError` (or
 * `DataError` with `source.file`) naming the field (`days[3].fillRate`).
 */
export function parsePaperDays(value: unknown, source: InputSource = {}): readonly PaperDayInput[] {
  const fail = failureFor(source);
  let items: readonly unknown[];
  let parent: string;
  if (Array.isArray(value)) {
    items = value;
    parent = '';
  } else if (isInputObject(value) && value['days'] !== undefined) {
    rejectUnknownKeys(value, ['days'], '', fail);
    items = readArray(value['days'], 'days', fail);
    parent = 'days';
  } else {
    return Object.freeze([readPaperDay(value, '', fail)]);
  }
  if (items.length === 0) fail(parent === '' ? 'days' : parent, 'must hold at least one day');
  const days = items.map((item, i) => readPaperDay(item, parent === '' ? `[${i}]` : fieldPath(parent, i), fail));
  const seen = new Map<string, number>();
  days.forEach((day, i) => {
    const first = seen.get(day.date);
    if (first !== undefined) fail(parent === '' ? `[${i}].date` : `${fieldPath(parent, i)}.date`, `${day.date} is given twice (also day #${first + 1})`);
    seen.set(day.date, i);
  });
  return Object.freeze(days);
}

/** True when `text` is a real calendar date written `YYYY-MM-DD`. */
export function isCalendarDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const back = new Date(time);
  return back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day;
}

/** Calendar days from date `a` to date `b` (both `YYYY-MM-DD`): 1 for consecutive dates, 3 for Friday → Monday. */
export function calendarDaysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/**
 * The trading days of an exchange, as the paper-days rules need them: structurally the
 * `ExchangeCalendar` of `@quantbot/data-quality` (whose `NYSE_CALENDAR` the registry uses by
 * default). Days are named by epoch ms at 00:00 UTC of the date.
 */
export interface TradingCalendar {
  /** A short, stable name for messages (`NYSE`). */
  readonly name: string;
  /** Whether the exchange holds a regular session on the UTC day containing `dayStartUtcMs`. */
  isSession(dayStartUtcMs: number): boolean;
}

/** The longest run of closed days searched when looking for the previous session (no exchange closes a month). */
const MAX_CLOSED_DAYS = 31;

/** Epoch ms at 00:00 UTC of a `YYYY-MM-DD` date. */
export function dateStartUtc(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** Whether `date` (`YYYY-MM-DD`) is a trading day of `calendar`. */
export function isTradingDay(calendar: TradingCalendar, date: string): boolean {
  return calendar.isSession(dateStartUtc(date));
}

/** The last session of `calendar` before `date` (`YYYY-MM-DD`), or null when none lies within a month. */
export function previousTradingDay(calendar: TradingCalendar, date: string): string | null {
  let t = dateStartUtc(date);
  for (let i = 0; i < MAX_CLOSED_DAYS; i++) {
    t -= DAY_MS;
    if (calendar.isSession(t)) return new Date(t).toISOString().slice(0, 10);
  }
  return null;
}

/**
 * The latest run of consecutive trading days of `calendar`: walking back from the last recorded
 * date, a day belongs to the run while it is the exchange's previous session of the next
 * recorded day (a missed session ends the run; weekends and holidays do not). Takes days in any
 * order; returns them sorted by date (empty for no days).
 *
 * @example with NYSE_CALENDAR: Wed 2024-07-03, Fri 2024-07-05 → one run of 2 (July 4 is a holiday); Mon, Wed → a run of 1
 */
export function latestPaperStreak<T extends { readonly date: string }>(days: readonly T[], calendar: TradingCalendar): readonly T[] {
  const sorted = [...days].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  let start = sorted.length - 1;
  while (start > 0 && previousTradingDay(calendar, (sorted[start] as T).date) === (sorted[start - 1] as T).date) start--;
  return Object.freeze(sorted.slice(Math.max(start, 0)));
}

function readPaperDay(value: unknown, path: string, fail: Fail): PaperDayInput {
  const day: InputObject = readObject(value, path === '' ? 'day' : path, fail);
  rejectUnknownKeys(day, PAPER_DAY_FIELDS, path, fail);
  const date = day['date'];
  if (typeof date !== 'string' || !isCalendarDate(date)) fail(fieldPath(path, 'date'), `must be a calendar date YYYY-MM-DD, got ${describeValue(date)}`);
  return Object.freeze({
    date: date as string,
    dailyPnl: readNumber(day, 'dailyPnl', path, fail),
    qualityScore: readNumber(day, 'qualityScore', path, fail, { min: 0, max: 100 }),
    averageSlippageBps: readNumber(day, 'averageSlippageBps', path, fail),
    fillRate: readNumber(day, 'fillRate', path, fail, { min: 0, max: 1 }),
    drawdownPct: readNumber(day, 'drawdownPct', path, fail, { min: 0, max: 100 }),
    equity: readNullableNumber(day, 'equity', path, fail, { min: 0 }),
  });
}
