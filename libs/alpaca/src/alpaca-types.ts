import { QuantbotError } from '@quantbot/core';

/**
 * Alpaca Trading API v2: the wire shapes (snake_case, money and quantities as decimal strings)
 * and the parsed domain shapes (camelCase, numbers, epoch milliseconds). Every number is parsed
 * explicitly; a value that is not a decimal throws an `AlpacaProtocolError` naming the field.
 */

/** A response from Alpaca (or the fake) that does not have the documented shape. */
export class AlpacaProtocolError extends QuantbotError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('ALPACA_PROTOCOL', `${field}: ${message}`);
    this.field = field;
  }
}

export const ALPACA_ORDER_STATUSES = [
  'new',
  'partially_filled',
  'filled',
  'done_for_day',
  'canceled',
  'expired',
  'replaced',
  'pending_cancel',
  'pending_replace',
  'accepted',
  'pending_new',
  'accepted_for_bidding',
  'stopped',
  'rejected',
  'suspended',
  'calculated',
  // A bracket or OTO leg waiting for its entry order to fill.
  'held',
] as const;
export type AlpacaOrderStatus = (typeof ALPACA_ORDER_STATUSES)[number];

/** Statuses after which an order can no longer change. */
export const ALPACA_TERMINAL_STATUSES: readonly AlpacaOrderStatus[] = [
  'filled',
  'canceled',
  'expired',
  'replaced',
  'rejected',
  'done_for_day',
];

export type AlpacaOrderSide = 'buy' | 'sell';
export type AlpacaOrderType = 'market' | 'limit' | 'stop' | 'stop_limit' | 'trailing_stop';
export type AlpacaTimeInForce = 'day' | 'gtc' | 'opg' | 'cls' | 'ioc' | 'fok';

// ---------------------------------------------------------------- wire types

export interface AlpacaAccountWire {
  id: string;
  account_number: string;
  status: string;
  crypto_status?: string;
  currency: string;
  cash: string;
  buying_power: string;
  regt_buying_power: string;
  daytrading_buying_power: string;
  non_marginable_buying_power: string;
  portfolio_value: string;
  equity: string;
  last_equity: string;
  long_market_value: string;
  short_market_value: string;
  initial_margin: string;
  maintenance_margin: string;
  last_maintenance_margin: string;
  multiplier: string;
  sma: string;
  accrued_fees: string;
  pending_transfer_in: string;
  pending_transfer_out: string;
  daytrade_count: string | number;
  pattern_day_trader: boolean;
  trading_blocked: boolean;
  transfers_blocked: boolean;
  account_blocked: boolean;
  trade_suspended_by_user: boolean;
  shorting_enabled: boolean;
  created_at: string;
}

export interface AlpacaOrderWire {
  id: string;
  client_order_id: string;
  created_at: string;
  updated_at: string | null;
  submitted_at: string | null;
  filled_at: string | null;
  expired_at: string | null;
  canceled_at: string | null;
  failed_at: string | null;
  replaced_at: string | null;
  replaced_by: string | null;
  replaces: string | null;
  asset_id: string;
  symbol: string;
  asset_class: string;
  notional: string | null;
  qty: string | null;
  filled_qty: string;
  filled_avg_price: string | null;
  order_class: string;
  order_type: string;
  type: string;
  side: string;
  time_in_force: string;
  limit_price: string | null;
  stop_price: string | null;
  status: string;
  extended_hours: boolean;
  legs: AlpacaOrderWire[] | null;
  trail_percent: string | null;
  trail_price: string | null;
  hwm: string | null;
}

export interface AlpacaPositionWire {
  asset_id: string;
  symbol: string;
  exchange: string;
  asset_class: string;
  asset_marginable: boolean;
  qty: string;
  qty_available: string;
  avg_entry_price: string;
  side: string;
  market_value: string;
  cost_basis: string;
  unrealized_pl: string;
  unrealized_plpc: string;
  unrealized_intraday_pl: string;
  unrealized_intraday_plpc: string;
  current_price: string;
  lastday_price: string;
  change_today: string;
}

export interface AlpacaClockWire {
  timestamp: string;
  is_open: boolean;
  next_open: string;
  next_close: string;
}

/** One trading day of `GET /v2/calendar`: local New York times as Alpaca sends them. */
export interface AlpacaCalendarDayWire {
  date: string;
  open: string;
  close: string;
  session_open: string;
  session_close: string;
  settlement_date: string;
}

/** Alpaca's error body. */
export interface AlpacaErrorWire {
  code: number;
  message: string;
}

/** One entry of `DELETE /v2/orders` (HTTP 207). */
export interface AlpacaCancelResultWire {
  id: string;
  status: number;
  body?: unknown;
}

// ---------------------------------------------------------------- domain types

export interface AlpacaAccount {
  id: string;
  accountNumber: string;
  status: string;
  currency: string;
  cash: number;
  buyingPower: number;
  portfolioValue: number;
  equity: number;
  lastEquity: number;
  longMarketValue: number;
  shortMarketValue: number;
  multiplier: number;
  daytradeCount: number;
  patternDayTrader: boolean;
  tradingBlocked: boolean;
  accountBlocked: boolean;
  shortingEnabled: boolean;
  createdAt: number;
}

export interface AlpacaOrder {
  id: string;
  clientOrderId: string;
  symbol: string;
  assetClass: string;
  side: AlpacaOrderSide;
  type: string;
  timeInForce: string;
  status: AlpacaOrderStatus;
  qty: number | null;
  notional: number | null;
  filledQty: number;
  filledAvgPrice: number | null;
  limitPrice: number | null;
  stopPrice: number | null;
  extendedHours: boolean;
  createdAt: number;
  updatedAt: number | null;
  submittedAt: number | null;
  filledAt: number | null;
  canceledAt: number | null;
  /** `simple`, `bracket`, `oco`, `oto` ('' from older servers is read as `simple`). */
  orderClass: string;
  /** The order that replaced this one (status `replaced`). */
  replacedBy: string | null;
  /** The order this one replaced. */
  replaces: string | null;
  /** A bracket's take-profit and stop-loss legs. */
  legs: AlpacaOrder[];
}

export interface AlpacaPosition {
  symbol: string;
  assetId: string;
  side: 'long' | 'short';
  /** Signed: negative for a short position. */
  qty: number;
  qtyAvailable: number;
  avgEntryPrice: number;
  marketValue: number;
  costBasis: number;
  unrealizedPl: number;
  currentPrice: number;
}

export interface AlpacaClock {
  timestamp: number;
  isOpen: boolean;
  nextOpen: number;
  nextClose: number;
}

/** A trading day with its regular session as instants (epoch ms), early closes included. */
export interface AlpacaCalendarDay {
  /** The session date, `YYYY-MM-DD`. */
  date: string;
  open: number;
  close: number;
  settlementDate: string;
}

// ---------------------------------------------------------------- parsers

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A required decimal (a string as Alpaca sends it; a finite JSON number is accepted too). */
export function parseDecimal(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new AlpacaProtocolError(field, `expected a finite number, got ${String(value)}`);
  }
  if (typeof value === 'string' && DECIMAL.test(value.trim())) return Number(value);
  throw new AlpacaProtocolError(field, `expected a decimal string, got ${describe(value)}`);
}

/** A decimal that Alpaca may send as null (or omit). */
export function parseOptionalDecimal(value: unknown, field: string): number | null {
  return value === null || value === undefined ? null : parseDecimal(value, field);
}

/** A required ISO-8601 timestamp, as epoch milliseconds. */
export function parseTimestamp(value: unknown, field: string): number {
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new AlpacaProtocolError(field, `expected an ISO-8601 timestamp, got ${describe(value)}`);
}

export function parseOptionalTimestamp(value: unknown, field: string): number | null {
  return value === null || value === undefined ? null : parseTimestamp(value, field);
}

function parseString(value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  throw new AlpacaProtocolError(field, `expected a string, got ${describe(value)}`);
}

function parseBoolean(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new AlpacaProtocolError(field, `expected a boolean, got ${describe(value)}`);
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  throw new AlpacaProtocolError(what, `expected a JSON object, got ${describe(value)}`);
}

export function parseAccount(raw: unknown): AlpacaAccount {
  const w = asRecord(raw, 'account');
  return {
    id: parseString(w['id'], 'account.id'),
    accountNumber: parseString(w['account_number'], 'account.account_number'),
    status: parseString(w['status'], 'account.status'),
    currency: parseString(w['currency'], 'account.currency'),
    cash: parseDecimal(w['cash'], 'account.cash'),
    buyingPower: parseDecimal(w['buying_power'], 'account.buying_power'),
    portfolioValue: parseDecimal(w['portfolio_value'], 'account.portfolio_value'),
    equity: parseDecimal(w['equity'], 'account.equity'),
    lastEquity: parseDecimal(w['last_equity'], 'account.last_equity'),
    longMarketValue: parseDecimal(w['long_market_value'], 'account.long_market_value'),
    shortMarketValue: parseDecimal(w['short_market_value'], 'account.short_market_value'),
    multiplier: parseDecimal(w['multiplier'], 'account.multiplier'),
    daytradeCount: parseDecimal(w['daytrade_count'] ?? 0, 'account.daytrade_count'),
    patternDayTrader: parseBoolean(w['pattern_day_trader'], 'account.pattern_day_trader'),
    tradingBlocked: parseBoolean(w['trading_blocked'], 'account.trading_blocked'),
    accountBlocked: parseBoolean(w['account_blocked'], 'account.account_blocked'),
    shortingEnabled: parseBoolean(w['shorting_enabled'], 'account.shorting_enabled'),
    createdAt: parseTimestamp(w['created_at'], 'account.created_at'),
  };
}

export function parseOrderStatus(value: unknown, field: string): AlpacaOrderStatus {
  if (typeof value === 'string' && (ALPACA_ORDER_STATUSES as readonly string[]).includes(value)) {
    return value as AlpacaOrderStatus;
  }
  throw new AlpacaProtocolError(field, `unknown order status ${describe(value)}`);
}

export function parseOrder(raw: unknown): AlpacaOrder {
  const w = asRecord(raw, 'order');
  const side = parseString(w['side'], 'order.side');
  if (side !== 'buy' && side !== 'sell') {
    throw new AlpacaProtocolError('order.side', `expected buy or sell, got ${describe(side)}`);
  }
  const orderClass = parseString(w['order_class'] ?? '', 'order.order_class');
  const legs = w['legs'];
  return {
    id: parseString(w['id'], 'order.id'),
    clientOrderId: parseString(w['client_order_id'], 'order.client_order_id'),
    symbol: parseString(w['symbol'], 'order.symbol'),
    assetClass: parseString(w['asset_class'], 'order.asset_class'),
    side,
    type: parseString(w['type'], 'order.type'),
    timeInForce: parseString(w['time_in_force'], 'order.time_in_force'),
    status: parseOrderStatus(w['status'], 'order.status'),
    qty: parseOptionalDecimal(w['qty'], 'order.qty'),
    notional: parseOptionalDecimal(w['notional'], 'order.notional'),
    filledQty: parseDecimal(w['filled_qty'], 'order.filled_qty'),
    filledAvgPrice: parseOptionalDecimal(w['filled_avg_price'], 'order.filled_avg_price'),
    limitPrice: parseOptionalDecimal(w['limit_price'], 'order.limit_price'),
    stopPrice: parseOptionalDecimal(w['stop_price'], 'order.stop_price'),
    extendedHours: parseBoolean(w['extended_hours'] ?? false, 'order.extended_hours'),
    createdAt: parseTimestamp(w['created_at'], 'order.created_at'),
    updatedAt: parseOptionalTimestamp(w['updated_at'], 'order.updated_at'),
    submittedAt: parseOptionalTimestamp(w['submitted_at'], 'order.submitted_at'),
    filledAt: parseOptionalTimestamp(w['filled_at'], 'order.filled_at'),
    canceledAt: parseOptionalTimestamp(w['canceled_at'], 'order.canceled_at'),
    orderClass: orderClass === '' ? 'simple' : orderClass,
    replacedBy: parseOptionalString(w['replaced_by'], 'order.replaced_by'),
    replaces: parseOptionalString(w['replaces'], 'order.replaces'),
    legs: legs === null || legs === undefined ? [] : parseLegs(legs),
  };
}

function parseLegs(value: unknown): AlpacaOrder[] {
  if (!Array.isArray(value)) throw new AlpacaProtocolError('order.legs', `expected an array or null, got ${describe(value)}`);
  return (value as unknown[]).map((leg) => parseOrder(leg));
}

function parseOptionalString(value: unknown, field: string): string | null {
  return value === null || value === undefined ? null : parseString(value, field);
}

export function parsePosition(raw: unknown): AlpacaPosition {
  const w = asRecord(raw, 'position');
  const side = parseString(w['side'], 'position.side');
  if (side !== 'long' && side !== 'short') {
    throw new AlpacaProtocolError('position.side', `expected long or short, got ${describe(side)}`);
  }
  const qty = parseDecimal(w['qty'], 'position.qty');
  return {
    symbol: parseString(w['symbol'], 'position.symbol'),
    assetId: parseString(w['asset_id'], 'position.asset_id'),
    side,
    qty,
    qtyAvailable: parseDecimal(w['qty_available'] ?? w['qty'], 'position.qty_available'),
    avgEntryPrice: parseDecimal(w['avg_entry_price'], 'position.avg_entry_price'),
    marketValue: parseDecimal(w['market_value'], 'position.market_value'),
    costBasis: parseDecimal(w['cost_basis'], 'position.cost_basis'),
    unrealizedPl: parseDecimal(w['unrealized_pl'], 'position.unrealized_pl'),
    currentPrice: parseDecimal(w['current_price'], 'position.current_price'),
  };
}

export function parseClock(raw: unknown): AlpacaClock {
  const w = asRecord(raw, 'clock');
  return {
    timestamp: parseTimestamp(w['timestamp'], 'clock.timestamp'),
    isOpen: parseBoolean(w['is_open'], 'clock.is_open'),
    nextOpen: parseTimestamp(w['next_open'], 'clock.next_open'),
    nextClose: parseTimestamp(w['next_close'], 'clock.next_close'),
  };
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CALENDAR_TIME = /^(\d{2}):(\d{2})$/;

/**
 * Parses one calendar day. `toInstant(date, minutes)` turns a New York wall-clock time of the
 * date into epoch ms (the library's New York time helpers do it with the runtime's zone rules).
 */
export function parseCalendarDay(raw: unknown, index: number, toInstant: (dateMs: number, minutes: number) => number): AlpacaCalendarDay {
  const w = asRecord(raw, `calendar[${index}]`);
  const date = parseString(w['date'], `calendar[${index}].date`);
  if (!CALENDAR_DATE.test(date) || !Number.isFinite(Date.parse(`${date}T00:00:00Z`))) {
    throw new AlpacaProtocolError(`calendar[${index}].date`, `expected YYYY-MM-DD, got ${describe(date)}`);
  }
  const dateMs = Date.parse(`${date}T00:00:00Z`);
  const time = (key: 'open' | 'close'): number => {
    const text = parseString(w[key], `calendar[${index}].${key}`);
    const m = CALENDAR_TIME.exec(text);
    const minutes = m === null ? NaN : Number(m[1]) * 60 + Number(m[2]);
    if (!(minutes >= 0 && minutes < 24 * 60)) throw new AlpacaProtocolError(`calendar[${index}].${key}`, `expected HH:MM, got ${describe(text)}`);
    return toInstant(dateMs, minutes);
  };
  return { date, open: time('open'), close: time('close'), settlementDate: parseString(w['settlement_date'] ?? date, `calendar[${index}].settlement_date`) };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
