import type { EpochMs } from '@quantbot/core';
import type { DriftSummary } from './drift-summary';
import type { ChecklistItem, PromotionChecklist } from './promotion-checklist';
import { formatNumber } from './promotion-checklist';
import type { DefectRecord, PromotionStage, ValidationRecord } from './registry-records';

/** Days per window of the paper stability check. */
export const STABILITY_WINDOW_DAYS = 10;

/** One window of consecutive paper days. */
export interface StabilityWindow {
  /** 0-based, oldest first. */
  readonly index: number;
  readonly start: string;
  readonly end: string;
  readonly days: number;
  readonly meanDailyPnl: number;
  /** Sample standard deviation (n − 1) of daily P&L; null for a window of one day. */
  readonly dailyPnlStdDev: number | null;
  /** Largest drawdown of the window's days, percent. */
  readonly maxDrawdownPct: number;
}

/**
 * Whether the paper run's risk stayed as it started (informational: it never blocks). The run is
 * cut into consecutive windows of {@link STABILITY_WINDOW_DAYS} days from its first day; the last
 * window holds what remains (1 to 10 days). `stable` is true when every window's P&L std dev is at
 * most twice the first window's (windows of one day have none and are not compared) and every
 * window's max drawdown is within the paper drawdown gate; null when the run is empty.
 */
export interface PaperStability {
  readonly windowDays: number;
  readonly windows: readonly StabilityWindow[];
  readonly stable: boolean | null;
  /** Why, for people. */
  readonly detail: string;
}

/** The paper section of a readiness report. */
export interface ReadinessPaper {
  /** `gates.paper.minDays`. */
  readonly requiredDays: number;
  /** Days of the latest consecutive run of complete trader-recorded paper days. */
  readonly streakDays: number;
  readonly streakStart: string | null;
  readonly streakEnd: string | null;
  /** Trader-recorded paper days (complete or partial). */
  readonly traderDays: number;
  /** Days typed in by hand: never counted. */
  readonly manualDays: number;
  /** Partial trader days: never counted. */
  readonly partialDays: number;
  readonly totalPnl: number | null;
  readonly maxDrawdownPct: number | null;
  readonly stability: PaperStability;
}

/**
 * Everything that says whether a snapshot may go live, in one document: the strict live
 * readiness of the checklist and why not, the paper run (with its risk stability), the drift from
 * the simulator, the walk-forward evidence, and the full checklist. `ready` is exactly
 * `isPromotionReady(..., { stage: 'live', strict: true }).ready`.
 */
export interface ReadinessReport {
  readonly experimentId: string;
  readonly snapshotId: string | null;
  readonly paramsHash: string | null;
  readonly strategy: string;
  readonly generatedAt: EpochMs;
  readonly configVersion: number;
  readonly configSha256: string;
  /** Always `live`: the report judges a promotion to live. */
  readonly stage: PromotionStage;
  readonly ready: boolean;
  /** One sentence per blocker, naming its gate (empty when ready). */
  readonly reasons: readonly string[];
  readonly paper: ReadinessPaper;
  /** The drift of the paper run's trader days against `gates.drift`. */
  readonly drift: DriftSummary;
  /** The latest verified walk-forward validation of the snapshot, or null. */
  readonly walkForward: ValidationRecord | null;
  /** The experiment's open defects, every severity, oldest first (open P1 and P2 block: gate `open-defects`). */
  readonly openDefects: readonly DefectRecord[];
  readonly checklist: PromotionChecklist;
}

/** What the stability check needs of a day. */
export interface StabilityDay {
  readonly date: string;
  readonly dailyPnl: number;
  readonly drawdownPct: number;
}

/**
 * The stability of a paper run (see {@link PaperStability}): `days` are the run's days, oldest
 * first; `maxDrawdownPct` is the paper drawdown gate. Pure.
 */
export function assessPaperStability(days: readonly StabilityDay[], maxDrawdownPct: number, windowDays = STABILITY_WINDOW_DAYS): PaperStability {
  const windows: StabilityWindow[] = [];
  for (let i = 0; i < days.length; i += windowDays) {
    const slice = days.slice(i, i + windowDays);
    const pnl = slice.map((d) => d.dailyPnl);
    const mean = pnl.reduce((a, b) => a + b, 0) / pnl.length;
    const sd = pnl.length < 2 ? null : Math.sqrt(pnl.reduce((a, v) => a + (v - mean) * (v - mean), 0) / (pnl.length - 1));
    windows.push(
      Object.freeze({
        index: windows.length,
        start: (slice[0] as StabilityDay).date,
        end: (slice[slice.length - 1] as StabilityDay).date,
        days: slice.length,
        meanDailyPnl: mean,
        dailyPnlStdDev: sd,
        maxDrawdownPct: Math.max(...slice.map((d) => d.drawdownPct)),
      }),
    );
  }
  if (windows.length === 0) return Object.freeze({ windowDays, windows: Object.freeze([]), stable: null, detail: 'no paper run to assess' });
  const base = (windows[0] as StabilityWindow).dailyPnlStdDev;
  const problems: string[] = [];
  for (const w of windows) {
    if (base !== null && w.dailyPnlStdDev !== null && w.dailyPnlStdDev > 2 * base) {
      problems.push(`window ${w.index + 1} (${w.start}..${w.end}) P&L std dev ${formatNumber(w.dailyPnlStdDev)} > 2 × the first window's ${formatNumber(base)}`);
    }
    if (w.maxDrawdownPct > maxDrawdownPct) problems.push(`window ${w.index + 1} (${w.start}..${w.end}) max drawdown ${formatNumber(w.maxDrawdownPct)} % > ${formatNumber(maxDrawdownPct)} %`);
  }
  const detail =
    problems.length > 0
      ? problems.join('; ')
      : `${windows.length} window(s) of up to ${windowDays} day(s): std dev within 2 × the first window's${base === null ? ' (the first window has one day: not compared)' : ''}, drawdowns within ${formatNumber(maxDrawdownPct)} %`;
  return Object.freeze({ windowDays, windows: Object.freeze(windows), stable: problems.length === 0, detail });
}

/** One sentence on why a gate blocks: `paper-days fails: measured 12, needs ≥ 30 … (why).` */
export function blockerReason(item: ChecklistItem): string {
  if (item.status === 'missing') return `${item.gate} has no evidence (needs ${item.threshold}): ${item.detail}.`;
  return `${item.gate} fails: measured ${item.measuredText}, needs ${item.threshold} (${item.detail}).`;
}
