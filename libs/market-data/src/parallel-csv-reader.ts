import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import type { Ticker } from '@quantbot/core';
import type { CleanInputHeader, CleanRange, OhlcvCsvReading } from './ohlcv-csv-parser';
import { cleanInputHeader, cleanReading, readCleanRange, readOhlcvCsv } from './ohlcv-csv-parser';

/*
 * A large bar file read on two threads. The file is read once, whole, into memory (while the
 * worker thread starts); this thread counts the lines of the first half, so the row the second
 * half starts at is known, hands the worker a copy of the header and the second half, reads the
 * rows of the first half and hashes the bytes; the worker reads the rows of the second half
 * into the same shared columns, each row straight to its place: no column is copied
 * afterwards. The result is the reading the chunked one-thread reading gives, value for value.
 * The file's bytes are let go as soon as the rows are read (the worker's copy goes with the
 * worker), not left for a later garbage collection.
 *
 * Only a clean file is read so (every row clean, the times increasing, one form of date);
 * anything else is read by `readOhlcvCsv` from the same bytes, which names every problem. The
 * worker never decides what the reading is: when it cannot start, fails, or has not started by
 * the time this thread is through its half, this thread takes the job back (the worker's state
 * word says which of the two reads the second half, so the two never write the same rows) and
 * reads the second half itself. The result is the same either way; only the time differs.
 */

/** The worker's state word (`control[STATE]`), moved on with compare-and-exchange only. */
const State = {
  /** Started, loading the reader. */
  Loading: 0,
  /** Loaded, waiting for the job. */
  Ready: 1,
  /** Reading the second half: this thread waits for it. */
  Running: 2,
  /** Read; its rows are clean. */
  Clean: 3,
  /** Read; a row was not clean (the whole file is then read by `readOhlcvCsv`). */
  NotClean: 4,
  /** Failed before or while reading (this thread then reads the second half). */
  Failed: 5,
  /** Taken back by this thread before the worker started on it. */
  TakenBack: 6,
} as const;

const STATE = 0;
/** Float64 slots of the result: the second half's `CleanRange`. */
const Result = { Rows: 0, FirstTime: 1, LastTime: 2, Timed: 3 } as const;
const RESULT_SLOTS = 4;

/** Columns of a reading: date, open, high, low, close, volume, adjusted close. */
const COLUMNS = 7;

/**
 * Room for the second half's rows: this many times as many as its bytes hold at the first half's
 * bytes per row (the first half's rows are counted exactly). A second half of lines so much
 * shorter that its rows do not fit is read whole by `readOhlcvCsv` (the same reading, slower).
 * Room never written costs no memory, but it is reserved for as long as the reading lives.
 */
const SECOND_HALF_MARGIN = 1.5;

/**
 * How long this thread waits for a worker that started on the second half: far longer than the
 * reading of 64 MiB takes (about a second), so it is only reached by a worker that died without
 * a word (its state word can then say nothing). The file is then left to the caller's chunked
 * reading, into columns of its own: the worker may still be writing into these.
 */
const WORKER_DEADLINE_MS = 60_000;

/** What the worker is given once this thread has read the file. */
interface RangeJob {
  readonly kind: 'quantbot-csv-range';
  /** The header line and the second half's lines: a file of its own (transferred, not shared). */
  readonly bytes: ArrayBuffer;
  readonly file: string;
  /** The first half's rows: the row the second half's rows start at. */
  readonly rowsBefore: number;
  readonly columns: readonly SharedArrayBuffer[];
}

/** What the worker is started with. */
interface WorkerSetup {
  readonly kind: 'quantbot-csv-worker';
  readonly control: SharedArrayBuffer;
  readonly entry: string;
  /** Transpiled sources by path, when the reader runs from its TypeScript sources (tests). */
  readonly sources?: Readonly<Record<string, string>>;
}

/**
 * Loads this module in the worker and serves the job. From the built library the module is
 * `parallel-csv-reader.js`; from the TypeScript sources (tests under ts-jest) it and the two
 * source files it needs are handed over transpiled. Any failure to load is reported in the
 * state word, so this thread takes the job back instead of waiting.
 */
const WORKER_BOOTSTRAP = `'use strict';
const { workerData } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
try {
  const { entry, sources } = workerData;
  if (sources !== undefined) {
    const Module = require('node:module');
    Module._extensions['.ts'] = (m, filename) => {
      const source = sources[filename];
      if (typeof source !== 'string') throw new Error('no transpiled source for ' + filename);
      m._compile(source, filename);
    };
  }
  require(entry).serveParallelCsvRange();
} catch (error) {
  Atomics.compareExchange(control, ${STATE}, ${State.Loading}, ${State.Failed});
  Atomics.notify(control, ${STATE});
}
`;

/** The minimal surface of the `typescript` package used to transpile the worker's sources. */
interface TypeScriptTranspiler {
  readonly ModuleKind: { readonly CommonJS: number };
  readonly ScriptTarget: { readonly ES2022: number };
  transpileModule(input: string, options: { readonly compilerOptions: Readonly<Record<string, unknown>>; readonly fileName: string }): { readonly outputText: string };
}

let transpiled: { readonly entry: string; readonly sources: Readonly<Record<string, string>> } | undefined;

/** The worker's entry, and the transpiled sources when it runs from TypeScript. */
function workerEntry(): { readonly entry: string; readonly sources?: Readonly<Record<string, string>> } {
  const entry = __filename;
  if (extname(entry) !== '.ts') return { entry };
  if (transpiled?.entry !== entry) {
    const ts = createRequire(entry)('typescript') as TypeScriptTranspiler;
    const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
    const sources: Record<string, string> = {};
    for (const name of ['parallel-csv-reader.ts', 'ohlcv-csv-parser.ts', 'bar-date.ts']) {
      const file = join(__dirname, name);
      sources[file] = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText;
    }
    transpiled = { entry, sources };
  }
  return transpiled;
}

/** A bar file read by `readBarFileInParallel`, with the SHA-256 of the bytes read when asked. */
export interface ParallelReading {
  readonly reading: OhlcvCsvReading;
  /** Hex SHA-256 and size of the bytes read; null unless `hash`. */
  readonly hashed: { readonly sha256: string; readonly bytes: number } | null;
  /** How the rows were read: on two threads, on this one (the worker was late or failed), or by `readOhlcvCsv` (not clean). */
  readonly how: 'two-threads' | 'one-thread' | 'whole';
}

/** Options of `readBarFileInParallel`. */
export interface ParallelReadOptions {
  readonly symbol: Ticker;
  /** Also hash the bytes read (SHA-256). */
  readonly hash: boolean;
  /** The file's size as `stat` gave it: the memory read into. */
  readonly size: number;
  /** Only for tests: the worker's source (`eval`) instead of the reader's own bootstrap. */
  readonly workerSource?: string;
  /**
   * Only for tests: wait for the worker to start on the second half instead of taking it back
   * when it has not started yet, so that the two-thread reading is the one tested whatever the
   * timing (the worker must be one that starts).
   */
  readonly waitForWorker?: boolean;
  /** Only for tests: how long to wait for a worker that started (default a minute). */
  readonly workerDeadlineMs?: number;
}

/**
 * Reads the bar file `path` (a regular file of `size` bytes, opened as `fd`) as `readBarFile`
 * does, on this thread and a worker (see the module comment). Null when the file is not
 * `size` bytes long when read (it changed), or when a worker that started on its half did not
 * finish within a minute: the caller reads it its own way.
 */
export function readBarFileInParallel(path: string, fd: number, options: ParallelReadOptions): ParallelReading | null {
  const { size } = options;
  const control = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT + RESULT_SLOTS * Float64Array.BYTES_PER_ELEMENT);
  const state = new Int32Array(control, 0, 4);
  const result = new Float64Array(control, 4 * Int32Array.BYTES_PER_ELEMENT, RESULT_SLOTS);
  const worker = startWorker(control, options.workerSource);
  // Done with the worker, whatever it is doing: one that has not started never will, one still
  // reading (this thread read the file another way) is stopped, one that finished exits anyway.
  let stopped = false;
  const stop = (): void => {
    if (worker === null || stopped) return;
    stopped = true;
    takeBack(state);
    void worker.terminate();
  };
  try {
    // The file, whole, into memory of its own (while the worker starts).
    const bytes = Buffer.from(new ArrayBuffer(size));
    let length = 0;
    while (length < size) {
      const n = fs.readSync(fd, bytes, length, size - length, length);
      if (n === 0) break;
      length += n;
    }
    if (length !== size || fs.readSync(fd, Buffer.alloc(1), 0, 1, size) !== 0) return null;
    // Not clean (or not in reach of two threads): read whole, the worker stopped first.
    const readWhole = (sha256: string | null): ParallelReading => {
      stop();
      return whole(bytes, path, options, sha256);
    };

    const input = cleanInputHeader(bytes, path);
    const split = input === null ? -1 : splitPoint(bytes, input);
    if (input === null || split === -1) return readWhole(null);

    // A clean first half has a row on each line (at least one): the second half's rows start after them.
    let rowsBefore = 0;
    for (let at = bytes.indexOf(10, input.bodyStart); at !== -1 && at < split; at = bytes.indexOf(10, at + 1)) rowsBefore++;
    const bytesPerRow = (split - input.bodyStart) / rowsBefore;
    const capacity = rowsBefore + Math.ceil(((input.end - split) / bytesPerRow) * SECOND_HALF_MARGIN) + 16;
    const sharedColumns = Array.from({ length: COLUMNS }, () => new SharedArrayBuffer(capacity * Float64Array.BYTES_PER_ELEMENT));
    const columns = sharedColumns.map((buffer) => new Float64Array(buffer));
    if (worker !== null) {
      const part = new Uint8Array(input.bodyStart + length - split);
      part.set(bytes.subarray(0, input.bodyStart), 0);
      part.set(bytes.subarray(split, length), input.bodyStart);
      const job: RangeJob = { kind: 'quantbot-csv-range', bytes: part.buffer, file: path, rowsBefore, columns: sharedColumns };
      worker.postMessage(job, [part.buffer]);
    }

    const first = readCleanRange(bytes, input, input.bodyStart, split, columns, 0);
    // Fewer rows than lines: not clean (then null already), so this cannot be; checked all the same.
    if (first === null || first.rows !== rowsBefore) return readWhole(null);
    const sha256 = options.hash ? createHash('sha256').update(bytes).digest('hex') : null;

    // The second half: the worker's, unless this thread takes it back before the worker starts on it.
    let second: CleanRange | null;
    let how: ParallelReading['how'] = 'two-threads';
    const deadline = performance.now() + (options.workerDeadlineMs ?? WORKER_DEADLINE_MS);
    if (options.waitForWorker === true && worker !== null) waitWhile(state, deadline, State.Loading, State.Ready);
    if (takeBack(state)) {
      how = 'one-thread';
      second = readCleanRange(bytes, input, split, input.end, columns, first.rows);
    } else {
      const outcome = waitWhile(state, deadline, State.Running);
      // A worker that never finished: its columns are not this thread's to write.
      if (outcome === State.Running) return null;
      if (outcome === State.NotClean) return readWhole(sha256);
      if (outcome === State.Clean) {
        second = { rows: result[Result.Rows] as number, firstTime: result[Result.FirstTime] as number, lastTime: result[Result.LastTime] as number, timed: result[Result.Timed] as number };
      } else {
        // Failed: read it here.
        how = 'one-thread';
        second = readCleanRange(bytes, input, split, input.end, columns, first.rows);
      }
    }
    if (second === null) return readWhole(sha256);
    // The halves join as one clean file would: the times go on increasing, in one form.
    if (second.rows > 0 && (!(second.firstTime > first.lastTime) || second.timed !== first.timed)) return readWhole(sha256);
    const reading = cleanReading(path, options.symbol, columns, first.rows + second.rows, input.header.hasAdjClose);
    // Nothing of the reading refers to the bytes (its columns and lines are memory of their own).
    release(bytes.buffer);
    return { reading, hashed: sha256 === null ? null : { sha256, bytes: length }, how };
  } finally {
    stop();
  }
}

/**
 * Lets `buffer`'s memory go at the next young-generation collection: its memory is moved to a
 * new, unreferenced buffer (a transfer, not a copy), which such a collection frees, instead of
 * staying with `buffer` until a full collection finds it.
 */
function release(buffer: ArrayBuffer): void {
  structuredClone(buffer, { transfer: [buffer] });
}

/** Where the second half starts: the start of the first line after the middle of the rows; −1 when there is none. */
function splitPoint(bytes: Buffer, input: CleanInputHeader): number {
  const middle = input.bodyStart + Math.floor((input.end - input.bodyStart) / 2);
  const lineFeed = bytes.indexOf(10, middle);
  return lineFeed === -1 || lineFeed + 1 >= input.end ? -1 : lineFeed + 1;
}

/** The file read whole by `readOhlcvCsv` (a file that is not clean: it names every problem). */
function whole(bytes: Buffer, path: string, options: ParallelReadOptions, sha256: string | null = null): ParallelReading {
  const hashed = options.hash ? { sha256: sha256 ?? createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length } : null;
  return { reading: readOhlcvCsv(bytes, { source: path, symbol: options.symbol }), hashed, how: 'whole' };
}

/** Starts the worker; null when it cannot be started (this thread then reads both halves). */
function startWorker(control: SharedArrayBuffer, workerSource: string | undefined): Worker | null {
  try {
    const setup: WorkerSetup = { kind: 'quantbot-csv-worker', control, ...workerEntry() };
    const worker = new Worker(workerSource ?? WORKER_BOOTSTRAP, { eval: true, workerData: setup });
    // Never keeps the process alive, and a failure to start is seen in the state word, not thrown here.
    worker.unref();
    worker.on('error', () => undefined);
    return worker;
  } catch {
    return null;
  }
}

/** True when this thread took the job back before the worker started on it. */
function takeBack(state: Int32Array): boolean {
  for (;;) {
    const now = Atomics.load(state, STATE);
    if (now === State.TakenBack) return true;
    if (now !== State.Loading && now !== State.Ready) return now === State.Failed;
    if (Atomics.compareExchange(state, STATE, now, State.TakenBack) === now) return true;
  }
}

/** Waits while the worker's state is one of `states`, until `deadline` (`performance.now()`); returns the state then. */
function waitWhile(state: Int32Array, deadline: number, ...states: readonly number[]): number {
  for (;;) {
    const now = Atomics.load(state, STATE);
    const left = deadline - performance.now();
    if (!states.includes(now) || left <= 0) return now;
    Atomics.wait(state, STATE, now, left);
  }
}

/**
 * The worker's side: announces it is ready, takes the job, reads the second half into the
 * shared columns from the row it is given and reports. Called by the worker's bootstrap;
 * exported for it only.
 */
export function serveParallelCsvRange(): void {
  const port = parentPort;
  const setup = workerData as WorkerSetup;
  if (port === null || setup?.kind !== 'quantbot-csv-worker') throw new Error('serveParallelCsvRange runs in a bar file reader worker only');
  const state = new Int32Array(setup.control, 0, 4);
  const result = new Float64Array(setup.control, 4 * Int32Array.BYTES_PER_ELEMENT, RESULT_SLOTS);
  if (Atomics.compareExchange(state, STATE, State.Loading, State.Ready) !== State.Loading) {
    port.close();
    return;
  }
  Atomics.notify(state, STATE);
  port.once('message', (job: RangeJob) => {
    port.close();
    if (Atomics.compareExchange(state, STATE, State.Ready, State.Running) !== State.Ready) return;
    Atomics.notify(state, STATE);
    let outcome: number = State.Failed;
    try {
      const bytes = Buffer.from(job.bytes);
      const input = cleanInputHeader(bytes, job.file);
      if (input !== null) {
        const columns = job.columns.map((buffer) => new Float64Array(buffer));
        const range = readCleanRange(bytes, input, input.bodyStart, input.end, columns, job.rowsBefore);
        if (range === null) {
          outcome = State.NotClean;
        } else {
          result[Result.Rows] = range.rows;
          result[Result.FirstTime] = range.firstTime;
          result[Result.LastTime] = range.lastTime;
          result[Result.Timed] = range.timed;
          outcome = State.Clean;
        }
      }
    } finally {
      Atomics.store(state, STATE, outcome);
      Atomics.notify(state, STATE);
    }
  });
}
