import { resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { SLEEVE_ACTIONS, pendingSleeveRequests, readSleeveRequest, sleeveRequest, sleeveRequestPath, writeSleeveRequest } from '@quantbot/live';
import type { SleeveAction } from '@quantbot/live';
import { DEFAULT_KILL_FILE } from './kill-switch-command';

export const SLEEVE_FLAGS: readonly FlagSpec[] = [
  { name: 'session', kind: 'string', valueName: 'id', description: 'the session (its --session) that trades the manager' },
  { name: 'sleeve', kind: 'string', valueName: 'name', description: "the sleeve, by its name in the manager file" },
  { name: 'reason', kind: 'string', valueName: 'text', description: 'why (required; recorded in the session\'s audit log)' },
  { name: 'by', kind: 'string', valueName: 'name', description: 'who asks (default: $USER)' },
  { name: 'file', kind: 'string', valueName: 'path', description: `the kill file, beside which requests are left (default ${DEFAULT_KILL_FILE})` },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: live-trader sleeve <halt|flatten|resume|pending> [flags]

  halt     stop one sleeve of a manager session: its new orders are dropped, what it holds stays
  flatten  cancel the sleeve's working orders and close its positions, then halt it
  resume   let a halted (or flattening) sleeve trade again; its kill switch is measured from now
  pending  list the sleeve requests not applied yet

A request is a file beside the kill file (sleeve-<session>.<sleeve>.json), the channel of the kill
file and of re-arm requests: the running trader of the session applies it at its next read of the
controls (before every bar, and every --kill-file-poll-ms between bars), or a stopped one when it
next starts; it prints and audits the outcome, removes the file, and saves the sleeve's state in
its checkpoint, so a halted sleeve stays halted across restarts. A request the session cannot
apply (no such sleeve, already halted, not a manager session) is refused and removed. The kill
switch of the whole session ('live-trader kill-switch') rules over every sleeve.

flags:
${formatFlagHelp(SLEEVE_FLAGS)}`;

/** `live-trader sleeve <action>`: leaves a request about one sleeve for its session. Exit 0, or 2 for a usage error. */
export function sleeveCommand(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>>, now: Date): number {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === 'help') {
    io.out(USAGE);
    return action === undefined ? 2 : 0;
  }
  const flags = parseFlags(rest, SLEEVE_FLAGS);
  if (flags['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  const killFile = resolve(io.cwd, typeof flags['file'] === 'string' ? flags['file'] : DEFAULT_KILL_FILE);
  const session = typeof flags['session'] === 'string' ? flags['session'] : undefined;
  if (action === 'pending') {
    const pending = pendingSleeveRequests(killFile, session);
    if (pending.length === 0) io.out(`no sleeve request waiting beside ${killFile}`);
    for (const path of pending) {
      try {
        const r = readSleeveRequest(path);
        io.out(r === null ? `${path} (gone)` : `session ${r.session} sleeve ${r.sleeve}: ${r.action} by ${r.by} at ${r.requestedAt}: ${r.reason}`);
      } catch (error) {
        io.out(`${path}: ${(error as Error).message}`);
      }
    }
    return 0;
  }
  if (!SLEEVE_ACTIONS.includes(action as SleeveAction)) throw new ConfigError('sleeve', `unknown action '${action}'; expected halt, flatten, resume or pending`);
  const text = (name: string): string => {
    const value = flags[name];
    if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`--${name}`, `is required for ${action}`);
    return value;
  };
  const by = typeof flags['by'] === 'string' ? flags['by'] : (env['USER'] ?? 'operator');
  let request;
  try {
    request = sleeveRequest({ session: text('session'), sleeve: text('sleeve'), action: action as SleeveAction, reason: text('reason'), by }, now.getTime());
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('sleeve', (error as Error).message);
  }
  const path = sleeveRequestPath(killFile, request.session, request.sleeve);
  writeSleeveRequest(path, request);
  io.out(
    `${action} requested for sleeve ${request.sleeve} of session ${request.session} (by ${by}: ${request.reason}): ${path}. The session's trader applies it at its next read of the controls (a stopped one when it next starts), prints and audits the outcome.`,
  );
  return 0;
}
