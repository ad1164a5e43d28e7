import type { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type { BarSeries, Ticker } from '@quantbot/core';
import { DataError, parseTicker } from '@quantbot/core';
import type { BarInterval } from './bar-interval';
import { inferBarInterval } from './bar-interval';
import type { CsvByteSource, OhlcvCsvReading } from './ohlcv-csv-parser';
import { BarFileError, readCleanOhlcvCsvInChunks, readOhlcvCsv } from './ohlcv-csv-parser';

/** File extensions (lower case) that `loadBarPath` reads from a directory. */
export const BAR_FILE_EXTENSIONS: readonly string[] = Object.freeze(['.csv', '.txt']);

const SYMBOL_WITH_YEARS = /^([a-z]+)-\d{4}/i;
const INVALID_TICKER_CHARS = /[^A-Z0-9._-]/g;

/**
 * Infers a ticker from a file name (a path is accepted; only its base name counts). The
 * extension is dropped; a name starting with letters, a dash and four digits yields the letters
 * in upper case (`orcl-1995-2014.txt` → `ORCL`); any other name is upper-cased whole with each
 * character outside `A-Z 0-9 . _ -` replaced by `-` (`2006-day-001.txt` → `2006-DAY-001`,
 * `my data.csv` → `MY-DATA`). Throws a `DataError` naming the file when the result is not a
 * valid ticker (e.g. it starts with `.` or `-`, or is longer than 32 characters).
 */
export function inferSymbolFromFileName(fileName: string): Ticker {
  const base = nodePath.basename(fileName);
  const extension = nodePath.extname(base);
  const stem = extension === '' ? base : base.slice(0, -extension.length);
  const prefix = SYMBOL_WITH_YEARS.exec(stem);
  const candidate =
    prefix !== null ? (prefix[1] as string).toUpperCase() : stem.toUpperCase().replace(INVALID_TICKER_CHARS, '-');
  const symbol = parseTicker(candidate);
  if (symbol === undefined) {
    throw new DataError(`cannot infer a ticker from the file name ('${candidate}' is not a valid ticker)`, {
      file: fileName,
    });
  }
  return symbol;
}

function statOrThrow(path: string): fs.Stats {
  try {
    return fs.statSync(path);
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : `cannot access (${code ?? String(error)})`;
    throw new DataError(reason, { file: path }, { cause: error });
  }
}

/**
 * Reads one CSV bar file synchronously (UTF-8) with `readOhlcvCsv`, naming `path` in problems:
 * its bytes are parsed as they are, without decoding the file into a string first.
 * the usable bars and every row problem, without throwing on them. `symbol` defaults to
 * `inferSymbolFromFileName(path)`. Throws a `DataError` naming the path when it does not exist,
 * is a directory or cannot be read, and for a bad header or no rows.
 */
export function readBarFile(path: string, symbol?: Ticker): OhlcvCsvReading {
  return readAndHashBarFile(path, symbol, false).reading;
}

/** Bytes a bar file is read at a time (into one reused buffer of twice this size). */
const READ_CHUNK_BYTES = 1 << 20;

/** A file read and, with `hash`, hashed: the SHA-256 is of the very bytes parsed. */
interface HashedReading {
  readonly reading: OhlcvCsvReading;
  readonly hashed: BarFileHash | null;
}

/**
 * `readBarFile`, and with `hash` the SHA-256 of the very bytes parsed. The file is read once:
 * in chunks into a reused buffer, hashed and parsed chunk by chunk, while every row is clean
 * (`readCleanOhlcvCsvInChunks`); a file with a row problem (or anything else that reading in
 * chunks leaves to `readOhlcvCsv`) is then read again whole, and parsed and hashed from that
 * one reading, so the hash always matches the bytes of the reading returned.
 */
function readAndHashBarFile(path: string, symbol: Ticker | undefined, hash: boolean): HashedReading {
  const stats = statOrThrow(path);
  if (stats.isDirectory()) throw new DataError('is a directory, expected a bar file', { file: path });
  const resolvedSymbol = symbol ?? inferSymbolFromFileName(path);
  // Only a regular file can be read again from its start when the chunks leave it to the whole reading.
  const chunked = stats.isFile() ? readCleanFileInChunks(path, resolvedSymbol, hash, stats.size) : null;
  if (chunked !== null) return chunked;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (error: unknown) {
    throw new DataError(`cannot read file (${String(error)})`, { file: path }, { cause: error });
  }
  const hashed = hash ? Object.freeze({ file: path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }) : null;
  return { reading: readOhlcvCsv(bytes, { source: path, symbol: resolvedSymbol }), hashed };
}

/**
 * The file read in chunks (see `readCleanOhlcvCsvInChunks`), each chunk hashed as it is read;
 * null when it must be read whole: a row problem, a file that cannot be opened, or a read that
 * failed (the whole reading then reports the failure, naming the file). A `DataError` about the
 * file (a bad header of a small file) is thrown.
 */
function readCleanFileInChunks(path: string, symbol: Ticker, hash: boolean, size: number): HashedReading | null {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const hasher = hash ? createHash('sha256') : null;
    let total = 0;
    const read: CsvByteSource = (into, offset, length) => {
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, into, offset + done, length - done, null);
        if (n === 0) break;
        done += n;
      }
      hasher?.update(into.subarray(offset, offset + done));
      total += done;
      return done;
    };
    const reading = readCleanOhlcvCsvInChunks(read, { source: path, symbol, chunkBytes: READ_CHUNK_BYTES, sizeHint: size });
    if (reading === null) return null;
    return { reading, hashed: hasher === null ? null : Object.freeze({ file: path, sha256: hasher.digest('hex'), bytes: total }) };
  } catch (error: unknown) {
    if (error instanceof DataError) throw error;
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Loads one CSV bar file synchronously (UTF-8) with `parseOhlcvCsv`, naming `path` in errors.
 * `symbol` defaults to `inferSymbolFromFileName(path)`. Throws a `DataError` naming the path
 * when it does not exist, is a directory or cannot be read, and a `BarFileError` listing every
 * row problem (see `readOhlcvCsv`).
 */
export function loadBarFile(path: string, symbol?: Ticker): BarSeries {
  const reading = readBarFile(path, symbol);
  if (reading.problems.length > 0) throw new BarFileError(reading.problems);
  return reading.series;
}

function isBarFileName(name: string): boolean {
  if (name.startsWith('.')) return false;
  return BAR_FILE_EXTENSIONS.includes(nodePath.extname(name).toLowerCase());
}

/** A bar file as `readBarPath` read it with `hash`: the SHA-256 and size of the bytes it parsed. */
export interface BarFileHash {
  /** The path read (as `OhlcvCsvReading.file`). */
  readonly file: string;
  /** Hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  readonly bytes: number;
}

/** Options of `readBarPath`. */
export interface ReadBarPathOptions {
  /**
   * Also hash each file's bytes as they are read (`BarPathReading.hashes`), so that a caller
   * recording the data's hash (a run manifest) need not read the files a second time.
   */
  readonly hash?: boolean;
}

/** A bar file or folder as read by `readBarPath`: one reading per file, all of one interval. */
export interface BarPathReading {
  readonly readings: readonly OhlcvCsvReading[];
  /** The interval every file shares (`unknown` when no file has two bars). */
  readonly interval: BarInterval;
  /** With `hash`: each file's hash, in the order of `readings`. */
  readonly hashes?: readonly BarFileHash[];
}

/**
 * Reads a bar file, or every bar file of a directory, like `loadBarPath`, but returns each
 * file's reading (usable bars, source lines and every row problem) instead of throwing on row
 * problems. Throws a `DataError` for what makes the whole path unusable: no such path, a
 * directory with no bar file, two files inferring one symbol, a file without a header or rows,
 * and a directory whose files hold different bar intervals (`inferBarInterval`: daily next to
 * intraday, weekly or monthly bars; naming a file of each interval). With `hash`, each file's
 * bytes are hashed (SHA-256) as they are read, once (`hashes`).
 */
export function readBarPath(path: string, options: ReadBarPathOptions = {}): BarPathReading {
  const hash = options.hash === true;
  const stats = statOrThrow(path);
  if (!stats.isDirectory()) {
    const { reading, hashed } = readAndHashBarFile(path, undefined, hash);
    return Object.freeze({ readings: Object.freeze([reading]), interval: inferBarInterval(reading.series), ...(hashed !== null ? { hashes: Object.freeze([hashed]) } : {}) });
  }

  const names = fs
    .readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.isFile() && isBarFileName(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) {
    throw new DataError(`no bar files (${BAR_FILE_EXTENSIONS.join(', ')}) in directory`, { file: path });
  }

  const fileOfSymbol = new Map<Ticker, string>();
  const files: { readonly file: string; readonly symbol: Ticker }[] = [];
  for (const name of names) {
    const file = nodePath.join(path, name);
    const symbol = inferSymbolFromFileName(file);
    const clash = fileOfSymbol.get(symbol);
    if (clash !== undefined) {
      throw new DataError(`files '${clash}' and '${file}' both map to symbol ${symbol}; load them separately`, {
        file: path,
        symbol,
      });
    }
    fileOfSymbol.set(symbol, file);
    files.push({ file, symbol });
  }
  const read = files.map(({ file, symbol }) => readAndHashBarFile(file, symbol, hash));
  const readings = read.map((r) => r.reading);
  const fileOfInterval = new Map<BarInterval, string>();
  for (const reading of readings) {
    const interval = inferBarInterval(reading.series);
    if (interval !== 'unknown' && !fileOfInterval.has(interval)) fileOfInterval.set(interval, reading.file);
  }
  if (fileOfInterval.size > 1) {
    const listed = [...fileOfInterval].map(([interval, file]) => `'${file}' holds ${interval} bars`).join(', ');
    throw new DataError(`the folder mixes bar intervals: ${listed}; put one interval in a folder`, { file: path });
  }
  const [interval] = fileOfInterval.keys();
  const hashes = hash ? { hashes: Object.freeze(read.map((r) => r.hashed as BarFileHash)) } : {};
  return Object.freeze({ readings: Object.freeze(readings), interval: interval ?? 'unknown', ...hashes });
}

/**
 * Loads a bar file, or every bar file of a directory, as a list of series (symbols inferred from
 * file names). In a directory, only regular files ending in `.csv` or `.txt` (any case) are read,
 * in code-unit order of their names; hidden files, subdirectories and other files (README.md)
 * are ignored. The result is frozen and in that file order.
 *
 * Throws a `DataError` when the path does not exist, when a directory holds no bar file, when
 * two files infer the same symbol (naming both files and the symbol; checked before any file is
 * parsed), when the files hold different bar intervals (see `readBarPath`), and a
 * `BarFileError` listing every row problem of every file.
 */
export function loadBarPath(path: string): readonly BarSeries[] {
  const { readings } = readBarPath(path);
  const problems = readings.flatMap((reading) => reading.problems);
  if (problems.length > 0) throw new BarFileError(problems);
  return Object.freeze(readings.map((reading) => reading.series));
}
