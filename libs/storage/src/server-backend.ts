import { CompiledQuery, PostgresDialect } from 'kysely';
import { parseDatabaseUrl, redactDatabaseUrl } from './database-url';
import type { OpenedBackend } from './opened-backend';
import { StorageError, describeCause } from './storage-error';
import { pgTypeParsers } from './type-parsers';

/** Options of {@link openServerBackend}. */
export interface ServerBackendOptions {
  /** Where the URL came from, for messages (`DATABASE_URL`, `the url option`). */
  readonly source: string;
  /** Set as `search_path` on every pooled connection (already validated and quoted by the caller). */
  readonly quotedSchema?: string;
  readonly connectTimeoutMs: number;
  readonly poolSize: number;
}

/**
 * Connects to a Postgres server through a `pg` pool and checks with one connection that it
 * answers. Throws {@link StorageError} `STORAGE_URL_INVALID` for a malformed URL and
 * `STORAGE_UNAVAILABLE` naming host:port (never the password) when the server cannot be
 * reached or refuses us; the pool is closed by then, so nothing keeps the process alive.
 */
export async function openServerBackend(url: string, options: ServerBackendOptions): Promise<OpenedBackend> {
  const address = parseDatabaseUrl(url, options.source);
  const pg = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    allowExitOnIdle: true,
    types: pgTypeParsers(pg.types),
  });
  // An idle client whose server went away is dropped by the pool; the next query reconnects or
  // fails with its own error. Without a listener, that event would crash the process.
  pool.on('error', () => undefined);
  let ended: Promise<void> | undefined;
  const endPool = (): Promise<void> => {
    ended ??= pool.end();
    return ended;
  };
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await endPool();
    const who = [address.database !== '' ? `database ${address.database}` : '', address.user !== '' ? `user ${address.user}` : '']
      .filter((part) => part !== '')
      .join(', ');
    throw new StorageError(
      'STORAGE_UNAVAILABLE',
      `cannot connect to the Postgres server at ${address.hostPort}${who !== '' ? ` (${who})` : ''}, from ${options.source}: ${describeCause(error)}`,
      { cause: error },
    );
  }
  const { quotedSchema } = options;
  // A connection checked out (between the statements of a transaction, say) whose server goes
  // away emits 'error' with no pool listener attached: without one of its own, that crashes the
  // process. The statement in progress or the next one fails with the error instead, and the pool
  // drops the connection when it comes back unusable.
  const watched = new WeakSet<object>();
  const dialect = new PostgresDialect({
    pool: {
      connect: async () => {
        const client = await pool.connect();
        if (!watched.has(client)) {
          watched.add(client);
          client.on('error', () => undefined);
        }
        return client;
      },
      end: endPool,
    },
    onCreateConnection:
      quotedSchema === undefined
        ? undefined
        : async (connection) => {
            await connection.executeQuery(CompiledQuery.raw(`set search_path to ${quotedSchema}`));
          },
  });
  return Object.freeze({
    kind: 'server' as const,
    dialect,
    description: `Postgres server ${redactDatabaseUrl(url)}`,
    close: endPool,
  });
}
