import type {
  ListedCheckpoint,
  LiveAuditRecord,
  LiveFillRecord,
  LiveOperatorAction,
  LiveJournalWindow,
  LiveOrderRecord,
  LiveRefusal,
  LiveRefusalRequest,
  LiveSaveBatch,
  LiveStateStore,
  SetAsideCheckpoint,
  StoredCheckpoint,
} from './live-state';
import { LiveStateError, checkLiveOperatorAction, checkLiveSave, checkLiveSessionId, checkLiveSetAside, inJournalWindow } from './live-state';
import type { ChainedLiveAudit, LiveAuditAnchor, LiveAuditVerification } from './live-state-integrity';
import { EMPTY_AUDIT_ANCHOR, chainLiveAudit, checkLiveCheckpointIntegrity, hashLiveCheckpoint, verifyLiveAuditChain } from './live-state-integrity';
import { acceptProblem, refusalDetail } from './live-operator-checks';

/** A checkpoint as kept: the document as JSON text, so every read parses a fresh copy. */
interface KeptCheckpoint {
  readonly seq: number;
  readonly savedAt: number;
  readonly lastBarTime: number;
  readonly documentJson: string;
  setAside: { readonly reason: string; readonly at: number } | undefined;
  integrityHash: string;
  anchor: LiveAuditAnchor;
}

/** An audit entry as kept: its detail as JSON text, with its chain fields. */
interface KeptAuditEntry {
  readonly rowSeq: number;
  readonly link: ChainedLiveAudit;
  readonly detailJson: string;
}

interface SessionState {
  readonly checkpoints: KeptCheckpoint[];
  /** By client order id; a `Map` keeps the order each was first saved in. */
  readonly orders: Map<string, LiveOrderRecord>;
  readonly fills: Map<string, LiveFillRecord>;
  readonly audit: KeptAuditEntry[];
  anchor: LiveAuditAnchor;
  refusal: LiveRefusal | undefined;
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
  #lastAuditSeq = 0;

  async save(sessionId: string, batch: LiveSaveBatch, savedAt: number): Promise<void> {
    checkLiveSave(sessionId, batch, savedAt);
    // Everything that can fail has been checked: from here on the batch is kept whole.
    const session = this.#session(sessionId);
    const { links, anchor } = chainLiveAudit(batch.audit, session.anchor);
    this.#lastSeq += 1;
    session.checkpoints.push({
      seq: this.#lastSeq,
      savedAt,
      lastBarTime: batch.lastBarTime,
      documentJson: JSON.stringify(batch.checkpoint),
      setAside: undefined,
      integrityHash: hashLiveCheckpoint({ sessionId, savedAt, lastBarTime: batch.lastBarTime, document: batch.checkpoint, audit: anchor }),
      anchor,
    });
    for (const order of batch.orders) session.orders.set(order.clientOrderId, copyOrder(order));
    for (const fill of batch.fills) if (!session.fills.has(fill.fillKey)) session.fills.set(fill.fillKey, copyFill(fill));
    this.#append(session, links, anchor);
  }

  async checkpoints(sessionId: string): Promise<readonly ListedCheckpoint[]> {
    checkLiveSessionId(sessionId, 'checkpoints');
    const kept = this.#sessions.get(sessionId)?.checkpoints ?? [];
    return Object.freeze(
      [...kept].reverse().map((checkpoint): ListedCheckpoint => Object.freeze({ ...toStoredCheckpoint(sessionId, checkpoint), setAside: checkpoint.setAside ?? null })),
    );
  }

  async refusal(sessionId: string): Promise<LiveRefusal | undefined> {
    checkLiveSessionId(sessionId, 'refusal');
    return this.#sessions.get(sessionId)?.refusal;
  }

  async refuse(sessionId: string, request: LiveRefusalRequest, at: number): Promise<LiveRefusal> {
    checkLiveSetAside(sessionId, request.checkpointSeq, request.reason, at);
    const session = this.#session(sessionId);
    if (session.refusal !== undefined) return session.refusal;
    const checkpoint = this.#checkpoint(sessionId, request.checkpointSeq, 'refuse');
    if (request.setAside) checkpoint.setAside ??= Object.freeze({ reason: request.reason, at });
    const { links, anchor } = chainLiveAudit([{ time: at, kind: 'state-refused', detail: { checkpointSeq: request.checkpointSeq, reason: request.reason, setAside: request.setAside } }], session.anchor);
    this.#append(session, links, anchor);
    session.refusal = Object.freeze({ checkpointSeq: request.checkpointSeq, reason: request.reason, at });
    return session.refusal;
  }

  async accept(sessionId: string, checkpointSeq: number, action: LiveOperatorAction, at: number): Promise<void> {
    checkLiveOperatorAction(sessionId, action, 'accept');
    checkLiveSetAside(sessionId, checkpointSeq, action.reason, at);
    const checkpoint = this.#checkpoint(sessionId, checkpointSeq, 'accept');
    const stored = toStoredCheckpoint(sessionId, checkpoint);
    const problem = acceptProblem(sessionId, stored, checkpoint.setAside?.reason ?? null);
    if (problem !== undefined) throw new LiveStateError('LIVE_STATE_INVALID', sessionId, 'accept', `checkpoint ${checkpointSeq} cannot be accepted: ${problem}`);
    const session = this.#session(sessionId);
    const superseded: number[] = [];
    for (const other of session.checkpoints) {
      if (other.seq > checkpointSeq && other.setAside === undefined) {
        other.setAside = Object.freeze({ reason: `superseded: ${action.by} accepted checkpoint ${checkpointSeq}: ${action.reason}`, at });
        superseded.push(other.seq);
      }
    }
    const detail = { checkpointSeq, by: action.by, reason: action.reason, stamped: false, supersededSeqs: superseded, refusal: refusalDetail(session.refusal) };
    const { links, anchor } = chainLiveAudit([{ time: at, kind: 'operator-accept', detail }], session.anchor);
    this.#append(session, links, anchor);
    session.refusal = undefined;
  }

  async reset(sessionId: string, action: LiveOperatorAction, at: number): Promise<void> {
    checkLiveOperatorAction(sessionId, action, 'reset');
    checkLiveSetAside(sessionId, 1, action.reason, at);
    const session = this.#sessions.get(sessionId);
    if (session === undefined || session.checkpoints.length === 0) {
      throw new LiveStateError('LIVE_STATE_NOT_FOUND', sessionId, 'reset', 'the session has no checkpoint: there is nothing to reset');
    }
    const setAside: number[] = [];
    for (const checkpoint of session.checkpoints) {
      if (checkpoint.setAside === undefined) {
        checkpoint.setAside = Object.freeze({ reason: `reset by ${action.by}: ${action.reason}`, at });
        setAside.push(checkpoint.seq);
      }
    }
    const detail = { by: action.by, reason: action.reason, setAsideSeqs: setAside, refusal: refusalDetail(session.refusal) };
    const { links, anchor } = chainLiveAudit([{ time: at, kind: 'operator-reset', detail }], session.anchor);
    this.#append(session, links, anchor);
    session.refusal = undefined;
  }

  async verifyAudit(sessionId: string): Promise<LiveAuditVerification> {
    checkLiveSessionId(sessionId, 'verifyAudit');
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return verifyLiveAuditChain([], null, []);
    return verifyLiveAuditChain(
      session.audit.map((entry) => ({ rowSeq: entry.rowSeq, chainSeq: entry.link.chainSeq, time: entry.link.time, kind: entry.link.kind, detail: JSON.parse(entry.detailJson) as LiveAuditRecord['detail'], prev: entry.link.prev, hash: entry.link.hash })),
      session.anchor,
      [...session.checkpoints].reverse().map((checkpoint) => ({ seq: checkpoint.seq, integrity: toStoredCheckpoint(sessionId, checkpoint).integrity, audit: checkpoint.anchor })),
    );
  }

  #append(session: SessionState, links: readonly ChainedLiveAudit[], anchor: LiveAuditAnchor): void {
    for (const link of links) {
      this.#lastAuditSeq += 1;
      session.audit.push({ rowSeq: this.#lastAuditSeq, link, detailJson: JSON.stringify(link.detail) });
    }
    session.anchor = anchor;
  }

  #checkpoint(sessionId: string, seq: number, operation: 'refuse' | 'accept'): KeptCheckpoint {
    const checkpoint = this.#sessions.get(sessionId)?.checkpoints.find((kept) => kept.seq === seq);
    if (checkpoint === undefined) throw new LiveStateError('LIVE_STATE_NOT_FOUND', sessionId, operation, `the session has no checkpoint ${seq}`);
    return checkpoint;
  }

  async latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | undefined> {
    checkLiveSessionId(sessionId, 'latestCheckpoint');
    const checkpoints = this.#sessions.get(sessionId)?.checkpoints ?? [];
    for (let i = checkpoints.length - 1; i >= 0; i--) {
      const checkpoint = checkpoints[i];
      if (checkpoint !== undefined && checkpoint.setAside === undefined) return toStoredCheckpoint(sessionId, checkpoint);
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
        setAside.push(Object.freeze({ ...toStoredCheckpoint(sessionId, checkpoint), reason: checkpoint.setAside.reason, setAsideAt: checkpoint.setAside.at }));
      }
    }
    return Object.freeze(setAside.reverse());
  }

  async orders(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveOrderRecord[]> {
    checkLiveSessionId(sessionId, 'orders');
    return Object.freeze([...(this.#sessions.get(sessionId)?.orders.values() ?? [])].filter((o) => inJournalWindow(o.decidedAt, window)));
  }

  async fills(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveFillRecord[]> {
    checkLiveSessionId(sessionId, 'fills');
    return Object.freeze([...(this.#sessions.get(sessionId)?.fills.values() ?? [])].filter((f) => inJournalWindow(f.time, window)));
  }

  async audit(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveAuditRecord[]> {
    checkLiveSessionId(sessionId, 'audit');
    return Object.freeze(
      (this.#sessions.get(sessionId)?.audit ?? []).filter((entry) => inJournalWindow(entry.link.time, window)).map(
        (entry): LiveAuditRecord => Object.freeze({ time: entry.link.time, kind: entry.link.kind, detail: JSON.parse(entry.detailJson) as LiveAuditRecord['detail'] }),
      ),
    );
  }

  #session(sessionId: string): SessionState {
    let session = this.#sessions.get(sessionId);
    if (session === undefined) {
      session = { checkpoints: [], orders: new Map(), fills: new Map(), audit: [], anchor: EMPTY_AUDIT_ANCHOR, refusal: undefined };
      this.#sessions.set(sessionId, session);
    }
    return session;
  }
}

function toStoredCheckpoint(sessionId: string, checkpoint: KeptCheckpoint): StoredCheckpoint {
  const document = JSON.parse(checkpoint.documentJson) as unknown;
  const { savedAt, lastBarTime } = checkpoint;
  return Object.freeze({
    seq: checkpoint.seq,
    savedAt,
    lastBarTime,
    document,
    integrity: checkLiveCheckpointIntegrity({ sessionId, savedAt, lastBarTime, document, audit: checkpoint.anchor }, checkpoint.integrityHash),
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
    decisionPrice: order.decisionPrice === null ? null : positiveZero(order.decisionPrice),
    limitPrice: order.limitPrice === null ? null : positiveZero(order.limitPrice),
    stopPrice: order.stopPrice === null ? null : positiveZero(order.stopPrice),
    timeInForce: order.timeInForce,
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
