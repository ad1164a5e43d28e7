// The validator as it was before its checks became single passes over the typed arrays, kept
// unchanged as the reference its spec compares the new one with (the same findings, in the
// same order, on any series). Test code only.
import type { BarSeries, EpochMs } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import type { DataQualityCheck, DataQualityFinding, Severity } from './data-quality-finding';
import type { ExchangeCalendar } from './exchange-calendar';
import { NYSE_CALENDAR } from './exchange-calendar';

const MS_PER_DAY = 86_400_000;
/** Beyond ±8.64e15 ms a `Date` is invalid; such times are printed as plain numbers. */
const MAX_DATE_MS = 8.64e15;

/** Consecutive identical closes that make a stale run, by default. */
export const DEFAULT_STALE_RUN_BARS = 5;
/** A log return beyond this many scaled median absolute deviations is a spike, by default. */
export const DEFAULT_SPIKE_MAD_MULTIPLE = 10;
/** Scales a median absolute deviation to a standard deviation for normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;
/** A spike must also move the close by more than this fraction (5%), so calm series stay quiet. */
export const SPIKE_FLOOR_RETURN = 0.05;
/** The spike check needs at least this many close-to-close returns for a meaningful MAD. */
export const SPIKE_MIN_RETURNS = 5;
/** Median gaps between bars above this many days mean weekly or monthly bars: no session checks. */
export const DAILY_MAX_MEDIAN_GAP_DAYS = 3;
/** Session checks are skipped when first and last bar are more than this many days apart. */
export const CALENDAR_MAX_SPAN_DAYS = 73_050;
/** Close ratios (and their inverses) of common splits; see the `split-like-jump` check. */
export const SPLIT_RATIOS: readonly number[] = Object.freeze([2, 3, 4, 5, 10, 1.5, 4 / 3]);
/** A one-bar close-to-close move beyond this percentage is a `large-move` error, by default. */
export const DEFAULT_MAX_BAR_MOVE_PCT = 50;
/** How close (relative) a close ratio must be to a split ratio: within 2%. */
export const SPLIT_RATIO_TOLERANCE = 0.02;

/** Options of `validateSeries` and `validateDataset`. */
export interface OhlcvValidationOptions {
  /**
   * The calendar for `missing-session` and `unexpected-session`; `null` skips both (for data
   * of another market or synthetic data on every day). Default `NYSE_CALENDAR`.
   */
  readonly calendar?: ExchangeCalendar | null;
  /** Minimum length (bars, an integer ≥ 2) of a run of identical closes to report. Default 5. */
  readonly staleRunBars?: number;
  /** Spike threshold in scaled median absolute deviations of log returns (> 0). Default 10. */
  readonly spikeMadMultiple?: number;
  /**
   * Largest one-bar close-to-close move, in percent (> 0), before a `large-move` error; a move
   * is `|close / previous close - 1|`. Default 50.
   */
  readonly maxBarMovePct?: number;
}

interface ResolvedOptions {
  readonly calendar: ExchangeCalendar | null;
  readonly staleRunBars: number;
  readonly spikeMadMultiple: number;
  readonly maxBarMove: number;
}

function resolveOptions(options: OhlcvValidationOptions | undefined): ResolvedOptions {
  const staleRunBars = options?.staleRunBars ?? DEFAULT_STALE_RUN_BARS;
  if (!Number.isInteger(staleRunBars) || staleRunBars < 2) {
    throw new ConfigError('staleRunBars', `expected an integer ≥ 2, got ${staleRunBars}`);
  }
  const spikeMadMultiple = options?.spikeMadMultiple ?? DEFAULT_SPIKE_MAD_MULTIPLE;
  if (!Number.isFinite(spikeMadMultiple) || spikeMadMultiple <= 0) {
    throw new ConfigError('spikeMadMultiple', `expected a finite number > 0, got ${spikeMadMultiple}`);
  }
  const maxBarMovePct = options?.maxBarMovePct ?? DEFAULT_MAX_BAR_MOVE_PCT;
  if (!Number.isFinite(maxBarMovePct) || maxBarMovePct <= 0) {
    throw new ConfigError('maxBarMovePct', `expected a finite percentage > 0, got ${maxBarMovePct}`);
  }
  const calendar = options?.calendar === undefined ? NYSE_CALENDAR : options.calendar;
  return { calendar, staleRunBars, spikeMadMultiple, maxBarMove: maxBarMovePct / 100 };
}

/** `YYYY-MM-DD` for a time at 00:00 UTC, full ISO 8601 otherwise, the plain number when not a date. */
function formatTime(time: number): string {
  if (!Number.isFinite(time) || Math.abs(time) > MAX_DATE_MS) return String(time);
  const iso = new Date(time).toISOString();
  return time % MS_PER_DAY === 0 ? iso.slice(0, 10) : iso;
}

/** The bar of index `index`, as located in messages: `bar 17 (2014-01-27)`. */
function describeBar(series: BarSeries, index: number): string {
  return `bar ${index} (${formatTime(series.time[index] as number)})`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** The checks `validateSeries` runs: every data-quality check but the point-in-time one. */
export type OhlcvCheck = Exclude<DataQualityCheck, 'pit-leak'>;

/** The checks `validateSeries` runs, each with its fixed severity. */
export const OHLCV_CHECK_SEVERITIES: Readonly<Record<OhlcvCheck, Severity>> = Object.freeze({
  'non-finite-value': 'error',
  'non-positive-price': 'error',
  'high-below-open-close': 'error',
  'low-above-open-close': 'error',
  'negative-volume': 'error',
  'duplicate-timestamp': 'error',
  'unsorted-timestamp': 'error',
  'missing-session': 'warning',
  'unexpected-session': 'warning',
  'stale-run': 'warning',
  spike: 'warning',
  'split-like-jump': 'warning',
  'large-move': 'error',
  'malformed-row': 'error',
  'mixed-interval': 'error',
  'calendar-not-applicable': 'info',
});

/** Collects the findings of one series; `time` is null for a non-finite bar time. */
class FindingList {
  readonly #symbol: string;
  readonly #findings: DataQualityFinding[] = [];

  constructor(symbol: string) {
    this.#symbol = symbol;
  }

  add(check: OhlcvCheck, time: number | null, field: string | null, message: string): void {
    this.#findings.push(
      Object.freeze({
        check,
        severity: OHLCV_CHECK_SEVERITIES[check],
        symbol: this.#symbol,
        time: time !== null && Number.isFinite(time) ? (time as EpochMs) : null,
        field,
        message: `${this.#symbol} ${message}`,
      }),
    );
  }

  /** The findings by time (whole-series findings first), then check; stable within ties. */
  toSortedArray(): readonly DataQualityFinding[] {
    const sorted = [...this.#findings].sort(
      (a, b) =>
        (a.time ?? Number.NEGATIVE_INFINITY) - (b.time ?? Number.NEGATIVE_INFINITY) ||
        (a.check < b.check ? -1 : a.check > b.check ? 1 : 0),
    );
    return Object.freeze(sorted);
  }
}

const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;

/** Per-bar value checks: non-finite values, non-positive prices, OHLC consistency, negative volume. */
function checkBarValues(series: BarSeries, findings: FindingList): void {
  const { time, open, high, low, close, volume, adjClose } = series;
  for (let i = 0; i < series.length; i++) {
    const t = time[i] as number;
    const where = describeBar(series, i);
    if (!Number.isFinite(t)) findings.add('non-finite-value', null, 'time', `${where}: time is ${t}`);
    for (const field of PRICE_FIELDS) {
      const value = series[field][i] as number;
      if (!Number.isFinite(value)) findings.add('non-finite-value', t, field, `${where}: ${field} is ${value}`);
      else if (value <= 0) findings.add('non-positive-price', t, field, `${where}: ${field} ${value} is not a positive price`);
    }
    if (adjClose !== null) {
      const value = adjClose[i] as number;
      if (!Number.isFinite(value)) findings.add('non-finite-value', t, 'adjClose', `${where}: adjClose is ${value}`);
      else if (value <= 0) {
        findings.add('non-positive-price', t, 'adjClose', `${where}: adjClose ${value} is not a positive price`);
      }
    }
    const v = volume[i] as number;
    if (!Number.isFinite(v)) findings.add('non-finite-value', t, 'volume', `${where}: volume is ${v}`);
    else if (v < 0) findings.add('negative-volume', t, 'volume', `${where}: volume ${v} is negative`);

    const o = open[i] as number;
    const h = high[i] as number;
    const l = low[i] as number;
    const c = close[i] as number;
    // Comparisons with NaN are false, so a non-finite value (already reported) adds nothing here.
    if (h < Math.max(o, c)) {
      findings.add('high-below-open-close', t, 'high', `${where}: high ${h} is below max(open ${o}, close ${c})`);
    }
    if (l > Math.min(o, c)) {
      findings.add('low-above-open-close', t, 'low', `${where}: low ${l} is above min(open ${o}, close ${c})`);
    }
  }
}

/** Duplicate and decreasing times, each bar compared with the last finite time before it. */
function checkTimeOrder(series: BarSeries, findings: FindingList): void {
  let previous = Number.NaN;
  let previousIndex = -1;
  for (let i = 0; i < series.length; i++) {
    const t = series.time[i] as number;
    if (!Number.isFinite(t)) continue;
    if (previousIndex !== -1) {
      const before = describeBar(series, previousIndex);
      if (t === previous) {
        findings.add('duplicate-timestamp', t, 'time', `${describeBar(series, i)}: same time as ${before}`);
      } else if (t < previous) {
        findings.add('unsorted-timestamp', t, 'time', `${describeBar(series, i)}: time is before ${before}`);
      }
    }
    previous = t;
    previousIndex = i;
  }
}

function median(sortedValues: Float64Array): number {
  const n = sortedValues.length;
  const middle = n >> 1;
  if (n % 2 === 1) return sortedValues[middle] as number;
  return ((sortedValues[middle - 1] as number) + (sortedValues[middle] as number)) / 2;
}

/** Runs of at least `staleRunBars` identical (finite) closes, one finding per run at its first bar. */
function checkStaleRuns(series: BarSeries, staleRunBars: number, findings: FindingList): void {
  const { close } = series;
  let runStart = 0;
  for (let i = 1; i <= series.length; i++) {
    if (i < series.length && close[i] === close[runStart]) continue;
    const length = i - runStart;
    const value = close[runStart] as number;
    if (length >= staleRunBars && Number.isFinite(value)) {
      findings.add(
        'stale-run',
        series.time[runStart] as number,
        'close',
        `${describeBar(series, runStart)}: close ${value} unchanged for ${length} bars ` +
          `(through ${describeBar(series, i - 1)}), at least ${staleRunBars} is a stale run`,
      );
    }
    runStart = i;
  }
}

/** Whether both values are finite and positive, so a ratio and a log return are defined. */
function isPositivePrice(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}

/** Log returns that are far outside the series' own spread (median absolute deviation). */
function checkSpikes(series: BarSeries, spikeMadMultiple: number, findings: FindingList): void {
  const { close } = series;
  const returns = new Float64Array(series.length);
  const barOfReturn = new Int32Array(series.length);
  let count = 0;
  for (let i = 1; i < series.length; i++) {
    const previous = close[i - 1] as number;
    const current = close[i] as number;
    if (!isPositivePrice(previous) || !isPositivePrice(current)) continue;
    returns[count] = Math.log(current) - Math.log(previous);
    barOfReturn[count] = i;
    count++;
  }
  if (count < SPIKE_MIN_RETURNS) return;
  const used = returns.subarray(0, count);
  const sorted = Float64Array.from(used).sort();
  const center = median(sorted);
  const deviations = sorted.map((r) => Math.abs(r - center)).sort();
  const mad = median(deviations);
  if (mad === 0) return;
  const threshold = spikeMadMultiple * MAD_TO_SIGMA * mad;
  for (let k = 0; k < count; k++) {
    const r = used[k] as number;
    const move = Math.expm1(r);
    if (Math.abs(r) <= threshold || Math.abs(move) <= SPIKE_FLOOR_RETURN) continue;
    const i = barOfReturn[k] as number;
    findings.add(
      'spike',
      series.time[i] as number,
      'close',
      `${describeBar(series, i)}: close ${close[i]} after ${close[i - 1]} is a ${percent(move)} move ` +
        `(log return ${r.toFixed(4)}, threshold ${threshold.toFixed(4)} = ` +
        `${spikeMadMultiple} x ${MAD_TO_SIGMA} x MAD ${mad.toExponential(3)})`,
    );
  }
}

/** `2`, `1/2`, `3/2`, `2/3`, `4/3`, `3/4`, ...: a split ratio or its inverse in words. */
function describeRatio(k: number, inverse: boolean): string {
  const [numerator, denominator] = k === 1.5 ? [3, 2] : Math.abs(k - 4 / 3) < 1e-12 ? [4, 3] : [k, 1];
  const [top, bottom] = inverse ? [denominator, numerator] : [numerator, denominator];
  return bottom === 1 ? String(top) : `${top}/${bottom}`;
}

/**
 * The split ratio `r` (or `1/r`) lies within 2% of, described, or undefined. Checked for
 * `r` first, so a ratio near 2 reads `2` and one near 1/2 reads `1/2`.
 */
function matchSplitRatio(r: number): string | undefined {
  for (const k of SPLIT_RATIOS) {
    if (Math.abs(r / k - 1) < SPLIT_RATIO_TOLERANCE) return describeRatio(k, false);
    if (Math.abs((1 / r) / k - 1) < SPLIT_RATIO_TOLERANCE) return describeRatio(k, true);
  }
  return undefined;
}

/**
 * Close-to-close ratios near a split ratio where the open gapped too: the signature of a split
 * the data vendor did not adjust for. "Gapped" means the open moved from the previous close in
 * the same direction by at least half the close move (in log terms), so a crash that happened
 * during the day, after a normal open, is not mistaken for a split.
 */
function checkSplitLikeJumps(series: BarSeries, findings: FindingList): void {
  const { open, close } = series;
  for (let i = 1; i < series.length; i++) {
    const previous = close[i - 1] as number;
    const current = close[i] as number;
    const o = open[i] as number;
    if (!isPositivePrice(previous) || !isPositivePrice(current) || !isPositivePrice(o)) continue;
    const r = current / previous;
    const ratio = matchSplitRatio(r);
    if (ratio === undefined) continue;
    const closeMove = Math.log(r);
    const openMove = Math.log(o / previous);
    if (Math.sign(openMove) !== Math.sign(closeMove) || Math.abs(openMove) < Math.abs(closeMove) / 2) continue;
    findings.add(
      'split-like-jump',
      series.time[i] as number,
      'close',
      `${describeBar(series, i)}: close ${current} after ${previous} is a ratio of ${r.toFixed(4)} ` +
        `(within 2% of ${ratio}) and the open ${o} gapped too; looks like an unadjusted split`,
    );
  }
}

/**
 * One-bar close-to-close moves beyond `maxBarMove` (a fraction) that no recorded split explains.
 * A split counts as recorded when the series carries adjusted closes and the adjusted close
 * moved by no more than `maxBarMove` over the same bar: the vendor's adjustment accounts for
 * the jump in the raw close. A jump that merely looks like a split (see `split-like-jump`) is
 * not a recorded split: until the data is adjusted, a strategy reads it as a real move.
 */
function checkLargeMoves(series: BarSeries, maxBarMove: number, findings: FindingList): void {
  const { close, adjClose } = series;
  for (let i = 1; i < series.length; i++) {
    const previous = close[i - 1] as number;
    const current = close[i] as number;
    if (!isPositivePrice(previous) || !isPositivePrice(current)) continue;
    const move = current / previous - 1;
    if (Math.abs(move) <= maxBarMove) continue;
    if (adjClose !== null) {
      const adjPrevious = adjClose[i - 1] as number;
      const adjCurrent = adjClose[i] as number;
      if (isPositivePrice(adjPrevious) && isPositivePrice(adjCurrent) && Math.abs(adjCurrent / adjPrevious - 1) <= maxBarMove) continue;
    }
    const ratio = matchSplitRatio(current / previous);
    findings.add(
      'large-move',
      series.time[i] as number,
      'close',
      `${describeBar(series, i)}: close ${current} after ${previous} is a ${percent(move)} move in one bar, ` +
        `beyond ${percent(maxBarMove)}, and no split explains it` +
        (adjClose === null ? ' (no adjusted close to show one)' : ' (the adjusted close moved as much)') +
        (ratio === undefined ? '' : `; the ratio is near a ${ratio} split: adjust the data for it`),
    );
  }
}

/**
 * Missing and unexpected sessions against `calendar`, on the distinct finite bar times. Skipped
 * with one `calendar-not-applicable` info when the bars are not daily (median gap under one day
 * or over three days) or span more than `CALENDAR_MAX_SPAN_DAYS`.
 */
function checkSessions(series: BarSeries, calendar: ExchangeCalendar, findings: FindingList): void {
  const finite = Array.from(series.time).filter((t) => Number.isFinite(t));
  const times = Float64Array.from(new Set(finite)).sort();
  const n = times.length;
  if (n === 0) return;
  if (n >= 2) {
    const gaps = new Float64Array(n - 1);
    for (let k = 1; k < n; k++) gaps[k - 1] = (times[k] as number) - (times[k - 1] as number);
    const medianGapDays = median(gaps.sort()) / MS_PER_DAY;
    const spanDays = ((times[n - 1] as number) - (times[0] as number)) / MS_PER_DAY;
    let reason: string | undefined;
    if (medianGapDays > DAILY_MAX_MEDIAN_GAP_DAYS) {
      reason = `the median gap between bars is ${medianGapDays.toFixed(1)} days (over ${DAILY_MAX_MEDIAN_GAP_DAYS}: not daily bars)`;
    } else if (medianGapDays < 1) {
      reason = `the median gap between bars is ${medianGapDays.toFixed(3)} days (under 1: intraday bars)`;
    } else if (spanDays > CALENDAR_MAX_SPAN_DAYS) {
      reason = `the bars span ${spanDays.toFixed(0)} days (over ${CALENDAR_MAX_SPAN_DAYS})`;
    }
    if (reason !== undefined) {
      findings.add('calendar-not-applicable', null, 'time', `bars: ${reason}; ${calendar.name} session checks skipped`);
      return;
    }
  }
  const barDays = new Set<number>();
  for (let k = 0; k < n; k++) {
    const t = times[k] as number;
    const day = Math.floor(t / MS_PER_DAY);
    if (barDays.has(day)) continue;
    barDays.add(day);
    if (!calendar.isSession(t)) {
      findings.add('unexpected-session', t, 'time', `bar at ${formatTime(t)}: not a ${calendar.name} session day`);
    }
  }
  const firstDay = Math.floor((times[0] as number) / MS_PER_DAY);
  const lastDay = Math.floor((times[n - 1] as number) / MS_PER_DAY);
  let previousBarDay = firstDay;
  for (let day = firstDay + 1; day < lastDay; day++) {
    if (barDays.has(day)) {
      previousBarDay = day;
      continue;
    }
    const dayStart = day * MS_PER_DAY;
    if (calendar.isSession(dayStart)) {
      findings.add(
        'missing-session',
        dayStart,
        'time',
        `no bar on ${calendar.name} session ${formatTime(dayStart)} (last bar before it on ${formatTime(previousBarDay * MS_PER_DAY)})`,
      );
    }
  }
}

/**
 * Checks one series and returns its findings, sorted by time (whole-series findings, time null,
 * first) then check, frozen. Never throws on bad data: every value, including NaN, infinities,
 * zero, negative numbers, duplicate and unsorted times, becomes a finding (a bar with a
 * non-finite time is reported with `time: null` and located by its index in the message).
 * Throws a `ConfigError` for an invalid option.
 *
 * Errors (the data is wrong): `non-finite-value` (per field, `adjClose` included),
 * `non-positive-price` (open, high, low, close, adjClose ≤ 0), `high-below-open-close`,
 * `low-above-open-close`, `negative-volume`, `duplicate-timestamp`, `unsorted-timestamp`,
 * `large-move` (a one-bar close move beyond `maxBarMovePct`, default 50%, that the adjusted
 * close does not explain as a split).
 * Warnings (suspicious): `missing-session`, `unexpected-session` (against `options.calendar`),
 * `stale-run`, `spike`, `split-like-jump`. Info: `calendar-not-applicable` (weekly, monthly or
 * intraday bars; session checks skipped). See the README for each rule.
 *
 * @example validateSeries(series, { calendar: NYSE_CALENDAR }).filter((f) => f.severity === 'error')
 */
export function validateSeries(series: BarSeries, options?: OhlcvValidationOptions): readonly DataQualityFinding[] {
  const { calendar, staleRunBars, spikeMadMultiple, maxBarMove } = resolveOptions(options);
  const findings = new FindingList(series.symbol);
  checkBarValues(series, findings);
  checkTimeOrder(series, findings);
  checkStaleRuns(series, staleRunBars, findings);
  checkSpikes(series, spikeMadMultiple, findings);
  checkSplitLikeJumps(series, findings);
  checkLargeMoves(series, maxBarMove, findings);
  if (calendar !== null) checkSessions(series, calendar, findings);
  return findings.toSortedArray();
}
