import type { Bar, BarUniverse, Ticker } from '@quantbot/core';
import { SeededRng, epochMs } from '@quantbot/core';

export const MINUTE = 60_000;
export const START = Date.UTC(2024, 2, 5, 14, 30);

/** Seeded random walks of minute bars for every symbol, from `START`. */
export function walk(length: number, seed: number, symbols: readonly Ticker[]): BarUniverse {
  const rng = new SeededRng(seed);
  const n = symbols.length;
  const u = {
    symbols,
    length,
    time: new Float64Array(length).map((_, k) => START + k * MINUTE),
    open: new Float64Array(n * length),
    high: new Float64Array(n * length),
    low: new Float64Array(n * length),
    close: new Float64Array(n * length),
    volume: new Float64Array(n * length),
    hasBar: new Uint8Array(n * length).fill(1),
  };
  for (let s = 0; s < n; s++) {
    let price = 50 + 50 * s;
    for (let k = 0; k < length; k++) {
      const at = s * length + k;
      const open = price;
      price = Math.max(1, price * (1 + (rng.nextFloat() - 0.5) * 0.01));
      u.open[at] = Math.round(open * 100) / 100;
      u.close[at] = Math.round(price * 100) / 100;
      u.high[at] = Math.max(u.open[at] as number, u.close[at] as number) + 0.05;
      u.low[at] = Math.min(u.open[at] as number, u.close[at] as number) - 0.05;
      u.volume[at] = 1_000_000;
    }
  }
  return u;
}

/** The bars of step `k`, one per symbol. */
export function barsAt(u: BarUniverse, k: number): (Bar | undefined)[] {
  return u.symbols.map((_, s) => {
    const at = s * u.length + k;
    return {
      time: epochMs(u.time[k] as number),
      open: u.open[at] as number,
      high: u.high[at] as number,
      low: u.low[at] as number,
      close: u.close[at] as number,
      volume: u.volume[at] as number,
    };
  });
}

