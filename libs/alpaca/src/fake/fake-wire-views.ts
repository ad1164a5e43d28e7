import type { Order } from '@quantbot/core';
import type { AlpacaBar } from '../alpaca-bar';
import { alpacaOrderStatus } from '../alpaca-order-status';
import type { AlpacaAccountWire, AlpacaOrderWire, AlpacaPositionWire } from '../alpaca-types';

/**
 * The fake's wire views: how its state is written in Alpaca's JSON shapes (snake_case, decimal
 * strings, ISO timestamps). Pure functions of the values they are given, so the order engine
 * can change how it keeps its state without changing a byte on the wire.
 */

/** A decimal string rounded to 6 places, as the fake writes money and quantities (`100.5`, not `100.500000`). */
export function money(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}

/** What the wire needs of a position: its asset, signed quantity and signed cost basis (USD). */
export interface FakePositionValues {
  readonly assetId: string;
  /** Shares, negative for a short. */
  readonly qty: number;
  /** Sum of signed quantity times price of the open shares, USD. */
  readonly costBasis: number;
}

/**
 * What the fake keeps of an order beside its `Order` aggregate: the facts only the wire shows
 * (ids, ISO timestamps, links to a replacing or replaced order) and the request's decimal
 * strings as they were sent (`qty`, `limit`, `stop`) and its time in force as Alpaca names it.
 */
export interface FakeOrderFacts {
  readonly id: string;
  readonly clientOrderId: string;
  /** ISO time of creation (also its submission). */
  readonly createdAt: string;
  /** ISO time of the last change. */
  readonly updatedAt: string;
  readonly filledAt: string | null;
  readonly expiredAt: string | null;
  readonly canceledAt: string | null;
  readonly failedAt: string | null;
  readonly replacedAt: string | null;
  readonly replacedBy: string | null;
  readonly replaces: string | null;
  /**
   * A cancel or replace requested and not yet made (`FakeOrderLatency`): the status the wire
   * shows while the order is open, in place of the one its aggregate stands for.
   */
  readonly pending: 'pending_cancel' | 'pending_replace' | null;
  readonly assetId: string;
  readonly qty: string;
  readonly tif: string;
  readonly limit: string | null;
  readonly stop: string | null;
}

/** What the wire reads of an order's aggregate: its terms, its state and its fills. */
export type FakeOrderState = Pick<Order, 'symbol' | 'side' | 'type' | 'status' | 'isTerminal' | 'filledQty' | 'avgFillPrice'>;

/**
 * An order in Alpaca's order shape: its status (`alpacaOrderStatus` of the aggregate's state, or
 * the pending cancel or replace of an open order),
 * filled quantity and average fill price from its aggregate, the rest from its facts.
 */
export function orderWire(facts: FakeOrderFacts, order: FakeOrderState): AlpacaOrderWire {
  return {
    id: facts.id,
    client_order_id: facts.clientOrderId,
    created_at: facts.createdAt,
    updated_at: facts.updatedAt,
    submitted_at: facts.createdAt,
    filled_at: facts.filledAt,
    expired_at: facts.expiredAt,
    canceled_at: facts.canceledAt,
    failed_at: facts.failedAt,
    replaced_at: facts.replacedAt,
    replaced_by: facts.replacedBy,
    replaces: facts.replaces,
    asset_id: facts.assetId,
    symbol: order.symbol,
    asset_class: 'us_equity',
    notional: null,
    qty: facts.qty,
    filled_qty: money(order.filledQty),
    filled_avg_price: order.filledQty > 0 ? money(order.avgFillPrice) : null,
    order_class: '',
    order_type: order.type,
    type: order.type,
    side: order.side,
    time_in_force: facts.tif,
    limit_price: facts.limit,
    stop_price: facts.stop,
    status: facts.pending !== null && !order.isTerminal ? facts.pending : alpacaOrderStatus(order.status),
    extended_hours: false,
    legs: null,
    trail_percent: null,
    trail_price: null,
    hwm: null,
  };
}

/** The execution a fill event carries: its id, price (USD), shares filled and the position after it. */
export interface FakeExecution {
  readonly executionId: string;
  readonly price: number;
  readonly qty: number;
  readonly positionQty: number;
}

/** One message of the `trade_updates` stream, as sent and as `state.tradeUpdates()` lists it. */
export interface FakeTradeUpdateMessage {
  readonly stream: 'trade_updates';
  readonly data: Readonly<Record<string, unknown>>;
}

/** A trade update for `order` (as it is now) at `timestamp` (ISO), with the execution of a fill. */
export function tradeUpdateWire(event: string, order: AlpacaOrderWire, timestamp: string, execution?: FakeExecution): FakeTradeUpdateMessage {
  const data: Record<string, unknown> = { event, order: { ...order }, timestamp };
  if (execution !== undefined) {
    data['execution_id'] = execution.executionId;
    data['price'] = money(execution.price);
    data['qty'] = money(execution.qty);
    data['position_qty'] = money(execution.positionQty);
  }
  return { stream: 'trade_updates', data };
}

/**
 * A position valued at `lastPrice` (its average entry price when the symbol has no price yet);
 * `qtyAvailable` is its quantity not held for open orders (Alpaca's `qty_available`).
 */
export function positionWire(symbol: string, position: FakePositionValues, lastPrice: number | undefined, qtyAvailable: number): AlpacaPositionWire {
  const avg = position.costBasis / position.qty;
  const current = lastPrice ?? avg;
  const marketValue = position.qty * current;
  const pl = marketValue - position.costBasis;
  return {
    asset_id: position.assetId,
    symbol,
    exchange: 'NASDAQ',
    asset_class: 'us_equity',
    asset_marginable: true,
    qty: money(position.qty),
    avg_entry_price: money(avg),
    side: position.qty > 0 ? 'long' : 'short',
    market_value: money(marketValue),
    cost_basis: money(position.costBasis),
    unrealized_pl: money(pl),
    unrealized_plpc: money(position.costBasis === 0 ? 0 : pl / Math.abs(position.costBasis)),
    unrealized_intraday_pl: money(pl),
    unrealized_intraday_plpc: money(position.costBasis === 0 ? 0 : pl / Math.abs(position.costBasis)),
    current_price: money(current),
    lastday_price: money(current),
    change_today: '0',
    qty_available: money(qtyAvailable),
  };
}

/** What the account view is computed from. */
export interface FakeAccountValues {
  readonly accountId: string;
  /** ISO time the account was opened (the server's start). */
  readonly createdAt: string;
  readonly cash: number;
  /** Cash not promised to open buy orders (`FakeOrderEngine.buyingPower`). */
  readonly buyingPower: number;
  /** Open positions by symbol, in the order they were opened. */
  readonly positions: ReadonlyMap<string, FakePositionValues>;
  /** Last trade or bar close of a symbol, undefined before the first. */
  readonly lastPrice: (symbol: string) => number | undefined;
}

/** The account: cash, positions at their last prices (unpriced ones at cost), no margin; buying power net of open buy orders. */
export function accountWire(account: FakeAccountValues): AlpacaAccountWire {
  const { cash } = account;
  let long = 0;
  let short = 0;
  for (const [symbol, position] of account.positions) {
    const value = position.qty * (account.lastPrice(symbol) ?? position.costBasis / position.qty);
    if (value >= 0) long += value;
    else short += value;
  }
  const equity = cash + long + short;
  return {
    account_blocked: false,
    account_number: 'PAFAKE0001',
    buying_power: money(account.buyingPower),
    cash: money(cash),
    created_at: account.createdAt,
    currency: 'USD',
    crypto_status: 'INACTIVE',
    non_marginable_buying_power: money(Math.max(0, cash)),
    accrued_fees: '0',
    pending_transfer_in: '0',
    pending_transfer_out: '0',
    // A number, as Alpaca's client libraries type it (the docs' example writes "0"); the fake counts no day trades.
    daytrade_count: 0,
    daytrading_buying_power: '0',
    equity: money(equity),
    id: account.accountId,
    initial_margin: '0',
    last_equity: money(equity),
    last_maintenance_margin: '0',
    long_market_value: money(long),
    maintenance_margin: '0',
    multiplier: '1',
    pattern_day_trader: false,
    portfolio_value: money(equity),
    regt_buying_power: money(Math.max(0, cash)),
    short_market_value: money(short),
    shorting_enabled: true,
    sma: '0',
    status: 'ACTIVE',
    trade_suspended_by_user: false,
    trading_blocked: false,
    transfers_blocked: false,
  };
}

/** A stored bar as one message of the market-data stream (`T: 'b'`), so the stream and REST agree on every field. */
export function barStreamWire(symbol: string, bar: AlpacaBar): string {
  return JSON.stringify([
    {
      T: 'b',
      S: symbol,
      o: bar.open,
      h: bar.high,
      l: bar.low,
      c: bar.close,
      v: bar.volume,
      t: new Date(bar.time).toISOString(),
      n: bar.tradeCount,
      vw: bar.vwap,
    },
  ]);
}
