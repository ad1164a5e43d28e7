import { equityCsvBytes } from './equity-csv-bytes';

/** The line `equity.csv` has always held: `toISOString`, a comma, `String(value)`. */
const reference = (time: readonly number[], equity: readonly number[]): string => time.map((t, i) => `${new Date(t).toISOString()},${String(equity[i])}\n`).join('');

/** A seeded generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('equityCsvBytes', () => {
  it('writes exactly the toISOString and String text of every time and value, edge cases included', () => {
    const time = [0, -1, 1, 86_399_999, 86_400_000, -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000, 8.64e15, -8.64e15, 951_782_400_000, 1.5, -0.5];
    const equity = [0, -0, 1e21, 1e-7, -1e-7, 123.45, 0.1 + 0.2, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE, -Number.MIN_VALUE, 97958.00000000001, 4144432];
    const bytes = equityCsvBytes(time, equity, 0, time.length, true);
    expect(Buffer.from(bytes).toString('utf8')).toBe(`time,equity\n${reference(time, equity)}`);
  });

  it('matches the reference on random times (years 0000 to 9999 and beyond) and values, for any range of steps', () => {
    const next = rng(7);
    const time = Array.from({ length: 20_000 }, () => Math.round((next() - 0.5) * 2 * 8.64e15 * (next() < 0.5 ? 1 : 0.05)));
    const equity = Array.from({ length: 20_000 }, () => (next() < 0.3 ? Math.round(next() * 1e7) : (next() - 0.3) * 10 ** Math.floor(next() * 30 - 10)));
    expect(Buffer.from(equityCsvBytes(time, equity, 0, time.length, false)).toString('utf8')).toBe(reference(time, equity));
    expect(Buffer.from(equityCsvBytes(time, equity, 100, 2_000, false)).toString('utf8')).toBe(reference(time.slice(100, 2_000), equity.slice(100, 2_000)));
    expect(equityCsvBytes(time, equity, 5, 5, false).length).toBe(0);
  });

  it('matches the reference on bars that repeat times of day and cross years (the cached digits change when they must)', () => {
    const day = 86_400_000;
    const start = Date.UTC(1999, 11, 20);
    const time: number[] = [];
    for (let d = 0; d < 800; d++) {
      // Daily bars at midnight, then a stretch of intraday bars at 09:30:00.000 and 15:59:59.999, then 1 ms apart.
      if (d < 300) time.push(start + d * day);
      else if (d < 600) time.push(start + d * day + 34_200_000, start + d * day + 57_599_999);
      else time.push(start + d * day + 1, start + d * day + 2);
    }
    const equity = time.map((_, i) => 100_000 + (i % 7) * 0.01);
    expect(Buffer.from(equityCsvBytes(time, equity, 0, time.length, false)).toString('utf8')).toBe(reference(time, equity));
  });

  it('matches the reference on days that follow one another by 1 to 4 days, or go back, across every kind of month end', () => {
    const next = rng(3);
    const day = 86_400_000;
    const time: number[] = [];
    // From 1599-12-25 (leap and non-leap Februaries, centuries 1700, 1800, 1900 and 2000) on.
    let t = Date.UTC(1599, 11, 25);
    while (time.length < 200_000) {
      time.push(t);
      const r = next();
      t += r < 0.02 ? -Math.floor(next() * 40) * day : r < 0.05 ? 0 : Math.ceil(next() * 4) * day;
    }
    const equity = time.map((_, i) => 100_000 + (i % 5));
    const got = Buffer.from(equityCsvBytes(time, equity, 0, time.length, true)).toString('utf8').split('\n');
    const want = `time,equity\n${reference(time, equity)}`.split('\n');
    // The first line that differs (a whole-text comparison of 200,000 lines would print for minutes).
    const first = got.findIndex((line, i) => line !== want[i]);
    expect({ first, got: got[first], want: want[first] }).toEqual({ first: -1, got: undefined, want: undefined });
    expect(got.length).toBe(want.length);
  });

  it('matches the reference when a fractional time follows a whole one of the same day (Date truncates toward zero)', () => {
    const time = [-1, -1.5, -86_400_000, -86_399_999.25, 0, 1.5, 1000.7, 86_399_999, 86_399_999.9, 5_000, 4_999.5];
    const equity = time.map((_, i) => i);
    expect(Buffer.from(equityCsvBytes(time, equity, 0, time.length, false)).toString('utf8')).toBe(reference(time, equity));
  });
});
