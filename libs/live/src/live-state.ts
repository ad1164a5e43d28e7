import type { JsonValue } from '@quantbot/core';
import { QuantbotError } from '@quantbot/core';
import type { CheckpointIntegrity, LiveAuditVerification } from './live-state-integrity';

/**
 * What a live session persists. A checkpoint is the whole restartable state after one bar; the
 * journal rows (orders, upserted; fills and audit entries, appended) are facts saved in the same
 * transaction, so a crash at any instant leaves the last checkpoint and exactly the journal that
 * led to it.
 */

/**
 * An order as the session knows it, upserted by client order id on every change: the version
 * saved last is the one kept (within one batch too). `qty` is above 0, `filledQty` at least 0,
 * both finite; times are whole epoch milliseconds.
 */
export interface LiveOrderRecord {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: string;
  readonly qty: number;
  readonly filledQty: number;
  /** Core order status (`new`, `accepted`, `partially_filled`, `filled`, `canceled`, …). */
  readonly status: string;
  /** The close of the bar that decided it (epoch ms). */
  readonly decidedAt: number;
  readonly updatedAt: number;
  readonly reason: string | null;
  /**
   * The price the decision saw (the engine's reference price of the order: the close of the bar
   * that decided it), above 0; null when unknown (an order adopted at reconciliation, a bracket
   * leg, a row saved before `live_0003`). The benchmark of the shadow ledger's slippage.
   */
  readonly decisionPrice: number | null;
  /** The limit price of a limit or stop-limit order (above 0), else null. */
  readonly limitPrice: number | null;
  /** The stop price of a stop or stop-limit order (above 0), else null. */
  readonly stopPrice: number | null;
  /** `day` or `gtc`; null on rows saved before `live_0003`. */
  readonly timeInForce: 'day' | 'gtc' | null;
}

/**
 * One execution. `fillKey` is unique per session: a fill saved twice is saved once (the first
 * version stays; a later one with the same key is ignored, not an error).
 */
export interface LiveFillRecord {
  readonly fillKey: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  readonly price: number;
  readonly commission: number;
  readonly time: number;
  /** True when it was found through REST after a gap or at reconciliation, not streamed. */
  readonly recovered: boolean;
}

/** A fact for the audit log: a reconciliation divergence, a refused start, a kill-switch move, … */
export interface LiveAuditRecord {
  readonly time: number;
  readonly kind: string;
  readonly detail: { readonly [key: string]: JsonValue };
}

/** A stretch of a session's journal by time: `fromMs` included, `toMs` excluded (epoch ms). */
export interface LiveJournalWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Whether `time` lies in `window` (no window: everything does). */
export function inJournalWindow(time: number, window: LiveJournalWindow | undefined): boolean {
  return window === undefined || (time >= window.fromMs && time < window.toMs);
}

/** Everything one save writes, in one transaction. */
export interface LiveSaveBatch {
  /**
   * The checkpoint document (versioned JSON; see live-checkpoint.ts). Stored as JSON: numbers
   * read back bit for bit, except `-0`, which JSON writes as `0`; key order is not kept.
   */
  readonly checkpoint: JsonValue;
  /** The last bar the checkpoint includes (epoch ms): what a restart resumes after. */
  readonly lastBarTime: number;
  readonly orders: readonly LiveOrderRecord[];
  readonly fills: readonly LiveFillRecord[];
  readonly audit: readonly LiveAuditRecord[];
}

/** A stored checkpoint, as read back: its document is not parsed or trusted yet. */
export interface StoredCheckpoint {
  /** Assigned by the store on save, increasing (not necessarily by 1: numbers are shared by all sessions). */
  readonly seq: number;
  readonly savedAt: number;
  readonly lastBarTime: number;
  /** A fresh copy on every read: the caller may change it without touching what is stored. */
  readonly document: unknown;
  /**
   * The row against its integrity hash (see live-state-integrity.ts): `verified`; `mismatch`
   * (edited after it was saved); `missing` (saved before checkpoints carried a hash).
   */
  readonly integrity: CheckpointIntegrity;
}

/** Any checkpoint of a session, for `live-trader state inspect`: set-aside ones carry why and when. */
export interface ListedCheckpoint extends StoredCheckpoint {
  readonly setAside: { readonly reason: string; readonly at: number } | null;
}

/**
 * A session's standing refusal to trade: recorded when a checkpoint is refused (unreadable,
 * edited, or without an integrity hash) and kept, across restarts, until an operator accepts a
 * checkpoint or resets the session.
 */
export interface LiveRefusal {
  /** The checkpoint refused. */
  readonly checkpointSeq: number;
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
}

/** What a refusal records: the checkpoint, why, and whether it is set aside (evidence kept, never used). */
export interface LiveRefusalRequest {
  readonly checkpointSeq: number;
  readonly reason: string;
  readonly setAside: boolean;
}

/** An operator's action on a session: who (`by`) and why (`reason`), both non-empty; both are audited. */
export interface LiveOperatorAction {
  readonly by: string;
  readonly reason: string;
}

/** A checkpoint set aside, with why and when (epoch ms). */
export interface SetAsideCheckpoint extends StoredCheckpoint {
  readonly reason: string;
  readonly setAsideAt: number;
}

/**
 * Durable state of live sessions, keyed by session id. Implementations: `KyselyLiveStateStore`
 * (embedded PGlite or a Postgres server) and `MemoryLiveStateStore` (tests). Sessions never see
 * each other's rows. Everything read back is frozen (documents aside: those are fresh copies).
 * Numbers read back bit for bit (`0.1 + 0.2` stays `0.30000000000000004`), except that `-0`
 * reads back as `0`; times are whole epoch milliseconds and read back exactly.
 *
 * Every method throws a {@link LiveStateError} naming the session and the operation:
 * `LIVE_STATE_INVALID` before anything is written when an argument breaks the rules of
 * {@link checkLiveSave} / {@link checkLiveSetAside}, `LIVE_STATE_NOT_FOUND` for `setAside` of a
 * checkpoint the session does not have, `LIVE_STATE_FAILED` when the database fails.
 */
export interface LiveStateStore {
  /** Writes the batch atomically: all of it or, after a crash or an error, none of it. */
  save(sessionId: string, batch: LiveSaveBatch, savedAt: number): Promise<void>;
  /** The newest checkpoint that is not set aside, or undefined for a new session. */
  latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | undefined>;
  /**
   * Moves checkpoint `seq` out of the way (kept, with the reason, never overwritten or deleted);
   * `latestCheckpoint` then returns the one before it, if any. Setting aside a checkpoint that
   * already is changes nothing: its first reason and time stay (so a retry is harmless).
   */
  setAside(sessionId: string, seq: number, reason: string, at: number): Promise<void>;
  /** Checkpoints set aside, newest (highest seq) first. */
  setAsideCheckpoints(sessionId: string): Promise<readonly SetAsideCheckpoint[]>;
  /** Every order saved (with `window`: decided in it), latest version of each, in the order each was first saved. */
  orders(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveOrderRecord[]>;
  /** Every fill saved (with `window`: whose time is in it), once per fill key, in the order first saved. */
  fills(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveFillRecord[]>;
  /** The audit log (with `window`: the entries whose time is in it), in the order saved. */
  audit(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveAuditRecord[]>;
  /** Every checkpoint of the session, set aside or not, newest first. */
  checkpoints(sessionId: string): Promise<readonly ListedCheckpoint[]>;
  /** The session's standing refusal, or undefined when it may trade. */
  refusal(sessionId: string): Promise<LiveRefusal | undefined>;
  /**
   * Records a refusal (and sets the checkpoint aside when asked) with an audit entry
   * `state-refused`, in one transaction. A refusal already standing stays as it is and is returned.
   */
  refuse(sessionId: string, request: LiveRefusalRequest, at: number): Promise<LiveRefusal>;
  /**
   * An operator trades on checkpoint `checkpointSeq`: it must not be set aside, must parse as a
   * checkpoint of this session and must not fail its integrity hash (one saved without a hash is
   * stamped with one now: the operator vouches for it). Every newer checkpoint is set aside, the
   * refusal (if any) is lifted, and an audit entry `operator-accept` records who and why.
   * Throws `LIVE_STATE_NOT_FOUND` or `LIVE_STATE_INVALID` (naming why) and changes nothing then.
   */
  accept(sessionId: string, checkpointSeq: number, action: LiveOperatorAction, at: number): Promise<void>;
  /**
   * An operator starts the session again from the broker's books: every checkpoint is set aside,
   * the refusal (if any) is lifted, and an audit entry `operator-reset` records who and why.
   * Throws `LIVE_STATE_NOT_FOUND` when the session has no checkpoint.
   */
  reset(sessionId: string, action: LiveOperatorAction, at: number): Promise<void>;
  /** Verifies the session's audit chain against its hashes and anchors (see live-state-integrity.ts). */
  verifyAudit(sessionId: string): Promise<LiveAuditVerification>;
}

/**
 * The stable codes of {@link LiveStateError}:
 * - `LIVE_STATE_INVALID`: an argument the store refuses (a NaN price, an empty session id, a time
 *   that is not a whole millisecond, text with a NUL character); nothing was written;
 * - `LIVE_STATE_NOT_FOUND`: `setAside` of a checkpoint the session does not have;
 * - `LIVE_SESSION_LOCKED`: another process holds the session (see `LiveStateStoreHandle.lockSession`);
 * - `LIVE_STATE_FAILED`: the database failed or refused. A save that fails this way wrote
 *   nothing, with one exception no store can rule out: when the connection is lost during the
 *   commit, the save may have been kept; `latestCheckpoint` tells.
 */
export type LiveStateErrorCode = 'LIVE_STATE_INVALID' | 'LIVE_STATE_NOT_FOUND' | 'LIVE_STATE_FAILED' | 'LIVE_SESSION_LOCKED';

/** The {@link LiveStateStore} method an error comes from. */
export type LiveStateOperation =
  | 'save'
  | 'latestCheckpoint'
  | 'setAside'
  | 'setAsideCheckpoints'
  | 'orders'
  | 'fills'
  | 'audit'
  | 'checkpoints'
  | 'refusal'
  | 'refuse'
  | 'accept'
  | 'reset'
  | 'verifyAudit'
  | 'lockSession';

/**
 * Why a live state store refused or failed an operation. The message names the operation and the
 * session (`live state save (session "paper-1"): fills[0].price: NaN is not a finite number above
 * 0`) and never carries a database password.
 */
export class LiveStateError extends QuantbotError {
  declare readonly code: LiveStateErrorCode;
  readonly sessionId: string;
  readonly operation: LiveStateOperation;

  constructor(code: LiveStateErrorCode, sessionId: string, operation: LiveStateOperation, detail: string, options?: { cause?: unknown }) {
    super(code, `live state ${operation} (session ${describeSessionId(sessionId)}): ${detail}`, options);
    this.sessionId = sessionId;
    this.operation = operation;
  }
}

/** The longest session id, in UTF-16 code units. */
export const MAX_SESSION_ID_LENGTH = 200;

/** The deepest nesting of a checkpoint document or an audit detail (which also stops cycles). */
export const MAX_LIVE_JSON_DEPTH = 256;

/** The earliest and latest instants a store keeps: 0001-01-01 and 9999-12-31T23:59:59.999Z (epoch ms). */
export const LIVE_TIME_RANGE_MS = Object.freeze({ min: -62_135_596_800_000, max: 253_402_300_799_999 });

/**
 * Checks a session id: a string of 1 to {@link MAX_SESSION_ID_LENGTH} characters that the
 * database can hold as it is (no NUL character, no unpaired surrogate). Throws a
 * {@link LiveStateError} `LIVE_STATE_INVALID` for `operation` otherwise.
 */
export function checkLiveSessionId(sessionId: string, operation: LiveStateOperation): void {
  const problem = textProblem(sessionId, { allowEmpty: false });
  if (problem !== undefined) throw new LiveStateError('LIVE_STATE_INVALID', String(sessionId), operation, `session id ${problem}`);
  if (sessionId.length > MAX_SESSION_ID_LENGTH) {
    throw new LiveStateError('LIVE_STATE_INVALID', sessionId, operation, `session id is ${sessionId.length} characters long, more than ${MAX_SESSION_ID_LENGTH}`);
  }
}

/**
 * Checks everything `save` is given before it writes anything, with the rules the database's
 * constraints enforce again: whole-millisecond times between the ends of
 * {@link LIVE_TIME_RANGE_MS}; order `qty` above 0 and `filledQty` at least 0, order
 * `decisionPrice`, `limitPrice` and `stopPrice` null or above 0, `timeInForce` `day`, `gtc` or
 * null (`undefined` is refused: null says unknown), fill `qty` and
 * `price` above 0, `commission` any, all finite; `side` `buy` or `sell`; ids, symbols, types,
 * statuses and kinds non-empty; `recovered` a boolean; the checkpoint and each audit `detail`
 * plain JSON (finite numbers, no `undefined`, no `Date` or other class instances, at most
 * {@link MAX_LIVE_JSON_DEPTH} deep; `detail` an object); all text without NUL characters or
 * unpaired surrogates, which Postgres cannot keep as they are.
 *
 * Throws a {@link LiveStateError} `LIVE_STATE_INVALID` naming the field (`fills[2].price`).
 */
export function checkLiveSave(sessionId: string, batch: LiveSaveBatch, savedAt: number): void {
  checkLiveSessionId(sessionId, 'save');
  const fail = (field: string, problem: string): never => {
    throw new LiveStateError('LIVE_STATE_INVALID', sessionId, 'save', `${field}: ${problem}`);
  };
  const check = (problem: string | undefined, field: string): void => {
    if (problem !== undefined) fail(field, problem);
  };
  // A JSON problem names its own path inside the value.
  const checkJson = (problem: string | undefined): void => {
    if (problem !== undefined) throw new LiveStateError('LIVE_STATE_INVALID', sessionId, 'save', problem);
  };
  if (typeof batch !== 'object' || batch === null) fail('batch', 'is not an object');
  check(timeProblem(savedAt), 'savedAt');
  check(timeProblem(batch.lastBarTime), 'lastBarTime');
  checkJson(jsonProblem(batch.checkpoint, 'checkpoint', 0));
  for (const [name, list] of [['orders', batch.orders], ['fills', batch.fills], ['audit', batch.audit]] as const) {
    if (!Array.isArray(list)) fail(name, 'is not an array');
  }
  batch.orders.forEach((order, i) => {
    const at = `orders[${i}]`;
    if (typeof order !== 'object' || order === null) fail(at, 'is not an object');
    check(textProblem(order.clientOrderId, { allowEmpty: false }), `${at}.clientOrderId`);
    check(textProblem(order.symbol, { allowEmpty: false }), `${at}.symbol`);
    check(sideProblem(order.side), `${at}.side`);
    check(textProblem(order.type, { allowEmpty: false }), `${at}.type`);
    check(numberProblem(order.qty, 'above'), `${at}.qty`);
    check(numberProblem(order.filledQty, 'at least'), `${at}.filledQty`);
    check(textProblem(order.status, { allowEmpty: false }), `${at}.status`);
    check(timeProblem(order.decidedAt), `${at}.decidedAt`);
    check(timeProblem(order.updatedAt), `${at}.updatedAt`);
    if (order.reason !== null) check(textProblem(order.reason, { allowEmpty: true }), `${at}.reason`);
    for (const field of ['decisionPrice', 'limitPrice', 'stopPrice'] as const) {
      const price: unknown = order[field];
      if (price !== null) check(numberProblem(price, 'above'), `${at}.${field}`);
    }
    const tif: unknown = order.timeInForce;
    if (tif !== null && tif !== 'day' && tif !== 'gtc') fail(`${at}.timeInForce`, `${describeValue(tif)} is not 'day', 'gtc' or null`);
  });
  batch.fills.forEach((fill, i) => {
    const at = `fills[${i}]`;
    if (typeof fill !== 'object' || fill === null) fail(at, 'is not an object');
    check(textProblem(fill.fillKey, { allowEmpty: false }), `${at}.fillKey`);
    check(textProblem(fill.clientOrderId, { allowEmpty: false }), `${at}.clientOrderId`);
    check(textProblem(fill.symbol, { allowEmpty: false }), `${at}.symbol`);
    check(sideProblem(fill.side), `${at}.side`);
    check(numberProblem(fill.qty, 'above'), `${at}.qty`);
    check(numberProblem(fill.price, 'above'), `${at}.price`);
    check(numberProblem(fill.commission, 'any'), `${at}.commission`);
    check(timeProblem(fill.time), `${at}.time`);
    if (typeof fill.recovered !== 'boolean') fail(`${at}.recovered`, `${describeValue(fill.recovered)} is not a boolean`);
  });
  batch.audit.forEach((entry, i) => {
    const at = `audit[${i}]`;
    if (typeof entry !== 'object' || entry === null) fail(at, 'is not an object');
    check(timeProblem(entry.time), `${at}.time`);
    check(textProblem(entry.kind, { allowEmpty: false }), `${at}.kind`);
    if (typeof entry.detail !== 'object' || entry.detail === null || Array.isArray(entry.detail)) fail(`${at}.detail`, 'is not a JSON object');
    checkJson(jsonProblem(entry.detail, `${at}.detail`, 0));
  });
}

/**
 * Checks the arguments of `setAside`: a positive whole `seq`, a non-empty `reason` and a time
 * `at` as {@link checkLiveSave} requires them. Throws a {@link LiveStateError} `LIVE_STATE_INVALID`.
 */
export function checkLiveSetAside(sessionId: string, seq: number, reason: string, at: number): void {
  checkLiveSessionId(sessionId, 'setAside');
  const problem =
    (Number.isSafeInteger(seq) && seq > 0 ? undefined : `seq: ${describeValue(seq)} is not a positive whole number`) ??
    prefixed('reason', textProblem(reason, { allowEmpty: false })) ??
    prefixed('at', timeProblem(at));
  if (problem !== undefined) throw new LiveStateError('LIVE_STATE_INVALID', sessionId, 'setAside', problem);
}

/**
 * Checks an operator action: `by` and `reason` non-empty text the database can keep. Throws a
 * {@link LiveStateError} `LIVE_STATE_INVALID` for `operation` naming the field.
 */
export function checkLiveOperatorAction(sessionId: string, action: LiveOperatorAction, operation: LiveStateOperation): void {
  checkLiveSessionId(sessionId, operation);
  const problem = prefixed('by', textProblem(action.by, { allowEmpty: false })) ?? prefixed('reason', textProblem(action.reason, { allowEmpty: false }));
  if (problem !== undefined) throw new LiveStateError('LIVE_STATE_INVALID', sessionId, operation, problem);
}

// Unpaired surrogates would reach Postgres as U+FFFD (text) or be refused (jsonb); NUL is refused by both.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(value: unknown, options: { readonly allowEmpty: boolean }): string | undefined {
  if (typeof value !== 'string') return `${describeValue(value)} is not a string`;
  if (!options.allowEmpty && value.trim() === '') return 'is empty';
  const nul = value.indexOf('\u0000');
  if (nul >= 0) return `holds a NUL character at index ${nul}, which the database cannot keep`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone !== null) return `holds an unpaired surrogate at index ${lone.index}, which the database cannot keep`;
  return undefined;
}

function numberProblem(value: unknown, bound: 'above' | 'at least' | 'any'): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${describeValue(value)} is not a finite number${bound === 'any' ? '' : ` ${bound} 0`}`;
  if ((bound === 'above' && value <= 0) || (bound === 'at least' && value < 0)) return `${describeValue(value)} is not ${bound} 0`;
  return undefined;
}

function timeProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return `${describeValue(value)} is not a whole number of epoch milliseconds`;
  if (value < LIVE_TIME_RANGE_MS.min || value > LIVE_TIME_RANGE_MS.max) return `${value} is outside the years 1 to 9999`;
  return undefined;
}

function sideProblem(value: unknown): string | undefined {
  return value === 'buy' || value === 'sell' ? undefined : `${describeValue(value)} is not 'buy' or 'sell'`;
}

/** What is wrong with a JSON value, naming the path inside it, or undefined when it is plain JSON. */
function jsonProblem(value: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_LIVE_JSON_DEPTH) return `nests deeper than ${MAX_LIVE_JSON_DEPTH} levels at ${path} (or holds a cycle)`;
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${String(value)}, which JSON cannot hold`;
  if (typeof value === 'string') return prefixed(path, textProblem(value, { allowEmpty: true }));
  if (typeof value !== 'object') return `${path} is a ${typeof value}, not a JSON value`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return `${path}[${i}] is a hole in the array`;
      const problem = jsonProblem(value[i], `${path}[${i}]`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return `${path} is not a plain JSON object`;
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}.${key}`;
    const keyProblem = textProblem(key, { allowEmpty: true });
    if (keyProblem !== undefined) return `${path}: key ${JSON.stringify(key)} ${keyProblem}`;
    if (member === undefined) return `${at} is undefined; leave the key out or use null`;
    const problem = jsonProblem(member, at, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function prefixed(field: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${field}: ${problem}`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' && Object.is(value, -0)) return '-0';
  return String(value);
}

function describeSessionId(sessionId: string): string {
  const text = typeof sessionId === 'string' ? sessionId : String(sessionId);
  return JSON.stringify(text.length > MAX_SESSION_ID_LENGTH ? `${text.slice(0, MAX_SESSION_ID_LENGTH)}…` : text);
}
