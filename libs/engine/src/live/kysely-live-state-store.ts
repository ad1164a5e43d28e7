import { ConfigError } from '@quantbot/core';
import type { DatabaseKind, Migration, OpenDatabaseOptions } from '@quantbot/storage';
import { STORAGE_MIGRATIONS, openDatabase, redactDatabaseUrl, withTransaction } from '@quantbot/storage';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type {
  LiveAuditRecord,
  LiveFillRecord,
  LiveOrderRecord,
  LiveSaveBatch,
  LiveStateOperation,
  LiveStateStore,
  SetAsideCheckpoint,
  StoredCheckpoint,
} from './live-state';
import { LiveStateError, checkLiveSave, checkLiveSessionId, checkLiveSetAside } from './live-state';
import type { LiveCheckpointsTable, LiveStateTables } from './live-state-schema';
import { LIVE_STATE_MIGRATIONS } from './live-state-schema';

type Db = Kysely<LiveStateTables> | Transaction<LiveStateTables>;

/**
 * Rows per insert statement: far below Postgres's 65 535 parameters per statement for the widest
 * table (12 columns), so a batch of any size is written.
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
        const { seq } = await trx
          .insertInto('live_checkpoints')
          .values({
            session_id: sessionId,
            saved_at: isoTime(savedAt),
            last_bar_time: isoTime(batch.lastBarTime),
            document: JSON.stringify(batch.checkpoint),
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
        for (const chunk of chunks(batch.audit)) {
          await trx
            .insertInto('live_audit')
            .values(
              chunk.map((entry) => ({
                session_id: sessionId,
                checkpoint_seq: seq,
                time: isoTime(entry.time),
                kind: entry.kind,
                detail: JSON.stringify(entry.detail),
              })),
            )
            .execute();
        }
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

  async orders(sessionId: string): Promise<readonly LiveOrderRecord[]> {
    checkLiveSessionId(sessionId, 'orders');
    const rows = await this.#attempt(sessionId, 'orders', () =>
      withExactDoubles(this.#db, (trx) => trx.selectFrom('live_orders').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute()),
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
          }),
      ),
    );
  }

  async fills(sessionId: string): Promise<readonly LiveFillRecord[]> {
    checkLiveSessionId(sessionId, 'fills');
    const rows = await this.#attempt(sessionId, 'fills', () =>
      withExactDoubles(this.#db, (trx) => trx.selectFrom('live_fills').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute()),
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

  async audit(sessionId: string): Promise<readonly LiveAuditRecord[]> {
    checkLiveSessionId(sessionId, 'audit');
    const rows = await this.#attempt(sessionId, 'audit', () =>
      this.#db.selectFrom('live_audit').select(['time', 'kind', 'detail']).where('session_id', '=', sessionId).orderBy('seq').execute(),
    );
    return Object.freeze(
      rows.map(
        (row): LiveAuditRecord =>
          Object.freeze({ time: row.time.getTime(), kind: row.kind, detail: row.detail as LiveAuditRecord['detail'] }),
      ),
    );
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
   * (every program opening it must pass the same list). It must hold `STORAGE_MIGRATIONS` and
   * {@link LIVE_STATE_MIGRATIONS}. Defaults to `[...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS]`.
   */
  readonly migrations?: readonly Migration[];
}

/** A live state store with the database it opened. */
export interface LiveStateStoreHandle {
  readonly store: KyselyLiveStateStore;
  readonly kind: DatabaseKind;
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
 * when `migrations` lacks {@link LIVE_STATE_MIGRATIONS}.
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
  const migrations = options.migrations ?? [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS];
  const ids = new Set(migrations.map((migration) => migration.id));
  const missing = LIVE_STATE_MIGRATIONS.filter((migration) => !ids.has(migration.id)).map((migration) => migration.id);
  if (missing.length > 0) {
    throw new ConfigError('migrations', `must include LIVE_STATE_MIGRATIONS (missing ${missing.join(', ')}): pass [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...others]`);
  }
  const handle = await openDatabase<LiveStateTables>({ ...options, migrations });
  return Object.freeze({
    store: new KyselyLiveStateStore(handle.db),
    kind: handle.kind,
    describe: (): string => handle.describe(),
    close: (): Promise<void> => handle.close(),
  });
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
  return Object.freeze({
    seq: toSeq(row.seq),
    savedAt: row.saved_at.getTime(),
    lastBarTime: row.last_bar_time.getTime(),
    document: row.document,
  });
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
