import { ConfigError } from '@quantbot/core';
import type { JsonValue } from '@quantbot/core';
import type { BarView } from './bar-view';
import { Sma } from './indicators/sma';
import type { Strategy, StrategyContext } from './strategy';
import type { ParamSpec, ParamValues } from './strategy-params';

/** Parameters of `SmaCrossover`. */
export interface SmaCrossoverParams {
  /** Period of the fast simple moving average, in bars. */
  readonly fast: number;
  /** Period of the slow simple moving average, in bars; greater than `fast`. */
  readonly slow: number;
  /** When true, a down-cross also opens a short and an up-cross covers it. */
  readonly allowShort: boolean;
}

/** The parameters `sma-crossover` accepts. */
export const SMA_CROSSOVER_PARAMS: readonly ParamSpec[] = Object.freeze([
  { name: 'fast', kind: 'integer', default: 10, min: 1, description: 'fast SMA period, bars' },
  { name: 'slow', kind: 'integer', default: 30, min: 2, description: 'slow SMA period, bars' },
  { name: 'allowShort', kind: 'boolean', default: false, description: 'go short on a down-cross' },
]);

/**
 * Moving-average crossover. An up-cross of the fast SMA over the slow one buys; a down-cross
 * closes the long (and, with `allowShort`, opens a short). A cross needs the sign of
 * (fast − slow) to change from its last non-zero value, so an exact tie fires nothing and a
 * touch that returns to the same side is not a cross. Signals are decided on a bar's close.
 */
export class SmaCrossover implements Strategy {
  readonly name = 'sma-crossover';
  readonly params: SmaCrossoverParams;
  /** The slow window, plus one bar to see a first cross. */
  readonly warmupBars: number;
  readonly #fast: Sma[];
  readonly #slow: Sma[];
  /** Last non-zero (fast − slow) per symbol; NaN until both averages are defined. */
  readonly #lastDiff: Float64Array;

  constructor(params: SmaCrossoverParams, symbolCount: number) {
    if (params.fast >= params.slow) {
      throw new ConfigError('sma-crossover.fast', `fast (${params.fast}) must be below slow (${params.slow})`);
    }
    this.params = Object.freeze({ ...params });
    this.warmupBars = params.slow + 1;
    this.#fast = Array.from({ length: symbolCount }, () => new Sma(params.fast));
    this.#slow = Array.from({ length: symbolCount }, () => new Sma(params.slow));
    this.#lastDiff = new Float64Array(symbolCount).fill(NaN);
  }

  /** Builds the strategy from validated parameter values. */
  static fromParams(values: ParamValues, symbolCount: number): SmaCrossover {
    return new SmaCrossover(
      { fast: values['fast'] as number, slow: values['slow'] as number, allowShort: values['allowShort'] as boolean },
      symbolCount,
    );
  }

  describeInputs(symbolIndex: number): Readonly<Record<string, number>> {
    const fast = this.#fast[symbolIndex] as Sma;
    const slow = this.#slow[symbolIndex] as Sma;
    return { fastSma: fast.isReady ? fast.value : NaN, slowSma: slow.isReady ? slow.value : NaN };
  }

  /** The last non-zero spread per symbol (`null` before both averages exist): the SMA windows rebuild from bars. */
  exportState(): JsonValue {
    return { lastDiff: Array.from(this.#lastDiff, (d) => (Number.isNaN(d) ? null : d)) };
  }

  importState(state: JsonValue): void {
    const lastDiff = typeof state === 'object' && state !== null && !Array.isArray(state) ? (state as { readonly [k: string]: JsonValue })['lastDiff'] : undefined;
    if (!Array.isArray(lastDiff) || lastDiff.length !== this.#lastDiff.length) {
      throw new ConfigError('sma-crossover state', `expected lastDiff with ${this.#lastDiff.length} entries`);
    }
    lastDiff.forEach((d, s) => {
      if (d !== null && (typeof d !== 'number' || !Number.isFinite(d))) {
        throw new ConfigError(`sma-crossover state.lastDiff[${s}]`, `expected a finite number or null, got ${JSON.stringify(d)}`);
      }
      this.#lastDiff[s] = d === null ? NaN : d;
    });
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    const s = bar.symbolIndex;
    const close = bar.close();
    const fast = this.#fast[s] as Sma;
    const slow = this.#slow[s] as Sma;
    fast.update(close);
    slow.update(close);
    if (!slow.isReady) return;

    const diff = fast.value - slow.value;
    const before = this.#lastDiff[s] as number;
    if (diff !== 0 || Number.isNaN(before)) this.#lastDiff[s] = diff;
    const isUpCross = before < 0 && diff > 0;
    const isDownCross = before > 0 && diff < 0;
    if ((!isUpCross && !isDownCross) || ctx.hasPendingOrder(s)) return;

    const position = ctx.position(s);
    if (isUpCross) {
      if (position < 0) ctx.closePosition(s);
      if (position <= 0) ctx.buy(s);
    } else {
      if (position > 0) ctx.closePosition(s);
      if (this.params.allowShort && position >= 0) ctx.sell(s);
    }
  }
}
