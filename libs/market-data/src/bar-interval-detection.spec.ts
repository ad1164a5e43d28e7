import fc from 'fast-check';
import * as path from 'node:path';
import { detectBarInterval, periodsPerYear, ticker } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataDir, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { loadBarFile } from './bar-file-loader';
import { inferBarInterval } from './bar-interval';

describeWithPrerequisite(realMarketDataPrerequisite(), 'detectBarInterval on the real data files', () => {
  it.each([
    ['orcl-1995-2014.txt', '1d'],
    ['2006-day-001.txt', '1d'],
    ['2006-volume-day-001.txt', '1d'],
    ['2006-week-001.txt', '1w'],
    ['2006-week-002.txt', '1w'],
    ['2006-month-001.txt', '1mo'],
  ] as const)('tells that %s holds %s bars (weekends, holidays and sparse days included)', (name, interval) => {
    const series = loadBarFile(path.join(realMarketDataDir(), name));
    expect(detectBarInterval(series.time).interval).toBe(interval);
  });

  it('annualises daily files with 252 periods, as always', () => {
    const series = loadBarFile(path.join(realMarketDataDir(), 'orcl-2014.txt'));
    expect(periodsPerYear(detectBarInterval(series.time).interval ?? '1mo')).toBe(252);
  });
});

describe('inferBarInterval', () => {
  /** The classification by a sorted copy of the gaps, as inferBarInterval once computed it. */
  function bySortedGaps(time: Float64Array): string {
    if (time.some((t) => t % 86_400_000 !== 0)) return 'intraday';
    if (time.length < 2) return 'unknown';
    const gaps = Float64Array.from({ length: time.length - 1 }, (_, i) => ((time[i + 1] as number) - (time[i] as number)) / 86_400_000).sort();
    const middle = gaps.length >> 1;
    const median = gaps.length % 2 === 1 ? (gaps[middle] as number) : ((gaps[middle - 1] as number) + (gaps[middle] as number)) / 2;
    return median <= 4 ? 'daily' : median <= 20 ? 'weekly' : 'monthly';
  }

  it('classifies by the median gap as a sort of the gaps does, long gaps, disorder and odd and even counts included', () => {
    const gapArb = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 15, max: 25 }), fc.integer({ min: 60, max: 400 }), fc.constantFrom(-3, 0.5));
    fc.assert(
      fc.property(fc.array(gapArb, { maxLength: 40 }), (gaps) => {
        let t = Date.UTC(2000, 0, 3);
        const time = Float64Array.from([t, ...gaps.map((gap) => (t += gap * 86_400_000))]);
        const series = { symbol: ticker('GAPS'), length: time.length, time, open: time, high: time, low: time, close: time, volume: time, adjClose: null };
        expect(inferBarInterval(series)).toBe(bySortedGaps(time));
      }),
      { seed: 20_261_210, numRuns: 2000 },
    );
  });

  it('tells intraday times (any bar not at 00:00 UTC) as the remainder of a day does, before 1970 too', () => {
    const dayArb = fc.integer({ min: -40_000, max: 60_000 });
    const offsetArb = fc.oneof(fc.constant(0), fc.constant(0), fc.constantFrom(1, 60_000, 43_200_000, 86_399_999, -1));
    fc.assert(
      fc.property(fc.array(fc.tuple(dayArb, offsetArb), { minLength: 1, maxLength: 30 }), (bars) => {
        const time = Float64Array.from(bars.map(([day, offset]) => day * 86_400_000 + offset).sort((a, b) => a - b));
        const series = { symbol: ticker('TIMES'), length: time.length, time, open: time, high: time, low: time, close: time, volume: time, adjClose: null };
        expect(inferBarInterval(series) === 'intraday').toBe(time.some((t) => t % 86_400_000 !== 0));
      }),
      { seed: 20_261_206, numRuns: 1000 },
    );
  });
});
