import { ConfigError } from '@quantbot/core';
import type { JsonValue } from '@quantbot/core';
import type { BarView } from './bar-view';
import { assertPeriod } from './indicators/validation';
import type { StepView, Strategy, StrategyContext } from './strategy';
import type { ParamSpec, ParamValues } from './strategy-params';

/** The price-based factors `factor-long-short` ranks by, by their `factor` number. */
export const FACTORS = Object.freeze({ 1: 'momentum', 2: 'reversal', 3: 'low-volatility' } as const);

/** Parameters of `FactorLongShort`. */
export interface FactorLongShortParams {
  /** 1 momentum, 2 short-term reversal, 3 low volatility (see `FactorLongShort`). */
  readonly factor: 1 | 2 | 3;
  /** Bars back to the start of the factor's window. */
  readonly lookback: number;
  /** Most recent bars left out of the window (0: up to the current close); below `lookback`. */
  readonly skip: number;
  /** Rebalance every this many steps (the first at the first step). */
  readonly rebalance: number;
  /** Groups the ranked symbols are split into, at least 2. */
  readonly quantiles: number;
  /** Quantiles held long at the top (and short at the bottom); at most half of `quantiles`. */
  readonly topQuantiles: number;
  /** When false, long only: the bottom quantiles are not shorted. */
  readonly allowShort: boolean;
  /** Weights within a leg proportional to the factor's distance from its cross-sectional mean (else equal). */
  readonly factorWeighted: boolean;
  /** Target gross exposure as a fraction of equity, split evenly between the legs when shorting. */
  readonly grossExposure: number;
}

/** The parameters `factor-long-short` accepts. */
export const FACTOR_LONG_SHORT_PARAMS: readonly ParamSpec[] = Object.freeze([
  { name: 'factor', kind: 'integer', default: 1, min: 1, max: 3, description: 'factor: 1 momentum, 2 short-term reversal, 3 low volatility' },
  { name: 'lookback', kind: 'integer', default: 60, min: 2, max: 5000, description: 'bars back to the start of the factor window' },
  { name: 'skip', kind: 'integer', default: 5, min: 0, max: 4999, description: 'most recent bars left out of the factor window' },
  { name: 'rebalance', kind: 'integer', default: 20, min: 1, max: 5000, description: 'steps between rebalances' },
  { name: 'quantiles', kind: 'integer', default: 5, min: 2, max: 100, description: 'groups the ranked symbols are split into' },
  { name: 'topQuantiles', kind: 'integer', default: 1, min: 1, max: 50, description: 'quantiles held long at the top (short at the bottom)' },
  { name: 'allowShort', kind: 'boolean', default: true, description: 'short the bottom quantiles (false: long only)' },
  { name: 'factorWeighted', kind: 'boolean', default: false, description: 'weight by distance from the mean factor instead of equally' },
  { name: 'grossExposure', kind: 'number', default: 1, min: 0.01, max: 3, description: 'target gross exposure, fraction of equity' },
]);

/**
 * A cross-sectional long/short strategy, decided in `onStep`. Every `rebalance`-th step (the
 * first at the first step) it computes a factor for each symbol from its past closes (`close(ago)`
 * of the step views), oriented so that a higher value is the one to own:
 *
 * - `factor=1` momentum: close(skip) / close(lookback) − 1;
 * - `factor=2` short-term reversal: −(close(skip) / close(lookback) − 1) (use a short `lookback`, `skip=0`);
 * - `factor=3` low volatility: −(population standard deviation of the lookback − skip one-step log
 *   returns between close(lookback) and close(skip)).
 *
 * The symbols ranked are those with a bar at the step and every close the factor reads finite
 * (momentum and reversal read close(skip) and close(lookback); low volatility every close between
 * them): a symbol without enough history is left out. The N ranked symbols are sorted by factor
 * (ties by universe order); rank r (0 = lowest) goes to quantile 1 + ⌊r·Q/N⌋ when r < N/2 and
 * Q − ⌊(N−1−r)·Q/N⌋ otherwise (Q = `quantiles`): the usual equal-count split counted from each end,
 * so the lowest symbol is always in quantile 1 and the highest in Q. Quantiles above
 * Q − `topQuantiles` are held long and, with `allowShort`, quantiles up to `topQuantiles` short.
 *
 * Each leg gets half of `grossExposure` × equity (all of it, long only), equally or, with
 * `factorWeighted`, in proportion to |factor − mean factor| (equally when those are all 0). A
 * symbol's target is trunc(weight × equity / close) shares; the difference from its position is
 * traded with market orders of explicit quantity, sells first (they free the cash buys need).
 * A symbol with a bar but not ranked (too little history, or fewer than 2 ranked symbols) has
 * target 0 and is closed. A symbol without a bar at the step is not traded (its position waits for
 * a rebalance where it has a bar), nor is one with an order still working.
 */
export class FactorLongShort implements Strategy {
  readonly name = 'factor-long-short';
  readonly params: FactorLongShortParams;
  /**
   * Bars the factor reads (`lookback + 1`), rounded up to a multiple of `rebalance`, so that a
   * run started that much later rebalances on the same steps.
   */
  readonly warmupBars: number;
  readonly #symbolCount: number;
  readonly #factor: Float64Array;
  readonly #quantile: Float64Array;
  readonly #targetWeight: Float64Array;
  readonly #targetQty: Float64Array;
  readonly #order: number[] = [];
  #countdown = 0;

  constructor(params: FactorLongShortParams, symbolCount: number) {
    if (!(params.factor in FACTORS)) throw new ConfigError('factor-long-short.factor', `must be 1 (momentum), 2 (reversal) or 3 (low volatility), got ${String(params.factor)}`);
    assertPeriod('factor-long-short.lookback', params.lookback, 1);
    assertPeriod('factor-long-short.rebalance', params.rebalance, 1);
    assertPeriod('factor-long-short.quantiles', params.quantiles, 2);
    assertPeriod('factor-long-short.topQuantiles', params.topQuantiles, 1);
    if (!Number.isInteger(params.skip) || params.skip < 0 || params.skip >= params.lookback) {
      throw new ConfigError('factor-long-short.skip', `must be an integer from 0 to lookback − 1 (${params.lookback - 1}), got ${params.skip}`);
    }
    if (params.factor === 3 && params.lookback - params.skip < 2) {
      throw new ConfigError('factor-long-short.lookback', `low volatility needs at least 2 returns: lookback − skip is ${params.lookback - params.skip}`);
    }
    if (2 * params.topQuantiles > params.quantiles) {
      throw new ConfigError('factor-long-short.topQuantiles', `must be at most half of quantiles (${params.quantiles}), got ${params.topQuantiles}`);
    }
    if (!(params.grossExposure > 0) || !Number.isFinite(params.grossExposure)) {
      throw new ConfigError('factor-long-short.grossExposure', `must be a positive fraction of equity, got ${params.grossExposure}`);
    }
    this.params = Object.freeze({ ...params });
    this.warmupBars = params.rebalance * Math.ceil((params.lookback + 1) / params.rebalance);
    this.#symbolCount = symbolCount;
    this.#factor = new Float64Array(symbolCount).fill(NaN);
    this.#quantile = new Float64Array(symbolCount).fill(NaN);
    this.#targetWeight = new Float64Array(symbolCount).fill(NaN);
    this.#targetQty = new Float64Array(symbolCount).fill(NaN);
  }

  /** Builds the strategy from validated parameter values. */
  static fromParams(values: ParamValues, symbolCount: number): FactorLongShort {
    return new FactorLongShort(
      {
        factor: values['factor'] as 1 | 2 | 3,
        lookback: values['lookback'] as number,
        skip: values['skip'] as number,
        rebalance: values['rebalance'] as number,
        quantiles: values['quantiles'] as number,
        topQuantiles: values['topQuantiles'] as number,
        allowShort: values['allowShort'] as boolean,
        factorWeighted: values['factorWeighted'] as boolean,
        grossExposure: values['grossExposure'] as number,
      },
      symbolCount,
    );
  }

  /** The factor, quantile, target weight (fraction of equity, signed) and target shares of the latest rebalance; NaN where the symbol was not ranked. */
  describeInputs(symbolIndex: number): Readonly<Record<string, number>> {
    return {
      factor: this.#factor[symbolIndex] as number,
      quantile: this.#quantile[symbolIndex] as number,
      targetWeight: this.#targetWeight[symbolIndex] as number,
      targetQty: this.#targetQty[symbolIndex] as number,
    };
  }

  /** The rebalance calendar (steps until the next rebalance): positions are in the books, factors rebuild from bars. */
  exportState(): JsonValue {
    return { countdown: this.#countdown };
  }

  importState(state: JsonValue): void {
    const countdown = typeof state === 'object' && state !== null && !Array.isArray(state) ? (state as { readonly [k: string]: JsonValue })['countdown'] : undefined;
    if (typeof countdown !== 'number' || !Number.isInteger(countdown) || countdown < 0 || countdown >= this.params.rebalance) {
      throw new ConfigError('factor-long-short state.countdown', `expected an integer in [0, ${this.params.rebalance - 1}], got ${JSON.stringify(countdown)}`);
    }
    this.#countdown = countdown;
  }

  onBar(): void {
    // Every decision is cross-sectional: made in onStep.
  }

  onStep(step: StepView, ctx: StrategyContext): void {
    const isRebalance = this.#countdown === 0;
    this.#countdown = isRebalance ? this.params.rebalance - 1 : this.#countdown - 1;
    if (!isRebalance) return;
    this.#rank(step);
    this.#weigh();
    const equity = ctx.equity();
    for (let s = 0; s < this.#symbolCount; s++) {
      if (!step.hasBar(s)) {
        this.#targetQty[s] = NaN;
        continue;
      }
      const weight = this.#targetWeight[s] as number;
      const close = (step.views[s] as BarView).close();
      this.#targetQty[s] = Number.isNaN(weight) || !(close > 0) ? 0 : Math.trunc((weight * equity) / close) + 0;
    }
    // Sells first: closing longs and opening shorts frees the cash the buys need at the fill.
    for (const side of [-1, 1]) {
      for (let s = 0; s < this.#symbolCount; s++) {
        if (!step.hasBar(s) || ctx.hasPendingOrder(s)) continue;
        const difference = (this.#targetQty[s] as number) - ctx.position(s);
        if (Math.sign(difference) !== side) continue;
        if (side > 0) ctx.buy(s, difference);
        else ctx.sell(s, -difference);
      }
    }
  }

  /** Computes the factor of every symbol with a bar and enough history, and their quantiles. */
  #rank(step: StepView): void {
    const order = this.#order;
    order.length = 0;
    for (let s = 0; s < this.#symbolCount; s++) {
      const value = step.hasBar(s) ? this.#factorOf(step.views[s] as BarView) : NaN;
      this.#factor[s] = value;
      this.#quantile[s] = NaN;
      if (Number.isFinite(value)) order.push(s);
    }
    const factor = this.#factor;
    order.sort((a, b) => (factor[a] as number) - (factor[b] as number) || a - b);
    const n = order.length;
    if (n < 2) return;
    const q = this.params.quantiles;
    order.forEach((s, r) => {
      this.#quantile[s] = 2 * r < n ? 1 + Math.floor((r * q) / n) : q - Math.floor(((n - 1 - r) * q) / n);
    });
  }

  /** Sets each symbol's target weight (fraction of equity, signed) from its quantile; NaN when unranked. */
  #weigh(): void {
    const { quantiles, topQuantiles, allowShort, factorWeighted, grossExposure } = this.params;
    let mean = 0;
    let ranked = 0;
    for (let s = 0; s < this.#symbolCount; s++) {
      const isRanked = !Number.isNaN(this.#quantile[s] as number);
      this.#targetWeight[s] = isRanked ? 0 : NaN;
      if (!isRanked) continue;
      mean += this.#factor[s] as number;
      ranked++;
    }
    mean /= Math.max(1, ranked);
    const legGross = allowShort ? grossExposure / 2 : grossExposure;
    for (const side of allowShort ? [1, -1] : [1]) {
      // Long: the top `topQuantiles` quantiles; short: the bottom ones. NaN (unranked) is in neither.
      const low = side > 0 ? quantiles - topQuantiles + 1 : 1;
      const high = side > 0 ? quantiles : topQuantiles;
      let count = 0;
      let distance = 0;
      for (let s = 0; s < this.#symbolCount; s++) {
        const quantile = this.#quantile[s] as number;
        if (!(quantile >= low && quantile <= high)) continue;
        count++;
        distance += Math.abs((this.#factor[s] as number) - mean);
      }
      const byFactor = factorWeighted && distance > 0;
      for (let s = 0; s < this.#symbolCount; s++) {
        const quantile = this.#quantile[s] as number;
        if (!(quantile >= low && quantile <= high)) continue;
        const share = byFactor ? Math.abs((this.#factor[s] as number) - mean) / distance : 1 / count;
        this.#targetWeight[s] = side * legGross * share;
      }
    }
  }

  /** The factor of one symbol from its view; NaN when a close it reads is missing. */
  #factorOf(view: BarView): number {
    const { factor, lookback, skip } = this.params;
    if (view.visibleSteps <= lookback) return NaN;
    if (factor !== 3) {
      const change = view.close(skip) / view.close(lookback) - 1;
      return factor === 1 ? change : -change;
    }
    const count = lookback - skip;
    let sum = 0;
    let sumSquares = 0;
    for (let ago = skip; ago < lookback; ago++) {
      const r = Math.log(view.close(ago) / view.close(ago + 1));
      sum += r;
      sumSquares += r * r;
    }
    const mean = sum / count;
    return -Math.sqrt(Math.max(0, sumSquares / count - mean * mean));
  }
}
