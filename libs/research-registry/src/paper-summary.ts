import type { TradingCalendar } from './paper-days';
import { latestPaperStreak } from './paper-days';

/**
 * What a paper-trading summary needs of a day. Execution figures are null on a day without
 * orders (a trader-recorded day can have none); the means are over the days that have them.
 */
export interface PaperDayFigures {
  readonly date: string;
  readonly dailyPnl: number;
  readonly qualityScore: number | null;
  readonly averageSlippageBps: number | null;
  readonly fillRate: number | null;
  readonly drawdownPct: number;
}

/** Figures of the latest run of consecutive paper days (see `latestPaperStreak`). */
export interface PaperSummary {
  /** Every recorded day of the snapshot. */
  readonly recordedDays: number;
  /** Days in the latest consecutive run; the gates measure only these. */
  readonly streakDays: number;
  readonly streakStart: string | null;
  readonly streakEnd: string | null;
  readonly totalPnl: number | null;
  /** Largest drawdown over the run, in percent. */
  readonly maxDrawdownPct: number | null;
  /** Sample standard deviation (n − 1) of daily P&L over the run; null below 2 days. */
  readonly dailyPnlStdDev: number | null;
  /** Days of the run with execution figures (any of quality, slippage, fill rate): days with orders. */
  readonly executionDays: number;
  /**
   * Means over the run's days that have the figure (each such day weighs the same; days without
   * orders have none and are left out); null when no day of the run has it.
   */
  readonly meanQualityScore: number | null;
  readonly meanAverageSlippageBps: number | null;
  readonly meanFillRate: number | null;
}

/** Summarizes paper days: the latest run of consecutive trading days of `calendar`, and its figures. */
export function summarizePaperDays(days: readonly PaperDayFigures[], calendar: TradingCalendar): PaperSummary {
  const streak = latestPaperStreak(days, calendar);
  const n = streak.length;
  const mean = (pick: (day: PaperDayFigures) => number | null): number | null => {
    const values = streak.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : sum(values) / values.length;
  };
  let stdDev: number | null = null;
  if (n >= 2) {
    const m = sum(streak.map((d) => d.dailyPnl)) / n;
    stdDev = Math.sqrt(sum(streak.map((d) => (d.dailyPnl - m) * (d.dailyPnl - m))) / (n - 1));
  }
  return Object.freeze({
    recordedDays: days.length,
    streakDays: n,
    streakStart: streak[0]?.date ?? null,
    streakEnd: streak[n - 1]?.date ?? null,
    totalPnl: n === 0 ? null : sum(streak.map((d) => d.dailyPnl)),
    maxDrawdownPct: n === 0 ? null : Math.max(...streak.map((d) => d.drawdownPct)),
    dailyPnlStdDev: stdDev,
    executionDays: streak.filter((d) => d.qualityScore !== null || d.averageSlippageBps !== null || d.fillRate !== null).length,
    meanQualityScore: mean((d) => d.qualityScore),
    meanAverageSlippageBps: mean((d) => d.averageSlippageBps),
    meanFillRate: mean((d) => d.fillRate),
  });
}

/** Compensated (Kahan–Neumaier) sum: daily P&L of very different sizes must not lose cents. */
function sum(values: readonly number[]): number {
  let total = 0;
  let compensation = 0;
  for (const value of values) {
    const next = total + value;
    compensation += Math.abs(total) >= Math.abs(value) ? total - next + value : value - next + total;
    total = next;
  }
  return total + compensation;
}
