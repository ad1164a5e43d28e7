import { ConfigError } from '@quantbot/core';
import type { BarView } from './bar-view';
import type { PointInTimeFundamentals } from './point-in-time-fundamentals';
import type { Strategy, StrategyContext } from './strategy';
import type { StrategyBuildContext } from './strategy-registry';
import type { ParamSpec, ParamValues } from './strategy-params';

/** Parameters of `EarningsMomentum`. */
export const EARNINGS_MOMENTUM_PARAMS: readonly ParamSpec[] = Object.freeze([
  { name: 'minGrowth', kind: 'number', default: 0, min: 0, description: 'EPS growth over the previous quarter needed to hold, as a fraction' },
]);

/**
 * Holds a symbol while its latest quarterly EPS exceeds the previous quarter's by more than
 * `minGrowth`, and is flat otherwise. It reads fundamentals only through the point-in-time view
 * it is given, as of each bar: figures announced by the bar's time.
 */
export class EarningsMomentum implements Strategy {
  readonly name = 'earnings-momentum';
  readonly warmupBars = 0;
  readonly #fundamentals: PointInTimeFundamentals;
  readonly #minGrowth: number;

  constructor(fundamentals: PointInTimeFundamentals, minGrowth: number) {
    this.#fundamentals = fundamentals;
    this.#minGrowth = minGrowth;
  }

  /** Builds the strategy; it needs the session's point-in-time fundamentals. */
  static fromParams(values: ParamValues, context: StrategyBuildContext): EarningsMomentum {
    if (context.fundamentals === undefined) {
      throw new ConfigError('strategy', 'this strategy needs point-in-time fundamentals, and the session has none');
    }
    return new EarningsMomentum(context.fundamentals, values['minGrowth'] as number);
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    const history = this.#fundamentals.historyAsOf(bar);
    const last = history[history.length - 1];
    const previous = history[history.length - 2];
    if (last === undefined || previous === undefined || ctx.hasPendingOrder(bar.symbolIndex)) return;
    const isGrowing = previous.value.eps > 0 ? last.value.eps / previous.value.eps - 1 > this.#minGrowth : last.value.eps > previous.value.eps;
    const position = ctx.position(bar.symbolIndex);
    if (isGrowing && position === 0) ctx.buy(bar.symbolIndex);
    else if (!isGrowing && position > 0) ctx.closePosition(bar.symbolIndex);
  }
}
