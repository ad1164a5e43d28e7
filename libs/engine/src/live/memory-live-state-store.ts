import type {
  LiveAuditRecord,
  LiveFillRecord,
  LiveOrderRecord,
  LiveSaveBatch,
  LiveStateStore,
  SetAsideCheckpoint,
  StoredCheckpoint,
} from './live-state';
import { LiveStateError, checkLiveSave, checkLiveSessionId, checkLiveSetAside } from './live-state';

/** A checkpoint as kept: the document as JSON text, so every read parses a fresh copy. */
interface KeptCheckpoint {
  readonly seq: number;
  readonly savedAt: number;
  readonly lastBarTime: number;
  readonly documentJson: string;
  setAside: { readonly reason: string; readonly at: number } | undefined;
}

/** An audit entry as kept: its detail as JSON text. */
interface KeptAuditEntry {
  readonly time: number;
  readonly kind: string;
  readonly detailJson: string;
}

interface SessionState {
  readonly checkpoints: KeptCheckpoint[];
  /** By client order id; a `Map` keeps the order each was first saved in. */
  readonly orders: Map<string, LiveOrderRecord>;
  readonly fills: Map<string, LiveFillRecord>;
  readonly audit: KeptAuditEntry[];
}

/**
 * A {@link LiveStateStore} in memory, for tests of the live session: the same rules as
 * `KyselyLiveStateStore`, checked by the same shared behaviour suite. A batch is checked whole
 * before anything changes, so a refused save leaves no trace; documents and audit details are kept
 * as JSON text (as the database keeps them), and `-0` reads back as `0` everywhere, as from the
 * database, so neither the caller's
 * later changes nor a reader's can reach the stored state; orders keep their last version, fills
 * their first; `setAside` only marks. Checkpoint numbers are shared by all sessions of a store,
 * like the database's.
 *
 * @example
 * const store = new MemoryLiveStateStore();
 * await store.save('paper-1', { checkpoint: { version: 1 }, lastBarTime, orders: [], fills: [], audit: [] }, savedAt);
 * (await store.latestCheckpoint('paper-1'))?.document; // { version: 1 }, a fresh copy
 */
export class MemoryLiveStateStore implements LiveStateStore {
  readonly #sessions = new Map<string, SessionState>();
  #lastSeq = 0;

  async save(sessionId: string, batch: LiveSaveBatch, savedAt: number): Promise<void> {
    checkLiveSave(sessionId, batch, savedAt);
    // Everything that can fail has been checked: from here on the batch is kept whole.
    const session = this.#session(sessionId);
    this.#lastSeq += 1;
    session.checkpoints.push({
      seq: this.#lastSeq,
      savedAt,
      lastBarTime: batch.lastBarTime,
      documentJson: JSON.stringify(batch.checkpoint),
      setAside: undefined,
    });
    for (const order of batch.orders) session.orders.set(order.clientOrderId, copyOrder(order));
    for (const fill of batch.fills) if (!session.fills.has(fill.fillKey)) session.fills.set(fill.fillKey, copyFill(fill));
    for (const entry of batch.audit) session.audit.push({ time: entry.time, kind: entry.kind, detailJson: JSON.stringify(entry.detail) });
  }

  async latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | undefined> {
    checkLiveSessionId(sessionId, 'latestCheckpoint');
    const checkpoints = this.#sessions.get(sessionId)?.checkpoints ?? [];
    for (let i = checkpoints.length - 1; i >= 0; i--) {
      const checkpoint = checkpoints[i];
      if (checkpoint !== undefined && checkpoint.setAside === undefined) return toStoredCheckpoint(checkpoint);
    }
    return undefined;
  }

  async setAside(sessionId: string, seq: number, reason: string, at: number): Promise<void> {
    checkLiveSetAside(sessionId, seq, reason, at);
    const checkpoint = this.#sessions.get(sessionId)?.checkpoints.find((kept) => kept.seq === seq);
    if (checkpoint === undefined) throw new LiveStateError('LIVE_STATE_NOT_FOUND', sessionId, 'setAside', `the session has no checkpoint ${seq}`);
    // Already set aside: its first reason and time stay.
    checkpoint.setAside ??= Object.freeze({ reason, at });
  }

  async setAsideCheckpoints(sessionId: string): Promise<readonly SetAsideCheckpoint[]> {
    checkLiveSessionId(sessionId, 'setAsideCheckpoints');
    const setAside: SetAsideCheckpoint[] = [];
    for (const checkpoint of this.#sessions.get(sessionId)?.checkpoints ?? []) {
      if (checkpoint.setAside !== undefined) {
        setAside.push(Object.freeze({ ...toStoredCheckpoint(checkpoint), reason: checkpoint.setAside.reason, setAsideAt: checkpoint.setAside.at }));
      }
    }
    return Object.freeze(setAside.reverse());
  }

  async orders(sessionId: string): Promise<readonly LiveOrderRecord[]> {
    checkLiveSessionId(sessionId, 'orders');
    return Object.freeze([...(this.#sessions.get(sessionId)?.orders.values() ?? [])]);
  }

  async fills(sessionId: string): Promise<readonly LiveFillRecord[]> {
    checkLiveSessionId(sessionId, 'fills');
    return Object.freeze([...(this.#sessions.get(sessionId)?.fills.values() ?? [])]);
  }

  async audit(sessionId: string): Promise<readonly LiveAuditRecord[]> {
    checkLiveSessionId(sessionId, 'audit');
    return Object.freeze(
      (this.#sessions.get(sessionId)?.audit ?? []).map(
        (entry): LiveAuditRecord => Object.freeze({ time: entry.time, kind: entry.kind, detail: JSON.parse(entry.detailJson) as LiveAuditRecord['detail'] }),
      ),
    );
  }

  #session(sessionId: string): SessionState {
    let session = this.#sessions.get(sessionId);
    if (session === undefined) {
      session = { checkpoints: [], orders: new Map(), fills: new Map(), audit: [] };
      this.#sessions.set(sessionId, session);
    }
    return session;
  }
}

function toStoredCheckpoint(checkpoint: KeptCheckpoint): StoredCheckpoint {
  return Object.freeze({
    seq: checkpoint.seq,
    savedAt: checkpoint.savedAt,
    lastBarTime: checkpoint.lastBarTime,
    document: JSON.parse(checkpoint.documentJson) as unknown,
  });
}

/**
 * `-0` as `0`: the database drivers write a number as `String(n)`, which is `'0'` for `-0`, so a
 * database store reads `0` back, and so does this one.
 */
function positiveZero(value: number): number {
  return value + 0;
}

/** The record's own fields only (as the database keeps them), frozen. */
function copyOrder(order: LiveOrderRecord): LiveOrderRecord {
  return Object.freeze({
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    qty: positiveZero(order.qty),
    filledQty: positiveZero(order.filledQty),
    status: order.status,
    decidedAt: order.decidedAt,
    updatedAt: order.updatedAt,
    reason: order.reason,
  });
}

function copyFill(fill: LiveFillRecord): LiveFillRecord {
  return Object.freeze({
    fillKey: fill.fillKey,
    clientOrderId: fill.clientOrderId,
    symbol: fill.symbol,
    side: fill.side,
    qty: positiveZero(fill.qty),
    price: positiveZero(fill.price),
    commission: positiveZero(fill.commission),
    time: fill.time,
    recovered: fill.recovered,
  });
}
