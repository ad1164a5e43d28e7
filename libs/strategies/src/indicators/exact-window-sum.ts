import { ExactSum } from './exact-sum';

/**
 * The exact sum of the last `capacity` values pushed, O(1) per push, with `value()` equal to
 * the correctly rounded sum of the window (what `math.fsum(window)` returns) bit for bit.
 *
 * Fast path: the exact sum is held as two doubles, `hi + lo`. Each push adds the new value and
 * subtracts the evicted one with error-free two-sums and folds the errors into `lo`, checking
 * that the fold itself was exact. For prices of any realistic range it always is. The first
 * time it is not (values spanning more than ~100 bits of magnitude, such as 1e16 and 1e-16),
 * the sum switches for good to a Shewchuk expansion (`ExactSum`) rebuilt from the window, so the
 * result stays exact whatever the input; only the speed changes.
 *
 * Values must be finite (the caller checks). Allocates only at construction and on the switch.
 */
export class ExactWindowSum {
  readonly capacity: number;
  readonly #data: Float64Array;
  #next = 0;
  #size = 0;
  #hi = 0;
  #lo = 0;
  #expansion: ExactSum | null = null;

  /** `capacity` must be a positive integer (the caller validates it). */
  constructor(capacity: number) {
    this.capacity = capacity;
    this.#data = new Float64Array(capacity);
  }

  /** True once `capacity` values have been pushed. */
  get isFull(): boolean {
    return this.#size === this.capacity;
  }

  /** True after the sum has switched to the expansion (for tests and diagnostics). */
  get usesExpansion(): boolean {
    return this.#expansion !== null;
  }

  /** Appends `x`, evicting the oldest value once the window is full. */
  push(x: number): void {
    const data = this.#data;
    const i = this.#next;
    const full = this.#size === this.capacity;
    const evicted = full ? (data[i] as number) : 0;
    data[i] = x;
    this.#next = i + 1 === this.capacity ? 0 : i + 1;
    if (!full) this.#size++;

    const expansion = this.#expansion;
    if (expansion !== null) {
      expansion.add(x);
      if (full) expansion.subtract(evicted);
      return;
    }

    // Knuth's two-sum: s + e == a + b exactly, for any finite a and b.
    let hi = this.#hi;
    let lo = this.#lo;
    let s = hi + x;
    let b = s - hi;
    let e = hi - (s - b) + (x - b);
    hi = s;
    s = lo + e;
    b = s - lo;
    let isExact = lo - (s - b) + (e - b) === 0;
    lo = s;
    if (full) {
      const y = -evicted;
      s = hi + y;
      b = s - hi;
      e = hi - (s - b) + (y - b);
      hi = s;
      s = lo + e;
      b = s - lo;
      isExact = isExact && lo - (s - b) + (e - b) === 0;
      lo = s;
    }
    // Renormalize so that hi is the correctly rounded value of hi + lo.
    s = hi + lo;
    b = s - hi;
    this.#lo = hi - (s - b) + (lo - b);
    this.#hi = s;
    if (!isExact) this.#switchToExpansion();
  }

  /** The correctly rounded sum of the values in the window (0 when empty). */
  value(): number {
    return this.#expansion === null ? this.#hi : this.#expansion.value();
  }

  /** Empties the window and returns to the fast path; keeps the storage. */
  reset(): void {
    this.#next = 0;
    this.#size = 0;
    this.#hi = 0;
    this.#lo = 0;
    this.#expansion = null;
  }

  #switchToExpansion(): void {
    const expansion = new ExactSum();
    for (let k = 0; k < this.#size; k++) expansion.add(this.#data[k] as number);
    this.#expansion = expansion;
  }
}
