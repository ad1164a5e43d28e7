import type { BarSeries, BarUniverse } from '@quantbot/core';
import { ConfigError, ticker } from '@quantbot/core';
import { formatBarDate } from './bar-date';
import {
  deriveSymbolSeed,
  generateSyntheticSeries,
  generateSyntheticUniverse,
  roundToCents,
} from './synthetic-generator';
import { seriesFromUniverse } from './universe';

const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

function bytesOf(data: BarSeries | BarUniverse): Buffer {
  return Buffer.concat(COLUMNS.map((c) => Buffer.from(data[c].buffer, data[c].byteOffset, data[c].byteLength)));
}

/** Annualized standard deviation of daily log close returns over each `window` bars. */
function rollingVolatility(series: BarSeries, window: number): number[] {
  const returns: number[] = [];
  for (let k = 1; k < series.length; k++) returns.push(Math.log((series.close[k] as number) / (series.close[k - 1] as number)));
  const result: number[] = [];
  for (let end = window; end <= returns.length; end += window) {
    const slice = returns.slice(end - window, end);
    const mean = slice.reduce((a, b) => a + b, 0) / window;
    const variance = slice.reduce((a, b) => a + (b - mean) ** 2, 0) / (window - 1);
    result.push(Math.sqrt(variance * 252));
  }
  return result;
}

describe('generateSyntheticUniverse', () => {
  it('defaults to 5 symbols SYN01..SYN05 with 2520 business days from 2015-01-02', () => {
    const universe = generateSyntheticUniverse();
    expect(universe.symbols).toEqual(['SYN01', 'SYN02', 'SYN03', 'SYN04', 'SYN05']);
    expect(universe.length).toBe(2520);
    expect(universe.close.length).toBe(5 * 2520);
    expect(formatBarDate(universe.time[0] as number)).toBe('2015-01-02');
    expect(Array.from(universe.hasBar).every((h) => h === 1)).toBe(true);
    expect(Object.isFrozen(universe)).toBe(true);
  });

  it('is byte-identical for the same options and differs for another seed', () => {
    const a = generateSyntheticUniverse({ seed: 7, bars: 500, symbols: 3 });
    const b = generateSyntheticUniverse({ seed: 7, bars: 500, symbols: 3 });
    const c = generateSyntheticUniverse({ seed: 8, bars: 500, symbols: 3 });
    expect(bytesOf(a).equals(bytesOf(b))).toBe(true);
    expect(bytesOf(a).equals(bytesOf(c))).toBe(false);
    expect(Array.from(a.close.subarray(0, 500))).not.toEqual(Array.from(a.close.subarray(500, 1000)));
  });

  it('builds each symbol as the series of its derived seed', () => {
    const symbols = [ticker('AAA'), ticker('BBB')];
    const universe = generateSyntheticUniverse({ symbols, bars: 300, seed: 3, start: '2020-03-02' });
    const second = generateSyntheticSeries(ticker('BBB'), 300, deriveSymbolSeed(3, 1), '2020-03-02');
    expect(bytesOf(seriesFromUniverse(universe, 1)).equals(bytesOf(second))).toBe(true);
    expect(deriveSymbolSeed(3, 0)).not.toBe(deriveSymbolSeed(3, 1));
  });

  it('names symbols with enough digits for the count', () => {
    expect(generateSyntheticUniverse({ symbols: 120, bars: 2 }).symbols[119]).toBe('SYN120');
  });

  it.each([
    [{ bars: 0 }, 'bars'],
    [{ bars: 1.5 }, 'bars'],
    [{ seed: Number.NaN }, 'seed'],
    [{ seed: 0.5 }, 'seed'],
    [{ start: '2015-02-30' }, 'start'],
    [{ start: '2015-01-02 10:00:00' }, 'start'],
    [{ symbols: 0 }, 'symbols'],
    [{ symbols: [] }, 'symbols'],
    [{ symbols: [ticker('AAA'), ticker('AAA')] }, 'symbols'],
  ])('rejects %p with a ConfigError on %s', (options, key) => {
    let caught: unknown;
    try {
      generateSyntheticUniverse(options);
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe(key);
  });
});

describe('generateSyntheticSeries', () => {
  const long = generateSyntheticSeries(ticker('SYN'), 100_000, 42);

  it('keeps low > 0, low <= min(open, close) and high >= max(open, close) over 100k bars, in cents', () => {
    let violations = 0;
    for (let k = 0; k < long.length; k++) {
      const o = long.open[k] as number;
      const h = long.high[k] as number;
      const l = long.low[k] as number;
      const c = long.close[k] as number;
      const v = long.volume[k] as number;
      if (!(l > 0 && l <= Math.min(o, c) && h >= Math.max(o, c) && l >= 0.01)) violations++;
      if (roundToCents(o) !== o || roundToCents(h) !== h || roundToCents(l) !== l || roundToCents(c) !== c) violations++;
      if (!(Number.isInteger(v) && v >= 1)) violations++;
    }
    expect(violations).toBe(0);
  });

  it('stamps only weekdays at 00:00 UTC, strictly increasing, without skipping a weekday', () => {
    for (let k = 0; k < long.length; k++) {
      const t = long.time[k] as number;
      const weekday = new Date(t).getUTCDay();
      expect(weekday === 0 || weekday === 6 || t % 86_400_000 !== 0).toBe(false);
      if (k > 0) {
        const gapDays = (t - (long.time[k - 1] as number)) / 86_400_000;
        expect(gapDays === 1 || (gapDays === 3 && weekday === 1)).toBe(true);
      }
      if (k > 2000) break;
    }
  });

  it('moves a weekend start to the next Monday', () => {
    const series = generateSyntheticSeries(ticker('SYN'), 3, 1, '2015-01-03');
    expect(Array.from(series.time, (t) => formatBarDate(t))).toEqual(['2015-01-05', '2015-01-06', '2015-01-07']);
  });

  it('shows calm and stressed volatility regimes', () => {
    const vols = rollingVolatility(generateSyntheticSeries(ticker('SYN'), 20_000, 5), 21);
    const calm = vols.filter((v) => v < 0.22).length / vols.length;
    const stressed = vols.filter((v) => v > 0.35).length / vols.length;
    expect(calm).toBeGreaterThan(0.4);
    expect(stressed).toBeGreaterThan(0.05);
  });

  it('has a plausible ten-year path: positive prices, daily moves mostly small, volume in the millions', () => {
    const series = generateSyntheticSeries(ticker('SYN'), 2520, 42);
    const vols = rollingVolatility(series, 2519);
    expect(vols[0]).toBeGreaterThan(0.1);
    expect(vols[0]).toBeLessThan(0.6);
    const sortedVolume = Array.from(series.volume).sort((a, b) => a - b);
    expect(sortedVolume[1260]).toBeGreaterThan(100_000);
    expect(sortedVolume[1260]).toBeLessThan(50_000_000);
  });

  it('generates 1,000,000 bars of one symbol with prices in a realistic band', () => {
    const series = generateSyntheticSeries(ticker('BIG'), 1_000_000, 9);
    expect(series.length).toBe(1_000_000);
    expect(series.close.length).toBe(1_000_000);
    let lowest = Infinity;
    let highest = -Infinity;
    for (let k = 0; k < series.length; k++) {
      lowest = Math.min(lowest, series.low[k] as number);
      highest = Math.max(highest, series.high[k] as number);
    }
    expect(lowest).toBeGreaterThanOrEqual(0.01);
    expect(highest).toBeLessThan(1e7);
  });
});

describe('roundToCents', () => {
  it('rounds to cents and floors at one cent', () => {
    expect(roundToCents(12.345)).toBe(12.35);
    expect(roundToCents(12.344)).toBe(12.34);
    expect(roundToCents(0.001)).toBe(0.01);
    expect(roundToCents(-3)).toBe(0.01);
  });
});
