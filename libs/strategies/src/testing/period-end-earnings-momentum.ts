import type { BarView } from '../bar-view';
import { EarningsMomentum } from '../earnings-momentum';
import type { FundamentalsRecord, PointInTimeFundamentals } from '../point-in-time-fundamentals';
import type { Strategy, StrategyContext } from '../strategy';

/**
 * A store of fundamentals that can also answer by fiscal period end (a `PointInTimeSeries` of
 * `@quantbot/data-quality` is one): every record of `symbol` whose quarter ended at or before
 * `t`, announced or not — the naive join that leaks the future.
 */
export interface PeriodEndFundamentalsSource {
  historyByPeriodEnd(symbol: string, t: number): readonly FundamentalsRecord[];
}

/**
 * A view that dates every record by its fiscal period end instead of its announcement: a
 * quarter's figures are visible from the day the quarter ended, weeks before they were public.
 * Exactly the bias a point-in-time view exists to prevent.
 */
export function datedByPeriodEnd(source: PeriodEndFundamentalsSource): PointInTimeFundamentals {
  return Object.freeze({ historyAsOf: (bar: BarView) => source.historyByPeriodEnd(bar.symbol, bar.time()) });
}

/**
 * DELIBERATELY BIASED, for testing lookahead detection; never trade it. `earnings-momentum`
 * reading fundamentals dated by fiscal period end (`datedByPeriodEnd`), so it uses figures
 * before they were announced. The lookahead check catches it when the rebuild at each cut-off is
 * given only the fundamentals announced by the cut (`PointInTimeSeries.visibleAt`): quarters
 * announced after the cut vanish, and decisions before the cut change.
 */
export class PeriodEndEarningsMomentum implements Strategy {
  readonly name = 'biased-pit-early';
  readonly warmupBars = 0;
  readonly #inner: EarningsMomentum;

  /** `minGrowth`: EPS growth over the previous quarter needed to hold, as a fraction (default 0). */
  constructor(fundamentals: PeriodEndFundamentalsSource, minGrowth = 0) {
    this.#inner = new EarningsMomentum(datedByPeriodEnd(fundamentals), minGrowth);
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    this.#inner.onBar(bar, ctx);
  }
}
