import { ConfigError, DataError } from '@quantbot/core';

/** Column names a factor may not take: the panel's own columns. */
export const RESERVED_COLUMNS: readonly string[] = Object.freeze(['date', 'symbol', 'close', 'forward_return', 'group']);

/**
 * A factor panel in long format (one row per (date, symbol)) stored by column. Rows are sorted by
 * date, then symbol; the rows of date `dates[d]` are `dateStart[d]` to `dateStart[d + 1] − 1`.
 * A missing value is `NaN` (counted in `missing`), never dropped. The typed arrays are shared,
 * not copied: treat them as read-only.
 */
export interface FactorPanel {
  /** The distinct dates (`YYYY-MM-DD`), ascending. */
  readonly dates: readonly string[];
  /** The distinct symbols, ascending. */
  readonly symbols: readonly string[];
  /** The number of rows. */
  readonly rows: number;
  /** Per row, its date's index in `dates`. */
  readonly dateIndex: Int32Array;
  /** Per row, its symbol's index in `symbols`. */
  readonly symbolIndex: Int32Array;
  /** `dates.length + 1` offsets: the rows of date d are [dateStart[d], dateStart[d + 1]). */
  readonly dateStart: Int32Array;
  /** Closing prices (positive), when the panel has them; else `null`. */
  readonly close: Float64Array | null;
  /** Per row, the return from this row's date to the symbol's next row, when given instead of closes; else `null`. */
  readonly forwardReturn: Float64Array | null;
  /** The factor columns' names, in the order given. */
  readonly factorNames: readonly string[];
  /** The factor columns by name. */
  readonly factors: Readonly<Record<string, Float64Array>>;
  /** Per row, its group label (a sector, say) or `null` when missing; `null` when the panel has no group column. */
  readonly group: readonly (string | null)[] | null;
  /** The number of missing (`NaN`) values per numeric column (`close`, `forward_return`, each factor). */
  readonly missing: Readonly<Record<string, number>>;
}

/** The columns of a panel before sorting and checking; every column has one entry per row. */
export interface FactorPanelInput {
  readonly date: readonly string[];
  readonly symbol: readonly string[];
  /** Closing prices; give exactly one of `close` and `forwardReturn`. */
  readonly close?: ArrayLike<number>;
  /** One-row forward returns; give exactly one of `close` and `forwardReturn`. */
  readonly forwardReturn?: ArrayLike<number>;
  readonly factors: Readonly<Record<string, ArrayLike<number>>>;
  readonly group?: readonly (string | null)[];
  /** Names the row `i` in error messages (a CSV reader passes file and line). */
  readonly locate?: (row: number) => { readonly file?: string; readonly line?: number };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `text` is a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * Builds a panel from its columns: checks them, sorts the rows by (date, symbol) and counts the
 * missing values. Throws a `ConfigError` for a structural mistake (columns of different lengths,
 * both or neither of `close` / `forwardReturn`, no factor, a reserved factor name) and a
 * `DataError` naming the row for bad data: a date not written `YYYY-MM-DD`, an empty symbol, a
 * duplicate (date, symbol), an infinite value, a close that is not positive.
 */
export function createFactorPanel(input: FactorPanelInput): FactorPanel {
  const rows = input.date.length;
  const where = (row: number, field: string, symbol?: string) => ({ ...(input.locate?.(row) ?? { line: row + 1 }), field, ...(symbol === undefined ? {} : { symbol }) });
  const lengthOk = (name: string, column: { readonly length: number } | undefined) => {
    if (column !== undefined && column.length !== rows) throw new ConfigError(name, `has ${column.length} values, expected ${rows} (one per row)`);
  };
  lengthOk('symbol', input.symbol);
  lengthOk('close', input.close);
  lengthOk('forwardReturn', input.forwardReturn);
  lengthOk('group', input.group);
  if ((input.close === undefined) === (input.forwardReturn === undefined)) {
    throw new ConfigError('close', 'give exactly one of close and forwardReturn');
  }
  const factorNames = Object.keys(input.factors);
  if (factorNames.length === 0) throw new ConfigError('factors', 'a panel needs at least one factor column');
  for (const name of factorNames) {
    if (RESERVED_COLUMNS.includes(name)) throw new ConfigError(`factors.${name}`, `'${name}' is a reserved column name`);
    lengthOk(`factors.${name}`, input.factors[name]);
  }
  for (let i = 0; i < rows; i++) {
    const date = input.date[i] as string;
    if (!isIsoDate(date)) throw new DataError(`'${date}' is not a date written YYYY-MM-DD`, where(i, 'date'));
    if ((input.symbol[i] as string).length === 0) throw new DataError('the symbol is empty', where(i, 'symbol'));
  }

  const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => compare(input.date[a] as string, input.date[b] as string) || compare(input.symbol[a] as string, input.symbol[b] as string));
  for (let k = 1; k < rows; k++) {
    const a = order[k - 1] as number;
    const b = order[k] as number;
    if (input.date[a] === input.date[b] && input.symbol[a] === input.symbol[b]) {
      const [first, second] = a < b ? [a, b] : [b, a];
      const firstAt = input.locate?.(first)?.line ?? first + 1;
      throw new DataError(`duplicate row for ${input.date[b]} ${input.symbol[b]} (first at line ${firstAt})`, where(second, 'symbol', input.symbol[b]));
    }
  }

  const dates = [...new Set(order.map((i) => input.date[i] as string))];
  const symbols = [...new Set(input.symbol)].sort(compare);
  const dateOf = new Map(dates.map((d, i) => [d, i]));
  const symbolOf = new Map(symbols.map((s, i) => [s, i]));
  const dateIndex = new Int32Array(rows);
  const symbolIndex = new Int32Array(rows);
  const dateStart = new Int32Array(dates.length + 1);
  order.forEach((src, row) => {
    dateIndex[row] = dateOf.get(input.date[src] as string) as number;
    symbolIndex[row] = symbolOf.get(input.symbol[src] as string) as number;
  });
  for (let row = rows - 1; row >= 0; row--) dateStart[dateIndex[row] as number] = row;
  dateStart[dates.length] = rows;

  const missing: Record<string, number> = {};
  const numeric = (name: string, column: ArrayLike<number>, positive: boolean): Float64Array => {
    const out = new Float64Array(rows);
    let nan = 0;
    order.forEach((src, row) => {
      const v = column[src] as number;
      if (Number.isNaN(v)) nan++;
      else if (!Number.isFinite(v)) throw new DataError(`${v} is not a finite number`, where(src, name, input.symbol[src]));
      else if (positive && v <= 0) throw new DataError(`a close must be positive, got ${v}`, where(src, name, input.symbol[src]));
      out[row] = v;
    });
    missing[name] = nan;
    return out;
  };
  const close = input.close === undefined ? null : numeric('close', input.close, true);
  const forwardReturn = input.forwardReturn === undefined ? null : numeric('forward_return', input.forwardReturn, false);
  const factors: Record<string, Float64Array> = {};
  for (const name of factorNames) factors[name] = numeric(name, input.factors[name] as ArrayLike<number>, false);
  const group = input.group === undefined ? null : Object.freeze(order.map((src) => input.group?.[src] ?? null));

  return Object.freeze({
    dates: Object.freeze(dates),
    symbols: Object.freeze(symbols),
    rows,
    dateIndex,
    symbolIndex,
    dateStart,
    close,
    forwardReturn,
    factorNames: Object.freeze(factorNames),
    factors: Object.freeze(factors),
    group,
    missing: Object.freeze(missing),
  });
}

/**
 * The panel with one more factor column `name` (`values` aligned with the panel's rows, e.g. a
 * transform's result). Throws a `ConfigError` keyed `name` when the name is taken or reserved,
 * or when `values` does not have one value per row.
 */
export function withFactor(panel: FactorPanel, name: string, values: Float64Array): FactorPanel {
  if (name.length === 0 || RESERVED_COLUMNS.includes(name) || name in panel.factors) throw new ConfigError('name', `'${name}' is empty, reserved or already a column of the panel`);
  if (values.length !== panel.rows) throw new ConfigError(name, `has ${values.length} values, expected ${panel.rows} (one per row)`);
  let nan = 0;
  for (const v of values) if (Number.isNaN(v)) nan++;
  return Object.freeze({
    ...panel,
    factorNames: Object.freeze([...panel.factorNames, name]),
    factors: Object.freeze({ ...panel.factors, [name]: values }),
    missing: Object.freeze({ ...panel.missing, [name]: nan }),
  });
}

/**
 * A factor column by name, or `values` itself when it is already a column (one value per row).
 * Throws a `ConfigError` keyed `key` for an unknown name or a column of the wrong length.
 */
export function factorValues(panel: FactorPanel, values: string | Float64Array, key: string): Float64Array {
  if (typeof values === 'string') {
    const column = panel.factors[values];
    if (column === undefined) throw new ConfigError(key, `unknown factor '${values}' (the panel has ${panel.factorNames.join(', ')})`);
    return column;
  }
  if (values.length !== panel.rows) throw new ConfigError(key, `has ${values.length} values, expected ${panel.rows} (one per row)`);
  return values;
}

/** Per symbol, its rows in date order. */
export function rowsBySymbol(panel: FactorPanel): Int32Array[] {
  const counts = new Int32Array(panel.symbols.length);
  for (const s of panel.symbolIndex) counts[s] = (counts[s] as number) + 1;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(panel.symbols.length);
  for (let row = 0; row < panel.rows; row++) {
    const s = panel.symbolIndex[row] as number;
    (out[s] as Int32Array)[fill[s] as number] = row;
    fill[s] = (fill[s] as number) + 1;
  }
  return out;
}

/**
 * Forward returns over each of `periods` rows (alphalens' definition on the panel's own dates):
 * per symbol, with its rows in date order, the return at row j over k rows is
 * `close[j + k] / close[j] − 1`, or, on a panel of one-row forward returns,
 * `(1 + r[j])·…·(1 + r[j + k − 1]) − 1`. `NaN` where the symbol has fewer than k later rows or a
 * value needed is missing. Periods are positive integers (`ConfigError` keyed `periods`).
 */
export function forwardReturns(panel: FactorPanel, periods: readonly number[]): ReadonlyMap<number, Float64Array> {
  if (periods.length === 0) throw new ConfigError('periods', 'give at least one period');
  for (const k of periods) if (!Number.isInteger(k) || k < 1) throw new ConfigError('periods', `a period is a positive whole number of rows, got ${k}`);
  const bySymbol = rowsBySymbol(panel);
  const out = new Map<number, Float64Array>();
  for (const k of periods) {
    if (out.has(k)) continue;
    const values = new Float64Array(panel.rows).fill(NaN);
    for (const rows of bySymbol) {
      for (let j = 0; j + k < rows.length + (panel.close === null ? 1 : 0); j++) {
        const row = rows[j] as number;
        if (panel.close !== null) {
          values[row] = (panel.close[rows[j + k] as number] as number) / (panel.close[row] as number) - 1;
        } else {
          // One row is the given return itself (exact); more rows compound.
          const first = panel.forwardReturn?.[row] as number;
          let growth = 1 + first;
          for (let i = 1; i < k; i++) growth *= 1 + (panel.forwardReturn?.[rows[j + i] as number] as number);
          values[row] = k === 1 ? first : growth - 1;
        }
      }
    }
    out.set(k, values);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
