import type { EpochMs } from '@quantbot/core';
import type { Fail, InputObject, InputSource, NumberRule } from './input-reader';
import {
  describeValue,
  failureFor,
  fieldPath,
  readArray,
  readBoolean,
  readChoice,
  readNullableNumber,
  readNumber,
  readObject,
  readText,
  rejectUnknownKeys,
} from './input-reader';
import { isCalendarDate } from './paper-days';
import { PROMOTION_STAGES } from './registry-records';
import type {
  ShadowFillSide,
  ShadowOrderPair,
  ShortfallAttribution,
  TradingDayDrift,
  TradingDayExecution,
  TradingDayIncident,
  TradingDayInput,
  TradingDayKillSwitchEvent,
} from './trading-day-input';

/**
 * A trading day as the registry keeps it (`registry_trading_days`): the trader's record with its
 * id (`day-<n>`), the snapshot it is evidence of, and how often a partial day was replaced.
 */
export interface TradingDayRecord extends TradingDayInput {
  readonly id: string;
  readonly experimentId: string;
  readonly snapshotId: string;
  /** 0 when first recorded; + 1 each time a partial day was replaced by a later record of its session. */
  readonly revision: number;
  /** When the (latest revision of the) day was recorded, by the registry's clock. */
  readonly recordedAt: EpochMs;
  readonly recordedBy: string | null;
}

const TOP_FIELDS = [
  'date',
  'sessionId',
  'journalDigest',
  'stage',
  'capitalStage',
  'complete',
  'startEquity',
  'equity',
  'dailyPnl',
  'drawdownPct',
  'maxGrossExposure',
  'execution',
  'killSwitch',
  'incidents',
  'drift',
  'shadowOrders',
];
const EXECUTION_FIELDS = ['orders', 'fills', 'rejects', 'qualityScore', 'implementationShortfallBps', 'averageSlippageBps', 'fillRate', 'averageLatencyMs'];
const DRIFT_FIELDS = ['returnGap', 'slippageGapBps', 'fillRateGap', 'timingGapMs', 'ordersCompared', 'actualTradingPnl', 'shadowTradingPnl'];
const KILL_SWITCH_FIELDS = ['time', 'state', 'reason'];
const INCIDENT_FIELDS = ['id', 'priority', 'title'];
const ORDER_FIELDS = ['clientOrderId', 'symbol', 'side', 'qty', 'decisionPrice', 'decidedAt', 'actual', 'shadow', 'attribution'];
const FILL_FIELDS = ['filledQty', 'averagePrice', 'filledAt', 'commission'];
const ATTRIBUTION_FIELDS = ['arrivalPrice', 'delayBps', 'spreadBps', 'impactBps', 'feesBps', 'totalBps'];
const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
const SIDES = ['buy', 'sell'] as const;
const HEX_64 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks a trading day as the live trader records it (see {@link TradingDayInput}): every field
 * is required (nullable ones as `null`), unknown fields are refused at every level, numbers must
 * be finite and in range, `date` a real calendar date, `journalDigest` 64 lower-case hex digits,
 * `stage` `paper` or `live`, and `capitalStage` null for a paper day and a whole number ≥ 0 for a
 * live one. Times (`killSwitch[i].time`, `shadowOrders[i].decidedAt`, fills' `filledAt`) are ISO
 * 8601 with a zone. Throws a `ConfigError` (or a `DataError` with `source.file`) naming the field
 * by its path: `drift.returnGap`, `shadowOrders[3].qty`, `execution.fillRate`.
 */
export function parseTradingDayInput(value: unknown, source: InputSource = {}): TradingDayInput {
  const fail = failureFor(source);
  const day = readObject(value, 'day', fail);
  rejectUnknownKeys(day, TOP_FIELDS, '', fail);
  const date = day['date'];
  if (typeof date !== 'string' || !isCalendarDate(date)) fail('date', `must be a calendar date YYYY-MM-DD, got ${describeValue(date)}`);
  const journalDigest = day['journalDigest'];
  if (typeof journalDigest !== 'string' || !HEX_64.test(journalDigest)) fail('journalDigest', `must be 64 lower-case hex digits (SHA-256), got ${describeValue(journalDigest)}`);
  const stage = readChoice(day, 'stage', '', fail, PROMOTION_STAGES);
  const capitalStage = day['capitalStage'];
  if (stage === 'paper' && capitalStage !== null) fail('capitalStage', `must be null for a paper day, got ${describeValue(capitalStage)}`);
  if (stage === 'live' && (typeof capitalStage !== 'number' || !Number.isInteger(capitalStage) || capitalStage < 0)) {
    fail('capitalStage', `must be a whole number ≥ 0 for a live day (the capital-ramp stage it traded at), got ${describeValue(capitalStage)}`);
  }
  return deepFreeze({
    date: date as string,
    sessionId: readText(day, 'sessionId', '', fail),
    journalDigest: journalDigest as string,
    stage,
    capitalStage: capitalStage as number | null,
    complete: readBoolean(day, 'complete', '', fail),
    startEquity: readNumber(day, 'startEquity', '', fail, { min: 0 }),
    equity: readNumber(day, 'equity', '', fail, { min: 0 }),
    dailyPnl: readNumber(day, 'dailyPnl', '', fail),
    drawdownPct: readNumber(day, 'drawdownPct', '', fail, { min: 0, max: 100 }),
    maxGrossExposure: readNumber(day, 'maxGrossExposure', '', fail, { min: 0 }),
    execution: readExecution(day['execution'], 'execution', fail),
    killSwitch: readArray(day['killSwitch'], 'killSwitch', fail).map((e, i) => readKillSwitchEvent(e, fieldPath('killSwitch', i), fail)),
    incidents: readArray(day['incidents'], 'incidents', fail).map((e, i) => readIncident(e, fieldPath('incidents', i), fail)),
    drift: day['drift'] === null ? null : readDrift(day['drift'], 'drift', fail),
    shadowOrders: readArray(day['shadowOrders'], 'shadowOrders', fail).map((o, i) => readOrderPair(o, fieldPath('shadowOrders', i), fail)),
  });
}

function readExecution(value: unknown, path: string, fail: Fail): TradingDayExecution {
  const o = readObject(value, path, fail);
  rejectUnknownKeys(o, EXECUTION_FIELDS, path, fail);
  const count: NumberRule = { integer: true, min: 0 };
  return {
    orders: readNumber(o, 'orders', path, fail, count),
    fills: readNumber(o, 'fills', path, fail, count),
    rejects: readNumber(o, 'rejects', path, fail, count),
    qualityScore: nullable(o, 'qualityScore', path, fail, { min: 0, max: 100 }),
    implementationShortfallBps: nullable(o, 'implementationShortfallBps', path, fail),
    averageSlippageBps: nullable(o, 'averageSlippageBps', path, fail),
    fillRate: nullable(o, 'fillRate', path, fail, { min: 0, max: 1 }),
    averageLatencyMs: nullable(o, 'averageLatencyMs', path, fail, { min: 0 }),
  };
}

function readDrift(value: unknown, path: string, fail: Fail): TradingDayDrift {
  const o = readObject(value, path, fail);
  rejectUnknownKeys(o, DRIFT_FIELDS, path, fail);
  return {
    returnGap: readNumber(o, 'returnGap', path, fail),
    slippageGapBps: nullable(o, 'slippageGapBps', path, fail),
    fillRateGap: nullable(o, 'fillRateGap', path, fail, { min: -1, max: 1 }),
    timingGapMs: nullable(o, 'timingGapMs', path, fail),
    ordersCompared: readNumber(o, 'ordersCompared', path, fail, { integer: true, min: 0 }),
    actualTradingPnl: readNumber(o, 'actualTradingPnl', path, fail),
    shadowTradingPnl: readNumber(o, 'shadowTradingPnl', path, fail),
  };
}

function readKillSwitchEvent(value: unknown, path: string, fail: Fail): TradingDayKillSwitchEvent {
  const o = readObject(value, path, fail);
  rejectUnknownKeys(o, KILL_SWITCH_FIELDS, path, fail);
  const reason = o['reason'];
  if (reason !== null && typeof reason !== 'string') fail(fieldPath(path, 'reason'), `must be a string or null, got ${describeValue(reason)}`);
  return { time: readIsoTime(o, 'time', path, fail), state: readText(o, 'state', path, fail), reason: reason as string | null };
}

function readIncident(value: unknown, path: string, fail: Fail): TradingDayIncident {
  const o = readObject(value, path, fail);
  rejectUnknownKeys(o, INCIDENT_FIELDS, path, fail);
  return { id: readText(o, 'id', path, fail), priority: readChoice(o, 'priority', path, fail, PRIORITIES), title: readText(o, 'title', path, fail, 500) };
}

function readOrderPair(value: unknown, path: string, fail: Fail): ShadowOrderPair {
  const o = readObject(value, path, fail);
  rejectUnknownKeys(o, ORDER_FIELDS, path, fail);
  const qty = readNumber(o, 'qty', path, fail);
  if (!(qty > 0)) fail(fieldPath(path, 'qty'), `must be greater than 0, got ${qty}`);
  const decisionPrice = readNumber(o, 'decisionPrice', path, fail);
  if (!(decisionPrice > 0)) fail(fieldPath(path, 'decisionPrice'), `must be greater than 0, got ${decisionPrice}`);
  return {
    clientOrderId: readText(o, 'clientOrderId', path, fail),
    symbol: readText(o, 'symbol', path, fail),
    side: readChoice(o, 'side', path, fail, SIDES),
    qty,
    decisionPrice,
    decidedAt: readIsoTime(o, 'decidedAt', path, fail),
    actual: readFillSide(o['actual'], fieldPath(path, 'actual'), fail),
    shadow: readFillSide(o['shadow'], fieldPath(path, 'shadow'), fail),
    attribution: o['attribution'] === null ? null : readAttribution(o['attribution'], fieldPath(path, 'attribution'), fail),
  };
}

function readFillSide(value: unknown, path: string, fail: Fail): ShadowFillSide {
  const o = readObject(value, path, fail);
  rejectUnknownKeys(o, FILL_FIELDS, path, fail);
  const averagePrice = nullable(o, 'averagePrice', path, fail, { min: 0 });
  const filledAt = o['filledAt'] === null ? null : readIsoTime(o, 'filledAt', path, fail);
  return { filledQty: readNumber(o, 'filledQty', path, fail, { min: 0 }), averagePrice, filledAt, commission: readNumber(o, 'commission', path, fail, { min: 0 }) };
}

function readAttribution(value: unknown, path: string, fail: Fail): ShortfallAttribution {
  const o = readObject(value, path, fail);
  rejectUnknownKeys(o, ATTRIBUTION_FIELDS, path, fail);
  const arrivalPrice = readNumber(o, 'arrivalPrice', path, fail);
  if (!(arrivalPrice > 0)) fail(fieldPath(path, 'arrivalPrice'), `must be greater than 0, got ${arrivalPrice}`);
  return {
    arrivalPrice,
    delayBps: readNumber(o, 'delayBps', path, fail),
    spreadBps: readNumber(o, 'spreadBps', path, fail),
    impactBps: readNumber(o, 'impactBps', path, fail),
    feesBps: readNumber(o, 'feesBps', path, fail),
    totalBps: readNumber(o, 'totalBps', path, fail),
  };
}

/** A nullable number that must be present (`null` is given explicitly: the contract has no optional fields). */
function nullable(o: InputObject, key: string, path: string, fail: Fail, rule: NumberRule = {}): number | null {
  return readNullableNumber(o, key, path, fail, { ...rule, required: true });
}

function readIsoTime(o: InputObject, key: string, path: string, fail: Fail): string {
  const value = o[key];
  if (typeof value !== 'string' || !ISO_TIME.test(value) || !Number.isFinite(Date.parse(value))) {
    fail(fieldPath(path, key), `must be an ISO 8601 time with a zone (2024-07-02T14:30:00Z), got ${describeValue(value)}`);
  }
  return value as string;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object) as unknown[]) deepFreeze(inner);
  }
  return value;
}
