import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import { Wma } from './wma';
import {
  exactWeightedSumRef,
  expectSeriesClose,
  firstDefined,
  loadOrcl,
  syntheticBars,
  windowAt,
} from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function run(period: number, values: readonly number[]): number[] {
  const wma = new Wma(period);
  return values.map((v) => {
    wma.update(v);
    return wma.value;
  });
}

/** Σ i·x_i over the window (oldest weight 1), summed naively, divided by p(p+1)/2. */
function naive(period: number, values: readonly number[]): number[] {
  return values.map((_, i) => {
    if (i < period - 1) return NaN;
    const w = windowAt(values, i, period);
    return w.reduce((acc, x, j) => acc + (j + 1) * x, 0) / ((period * (period + 1)) / 2);
  });
}

/** The exactly weighted sum, rounded once, divided by p(p+1)/2. */
function exact(period: number, values: readonly number[]): number[] {
  const weights = Array.from({ length: period }, (_, j) => j + 1);
  return values.map((_, i) =>
    i < period - 1 ? NaN : exactWeightedSumRef(windowAt(values, i, period), weights) / ((period * (period + 1)) / 2),
  );
}

describe('Wma', () => {
  it('weights the newest input by `period` and the oldest by 1', () => {
    // WMA(3) of 1,2,3,4: (1·1 + 2·2 + 3·3)/6 = 14/6, then (2 + 6 + 12)/6 = 20/6.
    expect(run(3, [1, 2, 3, 4])).toEqual([NaN, NaN, 14 / 6, 20 / 6]);
    expect(run(2, [10, 4])).toEqual([NaN, 6]);
  });

  itWithData('is ready after exactly `period` inputs (warmup = period)', () => {
    expect(new Wma(9).warmup).toBe(9);
    expect(firstDefined(run(9, loadOrcl().close))).toBe(8);
  });

  itWithData.each([1, 2, 5, 20, 60])('equals the exactly weighted sum / (p(p+1)/2) bit for bit on ORCL 2014 (period %i)', (period) => {
    const closes = loadOrcl().close;
    const expected = exact(period, closes);
    run(period, closes).forEach((v, i) => expect(v).toBe(expected[i]));
  });

  it('stays exact over a long synthetic series (no drift in the running sums)', () => {
    const closes = syntheticBars(3000).close;
    const expected = exact(15, closes);
    run(15, closes).forEach((v, i) => expect(v).toBe(expected[i]));
  });

  it('agrees with the naive weighted mean up to rounding', () => {
    const closes = syntheticBars(500).close;
    expectSeriesClose(run(10, closes), naive(10, closes), 1e-13);
  });

  it('reset forgets all inputs', () => {
    const wma = new Wma(2);
    [100, 200, 300].forEach((v) => wma.update(v));
    wma.reset();
    wma.update(10);
    wma.update(4);
    expect(wma.value).toBe(6);
  });

  it('rejects bad periods (ConfigError) and non-finite input (DataError)', () => {
    expect(() => new Wma(0)).toThrow(ConfigError);
    expect(() => new Wma(2).update(NaN)).toThrow(DataError);
  });
});
