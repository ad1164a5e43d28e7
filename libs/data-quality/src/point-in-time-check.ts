import type { EpochMs } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import type { DataQualityFinding, DataQualityReport } from './data-quality-finding';
import { summarizeFindings } from './data-quality-finding';
import type { PitRecord } from './point-in-time-series';

const MS_PER_DAY = 86_400_000;
/** The largest time a `Date` can represent. */
const MAX_DATE_MS = 8.64e15;

/** Options of `checkPointInTime`; every field has a default. */
export interface PointInTimeCheckOptions {
  /**
   * The time at which the dataset would be joined to bars: `periodEnd` (the naive join, the
   * default) or `announcedAt` (the point-in-time join, which cannot leak).
   */
  readonly usageKey?: 'periodEnd' | 'announcedAt';
  /**
   * The reporting lag the join assumes, in ms (default 0): a row is used at its key time plus
   * this lag. "Lag fundamentals by 45 days" is `usageKey: 'periodEnd', maxLagMs: 45 days`, and
   * then only rows announced more than 45 days after period end leak. Finite and ≥ 0.
   */
  readonly maxLagMs?: number;
}

/**
 * Finds every row of a point-in-time dataset whose use at its key time (plus `maxLagMs`) would
 * leak the future:
 *
 * - `pit-leak` error (time = periodEnd, field `announcedAt`) when the row would be used before
 *   its announcement, with the lag in days; never under `usageKey: 'announcedAt'`.
 * - `pit-leak` warning when a row is announced before its period ended, which is impossible for
 *   fundamentals and means one of the two dates is wrong.
 * - `non-finite-value` error for a non-finite `periodEnd` or `announcedAt` (the row is not
 *   checked further).
 *
 * A row that is a restatement (an earlier row of the same symbol and period exists) is called
 * one in the message. Throws a `ConfigError` for an invalid `maxLagMs` or `usageKey`.
 *
 * @example
 * checkPointInTime([{ symbol: 'ORCL', periodEnd: d('2010-03-31'), announcedAt: d('2010-04-28'), value: 0.3 }])
 * // [{ check: 'pit-leak', severity: 'error', symbol: 'ORCL', time: d('2010-03-31'), field: 'announcedAt',
 * //    message: 'value for period ending 2010-03-31 was announced 2010-04-28, 28 days later: joining on period end uses it 28 days early' }]
 */
export function checkPointInTime<T>(records: readonly PitRecord<T>[], options: PointInTimeCheckOptions = {}): DataQualityFinding[] {
  const usageKey = options.usageKey ?? 'periodEnd';
  if (usageKey !== 'periodEnd' && usageKey !== 'announcedAt') {
    throw new ConfigError('usageKey', `must be 'periodEnd' or 'announcedAt', got ${JSON.stringify(usageKey)}`);
  }
  const maxLagMs = options.maxLagMs ?? 0;
  if (!Number.isFinite(maxLagMs) || maxLagMs < 0) {
    throw new ConfigError('maxLagMs', `must be a finite number of ms ≥ 0, got ${maxLagMs}`);
  }

  const findings: DataQualityFinding[] = [];
  const earliestAnnouncement = earliestAnnouncementByPeriod(records);
  for (const { symbol, periodEnd, announcedAt } of records) {
    const time = Number.isFinite(periodEnd) ? periodEnd : null;
    if (!Number.isFinite(periodEnd) || !Number.isFinite(announcedAt)) {
      const field = Number.isFinite(periodEnd) ? 'announcedAt' : 'periodEnd';
      const bad = Number.isFinite(periodEnd) ? announcedAt : periodEnd;
      findings.push({
        check: 'non-finite-value',
        severity: 'error',
        symbol,
        time,
        field,
        message: `${field} is ${String(bad)}, expected a finite time (epoch ms)`,
      });
      continue;
    }
    const isRestatement = (earliestAnnouncement.get(periodKey(symbol, periodEnd)) as number) < announcedAt;
    const what = `${isRestatement ? 'restated value' : 'value'} for period ending ${formatTime(periodEnd)}`;
    if (announcedAt < periodEnd) {
      findings.push({
        check: 'pit-leak',
        severity: 'warning',
        symbol,
        time,
        field: 'announcedAt',
        message: `${what} was announced ${formatTime(announcedAt)}, ${formatDays(periodEnd - announcedAt)} days before the period ended: one of the dates is wrong`,
      });
    }
    const usedAt = (usageKey === 'periodEnd' ? periodEnd : announcedAt) + maxLagMs;
    if (announcedAt > usedAt) {
      const join = usageKey === 'periodEnd' ? 'period end' : 'announcement';
      const lagText = maxLagMs > 0 ? ` + ${formatDays(maxLagMs)} days` : '';
      findings.push({
        check: 'pit-leak',
        severity: 'error',
        symbol,
        time,
        field: 'announcedAt',
        message:
          `${what} was announced ${formatTime(announcedAt)}, ${formatDays(announcedAt - periodEnd)} days later: ` +
          `joining on ${join}${lagText} uses it ${formatDays(announcedAt - usedAt)} days early`,
      });
    }
  }
  return findings;
}

/**
 * `checkPointInTime` as a `DataQualityReport`: findings sorted by symbol, time and check;
 * `summary.symbols` counts distinct symbols and `summary.bars` counts records.
 */
export function checkPointInTimeReport<T>(records: readonly PitRecord<T>[], options: PointInTimeCheckOptions = {}): DataQualityReport {
  const findings = checkPointInTime(records, options);
  const symbols = new Set(records.map((r) => r.symbol)).size;
  return summarizeFindings(findings, symbols, records.length);
}

function periodKey(symbol: string, periodEnd: number): string {
  return `${symbol}\u0000${periodEnd}`;
}

/** The first announcement of each (symbol, period) with finite times, to recognize restatements. */
function earliestAnnouncementByPeriod<T>(records: readonly PitRecord<T>[]): Map<string, number> {
  const earliest = new Map<string, number>();
  for (const { symbol, periodEnd, announcedAt } of records) {
    if (!Number.isFinite(periodEnd) || !Number.isFinite(announcedAt)) continue;
    const key = periodKey(symbol, periodEnd);
    const seen = earliest.get(key);
    if (seen === undefined || announcedAt < seen) earliest.set(key, announcedAt);
  }
  return earliest;
}

/** `YYYY-MM-DD` for a UTC midnight, the full ISO time otherwise (the number itself beyond Date's range). */
function formatTime(time: EpochMs | number): string {
  if (Math.abs(time) > MAX_DATE_MS) return String(time);
  const iso = new Date(time).toISOString();
  return time % MS_PER_DAY === 0 ? iso.slice(0, 10) : iso;
}

/** A duration in days: whole days as integers, otherwise up to two decimals. */
function formatDays(durationMs: number): string {
  return String(Math.round((durationMs / MS_PER_DAY) * 100) / 100);
}
