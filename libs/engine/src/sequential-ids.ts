/** `String(i)` for 0..999. */
const PLAIN = Array.from({ length: 1000 }, (_, i) => String(i));
/** `String(i)` padded with zeros to three digits, for 0..999. */
const PADDED = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * Makes the ids `<name>-<n>` of a session's numbered orders, the same strings as
 * `` `${name}-${n}` ``, without converting a number to a string per order.
 *
 * Why: V8 keeps the strings it makes of numbers in a cache (a few thousand of them on a small
 * heap, more on a larger one), and that cache holds each order's digits alive across young
 * collections until it is overwritten, so every id's digits were copied and promoted to the old
 * generation: about 25 bytes an order, and the survivors made each young collection of an
 * order-heavy backtest three times as long (measured with `--trace-gc-nvp`; see
 * docs/benchmarks.md). Here the leading digits are converted once per thousand orders and the last
 * three come from a table made once.
 */
export class SequentialIds {
  #name = '';
  #thousands = -1;
  #head = '';

  /** The id of order number `n` (a whole number, 0 or more) of `name`. */
  next(name: string, n: number): string {
    if (!(Number.isSafeInteger(n) && n >= 0)) return `${name}-${n}`;
    if (n < 1000) return `${name}-${PLAIN[n] as string}`;
    const thousands = Math.floor(n / 1000);
    if (thousands !== this.#thousands || name !== this.#name) {
      this.#head = `${name}-${thousands}`;
      this.#thousands = thousands;
      this.#name = name;
    }
    return this.#head + (PADDED[n - thousands * 1000] as string);
  }
}
