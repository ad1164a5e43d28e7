import * as fs from 'node:fs';
import { DataError, ticker } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataFile, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { adjustSeriesPrices } from './bar-price-adjustment';
import { readOhlcvCsv } from './ohlcv-csv-parser';

const NVDA = ticker('NVDA');

describe('adjustSeriesPrices', () => {
  const text = ['Date,Open,High,Low,Close,Adj Close,Volume', '2024-01-02,20,22,19,21,10.5,1000', '2024-01-03,11,12,10,10.8,10.8,2000'].join('\n');
  const series = readOhlcvCsv(text, { source: 'two.csv', symbol: NVDA }).series;

  it('scales open, high, low and close by Adj Close / Close per bar and volume inversely', () => {
    const adjusted = adjustSeriesPrices(series, 'two.csv');
    // Bar 0: factor 10.5 / 21 = 0.5; bar 1: factor 1.
    expect(Array.from(adjusted.open)).toEqual([10, 11]);
    expect(Array.from(adjusted.high)).toEqual([11, 12]);
    expect(Array.from(adjusted.low)).toEqual([9.5, 10]);
    expect(Array.from(adjusted.close)).toEqual([10.5, 10.8]);
    expect(Array.from(adjusted.volume)).toEqual([2000, 2000]);
    // Traded value is kept.
    expect((adjusted.close[0] as number) * (adjusted.volume[0] as number)).toBeCloseTo(21 * 1000, 9);
    expect(Array.from(adjusted.time)).toEqual(Array.from(series.time));
    expect(adjusted.adjClose).toBe(series.adjClose);
    expect(Object.isFrozen(adjusted)).toBe(true);
    // The input is left as it was.
    expect(Array.from(series.close)).toEqual([21, 10.8]);
  });

  it('refuses a series without adjusted closes, naming the file', () => {
    const raw = readOhlcvCsv('Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,2,5\n', { source: 'data/raw.csv', symbol: NVDA }).series;
    expect(() => adjustSeriesPrices(raw, 'data/raw.csv')).toThrow(DataError);
    expect(() => adjustSeriesPrices(raw, 'data/raw.csv')).toThrow(/data\/raw\.csv.*has no Adj Close column/);
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'adjustSeriesPrices on NVDA 1999-2014', () => {
  // The shared file's Close is already split-adjusted (the vendor's convention; its Adj Close adds
  // dividends only), so the test undoes NVDA's 2-for-1 split of 2006-04-07 in a copy: the bars
  // before it get the as-traded prices (x2) and share counts (/2), Adj Close stays.
  const SPLIT_DAY = '2006-04-07';
  const original = fs.readFileSync(realMarketDataFile('nvda-1999-2014.txt'), 'utf8');
  const asTraded = original
    .split('\n')
    .map((line, i) => {
      if (i === 0 || line.trim() === '' || line.slice(0, 10) >= SPLIT_DAY) return line;
      const [date, o, h, l, c, adj, v] = line.split(',');
      return [date, Number(o) * 2, Number(h) * 2, Number(l) * 2, Number(c) * 2, adj, Number(v) / 2].join(',');
    })
    .join('\n');
  const raw = readOhlcvCsv(asTraded, { source: 'nvda-raw.csv', symbol: NVDA }).series;
  const at = (date: string): number => Array.from(raw.time).indexOf(Date.parse(`${date}T00:00:00Z`));

  it('finds no split left in the published file: Close / Adj Close never moves by 2% from one bar to the next', () => {
    const published = readOhlcvCsv(original, { source: 'nvda-1999-2014.txt', symbol: NVDA }).series;
    let largest = 0;
    for (let i = 1; i < published.length; i++) {
      const before = (published.close[i - 1] as number) / (published.adjClose?.[i - 1] as number);
      const now = (published.close[i] as number) / (published.adjClose?.[i] as number);
      largest = Math.max(largest, Math.abs(now / before - 1));
    }
    expect(published.length).toBe(4012);
    expect(largest).toBeLessThan(0.02);
  });

  it('has the split jump in the raw closes and none in the adjusted ones', () => {
    const day = at(SPLIT_DAY);
    expect(day).toBeGreaterThan(0);
    const rawRatio = (raw.close[day] as number) / (raw.close[day - 1] as number);
    expect(rawRatio).toBeCloseTo(20.353333 / (2 * 20.406666), 9); // about 0.4987: the 2:1 split

    const adjusted = adjustSeriesPrices(raw, 'nvda-raw.csv');
    const adjustedRatio = (adjusted.close[day] as number) / (adjusted.close[day - 1] as number);
    // The adjusted move is the real one (18.837320 / 18.886679, about -0.26%), and the largest
    // one-day move of the adjusted series around the split stays small.
    expect(adjustedRatio).toBeCloseTo(18.83732 / 18.886679, 9);
    expect(Math.abs(adjustedRatio - 1)).toBeLessThan(0.01);
    // Every adjusted close is the file's Adj Close; intrabar shape is kept.
    for (let i = 0; i < raw.length; i++) {
      expect(adjusted.close[i]).toBe(raw.adjClose?.[i]);
      expect((adjusted.open[i] as number) / (adjusted.close[i] as number)).toBeCloseTo((raw.open[i] as number) / (raw.close[i] as number), 9);
    }
    // Share counts before the split are doubled back (x2 by the split, x1/0.9255 by dividends).
    expect((adjusted.volume[day - 1] as number) / (raw.volume[day - 1] as number)).toBeCloseTo((2 * 20.406666) / 18.886679, 6);
  });
});
