import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { listRuns, readRun, writeFileAtomically } from '@quantbot/observability';
import { renderRunReport } from '@quantbot/observability/report';
import { REPORT_FILE, reportInputFromRun } from '@quantbot/validation';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

export const REPORT_FLAGS: readonly FlagSpec[] = [
  { name: 'run-id', kind: 'string', valueName: 'id', description: 'the backtest run to report on (default: the latest backtest run)' },
  { name: 'out', kind: 'string', valueName: 'file', description: `where to write the page (default: ${REPORT_FILE} in the run folder)` },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders are (default results/runs)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/** The artifact every backtest run has, and the artifacts of the runs that are not backtests. */
const BACKTEST_SUMMARY = 'summary.json';
const VALIDATION_RUN_KINDS: Readonly<Record<string, string>> = { 'sweep.json': 'sweep', 'walk_forward.json': 'walk-forward' };

/** The most recent backtest run under `root` (sweeps and walk-forwards are not reported); a `ConfigError` naming `--run-id` when there is none. */
function latestBacktestRun(root: string): string {
  const latest = listRuns(root).find((run) => run.manifest.artifacts[BACKTEST_SUMMARY] !== undefined);
  if (latest === undefined) throw new ConfigError('--run-id', `no backtest run in ${root}: run one first (backtester run), or give --run-id and --results-dir`);
  return latest.runId;
}

/** `backtester report [--run-id <id>]`: writes a backtest run's self-contained HTML report (default: the latest). */
export async function reportCommand(argv: readonly string[], io: CliIo, now: Date): Promise<number> {
  const flags = parseFlags(argv, REPORT_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester report [--run-id <id>] [flags]\n\n${formatFlagHelp(REPORT_FLAGS)}`);
    return 0;
  }
  const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const runId = typeof flags['run-id'] === 'string' ? flags['run-id'] : latestBacktestRun(root);
  const run = readRun(root, runId);
  if (run.manifest.artifacts[BACKTEST_SUMMARY] === undefined) {
    const kind = Object.keys(run.manifest.artifacts).find((name) => name in VALIDATION_RUN_KINDS);
    throw new ConfigError(
      '--run-id',
      `${runId} is ${kind === undefined ? 'not a backtest run (it has no summary.json)' : `a ${VALIDATION_RUN_KINDS[kind] ?? kind} run`}: the report covers backtest runs; its results are in ${join(run.dir, kind ?? '')}`,
    );
  }
  const html = await renderRunReport(reportInputFromRun(run, now.toISOString()));
  const out = typeof flags['out'] === 'string' ? resolve(io.cwd, flags['out']) : join(run.dir, REPORT_FILE);
  writeFileAtomically(out, html);
  io.out(`report written: ${out}`);
  return 0;
}
