/**
 * A fixed-capacity FIFO window of doubles in a preallocated Float64Array. `push` is O(1) and
 * allocates nothing; once full, each push evicts and returns the oldest value.
 */
export class RingBuffer {
  readonly capacity: number;
  readonly #data: Float64Array;
  #next = 0;
  #size = 0;

  /** `capacity` must be a positive integer (the caller validates it). */
  constructor(capacity: number) {
    this.capacity = capacity;
    this.#data = new Float64Array(capacity);
  }

  /** Values held, at most `capacity`. */
  get size(): number {
    return this.#size;
  }

  /** True when `capacity` values are held. */
  get isFull(): boolean {
    return this.#size === this.capacity;
  }

  /** Appends `x`; returns the value it evicted, or NaN while the buffer was not yet full. */
  push(x: number): number {
    const i = this.#next;
    const evicted = this.#size === this.capacity ? (this.#data[i] as number) : NaN;
    this.#data[i] = x;
    this.#next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.#size < this.capacity) this.#size++;
    return evicted;
  }

  /** The `age`-th newest value (0 = newest); NaN if fewer values are held. */
  at(age: number): number {
    if (!Number.isInteger(age) || age < 0 || age >= this.#size) return NaN;
    let i = this.#next - 1 - age;
    if (i < 0) i += this.capacity;
    return this.#data[i] as number;
  }

  /** Empties the buffer; keeps the storage. */
  reset(): void {
    this.#next = 0;
    this.#size = 0;
  }
}
