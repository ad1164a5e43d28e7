import fc from 'fast-check';
import type { BarSeries } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import type { ExchangeCalendar } from './exchange-calendar';
import { NYSE_CALENDAR, WEEKDAY_CALENDAR } from './exchange-calendar';
import type { OhlcvValidationOptions } from './ohlcv-validator';
import { validateSeries } from './ohlcv-validator';
import { validateSeries as validateSeriesReference } from './ohlcv-validator.reference.spec-helper';
import { readSharedBarFile } from './shared-bar-file.spec-helper';

// The single-pass validator against the one it replaced (kept as a spec helper): the same
// findings, messages and order on any series.

const RUNS = { seed: 20_261_207, numRuns: 500 } as const;
const DAY = 86_400_000;
const START = Date.UTC(2013, 0, 1);

function expectSameFindings(series: BarSeries, options?: OhlcvValidationOptions): void {
  // toEqual compares numbers with Object.is (0 and -0 differ) and sees every field.
  expect(validateSeries(series, options)).toEqual(validateSeriesReference(series, options));
}

const priceArb = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0.5, max: 500, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(100, 100, 200, 50, 33.3, 300) },
  { weight: 2, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, -1, Number.MAX_VALUE, Number.MIN_VALUE) },
  { weight: 1, arbitrary: fc.double() },
);

const timeStepArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(DAY, DAY, DAY, 3 * DAY, 2 * DAY, 4 * DAY) },
  { weight: 1, arbitrary: fc.constantFrom(0, -DAY, -5 * DAY, 7 * DAY, 31 * DAY, 2000 * DAY, 3_600_000, 1, 0.5) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300) },
);

/** Mostly clean bars (so the clean path runs), with every kind of bad value, gap and disorder. */
const seriesArb = fc
  .record({
    bars: fc.array(
      fc.record({ step: timeStepArb, open: priceArb, high: priceArb, low: priceArb, close: priceArb, volume: fc.oneof(fc.nat(), fc.constantFrom(Number.NaN, -1, Number.POSITIVE_INFINITY, -0)), adjClose: priceArb, clean: fc.boolean() }),
      { maxLength: 80 },
    ),
    hasAdjClose: fc.boolean(),
  })
  .map(({ bars, hasAdjClose }): BarSeries => {
    const n = bars.length;
    const columns = { time: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n), adjClose: new Float64Array(n) };
    let t = START;
    bars.forEach((bar, i) => {
      const next = t + bar.step;
      if (Number.isFinite(next)) t = next;
      columns.time[i] = Number.isFinite(next) ? t : bar.step;
      // Half the bars consistent: open and close from the draw, high above and low below them.
      const o = bar.clean && bar.open > 0 && Number.isFinite(bar.open) ? bar.open : bar.open;
      const c = bar.close;
      columns.open[i] = o;
      columns.close[i] = c;
      columns.high[i] = bar.clean ? Math.max(o, c) * 1.01 : bar.high;
      columns.low[i] = bar.clean ? Math.min(o, c) * 0.99 : bar.low;
      columns.volume[i] = bar.volume;
      columns.adjClose[i] = bar.clean ? c : bar.adjClose;
    });
    return Object.freeze({ symbol: ticker('REF'), length: n, ...columns, adjClose: hasAdjClose ? columns.adjClose : null });
  });

const optionsArb: fc.Arbitrary<OhlcvValidationOptions> = fc.record({
  calendar: fc.constantFrom<ExchangeCalendar | null>(NYSE_CALENDAR, WEEKDAY_CALENDAR, null),
  staleRunBars: fc.integer({ min: 2, max: 6 }),
  spikeMadMultiple: fc.constantFrom(0.5, 3, 10),
  maxBarMovePct: fc.constantFrom(5, 50, 200),
});

/** `n` bars of a random walk on weekdays from 1990, with stale runs, spikes, splits and gaps put in. */
function longSeries(n: number, seed: number): BarSeries {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const time = new Float64Array(n);
  const close = new Float64Array(n);
  let t = Date.UTC(1990, 0, 1);
  let price = 50;
  for (let i = 0; i < n; i++) {
    do t += DAY;
    while (!WEEKDAY_CALENDAR.isSession(t) || random() < 0.01);
    time[i] = t;
    if (i % 997 === 500) price *= 2;
    else if (i % 1301 === 7) price *= 0.4;
    else if (i % 211 > 205) price += 0; // a stale run
    else price = Math.max(0.01, price * (1 + (random() - 0.5) * 0.04));
    close[i] = Math.round(price * 100) / 100;
  }
  const open = Float64Array.from(close, (c, i) => (i === 0 ? c : (close[i - 1] as number)));
  return Object.freeze({
    symbol: ticker('LONG'),
    length: n,
    time,
    open,
    high: Float64Array.from(close, (c, i) => Math.max(c, open[i] as number) + (i % 3001 === 5 ? -1 : 0.1)),
    low: Float64Array.from(close, (c, i) => Math.min(c, open[i] as number) * 0.99),
    close,
    volume: Float64Array.from(close, (_, i) => (i % 4001 === 9 ? -5 : 1000 + i)),
    adjClose: null,
  });
}

describe('validateSeries against the validator it replaced', () => {
  it('gives the same findings on random series with bad values, duplicate, unsorted and non-finite times', () => {
    fc.assert(fc.property(seriesArb, optionsArb, expectSameFindings), RUNS);
  });

  it('gives the same findings on far times (one bar at 1e300 ms, bars past the years a Date holds)', () => {
    for (const times of [[1e300], [1e300, 1e300], [8.64e15 - DAY, 8.64e15, 8.64e15 + DAY], [1e20, 1e20 + DAY]]) {
      const n = times.length;
      const ones = new Float64Array(n).fill(1);
      const series: BarSeries = Object.freeze({ symbol: ticker('FAR'), length: n, time: Float64Array.from(times), open: ones, high: ones, low: ones, close: ones, volume: ones, adjClose: null });
      for (const calendar of [NYSE_CALENDAR, WEEKDAY_CALENDAR]) expectSameFindings(series, { calendar });
    }
  });

  it('gives the same findings on long series (even and odd lengths, stale runs, splits, spikes, missing sessions)', () => {
    for (const [n, seed] of [
      [12_000, 1],
      [12_001, 2],
    ] as const) {
      const series = longSeries(n, seed);
      expect(validateSeries(series, { calendar: NYSE_CALENDAR }).length).toBeGreaterThan(100);
      expectSameFindings(series, { calendar: NYSE_CALENDAR });
      expectSameFindings(series, { calendar: WEEKDAY_CALENDAR, spikeMadMultiple: 3 });
    }
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'validateSeries against the validator it replaced, on the shared real data', () => {
  it.each([
    '2005-2006-day-001.txt',
    '2006-day-001.txt',
    '2006-day-002.txt',
    '2006-month-001.txt',
    '2006-volume-day-001.txt',
    '2006-week-001.txt',
    '2006-week-002.txt',
    'nvda-1999-2014.txt',
    'nvda-2014.txt',
    'orcl-1995-2014.txt',
    'orcl-2003-2005.txt',
    'orcl-2014.txt',
    'yhoo-1996-2014.txt',
    'yhoo-1996-2015.txt',
    'yhoo-2003-2005.txt',
    'yhoo-2014.txt',
  ])('%s: the same findings with each calendar', (fileName) => {
    const series = readSharedBarFile(fileName, 'REAL');
    for (const calendar of [NYSE_CALENDAR, WEEKDAY_CALENDAR, null]) expectSameFindings(series, { calendar });
  });
});
