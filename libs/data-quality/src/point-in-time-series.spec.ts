import fc from 'fast-check';
import type { EpochMs } from '@quantbot/core';
import { ConfigError, DataError, epochMs } from '@quantbot/core';
import type { PitRecord } from './point-in-time-series';
import { PointInTimeSeries } from './point-in-time-series';
import { sampleFundamentals } from './synthetic-fundamentals';

const RUNS = { seed: 20_140_331, numRuns: 200 } as const;

const day = (iso: string): EpochMs => epochMs(Date.parse(`${iso}T00:00:00Z`));

function rec<T>(symbol: string, periodEnd: string, announcedAt: string, value: T): PitRecord<T> {
  return { symbol, periodEnd: day(periodEnd), announcedAt: day(announcedAt), value };
}

/** Two quarters of ORCL, the first restated after the second was announced, plus one NVDA quarter. */
const RECORDS: readonly PitRecord<string>[] = [
  rec('ORCL', '2010-06-30', '2010-07-25', 'q2'),
  rec('ORCL', '2010-03-31', '2010-04-28', 'q1'),
  rec('ORCL', '2010-03-31', '2010-08-15', 'q1-restated'),
  rec('NVDA', '2010-03-31', '2010-05-10', 'nv-q1'),
];

/** Small integer times so that ties in announcedAt and periodEnd are frequent. */
const recordsArb = fc.array(
  fc.record({
    symbol: fc.constantFrom('AAA', 'BBB', 'CCC'),
    periodEnd: fc.integer({ min: 0, max: 40 }),
    announcedAt: fc.integer({ min: 0, max: 60 }),
  }),
  { maxLength: 60 },
);
const queryArb = fc.record({
  symbol: fc.constantFrom('AAA', 'BBB', 'CCC', 'ZZZ'),
  t: fc.oneof(fc.integer({ min: -5, max: 65 }), fc.constantFrom(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)),
});

type Row = { symbol: string; periodEnd: number; announcedAt: number };

/** The records with `value` = input index, so that the reference and the series can be compared exactly. */
function indexed(rows: readonly Row[]): PitRecord<number>[] {
  return rows.map((r, index) => ({ symbol: r.symbol, periodEnd: epochMs(r.periodEnd), announcedAt: epochMs(r.announcedAt), value: index }));
}

/** Brute force: the records of `symbol` announced ≤ t, in (announcedAt, periodEnd, input index) order. */
function referenceHistory(records: readonly PitRecord<number>[], symbol: string, t: number): PitRecord<number>[] {
  return records
    .filter((r) => r.symbol === symbol && r.announcedAt <= t)
    .sort((a, b) => a.announcedAt - b.announcedAt || a.periodEnd - b.periodEnd || a.value - b.value);
}

describe('PointInTimeSeries', () => {
  const series = new PointInTimeSeries(RECORDS);

  it('lists its symbols sorted and counts every record, restatements included', () => {
    expect(series.symbols).toEqual(['NVDA', 'ORCL']);
    expect(series.size).toBe(4);
  });

  describe('asOf', () => {
    it.each([
      ['2010-04-27', undefined],
      ['2010-04-28', 'q1'],
      ['2010-07-24', 'q1'],
      ['2010-07-25', 'q2'],
      ['2010-08-14', 'q2'],
      ['2010-08-15', 'q1-restated'],
      ['2030-01-01', 'q1-restated'],
    ])('at %s returns the latest ORCL announcement (%s)', (t, expected) => {
      expect(series.asOf('ORCL', day(t))?.value).toBe(expected);
    });

    it('returns undefined for a symbol it does not hold', () => {
      expect(series.asOf('YHOO', day('2030-01-01'))).toBeUndefined();
    });

    it('breaks a tie in announcement time by the later period end', () => {
      const tied = new PointInTimeSeries([
        rec('AAA', '2010-06-30', '2010-08-01', 'later period'),
        rec('AAA', '2010-03-31', '2010-08-01', 'earlier period'),
      ]);
      expect(tied.asOf('AAA', day('2010-08-01'))?.value).toBe('later period');
    });

    it('treats ±Infinity as after and before everything, and rejects NaN with a ConfigError', () => {
      expect(series.asOf('ORCL', Number.POSITIVE_INFINITY)?.value).toBe('q1-restated');
      expect(series.asOf('ORCL', Number.NEGATIVE_INFINITY)).toBeUndefined();
      expect(() => series.asOf('ORCL', Number.NaN)).toThrow(ConfigError);
    });

    it('never returns a record announced after t, and agrees with a brute-force reference', () => {
      fc.assert(
        fc.property(recordsArb, fc.array(queryArb, { minLength: 1, maxLength: 20 }), (rows, queries) => {
          const records = indexed(rows);
          const pit = new PointInTimeSeries(records);
          for (const { symbol, t } of queries) {
            const found = pit.asOf(symbol, t);
            if (found !== undefined && found.announcedAt > t) return false;
            const expected = referenceHistory(records, symbol, t).at(-1);
            if (found?.value !== expected?.value) return false;
          }
          return true;
        }),
        RUNS,
      );
    });
  });

  describe('restatements', () => {
    it('keeps both announcements of a restated period in the history', () => {
      const history = series.historyAsOf('ORCL', day('2010-12-31')).map((r) => r.value);
      expect(history).toEqual(['q1', 'q2', 'q1-restated']);
    });

    it('shows the original value before the restatement was announced', () => {
      const q1Before = series.historyAsOf('ORCL', day('2010-08-14')).filter((r) => r.periodEnd === day('2010-03-31'));
      expect(q1Before.map((r) => r.value)).toEqual(['q1']);
    });
  });

  describe('historyAsOf', () => {
    it('returns every record announced ≤ t in announcement order, as the brute-force reference does', () => {
      fc.assert(
        fc.property(recordsArb, queryArb, (rows, { symbol, t }) => {
          const records = indexed(rows);
          const history = new PointInTimeSeries(records).historyAsOf(symbol, t);
          const expected = referenceHistory(records, symbol, t);
          return history.length === expected.length && history.every((r, k) => r.value === expected[k]?.value);
        }),
        RUNS,
      );
    });

    it('returns a frozen empty list for an unknown symbol', () => {
      const history = series.historyAsOf('YHOO', day('2030-01-01'));
      expect(history).toEqual([]);
      expect(Object.isFrozen(history)).toBe(true);
    });
  });

  describe('visibleAt', () => {
    it('holds only the records announced at or before t', () => {
      const known = series.visibleAt(day('2010-05-01'));
      expect(known.size).toBe(1);
      expect(known.symbols).toEqual(['ORCL']);
      expect(known.asOf('ORCL', Number.POSITIVE_INFINITY)?.value).toBe('q1');
      expect(known.asOf('NVDA', Number.POSITIVE_INFINITY)).toBeUndefined();
    });

    it('answers every later query as the full series answered it at t', () => {
      fc.assert(
        fc.property(recordsArb, fc.integer({ min: -5, max: 65 }), queryArb, (rows, cutoff, { symbol, t }) => {
          const records = indexed(rows);
          const visible = new PointInTimeSeries(records).visibleAt(cutoff);
          const expected = referenceHistory(records, symbol, Math.min(cutoff, t));
          const history = visible.historyAsOf(symbol, t);
          return (
            visible.size === records.filter((r) => r.announcedAt <= cutoff).length &&
            history.length === expected.length &&
            history.every((r, k) => r.value === expected[k]?.value)
          );
        }),
        RUNS,
      );
    });
  });

  describe('valueByPeriodEnd (the deliberately leaky lookup)', () => {
    it('returns the latest period ending ≤ t even before it was announced', () => {
      const leaked = series.valueByPeriodEnd('ORCL', day('2010-04-01'));
      expect(leaked?.value).toBe('q1-restated');
      expect(leaked?.announcedAt).toBeGreaterThan(day('2010-04-01'));
      expect(series.asOf('ORCL', day('2010-04-01'))).toBeUndefined();
    });

    it('leaks on the synthetic sample: values are returned weeks before their announcement', () => {
      const sample = new PointInTimeSeries(sampleFundamentals());
      let leaks = 0;
      for (const record of sampleFundamentals()) {
        const naive = sample.valueByPeriodEnd(record.symbol, record.periodEnd);
        if (naive !== undefined && naive.announcedAt > record.periodEnd) leaks++;
        const honest = sample.asOf(record.symbol, record.periodEnd);
        expect(honest === undefined || honest.announcedAt <= record.periodEnd).toBe(true);
      }
      expect(leaks).toBe(sampleFundamentals().length);
    });
  });

  describe('validation', () => {
    it.each([
      ['periodEnd', { symbol: 'AAA', periodEnd: Number.NaN, announcedAt: 0, value: 1 }],
      ['announcedAt', { symbol: 'AAA', periodEnd: 0, announcedAt: Number.POSITIVE_INFINITY, value: 1 }],
      ['symbol', { symbol: '', periodEnd: 0, announcedAt: 0, value: 1 }],
    ])('throws a DataError naming the record index and the field %s', (field, bad) => {
      const records = [rec('AAA', '2010-03-31', '2010-04-28', 0), bad as PitRecord<number>];
      const error = captureError(() => new PointInTimeSeries(records));
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).location.field).toBe(field);
      expect((error as DataError).message).toContain('record 1');
      expect((error as DataError).message).toContain(field);
    });

    it('accepts an announcement before its period end (checkPointInTime reports it)', () => {
      expect(new PointInTimeSeries([rec('AAA', '2010-03-31', '2010-03-01', 0)]).size).toBe(1);
    });

    it('freezes its records so a reader cannot rewrite history', () => {
      const found = series.asOf('ORCL', day('2010-05-01'));
      expect(Object.isFrozen(found)).toBe(true);
    });
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('PointInTimeSeries.historyByPeriodEnd', () => {
  it('returns records by period end whether or not they were announced yet (the leak it demonstrates)', () => {
    const day = 86_400_000;
    const series = new PointInTimeSeries([
      { symbol: 'A', periodEnd: epochMs(0), announcedAt: epochMs(30 * day), value: 1 },
      { symbol: 'A', periodEnd: epochMs(90 * day), announcedAt: epochMs(120 * day), value: 2 },
    ]);
    expect(series.historyByPeriodEnd('A', 100 * day).map((r) => r.value)).toEqual([1, 2]);
    expect(series.historyAsOf('A', 100 * day).map((r) => r.value)).toEqual([1]);
    expect(series.historyByPeriodEnd('B', 100 * day)).toEqual([]);
  });
});

