import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import type { RunData } from '@quantbot/observability';
import { listRuns, readRun, writeFileAtomically } from '@quantbot/observability';
import { renderRunReport, renderSweepReport, renderWalkForwardReport } from '@quantbot/observability/report';
import type { RunReportBenchmark } from '@quantbot/observability/report';
import { loadBarFile } from '@quantbot/market-data';
import type { RunReportExtras } from '@quantbot/validation';
import { REPORT_FILE, loadRunMarket, reportInputFromRun } from '@quantbot/validation';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags, readBacktestCommandLine } from '@quantbot/cli';
import { SWEEP_FILE, WALK_FORWARD_FILE, sweepReportInput, walkForwardReportInput } from './validation-report';

export const REPORT_FLAGS: readonly FlagSpec[] = [
  { name: 'run-id', kind: 'string', valueName: 'id', description: 'the backtest, sweep or walk-forward run to report on (default: the latest backtest run)' },
  { name: 'out', kind: 'string', valueName: 'file', description: `where to write the page (default: ${REPORT_FILE} in the run folder)` },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders are (default results/runs)' },
  { name: 'benchmark', kind: 'string', valueName: 'file', description: "a bar file whose close is the benchmark (default: buy-and-hold of the run's symbols, equal weight)" },
  {
    name: 'without-prices',
    kind: 'boolean',
    description: "report without re-loading the run's data (no buy-and-hold benchmark, exposure, MAE/MFE or price charts); needed when the data is gone or changed",
  },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const PRICES_HELP = `The report re-loads the run's data as the run loaded it (its recorded command line, from its
recorded working folder): bar files must still hash as the manifest recorded (otherwise exit 1,
naming the file; pass --without-prices to report without them), synthetic data is made again
from its seed.`;

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
    io.out(`usage: backtester report [--run-id <id>] [flags]\n\n${formatFlagHelp(REPORT_FLAGS)}\n\n${PRICES_HELP}`);
    return 0;
  }
  const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const runId = typeof flags['run-id'] === 'string' ? flags['run-id'] : latestBacktestRun(root);
  const run = readRun(root, runId);
  const listing = { runId, dir: run.dir, manifest: run.manifest };
  const artifacts = run.manifest.artifacts;
  let html: string;
  if (artifacts[BACKTEST_SUMMARY] !== undefined) {
    const benchmarkFile = typeof flags['benchmark'] === 'string' ? resolve(io.cwd, flags['benchmark']) : undefined;
    html = await renderRunReport(reportInputFromRun(run, now.toISOString(), reportExtras(run, flags['without-prices'] === true, benchmarkFile)));
  }
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

/** The run's prices (unless `withoutPrices`) and the benchmark file's closes, for the report. */
function reportExtras(run: RunData, withoutPrices: boolean, benchmarkFile: string | undefined): RunReportExtras {
  let benchmark: RunReportBenchmark | undefined;
  if (benchmarkFile !== undefined) {
    if (!existsSync(benchmarkFile)) throw new ConfigError('--benchmark', `${benchmarkFile}: no such file`);
    const series = loadBarFile(benchmarkFile);
    benchmark = { label: `${series.symbol} (${basename(benchmarkFile)})`, time: series.time, close: series.close };
  }
  const withBenchmark = benchmark !== undefined ? { benchmark } : {};
  if (withoutPrices) return { market: null, marketNote: 'the report was made with --without-prices (--benchmark <file> gives a benchmark without them).', ...withBenchmark };
  const config = readBacktestCommandLine(run.manifest.commandLine);
  if (config === null) return { market: null, marketNote: `the run's command line (${run.manifest.commandLine.join(' ')}) is not one the report can re-load data from.`, ...withBenchmark };
  return { market: loadRunMarket(run, config), ...withBenchmark };
}
