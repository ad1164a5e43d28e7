import { DataError } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { createFactorPanel } from './factor-panel';

/** Where the CSV text came from, for error messages. */
export interface FactorPanelCsvOptions {
  /** The file name errors name (default `<input>`). */
  readonly file?: string;
}

/**
 * Reads a factor panel from CSV text. The first line is the header: `date` (`YYYY-MM-DD`),
 * `symbol`, exactly one of `close` and `forward_return`, optionally `group` (a label such as a
 * sector), and every other column is a numeric factor (at least one). Cells are separated by
 * commas and trimmed; quoted cells are not supported. An empty numeric cell is a missing value
 * (`NaN`, counted in the panel's `missing`); an empty `group` cell is a missing group; blank lines
 * are skipped; a byte-order mark and CRLF line ends are accepted.
 *
 * Throws a `DataError` whose location names the file, the line and the column (`field`) for: a
 * missing or repeated column, a line with the wrong number of cells, a quoted cell, a value that
 * is not a number, a bad date, an empty symbol, a duplicate (date, symbol), a close that is not
 * positive.
 */
export function parseFactorPanelCsv(text: string, options: FactorPanelCsvOptions = {}): FactorPanel {
  const file = options.file ?? '<input>';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((cell) => cell.trim());
  const at = (line: number, field?: string) => ({ file, line, ...(field === undefined ? {} : { field }) });
  if (header.length === 1 && header[0] === '') throw new DataError('empty file: expected a header line', at(1));
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
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() === '') continue;
    const line = i + 1;
    const cells = raw.split(',').map((cell) => cell.trim());
    if (cells.length !== header.length) throw new DataError(`expected ${header.length} cells, got ${cells.length}`, at(line));
    header.forEach((name, column) => {
      const cell = cells[column] as string;
      if (cell.includes('"')) throw new DataError(`column ${column + 1}: quoted cells are not supported`, at(line, name));
      if (name === 'date') date.push(cell);
      else if (name === 'symbol') symbol.push(cell);
      else if (name === 'group') group?.push(cell === '' ? null : cell);
      else {
        const value = cell === '' ? NaN : Number(cell);
        if (cell !== '' && (!Number.isFinite(value) || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(cell))) {
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
