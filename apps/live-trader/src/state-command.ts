import { ConfigError } from '@quantbot/core';
import { CheckpointError, LiveStateError, parseLiveCheckpoint } from '@quantbot/live';
import type { LiveStateStoreHandle } from '@quantbot/live';
import type { Logger } from '@quantbot/observability';
import { StorageError } from '@quantbot/storage';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { openStateStore } from './state-store-flags';

export const STATE_FLAGS: readonly FlagSpec[] = [
  { name: 'session', kind: 'string', valueName: 'id', description: 'the session (required)' },
  { name: 'checkpoint', kind: 'number', valueName: 'seq', description: 'accept: the checkpoint to trade on (its seq, as inspect lists it)' },
  { name: 'by', kind: 'string', valueName: 'name', description: 'accept, reset: who acts (required; audited)' },
  { name: 'reason', kind: 'string', valueName: 'text', description: 'accept, reset: why (required; audited)' },
  { name: 'state-dir', kind: 'string', valueName: 'dir', description: 'embedded state database directory (default .quantbot/live; DATABASE_URL selects a server)' },
  { name: 'state-schema', kind: 'string', valueName: 'name', description: 'Postgres schema of the state (default quantbot_live)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: live-trader state <inspect|accept|reset|verify-audit> --session <id> [flags]

  inspect       the session's refusal (if any), every checkpoint with its integrity check
                (verified, MISMATCH: edited after saving, missing: saved before hashes), whether
                it reads as a checkpoint, why it was set aside, and the audit chain's verdict
  accept        trade on checkpoint --checkpoint <seq>: it must not be set aside, must read as a
                checkpoint of the session and must not fail its hash (one saved before hashes is
                stamped: you vouch for it); every newer checkpoint is set aside and the refusal
                lifted. The next run resumes from it (and reconciles with the broker).
  reset         set every checkpoint aside and lift the refusal: the next run starts from the
                broker's books (--broker sim: from --cash)
  verify-audit  check the session's audit chain (hashes, links and the anchors kept with the
                session and in every checkpoint)

accept and reset need --by and --reason; both are written to the session's audit journal (in the
database, hash-chained) and to results/logs/live-trader.log. They refuse while a trader runs the
session. The state is found as 'live-trader run' finds it (--state-dir, or DATABASE_URL and
--state-schema).

flags:
${formatFlagHelp(STATE_FLAGS)}

exit codes: 0 done (verify-audit: the chain is intact), 1 failure (verify-audit: the chain is
broken, the first bad row named, as backtester verify-audit), 2 usage error, 3 refused (the
checkpoint cannot be accepted, or a trader holds the session).`;

/** Dependencies of {@link stateCommand}. */
export interface StateDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Wall clock (epoch ms): stamps operator actions. */
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * `live-trader state <action>`: inspects a session's saved state and lets an operator lift a
 * refusal (`accept` a checkpoint or `reset` to the broker's books), audited; `verify-audit`
 * checks the database audit chain. Returns the exit code (see the usage text).
 */
export async function stateCommand(argv: readonly string[], io: CliIo, deps: StateDeps): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === 'help') {
    io.out(USAGE);
    return action === undefined ? 2 : 0;
  }
  if (action !== 'inspect' && action !== 'accept' && action !== 'reset' && action !== 'verify-audit') {
    throw new ConfigError('state', `unknown action '${action}'; expected inspect, accept, reset or verify-audit`);
  }
  const flags = parseFlags(rest, STATE_FLAGS);
  if (flags['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  const session = requiredText(flags, 'session');
  const operator = action === 'accept' || action === 'reset' ? { by: requiredText(flags, 'by'), reason: requiredText(flags, 'reason') } : undefined;
  const checkpointSeq = action === 'accept' ? requiredSeq(flags) : undefined;

  let opened: LiveStateStoreHandle;
  try {
    opened = await openStateStore(flags, deps.env, io.cwd);
  } catch (error) {
    if (error instanceof StorageError && error.code === 'STORAGE_LOCKED') {
      io.err(`refused: a trader (or another command) has the state open: ${error.message}`);
      return 3;
    }
    throw error;
  }
  const { store } = opened;
  try {
    switch (action) {
      case 'inspect':
        await inspect(opened, session, io);
        return 0;
      case 'verify-audit': {
        const verdict = await store.verifyAudit(session);
        if (verdict.ok) {
          io.out(`ok: session ${session}: ${verdict.rows} audit row(s), hash chain intact and matching its anchors`);
          return 0;
        }
        const problem = verdict.problem;
        io.err(`error: session ${session}: ${problem?.kind ?? 'invalid'}${problem?.row === null || problem?.row === undefined ? '' : ` at audit row ${problem.row}`}: ${problem?.message ?? ''}`);
        deps.logger.error('audit chain broken', { session, problem: problem ?? null });
        return 1;
      }
      case 'accept':
      case 'reset': {
        const who = operator as { readonly by: string; readonly reason: string };
        try {
          await opened.lockSession(session);
        } catch (error) {
          if (error instanceof LiveStateError && error.code === 'LIVE_SESSION_LOCKED') {
            io.err(`refused: ${error.message}`);
            return 3;
          }
          throw error;
        }
        const before = await store.refusal(session);
        try {
          if (action === 'accept') await store.accept(session, checkpointSeq as number, who, deps.now());
          else await store.reset(session, who, deps.now());
        } catch (error) {
          if (error instanceof LiveStateError && (error.code === 'LIVE_STATE_INVALID' || error.code === 'LIVE_STATE_NOT_FOUND')) {
            io.err(`refused: ${error.message}`);
            deps.logger.warn(`state ${action} refused`, { session, by: who.by, reason: who.reason, error: error.message });
            return 3;
          }
          throw error;
        }
        const detail = { session, by: who.by, reason: who.reason, ...(checkpointSeq !== undefined ? { checkpointSeq } : {}), liftedRefusal: before?.reason ?? null };
        deps.logger.info(`state ${action}`, detail);
        io.out(
          action === 'accept'
            ? `accepted checkpoint ${checkpointSeq as number} of session ${session} (by ${who.by}: ${who.reason}); newer checkpoints are set aside${before !== undefined ? '; the refusal is lifted' : ''}. The next run resumes from it after reconciling with the broker.`
            : `reset session ${session} (by ${who.by}: ${who.reason}): every checkpoint is set aside${before !== undefined ? ', the refusal is lifted' : ''}; the next run starts from the broker's books.`,
        );
        return 0;
      }
    }
  } finally {
    await opened.close();
  }
}

async function inspect(opened: LiveStateStoreHandle, session: string, io: CliIo): Promise<void> {
  const { store } = opened;
  const refusal = await store.refusal(session);
  io.out(`session ${session} (${opened.describe()})`);
  io.out(
    refusal === undefined
      ? 'status: may trade (no refusal)'
      : `status: REFUSED since ${new Date(refusal.at).toISOString()} (checkpoint ${refusal.checkpointSeq}): ${refusal.reason}`,
  );
  const checkpoints = await store.checkpoints(session);
  io.out(checkpoints.length === 0 ? 'checkpoints: none' : 'checkpoints (newest first):');
  for (const checkpoint of checkpoints) {
    let readable = 'reads as a checkpoint';
    try {
      const parsed = parseLiveCheckpoint(checkpoint.document);
      if (parsed.sessionId !== session) readable = `belongs to session ${JSON.stringify(parsed.sessionId)}`;
      else readable = `v${parsed.version}, cash ${parsed.ledger.cash}, ${parsed.ledger.positions.filter((p) => p.qty !== 0).length} open position(s)`;
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      readable = `UNREADABLE: ${error.message}`;
    }
    const integrity = checkpoint.integrity === 'verified' ? 'verified' : checkpoint.integrity === 'mismatch' ? 'MISMATCH (edited after saving)' : 'missing (saved before hashes)';
    io.out(
      `  ${checkpoint.seq}: bar ${new Date(checkpoint.lastBarTime).toISOString()}, saved ${new Date(checkpoint.savedAt).toISOString()}, integrity ${integrity}, ${readable}` +
        (checkpoint.setAside === null ? '' : `; set aside ${new Date(checkpoint.setAside.at).toISOString()}: ${checkpoint.setAside.reason}`),
    );
  }
  const verdict = await store.verifyAudit(session);
  io.out(verdict.ok ? `audit: ${verdict.rows} row(s), chain intact` : `audit: BROKEN: ${verdict.problem?.message ?? ''}`);
}

function requiredText(flags: Readonly<Record<string, string | number | boolean>>, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`--${name}`, 'required');
  return value;
}

function requiredSeq(flags: Readonly<Record<string, string | number | boolean>>): number {
  const value = flags['checkpoint'];
  if (value === undefined) throw new ConfigError('--checkpoint', "required: the seq of the checkpoint to trade on ('state inspect' lists them)");
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new ConfigError('--checkpoint', `must be a positive whole number, got ${String(value)}`);
  return value;
}
