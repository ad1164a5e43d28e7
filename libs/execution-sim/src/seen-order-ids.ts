/** Sequence numbers kept as bits up to this many per prefix (2 MB of bits); larger ones go to the set. */
const MAX_SEQUENCE = 1 << 24;

/**
 * The client order ids a broker has seen, for idempotent submission (a known id creates nothing).
 *
 * Ids of the form `<prefix>-<n>`, with `n` a decimal number without leading zeros below 2²⁴ (the
 * ids a session numbers in sequence, such as `sma-crossover-17`), are kept as one bit per number
 * under their prefix: checking one costs a few character comparisons and a bit test, where a hash
 * set of every id ever seen costs a lookup in an ever larger table and keeps every id alive. Any
 * other id is kept in a set. Two ids are the same string exactly when they have the same prefix
 * and the same digits, so the answer is the set's answer either way.
 */
export class SeenOrderIds {
  readonly #others = new Set<string>();
  readonly #byPrefix = new Map<string, Uint8Array>();
  /** The prefix of the latest numbered id and its bits (ids of one session share it). */
  #lastPrefix = '';
  #lastBits: Uint8Array | undefined;

  /** Adds `id`; returns false when it had been added before. */
  add(id: string): boolean {
    // The trailing digits, their value, and where they start.
    let i = id.length - 1;
    let n = 0;
    let scale = 1;
    while (i >= 0 && scale <= MAX_SEQUENCE) {
      const c = id.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n += (c - 48) * scale;
      scale *= 10;
      i--;
    }
    const isNumbered = i >= 0 && i < id.length - 1 && id.charCodeAt(i) === 45 && id.charCodeAt(i + 1) !== 48 && n < MAX_SEQUENCE;
    if (!isNumbered) return this.#addOther(id);
    let bits = this.#lastBits;
    if (bits === undefined || i !== this.#lastPrefix.length || !id.startsWith(this.#lastPrefix)) {
      const prefix = id.slice(0, i);
      bits = this.#byPrefix.get(prefix);
      if (bits === undefined) {
        bits = new Uint8Array(64);
        this.#byPrefix.set(prefix, bits);
      }
      this.#lastPrefix = prefix;
      this.#lastBits = bits;
    }
    const byte = n >>> 3;
    if (byte >= bits.length) {
      let size = bits.length;
      while (size <= byte) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(bits);
      bits = bigger;
      this.#byPrefix.set(this.#lastPrefix, bits);
      this.#lastBits = bits;
    }
    const mask = 1 << (n & 7);
    if (((bits[byte] as number) & mask) !== 0) return false;
    bits[byte] = (bits[byte] as number) | mask;
    return true;
  }

  #addOther(id: string): boolean {
    const known = this.#others.size;
    return this.#others.add(id).size !== known;
  }
}
