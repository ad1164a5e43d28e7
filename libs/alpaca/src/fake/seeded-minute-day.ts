import type { BarUniverse, Ticker } from '@quantbot/core';
import { SeededRng } from '@quantbot/core';

/** 09:30 New York on Tuesday 2024-03-05: the default start of `seededMinuteDay`. */
export const SEEDED_MINUTE_DAY_OPEN = Date.UTC(2024, 2, 5, 14, 30);

/**
 * A seeded session of minute bars to replay into the fake: `bars` minutes from `start` for each of
 * `symbols`, a gentle random walk in whole cents from 40 (then 100, 160, ...) with 50,000 shares a
 * bar (enough volume for any test order). The same seed gives the same bars.
 */
export function seededMinuteDay(seed: number, symbols: readonly Ticker[], bars = 390, start = SEEDED_MINUTE_DAY_OPEN): BarUniverse {
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
