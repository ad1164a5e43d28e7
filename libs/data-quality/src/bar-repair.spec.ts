import { DataError, barAt } from '@quantbot/core';
import { repairMissingSessions } from './bar-repair';
import { NYSE_CALENDAR } from './exchange-calendar';
import { validateSeries } from './ohlcv-validator';
import { cleanBars, dayMs, seriesOf } from './test-series.spec-helper';

const BASE = cleanBars(20);
const ADJ = BASE.map((bar) => bar[4] * 0.9);
const GAPPY_BARS = BASE.filter((_, i) => i !== 5 && i !== 12);
const GAPPY = seriesOf('TEST', GAPPY_BARS, ADJ.filter((_, i) => i !== 5 && i !== 12));

describe('repairMissingSessions', () => {
  it('forward-fills exactly the two missing sessions and lists each repair', () => {
    const { series, repairs } = repairMissingSessions(GAPPY, NYSE_CALENDAR);
    expect(repairs).toEqual([
      {
        symbol: 'TEST',
        time: BASE[5]?.[0],
        action: 'forward-fill-session',
        fields: { open: BASE[4]?.[4], high: BASE[4]?.[4], low: BASE[4]?.[4], close: BASE[4]?.[4], volume: 0 },
        from: BASE[4]?.[0],
      },
      {
        symbol: 'TEST',
        time: BASE[12]?.[0],
        action: 'forward-fill-session',
        fields: { open: BASE[11]?.[4], high: BASE[11]?.[4], low: BASE[11]?.[4], close: BASE[11]?.[4], volume: 0 },
        from: BASE[11]?.[0],
      },
    ]);
    expect(series.length).toBe(20);
    expect(Array.from(series.time)).toEqual(BASE.map((bar) => bar[0]));
    expect(series.adjClose?.[5]).toBe(ADJ[4]);
    expect(series.adjClose?.[12]).toBe(ADJ[11]);
  });

  it('changes nothing else: every original bar is kept as it was', () => {
    const { series } = repairMissingSessions(GAPPY, NYSE_CALENDAR);
    const kept = [...Array(20).keys()].filter((i) => i !== 5 && i !== 12).map((i) => barAt(series, i));
    expect(kept).toEqual([...Array(GAPPY.length).keys()].map((i) => barAt(GAPPY, i)));
    expect(GAPPY.length).toBe(18);
  });

  it('gives a series that validates without missing-session findings', () => {
    expect(validateSeries(GAPPY).filter((f) => f.check === 'missing-session')).toHaveLength(2);
    const { series } = repairMissingSessions(GAPPY, NYSE_CALENDAR);
    expect(validateSeries(series).filter((f) => f.check === 'missing-session')).toEqual([]);
  });

  it('fills consecutive missing sessions from the last real bar', () => {
    const { repairs } = repairMissingSessions(seriesOf('TEST', BASE.filter((_, i) => i !== 7 && i !== 8)), NYSE_CALENDAR);
    expect(repairs.map((r) => [r.time, r.from])).toEqual([
      [BASE[7]?.[0], BASE[6]?.[0]],
      [BASE[8]?.[0], BASE[6]?.[0]],
    ]);
  });

  it('returns a complete series unchanged (the same object) with no repairs', () => {
    const complete = seriesOf('TEST', BASE);
    const result = repairMissingSessions(complete, NYSE_CALENDAR);
    expect(result.series).toBe(complete);
    expect(result.repairs).toEqual([]);
    expect(Object.isFrozen(result.repairs)).toBe(true);
  });

  it('does not fill holidays or weekends', () => {
    // 2014-01-17 (Fri) to 2014-01-21 (Tue): a weekend and Martin Luther King Jr. Day between.
    const bars = BASE.filter((bar) => bar[0] === dayMs('2014-01-17') || bar[0] === dayMs('2014-01-21'));
    expect(repairMissingSessions(seriesOf('TEST', bars), NYSE_CALENDAR).repairs).toEqual([]);
  });

  it('rejects unsorted or non-finite times with a DataError naming the symbol', () => {
    const swapped = seriesOf('TEST', [BASE[1], BASE[0]].filter((bar) => bar !== undefined));
    expect(() => repairMissingSessions(swapped, NYSE_CALENDAR)).toThrow(DataError);
    expect(() => repairMissingSessions(swapped, NYSE_CALENDAR)).toThrow('symbol TEST');
    const nan = seriesOf('TEST', [[Number.NaN, 1, 1, 1, 1, 1]]);
    expect(() => repairMissingSessions(nan, NYSE_CALENDAR)).toThrow('bar 0 has time NaN');
  });
});
