import type { Clock } from '@quantbot/core';
import { QuantbotError, epochMs } from '@quantbot/core';
import { DRIFT_ACTION, READINESS_ACTION } from './drift-readiness-actions';
import { CREATE_ACTION, LIST_ACTION, SNAPSHOT_ACTION } from './experiment-actions';
import { BLOCKERS_ACTION, CHECK_ACTION, PROMOTE_ACTION, SUMMARY_ACTION } from './gate-actions';
import { RECORD_BACKTEST_ACTION } from './record-backtest-action';
import { RECORD_PAPER_ACTION } from './record-paper-action';
import { RECORD_SWEEP_ACTION } from './record-sweep-action';
import { RECORD_VALIDATION_ACTION, STORE_WALK_FORWARD_ACTION } from './record-validation-actions';
import type { ActionResult, CliEnv, ResearchAction } from './research-action';
import { COMMON_FLAGS, stringFlag } from './research-action';
import { DB_SCHEMA_ENV, openRegistrySession } from './registry-session';
import { APPROVE_REVIEW_ACTION } from './review-action';
import { RAMP_ACTIONS } from './ramp-actions';
import { toJsonText } from './checklist-table';
import type { CliIo } from '@quantbot/cli';
import { formatFlagHelp, parseFlags, processIo, runWithJsonOut } from '@quantbot/cli';

/** Every action, in the order of the research workflow. */
export const ACTIONS: readonly ResearchAction[] = [
  CREATE_ACTION,
  SNAPSHOT_ACTION,
  RECORD_BACKTEST_ACTION,
  RECORD_SWEEP_ACTION,
  RECORD_VALIDATION_ACTION,
  STORE_WALK_FORWARD_ACTION,
  RECORD_PAPER_ACTION,
  APPROVE_REVIEW_ACTION,
  SUMMARY_ACTION,
  BLOCKERS_ACTION,
  CHECK_ACTION,
  DRIFT_ACTION,
  READINESS_ACTION,
  PROMOTE_ACTION,
  ...RAMP_ACTIONS,
  LIST_ACTION,
];

const USAGE = `usage: promotion-gate <action> [flags]      (nx run promotion-gate:research -- <action> [flags])

actions:
${ACTIONS.map((a) => `  ${a.name.padEnd(20)}${a.summary}`).join('\n')}

Every action but create, list and defect close names its experiment with --experiment <id>; --json makes the output
one JSON document (--json-out <file> writes it to a file instead: for nx run, which adds its own lines
to stdout). Inputs come from flags, --payload '<json>' or --payload-file <path>.
Database: env DATABASE_URL (a Postgres server), else embedded in $QUANTBOT_DATA_DIR/db, else in
.quantbot/db of the working directory; --schema or env ${DB_SCHEMA_ENV} keeps it in a Postgres schema.
Exit codes: 0 ok, 1 failure (a gate blocks, bad data, database), 2 usage.

Run 'promotion-gate <action> --help' for the flags of an action. Guide: docs/research-registry.md`;

/** The wall clock, for the command line (libraries take a Clock; the app is where time comes from). */
export const WALL_CLOCK: Clock = { now: () => epochMs(Date.now()) };

/**
 * The promotion gate's entry point, callable in-process. Resolves to the exit code: 0 on
 * success, 1 when a gate blocks or anything fails, 2 for a usage or configuration error. Flags,
 * payloads and files are checked before the database is opened (so `--help` and usage errors
 * never open it), and the database is closed before it resolves.
 */
export async function main(argv: readonly string[], io: CliIo, env: CliEnv = {}, clock: Clock = WALL_CLOCK): Promise<number> {
  return runWithJsonOut(argv, io, (args, actionIo) => runAction(args, actionIo, env, clock));
}

async function runAction(argv: readonly string[], io: CliIo, env: CliEnv, clock: Clock): Promise<number> {
  const [first, ...afterFirst] = argv;
  // Two-word actions (`stage show`, `defect open`): the second word is part of the name.
  const twoWords = first !== undefined && afterFirst[0] !== undefined && ACTIONS.some((a) => a.name === `${first} ${afterFirst[0]}`);
  const name = twoWords ? `${first} ${afterFirst[0] as string}` : first;
  const rest = twoWords ? afterFirst.slice(1) : afterFirst;
  const json = rest.includes('--json') || rest.includes('--json=true');
  if (name === undefined || name === '--help' || name === 'help' || name === '-h') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const action = ACTIONS.find((a) => a.name === name);
  if (action === undefined) {
    reportError(io, json, 'CONFIG_INVALID', `unknown action '${name}'; expected one of ${ACTIONS.map((a) => a.name).join(', ')}`);
    if (!json) io.err(USAGE);
    return 2;
  }
  try {
    const flags = parseFlags(rest, [...action.flags, ...COMMON_FLAGS]);
    if (flags['help'] === true) {
      io.out(actionHelp(action));
      return 0;
    }
    const prepared = await action.prepare({ flags, io, env });
    const session = await openRegistrySession({ env, cwd: io.cwd, schema: stringFlag(flags, 'schema'), clock, gates: prepared.gates });
    let result: ActionResult;
    try {
      result = await prepared.run(session);
    } finally {
      await session.close();
    }
    if (flags['json'] === true) io.out(toJsonText(result.json));
    else for (const line of result.text) io.out(line);
    for (const line of result.warnings ?? []) io.err(line);
    return result.exitCode;
  } catch (error) {
    if (error instanceof QuantbotError) {
      reportError(io, json, error.code, error.message);
      return error.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    reportError(io, json, 'INTERNAL', error instanceof Error ? (error.stack ?? error.message) : String(error));
    return 1;
  }
}

function actionHelp(action: ResearchAction): string {
  const flags = [...action.flags, ...COMMON_FLAGS];
  return `usage: promotion-gate ${action.name} [flags]\n\n${action.summary}\n\nflags:\n${formatFlagHelp(flags)}${action.help === '' ? '' : `\n\n${action.help}`}`;
}

function reportError(io: CliIo, json: boolean, code: string, message: string): void {
  io.err(json ? JSON.stringify({ error: { code, message } }) : `error: ${message}`);
}

if (require.main === module) {
  // A stdout closed by its reader (`| head`) is noted on stderr, not a crash (see processIo).
  const { io, exitCode } = processIo('promotion-gate', { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
  void main(process.argv.slice(2), io, process.env).then((code) => {
    process.exitCode = exitCode(code);
  });
}
