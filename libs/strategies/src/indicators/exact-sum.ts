/** Veltkamp's splitter for doubles, 2^27 + 1: splits a 53-bit significand into two 26-bit halves. */
const SPLITTER = 134217729;

/** Partials a fresh sum makes room for; prices rarely need more than three or four. */
const INITIAL_CAPACITY = 32;

/**
 * An exact running sum of doubles. It keeps the sum as a Shewchuk expansion: non-overlapping
 * partials in increasing order of magnitude whose exact total is the exact sum of everything
 * added so far, with no rounding error at all. `value()` rounds that total once, correctly (to
 * nearest, ties to even), exactly as CPython's `math.fsum` does, so a window mean computed as
 * `value() / period` equals `fsum(window) / period` bit for bit. A naive running sum drifts by
 * an ulp here and there, which is enough to turn an exact tie of two averages into a cross.
 *
 * The partials live in a preallocated Float64Array; it doubles when a sum needs more of them
 * (at most a few dozen, however many values are added), so steady-state updates allocate
 * nothing. Cost per `add` is proportional to the number of partials, which is bounded, so O(1).
 *
 * Edge cases: inputs must be finite (a `RangeError` otherwise, since an infinity or NaN has no
 * exact value to keep); a sum whose partials would overflow is a `RangeError` too, after which
 * the sum is unspecified until `reset()`. An empty sum, or one that cancels exactly, is +0.
 */
export class ExactSum {
  #partials: Float64Array;
  #count = 0;

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.#partials = new Float64Array(Math.max(2, Math.floor(initialCapacity)));
  }

  /** Number of non-zero partials currently held (0 for an exactly zero sum). */
  get partialCount(): number {
    return this.#count;
  }

  /**
   * The i-th partial, smallest magnitude first; their exact total is the sum. For exact
   * arithmetic on top of the sum (squares, scaling). Out-of-range `i` gives NaN.
   */
  partialAt(i: number): number {
    return i >= 0 && i < this.#count ? (this.#partials[i] as number) : NaN;
  }

  /** Adds `x` exactly. */
  add(x: number): void {
    if (!Number.isFinite(x)) throw new RangeError(`ExactSum: cannot add non-finite value ${x}`);
    if (x === 0) return;
    const p = this.#partials;
    const n = this.#count;
    let i = 0;
    for (let j = 0; j < n; j++) {
      let y = p[j] as number;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      // Two-sum with |x| >= |y|: hi + lo == x + y exactly.
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    if (x !== 0) {
      if (!Number.isFinite(x)) {
        throw new RangeError('ExactSum: the sum overflowed the double range');
      }
      // At most n + 1 partials exist here, so one slot of headroom is always enough; the
      // check keeps that headroom for the next call.
      p[i++] = x;
      if (i === p.length) this.#grow();
    }
    this.#count = i;
  }

  /** Subtracts `x` exactly (the same as `add(-x)`). */
  subtract(x: number): void {
    this.add(-x);
  }

  /**
   * Adds the product `a * b` exactly, not its rounded value: the product is split into its
   * rounded part and its rounding error (Dekker's two-product), and both are added. Exact as
   * long as the product neither overflows nor underflows (|a·b| well inside 1e-290..1e290).
   */
  addProduct(a: number, b: number): void {
    const prod = a * b;
    if (!Number.isFinite(prod)) throw new RangeError(`ExactSum: product ${a} * ${b} is not finite`);
    let c = SPLITTER * a;
    const aHi = c - (c - a);
    const aLo = a - aHi;
    c = SPLITTER * b;
    const bHi = c - (c - b);
    const bLo = b - bHi;
    const err = aHi * bHi - prod + aHi * bLo + aLo * bHi + aLo * bLo;
    this.add(prod);
    this.add(err);
  }

  /**
   * Adds `factor` times the exact value of `other` (partial by partial, each product exact).
   * `other` must be a different instance.
   */
  addSum(other: ExactSum, factor = 1): void {
    if (other === this) throw new RangeError('ExactSum: cannot add a sum to itself');
    const n = other.#count;
    const q = other.#partials;
    for (let j = 0; j < n; j++) {
      if (factor === 1) this.add(q[j] as number);
      else if (factor === -1) this.add(-(q[j] as number));
      else this.addProduct(q[j] as number, factor);
    }
  }

  /**
   * The exact sum rounded to the nearest double, ties to even, with the same final rounding
   * as CPython's math.fsum (including its correction for a tie that lower partials break).
   */
  value(): number {
    const p = this.#partials;
    let n = this.#count;
    if (n === 0) return 0;
    let hi = p[--n] as number;
    let lo = 0;
    // Sum from the top while that stays exact; the first inexact step is the rounding.
    while (n > 0) {
      const x = hi;
      const y = p[--n] as number;
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    // hi + lo was a half-way case rounded to even; if the partials below push the same way
    // as lo, the exact sum is past half-way and must round the other way.
    if (n > 0) {
      const below = p[n - 1] as number;
      if ((lo < 0 && below < 0) || (lo > 0 && below > 0)) {
        const y = lo * 2;
        const x = hi + y;
        const yr = x - hi;
        if (y === yr) hi = x;
      }
    }
    return hi;
  }

  /** Forgets everything added; keeps the storage. */
  reset(): void {
    this.#count = 0;
  }

  #grow(): void {
    const bigger = new Float64Array(this.#partials.length * 2);
    bigger.set(this.#partials);
    this.#partials = bigger;
  }
}
