import { ConfigError, ticker } from '@quantbot/core';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { MINUTES_PER_SESSION, generateSyntheticMinuteUniverse } from './synthetic-minute-bars';

describe('generateSyntheticMinuteUniverse', () => {
  const options = { symbols: [ticker('AAA'), ticker('BBB')], sessions: 3, seed: 9, start: '2024-03-08' } as const;

  it('cuts each synthetic day into 390 minute bars from 09:30 New York, across a DST change', () => {
    const u = generateSyntheticMinuteUniverse(options);
    expect(u.length).toBe(3 * MINUTES_PER_SESSION);
    const iso = (k: number): string => new Date(u.time[k] as number).toISOString();
    // Friday 8 March (EST), then Monday 11 and Tuesday 12 March (EDT): DST began on Sunday 10 March.
    expect([iso(0), iso(389), iso(390), iso(780)]).toEqual(['2024-03-08T14:30:00.000Z', '2024-03-08T20:59:00.000Z', '2024-03-11T13:30:00.000Z', '2024-03-12T13:30:00.000Z']);
    expect(u.hasBar.every((b) => b === 1)).toBe(true);
  });

  it('keeps every minute inside its day: opens at the day\'s open, closes at its close, volume adds up', () => {
    const u = generateSyntheticMinuteUniverse(options);
    const daily = generateSyntheticUniverse({ symbols: options.symbols, bars: 3, seed: 9, start: '2024-03-08' });
    for (let s = 0; s < 2; s++) {
      for (let day = 0; day < 3; day++) {
        const d = s * 3 + day;
        const first = s * u.length + day * MINUTES_PER_SESSION;
        const last = first + MINUTES_PER_SESSION - 1;
        expect(u.open[first]).toBeCloseTo(daily.open[d] as number, 2);
        expect(u.close[last]).toBeCloseTo(daily.close[d] as number, 2);
        let volume = 0;
        for (let i = first; i <= last; i++) {
          const [o, h, l, c] = [u.open[i], u.high[i], u.low[i], u.close[i]] as number[];
          expect(h).toBeGreaterThanOrEqual(Math.max(o as number, c as number));
          expect(l).toBeLessThanOrEqual(Math.min(o as number, c as number));
          expect(h).toBeLessThanOrEqual((daily.high[d] as number) + 0.005);
          expect(l).toBeGreaterThanOrEqual((daily.low[d] as number) - 0.005);
          expect(Number.isInteger(u.volume[i]) && (u.volume[i] as number) >= 1).toBe(true);
          volume += u.volume[i] as number;
        }
        expect(Math.abs(volume - (daily.volume[d] as number)) / (daily.volume[d] as number)).toBeLessThan(0.01);
      }
    }
  });

  it('is deterministic in its seed', () => {
    const a = generateSyntheticMinuteUniverse(options);
    expect(generateSyntheticMinuteUniverse(options).close).toEqual(a.close);
    expect(generateSyntheticMinuteUniverse({ ...options, seed: 10 }).close).not.toEqual(a.close);
    expect(() => generateSyntheticMinuteUniverse({ ...options, sessions: 0 })).toThrow(ConfigError);
  });
});
