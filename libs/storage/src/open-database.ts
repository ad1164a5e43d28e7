import type { Clock } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import { Kysely, sql } from 'kysely';
import { openEmbeddedBackend } from './embedded-backend';
import type { MigrationReport } from './migrate';
import { MIGRATION_LOCK_KEY, migrate } from './migrate';
import type { Migration } from './migration';
import { STORAGE_MIGRATIONS, validateMigrations } from './migration';
import type { DatabaseKind, OpenedBackend } from './opened-backend';
import { openServerBackend } from './server-backend';
import { StorageError, describeCause } from './storage-error';
import type { StorageTargetOptions } from './storage-target';
import { resolveStorageTarget } from './storage-target';

export type { DatabaseKind } from './opened-backend';

/** How long a server connection attempt may take before `STORAGE_UNAVAILABLE`, by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The most connections a server handle opens at once, by default. */
export const DEFAULT_POOL_SIZE = 10;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Options of {@link openDatabase}. Which database: see `resolveStorageTarget` (`url`, then
 * `dataDir`, then env `DATABASE_URL`, then env `QUANTBOT_DATA_DIR`, then `<cwd>/.quantbot/db`).
 */
export interface OpenDatabaseOptions extends StorageTargetOptions {
  /**
   * A Postgres schema to keep every table in: created if missing, and the `search_path` of every
   * connection (alone: `public` is not searched). Lower-case letters, digits and `_`, at most 63.
   * Tests use it to isolate runs on a shared server.
   */
  readonly schema?: string;
  /**
   * The complete, ordered migration list: {@link STORAGE_MIGRATIONS} first, then yours
   * (`[...STORAGE_MIGRATIONS, ...registryMigrations]`). Defaults to `STORAGE_MIGRATIONS`. Every
   * program opening the same database must pass the same list: ids it does not know make it
   * refuse with `STORAGE_SCHEMA_NEWER`.
   */
  readonly migrations?: readonly Migration[];
  /** Stamps `applied_at` of the migrations applied now; without it the database's `now()` does. */
  readonly clock?: Clock;
  /** Server only: milliseconds to wait for a connection. Defaults to {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** Server only: the pool's maximum number of connections. Defaults to {@link DEFAULT_POOL_SIZE}. */
  readonly poolSize?: number;
}

/**
 * An open, migrated database. Use `db` for queries and `withTransaction` for anything that must
 * be all-or-nothing; `close()` when done (an idle handle does not keep the process alive, but
 * closing releases the embedded data directory's lock at once).
 */
export interface DatabaseHandle<DB> {
  readonly db: Kysely<DB>;
  readonly kind: DatabaseKind;
  /** What opening did to the schema. */
  readonly migrations: MigrationReport;
  /** Closes the database (and, for the embedded one, releases its lock file); calling it again does nothing. */
  close(): Promise<void>;
  /**
   * Where the data lives, for people, never with a password:
   * `embedded Postgres (PGlite) in /home/me/.quantbot/db` or
   * `Postgres server postgres://bot:***@db:5432/quant (schema qb_test_1a2b)`.
   */
  describe(): string;
}

/**
 * Opens the one database for everything that must last, and applies pending migrations.
 *
 * - Embedded (the default): Postgres as WebAssembly (PGlite) in a data directory, created with its
 *   database when missing (the first open takes some seconds; later ones about one), run in a
 *   worker thread, one process at a time (a lock file `<dataDir>/.quantbot.lock` holds the pid).
 * - Server, with `url` or env `DATABASE_URL`: a `pg` pool to that Postgres.
 *
 * Nothing is loaded until this is called: PGlite and `pg` are required here, not at import.
 *
 * Throws {@link StorageError}: `STORAGE_URL_INVALID`, `STORAGE_UNAVAILABLE` (naming host:port,
 * never the password), `STORAGE_DATA_DIR_INVALID` (naming the directory), `STORAGE_LOCKED`, and
 * from the migrations `STORAGE_MIGRATIONS_INVALID`, `STORAGE_SCHEMA_NEWER`,
 * `STORAGE_MIGRATION_CHANGED`, `STORAGE_MIGRATION_FAILED`; a `ConfigError` for contradictory or
 * malformed options. Whatever it throws, it has closed what it opened.
 *
 * @example
 * const storage = await openDatabase<RegistryTables>({ migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS] });
 * try {
 *   await withTransaction(storage.db, async (trx) => { ... });
 * } finally {
 *   await storage.close();
 * }
 */
export async function openDatabase<DB>(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle<DB>> {
  const target = resolveStorageTarget(options);
  const migrations = options.migrations ?? STORAGE_MIGRATIONS;
  validateMigrations(migrations);
  requireStorageMigrations(migrations);
  const quotedSchema = options.schema === undefined ? undefined : quoteSchema(options.schema);
  const connectTimeoutMs = positiveInteger(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs');
  const poolSize = positiveInteger(options.poolSize ?? DEFAULT_POOL_SIZE, 'poolSize');

  const backend: OpenedBackend =
    target.kind === 'embedded'
      ? await openEmbeddedBackend(target.dataDir, quotedSchema)
      : await openServerBackend(target.url, { source: target.source, quotedSchema, connectTimeoutMs, poolSize });
  const db = new Kysely<DB>({ dialect: backend.dialect });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= db.destroy().finally(() => backend.close());
    return closed;
  };

  let report: MigrationReport;
  try {
    if (quotedSchema !== undefined) await createSchema(db, quotedSchema);
    report = await migrate(db, migrations, { clock: options.clock });
  } catch (error) {
    await close();
    throw error;
  }
  const description = options.schema === undefined ? backend.description : `${backend.description} (schema ${options.schema})`;
  return Object.freeze({
    db,
    kind: backend.kind,
    migrations: report,
    close,
    describe: (): string => description,
  });
}

/** Creates the schema under the migration lock (two processes creating it at once would collide). */
async function createSchema<DB>(db: Kysely<DB>, quotedSchema: string): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(trx);
      await sql`create schema if not exists ${sql.raw(quotedSchema)}`.execute(trx);
    });
  } catch (error) {
    throw new StorageError('STORAGE_MIGRATION_FAILED', `cannot create schema ${quotedSchema}: ${describeCause(error)}`, { cause: error });
  }
}

function requireStorageMigrations(migrations: readonly Migration[]): void {
  const ids = new Set(migrations.map((migration) => migration.id));
  const missing = STORAGE_MIGRATIONS.filter((migration) => !ids.has(migration.id)).map((migration) => migration.id);
  if (missing.length > 0) {
    throw new ConfigError('migrations', `must include STORAGE_MIGRATIONS (missing ${missing.join(', ')}): pass [...STORAGE_MIGRATIONS, ...yours]`);
  }
}

function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError('schema', `${JSON.stringify(schema)} must be 1-63 lower-case letters, digits or '_', not starting with a digit`);
  }
  return `"${schema}"`;
}

function positiveInteger(value: number, key: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(key, `${value} is not a positive integer`);
  return value;
}
