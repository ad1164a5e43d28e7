import { ExactSum } from './exact-sum';
import type { PriceIndicator } from './indicator';
import { assertFiniteInput, assertPeriod } from './validation';

/**
 * Wilder's smoothed moving average (SMMA, also RMA): an exponential average with
 * alpha = 1 / period, in the inputs' units. The first value is the simple average of the first
 * `period` inputs (computed exactly); after that smma = prev·(1 − α) + x·α, written in that
 * order as established backtesting libraries do, so values agree to the last bit.
 * warmup = period. `period` is a positive integer (`ConfigError` otherwise).
 */
export class Smma implements PriceIndicator {
  readonly name: string;
  readonly period: number;
  readonly warmup: number;
  readonly #seed = new ExactSum();
  #count = 0;
  #value = NaN;
  readonly #alpha: number;
  readonly #alpha1: number;

  constructor(period: number) {
    assertPeriod('smma.period', period);
    this.period = period;
    this.warmup = period;
    this.#alpha = 1 / period;
    this.#alpha1 = 1 - this.#alpha;
    this.name = `smma(${period})`;
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
      this.#value = this.#value * this.#alpha1 + value * this.#alpha;
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
