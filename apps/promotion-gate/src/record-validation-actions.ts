import { resolve } from 'node:path';
import type { ResearchRegistry, ValidationInput } from '@quantbot/research-registry';
import { formatNumber, parseValidationInput, parseWalkForwardArtifact } from '@quantbot/research-registry';
import type { ActionResult, ResearchAction } from './research-action';
import { EXPERIMENT_FLAG, PAYLOAD_FILE_FLAG, PAYLOAD_FLAG, SNAPSHOT_FLAG, experimentFlag, numberFlag, requiredFlag, snapshotChoice } from './research-action';
import { readJsonFile, readPayload, withFlagFields } from './payload';

/** `record-validation`: walk-forward evidence from flags or a payload (short form or a whole artifact). */
export const RECORD_VALIDATION_ACTION: ResearchAction = {
  name: 'record-validation',
  summary: 'record walk-forward validation evidence from flags or a payload',
  flags: [
    EXPERIMENT_FLAG,
    SNAPSHOT_FLAG,
    { name: 'mean-is-sharpe', kind: 'number', valueName: 'x', description: 'mean in-sample Sharpe over the folds' },
    { name: 'mean-oos-sharpe', kind: 'number', valueName: 'x', description: 'mean out-of-sample Sharpe over the folds' },
    { name: 'overfit-ratio', kind: 'number', valueName: 'x', description: 'IS / OOS Sharpe (default: computed from the means)' },
    { name: 'dsr', kind: 'number', valueName: 'p', description: 'deflated Sharpe ratio, 0..1' },
    { name: 'pbo', kind: 'number', valueName: 'p', description: 'probability of backtest overfitting, 0..1' },
    PAYLOAD_FLAG,
    PAYLOAD_FILE_FLAG,
  ],
  help: `Payload (short form): {"meanIsSharpe": 1.2, "meanOosSharpe": 0.8, "deflatedSharpe": 0.95, "pbo": 0.1,
  "folds": [{"inSample": {"sharpe": 1.3}, "outOfSample": {"sharpe": 0.7}}, ...]}
or a whole walk-forward artifact (kind "walk-forward"; see store-walk-forward). Missing means are the
folds' means; a missing overfit ratio is computed (in-sample edge without out-of-sample edge: Infinity).
  record-validation --experiment exp-1 --mean-is-sharpe 1.2 --mean-oos-sharpe 0.8`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const choice = snapshotChoice(flags);
    const payload = readPayload(flags, io);
    const merged = withFlagFields(payload.value, [
      { field: 'meanIsSharpe', flag: 'mean-is-sharpe', value: numberFlag(flags, 'mean-is-sharpe') },
      { field: 'meanOosSharpe', flag: 'mean-oos-sharpe', value: numberFlag(flags, 'mean-oos-sharpe') },
      { field: 'overfitRatio', flag: 'overfit-ratio', value: numberFlag(flags, 'overfit-ratio') },
      { field: 'deflatedSharpe', flag: 'dsr', value: numberFlag(flags, 'dsr') },
      { field: 'pbo', flag: 'pbo', value: numberFlag(flags, 'pbo') },
    ]);
    const input = parseValidationInput(merged, payload.source);
    return { run: ({ registry }) => recordValidation(registry, experimentId, input, choice) };
  },
};

/** `store-walk-forward`: a walk-forward artifact file, stored whole as validation evidence. */
export const STORE_WALK_FORWARD_ACTION: ResearchAction = {
  name: 'store-walk-forward',
  summary: 'store a walk-forward artifact file (kind "walk-forward") as validation evidence',
  flags: [EXPERIMENT_FLAG, SNAPSHOT_FLAG, { name: 'file', kind: 'string', valueName: 'path', description: 'the walk-forward artifact JSON' }],
  help: `Reads the walk-forward JSON the validation library writes (schemaVersion 1): per-fold in-sample and
out-of-sample metrics, selection statistics (DSR, PBO), the overall means, overfit ratio and verdict.
The whole document is kept with the record, with its SHA-256.
  store-walk-forward --experiment exp-1 --file results/walk-forward/wf.json`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const choice = snapshotChoice(flags);
    const path = resolve(io.cwd, requiredFlag(flags, 'file', 'the walk-forward artifact JSON file'));
    const input = parseWalkForwardArtifact(readJsonFile(path, '--file'), { file: path });
    return { run: ({ registry }) => recordValidation(registry, experimentId, input, choice) };
  },
};

async function recordValidation(registry: ResearchRegistry, experimentId: string, input: ValidationInput, choice: { readonly snapshotId?: string }): Promise<ActionResult> {
  const validation = await registry.recordValidation(experimentId, input, choice);
  const n = (x: number | null): string => (x === null ? 'undefined' : formatNumber(x));
  const parts = [
    `mean IS Sharpe ${n(validation.meanIsSharpe)}`,
    `mean OOS Sharpe ${n(validation.meanOosSharpe)}`,
    `overfit ratio ${n(validation.overfitRatio)} (${validation.overfitRatioStatus})`,
    `DSR ${n(validation.deflatedSharpe)}`,
    `PBO ${n(validation.pbo)}`,
    ...(validation.folds.length === 0 ? [] : [`${validation.folds.length} fold(s)`]),
  ];
  const from = validation.source === null ? '' : ` from ${validation.source}`;
  return {
    exitCode: 0,
    json: { validation },
    text: [`${validation.id}: walk-forward${from} recorded for ${experimentId} snapshot ${validation.snapshotId}: ${parts.join(', ')}`],
  };
}
