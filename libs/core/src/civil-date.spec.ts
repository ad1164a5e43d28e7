import fc from 'fast-check';
import type { CivilDate } from './civil-date';
import { civilFromDays, daysFromCivil, daysInMonth } from './civil-date';

const DAY_MS = 86_400_000;
/** The day numbers a `Date` can hold: ±100,000,000 days from 1970-01-01 (years -271821..275760). */
const MAX_DATE_DAY = 100_000_000;

/** The UTC calendar date of `days` by `Date`, the reference. */
function civilByDate(days: number): CivilDate {
  const date = new Date(days * DAY_MS);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** `Date.UTC` of a date, with years 0..99 kept (`Date.UTC` alone moves them to the 1900s). */
function daysByDate(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime() / DAY_MS;
}

describe('civilFromDays', () => {
  it('equals the UTC date of Date on every day a Date can hold', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -MAX_DATE_DAY, max: MAX_DATE_DAY }), fc.integer({ min: -800_000, max: 3_000_000 })), (days) => {
        expect(civilFromDays(days)).toEqual(civilByDate(days));
      }),
      { numRuns: 5000 },
    );
  });

  it('equals Date on every day from year -1 to 2500 in order (month ends, leap days, century years)', () => {
    const wrong: number[] = [];
    const out: CivilDate = { year: 0, month: 0, day: 0 };
    for (let days = daysByDate(-1, 1, 1); days <= daysByDate(2500, 12, 31); days++) {
      const expected = civilByDate(days);
      civilFromDays(days, out);
      if (out.year !== expected.year || out.month !== expected.month || out.day !== expected.day) wrong.push(days);
    }
    expect(wrong).toEqual([]);
  });

  it('equals Date on the days around the start of every 400-year era a Date can hold (the last day of an era is a leap day)', () => {
    const wrong: number[] = [];
    for (let year = -271_600; year <= 275_600; year += 400) {
      const eraStart = daysByDate(year, 3, 1);
      for (let days = eraStart - 3; days <= eraStart + 3; days++) {
        if (JSON.stringify(civilFromDays(days)) !== JSON.stringify(civilByDate(days))) wrong.push(days);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('writes into the object given and returns it; without one, returns a new object each call', () => {
    const out: CivilDate = { year: 1, month: 1, day: 1 };
    expect(civilFromDays(0, out)).toBe(out);
    expect(out).toEqual({ year: 1970, month: 1, day: 1 });
    expect(civilFromDays(-1, out)).toEqual({ year: 1969, month: 12, day: 31 });
    expect(civilFromDays(19_782)).toEqual({ year: 2024, month: 2, day: 29 });
    expect(civilFromDays(19_782)).not.toBe(civilFromDays(19_782));
    expect(civilFromDays(daysByDate(0, 3, 1))).toEqual({ year: 0, month: 3, day: 1 });
    expect(civilFromDays(daysByDate(-400, 2, 29))).toEqual({ year: -400, month: 2, day: 29 });
  });
});

describe('daysFromCivil', () => {
  it('equals Date on every valid date a Date can hold, and inverts civilFromDays', () => {
    fc.assert(
      fc.property(fc.integer({ min: -271_820, max: 275_759 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (year, month, dayOfMonth) => {
        const day = Math.min(dayOfMonth, daysInMonth(year, month));
        const days = daysFromCivil(year, month, day);
        expect(days).toBe(daysByDate(year, month, day));
        expect(civilFromDays(days)).toEqual({ year, month, day });
      }),
      { numRuns: 5000 },
    );
  });

  it('counts a day past the end of the month on into the next, as Date does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 12_000 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: -40, max: 70 }), (year, month, day) => {
        expect(daysFromCivil(year, month, day)).toBe(daysByDate(year, month, day));
      }),
      { numRuns: 3000 },
    );
    expect(daysFromCivil(2023, 2, 29)).toBe(daysFromCivil(2023, 3, 1));
    expect(daysFromCivil(2024, 3, 0)).toBe(daysFromCivil(2024, 2, 29));
  });

  it('gives day 0 for 1970-01-01 and Date.UTC on modern dates', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2024, 2, 29)).toBe(Date.UTC(2024, 1, 29) / DAY_MS);
    expect(daysFromCivil(1900, 3, 1)).toBe(Date.UTC(1900, 2, 1) / DAY_MS);
  });
});

describe('daysInMonth', () => {
  it('equals the length of the month by Date in every month of years -800..2800 (Gregorian leap years)', () => {
    const wrong: string[] = [];
    for (let year = -800; year <= 2800; year++) {
      for (let month = 1; month <= 12; month++) {
        const length = daysByDate(year, month + 1, 1) - daysByDate(year, month, 1);
        if (daysInMonth(year, month) !== length) wrong.push(`${year}-${month}`);
      }
    }
    expect(wrong).toEqual([]);
    expect([daysInMonth(1900, 2), daysInMonth(2000, 2), daysInMonth(2023, 2), daysInMonth(2024, 2)]).toEqual([28, 29, 28, 29]);
  });
});
