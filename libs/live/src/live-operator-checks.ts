import type { LiveRefusal, StoredCheckpoint } from './live-state';
import { CheckpointError, parseLiveCheckpoint } from './live-checkpoint';

// Rules of the operator actions shared by both stores (internal: not in the package's API).

/** Why a checkpoint cannot be accepted, or undefined when it can (shared with the memory store). */
export function acceptProblem(sessionId: string, stored: StoredCheckpoint, setAsideReason: string | null): string | undefined {
  if (setAsideReason !== null) return `it is set aside (${setAsideReason})`;
  if (stored.integrity === 'mismatch') return 'it does not match its integrity hash: it was changed after it was saved';
  try {
    const parsed = parseLiveCheckpoint(stored.document);
    if (parsed.sessionId !== sessionId) return `it belongs to session ${JSON.stringify(parsed.sessionId)}`;
  } catch (error) {
    if (error instanceof CheckpointError) return `it is unreadable: ${error.message}`;
    throw error;
  }
  return undefined;
}

/** A refusal as an audit detail. */
export function refusalDetail(refusal: LiveRefusal | undefined): { readonly checkpointSeq: number; readonly reason: string; readonly at: string } | null {
  return refusal === undefined ? null : { checkpointSeq: refusal.checkpointSeq, reason: refusal.reason, at: new Date(refusal.at).toISOString() };
}
