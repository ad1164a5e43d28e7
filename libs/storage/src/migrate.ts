import type { Clock } from '@quantbot/core';
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from './migration';
import { MIGRATIONS_TABLE, createMigrationsTable, migrationChecksum, validateMigrations } from './migration';
import { StorageError, describeCause } from './storage-error';

/**
 * The key of the transaction-scoped advisory lock (`pg_advisory_xact_lock`) every migration run
 * takes first: runs from several processes on one server queue behind it, whatever schema
 * they migrate. (The bytes of `qbmg`.)
 */
export const MIGRATION_LOCK_KEY = 0x71_62_6d_67;

/** What a {@link migrate} run found and did, ids in list order. */
export interface MigrationReport {
  /** Applied by this run. */
  readonly appliedNow: readonly string[];
  /** Found already applied. */
  readonly appliedBefore: readonly string[];
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Stamps `applied_at`; without it the database's `now()` does. */
  readonly clock?: Clock;
}

interface MigrationsTable {
  readonly id: string;
  readonly applied_at: Date;
  readonly checksum: string;
}

interface Bookkeeping {
  quantbot_migrations: MigrationsTable;
}

/**
 * Brings the database up to `migrations`, the complete ordered list (storage's own first:
 * `[...STORAGE_MIGRATIONS, ...yours]`). `openDatabase` calls it; call it yourself only on a
 * `Kysely` you built.
 *
 * Everything happens in one transaction that first takes the advisory lock
 * {@link MIGRATION_LOCK_KEY}, so two processes starting at once apply each migration exactly once
 * (the second waits, then finds nothing pending), and a failure leaves the database as it was.
 * In that transaction, before anything is written:
 * - an applied id missing from `migrations` (a schema newer than this code) →
 *   {@link StorageError} `STORAGE_SCHEMA_NEWER` naming the ids;
 * - an applied migration whose checksum differs ({@link migrationChecksum}) →
 *   `STORAGE_MIGRATION_CHANGED` naming it.
 * Then every pending migration runs in list order and is recorded; one that throws rolls the
 * whole run back → `STORAGE_MIGRATION_FAILED` naming it. A pending migration listed before one
 * already applied is applied too (each library's list grows on its own), so a migration may
 * depend only on those before it in its own list.
 */
export async function migrate<DB>(db: Kysely<DB>, migrations: readonly Migration[], options: MigrateOptions = {}): Promise<MigrationReport> {
  validateMigrations(migrations);
  const bookkeeping = db as unknown as Kysely<Bookkeeping>;
  try {
    return await bookkeeping.transaction().execute((trx) => migrateInTransaction(trx, migrations, options.clock));
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError('STORAGE_MIGRATION_FAILED', `cannot apply migrations: ${describeCause(error)}; nothing was changed`, { cause: error });
  }
}

async function migrateInTransaction(trx: Transaction<Bookkeeping>, migrations: readonly Migration[], clock: Clock | undefined): Promise<MigrationReport> {
  await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(trx);
  const { rows } = await sql<{ name: string | null }>`select to_regclass(${sql.lit(MIGRATIONS_TABLE)})::text as name`.execute(trx);
  const hasTable = rows[0]?.name !== null && rows[0]?.name !== undefined;
  const applied = new Map<string, string>();
  if (hasTable) {
    const recorded = await trx.selectFrom(MIGRATIONS_TABLE).select(['id', 'checksum']).orderBy('id').execute();
    for (const row of recorded) applied.set(row.id, row.checksum);
  }

  const known = new Set(migrations.map((migration) => migration.id));
  const unknown = [...applied.keys()].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new StorageError(
      'STORAGE_SCHEMA_NEWER',
      `the database schema is newer than this code: it has migration${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}, ` +
        'which this code does not know; run a newer Quantbot (nothing was changed)',
    );
  }
  for (const migration of migrations) {
    const recorded = applied.get(migration.id);
    const expected = migrationChecksum(migration);
    if (recorded !== undefined && recorded !== expected) {
      throw new StorageError(
        'STORAGE_MIGRATION_CHANGED',
        `migration ${migration.id} was applied with checksum ${recorded.slice(0, 12)}… but the code now declares version ` +
          `${JSON.stringify(migration.version)} (checksum ${expected.slice(0, 12)}…): a shipped migration was edited; ` +
          'restore it and add a new migration instead (nothing was changed)',
      );
    }
  }

  const pending = migrations.filter((migration) => !applied.has(migration.id));
  const report: MigrationReport = Object.freeze({
    appliedNow: Object.freeze(pending.map((migration) => migration.id)),
    appliedBefore: Object.freeze(migrations.filter((migration) => applied.has(migration.id)).map((migration) => migration.id)),
  });
  if (pending.length === 0) return report;

  const schemaDb = trx as unknown as Kysely<unknown>;
  if (!hasTable) await createMigrationsTable(schemaDb);
  for (const migration of pending) {
    try {
      await migration.up(schemaDb);
    } catch (error) {
      throw new StorageError(
        'STORAGE_MIGRATION_FAILED',
        `migration ${migration.id} failed: ${describeCause(error)}; no migration of this run was applied`,
        { cause: error },
      );
    }
    await trx
      .insertInto(MIGRATIONS_TABLE)
      .values({
        id: migration.id,
        checksum: migrationChecksum(migration),
        applied_at: clock === undefined ? sql<Date>`now()` : new Date(clock.now()),
      })
      .execute();
  }
  return report;
}
