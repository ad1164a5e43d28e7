import { resolve } from 'node:path';
import type { ResearchRegistry, ValidationInput } from '@quantbot/research-registry';
import { formatNumber, parseValidationInput, parseWalkForwardArtifact } from '@quantbot/research-registry';
import type { ActionResult, ResearchAction } from './research-action';
import { ConfigError } from '@quantbot/core';
import { EXPERIMENT_FLAG, PAYLOAD_FILE_FLAG, PAYLOAD_FLAG, RECORDED_BY_FLAG, SNAPSHOT_FLAG, experimentFlag, numberFlag, recordOptions, stringFlag } from './research-action';
import { readJsonFile, readPayload, withFlagFields } from './payload';
import { reproduceWalkForwardRun } from './walk-forward-reproduction';

/** Where backtester runs are looked for unless `--results-dir` says otherwise. */
const DEFAULT_RUNS_DIR = 'results/runs';

/** `record-validation`: walk-forward figures from flags or a payload, always recorded as unverified. */
export const RECORD_VALIDATION_ACTION: ResearchAction = {
  name: 'record-validation',
  summary: 'record walk-forward figures from flags or a payload (unverified: never satisfies a strict gate)',
  flags: [
    EXPERIMENT_FLAG,
    SNAPSHOT_FLAG,
    RECORDED_BY_FLAG,
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
Typed-in figures are recorded as UNVERIFIED: shown in the checklist, but they never satisfy the
walk-forward gates and never replace a verified record (store-walk-forward --run-id verifies).
  record-validation --experiment exp-1 --mean-is-sharpe 1.2 --mean-oos-sharpe 0.8`,
  async prepare({ flags, io, env }) {
    const experimentId = experimentFlag(flags);
    const payload = readPayload(flags, io);
    const merged = withFlagFields(payload.value, [
      { field: 'meanIsSharpe', flag: 'mean-is-sharpe', value: numberFlag(flags, 'mean-is-sharpe') },
      { field: 'meanOosSharpe', flag: 'mean-oos-sharpe', value: numberFlag(flags, 'mean-oos-sharpe') },
      { field: 'overfitRatio', flag: 'overfit-ratio', value: numberFlag(flags, 'overfit-ratio') },
      { field: 'deflatedSharpe', flag: 'dsr', value: numberFlag(flags, 'dsr') },
      { field: 'pbo', flag: 'pbo', value: numberFlag(flags, 'pbo') },
    ]);
    const input = parseValidationInput(merged, payload.source);
    const choice = recordOptions(flags, env);
    return { run: ({ registry }) => recordValidation(registry, experimentId, input, choice) };
  },
};

/** `store-walk-forward`: a walk-forward run, re-run and verified, or an artifact file kept as unverified. */
export const STORE_WALK_FORWARD_ACTION: ResearchAction = {
  name: 'store-walk-forward',
  summary: 'store a walk-forward: a backtester run re-run and verified (--run-id), or an artifact file (unverified)',
  flags: [
    EXPERIMENT_FLAG,
    SNAPSHOT_FLAG,
    { name: 'run-id', kind: 'string', valueName: 'id', description: 'a backtester walk-forward run (its folder under --results-dir): re-run and verified' },
    { name: 'results-dir', kind: 'string', valueName: 'path', description: `where run folders are (default ${DEFAULT_RUNS_DIR})` },
    { name: 'file', kind: 'string', valueName: 'path', description: 'a walk-forward artifact JSON alone: kept as unverified evidence' },
    RECORDED_BY_FLAG,
  ],
  help: `With --run-id (a folder 'backtester walk-forward' wrote) the gate verifies the walk-forward before
it counts: the folder's files must match its manifest and digest; the recorded command line (data,
strategy, parameter space, search, train/test/step/purge/embargo, seed) is re-run by the built
backtester in the recorded working directory, into a temporary folder; the re-read data must hash to
the manifest's dataHash and the recomputed walk_forward.json must equal the stored one. Any
difference (a forged out-of-sample Sharpe, changed data) is refused with exit 1 and nothing is
recorded. Verified evidence is what the strict walk-forward gates judge.
With --file, an artifact alone cannot be reproduced (it does not name its data): it is kept whole,
with its SHA-256, as UNVERIFIED evidence, shown but never satisfying a gate.
  store-walk-forward --experiment exp-1 --run-id 20240102T030405Z-walk-forward-1a2b3c4d
  store-walk-forward --experiment exp-1 --file results/walk-forward/wf.json`,
  async prepare({ flags, io, env }) {
    const experimentId = experimentFlag(flags);
    const choice = recordOptions(flags, env);
    const runId = stringFlag(flags, 'run-id');
    const file = stringFlag(flags, 'file');
    if (runId !== undefined && file !== undefined) throw new ConfigError('--run-id', 'give either --run-id or --file, not both');
    if (runId === undefined) {
      if (flags['results-dir'] !== undefined) throw new ConfigError('--results-dir', 'only applies with --run-id');
      if (file === undefined) throw new ConfigError('--run-id', 'is required: the walk-forward run to verify and store (or --file for an unverified artifact)');
      const path = resolve(io.cwd, file);
      const input = parseWalkForwardArtifact(readJsonFile(path, '--file'), { file: path });
      return { run: ({ registry }) => recordValidation(registry, experimentId, input, choice) };
    }
    const root = resolve(io.cwd, stringFlag(flags, 'results-dir') ?? DEFAULT_RUNS_DIR);
    const input = await reproduceWalkForwardRun(root, runId);
    return { run: ({ registry }) => recordValidation(registry, experimentId, input, choice) };
  },
};

async function recordValidation(
  registry: ResearchRegistry,
  experimentId: string,
  input: ValidationInput,
  choice: { readonly snapshotId?: string; readonly recordedBy: string },
): Promise<ActionResult> {
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
  const trust = validation.verified ? 'VERIFIED (re-run and matched)' : 'UNVERIFIED (shown, never satisfies a gate)';
  return {
    exitCode: 0,
    json: { validation },
    text: [`${validation.id}: walk-forward${from} recorded for ${experimentId} snapshot ${validation.snapshotId} by ${choice.recordedBy}, ${trust}: ${parts.join(', ')}`],
  };
}
