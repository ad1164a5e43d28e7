import type { EpochMs, Ticker } from '@quantbot/core';

/**
 * Graded trading states. `active`: every order the limits allow passes. `reducing`: only orders
 * that shrink a position's absolute size pass. `halted`: nothing passes. `flatten`: the session
 * must close every position (the gateway passes only closing orders), then it becomes `halted`.
 */
export type TradingState = 'active' | 'reducing' | 'halted' | 'flatten';

/** What the gateway sees of the portfolio when it judges an order. Quantities are signed shares. */
export interface PortfolioView {
  readonly time: EpochMs;
  /** Cash plus positions marked at the latest prices, in currency. */
  readonly equity: number;
  position(symbol: Ticker): number;
  /** The latest price of `symbol` (NaN when unknown). */
  lastPrice(symbol: Ticker): number;
  /** Σ |qty × price| over positions. */
  grossExposure(): number;
  /** Σ qty × price over positions. */
  netExposure(): number;
}

/** Machine-readable reasons an order is refused. */
export type RejectCode =
  | 'halted'
  | 'reducing-only'
  | 'invalid-order'
  | 'order-notional'
  | 'order-qty'
  | 'position-qty'
  | 'position-pct-equity'
  | 'gross-exposure'
  | 'gross-notional'
  | 'net-exposure'
  | 'price-band'
  | 'short-sale'
  | 'symbol-denied'
  | 'symbol-not-allowed'
  | 'order-rate'
  | 'gap-risk';

/** The gateway's verdict on one order. */
export type GatewayDecision =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly code: RejectCode; readonly message: string };
