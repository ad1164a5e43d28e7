import { ExactSum } from './exact-sum';
import type { PriceIndicator } from './indicator';
import { RingBuffer } from './ring-buffer';
import { assertFiniteInput, assertPeriod } from './validation';

/**
 * Simple moving average: the arithmetic mean of the last `period` inputs, in the inputs' units.
 * The window sum is exact (`ExactSum`), so the value is `fsum(window) / period` bit for bit,
 * as backtrader computes it, and never drifts however long the series. warmup = period.
 * `period` is a positive integer (`ConfigError` otherwise).
 */
export class Sma implements PriceIndicator {
  readonly name: string;
  readonly period: number;
  readonly warmup: number;
  readonly #window: RingBuffer;
  readonly #sum = new ExactSum();
  #value = NaN;

  constructor(period: number) {
    assertPeriod('sma.period', period);
    this.period = period;
    this.warmup = period;
    this.name = `sma(${period})`;
    this.#window = new RingBuffer(period);
  }

  get isReady(): boolean {
    return this.#window.isFull;
  }

  /** The mean of the window; NaN until `period` inputs have been seen. */
  get value(): number {
    return this.#value;
  }

  update(value: number): void {
    assertFiniteInput('value', value);
    const evicted = this.#window.push(value);
    this.#sum.add(value);
    if (!Number.isNaN(evicted)) this.#sum.subtract(evicted);
    if (this.#window.isFull) this.#value = this.#sum.value() / this.period;
  }

  reset(): void {
    this.#window.reset();
    this.#sum.reset();
    this.#value = NaN;
  }
}
