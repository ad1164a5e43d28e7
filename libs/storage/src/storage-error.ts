import { QuantbotError } from '@quantbot/core';

/**
 * The stable codes of {@link StorageError}:
 * - `STORAGE_UNAVAILABLE`: the Postgres server cannot be reached or refuses the connection
 *   (the message names host:port, never the password), or the embedded database stopped;
 * - `STORAGE_URL_INVALID`: the database URL is not a `postgres://` URL;
 * - `STORAGE_DATA_DIR_INVALID`: the embedded data directory cannot be created, read or opened
 *   (not a directory, not writable, not a database, damaged);
 * - `STORAGE_LOCKED`: another process (or another handle in this one) has the embedded data
 *   directory open;
 * - `STORAGE_MIGRATIONS_INVALID`: the migration list itself is malformed (duplicate or empty id);
 * - `STORAGE_MIGRATION_CHANGED`: an applied migration's checksum differs from the code's;
 * - `STORAGE_MIGRATION_FAILED`: a migration (or the bookkeeping around it) failed; nothing of
 *   that run was kept;
 * - `STORAGE_SCHEMA_NEWER`: the database has migrations this code does not know.
 */
export type StorageErrorCode =
  | 'STORAGE_UNAVAILABLE'
  | 'STORAGE_URL_INVALID'
  | 'STORAGE_DATA_DIR_INVALID'
  | 'STORAGE_LOCKED'
  | 'STORAGE_MIGRATIONS_INVALID'
  | 'STORAGE_MIGRATION_CHANGED'
  | 'STORAGE_MIGRATION_FAILED'
  | 'STORAGE_SCHEMA_NEWER';

/**
 * Why the database cannot be opened, migrated or used. Messages name the place (the data
 * directory, host:port, the migration ids) and never carry a password. An app catches it at the
 * top, prints the message and exits non-zero.
 */
export class StorageError extends QuantbotError {
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * One line describing why an operation failed, from any thrown value: the message, or the
 * system error code when the message is empty, or the messages inside an `AggregateError`
 * (what `net` throws when every address of a host refused the connection).
 */
export function describeCause(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { message, code, errors } = error as { message?: unknown; code?: unknown; errors?: unknown };
  const text = typeof message === 'string' ? message.trim() : '';
  if (text !== '') return text;
  if (Array.isArray(errors) && errors.length > 0) {
    return [...new Set(errors.map((inner: unknown) => describeCause(inner)))].join('; ');
  }
  if (typeof code === 'string') return code;
  return String(error);
}
