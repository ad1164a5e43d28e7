import { ConfigError } from '@quantbot/core';
import type { BarView } from './bar-view';
import type { Strategy, StrategyContext } from './strategy';
import type { StrategyBuildContext } from './strategy-registry';
import type { ParamSpec, ParamValues } from './strategy-params';

/** One fundamentals record as a strategy reads it. */
export interface FundamentalsRecord {
  readonly periodEnd: number;
  readonly announcedAt: number;
  readonly value: { readonly eps: number };
}

/**
 * Point-in-time fundamentals as strategies read them (a `PointInTimeSeries` of
 * `@quantbot/data-quality` is one). `historyAsOf` returns what was announced at or before `t`;
 * `historyByPeriodEnd` is the naive join on fiscal period end that leaks the future.
 */
export interface FundamentalsSource {
  historyAsOf(symbol: string, t: number): readonly FundamentalsRecord[];
  historyByPeriodEnd(symbol: string, t: number): readonly FundamentalsRecord[];
}

/** Parameters of `EarningsMomentum`. */
export const EARNINGS_MOMENTUM_PARAMS: readonly ParamSpec[] = Object.freeze([
  { name: 'minGrowth', kind: 'number', default: 0, min: 0, description: 'EPS growth over the previous quarter needed to hold, as a fraction' },
]);

/**
 * Holds a symbol while its latest quarterly EPS exceeds the previous quarter's by more than
 * `minGrowth`, and is flat otherwise. `join` says how fundamentals meet bars: `as-announced`
 * (correct: only figures announced by the bar's time) or `period-end` (the classic lookahead
 * bug: a quarter's figures used from the day the quarter ended, weeks before they were public).
 */
export class EarningsMomentum implements Strategy {
  readonly name: string;
  readonly warmupBars = 0;
  readonly #fundamentals: FundamentalsSource;
  readonly #join: 'as-announced' | 'period-end';
  readonly #minGrowth: number;

  constructor(fundamentals: FundamentalsSource, join: 'as-announced' | 'period-end', minGrowth: number) {
    this.name = join === 'as-announced' ? 'earnings-momentum' : 'biased-pit-early';
    this.#fundamentals = fundamentals;
    this.#join = join;
    this.#minGrowth = minGrowth;
  }

  /** Builds the strategy; it needs the session's point-in-time fundamentals. */
  static fromParams(values: ParamValues, context: StrategyBuildContext, join: 'as-announced' | 'period-end'): EarningsMomentum {
    if (context.fundamentals === undefined) {
      throw new ConfigError('strategy', 'this strategy needs point-in-time fundamentals, and the session has none');
    }
    return new EarningsMomentum(context.fundamentals, join, values['minGrowth'] as number);
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    const t = bar.time();
    const history =
      this.#join === 'as-announced' ? this.#fundamentals.historyAsOf(bar.symbol, t) : this.#fundamentals.historyByPeriodEnd(bar.symbol, t);
    const last = history[history.length - 1];
    const previous = history[history.length - 2];
    if (last === undefined || previous === undefined || ctx.hasPendingOrder(bar.symbolIndex)) return;
    const isGrowing = previous.value.eps > 0 ? last.value.eps / previous.value.eps - 1 > this.#minGrowth : last.value.eps > previous.value.eps;
    const position = ctx.position(bar.symbolIndex);
    if (isGrowing && position === 0) ctx.buy(bar.symbolIndex);
    else if (!isGrowing && position > 0) ctx.closePosition(bar.symbolIndex);
  }
}
