import { ConfigError } from '@quantbot/core';
import { ExactSum } from './exact-sum';
import type { PriceIndicator } from './indicator';
import { RingBuffer } from './ring-buffer';
import { assertFiniteInput, assertPeriod } from './validation';

/**
 * Bollinger Bands, in price units: mid = SMA(period); upper/lower = mid ± k·σ, where σ is the
 * POPULATION standard deviation of the window (divide by period, as backtrader and TA-Lib do).
 * The variance comes from exact running sums of x and of x² (each square added exactly), as
 * period²·var = period·Σx² − (Σx)² evaluated exactly and rounded once. So it cannot go
 * negative or lose digits to cancellation (the textbook one-pass formula does both for prices
 * far from zero), and a flat window has σ exactly 0. O(1) per update.
 * warmup = period. `period` is a positive integer and `k` (devfactor) a finite number ≥ 0
 * (`ConfigError` otherwise); period 1 gives σ = 0.
 */
export class BollingerBands implements PriceIndicator {
  readonly name: string;
  readonly period: number;
  readonly k: number;
  readonly warmup: number;
  readonly #window: RingBuffer;
  readonly #sum = new ExactSum();
  readonly #sumSq = new ExactSum();
  readonly #scratch = new ExactSum();
  #mid = NaN;
  #upper = NaN;
  #lower = NaN;
  #stdDev = NaN;

  constructor(period = 20, k = 2) {
    assertPeriod('bollinger.period', period);
    if (!Number.isFinite(k) || k < 0) {
      throw new ConfigError('bollinger.devfactor', `must be a finite number >= 0, got ${k}`);
    }
    this.period = period;
    this.k = k;
    this.warmup = period;
    this.name = `bollinger(${period},${k})`;
    this.#window = new RingBuffer(period);
  }

  get isReady(): boolean {
    return this.#window.isFull;
  }

  /** The middle band, the SMA; NaN until ready. */
  get mid(): number {
    return this.#mid;
  }

  /** mid + k·σ; NaN until ready. */
  get upper(): number {
    return this.#upper;
  }

  /** mid − k·σ; NaN until ready. */
  get lower(): number {
    return this.#lower;
  }

  /** The population standard deviation σ of the window; NaN until ready. */
  get stdDev(): number {
    return this.#stdDev;
  }

  update(value: number): void {
    assertFiniteInput('value', value);
    const evicted = this.#window.push(value);
    this.#sum.add(value);
    this.#sumSq.addProduct(value, value);
    if (!Number.isNaN(evicted)) {
      this.#sum.subtract(evicted);
      this.#sumSq.addProduct(-evicted, evicted);
    }
    if (!this.#window.isFull) return;

    const p = this.period;
    const s = this.#sum;
    const scaled = this.#scratch;
    scaled.reset();
    scaled.addSum(this.#sumSq, p);
    // Subtract (Σx)² exactly: the square of an expansion is the sum of its pairwise products.
    const n = s.partialCount;
    for (let i = 0; i < n; i++) {
      const a = s.partialAt(i);
      for (let j = 0; j < n; j++) scaled.addProduct(-a, s.partialAt(j));
    }
    const variance = scaled.value() / (p * p);
    const sigma = Math.sqrt(variance > 0 ? variance : 0);
    const mid = s.value() / p;
    this.#mid = mid;
    this.#stdDev = sigma;
    this.#upper = mid + this.k * sigma;
    this.#lower = mid - this.k * sigma;
  }

  reset(): void {
    this.#window.reset();
    this.#sum.reset();
    this.#sumSq.reset();
    this.#mid = NaN;
    this.#upper = NaN;
    this.#lower = NaN;
    this.#stdDev = NaN;
  }
}
