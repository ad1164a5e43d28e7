import { join, resolve } from 'node:path';
import type { CliIo, FlagSpec } from '@quantbot/core';
import { ConfigError, formatFlagHelp, parseFlags } from '@quantbot/core';
import { formatReplay, readRun, replayEvents, verifyRunFiles } from '@quantbot/observability';

export const REPLAY_FLAGS: readonly FlagSpec[] = [
  { name: 'run-id', kind: 'string', valueName: 'id', description: 'the run to replay (required)' },
  { name: 'symbol', kind: 'string', valueName: 'S', description: 'only this symbol' },
  { name: 'replay-date', kind: 'string', valueName: 'YYYY-MM-DD', description: 'only this UTC date' },
  { name: 'errors-only', kind: 'boolean', description: 'only rejected, canceled and expired orders' },
  { name: 'limit', kind: 'number', valueName: 'N', description: 'at most N entries' },
  { name: 'verify', kind: 'boolean', description: 'check the files against the manifest, re-run the recorded configuration and compare digests' },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders are (default results/runs)' },
  { name: 'json', kind: 'boolean', description: 'print the entries (and the verification) as JSON' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/** Re-runs a recorded command line into `resultsDir`; resolves to the new run's digest. */
export type Rerun = (commandLine: readonly string[], cwd: string, resultsDir: string) => Promise<string>;

/**
 * `backtester replay --run-id <id>`: prints a run's decisions, orders and fills in time order,
 * filtered. `--verify` also checks every artifact against the manifest and re-runs the
 * recorded configuration: exit 1 when anything differs.
 */
export async function replayCommand(argv: readonly string[], io: CliIo, rerun: Rerun): Promise<number> {
  const flags = parseFlags(argv, REPLAY_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester replay --run-id <id> [flags]\n\n${formatFlagHelp(REPLAY_FLAGS)}`);
    return 0;
  }
  const runId = flags['run-id'];
  if (typeof runId !== 'string') throw new ConfigError('--run-id', 'is required (the folder name under results/runs)');
  const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const run = readRun(root, runId);
  const entries = replayEvents(run, {
    ...(typeof flags['symbol'] === 'string' ? { symbol: flags['symbol'] } : {}),
    ...(typeof flags['replay-date'] === 'string' ? { date: flags['replay-date'] } : {}),
    ...(flags['errors-only'] === true ? { errorsOnly: true } : {}),
    ...(typeof flags['limit'] === 'number' ? { limit: flags['limit'] } : {}),
  });
  let verification: { files: ReturnType<typeof verifyRunFiles>; recordedDigest: string; rerunDigest: string; reproduced: boolean } | null = null;
  if (flags['verify'] === true) {
    const files = verifyRunFiles(root, runId);
    const parameters = run.manifest.parameters as { readonly cwd?: unknown } | null;
    const cwd = typeof parameters?.cwd === 'string' ? parameters.cwd : io.cwd;
    const rerunDigest = await rerun(run.manifest.commandLine.slice(2), cwd, join(root, '.verify'));
    verification = { files, recordedDigest: run.manifest.digest, rerunDigest, reproduced: rerunDigest === run.manifest.digest };
  }
  if (flags['json'] === true) {
    io.out(JSON.stringify({ runId, entries: entries.map((e) => ({ kind: e.kind, ...e.record })), verification }, null, 2));
  } else {
    io.out(entries.length === 0 ? `run ${runId}: no entries match` : formatReplay(entries).trimEnd());
    if (verification !== null) {
      for (const p of verification.files.problems) io.err(`error: ${p.name}: ${p.message}`);
      io.out(
        verification.reproduced
          ? `verified: the re-run reproduces digest ${verification.recordedDigest.slice(0, 16)}; ${verification.files.checked} artifact(s) match the manifest`
          : `NOT reproduced: recorded digest ${verification.recordedDigest.slice(0, 16)}, re-run gives ${verification.rerunDigest.slice(0, 16)}`,
      );
    }
  }
  return verification !== null && !(verification.reproduced && verification.files.ok) ? 1 : 0;
}
