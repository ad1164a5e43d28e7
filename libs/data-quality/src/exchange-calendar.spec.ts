import fc from 'fast-check';
import { formatIsoTime } from '@quantbot/core';
import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { NYSE_CALENDAR, WEEKDAY_CALENDAR, listNyseClosures, sessionsBetween } from './exchange-calendar';
import { readSharedBarFile } from './shared-bar-file.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);
const isoDay = (time: number): string => formatIsoTime(time).slice(0, 10);
const SPECIAL_CLOSURES = [
  '1994-04-27',
  '2001-09-11',
  '2001-09-12',
  '2001-09-13',
  '2001-09-14',
  '2004-06-11',
  '2007-01-02',
  '2012-10-29',
  '2012-10-30',
  '2018-12-05',
  '2025-01-09',
];

/** Sessions of the calendar over the file's range that the file lacks, and bars on closed days. */
function compareWithFile(fileName: string, symbol: string): { missing: string[]; unexpected: string[] } {
  const series = readSharedBarFile(fileName, symbol);
  const barDays = new Set(Array.from(series.time));
  const first = series.time[0] as number;
  const last = series.time[series.length - 1] as number;
  const sessions = sessionsBetween(NYSE_CALENDAR, first, last);
  return {
    missing: sessions.filter((time) => !barDays.has(time)).map(isoDay),
    unexpected: Array.from(series.time)
      .filter((time) => !NYSE_CALENDAR.isSession(time))
      .map(isoDay),
  };
}

describe('NYSE_CALENDAR', () => {
  itWithData.each([
    ['orcl-1995-2014.txt', 'ORCL'],
    ['yhoo-1996-2014.txt', 'YHOO'],
    ['nvda-1999-2014.txt', 'NVDA'],
  ])('matches every trading day of %s exactly: no missing and no unexpected session', (fileName, symbol) => {
    expect(compareWithFile(fileName, symbol)).toEqual({ missing: [], unexpected: [] });
  });

  it.each([
    ['2014-11-27', false, 'Thanksgiving'],
    ['2014-11-28', true, 'the Friday after Thanksgiving (early close is a session)'],
    ['2012-10-29', false, 'Hurricane Sandy'],
    ['2012-10-30', false, 'Hurricane Sandy, second day'],
    ['2021-12-31', true, "New Year's Eve when New Year's Day falls on Saturday (not observed)"],
    ['2022-01-03', true, 'the Monday after a Saturday New Year (not observed)'],
    ['2017-01-02', false, "New Year's Day observed on Monday"],
    ['2022-06-20', false, 'Juneteenth observed on Monday'],
    ['2021-06-18', true, 'June 18, 2021 (Juneteenth closures start in 2022)'],
    ['2023-06-19', false, 'Juneteenth'],
    ['2027-06-18', false, 'Juneteenth observed on Friday'],
    ['1997-01-20', true, 'MLK day 1997 (closures start in 1998)'],
    ['1998-01-19', false, 'MLK day 1998'],
    ['2024-03-29', false, 'Good Friday 2024'],
    ['2019-04-19', false, 'Good Friday 2019'],
    ['2015-07-03', false, 'Independence Day observed on Friday'],
    ['2021-07-05', false, 'Independence Day observed on Monday'],
    ['2021-12-24', false, 'Christmas observed on Friday'],
    ['2022-12-26', false, 'Christmas observed on Monday'],
    ['2001-09-14', false, 'September 11 closure, last day'],
    ['2001-09-17', true, 'reopening after September 11'],
    ['2018-12-05', false, 'George H. W. Bush funeral'],
    ['2025-01-09', false, 'Jimmy Carter funeral'],
    ['2025-05-26', false, 'Memorial Day 2025'],
    ['2025-09-01', false, 'Labor Day 2025'],
    ['2014-12-27', false, 'a Saturday'],
    ['2014-12-29', true, 'an ordinary Monday'],
  ])('isSession(%s) is %s: %s', (date, expected) => {
    expect(NYSE_CALENDAR.isSession(day(date))).toBe(expected);
  });

  it('accepts any time inside the day and rejects non-finite times', () => {
    expect(NYSE_CALENDAR.isSession(day('2014-11-27') + 15 * 3_600_000)).toBe(false);
    expect(NYSE_CALENDAR.isSession(day('2014-11-26') + 86_399_999)).toBe(true);
    expect(NYSE_CALENDAR.isSession(Number.NaN)).toBe(false);
    expect(NYSE_CALENDAR.isSession(Number.POSITIVE_INFINITY)).toBe(false);
    expect(NYSE_CALENDAR.isSession(1e300)).toBe(false);
  });

  it("has 8 (before 1998), 9, then 10 (from 2022) rule holidays in every year 1990..2100, one fewer when New Year's Day is a Saturday", () => {
    for (let year = 1990; year <= 2100; year++) {
      const closures = listNyseClosures(year);
      const special = closures.filter((time) => SPECIAL_CLOSURES.includes(isoDay(time))).length;
      const regular = closures.length - special;
      const expected = year >= 2022 ? 10 : year >= 1998 ? 9 : 8;
      // A Saturday New Year's Day is not observed, one fewer closure in that year.
      const saturdayNewYear = new Date(Date.UTC(year, 0, 1)).getUTCDay() === 6 ? 1 : 0;
      expect({ year, regular }).toEqual({ year, regular: expected - saturdayNewYear });
      expect(closures.every((time) => formatIsoTime(time).startsWith(String(year)))).toBe(true);
    }
  });

  it('lists the 2014 closures', () => {
    expect(listNyseClosures(2014).map(isoDay)).toEqual([
      '2014-01-01',
      '2014-01-20',
      '2014-02-17',
      '2014-04-18',
      '2014-05-26',
      '2014-07-04',
      '2014-09-01',
      '2014-11-27',
      '2014-12-25',
    ]);
    expect(() => listNyseClosures(2014.5)).toThrow('year');
  });
});

describe('WEEKDAY_CALENDAR', () => {
  it('is open Monday to Friday, holidays included, and closed on weekends', () => {
    expect(WEEKDAY_CALENDAR.isSession(day('2014-11-27'))).toBe(true);
    expect(WEEKDAY_CALENDAR.isSession(day('2014-11-29'))).toBe(false);
    expect(WEEKDAY_CALENDAR.isSession(day('2014-11-30'))).toBe(false);
    expect(WEEKDAY_CALENDAR.isSession(day('1969-12-29'))).toBe(true);
  });
});

describe('sessionsBetween', () => {
  it('lists the sessions of both end days included, skipping holidays and weekends', () => {
    expect(sessionsBetween(NYSE_CALENDAR, day('2014-12-24'), day('2014-12-29')).map(isoDay)).toEqual([
      '2014-12-24',
      '2014-12-26',
      '2014-12-29',
    ]);
  });

  it('is empty when the end is before the start, and frozen', () => {
    const sessions = sessionsBetween(NYSE_CALENDAR, day('2014-12-29'), day('2014-12-24'));
    expect(sessions).toEqual([]);
    expect(Object.isFrozen(sessions)).toBe(true);
  });

  it('rejects non-finite bounds and ranges over 366,000 days', () => {
    expect(() => sessionsBetween(NYSE_CALENDAR, Number.NaN, 0)).toThrow('startMs');
    expect(() => sessionsBetween(NYSE_CALENDAR, 0, Number.POSITIVE_INFINITY)).toThrow('endMs');
    expect(() => sessionsBetween(WEEKDAY_CALENDAR, 0, 4e13)).toThrow('366000');
  });
});

describe('NYSE_CALENDAR in any year a Date holds', () => {
  /** The calendar's answer by way of `Date` for the year and `listNyseClosures` for the holidays. */
  function isSessionByDate(time: number): boolean {
    const date = new Date(time);
    const weekday = date.getUTCDay();
    if (weekday === 0 || weekday === 6) return false;
    const dayStart = Math.floor(time / 86_400_000) * 86_400_000;
    return !listNyseClosures(date.getUTCFullYear()).includes(dayStart as never);
  }

  it('agrees with the year of a Date on every day around New Year from 1800 to 6000 and on random days to year 275000', () => {
    for (let year = 1800; year <= 6000; year += 7) {
      for (let offset = -3; offset <= 3; offset++) {
        const time = Date.UTC(year, 0, 1) + offset * 86_400_000 + 3_600_000;
        expect({ time, session: NYSE_CALENDAR.isSession(time) }).toEqual({ time, session: isSessionByDate(time) });
      }
    }
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1, 0, 2) / 86_400_000, max: Date.UTC(275_000, 0, 1) / 86_400_000 }), (dayNumber) => {
        const time = dayNumber * 86_400_000;
        expect(NYSE_CALENDAR.isSession(time)).toBe(isSessionByDate(time));
      }),
      { seed: 20_261_208, numRuns: 2000 },
    );
  });

  it('stays exact on days asked in any order back and forth across New Year (the year it remembers never leaks)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1991, max: 2099 }), fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -400, max: 400 })), { minLength: 1, maxLength: 40 }), (year, offsets) => {
        const newYear = Date.UTC(year, 0, 1);
        for (const offset of offsets) {
          const time = newYear + offset * 86_400_000;
          expect({ time, session: NYSE_CALENDAR.isSession(time) }).toEqual({ time, session: isSessionByDate(time) });
        }
      }),
      { seed: 20_261_206, numRuns: 300 },
    );
  });

  it('knows the holidays of year 5848 (the end of a million daily bars from 2015)', () => {
    // 5848-12-25 is a Monday: Christmas; 5848-07-04 a Tuesday: Independence Day.
    expect(NYSE_CALENDAR.isSession(Date.UTC(5848, 11, 25))).toBe(false);
    expect(NYSE_CALENDAR.isSession(Date.UTC(5848, 6, 4))).toBe(false);
    expect(NYSE_CALENDAR.isSession(Date.UTC(5848, 6, 5))).toBe(true);
  });
});
