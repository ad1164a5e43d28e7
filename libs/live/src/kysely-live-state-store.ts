import { ConfigError } from '@quantbot/core';
import type { DatabaseKind, Migration, OpenDatabaseOptions } from '@quantbot/storage';
import { STORAGE_MIGRATIONS, openDatabase, redactDatabaseUrl, withTransaction } from '@quantbot/storage';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type {
  ListedCheckpoint,
  LiveAuditRecord,
  LiveFillRecord,
  LiveOperatorAction,
  LiveJournalWindow,
  LiveOrderRecord,
  LiveRefusal,
  LiveRefusalRequest,
  LiveSaveBatch,
  LiveStateOperation,
  LiveStateStore,
  SetAsideCheckpoint,
  StoredCheckpoint,
} from './live-state';
import { LiveStateError, checkLiveOperatorAction, checkLiveSave, checkLiveSessionId, checkLiveSetAside } from './live-state';
import { acceptProblem, refusalDetail } from './live-operator-checks';
import type { LiveAuditAnchor, LiveAuditVerification, StoredLiveAuditLink } from './live-state-integrity';
import { EMPTY_AUDIT_ANCHOR, chainLiveAudit, checkLiveCheckpointIntegrity, hashLiveCheckpoint, verifyLiveAuditChain } from './live-state-integrity';
import type { LiveCheckpointsTable, LiveStateTables } from './live-state-schema';
import { LIVE_STATE_MIGRATIONS } from './live-state-schema';
import type { IncidentTables } from './incident-schema';
import { INCIDENT_MIGRATIONS } from './incident-schema';
import { KyselyIncidentStore } from './kysely-incident-store';

type Db = Kysely<LiveStateTables> | Transaction<LiveStateTables>;

/**
 * Rows per insert statement: far below Postgres's 65 535 parameters per statement for the widest
 * table (`live_orders`, 16 columns), so a batch of any size is written.
 */
const ROWS_PER_INSERT = 1000;

/**
 * The {@link LiveStateStore} on the one Quantbot database (`@quantbot/storage`: embedded PGlite
 * or a Postgres server), in the tables of `LIVE_STATE_MIGRATIONS`. Open the database with those
 * migrations (or use {@link openLiveStateStore}).
 *
 * `save` writes the checkpoint row, upserts the orders, inserts the fills (a fill key already
 * stored is skipped: `on conflict do nothing`) and appends the audit entries in one transaction.
 * `setAside` only marks a checkpoint; nothing here deletes or rewrites a document.
 *
 * @example
 * const storage = await openDatabase<LiveStateTables>({ migrations: [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS] });
 * const store = new KyselyLiveStateStore(storage.db);
 * await store.save('paper-1', batch, clock.now());
 * const resumeFrom = await store.latestCheckpoint('paper-1');
 */
export class KyselyLiveStateStore implements LiveStateStore {
  readonly #db: Kysely<LiveStateTables>;

  constructor(db: Kysely<LiveStateTables>) {
    this.#db = db;
  }

  async save(sessionId: string, batch: LiveSaveBatch, savedAt: number): Promise<void> {
    checkLiveSave(sessionId, batch, savedAt);
    // Written once each, as the memory store keeps them: the last version of an order, the first of a fill.
    const orders = [...lastByKey(batch.orders, (order) => order.clientOrderId).values()];
    const fills = [...firstByKey(batch.fills, (fill) => fill.fillKey).values()];
    await this.#attempt(sessionId, 'save', () =>
      withTransaction(this.#db, async (trx) => {
        const anchor = await lockAnchor(trx, sessionId);
        const { links, anchor: next } = chainLiveAudit(batch.audit, anchor);
        const integrity = hashLiveCheckpoint({ sessionId, savedAt, lastBarTime: batch.lastBarTime, document: batch.checkpoint, audit: next });
        const { seq } = await trx
          .insertInto('live_checkpoints')
          .values({
            session_id: sessionId,
            saved_at: isoTime(savedAt),
            last_bar_time: isoTime(batch.lastBarTime),
            document: JSON.stringify(batch.checkpoint),
            integrity_hash: integrity,
            audit_count: String(next.count),
            audit_head: next.head,
          })
          .returning('seq')
          .executeTakeFirstOrThrow();
        for (const chunk of chunks(orders)) {
          await trx
            .insertInto('live_orders')
            .values(
              chunk.map((order) => ({
                session_id: sessionId,
                client_order_id: order.clientOrderId,
                checkpoint_seq: seq,
                symbol: order.symbol,
                side: order.side,
                type: order.type,
                qty: order.qty,
                filled_qty: order.filledQty,
                status: order.status,
                decided_at: isoTime(order.decidedAt),
                updated_at: isoTime(order.updatedAt),
                reason: order.reason,
                decision_price: order.decisionPrice,
                limit_price: order.limitPrice,
                stop_price: order.stopPrice,
                time_in_force: order.timeInForce,
              })),
            )
            .onConflict((conflict) =>
              conflict.columns(['session_id', 'client_order_id']).doUpdateSet((eb) => ({
                checkpoint_seq: eb.ref('excluded.checkpoint_seq'),
                symbol: eb.ref('excluded.symbol'),
                side: eb.ref('excluded.side'),
                type: eb.ref('excluded.type'),
                qty: eb.ref('excluded.qty'),
                filled_qty: eb.ref('excluded.filled_qty'),
                status: eb.ref('excluded.status'),
                decided_at: eb.ref('excluded.decided_at'),
                updated_at: eb.ref('excluded.updated_at'),
                reason: eb.ref('excluded.reason'),
                decision_price: eb.ref('excluded.decision_price'),
                limit_price: eb.ref('excluded.limit_price'),
                stop_price: eb.ref('excluded.stop_price'),
                time_in_force: eb.ref('excluded.time_in_force'),
              })),
            )
            .execute();
        }
        for (const chunk of chunks(fills)) {
          await trx
            .insertInto('live_fills')
            .values(
              chunk.map((fill) => ({
                session_id: sessionId,
                fill_key: fill.fillKey,
                checkpoint_seq: seq,
                client_order_id: fill.clientOrderId,
                symbol: fill.symbol,
                side: fill.side,
                qty: fill.qty,
                price: fill.price,
                commission: fill.commission,
                time: isoTime(fill.time),
                recovered: fill.recovered,
              })),
            )
            .onConflict((conflict) => conflict.columns(['session_id', 'fill_key']).doNothing())
            .execute();
        }
        await appendAudit(trx, sessionId, seq, links, next);
      }),
    );
  }

  async latestCheckpoint(sessionId: string): Promise<StoredCheckpoint | undefined> {
    checkLiveSessionId(sessionId, 'latestCheckpoint');
    const row = await this.#attempt(sessionId, 'latestCheckpoint', () =>
      this.#db
        .selectFrom('live_checkpoints')
        .selectAll()
        .where('session_id', '=', sessionId)
        .where('set_aside_at', 'is', null)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst(),
    );
    return row === undefined ? undefined : toStoredCheckpoint(row);
  }

  async checkpoints(sessionId: string): Promise<readonly ListedCheckpoint[]> {
    checkLiveSessionId(sessionId, 'checkpoints');
    const rows = await this.#attempt(sessionId, 'checkpoints', () =>
      this.#db.selectFrom('live_checkpoints').selectAll().where('session_id', '=', sessionId).orderBy('seq', 'desc').execute(),
    );
    return Object.freeze(
      rows.map(
        (row): ListedCheckpoint =>
          Object.freeze({
            ...toStoredCheckpoint(row),
            setAside: row.set_aside_reason === null || row.set_aside_at === null ? null : Object.freeze({ reason: row.set_aside_reason, at: row.set_aside_at.getTime() }),
          }),
      ),
    );
  }

  async refusal(sessionId: string): Promise<LiveRefusal | undefined> {
    checkLiveSessionId(sessionId, 'refusal');
    const row = await this.#attempt(sessionId, 'refusal', () =>
      this.#db.selectFrom('live_sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst(),
    );
    return row === undefined ? undefined : toRefusal(row);
  }

  async refuse(sessionId: string, request: LiveRefusalRequest, at: number): Promise<LiveRefusal> {
    checkLiveSetAside(sessionId, request.checkpointSeq, request.reason, at);
    return this.#attempt(sessionId, 'refuse', () =>
      withTransaction(this.#db, async (trx) => {
        const anchor = await lockAnchor(trx, sessionId);
        const standing = toRefusal(await trx.selectFrom('live_sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirstOrThrow());
        if (standing !== undefined) return standing;
        const row = await checkpointRow(trx, sessionId, request.checkpointSeq, 'refuse');
        if (request.setAside && row.set_aside_at === null) {
          await trx
            .updateTable('live_checkpoints')
            .set({ set_aside_reason: request.reason, set_aside_at: isoTime(at) })
            .where('session_id', '=', sessionId)
            .where('seq', '=', row.seq)
            .execute();
        }
        const { links, anchor: next } = chainLiveAudit([{ time: at, kind: 'state-refused', detail: { checkpointSeq: request.checkpointSeq, reason: request.reason, setAside: request.setAside } }], anchor);
        await appendAudit(trx, sessionId, row.seq, links, next);
        await trx
          .updateTable('live_sessions')
          .set({ refused_checkpoint_seq: row.seq, refused_reason: request.reason, refused_at: isoTime(at) })
          .where('session_id', '=', sessionId)
          .execute();
        return Object.freeze({ checkpointSeq: request.checkpointSeq, reason: request.reason, at });
      }),
    );
  }

  async accept(sessionId: string, checkpointSeq: number, action: LiveOperatorAction, at: number): Promise<void> {
    checkLiveOperatorAction(sessionId, action, 'accept');
    checkLiveSetAside(sessionId, checkpointSeq, action.reason, at);
    await this.#attempt(sessionId, 'accept', () =>
      withTransaction(this.#db, async (trx) => {
        const anchor = await lockAnchor(trx, sessionId);
        const row = await checkpointRow(trx, sessionId, checkpointSeq, 'accept');
        const stored = toStoredCheckpoint(row);
        const problem = acceptProblem(sessionId, stored, row.set_aside_reason);
        if (problem !== undefined) throw new LiveStateError('LIVE_STATE_INVALID', sessionId, 'accept', `checkpoint ${checkpointSeq} cannot be accepted: ${problem}`);
        if (stored.integrity === 'missing') {
          // Saved before checkpoints carried a hash: the operator vouches for it, so it is stamped now.
          await trx
            .updateTable('live_checkpoints')
            .set({
              integrity_hash: hashLiveCheckpoint({ sessionId, savedAt: stored.savedAt, lastBarTime: stored.lastBarTime, document: stored.document, audit: anchor }),
              audit_count: String(anchor.count),
              audit_head: anchor.head,
            })
            .where('session_id', '=', sessionId)
            .where('seq', '=', row.seq)
            .execute();
        }
        const superseded = await setAsideAll(trx, sessionId, `superseded: ${action.by} accepted checkpoint ${checkpointSeq}: ${action.reason}`, at, row.seq);
        const previous = toRefusal(await trx.selectFrom('live_sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirstOrThrow());
        const detail = { checkpointSeq, by: action.by, reason: action.reason, stamped: stored.integrity === 'missing', supersededSeqs: superseded, refusal: refusalDetail(previous) };
        const { links, anchor: next } = chainLiveAudit([{ time: at, kind: 'operator-accept', detail }], anchor);
        await appendAudit(trx, sessionId, row.seq, links, next);
        await clearRefusal(trx, sessionId);
      }),
    );
  }

  async reset(sessionId: string, action: LiveOperatorAction, at: number): Promise<void> {
    checkLiveOperatorAction(sessionId, action, 'reset');
    checkLiveSetAside(sessionId, 1, action.reason, at);
    await this.#attempt(sessionId, 'reset', () =>
      withTransaction(this.#db, async (trx) => {
        const anchor = await lockAnchor(trx, sessionId);
        const newest = await trx.selectFrom('live_checkpoints').select('seq').where('session_id', '=', sessionId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
        if (newest === undefined) throw new LiveStateError('LIVE_STATE_NOT_FOUND', sessionId, 'reset', 'the session has no checkpoint: there is nothing to reset');
        const setAside = await setAsideAll(trx, sessionId, `reset by ${action.by}: ${action.reason}`, at, undefined);
        const previous = toRefusal(await trx.selectFrom('live_sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirstOrThrow());
        const detail = { by: action.by, reason: action.reason, setAsideSeqs: setAside, refusal: refusalDetail(previous) };
        const { links, anchor: next } = chainLiveAudit([{ time: at, kind: 'operator-reset', detail }], anchor);
        await appendAudit(trx, sessionId, newest.seq, links, next);
        await clearRefusal(trx, sessionId);
      }),
    );
  }

  async verifyAudit(sessionId: string): Promise<LiveAuditVerification> {
    checkLiveSessionId(sessionId, 'verifyAudit');
    return this.#attempt(sessionId, 'verifyAudit', () =>
      withTransaction(this.#db, async (trx) => {
        const rows = await trx
          .selectFrom('live_audit')
          .select(['seq', 'chain_seq', 'time', 'kind', 'detail', 'prev_hash', 'hash'])
          .where('session_id', '=', sessionId)
          .orderBy('seq')
          .execute();
        const session = await trx.selectFrom('live_sessions').select(['audit_count', 'audit_head']).where('session_id', '=', sessionId).executeTakeFirst();
        const checkpoints = await trx.selectFrom('live_checkpoints').selectAll().where('session_id', '=', sessionId).orderBy('seq', 'desc').execute();
        const links = rows.map(
          (row): StoredLiveAuditLink => ({
            rowSeq: toSeq(row.seq),
            chainSeq: row.chain_seq === null ? null : toSeq(row.chain_seq),
            time: row.time.getTime(),
            kind: row.kind,
            detail: row.detail as LiveAuditRecord['detail'],
            prev: row.prev_hash,
            hash: row.hash,
          }),
        );
        return verifyLiveAuditChain(
          links,
          session === undefined ? null : { count: toSeq(session.audit_count), head: session.audit_head },
          checkpoints.map((row) => ({ seq: toSeq(row.seq), integrity: toStoredCheckpoint(row).integrity, audit: checkpointAnchor(row) })),
        );
      }),
    );
  }

  async setAside(sessionId: string, seq: number, reason: string, at: number): Promise<void> {
    checkLiveSetAside(sessionId, seq, reason, at);
    const found = await this.#attempt(sessionId, 'setAside', () =>
      withTransaction(this.#db, async (trx) => {
        const existing = await trx
          .selectFrom('live_checkpoints')
          .select('set_aside_at')
          .where('session_id', '=', sessionId)
          .where('seq', '=', String(seq))
          .forUpdate()
          .executeTakeFirst();
        // Already set aside: its first reason and time stay.
        if (existing === undefined || existing.set_aside_at !== null) return existing !== undefined;
        await trx
          .updateTable('live_checkpoints')
          .set({ set_aside_reason: reason, set_aside_at: isoTime(at) })
          .where('session_id', '=', sessionId)
          .where('seq', '=', String(seq))
          .execute();
        return true;
      }),
    );
    if (!found) throw new LiveStateError('LIVE_STATE_NOT_FOUND', sessionId, 'setAside', `the session has no checkpoint ${seq}`);
  }

  async setAsideCheckpoints(sessionId: string): Promise<readonly SetAsideCheckpoint[]> {
    checkLiveSessionId(sessionId, 'setAsideCheckpoints');
    const rows = await this.#attempt(sessionId, 'setAsideCheckpoints', () =>
      this.#db
        .selectFrom('live_checkpoints')
        .selectAll()
        .where('session_id', '=', sessionId)
        .where('set_aside_at', 'is not', null)
        .orderBy('seq', 'desc')
        .execute(),
    );
    return Object.freeze(
      rows.map((row): SetAsideCheckpoint => {
        if (row.set_aside_reason === null || row.set_aside_at === null) throw new Error('unreachable: the query selects set-aside rows only');
        return Object.freeze({ ...toStoredCheckpoint(row), reason: row.set_aside_reason, setAsideAt: row.set_aside_at.getTime() });
      }),
    );
  }

  async orders(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveOrderRecord[]> {
    checkLiveSessionId(sessionId, 'orders');
    const rows = await this.#attempt(sessionId, 'orders', () =>
      withExactDoubles(this.#db, (trx) => {
        let query = trx.selectFrom('live_orders').selectAll().where('session_id', '=', sessionId);
        if (window !== undefined) query = query.where('decided_at', '>=', new Date(window.fromMs)).where('decided_at', '<', new Date(window.toMs));
        return query.orderBy('seq').execute();
      }),
    );
    return Object.freeze(
      rows.map(
        (row): LiveOrderRecord =>
          Object.freeze({
            clientOrderId: row.client_order_id,
            symbol: row.symbol,
            side: toSide(row.side),
            type: row.type,
            qty: row.qty,
            filledQty: row.filled_qty,
            status: row.status,
            decidedAt: row.decided_at.getTime(),
            updatedAt: row.updated_at.getTime(),
            reason: row.reason,
            decisionPrice: row.decision_price,
            limitPrice: row.limit_price,
            stopPrice: row.stop_price,
            timeInForce: toTimeInForce(row.time_in_force),
          }),
      ),
    );
  }

  async fills(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveFillRecord[]> {
    checkLiveSessionId(sessionId, 'fills');
    const rows = await this.#attempt(sessionId, 'fills', () =>
      withExactDoubles(this.#db, (trx) => {
        let query = trx.selectFrom('live_fills').selectAll().where('session_id', '=', sessionId);
        if (window !== undefined) query = query.where('time', '>=', new Date(window.fromMs)).where('time', '<', new Date(window.toMs));
        return query.orderBy('seq').execute();
      }),
    );
    return Object.freeze(
      rows.map(
        (row): LiveFillRecord =>
          Object.freeze({
            fillKey: row.fill_key,
            clientOrderId: row.client_order_id,
            symbol: row.symbol,
            side: toSide(row.side),
            qty: row.qty,
            price: row.price,
            commission: row.commission,
            time: row.time.getTime(),
            recovered: row.recovered,
          }),
      ),
    );
  }

  async audit(sessionId: string, window?: LiveJournalWindow): Promise<readonly LiveAuditRecord[]> {
    checkLiveSessionId(sessionId, 'audit');
    const rows = await this.#attempt(sessionId, 'audit', () => {
      let query = this.#db.selectFrom('live_audit').select(['time', 'kind', 'detail']).where('session_id', '=', sessionId);
      if (window !== undefined) query = query.where('time', '>=', new Date(window.fromMs)).where('time', '<', new Date(window.toMs));
      return query.orderBy('seq').execute();
    });
    return Object.freeze(
      rows.map(
        (row): LiveAuditRecord =>
          Object.freeze({ time: row.time.getTime(), kind: row.kind, detail: row.detail as LiveAuditRecord['detail'] }),
      ),
    );
  }

  /**
   * The ids of every session with a checkpoint in this store (set aside or not), sorted. Not part
   * of {@link LiveStateStore}: for an operator asking which sessions exist.
   */
  async sessionIds(): Promise<readonly string[]> {
    const rows = await this.#attempt('*', 'checkpoints', () => this.#db.selectFrom('live_checkpoints').select('session_id').distinct().orderBy('session_id').execute());
    return Object.freeze(rows.map((row) => row.session_id));
  }

  /** Runs a database call, turning what it throws into a `LIVE_STATE_FAILED` naming the session and operation. */
  async #attempt<T>(sessionId: string, operation: LiveStateOperation, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof LiveStateError) throw error;
      const { text, redacted } = describeFailure(error);
      // A cause whose message had to be redacted could still show the password: it is left off.
      throw new LiveStateError('LIVE_STATE_FAILED', sessionId, operation, `the database failed: ${text}`, redacted ? undefined : { cause: error });
    }
  }
}

/** Options of {@link openLiveStateStore}: where the database is, as for `openDatabase`. */
export interface OpenLiveStateStoreOptions extends OpenDatabaseOptions {
  /**
   * The program's complete migration list, when it keeps more than live state in the database
   * (every program opening it must pass the same list). It must hold `STORAGE_MIGRATIONS`,
   * {@link LIVE_STATE_MIGRATIONS} and `INCIDENT_MIGRATIONS`. Defaults to
   * `[...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...INCIDENT_MIGRATIONS]`.
   */
  readonly migrations?: readonly Migration[];
}

/** A session held by this process (see {@link LiveStateStoreHandle.lockSession}). */
export interface LiveSessionLock {
  /** Releases the session; calling it again does nothing. */
  release(): Promise<void>;
}

/** A live state store with the database it opened. */
export interface LiveStateStoreHandle {
  readonly store: KyselyLiveStateStore;
  /** The incidents, in the same database (see `IncidentDesk`). */
  readonly incidents: KyselyIncidentStore;
  readonly kind: DatabaseKind;
  /**
   * Makes this process the one trader of `sessionId`, or throws a {@link LiveStateError}
   * `LIVE_SESSION_LOCKED` when another process holds it. On a server: a session-level Postgres
   * advisory lock keyed by the schema and the session, held on a connection of its own for as long
   * as the lock is held; the server releases it when that connection ends, so a process that dies
   * (even by SIGKILL) never blocks its restart. Embedded: the data directory's lock file already
   * admits one process, so this holds nothing more. `close()` releases what is still held.
   */
  lockSession(sessionId: string): Promise<LiveSessionLock>;
  /** Where the data lives, for people, never with a password (see `DatabaseHandle.describe`). */
  describe(): string;
  /** Closes the database; calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * Opens (and migrates) the Quantbot database and returns a {@link KyselyLiveStateStore} on it.
 * Which database: as `openDatabase` decides (`url`, `dataDir`, env `DATABASE_URL`,
 * `QUANTBOT_DATA_DIR`, else `<cwd>/.quantbot/db`). Throws what `openDatabase` throws (a
 * `StorageError` naming host:port or the data directory, never a password), and a `ConfigError`
 * when `migrations` lacks {@link LIVE_STATE_MIGRATIONS} or `INCIDENT_MIGRATIONS`.
 *
 * @example
 * const live = await openLiveStateStore({ dataDir: 'var/live' });
 * try {
 *   const checkpoint = await live.store.latestCheckpoint('paper-1');
 * } finally {
 *   await live.close();
 * }
 */
export async function openLiveStateStore(options: OpenLiveStateStoreOptions = {}): Promise<LiveStateStoreHandle> {
  const migrations = options.migrations ?? [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...INCIDENT_MIGRATIONS];
  const ids = new Set(migrations.map((migration) => migration.id));
  for (const [name, required] of [['LIVE_STATE_MIGRATIONS', LIVE_STATE_MIGRATIONS], ['INCIDENT_MIGRATIONS', INCIDENT_MIGRATIONS]] as const) {
    const missing = required.filter((migration) => !ids.has(migration.id)).map((migration) => migration.id);
    if (missing.length > 0) {
      throw new ConfigError('migrations', `must include ${name} (missing ${missing.join(', ')}): pass [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...INCIDENT_MIGRATIONS, ...others]`);
    }
  }
  const handle = await openDatabase<LiveStateTables>({ ...options, migrations });
  const held = new Set<LiveSessionLock>();
  return Object.freeze({
    store: new KyselyLiveStateStore(handle.db),
    // The same database, its incident tables: migrated with the rest (checked above).
    incidents: new KyselyIncidentStore(handle.db as unknown as Kysely<IncidentTables>),
    kind: handle.kind,
    describe: (): string => handle.describe(),
    async lockSession(sessionId: string): Promise<LiveSessionLock> {
      checkLiveSessionId(sessionId, 'lockSession');
      if (handle.kind === 'embedded') return Object.freeze({ release: async (): Promise<void> => undefined });
      const lock = await holdAdvisoryLock(handle.db, sessionId, handle.describe());
      held.add(lock);
      return Object.freeze({
        release: async (): Promise<void> => {
          held.delete(lock);
          await lock.release();
        },
      });
    },
    close: async (): Promise<void> => {
      for (const lock of [...held]) await lock.release().catch(() => undefined);
      held.clear();
      await handle.close();
    },
  });
}

/**
 * Takes `pg_try_advisory_lock` keyed by the first 64 bits of the MD5 of `<schema>/<session>`
 * (schemas are separate stores, so the same session id in two schemas is two sessions) on one
 * connection reserved from the pool until released.
 */
async function holdAdvisoryLock(db: Kysely<LiveStateTables>, sessionId: string, where: string): Promise<LiveSessionLock> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let answer: (locked: boolean) => void = () => undefined;
  let failed: (error: unknown) => void = () => undefined;
  const acquired = new Promise<boolean>((resolve, reject) => {
    answer = resolve;
    failed = reject;
  });
  const key = sql`('x' || substr(md5(current_schema() || '/' || ${sessionId}), 1, 16))::bit(64)::bigint`;
  const holding = db
    .connection()
    .execute(async (connection) => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(connection);
      const locked = rows[0]?.locked === true;
      answer(locked);
      if (!locked) return;
      await released;
      await sql`select pg_advisory_unlock(${key})`.execute(connection);
    })
    .catch((error: unknown) => {
      // Before the answer: the caller hears it. After: the connection is gone, and the lock with it.
      failed(error);
    });
  let locked: boolean;
  try {
    locked = await acquired;
  } catch (error) {
    const { text } = describeFailure(error);
    throw new LiveStateError('LIVE_STATE_FAILED', sessionId, 'lockSession', `cannot take the session's advisory lock: ${text}`);
  }
  if (!locked) {
    await holding;
    throw new LiveStateError(
      'LIVE_SESSION_LOCKED',
      sessionId,
      'lockSession',
      `another process is trading this session on ${where} (it holds the session's Postgres advisory lock): one trader per session; stop it first`,
    );
  }
  let done: Promise<void> | undefined;
  return {
    release: (): Promise<void> => {
      release();
      done ??= holding;
      return done;
    },
  };
}

/**
 * Reads inside a transaction that asks for doubles as exact text: `extra_float_digits = 3` is the
 * shortest exact form since Postgres 12 and 17 significant digits before, so no server setting
 * (`extra_float_digits = 0` prints 15 digits) can round a price on its way out.
 */
function withExactDoubles<T>(db: Db, read: (trx: Transaction<LiveStateTables>) => Promise<T>): Promise<T> {
  return withTransaction(db, async (trx) => {
    await sql`set local extra_float_digits = 3`.execute(trx);
    return read(trx);
  });
}

function toStoredCheckpoint(row: Selectable<LiveCheckpointsTable>): StoredCheckpoint {
  const savedAt = row.saved_at.getTime();
  const lastBarTime = row.last_bar_time.getTime();
  const audit = checkpointAnchor(row) ?? EMPTY_AUDIT_ANCHOR;
  return Object.freeze({
    seq: toSeq(row.seq),
    savedAt,
    lastBarTime,
    document: row.document,
    integrity: checkLiveCheckpointIntegrity({ sessionId: row.session_id, savedAt, lastBarTime, document: row.document, audit }, row.integrity_hash),
  });
}

function checkpointAnchor(row: Selectable<LiveCheckpointsTable>): LiveAuditAnchor | null {
  return row.audit_count === null || row.audit_head === null ? null : { count: toSeq(row.audit_count), head: row.audit_head };
}

/**
 * The session's audit anchor, its `live_sessions` row locked for the transaction (created with an
 * empty anchor when missing): two writers of one session append one after the other.
 */
async function lockAnchor(trx: Transaction<LiveStateTables>, sessionId: string): Promise<LiveAuditAnchor> {
  await trx
    .insertInto('live_sessions')
    .values({ session_id: sessionId, audit_count: '0', audit_head: EMPTY_AUDIT_ANCHOR.head })
    .onConflict((conflict) => conflict.column('session_id').doNothing())
    .execute();
  const row = await trx.selectFrom('live_sessions').select(['audit_count', 'audit_head']).where('session_id', '=', sessionId).forUpdate().executeTakeFirstOrThrow();
  return { count: toSeq(row.audit_count), head: row.audit_head };
}

/** Inserts chained audit rows and moves the session's anchor to `next`. */
async function appendAudit(
  trx: Transaction<LiveStateTables>,
  sessionId: string,
  checkpointSeq: string,
  links: ReturnType<typeof chainLiveAudit>['links'],
  next: LiveAuditAnchor,
): Promise<void> {
  if (links.length === 0) return;
  for (const chunk of chunks(links)) {
    await trx
      .insertInto('live_audit')
      .values(
        chunk.map((link) => ({
          session_id: sessionId,
          checkpoint_seq: checkpointSeq,
          time: isoTime(link.time),
          kind: link.kind,
          detail: JSON.stringify(link.detail),
          chain_seq: String(link.chainSeq),
          prev_hash: link.prev,
          hash: link.hash,
        })),
      )
      .execute();
  }
  await trx.updateTable('live_sessions').set({ audit_count: String(next.count), audit_head: next.head }).where('session_id', '=', sessionId).execute();
}

async function checkpointRow(trx: Transaction<LiveStateTables>, sessionId: string, seq: number, operation: LiveStateOperation): Promise<Selectable<LiveCheckpointsTable>> {
  const row = await trx.selectFrom('live_checkpoints').selectAll().where('session_id', '=', sessionId).where('seq', '=', String(seq)).forUpdate().executeTakeFirst();
  if (row === undefined) throw new LiveStateError('LIVE_STATE_NOT_FOUND', sessionId, operation, `the session has no checkpoint ${seq}`);
  return row;
}

/** Sets aside every checkpoint of the session not set aside yet (newer than `afterSeq` when given); returns their seqs. */
async function setAsideAll(trx: Transaction<LiveStateTables>, sessionId: string, reason: string, at: number, afterSeq: string | undefined): Promise<number[]> {
  let query = trx
    .updateTable('live_checkpoints')
    .set({ set_aside_reason: reason, set_aside_at: isoTime(at) })
    .where('session_id', '=', sessionId)
    .where('set_aside_at', 'is', null);
  if (afterSeq !== undefined) query = query.where('seq', '>', afterSeq);
  const rows = await query.returning('seq').execute();
  return rows.map((row) => toSeq(row.seq)).sort((a, b) => a - b);
}

async function clearRefusal(trx: Transaction<LiveStateTables>, sessionId: string): Promise<void> {
  await trx.updateTable('live_sessions').set({ refused_checkpoint_seq: null, refused_reason: null, refused_at: null }).where('session_id', '=', sessionId).execute();
}

function toRefusal(row: { readonly refused_checkpoint_seq: string | null; readonly refused_reason: string | null; readonly refused_at: Date | null }): LiveRefusal | undefined {
  if (row.refused_checkpoint_seq === null || row.refused_reason === null || row.refused_at === null) return undefined;
  return Object.freeze({ checkpointSeq: toSeq(row.refused_checkpoint_seq), reason: row.refused_reason, at: row.refused_at.getTime() });
}

/** A `bigint` identity (decimal text) as a number; the identities stay far below 2^53. */
function toSeq(text: string): number {
  const seq = Number(text);
  if (!Number.isSafeInteger(seq)) throw new Error(`checkpoint seq ${text} is beyond 2^53`);
  return seq;
}

function toSide(side: string): 'buy' | 'sell' {
  if (side === 'buy' || side === 'sell') return side;
  throw new Error(`unreachable: the schema allows only 'buy' and 'sell', read ${JSON.stringify(side)}`);
}

function toTimeInForce(value: string | null): 'day' | 'gtc' | null {
  if (value === null || value === 'day' || value === 'gtc') return value;
  throw new Error(`unreachable: the schema allows only 'day', 'gtc' and null, read ${JSON.stringify(value)}`);
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function* chunks<T>(rows: readonly T[]): Generator<readonly T[]> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) yield rows.slice(start, start + ROWS_PER_INSERT);
}

/** The records by key, each key at the position it first appears, holding its last version. */
function lastByKey<T>(records: readonly T[], key: (record: T) => string): Map<string, T> {
  const byKey = new Map<string, T>();
  for (const record of records) byKey.set(key(record), record);
  return byKey;
}

/** The records by key, each key holding its first version. */
function firstByKey<T>(records: readonly T[], key: (record: T) => string): Map<string, T> {
  const byKey = new Map<string, T>();
  for (const record of records) if (!byKey.has(key(record))) byKey.set(key(record), record);
  return byKey;
}

const DATABASE_URL_IN_TEXT = /\bpostgres(?:ql)?:\/\/[^\s'"]+/gi;

/**
 * One line saying why a database call failed, with any Postgres URL in it redacted: the driver's
 * messages do not normally carry one, but a password must never reach an error message.
 */
function describeFailure(error: unknown): { readonly text: string; readonly redacted: boolean } {
  const { message, code } = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; code?: unknown };
  const raw = typeof message === 'string' && message.trim() !== '' ? message.trim() : String(error);
  const withCode = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? `${raw} (SQLSTATE ${code})` : raw;
  let redacted = false;
  const text = withCode.replace(DATABASE_URL_IN_TEXT, (url) => {
    const safe = redactDatabaseUrl(url);
    if (safe !== url) redacted = true;
    return safe;
  });
  return { text, redacted };
}
