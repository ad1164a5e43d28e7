import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { ConfigError } from '@quantbot/core';
import { TRADING_DAY_START_AUDIT_KIND, readTradingDayJournal, tradingDayJournalDigest } from '@quantbot/live';
import type { LiveStateStoreHandle } from '@quantbot/live';
import type { TradingDayRecord } from '@quantbot/research-registry';
import { StorageError } from '@quantbot/storage';
import { openStateStore } from './state-store-flags';
import { withRegistryAt } from './trading-days';

export const DAYS_FLAGS: readonly FlagSpec[] = [
  { name: 'session', kind: 'string', valueName: 'id', description: 'the session (required)' },
  { name: 'experiment', kind: 'string', valueName: 'id', description: 'compare with the days the registry holds for this experiment and session' },
  { name: 'json', kind: 'boolean', description: 'print one JSON object instead of text' },
  { name: 'state-dir', kind: 'string', valueName: 'dir', description: 'embedded state database directory (default .quantbot/live; DATABASE_URL selects a server)' },
  { name: 'state-schema', kind: 'string', valueName: 'name', description: 'Postgres schema of the state (default quantbot_live)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: live-trader days --session <id> [--experiment <id>] [--json] [flags]

The New York days a session traded, from its journal, each with the digest of that day's journal
(its orders, fills and audit entries) as the trader computes it when it records the day. With
--experiment, each day is compared with the day the research registry holds for the experiment
and the session: 'match' when the digests agree; 'MISMATCH' when the journal changed after the day
was recorded (or the record was not made from it); 'not recorded' when the registry has no such
day (a day not traded live, or whose recording failed: the trader said why); 'NO JOURNAL' for a
recorded day this journal does not hold. The state is found as 'live-trader run' finds it; the
registry as the promotion gate finds it (DATABASE_URL and QUANTBOT_DB_SCHEMA, else the embedded
default). The embedded database admits one process: not while a trader runs on it.

flags:
${formatFlagHelp(DAYS_FLAGS)}

exit codes: 0 shown (and every recorded day matches), 1 a MISMATCH or NO JOURNAL, or no journal
for the session, 2 usage error, 3 a trader has the embedded database open.`;

/** One day of `live-trader days --json`. */
export interface SessionDay {
  readonly date: string;
  /** The digest of the day's journal as the state store holds it now; null for a recorded day it does not hold. */
  readonly digest: string | null;
  readonly recorded: { readonly id: string; readonly stage: string; readonly complete: boolean; readonly digest: string; readonly revision: number } | null;
  /** Without --experiment: `journal`. */
  readonly status: 'match' | 'mismatch' | 'not-recorded' | 'no-journal' | 'journal';
}

/** `live-trader days`: a session's days with their journal digests, re-checked against the registry. */
export async function daysCommand(argv: readonly string[], io: CliIo, deps: { readonly env: Readonly<Record<string, string | undefined>>; readonly now: () => number }): Promise<number> {
  const flags = parseFlags(argv, DAYS_FLAGS);
  if (flags['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  const session = flags['session'];
  if (typeof session !== 'string' || session.trim() === '') throw new ConfigError('--session', "required ('live-trader days --session <id>')");
  const experiment = typeof flags['experiment'] === 'string' ? flags['experiment'].trim() : undefined;
  if (experiment === '') throw new ConfigError('--experiment', 'is empty');

  let opened: LiveStateStoreHandle;
  try {
    opened = await openStateStore(flags, deps.env, io.cwd);
  } catch (error) {
    if (error instanceof StorageError && error.code === 'STORAGE_LOCKED') {
      io.err(`refused: a trader (or another command) has the embedded state open: ${error.message}`);
      return 3;
    }
    throw error;
  }
  const journal = new Map<string, string>();
  try {
    const dates = new Set<string>();
    for (const entry of await opened.store.audit(session)) {
      if (entry.kind === TRADING_DAY_START_AUDIT_KIND && typeof entry.detail['date'] === 'string') dates.add(entry.detail['date']);
    }
    for (const date of [...dates].sort()) journal.set(date, tradingDayJournalDigest(await readTradingDayJournal(opened.store, session, date)));
  } finally {
    await opened.close();
  }
  const recorded = new Map<string, TradingDayRecord>();
  if (experiment !== undefined) {
    const days = await withRegistryAt(deps.env, io.cwd, deps.now, (registry) => registry.listTradingDays(experiment));
    for (const day of days) if (day.sessionId === session) recorded.set(`${day.date}`, day);
  }
  const rows: SessionDay[] = [...new Set([...journal.keys(), ...recorded.keys()])].sort().map((date) => {
    const digest = journal.get(date) ?? null;
    const record = recorded.get(date);
    const summary = record === undefined ? null : { id: record.id, stage: record.stage, complete: record.complete, digest: record.journalDigest, revision: record.revision };
    const status: SessionDay['status'] =
      experiment === undefined ? 'journal' : record === undefined ? 'not-recorded' : digest === null ? 'no-journal' : digest === record.journalDigest ? 'match' : 'mismatch';
    return { date, digest, recorded: summary, status };
  });
  const bad = rows.filter((r) => r.status === 'mismatch' || r.status === 'no-journal');
  if (flags['json'] === true) {
    io.out(JSON.stringify({ session, experiment: experiment ?? null, days: rows, ok: bad.length === 0 }));
  } else {
    io.out(`session ${session}: ${journal.size} day(s) in its journal${experiment !== undefined ? `, ${recorded.size} recorded for ${experiment}` : ''}`);
    for (const row of rows) {
      const what = row.recorded === null ? '' : ` ${row.recorded.id} (${row.recorded.stage}, ${row.recorded.complete ? 'complete' : 'partial'})`;
      const status = { match: 'match', mismatch: 'MISMATCH', 'not-recorded': 'not recorded', 'no-journal': 'NO JOURNAL', journal: '' }[row.status];
      io.out(`${row.date}  ${row.digest === null ? '(no journal)' : `${row.digest.slice(0, 16)}…`}${what}  ${status}`.trimEnd());
    }
  }
  if (journal.size === 0 && recorded.size === 0) {
    io.err(`error: session ${session} has no trading days in its journal`);
    return 1;
  }
  for (const row of bad) {
    io.err(
      row.status === 'mismatch'
        ? `error: ${row.date}: the journal's digest ${row.digest?.slice(0, 16)}… differs from the recorded ${row.recorded?.digest.slice(0, 16)}… (${row.recorded?.id}): the journal changed after the day was recorded`
        : `error: ${row.date}: ${row.recorded?.id} is recorded for session ${session}, but its journal here holds no such day`,
    );
  }
  return bad.length === 0 ? 0 : 1;
}
