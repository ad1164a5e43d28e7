import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import { Smma } from './smma';
import { expSmoothingRef, expectSeriesClose, firstDefined, loadOrcl, syntheticBars } from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function run(period: number, values: readonly number[]): number[] {
  const smma = new Smma(period);
  return values.map((v) => {
    smma.update(v);
    return smma.value;
  });
}

describe('Smma', () => {
  it('seeds with the SMA of the first `period` inputs, then prev·(1 − 1/period) + x/period', () => {
    // seed (3+6+9)/3 = 6; then 6·(2/3) + 12/3 = 8; then 8·(2/3) + 2/3 = 6 (to the last bit:
    // the same operations in the same order as the reference libraries).
    const alpha = 1 / 3;
    expect(run(3, [3, 6, 9, 12, 2])).toEqual([NaN, NaN, 6, 6 * (1 - alpha) + 12 * alpha, (6 * (1 - alpha) + 12 * alpha) * (1 - alpha) + 2 * alpha]);
    expect(run(3, [3, 6, 9, 12, 2])[4]).toBeCloseTo(6, 12);
  });

  itWithData('is ready after exactly `period` inputs (warmup = period)', () => {
    expect(new Smma(14).warmup).toBe(14);
    expect(firstDefined(run(14, loadOrcl().close))).toBe(13);
  });

  itWithData.each([1, 3, 14, 30])('matches the closed-form definition (alpha 1/period) on ORCL 2014 (period %i)', (period) => {
    const closes = loadOrcl().close;
    expectSeriesClose(run(period, closes), expSmoothingRef(closes, period, 1 / period), 1e-10);
  });

  it('matches the closed-form definition on a synthetic series', () => {
    const closes = syntheticBars(800).close;
    expectSeriesClose(run(10, closes), expSmoothingRef(closes, 10, 0.1), 1e-10);
  });

  it('reset forgets all inputs', () => {
    const smma = new Smma(2);
    [1, 2, 3].forEach((v) => smma.update(v));
    smma.reset();
    smma.update(4);
    expect(smma.value).toBeNaN();
    smma.update(6);
    expect(smma.value).toBe(5);
  });

  it('rejects bad periods (ConfigError) and non-finite input (DataError)', () => {
    expect(() => new Smma(-3)).toThrow(ConfigError);
    expect(() => new Smma(2).update(Infinity)).toThrow(DataError);
  });
});
