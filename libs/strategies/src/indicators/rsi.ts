import type { PriceIndicator } from './indicator';
import { Smma } from './smma';
import { assertFiniteInput, assertPeriod } from './validation';

/**
 * Wilder's relative strength index, 0..100. Each input after the first gives a gain
 * max(x − prev, 0) and a loss max(prev − x, 0); both are smoothed with Wilder's average
 * (`Smma`: seeded with the simple mean of the first `period` changes), and
 * RSI = 100 − 100 / (1 + avgGain / avgLoss), the expression backtrader evaluates.
 * The first value needs `period` changes, so warmup = period + 1.
 * Zero divisors follow backtrader's safe division: avgLoss = 0 with gains gives 100, and a
 * window with neither gains nor losses (a flat series) gives the neutral 50.
 * `period` is a positive integer (`ConfigError` otherwise).
 */
export class Rsi implements PriceIndicator {
  readonly name: string;
  readonly period: number;
  readonly warmup: number;
  readonly #gain: Smma;
  readonly #loss: Smma;
  #prev = NaN;
  #value = NaN;

  constructor(period = 14) {
    assertPeriod('rsi.period', period);
    this.period = period;
    this.warmup = period + 1;
    this.name = `rsi(${period})`;
    this.#gain = new Smma(period);
    this.#loss = new Smma(period);
  }

  get isReady(): boolean {
    return this.#gain.isReady;
  }

  /** The index, 0..100; NaN until `period + 1` inputs have been seen. */
  get value(): number {
    return this.#value;
  }

  update(value: number): void {
    assertFiniteInput('value', value);
    const prev = this.#prev;
    this.#prev = value;
    if (Number.isNaN(prev)) return;
    const change = value - prev;
    this.#gain.update(change > 0 ? change : 0);
    this.#loss.update(change < 0 ? -change : 0);
    if (!this.#gain.isReady) return;
    const avgGain = this.#gain.value;
    const avgLoss = this.#loss.value;
    if (avgLoss === 0) this.#value = avgGain === 0 ? 50 : 100;
    else this.#value = 100 - 100 / (1 + avgGain / avgLoss);
  }

  reset(): void {
    this.#gain.reset();
    this.#loss.reset();
    this.#prev = NaN;
    this.#value = NaN;
  }
}
