import { ConfigError, finiteOrNull, formatIsoTime, parseTicker } from '@quantbot/core';
import type { OrderRequest, Ticker } from '@quantbot/core';
import { gapAdjustedExposure } from './gap-risk';
import type { GatewayDecision, PortfolioView, RejectCode } from './risk-types';

/**
 * Pre-trade limits the order gateway enforces. Every field is optional: `undefined` means no
 * limit. Percentages are in percent (`25` is 25 %), quantities in shares, money in the account
 * currency. "After the order" means the position the order would leave if it filled in full at
 * its reference price (see {@link orderReferencePrice}).
 *
 * An order that only shrinks a position (see {@link isReducingOrder}) is exempt from the size and
 * exposure limits: its size is bounded by a position the limits already allowed, and refusing it
 * could keep the kill switch from flattening. It is still checked for validity, the symbol
 * lists, the price band and the order rate.
 *
 * @example
 * const limits: RiskLimits = { maxOrderNotional: 100_000, priceBandPct: 10, allowShort: false };
 */
export interface RiskLimits {
  /** Largest |qty × reference price| of one order, in currency. */
  readonly maxOrderNotional?: number;
  /** Largest quantity of one order, in shares. */
  readonly maxOrderQty?: number;
  /** Largest |position| in one symbol after the order, in shares. */
  readonly maxPositionQty?: number;
  /** Largest |position value| in one symbol after the order, in percent of equity. */
  readonly maxPositionPctEquity?: number;
  /** Largest Σ |position value| after the order, in percent of equity. */
  readonly maxGrossExposurePct?: number;
  /**
   * Largest Σ |position value| after the order, in currency: the notional cap of a capital-ramp
   * stage (`targetCapital × stage % / 100`), whatever the account's equity.
   */
  readonly maxGrossNotional?: number;
  /** Largest |Σ position value| after the order, in percent of equity. */
  readonly maxNetExposurePct?: number;
  /**
   * Fat-finger band: the order's limit, stop, take-profit and stop-loss prices and its decision
   * price must lie within ±band % of the symbol's last price. With no last price the order is
   * refused (the band cannot be checked).
   */
  readonly priceBandPct?: number;
  /** `false` refuses any order that would leave a negative position larger than before. Default `true`. */
  readonly allowShort?: boolean;
  /** When given, only these symbols may be traded. */
  readonly allowSymbols?: readonly string[];
  /** Symbols that may not be traded (checked before `allowSymbols`). */
  readonly denySymbols?: readonly string[];
  /**
   * Most orders the gateway may accept with `decidedAt` in any trailing 60,000 ms window (a
   * whole number). Orders are expected in `decidedAt` order; the window slides with the latest.
   */
  readonly maxOrdersPerMinute?: number;
  /**
   * Largest Σ |position value| × gap risk(symbol) after the order, in percent of equity: the
   * loss a tail overnight gap against every position at once would cause.
   */
  readonly maxGapAdjustedExposurePct?: number;
  /** Tail overnight gap per symbol, as a finite fraction (`0.08` is an 8 % gap). */
  readonly gapRisk?: Readonly<Record<string, number>>;
  /**
   * Gap risk of symbols missing from `gapRisk`, as a fraction. Without it, the gap limit refuses
   * an order while any exposure (the order's or the portfolio's) lies in an unlisted symbol:
   * unknown risk is not zero risk.
   */
  readonly defaultGapRisk?: number;
}

/** {@link RiskLimits} as plain JSON: infinite or NaN numbers become `null`. */
export interface RiskLimitsJson {
  readonly maxOrderNotional?: number | null;
  readonly maxOrderQty?: number | null;
  readonly maxPositionQty?: number | null;
  readonly maxPositionPctEquity?: number | null;
  readonly maxGrossExposurePct?: number | null;
  readonly maxGrossNotional?: number | null;
  readonly maxNetExposurePct?: number | null;
  readonly priceBandPct?: number | null;
  readonly allowShort?: boolean;
  readonly allowSymbols?: readonly string[];
  readonly denySymbols?: readonly string[];
  readonly maxOrdersPerMinute?: number | null;
  readonly maxGapAdjustedExposurePct?: number | null;
  readonly gapRisk?: Readonly<Record<string, number | null>>;
  readonly defaultGapRisk?: number | null;
}

type NumericLimitKey =
  | 'maxOrderNotional'
  | 'maxOrderQty'
  | 'maxPositionQty'
  | 'maxPositionPctEquity'
  | 'maxGrossExposurePct'
  | 'maxGrossNotional'
  | 'maxNetExposurePct'
  | 'priceBandPct'
  | 'maxOrdersPerMinute'
  | 'maxGapAdjustedExposurePct'
  | 'defaultGapRisk';

const NUMERIC_KEYS: readonly NumericLimitKey[] = [
  'maxOrderNotional',
  'maxOrderQty',
  'maxPositionQty',
  'maxPositionPctEquity',
  'maxGrossExposurePct',
  'maxGrossNotional',
  'maxNetExposurePct',
  'priceBandPct',
  'maxOrdersPerMinute',
  'maxGapAdjustedExposurePct',
  'defaultGapRisk',
];
const LIST_KEYS = ['allowSymbols', 'denySymbols'] as const;

/** Every key `resolveRiskLimits` understands (`gapRisk.<SYMBOL>` sets one symbol's gap risk). */
export const RISK_LIMIT_KEYS: readonly string[] = Object.freeze([
  ...NUMERIC_KEYS,
  'allowShort',
  ...LIST_KEYS,
  'gapRisk',
  'gapRisk.<SYMBOL>',
]);

/** The trailing window of `maxOrdersPerMinute`, in ms. */
export const ORDER_RATE_WINDOW_MS = 60_000;

/**
 * Checks `limits` and returns a frozen copy. Throws `ConfigError` naming the key for an unknown
 * key, a number that is negative or NaN (Infinity is allowed and means no limit), a gap risk
 * that is not a finite fraction ≥ 0, a non-whole `maxOrdersPerMinute`, a non-boolean `allowShort`, or a symbol list that is not a
 * list of tickers.
 */
export function validateRiskLimits(limits: RiskLimits): RiskLimits {
  const known = new Set<string>([...NUMERIC_KEYS, 'allowShort', ...LIST_KEYS, 'gapRisk']);
  for (const key of Object.keys(limits)) {
    if (!known.has(key)) throw new ConfigError(key, `unknown risk limit; known keys: ${RISK_LIMIT_KEYS.join(', ')}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of NUMERIC_KEYS) {
    const value = limits[key];
    if (value === undefined) continue;
    out[key] = requireNonNegative(key, value);
  }
  if (limits.maxOrdersPerMinute !== undefined && Number.isFinite(limits.maxOrdersPerMinute) && !Number.isInteger(limits.maxOrdersPerMinute)) {
    throw new ConfigError('maxOrdersPerMinute', `must be a whole number of orders, got ${limits.maxOrdersPerMinute}`);
  }
  if (limits.allowShort !== undefined) {
    if (typeof limits.allowShort !== 'boolean') throw new ConfigError('allowShort', `must be true or false, got ${String(limits.allowShort)}`);
    out['allowShort'] = limits.allowShort;
  }
  for (const key of LIST_KEYS) {
    const list = limits[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new ConfigError(key, 'must be a list of ticker symbols');
    for (const symbol of list as readonly unknown[]) {
      if (typeof symbol !== 'string' || parseTicker(symbol) === undefined) {
        throw new ConfigError(key, `'${String(symbol)}' is not a ticker symbol`);
      }
    }
    out[key] = Object.freeze([...list]);
  }
  if (limits.gapRisk !== undefined) {
    const gapRisk: Record<string, number> = {};
    for (const symbol of Object.keys(limits.gapRisk)) {
      const key = `gapRisk.${symbol}`;
      if (parseTicker(symbol) === undefined) throw new ConfigError(key, `'${symbol}' is not a ticker symbol`);
      const risk = requireNonNegative(key, limits.gapRisk[symbol]);
      if (!Number.isFinite(risk)) throw new ConfigError(key, `must be a finite fraction, got ${risk}`);
      gapRisk[symbol] = risk;
    }
    out['gapRisk'] = Object.freeze(gapRisk);
  }
  return Object.freeze(out) as RiskLimits;
}

/**
 * Builds limits from `key=value` overrides (the CLI's `--risk k=v`), on top of `base`, and
 * validates them. Numbers may be given as numbers or strings (`Infinity` lifts a limit);
 * `allowShort` takes `true|false|1|0`; the symbol lists take comma-separated tickers;
 * `gapRisk` takes `AAA:0.08,BBB:0.1` and `gapRisk.AAA` takes one symbol's fraction.
 * Throws `ConfigError` naming the key, listing the known keys when the key is unknown.
 *
 * @example
 * resolveRiskLimits({ maxOrderNotional: '100000', allowShort: 'false', 'gapRisk.AAPL': '0.08' });
 */
export function resolveRiskLimits(
  overrides: Readonly<Record<string, string | number>>,
  base: RiskLimits = {},
): RiskLimits {
  const out: Record<string, unknown> = { ...base };
  const gapRisk: Record<string, number> = { ...(base.gapRisk ?? {}) };
  let hasGapRisk = base.gapRisk !== undefined;
  for (const [key, raw] of Object.entries(overrides)) {
    if ((NUMERIC_KEYS as readonly string[]).includes(key)) {
      out[key] = parseNumber(key, raw);
    } else if (key === 'allowShort') {
      out[key] = parseBoolean(key, raw);
    } else if ((LIST_KEYS as readonly string[]).includes(key)) {
      out[key] = parseSymbolList(key, raw);
    } else if (key === 'gapRisk') {
      hasGapRisk = true;
      for (const pair of String(raw).split(',')) {
        const [symbol, value, extra] = pair.split(':').map((p) => p.trim());
        if (symbol === undefined || symbol === '' || value === undefined || extra !== undefined) {
          throw new ConfigError(key, `expected SYMBOL:fraction pairs separated by commas, got '${String(raw)}'`);
        }
        gapRisk[symbol.toUpperCase()] = parseNumber(`gapRisk.${symbol}`, value);
      }
    } else if (key.startsWith('gapRisk.')) {
      hasGapRisk = true;
      gapRisk[key.slice('gapRisk.'.length).toUpperCase()] = parseNumber(key, raw);
    } else {
      throw new ConfigError(key, `unknown risk limit; known keys: ${RISK_LIMIT_KEYS.join(', ')}`);
    }
  }
  if (hasGapRisk) out['gapRisk'] = gapRisk;
  return validateRiskLimits(out as RiskLimits);
}

/** {@link RiskLimits} as plain JSON data (Infinity and NaN become `null`), for reports. */
export function riskLimitsToJson(limits: RiskLimits): RiskLimitsJson {
  const out: Record<string, unknown> = {};
  for (const key of NUMERIC_KEYS) {
    const value = limits[key];
    if (value !== undefined) out[key] = finiteOrNull(value);
  }
  if (limits.allowShort !== undefined) out['allowShort'] = limits.allowShort;
  for (const key of LIST_KEYS) {
    const list = limits[key];
    if (list !== undefined) out[key] = [...list];
  }
  if (limits.gapRisk !== undefined) {
    const gapRisk: Record<string, number | null> = {};
    for (const symbol of Object.keys(limits.gapRisk)) gapRisk[symbol] = finiteOrNull(limits.gapRisk[symbol] ?? NaN);
    out['gapRisk'] = gapRisk;
  }
  return out as RiskLimitsJson;
}

/**
 * The price an order is valued at: `limitPrice ?? stopPrice ?? decisionPrice ?? lastPrice`.
 * NaN when none is known.
 */
export function orderReferencePrice(order: OrderRequest, portfolio: PortfolioView): number {
  return order.limitPrice ?? order.stopPrice ?? order.decisionPrice ?? portfolio.lastPrice(order.symbol);
}

/** The order's quantity with its direction: positive for a buy, negative for a sell. */
export function signedOrderQty(order: OrderRequest): number {
  return order.side === 'buy' ? order.qty : -order.qty;
}

/**
 * True when an order of `signedQty` only shrinks `position`: |position + signedQty| ≤ |position|
 * and it does not cross through zero. An order against a flat position never reduces.
 */
export function isReducingOrder(position: number, signedQty: number): boolean {
  if (position === 0 || !(Number.isFinite(signedQty) && signedQty !== 0)) return false;
  const after = position + signedQty;
  return Math.abs(after) <= Math.abs(position) && (after === 0 || Math.sign(after) === Math.sign(position));
}

/** The accepted decision: one shared frozen object, so accepting allocates nothing. */
const ACCEPTED: GatewayDecision = Object.freeze({ accepted: true });

/** A rejection with its code and a sentence that names the values. */
export function rejectedDecision(code: RejectCode, message: string): GatewayDecision {
  return Object.freeze({ accepted: false, code, message });
}

/**
 * Checks `order` against `limits`, in this fixed order, and returns the first failure:
 *
 * 1. `invalid-order`: quantity, prices and `decidedAt` are positive finite numbers.
 * 2. `symbol-denied`, 3. `symbol-not-allowed`: the symbol lists.
 * 4. `price-band`: limit, stop, take-profit, stop-loss and decision prices near the last price.
 * 5. to 13., skipped for reducing orders: `order-qty`, `order-notional`, `short-sale`,
 *    `position-qty`, `position-pct-equity`, `gross-exposure`, `gross-notional`, `net-exposure`, `gap-risk`.
 * 14. `order-rate`: `acceptedInWindow` (orders accepted in the trailing minute) below the limit.
 *
 * A limit that needs a price the order and portfolio do not have refuses the order (fail
 * closed). The trading state is the gateway's to check, before this.
 */
export function checkRiskLimits(
  order: OrderRequest,
  portfolio: PortfolioView,
  limits: RiskLimits,
  acceptedInWindow: number,
): GatewayDecision {
  const invalid = findInvalidField(order);
  if (invalid !== undefined) return rejectedDecision('invalid-order', invalid);
  const symbol = order.symbol;
  if (limits.denySymbols?.includes(symbol) === true) {
    return rejectedDecision('symbol-denied', `${symbol} is on the deny list`);
  }
  if (limits.allowSymbols !== undefined && !limits.allowSymbols.includes(symbol)) {
    return rejectedDecision('symbol-not-allowed', `${symbol} is not on the allow list (${limits.allowSymbols.join(', ')})`);
  }
  if (limits.priceBandPct !== undefined) {
    const band = checkPriceBand(order, portfolio.lastPrice(symbol), limits.priceBandPct);
    if (band !== undefined) return rejectedDecision('price-band', band);
  }
  const position = portfolio.position(symbol);
  const signedQty = signedOrderQty(order);
  if (!isReducingOrder(position, signedQty)) {
    const exposure = checkSizeAndExposure(order, portfolio, limits, position, signedQty);
    if (exposure !== ACCEPTED) return exposure;
  }
  const maxRate = limits.maxOrdersPerMinute;
  if (maxRate !== undefined && acceptedInWindow >= maxRate) {
    return rejectedDecision(
      'order-rate',
      `${acceptedInWindow} orders were accepted in the 60 s before ${formatIsoTime(order.decidedAt)}, which reaches the limit of ${maxRate} per minute`,
    );
  }
  return ACCEPTED;
}

function checkSizeAndExposure(
  order: OrderRequest,
  portfolio: PortfolioView,
  limits: RiskLimits,
  position: number,
  signedQty: number,
): GatewayDecision {
  const symbol = order.symbol;
  const ref = orderReferencePrice(order, portfolio);
  const after = position + signedQty;
  if (limits.maxOrderQty !== undefined && order.qty > limits.maxOrderQty) {
    return rejectedDecision('order-qty', `order quantity ${formatQty(order.qty)} exceeds the limit ${formatQty(limits.maxOrderQty)}`);
  }
  if (limits.maxOrderNotional !== undefined) {
    if (!hasPrice(ref)) return noReferencePrice('order-notional', 'order notional', order);
    const notional = Math.abs(order.qty * ref);
    if (notional > limits.maxOrderNotional) {
      return rejectedDecision('order-notional', `order notional ${formatMoney(notional)} exceeds the limit ${formatMoney(limits.maxOrderNotional)}`);
    }
  }
  if (limits.allowShort === false && after < 0 && after < position) {
    return rejectedDecision(
      'short-sale',
      `${order.side} ${formatQty(order.qty)} ${symbol} would take the position from ${formatQty(position)} to ${formatQty(after)}; short sales are not allowed`,
    );
  }
  if (limits.maxPositionQty !== undefined && Math.abs(after) > limits.maxPositionQty) {
    return rejectedDecision(
      'position-qty',
      `position in ${symbol} after the order would be ${formatQty(after)} shares, beyond the limit ${formatQty(limits.maxPositionQty)}`,
    );
  }
  const needsPortfolio =
    limits.maxPositionPctEquity !== undefined ||
    limits.maxGrossExposurePct !== undefined ||
    limits.maxGrossNotional !== undefined ||
    limits.maxNetExposurePct !== undefined ||
    limits.maxGapAdjustedExposurePct !== undefined;
  if (!needsPortfolio) return ACCEPTED;
  const equity = portfolio.equity;
  if (limits.maxPositionPctEquity !== undefined) {
    if (!hasPrice(ref)) return noReferencePrice('position-pct-equity', 'position size', order);
    const value = Math.abs(after * ref);
    const failure = checkPctOfEquity(value, equity, limits.maxPositionPctEquity, `position in ${symbol} after the order would be worth`);
    if (failure !== undefined) return rejectedDecision('position-pct-equity', failure);
  }
  // The symbol's current exposure, as the portfolio marks it, is replaced by the position after
  // the order at the reference price. An unmarked symbol is taken at the reference price.
  const last = portfolio.lastPrice(symbol);
  const mark = hasPrice(last) ? last : ref;
  const currentValue = position === 0 ? 0 : position * mark;
  const afterValue = after === 0 ? 0 : after * ref;
  if (limits.maxGrossExposurePct !== undefined) {
    if (!hasPrice(ref)) return noReferencePrice('gross-exposure', 'gross exposure', order);
    const gross = portfolio.grossExposure() - Math.abs(currentValue) + Math.abs(afterValue);
    const failure = checkPctOfEquity(gross, equity, limits.maxGrossExposurePct, 'gross exposure after the order would be');
    if (failure !== undefined) return rejectedDecision('gross-exposure', failure);
  }
  if (limits.maxGrossNotional !== undefined) {
    if (!hasPrice(ref)) return noReferencePrice('gross-notional', 'gross notional', order);
    const gross = portfolio.grossExposure() - Math.abs(currentValue) + Math.abs(afterValue);
    if (gross > limits.maxGrossNotional) {
      return rejectedDecision('gross-notional', `gross notional after the order would be ${formatMoney(gross)}, above the limit ${formatMoney(limits.maxGrossNotional)}`);
    }
  }
  if (limits.maxNetExposurePct !== undefined) {
    if (!hasPrice(ref)) return noReferencePrice('net-exposure', 'net exposure', order);
    const net = portfolio.netExposure() - currentValue + afterValue;
    const failure = checkPctOfEquity(Math.abs(net), equity, limits.maxNetExposurePct, 'net exposure after the order would be', net);
    if (failure !== undefined) return rejectedDecision('net-exposure', failure);
  }
  if (limits.maxGapAdjustedExposurePct !== undefined) {
    if (!hasPrice(ref)) return noReferencePrice('gap-risk', 'gap-adjusted exposure', order);
    const gap = gapExposureAfterOrder(portfolio, limits, symbol, Math.abs(currentValue), Math.abs(afterValue));
    if (Number.isNaN(gap.loss)) {
      return rejectedDecision(
        'gap-risk',
        `exposure of ${formatMoney(gap.unlistedValue)} after the order is in symbols without a gap risk (no gapRisk entry${gap.isOrderSymbolListed ? '' : ` for ${symbol}`} and no defaultGapRisk)`,
      );
    }
    const failure = checkPctOfEquity(gap.loss, equity, limits.maxGapAdjustedExposurePct, 'gap-adjusted exposure after the order would be');
    if (failure !== undefined) return rejectedDecision('gap-risk', failure);
  }
  return ACCEPTED;
}

interface GapExposure {
  /** Σ |position value| × gap risk after the order, in currency; NaN when a risk is unknown. */
  readonly loss: number;
  /** Exposure in symbols missing from `gapRisk`, in currency. */
  readonly unlistedValue: number;
  readonly isOrderSymbolListed: boolean;
}

/**
 * The gap-adjusted exposure after the order. The listed symbols' positions (the order's at its
 * value after the order, the others as the portfolio marks them; unmarked ones count 0) go
 * through `gapAdjustedExposure`; the rest of the gross exposure carries `defaultGapRisk`, or
 * makes the loss unknown (NaN) without it. `currentAbs`/`afterAbs` are the order's symbol's
 * |value| before and after.
 */
function gapExposureAfterOrder(portfolio: PortfolioView, limits: RiskLimits, symbol: Ticker, currentAbs: number, afterAbs: number): GapExposure {
  const gapRisk = limits.gapRisk ?? {};
  const grossAfter = portfolio.grossExposure() - currentAbs + afterAbs;
  let listedGross = 0;
  const listedValues: Record<string, number> = {};
  for (const listed in gapRisk) {
    if (!Object.hasOwn(gapRisk, listed)) continue;
    let value: number;
    if (listed === symbol) {
      value = afterAbs;
    } else {
      const qty = portfolio.position(listed as Ticker);
      value = qty === 0 ? 0 : Math.abs(qty * portfolio.lastPrice(listed as Ticker));
      if (!Number.isFinite(value)) value = 0;
    }
    listedGross += value;
    listedValues[listed] = value;
  }
  const loss = gapAdjustedExposure(listedValues, gapRisk);
  const isOrderSymbolListed = Object.hasOwn(gapRisk, symbol);
  // Tolerate the rounding of grossExposure() against the listed sum.
  let unlistedValue = grossAfter - listedGross;
  if (unlistedValue <= 1e-9 * Math.max(1, grossAfter)) unlistedValue = 0;
  if (unlistedValue === 0) return { loss, unlistedValue, isOrderSymbolListed };
  const defaultGap = limits.defaultGapRisk;
  if (defaultGap === undefined) return { loss: NaN, unlistedValue, isOrderSymbolListed };
  return { loss: loss + defaultGap * unlistedValue, unlistedValue, isOrderSymbolListed };
}

function checkPriceBand(order: OrderRequest, last: number, bandPct: number): string | undefined {
  if (!hasPrice(last)) {
    return `there is no last price for ${order.symbol} to check the price band ±${formatPct(bandPct)} against`;
  }
  return (
    priceOutsideBand('limit price', order.limitPrice, last, bandPct, order.symbol) ??
    priceOutsideBand('stop price', order.stopPrice, last, bandPct, order.symbol) ??
    priceOutsideBand('take-profit price', order.takeProfitPrice, last, bandPct, order.symbol) ??
    priceOutsideBand('stop-loss price', order.stopLossPrice, last, bandPct, order.symbol) ??
    priceOutsideBand('decision price', order.decisionPrice, last, bandPct, order.symbol)
  );
}

function priceOutsideBand(name: string, price: number | undefined, last: number, bandPct: number, symbol: string): string | undefined {
  if (price === undefined) return undefined;
  const distancePct = (Math.abs(price - last) / last) * 100;
  if (distancePct <= bandPct) return undefined;
  return `${name} ${formatPrice(price)} is ${formatPct(distancePct)} from the last price ${formatPrice(last)} of ${symbol}, outside the band ±${formatPct(bandPct)}`;
}

function checkPctOfEquity(value: number, equity: number, limitPct: number, what: string, shown = value): string | undefined {
  if (value === 0) return undefined;
  if (!(equity > 0)) {
    return `${what} ${formatMoney(shown)} while equity is ${formatMoney(equity)}, so it cannot be within ${formatPct(limitPct)} of equity`;
  }
  const pct = (value / equity) * 100;
  if (pct <= limitPct) return undefined;
  return `${what} ${formatMoney(shown)}, ${formatPct(pct)} of equity ${formatMoney(equity)}, above the limit ${formatPct(limitPct)}`;
}

function noReferencePrice(code: RejectCode, what: string, order: OrderRequest): GatewayDecision {
  return rejectedDecision(
    code,
    `the ${what} of ${order.clientOrderId} cannot be checked: ${order.symbol} has no limit, stop or decision price and no last price`,
  );
}

function findInvalidField(order: OrderRequest): string | undefined {
  if (!(Number.isFinite(order.qty) && order.qty > 0)) return `order quantity must be a positive number of shares, got ${order.qty}`;
  if (order.side !== 'buy' && order.side !== 'sell') return `order side must be buy or sell, got ${String(order.side)}`;
  if (!Number.isFinite(order.decidedAt)) return `decision time must be a finite epoch time, got ${order.decidedAt}`;
  return (
    invalidPrice('limit price', order.limitPrice) ??
    invalidPrice('stop price', order.stopPrice) ??
    invalidPrice('take-profit price', order.takeProfitPrice) ??
    invalidPrice('stop-loss price', order.stopLossPrice) ??
    invalidPrice('decision price', order.decisionPrice)
  );
}

function invalidPrice(name: string, price: number | undefined): string | undefined {
  if (price === undefined || (Number.isFinite(price) && price > 0)) return undefined;
  return `${name} must be a positive finite number, got ${price}`;
}

function requireNonNegative(key: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ConfigError(key, `must be a number, got ${String(value)}`);
  if (value < 0) throw new ConfigError(key, `must not be negative, got ${value}`);
  return value;
}

function parseNumber(key: string, raw: string | number): number {
  const value = typeof raw === 'number' ? raw : raw.trim() === '' ? NaN : Number(raw.trim());
  if (Number.isNaN(value)) throw new ConfigError(key, `expected a number, got '${String(raw)}'`);
  return value;
}

function parseBoolean(key: string, raw: string | number): boolean {
  const text = String(raw).trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(key, `expected true or false, got '${String(raw)}'`);
}

function parseSymbolList(key: string, raw: string | number): string[] {
  if (typeof raw === 'number') throw new ConfigError(key, `expected comma-separated ticker symbols, got ${raw}`);
  return raw
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
}

function hasPrice(price: number): boolean {
  return Number.isFinite(price) && price > 0;
}


/** Currency with cents: `125000.00`. */
function formatMoney(value: number): string {
  return value.toFixed(2);
}

function formatPct(value: number): string {
  return `${value.toFixed(2)}%`;
}

function formatPrice(value: number): string {
  return Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(4);
}

function formatQty(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)));
}
