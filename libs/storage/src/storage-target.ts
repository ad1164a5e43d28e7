import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';

/** The environment variable holding a Postgres server URL; when set, the server is used. */
export const DATABASE_URL_ENV = 'DATABASE_URL';

/** The environment variable holding Quantbot's data folder; the embedded database is its `db`. */
export const DATA_DIR_ENV = 'QUANTBOT_DATA_DIR';

/** Environment variables as `process.env` holds them. */
export type StorageEnv = Readonly<Record<string, string | undefined>>;

/** Which database to open, and where that choice came from (for messages). */
export type StorageTarget =
  | { readonly kind: 'embedded'; readonly dataDir: string; readonly source: string }
  | { readonly kind: 'server'; readonly url: string; readonly source: string };

/** What {@link resolveStorageTarget} decides from. */
export interface StorageTargetOptions {
  /** A Postgres server URL (`postgres://user:password@host:5432/db`). */
  readonly url?: string;
  /** The embedded database's data directory (relative paths are taken from `cwd`). */
  readonly dataDir?: string;
  /** Defaults to `process.env`, read when called. */
  readonly env?: StorageEnv;
  /** Defaults to `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * Decides between a Postgres server and the embedded database, first match wins:
 * 1. `options.url` → that server;
 * 2. `options.dataDir` → embedded, in that directory;
 * 3. env `DATABASE_URL` (non-empty) → that server;
 * 4. env `QUANTBOT_DATA_DIR` (non-empty) → embedded, in `$QUANTBOT_DATA_DIR/db`;
 * 5. embedded, in `<cwd>/.quantbot/db`.
 * Data directories come back absolute. Giving both `url` and `dataDir`, or an empty one, is a
 * `ConfigError`. Nothing is touched on disk or the network.
 */
export function resolveStorageTarget(options: StorageTargetOptions = {}): StorageTarget {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.url !== undefined && options.dataDir !== undefined) {
    throw new ConfigError('dataDir', 'give either url (a Postgres server) or dataDir (the embedded database), not both');
  }
  if (options.url !== undefined) {
    if (options.url.trim() === '') throw new ConfigError('url', 'is empty');
    return { kind: 'server', url: options.url, source: 'the url option' };
  }
  if (options.dataDir !== undefined) {
    if (options.dataDir.trim() === '') throw new ConfigError('dataDir', 'is empty');
    return { kind: 'embedded', dataDir: absolute(options.dataDir, cwd), source: 'the dataDir option' };
  }
  const url = nonEmpty(env[DATABASE_URL_ENV]);
  if (url !== undefined) return { kind: 'server', url, source: DATABASE_URL_ENV };
  const dataRoot = nonEmpty(env[DATA_DIR_ENV]);
  if (dataRoot !== undefined) {
    return { kind: 'embedded', dataDir: join(absolute(dataRoot, cwd), 'db'), source: `${DATA_DIR_ENV} (its db folder)` };
  }
  return { kind: 'embedded', dataDir: join(absolute(cwd, cwd), '.quantbot', 'db'), source: 'the default (.quantbot/db in the working directory)' };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}
