import { ExactSum } from './exact-sum';
import type { PriceIndicator } from './indicator';
import { assertFiniteInput } from './validation';

/**
 * Exponential smoothing seeded with a simple average: the first value is the exact mean of the
 * first `period` inputs (like `fsum / period`); after that value = prev·(1 − alpha) + x·alpha,
 * the same expression and operation order as established backtesting libraries, so values
 * agree to the last bit. The base of `Ema` (alpha = 2/(p+1)) and `Smma` (alpha = 1/p).
 * warmup = period. Callers validate `period` and `alpha`.
 */
export class ExponentialSmoothing implements PriceIndicator {
  readonly name: string;
  readonly period: number;
  readonly warmup: number;
  /** Weight of the newest input. */
  readonly alpha: number;
  readonly #alpha1: number;
  readonly #seed = new ExactSum();
  #count = 0;
  #value = NaN;

  constructor(name: string, period: number, alpha: number) {
    this.name = name;
    this.period = period;
    this.warmup = period;
    this.alpha = alpha;
    this.#alpha1 = 1 - alpha;
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
