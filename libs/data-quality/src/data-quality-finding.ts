import type { EpochMs } from '@quantbot/core';

/** How bad a finding is. `error`: the data is wrong and must not be traded on as it is. */
export type Severity = 'error' | 'warning' | 'info';

/** The checks the data-quality library runs. */
export type DataQualityCheck =
  | 'non-finite-value'
  | 'non-positive-price'
  | 'high-below-open-close'
  | 'low-above-open-close'
  | 'negative-volume'
  | 'duplicate-timestamp'
  | 'unsorted-timestamp'
  | 'missing-session'
  | 'unexpected-session'
  | 'stale-run'
  | 'spike'
  | 'split-like-jump'
  | 'large-move'
  | 'malformed-row'
  | 'mixed-interval'
  | 'calendar-not-applicable'
  | 'pit-leak';

/** One problem found in a dataset, located by symbol, time and field. */
export interface DataQualityFinding {
  readonly check: DataQualityCheck;
  readonly severity: Severity;
  readonly symbol: string;
  /** The bar (or record) the finding is about; null when it concerns the whole series. */
  readonly time: EpochMs | null;
  /** The column concerned (`close`, `volume`, `time`, ...), or null. */
  readonly field: string | null;
  /** A sentence a person can act on, naming the values involved. */
  readonly message: string;
  /** The file the bar was read from, when the data came from a file and the gate was told. */
  readonly file?: string;
  /** The 1-based line of that file (the header is line 1), when known. */
  readonly line?: number;
}

/** Counts of findings by severity. */
export interface SeverityCounts {
  readonly error: number;
  readonly warning: number;
  readonly info: number;
}

/** A data-quality report: what was checked, counts by check and severity, and every finding. */
export interface DataQualityReport {
  readonly summary: {
    readonly symbols: number;
    readonly bars: number;
    readonly findings: number;
    readonly bySeverity: SeverityCounts;
    readonly byCheck: Readonly<Partial<Record<DataQualityCheck, SeverityCounts>>>;
  };
  readonly findings: readonly DataQualityFinding[];
}

/** Builds a report from findings (sorted by symbol, then time, then check, for stable output). */
export function summarizeFindings(findings: readonly DataQualityFinding[], symbols: number, bars: number): DataQualityReport {
  const sorted = [...findings].sort(
    (a, b) =>
      (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
      (a.time ?? Number.NEGATIVE_INFINITY) - (b.time ?? Number.NEGATIVE_INFINITY) ||
      (a.check < b.check ? -1 : a.check > b.check ? 1 : 0),
  );
  const bySeverity = { error: 0, warning: 0, info: 0 };
  const byCheck: Partial<Record<DataQualityCheck, { error: number; warning: number; info: number }>> = {};
  for (const f of sorted) {
    bySeverity[f.severity]++;
    const counts = (byCheck[f.check] ??= { error: 0, warning: 0, info: 0 });
    counts[f.severity]++;
  }
  return Object.freeze({
    summary: Object.freeze({ symbols, bars, findings: sorted.length, bySeverity: Object.freeze(bySeverity), byCheck: Object.freeze(byCheck) }),
    findings: Object.freeze(sorted.map((f) => Object.freeze({ ...f }))),
  });
}
