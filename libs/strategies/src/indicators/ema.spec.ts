import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import { Ema } from './ema';
import { expSmoothingRef, expectSeriesClose, firstDefined, loadOrcl, syntheticBars } from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function run(period: number, values: readonly number[]): number[] {
  const ema = new Ema(period);
  return values.map((v) => {
    ema.update(v);
    return ema.value;
  });
}

describe('Ema', () => {
  it('seeds with the SMA of the first `period` inputs, then smooths with alpha 2/(period+1)', () => {
    // EMA(3): alpha 0.5; seed (1+2+3)/3 = 2; then 2·0.5 + 4·0.5 = 3; 3·0.5 + 8·0.5 = 5.5.
    expect(run(3, [1, 2, 3, 4, 8])).toEqual([NaN, NaN, 2, 3, 5.5]);
    expect(new Ema(3).alpha).toBe(0.5);
    expect(new Ema(9).alpha).toBe(0.2);
  });

  itWithData('is ready after exactly `period` inputs (warmup = period)', () => {
    const ema = new Ema(12);
    expect(ema.warmup).toBe(12);
    const values = run(12, loadOrcl().close);
    expect(firstDefined(values)).toBe(11);
  });

  itWithData.each([1, 5, 12, 26, 50])('matches the closed-form definition on ORCL 2014 (period %i)', (period) => {
    const closes = loadOrcl().close;
    expectSeriesClose(run(period, closes), expSmoothingRef(closes, period, 2 / (period + 1)), 1e-10);
  });

  it('matches the closed-form definition on a synthetic series', () => {
    const closes = syntheticBars(800).close;
    expectSeriesClose(run(20, closes), expSmoothingRef(closes, 20, 2 / 21), 1e-10);
  });

  it('period 1 follows the input', () => {
    expect(run(1, [3, 1, 4])).toEqual([3, 1, 4]);
  });

  it('reset forgets all inputs, including the seed', () => {
    const ema = new Ema(2);
    [5, 7, 9].forEach((v) => ema.update(v));
    ema.reset();
    expect(ema.isReady).toBe(false);
    ema.update(1);
    ema.update(3);
    expect(ema.value).toBe(2);
  });

  it('rejects bad periods (ConfigError) and non-finite input (DataError)', () => {
    expect(() => new Ema(0)).toThrow(ConfigError);
    expect(() => new Ema(1.5)).toThrow(ConfigError);
    expect(() => new Ema(3).update(NaN)).toThrow(DataError);
  });
});
