import type { BarSeries } from '@quantbot/core';
import { DataError } from '@quantbot/core';
import { formatBarDate } from './bar-date';

/** What appending newly fetched bars to the bars already on disk comes to. */
export interface BarAppendPlan {
  /** The incoming bars after the last bar on disk, in time order: what to append. */
  readonly append: BarSeries;
  /** Incoming bars at or before the last bar on disk that equal the bar on disk: dropped. */
  readonly duplicates: number;
  /** Incoming bars at or before the last bar on disk with no bar on disk at their time: not inserted. */
  readonly skippedEarlier: number;
}

const COMPARED_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Plans an incremental update of a bar file: the bars of `incoming` (strictly increasing times)
 * later than the last bar of `existing` are to be appended; those at or before it are compared
 * with the bar on disk at the same time, field by field and exactly (the file holds what the
 * source sent, so an unchanged source gives equal numbers), and dropped when equal. A bar of
 * another value is a conflict: the source's history changed (a corrected print, a new split or
 * dividend adjustment), and appending to it would splice two histories.
 *
 * Throws a `DataError` naming `source` (the file), the date and each differing field (on disk,
 * then incoming) for the first conflicting bar; nothing is planned then.
 */
export function planBarAppend(existing: BarSeries, incoming: BarSeries, source: string): BarAppendPlan {
  const last = existing.length === 0 ? Number.NEGATIVE_INFINITY : (existing.time[existing.length - 1] as number);
  let duplicates = 0;
  let skippedEarlier = 0;
  let first = 0;
  let cursor = 0;
  while (first < incoming.length && (incoming.time[first] as number) <= last) {
    const time = incoming.time[first] as number;
    while (cursor < existing.length && (existing.time[cursor] as number) < time) cursor++;
    if (cursor < existing.length && existing.time[cursor] === time) {
      const differing = COMPARED_FIELDS.filter((field) => existing[field][cursor] !== incoming[field][first]);
      if (differing.length > 0) {
        const values = differing.map((field) => `${field} ${existing[field][cursor] as number} on disk, ${incoming[field][first] as number} now`).join(', ');
        throw new DataError(
          `the bar of ${formatBarDate(time)} differs from the one fetched now (${values}): the source's history changed, so new bars were not appended`,
          { file: source, symbol: existing.symbol },
        );
      }
      duplicates++;
    } else {
      skippedEarlier++;
    }
    first++;
  }
  return Object.freeze({ append: sliceSeries(incoming, first), duplicates, skippedEarlier });
}

/** Bars `from..end` of a series (views of its columns, no copy). */
function sliceSeries(series: BarSeries, from: number): BarSeries {
  return Object.freeze({
    symbol: series.symbol,
    length: series.length - from,
    time: series.time.subarray(from),
    open: series.open.subarray(from),
    high: series.high.subarray(from),
    low: series.low.subarray(from),
    close: series.close.subarray(from),
    volume: series.volume.subarray(from),
    adjClose: series.adjClose === null ? null : series.adjClose.subarray(from),
  });
}
