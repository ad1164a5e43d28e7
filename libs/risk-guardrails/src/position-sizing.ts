import type { BarUniverse } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';

/**
 * Position sizing, the one home of it: the sizing rules an engine applies to every order sent
 * without a quantity ({@link SizingRule}, {@link sizeFor}) and the pure functions they rest on.
 *
 * The functions turn a risk budget into whole shares. Every function is pure,
 * validates every input (a non-finite or out-of-range value is a `ConfigError` whose key is the
 * argument's name) and returns a whole number of shares ≥ 0, which is 0 when the budget does not
 * reach one share. Percentages are percent (2 = 2 %); volatilities are fractions (0.02 = 2 %).
 * None of them lever up beyond what the formula says; the gateway's exposure limits stay the
 * last word on how much is held.
 */

/** Trading days per year, for turning daily volatility into annual volatility. */
export const TRADING_DAYS_PER_YEAR = 252;

/** Always the same number of shares. `shares` must be a whole number ≥ 0. */
export function fixedShares(shares: number): number {
  requireFinite('shares', shares);
  if (!Number.isSafeInteger(shares) || shares < 0) throw new ConfigError('shares', `must be a whole number ≥ 0, got ${shares}`);
  return shares;
}

/** Inputs of {@link percentOfEquityShares}. */
export interface PercentOfEquityInput {
  /** Account equity in currency, ≥ 0. */
  readonly equity: number;
  /** Price of one share in currency, > 0. */
  readonly price: number;
  /** Share of equity to hold, in percent, 0–100. */
  readonly percent: number;
}

/**
 * Shares worth `percent` % of equity: floor(equity × percent / 100 / price).
 *
 * @example percentOfEquityShares({ equity: 100_000, price: 50, percent: 10 }) === 200
 */
export function percentOfEquityShares(input: PercentOfEquityInput): number {
  const equity = requireNonNegative('equity', input.equity);
  const price = requirePositive('price', input.price);
  const percent = requireRange('percent', input.percent, 0, 100);
  return wholeShares((equity * percent) / 100 / price, 'percentOfEquityShares');
}

/** Inputs of {@link volatilityTargetShares}. */
export interface VolatilityTargetInput {
  /** Account equity in currency, ≥ 0. */
  readonly equity: number;
  /** Price of one share in currency, > 0. */
  readonly price: number;
  /** The annual volatility the position should contribute, as percent of equity, 0–100. */
  readonly targetAnnualVolPct: number;
  /** The instrument's daily return volatility as a fraction, in (0, 1]: 0.02 is 2 % a day. */
  readonly dailyVolatility: number;
}

/**
 * Shares whose annualised volatility is `targetAnnualVolPct` % of equity:
 * floor(equity × target / 100 / (price × dailyVolatility × √252)). A calm instrument can get
 * more shares than equity pays for (equity 100 000, target 20 %, daily vol 0.5 % → about 2.5×
 * equity); bound that with the gateway's gross exposure limit or {@link percentOfEquityShares}.
 *
 * @example volatilityTargetShares({ equity: 100_000, price: 100, targetAnnualVolPct: 10, dailyVolatility: 0.02 }) === 314
 */
export function volatilityTargetShares(input: VolatilityTargetInput): number {
  const equity = requireNonNegative('equity', input.equity);
  const price = requirePositive('price', input.price);
  const target = requireRange('targetAnnualVolPct', input.targetAnnualVolPct, 0, 100);
  const dailyVolatility = requireRange('dailyVolatility', input.dailyVolatility, 0, 1, { excludeMin: true });
  const annualVolPerShare = price * dailyVolatility * Math.sqrt(TRADING_DAYS_PER_YEAR);
  return wholeShares((equity * target) / 100 / annualVolPerShare, 'volatilityTargetShares');
}

/** Inputs of {@link atrRiskShares}. */
export interface AtrRiskInput {
  /** Account equity in currency, ≥ 0. */
  readonly equity: number;
  /** Equity to lose if the stop is hit, in percent, 0–100. */
  readonly riskPct: number;
  /** Average true range per share in currency, > 0. */
  readonly atr: number;
  /** Stop distance in ATRs, > 0. */
  readonly atrMultiple: number;
  /** When given (> 0), caps the result at the shares equity buys outright: floor(equity / price). */
  readonly price?: number;
}

/**
 * Shares such that a stop `atrMultiple` ATRs away loses `riskPct` % of equity:
 * floor(equity × riskPct / 100 / (atr × atrMultiple)), capped by `price` when given.
 *
 * @example atrRiskShares({ equity: 100_000, riskPct: 1, atr: 2, atrMultiple: 2 }) === 250
 */
export function atrRiskShares(input: AtrRiskInput): number {
  const equity = requireNonNegative('equity', input.equity);
  const riskPct = requireRange('riskPct', input.riskPct, 0, 100);
  const atr = requirePositive('atr', input.atr);
  const atrMultiple = requirePositive('atrMultiple', input.atrMultiple);
  const shares = wholeShares((equity * riskPct) / 100 / (atr * atrMultiple), 'atrRiskShares');
  if (input.price === undefined) return shares;
  const price = requirePositive('price', input.price);
  return Math.min(shares, wholeShares(equity / price, 'atrRiskShares'));
}

/** Inputs of {@link cappedKellyFraction}. */
export interface KellyInput {
  /** Probability that a trade wins, 0–1. */
  readonly winRate: number;
  /** Average win divided by average loss, > 0. */
  readonly payoffRatio: number;
  /** The largest fraction of equity to stake, 0–1. Default 0.25. */
  readonly cap?: number;
  /** Multiplier on the full Kelly fraction, 0–1. Default 0.5 (half Kelly). */
  readonly scale?: number;
}

/** Default cap of {@link cappedKellyFraction}: never stake more than a quarter of equity. */
export const DEFAULT_KELLY_CAP = 0.25;

/** Default scale of {@link cappedKellyFraction}: half Kelly, which gives up little growth for much less variance. */
export const DEFAULT_KELLY_SCALE = 0.5;

/**
 * The fraction of equity to stake: clamp(scale × (winRate − (1 − winRate) / payoffRatio), 0, cap).
 * 0 when the edge is nil or negative (the strategy should not trade).
 *
 * @example cappedKellyFraction({ winRate: 0.55, payoffRatio: 1 }) // ≈ 0.05: half of the full Kelly 10 %
 */
export function cappedKellyFraction(input: KellyInput): number {
  const winRate = requireRange('winRate', input.winRate, 0, 1);
  const payoffRatio = requirePositive('payoffRatio', input.payoffRatio);
  const cap = requireRange('cap', input.cap ?? DEFAULT_KELLY_CAP, 0, 1);
  const scale = requireRange('scale', input.scale ?? DEFAULT_KELLY_SCALE, 0, 1);
  const fullKelly = winRate - (1 - winRate) / payoffRatio;
  return Math.min(Math.max(scale * fullKelly, 0), cap);
}

/** Inputs of {@link kellyShares}. */
export interface KellySharesInput extends KellyInput {
  /** Account equity in currency, ≥ 0. */
  readonly equity: number;
  /** Price of one share in currency, > 0. */
  readonly price: number;
}

/**
 * Shares worth the capped Kelly fraction of equity: floor(equity × cappedKellyFraction / price).
 *
 * @example kellyShares({ equity: 100_000, price: 50, winRate: 0.55, payoffRatio: 1 }) === 100
 */
export function kellyShares(input: KellySharesInput): number {
  const equity = requireNonNegative('equity', input.equity);
  const price = requirePositive('price', input.price);
  const fraction = cappedKellyFraction(input);
  return wholeShares((equity * fraction) / price, 'kellyShares');
}

/**
 * Rounds a share count down to whole shares, the one place sizing rounds. A quotient a hair
 * below an integer through floating point (19.999999999999996 for an exact 20) counts as that
 * integer, so exact budgets are not short by a share.
 */
function wholeShares(raw: number, rule: string): number {
  if (!Number.isFinite(raw) || raw > Number.MAX_SAFE_INTEGER) {
    throw new ConfigError(rule, `the inputs size a position of ${raw} shares, beyond any real order`);
  }
  const nearest = Math.round(raw);
  const shares = Math.abs(raw - nearest) <= 1e-9 * Math.max(1, Math.abs(raw)) ? nearest : Math.floor(raw);
  return Math.max(0, shares);
}

function requireFinite(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(name, `must be a finite number, got ${String(value)}`);
  return value;
}

function requireNonNegative(name: string, value: number): number {
  requireFinite(name, value);
  if (value < 0) throw new ConfigError(name, `must be ≥ 0, got ${value}`);
  return value;
}

function requirePositive(name: string, value: number): number {
  requireFinite(name, value);
  if (value <= 0) throw new ConfigError(name, `must be > 0, got ${value}`);
  return value;
}

function requireRange(name: string, value: number, min: number, max: number, options: { excludeMin?: boolean } = {}): number {
  requireFinite(name, value);
  const isBelow = options.excludeMin === true ? value <= min : value < min;
  if (isBelow || value > max) {
    throw new ConfigError(name, `must be in ${options.excludeMin === true ? '(' : '['}${min}, ${max}], got ${value}`);
  }
  return value;
}

/**
 * How many shares an order without an explicit quantity gets.
 * - `fixed-shares`: always `shares`.
 * - `percent-of-cash`: `floor(cash / price × percent / 100)` with the cash available and the
 *   close at the decision. When the book is flat, cash is the equity; with other positions
 *   open it is what is left to spend, so the rule never sizes beyond the cash it has. (This is
 *   the percent sizer of established backtesters, which the parity tests compare with.)
 * - `percent-of-equity`: shares worth `percent` % of equity (cash plus the marked value of the
 *   open positions) at the close at the decision: `floor(equity × percent / 100 / price)`. With
 *   positions open it can ask for more than the cash left; the gateway's limits have the last word.
 * - `volatility-target`: shares whose daily volatility (sample deviation of the last
 *   `lookbackBars` close-to-close returns, up to the decision bar) annualizes to
 *   `targetAnnualVolPct` of equity.
 * - `atr-risk`: shares for which a move of `atrMultiple` × ATR (the mean true range of the last
 *   `atrPeriod` bars) costs `riskPct` of equity, capped at what equity can buy.
 * Every rule uses only bars up to the decision: no lookahead.
 */
export type SizingRule =
  | { readonly kind: 'fixed-shares'; readonly shares: number }
  | { readonly kind: 'percent-of-cash'; readonly percent: number }
  | { readonly kind: 'percent-of-equity'; readonly percent: number }
  | { readonly kind: 'volatility-target'; readonly targetAnnualVolPct: number; readonly lookbackBars: number }
  | { readonly kind: 'atr-risk'; readonly riskPct: number; readonly atrPeriod: number; readonly atrMultiple: number };

/** The kinds of {@link SizingRule}, in the order help texts list them. */
export const SIZING_RULE_KINDS: readonly SizingRule['kind'][] = Object.freeze(['fixed-shares', 'percent-of-cash', 'percent-of-equity', 'volatility-target', 'atr-risk']);

/** Where a sizing rule reads what it needs: the account and the bars up to the decision. */
export interface SizingInput {
  /** Cash available, in currency. */
  readonly cash: number;
  /** Cash plus the open positions marked at the decision's close, in currency. */
  readonly equity: number;
  readonly universe: BarUniverse;
  readonly symbolIndex: number;
  /** The decision bar (inclusive). */
  readonly step: number;
}

/**
 * Checks a sizing rule's numbers and returns it frozen. A bad number is a `ConfigError` keyed
 * `sizing.<kind>` (such as `sizing.percent-of-cash`): the rule's main number, or the field its reason names.
 */
export function validateSizingRule(rule: SizingRule): SizingRule {
  const refuse = (reason: string): never => {
    throw new ConfigError(`sizing.${rule.kind}`, reason);
  };
  switch (rule.kind) {
    case 'fixed-shares':
      if (!Number.isInteger(rule.shares) || rule.shares <= 0) refuse(`must be a positive whole number of shares, got ${rule.shares}`);
      break;
    case 'percent-of-cash':
    case 'percent-of-equity':
      if (!Number.isFinite(rule.percent) || rule.percent <= 0 || rule.percent > 100) refuse(`must be in (0, 100], got ${rule.percent}`);
      break;
    case 'volatility-target':
      if (!Number.isFinite(rule.targetAnnualVolPct) || rule.targetAnnualVolPct <= 0 || rule.targetAnnualVolPct > 100) {
        refuse(`must be in (0, 100] percent, got ${rule.targetAnnualVolPct}`);
      }
      if (!Number.isInteger(rule.lookbackBars) || rule.lookbackBars < 2) refuse(`needs a lookback of at least 2 bars, got ${rule.lookbackBars}`);
      break;
    case 'atr-risk':
      if (!Number.isFinite(rule.riskPct) || rule.riskPct <= 0 || rule.riskPct > 100) refuse(`must be in (0, 100] percent, got ${rule.riskPct}`);
      if (!Number.isInteger(rule.atrPeriod) || rule.atrPeriod < 1) refuse(`needs an ATR period of at least 1, got ${rule.atrPeriod}`);
      if (!Number.isFinite(rule.atrMultiple) || rule.atrMultiple <= 0) refuse(`needs a positive ATR multiple, got ${rule.atrMultiple}`);
      break;
    default:
      refuse(`unknown sizing rule; available: ${SIZING_RULE_KINDS.join(', ')}`);
  }
  return Object.freeze({ ...rule });
}

/** A one-line description of a rule for reports, such as `95% of cash`. */
export function describeSizingRule(rule: SizingRule): string {
  switch (rule.kind) {
    case 'fixed-shares':
      return `${rule.shares} shares`;
    case 'percent-of-cash':
      return `${rule.percent}% of cash`;
    case 'percent-of-equity':
      return `${rule.percent}% of equity`;
    case 'volatility-target':
      return `${rule.targetAnnualVolPct}% annual volatility (${rule.lookbackBars}-bar)`;
    case 'atr-risk':
      return `${rule.riskPct}% of equity per ${rule.atrMultiple} x ATR(${rule.atrPeriod})`;
  }
}

/**
 * The quantity a (validated) rule gives for an order decided on `input.step`; 0 when nothing can
 * be bought or there is not yet enough history (the order is then reported as unsized, never
 * guessed). Runs on the hot path: no allocation.
 */
export function sizeFor(rule: SizingRule, input: SizingInput): number {
  const u = input.universe;
  const base = input.symbolIndex * u.length;
  const price = u.close[base + input.step] as number;
  switch (rule.kind) {
    case 'fixed-shares':
    case 'percent-of-cash':
      return sizeOrder(rule, input.cash, price);
    case 'percent-of-equity':
      if (!(price > 0) || !(input.equity > 0)) return 0;
      return percentOfEquityShares({ equity: input.equity, price, percent: rule.percent });
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

/** The quantity `rule` gives at `price` with `cash` available; 0 when nothing can be bought. */
export function sizeOrder(rule: Extract<SizingRule, { kind: 'fixed-shares' | 'percent-of-cash' }>, cash: number, price: number): number {
  if (rule.kind === 'fixed-shares') return rule.shares;
  if (!(price > 0) || !(cash > 0)) return 0;
  // Same order of operations as established backtesters' percent sizers, so the floor agrees.
  return Math.floor((cash / price) * (rule.percent / 100));
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
