import { ConfigError } from '@quantbot/core';
import { normalCdf, normalInverseCdf, normalPdf } from './normal-distribution';

// Reference values computed with mpmath at 40 significant digits (mp.ncdf, mp.npdf, and
// mp.findroot on mp.ncdf for the quantiles), rounded to the nearest double.

function expectRelativelyClose(actual: number, expected: number, tolerance: number): void {
  const error = expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  if (!(error <= tolerance)) {
    throw new Error(`expected ${expected}, got ${actual} (relative error ${error} > ${tolerance})`);
  }
}

describe('normalPdf', () => {
  it.each([
    [0, 0.3989422804014327],
    [1, 0.24197072451914334],
    [-2.5, 0.017528300493568537],
    [10, 7.694598626706419e-23],
    [37, 2.1200065515246056e-298],
  ])('φ(%p) = %p', (x, expected) => {
    expectRelativelyClose(normalPdf(x), expected, 1e-14);
  });

  it('is 0 at ±Infinity and symmetric', () => {
    expect(normalPdf(Infinity)).toBe(0);
    expect(normalPdf(-Infinity)).toBe(0);
    expect(normalPdf(-1.7)).toBe(normalPdf(1.7));
  });
});

describe('normalCdf', () => {
  it.each([
    [-37.5, 4.605353009581955e-308],
    [-30, 4.906713927148187e-198],
    [-20, 2.7536241186062337e-89],
    [-10, 7.619853024160525e-24],
    [-8, 6.220960574271784e-16],
    [-6, 9.86587645037698e-10],
    [-5, 2.866515718791939e-07],
    [-3, 0.0013498980316300946],
    [-2.5, 0.006209665325776135],
    [-2, 0.02275013194817921],
    [-1.96, 0.024997895148220435],
    [-1, 0.15865525393145705],
    [-0.5, 0.3085375387259869],
    [-1e-8, 0.4999999960105772],
    [0, 0.5],
    [0.3, 0.6179114221889527],
    [1, 0.8413447460685429],
    [1.5, 0.9331927987311419],
    [2, 0.9772498680518208],
    [3, 0.9986501019683699],
    [5, 0.9999997133484281],
  ])('Φ(%p) = %p to 1e-12 relative', (x, expected) => {
    expectRelativelyClose(normalCdf(x), expected, 1e-12);
  });

  it('saturates to exactly 0 and 1 at the infinities and rounds to 1 far in the upper tail', () => {
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(9)).toBe(1);
    expect(normalCdf(-40)).toBe(0);
  });

  it('satisfies Φ(x) + Φ(−x) = 1 across the series / continued-fraction boundary', () => {
    for (let x = 0; x <= 6; x += 0.125) {
      expect(Math.abs(normalCdf(x) + normalCdf(-x) - 1)).toBeLessThan(1e-15);
    }
  });

  it('is continuous at the switch between the series and the continued fraction (|x| = 3)', () => {
    const below = normalCdf(-3 + 1e-12);
    const at = normalCdf(-3);
    expectRelativelyClose(below, at, 1e-10);
  });

  it('is monotone on a fine grid', () => {
    let previous = normalCdf(-10);
    for (let x = -10 + 0.01; x <= 10; x += 0.01) {
      const value = normalCdf(x);
      expect(value).toBeGreaterThanOrEqual(previous);
      previous = value;
    }
  });

  it('rejects NaN with a ConfigError naming x', () => {
    expect(() => normalCdf(NaN)).toThrow(ConfigError);
    expect(() => normalCdf(NaN)).toThrow(/^x: /);
  });
});

describe('normalInverseCdf', () => {
  it.each([
    [1e-300, -37.0470962993612],
    [1e-100, -21.273453560965326],
    [1e-20, -9.262340089798407],
    [1e-10, -6.361340902404057],
    [0.001, -3.0902323061678136],
    [0.02425, -1.972961051311885],
    [0.025, -1.9599639845400543],
    [0.05, -1.6448536269514726],
    [0.1, -1.2815515655446004],
    [0.3, -0.5244005127080408],
    [0.7, 0.5244005127080408],
    [0.95, 1.6448536269514726],
    [0.975, 1.9599639845400543],
    [0.99, 2.326347874040841],
    [0.999, 3.0902323061678136],
  ])('Φ⁻¹(%p) = %p to 1e-13 relative', (p, expected) => {
    expectRelativelyClose(normalInverseCdf(p), expected, 1e-13);
  });

  it('is exact at the centre and infinite at 0 and 1', () => {
    expect(normalInverseCdf(0.5)).toBe(0);
    expect(normalInverseCdf(0)).toBe(-Infinity);
    expect(normalInverseCdf(1)).toBe(Infinity);
  });

  it('inverts normalCdf: Φ(Φ⁻¹(p)) = p to 1e-12 relative (in the smaller tail) on a grid', () => {
    for (let i = 1; i < 2000; i++) {
      const p = i / 2000;
      const roundTrip = normalCdf(normalInverseCdf(p));
      expect(Math.abs(roundTrip - p) / Math.min(p, 1 - p)).toBeLessThan(1e-12);
    }
  });

  it('is antisymmetric: Φ⁻¹(1 − p) = −Φ⁻¹(p) for p where 1 − p is exact', () => {
    for (const p of [0.25, 0.125, 0.0625, 0.2, 0.4]) {
      expect(normalInverseCdf(1 - p)).toBeCloseTo(-normalInverseCdf(p), 14);
    }
  });

  it.each([NaN, -0.1, 1.5, Infinity])('rejects p = %p with a ConfigError naming p', (p) => {
    expect(() => normalInverseCdf(p)).toThrow(ConfigError);
    expect(() => normalInverseCdf(p)).toThrow(/^p: /);
  });
});
