import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import type { Bars } from './reference.spec-helper';
import { expectSeriesClose, firstDefined, loadOrcl, meanOf, syntheticBars, windowAt } from './reference.spec-helper';
import { Stochastic } from './stochastic';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function run(period: number, smoothK: number, smoothD: number, bars: Bars): { k: number[]; d: number[] } {
  const st = new Stochastic(period, smoothK, smoothD);
  const k: number[] = [];
  const d: number[] = [];
  bars.close.forEach((c, i) => {
    st.update(bars.high[i] as number, bars.low[i] as number, c);
    k.push(st.k);
    d.push(st.d);
  });
  return { k, d };
}

/** From the definition, recomputing highs and lows over each window (O(n·p)). */
function naive(period: number, smoothK: number, smoothD: number, bars: Bars): { k: number[]; d: number[] } {
  const raw = bars.close.map((c, i) => {
    if (i < period - 1) return NaN;
    const hh = Math.max(...windowAt(bars.high, i, period));
    const ll = Math.min(...windowAt(bars.low, i, period));
    return hh === ll ? 50 : (100 * (c - ll)) / (hh - ll);
  });
  const smooth = (xs: number[], p: number): number[] =>
    xs.map((_, i) => (i < p - 1 ? NaN : meanOf(windowAt(xs, i, p))));
  const k = smooth(raw, smoothK);
  const d = smooth(k, smoothD);
  const first = period + smoothK + smoothD - 3;
  return { k: k.map((x, i) => (i < first ? NaN : x)), d };
}

describe('Stochastic', () => {
  it('places the close within the highest-high/lowest-low range (raw %K, no smoothing)', () => {
    const bars: Bars = { high: [10, 12, 11, 13], low: [8, 9, 7, 10], close: [9, 11, 8, 13] };
    // Window 1..3: HH 12, LL 7, close 8 → 20. Window 2..4: HH 13, LL 7, close 13 → 100.
    expect(run(3, 1, 1, bars).k).toEqual([NaN, NaN, 20, 100]);
  });

  it('takes raw %K as 50 when the window has no range', () => {
    const flat: Bars = { high: [5, 5, 5, 5], low: [5, 5, 5, 5], close: [5, 5, 5, 5] };
    const { k, d } = run(2, 2, 1, flat);
    expect(k).toEqual([NaN, NaN, 50, 50]);
    expect(d).toEqual([NaN, NaN, 50, 50]);
  });

  itWithData('has defaults 14/3/3 and needs period + smoothK + smoothD − 2 = 18 bars', () => {
    const st = new Stochastic();
    expect([st.period, st.smoothK, st.smoothD, st.warmup]).toEqual([14, 3, 3, 18]);
    const { k, d } = run(14, 3, 3, loadOrcl());
    expect(firstDefined(k)).toBe(17);
    expect(firstDefined(d)).toBe(17);
  });

  itWithData.each([
    [14, 3, 3],
    [5, 1, 1],
    [20, 5, 2],
  ])('matches the definition on ORCL 2014 (%i/%i/%i)', (period, smoothK, smoothD) => {
    const bars = loadOrcl();
    const actual = run(period, smoothK, smoothD, bars);
    const expected = naive(period, smoothK, smoothD, bars);
    expectSeriesClose(actual.k, expected.k, 1e-10);
    expectSeriesClose(actual.d, expected.d, 1e-10);
  });

  it('matches the definition on a synthetic series with flat stretches', () => {
    const bars = syntheticBars(900);
    const actual = run(14, 3, 3, bars);
    const expected = naive(14, 3, 3, bars);
    expectSeriesClose(actual.k, expected.k, 1e-10);
    expectSeriesClose(actual.d, expected.d, 1e-10);
    expect(actual.k.some((x) => x === 50)).toBe(true);
  });

  itWithData('reset forgets all inputs', () => {
    const bars = loadOrcl();
    const st = new Stochastic(5, 2, 2);
    bars.close.slice(0, 30).forEach((c, i) => st.update(bars.high[i] as number, bars.low[i] as number, c));
    const before = [st.k, st.d];
    st.reset();
    expect(st.isReady).toBe(false);
    bars.close.slice(0, 30).forEach((c, i) => st.update(bars.high[i] as number, bars.low[i] as number, c));
    expect([st.k, st.d]).toEqual(before);
  });

  it('rejects bad periods (ConfigError), non-finite values and high < low (DataError)', () => {
    expect(() => new Stochastic(0)).toThrow(ConfigError);
    expect(() => new Stochastic(14, 0)).toThrow(ConfigError);
    expect(() => new Stochastic(14, 3, 1.5)).toThrow(ConfigError);
    const st = new Stochastic();
    expect(() => st.update(1, 2, 1)).toThrow(DataError);
    expect(() => st.update(2, 1, NaN)).toThrow(DataError);
  });
});
