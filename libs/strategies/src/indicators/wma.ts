import { ExactSum } from './exact-sum';
import type { PriceIndicator } from './indicator';
import { RingBuffer } from './ring-buffer';
import { assertFiniteInput, assertPeriod } from './validation';

/**
 * Linearly weighted moving average over the last `period` inputs, in the inputs' units: the
 * newest input has weight `period`, the oldest weight 1, and the weights sum to
 * period·(period + 1)/2. O(1) per update: when a value enters, every older value loses one
 * unit of weight, so weighted' = weighted − plain + period·x, and plain' = plain + x − evicted.
 * Both running sums are exact (`ExactSum`, the product period·x added exactly), so the value is
 * the exactly weighted sum rounded once and divided once, with no drift. (backtrader sums the
 * rounded products with fsum and multiplies by 2/(p(p+1)); results agree to the last bits.)
 * warmup = period. `period` is a positive integer (`ConfigError` otherwise).
 */
export class Wma implements PriceIndicator {
  readonly name: string;
  readonly period: number;
  readonly warmup: number;
  readonly #window: RingBuffer;
  readonly #plain = new ExactSum();
  readonly #weighted = new ExactSum();
  readonly #divisor: number;
  #value = NaN;

  constructor(period: number) {
    assertPeriod('wma.period', period);
    this.period = period;
    this.warmup = period;
    this.name = `wma(${period})`;
    this.#window = new RingBuffer(period);
    this.#divisor = (period * (period + 1)) / 2;
  }

  get isReady(): boolean {
    return this.#window.isFull;
  }

  /** The weighted mean of the window; NaN until `period` inputs have been seen. */
  get value(): number {
    return this.#value;
  }

  update(value: number): void {
    assertFiniteInput('value', value);
    const evicted = this.#window.push(value);
    // The same recurrence serves the warm-up: the input seen j updates ago carries weight
    // period − j, so when the window fills the weights are exactly 1..period. Once full, the
    // evicted value's weight has just dropped from 1 to 0 and it leaves the plain sum.
    this.#weighted.addSum(this.#plain, -1);
    this.#weighted.addProduct(value, this.period);
    this.#plain.add(value);
    if (!Number.isNaN(evicted)) this.#plain.subtract(evicted);
    if (this.#window.isFull) this.#value = this.#weighted.value() / this.#divisor;
  }

  reset(): void {
    this.#window.reset();
    this.#plain.reset();
    this.#weighted.reset();
    this.#value = NaN;
  }
}
