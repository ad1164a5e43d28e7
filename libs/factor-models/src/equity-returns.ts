import { ConfigError, DataError } from '@quantbot/core';
import type { StrategyReturns } from './return-attribution';

/** An equity curve as columns: epoch ms (UTC) and the equity at that time. */
export interface EquityCurveColumns {
  readonly time: readonly number[];
  readonly equity: readonly number[];
}

/**
 * A strategy's daily returns from its equity curve, for {@link attributeReturns}. The curve has
 * the shape a run folder's `equity.csv` reads into (`readRun(...).equity` or `parseEquityCsv` of
 * `@quantbot/observability`; reading the file is left to the caller). Each point's day is its
 * UTC calendar date (daily bars are stamped at 00:00 UTC, US sessions close before midnight
 * UTC); a day's equity is its last point's. The return on day d is E(d) / E(d′) − 1 with d′ the
 * previous day of the curve, so the first day has none. A return is `null` when either equity
 * is not finite or E(d′) ≤ 0 (attribution then lists the date as without a strategy return).
 * Throws a `ConfigError` keyed `equity` when the columns differ in length and a `DataError`
 * keyed `time[i]` for a time that is not finite or earlier than the one before it.
 *
 * @example dailyReturnsFromEquity({ time: [Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)], equity: [100, 101] })
 *          → { dates: ['2024-01-03'], returns: [0.01] } (up to rounding)
 */
export function dailyReturnsFromEquity(curve: EquityCurveColumns): StrategyReturns {
  if (curve.time.length !== curve.equity.length) throw new ConfigError('equity', `has ${curve.equity.length} values for ${curve.time.length} times`);
  const days: string[] = [];
  const closing: number[] = [];
  for (let i = 0; i < curve.time.length; i++) {
    const time = curve.time[i] as number;
    if (!Number.isFinite(time) || Math.abs(time) > 8.64e15) throw new DataError(`${time} is not a valid epoch ms`, { field: `time[${i}]` });
    if (i > 0 && time < (curve.time[i - 1] as number)) throw new DataError(`times go backwards: ${new Date(time).toISOString()} after ${new Date(curve.time[i - 1] as number).toISOString()}`, { field: `time[${i}]` });
    const day = new Date(time).toISOString().slice(0, 10);
    if (days[days.length - 1] === day) closing[closing.length - 1] = curve.equity[i] as number;
    else {
      days.push(day);
      closing.push(curve.equity[i] as number);
    }
  }
  const returns: (number | null)[] = [];
  for (let d = 1; d < days.length; d++) {
    const before = closing[d - 1] as number;
    const after = closing[d] as number;
    returns.push(Number.isFinite(before) && Number.isFinite(after) && before > 0 ? after / before - 1 : null);
  }
  return Object.freeze({ dates: Object.freeze(days.slice(1)), returns: Object.freeze(returns) });
}
