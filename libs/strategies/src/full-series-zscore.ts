import { ConfigError } from '@quantbot/core';
import type { BarView } from './bar-view';
import type { Strategy, StrategyContext } from './strategy';
import type { StrategyBuildContext } from './strategy-registry';
import type { ParamSpec, ParamValues } from './strategy-params';

/** Parameters of `FullSeriesZScore`. */
export const FULL_SERIES_ZSCORE_PARAMS: readonly ParamSpec[] = Object.freeze([
  { name: 'entryZ', kind: 'number', default: 1, min: 0, description: 'buy when the close is this many deviations below the mean' },
]);

/**
 * DELIBERATELY BIASED, for testing lookahead detection: mean reversion on a z-score whose mean
 * and standard deviation are computed once, at construction, over every close of the series —
 * the future included. A backtest of it looks better than anything tradable; the lookahead
 * check catches it because rebuilding it on data cut at time T changes its decisions before T.
 */
export class FullSeriesZScore implements Strategy {
  readonly name = 'biased-full-series';
  readonly warmupBars = 0;
  readonly #mean: Float64Array;
  readonly #std: Float64Array;
  readonly #entryZ: number;

  constructor(context: StrategyBuildContext, entryZ: number) {
    const u = context.universe;
    if (u === undefined) throw new ConfigError('strategy', 'biased-full-series needs the universe at construction');
    this.#entryZ = entryZ;
    this.#mean = new Float64Array(u.symbols.length);
    this.#std = new Float64Array(u.symbols.length);
    for (let s = 0; s < u.symbols.length; s++) {
      let n = 0;
      let sum = 0;
      let sumSquares = 0;
      for (let k = 0; k < u.length; k++) {
        if (u.hasBar[s * u.length + k] !== 1) continue;
        const c = u.close[s * u.length + k] as number;
        n++;
        sum += c;
        sumSquares += c * c;
      }
      const mean = n > 0 ? sum / n : NaN;
      this.#mean[s] = mean;
      this.#std[s] = n > 1 ? Math.sqrt(Math.max(0, (sumSquares - n * mean * mean) / (n - 1))) : NaN;
    }
  }

  /** Builds the strategy from the data the session has now (which is the bias). */
  static fromParams(values: ParamValues, context: StrategyBuildContext): FullSeriesZScore {
    return new FullSeriesZScore(context, values['entryZ'] as number);
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    const s = bar.symbolIndex;
    const z = (bar.close() - (this.#mean[s] as number)) / (this.#std[s] as number);
    if (!Number.isFinite(z) || ctx.hasPendingOrder(s)) return;
    const position = ctx.position(s);
    if (z < -this.#entryZ && position === 0) ctx.buy(s);
    else if (z > 0 && position > 0) ctx.closePosition(s);
  }
}
