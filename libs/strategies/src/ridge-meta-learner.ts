import type * as MlMatrix from 'ml-matrix';

/** The part of `ml-regression`'s API used here: least squares solved through an SVD. */
interface MlRegression {
  readonly MultivariateLinearRegression: new (
    x: number[][],
    y: number[][],
    options: { readonly intercept: boolean; readonly statistics: boolean },
  ) => { readonly weights: number[][] };
}

let mlRegression: MlRegression | undefined;

/**
 * ml-regression, loaded on the first fit (it ships no type declarations, so it is loaded with the
 * type above): a run that never fits a meta-learner does not pay for loading it.
 */
function loadMlRegression(): MlRegression {
  mlRegression ??= require('ml-regression') as MlRegression;
  return mlRegression;
}

/** ml-matrix, loaded on the first fit like ml-regression: a run of another strategy does not load it. */
function loadMlMatrix(): typeof MlMatrix {
  return require('ml-matrix') as typeof MlMatrix;
}

/**
 * Why the meta-learner could not fit, as a stable code: a non-finite sample, fewer samples than
 * asked for, member signals that are constant or collinear over the window, or a constant return
 * or coefficients that are not finite (or all zero).
 */
export type MetaLearnerFallbackReason = 'non-finite-input' | 'too-few-samples' | 'singular' | 'invalid-output';

/** Options of {@link fitRidgeWeights}. */
export interface RidgeFitOptions {
  /** Penalty per sample: the fit minimizes mean((y − ŷ)²) + lambda · ‖w‖², lambda ≥ 0 (0: least squares). */
  readonly lambda: number;
  /** Fewest samples the fit accepts. */
  readonly minSamples: number;
  /** One name per column of `x`, for messages. */
  readonly memberNames: readonly string[];
  /** Condition number of the centred signal covariance above which the fit is refused (default 1e10). */
  readonly maxCondition?: number;
}

/** A successful fit: the member weights and what they came from. */
export interface RidgeFitted {
  readonly ok: true;
  /** The coefficients divided by the sum of their absolute values (so Σ|w| = 1). */
  readonly weights: readonly number[];
  /** The ridge coefficients as fitted, in units of forward return per unit of signal. */
  readonly coefficients: readonly number[];
  readonly intercept: number;
  readonly samples: number;
  /** Condition number of the centred signal covariance. */
  readonly condition: number;
}

/** A refused fit: why, in a code and a sentence; `row` is the offending sample for `non-finite-input`. */
export interface RidgeRefused {
  readonly ok: false;
  readonly reason: MetaLearnerFallbackReason;
  readonly detail: string;
  readonly row?: number;
}

/** The outcome of {@link fitRidgeWeights}. */
export type RidgeFit = RidgeFitted | RidgeRefused;

const DEFAULT_MAX_CONDITION = 1e10;

/**
 * Fits ridge regression of `y` (a forward return per sample) on the member signals in `x` (row
 * major, `rows` × `memberNames.length`) with `MultivariateLinearRegression` of `ml-regression`, and
 * returns the coefficients as member weights normalised to Σ|w| = 1 (a return forecast's scale is
 * not a signal's; its direction is). The intercept is fitted and not penalised: signals and
 * returns are centred, and the penalty enters as `k` extra rows `sqrt(rows · lambda) · I` with
 * target 0, so the solution is (XᵀX + rows·lambda·I)⁻¹ Xᵀy on the centred data.
 *
 * It refuses, in this order: a non-finite value in `x` or `y` (`non-finite-input`, naming the
 * row), fewer than `minSamples` rows (`too-few-samples`), a centred signal covariance that is
 * singular or whose condition number exceeds `maxCondition` (`singular`: a constant member, or
 * members that move together), and a constant return or coefficients that are not finite or all
 * zero (`invalid-output`).
 */
export function fitRidgeWeights(x: ArrayLike<number>, y: ArrayLike<number>, rows: number, options: RidgeFitOptions): RidgeFit {
  const names = options.memberNames;
  const k = names.length;
  for (let i = 0; i < rows; i++) {
    if (!Number.isFinite(y[i] as number)) return refuse('non-finite-input', `the forward return of sample ${i} is ${String(y[i])}`, i);
    for (let j = 0; j < k; j++) {
      const v = x[i * k + j] as number;
      if (!Number.isFinite(v)) return refuse('non-finite-input', `the ${names[j] as string} signal of sample ${i} is ${String(v)}`, i);
    }
  }
  if (rows < options.minSamples) return refuse('too-few-samples', `${rows} sample(s), fewer than minSamples ${options.minSamples}`);

  const meanX = new Float64Array(k);
  let meanY = 0;
  for (let i = 0; i < rows; i++) {
    meanY += y[i] as number;
    for (let j = 0; j < k; j++) meanX[j] = (meanX[j] as number) + (x[i * k + j] as number);
  }
  meanY /= rows;
  for (let j = 0; j < k; j++) meanX[j] = (meanX[j] as number) / rows;

  const design: number[][] = [];
  const target: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row = new Array<number>(k);
    for (let j = 0; j < k; j++) row[j] = (x[i * k + j] as number) - (meanX[j] as number);
    design.push(row);
    target.push([(y[i] as number) - meanY]);
  }

  // The covariance of the centred signals decides whether the signals can be told apart at all.
  const { Matrix, SingularValueDecomposition } = loadMlMatrix();
  const covariance = new Matrix(k, k);
  for (const row of design) {
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) covariance.set(a, b, covariance.get(a, b) + (row[a] as number) * (row[b] as number));
  }
  const constant = names.filter((_, j) => isConstantColumn(x, rows, k, j));
  if (constant.length > 0) return refuse('singular', `the ${constant.join(', ')} signal is constant over the window, so the signal matrix is singular`);
  const condition = new SingularValueDecomposition(covariance.div(rows), { autoTranspose: true }).condition;
  const maxCondition = options.maxCondition ?? DEFAULT_MAX_CONDITION;
  if (!(condition <= maxCondition)) {
    return refuse('singular', `the signal matrix is singular or ill-conditioned (condition number ${condition.toExponential(2)}, above ${maxCondition.toExponential(0)})`);
  }

  // Centring a constant return leaves rounding noise, whose fitted direction would be arbitrary.
  if (isConstantColumn(y, rows, 1, 0)) return refuse('invalid-output', `every forward return is ${String(y[0])}, so there is no direction to learn`);
  const penalty = Math.sqrt(rows * options.lambda);
  for (let j = 0; j < k; j++) {
    const row = new Array<number>(k).fill(0);
    row[j] = penalty;
    design.push(row);
    target.push([0]);
  }
  const { MultivariateLinearRegression } = loadMlRegression();
  const regression = new MultivariateLinearRegression(design, target, { intercept: false, statistics: false });
  const coefficients = regression.weights.map((w) => w[0] as number);
  const total = coefficients.reduce((sum, c) => sum + Math.abs(c), 0);
  if (coefficients.length !== k || !Number.isFinite(total) || total === 0) {
    return refuse('invalid-output', `the fitted coefficients are not usable (${coefficients.map(String).join(', ')})`);
  }
  const intercept = meanY - coefficients.reduce((sum, c, j) => sum + c * (meanX[j] as number), 0);
  return Object.freeze({
    ok: true,
    weights: Object.freeze(coefficients.map((c) => c / total)),
    coefficients: Object.freeze(coefficients),
    intercept,
    samples: rows,
    condition,
  });
}

function isConstantColumn(x: ArrayLike<number>, rows: number, k: number, j: number): boolean {
  const first = x[j] as number;
  for (let i = 1; i < rows; i++) if ((x[i * k + j] as number) !== first) return false;
  return true;
}

function refuse(reason: MetaLearnerFallbackReason, detail: string, row?: number): RidgeRefused {
  return Object.freeze(row === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, row });
}
