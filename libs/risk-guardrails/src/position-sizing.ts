import { ConfigError } from '@quantbot/core';

/**
 * Position sizing rules: how many whole shares a risk budget buys. Every function is pure,
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
