import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import { BollingerBands } from './bollinger-bands';
import {
  exactSumRef,
  exactVarianceRef,
  expectSeriesClose,
  firstDefined,
  loadOrcl,
  meanOf,
  syntheticBars,
  windowAt,
} from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

interface Lines {
  mid: number[];
  upper: number[];
  lower: number[];
  sigma: number[];
}

function run(period: number, k: number, values: readonly number[]): Lines {
  const bb = new BollingerBands(period, k);
  const out: Lines = { mid: [], upper: [], lower: [], sigma: [] };
  for (const v of values) {
    bb.update(v);
    out.mid.push(bb.mid);
    out.upper.push(bb.upper);
    out.lower.push(bb.lower);
    out.sigma.push(bb.stdDev);
  }
  return out;
}

/** Two-pass population standard deviation around the plain mean, from the definition. */
function naive(period: number, k: number, values: readonly number[]): Lines {
  const out: Lines = { mid: [], upper: [], lower: [], sigma: [] };
  values.forEach((_, i) => {
    if (i < period - 1) {
      out.mid.push(NaN);
      out.upper.push(NaN);
      out.lower.push(NaN);
      out.sigma.push(NaN);
      return;
    }
    const w = windowAt(values, i, period);
    const m = meanOf(w);
    const sigma = Math.sqrt(w.reduce((acc, x) => acc + (x - m) * (x - m), 0) / period);
    out.mid.push(m);
    out.upper.push(m + k * sigma);
    out.lower.push(m - k * sigma);
    out.sigma.push(sigma);
  });
  return out;
}

describe('BollingerBands', () => {
  it('uses the population standard deviation: period 3 over 1,2,3 is 2 ± k·sqrt(2/3)', () => {
    const bb = new BollingerBands(3, 2);
    [1, 2, 3].forEach((v) => bb.update(v));
    expect(bb.mid).toBe(2);
    expect(bb.stdDev).toBe(Math.sqrt(2 / 3));
    expect(bb.upper).toBe(2 + 2 * Math.sqrt(2 / 3));
    expect(bb.lower).toBe(2 - 2 * Math.sqrt(2 / 3));
  });

  itWithData('has defaults 20 and 2 and needs `period` inputs', () => {
    const bb = new BollingerBands();
    expect([bb.period, bb.k, bb.warmup]).toEqual([20, 2, 20]);
    expect(bb.name).toBe('bollinger(20,2)');
    const lines = run(20, 2, loadOrcl().close);
    expect(firstDefined(lines.mid)).toBe(19);
    expect(firstDefined(lines.upper)).toBe(19);
    expect(firstDefined(lines.lower)).toBe(19);
  });

  itWithData.each([2, 5, 20, 50])('matches the two-pass definition on ORCL 2014 (period %i)', (period) => {
    const closes = loadOrcl().close;
    const actual = run(period, 2, closes);
    const expected = naive(period, 2, closes);
    expectSeriesClose(actual.mid, expected.mid, 1e-13);
    expectSeriesClose(actual.upper, expected.upper, 1e-11);
    expectSeriesClose(actual.lower, expected.lower, 1e-11);
    expectSeriesClose(actual.sigma, expected.sigma, 1e-9);
  });

  itWithData('computes mid and σ from exact sums, bit for bit', () => {
    for (const closes of [loadOrcl().close, syntheticBars(1500).close]) {
      const actual = run(20, 2.5, closes);
      closes.forEach((_, i) => {
        if (i < 19) return;
        const w = windowAt(closes, i, 20);
        expect(actual.mid[i]).toBe(exactSumRef(w) / 20);
        expect(actual.sigma[i]).toBe(Math.sqrt(exactVarianceRef(w)));
      });
    }
  });

  it('gives σ exactly 0 on a flat window, whatever the price', () => {
    const bb = new BollingerBands(4, 2);
    [0.1, 0.1, 0.1, 0.1, 123456.789, 123456.789, 123456.789, 123456.789].forEach((v) => bb.update(v));
    expect(bb.stdDev).toBe(0);
    expect(bb.upper).toBe(123456.789);
    expect(bb.lower).toBe(123456.789);
  });

  it('reset forgets all inputs', () => {
    const bb = new BollingerBands(2, 1);
    [5, 9, 100].forEach((v) => bb.update(v));
    bb.reset();
    expect(bb.mid).toBeNaN();
    [1, 3].forEach((v) => bb.update(v));
    expect([bb.mid, bb.upper, bb.lower]).toEqual([2, 3, 1]);
  });

  it('rejects bad parameters (ConfigError) and non-finite input (DataError)', () => {
    expect(() => new BollingerBands(0)).toThrow(ConfigError);
    expect(() => new BollingerBands(20, NaN)).toThrow(ConfigError);
    expect(() => new BollingerBands(20, Infinity)).toThrow(ConfigError);
    expect(() => new BollingerBands(20, -1)).toThrow(ConfigError);
    expect(() => new BollingerBands(20).update(NaN)).toThrow(DataError);
  });
});
