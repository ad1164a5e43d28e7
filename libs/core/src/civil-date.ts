/**
 * A date of the proleptic Gregorian calendar (the calendar of `Date`, extended backwards):
 * `year` as astronomers count it (0 is 1 BC, negative before), `month` 1..12, `day` 1..31.
 */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
const EPOCH_SHIFT_DAYS = 719_468;
/** Days in a 400-year era. */
const ERA_DAYS = 146_097;
// Bound once at module scope: a global lookup per call is slow in sandboxed contexts.
const { floor } = Math;

/**
 * The calendar date of day number `days` (days since 1970-01-01; day 0 is 1970-01-01, -1 is
 * 1969-12-31), by integer arithmetic over 400-year eras (H. Hinnant's days-to-civil), with no
 * `Date`: exact for every integer day a `Date` can hold and far beyond, and years 0..99 are not
 * moved to the 1900s. `days` must be an integer.
 *
 * Writes into `out` and returns it, so that a caller on a hot path can pass one object it
 * reuses instead of allocating one per call; without `out`, returns a new object.
 *
 * @example civilFromDays(19_782) // { year: 2024, month: 2, day: 29 }
 */
export function civilFromDays(days: number, out: CivilDate = { year: 0, month: 0, day: 0 }): CivilDate {
  const z = days + EPOCH_SHIFT_DAYS;
  const era = floor(z / ERA_DAYS);
  const dayOfEra = z - era * ERA_DAYS;
  const yearOfEra = floor((dayOfEra - floor(dayOfEra / 1460) + floor(dayOfEra / 36_524) - floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + floor(yearOfEra / 4) - floor(yearOfEra / 100));
  // Months counted from March (0) to February (11): the leap day falls at the end of the year.
  const monthFromMarch = floor((5 * dayOfYear + 2) / 153);
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  out.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  out.month = month;
  out.day = dayOfYear - floor((153 * monthFromMarch + 2) / 5) + 1;
  return out;
}

/**
 * The day number (days since 1970-01-01) of a proleptic Gregorian date, `month` 1..12; the
 * inverse of `civilFromDays`. A `day` past the month's end (or below 1) counts on into the next
 * month (back into the previous one), so `daysFromCivil(y, m + 1, 1) - 1` is the month's last day.
 * Integer arithmetic, no `Date` (`Date.UTC` would move years 0..99 to the 1900s).
 *
 * @example daysFromCivil(2024, 2, 29) // 19_782
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + floor(yearOfEra / 4) - floor(yearOfEra / 100) + dayOfYear;
  return era * ERA_DAYS + dayOfEra - EPOCH_SHIFT_DAYS;
}

/** Days in `month` (1..12) of `year` in the proleptic Gregorian calendar (February 29 in leap years). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
