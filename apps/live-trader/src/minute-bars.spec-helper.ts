import type { BarUniverse, Ticker } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import { seededMinuteDay } from '@quantbot/alpaca/fake';

/** 09:30 New York on a Tuesday. */
export const OPEN = Date.UTC(2024, 2, 5, 14, 30);
/** One regular session of minute bars. */
export const BARS = 390;

/** A seeded day of minute bars for two symbols (the fake's `seededMinuteDay`). */
export function minuteDay(seed: number, symbols: readonly Ticker[] = [ticker('AAA'), ticker('BBB')], bars = BARS, start = OPEN): BarUniverse {
  return seededMinuteDay(seed, symbols, bars, start);
}

/** Sessions of `bars` minute bars each, on consecutive weekdays from `OPEN` (a market closed in between). */
export function minuteSessions(seed: number, sessions: number, bars: number, symbols: readonly Ticker[] = [ticker('AAA'), ticker('BBB')]): BarUniverse {
  const days = Array.from({ length: sessions }, (_, d) => minuteDay(seed + d, symbols, bars, OPEN + d * 86_400_000));
  const n = symbols.length;
  const length = sessions * bars;
  const column = (pick: (u: BarUniverse) => Float64Array): Float64Array => {
    const out = new Float64Array(n * length);
    days.forEach((u, d) => {
      for (let s = 0; s < n; s++) out.set(pick(u).subarray(s * bars, (s + 1) * bars), s * length + d * bars);
    });
    return out;
  };
  const time = new Float64Array(length);
  days.forEach((u, d) => time.set(u.time, d * bars));
  return {
    symbols,
    length,
    time,
    open: column((u) => u.open),
    high: column((u) => u.high),
    low: column((u) => u.low),
    close: column((u) => u.close),
    volume: column((u) => u.volume),
    hasBar: new Uint8Array(n * length).fill(1),
  };
}
