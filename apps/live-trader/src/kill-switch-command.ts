import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import type { KillSwitchLevel } from '@quantbot/risk-guardrails';
import { clearKillFile, isKillFilePresent, killFileRequest, readKillFile, readRearmRequest, rearmRequest, rearmRequestPath, writeKillFile, writeRearmRequest } from '@quantbot/risk-guardrails';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

/** Where a trading process looks for the kill file unless told otherwise. */
export const DEFAULT_KILL_FILE = 'results/live/kill-switch.json';

const LEVEL_BY_ACTION: Readonly<Record<string, KillSwitchLevel>> = { reduce: 'reducing', halt: 'halted', flatten: 'flatten' };

export const KILL_SWITCH_FLAGS: readonly FlagSpec[] = [
  { name: 'reason', kind: 'string', valueName: 'text', description: 'why (required for reduce, halt, flatten and rearm; recorded in the audit log)' },
  { name: 'session', kind: 'string', valueName: 'id', description: 'rearm: the session to re-arm (its --session)' },
  { name: 'by', kind: 'string', valueName: 'name', description: 'who asks (default: $USER)' },
  { name: 'file', kind: 'string', valueName: 'path', description: `the kill file (default ${DEFAULT_KILL_FILE})` },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: live-trader kill-switch <reduce|halt|flatten|clear|rearm|status> [flags]

  reduce   write the kill file: only orders that shrink a position pass
  halt     write the kill file: no order passes
  flatten  write the kill file: close every position, then halt
  clear    remove the kill file. Resumes nothing: every session it halted stays halted until re-armed
  rearm    ask one halted session to trade again (--session, --reason; refused while the kill file is there)
  status   show the kill file and the pending re-arm requests

Every trading process reads the kill file when it starts, before every bar and every second while
no bar arrives: its presence escalates the kill switch to its level as an external trigger, which
no automatic re-arm undoes. A re-arm request is a file beside the kill file that the session
applies once at its next read (or its next start), audits, and removes; the trader prints the
outcome. It is refused if the kill file is back, the session halted again after the request, or
the kill switch's cooldown has not passed.

flags:
${formatFlagHelp(KILL_SWITCH_FLAGS)}`;

/**
 * `live-trader kill-switch <action>`: writes, removes or shows the kill file. Exit 0 on success,
 * 2 for a usage error; `status` exits 3 when a kill file is in place (for scripts).
 */
export function killSwitchCommand(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>>, now: Date): number {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === 'help') {
    io.out(USAGE);
    return action === undefined ? 2 : 0;
  }
  const flags = parseFlags(rest, KILL_SWITCH_FLAGS);
  if (flags['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  const file = resolve(io.cwd, typeof flags['file'] === 'string' ? flags['file'] : DEFAULT_KILL_FILE);
  if (action === 'status') {
    for (const pending of pendingRearmRequests(file)) io.out(`re-arm request pending: ${pending}`);
    const request = readKillFile(file);
    if (request === null) {
      io.out(`no kill file at ${file}: nothing stops trading from outside (sessions halted earlier stay halted until re-armed)`);
      return 0;
    }
    io.out(`kill file ${file}: ${request.level} since ${request.requestedAt} by ${request.by}: ${request.reason}`);
    return 3;
  }
  if (action === 'clear') {
    const existed = clearKillFile(file);
    io.out(
      existed
        ? `removed ${file}. This resumes nothing: each session it halted stays halted until 'live-trader kill-switch rearm --session <id> --reason <why>'`
        : `no kill file at ${file}`,
    );
    return 0;
  }
  const by = typeof flags['by'] === 'string' ? flags['by'] : (env['USER'] ?? 'operator');
  if (action === 'rearm') {
    const session = flags['session'];
    if (typeof session !== 'string' || session.trim() === '') throw new ConfigError('--session', 'is required for rearm: the session to re-arm');
    const why = flags['reason'];
    if (typeof why !== 'string' || why.trim() === '') throw new ConfigError('--reason', 'is required for rearm');
    if (isKillFilePresent(file)) {
      io.err(`refused: the kill file ${file} is still in place; every session would halt again at its next read. Clear it first ('live-trader kill-switch clear').`);
      return 3;
    }
    const path = rearmRequestPath(file, session);
    writeRearmRequest(path, rearmRequest(session, why, by, now.getTime()));
    io.out(
      `re-arm requested for session ${session} (by ${by}: ${why}): ${path}. A running trader applies it at its next read of the controls (every second by default), a stopped one when it next starts; it prints and audits the outcome, and refuses it if the kill file is back, the session halted again after this request, or the cooldown has not passed.`,
    );
    return 0;
  }
  const level = LEVEL_BY_ACTION[action];
  if (level === undefined) throw new ConfigError('kill-switch', `unknown action '${action}'; expected reduce, halt, flatten, clear, rearm or status`);
  const reason = flags['reason'];
  if (typeof reason !== 'string' || reason.trim() === '') throw new ConfigError('--reason', `is required for ${action}`);
  writeKillFile(file, killFileRequest(level, reason, by, now.getTime()));
  io.out(`kill file written: ${file} (${level}: ${reason}, by ${by}); every trading process polling it goes ${level}`);
  return 0;
}

/** The re-arm requests waiting beside the kill file, described (a damaged one says so). */
function pendingRearmRequests(killFile: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dirname(killFile)).filter((n) => /^rearm-.+\.json$/.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const path = join(dirname(killFile), name);
    try {
      const request = readRearmRequest(path);
      return request === null ? `${path} (gone)` : `session ${request.session} by ${request.by} at ${request.requestedAt}: ${request.reason}`;
    } catch (error) {
      return `${path}: ${(error as Error).message}`;
    }
  });
}
