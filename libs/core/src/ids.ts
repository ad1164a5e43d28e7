import type { CivilDate } from './civil-date';
import { civilFromDays, daysInMonth } from './civil-date';

declare const brand: unique symbol;

/** A nominal type: a `T` that the compiler will not confuse with another `T` of a different brand. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A ticker symbol such as `ORCL`. Upper case, 1 to 32 characters of `A-Z 0-9 . - _ /`. */
export type Ticker = Brand<string, 'Ticker'>;

/** Milliseconds since the Unix epoch, UTC. Daily bars are stamped at 00:00 UTC of their session date. */
export type EpochMs = Brand<number, 'EpochMs'>;

/** An order id chosen by the client; submitting the same id twice must not create two orders. */
export type ClientOrderId = Brand<string, 'ClientOrderId'>;

const TICKER_PATTERN = /^[A-Z0-9][A-Z0-9._\-/]{0,31}$/;

/** Validates and brands a ticker; returns `undefined` when `value` is not a valid ticker. */
export function parseTicker(value: string): Ticker | undefined {
  return TICKER_PATTERN.test(value) ? (value as Ticker) : undefined;
}

/** Brands a ticker, throwing a `TypeError` when it is not valid (for literals in code and tests). */
export function ticker(value: string): Ticker {
  const parsed = parseTicker(value);
  if (parsed === undefined) throw new TypeError(`invalid ticker '${value}'`);
  return parsed;
}

/** Brands a number of milliseconds since the epoch. */
export function epochMs(value: number): EpochMs {
  return value as EpochMs;
}

/** Brands a client order id. */
export function clientOrderId(value: string): ClientOrderId {
  return value as ClientOrderId;
}

const DAY_MS = 86_400_000;
/** The largest time a `Date` holds (ECMAScript's time value range). */
const MAX_TIME = 8.64e15;
/** The date `datePart` computed last (reused: no object per call). */
const civil: CivilDate = { year: 0, month: 0, day: 0 };
/** The last day formatted and its date part (`1995-01-03T`): intraday bars share a day. */
let cachedDay = Number.NaN;
let cachedDatePart = '';
/** The day numbers of the first and last day of the last month formatted, and its `YYYY-MM-` (daily bars share a month). */
let monthFirstDay = Number.NaN;
let monthLastDay = Number.NaN;
let monthPart = '';
/** `DDT` of each day of a month, `01T` to `31T`. */
const DAY_PARTS: readonly string[] = Array.from({ length: 31 }, (_, i) => `${i < 9 ? '0' : ''}${i + 1}T`);
/** "00" to "99" and "000" to "999". */
const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** The last time formatted and its text, and the one before. */
let cachedTime = Number.NaN;
let cachedText = '';
let previousTime = Number.NaN;
let previousText = '';

/**
 * Formats an epoch time as ISO 8601 (`1995-01-03T00:00:00.000Z`), exactly as
 * `Date.prototype.toISOString` does (and throwing its `RangeError` for an invalid time), several
 * times faster on series: the calendar date is computed by arithmetic (days to civil date,
 * years 0000 to 9999; others go through `Date`), and once per day for intraday bars.
 */
export function formatIsoTime(time: EpochMs | number): string {
  // Records of one bar share its time, and a session's records alternate between two times (an
  // order decided at one bar's close is accepted then and fills at the next bar): the texts of the
  // last two times are reused as they are.
  if (time === cachedTime) return cachedText;
  if (time === previousTime) return previousText;
  const text = formatIsoTimeUncached(time);
  previousTime = cachedTime;
  previousText = cachedText;
  cachedTime = time;
  cachedText = text;
  return text;
}

function formatIsoTimeUncached(time: number): string {
  if (!Number.isInteger(time) || time > MAX_TIME || time < -MAX_TIME) return new Date(time).toISOString();
  const day = Math.floor(time / DAY_MS);
  if (day !== cachedDay) {
    cachedDatePart = day >= monthFirstDay && day <= monthLastDay ? `${monthPart}${DAY_PARTS[day - monthFirstDay] as string}` : datePart(day);
    cachedDay = day;
  }
  let ms = time - day * DAY_MS;
  if (ms === 0) return `${cachedDatePart}00:00:00.000Z`;
  // Digits from tables, not from numbers: a string made of a number stays alive in V8's
  // number-to-string cache through young collections (see docs/benchmarks.md).
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = Math.floor(ms / 1000);
  ms -= s * 1000;
  return `${cachedDatePart}${TWO_DIGITS[h] as string}:${TWO_DIGITS[m] as string}:${TWO_DIGITS[s] as string}.${THREE_DIGITS[ms] as string}Z`;
}

/**
 * `YYYY-MM-DDT` of a day number (days since 1970-01-01), by `civilFromDays`; remembers
 * the month (years 0000 to 9999) so the other days of it are a table lookup.
 */
function datePart(day: number): string {
  const { year: y, month: m, day: d } = civilFromDays(day, civil);
  if (y < 0 || y > 9999) {
    const iso = new Date(day * DAY_MS).toISOString();
    return iso.slice(0, iso.length - 13);
  }
  monthPart = `${y < 10 ? '000' : y < 100 ? '00' : y < 1000 ? '0' : ''}${y}-${m < 10 ? '0' : ''}${m}-`;
  monthFirstDay = day - d + 1;
  monthLastDay = monthFirstDay + daysInMonth(y, m) - 1;
  return `${monthPart}${DAY_PARTS[d - 1] as string}`;
}
