import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { ConfigError, DataError } from '@quantbot/core';
import { Atr } from './atr';
import type { Bars } from './reference.spec-helper';
import { expSmoothingRef, expectSeriesClose, firstDefined, loadOrcl, syntheticBars } from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function run(period: number, bars: Bars): number[] {
  const atr = new Atr(period);
  return bars.close.map((c, i) => {
    atr.update(bars.high[i] as number, bars.low[i] as number, c);
    return atr.value;
  });
}

/** TR = max(h − l, |h − prevClose|, |l − prevClose|) from the 2nd bar; ATR = Wilder average of TR. */
function naive(period: number, bars: Bars): number[] {
  const tr: number[] = [];
  for (let i = 1; i < bars.close.length; i++) {
    const h = bars.high[i] as number;
    const l = bars.low[i] as number;
    const pc = bars.close[i - 1] as number;
    tr.push(Math.max(h - l, Math.abs(h - pc), Math.abs(l - pc)));
  }
  return [NaN, ...expSmoothingRef(tr, period, 1 / period)];
}

describe('Atr', () => {
  it('follows the hand-computed true range and Wilder smoothing', () => {
    const bars: Bars = {
      high: [10, 11, 12, 15, 9],
      low: [8, 9, 10, 13, 8],
      close: [9, 10, 11, 14, 8.5],
    };
    // TRs from bar 2: 2, 2, 4 (gap up from 11 to 13..15), 6 (gap down: 14 to 8).
    // ATR(2): seed (2 + 2)/2 = 2, then 2 + (4 − 2)/2 = 3, then 3 + (6 − 3)/2 = 4.5.
    expect(run(2, bars)).toEqual([NaN, NaN, 2, 3, 4.5]);
    const atr = new Atr(2);
    atr.update(10, 8, 9);
    expect(atr.trueRange).toBeNaN();
    atr.update(15, 13, 14);
    expect(atr.trueRange).toBe(6);
  });

  itWithData('has no true range on the first bar, so it needs period + 1 bars', () => {
    const atr = new Atr();
    expect(atr.period).toBe(14);
    expect(atr.warmup).toBe(15);
    expect(firstDefined(run(14, loadOrcl()))).toBe(14);
  });

  itWithData.each([1, 5, 14, 20])('matches the definition on ORCL 2014 (period %i)', (period) => {
    const bars = loadOrcl();
    expectSeriesClose(run(period, bars), naive(period, bars), 1e-10);
  });

  it('matches the definition on a synthetic series', () => {
    const bars = syntheticBars(700);
    expectSeriesClose(run(14, bars), naive(14, bars), 1e-10);
  });

  it('reset forgets the previous close', () => {
    const atr = new Atr(1);
    atr.update(10, 8, 9);
    atr.update(10, 9, 9);
    atr.reset();
    atr.update(20, 10, 15);
    expect(atr.isReady).toBe(false);
    atr.update(16, 14, 15);
    expect(atr.value).toBe(2);
  });

  it('rejects bad periods (ConfigError), non-finite values and high < low (DataError)', () => {
    expect(() => new Atr(0)).toThrow(ConfigError);
    const atr = new Atr(2);
    expect(() => atr.update(NaN, 1, 1)).toThrow(DataError);
    expect(() => atr.update(1, 2, 1.5)).toThrow(DataError);
    expect(() => atr.update(2, 1, Infinity)).toThrow(DataError);
  });
});
