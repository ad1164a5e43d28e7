import { resolve } from 'node:path';
import type { CliIo, FlagSpec } from '@quantbot/core';
import { ConfigError, formatFlagHelp, parseFlags } from '@quantbot/core';
import type { KillSwitchLevel } from '@quantbot/risk-guardrails';
import { clearKillFile, killFileRequest, readKillFile, writeKillFile } from '@quantbot/risk-guardrails';

/** Where a trading process looks for the kill file unless told otherwise. */
export const DEFAULT_KILL_FILE = 'results/live/kill-switch.json';

const LEVEL_BY_ACTION: Readonly<Record<string, KillSwitchLevel>> = { reduce: 'reducing', halt: 'halted', flatten: 'flatten' };

export const KILL_SWITCH_FLAGS: readonly FlagSpec[] = [
  { name: 'reason', kind: 'string', valueName: 'text', description: 'why (required for reduce, halt and flatten; recorded in the audit log)' },
  { name: 'by', kind: 'string', valueName: 'name', description: 'who asks (default: $USER)' },
  { name: 'file', kind: 'string', valueName: 'path', description: `the kill file (default ${DEFAULT_KILL_FILE})` },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: live-trader kill-switch <reduce|halt|flatten|clear|status> [flags]

  reduce   only orders that shrink a position pass
  halt     no order passes
  flatten  close every position, then halt
  clear    remove the kill file (trading resumes only after a re-arm)
  status   show the kill file, if any

Every trading process polls the kill file: its presence escalates the kill switch to its level
as an external trigger, which no automatic re-arm undoes.

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
    const request = readKillFile(file);
    if (request === null) {
      io.out(`no kill file at ${file}: nothing stops trading from outside`);
      return 0;
    }
    io.out(`kill file ${file}: ${request.level} since ${request.requestedAt} by ${request.by}: ${request.reason}`);
    return 3;
  }
  if (action === 'clear') {
    const existed = clearKillFile(file);
    io.out(existed ? `removed ${file}; trading resumes only after a re-arm` : `no kill file at ${file}`);
    return 0;
  }
  const level = LEVEL_BY_ACTION[action];
  if (level === undefined) throw new ConfigError('kill-switch', `unknown action '${action}'; expected reduce, halt, flatten, clear or status`);
  const reason = flags['reason'];
  if (typeof reason !== 'string' || reason.trim() === '') throw new ConfigError('--reason', `is required for ${action}`);
  const by = typeof flags['by'] === 'string' ? flags['by'] : (env['USER'] ?? 'operator');
  writeKillFile(file, killFileRequest(level, reason, by, now.getTime()));
  io.out(`kill file written: ${file} (${level}: ${reason}, by ${by}); every trading process polling it goes ${level}`);
  return 0;
}
