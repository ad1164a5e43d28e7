import type { Ticker } from './ids';

/** A tradable instrument. Daily equities for now; `tickSize` and `lotSize` drive rounding in one place. */
export interface Instrument {
  readonly symbol: Ticker;
  readonly assetClass: 'equity';
  readonly currency: string;
  /** The smallest price increment, in currency. */
  readonly tickSize: number;
  /** The smallest tradable quantity, in shares. */
  readonly lotSize: number;
  readonly shortable: boolean;
}

/** A US equity with a one-cent tick and whole-share lots. */
export function usEquity(symbol: Ticker, shortable = true): Instrument {
  return Object.freeze({ symbol, assetClass: 'equity', currency: 'USD', tickSize: 0.01, lotSize: 1, shortable });
}

/** Rounds a quantity down to whole lots (toward zero), so a sizing rule never buys more than it can pay for. */
export function roundQtyToLot(qty: number, lotSize: number): number {
  if (!(lotSize > 0)) throw new RangeError(`lot size must be positive, got ${lotSize}`);
  const lots = Math.trunc(qty / lotSize);
  return lots * lotSize;
}
