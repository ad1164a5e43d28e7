import { ConfigError, DataError } from '@quantbot/core';
import { dailyReturnsFromEquity } from './equity-returns';

const at = (date: string, hour = 0) => Date.parse(`${date}T${String(hour).padStart(2, '0')}:00:00.000Z`);

describe('dailyReturnsFromEquity', () => {
  it('gives each day after the first its return from the previous day of the curve', () => {
    const out = dailyReturnsFromEquity({ time: [at('2024-01-02'), at('2024-01-03'), at('2024-01-05')], equity: [100, 101, 99.99] });
    expect(out.dates).toEqual(['2024-01-03', '2024-01-05']);
    expect(out.returns[0]).toBeCloseTo(101 / 100 - 1, 15);
    expect(out.returns[1]).toBeCloseTo(99.99 / 101 - 1, 15);
    expect(Object.isFrozen(out)).toBe(true);
  });

  it('takes the last point of a day with several (intraday bars)', () => {
    const out = dailyReturnsFromEquity({ time: [at('2024-01-02', 14), at('2024-01-02', 20), at('2024-01-03', 14), at('2024-01-03', 20)], equity: [100, 102, 50, 104.04] });
    expect(out.dates).toEqual(['2024-01-03']);
    expect(out.returns[0]).toBeCloseTo(104.04 / 102 - 1, 15);
  });

  it('gives null where an equity is not finite or the one before is not positive', () => {
    const out = dailyReturnsFromEquity({ time: ['01', '02', '03', '04', '05'].map((d) => at(`2024-02-${d}`)), equity: [100, NaN, 100, 0, 10] });
    expect(out.returns).toEqual([null, null, -1, null]);
  });

  it('has no return for a curve of a single day', () => {
    expect(dailyReturnsFromEquity({ time: [at('2024-01-02')], equity: [1] })).toEqual({ dates: [], returns: [] });
    expect(dailyReturnsFromEquity({ time: [], equity: [] })).toEqual({ dates: [], returns: [] });
  });

  it('refuses columns of different lengths, a bad time and times going backwards', () => {
    expect(() => dailyReturnsFromEquity({ time: [0, 1], equity: [1] })).toThrow(ConfigError);
    expect(() => dailyReturnsFromEquity({ time: [0, NaN], equity: [1, 1] })).toThrow(/field time\[1\]: NaN is not a valid epoch ms/);
    expect(() => dailyReturnsFromEquity({ time: [at('2024-01-03'), at('2024-01-02')], equity: [1, 1] })).toThrow(DataError);
    expect(() => dailyReturnsFromEquity({ time: [at('2024-01-03'), at('2024-01-02')], equity: [1, 1] })).toThrow(/field time\[1\]: times go backwards/);
  });
});
