import type { BarSeries } from '@quantbot/core';
import { ConfigError, DataError, formatIsoTime } from '@quantbot/core';
import type { BarRepair } from './bar-repair';
import { repairMissingSessions } from './bar-repair';
import type { DataQualityReport } from './data-quality-finding';
import type { ExchangeCalendar } from './exchange-calendar';
import { validateDataset } from './ohlcv-validator';

/** `strict` refuses data with errors; `warn` runs and reports; `off` skips the checks. */
export type DataQualityMode = 'strict' | 'warn' | 'off';

/** What a session decided about its data, for its results and artifacts. */
export interface DataQualityOutcome {
  readonly mode: DataQualityMode;
  /** The calendar sessions were checked against, or null. */
  readonly calendar: string | null;
  /** The report on the data as used (after any repair); null when the mode is `off`. */
  readonly report: DataQualityReport | null;
  /** Every value the opt-in repair changed or added; empty without repair. */
  readonly repairs: readonly BarRepair[];
}

/** Options of `applyDataQuality`. */
export interface DataQualityGateOptions {
  readonly mode: DataQualityMode;
  readonly calendar: ExchangeCalendar | null;
  /** Opt-in: forward-fill sessions missing against the calendar (each repair is listed). */
  readonly repair?: 'forward-fill' | null;
}

/**
 * Validates (and, only when asked, repairs) the data a session is about to use. In `strict`
 * mode, data with any error-severity finding is refused with a `DataError` that names the first
 * problems; in `warn` mode the session runs and the report travels with its results; `off`
 * checks nothing and says so. Returns the series to use and the outcome to record.
 */
export function applyDataQuality(
  series: readonly BarSeries[],
  options: DataQualityGateOptions,
): { readonly series: readonly BarSeries[]; readonly outcome: DataQualityOutcome } {
  if (options.mode !== 'strict' && options.mode !== 'warn' && options.mode !== 'off') {
    throw new ConfigError('--data-quality', `unknown mode '${String(options.mode)}'; available: strict, warn, off`);
  }
  let used = series;
  const repairs: BarRepair[] = [];
  if (options.repair === 'forward-fill') {
    if (options.calendar === null) throw new ConfigError('--repair', 'forward-fill needs a calendar (--calendar nyse or weekdays)');
    const calendar = options.calendar;
    used = series.map((s) => {
      const repaired = repairMissingSessions(s, calendar);
      repairs.push(...repaired.repairs);
      return repaired.series;
    });
  }
  const calendarName = options.calendar?.name ?? null;
  if (options.mode === 'off') {
    return { series: used, outcome: Object.freeze({ mode: 'off', calendar: calendarName, report: null, repairs: Object.freeze(repairs) }) };
  }
  const report = validateDataset(used, { calendar: options.calendar });
  if (options.mode === 'strict' && report.summary.bySeverity.error > 0) {
    const errors = report.findings.filter((f) => f.severity === 'error');
    const listed = errors
      .slice(0, 5)
      .map((f) => `${f.symbol} ${f.time === null ? '' : formatIsoTime(f.time).slice(0, 10)} ${f.field ?? ''}: ${f.message}`)
      .join('; ');
    const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
    throw new DataError(`data quality is strict and the data has ${errors.length} error(s): ${listed}${more}`, { field: 'data-quality' });
  }
  return { series: used, outcome: Object.freeze({ mode: options.mode, calendar: calendarName, report, repairs: Object.freeze(repairs) }) };
}
