// ml-regression ships no type declarations: the part of its API Quantbot uses, typed here.
declare module 'ml-regression' {
  import type { AbstractMatrix } from 'ml-matrix';

  /** Options of `MultivariateLinearRegression`: fit an intercept column, compute standard errors. */
  interface MultivariateLinearRegressionOptions {
    readonly intercept?: boolean;
    readonly statistics?: boolean;
  }

  /** Least squares of `y` (one column per output) on `x` (one column per input), solved through an SVD. */
  export class MultivariateLinearRegression {
    constructor(x: number[][] | AbstractMatrix, y: number[][] | AbstractMatrix, options?: MultivariateLinearRegressionOptions);
    /** One row per input (then the intercept, when fitted), one column per output. */
    readonly weights: number[][];
    predict(x: number[]): number[];
  }
}
