import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import { Sma } from './sma';
import { exactSumRef, firstDefined, loadOrcl, meanOf, syntheticBars, windowAt, expectSeriesClose } from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function run(period: number, values: readonly number[]): number[] {
  const sma = new Sma(period);
  return values.map((v) => {
    sma.update(v);
    return sma.value;
  });
}

/** fsum(window) / period at every index, NaN before the window fills. */
function fsumReference(period: number, values: readonly number[]): number[] {
  return values.map((_, i) => (i < period - 1 ? NaN : exactSumRef(windowAt(values, i, period)) / period));
}

describe('Sma', () => {
  it('averages the last `period` inputs: SMA(3) of 1,2,3,4 is NaN,NaN,2,3', () => {
    expect(run(3, [1, 2, 3, 4])).toEqual([NaN, NaN, 2, 3]);
  });

  itWithData('is ready after exactly `period` inputs (warmup = period)', () => {
    const sma = new Sma(5);
    expect(sma.warmup).toBe(5);
    expect(sma.name).toBe('sma(5)');
    for (let i = 0; i < 4; i++) {
      sma.update(10);
      expect(sma.isReady).toBe(false);
      expect(sma.value).toBeNaN();
    }
    sma.update(10);
    expect(sma.isReady).toBe(true);
    expect(sma.value).toBe(10);
    expect(firstDefined(run(20, loadOrcl().close))).toBe(19);
  });

  itWithData.each([1, 2, 3, 10, 30, 50])('equals fsum(window)/period bit for bit on ORCL 2014 (period %i)', (period) => {
    const closes = loadOrcl().close;
    const actual = run(period, closes);
    const expected = fsumReference(period, closes);
    actual.forEach((v, i) => expect(v).toBe(expected[i]));
  });

  it('equals fsum(window)/period bit for bit on a long synthetic series', () => {
    const closes = syntheticBars(3000).close;
    const actual = run(20, closes);
    const expected = fsumReference(20, closes);
    actual.forEach((v, i) => expect(v).toBe(expected[i]));
  });

  itWithData('agrees with the naive windowed mean up to rounding', () => {
    const closes = loadOrcl().close;
    expectSeriesClose(
      run(10, closes),
      closes.map((_, i) => (i < 9 ? NaN : meanOf(windowAt(closes, i, 10)))),
      1e-14,
    );
  });

  it('does not drift: two averages of identical windows tie exactly', () => {
    // A naive running sum would carry different rounding histories into these windows.
    const sma = new Sma(3);
    for (const v of [0.1, 0.7, 1e6, 0.3, 0.1, 0.2, 0.3]) sma.update(v);
    const fresh = new Sma(3);
    for (const v of [0.1, 0.2, 0.3]) fresh.update(v);
    expect(sma.value).toBe(fresh.value);
  });

  it('reset forgets all inputs', () => {
    const sma = new Sma(2);
    sma.update(1);
    sma.update(2);
    sma.reset();
    expect(sma.isReady).toBe(false);
    expect(sma.value).toBeNaN();
    sma.update(5);
    sma.update(7);
    expect(sma.value).toBe(6);
  });

  it('rejects a period that is not a positive integer', () => {
    for (const p of [0, -1, 2.5, NaN, Infinity, 1e7]) expect(() => new Sma(p)).toThrow(ConfigError);
  });

  it('rejects non-finite input with DataError and keeps its state', () => {
    const sma = new Sma(2);
    sma.update(1);
    sma.update(3);
    expect(() => sma.update(NaN)).toThrow(DataError);
    expect(() => sma.update(-Infinity)).toThrow(DataError);
    expect(sma.value).toBe(2);
  });
});
