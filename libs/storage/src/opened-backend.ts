import type { Dialect } from 'kysely';

/** Which kind of Postgres a handle talks to. */
export type DatabaseKind = 'embedded' | 'server';

/** A database connection ready for kysely, before migrations (internal to the library). */
export interface OpenedBackend {
  readonly kind: DatabaseKind;
  readonly dialect: Dialect;
  /** Where it is, for people: a data directory or a URL with its password redacted. */
  readonly description: string;
  /** Frees what kysely's `destroy` may not have (it skips a driver that never ran a query); idempotent. */
  close(): Promise<void>;
}
