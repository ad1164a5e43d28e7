/*
 * JSON text written straight into UTF-8 bytes, for the run journal's lines: the same bytes as
 * `TextEncoder` makes of `JSON.stringify`'s text for the same values, without making the text.
 * A backtest writes a line for every decision and order step (hundreds of thousands in a long
 * run); as strings, each line was an object, a string, a joined piece and an encoding.
 */

const ENCODER = new TextEncoder();

/** The bytes of `null`; then the quote, backslash, point, minus sign and zero. */
const NULL_BYTES = Uint8Array.of(110, 117, 108, 108);
const QUOTE = 34;
const BACKSLASH = 92;
const DOT = 46;
const MINUS = 45;
const ZERO = 48;

/** Decimal places a number is tried at before `JSON.stringify` writes it (see {@link JsonBytes.number}). */
const PLACES = 6;
const SCALE = 1e6;
/** Numbers below this are tried at {@link PLACES} places: their scaled integer stays below 1e15. */
const SCALED_BELOW = 1e9;
/** Integers below this are written by their digits (at most 15: every one is its own shortest form). */
const INTEGER_BELOW = 1e15;
/** Text up to this long is copied unit by unit while it is ASCII, rather than handed to the encoder. */
const ASCII_COPY_MAX = 256;

/**
 * A growing buffer of UTF-8 bytes that JSON values are written into, each exactly as
 * `JSON.stringify` writes it (then encoded as UTF-8): strings escaped as it escapes them, numbers
 * in their shortest round-trip form, non-finite numbers as `null`. Punctuation and keys go in as
 * {@link JsonBytes.ascii} fragments made once.
 *
 * Numbers: a number with at most six decimal places (below 1e9) or an integer (below 1e15) is
 * written from its digits (it has at most 15 significant digits, so no shorter decimal reads back
 * as the same number: its digits are the shortest form `JSON.stringify` prints); any other
 * number is written by `JSON.stringify`.
 *
 * @example
 * const out = new JsonBytes();
 * out.fragment(JsonBytes.ascii('{"price":'));
 * out.number(127.32);
 * out.byte(0x7d); // }
 * new TextDecoder().decode(out.view()) === '{"price":127.32}';
 */
export class JsonBytes {
  #bytes: Uint8Array;
  #at = 0;

  /** `capacity`: the bytes held before the buffer first grows (default 64 KiB). */
  constructor(capacity = 1 << 16) {
    this.#bytes = new Uint8Array(Number.isFinite(capacity) ? Math.max(64, Math.floor(capacity)) : 1 << 16);
  }

  /** The bytes of ASCII text (a key, punctuation), to write with {@link JsonBytes.fragment}. Throws a `RangeError` on a character beyond ASCII. */
  static ascii(text: string): Uint8Array {
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) throw new RangeError(`JsonBytes.ascii: ${JSON.stringify(text)} is not ASCII (character ${i})`);
      bytes[i] = c;
    }
    return bytes;
  }

  /** Bytes written since the last {@link JsonBytes.reset}. */
  get length(): number {
    return this.#at;
  }

  /** The bytes written since the last reset: a view of the buffer, valid until the next write or reset. */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#at);
  }

  /** Starts again at no bytes (the buffer is kept). */
  reset(): void {
    this.#at = 0;
  }

  /** One byte (ASCII punctuation such as `}` or a line feed). */
  byte(value: number): void {
    if (this.#at === this.#bytes.length) this.#grow(1);
    this.#bytes[this.#at++] = value;
  }

  /** Bytes made by {@link JsonBytes.ascii} (or any UTF-8), as they are. */
  fragment(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.#at + n > this.#bytes.length) this.#grow(n);
    const out = this.#bytes;
    let at = this.#at;
    for (let i = 0; i < n; i++) out[at++] = bytes[i] as number;
    this.#at = at;
  }

  /** `JSON.stringify(value)` of a string: quoted, with `"`, `\`, control characters and lone surrogates escaped. */
  string(value: string): void {
    const n = value.length;
    if (this.#at + n + 2 > this.#bytes.length) this.#grow(n + 2);
    const out = this.#bytes;
    let at = this.#at;
    out[at++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      // Printable ASCII but for the quote and the backslash: as it is. Anything else: JSON.stringify's text.
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) {
        this.#encoded(JSON.stringify(value));
        return;
      }
      out[at++] = c;
    }
    out[at++] = QUOTE;
    this.#at = at;
  }

  /**
   * A member of an object being written: `key` (the bytes of `,"name":` or `{"name":`, made by
   * {@link JsonBytes.ascii}) then `value` as `JSON.stringify` writes a member's value: numbers
   * and strings as {@link JsonBytes.number} and {@link JsonBytes.string}, anything else
   * (booleans, arrays, objects, boxed values) by `JSON.stringify`; nothing at all, key
   * included, for a value `JSON.stringify` leaves out (`undefined`, a function, a symbol).
   * Throws what `JSON.stringify` throws (a `BigInt`, a cycle).
   */
  member(key: Uint8Array, value: unknown): void {
    if (typeof value === 'number') {
      this.fragment(key);
      this.number(value);
    } else if (typeof value === 'string') {
      this.fragment(key);
      this.string(value);
    } else if (value === null) {
      this.fragment(key);
      this.fragment(NULL_BYTES);
    } else {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) return;
      this.fragment(key);
      this.#encoded(text);
    }
  }

  /** Drops the bytes after the first `length` (such as a line left half written by a throw). */
  truncate(length: number): void {
    if (length >= 0 && length < this.#at) this.#at = Math.floor(length);
  }

  /** `JSON.stringify(value)` of a number: `null` when it is not finite (or not a number at all), `0` for `-0`. */
  number(value: number | null | undefined): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fragment(NULL_BYTES);
      return;
    }
    // The longest: `-` and 15 digits and a point; JSON.stringify's own text is at most 24 characters.
    if (this.#at + 24 > this.#bytes.length) this.#grow(24);
    if (value === 0) {
      this.#bytes[this.#at++] = ZERO;
      return;
    }
    const magnitude = value < 0 ? -value : value;
    if (magnitude < SCALED_BELOW) {
      const scaled = Math.round(magnitude * SCALE);
      // The division is correctly rounded: equal means `value` is the double nearest the decimal.
      if (scaled / SCALE === magnitude) {
        const whole = Math.floor(scaled / SCALE);
        this.#decimal(value < 0, whole, scaled - whole * SCALE);
        return;
      }
    } else if (magnitude < INTEGER_BELOW && Math.floor(magnitude) === magnitude) {
      this.#decimal(value < 0, magnitude, 0);
      return;
    }
    this.#encoded(JSON.stringify(value));
  }

  /**
   * Writes `whole + millionths / 1e6` (`whole` below 1e15, `millionths` a whole number below 1e6)
   * as JSON writes it: the whole part's digits, then a point and the fraction's digits without
   * trailing zeros, if any.
   */
  #decimal(negative: boolean, whole: number, millionths: number): void {
    const out = this.#bytes;
    let at = this.#at;
    if (negative) out[at++] = MINUS;
    let fraction = millionths;
    at = writeWhole(out, at, whole);
    if (fraction !== 0) {
      let places = PLACES;
      while (fraction % 10 === 0) {
        fraction /= 10;
        places--;
      }
      out[at++] = DOT;
      for (let i = places - 1; i >= 0; i--) {
        out[at + i] = ZERO + (fraction % 10);
        fraction = (fraction - (fraction % 10)) / 10;
      }
      at += places;
    }
    this.#at = at;
  }

  /**
   * Text (a JSON.stringify result, well-formed) encoded as UTF-8. Short ASCII text (every number's,
   * most members') is copied unit by unit: a call of `TextEncoder.encodeInto` cost about 60 ns more
   * than the copy of a number's 17 characters (see docs/benchmarks.md). Text beyond ASCII, or long,
   * goes to the encoder.
   */
  #encoded(text: string): void {
    const n = text.length;
    const most = n * 3;
    if (this.#at + most > this.#bytes.length) this.#grow(most);
    const out = this.#bytes;
    const start = this.#at;
    if (n <= ASCII_COPY_MAX) {
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c > 0x7f) break;
        out[start + i] = c;
      }
      if (i === n) {
        this.#at = start + n;
        return;
      }
    }
    this.#at = start + ENCODER.encodeInto(text, out.subarray(start)).written;
  }

  #grow(needed: number): void {
    const bigger = new Uint8Array(Math.max(this.#bytes.length * 2, this.#at + needed));
    bigger.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = bigger;
  }
}

/** The digits of a whole number below 1e15 (no sign), at `at`; returns where they end. */
function writeWhole(out: Uint8Array, at: number, whole: number): number {
  let digits = 1;
  for (let rest = whole; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let rest = whole;
  for (let i = digits - 1; i >= 0; i--) {
    const next = Math.floor(rest / 10);
    out[at + i] = ZERO + (rest - next * 10);
    rest = next;
  }
  return at + digits;
}
