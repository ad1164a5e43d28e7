import type { BarUniverse } from '@quantbot/core';
import type { ExecutionProfile } from './execution-profile';

/** The parameters of the default slippage model (an `ExecutionProfile` is one). */
export type SlippageParameters = Pick<ExecutionProfile, 'slippageBps' | 'halfSpreadBps' | 'impactK' | 'lookbackBars'>;

/**
 * Adverse price adjustment, in basis points, for taking `qty` shares of symbol `s` at step
 * `step`: fixed slippage + half-spread + square-root impact `k · σ · √(qty / ADV)`. σ and ADV are
 * measured over the `lookbackBars` bars before `step` (never the fill bar itself); without
 * enough history or volume the impact term is 0.
 */
export function adverseCostBps(profile: SlippageParameters, u: BarUniverse, s: number, step: number, qty: number): number {
  const fixed = profile.slippageBps + profile.halfSpreadBps;
  if (profile.impactK === 0) return fixed;
  const base = s * u.length;
  const from = Math.max(1, step - profile.lookbackBars);
  let n = 0;
  let sum = 0;
  let sumSquares = 0;
  let volume = 0;
  let volumeBars = 0;
  for (let k = from; k < step; k++) {
    const c0 = u.close[base + k - 1] as number;
    const c1 = u.close[base + k] as number;
    if (u.hasBar[base + k] === 1 && u.hasBar[base + k - 1] === 1 && c0 > 0) {
      const r = c1 / c0 - 1;
      n++;
      sum += r;
      sumSquares += r * r;
    }
    const v = u.volume[base + k] as number;
    if (u.hasBar[base + k] === 1 && v > 0) {
      volume += v;
      volumeBars++;
    }
  }
  if (n < 2 || volumeBars === 0) return fixed;
  const sigma = Math.sqrt(Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1)));
  const adv = volume / volumeBars;
  return fixed + profile.impactK * sigma * Math.sqrt(qty / adv) * 10_000;
}

/**
 * Moves `price` against the order by `costBps` (up for buys, down for sells), then clamps it to
 * the bar's range so no fill is ever printed outside what traded.
 */
export function slipPrice(price: number, isBuy: boolean, costBps: number, low: number, high: number): number {
  if (costBps === 0) return price;
  const moved = isBuy ? price * (1 + costBps / 10_000) : price * (1 - costBps / 10_000);
  return Math.min(high, Math.max(low, moved));
}
