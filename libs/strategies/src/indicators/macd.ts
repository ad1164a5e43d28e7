import { ConfigError } from '@quantbot/core';
import { Ema } from './ema';
import type { PriceIndicator } from './indicator';
import { assertFiniteInput, assertPeriod } from './validation';

/**
 * Moving average convergence/divergence, in price units: macd = EMA(fast) − EMA(slow), each EMA
 * seeded with the SMA of its first inputs (so EMA(fast) runs from input `fast` and is not
 * re-seeded when EMA(slow) starts); signal = EMA(signal) of the macd line, seeded with the SMA
 * of its first `signal` values; histogram = macd − signal. As in backtrader's MACD.
 * All three lines read NaN until the signal line exists: warmup = slow + signal − 1
 * (34 with the defaults 12/26/9). Periods are positive integers with fast < slow
 * (`ConfigError` otherwise).
 */
export class Macd implements PriceIndicator {
  readonly name: string;
  readonly fast: number;
  readonly slow: number;
  /** Period of the signal EMA (the `signal` getter is the line itself). */
  readonly signalPeriod: number;
  readonly warmup: number;
  readonly #fastEma: Ema;
  readonly #slowEma: Ema;
  readonly #signalEma: Ema;
  #macd = NaN;
  #signal = NaN;
  #histogram = NaN;

  constructor(fast = 12, slow = 26, signal = 9) {
    assertPeriod('macd.fast', fast);
    assertPeriod('macd.slow', slow);
    assertPeriod('macd.signal', signal);
    if (fast >= slow) throw new ConfigError('macd.fast', `must be below slow (${slow}), got ${fast}`);
    this.fast = fast;
    this.slow = slow;
    this.signalPeriod = signal;
    this.warmup = slow + signal - 1;
    this.name = `macd(${fast},${slow},${signal})`;
    this.#fastEma = new Ema(fast);
    this.#slowEma = new Ema(slow);
    this.#signalEma = new Ema(signal);
  }

  get isReady(): boolean {
    return this.#signalEma.isReady;
  }

  /** EMA(fast) − EMA(slow); NaN until ready. */
  get macd(): number {
    return this.#macd;
  }

  /** EMA(signal) of the macd line; NaN until ready. */
  get signal(): number {
    return this.#signal;
  }

  /** macd − signal; NaN until ready. */
  get histogram(): number {
    return this.#histogram;
  }

  update(value: number): void {
    assertFiniteInput('value', value);
    this.#fastEma.update(value);
    this.#slowEma.update(value);
    if (!this.#slowEma.isReady) return;
    const macd = this.#fastEma.value - this.#slowEma.value;
    this.#signalEma.update(macd);
    if (!this.#signalEma.isReady) return;
    this.#macd = macd;
    this.#signal = this.#signalEma.value;
    this.#histogram = macd - this.#signal;
  }

  reset(): void {
    this.#fastEma.reset();
    this.#slowEma.reset();
    this.#signalEma.reset();
    this.#macd = NaN;
    this.#signal = NaN;
    this.#histogram = NaN;
  }
}
