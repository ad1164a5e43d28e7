import fc from 'fast-check';
import { RollingExtreme } from './rolling-extreme';

describe('RollingExtreme', () => {
  it('tracks the highest and lowest of the last `period` values', () => {
    const max = new RollingExtreme(3, 'max');
    const min = new RollingExtreme(3, 'min');
    const seen: [number, number][] = [];
    for (const v of [5, 1, 3, 2, 2, 8, 0]) {
      max.push(v);
      min.push(v);
      seen.push([max.value, min.value]);
    }
    expect(seen).toEqual([
      [5, 5],
      [5, 1],
      [5, 1],
      [3, 1],
      [3, 2],
      [8, 2],
      [8, 0],
    ]);
  });

  it('is NaN when empty and full after `period` pushes', () => {
    const r = new RollingExtreme(2, 'max');
    expect(r.value).toBeNaN();
    r.push(1);
    expect(r.isFull).toBe(false);
    r.push(1);
    expect(r.isFull).toBe(true);
    r.reset();
    expect(r.value).toBeNaN();
    expect(r.isFull).toBe(false);
  });

  it('equals the brute-force window extreme for any sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 200 }),
        (period, values) => {
          const max = new RollingExtreme(period, 'max');
          const min = new RollingExtreme(period, 'min');
          return values.every((v, i) => {
            max.push(v);
            min.push(v);
            const w = values.slice(Math.max(0, i - period + 1), i + 1);
            return max.value === Math.max(...w) && min.value === Math.min(...w);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
