import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTTwoSidedPValue } from './student-t';

/** Simpson's rule on the Student-t density from 0 to |t|: an independent route to the p-value. */
function integratedTwoSidedP(t: number, df: number): number {
  const density = (x: number) => Math.exp(logGammaBySum((df + 1) / 2) - logGammaBySum(df / 2)) / Math.sqrt(df * Math.PI) * (1 + (x * x) / df) ** (-(df + 1) / 2);
  const steps = 20_000;
  const h = Math.abs(t) / steps;
  let sum = density(0) + density(Math.abs(t));
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * density(i * h);
  return 1 - 2 * ((sum * h) / 3);
}

/** ln Γ by the recurrence Γ(z + 1) = zΓ(z) down to Γ(1/2) = √π or Γ(1) = 1 (half-integers and integers only). */
function logGammaBySum(z: number): number {
  let out = 0;
  let x = z;
  while (x > 1.25) {
    x -= 1;
    out += Math.log(x);
  }
  return out + (Math.abs(x - 0.5) < 1e-12 ? 0.5 * Math.log(Math.PI) : 0);
}

describe('the Student-t distribution', () => {
  it.each([
    // 97.5% and 99.5% points of the t table: two-sided p of 0.05 and 0.01.
    [2.228, 10, 0.05],
    [12.706, 1, 0.05],
    [4.303, 2, 0.05],
    [2.571, 5, 0.05],
    [2.042, 30, 0.05],
    [3.169, 10, 0.01],
    [2.845, 20, 0.01],
    [1.96, 1e7, 0.05],
  ])('gives the table value: t = %d with %d df has two-sided p = %d (to 1e-4)', (t, df, p) => {
    expect(Math.abs(studentTTwoSidedPValue(t, df) - p)).toBeLessThan(1e-4);
    expect(Math.abs(studentTTwoSidedPValue(-t, df) - p)).toBeLessThan(1e-4);
  });

  it.each([0.01, 0.5, 1, 3, 40, 1e6])('matches the closed forms for 1, 2, 3 and 4 df at t = %d', (t) => {
    expect(studentTTwoSidedPValue(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 12);
    expect(studentTTwoSidedPValue(t, 2)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 12);
    const cdf3 = 0.5 + (1 / Math.PI) * (t / (Math.sqrt(3) * (1 + (t * t) / 3)) + Math.atan(t / Math.sqrt(3)));
    expect(studentTCdf(t, 3)).toBeCloseTo(cdf3, 12);
    const u = t / Math.sqrt(4 + t * t);
    expect(studentTCdf(t, 4)).toBeCloseTo(0.5 + (u * (3 - u * u)) / 4, 12);
  });

  it.each([
    [0.7, 5],
    [2.1, 9],
    [1.3, 3],
  ])('agrees with the integrated density at t = %d, %d df', (t, df) => {
    expect(studentTTwoSidedPValue(t, df)).toBeCloseTo(integratedTwoSidedP(t, df), 9);
  });

  it.each([
    // scipy.stats.t (scipy 1.17.1): 2·sf(|t|, df) and cdf(t, df), fractional df included.
    [1.5, 2.5, 0.24783645308629618, 0.8760817734568519],
    [0.7, 7.3, 0.5056171401862584, 0.7471914299068708],
    [4.0, 15, 0.0011593168497611157, 0.9994203415751195],
    [-2.5, 3.7, 0.07182202291182678, 0.03591101145591339],
    [30, 2, 0.001109262681959659, 0.9994453686590201],
  ])('agrees with scipy at t = %d, %d df', (t, df, p, cdf) => {
    expect(studentTTwoSidedPValue(t, df)).toBeCloseTo(p, 12);
    expect(studentTCdf(t, df)).toBeCloseTo(cdf, 12);
  });

  it('keeps the digits of a tiny p-value', () => {
    // scipy: 2·t.sf(10, 1000) = 1.6670702958600137e-22
    expect(studentTTwoSidedPValue(10, 1000) / 1.6670702958600137e-22).toBeCloseTo(1, 8);
  });

  it('is symmetric, 1/2 at 0, and defined at the edges', () => {
    expect(studentTCdf(0, 7)).toBe(0.5);
    expect(studentTTwoSidedPValue(0, 7)).toBe(1);
    expect(studentTCdf(-1.3, 6) + studentTCdf(1.3, 6)).toBeCloseTo(1, 14);
    expect(studentTTwoSidedPValue(Infinity, 3)).toBe(0);
    expect(studentTCdf(-Infinity, 3)).toBe(0);
    expect(studentTTwoSidedPValue(NaN, 3)).toBeNaN();
    expect(studentTTwoSidedPValue(1, 0)).toBeNaN();
    expect(studentTTwoSidedPValue(1, Infinity)).toBeNaN();
  });

  it('computes ln Γ and I_x(a, b) for known values', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(logGamma(0.1)).toBeCloseTo(Math.log(9.513507698668732), 13);
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b.
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.6, 3.5, 1)).toBeCloseTo(0.6 ** 3.5, 14);
    expect(regularizedIncompleteBeta(0.2, 1, 4)).toBeCloseTo(1 - 0.8 ** 4, 14);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    expect(regularizedIncompleteBeta(0.5, -1, 3)).toBeNaN();
  });
});
