import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuantbotError } from '@quantbot/core';
import type { Migration } from '../migration';
import { STORAGE_MIGRATIONS } from '../migration';
import type { DatabaseHandle, DatabaseKind } from '../open-database';
import { openDatabase } from '../open-database';

/**
 * Storage test backends (`@quantbot/storage/testing`), for this library's tests and for any
 * project that keeps data in `@quantbot/storage` (the research registry, the live state store,
 * the promotion gate): the same suite runs on the embedded database always, and on a Postgres
 * server when `TEST_DATABASE_URL` is set (CI sets it). Without it, the server variant shows up as
 * one test titled "server Postgres: TEST_DATABASE_URL not set", which fails under CI
 * (`CI=true`): visible locally, never silently green in CI.
 *
 * @example
 * import { describeStorageBackends } from '@quantbot/storage/testing';
 *
 * describeStorageBackends<RegistryTables>('registry', { migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS] }, (backend) => {
 *   it('stores a run', async () => {
 *     const { db } = backend.database().handle;
 *     ...
 *   });
 * });
 */

/** The kit used wrongly: `describeStorageBackends` outside a test runner, a server backend with no server configured. */
export class StorageTestKitError extends QuantbotError {
  constructor(message: string) {
    super('STORAGE_TEST_KIT', message);
  }
}

/**
 * The test-runner functions a storage suite is declared with: Jest's globals, or those of any
 * runner with the same shape. The kit reads them from the global scope when a suite is declared
 * and imports nothing of a test framework, so neither this package nor its types depend on one.
 */
export interface TestRunnerGlobals {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => void): void;
  beforeAll(body: () => Promise<void>, timeoutMs?: number): void;
  afterAll(body: () => Promise<void>, timeoutMs?: number): void;
}

/** The environment variable naming the Postgres server tests may use (a URL). */
export const TEST_DATABASE_URL_ENV = 'TEST_DATABASE_URL';

/** Time allowed for opening a test database: creating an embedded one takes ~10 s on a slow machine. */
export const TEST_DATABASE_OPEN_TIMEOUT_MS = 60_000;

/** One backend a storage suite runs on. `url` is undefined for the embedded one and for a server that is not configured. */
export interface StorageTestBackend {
  readonly kind: DatabaseKind;
  readonly title: string;
  readonly url: string | undefined;
}

/** The backends of a test run: embedded always, then the server (configured or not). */
export function storageBackends(env: Readonly<Record<string, string | undefined>> = process.env): readonly StorageTestBackend[] {
  const url = env[TEST_DATABASE_URL_ENV];
  const server: StorageTestBackend =
    url === undefined || url.trim() === ''
      ? { kind: 'server', title: `server Postgres: ${TEST_DATABASE_URL_ENV} not set`, url: undefined }
      : { kind: 'server', title: `server Postgres (${TEST_DATABASE_URL_ENV})`, url };
  return [{ kind: 'embedded', title: 'embedded PGlite', url: undefined }, server];
}

/**
 * The Postgres server of `TEST_DATABASE_URL` as a `TestPrerequisite` of `@quantbot/core/testing`,
 * for tests that use the server directly rather than through `describeStorageBackends` (a job
 * queue, a schema of their own): `describeWithPrerequisite(serverPostgresPrerequisite(), …)` runs
 * them when it is set, skips them with the reason when not, and fails them under CI.
 */
export function serverPostgresPrerequisite(env: Readonly<Record<string, string | undefined>> = process.env): {
  readonly name: string;
  readonly missing: string | undefined;
  readonly howToProvide: string;
} {
  const url = env[TEST_DATABASE_URL_ENV];
  return {
    name: 'a Postgres server',
    missing: url === undefined || url.trim() === '' ? `${TEST_DATABASE_URL_ENV} is not set` : undefined,
    howToProvide: `set ${TEST_DATABASE_URL_ENV}=postgres://user@127.0.0.1:5432/postgres (each run makes and drops its own schemas)`,
  };
}

/** A database opened for a test file, with what it takes to clean it away. */
export interface TestDatabase<DB> {
  readonly kind: DatabaseKind;
  /** The current handle (a new one after {@link TestDatabase.reopen}). */
  readonly handle: DatabaseHandle<DB>;
  /** Embedded: the data directory, inside a temporary folder removed by `cleanup`. */
  readonly dataDir: string | undefined;
  /** Server: the schema `qb_test_<random hex>` holding everything, dropped by `cleanup`. */
  readonly schema: string | undefined;
  /** Server: the URL (from `TEST_DATABASE_URL`). */
  readonly url: string | undefined;
  /** The migrations the handle was opened with. */
  readonly migrations: readonly Migration[];
  /** Closes the handle and opens the same database again (to test what lasts). */
  reopen(): Promise<DatabaseHandle<DB>>;
  /** Closes the handle and removes the data directory or drops the schema. */
  cleanup(): Promise<void>;
}

/**
 * Opens a fresh, migrated database of `kind` for a test file: embedded in a new temporary
 * directory (the data directory itself does not exist yet, so opening creates it), or on the
 * `TEST_DATABASE_URL` server in a new schema `qb_test_<12 hex digits>`. Throws when `kind` is
 * `server` and `TEST_DATABASE_URL` is not set. Call it in `beforeAll` with
 * {@link TEST_DATABASE_OPEN_TIMEOUT_MS}, and `cleanup()` in `afterAll`.
 */
export async function openTestDatabase<DB>(kind: DatabaseKind, migrations: readonly Migration[] = STORAGE_MIGRATIONS): Promise<TestDatabase<DB>> {
  if (kind === 'embedded') {
    const root = mkdtempSync(join(tmpdir(), 'qb-storage-test-'));
    const dataDir = join(root, 'data', 'db');
    const open = (): Promise<DatabaseHandle<DB>> => openDatabase<DB>({ dataDir, migrations, env: {} });
    try {
      return testDatabase(kind, await open(), open, { dataDir, schema: undefined, url: undefined, migrations }, async () => {
        rmSync(root, { recursive: true, force: true });
      });
    } catch (error) {
      rmSync(root, { recursive: true, force: true });
      throw error;
    }
  }
  const url = process.env[TEST_DATABASE_URL_ENV];
  if (url === undefined || url.trim() === '') throw new StorageTestKitError(`${TEST_DATABASE_URL_ENV} is not set: no server to open a test database on`);
  const schema = testSchemaName();
  const open = (): Promise<DatabaseHandle<DB>> => openDatabase<DB>({ url, schema, migrations, env: {} });
  return testDatabase(kind, await open(), open, { dataDir: undefined, schema, url, migrations }, () => dropTestSchema(url, schema));
}

/**
 * Declares `body` once per backend of {@link storageBackends}, each in a `describe` titled
 * `<title> on <backend>`, with a database opened in `beforeAll` and cleaned in `afterAll`.
 * `backend.database()` returns it (call it inside tests and hooks, not while declaring).
 */
export function describeStorageBackends<DB>(
  title: string,
  options: { readonly migrations?: readonly Migration[] },
  body: (backend: { readonly kind: DatabaseKind; readonly database: () => TestDatabase<DB> }) => void,
): void {
  const { describe, it, beforeAll, afterAll } = testRunnerGlobals();
  for (const backend of storageBackends()) {
    if (backend.kind === 'server' && backend.url === undefined) {
      describe(`${title} on ${backend.title}`, () => {
        it(`is not run: ${TEST_DATABASE_URL_ENV} is unset, which CI (CI=true) does not allow`, () => {
          // Locally the server suites need a server; under CI its absence is a failure, so the
          // server suites can never drop out of a CI run unnoticed.
          if (process.env['CI'] === 'true') {
            throw new StorageTestKitError(`${TEST_DATABASE_URL_ENV} is not set under CI (CI=true): the server Postgres suite "${title}" must run`);
          }
        });
      });
      continue;
    }
    describe(`${title} on ${backend.title}`, () => {
      let database: TestDatabase<DB> | undefined;
      beforeAll(async () => {
        database = await openTestDatabase<DB>(backend.kind, options.migrations);
      }, TEST_DATABASE_OPEN_TIMEOUT_MS);
      afterAll(async () => {
        await database?.cleanup();
      }, TEST_DATABASE_OPEN_TIMEOUT_MS);
      body({
        kind: backend.kind,
        database: () => {
          if (database === undefined) throw new Error(`the ${backend.title} test database is not open (did beforeAll fail?)`);
          return database;
        },
      });
    });
  }
}

/** The runner's `describe`, `it`, `beforeAll` and `afterAll`, read from the global scope. */
function testRunnerGlobals(): TestRunnerGlobals {
  const scope = globalThis as Partial<Record<keyof TestRunnerGlobals, unknown>>;
  const { describe, it, beforeAll, afterAll } = scope;
  if (typeof describe !== 'function' || typeof it !== 'function' || typeof beforeAll !== 'function' || typeof afterAll !== 'function') {
    throw new StorageTestKitError('describeStorageBackends declares test suites: call it in a test file run by Jest (or a runner with the same globals)');
  }
  return { describe, it, beforeAll, afterAll } as TestRunnerGlobals;
}

function testDatabase<DB>(
  kind: DatabaseKind,
  first: DatabaseHandle<DB>,
  open: () => Promise<DatabaseHandle<DB>>,
  where: Pick<TestDatabase<DB>, 'dataDir' | 'schema' | 'url' | 'migrations'>,
  remove: () => Promise<void>,
): TestDatabase<DB> {
  let handle = first;
  return {
    kind,
    ...where,
    get handle(): DatabaseHandle<DB> {
      return handle;
    },
    async reopen(): Promise<DatabaseHandle<DB>> {
      await handle.close();
      handle = await open();
      return handle;
    },
    async cleanup(): Promise<void> {
      try {
        await handle.close();
      } finally {
        await remove();
      }
    },
  };
}

/**
 * A new schema name for a test on the `TEST_DATABASE_URL` server, `qb_test_<12 hex digits>`: a
 * plain SQL identifier, another at each call, so tests running at once never share a schema.
 * Give it to what the test opens (a storage handle, a queue), then `dropTestSchema` it afterwards.
 */
export function testSchemaName(): string {
  return `qb_test_${randomBytes(6).toString('hex')}`;
}

/**
 * Drops `schema` with everything in it on the Postgres server at `url` (nothing when it does not
 * exist), on a connection of its own. Throws a `StorageTestKitError` when `schema` is not a plain
 * lower-case SQL identifier (`qb_test_1a2b`, `live_parity_42`), before connecting.
 */
export async function dropTestSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new StorageTestKitError(`not a test schema name: '${schema}' (expected a plain lower-case SQL identifier)`);
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
