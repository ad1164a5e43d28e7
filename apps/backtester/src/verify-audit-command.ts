import { join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { readRun, verifyRunFiles } from '@quantbot/observability';
import type { AuditHead, AuditVerification } from '@quantbot/risk-guardrails';
import { verifyAuditLog, verifyAuditLogAgainstHead } from '@quantbot/risk-guardrails';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

/** Flags of `backtester verify-audit`. */
export const VERIFY_AUDIT_FLAGS: readonly FlagSpec[] = [
  { name: 'run-id', kind: 'string', valueName: 'id', description: 'check the log against the head anchored in this run\'s manifest (the file argument may then be left out)' },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders are (default results/runs)' },
  { name: 'expect-count', kind: 'number', valueName: 'N', description: 'the anchor given by hand: the log holds at least N records ...' },
  { name: 'expect-head', kind: 'string', valueName: 'hash', description: '... and record N has this hash (64 hex digits)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: backtester verify-audit [<file>] [--run-id <id> [--results-dir <dir>] | --expect-count <N> --expect-head <hash>]

Verifies a hash-chained JSONL audit log: every record well formed, its hash matching its
content, linked to the record before, seq counting 1, 2, 3, ...

The file alone cannot show a cut tail (complete lines removed at the end), an emptied file, or a
chain edited and then re-hashed: for that, check it against its anchor, the head (record count
and last hash) recorded outside the file. 'backtester run --audit-log' records it in the run's
manifest (audit.head), which the run digest covers: give --run-id, or give the head by hand with
--expect-count and --expect-head. Records appended after the anchor (later runs) are allowed.

exit 0: intact (and matching its anchor, when one is given); 1: a problem, named with its line,
a missing file included; 2: a usage error.`;

/**
 * `backtester verify-audit [<file>] [--run-id <id> | --expect-count N --expect-head H]`: verifies a
 * hash-chained JSONL audit log, and against its anchored head when one is given. Exit 0 when
 * intact, 1 (naming the line and the problem) otherwise. Without an anchor it says that a cut
 * tail, an emptied file or a re-hashed chain cannot be detected.
 */
export function verifyAuditCommand(argv: readonly string[], io: CliIo): number {
  const [first, ...rest] = argv;
  const file = first !== undefined && !first.startsWith('--') ? first : undefined;
  const flags = parseFlags(file === undefined ? argv : rest, VERIFY_AUDIT_FLAGS);
  if (flags['help'] === true) {
    io.out(`${USAGE}\n\n${formatFlagHelp(VERIFY_AUDIT_FLAGS)}`);
    return 0;
  }
  const runId = typeof flags['run-id'] === 'string' ? flags['run-id'] : undefined;
  const expectCount = flags['expect-count'];
  const expectHead = flags['expect-head'];
  if (runId !== undefined && (expectCount !== undefined || expectHead !== undefined)) {
    throw new ConfigError('--run-id', 'give either --run-id or --expect-count/--expect-head, not both');
  }
  if (runId === undefined && flags['results-dir'] !== undefined) throw new ConfigError('--results-dir', 'only applies with --run-id');
  if ((expectCount === undefined) !== (expectHead === undefined)) {
    throw new ConfigError(expectCount === undefined ? '--expect-count' : '--expect-head', 'give --expect-count and --expect-head together');
  }
  let anchor: { readonly head: AuditHead; readonly source: string; readonly file?: string } | undefined;
  if (runId !== undefined) {
    const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
    const run = readRun(root, runId);
    const audit = run.manifest.audit ?? null;
    if (run.manifest.schemaVersion !== 2 || audit === null) {
      io.err(`error: run ${runId} anchors no audit log (${run.manifest.schemaVersion !== 2 ? `manifest schema ${run.manifest.schemaVersion} predates audit anchors` : 'it ran without --audit-log'})`);
      return 1;
    }
    const manifestCheck = verifyRunFiles(root, runId).problems.find((problem) => problem.kind === 'digest-mismatch');
    if (manifestCheck !== undefined) {
      io.err(`error: run ${runId}: the anchor cannot be trusted: ${manifestCheck.message}`);
      return 1;
    }
    anchor = { head: audit.head, source: `run ${runId}`, file: audit.file };
  } else if (typeof expectCount === 'number' && typeof expectHead === 'string') {
    if (!Number.isSafeInteger(expectCount) || expectCount < 0) throw new ConfigError('--expect-count', `${expectCount} is not a record count`);
    if (!/^[0-9a-f]{64}$/.test(expectHead)) throw new ConfigError('--expect-head', 'is not 64 lower-case hex digits');
    anchor = { head: { records: expectCount, hash: expectHead }, source: '--expect-count/--expect-head' };
  }
  if (file === undefined && anchor?.file === undefined) {
    throw new ConfigError('verify-audit', `the audit log file is required without --run-id\n${USAGE.split('\n')[0] as string}`);
  }
  const path = file !== undefined ? resolve(io.cwd, file) : (anchor?.file as string);
  if (anchor?.file !== undefined && anchor.file !== path) {
    io.err(`warning: run ${runId as string} anchored ${anchor.file}; checking ${path} against that anchor`);
  }
  if (anchor === undefined) {
    const result = verifyAuditLog(path);
    if (!result.ok) return reportProblem(io, path, result);
    const head = result.head;
    io.out(
      `chain consistent: ${result.records} record(s) link correctly (${path}); head ${head?.records ?? result.records} ${head?.hash ?? ''}\n` +
        'NOT anchored: a cut tail, an emptied file or a chain re-hashed after an edit cannot be detected from the file alone; ' +
        'check it against its anchor with --run-id <id> (or --expect-count/--expect-head)',
    );
    return 0;
  }
  const result = verifyAuditLogAgainstHead(path, anchor.head);
  if (!result.ok) return reportProblem(io, path, result, anchor.source);
  io.out(
    `ok: ${result.records} record(s), hash chain intact and record ${anchor.head.records} matches the head anchored in ${anchor.source} (${anchor.head.hash.slice(0, 16)}) (${path})`,
  );
  return 0;
}

function reportProblem(io: CliIo, path: string, result: AuditVerification, source?: string): number {
  const problem = result.problem;
  const against = source === undefined ? '' : ` [checked against the head anchored in ${source}]`;
  io.err(`error: ${path}:${problem?.line ?? '?'}: ${problem?.kind ?? 'invalid'}: ${problem?.message ?? ''} (${result.records} record(s) verified before it)${against}`);
  io.out(`NOT intact: ${problem?.kind ?? 'invalid'} at ${path}:${problem?.line ?? '?'}`);
  return 1;
}
