import fc from 'fast-check';
import { SequentialIds } from './sequential-ids';

describe('SequentialIds', () => {
  it('gives `${name}-${n}` for every n from 0 through 25,000 in sequence (crossing thousands)', () => {
    const ids = new SequentialIds();
    const wrong: string[] = [];
    for (let n = 0; n <= 25_000; n++) {
      const id = ids.next('sma-crossover', n);
      if (id !== `sma-crossover-${n}`) wrong.push(`${n}: ${id}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives `${name}-${n}` for any name and any whole n, in any order, names interleaved', () => {
    const ids = new SequentialIds();
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.constantFrom('a', 'sma', 'x-1', ''), n: fc.oneof(fc.nat({ max: 3000 }), fc.nat(), fc.maxSafeNat()) }), { minLength: 1, maxLength: 200 }),
        (calls) => {
          for (const { name, n } of calls) expect(ids.next(name, n)).toBe(`${name}-${n}`);
        },
      ),
    );
  });

  it('falls back to the plain conversion for numbers that are not whole, not safe or negative', () => {
    const ids = new SequentialIds();
    for (const n of [-1, 1.5, 2 ** 53, Number.NaN]) expect(ids.next('s', n)).toBe(`s-${n}`);
    // And the thousands cache is not confused by them.
    expect(ids.next('s', 1234)).toBe('s-1234');
    expect(ids.next('s', 1235)).toBe('s-1235');
    expect(ids.next('t', 1236)).toBe('t-1236');
  });
});
