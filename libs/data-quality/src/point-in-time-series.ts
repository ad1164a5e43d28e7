import type { EpochMs } from '@quantbot/core';
import { ConfigError, DataError } from '@quantbot/core';

/**
 * One value of a point-in-time dataset (fundamentals, estimates, index membership): what it
 * describes and when the market could first know it. A restatement is a second record for the
 * same `symbol` and `periodEnd`, announced later.
 */
export interface PitRecord<T> {
  readonly symbol: string;
  /** The end of the period the value describes (a fiscal quarter end), epoch ms UTC. */
  readonly periodEnd: EpochMs;
  /** When the value became public, epoch ms UTC. It may be used for decisions from this time on. */
  readonly announcedAt: EpochMs;
  readonly value: T;
}

/** One symbol's records, sorted twice so that both lookups are a binary search. */
interface SymbolRecords<T> {
  /** By announcedAt, then periodEnd, then input order. */
  readonly byAnnouncement: readonly PitRecord<T>[];
  readonly announcedAt: Float64Array;
  /** By periodEnd, then announcedAt, then input order (only for the leaky lookup). */
  readonly byPeriod: readonly PitRecord<T>[];
  readonly periodEnd: Float64Array;
}

const NO_RECORDS: readonly never[] = Object.freeze([]);

/**
 * A point-in-time dataset: records of several symbols, each usable only from its announcement
 * time. Lookups take a decision time `t` (epoch ms) and never return a record announced after
 * it, so a backtest that reads through `asOf` / `historyAsOf` / `visibleAt` cannot see the
 * future. Lookups are O(log n) in the symbol's record count.
 *
 * Records are copied and frozen on construction; `value` is kept by reference and is to be
 * treated as immutable. `t` may be ±Infinity (everything / nothing); NaN is a `ConfigError`.
 *
 * @example
 * const series = new PointInTimeSeries(sampleFundamentals());
 * const known = series.asOf('ORCL', epochMs(Date.UTC(2005, 5, 1)));
 * // known.announcedAt <= 2005-06-01, known.periodEnd is the quarter it describes
 */
export class PointInTimeSeries<T> {
  readonly #bySymbol: ReadonlyMap<string, SymbolRecords<T>>;
  readonly #symbols: readonly string[];
  readonly #size: number;

  /**
   * Throws a `DataError` naming the record index and field when a record has an empty symbol or
   * a non-finite `periodEnd` or `announcedAt`. An announcement before its period end is
   * accepted here (`checkPointInTime` reports it); restatements are accepted.
   */
  constructor(records: readonly PitRecord<T>[]) {
    const grouped = new Map<string, PitRecord<T>[]>();
    for (let index = 0; index < records.length; index++) {
      const record = validateRecord(records[index], index);
      const list = grouped.get(record.symbol);
      if (list === undefined) grouped.set(record.symbol, [record]);
      else list.push(record);
    }
    const bySymbol = new Map<string, SymbolRecords<T>>();
    for (const [symbol, list] of grouped) {
      // Array.prototype.sort is stable, so equal keys keep their input order.
      const byAnnouncement = Object.freeze(
        [...list].sort((a, b) => a.announcedAt - b.announcedAt || a.periodEnd - b.periodEnd),
      );
      const byPeriod = Object.freeze([...list].sort((a, b) => a.periodEnd - b.periodEnd || a.announcedAt - b.announcedAt));
      bySymbol.set(symbol, {
        byAnnouncement,
        announcedAt: Float64Array.from(byAnnouncement, (r) => r.announcedAt),
        byPeriod,
        periodEnd: Float64Array.from(byPeriod, (r) => r.periodEnd),
      });
    }
    this.#bySymbol = bySymbol;
    this.#symbols = Object.freeze([...bySymbol.keys()].sort());
    this.#size = records.length;
  }

  /** The symbols that have at least one record, sorted. */
  get symbols(): readonly string[] {
    return this.#symbols;
  }

  /** The number of records, restatements included. */
  get size(): number {
    return this.#size;
  }

  /**
   * The latest record of `symbol` announced at or before `t`: the greatest `announcedAt`, ties
   * broken by the later `periodEnd` (then by input order). `undefined` when nothing of `symbol`
   * was public at `t`.
   *
   * This is the latest *announcement*, which is a restatement of an older period when that was
   * the last thing published; use `historyAsOf` to choose by period.
   */
  asOf(symbol: string, t: EpochMs | number): PitRecord<T> | undefined {
    checkQueryTime(t);
    const records = this.#bySymbol.get(symbol);
    if (records === undefined) return undefined;
    const count = upperBound(records.announcedAt, t);
    return count === 0 ? undefined : records.byAnnouncement[count - 1];
  }

  /** Every record of `symbol` announced at or before `t`, in announcement order (frozen). */
  historyAsOf(symbol: string, t: EpochMs | number): readonly PitRecord<T>[] {
    checkQueryTime(t);
    const records = this.#bySymbol.get(symbol);
    if (records === undefined) return NO_RECORDS;
    return Object.freeze(records.byAnnouncement.slice(0, upperBound(records.announcedAt, t)));
  }

  /**
   * What was known at `t`: a new series holding only the records announced at or before `t`.
   * Symbols with nothing announced yet are absent from its `symbols`.
   */
  visibleAt(t: EpochMs | number): PointInTimeSeries<T> {
    checkQueryTime(t);
    const visible: PitRecord<T>[] = [];
    for (const symbol of this.#symbols) {
      const records = this.#bySymbol.get(symbol) as SymbolRecords<T>;
      const count = upperBound(records.announcedAt, t);
      for (let k = 0; k < count; k++) visible.push(records.byAnnouncement[k] as PitRecord<T>);
    }
    return new PointInTimeSeries(visible);
  }

  /**
   * DELIBERATELY LEAKY: the record of `symbol` with the latest `periodEnd` at or before `t`
   * (among restatements of that period, the last announced), whether or not it had been
   * announced by `t`. This is the naive join of fundamentals on period end, and it uses values
   * weeks before anyone knew them.
   *
   * It exists only to demonstrate and test lookahead detection. Never use it for decisions:
   * use `asOf`.
   */
  valueByPeriodEnd(symbol: string, t: EpochMs | number): PitRecord<T> | undefined {
    checkQueryTime(t);
    const records = this.#bySymbol.get(symbol);
    if (records === undefined) return undefined;
    const count = upperBound(records.periodEnd, t);
    return count === 0 ? undefined : records.byPeriod[count - 1];
  }

  /**
   * DELIBERATELY LEAKY, like `valueByPeriodEnd`: every record of `symbol` whose period ended at or
   * before `t`, in period order, announced or not. For demonstrating lookahead detection only.
   */
  historyByPeriodEnd(symbol: string, t: EpochMs | number): readonly PitRecord<T>[] {
    checkQueryTime(t);
    const records = this.#bySymbol.get(symbol);
    if (records === undefined) return NO_RECORDS;
    return Object.freeze(records.byPeriod.slice(0, upperBound(records.periodEnd, t)));
  }
}

function validateRecord<T>(record: PitRecord<T> | undefined, index: number): PitRecord<T> {
  if (record === null || typeof record !== 'object') {
    throw new DataError(`record ${index} is ${record === null ? 'null' : typeof record}, expected a PitRecord`, { field: 'record' });
  }
  const { symbol, periodEnd, announcedAt, value } = record;
  if (typeof symbol !== 'string' || symbol.length === 0) {
    throw new DataError(`record ${index} has symbol ${JSON.stringify(symbol)}, expected a non-empty string`, { field: 'symbol' });
  }
  if (typeof periodEnd !== 'number' || !Number.isFinite(periodEnd)) {
    throw new DataError(`record ${index} has periodEnd ${String(periodEnd)}, expected a finite time (epoch ms)`, {
      symbol,
      field: 'periodEnd',
    });
  }
  if (typeof announcedAt !== 'number' || !Number.isFinite(announcedAt)) {
    throw new DataError(`record ${index} has announcedAt ${String(announcedAt)}, expected a finite time (epoch ms)`, {
      symbol,
      field: 'announcedAt',
    });
  }
  return Object.freeze({ symbol, periodEnd, announcedAt, value });
}

function checkQueryTime(t: number): void {
  if (Number.isNaN(t)) throw new ConfigError('t', 'the query time must be a number (epoch ms), got NaN');
}

/** The number of leading elements of the ascending `times` that are ≤ `t`. */
function upperBound(times: Float64Array, t: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((times[mid] as number) <= t) low = mid + 1;
    else high = mid;
  }
  return low;
}
