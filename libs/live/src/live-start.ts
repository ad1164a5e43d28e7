import type { LiveCheckpoint } from './live-checkpoint';
import { CheckpointError, parseLiveCheckpoint } from './live-checkpoint';
import type { LiveRefusal, LiveStateStore } from './live-state';

/**
 * What a starting trader does with a session's saved state:
 * - `fresh`: no checkpoint (a new session, or one an operator reset): start from the broker's books;
 * - `resume`: the newest checkpoint, verified against its integrity hash and parsed;
 * - `refused`: do not trade. `isNew` when this start found the problem and recorded the refusal,
 *   false when a refusal was already standing.
 */
export type LiveStartDecision =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'resume'; readonly seq: number; readonly checkpoint: LiveCheckpoint }
  | { readonly kind: 'refused'; readonly refusal: LiveRefusal; readonly isNew: boolean };

/**
 * Decides how a session starts, and makes a refusal stick. A standing refusal refuses again
 * whatever the checkpoints now hold, until an operator runs `accept` or `reset` on the store.
 * Otherwise the newest checkpoint not set aside is refused when
 * - it does not match its integrity hash (edited in the database): set aside and refused;
 * - it is unreadable, or of another session: set aside and refused;
 * - it carries no integrity hash (saved before hashes existed): refused, not set aside, so that
 *   an operator who has checked it can accept it (which stamps it).
 * A refusal is recorded with its reason and an audit entry `state-refused` (see `LiveStateStore.refuse`).
 * `at` stamps the refusal (epoch ms).
 */
export async function decideLiveStart(store: LiveStateStore, sessionId: string, at: number): Promise<LiveStartDecision> {
  const standing = await store.refusal(sessionId);
  if (standing !== undefined) return Object.freeze({ kind: 'refused', refusal: standing, isNew: false });
  const stored = await store.latestCheckpoint(sessionId);
  if (stored === undefined) return Object.freeze({ kind: 'fresh' });
  const refuse = async (reason: string, setAside: boolean): Promise<LiveStartDecision> =>
    Object.freeze({ kind: 'refused', refusal: await store.refuse(sessionId, { checkpointSeq: stored.seq, reason, setAside }, at), isNew: true });
  if (stored.integrity === 'mismatch') return refuse(`checkpoint ${stored.seq} does not match its integrity hash: it was changed after it was saved`, true);
  if (stored.integrity === 'missing') return refuse(`checkpoint ${stored.seq} carries no integrity hash (saved before checkpoints were hashed)`, false);
  let checkpoint: LiveCheckpoint;
  try {
    checkpoint = parseLiveCheckpoint(stored.document);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    return refuse(`checkpoint ${stored.seq} is unreadable: ${error.message}`, true);
  }
  if (checkpoint.sessionId !== sessionId) return refuse(`checkpoint ${stored.seq} belongs to session ${JSON.stringify(checkpoint.sessionId)}`, true);
  return Object.freeze({ kind: 'resume', seq: stored.seq, checkpoint });
}

/**
 * Whether the session has traded before: checkpoints (set aside ones too), audit rows, or the
 * session's audit anchor (kept apart from the rows, so deleting the rows and checkpoints does not
 * make an old session look new). A session with a history but no checkpoint to resume must start
 * halted: the lost checkpoint may have held a halt.
 */
export async function hasSessionHistory(store: LiveStateStore, sessionId: string): Promise<boolean> {
  if ((await store.checkpoints(sessionId)).length > 0) return true;
  const audit = await store.verifyAudit(sessionId);
  return audit.rows > 0 || audit.anchor !== null || !audit.ok;
}
