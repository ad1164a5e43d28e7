import { formatIsoTime } from '@quantbot/core';
import { parseReviewInput } from '@quantbot/research-registry';
import type { ResearchAction } from './research-action';
import { EXPERIMENT_FLAG, PAYLOAD_FILE_FLAG, PAYLOAD_FLAG, SNAPSHOT_FLAG, experimentFlag, snapshotChoice, stringFlag } from './research-action';
import { readPayload, withFlagFields } from './payload';

/** `approve-review`: records a review of a snapshot (approved by default, or changes requested). */
export const APPROVE_REVIEW_ACTION: ResearchAction = {
  name: 'approve-review',
  summary: 'record a review: approved, or --decision changes-requested',
  flags: [
    EXPERIMENT_FLAG,
    SNAPSHOT_FLAG,
    { name: 'by', kind: 'string', valueName: 'name', description: 'the reviewer' },
    { name: 'decision', kind: 'string', valueName: 'approved|changes-requested', description: 'the decision (default approved)' },
    { name: 'comment', kind: 'string', valueName: 'text', description: 'why (expected when requesting changes)' },
    PAYLOAD_FLAG,
    PAYLOAD_FILE_FLAG,
  ],
  help: `Payload: {"decision": "approved" | "changes-requested", "reviewer": "...", "comment": "..."}.
The latest review of the snapshot decides the review-approved gate. Separation of duties: an approval by
the experiment's owner or by anyone who recorded the snapshot's evidence (backtest, validation, paper
days) is refused (exit 1, nothing recorded), and the gate fails an approval whose reviewer later
recorded evidence. Anyone may request changes.
  approve-review --experiment exp-1 --by bob --comment "walk-forward holds up"
  approve-review --experiment exp-1 --by bob --decision changes-requested --comment "add a cost stress test"`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const choice = snapshotChoice(flags);
    const payload = readPayload(flags, io);
    const merged = withFlagFields(payload.value, [
      { field: 'reviewer', flag: 'by', value: stringFlag(flags, 'by') },
      { field: 'decision', flag: 'decision', value: stringFlag(flags, 'decision') },
      { field: 'comment', flag: 'comment', value: stringFlag(flags, 'comment') },
    ]) as Record<string, unknown>;
    const input = parseReviewInput({ decision: 'approved', ...merged }, payload.source);
    return {
      run: async ({ registry }) => {
        const review = await registry.recordReview(experimentId, input, choice);
        return {
          exitCode: 0,
          json: { review },
          text: [`${review.id}: ${review.decision} by ${review.reviewer} for ${experimentId} snapshot ${review.snapshotId} at ${formatIsoTime(review.reviewedAt)}`],
        };
      },
    };
  },
};
