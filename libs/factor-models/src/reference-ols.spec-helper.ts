/**
 * Ordinary least squares written for the tests, independently of the library: the normal
 * equations (XᵀX)b = Xᵀy solved by Gauss–Jordan elimination with partial pivoting, the
 * intercept as the first column. Returns the coefficients [a, b₁, ...], their standard errors
 * √(σ̂²(XᵀX)⁻¹ⱼⱼ) with σ̂² = SSR / (n − p), R² and σ̂.
 */
export function referenceOls(columns: readonly (readonly number[])[], y: readonly number[]): { coefficients: number[]; standardErrors: number[]; rSquared: number; residualStd: number } {
  const n = y.length;
  const design = Array.from({ length: n }, (_, i) => [1, ...columns.map((c) => c[i] as number)]);
  const p = columns.length + 1;
  const xtx = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => design.reduce((s, row) => s + (row[a] as number) * (row[b] as number), 0)));
  const inverse = invert(xtx);
  const xty = Array.from({ length: p }, (_, a) => design.reduce((s, row, i) => s + (row[a] as number) * (y[i] as number), 0));
  const coefficients = inverse.map((row) => row.reduce((s, v, b) => s + v * (xty[b] as number), 0));
  const fitted = design.map((row) => row.reduce((s, v, a) => s + v * (coefficients[a] as number), 0));
  const ssr = y.reduce((s, v, i) => s + (v - (fitted[i] as number)) ** 2, 0);
  const mean = y.reduce((s, v) => s + v, 0) / n;
  const sst = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  const variance = ssr / (n - p);
  return {
    coefficients,
    standardErrors: inverse.map((row, a) => Math.sqrt(variance * (row[a] as number))),
    rSquared: 1 - ssr / sst,
    residualStd: Math.sqrt(variance),
  };
}

function invert(matrix: readonly (readonly number[])[]): number[][] {
  const p = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: p }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number)) pivot = r;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const lead = (a[col] as number[])[col] as number;
    a[col] = (a[col] as number[]).map((v) => v / lead);
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const factor = (a[r] as number[])[col] as number;
      a[r] = (a[r] as number[]).map((v, j) => v - factor * ((a[col] as number[])[j] as number));
    }
  }
  return a.map((row) => row.slice(p));
}
