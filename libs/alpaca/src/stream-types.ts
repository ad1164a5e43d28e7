import { AlpacaProtocolError, parseOptionalDecimal, parseOptionalTimestamp, parseOrder, parseTimestamp } from './alpaca-types';
import type { AlpacaOrder, AlpacaOrderWire } from './alpaca-types';
import type { OhlcvValues } from './alpaca-bar';

/**
 * The two WebSocket streams' messages. The trading stream (`/stream`) wraps everything in
 * `{stream, data}`; trade updates carry the whole order plus, for fills, the execution's price
 * and quantity as decimal strings. The market-data stream (`/v2/{feed}`) sends JSON arrays of
 * messages tagged by `T`, with plain JSON numbers.
 */

export const ALPACA_TRADE_EVENTS = [
  'new',
  'fill',
  'partial_fill',
  'canceled',
  'expired',
  'done_for_day',
  'replaced',
  'rejected',
  'pending_new',
  'stopped',
  'pending_cancel',
  'pending_replace',
  'calculated',
  'suspended',
  'order_replace_rejected',
  'order_cancel_rejected',
  // Alpaca received and accepted the order (before it is routed: `new` follows).
  'accepted',
  // The order was restated (changed by Alpaca or the venue, for example after a corporate action).
  'restated',
] as const;
export type AlpacaTradeEvent = (typeof ALPACA_TRADE_EVENTS)[number];

export interface AlpacaTradeUpdateWire {
  event: string;
  execution_id?: string;
  order: AlpacaOrderWire;
  timestamp?: string;
  position_qty?: string;
  price?: string;
  qty?: string;
}

export interface AlpacaTradeUpdate {
  readonly event: AlpacaTradeEvent;
  /** Set on fills: the execution's id. */
  readonly executionId: string | null;
  /** The order after the event (cumulative `filledQty` and `filledAvgPrice`). */
  readonly order: AlpacaOrder;
  /** When the event happened (epoch ms); the order's `updated_at` when the message has none. */
  readonly timestamp: number;
  /** Fills only: this execution's price and quantity, and the position after it. */
  readonly price: number | null;
  readonly qty: number | null;
  readonly positionQty: number | null;
}

/** One bar of the market-data stream (`T: "b"`). */
export interface AlpacaStreamBar extends OhlcvValues {
  readonly symbol: string;
  readonly tradeCount: number | null;
  readonly vwap: number | null;
}

export function parseTradeEvent(value: unknown, field: string): AlpacaTradeEvent {
  if (typeof value === 'string' && (ALPACA_TRADE_EVENTS as readonly string[]).includes(value)) {
    return value as AlpacaTradeEvent;
  }
  throw new AlpacaProtocolError(field, `unknown trade update event ${JSON.stringify(value) ?? 'nothing'}`);
}

/** Parses the `data` of a `trade_updates` message. Fills must carry price, qty and an execution id. */
export function parseTradeUpdate(raw: unknown): AlpacaTradeUpdate {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AlpacaProtocolError('trade_updates.data', 'expected a JSON object');
  }
  const w = raw as Record<string, unknown>;
  const event = parseTradeEvent(w['event'], 'trade_updates.data.event');
  const order = parseOrder(w['order']);
  const isFill = event === 'fill' || event === 'partial_fill';
  const executionId = w['execution_id'];
  if (executionId !== undefined && executionId !== null && typeof executionId !== 'string') {
    throw new AlpacaProtocolError('trade_updates.data.execution_id', 'expected a string');
  }
  const price = parseOptionalDecimal(w['price'], 'trade_updates.data.price');
  const qty = parseOptionalDecimal(w['qty'], 'trade_updates.data.qty');
  if (isFill && (price === null || qty === null)) {
    throw new AlpacaProtocolError('trade_updates.data', `a ${event} must carry price and qty`);
  }
  const timestamp =
    parseOptionalTimestamp(w['timestamp'], 'trade_updates.data.timestamp') ?? order.updatedAt ?? order.createdAt;
  return {
    event,
    executionId: typeof executionId === 'string' ? executionId : null,
    order,
    timestamp,
    price,
    qty,
    positionQty: parseOptionalDecimal(w['position_qty'], 'trade_updates.data.position_qty'),
  };
}

/** Parses one `T: "b"` market-data message. */
export function parseStreamBar(raw: Record<string, unknown>, where: string): AlpacaStreamBar {
  const symbol = raw['S'];
  if (typeof symbol !== 'string' || symbol === '') throw new AlpacaProtocolError(`${where}.S`, 'expected a symbol');
  const number = (key: string): number => {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new AlpacaProtocolError(`${where}.${key}`, `expected a finite number, got ${JSON.stringify(v) ?? 'nothing'}`);
    }
    return v;
  };
  const optional = (key: string): number | null => (raw[key] === undefined || raw[key] === null ? null : number(key));
  return {
    symbol,
    time: parseTimestamp(raw['t'], `${where}.t`),
    open: number('o'),
    high: number('h'),
    low: number('l'),
    close: number('c'),
    volume: number('v'),
    tradeCount: optional('n'),
    vwap: optional('vw'),
  };
}
