import type { CivilDate, EpochMs } from '@quantbot/core';
import { ConfigError, civilFromDays, daysFromCivil } from '@quantbot/core';

const MS_PER_DAY = 86_400_000;

/** The largest range `sessionsBetween` enumerates: a thousand years of calendar days. */
const MAX_SESSION_RANGE_DAYS = 366_000;

/** Earliest and latest times a JavaScript `Date` can hold (±100,000,000 days from the epoch). */
const MAX_DATE_MS = 8.64e15;

const SUNDAY = 0;
const MONDAY = 1;
const THURSDAY = 4;
const SATURDAY = 6;

/**
 * Which UTC calendar days an exchange holds a regular trading session on. Days are named by
 * epoch ms at 00:00 UTC of the session date, the stamp of a daily bar (see `BarSeries`).
 */
export interface ExchangeCalendar {
  /** A short, stable name for messages (`NYSE`, `weekdays`). */
  readonly name: string;
  /**
   * Whether the exchange trades on the UTC day containing `dayStartUtcMs`. Any time inside the
   * day is accepted (it is floored to 00:00 UTC); a non-finite time, or one outside the range a
   * `Date` can hold, is never a session.
   */
  isSession(dayStartUtcMs: number): boolean;
}

/** Day number since 1970-01-01 (UTC) of `time`; assumes `time` is finite. */
function dayNumberOf(time: number): number {
  return Math.floor(time / MS_PER_DAY);
}

/** The date `yearOfDay` computed last (reused: no object per call). */
const civil: CivilDate = { year: 0, month: 0, day: 0 };
/** The year `yearOfDay` gave last and the day numbers of its first and last days: consecutive days mostly fall in one year. */
let lastYear = Number.NaN;
let lastYearFirstDay = Number.NaN;
let lastYearLastDay = Number.NaN;

/** The proleptic Gregorian year of a day number (the inverse of `daysFromCivil`). */
function yearOfDay(day: number): number {
  if (day >= lastYearFirstDay && day <= lastYearLastDay) return lastYear;
  const year = civilFromDays(day, civil).year;
  lastYear = year;
  lastYearFirstDay = daysFromCivil(year, 1, 1);
  lastYearLastDay = daysFromCivil(year + 1, 1, 1) - 1;
  return year;
}

/** Weekday of a day number: 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday). */
function weekdayOfDay(day: number): number {
  return (((day + THURSDAY) % 7) + 7) % 7;
}

/** The `n`-th (1-based) `weekday` of `month` (1..12) in `year`, as a day number. */
function nthWeekdayOfMonth(year: number, month: number, weekday: number, n: number): number {
  const first = daysFromCivil(year, month, 1);
  return first + ((weekday - weekdayOfDay(first) + 7) % 7) + 7 * (n - 1);
}

/** The last `weekday` of `month` (1..12) in `year`, as a day number. */
function lastWeekdayOfMonth(year: number, month: number, weekday: number): number {
  const last = month === 12 ? daysFromCivil(year, 12, 31) : daysFromCivil(year, month + 1, 1) - 1;
  return last - ((weekdayOfDay(last) - weekday + 7) % 7);
}

/** A fixed-date holiday moved to Friday when it falls on Saturday and to Monday on Sunday. */
function observedFixedHoliday(year: number, month: number, dayOfMonth: number): number {
  const day = daysFromCivil(year, month, dayOfMonth);
  const weekday = weekdayOfDay(day);
  if (weekday === SATURDAY) return day - 1;
  if (weekday === SUNDAY) return day + 1;
  return day;
}

/** Easter Sunday of `year` (Gregorian) by the anonymous (Meeus/Jones/Butcher) algorithm. */
function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const dayOfMonth = ((h + l - 7 * m + 114) % 31) + 1;
  return daysFromCivil(year, month, dayOfMonth);
}

/** Unscheduled full-day NYSE closures since 1990 (mourning days, weather, 9/11), `YYYY-MM-DD`. */
const NYSE_SPECIAL_CLOSURES: readonly string[] = Object.freeze([
  '1994-04-27', // Richard Nixon's funeral
  '2001-09-11', // September 11 attacks, through the 14th
  '2001-09-12',
  '2001-09-13',
  '2001-09-14',
  '2004-06-11', // Ronald Reagan's funeral
  '2007-01-02', // Gerald Ford's funeral
  '2012-10-29', // Hurricane Sandy
  '2012-10-30',
  '2018-12-05', // George H. W. Bush's funeral
  '2025-01-09', // Jimmy Carter's funeral
]);

/** The day numbers of the NYSE's full-day holidays and special closures in `year`. */
function computeNyseClosedDays(year: number): ReadonlySet<number> {
  const days = new Set<number>();
  // New Year's Day: a Sunday holiday moves to Monday; a Saturday one is not observed at all,
  // because the Friday before would be the last trading day of the previous year (NYSE rule).
  const newYear = daysFromCivil(year, 1, 1);
  const newYearWeekday = weekdayOfDay(newYear);
  if (newYearWeekday === SUNDAY) days.add(newYear + 1);
  else if (newYearWeekday !== SATURDAY) days.add(newYear);
  if (year >= 1998) days.add(nthWeekdayOfMonth(year, 1, MONDAY, 3)); // Martin Luther King Jr. Day
  days.add(nthWeekdayOfMonth(year, 2, MONDAY, 3)); // Washington's Birthday
  days.add(easterSunday(year) - 2); // Good Friday
  days.add(lastWeekdayOfMonth(year, 5, MONDAY)); // Memorial Day
  if (year >= 2022) days.add(observedFixedHoliday(year, 6, 19)); // Juneteenth
  days.add(observedFixedHoliday(year, 7, 4)); // Independence Day
  days.add(nthWeekdayOfMonth(year, 9, MONDAY, 1)); // Labor Day
  days.add(nthWeekdayOfMonth(year, 11, THURSDAY, 4)); // Thanksgiving
  days.add(observedFixedHoliday(year, 12, 25)); // Christmas
  const prefix = `${String(year).padStart(4, '0')}-`;
  for (const date of NYSE_SPECIAL_CLOSURES) {
    if (date.startsWith(prefix)) days.add(daysFromCivil(year, Number(date.slice(5, 7)), Number(date.slice(8, 10))));
  }
  return days;
}

/** Memoizes the closed days of each year, computed on first use (nothing runs at import time). */
class ClosedDaysByYear {
  readonly #byYear = new Map<number, ReadonlySet<number>>();
  readonly #compute: (year: number) => ReadonlySet<number>;

  constructor(compute: (year: number) => ReadonlySet<number>) {
    this.#compute = compute;
  }

  /** The year asked last and its days: consecutive days mostly fall in one year. */
  #lastYear = Number.NaN;
  #lastDays: ReadonlySet<number> = new Set();

  get(year: number): ReadonlySet<number> {
    if (year === this.#lastYear) return this.#lastDays;
    let days = this.#byYear.get(year);
    if (days === undefined) {
      days = this.#compute(year);
      this.#byYear.set(year, days);
    }
    this.#lastYear = year;
    this.#lastDays = days;
    return days;
  }
}

const nyseClosedDays = new ClosedDaysByYear(computeNyseClosedDays);

function isWeekdayTime(time: number): boolean {
  if (!Number.isFinite(time) || Math.abs(time) > MAX_DATE_MS) return false;
  const weekday = weekdayOfDay(dayNumberOf(time));
  return weekday !== SATURDAY && weekday !== SUNDAY;
}

/**
 * The regular sessions of US equities on the New York Stock Exchange: Monday to Friday except
 * the full-day holidays, computed by rule for any year (verified for 1990..2100; earlier years
 * lack historical closures such as the 1968 paperwork-crisis Wednesdays):
 *
 * - New Year's Day, Jan 1 (Sunday → Monday Jan 2; Saturday → not observed, Dec 31 trades);
 * - Martin Luther King Jr. Day, 3rd Monday of January (from 1998);
 * - Washington's Birthday, 3rd Monday of February;
 * - Good Friday, two days before Gregorian Easter;
 * - Memorial Day, last Monday of May;
 * - Juneteenth, June 19 (from 2022; Saturday → Friday, Sunday → Monday);
 * - Independence Day, July 4 (Saturday → Friday, Sunday → Monday);
 * - Labor Day, 1st Monday of September; Thanksgiving, 4th Thursday of November;
 * - Christmas, December 25 (Saturday → Friday, Sunday → Monday);
 *
 * plus the special closures 1994-04-27, 2001-09-11..14, 2004-06-11, 2007-01-02,
 * 2012-10-29/30, 2018-12-05 and 2025-01-09. Half days (early closes) are sessions.
 *
 * @example NYSE_CALENDAR.isSession(Date.UTC(2014, 10, 27)) // false: Thanksgiving
 */
export const NYSE_CALENDAR: ExchangeCalendar = Object.freeze({
  name: 'NYSE',
  isSession(dayStartUtcMs: number): boolean {
    if (!isWeekdayTime(dayStartUtcMs)) return false;
    const day = dayNumberOf(dayStartUtcMs);
    return !nyseClosedDays.get(yearOfDay(day)).has(day);
  },
});

/** Every Monday to Friday is a session (no holidays): for synthetic data and generic checks. */
export const WEEKDAY_CALENDAR: ExchangeCalendar = Object.freeze({
  name: 'weekdays',
  isSession: isWeekdayTime,
});

/**
 * The NYSE's full-day closures of `year` (holidays and special closures on weekdays), as epoch ms
 * at 00:00 UTC, ascending and frozen. Throws a `ConfigError` when `year` is not an integer in
 * 1..275000.
 */
export function listNyseClosures(year: number): readonly EpochMs[] {
  if (!Number.isInteger(year) || year < 1 || year > 275_000) {
    throw new ConfigError('year', `expected an integer year in 1..275000, got ${year}`);
  }
  const days = [...nyseClosedDays.get(year)].filter((day) => isWeekdayTime(day * MS_PER_DAY)).sort((a, b) => a - b);
  return Object.freeze(days.map((day) => (day * MS_PER_DAY) as EpochMs));
}

/**
 * The sessions of `calendar` from the day containing `startMs` to the day containing `endMs`,
 * both included, as epoch ms at 00:00 UTC, ascending and frozen. Empty when `endMs` is before
 * `startMs`. Throws a `ConfigError` when either bound is not finite or the range spans more than
 * 366,000 days (a guard against enumerating by mistake from epoch 0 to a far future).
 *
 * @example sessionsBetween(NYSE_CALENDAR, Date.UTC(2014, 11, 24), Date.UTC(2014, 11, 29))
 * // 2014-12-24, 2014-12-26, 2014-12-29 (Christmas and the weekend are closed)
 */
export function sessionsBetween(calendar: ExchangeCalendar, startMs: number, endMs: number): readonly EpochMs[] {
  if (!Number.isFinite(startMs)) throw new ConfigError('startMs', `expected a finite epoch ms, got ${startMs}`);
  if (!Number.isFinite(endMs)) throw new ConfigError('endMs', `expected a finite epoch ms, got ${endMs}`);
  const firstDay = dayNumberOf(startMs);
  const lastDay = dayNumberOf(endMs);
  if (lastDay - firstDay > MAX_SESSION_RANGE_DAYS) {
    throw new ConfigError('endMs', `range of ${lastDay - firstDay} days exceeds ${MAX_SESSION_RANGE_DAYS} days`);
  }
  const sessions: EpochMs[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    const time = day * MS_PER_DAY;
    if (calendar.isSession(time)) sessions.push(time as EpochMs);
  }
  return Object.freeze(sessions);
}
