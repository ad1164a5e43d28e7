import type { BarSeries, EpochMs } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import type { DataQualityCheck, DataQualityFinding, DataQualityReport, Severity } from './data-quality-finding';
import { summarizeFindings } from './data-quality-finding';
import type { ExchangeCalendar } from './exchange-calendar';
import { NYSE_CALENDAR } from './exchange-calendar';

const MS_PER_DAY = 86_400_000;
// Bound once at module scope: a global lookup per bar is slow in sandboxed contexts.
const POSITIVE_INFINITY = Number.POSITIVE_INFINITY;
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
  const n = series.length;
  for (let i = 0; i < n; i++) {
    const t = time[i] as number;
    const o = open[i] as number;
    const h = high[i] as number;
    const l = low[i] as number;
    const c = close[i] as number;
    const v = volume[i] as number;
    // A clean bar, the usual case, in one test: every value finite (x - x is NaN for NaN and
    // the infinities), prices above zero, volume not negative, high ≥ open and close ≥ low.
    // Anything else is looked at by `checkBarValuesAt`, which says what is wrong.
    if (
      t - t === 0 &&
      o > 0 && o < POSITIVE_INFINITY &&
      c > 0 && c < POSITIVE_INFINITY &&
      h >= o && h >= c && h < POSITIVE_INFINITY &&
      l > 0 && l <= o && l <= c &&
      v >= 0 && v < POSITIVE_INFINITY &&
      (adjClose === null || ((adjClose[i] as number) > 0 && (adjClose[i] as number) < POSITIVE_INFINITY))
    ) {
      continue;
    }
    checkBarValuesAt(series, i, findings);
  }
}

/** The value findings of bar `i` (see `checkBarValues`), in a fixed order. */
function checkBarValuesAt(series: BarSeries, i: number, findings: FindingList): void {
  const { time, open, high, low, close, volume, adjClose } = series;
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

/** Duplicate and decreasing times, each bar compared with the last finite time before it. */
function checkTimeOrder(series: BarSeries, findings: FindingList): void {
  const { time } = series;
  let previous = Number.NaN;
  let previousIndex = -1;
  for (let i = 0; i < series.length; i++) {
    const t = time[i] as number;
    // The usual case first: a time after the previous one (false for NaN on either side).
    if (t > previous && t < POSITIVE_INFINITY) {
      previous = t;
      previousIndex = i;
      continue;
    }
    if (t - t !== 0) continue; // not finite
    if (previousIndex !== -1) {
      if (t === previous) {
        findings.add('duplicate-timestamp', t, 'time', `${describeBar(series, i)}: same time as ${describeBar(series, previousIndex)}`);
      } else if (t < previous) {
        findings.add('unsorted-timestamp', t, 'time', `${describeBar(series, i)}: time is before ${describeBar(series, previousIndex)}`);
      }
    }
    previous = t;
    previousIndex = i;
  }
}

/**
 * Moves the `k`-th smallest value of `values` (NaN-free) to index `k`, smaller or equal ones
 * before it and greater or equal ones after (Hoare's selection, middle pivot, expected linear
 * time). Reorders `values`.
 */
function selectInPlace(values: Float64Array, k: number): void {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    const pivot = values[(left + right) >> 1] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

/**
 * The median of `values` (NaN-free): the middle value, or the mean of the two middle values, of
 * them sorted; found by selection in linear time instead of a sort. Reorders `values`.
 */
function medianInPlace(values: Float64Array): number {
  const n = values.length;
  const middle = n >> 1;
  selectInPlace(values, middle);
  const upper = values[middle] as number;
  if (n % 2 === 1) return upper;
  // The largest value below the middle one: the (middle - 1)-th smallest.
  let lower = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < middle; i++) if ((values[i] as number) > lower) lower = values[i] as number;
  return (lower + upper) / 2;
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
  const n = series.length;
  // The return into each bar (NaN where a close is not a positive price), the log of each close
  // taken once and carried to the next bar.
  const returnInto = new Float64Array(n);
  returnInto[0] = Number.NaN;
  let count = 0;
  let previousLog = isPositivePrice(close[0] as number) ? Math.log(close[0] as number) : Number.NaN;
  for (let i = 1; i < n; i++) {
    const current = close[i] as number;
    const currentLog = current > 0 && current < POSITIVE_INFINITY ? Math.log(current) : Number.NaN;
    const r = currentLog - previousLog; // NaN unless both closes are positive prices
    returnInto[i] = r;
    if (r === r) count++;
    previousLog = currentLog;
  }
  if (count < SPIKE_MIN_RETURNS) return;
  const scratch = new Float64Array(count);
  let k = 0;
  for (let i = 1; i < n; i++) {
    const r = returnInto[i] as number;
    if (r === r) scratch[k++] = r;
  }
  const center = medianInPlace(scratch);
  for (let j = 0; j < count; j++) scratch[j] = Math.abs((scratch[j] as number) - center);
  const mad = medianInPlace(scratch);
  if (mad === 0) return;
  const threshold = spikeMadMultiple * MAD_TO_SIGMA * mad;
  for (let i = 1; i < n; i++) {
    const r = returnInto[i] as number;
    // Also false for NaN: no return into this bar.
    if (!(Math.abs(r) > threshold)) continue;
    const move = Math.expm1(r);
    if (Math.abs(move) <= SPIKE_FLOOR_RETURN) continue;
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

/** Close ratios in (UNSPLIT_RATIO_LOW, UNSPLIT_RATIO_HIGH) match no split ratio (see `checkSplitLikeJumps`). */
const UNSPLIT_RATIO_LOW = 0.77;
const UNSPLIT_RATIO_HIGH = 1.3;

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
    // No split ratio lies within 2% of a ratio in (0.77, 1.3): the smallest, 4/3, needs r above
    // 0.98 x 4/3 ≈ 1.307, and its inverse r below 1 / 1.307 ≈ 0.765. Most bars stop here.
    if (r > UNSPLIT_RATIO_LOW && r < UNSPLIT_RATIO_HIGH) continue;
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
 * The distinct finite times of `time`, ascending. The usual series, finite and strictly
 * increasing, is returned as it is (no copy); any other is copied, sorted and deduplicated.
 */
function distinctSortedTimes(time: Float64Array): Float64Array {
  const n = time.length;
  let increasing = true;
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = time[i] as number;
    if (!(t > previous && t < POSITIVE_INFINITY)) {
      increasing = false;
      break;
    }
    previous = t;
  }
  if (increasing) return time;
  let finite = 0;
  for (let i = 0; i < n; i++) if ((time[i] as number) - (time[i] as number) === 0) finite++;
  const sorted = new Float64Array(finite);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const t = time[i] as number;
    if (t - t === 0) sorted[k++] = t;
  }
  sorted.sort();
  let distinct = 0;
  for (let i = 0; i < finite; i++) {
    const t = sorted[i] as number;
    if (distinct === 0 || t !== sorted[distinct - 1]) sorted[distinct++] = t;
  }
  return sorted.subarray(0, distinct);
}

/** Gaps of whole days up to this many are counted by `medianGap`; others make it select. */
const COUNTED_GAP_DAYS = 1024;

/**
 * The median gap between consecutive `times` (ascending, distinct, at least two), in ms. When
 * every gap is a whole number of days up to `COUNTED_GAP_DAYS` (daily, weekly and monthly
 * bars), by counting the gaps of each length, without an array of gaps; otherwise by selection.
 */
function medianGap(times: Float64Array): number {
  const n = times.length;
  const counts = new Float64Array(COUNTED_GAP_DAYS + 1);
  let counted = true;
  for (let k = 1; k < n; k++) {
    const gap = (times[k] as number) - (times[k - 1] as number);
    const days = gap / MS_PER_DAY;
    // Counted only when `days` whole days are exactly the gap (so the median is the same number).
    if (!(days <= COUNTED_GAP_DAYS) || days !== Math.floor(days) || days * MS_PER_DAY !== gap) {
      counted = false;
      break;
    }
    counts[days] = (counts[days] as number) + 1;
  }
  if (!counted) {
    const gaps = new Float64Array(n - 1);
    for (let k = 1; k < n; k++) gaps[k - 1] = (times[k] as number) - (times[k - 1] as number);
    return medianInPlace(gaps);
  }
  // The gaps sorted would be counts[0] zeros, counts[1] ones, ...: find the middle one(s).
  const gapCount = n - 1;
  const nthGapDays = (index: number): number => {
    let seen = 0;
    for (let days = 0; days <= COUNTED_GAP_DAYS; days++) {
      seen += counts[days] as number;
      if (seen > index) return days;
    }
    return COUNTED_GAP_DAYS;
  };
  const middle = gapCount >> 1;
  const upper = nthGapDays(middle) * MS_PER_DAY;
  if (gapCount % 2 === 1) return upper;
  return (nthGapDays(middle - 1) * MS_PER_DAY + upper) / 2;
}

/**
 * Missing and unexpected sessions against `calendar`, on the distinct finite bar times. Skipped
 * with one `calendar-not-applicable` info when the bars are not daily (median gap under one day
 * or over three days) or span more than `CALENDAR_MAX_SPAN_DAYS`. One pass over the days from
 * the first bar to the last, asking the calendar once per day.
 */
function checkSessions(series: BarSeries, calendar: ExchangeCalendar, findings: FindingList): void {
  const times = distinctSortedTimes(series.time);
  const n = times.length;
  if (n === 0) return;
  if (n >= 2) {
    const medianGapDays = medianGap(times) / MS_PER_DAY;
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
  // Walk the days from the first bar's to the last bar's: a day with bars is checked once (at
  // its first bar), a day without one between them is a missing session if the calendar trades.
  const firstDay = Math.floor((times[0] as number) / MS_PER_DAY);
  const lastDay = Math.floor((times[n - 1] as number) / MS_PER_DAY);
  let previousBarDay = firstDay;
  let k = 0;
  // Counted in steps from the first day: beyond 2^53 ms a day number plus one is itself.
  const span = lastDay - firstDay;
  for (let step = 0; step <= span; step++) {
    const day = firstDay + step;
    const t = times[k] as number;
    if (k < n && Math.floor(t / MS_PER_DAY) === day) {
      if (!calendar.isSession(t)) {
        findings.add('unexpected-session', t, 'time', `bar at ${formatTime(t)}: not a ${calendar.name} session day`);
      }
      // Further bars of the same day (intraday times of a daily series) are not checked again.
      while (k < n && Math.floor((times[k] as number) / MS_PER_DAY) === day) k++;
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

/**
 * Validates every series with `validateSeries` and summarizes the findings in one frozen report
 * (`summary.symbols` is the number of series, `summary.bars` their total length). An empty list
 * gives an empty report.
 */
export function validateDataset(series: readonly BarSeries[], options?: OhlcvValidationOptions): DataQualityReport {
  const findings: DataQualityFinding[] = [];
  let bars = 0;
  for (const one of series) {
    for (const finding of validateSeries(one, options)) findings.push(finding);
    bars += one.length;
  }
  return summarizeFindings(findings, series.length, bars);
}
