import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import fc from 'fast-check';
import { ExactSum } from './exact-sum';
import { exactSumRef, fromScaled, loadOrcl, syntheticBars, toScaled } from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function sumOf(values: readonly number[]): number {
  const s = new ExactSum();
  for (const v of values) s.add(v);
  return s.value();
}

/** Doubles from the whole finite range short of overflow, subnormals and ±0 included. */
const anyDouble = fc.double({ min: -1e300, max: 1e300, noNaN: true });

/** m·2^e with small m and widely spread e: exact sums that land on half-way cases often. */
const tieProne = fc
  .tuple(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), fc.integer({ min: -70, max: 70 }))
  .map(([m, e]) => m * 2 ** e);

describe('exact reference (test support)', () => {
  it('round-trips doubles through the scaled integer form', () => {
    fc.assert(fc.property(anyDouble, (x) => Object.is(fromScaled(toScaled(x)), x === 0 ? 0 : x)));
  });

  it('rounds half-way cases to even', () => {
    // 2^53 + 1 is half-way between 2^53 and 2^53 + 2: even wins.
    expect(fromScaled((2n ** 53n + 1n) << 1074n)).toBe(2 ** 53);
    expect(fromScaled((2n ** 53n + 3n) << 1074n)).toBe(2 ** 53 + 4);
  });
});

describe('ExactSum', () => {
  it('is 0 when empty and after reset', () => {
    const s = new ExactSum();
    expect(s.value()).toBe(0);
    s.add(3.5);
    s.reset();
    expect(s.value()).toBe(0);
    expect(s.partialCount).toBe(0);
  });

  it('keeps what a double cannot: 1e16 + 1 − 1e16 is 1', () => {
    expect(sumOf([1e16, 1, -1e16])).toBe(1);
    expect(sumOf([1, 1e100, 1, -1e100])).toBe(2);
    expect(sumOf(Array.from({ length: 10 }, () => 0.1))).toBe(1);
  });

  it('applies math.fsum’s half-way correction: fsum([1e-16, 1, 1e16]) is 1e16 + 2', () => {
    expect(sumOf([1e-16, 1, 1e16])).toBe(10000000000000002);
    expect(sumOf([1e16, 1, 1e-16])).toBe(10000000000000002);
    // Without the tiny term the tie 1e16 + 1 rounds to even, 1e16.
    expect(sumOf([1e16, 1])).toBe(1e16);
  });

  it('subtract(x) is add(−x) and undoes add exactly', () => {
    const s = new ExactSum();
    s.add(0.1);
    s.add(0.2);
    s.subtract(0.1);
    expect(s.value()).toBe(0.2);
    s.subtract(0.2);
    expect(s.value()).toBe(0);
    expect(s.partialCount).toBe(0);
  });

  it('equals the correctly rounded exact sum for any finite doubles', () => {
    fc.assert(
      fc.property(fc.array(anyDouble, { maxLength: 60 }), (values) => sumOf(values) === exactSumRef(values)),
      { numRuns: 500 },
    );
  });

  it('equals the correctly rounded exact sum on tie-prone values', () => {
    fc.assert(
      fc.property(fc.array(tieProne, { maxLength: 40 }), (values) => sumOf(values) === exactSumRef(values)),
      { numRuns: 1000 },
    );
  });

  it('is order-independent (commutative to the bit)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyDouble, tieProne), { maxLength: 30 }), (values) => {
        const reversed = [...values].reverse();
        const sorted = [...values].sort((a, b) => a - b);
        const v = sumOf(values);
        return Object.is(v, sumOf(reversed)) && Object.is(v, sumOf(sorted));
      }),
    );
  });

  it('stays exact over long sliding windows of price-like values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 400 }),
        (period, cents) => {
          const prices = cents.map((c) => c / 100);
          const s = new ExactSum();
          for (let i = 0; i < prices.length; i++) {
            s.add(prices[i] as number);
            if (i >= period) s.subtract(prices[i - period] as number);
            const window = prices.slice(Math.max(0, i - period + 1), i + 1);
            if (s.value() !== exactSumRef(window)) return false;
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });

  itWithData('stays exact sliding over real and synthetic closes', () => {
    for (const closes of [loadOrcl().close, syntheticBars(2000).close]) {
      const s = new ExactSum();
      const period = 20;
      for (let i = 0; i < closes.length; i++) {
        s.add(closes[i] as number);
        if (i >= period) s.subtract(closes[i - period] as number);
        expect(s.value()).toBe(exactSumRef(closes.slice(Math.max(0, i - period + 1), i + 1)));
      }
      // Keeps few partials: the storage does not grow with the series.
      expect(s.partialCount).toBeLessThan(8);
    }
  });

  it('adds products exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), {
          maxLength: 30,
        }),
        (pairs) => {
          const s = new ExactSum();
          let exact = 0n;
          for (const [a, b] of pairs) {
            s.addProduct(a, b);
            exact += toScaled(a) * toScaled(b);
          }
          // Products are in units of 2^-2148; skip cases where tiny factors underflow.
          const tiny = pairs.some(([a, b]) => a !== 0 && b !== 0 && Math.abs(a * b) < 1e-280);
          return tiny || s.value() === fromScaled(exact, 2148);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('adds a scaled copy of another sum exactly', () => {
    const a = new ExactSum();
    for (const v of [1e16, 1, 0.1]) a.add(v);
    const b = new ExactSum();
    b.addSum(a, 3);
    b.addSum(a, -1);
    expect(b.value()).toBe(exactSumRef([1e16, 1, 0.1, 1e16, 1, 0.1]));
    expect(() => a.addSum(a)).toThrow(RangeError);
  });

  it('grows its storage when an expansion needs many partials', () => {
    const s = new ExactSum(2);
    const values = Array.from({ length: 30 }, (_, i) => 2 ** (i * 60 - 1000));
    for (const v of values) s.add(v);
    expect(s.partialCount).toBe(30);
    expect(s.value()).toBe(exactSumRef(values));
  });

  it('rejects non-finite input and overflow with RangeError', () => {
    const s = new ExactSum();
    expect(() => s.add(NaN)).toThrow(RangeError);
    expect(() => s.add(Infinity)).toThrow(RangeError);
    s.add(Number.MAX_VALUE);
    expect(() => s.add(Number.MAX_VALUE)).toThrow(RangeError);
  });
});
