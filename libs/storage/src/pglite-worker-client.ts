import { Worker } from 'node:worker_threads';
import type { PGliteClient, PGliteQueryResult } from './pglite-dialect';
import { PGLITE_WORKER_SOURCE } from './pglite-worker-source';
import { StorageError, describeCause } from './storage-error';
import { TEXT_TYPE_OIDS } from './type-parsers';

/** The fields a Postgres error carries across the worker boundary (as on pg's `DatabaseError`). */
interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly [field: string]: string | number;
}

type Reply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

type Request =
  | { readonly op: 'query'; readonly sql: string; readonly params: unknown[] }
  | { readonly op: 'exec'; readonly sql: string }
  | { readonly op: 'close' };

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const INIT_ID = 0;

/**
 * PGlite in a worker thread, behind the {@link PGliteClient} interface.
 *
 * Why a worker: PGlite runs Postgres synchronously on the thread that calls it, so in-thread it
 * would stall the caller's event loop for the length of every statement (and ~10 s when it first
 * creates a database); and its CommonJS build loads parts of itself with `import()`, which Jest's
 * module sandbox refuses. In a worker it has a real Node.js thread of its own.
 *
 * The worker keeps the process alive only while a request is in flight, as an idle `pg` pool with
 * `allowExitOnIdle` does; committed work is on disk by then. Rows arrive by structured clone;
 * where the receiving realm differs (Jest), dates, arrays and objects are rebuilt in the
 * caller's realm so `instanceof Date` holds.
 */
export class PGliteWorkerClient implements PGliteClient {
  readonly #worker: Worker;
  readonly #dataDir: string;
  readonly #pending = new Map<number, Pending>();
  #nextId = INIT_ID + 1;
  #isForeignRealm = false;
  #failure: StorageError | undefined;
  #closed: Promise<void> | undefined;

  private constructor(worker: Worker, dataDir: string) {
    this.#worker = worker;
    this.#dataDir = dataDir;
    worker.on('message', (reply: Reply) => this.#settle(reply));
    worker.on('error', (error: unknown) => this.#fail(`stopped: ${describeCause(error)}`, error));
    worker.on('exit', (exitCode: number) => this.#fail(`stopped (worker exit code ${exitCode})`, undefined));
  }

  /**
   * Starts the worker and opens (or, in an empty directory, creates) the database in `dataDir`.
   * Throws {@link StorageError} `STORAGE_DATA_DIR_INVALID` naming the directory when PGlite
   * cannot open it; the worker is gone by then.
   */
  static async start(dataDir: string, pgliteEntry: string): Promise<PGliteWorkerClient> {
    const worker = new Worker(PGLITE_WORKER_SOURCE, {
      eval: true,
      workerData: { pgliteEntry, dataDir, textTypeOids: Object.values(TEXT_TYPE_OIDS) },
    });
    const client = new PGliteWorkerClient(worker, dataDir);
    try {
      const ready = await client.#await(INIT_ID);
      const probe = (ready as { probe?: unknown }).probe;
      client.#isForeignRealm = !(probe instanceof Date);
    } catch (error) {
      await worker.terminate();
      // A worker that died while opening reports through #fail: name what killed it.
      const reason = error instanceof StorageError && error.cause !== undefined ? describeCause(error.cause) : describeCause(error);
      throw new StorageError(
        'STORAGE_DATA_DIR_INVALID',
        `${dataDir}: cannot open the embedded database: ${reason} ` +
          '(a damaged directory, or one written by an incompatible PGlite version; move it away to start afresh)',
        { cause: error },
      );
    }
    worker.unref();
    return client;
  }

  async query(sql: string, params: unknown[] = []): Promise<PGliteQueryResult> {
    return this.#normalizeResult((await this.#send({ op: 'query', sql, params })) as PGliteQueryResult);
  }

  async exec(sql: string): Promise<readonly PGliteQueryResult[]> {
    const results = (await this.#send({ op: 'exec', sql })) as PGliteQueryResult[];
    return results.map((result) => this.#normalizeResult(result));
  }

  /** Closes the database and stops the worker; calling it again waits for the same close. */
  close(): Promise<void> {
    this.#closed ??= this.#closeOnce();
    return this.#closed;
  }

  async #closeOnce(): Promise<void> {
    try {
      if (this.#failure === undefined) await this.#send({ op: 'close' });
    } finally {
      this.#fail('is closed', undefined);
      await this.#worker.terminate();
    }
  }

  #send(request: Request): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const settled = this.#await(id);
    if (this.#pending.size === 1) this.#worker.ref();
    try {
      this.#worker.postMessage({ id, ...request });
    } catch (error) {
      // A parameter the structured clone cannot carry (a function, a class instance with private state).
      this.#pending.get(id)?.reject(error);
      this.#forget(id);
    }
    return settled;
  }

  #await(id: number): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
  }

  #settle(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#forget(reply.id);
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(toDatabaseError(reply.error));
  }

  #forget(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && id !== INIT_ID) this.#worker.unref();
  }

  #fail(what: string, cause: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = new StorageError('STORAGE_UNAVAILABLE', `the embedded database in ${this.#dataDir} ${what}`, { cause });
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }

  #normalizeResult(result: PGliteQueryResult): PGliteQueryResult {
    if (!this.#isForeignRealm) return result;
    return { ...result, rows: result.rows.map((row) => toOwnRealm(row) as object) };
  }
}

/** An `Error` carrying the Postgres fields (`code` is the SQLSTATE), like pg's `DatabaseError`. */
function toDatabaseError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  for (const [key, value] of Object.entries(serialized)) {
    if (key === 'message' || key === 'stack') continue;
    Object.defineProperty(error, key, { value, enumerable: key !== 'name', writable: true, configurable: true });
  }
  return error;
}

/** Rebuilds a cloned value with this realm's Date, Array and Object (typed arrays are kept). */
function toOwnRealm(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Object.prototype.toString.call(value) === '[object Date]') return new Date((value as { getTime(): number }).getTime());
  if (Array.isArray(value)) return value.map(toOwnRealm);
  if (ArrayBuffer.isView(value)) return value;
  const copy: Record<string, unknown> = {};
  // defineProperty, not assignment: a JSON key "__proto__" must stay a key.
  for (const [key, field] of Object.entries(value)) {
    Object.defineProperty(copy, key, { value: toOwnRealm(field), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}
