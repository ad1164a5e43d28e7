import type { BarUniverse, Ticker } from '@quantbot/core';
import { ConfigError, SeededRng } from '@quantbot/core';
import { newYorkMidnight } from '@quantbot/alpaca';
import { deriveSymbolSeed, generateSyntheticUniverse, roundToCents } from '@quantbot/market-data';

/** Minute bars of a regular session: 09:30 to 16:00 New York. */
export const MINUTES_PER_SESSION = 390;
const SESSION_OPEN_MINUTES = 9 * 60 + 30;
const MINUTE_MS = 60_000;

/** What `generateSyntheticMinuteUniverse` generates. */
export interface SyntheticMinuteOptions {
  /** A count of symbols (`SYN01`, ...) or the tickers. */
  readonly symbols: number | readonly Ticker[];
  /** Sessions (business days) of 390 minute bars each. */
  readonly sessions: number;
  readonly seed: number;
  /** First session `YYYY-MM-DD` (a weekend moves to Monday); default the synthetic generator's. */
  readonly start?: string;
}

/**
 * Seeded minute bars for replaying a few regular sessions. `generateSyntheticUniverse` of
 * `@quantbot/market-data` makes daily bars only, so the days come from it (same seed, same
 * prices, gaps and volumes as a daily synthetic backtest) and each day is cut into 390 minute
 * bars stamped 09:30–15:59 New York: a seeded Brownian bridge from the day's open to its close,
 * kept inside the day's low–high range (a minute opens near, not exactly at, the previous
 * close), prices in cents, the day's volume spread over the minutes with more at the open and
 * the close. The same options always give the same bars.
 */
export function generateSyntheticMinuteUniverse(options: SyntheticMinuteOptions): BarUniverse {
  const { sessions, seed } = options;
  if (!Number.isSafeInteger(sessions) || sessions < 1) throw new ConfigError('--days', `must be a whole number ≥ 1, got ${sessions}`);
  const daily = generateSyntheticUniverse({ symbols: options.symbols, bars: sessions, seed, ...(options.start !== undefined ? { start: options.start } : {}) });
  const length = sessions * MINUTES_PER_SESSION;
  const symbolCount = daily.symbols.length;
  const time = new Float64Array(length);
  for (let day = 0; day < sessions; day++) {
    // Session dates are weekdays; DST changes on Sundays, so 09:30 is local midnight + 570 minutes.
    const open = newYorkMidnight(daily.time[day] as number) + SESSION_OPEN_MINUTES * MINUTE_MS;
    for (let m = 0; m < MINUTES_PER_SESSION; m++) time[day * MINUTES_PER_SESSION + m] = open + m * MINUTE_MS;
  }
  const n = symbolCount * length;
  const out = { open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
  const hasBar = new Uint8Array(n);
  const path = new Float64Array(MINUTES_PER_SESSION + 1);
  for (let s = 0; s < symbolCount; s++) {
    // Its own stream, apart from the daily generator's (which uses deriveSymbolSeed(seed, s)).
    const rng = new SeededRng(deriveSymbolSeed(seed ^ 0x5eed_1e55, s));
    for (let day = 0; day < sessions; day++) {
      const d = s * sessions + day;
      if (daily.hasBar[d] !== 1) continue;
      const dayOpen = daily.open[d] as number;
      const dayHigh = daily.high[d] as number;
      const dayLow = daily.low[d] as number;
      const dayClose = daily.close[d] as number;
      const dayVolume = daily.volume[d] as number;
      fillBridge(path, rng, dayOpen, dayClose, dayLow, dayHigh);
      const step = (dayHigh - dayLow) / (2 * Math.sqrt(MINUTES_PER_SESSION));
      let volumeWeights = 0;
      const base = s * length + day * MINUTES_PER_SESSION;
      for (let m = 0; m < MINUTES_PER_SESSION; m++) {
        // A minute's first trade is near, not at, the last one of the minute before.
        const o = m === 0 ? (path[0] as number) : Math.min(dayHigh, Math.max(dayLow, (path[m] as number) + rng.nextNormal() * step * 0.5));
        const c = path[m + 1] as number;
        const i = base + m;
        out.open[i] = roundToCents(o);
        out.close[i] = roundToCents(c);
        out.high[i] = roundToCents(Math.min(dayHigh, Math.max(o, c) + Math.abs(rng.nextNormal()) * step * 0.5));
        out.low[i] = roundToCents(Math.max(dayLow, Math.min(o, c) - Math.abs(rng.nextNormal()) * step * 0.5));
        // U-shaped intraday volume (busier at the open and the close), with noise.
        const x = m / (MINUTES_PER_SESSION - 1);
        const weight = (0.6 + 2.4 * (x - 0.5) ** 2) * Math.exp(0.3 * rng.nextNormal());
        out.volume[i] = weight;
        volumeWeights += weight;
        hasBar[i] = 1;
      }
      for (let m = 0; m < MINUTES_PER_SESSION; m++) {
        const i = base + m;
        out.volume[i] = Math.max(1, Math.round((dayVolume * (out.volume[i] as number)) / volumeWeights));
      }
    }
  }
  return { symbols: daily.symbols, length, time, hasBar, ...out };
}

/** A Brownian bridge from `from` to `to` in `path` (one point per minute boundary), clamped to [low, high]. */
function fillBridge(path: Float64Array, rng: SeededRng, from: number, to: number, low: number, high: number): void {
  const steps = path.length - 1;
  const sigma = (high - low) / (2 * Math.sqrt(steps));
  let walk = 0;
  path[0] = 0;
  for (let m = 1; m <= steps; m++) {
    walk += rng.nextNormal() * sigma;
    path[m] = walk;
  }
  const end = path[steps] as number;
  for (let m = 0; m <= steps; m++) {
    const t = m / steps;
    const price = from + (to - from) * t + (path[m] as number) - t * end;
    path[m] = Math.min(high, Math.max(low, price));
  }
}
