import { DataError, ticker } from '@quantbot/core';
import { planBarAppend } from './bar-append';
import { readOhlcvCsv } from './ohlcv-csv-parser';

const HEADER = 'Date,Open,High,Low,Close,Volume';
const bars = (...rows: string[]) => readOhlcvCsv([HEADER, ...rows].join('\n'), { source: 'x', symbol: ticker('AAPL') }).series;

describe('planBarAppend', () => {
  const disk = bars('2024-01-02,1,2,1,1.5,100', '2024-01-03,1.5,2,1,1.75,200', '2024-01-05,2,3,2,2.5,300');

  it('keeps only the bars after the last one on disk, dropping equal overlapping bars', () => {
    const plan = planBarAppend(disk, bars('2024-01-03,1.5,2,1,1.75,200', '2024-01-05,2,3,2,2.5,300', '2024-01-08,3,4,3,3.5,400', '2024-01-09,4,5,4,4.5,500'), 'AAPL.csv');
    expect(plan.duplicates).toBe(2);
    expect(plan.skippedEarlier).toBe(0);
    expect(Array.from(plan.append.time).map((t) => new Date(t).toISOString().slice(0, 10))).toEqual(['2024-01-08', '2024-01-09']);
    expect(Array.from(plan.append.close)).toEqual([3.5, 4.5]);
    expect(plan.append.length).toBe(2);
  });

  it('counts an earlier bar missing on disk without inserting it', () => {
    const plan = planBarAppend(disk, bars('2024-01-04,1,1,1,1,1', '2024-01-05,2,3,2,2.5,300'), 'AAPL.csv');
    expect(plan).toMatchObject({ duplicates: 1, skippedEarlier: 1 });
    expect(plan.append.length).toBe(0);
  });

  it('refuses a bar that differs from the one on disk, naming the file, the date and the fields', () => {
    const conflicting = bars('2024-01-05,2,3,2,1.25,600', '2024-01-08,3,4,3,3.5,400');
    expect(() => planBarAppend(disk, conflicting, 'data/AAPL.csv')).toThrow(DataError);
    expect(() => planBarAppend(disk, conflicting, 'data/AAPL.csv')).toThrow(
      'data/AAPL.csv, symbol AAPL: the bar of 2024-01-05 differs from the one fetched now (close 2.5 on disk, 1.25 now, volume 300 on disk, 600 now)',
    );
  });

  it('appends everything to an empty series', () => {
    const empty = { ...disk, length: 0, time: new Float64Array(0) };
    expect(planBarAppend(empty, disk, 'AAPL.csv').append.length).toBe(3);
  });
});
