import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { listRuns, readRun, writeFileAtomically } from '@quantbot/observability';
import { renderRunReport, renderSweepReport, renderWalkForwardReport } from '@quantbot/observability/report';
import { REPORT_FILE, reportInputFromRun } from '@quantbot/validation';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { SWEEP_FILE, WALK_FORWARD_FILE, sweepReportInput, walkForwardReportInput } from './validation-report';

export const REPORT_FLAGS: readonly FlagSpec[] = [
  { name: 'run-id', kind: 'string', valueName: 'id', description: 'the backtest, sweep or walk-forward run to report on (default: the latest backtest run)' },
  { name: 'out', kind: 'string', valueName: 'file', description: `where to write the page (default: ${REPORT_FILE} in the run folder)` },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders are (default results/runs)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/** The artifact every backtest run has. */
const BACKTEST_SUMMARY = 'summary.json';

/** The most recent backtest run under `root` (sweeps and walk-forwards are not reported); a `ConfigError` naming `--run-id` when there is none. */
function latestBacktestRun(root: string): string {
  const latest = listRuns(root).find((run) => run.manifest.artifacts[BACKTEST_SUMMARY] !== undefined);
  if (latest === undefined) throw new ConfigError('--run-id', `no backtest run in ${root}: run one first (backtester run), or give --run-id and --results-dir`);
  return latest.runId;
}

/**
 * `backtester report [--run-id <id>]`: writes a run's self-contained HTML report, by the run's kind
 * (a backtest's `summary.json`, a sweep's `sweep.json`, a walk-forward's `walk_forward.json`);
 * without `--run-id`, the latest backtest run's. Any other run is refused naming `--run-id`.
 */
export async function reportCommand(argv: readonly string[], io: CliIo, now: Date): Promise<number> {
  const flags = parseFlags(argv, REPORT_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester report [--run-id <id>] [flags]\n\n${formatFlagHelp(REPORT_FLAGS)}`);
    return 0;
  }
  const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const runId = typeof flags['run-id'] === 'string' ? flags['run-id'] : latestBacktestRun(root);
  const run = readRun(root, runId);
  const listing = { runId, dir: run.dir, manifest: run.manifest };
  const artifacts = run.manifest.artifacts;
  let html: string;
  if (artifacts[BACKTEST_SUMMARY] !== undefined) html = await renderRunReport(reportInputFromRun(run, now.toISOString()));
  else if (artifacts[SWEEP_FILE] !== undefined) html = await renderSweepReport(sweepReportInput(listing, now.toISOString()));
  else if (artifacts[WALK_FORWARD_FILE] !== undefined) html = await renderWalkForwardReport(walkForwardReportInput(listing, now.toISOString()));
  else {
    throw new ConfigError('--run-id', `${runId} has no report: it is not a backtest, sweep or walk-forward run (it has none of ${BACKTEST_SUMMARY}, ${SWEEP_FILE}, ${WALK_FORWARD_FILE}; its files: ${Object.keys(artifacts).join(', ') || 'none'})`);
  }
  const out = typeof flags['out'] === 'string' ? resolve(io.cwd, flags['out']) : join(run.dir, REPORT_FILE);
  writeFileAtomically(out, html);
  io.out(`report written: ${out}`);
  return 0;
}
