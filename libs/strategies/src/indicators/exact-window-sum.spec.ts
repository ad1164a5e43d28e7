import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import fc from 'fast-check';
import { ExactWindowSum } from './exact-window-sum';
import { exactSumRef, loadOrcl, windowAt } from './reference.spec-helper';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

function check(capacity: number, values: readonly number[]): ExactWindowSum {
  const sum = new ExactWindowSum(capacity);
  values.forEach((v, i) => {
    sum.push(v);
    const window = windowAt(values, i, Math.min(capacity, i + 1));
    expect(sum.value()).toBe(exactSumRef(window));
  });
  return sum;
}

describe('ExactWindowSum', () => {
  itWithData('equals the correctly rounded window sum on real prices, on its fast path', () => {
    const sum = check(30, loadOrcl().close);
    expect(sum.usesExpansion).toBe(false);
  });

  it('switches to the expansion, and stays exact, when values span too many magnitudes', () => {
    const sum = check(3, [1e16, 1, -1e16, 1e-16, 3, 1e300, 2, -1e300, 5, 7]);
    expect(sum.usesExpansion).toBe(true);
  });

  it('switches on the full window as on the filling one: the value stays exact either way', () => {
    const values = [1, 2, 3, 1e300, 1e-300, 5, 7, -1e300, 11];
    const sum = new ExactWindowSum(2);
    values.forEach((v, i) => {
      sum.push(v);
      expect(sum.value()).toBe(exactSumRef(windowAt(values, i, Math.min(2, i + 1))));
      // Full from the second value; 1e-300 beside 1e300 is the first sum two doubles cannot hold.
      expect(sum.usesExpansion).toBe(i >= 4);
    });
  });

  it('rounds half-way cases to even like math.fsum', () => {
    // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: to even gives 2^53.
    check(2, [2 ** 53, 1, 1, 2 ** 53]);
  });

  it('equals the exact reference for any values and window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -1000, max: 1000 }).map((n) => n / 100)), {
          minLength: 1,
          maxLength: 80,
        }),
        (capacity, values) => {
          const sum = new ExactWindowSum(capacity);
          return values.every((v, i) => {
            sum.push(v);
            return sum.value() === exactSumRef(windowAt(values, i, Math.min(capacity, i + 1)));
          });
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });

  it('returns to the fast path after reset', () => {
    const sum = check(2, [1e300, 1e-300, 1]);
    expect(sum.usesExpansion).toBe(true);
    sum.reset();
    expect(sum.usesExpansion).toBe(false);
    check(2, [1, 2, 3]);
  });
});
