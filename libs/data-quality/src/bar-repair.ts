import type { BarSeries, EpochMs } from '@quantbot/core';
import { DataError } from '@quantbot/core';
import type { ExchangeCalendar } from './exchange-calendar';

const MS_PER_DAY = 86_400_000;

/** One change a repair made to a series, so every altered bar can be listed and audited. */
export interface BarRepair {
  readonly symbol: string;
  /** The inserted bar's time: 00:00 UTC of the missing session. */
  readonly time: EpochMs;
  readonly action: 'forward-fill-session';
  /** The values written: every price is the previous close, volume 0 (no trading seen). */
  readonly fields: {
    readonly open: number;
    readonly high: number;
    readonly low: number;
    readonly close: number;
    readonly volume: number;
  };
  /** The time of the bar whose close was copied. */
  readonly from: EpochMs;
}

/** A repaired series and the list of repairs made, both frozen. */
export interface SessionRepairResult {
  readonly series: BarSeries;
  readonly repairs: readonly BarRepair[];
}

/**
 * Forward-fills the sessions of `calendar` that have no bar between the first and the last bar:
 * each gets a flat bar (open = high = low = close = the previous bar's close, volume 0, `adjClose`
 * the previous adjusted close when the series has one), listed in `repairs`. Nothing else
 * changes, and nothing is added before the first or after the last bar. Opt-in: a filled bar
 * hides that the data was missing, so callers keep the repair list next to any result.
 *
 * Meant for daily bars stamped 00:00 UTC: days are compared as UTC calendar days, and a bar on
 * a non-session day is kept as it is. A series without missing sessions is returned as the same
 * object with no repairs. Throws a `DataError` naming the symbol and bar when a time is not
 * finite or times do not strictly increase (validate first; repairs do not reorder data).
 *
 * @example const { series: filled, repairs } = repairMissingSessions(series, NYSE_CALENDAR);
 */
export function repairMissingSessions(series: BarSeries, calendar: ExchangeCalendar): SessionRepairResult {
  const { time, close } = series;
  for (let i = 0; i < series.length; i++) {
    const t = time[i] as number;
    if (!Number.isFinite(t)) throw new DataError(`bar ${i} has time ${t}; cannot repair`, { symbol: series.symbol, field: 'time' });
    if (i > 0 && t <= (time[i - 1] as number)) {
      throw new DataError(`bar ${i} time ${t} does not follow bar ${i - 1} time ${time[i - 1]}; cannot repair`, {
        symbol: series.symbol,
        field: 'time',
      });
    }
  }

  // Bar index before which each fill goes, and the fill's day; bars are sorted, so one pass.
  const insertBefore: number[] = [];
  const fillDays: number[] = [];
  for (let i = 1; i < series.length; i++) {
    const previousDay = Math.floor((time[i - 1] as number) / MS_PER_DAY);
    const day = Math.floor((time[i] as number) / MS_PER_DAY);
    for (let d = previousDay + 1; d < day; d++) {
      if (calendar.isSession(d * MS_PER_DAY)) {
        insertBefore.push(i);
        fillDays.push(d);
      }
    }
  }
  if (fillDays.length === 0) return Object.freeze({ series, repairs: Object.freeze([]) });

  const length = series.length + fillDays.length;
  const out = {
    time: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
    adjClose: series.adjClose === null ? null : new Float64Array(length),
  };
  const repairs: BarRepair[] = [];
  let next = 0; // next fill
  let k = 0; // output index
  for (let i = 0; i < series.length; i++) {
    while (next < fillDays.length && insertBefore[next] === i) {
      const previousClose = close[i - 1] as number;
      const from = time[i - 1] as EpochMs;
      const fillTime = (fillDays[next] as number) * MS_PER_DAY;
      out.time[k] = fillTime;
      out.open[k] = previousClose;
      out.high[k] = previousClose;
      out.low[k] = previousClose;
      out.close[k] = previousClose;
      out.volume[k] = 0;
      if (out.adjClose !== null) out.adjClose[k] = series.adjClose?.[i - 1] as number;
      repairs.push(
        Object.freeze({
          symbol: series.symbol,
          time: fillTime as EpochMs,
          action: 'forward-fill-session' as const,
          fields: Object.freeze({ open: previousClose, high: previousClose, low: previousClose, close: previousClose, volume: 0 }),
          from,
        }),
      );
      next++;
      k++;
    }
    out.time[k] = time[i] as number;
    out.open[k] = series.open[i] as number;
    out.high[k] = series.high[i] as number;
    out.low[k] = series.low[i] as number;
    out.close[k] = close[i] as number;
    out.volume[k] = series.volume[i] as number;
    if (out.adjClose !== null) out.adjClose[k] = series.adjClose?.[i] as number;
    k++;
  }
  return Object.freeze({
    series: Object.freeze({ symbol: series.symbol, length, ...out }),
    repairs: Object.freeze(repairs),
  });
}
