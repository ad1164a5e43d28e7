import type { PromotionReadiness } from './promotion-checklist';
import { RegistryError } from './registry-error';

/**
 * A promotion refused because gates block it. `readiness` holds the checklist and the blockers;
 * the message names each blocking gate with its measured value and threshold. Nothing was
 * recorded.
 */
export class PromotionBlockedError extends RegistryError {
  readonly readiness: PromotionReadiness;

  constructor(readiness: PromotionReadiness) {
    const { checklist, blockers } = readiness;
    const what = checklist.snapshotId === null ? `${checklist.experimentId} (no snapshot)` : `${checklist.experimentId} snapshot ${checklist.snapshotId}`;
    const list =
      blockers.length === 0
        ? 'the experiment has no parameter snapshot to promote'
        : blockers.map((b) => `${b.gate} ${b.status} (measured ${b.measuredText}, needs ${b.threshold})`).join('; ');
    super('PROMOTION_BLOCKED', `cannot promote ${what} to ${checklist.stage}: ${blockers.length} blocker(s): ${list}`);
    this.readiness = readiness;
  }
}
