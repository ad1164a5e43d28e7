import type { BarUniverse } from '@quantbot/core';
import type { BarView } from '../bar-view';
import type { Strategy, StrategyContext } from '../strategy';

/**
 * DELIBERATELY BIASED, for testing lookahead detection; never trade it. Mean reversion on a
 * z-score whose mean and standard deviation are computed once, at construction, over every close
 * of `series` — the future included. A backtest of it looks better than anything tradable; the
 * lookahead check catches it because rebuilding it on data cut at time T changes its decisions
 * before T. A session never hands a strategy its bars at construction: a test does, on purpose.
 */
export class FullSeriesZScore implements Strategy {
  readonly name = 'biased-full-series';
  readonly warmupBars = 0;
  readonly #mean: Float64Array;
  readonly #std: Float64Array;
  readonly #entryZ: number;

  /** `entryZ`: buy when the close is this many deviations below the whole series' mean (default 1). */
  constructor(series: BarUniverse, entryZ = 1) {
    const u = series; // read in full, the future included: the bias
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

  onBar(bar: BarView, ctx: StrategyContext): void {
    const s = bar.symbolIndex;
    const z = (bar.close() - (this.#mean[s] as number)) / (this.#std[s] as number);
    if (!Number.isFinite(z) || ctx.hasPendingOrder(s)) return;
    const position = ctx.position(s);
    if (z < -this.#entryZ && position === 0) ctx.buy(s);
    else if (z > 0 && position > 0) ctx.closePosition(s);
  }
}
