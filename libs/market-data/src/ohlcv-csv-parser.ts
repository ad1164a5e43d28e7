import type { BarSeries, EpochMs, Ticker } from '@quantbot/core';
import { DataError } from '@quantbot/core';
import { Buffer } from 'node:buffer';
import { describeBarDateProblem, parseBarDate, parseBarDateBytes } from './bar-date';

/** Where the text came from and which symbol its bars belong to. */
export interface OhlcvCsvOptions {
  /** Names the input in error messages (usually the file path). */
  readonly source: string;
  /** The symbol of every bar in the text. */
  readonly symbol: Ticker;
  /**
   * Called with the number of rows read so far after every 100,000 rows, and once with the
   * total at the end (unless the total is a multiple of 100,000, already reported): for a
   * progress display on large inputs. Not called for an input that fails before its rows.
   */
  readonly onProgress?: (rowsDone: number) => void;
}

/** What a header column feeds; the value indexes the output columns. */
const Role = {
  Date: 0,
  Open: 1,
  High: 2,
  Low: 3,
  Close: 4,
  Volume: 5,
  AdjClose: 6,
  Ignored: 7,
} as const;
type Role = (typeof Role)[keyof typeof Role];

/** Header names (lower case, trimmed) and the column each one feeds. */
const COLUMN_ROLES: ReadonlyMap<string, Role> = new Map([
  ['date', Role.Date],
  ['open', Role.Open],
  ['high', Role.High],
  ['low', Role.Low],
  ['close', Role.Close],
  ['volume', Role.Volume],
  ['adj close', Role.AdjClose],
  ['adjclose', Role.AdjClose],
  ['adj_close', Role.AdjClose],
  ['openinterest', Role.Ignored],
  ['open interest', Role.Ignored],
  ['open_interest', Role.Ignored],
]);

const REQUIRED_COLUMNS: readonly (readonly [Role, string])[] = [
  [Role.Date, 'Date'],
  [Role.Open, 'Open'],
  [Role.High, 'High'],
  [Role.Low, 'Low'],
  [Role.Close, 'Close'],
  [Role.Volume, 'Volume'],
];

// Bound once at module scope: a global lookup per field is slow in sandboxed contexts.
const NOT_A_NUMBER = Number.NaN;
const POSITIVE_INFINITY = Number.POSITIVE_INFINITY;
/** The largest integer a double holds exactly (2^53 - 1): a larger decimal mantissa may be inexact. */
const MAX_EXACT_MANTISSA = Number.MAX_SAFE_INTEGER;

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const COMMA = 44;

/** Rows between two calls of `OhlcvCsvOptions.onProgress`. */
const PROGRESS_ROWS = 100_000;

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB || code === CR;
}

/** Exact powers of ten 10^0 .. 10^22 (all representable as doubles). */
const POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Where the last `parseDecimal` stopped: the first byte after what it read. */
let scanEnd = 0;

/** Set by `parseRowFast` and `parseRowExact` for the row they read: 1 when its date has a time of day. */
let rowTimed = 0;

/**
 * Reads a strict decimal number from `bytes` at `start` (reading no further than `limit`):
 * optional sign, digits with an optional fraction (`12`, `12.5`, `.5`, `12.`), optional exponent
 * (`1e-3`). Sets `scanEnd` to the first byte after the number; the caller decides whether what
 * follows may follow a number. Returns NaN when no number starts at `start` (no digit, `1e`
 * without exponent digits), so the empty field, `NaN`, `Infinity` and hex are refused.
 *
 * Exact: with an integer mantissa (all digits, the point ignored) up to 2^53 - 1 and a net
 * power of ten within ±22, the value is one multiplication or division of two doubles that are
 * both exact, a single correctly rounded operation, so it equals `Number()` of the text (which
 * is correctly rounded too). Other numbers are converted by `Number()` of their text. May
 * return an infinity for an overflowing exponent.
 */
function parseDecimal(bytes: Buffer, start: number, limit: number): number {
  let pos = start;
  let code = pos < limit ? (bytes[pos] as number) : 0;
  const negative = code === 45; // '-'
  if (negative || code === 43) pos++; // '+'
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = 0;
  while (pos < limit) {
    code = bytes[pos] as number;
    if (code < 48 || code > 57) break;
    mantissa = mantissa * 10 + (code - 48);
    digits++;
    pos++;
  }
  if (pos < limit && bytes[pos] === 46) {
    pos++;
    while (pos < limit) {
      code = bytes[pos] as number;
      if (code < 48 || code > 57) break;
      mantissa = mantissa * 10 + (code - 48);
      digits++;
      fractionDigits++;
      pos++;
    }
  }
  if (digits === 0) {
    scanEnd = pos;
    return NOT_A_NUMBER;
  }
  let exponent = 0;
  if (pos < limit && (bytes[pos] === 101 || bytes[pos] === 69)) {
    // 'e' or 'E'
    pos++;
    let negativeExponent = false;
    if (pos < limit) {
      code = bytes[pos] as number;
      if (code === 45) {
        negativeExponent = true;
        pos++;
      } else if (code === 43) {
        pos++;
      }
    }
    const exponentStart = pos;
    while (pos < limit) {
      code = bytes[pos] as number;
      if (code < 48 || code > 57) break;
      // Beyond 10^5 the value is 0 or infinite anyway; Number() below decides which.
      if (exponent < 100_000) exponent = exponent * 10 + (code - 48);
      pos++;
    }
    if (pos === exponentStart) {
      scanEnd = pos;
      return NOT_A_NUMBER;
    }
    if (negativeExponent) exponent = -exponent;
  }
  scanEnd = pos;
  const scale = exponent - fractionDigits;
  if (mantissa <= MAX_EXACT_MANTISSA && scale >= -22 && scale <= 22) {
    const value = scale < 0 ? mantissa / (POWERS_OF_TEN[-scale] as number) : mantissa * (POWERS_OF_TEN[scale] as number);
    return negative ? -value : value;
  }
  return Number(bytes.toString('latin1', start, pos));
}

/** Index of the first non-blank byte of `[start, end)` (or `end`). */
function skipBlanks(bytes: Buffer, start: number, end: number): number {
  while (start < end && isBlank(bytes[start] as number)) start++;
  return start;
}

/** Index just after the last non-blank byte of `[start, end)` (or `start`). */
function trimBlanksEnd(bytes: Buffer, start: number, end: number): number {
  while (end > start && isBlank(bytes[end - 1] as number)) end--;
  return end;
}

/** Index of the first comma or line feed at or after `start` (or `limit`). */
function fieldEndOf(bytes: Buffer, start: number, limit: number): number {
  let pos = start;
  while (pos < limit) {
    const code = bytes[pos] as number;
    if (code === COMMA || code === LF) break;
    pos++;
  }
  return pos;
}

/** Slices `[start, end)` of `text` without surrounding blanks (space, tab, CR). */
function trimmedSlice(text: string, start: number, end: number): string {
  let from = start;
  while (from < end && isBlank(text.charCodeAt(from))) from++;
  let to = end;
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

function countFields(bytes: Buffer, start: number, end: number): number {
  let count = 1;
  for (let i = start; i < end; i++) if (bytes[i] === COMMA) count++;
  return count;
}

/** The text of `[start, end)` of `bytes` (UTF-8), for messages. */
function textOf(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, end);
}

/** What the row parsers need: the bytes, the header and the output columns (indexed by role). */
interface RowTable {
  /** The input, or (read in chunks) the buffer holding the lines being read. */
  bytes: Buffer;
  /**
   * End of the rows: trailing blanks and line feeds of the input excluded; read in chunks, the
   * end of the whole lines in `bytes` (just after a line feed) until the last chunk.
   */
  limit: number;
  readonly names: readonly string[];
  readonly roles: Int8Array;
  /** 1 for a column whose values must be positive prices. */
  readonly priceColumn: Uint8Array;
  columns: readonly (Float64Array | null)[];
}

/** A problem of one row, before it is located. */
interface RowProblem {
  readonly kind: 'malformed-row' | 'non-positive-price';
  readonly field: string | null;
  readonly message: string;
}

/** The problem for a row whose field count differs from the header's. */
function fieldCountProblem(table: RowTable, lineStart: number, lineEnd: number): RowProblem {
  return {
    kind: 'malformed-row',
    field: null,
    message: `expected ${table.names.length} fields as in the header, found ${countFields(table.bytes, lineStart, lineEnd)}`,
  };
}

/** Roles whose values are prices: each must be above zero. */
function isPriceRole(role: Role): boolean {
  return role === Role.Open || role === Role.High || role === Role.Low || role === Role.Close || role === Role.AdjClose;
}

/**
 * Reads the row that starts at `lineStart` into the columns at `row` when it is clean (every
 * field present and valid) and returns where the next line starts; returns -1 at the first
 * sign of any problem, without saying which: `parseRowExact` then reads the row again and
 * names it. One pass over the bytes, no string made. A clean row reads the same here as there.
 */
function parseRowFast(table: RowTable, row: number, lineStart: number): number {
  const { bytes, limit, roles, columns, priceColumn } = table;
  const last = roles.length - 1;
  let pos = lineStart;
  for (let c = 0; c <= last; c++) {
    const role = roles[c] as Role;
    const start = skipBlanks(bytes, pos, limit);
    let end: number;
    if (role === Role.Date) {
      end = fieldEndOf(bytes, start, limit);
      const valueEnd = trimBlanksEnd(bytes, start, end);
      const time = parseBarDateBytes(bytes, start, valueEnd);
      if (time !== time) return -1; // NaN: not a date
      (columns[Role.Date] as Float64Array)[row] = time;
      rowTimed = valueEnd - start > 10 ? 1 : 0;
    } else if (role === Role.Ignored) {
      end = fieldEndOf(bytes, start, limit);
    } else {
      // The usual number inline: unsigned digits, an optional fraction, at most 15 digits (so
      // the mantissa is exact) and no exponent; anything else is left to `parseDecimal`.
      let at = start;
      let mantissa = 0;
      let digits = 0;
      let fractionDigits = 0;
      let code = 0;
      while (at < limit) {
        code = bytes[at] as number;
        if (code < 48 || code > 57) break;
        mantissa = mantissa * 10 + (code - 48);
        digits++;
        at++;
      }
      if (at < limit && code === 46) {
        at++;
        while (at < limit) {
          code = bytes[at] as number;
          if (code < 48 || code > 57) break;
          mantissa = mantissa * 10 + (code - 48);
          fractionDigits++;
          at++;
        }
      }
      let value: number;
      if (digits + fractionDigits !== 0 && digits + fractionDigits <= 15 && (at === limit || code === COMMA || code === LF || isBlank(code))) {
        value = mantissa / (POWERS_OF_TEN[fractionDigits] as number);
        end = at;
      } else {
        value = parseDecimal(bytes, start, limit);
        end = scanEnd;
      }
      if (priceColumn[c] === 1 ? !(value > 0 && value < POSITIVE_INFINITY) : value - value !== 0) return -1;
      (columns[role] as Float64Array)[row] = value;
      end = skipBlanks(bytes, end, limit);
    }
    if (c < last) {
      if (end >= limit || bytes[end] !== COMMA) return -1;
      pos = end + 1;
    } else {
      if (end < limit && bytes[end] !== LF) return -1;
      return end + 1;
    }
  }
  return -1;
}

/**
 * Parses data row `row` spanning `[lineStart, lineEnd)` into the columns; returns its problem,
 * or null. The reference reading of a row: `parseRowFast` reads clean rows the same way, faster.
 */
function parseRowExact(table: RowTable, row: number, lineStart: number, lineEnd: number): RowProblem | null {
  const { bytes, roles, columns } = table;
  const columnCount = roles.length;
  lineEnd = trimBlanksEnd(bytes, lineStart, lineEnd);
  if (lineEnd === lineStart) {
    return { kind: 'malformed-row', field: null, message: 'empty line between rows (only trailing empty lines are allowed)' };
  }
  let fieldStart = lineStart;
  for (let c = 0; c < columnCount; c++) {
    let comma = fieldStart;
    while (comma < lineEnd && bytes[comma] !== COMMA) comma++;
    const commaInLine = comma < lineEnd;
    // Every field but the last ends at a comma of this line; the last one ends the line.
    if (commaInLine !== c < columnCount - 1) return fieldCountProblem(table, lineStart, lineEnd);
    const fieldEnd = comma;
    const role = roles[c] as Role;
    if (role !== Role.Ignored) {
      const valueStart = skipBlanks(bytes, fieldStart, fieldEnd);
      const valueEnd = trimBlanksEnd(bytes, valueStart, fieldEnd);
      const column = columns[role] as Float64Array;
      if (role === Role.Date) {
        const parsed = parseBarDateBytes(bytes, valueStart, valueEnd);
        if (Number.isNaN(parsed)) {
          const value = textOf(bytes, valueStart, valueEnd);
          return { kind: 'malformed-row', field: table.names[c] as string, message: describeBarDateProblem(value) ?? `'${value}' is not a date` };
        }
        column[row] = parsed;
        rowTimed = valueEnd - valueStart > 10 ? 1 : 0;
      } else {
        let parsed = parseDecimal(bytes, valueStart, valueEnd);
        if (scanEnd !== valueEnd) parsed = NOT_A_NUMBER;
        if (!Number.isFinite(parsed)) {
          const value = textOf(bytes, valueStart, valueEnd);
          return {
            kind: 'malformed-row',
            field: table.names[c] as string,
            message: `'${value}' is not ${Number.isNaN(parsed) ? 'a' : 'a finite'} number`,
          };
        }
        if (parsed <= 0 && isPriceRole(role)) {
          return {
            kind: 'non-positive-price',
            field: table.names[c] as string,
            message: `${table.names[c] as string} ${textOf(bytes, valueStart, valueEnd)} is not a positive price`,
          };
        }
        column[row] = parsed;
      }
    }
    fieldStart = fieldEnd + 1;
  }
  return null;
}

/** What a row problem is: the check it fails, in the data-quality vocabulary. */
export type OhlcvCsvProblemKind =
  | 'malformed-row'
  | 'non-positive-price'
  | 'mixed-interval'
  | 'duplicate-timestamp'
  | 'unsorted-timestamp';

/** One problem of a bar file, located by file, line and (when readable) date. */
export interface OhlcvCsvProblem {
  readonly kind: OhlcvCsvProblemKind;
  /** `OhlcvCsvOptions.source`. */
  readonly file: string;
  /** 1-based line of the row (the header is line 1). */
  readonly line: number;
  /** The header name of the column concerned, or null for the whole row. */
  readonly field: string | null;
  /** The row's date as written (trimmed), or null when the row has no date field. */
  readonly date: string | null;
  /** The row's time when its date parsed, else null. */
  readonly time: EpochMs | null;
  /** What is wrong, naming the values (without the place, which the fields above give). */
  readonly message: string;
  /**
   * What `readOhlcvCsv` did to `series` about it: for `duplicate-timestamp` the earlier row of
   * the date was dropped (the last row written for a date is kept), for `unsorted-timestamp`
   * the row was moved into date order, otherwise the row was left out.
   */
  readonly resolution: string;
}

/** A bar file read without throwing on row problems: the usable bars and every problem found. */
export interface OhlcvCsvReading {
  /** `OhlcvCsvOptions.source`. */
  readonly file: string;
  /**
   * The rows that parsed, in strictly increasing time: rows out of order are sorted (stable)
   * and of several rows with one time only the last written is kept. Rows with a
   * `malformed-row` or `non-positive-price` problem are left out.
   */
  readonly series: BarSeries;
  /** The line each bar of `series` was read from (`lines[i]` for bar `i`). */
  readonly lines: Int32Array;
  /** Every problem, in line order; empty for a clean file. */
  readonly problems: readonly OhlcvCsvProblem[];
}

/** `input` as a `Buffer` (a view of the same bytes for a `Uint8Array`, UTF-8 for a string). */
function bytesOf(input: string | Uint8Array): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/** What the header line says: the column names, what each feeds, which are prices. */
export interface CsvHeader {
  readonly names: readonly string[];
  readonly roles: Int8Array;
  readonly priceColumn: Uint8Array;
  readonly hasAdjClose: boolean;
  readonly dateColumn: number;
  readonly dateName: string;
}

/** Reads the header line `[start, headerEnd)` of `bytes`; throws a `DataError` (line 1) for a bad one. */
function readHeader(bytes: Buffer, start: number, headerEnd: number, file: string): CsvHeader {
  const headerText = textOf(bytes, start, headerEnd);
  const headerLine = trimmedSlice(headerText, 0, headerText.length);
  if (headerLine === '') throw new DataError('empty header line', { file, line: 1 });
  const names = headerLine.split(',').map((name) => name.trim());
  const columnCount = names.length;
  const roles = new Int8Array(columnCount);
  const priceColumn = new Uint8Array(columnCount);
  const columnOfRole = new Int32Array(8).fill(-1);
  for (let c = 0; c < columnCount; c++) {
    const name = names[c] as string;
    const role = COLUMN_ROLES.get(name.toLowerCase());
    if (role === undefined) {
      throw new DataError(
        `unknown column '${clip(name)}' in header '${clip(headerLine)}' (expected Date, Open, High, Low, Close, Volume, optionally Adj Close and OpenInterest)`,
        { file, line: 1 },
      );
    }
    if (role !== Role.Ignored && columnOfRole[role] !== -1) {
      throw new DataError(`column '${name}' appears twice in header '${clip(headerLine)}'`, { file, line: 1 });
    }
    roles[c] = role;
    priceColumn[c] = isPriceRole(role) ? 1 : 0;
    columnOfRole[role] = c;
  }
  for (const [role, name] of REQUIRED_COLUMNS) {
    if (columnOfRole[role] === -1) {
      throw new DataError(`missing column '${name}' in header '${clip(headerLine)}'`, { file, line: 1 });
    }
  }
  const hasAdjClose = columnOfRole[Role.AdjClose] !== -1;
  const dateColumn = columnOfRole[Role.Date] as number;
  const dateName = names[dateColumn] as string;
  return { names, roles, priceColumn, hasAdjClose, dateColumn, dateName };
}

/**
 * Reads OHLCV bars like `parseOhlcvCsv`, but collects the problems of every row instead of
 * stopping at the first, so a caller can report all of them at once or resolve the ordering
 * ones (see `OhlcvCsvProblem.resolution`). Problems of the file as a whole (empty text, a bad
 * header, no rows) still throw a `DataError`, since no row can be read without a header.
 *
 * `input` is the text, or its UTF-8 bytes as read from a file (no string is made of them: the
 * rows are read from the bytes, and only a problem's values are decoded for its message). A
 * string is encoded to UTF-8 first, so an unpaired surrogate in it reads as U+FFFD.
 *
 * Row problems: `malformed-row` (field count, empty line, a value that is not a number or a
 * date, a year outside 1000..9999), `non-positive-price` (Open, High, Low, Close or Adj Close
 * ≤ 0: no trade can be valued at such a price), `mixed-interval` (dated rows without a time of
 * day mixed with rows that have one, i.e. daily bars among intraday ones; reported once, at the
 * first row whose form differs from the first row's), `duplicate-timestamp` and
 * `unsorted-timestamp` (a row whose time is not after every earlier row's).
 */
export function readOhlcvCsv(input: string | Uint8Array, options: OhlcvCsvOptions): OhlcvCsvReading {
  const file = options.source;
  const bytes = bytesOf(input);
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let end = bytes.length;
  while (end > start && (isBlank(bytes[end - 1] as number) || bytes[end - 1] === LF)) end--;
  if (end <= start) throw new DataError('empty file, expected a header line', { file });

  // Header.
  let headerEnd = bytes.indexOf(LF, start);
  if (headerEnd === -1 || headerEnd > end) headerEnd = end;
  const { names, roles, priceColumn, hasAdjClose, dateColumn, dateName } = readHeader(bytes, start, headerEnd, file);

  // Rows: after trimming the end, every remaining line must be a row.
  const bodyStart = headerEnd + 1;
  let rowCount = 0;
  if (bodyStart < end) {
    rowCount = 1;
    for (let i = bytes.indexOf(LF, bodyStart); i !== -1 && i < end; i = bytes.indexOf(LF, i + 1)) rowCount++;
  }
  if (rowCount === 0) throw new DataError('header but no data rows', { file, line: 1 });

  const time = new Float64Array(rowCount);
  const open = new Float64Array(rowCount);
  const high = new Float64Array(rowCount);
  const low = new Float64Array(rowCount);
  const close = new Float64Array(rowCount);
  const volume = new Float64Array(rowCount);
  const adjClose = hasAdjClose ? new Float64Array(rowCount) : null;
  // 1 where the row's date was written with a time of day (`2014-01-02 09:31:00`).
  const timed = new Uint8Array(rowCount);
  const table: RowTable = {
    bytes,
    limit: end,
    names,
    roles,
    priceColumn,
    columns: [time, open, high, low, close, volume, adjClose, null],
  };
  const { onProgress } = options;
  const problems: OhlcvCsvProblem[] = [];
  let bad: Uint8Array | null = null;
  let lineStart = bodyStart;
  let untilProgress = PROGRESS_ROWS;
  for (let row = 0; row < rowCount; row++) {
    const next = parseRowFast(table, row, lineStart);
    if (next !== -1) {
      timed[row] = rowTimed;
      lineStart = next;
    } else {
      let lineEnd = bytes.indexOf(LF, lineStart);
      if (lineEnd === -1 || lineEnd > end) lineEnd = end;
      const problem = parseRowExact(table, row, lineStart, lineEnd);
      if (problem === null) {
        timed[row] = rowTimed;
      } else {
        bad ??= new Uint8Array(rowCount);
        bad[row] = 1;
        const date = fieldText(bytes, lineStart, lineEnd, dateColumn);
        const parsed = date === null ? undefined : parseBarDate(date);
        problems.push(
          Object.freeze({
            kind: problem.kind,
            file,
            line: row + 2,
            field: problem.field,
            date,
            time: parsed ?? null,
            message: problem.message,
            resolution: 'row left out',
          }),
        );
      }
      lineStart = lineEnd + 1;
    }
    if (--untilProgress === 0 && onProgress !== undefined) {
      untilProgress = PROGRESS_ROWS;
      onProgress(row + 1);
    }
  }
  if (onProgress !== undefined && rowCount % PROGRESS_ROWS !== 0) onProgress(rowCount);
  // Where each row's line starts, found again only when a problem has to quote a row's date.
  let lineStarts: Float64Array | null = null;
  const rowDate = (row: number): string => {
    lineStarts ??= findLineStarts(bytes, bodyStart, end, rowCount);
    return fieldText(bytes, lineStarts[row] as number, (lineStarts[row + 1] as number) - 1, dateColumn) ?? '';
  };

  // Mixed intervals: rows dated without a time of day among rows with one, or the reverse.
  let firstGood = 0;
  while (bad !== null && firstGood < rowCount && bad[firstGood] === 1) firstGood++;
  let mixedRows = 0;
  let firstMixed = -1;
  const firstTimed = timed[firstGood];
  for (let row = firstGood + 1; row < rowCount; row++) {
    if (timed[row] !== firstTimed && (bad === null || bad[row] === 0)) {
      mixedRows++;
      if (firstMixed === -1) firstMixed = row;
    }
  }
  if (firstMixed !== -1) {
    const describe = (row: number): string => (timed[row] === 1 ? 'an intraday time' : 'a daily date without a time');
    problems.push(
      Object.freeze({
        kind: 'mixed-interval',
        file,
        line: firstMixed + 2,
        field: dateName,
        date: rowDate(firstMixed),
        time: time[firstMixed] as EpochMs,
        message:
          `'${rowDate(firstMixed)}' is ${describe(firstMixed)} but line ${firstGood + 2} ('${rowDate(firstGood)}') is ` +
          `${describe(firstGood)}: the file mixes bar intervals (${mixedRows} row(s) differ from line ${firstGood + 2}); ` +
          'a bar file must hold one interval',
        resolution: 'the file cannot be used',
      }),
    );
  }

  // Order: every row must be after every earlier one; resolved by a stable sort keeping the
  // last row written for a time. While the rows increase, each time has one row and no map is
  // needed; the map of each time's last row is built at the first row out of order.
  let lastRowOfTime: Map<number, number> | null = null;
  let maxRow = -1;
  let maxTime = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < rowCount; row++) {
    if (bad !== null && bad[row] === 1) continue;
    const t = time[row] as number;
    if (maxRow !== -1 && t <= maxTime) {
      lastRowOfTime ??= lastRowsOfTimes(time, bad, row);
      const earlier = lastRowOfTime.get(t);
      const value = rowDate(row);
      if (earlier !== undefined) {
        problems.push(
          Object.freeze({
            kind: 'duplicate-timestamp',
            file,
            line: row + 2,
            field: dateName,
            date: value,
            time: t as EpochMs,
            message: `duplicate date '${value}' (line ${earlier + 2} has '${rowDate(earlier)}'); dates must strictly increase`,
            resolution: `line ${earlier + 2} dropped: the last row written for a date is kept`,
          }),
        );
      } else {
        problems.push(
          Object.freeze({
            kind: 'unsorted-timestamp',
            file,
            line: row + 2,
            field: dateName,
            date: value,
            time: t as EpochMs,
            message: `date '${value}' is before '${rowDate(maxRow)}' on line ${maxRow + 2}; dates must strictly increase`,
            resolution: 'moved into date order',
          }),
        );
      }
    }
    lastRowOfTime?.set(t, row);
    if (maxRow === -1 || t > maxTime) {
      maxRow = row;
      maxTime = t;
    }
  }
  problems.sort((a, b) => a.line - b.line);

  const columns = { time, open, high, low, close, volume, adjClose };
  let resolved: { readonly columns: Columns; readonly lines: Int32Array };
  if (lastRowOfTime === null && bad === null) {
    const lines = new Int32Array(rowCount);
    for (let row = 0; row < rowCount; row++) lines[row] = row + 2;
    resolved = { columns, lines };
  } else {
    resolved = keepOrdered(columns, rowCount, bad, lastRowOfTime);
  }
  const series: BarSeries = Object.freeze({ symbol: options.symbol, length: resolved.lines.length, ...resolved.columns });
  return Object.freeze({ file, series, lines: resolved.lines, problems: Object.freeze(problems) });
}

/**
 * Fills `into[offset, offset + length)` with the input's next bytes and returns how many it
 * wrote: fewer than `length` (0 included) only at the end of the input.
 */
export type CsvByteSource = (into: Uint8Array, offset: number, length: number) => number;

/** Options of `readCleanOhlcvCsvInChunks`. */
export interface OhlcvCsvChunkOptions extends Omit<OhlcvCsvOptions, 'onProgress'> {
  /** Bytes read at a time (the buffer holds twice as many: a line longer than this bails out). */
  readonly chunkBytes: number;
  /** The expected size of the input (a file's size), to size the columns once. */
  readonly sizeHint: number;
}

/** Trim the end of `[from, to)` of blanks and line feeds: the index after the last other byte (or `from`). */
function trimBlankLinesEnd(bytes: Buffer, from: number, to: number): number {
  while (to > from && (isBlank(bytes[to - 1] as number) || bytes[to - 1] === LF)) to--;
  return to;
}

/** Margin on the estimated row count of `readCleanOhlcvCsvInChunks`: memory never touched costs nothing. */
const ROW_ESTIMATE_MARGIN = 1.25;

/**
 * Reads the input like `readOhlcvCsv` while it arrives in chunks of `chunkBytes` into one
 * reused buffer (a line cut by a chunk's end is carried to the next), so the whole input is
 * never in memory at once: for a file, the bytes are read once, into memory that stays warm.
 * The columns are sized once from `sizeHint` and the first chunk's rows (grown if short) and
 * trimmed with `subarray`, without a copy.
 *
 * Only what reads the same as `readOhlcvCsv` without needing earlier bytes is handled here: an
 * input whose every row is clean (no row problem, strictly increasing dates of one interval).
 * At anything else it stops and returns `null`, and the caller reads the input whole with
 * `readOhlcvCsv`, which names every problem: a bad header, a row problem (its message may quote
 * earlier rows), out-of-order or mixed dates, no rows, a line longer than `chunkBytes`, or an
 * input that fits in one chunk (read whole at once, from the chunk, without bailing out).
 */
export function readCleanOhlcvCsvInChunks(read: CsvByteSource, options: OhlcvCsvChunkOptions): OhlcvCsvReading | null {
  const file = options.source;
  const chunkBytes = Math.max(4, Math.floor(options.chunkBytes));
  const capacity = Math.min(2 * chunkBytes, Math.max(0, options.sizeHint) + 1);
  let bytes = Buffer.allocUnsafe(Math.max(capacity, 2));
  // Fill the buffer; the input fits in one buffer when it ends before the buffer is full.
  let dataEnd = read(bytes, 0, bytes.length);
  if (dataEnd < bytes.length) return readOhlcvCsv(bytes.subarray(0, dataEnd), options);
  if (bytes.length < 2 * chunkBytes) {
    // The input is larger than it was said to be: room to carry lines from now on.
    const larger = Buffer.allocUnsafe(2 * chunkBytes);
    bytes.copy(larger, 0, 0, dataEnd);
    bytes = larger;
    dataEnd += read(bytes, dataEnd, bytes.length - dataEnd);
    if (dataEnd < bytes.length) return readOhlcvCsv(bytes.subarray(0, dataEnd), options);
  }
  let atEnd = false;

  // Header: within the first buffer, else the whole reading says what is wrong.
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const headerEnd = bytes.indexOf(LF, start);
  if (headerEnd === -1 || headerEnd >= trimBlankLinesEnd(bytes, start, dataEnd)) return null;
  let header: CsvHeader;
  try {
    header = readHeader(bytes, start, headerEnd, file);
  } catch {
    return null;
  }
  const { names, roles, priceColumn, hasAdjClose } = header;

  // Rows: the columns sized from the first buffer's lines, in proportion to the input's size.
  let lineStart = headerEnd + 1;
  let linesSeen = 0;
  for (let i = bytes.indexOf(LF, lineStart); i !== -1 && i < dataEnd; i = bytes.indexOf(LF, i + 1)) linesSeen++;
  const bytesPerLine = linesSeen === 0 ? 1 : Math.max(1, (dataEnd - lineStart) / linesSeen);
  let rowCapacity = Math.ceil((Math.max(options.sizeHint, dataEnd) - lineStart) / bytesPerLine * ROW_ESTIMATE_MARGIN) + 16;
  const allocate = (): Float64Array[] => Array.from({ length: hasAdjClose ? 7 : 6 }, () => new Float64Array(rowCapacity));
  let columns = allocate();
  const table: RowTable = {
    bytes,
    limit: 0,
    names,
    roles,
    priceColumn,
    columns: [...columns, ...(hasAdjClose ? [] : [null]), null],
  };
  const run: CleanRun = { row: 0, lastTime: Number.NEGATIVE_INFINITY, timed: -1 };
  for (;;) {
    // The lines to read now: all of them at the end; before it, the whole lines followed by
    // something other than blank lines (which may prove to be trailing lines, allowed).
    let limit: number;
    if (atEnd) {
      limit = trimBlankLinesEnd(bytes, lineStart, dataEnd);
    } else {
      const lastLineFeed = bytes.lastIndexOf(LF, trimBlankLinesEnd(bytes, lineStart, dataEnd) - 1);
      limit = lastLineFeed >= lineStart ? lastLineFeed + 1 : lineStart;
    }
    table.limit = limit;
    while (lineStart < limit) {
      if (run.row === rowCapacity) {
        rowCapacity *= 2;
        const grown = allocate();
        for (let c = 0; c < columns.length; c++) (grown[c] as Float64Array).set(columns[c] as Float64Array);
        columns = grown;
        table.columns = [...columns, ...(hasAdjClose ? [] : [null]), null];
      }
      lineStart = readCleanRows(table, lineStart, rowCapacity, run);
      if (lineStart === -1) return null;
    }
    if (atEnd) break;
    // Carry the unread lines to the front and read on after them.
    const carried = dataEnd - lineStart;
    if (carried > chunkBytes) return null;
    bytes.copyWithin(0, lineStart, dataEnd);
    lineStart = 0;
    dataEnd = carried + read(bytes, carried, bytes.length - carried);
    atEnd = dataEnd < bytes.length;
  }
  if (run.row === 0) return null;
  return cleanReading(file, options.symbol, columns, run.row, hasAdjClose);
}

/**
 * The reading of a clean input whose `rowCount` rows are the first rows of `columns` (indexed
 * by role: date, open, high, low, close, volume, adjusted close), each from the line after the
 * one before: trimmed with `subarray`, without a copy.
 */
function cleanReading(file: string, symbol: Ticker, columns: readonly Float64Array[], rowCount: number, hasAdjClose: boolean): OhlcvCsvReading {
  const trim = (role: Role): Float64Array => (columns[role] as Float64Array).subarray(0, rowCount);
  const lines = new Int32Array(rowCount);
  for (let k = 0; k < rowCount; k++) lines[k] = k + 2;
  const series: BarSeries = Object.freeze({
    symbol,
    length: rowCount,
    time: trim(Role.Date),
    open: trim(Role.Open),
    high: trim(Role.High),
    low: trim(Role.Low),
    close: trim(Role.Close),
    volume: trim(Role.Volume),
    adjClose: hasAdjClose ? trim(Role.AdjClose) : null,
  });
  return Object.freeze({ file, series, lines, problems: Object.freeze([]) });
}

/** Where a run of clean rows stands between calls of `readCleanRows`. */
interface CleanRun {
  /** The next row to write. */
  row: number;
  /** The time of the last row read (−∞ before the first). */
  lastTime: number;
  /** 1 when the rows' dates have a time of day, 0 when they have none, −1 before the first row. */
  timed: number;
}

/**
 * Reads the lines of `[lineStart, table.limit)` into the columns from row `run.row` on, while
 * every row is clean (no row problem, its time after the one before, of the form of the first
 * row's) and stopping before row `rowEnd`; returns where it stopped (and moves `run` on), or −1
 * at a row that is not clean.
 */
function readCleanRows(table: RowTable, lineStart: number, rowEnd: number, run: CleanRun): number {
  const limit = table.limit;
  const time = table.columns[Role.Date] as Float64Array;
  let row = run.row;
  let lastTime = run.lastTime;
  let timed = run.timed;
  while (lineStart < limit && row < rowEnd) {
    let next = parseRowFast(table, row, lineStart);
    if (next === -1) {
      let lineEnd = table.bytes.indexOf(LF, lineStart);
      if (lineEnd === -1 || lineEnd > limit) lineEnd = limit;
      if (parseRowExact(table, row, lineStart, lineEnd) !== null) return -1;
      next = lineEnd + 1;
    }
    const t = time[row] as number;
    if (!(t > lastTime)) return -1;
    if (timed === -1) timed = rowTimed;
    else if (rowTimed !== timed) return -1;
    lastTime = t;
    row++;
    lineStart = next;
  }
  run.row = row;
  run.lastTime = lastTime;
  run.timed = timed;
  return lineStart;
}

/** The last good row of each time among the rows before `before` (which increase in time). */
function lastRowsOfTimes(time: Float64Array, bad: Uint8Array | null, before: number): Map<number, number> {
  const rows = new Map<number, number>();
  for (let row = 0; row < before; row++) if (bad === null || bad[row] === 0) rows.set(time[row] as number, row);
  return rows;
}

/** Where each of the `rowCount` rows of `[bodyStart, end)` starts, and (at `rowCount`) `end + 1`. */
function findLineStarts(bytes: Buffer, bodyStart: number, end: number, rowCount: number): Float64Array {
  const starts = new Float64Array(rowCount + 1);
  let lineStart = bodyStart;
  for (let row = 0; row < rowCount; row++) {
    starts[row] = lineStart;
    let lineEnd = bytes.indexOf(LF, lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    lineStart = lineEnd + 1;
  }
  starts[rowCount] = end + 1;
  return starts;
}

/** A series' columns, before they get a symbol. */
type Columns = Omit<BarSeries, 'symbol' | 'length'>;

/**
 * The good rows in time order, one per time (the row `lastRowOfTime` names; without a map every
 * good row, as they increase), with their lines.
 */
function keepOrdered(
  columns: Columns,
  rowCount: number,
  bad: Uint8Array | null,
  lastRowOfTime: ReadonlyMap<number, number> | null,
): { readonly columns: Columns; readonly lines: Int32Array } {
  const kept: number[] = [];
  for (let row = 0; row < rowCount; row++) {
    // Without a map the rows increase in time: each is the last (and only) row of its time.
    if ((bad === null || bad[row] === 0) && (lastRowOfTime === null || lastRowOfTime.get(columns.time[row] as number) === row)) kept.push(row);
  }
  kept.sort((a, b) => (columns.time[a] as number) - (columns.time[b] as number) || a - b);
  const pick = (column: Float64Array): Float64Array => Float64Array.from(kept, (row) => column[row] as number);
  return {
    columns: {
      time: pick(columns.time),
      open: pick(columns.open),
      high: pick(columns.high),
      low: pick(columns.low),
      close: pick(columns.close),
      volume: pick(columns.volume),
      adjClose: columns.adjClose === null ? null : pick(columns.adjClose),
    },
    lines: Int32Array.from(kept, (row) => row + 2),
  };
}

/** Field `column` (trimmed) of the line `[lineStart, lineEnd)`, or null when the line is shorter. */
function fieldText(bytes: Buffer, lineStart: number, lineEnd: number, column: number): string | null {
  const fields = textOf(bytes, lineStart, lineEnd).replace(/\r$/, '').split(',');
  const value = fields[column];
  return value === undefined ? null : value.trim();
}

/**
 * A bar file that cannot be used as it is: every problem found, the first one's place in the
 * location (`DataError.location`) and all of them in `problems` and the message.
 */
export class BarFileError extends DataError {
  readonly problems: readonly OhlcvCsvProblem[];

  constructor(problems: readonly OhlcvCsvProblem[]) {
    const first = problems[0] as OhlcvCsvProblem;
    const rest = problems.slice(1);
    const more =
      rest.length === 0
        ? ''
        : `; and ${rest.length} more problem(s): ${rest
            .slice(0, 20)
            .map((p) => `${p.file}:${p.line}${p.date === null ? '' : ` (${p.date})`}: ${p.message}`)
            .join('; ')}${rest.length > 20 ? '; ...' : ''}`;
    super(`${first.message}${more}`, {
      file: first.file,
      line: first.line,
      ...(first.field !== null ? { field: first.field } : {}),
    });
    this.problems = problems;
  }
}

/**
 * Parses daily (or intraday) OHLCV bars from CSV text into a columnar `BarSeries`.
 *
 * The header drives the columns: names are matched case-insensitively after trimming, in any
 * order. `Date, Open, High, Low, Close, Volume` are required; `Adj Close` is optional and fills
 * `adjClose` (otherwise `adjClose` is `null`); `OpenInterest` is accepted and ignored. Any other
 * column, or a column named twice, is an error, so nothing is silently dropped.
 *
 * Rows: `\n` and `\r\n` line endings; a leading byte-order mark is skipped; spaces around
 * fields are trimmed. Dates follow `parseBarDate` (`YYYY-MM-DD` is stamped 00:00 UTC) and must
 * strictly increase; years lie in 1000..9999; all rows are daily dates or all carry a time of
 * day (one bar interval). Prices, adjusted close and volume must be finite decimal numbers
 * (`''`, `abc`, `1.2.3`, `NaN`, `Infinity` are rejected) and prices above zero. Price
 * consistency (high below low, negative volume) is not checked here: that is a data-quality
 * concern for a later stage. Only trailing empty lines are allowed; an empty line between rows
 * is an error.
 *
 * Problems throw a `BarFileError` (a `DataError`) listing every problem of the file (see
 * `readOhlcvCsv`), its location naming `options.source`, the 1-based line number of the first
 * (the header is line 1) and the field, e.g. `orcl.txt:17, field Close: 'abc' is not a number`.
 * Empty text and a header without rows are errors too.
 *
 * The result is a frozen object whose `Float64Array` columns hold exactly one entry per row
 * (times in epoch ms UTC, prices as written, volume in shares). The arrays themselves cannot be
 * frozen; treat them as read-only. `input` may be the text or its UTF-8 bytes (see
 * `readOhlcvCsv`). Parsing reads the bytes once, with no string per row or field: a million
 * rows take a few hundred milliseconds.
 */
export function parseOhlcvCsv(input: string | Uint8Array, options: OhlcvCsvOptions): BarSeries {
  const reading = readOhlcvCsv(input, options);
  if (reading.problems.length > 0) throw new BarFileError(reading.problems);
  return reading.series;
}

/** Quotes at most 120 characters of input in a message: a file with no line breaks is one huge "header". */
function clip(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 117)}...`;
}
