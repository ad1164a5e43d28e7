import { op, table } from 'arquero';
import { ConfigError, DataError } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { isIsoDate, RESERVED_COLUMNS, withFactor } from './factor-panel';
import type { FactorFinding } from './findings';
import { finding } from './findings';

/** Price rows (one per symbol and date) whose numeric columns are joined onto a panel's rows. */
export interface PriceRows {
  readonly symbol: readonly string[];
  /** `YYYY-MM-DD`. */
  readonly date: readonly string[];
  /** The numeric columns to add (at least one), one value per row; `NaN` is a missing value. */
  readonly values: Readonly<Record<string, ArrayLike<number>>>;
}

/** Fundamentals rows, each usable from the date it became known (its announcement or filing). */
export interface FundamentalRows {
  readonly symbol: readonly string[];
  /** `YYYY-MM-DD`: the first date the row may be used. One row per symbol and date. */
  readonly availableDate: readonly string[];
  /** The numeric columns to add (at least one), one value per row; `NaN` is a missing value. */
  readonly values: Readonly<Record<string, ArrayLike<number>>>;
}

/** What {@link mergePointInTime} joins onto a panel: prices, fundamentals or both. */
export interface PointInTimeMergeOptions {
  readonly prices?: PriceRows;
  readonly fundamentals?: FundamentalRows;
}

/** The result of {@link mergePointInTime}. */
export interface PointInTimeMerge {
  /** The panel with the price and fundamentals columns added as factor columns (`NaN` where unmatched). */
  readonly panel: FactorPanel;
  /** Per panel row, the `availableDate` of the fundamentals row it took, or `null` when none was available yet. */
  readonly fundamentalsDate: readonly (string | null)[];
  readonly findings: readonly FactorFinding[];
}

/** Checks one input's keys and columns; returns its value column names. */
function checkRows(kind: 'prices' | 'fundamentals', symbol: readonly string[], date: readonly string[], dateField: string, values: Readonly<Record<string, ArrayLike<number>>>, taken: Set<string>): string[] {
  const rows = symbol.length;
  if (date.length !== rows) throw new ConfigError(`${kind}.${dateField}`, `has ${date.length} values for ${rows} symbols`);
  const names = Object.keys(values);
  if (names.length === 0) throw new ConfigError(`${kind}.values`, 'give at least one column to add');
  for (const name of names) {
    if (name === '' || RESERVED_COLUMNS.includes(name) || taken.has(name)) throw new ConfigError(`${kind}.values.${name}`, `'${name}' is empty, reserved or already a column`);
    taken.add(name);
    const column = values[name] as ArrayLike<number>;
    if (column.length !== rows) throw new ConfigError(`${kind}.values.${name}`, `has ${column.length} values for ${rows} rows`);
    for (let i = 0; i < rows; i++) {
      const v = column[i] as number;
      if (v === Infinity || v === -Infinity) throw new DataError(`${v} is not a finite number`, { field: `${kind}.values.${name}[${i}]`, symbol: symbol[i] as string });
    }
  }
  // Per symbol, the row of each date: a second one is refused. Dates repeat across symbols, so
  // each distinct one is checked once.
  const bySymbol = new Map<string, Map<string, number>>();
  const validDates = new Set<string>();
  for (let i = 0; i < rows; i++) {
    const s = symbol[i] as string;
    const d = date[i] as string;
    if (s === '') throw new DataError('the symbol is empty', { field: `${kind}.symbol[${i}]` });
    if (!validDates.has(d)) {
      if (!isIsoDate(d)) throw new DataError(`'${d}' is not a date written YYYY-MM-DD`, { field: `${kind}.${dateField}[${i}]`, symbol: s });
      validDates.add(d);
    }
    let dates = bySymbol.get(s);
    if (dates === undefined) bySymbol.set(s, (dates = new Map()));
    const before = dates.get(d);
    if (before !== undefined) throw new DataError(`a second row for ${s} on ${d} (the first is row ${before})`, { field: `${kind}.${dateField}[${i}]`, symbol: s });
    dates.set(d, i);
  }
  return names;
}

/**
 * Merges a panel with price rows by (symbol, date) and with fundamentals as of each row's date,
 * with arquero, never reaching past the row's date:
 *
 * - **prices**: a left join on (symbol, date): a panel row takes the values of the price row of
 *   its own symbol and date; a row without one gets `NaN` (a `no-price` finding counts them).
 * - **fundamentals**: per symbol, a panel row on date t takes the values of the fundamentals row
 *   with the latest `availableDate` ≤ t (a row available on t itself counts); a row with none yet
 *   gets `NaN` and `fundamentalsDate` `null` (a `no-fundamentals-yet` finding counts them). The
 *   row is taken whole: a value missing in it stays missing, never filled from an older row.
 *   Give as `availableDate` the first date a strategy could have acted on the numbers (the
 *   next session for an announcement after the close).
 *
 * The added columns become factor columns of the returned panel (the input is not changed).
 * Rows of either input for symbols or dates not in the panel are ignored. Throws a
 * `ConfigError` keyed by the field for a structural mistake (neither input, columns of different
 * lengths, no value column, a column name that is reserved, already in the panel or in both
 * inputs) and a `DataError` naming the field and row for a bad date, an empty symbol, an infinite
 * value or a second row for the same (symbol, date) or (symbol, availableDate).
 */
export function mergePointInTime(panel: FactorPanel, options: PointInTimeMergeOptions): PointInTimeMerge {
  const { prices, fundamentals } = options;
  if (prices === undefined && fundamentals === undefined) throw new ConfigError('prices', 'give prices, fundamentals or both');
  const taken = new Set(panel.factorNames);
  const priceNames = prices === undefined ? [] : checkRows('prices', prices.symbol, prices.date, 'date', prices.values, taken);
  const fundamentalNames = fundamentals === undefined ? [] : checkRows('fundamentals', fundamentals.symbol, fundamentals.availableDate, 'availableDate', fundamentals.values, taken);

  const rows = panel.rows;
  const rowSymbol = Array.from(panel.symbolIndex, (s) => panel.symbols[s] as string);
  const rowDate = Array.from(panel.dateIndex, (d) => panel.dates[d] as string);
  const rowIndex = Int32Array.from({ length: rows }, (_, i) => i);
  const findings: FactorFinding[] = [];
  let merged = panel;

  if (prices !== undefined) {
    const left = table({ symbol: rowSymbol, date: rowDate, row: rowIndex });
    const right = table({ symbol: prices.symbol, date: prices.date, priceRow: Int32Array.from({ length: prices.symbol.length }, (_, i) => i) });
    const joined = left.join_left(right, [['symbol', 'date'], ['symbol', 'date']], [['row'], ['priceRow']]);
    const source = new Float64Array(rows).fill(NaN);
    const joinedRows = joined.array('row');
    const joinedPrice = joined.array('priceRow');
    for (let i = 0; i < joinedRows.length; i++) source[joinedRows[i] as number] = (joinedPrice[i] as number | undefined) ?? NaN;
    let unmatched = 0;
    for (const p of source) if (Number.isNaN(p)) unmatched++;
    if (unmatched > 0) findings.push(finding(null, 'no-price', `${unmatched} of ${rows} row(s) have no price row for their symbol and date: their price columns are NaN`));
    for (const name of priceNames) merged = withFactor(merged, name, gather(prices.values[name] as ArrayLike<number>, source));
  }

  const fundamentalsDate: (string | null)[] = new Array<string | null>(rows).fill(null);
  if (fundamentals !== undefined) {
    // One table of events: the fundamentals rows (kind 0) and the panel rows (kind 1). Ordered by
    // date within each symbol, fundamentals first on a tie, filling the latest fundamentals row
    // down onto later events gives each panel row the latest one available on or before its date.
    const count = fundamentals.symbol.length;
    const kind = new Int8Array(count + rows).fill(1, count);
    const source = new Float64Array(count + rows).fill(NaN);
    const row = new Int32Array(count + rows).fill(-1);
    for (let i = 0; i < count; i++) source[i] = i;
    row.set(rowIndex, count);
    const events = table({ symbol: [...fundamentals.symbol, ...rowSymbol], date: [...fundamentals.availableDate, ...rowDate], kind, source, row });
    const asOf = events
      .groupby('symbol')
      .orderby('date', 'kind')
      .derive({ asOf: op.fill_down('source') })
      .filter('d => d.kind === 1');
    const chosen = new Float64Array(rows).fill(NaN);
    const panelRows = asOf.array('row');
    const fundamentalRows = asOf.array('asOf');
    for (let i = 0; i < panelRows.length; i++) chosen[panelRows[i] as number] = (fundamentalRows[i] as number | null) ?? NaN;
    let none = 0;
    chosen.forEach((f, r) => {
      if (Number.isNaN(f)) none++;
      else fundamentalsDate[r] = fundamentals.availableDate[f] as string;
    });
    if (none > 0) findings.push(finding(null, 'no-fundamentals-yet', `${none} of ${rows} row(s) have no fundamentals available on or before their date: their fundamentals columns are NaN`));
    for (const name of fundamentalNames) merged = withFactor(merged, name, gather(fundamentals.values[name] as ArrayLike<number>, chosen));
  }
  return Object.freeze({ panel: merged, fundamentalsDate: Object.freeze(fundamentalsDate), findings: Object.freeze(findings) });
}

/** values[source[r]] per row r, `NaN` where source is `NaN`. */
function gather(values: ArrayLike<number>, source: Float64Array): Float64Array {
  const out = new Float64Array(source.length).fill(NaN);
  for (let r = 0; r < source.length; r++) {
    const i = source[r] as number;
    if (!Number.isNaN(i)) out[r] = values[i] as number;
  }
  return out;
}
