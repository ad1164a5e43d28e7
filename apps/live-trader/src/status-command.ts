import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { ConfigError } from '@quantbot/core';
import { CheckpointError, parseLiveCheckpoint } from '@quantbot/live';
import type { LiveAuditRecord, LiveCheckpoint, LiveStateStoreHandle, StoredCheckpoint } from '@quantbot/live';
import { StorageError } from '@quantbot/storage';
import { openStateStore } from './state-store-flags';

export const STATUS_FLAGS: readonly FlagSpec[] = [
  { name: 'session', kind: 'string', valueName: 'id', description: 'the session (required)' },
  { name: 'audit', kind: 'number', valueName: 'n', description: 'how many of the latest audit entries to show (default 5)' },
  { name: 'json', kind: 'boolean', description: 'print one JSON object instead of text' },
  { name: 'state-dir', kind: 'string', valueName: 'dir', description: 'embedded state database directory (default .quantbot/live; DATABASE_URL selects a server)' },
  { name: 'state-schema', kind: 'string', valueName: 'name', description: 'Postgres schema of the state (default quantbot_live)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: live-trader status --session <id> [--json] [flags]

A session at a glance, from the state its trader saved after its last bar: the last bar's time,
equity and cash, the day's P&L by the kill switch's reference, positions, working orders, the kill
switch's state and reason, the checkpoint's age, a standing refusal, and the latest audit entries.
The state is found as 'live-trader run' finds it (--state-dir, or DATABASE_URL and
--state-schema). The embedded database admits one process: while a trader runs on it, use the
trader's status lines or --metrics-port instead (a Postgres server can be read while it trades).

flags:
${formatFlagHelp(STATUS_FLAGS)}

exit codes: 0 shown, 1 no saved state for the session (the known sessions are listed) or an
unreadable checkpoint, 2 usage error, 3 a trader has the embedded database open.`;

/** Dependencies of {@link statusCommand}. */
export interface StatusDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Wall clock (epoch ms): the checkpoint's age. */
  readonly now: () => number;
}

/** What `live-trader status --json` prints. */
export interface SessionStatus {
  readonly session: string;
  readonly store: string;
  readonly lastBarTime: string;
  readonly checkpoint: { readonly seq: number; readonly savedAt: string; readonly ageMs: number; readonly integrity: string; readonly version: number };
  readonly equity: number;
  readonly cash: number;
  /** Equity at the kill switch's last observation minus the previous day's last equity (null when not known). */
  readonly dayPnl: number | null;
  readonly positions: readonly { readonly symbol: string; readonly qty: number; readonly averageCost: number; readonly mark: number | null }[];
  /** Null for a version 1 checkpoint, which does not record them. */
  readonly workingOrders: readonly { readonly clientOrderId: string; readonly symbol: string; readonly side: string; readonly type: string; readonly qty: number; readonly filledQty: number }[] | null;
  readonly killSwitch: { readonly state: string; readonly reason: string | null; readonly since: string | null };
  readonly refusal: { readonly reason: string; readonly at: string; readonly checkpointSeq: number } | null;
  readonly audit: { readonly total: number; readonly latest: readonly { readonly time: string; readonly kind: string; readonly detail: unknown }[] };
}

/**
 * `live-trader status --session <id> [--json]`: reads the session's latest checkpoint (not set
 * aside), its refusal and its audit journal, and prints them. Returns the exit code (see the usage).
 */
export async function statusCommand(argv: readonly string[], io: CliIo, deps: StatusDeps): Promise<number> {
  const flags = parseFlags(argv, STATUS_FLAGS);
  if (flags['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  const session = flags['session'];
  if (typeof session !== 'string' || session.trim() === '') throw new ConfigError('--session', "required ('live-trader status --session <id>')");
  const auditCount = flags['audit'] ?? 5;
  if (typeof auditCount !== 'number' || !Number.isSafeInteger(auditCount) || auditCount < 0) throw new ConfigError('--audit', `must be a whole number ≥ 0, got ${String(auditCount)}`);

  let opened: LiveStateStoreHandle;
  try {
    opened = await openStateStore(flags, deps.env, io.cwd);
  } catch (error) {
    if (error instanceof StorageError && error.code === 'STORAGE_LOCKED') {
      io.err(`refused: a trader (or another command) has the embedded state open: ${error.message}; watch the trader's status lines or its --metrics-port instead`);
      return 3;
    }
    throw error;
  }
  try {
    const { store } = opened;
    const stored = await store.latestCheckpoint(session);
    if (stored === undefined) {
      const setAside = (await store.checkpoints(session)).length;
      if (setAside > 0) {
        io.err(`error: session ${session} has no checkpoint to resume: all ${setAside} are set aside (reset or refused); see 'live-trader state inspect --session ${session}'`);
        return 1;
      }
      const known = await opened.store.sessionIds();
      io.err(`error: no saved state for session ${session} in ${opened.describe()}; ${known.length === 0 ? 'no session has saved state there' : `known sessions: ${known.join(', ')}`}`);
      return 1;
    }
    let checkpoint: LiveCheckpoint;
    try {
      checkpoint = parseLiveCheckpoint(stored.document);
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      io.err(`error: checkpoint ${stored.seq} of session ${session} is unreadable: ${error.message}; see 'live-trader state inspect --session ${session}'`);
      return 1;
    }
    const status = describe(session, opened.describe(), stored, checkpoint, await store.refusal(session), await store.audit(session), auditCount, deps.now());
    if (flags['json'] === true) io.out(JSON.stringify(status));
    else for (const line of formatStatus(status)) io.out(line);
    return 0;
  } finally {
    await opened.close();
  }
}

function describe(
  session: string,
  where: string,
  stored: StoredCheckpoint,
  checkpoint: LiveCheckpoint,
  refusal: { readonly reason: string; readonly at: number; readonly checkpointSeq: number } | undefined,
  audit: readonly LiveAuditRecord[],
  auditCount: number,
  now: number,
): SessionStatus {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const ledger = checkpoint.ledger;
  const open = ledger.positions.filter((p) => p.qty !== 0);
  // As the ledger computes it: cash plus the marked positions (an unmarked one at its cost).
  let value = 0;
  for (const p of open) value += p.qty * (p.mark ?? p.averageCost);
  const ks = checkpoint.version === 2 ? checkpoint.gateway.killSwitch : undefined;
  return {
    session,
    store: where,
    lastBarTime: iso(checkpoint.lastBarTime),
    checkpoint: { seq: stored.seq, savedAt: iso(stored.savedAt), ageMs: now - stored.savedAt, integrity: stored.integrity, version: checkpoint.version },
    equity: ledger.cash + value,
    cash: ledger.cash,
    dayPnl: ks !== undefined && ks.lastEquity !== null && ks.previousDayEquity !== null ? ks.lastEquity - ks.previousDayEquity : null,
    positions: open.map((p) => ({ symbol: p.symbol, qty: p.qty, averageCost: p.averageCost, mark: p.mark })),
    workingOrders:
      checkpoint.version === 2
        ? checkpoint.workingOrders.map((o) => ({ clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, qty: o.qty, filledQty: o.filledQty }))
        : null,
    killSwitch: { state: ks?.state ?? 'active', reason: ks?.reason ?? null, since: ks?.triggeredAt === null || ks?.triggeredAt === undefined ? null : iso(ks.triggeredAt) },
    refusal: refusal === undefined ? null : { reason: refusal.reason, at: iso(refusal.at), checkpointSeq: refusal.checkpointSeq },
    audit: { total: audit.length, latest: audit.slice(Math.max(0, audit.length - auditCount)).map((a) => ({ time: iso(a.time), kind: a.kind, detail: a.detail })) },
  };
}

/** A duration for people: `42s`, `5m 3s`, `2h 1m`, `3d 4h`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

function formatStatus(status: SessionStatus): string[] {
  const c = status.checkpoint;
  const ks = status.killSwitch;
  return [
    `session ${status.session} (${status.store})`,
    `last bar: ${status.lastBarTime}`,
    `checkpoint: ${c.seq} (v${c.version}), saved ${c.savedAt}, ${formatAge(c.ageMs)} ago, integrity ${c.integrity}`,
    `equity: ${status.equity.toFixed(2)}  cash: ${status.cash.toFixed(2)}  day P&L: ${status.dayPnl === null ? '-' : `${status.dayPnl >= 0 ? '+' : ''}${status.dayPnl.toFixed(2)}`}`,
    `positions: ${status.positions.length === 0 ? 'none' : status.positions.map((p) => `${p.symbol} ${p.qty} @ ${p.averageCost.toFixed(2)}`).join(', ')}`,
    `working orders: ${
      status.workingOrders === null
        ? 'not recorded (v1 checkpoint)'
        : status.workingOrders.length === 0
          ? 'none'
          : status.workingOrders.map((o) => `${o.clientOrderId} ${o.side} ${o.qty - o.filledQty} ${o.symbol} ${o.type}`).join(', ')
    }`,
    `kill switch: ${ks.state}${ks.state === 'active' ? '' : `${ks.since === null ? '' : ` since ${ks.since}`}: ${ks.reason ?? 'no reason recorded'}`}`,
    `refusal: ${status.refusal === null ? 'none' : `REFUSED since ${status.refusal.at} (checkpoint ${status.refusal.checkpointSeq}): ${status.refusal.reason}`}`,
    `audit: ${status.audit.total} entr${status.audit.total === 1 ? 'y' : 'ies'}${status.audit.latest.length === 0 ? '' : `, the latest ${status.audit.latest.length}:`}`,
    ...status.audit.latest.map((a) => `  ${a.time} ${a.kind} ${JSON.stringify(a.detail)}`),
  ];
}
