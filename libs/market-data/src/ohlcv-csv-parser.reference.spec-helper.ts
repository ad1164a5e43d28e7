// The string-based CSV reader that the byte reader of ohlcv-csv-parser.ts replaced, kept
// unchanged as the reference its spec compares the new one with (same series, lines, problems
// and errors on any input). Test code only.
import type { BarSeries, EpochMs, Ticker } from '@quantbot/core';
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
  /** 1 where the row's date was written with a time of day (`2014-01-02 09:31:00`). */
  readonly timed: Uint8Array;
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
    message: `expected ${table.names.length} fields as in the header, found ${countFields(table.text, lineStart, lineEnd)}`,
  };
}

/** Roles whose values are prices: each must be above zero. */
function isPriceRole(role: Role): boolean {
  return role === Role.Open || role === Role.High || role === Role.Low || role === Role.Close || role === Role.AdjClose;
}

/**
 * Parses data row `row` spanning `[lineStart, lineEnd)` into the columns; returns its problem,
 * or null. A separate small function so the engine optimizes it as a whole instead of on-stack.
 */
function parseRow(table: RowTable, row: number, lineStart: number, lineEnd: number): RowProblem | null {
  const { text, roles, columns } = table;
  const columnCount = roles.length;
  while (lineEnd > lineStart && isBlank(text.charCodeAt(lineEnd - 1))) lineEnd--;
  if (lineEnd === lineStart) {
    return { kind: 'malformed-row', field: null, message: 'empty line between rows (only trailing empty lines are allowed)' };
  }
  let fieldStart = lineStart;
  for (let c = 0; c < columnCount; c++) {
    const comma = text.indexOf(',', fieldStart);
    const commaInLine = comma !== -1 && comma < lineEnd;
    // Every field but the last ends at a comma of this line; the last one ends the line.
    if (commaInLine !== c < columnCount - 1) return fieldCountProblem(table, lineStart, lineEnd);
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
          return { kind: 'malformed-row', field: table.names[c] as string, message: describeBarDateProblem(value) ?? `'${value}' is not a date` };
        }
        column[row] = parsed;
        table.timed[row] = value.length > 10 ? 1 : 0;
      } else {
        const parsed = parseDecimal(text, valueStart, valueEnd);
        if (!isFiniteNumber(parsed)) {
          const value = text.slice(valueStart, valueEnd);
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
            message: `${table.names[c] as string} ${text.slice(valueStart, valueEnd)} is not a positive price`,
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

/**
 * Reads OHLCV bars like `parseOhlcvCsv`, but collects the problems of every row instead of
 * stopping at the first, so a caller can report all of them at once or resolve the ordering
 * ones (see `OhlcvCsvProblem.resolution`). Problems of the file as a whole (empty text, a bad
 * header, no rows) still throw a `DataError`, since no row can be read without a header.
 *
 * Row problems: `malformed-row` (field count, empty line, a value that is not a number or a
 * date, a year outside 1000..9999), `non-positive-price` (Open, High, Low, Close or Adj Close
 * ≤ 0: no trade can be valued at such a price), `mixed-interval` (dated rows without a time of
 * day mixed with rows that have one, i.e. daily bars among intraday ones; reported once, at the
 * first row whose form differs from the first row's), `duplicate-timestamp` and
 * `unsorted-timestamp` (a row whose time is not after every earlier row's).
 */
export function readOhlcvCsv(text: string, options: OhlcvCsvOptions): OhlcvCsvReading {
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
  const dateColumn = columnOfRole[Role.Date] as number;
  const dateName = names[dateColumn] as string;

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
  const timed = new Uint8Array(rowCount);
  const table: RowTable = { text, file, names, roles, columns: [time, open, high, low, close, volume, adjClose, null], timed };
  const lineStarts = new Int32Array(rowCount + 1);
  const problems: OhlcvCsvProblem[] = [];
  let bad: Uint8Array | null = null;
  let lineStart = bodyStart;
  for (let row = 0; row < rowCount; row++) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    lineStarts[row] = lineStart;
    const problem = parseRow(table, row, lineStart, lineEnd);
    if (problem !== null) {
      bad ??= new Uint8Array(rowCount);
      bad[row] = 1;
      const date = fieldText(text, lineStart, lineEnd, dateColumn);
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
  lineStarts[rowCount] = end + 1;
  const rowDate = (row: number): string =>
    fieldText(text, lineStarts[row] as number, (lineStarts[row + 1] as number) - 1, dateColumn) ?? '';

  // Mixed intervals: rows dated without a time of day among rows with one, or the reverse.
  let firstGood = 0;
  while (bad !== null && firstGood < rowCount && bad[firstGood] === 1) firstGood++;
  let mixedRows = 0;
  let firstMixed = -1;
  for (let row = firstGood + 1; row < rowCount; row++) {
    if ((bad === null || bad[row] === 0) && timed[row] !== timed[firstGood]) {
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
  // last row written for a time.
  const lastRowOfTime = new Map<number, number>();
  let ordered = true;
  let maxRow = -1;
  for (let row = 0; row < rowCount; row++) {
    if (bad !== null && bad[row] === 1) continue;
    const t = time[row] as number;
    if (maxRow !== -1 && t <= (time[maxRow] as number)) {
      ordered = false;
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
    lastRowOfTime.set(t, row);
    if (maxRow === -1 || t > (time[maxRow] as number)) maxRow = row;
  }
  problems.sort((a, b) => a.line - b.line);

  const columns = { time, open, high, low, close, volume, adjClose };
  const resolved =
    ordered && bad === null ? { columns, lines: Int32Array.from({ length: rowCount }, (_, row) => row + 2) } : keepOrdered(columns, rowCount, bad, lastRowOfTime);
  const series: BarSeries = Object.freeze({ symbol: options.symbol, length: resolved.lines.length, ...resolved.columns });
  return Object.freeze({ file, series, lines: resolved.lines, problems: Object.freeze(problems) });
}

/** A series' columns, before they get a symbol. */
type Columns = Omit<BarSeries, 'symbol' | 'length'>;

/** The good rows in time order, one per time (the row `lastRowOfTime` names), with their lines. */
function keepOrdered(
  columns: Columns,
  rowCount: number,
  bad: Uint8Array | null,
  lastRowOfTime: ReadonlyMap<number, number>,
): { readonly columns: Columns; readonly lines: Int32Array } {
  const kept: number[] = [];
  for (let row = 0; row < rowCount; row++) {
    if ((bad === null || bad[row] === 0) && lastRowOfTime.get(columns.time[row] as number) === row) kept.push(row);
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
function fieldText(text: string, lineStart: number, lineEnd: number, column: number): string | null {
  const fields = text.slice(lineStart, lineEnd).replace(/\r$/, '').split(',');
  const value = fields[column];
  return value === undefined ? null : value.trim();
}

/** Quotes at most 120 characters of input in a message: a file with no line breaks is one huge "header". */
function clip(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 117)}...`;
}
