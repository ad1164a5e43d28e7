import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { acquireDataDirLock } from './data-dir-lock';
import type { OpenedBackend } from './opened-backend';
import { PGliteDialect } from './pglite-dialect';
import { PGliteWorkerClient } from './pglite-worker-client';
import { StorageError, describeCause } from './storage-error';

const PG_VERSION_FILE = 'PG_VERSION';

/**
 * Opens the embedded database in `dataDir` (creating the directory, and the database in it, when
 * missing): checks the directory, takes its lock file, then starts PGlite in a worker thread.
 * `quotedSchema`, when given, becomes the connection's `search_path`.
 * Throws {@link StorageError} `STORAGE_DATA_DIR_INVALID` (naming the directory) or
 * `STORAGE_LOCKED`; the lock is released again on any failure.
 */
export async function openEmbeddedBackend(dataDir: string, quotedSchema?: string): Promise<OpenedBackend> {
  prepareDataDir(dataDir);
  const lock = acquireDataDirLock(dataDir);
  let client: PGliteWorkerClient;
  try {
    client = await PGliteWorkerClient.start(dataDir, require.resolve('@electric-sql/pglite'));
  } catch (error) {
    lock.release();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return Object.freeze({
    kind: 'embedded' as const,
    dialect: new PGliteDialect({
      database: client,
      onCreateConnection:
        quotedSchema === undefined
          ? undefined
          : async (connection) => {
              await connection.executeQuery(CompiledQuery.raw(`set search_path to ${quotedSchema}`));
            },
    }),
    description: `embedded Postgres (PGlite) in ${dataDir}`,
    close(): Promise<void> {
      closed ??= client.close().finally(() => lock.release());
      return closed;
    },
  });
}

/**
 * Makes sure `dataDir` is a directory we can use: created if missing, readable and writable,
 * and either holding a database (`PG_VERSION`) or empty apart from dot-files (the lock).
 */
function prepareDataDir(dataDir: string): void {
  const fail = (reason: string, cause?: unknown): StorageError =>
    new StorageError('STORAGE_DATA_DIR_INVALID', `${dataDir}: ${reason}`, cause === undefined ? undefined : { cause });
  let entries: string[];
  try {
    if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw fail(`cannot create the data directory: ${describeCause(error)}`, error);
  }
  try {
    if (!statSync(dataDir).isDirectory()) throw fail('is not a directory');
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
    entries = readdirSync(dataDir);
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw fail(`cannot read and write the data directory: ${describeCause(error)}`, error);
  }
  if (entries.includes(PG_VERSION_FILE)) {
    try {
      readFileSync(join(dataDir, PG_VERSION_FILE), 'utf8');
    } catch (error) {
      throw fail(`cannot read ${PG_VERSION_FILE}: ${describeCause(error)}`, error);
    }
    return;
  }
  const foreign = entries.filter((name) => !name.startsWith('.'));
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ', …' : '');
    throw fail(`is not empty (${shown}) and holds no embedded database (no ${PG_VERSION_FILE}); point dataDir at an empty or new directory`);
  }
}
