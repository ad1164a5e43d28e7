import { SeededRng } from '@quantbot/core';
import { fitLeastSquares } from './least-squares';
import { referenceOls } from './reference-ols.spec-helper';
import { studentTTwoSidedPValue } from './student-t';

const column = (values: readonly number[]) => Float64Array.from(values);

describe('fitLeastSquares', () => {
  it('matches a hand-computed fit of y on one regressor (b = Sxy / Sxx, a = ȳ − b x̄)', () => {
    const x = [1, 2, 3, 4, 5];
    const y = [2.1, 3.9, 6.2, 7.8, 10.1];
    // x̄ = 3, ȳ = 6.02, Sxx = 10, Sxy = 19.9, Syy = 39.708: b = 1.99, a = 0.05; residuals 0.06, −0.13, 0.18, −0.21, 0.1.
    const fit = fitLeastSquares([column(x)], column(y));
    expect(fit.coefficients[0]).toBeCloseTo(1.99, 12);
    expect(fit.intercept).toBeCloseTo(0.05, 12);
    const ssr = 0.06 ** 2 + 0.13 ** 2 + 0.18 ** 2 + 0.21 ** 2 + 0.1 ** 2;
    expect(fit.residualStd).toBeCloseTo(Math.sqrt(ssr / 3), 12);
    expect(fit.standardErrors[0]).toBeCloseTo(Math.sqrt(ssr / 3 / 10), 12);
    expect(fit.interceptStandardError).toBeCloseTo(Math.sqrt((ssr / 3) * (1 / 5 + 9 / 10)), 12);
    expect(fit.rSquared).toBeCloseTo(1 - ssr / 39.708, 12);
    expect(fit.df).toBe(3);
    expect(fit.tStats[0]).toBeCloseTo(1.99 / Math.sqrt(ssr / 30), 10);
    expect(fit.pValues[0]).toBeCloseTo(studentTTwoSidedPValue(1.99 / Math.sqrt(ssr / 30), 3), 12);
  });

  it('matches the normal equations solved by Gauss–Jordan for three regressors', () => {
    const rng = new SeededRng(3);
    const n = 40;
    const xs = [0, 1, 2].map(() => Array.from({ length: n }, () => rng.nextNormal()));
    const y = Array.from({ length: n }, (_, i) => 0.3 + 1.5 * (xs[0]?.[i] as number) - 0.7 * (xs[1]?.[i] as number) + 0.1 * rng.nextNormal());
    const fit = fitLeastSquares(xs.map(column), column(y));
    const reference = referenceOls(xs, y);
    expect(fit.intercept).toBeCloseTo(reference.coefficients[0] as number, 12);
    xs.forEach((_, j) => {
      expect(fit.coefficients[j]).toBeCloseTo(reference.coefficients[j + 1] as number, 12);
      expect(fit.standardErrors[j]).toBeCloseTo(reference.standardErrors[j + 1] as number, 12);
    });
    expect(fit.interceptStandardError).toBeCloseTo(reference.standardErrors[0] as number, 12);
    expect(fit.rSquared).toBeCloseTo(reference.rSquared, 12);
    expect(fit.residualStd).toBeCloseTo(reference.residualStd, 12);
    expect(fit.dropped).toEqual([]);
  });

  it('drops a constant regressor and a collinear one, fitting the rest', () => {
    const x1 = [0.5, -1.2, 0.3, 2.2, -0.4, 1.1, -0.9];
    const constant = x1.map(() => 0.1);
    const collinear = x1.map((v) => 3 - 2 * v);
    const y = [1.2, -0.8, 0.9, 3.1, 0.2, 2.0, -0.1];
    const fit = fitLeastSquares([column(x1), column(constant), column(collinear)], column(y));
    expect(fit.dropped).toEqual([
      { index: 1, reason: 'constant' },
      { index: 2, reason: 'collinear' },
    ]);
    const alone = referenceOls([x1], y);
    expect(fit.defined).toBe(true);
    expect(fit.coefficients[0]).toBeCloseTo(alone.coefficients[1] as number, 12);
    expect(fit.coefficients[1]).toBeNaN();
    expect(fit.coefficients[2]).toBeNaN();
    expect(fit.df).toBe(5);
  });

  it('keeps the first of two identical regressors', () => {
    const x = [1, 4, 2, 8, 5];
    expect(fitLeastSquares([column(x), column(x)], column([1, 2, 3, 4, 6])).dropped).toEqual([{ index: 1, reason: 'collinear' }]);
  });

  it('is undefined without a regressor left or without a residual degree of freedom', () => {
    expect(fitLeastSquares([column([2, 2, 2, 2])], column([1, 2, 3, 4])).defined).toBe(false);
    const twoPoints = fitLeastSquares([column([1, 2])], column([3, 5]));
    expect(twoPoints.defined).toBe(false);
    expect(twoPoints.coefficients[0]).toBeNaN();
  });

  it('gives a t of NaN (not 0) for a perfect fit, and R² NaN for a constant y', () => {
    const perfect = fitLeastSquares([column([1, 2, 3, 4])], column([3, 5, 7, 9]));
    expect(perfect.coefficients[0]).toBeCloseTo(2, 10);
    expect(perfect.standardErrors[0]).toBe(0);
    expect(perfect.tStats[0]).toBeNaN();
    expect(perfect.interceptTStat).toBeNaN();
    expect(perfect.rSquared).toBe(1);
    const flat = fitLeastSquares([column([1, 2, 3, 4])], column([5, 5, 5, 5]));
    expect(flat.rSquared).toBeNaN();
    expect(fitLeastSquares([column([1, 2, 3, 4])], column([0.1, 0.1, 0.1, 0.1])).rSquared).toBeNaN();
  });
});
