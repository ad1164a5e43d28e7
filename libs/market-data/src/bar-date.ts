import type { EpochMs } from '@quantbot/core';
import { daysFromCivil, daysInMonth, epochMs } from '@quantbot/core';

/** Milliseconds in one UTC day. */
export const MS_PER_DAY = 86_400_000;

const CODE_0 = 48;
const CODE_9 = 57;
// Bound once at module scope: a global lookup per call is slow in sandboxed contexts.
const { min } = Math;
const NOT_A_DATE = Number.NaN;

/** The non-negative integer written by `count` digits at `start`, or -1 when one is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const code = text.charCodeAt(i);
    if (code < CODE_0 || code > CODE_9) return -1;
    value = value * 10 + (code - CODE_0);
  }
  return value;
}

/**
 * Checks only the shape of a bar date (`YYYY-MM-DD`, optionally followed by ` HH:MM:SS` or
 * `THH:MM:SS`, optional fractional seconds and an optional `Z`) and writes year, month, day,
 * hour, minute, second and millisecond into `out`. Returns false when the shape is wrong; range
 * checks (month 13, February 30) are left to `fieldsAreValid`.
 */
function scanDate(text: string, out: Int32Array): boolean {
  const length = text.length;
  if (length < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 0 || month < 0 || day < 0) return false;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let milli = 0;
  if (length > 10) {
    const separator = text.charCodeAt(10);
    if (separator !== 32 && separator !== 84) return false; // ' ' or 'T'
    if (length < 19 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return false;
    hour = digitsAt(text, 11, 2);
    minute = digitsAt(text, 14, 2);
    second = digitsAt(text, 17, 2);
    if (hour < 0 || minute < 0 || second < 0) return false;
    let pos = 19;
    if (pos < length && text.charCodeAt(pos) === 46) {
      // '.' then 1..9 digits; milliseconds use the first three.
      pos++;
      const fractionStart = pos;
      while (pos < length) {
        const code = text.charCodeAt(pos);
        if (code < CODE_0 || code > CODE_9) break;
        pos++;
      }
      const digits = pos - fractionStart;
      if (digits === 0 || digits > 9) return false;
      const used = min(digits, 3);
      milli = digitsAt(text, fractionStart, used) * 10 ** (3 - used);
    }
    if (pos < length && text.charCodeAt(pos) === 90) pos++; // 'Z'
    if (pos !== length) return false;
  }
  out[0] = year;
  out[1] = month;
  out[2] = day;
  out[3] = hour;
  out[4] = minute;
  out[5] = second;
  out[6] = milli;
  return true;
}

const scratch = new Int32Array(7);

/** Earliest year a bar date may have; earlier years are typos (`0214` for `2014`), not data. */
export const MIN_BAR_YEAR = 1000;
/** Latest year a bar date may have (the four-digit `YYYY` of the format). */
export const MAX_BAR_YEAR = 9999;

function fieldsAreValid(fields: Int32Array): boolean {
  const year = fields[0] as number;
  const month = fields[1] as number;
  const day = fields[2] as number;
  return (
    year >= MIN_BAR_YEAR &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    (fields[3] as number) <= 23 &&
    (fields[4] as number) <= 59 &&
    (fields[5] as number) <= 59
  );
}

/**
 * Parses a bar date to epoch milliseconds, UTC. Accepts `YYYY-MM-DD` (stamped 00:00 UTC),
 * `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS`, either with optional fractional seconds
 * (milliseconds kept) and an optional trailing `Z`; a time without `Z` is read as UTC too.
 * Numeric offsets such as `+02:00` are not accepted. Returns `undefined` for text of another
 * shape, for impossible dates or times (`2014-02-30`, `25:00:00`) and for years outside
 * `MIN_BAR_YEAR..MAX_BAR_YEAR` (1000..9999: `0999-12-31` and `10000-01-01` are refused); leap
 * years follow the Gregorian rules. Allocates nothing, so it is safe to call once per CSV row.
 */
export function parseBarDate(text: string): EpochMs | undefined {
  if (!scanDate(text, scratch) || !fieldsAreValid(scratch)) return undefined;
  const days = daysFromCivil(scratch[0] as number, scratch[1] as number, scratch[2] as number);
  const timeOfDay =
    ((scratch[3] as number) * 3600 + (scratch[4] as number) * 60 + (scratch[5] as number)) * 1000 +
    (scratch[6] as number);
  return epochMs(days * MS_PER_DAY + timeOfDay);
}

/** Byte scratch of `parseBarDateBytes`: the fields of the date being read. */
const byteScratch = new Int32Array(7);

/** The non-negative integer written by `count` ASCII digits at `start` of `bytes`, or -1. */
function digitsAtBytes(bytes: Uint8Array, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const code = bytes[i] as number;
    if (code < CODE_0 || code > CODE_9) return -1;
    value = value * 10 + (code - CODE_0);
  }
  return value;
}

/** `scanDate` on the bytes `[start, end)` (ASCII): the same shapes, into `out`. */
function scanDateBytes(bytes: Uint8Array, start: number, end: number, out: Int32Array): boolean {
  const length = end - start;
  if (length < 10 || bytes[start + 4] !== 45 || bytes[start + 7] !== 45) return false;
  const year = digitsAtBytes(bytes, start, 4);
  const month = digitsAtBytes(bytes, start + 5, 2);
  const day = digitsAtBytes(bytes, start + 8, 2);
  if (year < 0 || month < 0 || day < 0) return false;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let milli = 0;
  if (length > 10) {
    const separator = bytes[start + 10];
    if (separator !== 32 && separator !== 84) return false; // ' ' or 'T'
    if (length < 19 || bytes[start + 13] !== 58 || bytes[start + 16] !== 58) return false;
    hour = digitsAtBytes(bytes, start + 11, 2);
    minute = digitsAtBytes(bytes, start + 14, 2);
    second = digitsAtBytes(bytes, start + 17, 2);
    if (hour < 0 || minute < 0 || second < 0) return false;
    let pos = start + 19;
    if (pos < end && bytes[pos] === 46) {
      pos++;
      const fractionStart = pos;
      while (pos < end) {
        const code = bytes[pos] as number;
        if (code < CODE_0 || code > CODE_9) break;
        pos++;
      }
      const digits = pos - fractionStart;
      if (digits === 0 || digits > 9) return false;
      const used = min(digits, 3);
      milli = digitsAtBytes(bytes, fractionStart, used) * 10 ** (3 - used);
    }
    if (pos < end && bytes[pos] === 90) pos++; // 'Z'
    if (pos !== end) return false;
  }
  out[0] = year;
  out[1] = month;
  out[2] = day;
  out[3] = hour;
  out[4] = minute;
  out[5] = second;
  out[6] = milli;
  return true;
}

/** The month `parseDayBytes` read last (`year * 100 + month`), its first day number and length. */
let lastMonth = -1;
let lastMonthFirstDay = 0;
let lastMonthDays = 0;

/**
 * A `YYYY-MM-DD` date (the 10 bytes at `start`) as epoch ms, or NaN: the same checks and result
 * as `parseBarDateBytes`, with the day number of the month's first day kept from the previous
 * call (consecutive rows of a file mostly share their month).
 */
function parseDayBytes(bytes: Uint8Array, start: number): number {
  if (bytes[start + 4] !== 45 || bytes[start + 7] !== 45) return NOT_A_DATE;
  const year = digitsAtBytes(bytes, start, 4);
  const month = digitsAtBytes(bytes, start + 5, 2);
  const day = digitsAtBytes(bytes, start + 8, 2);
  if (year < MIN_BAR_YEAR || month < 1 || month > 12 || day < 1) return NOT_A_DATE;
  const key = year * 100 + month;
  if (key !== lastMonth) {
    lastMonth = key;
    lastMonthFirstDay = daysFromCivil(year, month, 1);
    lastMonthDays = daysInMonth(year, month);
  }
  if (day > lastMonthDays) return NOT_A_DATE;
  return (lastMonthFirstDay + day - 1) * MS_PER_DAY;
}

/**
 * `parseBarDate` on the UTF-8 bytes `[start, end)` of `bytes`, without making a string: the
 * same accepted shapes and the same result, or NaN where `parseBarDate` gives `undefined`.
 * For the CSV reader (one call per row); not part of the package's API.
 */
export function parseBarDateBytes(bytes: Uint8Array, start: number, end: number): number {
  if (end - start === 10) return parseDayBytes(bytes, start);
  if (!scanDateBytes(bytes, start, end, byteScratch) || !fieldsAreValid(byteScratch)) return NOT_A_DATE;
  const days = daysFromCivil(byteScratch[0] as number, byteScratch[1] as number, byteScratch[2] as number);
  const timeOfDay =
    ((byteScratch[3] as number) * 3600 + (byteScratch[4] as number) * 60 + (byteScratch[5] as number)) * 1000 +
    (byteScratch[6] as number);
  return days * MS_PER_DAY + timeOfDay;
}

/**
 * Explains why `text` is not a bar date, for error messages: either the shape is wrong or the
 * date or time does not exist. Returns `undefined` when `text` is a valid bar date.
 */
export function describeBarDateProblem(text: string): string | undefined {
  const fields = new Int32Array(7);
  if (!scanDate(text, fields)) {
    if (/^\+?\d{5,}-/.test(text)) return `'${text}' has a year outside ${MIN_BAR_YEAR}..${MAX_BAR_YEAR}`;
    return `'${text}' is not a date (expected YYYY-MM-DD, optionally with HH:MM:SS)`;
  }
  if ((fields[0] as number) < MIN_BAR_YEAR) return `'${text}' has a year outside ${MIN_BAR_YEAR}..${MAX_BAR_YEAR}`;
  if (!fieldsAreValid(fields)) return `'${text}' is not a real calendar date or time`;
  return undefined;
}

/**
 * Formats epoch milliseconds as `YYYY-MM-DD` when the time is 00:00 UTC (a daily bar) and as
 * full ISO 8601 otherwise. Used in error messages.
 */
export function formatBarDate(time: EpochMs | number): string {
  if (!Number.isFinite(time)) return String(time);
  const iso = new Date(time).toISOString();
  return time % MS_PER_DAY === 0 ? iso.slice(0, 10) : iso;
}
