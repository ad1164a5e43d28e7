import { ConfigError } from '@quantbot/core';

/**
 * How many shares an order without an explicit quantity gets.
 * - `fixed-shares`: always `shares`.
 * - `percent-of-equity`: `floor(cash / price × percent / 100)` with the cash available and the
 *   close at the decision. When the book is flat, cash is the equity; with other positions
 *   open it is what is left to spend, so the rule never sizes beyond the cash it has.
 */
export type SizingRule =
  | { readonly kind: 'fixed-shares'; readonly shares: number }
  | { readonly kind: 'percent-of-equity'; readonly percent: number };

/** Checks a sizing rule's numbers, throwing `ConfigError` naming the flag. */
export function validateSizingRule(rule: SizingRule): SizingRule {
  if (rule.kind === 'fixed-shares') {
    if (!Number.isInteger(rule.shares) || rule.shares <= 0) {
      throw new ConfigError('--size', `must be a positive whole number of shares, got ${rule.shares}`);
    }
  } else if (!Number.isFinite(rule.percent) || rule.percent <= 0 || rule.percent > 100) {
    throw new ConfigError('--percent-of-equity', `must be in (0, 100], got ${rule.percent}`);
  }
  return Object.freeze({ ...rule });
}

/** The quantity `rule` gives at `price` with `cash` available; 0 when nothing can be bought. */
export function sizeOrder(rule: SizingRule, cash: number, price: number): number {
  if (rule.kind === 'fixed-shares') return rule.shares;
  if (!(price > 0) || !(cash > 0)) return 0;
  // Same order of operations as established backtesters' percent sizers, so the floor agrees.
  return Math.floor((cash / price) * (rule.percent / 100));
}
