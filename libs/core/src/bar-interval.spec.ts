import fc from 'fast-check';
import { ConfigError } from './errors';
import { detectBarInterval, periodsPerYear, resolveBarInterval } from './bar-interval';

const MIN = 60_000;
const DAY = 86_400_000;

/** Times of `sessions` weekday sessions from 2024-01-02 (a Tuesday), 09:30–16:00 New York (14:30Z), one bar every `minutes`, skipping `holidays` (session indices). */
function intradayAxis(minutes: number, sessions: number, holidays: readonly number[] = []): Float64Array {
  const out: number[] = [];
  let day = Date.UTC(2024, 0, 2);
  for (let s = 0; s < sessions; s++) {
    while (new Date(day).getUTCDay() === 0 || new Date(day).getUTCDay() === 6) day += DAY;
    if (!holidays.includes(s)) for (let m = 0; m < 390; m += minutes) out.push(day + 14.5 * 3_600_000 + m * MIN);
    day += DAY;
  }
  return Float64Array.from(out);
}

/** Weekday midnights from 2024-01-01, leaving out `skip` (indices among weekdays). */
function dailyAxis(days: number, skip: readonly number[] = []): Float64Array {
  const out: number[] = [];
  let day = Date.UTC(2024, 0, 1);
  for (let d = 0; d < days; day += DAY) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    if (!skip.includes(d)) out.push(day);
    d++;
  }
  return Float64Array.from(out);
}

describe('periodsPerYear', () => {
  it('counts 252 sessions of 390 regular minutes for intraday bars, 252 days, 52 weeks, 12 months', () => {
    expect(periodsPerYear('1m')).toBe(252 * 390);
    expect(periodsPerYear('5m')).toBe(252 * 78);
    expect(periodsPerYear('15m')).toBe(252 * 26);
    expect(periodsPerYear('30m')).toBe(252 * 13);
    expect(periodsPerYear('1h')).toBe(252 * 6.5);
    expect(periodsPerYear('1d')).toBe(252);
    expect(periodsPerYear('1w')).toBe(52);
    expect(periodsPerYear('1mo')).toBe(12);
  });
});

describe('detectBarInterval', () => {
  it.each([
    ['1m', 1],
    ['5m', 5],
    ['15m', 15],
    ['30m', 30],
    ['1h', 60],
  ] as const)('tells %s bars across nights, a weekend and a holiday', (name, minutes) => {
    const time = intradayAxis(minutes, 8, [3]);
    expect(detectBarInterval(time)).toEqual({ interval: name, typicalGapMs: minutes * MIN });
  });

  it('tells minute bars with missing minutes (the most common gap decides)', () => {
    const time = Array.from(intradayAxis(1, 3)).filter((_, k) => k % 7 !== 3);
    expect(detectBarInterval(time).interval).toBe('1m');
  });

  it('tells daily bars across weekends, holidays and missing days', () => {
    const time = dailyAxis(300, [5, 6, 40, 41, 42, 100, 180]);
    expect(detectBarInterval(time)).toEqual({ interval: '1d', typicalGapMs: DAY });
  });

  it('tells weekly bars, a holiday week dated a day later included', () => {
    const time = Array.from({ length: 60 }, (_, k) => Date.UTC(2024, 0, 5) + k * 7 * DAY + (k === 20 ? DAY : 0));
    expect(detectBarInterval(time).interval).toBe('1w');
  });

  it('tells monthly bars', () => {
    const time = Array.from({ length: 36 }, (_, k) => Date.UTC(2020, k, 1));
    expect(detectBarInterval(time).interval).toBe('1mo');
  });

  it('cannot tell from fewer than two bars, nor from a spacing that is none of the intervals', () => {
    expect(detectBarInterval([Date.UTC(2024, 0, 2)])).toEqual({ interval: null, typicalGapMs: null });
    expect(detectBarInterval(intradayAxis(2, 3))).toEqual({ interval: null, typicalGapMs: 2 * MIN });
  });
});

describe('resolveBarInterval', () => {
  const errorOf = (f: () => unknown): ConfigError => {
    try {
      f();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  it('returns the detected interval, and a stated one that agrees', () => {
    expect(resolveBarInterval(intradayAxis(5, 2))).toBe('5m');
    expect(resolveBarInterval(intradayAxis(5, 2), '5m')).toBe('5m');
  });

  it('refuses a stated interval the data contradicts, naming the field and both intervals', () => {
    const error = errorOf(() => resolveBarInterval(intradayAxis(1, 2), '1d'));
    expect(error.key).toBe('barInterval');
    expect(error.message).toBe('barInterval: states 1d bars, but the data holds 1m bars (typical gap 1 minute)');
  });

  it('refuses an unknown interval and data of no known spacing', () => {
    expect(errorOf(() => resolveBarInterval(dailyAxis(5), '2d')).message).toBe('barInterval: unknown bar interval \'2d\'; use one of 1m, 5m, 15m, 30m, 1h, 1d, 1w, 1mo');
    expect(errorOf(() => resolveBarInterval(intradayAxis(2, 2))).message).toMatch(/^barInterval: the bars are typically 2 minutes apart, which is none of 1m, .*1mo/);
  });

  it('takes a stated interval, else daily, when the data has fewer than two bars', () => {
    expect(resolveBarInterval([0], '1h')).toBe('1h');
    expect(resolveBarInterval([0])).toBe('1d');
  });
});

describe('detectBarInterval counts gaps instead of sorting them', () => {
  it('gives the median gap of a sort, for any axis of day-scale gaps (odd and even counts, repeats, runs)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(1, 1, 1, 2, 3, 4, 7, 8, 30), { minLength: 1, maxLength: 60 }), (steps) => {
        const time = [Date.UTC(2020, 0, 1)];
        for (const step of steps) time.push((time[time.length - 1] as number) + step * DAY);
        const gaps = steps.map((step) => step * DAY).sort((a, b) => a - b);
        const middle = gaps.length >> 1;
        const median = gaps.length % 2 === 1 ? (gaps[middle] as number) : ((gaps[middle - 1] as number) + (gaps[middle] as number)) / 2;
        expect(detectBarInterval(time).typicalGapMs).toBe(median);
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });

  it('gives the most common gap within a session (ties: the shorter), for any axis of minute-scale gaps', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(1, 1, 5, 5, 15, 30, 60, 61, 7), { minLength: 1, maxLength: 80 }), (steps) => {
        const time = [Date.UTC(2020, 0, 1)];
        for (const step of steps) time.push((time[time.length - 1] as number) + step * MIN);
        const counts = new Map<number, number>();
        for (const step of steps) counts.set(step * MIN, (counts.get(step * MIN) ?? 0) + 1);
        let mode = 0;
        let modeCount = 0;
        for (const [gap, count] of counts) {
          if (count > modeCount || (count === modeCount && gap < mode)) {
            mode = gap;
            modeCount = count;
          }
        }
        expect(detectBarInterval(time).typicalGapMs).toBe(mode);
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });
});
