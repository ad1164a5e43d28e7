import * as path from 'node:path';
import type { BarSeries } from '@quantbot/core';
import { ConfigError, DataError, epochMs, ticker } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataDir, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { loadBarFile } from './bar-file-loader';
import { parseOhlcvCsv } from './ohlcv-csv-parser';
import { alignUniverse, selectSymbols, seriesFromUniverse, seriesInRange } from './universe';

const DATA = realMarketDataDir();
const day = (d: number) => epochMs(Date.UTC(2014, 0, d));

function series(symbol: string, rows: readonly (readonly [number, number])[]): BarSeries {
  const text = ['Date,Open,High,Low,Close,Volume']
    .concat(rows.map(([d, close]) => `2014-01-${String(d).padStart(2, '0')},${close},${close + 1},${close - 1},${close},${close * 10}`))
    .join('\n');
  return parseOhlcvCsv(text, { source: `${symbol}.csv`, symbol: ticker(symbol) });
}

const AAA = series('AAA', [[2, 10], [3, 11], [6, 12]]);
const BBB = series('BBB', [[3, 20], [7, 21]]);

describe('alignUniverse', () => {
  it('puts series with gaps on the union of their times, NaN and hasBar 0 where a bar is missing', () => {
    const universe = alignUniverse([AAA, BBB]);
    expect(universe.symbols).toEqual(['AAA', 'BBB']);
    expect(universe.length).toBe(4);
    expect(Array.from(universe.time)).toEqual([day(2), day(3), day(6), day(7)]);
    expect(Array.from(universe.close)).toEqual([10, 11, 12, NaN, NaN, 20, NaN, 21]);
    expect(Array.from(universe.open)).toEqual([10, 11, 12, NaN, NaN, 20, NaN, 21]);
    expect(Array.from(universe.high)).toEqual([11, 12, 13, NaN, NaN, 21, NaN, 22]);
    expect(Array.from(universe.volume)).toEqual([100, 110, 120, NaN, NaN, 200, NaN, 210]);
    expect(Array.from(universe.hasBar)).toEqual([1, 1, 1, 0, 0, 1, 0, 1]);
    expect(Object.isFrozen(universe)).toBe(true);
    expect(Object.isFrozen(universe.symbols)).toBe(true);
  });

  it('keeps only times in the inclusive range', () => {
    const universe = alignUniverse([AAA, BBB], { start: day(3), end: day(6) });
    expect(Array.from(universe.time)).toEqual([day(3), day(6)]);
    expect(Array.from(universe.close)).toEqual([11, 12, 20, NaN]);
    expect(Array.from(alignUniverse([AAA, BBB], { start: day(6) }).time)).toEqual([day(6), day(7)]);
    expect(Array.from(alignUniverse([AAA, BBB], { end: day(2) }).time)).toEqual([day(2)]);
  });

  it('shares the columns of a single series wholly in range, and copies one cut by the range', () => {
    const whole = alignUniverse([AAA], { start: day(1), end: day(6) });
    expect(whole.length).toBe(3);
    expect(whole.time).toBe(AAA.time);
    expect(whole.close).toBe(AAA.close);
    expect(whole.volume).toBe(AAA.volume);
    expect(Array.from(whole.hasBar)).toEqual([1, 1, 1]);
    expect(whole.symbols).toEqual(['AAA']);
    expect(Object.isFrozen(whole)).toBe(true);
    expect(Array.from(whole.open)).toEqual([10, 11, 12]);
    expect(Array.from(whole.high)).toEqual([11, 12, 13]);
    const cut = alignUniverse([AAA], { start: day(3) });
    expect(cut.close).not.toBe(AAA.close);
    expect(Array.from(cut.close)).toEqual([11, 12]);
    expect(Array.from(cut.hasBar)).toEqual([1, 1]);
  });

  it('rejects a range without bars with a ConfigError on range listing the coverage', () => {
    const error = (() => {
      try {
        alignUniverse([AAA, BBB], { start: day(20) });
      } catch (e: unknown) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('range');
    expect((error as ConfigError).message).toBe(
      'range: no bars between 2014-01-20 .. the end; the series cover AAA 2014-01-02..2014-01-06, BBB 2014-01-03..2014-01-07',
    );
  });

  it('rejects start after end, no series and a repeated symbol', () => {
    expect(() => alignUniverse([AAA], { start: day(6), end: day(2) })).toThrow(ConfigError);
    expect(() => alignUniverse([])).toThrow(ConfigError);
    expect(() => alignUniverse([AAA, BBB, AAA])).toThrow(/symbol AAA: symbol appears in more than one series/);
  });

  it('rejects a series whose times do not increase', () => {
    const broken: BarSeries = { ...AAA, time: new Float64Array([day(3), day(2), day(6)]) };
    expect(() => alignUniverse([broken])).toThrow(DataError);
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'alignUniverse on the shared real data', () => {
  it('aligns the real ORCL, YHOO and NVDA files from 1996 on', () => {
    const loaded = ['orcl-1995-2014.txt', 'yhoo-1996-2014.txt', 'nvda-1999-2014.txt'].map((f) => loadBarFile(path.join(DATA, f)));
    const universe = alignUniverse(loaded, { start: epochMs(Date.UTC(1996, 0, 1)) });
    const barsOf = (s: number) => universe.hasBar.subarray(s * universe.length, (s + 1) * universe.length).reduce((a, b) => a + b, 0);
    expect(universe.length).toBeGreaterThanOrEqual(4713);
    expect(barsOf(1)).toBe(4713);
    expect(barsOf(2)).toBe(4012);
    expect(seriesFromUniverse(universe, 2).close).toEqual(loaded[2]?.close);
  });
});

describe('selectSymbols', () => {
  it('returns the requested series in the requested order', () => {
    expect(selectSymbols([AAA, BBB], [ticker('BBB'), ticker('AAA')])).toEqual([BBB, AAA]);
  });

  it('names the missing symbol and lists the available ones', () => {
    expect(() => selectSymbols([AAA, BBB], [ticker('CCC')])).toThrow('symbols: unknown symbol CCC; available: AAA, BBB');
    expect(() => selectSymbols([AAA], [ticker('AAA'), ticker('AAA')])).toThrow(ConfigError);
    expect(() => selectSymbols([AAA, AAA], [ticker('AAA')])).toThrow(DataError);
  });
});

describe('seriesFromUniverse', () => {
  it('recovers a series from its rows that have a bar', () => {
    const universe = alignUniverse([AAA, BBB]);
    const b = seriesFromUniverse(universe, 1);
    expect(b.symbol).toBe('BBB');
    expect(Array.from(b.time)).toEqual(Array.from(BBB.time));
    expect(Array.from(b.close)).toEqual([20, 21]);
    expect(Array.from(b.low)).toEqual([19, 20]);
    expect(b.adjClose).toBeNull();
    expect(() => seriesFromUniverse(universe, 2)).toThrow(RangeError);
    expect(() => seriesFromUniverse(universe, 0.5)).toThrow(RangeError);
  });
});

describe('seriesInRange', () => {
  it('keeps only the bars inside the inclusive range, as views on the same data', () => {
    const s = parseOhlcvCsv('Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1,10\n2020-01-03,2,3,1,2,10\n2020-01-06,3,4,2,3,10\n', {
      source: 'r.csv',
      symbol: ticker('R'),
    });
    const [cut] = seriesInRange([s], { start: epochMs(Date.UTC(2020, 0, 3)), end: epochMs(Date.UTC(2020, 0, 3)) });
    expect(cut?.length).toBe(1);
    expect(cut?.close[0]).toBe(2);
    expect(cut?.close.buffer).toBe(s.close.buffer);
    expect(seriesInRange([s])[0]).toBe(s);
  });
});
