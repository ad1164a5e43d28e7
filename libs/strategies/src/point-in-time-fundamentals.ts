import type { BarView } from './bar-view';

/** One fundamentals record as a strategy reads it: the quarter it describes and when it was made public. */
export interface FundamentalsRecord {
  readonly periodEnd: number;
  readonly announcedAt: number;
  readonly value: { readonly eps: number };
}

/**
 * Fundamentals as a strategy may read them: only as of the bar it is deciding on. `historyAsOf`
 * returns every record of the bar's symbol announced at or before the bar's time, in announcement
 * order; a strategy has no way to ask about a later time, so it cannot read a figure before it
 * was public. The session builds it from the data it has (`pointInTimeFundamentals`).
 */
export interface PointInTimeFundamentals {
  historyAsOf(bar: BarView): readonly FundamentalsRecord[];
}

/**
 * A store of fundamentals that answers by announcement time (a `PointInTimeSeries` of
 * `@quantbot/data-quality` is one): every record of `symbol` announced at or before `t`.
 */
export interface AnnouncedFundamentalsSource {
  historyAsOf(symbol: string, t: number): readonly FundamentalsRecord[];
}

/**
 * The point-in-time view of `source` a strategy is given: it answers only for a bar's symbol and
 * time, and drops any record the source returns that was announced after the bar (so the view
 * keeps its promise whatever the source does). The source's other methods are not reachable
 * through it.
 */
export function pointInTimeFundamentals(source: AnnouncedFundamentalsSource): PointInTimeFundamentals {
  return Object.freeze({
    historyAsOf(bar: BarView): readonly FundamentalsRecord[] {
      const t = bar.time();
      const history = source.historyAsOf(bar.symbol, t);
      return history.every((r) => r.announcedAt <= t) ? history : history.filter((r) => r.announcedAt <= t);
    },
  });
}
