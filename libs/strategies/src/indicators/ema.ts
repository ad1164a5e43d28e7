import { ExactSum } from './exact-sum';
import type { PriceIndicator } from './indicator';
import { assertFiniteInput, assertPeriod } from './validation';

/**
 * Exponential moving average with alpha = 2 / (period + 1), in the inputs' units. The first
 * value is the simple average of the first `period` inputs (computed exactly, like
 * `fsum / period`); after that ema = prev·(1 − alpha) + x·alpha, the same expression and
 * operation order as backtrader's ExponentialSmoothing. warmup = period. `period` is a
 * positive integer (`ConfigError` otherwise); period 1 follows the input.
 */
export class Ema implements PriceIndicator {
  readonly name: string;
  readonly period: number;
  readonly warmup: number;
  /** Weight of the newest input, 2 / (period + 1). */
  readonly alpha: number;
  readonly #alpha1: number;
  readonly #seed = new ExactSum();
  #count = 0;
  #value = NaN;

  constructor(period: number) {
    assertPeriod('ema.period', period);
    this.period = period;
    this.warmup = period;
    this.name = `ema(${period})`;
    this.alpha = 2 / (1 + period);
    this.#alpha1 = 1 - this.alpha;
  }

  get isReady(): boolean {
    return this.#count >= this.period;
  }

  /** The average; NaN until `period` inputs have been seen. */
  get value(): number {
    return this.#value;
  }

  update(value: number): void {
    assertFiniteInput('value', value);
    if (this.#count >= this.period) {
      this.#value = this.#value * this.#alpha1 + value * this.alpha;
      return;
    }
    this.#seed.add(value);
    this.#count++;
    if (this.#count === this.period) this.#value = this.#seed.value() / this.period;
  }

  reset(): void {
    this.#seed.reset();
    this.#count = 0;
    this.#value = NaN;
  }
}
