import type { DriftGates } from './promotion-gate-config';
import type { TradingDayDrift } from './trading-day-input';

/** What a drift summary needs of a trading day. */
export interface DriftDayFigures {
  readonly date: string;
  /** Null for a day without orders. */
  readonly drift: TradingDayDrift | null;
}

/** One day of a drift summary (the gaps as the trader recorded them: actual minus shadow). */
export interface DriftDayRow {
  readonly date: string;
  /** A fraction of the day's start equity (0.001 = 0.1 %); null for a day without drift. */
  readonly returnGap: number | null;
  readonly slippageGapBps: number | null;
  readonly fillRateGap: number | null;
  readonly timingGapMs: number | null;
  /** 0 for a day without drift. */
  readonly ordersCompared: number;
}

/** The run's drift as a whole. */
export interface DriftCumulative {
  /** Σ of the daily return gaps, a fraction; null when no day has drift. */
  readonly returnGap: number | null;
  /** Order-weighted means (weight: the day's `ordersCompared`) over the days that have the figure; null when none has. */
  readonly slippageGapBps: number | null;
  readonly fillRateGap: number | null;
  readonly timingGapMs: number | null;
  readonly ordersCompared: number;
}

/** The drift checks, in order. */
export type DriftMetric = 'daily-return-gap' | 'cumulative-return-gap' | 'slippage-gap' | 'fill-rate-gap' | 'timing-gap';

/** One drift check against its threshold. */
export interface DriftCheck {
  readonly metric: DriftMetric;
  /** The `gates.drift` threshold (return gaps in percent, slippage in bps, fill rate absolute, timing in ms). */
  readonly threshold: number;
  /** The measured gap in the threshold's unit, signed (actual minus shadow); judged by its magnitude. Null when missing. */
  readonly value: number | null;
  /** The day with the largest magnitude of the figure (for the daily return gap: the day judged); null when missing. */
  readonly worstDay: string | null;
  readonly status: 'pass' | 'fail' | 'missing';
  /** Why, for people. */
  readonly detail: string;
}

/** Per-day and cumulative drift of a run of trading days, judged against `gates.drift`. */
export interface DriftSummary {
  /** Days given. */
  readonly days: number;
  /** Days that have drift (had orders). */
  readonly driftDays: number;
  /** Every day given, oldest first. */
  readonly rows: readonly DriftDayRow[];
  readonly cumulative: DriftCumulative;
  readonly checks: readonly DriftCheck[];
  /** True when every check passes (a missing check is not a pass). */
  readonly passed: boolean;
}

/**
 * Summarizes the drift of trading days (already chosen: the latest consecutive run of complete
 * days of a stage) and judges it against `gates`:
 *
 * - `daily-return-gap`: the largest |return gap| of any day, percent, ≤ `maxDailyReturnGapPct`;
 * - `cumulative-return-gap`: |Σ return gaps|, percent, ≤ `maxCumulativeReturnGapPct`;
 * - `slippage-gap`, `fill-rate-gap`, `timing-gap`: |order-weighted mean| over the days that have
 *   the figure (weight: `ordersCompared`), ≤ `maxSlippageGapBps`, `maxFillRateGap`, `maxTimingGapMs`.
 *
 * A check is `missing` when no day has its figure (no day had orders; for slippage and timing,
 * no order filled on both sides). Pure: the same days and thresholds give the same summary.
 */
export function summarizeDrift(days: readonly DriftDayFigures[], gates: DriftGates): DriftSummary {
  const sorted = [...days].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const rows: DriftDayRow[] = sorted.map((day) =>
    Object.freeze({
      date: day.date,
      returnGap: day.drift?.returnGap ?? null,
      slippageGapBps: day.drift?.slippageGapBps ?? null,
      fillRateGap: day.drift?.fillRateGap ?? null,
      timingGapMs: day.drift?.timingGapMs ?? null,
      ordersCompared: day.drift?.ordersCompared ?? 0,
    }),
  );
  const withDrift = rows.filter((r) => r.returnGap !== null);
  const cumulative: DriftCumulative = Object.freeze({
    returnGap: withDrift.length === 0 ? null : sum(withDrift.map((r) => r.returnGap as number)),
    slippageGapBps: weightedMean(rows, (r) => r.slippageGapBps),
    fillRateGap: weightedMean(rows, (r) => r.fillRateGap),
    timingGapMs: weightedMean(rows, (r) => r.timingGapMs),
    ordersCompared: sum(rows.map((r) => r.ordersCompared)),
  });
  const noDrift = 'no trading day of the run has drift (no day had orders compared with the shadow)';
  const worst = (pick: (r: DriftDayRow) => number | null): DriftDayRow | null => {
    let found: DriftDayRow | null = null;
    for (const row of rows) {
      const v = pick(row);
      if (v !== null && (found === null || Math.abs(v) > Math.abs(pick(found) as number))) found = row;
    }
    return found;
  };
  const check = (metric: DriftMetric, threshold: number, value: number | null, worstDay: string | null, what: string, missingWhy: string): DriftCheck =>
    Object.freeze(
      value === null
        ? { metric, threshold, value: null, worstDay: null, status: 'missing' as const, detail: withDrift.length === 0 ? noDrift : missingWhy }
        : { metric, threshold, value, worstDay, status: Math.abs(value) <= threshold ? ('pass' as const) : ('fail' as const), detail: what },
    );
  const dailyWorst = worst((r) => r.returnGap);
  const slipWorst = worst((r) => r.slippageGapBps);
  const fillWorst = worst((r) => r.fillRateGap);
  const timeWorst = worst((r) => r.timingGapMs);
  const checks: DriftCheck[] = [
    check(
      'daily-return-gap',
      gates.maxDailyReturnGapPct,
      dailyWorst === null ? null : (dailyWorst.returnGap as number) * 100,
      dailyWorst?.date ?? null,
      `largest |return gap| of ${withDrift.length} day(s) with drift, % of start equity`,
      noDrift,
    ),
    check(
      'cumulative-return-gap',
      gates.maxCumulativeReturnGapPct,
      cumulative.returnGap === null ? null : cumulative.returnGap * 100,
      dailyWorst?.date ?? null,
      `sum of the daily return gaps over ${withDrift.length} day(s), %`,
      noDrift,
    ),
    check('slippage-gap', gates.maxSlippageGapBps, cumulative.slippageGapBps, slipWorst?.date ?? null, 'order-weighted mean slippage gap over the days with fills on both sides, bps', 'no order filled on both sides'),
    check('fill-rate-gap', gates.maxFillRateGap, cumulative.fillRateGap, fillWorst?.date ?? null, 'order-weighted mean fill-rate gap over the days with orders', 'no day has a fill-rate gap'),
    check('timing-gap', gates.maxTimingGapMs, cumulative.timingGapMs, timeWorst?.date ?? null, 'order-weighted mean timing gap over the days with fills on both sides, ms', 'no order filled on both sides'),
  ];
  return Object.freeze({
    days: rows.length,
    driftDays: withDrift.length,
    rows: Object.freeze(rows),
    cumulative,
    checks: Object.freeze(checks),
    passed: checks.every((c) => c.status === 'pass'),
  });
}

/** Mean of a figure over the rows that have it, weighted by `ordersCompared`; null when no row has it or the weights sum to 0. */
function weightedMean(rows: readonly DriftDayRow[], pick: (r: DriftDayRow) => number | null): number | null {
  let weighted = 0;
  let weights = 0;
  for (const row of rows) {
    const v = pick(row);
    if (v === null || row.ordersCompared <= 0) continue;
    weighted += v * row.ordersCompared;
    weights += row.ordersCompared;
  }
  return weights === 0 ? null : weighted / weights;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
