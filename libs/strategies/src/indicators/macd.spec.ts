import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import { Macd } from './macd';
import { expSmoothingRef, expectSeriesClose, firstDefined, loadOrcl, syntheticBars } from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

interface Lines {
  macd: number[];
  signal: number[];
  histogram: number[];
}

function run(fast: number, slow: number, signal: number, values: readonly number[]): Lines {
  const m = new Macd(fast, slow, signal);
  const out: Lines = { macd: [], signal: [], histogram: [] };
  for (const v of values) {
    m.update(v);
    out.macd.push(m.macd);
    out.signal.push(m.signal);
    out.histogram.push(m.histogram);
  }
  return out;
}

/** From the definition with closed-form EMAs; every line NaN before the signal line exists. */
function naive(fast: number, slow: number, signal: number, values: readonly number[]): Lines {
  const emaFast = expSmoothingRef(values, fast, 2 / (fast + 1));
  const emaSlow = expSmoothingRef(values, slow, 2 / (slow + 1));
  const macdFull = values.map((_, i) => (emaFast[i] as number) - (emaSlow[i] as number));
  const sig = [...values.slice(0, slow - 1).map(() => NaN), ...expSmoothingRef(macdFull.slice(slow - 1), signal, 2 / (signal + 1))];
  const first = slow + signal - 2;
  const mask = (xs: number[]): number[] => xs.map((x, i) => (i < first ? NaN : x));
  return {
    macd: mask(macdFull),
    signal: mask(sig),
    histogram: mask(macdFull.map((x, i) => x - (sig[i] as number))),
  };
}

describe('Macd', () => {
  it('follows the hand computation on a straight line', () => {
    // MACD(2,3,2) of 1..6: EMA2 = 1.5, 2.5, 3.5, …; EMA3 = 2, 3, 4, …; so macd = 0.5 from
    // input 3 on; the signal (seeded by the mean of two macd values) is 0.5 from input 4.
    const lines = run(2, 3, 2, [1, 2, 3, 4, 5, 6]);
    expect(lines.macd.slice(0, 3)).toEqual([NaN, NaN, NaN]);
    for (const i of [3, 4, 5]) {
      expect(lines.macd[i]).toBeCloseTo(0.5, 12);
      expect(lines.signal[i]).toBeCloseTo(0.5, 12);
      expect(lines.histogram[i]).toBeCloseTo(0, 12);
    }
  });

  itWithData('has defaults 12/26/9 and needs slow + signal − 1 = 34 inputs', () => {
    const m = new Macd();
    expect([m.fast, m.slow, m.signalPeriod, m.warmup]).toEqual([12, 26, 9, 34]);
    const lines = run(12, 26, 9, loadOrcl().close);
    expect(firstDefined(lines.macd)).toBe(33);
    expect(firstDefined(lines.signal)).toBe(33);
    expect(firstDefined(lines.histogram)).toBe(33);
  });

  itWithData.each([
    [12, 26, 9],
    [3, 10, 16],
    [1, 2, 1],
  ])('matches the definition on ORCL 2014 (%i/%i/%i)', (fast, slow, signal) => {
    const closes = loadOrcl().close;
    const actual = run(fast, slow, signal, closes);
    const expected = naive(fast, slow, signal, closes);
    expectSeriesClose(actual.macd, expected.macd, 1e-10);
    expectSeriesClose(actual.signal, expected.signal, 1e-10);
    expectSeriesClose(actual.histogram, expected.histogram, 1e-10);
  });

  it('matches the definition on a synthetic series', () => {
    const closes = syntheticBars(600).close;
    const actual = run(12, 26, 9, closes);
    const expected = naive(12, 26, 9, closes);
    expectSeriesClose(actual.macd, expected.macd, 1e-10);
    expectSeriesClose(actual.signal, expected.signal, 1e-10);
  });

  itWithData('reset forgets all inputs', () => {
    const closes = loadOrcl().close.slice(0, 60);
    const m = new Macd(3, 6, 4);
    closes.forEach((v) => m.update(v));
    const before = [m.macd, m.signal, m.histogram];
    m.reset();
    expect(m.isReady).toBe(false);
    closes.forEach((v) => m.update(v));
    expect([m.macd, m.signal, m.histogram]).toEqual(before);
  });

  it('rejects fast >= slow and bad periods (ConfigError), non-finite input (DataError)', () => {
    expect(() => new Macd(26, 12, 9)).toThrow(ConfigError);
    expect(() => new Macd(12, 12, 9)).toThrow(ConfigError);
    expect(() => new Macd(12, 26, 0)).toThrow(ConfigError);
    expect(() => new Macd(0.5, 26, 9)).toThrow(ConfigError);
    expect(() => new Macd().update(NaN)).toThrow(DataError);
  });
});
