import type { CapitalStageReadiness } from './capital-ramp';
import { formatNumber } from './promotion-checklist';
import type { PromotionReadiness } from './promotion-checklist';
import { RegistryError } from './registry-error';

/**
 * A promotion refused because gates block it. Nothing was recorded. Either a stage promotion
 * (`readiness`: the checklist and the blocking gates, `capitalStage` null) or a capital-stage
 * advance (`capitalStage`: the ramp checks and the blocking ones, `readiness` null). The message
 * names each blocker with why.
 */
export class PromotionBlockedError extends RegistryError {
  /** The checklist verdict of a refused stage promotion; null for a refused capital advance. */
  readonly readiness: PromotionReadiness | null;
  /** The verdict of a refused capital-stage advance; null for a refused stage promotion. */
  readonly capitalStage: CapitalStageReadiness | null;

  constructor(readiness: PromotionReadiness | CapitalStageReadiness) {
    if ('checklist' in readiness) {
      const { checklist, blockers } = readiness;
      const what = checklist.snapshotId === null ? `${checklist.experimentId} (no snapshot)` : `${checklist.experimentId} snapshot ${checklist.snapshotId}`;
      const list =
        blockers.length === 0
          ? 'the experiment has no parameter snapshot to promote'
          : blockers.map((b) => `${b.gate} ${b.status} (measured ${b.measuredText}, needs ${b.threshold})`).join('; ');
      super('PROMOTION_BLOCKED', `cannot promote ${what} to ${checklist.stage}: ${blockers.length} blocker(s): ${list}`);
      this.readiness = readiness;
      this.capitalStage = null;
    } else {
      const { state, blockers } = readiness;
      const list = blockers.map((b) => `${b.check}: ${b.detail}`).join('; ');
      super(
        'PROMOTION_BLOCKED',
        `cannot advance ${state.experimentId} snapshot ${state.snapshotId} from capital stage ${state.stageIndex} (${formatNumber(state.stagePct)} %): ${blockers.length} blocker(s): ${list}`,
      );
      this.readiness = null;
      this.capitalStage = readiness;
    }
  }
}
