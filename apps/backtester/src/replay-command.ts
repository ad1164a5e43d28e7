import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { formatReplay, readRun, replayEvents } from '@quantbot/observability';
import type { RunReproduction } from '@quantbot/validation';
import { reproduceRun } from '@quantbot/validation';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags, readBacktestCommandLine, withFlagNames } from '@quantbot/cli';
import { BACKTESTER_FIELD_FLAGS } from './field-flags';

export const REPLAY_FLAGS: readonly FlagSpec[] = [
  { name: 'run-id', kind: 'string', valueName: 'id', description: 'the run to replay (required)' },
  { name: 'symbol', kind: 'string', valueName: 'S', description: 'only this symbol' },
  { name: 'replay-date', kind: 'string', valueName: 'YYYY-MM-DD', description: 'only this UTC date' },
  { name: 'errors-only', kind: 'boolean', description: 'only rejected, canceled and expired orders' },
  { name: 'limit', kind: 'number', valueName: 'N', description: 'at most N entries' },
  {
    name: 'verify',
    kind: 'boolean',
    description: 'check the files against the manifest, re-run the recorded command line in a temporary folder, compare the input data hashes and the digest',
  },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders are (default results/runs)' },
  { name: 'json', kind: 'boolean', description: 'print the entries (and the verification) as JSON' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const VERIFY_HELP = `--verify re-runs the recorded command line from the recorded working folder (reproduceRun of
@quantbot/validation). Everything the re-run writes goes to a temporary folder that is removed
afterwards: its run folder, and its audit log when the run had --audit-log (the recorded log is
never appended to); --report is ignored. It passes only when the files match the manifest, the
input data files hash as recorded and the re-run gives the recorded digest (which covers the
whole manifest: parameters, command line, data hashes, audit head, artifacts). A run recorded
with manifest schema 1 is reported as not verifiable. Exit 1, with 'NOT verified' on stdout and
each problem on stderr, otherwise.`;

/** Starts a re-run verification of a recorded run (`reproduceRun`, injected for tests). */
export type Reproduce = (root: string, runId: string) => Promise<RunReproduction>;

/**
 * `backtester replay --run-id <id>`: prints a run's decisions, orders and fills in time order,
 * filtered. `--verify` also re-runs the recorded configuration in a temporary folder and
 * compares it with the recorded run: exit 1, saying so on stdout, when anything differs.
 */
export async function replayCommand(argv: readonly string[], io: CliIo, now: Date, reproduce: Reproduce = (root, runId) => reproduceRun(root, runId, { now, readCommandLine: readBacktestCommandLine, nameError: (error) => withFlagNames(error, BACKTESTER_FIELD_FLAGS) })): Promise<number> {
  const flags = parseFlags(argv, REPLAY_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester replay --run-id <id> [flags]\n\n${formatFlagHelp(REPLAY_FLAGS)}\n\n${VERIFY_HELP}`);
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
  const verification = flags['verify'] === true ? await reproduce(root, runId) : null;
  if (flags['json'] === true) {
    io.out(JSON.stringify({ runId, entries: entries.map((e) => ({ kind: e.kind, ...e.record })), verification }, null, 2));
  } else {
    io.out(entries.length === 0 ? `run ${runId}: no entries match` : formatReplay(entries).trimEnd());
    if (verification !== null) {
      for (const problem of verification.problems) io.err(`error: ${problem}`);
      io.out(
        verification.ok
          ? `verified: the re-run reproduces digest ${verification.recordedDigest.slice(0, 16)}; ${verification.files.checked} artifact(s) and the input data match the manifest`
          : `NOT verified: ${verification.problems.length} problem(s) (listed on stderr); first: ${verification.problems[0] ?? 'the re-run does not reproduce the recorded digest'}`,
      );
    }
  }
  return verification !== null && !verification.ok ? 1 : 0;
}
