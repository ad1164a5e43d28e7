import { ConfigError, DataError } from '@quantbot/core';
import { Atr } from './atr';
import { BollingerBands } from './bollinger-bands';
import { computeIndicatorSeries, INDICATOR_CATALOG } from './catalog';
import type { IndicatorColumns, IndicatorName } from './catalog';
import { Ema } from './ema';
import { Macd } from './macd';
import { Rsi } from './rsi';
import { Sma } from './sma';
import { Smma } from './smma';
import { Stochastic } from './stochastic';
import { Wma } from './wma';
import { firstDefined, loadOrcl } from './reference.spec-helper';
import { describeWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';

function orclColumns(): IndicatorColumns {
  const bars = loadOrcl();
  return {
    high: Float64Array.from(bars.high),
    low: Float64Array.from(bars.low),
    close: Float64Array.from(bars.close),
    length: bars.close.length,
  };
}

function defaults(name: IndicatorName): Record<string, number> {
  return Object.fromEntries(INDICATOR_CATALOG[name].params.map((p) => [p.name, p.default]));
}

describe('INDICATOR_CATALOG', () => {
  it('lists the nine indicators with their line names and inputs', () => {
    const summary = Object.entries(INDICATOR_CATALOG).map(([key, e]) => [key, e.name, e.lines.join('/'), e.input]);
    expect(summary).toEqual([
      ['sma', 'sma', 'sma', 'close'],
      ['ema', 'ema', 'ema', 'close'],
      ['wma', 'wma', 'wma', 'close'],
      ['smma', 'smma', 'smma', 'close'],
      ['rsi', 'rsi', 'rsi', 'close'],
      ['atr', 'atr', 'atr', 'hlc'],
      ['bollinger', 'bollinger', 'mid/upper/lower', 'close'],
      ['macd', 'macd', 'macd/signal/histogram', 'close'],
      ['stochastic', 'stochastic', 'k/d', 'hlc'],
    ]);
  });

  it('declares the parameter names and defaults', () => {
    expect(defaults('sma')).toEqual({ period: 30 });
    expect(defaults('rsi')).toEqual({ period: 14 });
    expect(defaults('atr')).toEqual({ period: 14 });
    expect(defaults('bollinger')).toEqual({ period: 20, devfactor: 2 });
    expect(defaults('macd')).toEqual({ fast: 12, slow: 26, signal: 9 });
    expect(defaults('stochastic')).toEqual({ period: 14, smoothK: 3, smoothD: 3 });
    expect(INDICATOR_CATALOG.bollinger.params[1]).toEqual({ name: 'devfactor', default: 2, integer: false, min: 0 });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(INDICATOR_CATALOG)).toBe(true);
    expect(Object.isFrozen(INDICATOR_CATALOG.macd.params)).toBe(true);
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'computeIndicatorSeries', () => {
  const cols = orclColumns();

  it('matches the incremental classes, line for line, with catalog defaults', () => {
    const n = cols.length;
    const expectLines = (name: IndicatorName, build: () => number[][]): void => {
      const series = computeIndicatorSeries(name, {}, cols);
      expect(series.lines).toEqual(INDICATOR_CATALOG[name].lines);
      const expected = build();
      series.values.forEach((line, j) => expect(Array.from(line)).toEqual(expected[j]));
    };
    const closeOnly = (ind: { update(v: number): void; readonly value: number }): number[][] => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        ind.update(cols.close[i] as number);
        out.push(ind.value);
      }
      return [out];
    };
    expectLines('sma', () => closeOnly(new Sma(30)));
    expectLines('ema', () => closeOnly(new Ema(30)));
    expectLines('wma', () => closeOnly(new Wma(30)));
    expectLines('smma', () => closeOnly(new Smma(30)));
    expectLines('rsi', () => closeOnly(new Rsi(14)));
    expectLines('atr', () => {
      const atr = new Atr(14);
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        atr.update(cols.high[i] as number, cols.low[i] as number, cols.close[i] as number);
        out.push(atr.value);
      }
      return [out];
    });
    expectLines('bollinger', () => {
      const bb = new BollingerBands(20, 2);
      const out: number[][] = [[], [], []];
      for (let i = 0; i < n; i++) {
        bb.update(cols.close[i] as number);
        out[0]?.push(bb.mid);
        out[1]?.push(bb.upper);
        out[2]?.push(bb.lower);
      }
      return out;
    });
    expectLines('macd', () => {
      const m = new Macd(12, 26, 9);
      const out: number[][] = [[], [], []];
      for (let i = 0; i < n; i++) {
        m.update(cols.close[i] as number);
        out[0]?.push(m.macd);
        out[1]?.push(m.signal);
        out[2]?.push(m.histogram);
      }
      return out;
    });
    expectLines('stochastic', () => {
      const st = new Stochastic(14, 3, 3);
      const out: number[][] = [[], []];
      for (let i = 0; i < n; i++) {
        st.update(cols.high[i] as number, cols.low[i] as number, cols.close[i] as number);
        out[0]?.push(st.k);
        out[1]?.push(st.d);
      }
      return out;
    });
  });

  it('is NaN during warm-up: the first value sits at index warmup − 1', () => {
    const cases: [IndicatorName, Record<string, number>, number][] = [
      ['sma', { period: 5 }, 4],
      ['ema', { period: 5 }, 4],
      ['wma', { period: 5 }, 4],
      ['smma', { period: 5 }, 4],
      ['rsi', { period: 5 }, 5],
      ['atr', { period: 5 }, 5],
      ['bollinger', { period: 5, devfactor: 1.5 }, 4],
      ['macd', { fast: 3, slow: 6, signal: 4 }, 8],
      ['stochastic', { period: 5, smoothK: 2, smoothD: 3 }, 7],
    ];
    for (const [name, params, first] of cases) {
      for (const line of computeIndicatorSeries(name, params, cols).values) expect([name, firstDefined(line)]).toEqual([name, first]);
    }
  });

  it('reads only the first `length` rows', () => {
    const series = computeIndicatorSeries('sma', { period: 2 }, { ...cols, length: 3 });
    expect(series.values[0]?.length).toBe(3);
    expect(computeIndicatorSeries('sma', { period: 2 }, { ...cols, length: 0 }).values[0]?.length).toBe(0);
  });

  it('rejects an unknown indicator, listing the known ones', () => {
    expect(() => computeIndicatorSeries('vwap', {}, cols)).toThrow(ConfigError);
    expect(() => computeIndicatorSeries('vwap', {}, cols)).toThrow(/sma, ema, wma, smma, rsi, atr, bollinger, macd, stochastic/);
    expect(() => computeIndicatorSeries('toString', {}, cols)).toThrow(ConfigError);
  });

  it('rejects an unknown parameter, listing the parameters that exist', () => {
    expect(() => computeIndicatorSeries('macd', { period: 3 }, cols)).toThrow(ConfigError);
    expect(() => computeIndicatorSeries('macd', { period: 3 }, cols)).toThrow(/macd\.period.*fast.*slow.*signal/);
  });

  it('rejects bad parameter values', () => {
    expect(() => computeIndicatorSeries('sma', { period: 2.5 }, cols)).toThrow(ConfigError);
    expect(() => computeIndicatorSeries('sma', { period: 0 }, cols)).toThrow(ConfigError);
    expect(() => computeIndicatorSeries('bollinger', { devfactor: NaN }, cols)).toThrow(ConfigError);
    expect(() => computeIndicatorSeries('macd', { fast: 30 }, cols)).toThrow(ConfigError);
  });

  it('reports bad data with its row', () => {
    const close = Float64Array.from(cols.close);
    close[7] = NaN;
    expect(() => computeIndicatorSeries('rsi', {}, { ...cols, close })).toThrow(DataError);
    expect(() => computeIndicatorSeries('rsi', {}, { ...cols, close })).toThrow(/row 7: field close/);
    const low = Float64Array.from(cols.low);
    low[3] = (cols.high[3] as number) + 1;
    expect(() => computeIndicatorSeries('atr', {}, { ...cols, low })).toThrow(/row 3: field high/);
    expect(() => computeIndicatorSeries('sma', {}, { ...cols, length: cols.length + 1 })).toThrow(DataError);
  });
});
