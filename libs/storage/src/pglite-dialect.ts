import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import {
  AbortedTransactionError,
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  createQueryId,
  sql,
} from 'kysely';
import { ConnectionMutex } from './connection-mutex';

/** One result of a PGlite statement, as `PGlite.query` and `PGlite.exec` return it. */
export interface PGliteQueryResult {
  readonly rows: readonly object[];
  readonly affectedRows?: number;
  readonly command?: string;
}

/**
 * What the dialect needs from a PGlite database: a `PGlite` instance satisfies it, and so does
 * the worker-thread client `openDatabase` uses.
 */
export interface PGliteClient {
  /** One statement with `$1…` parameters (extended protocol). */
  query(sql: string, params?: unknown[]): Promise<PGliteQueryResult>;
  /** One or more statements without parameters (simple protocol). */
  exec(sql: string): Promise<readonly PGliteQueryResult[]>;
  close(): Promise<void>;
}

/** How {@link PGliteDialect} gets its database. */
export interface PGliteDialectConfig {
  /** The database, or a function that opens it when kysely first needs it. */
  readonly database: PGliteClient | (() => Promise<PGliteClient>);
  /** Called once with the connection before kysely's first query (set `search_path`, say). */
  readonly onCreateConnection?: (connection: DatabaseConnection) => Promise<void>;
}

const ROW_COUNT_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * A kysely dialect for PGlite (Postgres compiled to WebAssembly): Postgres SQL, adapter and
 * introspector, one connection. Kysely calls are serialised on that connection by a mutex, and a
 * transaction keeps it from BEGIN to COMMIT/ROLLBACK, so concurrent calls never interleave with
 * an open transaction. Statements behave as through `pg`: parameterless SQL runs with the simple
 * protocol (several statements allowed), the rest with the extended one.
 *
 * @example
 * const db = new Kysely<DB>({ dialect: new PGliteDialect({ database: await PGlite.create('./db') }) });
 */
export class PGliteDialect implements Dialect {
  readonly #config: PGliteDialectConfig;

  constructor(config: PGliteDialectConfig) {
    this.#config = Object.freeze({ ...config });
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#config);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createIntrospector(db: Parameters<Dialect['createIntrospector']>[0]): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PGliteDriver implements Driver {
  readonly #config: PGliteDialectConfig;
  readonly #mutex = new ConnectionMutex();
  #client: PGliteClient | undefined;
  #connection: PGliteConnection | undefined;

  constructor(config: PGliteDialectConfig) {
    this.#config = config;
  }

  async init(): Promise<void> {
    const { database } = this.#config;
    this.#client = typeof database === 'function' ? await database() : database;
    this.#connection = new PGliteConnection(this.#client);
    await this.#config.onCreateConnection?.(this.#connection);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    if (this.#connection === undefined) {
      this.#mutex.unlock();
      throw new Error('the PGlite driver has been destroyed');
    }
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let statement = 'begin';
    if (settings.isolationLevel !== undefined || settings.accessMode !== undefined) {
      statement = 'start transaction';
      if (settings.isolationLevel !== undefined) statement += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode !== undefined) statement += ` ${settings.accessMode}`;
    }
    await connection.executeQuery(CompiledQuery.raw(statement));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // Postgres answers COMMIT with ROLLBACK when an earlier error aborted the transaction.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, savepointName: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(sql`savepoint ${sql.id(savepointName)}`.toOperationNode(), createQueryId()));
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    savepointName: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await connection.executeQuery(compileQuery(sql`rollback to savepoint ${sql.id(savepointName)}`.toOperationNode(), createQueryId()));
  }

  async releaseSavepoint(connection: DatabaseConnection, savepointName: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(sql`release savepoint ${sql.id(savepointName)}`.toOperationNode(), createQueryId()));
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async destroy(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#connection = undefined;
    await client?.close();
  }
}

class PGliteConnection implements DatabaseConnection {
  readonly #client: PGliteClient;

  constructor(client: PGliteClient) {
    this.#client = client;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql: text, parameters } = compiledQuery;
    if (parameters.length > 0) return toQueryResult<R>(await this.#client.query(text, [...parameters]));
    const results = await this.#client.exec(text);
    // Like pg with several statements: no single result to report.
    const only = results.length === 1 ? results[0] : undefined;
    return only === undefined ? { rows: [] } : toQueryResult<R>(only);
  }

  // PGlite has no cursors: the whole result is read, then handed out in chunks.
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error('chunkSize must be a positive integer');
    const { rows } = await this.executeQuery<R>(compiledQuery);
    for (let start = 0; start < rows.length; start += chunkSize) {
      yield { rows: rows.slice(start, start + chunkSize) };
    }
  }
}

function toQueryResult<R>(result: PGliteQueryResult): QueryResult<R> {
  const { command } = result;
  if (command === 'COMMIT' || command === 'ROLLBACK') return { rows: [{ command } as R] };
  return {
    numAffectedRows: command !== undefined && ROW_COUNT_COMMANDS.has(command) ? BigInt(result.affectedRows ?? 0) : undefined,
    rows: result.rows as R[],
  };
}
