import { DataError } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { createFactorPanel } from './factor-panel';

/** Where the CSV text came from, for error messages. */
export interface FactorPanelCsvOptions {
  /** The file name errors name (default `<input>`). */
  readonly file?: string;
}

/** One CSV record: the line it starts on and its cells (a quoted cell's text as written between its quotes). */
interface CsvRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

/**
 * Splits CSV text into records by RFC 4180: cells separated by commas, records by LF or CRLF; a
 * cell in double quotes may hold commas, line breaks and doubled quotes (`""` for `"`), and
 * whitespace around the quotes is ignored. An unquoted cell is trimmed and may not hold a quote.
 * Blank lines are skipped. `fail(message, line, field)` is called for malformed text (and throws),
 * with the header's name of the column when the header has been read.
 */
function readCsvRecords(text: string, fail: (message: string, line: number, field: string | undefined) => never): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  while (i <= n) {
    // One cell from position i.
    let start = i;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    let cell: string;
    let quoted = false;
    if (i < n && text[i] === '"') {
      quoted = true;
      const openedOn = line;
      i++;
      let value = '';
      for (;;) {
        if (i >= n) fail(`column ${cells.length + 1}: the quoted cell opened on line ${openedOn} is never closed`, openedOn, records[0]?.cells[cells.length]);
        const ch = text[i] as string;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (ch === '\n') line++;
        value += ch;
        i++;
      }
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      if (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) fail(`column ${cells.length + 1}: text after the closing quote`, line, records[0]?.cells[cells.length]);
      cell = value;
    } else {
      start = i;
      while (i < n && text[i] !== ',' && text[i] !== '\n') i++;
      cell = text.slice(start, i).trim();
      if (cell.includes('"')) fail(`column ${cells.length + 1}: a quote inside an unquoted cell (quote the whole cell and double the quote)`, line, records[0]?.cells[cells.length]);
    }
    cells.push(cell);
    if (i < n && text[i] === ',') {
      i++;
      continue;
    }
    // The end of a record: a line end (its \r was trimmed above or is skipped here) or the text.
    if (i < n && text[i] === '\r') i++;
    const blank = cells.length === 1 && !quoted && cell === '';
    if (!blank) records.push({ line: recordLine, cells });
    cells = [];
    i++;
    line++;
    recordLine = line;
  }
  return records;
}

/**
 * Reads a factor panel from CSV text (RFC 4180). The first record is the header: `date`
 * (`YYYY-MM-DD`), `symbol`, exactly one of `close` and `forward_return`, optionally `group` (a
 * label such as a sector), and every other column is a numeric factor (at least one). Cells are
 * separated by commas; a cell may be quoted (`"BRK,B"`, `"say ""hi"""`, a line break inside
 * quotes), its text then taken as written between the quotes; an unquoted cell is trimmed. An
 * empty numeric cell (quoted or not) is a missing value (`NaN`, counted in the panel's
 * `missing`); an empty `group` cell is a missing group; blank lines are skipped; a byte-order
 * mark and CRLF line ends are accepted.
 *
 * Throws a `DataError` whose location names the file, the line (where the record starts) and
 * the column (`field`) for: a missing or repeated column, a record with the wrong number of
 * cells, a quote inside an unquoted cell, text after a closing quote, a quoted cell never
 * closed, a value that is not a number, a bad date, an empty symbol, a duplicate (date,
 * symbol), a close that is not positive.
 */
export function parseFactorPanelCsv(text: string, options: FactorPanelCsvOptions = {}): FactorPanel {
  const file = options.file ?? '<input>';
  const at = (line: number, field?: string) => ({ file, line, ...(field === undefined ? {} : { field }) });
  const records = readCsvRecords(text.replace(/^\uFEFF/, ''), (message, line, field) => {
    throw new DataError(message, at(line, field));
  });
  const header = records[0]?.cells ?? [];
  if (records.length === 0) throw new DataError('empty file: expected a header line', at(1));
  header.forEach((name, i) => {
    if (name === '') throw new DataError(`column ${i + 1} has no name`, at(1));
    if (header.indexOf(name) !== i) throw new DataError(`column '${name}' appears twice (columns ${header.indexOf(name) + 1} and ${i + 1})`, at(1, name));
  });
  for (const required of ['date', 'symbol']) if (!header.includes(required)) throw new DataError(`missing column '${required}'`, at(1));
  const hasClose = header.includes('close');
  const hasForward = header.includes('forward_return');
  if (hasClose === hasForward) throw new DataError(hasClose ? "both 'close' and 'forward_return' given; keep one" : "missing column 'close' (or 'forward_return')", at(1));
  const factorNames = header.filter((name) => !['date', 'symbol', 'close', 'forward_return', 'group'].includes(name));
  if (factorNames.length === 0) throw new DataError('no factor column: add at least one numeric column besides date, symbol, close or forward_return and group', at(1));

  const date: string[] = [];
  const symbol: string[] = [];
  const lineOf: number[] = [];
  const numeric = new Map<string, number[]>([...(hasClose ? ['close'] : ['forward_return']), ...factorNames].map((name) => [name, []]));
  const group: (string | null)[] | undefined = header.includes('group') ? [] : undefined;
  for (const { line, cells } of records.slice(1)) {
    if (cells.length !== header.length) throw new DataError(`expected ${header.length} cells, got ${cells.length}`, at(line));
    header.forEach((name, column) => {
      const cell = cells[column] as string;
      if (name === 'date') date.push(cell);
      else if (name === 'symbol') symbol.push(cell);
      else if (name === 'group') group?.push(cell === '' ? null : cell);
      else {
        const number = cell.trim();
        const value = number === '' ? NaN : Number(number);
        if (number !== '' && (!Number.isFinite(value) || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(number))) {
          throw new DataError(`column ${column + 1}: '${cell}' is not a number`, at(line, name));
        }
        numeric.get(name)?.push(value);
      }
    });
    lineOf.push(line);
  }
  const factors: Record<string, number[]> = {};
  for (const name of factorNames) factors[name] = numeric.get(name) as number[];
  return createFactorPanel({
    date,
    symbol,
    ...(hasClose ? { close: numeric.get('close') as number[] } : { forwardReturn: numeric.get('forward_return') as number[] }),
    factors,
    ...(group === undefined ? {} : { group }),
    locate: (row) => ({ file, line: lineOf[row] as number }),
  });
}
