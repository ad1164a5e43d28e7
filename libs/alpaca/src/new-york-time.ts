/**
 * US equity sessions are dated in New York time, and Alpaca stamps a daily bar at 00:00
 * America/New_York of its session (`2022-02-28T05:00:00Z` in winter, `…T04:00:00Z` in summer).
 * These helpers convert between that and Quantbot's convention (a daily bar at 00:00 UTC of its
 * session date) with the time-zone rules of the runtime's ICU data, so DST follows the law of
 * each year rather than a hard-coded rule.
 */

/** Milliseconds in one day. */
const MS_PER_DAY = 86_400_000;

let offsetFormat: Intl.DateTimeFormat | undefined;

/** Created on first use: nothing happens at import time. */
function newYorkOffsetFormat(): Intl.DateTimeFormat {
  offsetFormat ??= new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'longOffset' });
  return offsetFormat;
}

/**
 * New York's offset from UTC at `instantMs`, in minutes (-300 for EST, -240 for EDT).
 * Throws a `RangeError` for a non-finite instant.
 */
export function newYorkOffsetMinutes(instantMs: number): number {
  if (!Number.isFinite(instantMs)) throw new RangeError(`not a finite time: ${instantMs}`);
  const name = newYorkOffsetFormat()
    .formatToParts(new Date(instantMs))
    .find((part) => part.type === 'timeZoneName')?.value;
  // "GMT-05:00"; a zero offset is printed as plain "GMT".
  const match = name === undefined ? null : /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (match === null) throw new RangeError(`cannot read the America/New_York offset from '${String(name)}'`);
  if (match[1] === undefined) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/**
 * The instant of 00:00 America/New_York on the calendar date whose 00:00 UTC is `dateMs`
 * (`2024-01-02T00:00Z` → `2024-01-02T05:00Z`). DST never changes at midnight in New York, so
 * the offset read at 05:00 UTC (00:00 EST or 01:00 EDT, before the 02:00 switch) is midnight's.
 */
export function newYorkMidnight(dateMs: number): number {
  const day = Math.floor(dateMs / MS_PER_DAY) * MS_PER_DAY;
  return day - newYorkOffsetMinutes(day + 5 * 3_600_000) * 60_000;
}

/** 00:00 UTC of the New York calendar date at `instantMs` (what session date is it in New York?). */
export function newYorkDate(instantMs: number): number {
  const local = instantMs + newYorkOffsetMinutes(instantMs) * 60_000;
  return Math.floor(local / MS_PER_DAY) * MS_PER_DAY;
}

/**
 * RFC-3339 text of `instantMs` with New York's offset and no fraction of a second
 * (`2024-01-02T00:00:00-05:00`), as Alpaca's market-data API accepts. Milliseconds are dropped.
 */
export function formatNewYorkTime(instantMs: number): string {
  const seconds = Math.floor(instantMs / 1000) * 1000;
  const offset = newYorkOffsetMinutes(seconds);
  const local = new Date(seconds + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
