import type { BarUniverse, Ticker } from '@quantbot/core';
import { SeededRng, ticker } from '@quantbot/core';

/** 09:30 New York on a Tuesday. */
export const OPEN = Date.UTC(2024, 2, 5, 14, 30);
/** One regular session of minute bars. */
export const BARS = 390;

/** A seeded day of minute bars for two symbols (whole cents, enough volume for any order). */
export function minuteDay(seed: number, symbols: readonly Ticker[] = [ticker('AAA'), ticker('BBB')], bars = BARS, start = OPEN): BarUniverse {
  const rng = new SeededRng(seed);
  const n = symbols.length;
  const u = {
    symbols,
    length: bars,
    time: new Float64Array(bars).map((_, k) => start + k * 60_000),
    open: new Float64Array(n * bars),
    high: new Float64Array(n * bars),
    low: new Float64Array(n * bars),
    close: new Float64Array(n * bars),
    volume: new Float64Array(n * bars).fill(50_000),
    hasBar: new Uint8Array(n * bars).fill(1),
  };
  for (let s = 0; s < n; s++) {
    let price = 40 + 60 * s;
    for (let k = 0; k < bars; k++) {
      const at = s * bars + k;
      const open = Math.round(price * 100) / 100;
      price = Math.max(1, price * (1 + (rng.nextFloat() - 0.5) * 0.006));
      const close = Math.round(price * 100) / 100;
      u.open[at] = open;
      u.close[at] = close;
      u.high[at] = Math.max(open, close) + 0.02;
      u.low[at] = Math.min(open, close) - 0.02;
    }
  }
  return u;
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
