import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { readRun, writeFileAtomically } from '@quantbot/observability';
import { renderRunReport } from '@quantbot/observability/report';
import { REPORT_FILE, reportInputFromRun } from '@quantbot/validation';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

export const REPORT_FLAGS: readonly FlagSpec[] = [
  { name: 'run-id', kind: 'string', valueName: 'id', description: 'the run to report on (required)' },
  { name: 'out', kind: 'string', valueName: 'file', description: `where to write the page (default: ${REPORT_FILE} in the run folder)` },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders are (default results/runs)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/** `backtester report --run-id <id>`: writes the run's self-contained HTML report. */
export async function reportCommand(argv: readonly string[], io: CliIo, now: Date): Promise<number> {
  const flags = parseFlags(argv, REPORT_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester report --run-id <id> [flags]\n\n${formatFlagHelp(REPORT_FLAGS)}`);
    return 0;
  }
  const runId = flags['run-id'];
  if (typeof runId !== 'string') throw new ConfigError('--run-id', 'is required (the folder name under results/runs)');
  const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const run = readRun(root, runId);
  const html = await renderRunReport(reportInputFromRun(run, now.toISOString()));
  const out = typeof flags['out'] === 'string' ? resolve(io.cwd, flags['out']) : join(run.dir, REPORT_FILE);
  writeFileAtomically(out, html);
  io.out(`report written: ${out}`);
  return 0;
}
