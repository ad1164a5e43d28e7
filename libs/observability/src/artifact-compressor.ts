import { Worker } from 'node:worker_threads';
import { QuantbotError } from '@quantbot/core';
import { equityCsvBytes } from './equity-csv-bytes';
import { COMPRESS_ARTIFACT_MIN_BYTES, PreparedArtifact, checkEquityCurve } from './run-artifacts';
import type { EquityCurve } from './run-records';

/** Lines per piece of `equity.csv` on the thread (as `equityCsvChunks`; the bytes do not depend on it). */
const EQUITY_PIECE_LINES = 1024;

/*
 * The journal ring: shared memory the main thread encodes pieces into and the compressor thread
 * copies them out of. Each record is an 8-byte header (artifact id, byte length; a length of -1
 * sends the reader back to the start) and the bytes, 8-byte aligned. The control words: where
 * the next record goes (the writer's), where the next one is read (the reader's), and the
 * reader's failure flag.
 */
const RING_WRITE = 0;
const RING_READ = 1;
const RING_FAILED = 2;
const RING_HEADER = 8;
/** The ring's default size: a few dozen journal pieces. */
const RING_DEFAULT_BYTES = 1 << 20;
const RING_MIN_BYTES = 4096;
/** Bytes of text a record holds at least (unless less text is left): the room waited for. */
const RING_MIN_RECORD = 256;
/** How long a writer waits at a time for room in a full ring. */
const RING_WAIT_MS = 50;
/** How long a writer waits in all for a full ring's reader to take anything before failing. */
const RING_STALL_DEFAULT_MS = 60_000;

/** One artifact being made on an {@link ArtifactCompressor}: its text, piece by piece. */
export interface ArtifactWriter {
  /**
   * Appends a piece of text (UTF-8). Synchronous: the piece is encoded into the ring the
   * compressor's thread reads; when the ring is full, waits (blocking) for the thread to make
   * room. Throws a `QuantbotError` (`RUN_WRITE_FAILED`) when the thread has failed or ended, or
   * has taken nothing for the stall timeout.
   */
  write(piece: string): void;
  /**
   * Appends a piece of content as bytes (UTF-8), copied into the ring: the caller may reuse
   * `bytes` once the call returns. Waits and throws as {@link ArtifactWriter.write} does.
   */
  writeBytes(bytes: Uint8Array): void;
  /** Ends the content; resolves once it is hashed and compressed. */
  finish(): Promise<PreparedArtifact>;
}

/**
 * `equity.csv` made on an {@link ArtifactCompressor}'s thread while the curve is still being
 * filled (see {@link ArtifactCompressor.liveEquityCsv}).
 */
export interface LiveEquityCsv {
  /** The equity column to fill, one value per time. */
  readonly equity: Float64Array;
  /**
   * Says values `0` to `done - 1` of `equity` are written and will not change: those not yet
   * published are copied to the thread (with their times), which makes their lines while the
   * caller goes on. Counts below one already published are ignored.
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
const { minBytes, level, chunkSize, highWaterMark, ring, control } = workerData;
const open = new Map();
function entry(id) {
  let a = open.get(id);
  if (a === undefined) {
    a = { id, hash: createHash('sha256'), bytes: 0, held: [], gzip: null, out: [], outHash: createHash('sha256'), outBytes: 0, failed: null, finishing: false, answered: false };
    open.set(id, a);
  }
  return a;
}
function startGzip(a) {
  const gzip = zlib.createGzip({ level, strategy: zlib.constants.Z_DEFAULT_STRATEGY, chunkSize, highWaterMark });
  gzip.on('data', (chunk) => { a.out.push(chunk); a.outHash.update(chunk); a.outBytes += chunk.length; });
  gzip.on('error', (error) => {
    a.failed = error;
    // A finish waiting for an end that an errored stream may never give is answered now.
    if (a.finishing && !a.answered) { a.answered = true; parentPort.postMessage({ kind: 'error', id: a.id, message: String(error && error.message) }); }
  });
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
  a.finishing = true;
  if (a.failed !== null) { a.answered = true; parentPort.postMessage({ kind: 'error', id, message: String(a.failed && a.failed.message) }); return; }
  a.gzip.on('end', () => {
    if (a.answered) return;
    a.answered = true;
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
// Hashes \`bytes\` and hands them to gzip; \`taken()\` is called once they are no longer needed (gzip
// has compressed them, or they were copied to be held until the threshold).
function add(a, bytes, taken) {
  a.hash.update(bytes);
  a.bytes += bytes.length;
  if (a.gzip !== null) a.gzip.write(bytes, taken);
  else {
    a.held.push(Buffer.from(bytes));
    a.heldBytes = (a.heldBytes || 0) + bytes.length;
    taken();
    if (a.heldBytes >= minBytes) startGzip(a);
  }
}
const equityCsvBytes = ${equityCsvBytes.toString()};
// The buffers pieces of equity.csv are made in, used again once gzip has taken them.
const pieceBytes = ${EQUITY_PIECE_LINES} * 64 + 16;
const piecePool = [];
// Lines \`from\` to \`to - 1\` of the columns, hashed and handed to gzip; \`next()\` once gzip can take more.
function addEquity(a, time, equity, from, to, header, next) {
  const into = piecePool.pop() || new Uint8Array(pieceBytes);
  const piece = equityCsvBytes(time, equity, from, to, header, into);
  add(a, piece, () => { if (piece.buffer === into.buffer) piecePool.push(into); });
  // Made no faster than gzip takes it: the text is never all in memory.
  if (a.gzip !== null && a.gzip.writableNeedDrain) a.gzip.once('drain', next);
  else setImmediate(next);
}
// An equity.csv made while the bar loop runs: each published count brings the times and equity
// values of the steps it adds. Lines are made, a piece at a time, from the slices in order.
function pump(id, a) {
  const q = a.live;
  if (q.busy) return;
  const slice = q.slices[0];
  if (slice === undefined) {
    if (!q.ended) return;
    // A curve of no steps is its header alone.
    if (a.bytes === 0) add(a, equityCsvBytes([], [], 0, 0, true), () => undefined);
    finish(id, a);
    return;
  }
  const from = q.at;
  const to = Math.min(slice.time.length, from + q.lines);
  q.at = to;
  if (to === slice.time.length) {
    q.slices.shift();
    q.at = 0;
  }
  q.busy = true;
  addEquity(a, slice.time, slice.equity, from, to, slice.from + from === 0, () => { q.busy = false; pump(id, a); });
}
// The journal ring (RING_* on the other side): records [id, length, bytes], 8-byte aligned; a
// length of -1 sends the reader back to the start. The main thread owns the write offset, this
// thread the read offset; the failure flag tells a writer waiting for room that none will come.
// Records go to gzip straight from the ring, and their room is given back, in ring order, once
// gzip has taken them: the ring bounds what is in flight, and a writer that fills it waits.
const ringBytes = new Uint8Array(ring);
const ringWords = new Int32Array(ring);
const ctl = new Int32Array(control);
// The next record to take, and the records taken whose room is not given back yet.
let scanAt = 0;
let recordsTaken = 0;
const inFlight = [];
// Finishes wait until the records written before them are taken.
const finishes = [];
function failed(error) {
  Atomics.store(ctl, ${RING_FAILED}, 1);
  Atomics.notify(ctl, ${RING_READ});
  throw error;
}
function giveBack() {
  let readAt = -1;
  while (inFlight.length > 0 && inFlight[0].done) readAt = inFlight.shift().end;
  if (readAt >= 0) {
    Atomics.store(ctl, ${RING_READ}, readAt);
    Atomics.notify(ctl, ${RING_READ});
  }
}
function drain() {
  let writeAt = Atomics.load(ctl, ${RING_WRITE});
  while (scanAt !== writeAt) {
    const id = ringWords[scanAt >> 2];
    const length = ringWords[(scanAt >> 2) + 1];
    if (length === -1) {
      scanAt = 0;
      inFlight.push({ end: 0, done: true });
    } else {
      let end = scanAt + ((8 + length + 7) & ~7);
      if (end === ringBytes.length) end = 0;
      const record = { end, done: false };
      inFlight.push(record);
      add(entry(id), ringBytes.subarray(scanAt + 8, scanAt + 8 + length), () => { record.done = true; giveBack(); });
      scanAt = end;
      recordsTaken++;
    }
    if (scanAt === writeAt) writeAt = Atomics.load(ctl, ${RING_WRITE});
  }
  giveBack();
  while (finishes.length > 0 && finishes[0].records <= recordsTaken) onFinish(finishes.shift());
}
let watching = false;
function watch() {
  try { drain(); } catch (error) { failed(error); }
  if (watching) return;
  const writeAt = Atomics.load(ctl, ${RING_WRITE});
  if (writeAt !== scanAt) { setImmediate(watch); return; }
  const waited = Atomics.waitAsync(ctl, ${RING_WRITE}, writeAt);
  if (!waited.async) { setImmediate(watch); return; }
  watching = true;
  waited.value.then(() => { watching = false; watch(); });
}
function onFinish(m) {
  const a = entry(m.id);
  if (a.live === undefined) finish(m.id, a);
  else {
    a.live.ended = true;
    pump(m.id, a);
  }
}
parentPort.on('message', (m) => {
  try {
    const a = entry(m.id);
    if (m.kind === 'equity') {
      // A piece at a time, letting gzip (on the thread pool) take each while the next is made.
      const n = m.time.length;
      const step = (from) => {
        const to = Math.min(n, from + m.lines);
        addEquity(a, m.time, m.equity, from, to, from === 0, () => (to >= n ? finish(m.id, a) : step(to)));
      };
      step(0);
    } else if (m.kind === 'live-equity') a.live = { lines: m.lines, slices: [], at: 0, busy: false, ended: false };
    else if (m.kind === 'live-equity-rows') {
      a.live.slices.push({ from: m.from, time: m.time, equity: m.equity });
      pump(m.id, a);
    } else if (m.kind === 'finish') {
      finishes.push(m);
      drain();
    }
  } catch (error) { failed(error); }
});
watch();
`;

/** Options of {@link ArtifactCompressor.start}. */
export interface ArtifactCompressorOptions {
  /** Content of this many bytes or more is compressed (default: the run writer's threshold, 1 MiB). */
  readonly minBytes?: number;
  /** Size of the shared ring artifacts' pieces go through (default 1 MiB; at least 4 KiB). */
  readonly ringBytes?: number;
  /** How long a write waits for room in a full ring while the thread takes nothing, before failing (default 60 s). */
  readonly stallTimeoutMs?: number;
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
  #closed = false;
  /** `close()` was called: the thread's end is not a failure. */
  #closing = false;
  readonly #ring: Uint8Array;
  readonly #ringWords: Int32Array;
  readonly #control: Int32Array;
  readonly #encoder = new TextEncoder();
  readonly #stallTimeoutMs: number;
  #writeAt = 0;
  /** The room {@link ArtifactCompressor.#reserve} found (header included). */
  #room = 0;
  #recordsWritten = 0;

  private constructor(options: ArtifactCompressorOptions) {
    const ringBytes = Math.max(RING_MIN_BYTES, Math.floor((options.ringBytes ?? RING_DEFAULT_BYTES) / 8) * 8);
    const ring = new SharedArrayBuffer(ringBytes);
    const control = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
    this.#ring = new Uint8Array(ring);
    this.#ringWords = new Int32Array(ring);
    this.#control = new Int32Array(control);
    this.#stallTimeoutMs = options.stallTimeoutMs ?? RING_STALL_DEFAULT_MS;
    this.#worker = new Worker(COMPRESSOR_SOURCE, {
      eval: true,
      // A small young generation: the thread's strings are short-lived pieces.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      workerData: { minBytes: options.minBytes ?? COMPRESS_ARTIFACT_MIN_BYTES, level: 1, chunkSize: 256 << 10, highWaterMark: 1 << 20, ring, control },
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
    // A thread that ends before `close()` (killed, out of memory, an error thrown) can take and
    // answer nothing more: every finish waiting, and every later write and finish, fails now
    // rather than waiting for an answer that will not come.
    this.#worker.on('exit', (code) => {
      if (!this.#closing && this.#failure === null) this.#fail(new Error(`the compressor thread ended (exit code ${code})`));
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
        if (piece.length > 0) this.#put(id, piece);
      },
      writeBytes: (bytes: Uint8Array): void => {
        if (finished) throw new QuantbotError('RUN_WRITE_FAILED', 'an artifact was written to after it was finished');
        if (bytes.length > 0) this.#putBytes(id, bytes);
      },
      finish: (): Promise<PreparedArtifact> => {
        finished = true;
        if (this.#failure !== null) return Promise.reject(this.#failure);
        return new Promise<PreparedArtifact>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          // Done once the records written so far are read.
          this.#worker.postMessage({ kind: 'finish', id, records: this.#recordsWritten });
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
   * fills `equity` (such as `runBacktest`'s `equityBuffer`) step by step and publishes how many
   * steps are done (from `onProgress`); the thread makes, hashes and compresses their lines
   * meanwhile, so at the end only the last steps remain. The same bytes as
   * {@link ArtifactCompressor.equityCsv} of the finished curve. Each published step's time and
   * value are copied to the thread once (an ordinary array rather than shared memory: a large
   * `SharedArrayBuffer` does not count towards the heap's external memory, which delayed the
   * main thread's garbage collection and raised a run's peak memory). Throws a `DataError`
   * (naming `time[i]`) for times `equityCsvChunks` refuses.
   */
  liveEquityCsv(time: ArrayLike<number>): LiveEquityCsv {
    const total = time.length;
    checkEquityCurve({ time, equity: { length: total } as ArrayLike<number> });
    const equity = new Float64Array(total);
    const id = this.#nextId++;
    this.#worker.postMessage({ kind: 'live-equity', id, lines: EQUITY_PIECE_LINES });
    let published = 0;
    let finished = false;
    return {
      equity,
      publish: (done: number): void => {
        if (finished) throw new QuantbotError('RUN_WRITE_FAILED', 'equity steps were published after the curve was finished');
        const to = Math.min(total, Math.floor(done));
        if (!(to > published)) return;
        const times = time instanceof Float64Array ? time.slice(published, to) : Float64Array.from({ length: to - published }, (_, i) => time[published + i] as number);
        const values = equity.slice(published, to);
        this.#worker.postMessage({ kind: 'live-equity-rows', id, from: published, time: times, equity: values }, [times.buffer, values.buffer]);
        published = to;
      },
      finish: (): Promise<PreparedArtifact> => {
        finished = true;
        if (this.#failure !== null) return Promise.reject(this.#failure);
        if (published < total) return Promise.reject(new QuantbotError('RUN_WRITE_FAILED', `the equity curve was finished with ${published} of its ${total} steps published`));
        return new Promise<PreparedArtifact>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          this.#worker.postMessage({ kind: 'finish', id, records: 0 });
        });
      },
    };
  }

  /** Ends the thread (artifacts not finished are dropped). */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#worker.terminate();
    this.#closed = true;
  }

  /** Throws when pieces can no longer be taken: the thread failed, or was closed. */
  #checkOpen(): void {
    if (this.#failure !== null) throw this.#failure;
    if (Atomics.load(this.#control, RING_FAILED) !== 0) throw new QuantbotError('RUN_WRITE_FAILED', 'cannot compress an artifact: the compressor thread failed');
    if (this.#closed) throw new QuantbotError('RUN_WRITE_FAILED', 'cannot compress an artifact: the compressor was closed');
  }

  /**
   * Encodes `text` into the ring as records of artifact `id`, waiting (blocking this thread) for
   * room while the ring is full. A text longer than the room goes in several records.
   */
  #put(id: number, text: string): void {
    this.#checkOpen();
    let rest = text;
    while (rest.length > 0) {
      const at = this.#reserve(id, Math.min(rest.length * 3, RING_MIN_RECORD));
      const { read, written } = this.#encoder.encodeInto(rest, this.#ring.subarray(at + RING_HEADER, at + this.#room));
      this.#commit(id, at, written);
      rest = read === rest.length ? '' : rest.slice(read);
    }
  }

  /** {@link ArtifactCompressor.#put} of bytes: copied into the ring, in several records when longer than the room. */
  #putBytes(id: number, bytes: Uint8Array): void {
    this.#checkOpen();
    let from = 0;
    while (from < bytes.length) {
      const at = this.#reserve(id, Math.min(bytes.length - from, RING_MIN_RECORD));
      const length = Math.min(bytes.length - from, this.#room - RING_HEADER);
      this.#ring.set(bytes.subarray(from, from + length), at + RING_HEADER);
      this.#commit(id, at, length);
      from += length;
    }
  }

  /**
   * Where the next record of artifact `id` goes, with room (in {@link ArtifactCompressor.#room},
   * its header included) for at least `bytes` bytes after its header: waits (blocking this
   * thread) while the ring is full, and sends the reader back to the start when the room before
   * the end is too small.
   */
  #reserve(id: number, bytes: number): number {
    const control = this.#control;
    const size = this.#ring.length;
    const want = bytes + RING_HEADER;
    let at = this.#writeAt;
    let stalledMs = 0;
    for (;;) {
      const readAt = Atomics.load(control, RING_READ);
      if (at >= readAt) {
        // Up to the end (short of the reader when it is at the start: a full ring never looks empty).
        const room = size - at - (readAt === 0 ? RING_HEADER : 0);
        if (room >= want) {
          this.#room = room;
          return at;
        }
        if (readAt > 0) {
          // Too little room before the end: the reader goes back to the start.
          this.#ringWords[at >> 2] = id;
          this.#ringWords[(at >> 2) + 1] = -1;
          at = 0;
          this.#publish(at);
          continue;
        }
      } else {
        const room = readAt - at - RING_HEADER;
        if (room >= want) {
          this.#room = room;
          return at;
        }
      }
      if (Atomics.load(control, RING_FAILED) !== 0) this.#checkOpen();
      if (Atomics.wait(control, RING_READ, readAt, RING_WAIT_MS) === 'timed-out') {
        stalledMs += RING_WAIT_MS;
        if (stalledMs >= this.#stallTimeoutMs) {
          throw new QuantbotError('RUN_WRITE_FAILED', `cannot compress an artifact: the compressor thread took nothing from its full ring for ${this.#stallTimeoutMs} ms`);
        }
      } else stalledMs = 0;
    }
  }

  /** Ends the record at `at` (of `length` bytes after its header) and hands it to the reader. */
  #commit(id: number, at: number, length: number): void {
    this.#ringWords[at >> 2] = id;
    this.#ringWords[(at >> 2) + 1] = length;
    let next = at + ((RING_HEADER + length + 7) & ~7);
    if (next === this.#ring.length) next = 0;
    this.#recordsWritten++;
    this.#publish(next);
  }

  #publish(writeAt: number): void {
    this.#writeAt = writeAt;
    Atomics.store(this.#control, RING_WRITE, writeAt);
    Atomics.notify(this.#control, RING_WRITE);
  }

  #fail(error: Error): void {
    this.#failure = new QuantbotError('RUN_WRITE_FAILED', `cannot compress an artifact: ${error.message}`, { cause: error });
    Atomics.store(this.#control, RING_FAILED, 1);
    for (const waiting of this.#pending.values()) waiting.reject(this.#failure);
    this.#pending.clear();
  }
}
