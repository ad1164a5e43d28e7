import { join, resolve } from 'node:path';
import { ConfigError, QuantbotError, canonicalJson } from '@quantbot/core';
import type { BacktestInput, JsonObject, ResearchRegistry } from '@quantbot/research-registry';
import { backtestInputFromRunSummary, parameterHash, parseBacktestInput, runParameters } from '@quantbot/research-registry';
import type { ActionResult, ResearchAction } from './research-action';
import { EXPERIMENT_FLAG, PAYLOAD_FILE_FLAG, PAYLOAD_FLAG, SNAPSHOT_FLAG, experimentFlag, snapshotChoice, stringFlag } from './research-action';
import { readPayload } from './payload';
import { BACKTEST_RUN_FIELD_FLAGS, readBacktestCommandLine, withFlagNames } from '@quantbot/cli';

/** Where backtester runs are looked for unless `--results-dir` says otherwise. */
export const DEFAULT_RESULTS_DIR = 'results/runs';

/** A backtester run read from its folder and reproduced by re-running it. */
interface RunEvidence {
  readonly input: BacktestInput;
  readonly strategy: string | null;
  readonly params: JsonObject | null;
  /** The sha256 of the strategy file the run was made with (its manifest's `strategyFile.sha256`); null for a shipped strategy or a payload. */
  readonly strategyFileSha256: string | null;
  /** Always empty for a run folder (a run that is not reproduced is refused); kept for --json. */
  readonly problems: readonly string[];
}

/**
 * A run offered as evidence that re-running does not reproduce (or that cannot be re-run): it is
 * refused, nothing is recorded. Code `RUN_NOT_REPRODUCED` (exit 1).
 */
export class RunNotReproducedError extends QuantbotError {
  readonly runId: string;
  readonly problems: readonly string[];

  constructor(runId: string, problems: readonly string[]) {
    super(
      'RUN_NOT_REPRODUCED',
      `run ${runId} refused as evidence: the re-run does not reproduce it (the same check as backtester replay --verify); nothing was recorded:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    this.runId = runId;
    this.problems = Object.freeze([...problems]);
  }
}

/** `record-backtest`: a backtest of a snapshot, from a run folder (verified) or a payload (unverified). */
export const RECORD_BACKTEST_ACTION: ResearchAction = {
  name: 'record-backtest',
  summary: 'record a backtest (one trial): a backtester run folder, verified by re-running it, or a payload (unverified)',
  flags: [
    EXPERIMENT_FLAG,
    { name: 'run-id', kind: 'string', valueName: 'id', description: 'the backtester run to ingest (its folder under --results-dir)' },
    { name: 'results-dir', kind: 'string', valueName: 'path', description: `where run folders are (default ${DEFAULT_RESULTS_DIR})` },
    SNAPSHOT_FLAG,
    PAYLOAD_FLAG,
    PAYLOAD_FILE_FLAG,
  ],
  help: `With --run-id the run is accepted only after it is re-run and reproduced: the files are checked
against the manifest, the recorded command line is run again from the recorded working folder into a
temporary folder (its audit log too), the input data files must hash as recorded and the re-run must
give the manifest's digest, which covers the whole manifest (parameters, command line, data hashes,
audit head, artifacts). This is reproduceRun of @quantbot/validation, the same check as
'backtester replay --verify'. A run that is not reproduced (a forged summary.json with every hash
recomputed, edited parameters, changed data, a schema-1 run) is refused with exit 1 and nothing is
recorded; a reproduced run is recorded with digestVerified true. Metrics, data-quality errors and the
lookahead verdict come from its summary.json.
The run's strategy must be the experiment's, and its parameters (manifest parameters.params) must be
the snapshot's: --snapshot's, or else the experiment's current snapshot; a run with other parameters
is refused. An experiment without a snapshot gets one from the run's parameters.
  record-backtest --experiment exp-1 --run-id 20240102T030405Z-4c9bc5f7

A payload records a run without its folder; it is never marked verified:
  {"runId": "...", "digest": "<64 hex>", "metrics": {"sharpe": 1.1, "totalReturn": 0.2,
   "maxDrawdownPct": 4.5, "closedTrades": 40}, "dataQualityErrors": 0, "lookaheadPassed": true}`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const choice = snapshotChoice(flags);
    const runId = stringFlag(flags, 'run-id');
    const payload = readPayload(flags, io);
    if (runId !== undefined && payload.value !== undefined) throw new ConfigError('--run-id', 'give either --run-id or a payload, not both');
    if (runId === undefined) {
      if (flags['results-dir'] !== undefined) throw new ConfigError('--results-dir', 'only applies with --run-id');
      if (payload.value === undefined) throw new ConfigError('--run-id', 'is required: the backtester run to record (or give --payload / --payload-file)');
      const value = payload.value as { digestVerified?: unknown } | null;
      if (typeof value === 'object' && value !== null && value.digestVerified !== undefined) {
        throw new ConfigError('payload.digestVerified', "cannot be set from the command line: record the run with --run-id so its files are verified");
      }
      const input = parseBacktestInput(payload.value, payload.source);
      return { run: (session) => record(session.registry, experimentId, { input, strategy: null, params: null, strategyFileSha256: null, problems: [] }, choice) };
    }
    const root = resolve(io.cwd, stringFlag(flags, 'results-dir') ?? DEFAULT_RESULTS_DIR);
    const evidence = await readRunEvidence(root, runId, new Date());
    return { run: (session) => record(session.registry, experimentId, evidence, choice) };
  },
};

/**
 * Reads a run folder and reproduces it by re-running it (`reproduceRun`, the check behind
 * `backtester replay --verify`); throws a {@link RunNotReproducedError} when it is not
 * reproduced. Observability and validation are loaded only here: they are the slowest imports.
 */
async function readRunEvidence(root: string, runId: string, now: Date): Promise<RunEvidence> {
  const { readRun } = await import('@quantbot/observability');
  const { reproduceRun } = await import('@quantbot/validation');
  const check = await reproduceRun(root, runId, { now, readCommandLine: readBacktestCommandLine, nameError: (error) => withFlagNames(error, BACKTEST_RUN_FIELD_FLAGS) });
  if (!check.ok) throw new RunNotReproducedError(runId, check.problems);
  const run = readRun(root, runId);
  if (run.manifest.digest !== check.recordedDigest) throw new RunNotReproducedError(runId, ['the run folder changed while it was being verified']);
  const input = backtestInputFromRunSummary(
    { runId, digest: run.manifest.digest, digestVerified: true, summary: run.summary },
    { file: join(run.dir, 'summary.json') },
  );
  const { strategy, params, strategyFileSha256 } = runParameters(run.manifest.parameters);
  return { input, strategy, params, strategyFileSha256, problems: [] };
}

async function record(registry: ResearchRegistry, experimentId: string, evidence: RunEvidence, choice: { readonly snapshotId?: string }): Promise<ActionResult> {
  const { input } = evidence;
  const experiment = await registry.getExperiment(experimentId);
  if (evidence.strategy !== null && evidence.strategy !== experiment.strategy) {
    throw new ConfigError('--run-id', `run ${input.runId} is a backtest of '${evidence.strategy}', but ${experimentId} studies '${experiment.strategy}'`);
  }
  const fromRunFolder = evidence.params !== null || evidence.strategy !== null;
  if (fromRunFolder) checkStrategyFile(experimentId, experiment.strategyFile?.sha256 ?? null, input.runId, evidence.strategyFileSha256, 'the experiment');
  let snapshotId = choice.snapshotId;
  let snapshotNote = '';
  if (evidence.params !== null) {
    if (snapshotId === undefined && experiment.currentSnapshotId !== null) {
      // The run must be of the parameters under study: the experiment's current snapshot.
      const current = await registry.resolveSnapshot(experimentId, {});
      if (current.paramsHash !== parameterHash(evidence.params)) {
        throw new ConfigError(
          '--run-id',
          `run ${input.runId} was made with parameters ${canonicalJson(evidence.params)}, but ${experimentId}'s current snapshot ${current.id} holds ${canonicalJson(current.params)}; refused (snapshot those parameters first, or name a matching one with --snapshot)`,
        );
      }
      snapshotId = current.id;
      snapshotNote = ' (the current snapshot)';
    } else if (snapshotId === undefined) {
      const { record: snapshot, created } = await registry.createSnapshot(experimentId, evidence.params, { label: `from run ${input.runId}` });
      snapshotId = snapshot.id;
      snapshotNote = created ? ' (new snapshot from the run parameters)' : ' (the run parameters’ snapshot)';
    } else {
      const snapshot = await registry.resolveSnapshot(experimentId, { snapshotId });
      if (snapshot.paramsHash !== parameterHash(evidence.params)) {
        throw new ConfigError(
          '--snapshot',
          `run ${input.runId} was made with parameters ${canonicalJson(evidence.params)}, snapshot ${snapshot.id} holds ${canonicalJson(snapshot.params)}`,
        );
      }
    }
  }
  if (fromRunFolder && snapshotId !== undefined) {
    const snapshot = await registry.resolveSnapshot(experimentId, { snapshotId });
    checkStrategyFile(experimentId, snapshot.strategyFileSha256, input.runId, evidence.strategyFileSha256, `snapshot ${snapshot.id}`);
  }
  const { record: backtest, created } = await registry.recordBacktest(experimentId, input, snapshotId === undefined ? {} : { snapshotId });
  const trials = await registry.trialCount(experimentId);
  const verified = backtest.digestVerified ? 'verified' : 'NOT verified';
  const warnings =
    evidence.problems.length > 0
      ? [`warning: run ${input.runId} does not match its manifest (the backtest-reproducible gate will fail):`, ...evidence.problems.map((p) => `  ${p}`)]
      : !backtest.digestVerified
        ? [`warning: ${backtest.id} is not digest-verified (recorded from a payload); record it with --run-id to verify it`]
        : [];
  const text = created
    ? [`${backtest.id}: run ${backtest.runId} recorded for ${experimentId} snapshot ${backtest.snapshotId}${snapshotNote}, digest ${backtest.digest.slice(0, 12)}… ${verified}; trial ${trials} of the experiment`]
    : [`run ${backtest.runId} was already recorded as ${backtest.id}; nothing changed (${trials} trial(s))`];
  return { exitCode: 0, json: { backtest, created, trialCount: trials, problems: evidence.problems }, text, warnings };
}

/**
 * A run is evidence only for the strategy file it was made with: the run's manifest
 * `strategyFile.sha256` must equal `recorded` (the experiment's or the snapshot's file hash; both
 * null for a shipped strategy). A run of a changed file, or of a file for a shipped strategy's
 * experiment (or the reverse), is refused naming both hashes.
 */
function checkStrategyFile(experimentId: string, recorded: string | null, runId: string, ran: string | null, what: string): void {
  if (recorded === ran) return;
  const describe = (sha: string | null): string => (sha === null ? 'no strategy file (a shipped strategy)' : `strategy file sha256 ${sha}`);
  throw new ConfigError(
    '--run-id',
    `run ${runId} was made with ${describe(ran)}, but ${what} of ${experimentId} records ${describe(recorded)}; refused: a changed strategy file is a different strategy`,
  );
}
