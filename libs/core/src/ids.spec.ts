import fc from 'fast-check';
import { formatIsoTime } from './ids';

const MAX_TIME = 8.64e15;

describe('formatIsoTime', () => {
  it('equals Date.prototype.toISOString on every valid time, in any order (the day cache never leaks)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -MAX_TIME, max: MAX_TIME }), fc.integer({ min: -3e12, max: 4e12 }), fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }).map((t) => t - (t % 86_400_000)), fc.double({ min: -MAX_TIME, max: MAX_TIME, noNaN: true })), { minLength: 1, maxLength: 50 }), (times) => {
        for (const time of times) expect(formatIsoTime(time)).toBe(new Date(time).toISOString());
      }),
      { numRuns: 500 },
    );
  });

  it('formats consecutive bars of a day, midnights and the ends of the range', () => {
    const day = Date.UTC(2024, 1, 29);
    for (const time of [day, day + 1, day + 999, day + 60_000, day + 3_599_999, day + 86_399_999, day + 86_400_000, -1, 0, -62_198_755_200_000, 253_402_300_800_000, MAX_TIME, -MAX_TIME]) {
      expect(formatIsoTime(time)).toBe(new Date(time).toISOString());
    }
    expect(formatIsoTime(day + 34_200_000)).toBe('2024-02-29T09:30:00.000Z');
  });

  it('formats every day of two centuries in order, backwards and skipping weekends (month boundaries, leap years)', () => {
    const first = Date.UTC(1899, 11, 1) / 86_400_000;
    const last = Date.UTC(2101, 2, 1) / 86_400_000;
    const wrong: string[] = [];
    const check = (time: number): void => {
      const expected = new Date(time).toISOString();
      if (formatIsoTime(time) !== expected) wrong.push(expected);
    };
    for (let day = first; day <= last; day++) check(day * 86_400_000);
    for (let day = last; day >= first; day -= 3) check(day * 86_400_000 + 57_600_000);
    for (let day = first; day <= last; day++) {
      const weekday = (day + 4) % 7;
      if (weekday !== 0 && weekday !== 6) check(day * 86_400_000);
    }
    expect(wrong).toEqual([]);
  });

  it('stays exact when times repeat and alternate, as the records of a session do (the text cache never leaks)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: -3e12, max: 4e12 }), (picks, base) => {
        const pool = [base, base + 1, base + 86_400_000, base - 1, -base, base + 0.5];
        for (const p of picks) {
          const time = pool[p] as number;
          expect(formatIsoTime(time)).toBe(new Date(time).toISOString());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('throws as toISOString does for an invalid time', () => {
    for (const time of [Number.NaN, MAX_TIME + 1, Number.POSITIVE_INFINITY]) {
      expect(() => formatIsoTime(time)).toThrow(RangeError);
    }
  });
});
