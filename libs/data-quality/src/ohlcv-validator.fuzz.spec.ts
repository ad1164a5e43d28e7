import fc from 'fast-check';
import type { BarSeries } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import { NYSE_CALENDAR, WEEKDAY_CALENDAR } from './exchange-calendar';
import { OHLCV_CHECK_SEVERITIES, validateSeries } from './ohlcv-validator';

const RUNS = { seed: 20_250_301, numRuns: 400 } as const;
const DAY = 86_400_000;
const START = Date.UTC(2013, 0, 1);
const KNOWN_CHECKS = new Set(Object.keys(OHLCV_CHECK_SEVERITIES));

/** Ordinary prices most of the time, with every kind of bad value mixed in. */
const priceArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0.5, max: 500, noNaN: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      0,
      -0,
      -1,
      -1e-9,
      1e308,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      100,
    ),
  },
  { weight: 1, arbitrary: fc.double() },
);

/** Daily steps mostly, plus duplicates, reversals, huge jumps and non-finite times. */
const timeStepArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(DAY, DAY, DAY, 3 * DAY, 2 * DAY) },
  { weight: 1, arbitrary: fc.constantFrom(0, -DAY, -5 * DAY, 7 * DAY, 31 * DAY, 3_600_000, 1) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 1e300, -8e15) },
);

const barArb = fc.record({
  step: timeStepArb,
  open: priceArb,
  high: priceArb,
  low: priceArb,
  close: priceArb,
  volume: fc.oneof(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.constantFrom(Number.NaN, -1, Number.POSITIVE_INFINITY, 0)),
  adjClose: priceArb,
});

const seriesArb = fc
  .record({ bars: fc.array(barArb, { maxLength: 40 }), hasAdjClose: fc.boolean() })
  .map(({ bars, hasAdjClose }): BarSeries => {
    const time = new Float64Array(bars.length);
    let t = START;
    bars.forEach((bar, i) => {
      // A non-finite or absurd step makes this one bar's time bad, not every following one.
      const next = t + bar.step;
      if (Number.isFinite(next) && Math.abs(next) < 1e14) {
        t = next;
        time[i] = t;
      } else {
        time[i] = bar.step;
      }
    });
    return Object.freeze({
      symbol: ticker('FUZZ'),
      length: bars.length,
      time,
      open: Float64Array.from(bars, (b) => b.open),
      high: Float64Array.from(bars, (b) => b.high),
      low: Float64Array.from(bars, (b) => b.low),
      close: Float64Array.from(bars, (b) => b.close),
      volume: Float64Array.from(bars, (b) => b.volume),
      adjClose: hasAdjClose ? Float64Array.from(bars, (b) => b.adjClose) : null,
    });
  });

const calendarArb = fc.constantFrom(NYSE_CALENDAR, WEEKDAY_CALENDAR, null);

describe('validateSeries (fuzz)', () => {
  it('never throws, and every finding has the symbol, a known check, its severity and a message', () => {
    fc.assert(
      fc.property(seriesArb, calendarArb, (series, calendar) => {
        const findings = validateSeries(series, { calendar });
        for (const f of findings) {
          expect(f.symbol).toBe('FUZZ');
          expect(KNOWN_CHECKS.has(f.check)).toBe(true);
          expect(f.severity).toBe(OHLCV_CHECK_SEVERITIES[f.check as keyof typeof OHLCV_CHECK_SEVERITIES]);
          expect(f.message.length).toBeGreaterThan('FUZZ '.length);
          expect(f.time === null || Number.isFinite(f.time)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('reports an error naming the field and time of every non-finite or non-positive price', () => {
    fc.assert(
      fc.property(seriesArb, (series) => {
        const findings = validateSeries(series, { calendar: null });
        const fields: readonly ('open' | 'high' | 'low' | 'close' | 'adjClose')[] = [
          'open',
          'high',
          'low',
          'close',
          ...(series.adjClose === null ? [] : (['adjClose'] as const)),
        ];
        for (let i = 0; i < series.length; i++) {
          const t = series.time[i] as number;
          const time = Number.isFinite(t) ? t : null;
          for (const field of fields) {
            const value = (field === 'adjClose' ? series.adjClose : series[field])?.[i] as number;
            if (Number.isFinite(value) && value > 0) continue;
            const named = findings.some(
              (f) =>
                f.severity === 'error' &&
                f.field === field &&
                f.time === time &&
                f.message.includes(`bar ${i} `) &&
                (f.check === 'non-finite-value' || f.check === 'non-positive-price'),
            );
            expect({ bar: i, field, value, named }).toEqual({ bar: i, field, value, named: true });
          }
          if (!Number.isFinite(t)) {
            expect(findings.some((f) => f.check === 'non-finite-value' && f.field === 'time' && f.time === null)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it('is deterministic: the same series gives equal findings', () => {
    fc.assert(
      fc.property(seriesArb, calendarArb, (series, calendar) => {
        expect(validateSeries(series, { calendar })).toEqual(validateSeries(series, { calendar }));
      }),
      { ...RUNS, numRuns: 300 },
    );
  });

  it('finds no error in consistent bars on strictly increasing weekday times (one-bar moves within 50%)', () => {
    const cleanArb = fc
      .array(
        fc.record({ move: fc.double({ min: -0.4, max: 0.4, noNaN: true }), wick: fc.double({ min: 0, max: 5, noNaN: true }), volume: fc.nat() }),
        { minLength: 1, maxLength: 60 },
      )
      .chain((moves) => fc.double({ min: 1, max: 1000, noNaN: true }).map((first) => ({ moves, first })))
      .map(({ moves, first }) => {
        // A random walk: every one-bar move stays within the default 50% large-move limit.
        let close = first;
        return moves.map((m) => ({ ...m, close: (close = close * (1 + m.move)) }));
      })
      .map((bars): BarSeries => {
        const sessions: number[] = [];
        for (let t = START; sessions.length < bars.length; t += DAY) if (WEEKDAY_CALENDAR.isSession(t)) sessions.push(t);
        const open = bars.map((b, i) => (i === 0 ? b.close : (bars[i - 1]?.close as number)));
        return Object.freeze({
          symbol: ticker('FUZZ'),
          length: bars.length,
          time: Float64Array.from(sessions),
          open: Float64Array.from(open),
          high: Float64Array.from(bars, (b, i) => Math.max(b.close, open[i] as number) + b.wick),
          low: Float64Array.from(bars, (b, i) => Math.min(b.close, open[i] as number) * 0.99),
          close: Float64Array.from(bars, (b) => b.close),
          volume: Float64Array.from(bars, (b) => b.volume),
          adjClose: null,
        });
      });
    fc.assert(
      fc.property(cleanArb, (series) => {
        const errors = validateSeries(series, { calendar: WEEKDAY_CALENDAR }).filter((f) => f.severity === 'error');
        expect(errors).toEqual([]);
      }),
      RUNS,
    );
  });
});
