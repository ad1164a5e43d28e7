import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { StorageError } from './storage-error';

/** The bookkeeping table: one row per applied migration. */
export const MIGRATIONS_TABLE = 'quantbot_migrations';

const MIGRATION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/**
 * One step of the schema. Write `up` with kysely's schema builder or the `sql` tag, in SQL that
 * both PGlite and a Postgres server run (plain Postgres; no extensions).
 *
 * `up` runs inside the one transaction that applies every pending migration, so it must not open
 * a transaction of its own; if it throws, nothing of that run is kept.
 *
 * @example
 * const createRuns: Migration = {
 *   id: 'registry_0001_runs',
 *   version: '1',
 *   async up(db) {
 *     await db.schema.createTable('registry_runs').addColumn('id', 'text', (c) => c.primaryKey()).execute();
 *   },
 * };
 */
export interface Migration {
  /**
   * Unique across every list the database will see, at most 200 characters of letters, digits,
   * `_`, `.`, `-`; prefix it with its owner (`registry_0001_runs`). Never rename one that shipped.
   */
  readonly id: string;
  /**
   * Declared with the migration and covered by its checksum: change it whenever `up` changes, so
   * that a database that ran the old `up` refuses to open (`STORAGE_MIGRATION_CHANGED`) instead
   * of silently differing. Better still, never edit a shipped migration: add a new one.
   */
  readonly version: string;
  /** Applies the step. `db` is the migration transaction; its table types are unknown here. */
  up(db: Kysely<unknown>): Promise<void>;
}

/**
 * The checksum recorded for an applied migration: hex SHA-256 of the id, a NUL byte and the
 * version (the NUL keeps `a` + `b1` apart from `ab` + `1`).
 */
export function migrationChecksum(migration: Pick<Migration, 'id' | 'version'>): string {
  return createHash('sha256').update(`${migration.id}\u0000${migration.version}`, 'utf8').digest('hex');
}

/**
 * Checks a migration list before anything touches a database: every id well-formed and unique,
 * every version non-empty. Throws {@link StorageError} `STORAGE_MIGRATIONS_INVALID` naming the
 * offending entry.
 */
export function validateMigrations(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  migrations.forEach((migration, index) => {
    const where = `migration #${index + 1}`;
    if (typeof migration.id !== 'string' || !MIGRATION_ID.test(migration.id)) {
      throw new StorageError(
        'STORAGE_MIGRATIONS_INVALID',
        `${where}: id ${JSON.stringify(migration.id)} must be 1-200 letters, digits, '_', '.' or '-', starting with a letter or digit`,
      );
    }
    if (seen.has(migration.id)) throw new StorageError('STORAGE_MIGRATIONS_INVALID', `${where}: id ${migration.id} appears twice in the list`);
    seen.add(migration.id);
    if (typeof migration.version !== 'string' || migration.version.trim() === '') {
      throw new StorageError('STORAGE_MIGRATIONS_INVALID', `${where} (${migration.id}): version must be a non-empty string`);
    }
    if (typeof migration.up !== 'function') throw new StorageError('STORAGE_MIGRATIONS_INVALID', `${where} (${migration.id}): up is not a function`);
  });
}

/** Creates the bookkeeping table if it is missing (the migration runner and `0001_schema_meta` share it). */
export async function createMigrationsTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable(MIGRATIONS_TABLE)
    .ifNotExists()
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('applied_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .addColumn('checksum', 'text', (column) => column.notNull())
    .execute();
}

/** `0001_schema_meta`: the bookkeeping table itself, and nothing else. */
const schemaMeta: Migration = Object.freeze({
  id: '0001_schema_meta',
  version: '1',
  up: createMigrationsTable,
});

/**
 * The storage library's own migrations. Every list given to `openDatabase` or `migrate` starts
 * with them: `[...STORAGE_MIGRATIONS, ...registryMigrations]`.
 */
export const STORAGE_MIGRATIONS: readonly Migration[] = Object.freeze([schemaMeta]);
