import { createHash } from 'node:crypto';
import type { JsonValue } from '@quantbot/core';
import { canonicalJson } from '@quantbot/core';
import { AUDIT_GENESIS_HASH, hashAuditRecord } from '@quantbot/risk-guardrails';
import type { LiveAuditRecord } from './live-state';

/**
 * Integrity of a live session's state: the checkpoint hash and the audit chain, shared by both
 * stores.
 *
 * - Each checkpoint row carries `integrity_hash`, the hex SHA-256 of the canonical JSON of
 *   `{ sessionId, savedAt, lastBarTime, document, auditCount, auditHead }` (see
 *   {@link hashLiveCheckpoint}). A document changed in the database no longer matches it.
 * - Each audit row is a link of a per-session chain, hashed exactly like a JSONL audit record
 *   (`hashAuditRecord` of `{ seq, time, kind, detail, prev }`, `seq` the row's position in the
 *   session's chain from 1, `prev` the previous row's hash or 64 zeros).
 * - The head of the chain (how many rows, the last hash) is anchored outside the audit table:
 *   in the session's row of `live_sessions` (updated in every transaction that appends audit rows)
 *   and in every checkpoint row (covered by the checkpoint's own hash). A cut tail, an emptied
 *   table or a chain re-hashed after an edit no longer meets its anchors.
 *
 * These hashes are not keyed: they expose edits made without recomputing them (by hand, by a
 * tool, by a bug). Someone who can write the database and recompute every hash and anchor
 * consistently is not stopped by them; keep the JSONL audit log or a backup elsewhere for that.
 */

/** How a checkpoint row stands against its integrity hash. */
export type CheckpointIntegrity = 'verified' | 'mismatch' | 'missing';

/** The head of a session's audit chain: how many rows, and the hash of the last (genesis when none). */
export interface LiveAuditAnchor {
  readonly count: number;
  readonly head: string;
}

/** The anchor of a session with no audit rows. */
export const EMPTY_AUDIT_ANCHOR: LiveAuditAnchor = Object.freeze({ count: 0, head: AUDIT_GENESIS_HASH });

/** What the checkpoint hash covers. `document` as read back (JSON: `-0` is `0`). */
export interface CheckpointHashInput {
  readonly sessionId: string;
  readonly savedAt: number;
  readonly lastBarTime: number;
  readonly document: unknown;
  readonly audit: LiveAuditAnchor;
}

/** Hex SHA-256 of the canonical JSON of a checkpoint row's content and its audit anchor. */
export function hashLiveCheckpoint(input: CheckpointHashInput): string {
  const text = canonicalJson({
    sessionId: input.sessionId,
    savedAt: input.savedAt,
    lastBarTime: input.lastBarTime,
    document: normalizedJson(input.document),
    auditCount: input.audit.count,
    auditHead: input.audit.head,
  });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Whether a stored checkpoint matches its hash; `missing` when it was saved before hashes. */
export function checkLiveCheckpointIntegrity(input: CheckpointHashInput, storedHash: string | null): CheckpointIntegrity {
  if (storedHash === null) return 'missing';
  return hashLiveCheckpoint(input) === storedHash ? 'verified' : 'mismatch';
}

/** An audit entry as a link of its session's chain. */
export interface ChainedLiveAudit {
  readonly chainSeq: number;
  readonly time: number;
  readonly kind: string;
  readonly detail: { readonly [key: string]: JsonValue };
  readonly prev: string;
  readonly hash: string;
}

/** Chains `entries` after `anchor`; returns the links and the new anchor. */
export function chainLiveAudit(entries: readonly LiveAuditRecord[], anchor: LiveAuditAnchor): { readonly links: readonly ChainedLiveAudit[]; readonly anchor: LiveAuditAnchor } {
  const links: ChainedLiveAudit[] = [];
  let { count, head } = anchor;
  for (const entry of entries) {
    count += 1;
    // Hashed as the database returns it (JSON round trip: -0 becomes 0), so a re-read verifies.
    const detail = normalizedJson(entry.detail) as { readonly [key: string]: JsonValue };
    const hash = hashAuditRecord({ seq: count, time: entry.time, kind: entry.kind, detail, prev: head });
    links.push(Object.freeze({ chainSeq: count, time: entry.time, kind: entry.kind, detail, prev: head, hash }));
    head = hash;
  }
  return { links, anchor: Object.freeze({ count, head }) };
}

/** An audit row as read for verification; the chain fields are null on rows never chained. */
export interface StoredLiveAuditLink {
  /** The store's row number (`live_audit.seq`), for messages. */
  readonly rowSeq: number;
  readonly chainSeq: number | null;
  readonly time: number;
  readonly kind: string;
  readonly detail: { readonly [key: string]: JsonValue };
  readonly prev: string | null;
  readonly hash: string | null;
}

/** A checkpoint's anchor as read for verification. */
export interface StoredCheckpointAnchor {
  readonly seq: number;
  readonly integrity: CheckpointIntegrity;
  readonly audit: LiveAuditAnchor | null;
}

/**
 * What is wrong with a session's audit chain, at the first place it shows:
 * - `unchained`: a row without chain fields;
 * - `hash-mismatch`: a row's content no longer matches its hash (it was edited);
 * - `broken-chain`: a row's `prev` is not the hash of the row before, or its chain position
 *   skips (a row was removed, inserted or moved);
 * - `anchor-mismatch`: the chain is whole but does not end where an anchor says (rows cut from
 *   the end, the table emptied, or the chain re-hashed after an edit);
 * - `checkpoint-mismatch`: a checkpoint holding an anchor fails its own integrity hash.
 */
export type LiveAuditProblemKind = 'unchained' | 'hash-mismatch' | 'broken-chain' | 'anchor-mismatch' | 'checkpoint-mismatch';

/** The first problem found; `row` is the chain position (from 1) where it shows, when a row is to blame. */
export interface LiveAuditProblem {
  readonly kind: LiveAuditProblemKind;
  readonly row: number | null;
  readonly message: string;
}

/** The verdict on a session's audit chain: `rows` read; `problem` when not `ok`. */
export interface LiveAuditVerification {
  readonly ok: boolean;
  readonly rows: number;
  readonly anchor: LiveAuditAnchor | null;
  readonly problem?: LiveAuditProblem;
}

/**
 * Verifies a session's audit rows (in row order) against their hashes, their chain, the session
 * anchor (`null` when the session has none) and every checkpoint's anchor. Stops at the first problem.
 */
export function verifyLiveAuditChain(
  rows: readonly StoredLiveAuditLink[],
  anchor: LiveAuditAnchor | null,
  checkpoints: readonly StoredCheckpointAnchor[],
): LiveAuditVerification {
  const fail = (kind: LiveAuditProblemKind, row: number | null, message: string): LiveAuditVerification =>
    Object.freeze({ ok: false, rows: rows.length, anchor, problem: Object.freeze({ kind, row, message }) });
  let prev = AUDIT_GENESIS_HASH;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as StoredLiveAuditLink;
    const position = i + 1;
    const where = `audit row ${position} (seq ${row.rowSeq}, ${row.kind})`;
    if (row.chainSeq === null || row.prev === null || row.hash === null) return fail('unchained', position, `${where} carries no chain hash`);
    if (row.chainSeq !== position || row.prev !== prev) {
      return fail('broken-chain', position, `${where}: ${row.chainSeq !== position ? `chain position ${row.chainSeq} where ${position} was expected` : `prev ${short(row.prev)} is not the hash of row ${i} (${short(prev)})`}: a row was removed, inserted or moved`);
    }
    const expected = hashAuditRecord({ seq: row.chainSeq, time: row.time, kind: row.kind, detail: row.detail, prev: row.prev });
    if (expected !== row.hash) return fail('hash-mismatch', position, `${where} hashes to ${short(expected)} but says ${short(row.hash)}: its content was changed`);
    prev = row.hash;
  }
  const headAt = (count: number): string | undefined => (count === 0 ? AUDIT_GENESIS_HASH : (rows[count - 1]?.hash ?? undefined));
  if (anchor === null) {
    if (rows.length > 0) return fail('anchor-mismatch', null, `the session has ${rows.length} audit rows but no anchor (live_sessions row): it was removed`);
  } else {
    if (anchor.count !== rows.length) {
      return fail('anchor-mismatch', Math.min(anchor.count, rows.length) + 1, `the anchor says ${anchor.count} audit rows, the table holds ${rows.length}: ${anchor.count > rows.length ? `rows from ${rows.length + 1} on were deleted` : 'rows were added past the anchor'}`);
    }
    if (anchor.head !== headAt(anchor.count)) {
      return fail('anchor-mismatch', rows.length, `the anchor's last hash ${short(anchor.head)} is not that of row ${rows.length} (${short(headAt(rows.length) ?? '')}): the chain was rewritten`);
    }
  }
  for (const checkpoint of checkpoints) {
    if (checkpoint.audit === null) continue;
    if (checkpoint.integrity === 'mismatch') {
      return fail('checkpoint-mismatch', null, `checkpoint ${checkpoint.seq} fails its integrity hash: its anchor cannot be trusted (the row was edited)`);
    }
    const { count, head } = checkpoint.audit;
    if (count > rows.length) {
      return fail('anchor-mismatch', rows.length + 1, `checkpoint ${checkpoint.seq} anchors ${count} audit rows, the table holds ${rows.length}: rows from ${rows.length + 1} on were deleted`);
    }
    if (headAt(count) !== head) {
      return fail('anchor-mismatch', count, `checkpoint ${checkpoint.seq} anchors row ${count} with hash ${short(head)}, the row hashes to ${short(headAt(count) ?? '')}: the chain was rewritten`);
    }
  }
  return Object.freeze({ ok: true, rows: rows.length, anchor });
}

/** A JSON value as it reads back from JSON text (`-0` as `0`); `undefined` stays `undefined`. */
function normalizedJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}
