import type { BarSeries, EpochMs } from '@quantbot/core';
import { ConfigError, DataError, formatIsoTime } from '@quantbot/core';
import type { BarRepair } from './bar-repair';
import { repairMissingSessions } from './bar-repair';
import type { DataQualityCheck, DataQualityFinding, DataQualityReport } from './data-quality-finding';
import { summarizeFindings } from './data-quality-finding';
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

/** A problem a bar file reader found in one row (`OhlcvCsvProblem` of `@quantbot/market-data` fits). */
export interface BarSourceProblem {
  readonly kind: 'malformed-row' | 'non-positive-price' | 'mixed-interval' | 'duplicate-timestamp' | 'unsorted-timestamp';
  readonly file: string;
  readonly line: number;
  readonly field: string | null;
  /** The row's date as written, or null. */
  readonly date: string | null;
  readonly time: EpochMs | null;
  readonly message: string;
  /** What the reader did about it in the series it returned (dropped, sorted, left out). */
  readonly resolution: string;
}

/**
 * Where a series came from (`OhlcvCsvReading` of `@quantbot/market-data` fits): its file, the
 * line of each bar and the row problems the reader found. With sources the gate names file,
 * line and date in every finding and weighs the row problems with the checks' findings.
 */
export interface BarSource {
  readonly file: string;
  readonly series: { readonly symbol: string; readonly length: number; readonly time: Float64Array };
  /** The line of each bar of `series`. */
  readonly lines: Int32Array;
  readonly problems: readonly BarSourceProblem[];
}

/** Options of `applyDataQuality`. */
export interface DataQualityGateOptions {
  readonly mode: DataQualityMode;
  readonly calendar: ExchangeCalendar | null;
  /** Opt-in: forward-fill sessions missing against the calendar (each repair is listed). */
  readonly repair?: 'forward-fill' | null;
  /** Largest one-bar close move in percent before a `large-move` error (default 50). */
  readonly maxBarMovePct?: number;
  /** The files the series were read from, with their row problems (see `BarSource`). */
  readonly sources?: readonly BarSource[];
}

/**
 * Data refused by the data-quality gate: every error finding that refused it, each located
 * (file, line and date when the data came from a file), in `findings` and one per line in the
 * message.
 */
export class DataQualityError extends DataError {
  readonly findings: readonly DataQualityFinding[];

  constructor(summary: string, findings: readonly DataQualityFinding[]) {
    super(`${summary}:\n${findings.map((f) => `  ${describeFindingPlace(f)}: ${f.message}`).join('\n')}`, { field: 'data-quality' });
    this.findings = findings;
  }
}

/** `file:line date field` (or `symbol date field` without a file) of a finding. */
export function describeFindingPlace(finding: DataQualityFinding): string {
  const where = finding.file === undefined ? finding.symbol : finding.line === undefined ? finding.file : `${finding.file}:${finding.line}`;
  const date = finding.time === null ? '' : ` ${formatFindingTime(finding.time)}`;
  return `${where}${date}${finding.field === null ? '' : ` ${finding.field}`}`;
}

function formatFindingTime(time: number): string {
  const iso = formatIsoTime(time);
  return time % 86_400_000 === 0 ? iso.slice(0, 10) : iso;
}

const ORDER_PROBLEMS: ReadonlySet<DataQualityCheck> = new Set(['duplicate-timestamp', 'unsorted-timestamp']);

/**
 * The findings of the sources' row problems. In `warn` mode duplicate and unsorted rows are
 * warnings that say how they were resolved (the series holds the last row of each date, in date
 * order); in `strict` and `off` they are errors. Every other row problem is an error in every mode.
 */
function sourceFindings(sources: readonly BarSource[], mode: DataQualityMode): DataQualityFinding[] {
  const findings: DataQualityFinding[] = [];
  for (const source of sources) {
    for (const problem of source.problems) {
      const resolved = mode === 'warn' && ORDER_PROBLEMS.has(problem.kind);
      findings.push(
        Object.freeze({
          check: problem.kind,
          severity: resolved ? 'warning' : 'error',
          symbol: source.series.symbol,
          time: problem.time,
          field: problem.field,
          message: resolved
            ? `${source.series.symbol} ${problem.message.replace(/; dates must strictly increase$/, '')}; resolved: ${problem.resolution}`
            : `${source.series.symbol} ${problem.message}`,
          file: problem.file,
          line: problem.line,
        }),
      );
    }
  }
  return findings;
}

/** Adds file and line to each finding whose symbol and time match a bar of a source. */
function locate(findings: readonly DataQualityFinding[], sources: readonly BarSource[]): DataQualityFinding[] {
  const bySymbol = new Map(sources.map((source) => [source.series.symbol, source]));
  return findings.map((finding) => {
    const source = bySymbol.get(finding.symbol);
    if (source === undefined) return finding;
    const line = finding.time === null ? undefined : lineOf(source, finding.time);
    return Object.freeze({ ...finding, file: source.file, ...(line !== undefined ? { line } : {}) });
  });
}

/** The line of the bar at `time` (binary search on the source's increasing times), if any. */
function lineOf(source: BarSource, time: number): number | undefined {
  const { time: times, length } = source.series;
  let low = 0;
  let high = length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const t = times[middle] as number;
    if (t === time) return source.lines[middle];
    if (t < time) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/** Errors in file and line order (findings without a file after, by symbol and time). */
function byPlace(findings: readonly DataQualityFinding[]): DataQualityFinding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file ?? '\uffff').localeCompare(b.file ?? '\uffff') ||
      (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
      (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
      (a.time ?? Number.NEGATIVE_INFINITY) - (b.time ?? Number.NEGATIVE_INFINITY),
  );
}

/**
 * Validates (and, only when asked, repairs) the data a session is about to use. Returns the
 * series to use and the outcome to record.
 *
 * - `strict`: data with any error, row problems of the files and findings of the checks
 *   together, is refused with a `DataQualityError` listing every one of them (file, line, date).
 * - `warn`: the session runs and the report travels with its results. Duplicate and unsorted
 *   rows of a file are warnings, resolved as the series already is (the last row of a date kept,
 *   rows in date order); each says which line was dropped or moved. Row problems that cannot be
 *   resolved (malformed rows, prices ≤ 0, mixed intervals) still refuse the data, all listed.
 * - `off`: the checks are skipped and the outcome says so; any row problem of a file, duplicate
 *   and unsorted rows included, refuses the data (nothing is resolved without a report).
 */
export function applyDataQuality(
  series: readonly BarSeries[],
  options: DataQualityGateOptions,
): { readonly series: readonly BarSeries[]; readonly outcome: DataQualityOutcome } {
  if (options.mode !== 'strict' && options.mode !== 'warn' && options.mode !== 'off') {
    throw new ConfigError('mode', `unknown mode '${String(options.mode)}'; available: strict, warn, off`);
  }
  const sources = options.sources ?? [];
  const fromFiles = sourceFindings(sources, options.mode);
  const fileErrors = fromFiles.filter((f) => f.severity === 'error');
  if (options.mode !== 'strict' && fileErrors.length > 0) {
    throw new DataQualityError(
      `the data has ${fileErrors.length} error(s) no data-quality mode can resolve (mode ${options.mode})`,
      byPlace(fileErrors),
    );
  }
  let used = series;
  const repairs: BarRepair[] = [];
  if (options.repair === 'forward-fill') {
    if (options.calendar === null) throw new ConfigError('repair', 'forward-fill needs a calendar (calendar nyse or weekdays)');
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
  const checked = validateDataset(used, {
    calendar: options.calendar,
    ...(options.maxBarMovePct !== undefined ? { maxBarMovePct: options.maxBarMovePct } : {}),
  });
  const report =
    sources.length === 0
      ? checked
      : summarizeFindings([...fromFiles, ...locate(checked.findings, sources)], checked.summary.symbols, checked.summary.bars);
  if (options.mode === 'strict' && report.summary.bySeverity.error > 0) {
    const errors = byPlace(report.findings.filter((f) => f.severity === 'error'));
    throw new DataQualityError(`data quality is strict and the data has ${errors.length} error(s)`, errors);
  }
  return { series: used, outcome: Object.freeze({ mode: options.mode, calendar: calendarName, report, repairs: Object.freeze(repairs) }) };
}
