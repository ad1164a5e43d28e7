/**
 * The highest (`'max'`) or lowest (`'min'`) of the last `period` values, O(1) amortized per
 * push. It keeps a monotonic deque of candidates: a value is dropped as soon as a newer one is
 * at least as extreme, because it can never be the answer again. The deque never holds more
 * than `period` entries, so it lives in two preallocated ring arrays (values, and the sequence
 * numbers that tell when an entry leaves the window) and nothing is allocated per push.
 * `value` is NaN before the first push; during the first `period - 1` pushes it is the
 * extreme of the values seen so far (`isFull` tells when the window is complete).
 */
export class RollingExtreme {
  readonly period: number;
  readonly mode: 'max' | 'min';
  readonly #values: Float64Array;
  readonly #seq: Float64Array;
  #head = 0;
  #length = 0;
  #pushed = 0;

  /** `period` must be a positive integer (the caller validates it). */
  constructor(period: number, mode: 'max' | 'min') {
    this.period = period;
    this.mode = mode;
    this.#values = new Float64Array(period);
    this.#seq = new Float64Array(period);
  }

  /** True once `period` values have been pushed. */
  get isFull(): boolean {
    return this.#pushed >= this.period;
  }

  /** The extreme of the window; NaN when empty. */
  get value(): number {
    return this.#length === 0 ? NaN : (this.#values[this.#head] as number);
  }

  /** Adds `x` (finite; the caller validates) as the newest value of the window. */
  push(x: number): void {
    const cap = this.period;
    const isMax = this.mode === 'max';
    // Drop candidates from the back that the new value dominates (ties too: the newer one
    // stays in the window longer).
    while (this.#length > 0) {
      let back = this.#head + this.#length - 1;
      if (back >= cap) back -= cap;
      const v = this.#values[back] as number;
      if (isMax ? v > x : v < x) break;
      this.#length--;
    }
    const seq = this.#pushed++;
    // Drop the front if it has slid out of the window.
    if (this.#length > 0 && (this.#seq[this.#head] as number) <= seq - cap) {
      this.#head = this.#head + 1 === cap ? 0 : this.#head + 1;
      this.#length--;
    }
    let slot = this.#head + this.#length;
    if (slot >= cap) slot -= cap;
    this.#values[slot] = x;
    this.#seq[slot] = seq;
    this.#length++;
  }

  /** Empties the window; keeps the storage. */
  reset(): void {
    this.#head = 0;
    this.#length = 0;
    this.#pushed = 0;
  }
}
