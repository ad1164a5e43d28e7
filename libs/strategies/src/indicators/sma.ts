import { ExactWindowSum } from './exact-window-sum';
import type { PriceIndicator } from './indicator';
import { assertFiniteInput, assertPeriod } from './validation';

/**
 * Simple moving average: the arithmetic mean of the last `period` inputs, in the inputs' units.
 * The window sum is exact (`ExactWindowSum`), so the value is `fsum(window) / period` bit for bit,
 * as backtrader computes it, and never drifts however long the series. warmup = period.
 * `period` is a positive integer (`ConfigError` otherwise).
 */
export class Sma implements PriceIndicator {
  readonly name: string;
  readonly period: number;
  readonly warmup: number;
  readonly #window: ExactWindowSum;
  #value = NaN;

  constructor(period: number) {
    assertPeriod('sma.period', period);
    this.period = period;
    this.warmup = period;
    this.name = `sma(${period})`;
    this.#window = new ExactWindowSum(period);
  }

  get isReady(): boolean {
    return this.#window.isFull;
  }

  /** The mean of the window; NaN until `period` inputs have been seen. */
  get value(): number {
    return this.#value;
  }

  update(value: number): void {
    // value − value is 0 exactly for finite numbers and NaN otherwise: the cheapest check.
    if (value - value !== 0) assertFiniteInput('value', value);
    this.#window.push(value);
    if (this.#window.isFull) this.#value = this.#window.value() / this.period;
  }

  reset(): void {
    this.#window.reset();
    this.#value = NaN;
  }
}
