import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import type { BacktestInput, JsonObject, ResearchRegistry } from '@quantbot/research-registry';
import { backtestInputFromRunSummary, canonicalJson, parameterHash, parseBacktestInput, runParameters } from '@quantbot/research-registry';
import type { ActionResult, ResearchAction } from './research-action';
import { EXPERIMENT_FLAG, PAYLOAD_FILE_FLAG, PAYLOAD_FLAG, SNAPSHOT_FLAG, experimentFlag, snapshotChoice, stringFlag } from './research-action';
import { readPayload } from './payload';

/** Where backtester runs are looked for unless `--results-dir` says otherwise. */
export const DEFAULT_RESULTS_DIR = 'results/runs';

/** A backtester run read from its folder, checked against its manifest. */
interface RunEvidence {
  readonly input: BacktestInput;
  readonly strategy: string | null;
  readonly params: JsonObject | null;
  /** What `verifyRunFiles` found wrong; empty when the files and digest match. */
  readonly problems: readonly string[];
}

/** `record-backtest`: a backtest of a snapshot, from a run folder (verified) or a payload (unverified). */
export const RECORD_BACKTEST_ACTION: ResearchAction = {
  name: 'record-backtest',
  summary: "record a backtest (one trial): a backtester run folder, verified against its manifest, or a payload",
  flags: [
    EXPERIMENT_FLAG,
    { name: 'run-id', kind: 'string', valueName: 'id', description: 'the backtester run to ingest (its folder under --results-dir)' },
    { name: 'results-dir', kind: 'string', valueName: 'path', description: `where run folders are (default ${DEFAULT_RESULTS_DIR})` },
    SNAPSHOT_FLAG,
    PAYLOAD_FLAG,
    PAYLOAD_FILE_FLAG,
  ],
  help: `With --run-id the run folder's files are checked against its manifest and digest
(observability's verifyRunFiles); the record says whether they matched (digestVerified), and the
backtest-reproducible gate needs them to. Metrics, data-quality errors and the lookahead verdict come
from its summary.json. Without --snapshot, the run's strategy parameters (manifest parameters.params)
are registered as a snapshot (or recognized as an existing one) and become current; with --snapshot,
they must match it. The run's strategy must be the experiment's.
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
      return { run: (session) => record(session.registry, experimentId, { input, strategy: null, params: null, problems: [] }, choice) };
    }
    const root = resolve(io.cwd, stringFlag(flags, 'results-dir') ?? DEFAULT_RESULTS_DIR);
    const evidence = await readRunEvidence(root, runId);
    return { run: (session) => record(session.registry, experimentId, evidence, choice) };
  },
};

/** Reads and verifies a run folder (observability is loaded only here: it is the slowest import). */
async function readRunEvidence(root: string, runId: string): Promise<RunEvidence> {
  const { readRun, verifyRunFiles } = await import('@quantbot/observability');
  const verification = verifyRunFiles(root, runId);
  const run = readRun(root, runId);
  const input = backtestInputFromRunSummary(
    { runId, digest: run.manifest.digest, digestVerified: verification.ok, summary: run.summary },
    { file: join(run.dir, 'summary.json') },
  );
  const { strategy, params } = runParameters(run.manifest.parameters);
  return { input, strategy, params, problems: verification.problems.map((p) => p.message) };
}

async function record(registry: ResearchRegistry, experimentId: string, evidence: RunEvidence, choice: { readonly snapshotId?: string }): Promise<ActionResult> {
  const { input } = evidence;
  const experiment = await registry.getExperiment(experimentId);
  if (evidence.strategy !== null && evidence.strategy !== experiment.strategy) {
    throw new ConfigError('--run-id', `run ${input.runId} is a backtest of '${evidence.strategy}', but ${experimentId} studies '${experiment.strategy}'`);
  }
  let snapshotId = choice.snapshotId;
  let snapshotNote = '';
  if (evidence.params !== null) {
    if (snapshotId === undefined) {
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
