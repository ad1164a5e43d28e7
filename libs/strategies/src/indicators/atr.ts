import type { HlcIndicator } from './indicator';
import { Smma } from './smma';
import { assertHlc, assertPeriod } from './validation';

/**
 * Wilder's average true range, in price units. The true range of a bar needs the previous
 * close: TR = max(high, prevClose) − min(low, prevClose), which equals
 * max(high − low, |high − prevClose|, |low − prevClose|). As in backtrader's TrueRange, the
 * first bar yields no TR (it is not taken as high − low); TR starts at the second bar.
 * ATR = Wilder's smoothed average (`Smma`) of TR, seeded with the simple mean of the first
 * `period` TRs, so warmup = period + 1. `period` is a positive integer (`ConfigError`
 * otherwise).
 */
export class Atr implements HlcIndicator {
  readonly name: string;
  readonly period: number;
  readonly warmup: number;
  readonly #tr: Smma;
  #prevClose = NaN;
  #trueRange = NaN;

  constructor(period = 14) {
    assertPeriod('atr.period', period);
    this.period = period;
    this.warmup = period + 1;
    this.name = `atr(${period})`;
    this.#tr = new Smma(period);
  }

  get isReady(): boolean {
    return this.#tr.isReady;
  }

  /** The average true range; NaN until `period + 1` bars have been seen. */
  get value(): number {
    return this.#tr.value;
  }

  /** The latest bar's true range; NaN on the first bar. */
  get trueRange(): number {
    return this.#trueRange;
  }

  update(high: number, low: number, close: number): void {
    assertHlc(high, low, close);
    const prevClose = this.#prevClose;
    this.#prevClose = close;
    if (Number.isNaN(prevClose)) return;
    const trueHigh = high > prevClose ? high : prevClose;
    const trueLow = low < prevClose ? low : prevClose;
    this.#trueRange = trueHigh - trueLow;
    this.#tr.update(this.#trueRange);
  }

  reset(): void {
    this.#tr.reset();
    this.#prevClose = NaN;
    this.#trueRange = NaN;
  }
}
