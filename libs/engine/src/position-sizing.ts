import type { BarUniverse } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import { atrRiskShares, volatilityTargetShares } from '@quantbot/risk-guardrails';

/**
 * How many shares an order without an explicit quantity gets.
 * - `fixed-shares`: always `shares`.
 * - `percent-of-equity`: `floor(cash / price × percent / 100)` with the cash available and the
 *   close at the decision. When the book is flat, cash is the equity; with other positions
 *   open it is what is left to spend, so the rule never sizes beyond the cash it has.
 * - `volatility-target`: shares whose daily volatility (sample deviation of the last
 *   `lookbackBars` close-to-close returns, up to the decision bar) annualizes to
 *   `targetAnnualVolPct` of equity.
 * - `atr-risk`: shares for which a move of `atrMultiple` × ATR (the mean true range of the last
 *   `atrPeriod` bars) costs `riskPct` of equity, capped at what equity can buy.
 * Both use only bars up to the decision: no lookahead.
 */
export type SizingRule =
  | { readonly kind: 'fixed-shares'; readonly shares: number }
  | { readonly kind: 'percent-of-equity'; readonly percent: number }
  | { readonly kind: 'volatility-target'; readonly targetAnnualVolPct: number; readonly lookbackBars: number }
  | { readonly kind: 'atr-risk'; readonly riskPct: number; readonly atrPeriod: number; readonly atrMultiple: number };

/** Where a sizing rule reads what it needs: the account and the bars up to the decision. */
export interface SizingInput {
  readonly cash: number;
  readonly equity: number;
  readonly universe: BarUniverse;
  readonly symbolIndex: number;
  /** The decision bar (inclusive). */
  readonly step: number;
}

/** Checks a sizing rule's numbers, throwing `ConfigError` naming the flag. */
export function validateSizingRule(rule: SizingRule): SizingRule {
  switch (rule.kind) {
    case 'fixed-shares':
      if (!Number.isInteger(rule.shares) || rule.shares <= 0) {
        throw new ConfigError('--size', `must be a positive whole number of shares, got ${rule.shares}`);
      }
      break;
    case 'percent-of-equity':
      if (!Number.isFinite(rule.percent) || rule.percent <= 0 || rule.percent > 100) {
        throw new ConfigError('--percent-of-equity', `must be in (0, 100], got ${rule.percent}`);
      }
      break;
    case 'volatility-target':
      if (!Number.isFinite(rule.targetAnnualVolPct) || rule.targetAnnualVolPct <= 0 || rule.targetAnnualVolPct > 100) {
        throw new ConfigError('--vol-target', `must be in (0, 100] percent, got ${rule.targetAnnualVolPct}`);
      }
      if (!Number.isInteger(rule.lookbackBars) || rule.lookbackBars < 2) throw new ConfigError('--vol-target', `needs a lookback of at least 2 bars, got ${rule.lookbackBars}`);
      break;
    case 'atr-risk':
      if (!Number.isFinite(rule.riskPct) || rule.riskPct <= 0 || rule.riskPct > 100) throw new ConfigError('--atr-risk', `must be in (0, 100] percent, got ${rule.riskPct}`);
      if (!Number.isInteger(rule.atrPeriod) || rule.atrPeriod < 1) throw new ConfigError('--atr-risk', `needs an ATR period of at least 1, got ${rule.atrPeriod}`);
      if (!Number.isFinite(rule.atrMultiple) || rule.atrMultiple <= 0) throw new ConfigError('--atr-risk', `needs a positive ATR multiple, got ${rule.atrMultiple}`);
      break;
  }
  return Object.freeze({ ...rule });
}

/**
 * The quantity a rule gives for an order decided on `input.step`; 0 when nothing can be bought
 * or there is not yet enough history (the order is then reported as unsized, never guessed).
 */
export function sizeFor(rule: SizingRule, input: SizingInput): number {
  const u = input.universe;
  const base = input.symbolIndex * u.length;
  const price = u.close[base + input.step] as number;
  switch (rule.kind) {
    case 'fixed-shares':
    case 'percent-of-equity':
      return sizeOrder(rule, input.cash, price);
    case 'volatility-target': {
      const sigma = dailyVolatility(u, base, input.step, rule.lookbackBars);
      if (!(sigma > 0) || !(input.equity > 0) || !(price > 0)) return 0;
      return volatilityTargetShares({ equity: input.equity, price, targetAnnualVolPct: rule.targetAnnualVolPct, dailyVolatility: Math.min(1, sigma) });
    }
    case 'atr-risk': {
      const atr = averageTrueRange(u, base, input.step, rule.atrPeriod);
      if (!(atr > 0) || !(input.equity > 0) || !(price > 0)) return 0;
      return atrRiskShares({ equity: input.equity, riskPct: rule.riskPct, atr, atrMultiple: rule.atrMultiple, price });
    }
  }
}

/** Sample deviation of the last `n` close-to-close returns ending at `step`; NaN without enough bars. */
function dailyVolatility(u: BarUniverse, base: number, step: number, n: number): number {
  if (step < n) return NaN;
  let sum = 0;
  let sumSquares = 0;
  for (let k = step - n + 1; k <= step; k++) {
    const r = (u.close[base + k] as number) / (u.close[base + k - 1] as number) - 1;
    if (!Number.isFinite(r)) return NaN;
    sum += r;
    sumSquares += r * r;
  }
  return Math.sqrt(Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1)));
}

/** Mean true range of the last `n` bars ending at `step`; NaN without enough bars. */
function averageTrueRange(u: BarUniverse, base: number, step: number, n: number): number {
  if (step < n) return NaN;
  let sum = 0;
  for (let k = step - n + 1; k <= step; k++) {
    const prevClose = u.close[base + k - 1] as number;
    const tr = Math.max(u.high[base + k] as number, prevClose) - Math.min(u.low[base + k] as number, prevClose);
    if (!Number.isFinite(tr)) return NaN;
    sum += tr;
  }
  return sum / n;
}

/** The quantity `rule` gives at `price` with `cash` available; 0 when nothing can be bought. */
export function sizeOrder(rule: Extract<SizingRule, { kind: 'fixed-shares' | 'percent-of-equity' }>, cash: number, price: number): number {
  if (rule.kind === 'fixed-shares') return rule.shares;
  if (!(price > 0) || !(cash > 0)) return 0;
  // Same order of operations as established backtesters' percent sizers, so the floor agrees.
  return Math.floor((cash / price) * (rule.percent / 100));
}
