import type { BarSeries, Ticker } from '@quantbot/core';
import { DataError } from '@quantbot/core';
import { describeBarDateProblem, parseBarDate } from './bar-date';

/** Where the text came from and which symbol its bars belong to. */
export interface OhlcvCsvOptions {
  /** Names the input in error messages (usually the file path). */
  readonly source: string;
  /** The symbol of every bar in the text. */
  readonly symbol: Ticker;
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
const { isFinite: isFiniteNumber } = Number;

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB || code === CR;
}

/** Exact powers of ten 10^0 .. 10^22 (all representable as doubles). */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses `text[start, end)` as a strict decimal number: optional sign, digits with an optional
 * fraction (`12`, `12.5`, `.5`, `12.`), optional exponent (`1e-3`). Returns NaN for anything
 * else: the empty string, `NaN`, `Infinity`, hex, `1.2.3`, which `Number()` would partly accept.
 * Values with at most 15 significant digits and no exponent take an exact fast path (an integer
 * mantissa divided by an exact power of ten, one correctly rounded operation, so the result
 * equals `Number()`); the rest are validated here and converted by `Number()`. May return an
 * infinity for an overflowing exponent.
 */
function parseDecimal(text: string, start: number, end: number): number {
  let pos = start;
  let code = text.charCodeAt(pos);
  const negative = code === 45; // '-'
  if (negative || code === 43) pos++; // '+'
  let mantissa = 0;
  let significant = 0;
  let digits = 0;
  let fractionDigits = 0;
  while (pos < end) {
    code = text.charCodeAt(pos);
    if (code < 48 || code > 57) break;
    mantissa = mantissa * 10 + (code - 48);
    if (mantissa !== 0) significant++;
    digits++;
    pos++;
  }
  if (pos < end && text.charCodeAt(pos) === 46) {
    pos++;
    while (pos < end) {
      code = text.charCodeAt(pos);
      if (code < 48 || code > 57) break;
      mantissa = mantissa * 10 + (code - 48);
      if (mantissa !== 0) significant++;
      digits++;
      fractionDigits++;
      pos++;
    }
  }
  if (digits === 0) return NOT_A_NUMBER;
  if (pos === end && significant <= 15 && fractionDigits <= 22) {
    const value = mantissa / (POWERS_OF_TEN[fractionDigits] as number);
    return negative ? -value : value;
  }
  if (pos < end) {
    code = text.charCodeAt(pos);
    if (code !== 101 && code !== 69) return NOT_A_NUMBER; // 'e' or 'E'
    pos++;
    code = text.charCodeAt(pos);
    if (code === 43 || code === 45) pos++;
    const exponentStart = pos;
    while (pos < end) {
      code = text.charCodeAt(pos);
      if (code < 48 || code > 57) return NOT_A_NUMBER;
      pos++;
    }
    if (pos === exponentStart) return NOT_A_NUMBER;
  }
  return Number(text.slice(start, end));
}

/** Index of the first non-blank character of `text[start, end)` (or `end`). */
function skipBlanks(text: string, start: number, end: number): number {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  return start;
}

/** Index just after the last non-blank character of `text[start, end)` (or `start`). */
function trimBlanksEnd(text: string, start: number, end: number): number {
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return end;
}

/** Slices `[start, end)` of `text` without surrounding blanks (space, tab, CR). */
function trimmedSlice(text: string, start: number, end: number): string {
  const from = skipBlanks(text, start, end);
  return text.slice(from, trimBlanksEnd(text, from, end));
}

function countFields(text: string, start: number, end: number): number {
  let count = 1;
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 44) count++;
  return count;
}

/** What `parseRow` needs: the text, the header and the output columns (indexed by role). */
interface RowTable {
  readonly text: string;
  readonly file: string;
  readonly names: readonly string[];
  readonly roles: Int8Array;
  readonly columns: readonly (Float64Array | null)[];
}

/** The error for a row whose field count differs from the header's. */
function fieldCountError(table: RowTable, line: number, lineStart: number, lineEnd: number): DataError {
  return new DataError(
    `expected ${table.names.length} fields as in the header, found ${countFields(table.text, lineStart, lineEnd)}`,
    { file: table.file, line },
  );
}

/** The error for row `row` (starting at `lineStart`) whose date does not follow the previous one. */
function dateOrderError(table: RowTable, row: number, value: string, lineStart: number): DataError {
  const line = row + 2;
  const time = table.columns[Role.Date] as Float64Array;
  const previousValue = previousDateText(table, lineStart);
  const message =
    time[row] === time[row - 1]
      ? `duplicate date '${value}' (line ${line - 1} has '${previousValue}'); dates must strictly increase`
      : `date '${value}' is before '${previousValue}' on line ${line - 1}; dates must strictly increase`;
  return new DataError(message, { file: table.file, line, field: table.names[table.roles.indexOf(Role.Date)] as string });
}

/** Finds the date text of the row before the one starting at `lineStart` (error path only). */
function previousDateText(table: RowTable, lineStart: number): string {
  const { text } = table;
  const previousEnd = lineStart - 1;
  const previousStart = text.lastIndexOf('\n', previousEnd - 1) + 1;
  const fields = text.slice(previousStart, previousEnd).replace(/\r$/, '').split(',');
  return (fields[table.roles.indexOf(Role.Date)] ?? '').trim();
}

/**
 * Parses data row `row` (line `row + 2`) spanning `[lineStart, lineEnd)` into the columns.
 * A separate small function so the engine optimizes it as a whole instead of on-stack.
 */
function parseRow(table: RowTable, row: number, lineStart: number, lineEnd: number): void {
  const { text, roles, columns } = table;
  const columnCount = roles.length;
  while (lineEnd > lineStart && isBlank(text.charCodeAt(lineEnd - 1))) lineEnd--;
  if (lineEnd === lineStart) {
    throw new DataError('empty line between rows (only trailing empty lines are allowed)', {
      file: table.file,
      line: row + 2,
    });
  }
  let fieldStart = lineStart;
  for (let c = 0; c < columnCount; c++) {
    const comma = text.indexOf(',', fieldStart);
    const commaInLine = comma !== -1 && comma < lineEnd;
    // Every field but the last ends at a comma of this line; the last one ends the line.
    if (commaInLine !== c < columnCount - 1) throw fieldCountError(table, row + 2, lineStart, lineEnd);
    const fieldEnd = commaInLine ? comma : lineEnd;
    const role = roles[c] as Role;
    if (role !== Role.Ignored) {
      const valueStart = skipBlanks(text, fieldStart, fieldEnd);
      const valueEnd = trimBlanksEnd(text, valueStart, fieldEnd);
      const column = columns[role] as Float64Array;
      if (role === Role.Date) {
        const value = text.slice(valueStart, valueEnd);
        const parsed = parseBarDate(value);
        if (parsed === undefined) {
          throw new DataError(describeBarDateProblem(value) ?? `'${value}' is not a date`, {
            file: table.file,
            line: row + 2,
            field: table.names[c] as string,
          });
        }
        column[row] = parsed;
        if (row > 0 && parsed <= (column[row - 1] as number)) throw dateOrderError(table, row, value, lineStart);
      } else {
        const parsed = parseDecimal(text, valueStart, valueEnd);
        if (!isFiniteNumber(parsed)) {
          const value = text.slice(valueStart, valueEnd);
          throw new DataError(`'${value}' is not ${Number.isNaN(parsed) ? 'a' : 'a finite'} number`, {
            file: table.file,
            line: row + 2,
            field: table.names[c] as string,
          });
        }
        column[row] = parsed;
      }
    }
    fieldStart = fieldEnd + 1;
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
 * strictly increase. Prices, adjusted close and volume must be finite decimal numbers (`''`,
 * `abc`, `1.2.3`, `NaN`, `Infinity` are rejected). Price consistency (high below low, negative
 * volume) is not checked here: that is a data-quality concern for a later stage. Only trailing
 * empty lines are allowed; an empty line between rows is an error.
 *
 * Every problem throws a `DataError` naming `options.source`, the 1-based line number (the
 * header is line 1) and the field, e.g. `orcl.txt:17, field Close: 'abc' is not a number`.
 * Empty text and a header without rows are errors too.
 *
 * The result is a frozen object whose `Float64Array` columns hold exactly one entry per row
 * (times in epoch ms UTC, prices as written, volume in shares). The arrays themselves cannot be
 * frozen; treat them as read-only. Parsing scans the text with `indexOf`, without a regular
 * expression per field: about a millisecond per few thousand rows.
 */
export function parseOhlcvCsv(text: string, options: OhlcvCsvOptions): BarSeries {
  const file = options.source;
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let end = text.length;
  while (end > start && (isBlank(text.charCodeAt(end - 1)) || text.charCodeAt(end - 1) === LF)) end--;
  if (end <= start) throw new DataError('empty file, expected a header line', { file });

  // Header.
  let headerEnd = text.indexOf('\n', start);
  if (headerEnd === -1 || headerEnd > end) headerEnd = end;
  const headerLine = trimmedSlice(text, start, headerEnd);
  if (headerLine === '') throw new DataError('empty header line', { file, line: 1 });
  const names = headerLine.split(',').map((name) => name.trim());
  const columnCount = names.length;
  const roles = new Int8Array(columnCount);
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
    columnOfRole[role] = c;
  }
  for (const [role, name] of REQUIRED_COLUMNS) {
    if (columnOfRole[role] === -1) {
      throw new DataError(`missing column '${name}' in header '${clip(headerLine)}'`, { file, line: 1 });
    }
  }
  const hasAdjClose = columnOfRole[Role.AdjClose] !== -1;

  // Rows: after trimming the end, every remaining line must be a row.
  const bodyStart = headerEnd + 1;
  let rowCount = 0;
  if (bodyStart < end) {
    rowCount = 1;
    for (let i = text.indexOf('\n', bodyStart); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) rowCount++;
  }
  if (rowCount === 0) throw new DataError('header but no data rows', { file, line: 1 });

  const time = new Float64Array(rowCount);
  const open = new Float64Array(rowCount);
  const high = new Float64Array(rowCount);
  const low = new Float64Array(rowCount);
  const close = new Float64Array(rowCount);
  const volume = new Float64Array(rowCount);
  const adjClose = hasAdjClose ? new Float64Array(rowCount) : null;
  const table: RowTable = { text, file, names, roles, columns: [time, open, high, low, close, volume, adjClose, null] };
  let lineStart = bodyStart;
  for (let row = 0; row < rowCount; row++) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    parseRow(table, row, lineStart, lineEnd);
    lineStart = lineEnd + 1;
  }

  return Object.freeze({
    symbol: options.symbol,
    length: rowCount,
    time,
    open,
    high,
    low,
    close,
    volume,
    adjClose,
  });
}

/** Quotes at most 120 characters of input in a message: a file with no line breaks is one huge "header". */
function clip(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 117)}...`;
}
