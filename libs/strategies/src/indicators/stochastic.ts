import type { HlcIndicator } from './indicator';
import { RollingExtreme } from './rolling-extreme';
import { Sma } from './sma';
import { assertHlc, assertPeriod } from './validation';

/** Raw %K when the window's highest high equals its lowest low: the middle of the 0..100 scale. */
export const STOCHASTIC_FLAT_RANGE_K = 50;

/**
 * Slow stochastic oscillator, 0..100 when closes lie within their bars (backtrader's
 * Stochastic defaults). raw %K = 100 · ((close − LL) / (HH − LL)) over the last `period` bars
 * (HH highest high, LL lowest low, kept by O(1) monotonic deques); k = SMA(smoothK) of raw
 * %K; d = SMA(smoothD) of k.
 * A window with HH = LL has no range to place the close in; backtrader would divide by zero
 * (inf/NaN) and NaN would then poison the averages, so raw %K is taken as 50
 * (`STOCHASTIC_FLAT_RANGE_K`), neutral, instead.
 * Both lines read NaN until d exists: warmup = period + smoothK + smoothD − 2 (18 with the
 * defaults 14/3/3). All periods are positive integers (`ConfigError` otherwise).
 */
export class Stochastic implements HlcIndicator {
  readonly name: string;
  readonly period: number;
  readonly smoothK: number;
  readonly smoothD: number;
  readonly warmup: number;
  readonly #highest: RollingExtreme;
  readonly #lowest: RollingExtreme;
  readonly #kAverage: Sma;
  readonly #dAverage: Sma;
  #k = NaN;
  #d = NaN;

  constructor(period = 14, smoothK = 3, smoothD = 3) {
    assertPeriod('stochastic.period', period);
    assertPeriod('stochastic.smoothK', smoothK);
    assertPeriod('stochastic.smoothD', smoothD);
    this.period = period;
    this.smoothK = smoothK;
    this.smoothD = smoothD;
    this.warmup = period + smoothK + smoothD - 2;
    this.name = `stochastic(${period},${smoothK},${smoothD})`;
    this.#highest = new RollingExtreme(period, 'max');
    this.#lowest = new RollingExtreme(period, 'min');
    this.#kAverage = new Sma(smoothK);
    this.#dAverage = new Sma(smoothD);
  }

  get isReady(): boolean {
    return this.#dAverage.isReady;
  }

  /** Slow %K, the SMA of raw %K; NaN until ready. */
  get k(): number {
    return this.#k;
  }

  /** %D, the SMA of slow %K; NaN until ready. */
  get d(): number {
    return this.#d;
  }

  update(high: number, low: number, close: number): void {
    assertHlc(high, low, close);
    this.#highest.push(high);
    this.#lowest.push(low);
    if (!this.#highest.isFull) return;
    const hh = this.#highest.value;
    const ll = this.#lowest.value;
    const range = hh - ll;
    const rawK = range === 0 ? STOCHASTIC_FLAT_RANGE_K : 100 * ((close - ll) / range);
    this.#kAverage.update(rawK);
    if (!this.#kAverage.isReady) return;
    this.#dAverage.update(this.#kAverage.value);
    if (!this.#dAverage.isReady) return;
    this.#k = this.#kAverage.value;
    this.#d = this.#dAverage.value;
  }

  reset(): void {
    this.#highest.reset();
    this.#lowest.reset();
    this.#kAverage.reset();
    this.#dAverage.reset();
    this.#k = NaN;
    this.#d = NaN;
  }
}
