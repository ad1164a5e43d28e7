import { Worker } from 'node:worker_threads';
import { QuantbotError } from '@quantbot/core';
import { equityCsvBytes } from './equity-csv-bytes';
import { COMPRESS_ARTIFACT_MIN_BYTES, PreparedArtifact, checkEquityCurve } from './run-artifacts';
import type { EquityCurve } from './run-records';

/** Lines per piece of `equity.csv` on the thread (as `equityCsvChunks`; the bytes do not depend on it). */
const EQUITY_PIECE_LINES = 1024;

/** One artifact being made on an {@link ArtifactCompressor}: its text, piece by piece. */
export interface ArtifactWriter {
  /** Appends a piece of text (UTF-8). Synchronous: the piece is copied to the compressor's thread. */
  write(piece: string): void;
  /** Ends the content; resolves once it is hashed and compressed. */
  finish(): Promise<PreparedArtifact>;
}

/**
 * `equity.csv` made on an {@link ArtifactCompressor}'s thread while the curve is still being
 * filled (see {@link ArtifactCompressor.liveEquityCsv}).
 */
export interface LiveEquityCsv {
  /** The equity column to fill (over shared memory, one value per time): the thread reads it as steps are published. */
  readonly equity: Float64Array;
  /**
   * Says values `0` to `done - 1` of `equity` are written and will not change: the thread makes
   * their lines while the caller goes on. Counts below one already published are ignored.
   */
  publish(done: number): void;
  /** Resolves once every step is published (else rejects) and the text is hashed and compressed. */
  finish(): Promise<PreparedArtifact>;
}

/** The compressor thread's view of one message. */
type CompressorMessage =
  | { readonly kind: 'done'; readonly id: number; readonly sha256: string; readonly bytes: number; readonly gzip: { readonly data: Uint8Array; readonly sha256: string } | null; readonly plain: Uint8Array | null }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };

/*
 * The compressor thread: plain JavaScript on Node's own modules (so it runs the same from the
 * built library and from the sources under test). Each artifact's pieces are hashed, held until
 * they reach the threshold, then streamed through gzip with the options, chunk size and
 * high-water mark of the run writer's own streaming path (`writeRunArtifactsStreaming`): the
 * compressed bytes are the same.
 */
const COMPRESSOR_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
const { minBytes, level, chunkSize, highWaterMark } = workerData;
const open = new Map();
function entry(id) {
  let a = open.get(id);
  if (a === undefined) {
    a = { hash: createHash('sha256'), bytes: 0, held: [], gzip: null, out: [], outHash: createHash('sha256'), outBytes: 0, failed: null };
    open.set(id, a);
  }
  return a;
}
function startGzip(a) {
  const gzip = zlib.createGzip({ level, strategy: zlib.constants.Z_DEFAULT_STRATEGY, chunkSize, highWaterMark });
  gzip.on('data', (chunk) => { a.out.push(chunk); a.outHash.update(chunk); a.outBytes += chunk.length; });
  gzip.on('error', (error) => { a.failed = error; });
  a.gzip = gzip;
  for (const held of a.held) gzip.write(held);
  a.held = [];
}
function finish(id, a) {
  open.delete(id);
  const sha256 = a.hash.digest('hex');
  if (a.gzip === null) {
    const plain = Buffer.concat(a.held);
    parentPort.postMessage({ kind: 'done', id, sha256, bytes: a.bytes, gzip: null, plain });
    return;
  }
  a.gzip.on('end', () => {
    if (a.failed !== null) { parentPort.postMessage({ kind: 'error', id, message: String(a.failed && a.failed.message) }); return; }
    // Into a buffer of its own, handed over (not copied).
    const data = new Uint8Array(a.outBytes);
    let at = 0;
    for (const chunk of a.out) { data.set(chunk, at); at += chunk.length; }
    a.out = [];
    parentPort.postMessage({ kind: 'done', id, sha256, bytes: a.bytes, gzip: { data, sha256: a.outHash.digest('hex') }, plain: null }, [data.buffer]);
  });
  a.gzip.end();
}
function add(a, bytes) {
    a.hash.update(bytes);
    a.bytes += bytes.length;
    if (a.gzip !== null) a.gzip.write(bytes);
    else {
      a.held.push(bytes);
      a.heldBytes = (a.heldBytes || 0) + bytes.length;
      if (a.heldBytes >= minBytes) startGzip(a);
    }
}
const equityCsvBytes = ${equityCsvBytes.toString()};
// An equity.csv made while the bar loop runs: the equity column is shared memory the loop writes
// into; each published count brings the times of the steps it adds. Lines are made, a piece at a
// time, from the slices in order, no faster than gzip takes them.
function pump(id, a) {
  const q = a.live;
  if (q.busy) return;
  const slice = q.slices[0];
  if (slice === undefined) {
    if (!q.ended) return;
    // A curve of no steps is its header alone.
    if (a.bytes === 0) add(a, Buffer.from(equityCsvBytes([], [], 0, 0, true)));
    finish(id, a);
    return;
  }
  const to = Math.min(slice.time.length, q.at + q.lines);
  const piece = equityCsvBytes(slice.time, q.equity.subarray(slice.from, slice.from + slice.time.length), q.at, to, slice.from + q.at === 0);
  add(a, Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
  q.at = to;
  if (to === slice.time.length) {
    q.slices.shift();
    q.at = 0;
  }
  q.busy = true;
  const next = () => { q.busy = false; pump(id, a); };
  if (a.gzip !== null && a.gzip.writableNeedDrain) a.gzip.once('drain', next);
  else setImmediate(next);
}
parentPort.on('message', (m) => {
  const a = entry(m.id);
  if (m.kind === 'write') add(a, Buffer.from(m.piece, 'utf8'));
  else if (m.kind === 'equity') {
    // A piece at a time, letting gzip (on the thread pool) take each while the next is made.
    const n = m.time.length;
    const step = (from) => {
      const piece = equityCsvBytes(m.time, m.equity, from, Math.min(n, from + m.lines), from === 0);
      add(a, Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
      if (from + m.lines >= n) finish(m.id, a);
      // Made no faster than gzip takes it: the text is never all in memory.
      else if (a.gzip !== null && a.gzip.writableNeedDrain) a.gzip.once('drain', () => step(from + m.lines));
      else setImmediate(step, from + m.lines);
    };
    step(0);
  } else if (m.kind === 'live-equity') a.live = { equity: m.equity, lines: m.lines, slices: [], at: 0, busy: false, ended: false };
  else if (m.kind === 'live-equity-rows') {
    a.live.slices.push({ from: m.from, time: m.time });
    pump(m.id, a);
  } else if (m.kind === 'finish') {
    if (a.live === undefined) finish(m.id, a);
    else {
      a.live.ended = true;
      pump(m.id, a);
    }
  }
});
`;

/** Options of {@link ArtifactCompressor.start}. */
export interface ArtifactCompressorOptions {
  /** Content of this many bytes or more is compressed (default: the run writer's threshold, 1 MiB). */
  readonly minBytes?: number;
}

/**
 * Hashes and gzip-compresses artifacts on a thread of their own while the caller is still making
 * them: a backtest hands its journals over piece by piece as it runs (see `RunRecorder`'s
 * `sink`), so the journal is never held as objects and its compression overlaps with the bar
 * loop instead of following it. The thread never keeps the process alive; `close` ends it.
 *
 * @example
 * const compressor = ArtifactCompressor.start();
 * const orders = compressor.artifact();
 * orders.write('{"seq":1}\n');
 * const content = await orders.finish(); // a RunArtifact's content
 * await compressor.close();
 */
export class ArtifactCompressor {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (content: PreparedArtifact) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #failure: Error | null = null;

  private constructor(options: ArtifactCompressorOptions) {
    this.#worker = new Worker(COMPRESSOR_SOURCE, {
      eval: true,
      // A small young generation: the thread's strings are short-lived pieces.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      workerData: { minBytes: options.minBytes ?? COMPRESS_ARTIFACT_MIN_BYTES, level: 1, chunkSize: 256 << 10, highWaterMark: 1 << 20 },
    });
    this.#worker.unref();
    this.#worker.on('message', (message: CompressorMessage) => {
      const waiting = this.#pending.get(message.id);
      if (waiting === undefined) return;
      this.#pending.delete(message.id);
      if (message.kind === 'error') waiting.reject(new QuantbotError('RUN_WRITE_FAILED', `cannot compress an artifact: ${message.message}`));
      else waiting.resolve(new PreparedArtifact({ sha256: message.sha256, bytes: message.bytes, gzip: message.gzip, plain: message.plain }));
    });
    this.#worker.on('error', (error: Error) => this.#fail(error));
    this.#worker.on('exit', (code) => {
      if (this.#pending.size > 0) this.#fail(new Error(`the compressor thread exited (code ${code})`));
    });
  }

  /** Starts the compressor thread. */
  static start(options: ArtifactCompressorOptions = {}): ArtifactCompressor {
    return new ArtifactCompressor(options);
  }

  /** A new artifact to write pieces of. */
  artifact(): ArtifactWriter {
    const id = this.#nextId++;
    let finished = false;
    return {
      write: (piece: string): void => {
        if (finished) throw new QuantbotError('RUN_WRITE_FAILED', 'an artifact was written to after it was finished');
        if (piece.length > 0) this.#worker.postMessage({ kind: 'write', id, piece });
      },
      finish: (): Promise<PreparedArtifact> => {
        finished = true;
        if (this.#failure !== null) return Promise.reject(this.#failure);
        return new Promise<PreparedArtifact>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          this.#worker.postMessage({ kind: 'finish', id });
        });
      },
    };
  }

  /**
   * `equity.csv` of `curve` (see `equityCsvChunks`), made, hashed and compressed on the thread:
   * the same bytes as the run writer makes of it. The columns are copied to the thread. Throws
   * a `DataError` (naming `time[i]`) for a curve `equityCsvChunks` refuses.
   */
  equityCsv(curve: EquityCurve): Promise<PreparedArtifact> {
    checkEquityCurve(curve);
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<PreparedArtifact>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Copied once, and the copies handed over (not copied again).
      const time = Float64Array.from(curve.time);
      const equity = Float64Array.from(curve.equity);
      this.#worker.postMessage({ kind: 'equity', id, time, equity, lines: EQUITY_PIECE_LINES }, [time.buffer, equity.buffer]);
    });
  }

  /**
   * `equity.csv` of a curve whose times are `time` and whose equity is not known yet: the caller
   * fills `equity` (shared memory, such as `runBacktest`'s `equityBuffer`) step by step and
   * publishes how many steps are done (from `onProgress`); the thread makes, hashes and
   * compresses their lines meanwhile, so at the end only the last steps remain. The same bytes
   * as {@link ArtifactCompressor.equityCsv} of the finished curve. Only the published times are
   * copied to the thread. Throws a `DataError` (naming `time[i]`) for times `equityCsvChunks`
   * refuses.
   */
  liveEquityCsv(time: ArrayLike<number>): LiveEquityCsv {
    const total = time.length;
    checkEquityCurve({ time, equity: { length: total } as ArrayLike<number> });
    const equity = new Float64Array(new SharedArrayBuffer(total * Float64Array.BYTES_PER_ELEMENT));
    const id = this.#nextId++;
    this.#worker.postMessage({ kind: 'live-equity', id, equity, lines: EQUITY_PIECE_LINES });
    let published = 0;
    let finished = false;
    return {
      equity,
      publish: (done: number): void => {
        if (finished) throw new QuantbotError('RUN_WRITE_FAILED', 'equity steps were published after the curve was finished');
        const to = Math.min(total, Math.floor(done));
        if (!(to > published)) return;
        const times = time instanceof Float64Array ? time.slice(published, to) : Float64Array.from({ length: to - published }, (_, i) => time[published + i] as number);
        this.#worker.postMessage({ kind: 'live-equity-rows', id, from: published, time: times }, [times.buffer]);
        published = to;
      },
      finish: (): Promise<PreparedArtifact> => {
        finished = true;
        if (this.#failure !== null) return Promise.reject(this.#failure);
        if (published < total) return Promise.reject(new QuantbotError('RUN_WRITE_FAILED', `the equity curve was finished with ${published} of its ${total} steps published`));
        return new Promise<PreparedArtifact>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          this.#worker.postMessage({ kind: 'finish', id });
        });
      },
    };
  }

  /** Ends the thread (artifacts not finished are dropped). */
  async close(): Promise<void> {
    await this.#worker.terminate();
  }

  #fail(error: Error): void {
    this.#failure = new QuantbotError('RUN_WRITE_FAILED', `cannot compress an artifact: ${error.message}`, { cause: error });
    for (const waiting of this.#pending.values()) waiting.reject(this.#failure);
    this.#pending.clear();
  }
}
