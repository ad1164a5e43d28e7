import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import { Rsi } from './rsi';
import { expSmoothingRef, expectSeriesClose, firstDefined, loadOrcl, syntheticBars } from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function run(period: number, values: readonly number[]): number[] {
  const rsi = new Rsi(period);
  return values.map((v) => {
    rsi.update(v);
    return rsi.value;
  });
}

/** From the definition: Wilder averages (closed form) of gains and losses, then 100 − 100/(1 + RS). */
function naive(period: number, values: readonly number[]): number[] {
  const changes = values.slice(1).map((v, i) => v - (values[i] as number));
  const avgGain = expSmoothingRef(changes.map((c) => Math.max(c, 0)), period, 1 / period);
  const avgLoss = expSmoothingRef(changes.map((c) => Math.max(-c, 0)), period, 1 / period);
  return values.map((_, i) => {
    if (i === 0) return NaN;
    const g = avgGain[i - 1] as number;
    const l = avgLoss[i - 1] as number;
    if (Number.isNaN(g)) return NaN;
    if (l === 0) return g === 0 ? 50 : 100;
    return 100 - 100 / (1 + g / l);
  });
}

describe('Rsi', () => {
  it('follows the hand-computed Wilder recursion', () => {
    // RSI(2) of 1,2,3,2,3: changes +1,+1,−1,+1.
    // Seed: gain 1, loss 0 → 100. Then gain 0.5, loss 0.5 → 50. Then gain 0.75, loss 0.25 → 75.
    expect(run(2, [1, 2, 3, 2, 3])).toEqual([NaN, NaN, 100, 50, 75]);
  });

  itWithData('needs period + 1 inputs, since its first value averages `period` changes', () => {
    const rsi = new Rsi();
    expect(rsi.period).toBe(14);
    expect(rsi.warmup).toBe(15);
    expect(firstDefined(run(14, loadOrcl().close))).toBe(14);
  });

  it('is 100 when there are no losses and 50 on a flat series', () => {
    expect(run(3, [1, 2, 3, 4, 5]).slice(3)).toEqual([100, 100]);
    expect(run(3, [7, 7, 7, 7, 7]).slice(3)).toEqual([50, 50]);
    expect(run(3, [5, 4, 3, 2]).slice(3)).toEqual([0]);
  });

  itWithData.each([2, 5, 14, 30])('matches the definition on ORCL 2014 (period %i)', (period) => {
    const closes = loadOrcl().close;
    expectSeriesClose(run(period, closes), naive(period, closes), 1e-9);
  });

  it('matches the definition on a synthetic series with flat stretches', () => {
    const closes = syntheticBars(700).close;
    expectSeriesClose(run(14, closes), naive(14, closes), 1e-9);
  });

  it('stays within 0..100', () => {
    for (const v of run(14, syntheticBars(2000).close)) if (!Number.isNaN(v)) expect(v >= 0 && v <= 100).toBe(true);
  });

  it('reset forgets the previous close too', () => {
    const rsi = new Rsi(2);
    [1, 2, 3, 2].forEach((v) => rsi.update(v));
    rsi.reset();
    [1, 2].forEach((v) => rsi.update(v));
    expect(rsi.isReady).toBe(false);
    rsi.update(3);
    expect(rsi.value).toBe(100);
  });

  it('rejects bad periods (ConfigError) and non-finite input (DataError)', () => {
    expect(() => new Rsi(0)).toThrow(ConfigError);
    expect(() => new Rsi(14).update(NaN)).toThrow(DataError);
  });
});
