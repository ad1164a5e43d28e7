import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withoutDistributedFlags } from '@quantbot/cli';
import { ConfigError, DataError } from '@quantbot/core';
import { DEFAULT_BACKTESTER, firstDifference, runBacktester, withoutResultsDir } from './walk-forward-reproduction';

/**
 * Re-runs a sweep run folder's recorded command line on this machine (the built backtester, in
 * the recorded working directory, into a temporary folder, on local threads even when the sweep
 * ran on distributed workers: the results are the same) and requires the re-read data to hash to
 * the manifest's `dataHash` and the new `sweep.json` to equal the stored one. Throws a `DataError`
 * naming the stored file and the first differing field otherwise. The temporary folder is always
 * removed.
 */
export async function reproduceSweepRun(
  run: { readonly runId: string; readonly dir: string; readonly commandLine: readonly string[]; readonly cwd: string; readonly dataHash: string | null; readonly sweepFile: string },
  options: { readonly backtester?: string } = {},
): Promise<void> {
  const { readRun } = await import('@quantbot/observability');
  const [, command, ...argv] = run.commandLine;
  if (run.cwd === '' || !existsSync(run.cwd)) {
    throw new DataError(`run ${run.runId} cannot be re-run: its working directory '${run.cwd}' does not exist here (record it without --reproduce)`, { file: run.dir });
  }
  const backtester = options.backtester ?? DEFAULT_BACKTESTER;
  if (!existsSync(backtester)) throw new ConfigError('--reproduce', `the backtester is not built (${backtester}): npx nx run backtester:build`);
  const scratch = mkdtempSync(join(tmpdir(), 'qb-sweep-verify-'));
  try {
    const rerun = await runBacktester(backtester, [command as string, ...localArgv(withoutResultsDir(argv)), '--quiet', '--results-dir', scratch], run.cwd);
    const runs = readdirSync(scratch).filter((name) => !name.startsWith('.'));
    if (runs.length !== 1) {
      throw new DataError(`re-running run ${run.runId} produced no run folder: ${rerun.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${rerun.code}`}`, { file: run.dir });
    }
    const again = readRun(scratch, runs[0] as string).manifest;
    if (again.dataHash !== run.dataHash) {
      throw new DataError(
        `run ${run.runId}: the data re-read now hashes to ${String(again.dataHash).slice(0, 12)}…, the manifest recorded ${String(run.dataHash).slice(0, 12)}…: the input data changed`,
        { file: run.dir },
      );
    }
    const stored = JSON.parse(readFileSync(run.sweepFile, 'utf8')) as unknown;
    const recomputed = JSON.parse(readFileSync(join(scratch, runs[0] as string, 'sweep.json'), 'utf8')) as unknown;
    const difference = firstDifference(stored, recomputed, '');
    if (difference !== null) {
      throw new DataError(`run ${run.runId}: the stored sweep differs from its re-run at ${difference}: the artifact was edited or cannot be reproduced`, { file: run.sweepFile });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The recorded arguments as a local run: without `--distributed` and the queue's flags, and without `--quiet` (added once). */
function localArgv(argv: readonly string[]): string[] {
  return withoutDistributedFlags(argv).filter((arg) => arg.split('=')[0] !== '--quiet');
}
