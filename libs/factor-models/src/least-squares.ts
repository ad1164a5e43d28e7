import MultivariateLinearRegression from 'ml-regression-multivariate-linear';
import { studentTTwoSidedPValue } from './student-t';

/**
 * A regressor whose standard deviation is at most this share of its largest absolute value is
 * constant: with the intercept it carries no information.
 */
export const CONSTANT_TOLERANCE = 1e-12;

/**
 * A regressor explained by the intercept and the regressors kept before it with
 * 1 − R² below this is collinear with them: its coefficient is not identified.
 */
export const COLLINEAR_TOLERANCE = 1e-8;

/**
 * A fit whose residuals' root mean square is at most this share of the largest |y| is exact:
 * what is left is rounding, so the standard errors are 0 and the t-statistics undefined.
 */
export const EXACT_FIT_TOLERANCE = 1e-12;

/** Why a regressor was left out of a fit. */
export type DroppedRegressorReason = 'constant' | 'collinear';

/**
 * An ordinary least squares fit y = a + Σ bⱼ xⱼ + e. Coefficients are `NaN` for a dropped
 * regressor; every statistic is `NaN` where it is not defined.
 */
export interface LeastSquaresFit {
  /** The number of observations. */
  readonly n: number;
  /** True when at least one regressor was kept and n ≥ (kept regressors) + 2, so that df ≥ 1. */
  readonly defined: boolean;
  /** The regressors left out, by index, in order, and why. */
  readonly dropped: readonly { readonly index: number; readonly reason: DroppedRegressorReason }[];
  readonly intercept: number;
  readonly interceptStandardError: number;
  /** a / its standard error, and the two-sided p-value. */
  readonly interceptTStat: number;
  readonly interceptPValue: number;
  /** Per regressor (by index): bⱼ, its standard error, t = bⱼ / se and the two-sided p-value. */
  readonly coefficients: Float64Array;
  readonly standardErrors: Float64Array;
  readonly tStats: Float64Array;
  readonly pValues: Float64Array;
  /** 1 − SSR / SST; `NaN` when y is constant (its deviations within {@link EXACT_FIT_TOLERANCE}). */
  readonly rSquared: number;
  /** √(SSR / df), the residual standard deviation. */
  readonly residualStd: number;
  /** n − (kept regressors) − 1. */
  readonly df: number;
}

/**
 * Fits y on `regressors` (each as long as y, all values finite) with an intercept. A regressor is
 * dropped as `constant` when its standard deviation is at most {@link CONSTANT_TOLERANCE} of its
 * largest absolute value, and as `collinear` when the intercept and the regressors kept before
 * it explain it with 1 − R² < {@link COLLINEAR_TOLERANCE} (a Gram–Schmidt pass over the centred,
 * scaled columns, in the order given: of two identical regressors the second is dropped). The
 * kept ones are fitted by ml-regression's multivariate linear regression (normal equations);
 * standard errors are √(σ̂² (XᵀX)⁻¹ⱼⱼ) with σ̂² = SSR / (n − p), p counting the intercept,
 * and 0 for an exact fit ({@link EXACT_FIT_TOLERANCE}), whose t-statistics are then `NaN`.
 */
export function fitLeastSquares(regressors: readonly Float64Array[], y: Float64Array): LeastSquaresFit {
  const n = y.length;
  const k = regressors.length;
  const dropped: { index: number; reason: DroppedRegressorReason }[] = [];
  const kept: number[] = [];
  const basis: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const x = regressors[j] as Float64Array;
    let mean = 0;
    let maxAbs = 0;
    for (let i = 0; i < n; i++) {
      mean += x[i] as number;
      maxAbs = Math.max(maxAbs, Math.abs(x[i] as number));
    }
    mean /= n;
    const v = new Float64Array(n);
    let norm2 = 0;
    for (let i = 0; i < n; i++) {
      v[i] = (x[i] as number) - mean;
      norm2 += (v[i] as number) ** 2;
    }
    if (n === 0 || Math.sqrt(norm2 / n) <= CONSTANT_TOLERANCE * maxAbs) {
      dropped.push({ index: j, reason: 'constant' });
      continue;
    }
    const scale = 1 / Math.sqrt(norm2);
    for (let i = 0; i < n; i++) v[i] = (v[i] as number) * scale;
    // Modified Gram–Schmidt: what is left of the unit column after removing the kept ones is
    // the part the others do not explain; its squared norm is 1 − R².
    for (const q of basis) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (q[i] as number) * (v[i] as number);
      for (let i = 0; i < n; i++) v[i] = (v[i] as number) - dot * (q[i] as number);
    }
    let rest = 0;
    for (let i = 0; i < n; i++) rest += (v[i] as number) ** 2;
    if (rest < COLLINEAR_TOLERANCE) {
      dropped.push({ index: j, reason: 'collinear' });
      continue;
    }
    const unit = 1 / Math.sqrt(rest);
    for (let i = 0; i < n; i++) v[i] = (v[i] as number) * unit;
    basis.push(v);
    kept.push(j);
  }

  const p = kept.length + 1;
  const df = n - p;
  const coefficients = new Float64Array(k).fill(NaN);
  const standardErrors = new Float64Array(k).fill(NaN);
  const tStats = new Float64Array(k).fill(NaN);
  const pValues = new Float64Array(k).fill(NaN);
  const undefinedFit = { n, defined: false, dropped, intercept: NaN, interceptStandardError: NaN, interceptTStat: NaN, interceptPValue: NaN, coefficients, standardErrors, tStats, pValues, rSquared: NaN, residualStd: NaN, df };
  if (kept.length === 0 || df < 1) return undefinedFit;

  const x: number[][] = new Array<number[]>(n);
  const target: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(kept.length);
    for (let c = 0; c < kept.length; c++) row[c] = (regressors[kept[c] as number] as Float64Array)[i] as number;
    x[i] = row;
    target[i] = [y[i] as number];
  }
  const model = new MultivariateLinearRegression(x, target, { intercept: true, statistics: true });
  const intercept = (model.weights[kept.length] as number[])[0] as number;
  kept.forEach((j, c) => (coefficients[j] = (model.weights[c] as number[])[0] as number));

  let ssr = 0;
  let meanY = 0;
  let maxAbsY = 0;
  for (let i = 0; i < n; i++) {
    meanY += y[i] as number;
    maxAbsY = Math.max(maxAbsY, Math.abs(y[i] as number));
  }
  meanY /= n;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    let fitted = intercept;
    for (let c = 0; c < kept.length; c++) fitted += (coefficients[kept[c] as number] as number) * ((x[i] as number[])[c] as number);
    ssr += ((y[i] as number) - fitted) ** 2;
    sst += ((y[i] as number) - meanY) ** 2;
  }
  const exact = Math.sqrt(ssr / n) <= EXACT_FIT_TOLERANCE * maxAbsY;
  if (exact) ssr = 0;
  const residualStd = Math.sqrt(ssr / df);
  // ml-regression reports t = 0 where the standard error is 0; here that t is undefined.
  kept.forEach((j, c) => {
    const se = exact ? 0 : (model.stdErrors[c] as number);
    standardErrors[j] = se;
    const t = se > 0 ? (coefficients[j] as number) / se : NaN;
    tStats[j] = t;
    pValues[j] = studentTTwoSidedPValue(t, df);
  });
  const interceptStandardError = exact ? 0 : (model.stdErrors[kept.length] as number);
  const interceptTStat = interceptStandardError > 0 ? intercept / interceptStandardError : NaN;
  return {
    n,
    defined: true,
    dropped,
    intercept,
    interceptStandardError,
    interceptTStat,
    interceptPValue: studentTTwoSidedPValue(interceptTStat, df),
    coefficients,
    standardErrors,
    tStats,
    pValues,
    rSquared: Math.sqrt(sst / n) > EXACT_FIT_TOLERANCE * maxAbsY ? 1 - ssr / sst : NaN,
    residualStd,
    df,
  };
}
