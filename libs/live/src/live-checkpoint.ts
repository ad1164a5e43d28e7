import type { JsonValue, LedgerSnapshot, OrderSide, OrderType, TimeInForce } from '@quantbot/core';
import { QuantbotError } from '@quantbot/core';
import type { OrderGatewaySnapshot } from '@quantbot/risk-guardrails';
import type { RecentBars } from './live-bar-buffer';

/**
 * A live session's checkpoint: everything a restarted process needs to continue exactly where
 * the last one stopped. Versioned; every version ever written can still be read.
 *
 * - v1 (first live sessions): the books and the last bar. A restart rebuilds the strategy from
 *   market history.
 * - v2: adds the recent bars (bounded), the strategy's exported state, the orders still working,
 *   and the gateway (kill switch, limits, counters), so nothing has to be refetched or guessed.
 */
export const CHECKPOINT_FORMAT = 'quantbot-live-checkpoint';
export const CHECKPOINT_VERSION = 2;

export interface CheckpointOrder {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly qty: number;
  readonly filledQty: number;
  readonly referencePrice: number;
  readonly decidedAt: number;
  /** How it was sent (a simulated broker, which dies with the process, is given it again). */
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
}

export interface LiveCheckpointV1 {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: 1;
  readonly sessionId: string;
  readonly strategy: { readonly name: string; readonly params: JsonValue };
  readonly symbols: readonly string[];
  readonly lastBarTime: number;
  readonly ledger: LedgerSnapshot;
}

export interface LiveCheckpointV2 {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: 2;
  readonly sessionId: string;
  readonly strategy: { readonly name: string; readonly params: JsonValue; readonly state: JsonValue };
  readonly symbols: readonly string[];
  readonly lastBarTime: number;
  readonly ledger: LedgerSnapshot;
  readonly bars: RecentBars;
  readonly workingOrders: readonly CheckpointOrder[];
  readonly gateway: OrderGatewaySnapshot;
  /** Live decision steps taken so far (across restarts). */
  readonly liveSteps: number;
}

export type LiveCheckpoint = LiveCheckpointV1 | LiveCheckpointV2;

/** A checkpoint that cannot be used: unreadable, of an unknown version, or inconsistent. */
export class CheckpointError extends QuantbotError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('CHECKPOINT', `checkpoint ${field}: ${message}`);
    this.field = field;
  }
}

/**
 * Checks a stored document field by field and returns it typed. Anything missing, of the wrong
 * type or not finite throws a `CheckpointError` naming the field: a damaged checkpoint is never
 * half-used.
 */
export function parseLiveCheckpoint(document: unknown): LiveCheckpoint {
  const root = record(document, '(root)');
  if (root['format'] !== CHECKPOINT_FORMAT) throw new CheckpointError('format', `expected '${CHECKPOINT_FORMAT}', got ${describe(root['format'])}`);
  const version = root['version'];
  if (version !== 1 && version !== 2) throw new CheckpointError('version', `unknown version ${describe(version)} (this build reads 1 and 2)`);
  const sessionId = text(root['sessionId'], 'sessionId');
  const strategy = record(root['strategy'], 'strategy');
  const symbols = array(root['symbols'], 'symbols').map((s, i) => text(s, `symbols[${i}]`));
  const lastBarTime = finite(root['lastBarTime'], 'lastBarTime');
  const ledger = parseLedger(root['ledger'], symbols);
  const name = text(strategy['name'], 'strategy.name');
  const params = (strategy['params'] ?? null) as JsonValue;
  if (version === 1) {
    return { format: CHECKPOINT_FORMAT, version: 1, sessionId, strategy: { name, params }, symbols, lastBarTime, ledger };
  }
  const bars = parseBars(root['bars'], symbols.length);
  const last = bars.times[bars.times.length - 1];
  if (last !== undefined && last !== lastBarTime) throw new CheckpointError('bars', `the last bar (${last}) is not lastBarTime (${lastBarTime})`);
  const workingOrders = array(root['workingOrders'], 'workingOrders').map((o, i) => parseOrder(o, `workingOrders[${i}]`, symbols));
  const gateway = record(root['gateway'], 'gateway') as unknown as OrderGatewaySnapshot;
  const liveSteps = finite(root['liveSteps'], 'liveSteps');
  return {
    format: CHECKPOINT_FORMAT,
    version: 2,
    sessionId,
    strategy: { name, params, state: (strategy['state'] ?? null) as JsonValue },
    symbols,
    lastBarTime,
    ledger,
    bars,
    workingOrders,
    gateway,
    liveSteps,
  };
}

function parseLedger(value: unknown, symbols: readonly string[]): LedgerSnapshot {
  const l = record(value, 'ledger');
  const positions = array(l['positions'], 'ledger.positions').map((p, i) => {
    const r = record(p, `ledger.positions[${i}]`);
    const symbol = text(r['symbol'], `ledger.positions[${i}].symbol`);
    if (!symbols.includes(symbol)) throw new CheckpointError(`ledger.positions[${i}].symbol`, `${symbol} is not one of the session's symbols`);
    const mark = r['mark'];
    return {
      symbol,
      qty: finite(r['qty'], `ledger.positions[${i}].qty`),
      averageCost: finite(r['averageCost'], `ledger.positions[${i}].averageCost`),
      mark: mark === null ? null : finite(mark, `ledger.positions[${i}].mark`),
      realizedPnl: finite(r['realizedPnl'], `ledger.positions[${i}].realizedPnl`),
    };
  });
  return {
    startingCash: finite(l['startingCash'], 'ledger.startingCash'),
    cash: finite(l['cash'], 'ledger.cash'),
    fees: finite(l['fees'], 'ledger.fees'),
    realizedPnl: finite(l['realizedPnl'], 'ledger.realizedPnl'),
    positions,
  };
}

function parseBars(value: unknown, symbolCount: number): RecentBars {
  const b = record(value, 'bars');
  const times = array(b['times'], 'bars.times').map((t, i) => finite(t, `bars.times[${i}]`));
  for (let i = 1; i < times.length; i++) {
    if (!((times[i] as number) > (times[i - 1] as number))) throw new CheckpointError(`bars.times[${i}]`, 'times must increase');
  }
  const rows = array(b['rows'], 'bars.rows');
  if (rows.length !== times.length) throw new CheckpointError('bars.rows', `${rows.length} rows for ${times.length} times`);
  return {
    times,
    rows: rows.map((row, i) => {
      const cells = array(row, `bars.rows[${i}]`);
      if (cells.length !== symbolCount) throw new CheckpointError(`bars.rows[${i}]`, `expected ${symbolCount} symbols, got ${cells.length}`);
      return cells.map((cell, s) => {
        if (cell === null) return null;
        const c = array(cell, `bars.rows[${i}][${s}]`);
        if (c.length !== 5) throw new CheckpointError(`bars.rows[${i}][${s}]`, 'expected [open, high, low, close, volume]');
        const v = c.map((x, j) => finite(x, `bars.rows[${i}][${s}][${j}]`));
        return [v[0], v[1], v[2], v[3], v[4]] as [number, number, number, number, number];
      });
    }),
  };
}

function parseOrder(value: unknown, where: string, symbols: readonly string[]): CheckpointOrder {
  const o = record(value, where);
  const side = o['side'];
  if (side !== 'buy' && side !== 'sell') throw new CheckpointError(`${where}.side`, `expected buy or sell, got ${describe(side)}`);
  const symbol = text(o['symbol'], `${where}.symbol`);
  if (!symbols.includes(symbol)) throw new CheckpointError(`${where}.symbol`, `${symbol} is not one of the session's symbols`);
  const type = o['type'];
  if (type !== 'market' && type !== 'limit' && type !== 'stop' && type !== 'stop_limit' && type !== 'bracket') {
    throw new CheckpointError(`${where}.type`, `unknown order type ${describe(type)}`);
  }
  const tif = o['timeInForce'];
  if (tif !== 'day' && tif !== 'gtc') throw new CheckpointError(`${where}.timeInForce`, `expected day or gtc, got ${describe(tif)}`);
  const optionalPrice = (key: string): number | null => (o[key] === null || o[key] === undefined ? null : finite(o[key], `${where}.${key}`));
  return {
    clientOrderId: text(o['clientOrderId'], `${where}.clientOrderId`),
    symbol,
    side,
    type,
    timeInForce: tif,
    limitPrice: optionalPrice('limitPrice'),
    stopPrice: optionalPrice('stopPrice'),
    qty: finite(o['qty'], `${where}.qty`),
    filledQty: finite(o['filledQty'], `${where}.filledQty`),
    referencePrice: finite(o['referencePrice'], `${where}.referencePrice`),
    decidedAt: finite(o['decidedAt'], `${where}.decidedAt`),
  };
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new CheckpointError(field, `expected an object, got ${describe(value)}`);
}

function array(value: unknown, field: string): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  throw new CheckpointError(field, `expected an array, got ${describe(value)}`);
}

function text(value: unknown, field: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new CheckpointError(field, `expected a non-empty string, got ${describe(value)}`);
}

function finite(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new CheckpointError(field, `expected a finite number, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const t = JSON.stringify(value) ?? String(value);
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}
