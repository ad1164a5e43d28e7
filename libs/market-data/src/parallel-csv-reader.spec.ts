import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { ticker } from '@quantbot/core';
import * as loader from './bar-file-loader';
import type { OhlcvCsvReading } from './ohlcv-csv-parser';
import { readOhlcvCsv } from './ohlcv-csv-parser';
import type { ParallelReadOptions, ParallelReading } from './parallel-csv-reader';
import * as parallel from './parallel-csv-reader';

const SYMBOL = ticker('PAR');
const DAY = 86_400_000;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantbot-parallel-csv-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** Writes `text` to a new file and reads it with `readBarFileInParallel` (hashing). */
function readInParallel(text: string | Buffer, options: Partial<ParallelReadOptions> = {}): { read: ParallelReading | null; file: string; bytes: Buffer } {
  const file = path.join(dir, `bars-${++fileCount}.csv`);
  fs.writeFileSync(file, text);
  const bytes = fs.readFileSync(file);
  const fd = fs.openSync(file, 'r');
  try {
    return { read: parallel.readBarFileInParallel(file, fd, { symbol: SYMBOL, hash: true, size: bytes.length, waitForWorker: true, ...options }), file, bytes };
  } finally {
    fs.closeSync(fd);
  }
}

/** The bytes of a typed array, to compare columns bit for bit (cheaply, however long). */
function bitsOf(column: Float64Array | Int32Array | null): string | null {
  return column === null ? null : createHash('sha256').update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength)).digest('hex');
}

/** The reading as plain values, to compare two readings exactly (columns by their bits). */
function plain(reading: OhlcvCsvReading): unknown {
  const s = reading.series;
  return {
    file: reading.file,
    symbol: s.symbol,
    length: s.length,
    columns: [s.time, s.open, s.high, s.low, s.close, s.volume, s.adjClose, reading.lines].map((column) => [column?.length, bitsOf(column)]),
    problems: reading.problems,
  };
}

/** Expects the two-thread reading to be `readOhlcvCsv`'s of the same bytes, with their SHA-256. */
function expectSameAsWhole(result: { read: ParallelReading | null; file: string; bytes: Buffer }): ParallelReading {
  const { read, file, bytes } = result;
  expect(read).not.toBeNull();
  const got = read as ParallelReading;
  expect(plain(got.reading)).toEqual(plain(readOhlcvCsv(bytes, { source: file, symbol: SYMBOL })));
  expect(got.hashed).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
  return got;
}

interface CsvShape {
  readonly rows: number;
  readonly adjClose?: boolean;
  readonly intraday?: boolean;
  readonly crlf?: boolean;
  readonly bom?: boolean;
  /** Line feeds (and blanks) after the last row. */
  readonly trailing?: string;
  readonly startDay?: number;
}

/** One row's fields, in header order. */
function rowFields(k: number, shape: CsvShape): string[] {
  const time = ((shape.startDay ?? 10_000) + k) * DAY + (shape.intraday === true ? (9 * 60 + 30) * 60_000 : 0);
  const iso = new Date(time).toISOString();
  const date = shape.intraday === true ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso.slice(0, 10);
  const base = 10 + ((k * 7919) % 5000) / 100;
  const prices = [base, base + 1.25, base - 0.5, base + 0.25].map((p) => p.toFixed(2));
  return [date, ...prices, ...(shape.adjClose === true ? [(base * 0.9).toFixed(4)] : []), String(1000 + ((k * 104_729) % 900_000))];
}

/** A clean CSV of `shape`. */
function csv(shape: CsvShape, rows: readonly string[][] = Array.from({ length: shape.rows }, (_, k) => rowFields(k, shape))): string {
  const header = ['Date', 'Open', 'High', 'Low', 'Close', ...(shape.adjClose === true ? ['Adj Close'] : []), 'Volume'];
  const eol = shape.crlf === true ? '\r\n' : '\n';
  const lines = [header.join(','), ...rows.map((fields) => fields.join(','))];
  return `${shape.bom === true ? '\uFEFF' : ''}${lines.join(eol)}${shape.trailing ?? eol}`;
}

describe('readBarFileInParallel: a clean file on two threads', () => {
  it('reads a clean file as readOhlcvCsv reads it, the second half on the worker, and hashes the bytes read', () => {
    const got = expectSameAsWhole(readInParallel(csv({ rows: 5_000, adjClose: true })));
    expect(got.how).toBe('two-threads');
    expect(got.reading.series.length).toBe(5_000);
    // Each row straight to its place in shared columns: nothing copied afterwards; the room
    // reserved is the rows' and a margin for the second half, not a bound from the bytes.
    expect(got.reading.series.close.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(got.reading.series.close.buffer.byteLength).toBeLessThan(8 * (5_000 + 2_500 * 1.5 + 32));
  });

  it('reads every layout the one-thread reading takes: CRLF, a BOM, no Adj Close, times of day, trailing blank lines, no final line feed', () => {
    const shapes: CsvShape[] = [
      { rows: 3_001, crlf: true },
      { rows: 2_000, bom: true, adjClose: true },
      { rows: 1_999, intraday: true },
      { rows: 1_000, trailing: '\n\n  \n\t\n' },
      { rows: 1_000, trailing: '' },
      { rows: 3, trailing: '' },
    ];
    for (const shape of shapes) expect(expectSameAsWhole(readInParallel(csv(shape))).how).toBe('two-threads');
  });

  it('reads a file whose middle falls in its last line whole (no line starts after it), the same reading', () => {
    expect(expectSameAsWhole(readInParallel(csv({ rows: 2, trailing: '' }))).how).toBe('whole');
  });

  it('reads the same whatever the split falls on: random clean files of 2 to 300 rows, numbers the fast path leaves to the exact one among them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.constantFrom('1e2', '100.000000000000000001', ' 12.5 ', '0012.50'), { maxLength: 3 }),
        fc.nat(),
        (rows, adjClose, crlf, odd, at) => {
          const shape: CsvShape = { rows, adjClose, crlf };
          const fields = Array.from({ length: rows }, (_, k) => rowFields(k, shape));
          // Numbers written another way (exponent, long fraction, blanks, leading zeros) in the open column.
          odd.forEach((text, i) => ((fields[(at + i * 31) % rows] as string[])[1] = text));
          const got = expectSameAsWhole(readInParallel(csv(shape, fields)));
          expect(got.how).toBe('two-threads');
        },
      ),
      { seed: 20_261_206, numRuns: 40 },
    );
  });
});

describe('readBarFileInParallel: a file that is not clean is read whole', () => {
  const shape: CsvShape = { rows: 2_000 };
  const rowsWith = (change: (fields: string[][]) => void): string => {
    const fields = Array.from({ length: shape.rows }, (_, k) => rowFields(k, shape));
    change(fields);
    return csv(shape, fields);
  };
  const cases: readonly (readonly [string, string])[] = [
    ['a malformed row in the first half', rowsWith((f) => ((f[100] as string[])[2] = 'abc'))],
    ['a malformed row in the second half', rowsWith((f) => ((f[1_900] as string[])[2] = 'abc'))],
    ['a non-positive price in the second half', rowsWith((f) => ((f[1_500] as string[])[4] = '0'))],
    ['a duplicate date across the halves', rowsWith((f) => ((f[1_000] as string[])[0] = (f[999] as string[])[0] as string))],
    ['dates out of order across the halves', rowsWith((f) => ((f[1_001] as string[])[0] = (f[998] as string[])[0] as string))],
    ['daily rows in the first half, times of day in the second', rowsWith((f) => f.forEach((row, k) => k >= 1_500 && (row[0] = `${row[0] as string} 16:00:00`)))],
    ['an empty line in the middle of the rows', csv(shape).replace(/\n/gu, (m, offset: number) => (offset > 40_000 && offset < 40_060 ? '\n\n' : m))],
  ];
  it.each(cases)('%s: the problems named as readOhlcvCsv names them', (_, text) => {
    const got = expectSameAsWhole(readInParallel(text));
    expect(got.how).toBe('whole');
    expect(got.reading.problems.length).toBeGreaterThan(0);
  });

  it('a second half of lines so much shorter than the first half\'s that its rows do not fit the room reserved: read whole, the same reading', () => {
    const rows = Array.from({ length: 2_000 }, (_, k) => [...rowFields(k, { rows: 2_000 }), k < 1_000 ? '7'.repeat(300) : '0']);
    const text = `Date,Open,High,Low,Close,Volume,OpenInterest\n${rows.map((fields) => fields.join(',')).join('\n')}\n`;
    const got = expectSameAsWhole(readInParallel(text));
    expect(got.how).toBe('whole');
    expect(got.reading.problems).toEqual([]);
  });

  it('a bad header: the DataError readOhlcvCsv throws, naming the file and line 1', () => {
    const { file } = { file: path.join(dir, 'bad-header.csv') };
    fs.writeFileSync(file, csv(shape).replace('Volume', 'Volumen'));
    const fd = fs.openSync(file, 'r');
    try {
      expect(() => parallel.readBarFileInParallel(file, fd, { symbol: SYMBOL, hash: true, size: fs.statSync(file).size })).toThrow(
        expect.objectContaining({ name: 'DataError', message: expect.stringContaining(`${file}:1`) as unknown }) as Error,
      );
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('readBarFileInParallel: the worker is never needed for the result', () => {
  const text = csv({ rows: 4_000, adjClose: true });
  it('a worker that fails to load: this thread reads the second half, same reading', () => {
    const source = `const c = new Int32Array(require('node:worker_threads').workerData.control); Atomics.store(c, 0, 5); Atomics.notify(c, 0);`;
    expect(expectSameAsWhole(readInParallel(text, { workerSource: source, waitForWorker: false })).how).toBe('one-thread');
  });

  it('a worker that never starts on the job: taken back once this thread is through its half, same reading', () => {
    expect(expectSameAsWhole(readInParallel(text, { workerSource: '', waitForWorker: false })).how).toBe('one-thread');
  });

  it('a worker that fails while reading (after starting on the job): this thread reads the second half again, same reading', () => {
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      const c = new Int32Array(workerData.control, 0, 4);
      Atomics.store(c, 0, 1); Atomics.notify(c, 0);
      parentPort.once('message', (job) => {
        parentPort.close();
        Atomics.store(c, 0, 2);
        // Half-written rows, then a failure.
        for (const buffer of job.columns) new Float64Array(buffer).fill(-1, job.rowsBefore, job.rowsBefore + 100);
        Atomics.store(c, 0, 5); Atomics.notify(c, 0);
      });`;
    expect(expectSameAsWhole(readInParallel(text, { workerSource: source })).how).toBe('one-thread');
  });
});

describe('readBarFileInParallel: a worker that dies while reading its half', () => {
  it('is waited for until the deadline, then the file is left to the caller (null): no hang, no rows of its taken', () => {
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      const c = new Int32Array(workerData.control, 0, 4);
      Atomics.store(c, 0, 1); Atomics.notify(c, 0);
      parentPort.once('message', () => { Atomics.store(c, 0, 2); Atomics.notify(c, 0); process.exit(1); });`;
    const started = performance.now();
    expect(readInParallel(csv({ rows: 3_000 }), { workerSource: source, workerDeadlineMs: 300 }).read).toBeNull();
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('readBarFileInParallel: a file that changed while read', () => {
  it('is left to the caller (null) when it is longer or shorter than its size said', () => {
    const text = csv({ rows: 500 });
    expect(readInParallel(text, { size: text.length - 10 }).read).toBeNull();
    expect(readInParallel(text, { size: text.length + 10 }).read).toBeNull();
  });
});

describe('readBarFile reads a large file on two threads', () => {
  it('from 8 MiB on: the same reading and hash as the one-thread reading of the same file', () => {
    const spy = jest.spyOn(parallel, 'readBarFileInParallel');
    try {
      const text = csv({ rows: 180_000, adjClose: true });
      expect(text.length).toBeGreaterThan(8 << 20);
      const file = path.join(dir, 'large.csv');
      fs.writeFileSync(file, text);
      const { readings, hashes } = loader.readBarPath(file, { hash: true });
      expect(spy).toHaveBeenCalledTimes(1);
      const reading = readings[0] as OhlcvCsvReading;
      expect(plain(reading)).toEqual(plain(readOhlcvCsv(fs.readFileSync(file), { source: file, symbol: ticker('LARGE') })));
      expect(hashes).toEqual([{ file, sha256: createHash('sha256').update(fs.readFileSync(file)).digest('hex'), bytes: text.length }]);
    } finally {
      spy.mockRestore();
    }
  });

  it('below 8 MiB: one thread', () => {
    const spy = jest.spyOn(parallel, 'readBarFileInParallel');
    try {
      const file = path.join(dir, 'small.csv');
      fs.writeFileSync(file, csv({ rows: 1_000 }));
      expect(loader.readBarFile(file).series.length).toBe(1_000);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('serveParallelCsvRange', () => {
  it('runs in a bar file reader worker only', () => {
    expect(() => parallel.serveParallelCsvRange()).toThrow('serveParallelCsvRange runs in a bar file reader worker only');
  });
});
