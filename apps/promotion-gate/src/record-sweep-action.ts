import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, DataError } from '@quantbot/core';
import type { ResearchRegistry, SweepInput } from '@quantbot/research-registry';
import { formatNumber, sweepInputFromRunFolder } from '@quantbot/research-registry';
import type { ActionResult, ResearchAction } from './research-action';
import { EXPERIMENT_FLAG, RECORDED_BY_FLAG, experimentFlag, recordOptions, stringFlag } from './research-action';
import { DEFAULT_RESULTS_DIR } from './record-backtest-action';
import { describeTrials } from './checklist-table';
import { reproduceSweepRun } from './sweep-reproduction';

/** The artifact of a backtester sweep run folder. */
export const SWEEP_FILE = 'sweep.json';

/** A sweep run folder that fails its manifest (or is not a sweep): refused, nothing recorded (exit 1). */
export class SweepNotVerifiedError extends DataError {
  constructor(message: string, file: string) {
    super(message, { file });
  }
}

/** `record-sweep`: a backtester sweep run folder (local or distributed), verified against its manifest; its trials count. */
export const RECORD_SWEEP_ACTION: ResearchAction = {
  name: 'record-sweep',
  summary: 'record a sweep (every point run is one trial): a backtester sweep run folder, local or --distributed, verified against its manifest',
  flags: [
    EXPERIMENT_FLAG,
    { name: 'run', kind: 'string', valueName: 'folder', description: 'the sweep run folder (results/runs/<run id>)' },
    { name: 'run-id', kind: 'string', valueName: 'id', description: 'the sweep run id (its folder under --results-dir), instead of --run' },
    { name: 'results-dir', kind: 'string', valueName: 'path', description: `where run folders are, with --run-id (default ${DEFAULT_RESULTS_DIR})` },
    { name: 'reproduce', kind: 'boolean', description: 're-run the sweep here (local threads) and require the same sweep.json before recording it' },
    { ...RECORDED_BY_FLAG, description: 'who records the sweep (default: env USER); recording trials adds no evidence in favour, so it does not bar approving the review' },
  ],
  help: `Every parameter point a sweep ran is a trial of the experiment: recording the sweep adds its trials
to the experiment's trial count (the trials of a deflated Sharpe ratio and of the promotion checklist).
The folder ('backtester sweep' wrote it, with or without --distributed: the same sweep.json either way)
is checked before anything is recorded: every file against manifest.json and the manifest against its
digest (verifyRunFiles, as store-walk-forward checks a folder); a file that does not match is refused
with exit 1, naming it. It must be a sweep run (manifest parameters.kind "sweep") of the experiment's
strategy (sweep.json strategy) and strategy file (settings.strategyFile.sha256), else refused naming
the field. A sweep is identified by the SHA-256 of its sweep.json: the same sweep recorded again, from
this folder or from another run of it (local or distributed), counts once.
With --reproduce the sweep is also re-run on this machine's threads (its recorded command line, without
the distributed flags, in the recorded working directory, into a temporary folder): the data must hash
as recorded and the new sweep.json must equal the stored one, else it is refused naming the first
differing field. The record then says reproduced. Without it a folder rewritten consistently (every
hash and the digest recomputed) is not caught; re-running a large sweep may take hours.
  record-sweep --experiment exp-1 --run results/runs/20240102T030405Z-sweep-1a2b3c4d
  record-sweep --experiment exp-1 --run-id 20240102T030405Z-sweep-1a2b3c4d`,
  async prepare({ flags, io, env }) {
    const experimentId = experimentFlag(flags);
    const choice = recordOptions(flags, env);
    const folder = stringFlag(flags, 'run');
    const runIdFlag = stringFlag(flags, 'run-id');
    if (folder !== undefined && runIdFlag !== undefined) throw new ConfigError('--run', 'give either --run <folder> or --run-id <id>, not both');
    if (folder !== undefined && flags['results-dir'] !== undefined) throw new ConfigError('--results-dir', 'only applies with --run-id');
    let root: string;
    let runId: string;
    if (folder !== undefined) {
      const dir = resolve(io.cwd, folder);
      root = dirname(dir);
      runId = basename(dir);
    } else if (runIdFlag !== undefined) {
      root = resolve(io.cwd, stringFlag(flags, 'results-dir') ?? DEFAULT_RESULTS_DIR);
      runId = runIdFlag;
    } else {
      throw new ConfigError('--run', 'is required: the sweep run folder to record (or --run-id)');
    }
    const evidence = await readSweepRun(root, runId, flags['reproduce'] === true);
    return { run: ({ registry }) => recordSweep(registry, experimentId, evidence, choice.recordedBy) };
  },
};

/** A sweep run folder read and checked against its manifest. */
interface SweepEvidence {
  readonly input: SweepInput;
  /** The folder's sweep.json, for error messages. */
  readonly file: string;
}

/**
 * Reads a sweep run folder: its files must match the manifest and the manifest its digest
 * (`verifyRunFiles` of @quantbot/observability), it must be a `backtester sweep` run of schema 2
 * with a sweep.json, whose figures are then read. Throws a {@link SweepNotVerifiedError} naming
 * the files at fault. Local or distributed comes from the recorded flags (`--distributed`).
 */
async function readSweepRun(root: string, runId: string, reproduce: boolean): Promise<SweepEvidence> {
  const { RUN_MANIFEST_SCHEMA_VERSION, readArtifactText, readRun, verifyRunFiles } = await import('@quantbot/observability');
  const { manifest, dir } = readRun(root, runId);
  const verification = verifyRunFiles(root, runId);
  if (!verification.ok) {
    throw new SweepNotVerifiedError(
      `refused: the sweep run folder does not match its manifest (nothing was recorded): ${verification.problems.map((p) => p.message).join('; ')}`,
      dir,
    );
  }
  if (manifest.schemaVersion !== RUN_MANIFEST_SCHEMA_VERSION) {
    throw new SweepNotVerifiedError(`refused: run ${runId} has a schema-${manifest.schemaVersion} manifest, whose digest covers only its artifacts; run the sweep again`, join(dir, 'manifest.json'));
  }
  const parameters = manifest.parameters as { readonly kind?: unknown; readonly flags?: unknown; readonly cwd?: unknown } | null;
  const [program, command] = manifest.commandLine;
  const entry = manifest.artifacts[SWEEP_FILE];
  if (parameters === null || typeof parameters !== 'object' || parameters.kind !== 'sweep' || program !== 'backtester' || command !== 'sweep' || entry === undefined) {
    throw new SweepNotVerifiedError(`refused: run ${runId} is not a backtester sweep run (manifest parameters.kind must be "sweep", commandLine 'backtester sweep', with ${SWEEP_FILE})`, join(dir, 'manifest.json'));
  }
  const flags = parameters.flags as { readonly distributed?: unknown } | null | undefined;
  const distributed = typeof flags === 'object' && flags !== null && flags.distributed === true;
  const text = readArtifactText(dir, manifest, SWEEP_FILE);
  const file = join(dir, SWEEP_FILE);
  if (text === undefined) throw new SweepNotVerifiedError(`refused: the manifest lists no ${SWEEP_FILE}`, file);
  let artifact: unknown;
  try {
    artifact = JSON.parse(text.text) as unknown;
  } catch (error) {
    throw new DataError(`is not JSON: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  const input = sweepInputFromRunFolder({ runId, digest: manifest.digest, artifactSha256: entry.sha256, execution: distributed ? 'distributed' : 'local', artifact }, { file });
  if (!reproduce) return { input, file };
  const cwd = typeof parameters.cwd === 'string' ? parameters.cwd : '';
  await reproduceSweepRun({ runId, dir, commandLine: manifest.commandLine, cwd, dataHash: manifest.dataHash, sweepFile: file });
  return { input: { ...input, reproduced: true }, file };
}

async function recordSweep(registry: ResearchRegistry, experimentId: string, evidence: SweepEvidence, recordedBy: string): Promise<ActionResult> {
  const { input, file } = evidence;
  let recorded;
  try {
    recorded = await registry.recordSweep(experimentId, input, { recordedBy });
  } catch (error) {
    // The registry names the sweep's field; say which file it is in.
    if (error instanceof ConfigError && (error.key === 'strategy' || error.key === 'strategyFileSha256')) {
      throw new DataError(error.reason, { file, field: error.key === 'strategy' ? 'strategy' : 'settings.strategyFile.sha256' }, { cause: error });
    }
    throw error;
  }
  const { record: sweep, created } = recorded;
  const trials = await registry.trialCounts(experimentId);
  const n = (x: number | null): string => (x === null ? 'undefined' : formatNumber(x));
  const text = created
    ? [
        `${sweep.id}: sweep ${sweep.runId} recorded for ${experimentId} by ${recordedBy}${sweep.reproduced ? ', REPRODUCED (re-run and matched)' : ''}: ${sweep.trials} trial(s) (${sweep.invalid} invalid point(s) not counted), ${sweep.execution}, ` +
          `Sharpe of the trials: mean ${n(sweep.sharpeMean)}, variance ${n(sweep.sharpeVariance)}, best ${n(sweep.bestSharpe)}; its DSR ${n(sweep.deflatedSharpe)}, PBO ${n(sweep.pbo)}`,
        `trials of ${experimentId}: ${describeTrials(trials)}`,
      ]
    : [`run ${input.runId}: the same sweep (sweep.json sha256 ${sweep.artifactSha256.slice(0, 12)}…) is already recorded as ${sweep.id} from run ${sweep.runId}; nothing changed (${describeTrials(trials)})`];
  return { exitCode: 0, json: { sweep, created, trialCount: trials.total, trials }, text };
}
