import { SeededRng } from '@quantbot/core';
import { fitRidgeWeights } from './ridge-meta-learner';
import type { RidgeFitted, RidgeRefused } from './ridge-meta-learner';

const NAMES = ['trend', 'momentum', 'rsi'] as const;

/** n samples of three uniform signals and y = 0.01 x0 − 0.02 x1 + 0.005 x2 + 0.003 + noise. */
function samples(n: number, seed = 11): { x: Float64Array; y: Float64Array } {
  const rng = new SeededRng(seed);
  const x = new Float64Array(n * 3);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) x[i * 3 + j] = 2 * rng.nextFloat() - 1;
    y[i] = 0.01 * (x[i * 3] as number) - 0.02 * (x[i * 3 + 1] as number) + 0.005 * (x[i * 3 + 2] as number) + 0.003 + 0.002 * rng.nextNormal();
  }
  return { x, y };
}

/** (XcᵀXc + n·lambda·I)⁻¹ Xcᵀyc on centred data, by Gaussian elimination with partial pivoting. */
function normalEquations(x: Float64Array, y: Float64Array, n: number, lambda: number): number[] {
  const k = 3;
  const mx = [0, 1, 2].map((j) => Array.from({ length: n }, (_, i) => x[i * k + j] as number).reduce((a, b) => a + b) / n);
  const my = Array.from(y).reduce((a, b) => a + b) / n;
  const a = [0, 1, 2].map((r) => [0, 1, 2].map((c) => (r === c ? n * lambda : 0)));
  const b = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < k; r++) {
      const xr = (x[i * k + r] as number) - (mx[r] as number);
      b[r] = (b[r] as number) + xr * ((y[i] as number) - my);
      for (let c = 0; c < k; c++) (a[r] as number[])[c] = ((a[r] as number[])[c] as number) + xr * ((x[i * k + c] as number) - (mx[c] as number));
    }
  }
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number)) pivot = r;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    [b[col], b[pivot]] = [b[pivot] as number, b[col] as number];
    for (let r = col + 1; r < k; r++) {
      const f = ((a[r] as number[])[col] as number) / ((a[col] as number[])[col] as number);
      for (let c = col; c < k; c++) (a[r] as number[])[c] = ((a[r] as number[])[c] as number) - f * ((a[col] as number[])[c] as number);
      b[r] = (b[r] as number) - f * (b[col] as number);
    }
  }
  const w = [0, 0, 0];
  for (let r = k - 1; r >= 0; r--) {
    let s = b[r] as number;
    for (let c = r + 1; c < k; c++) s -= ((a[r] as number[])[c] as number) * (w[c] as number);
    w[r] = s / ((a[r] as number[])[r] as number);
  }
  return w;
}

function fitted(fit: ReturnType<typeof fitRidgeWeights>): RidgeFitted {
  if (!fit.ok) throw new Error(`expected a fit, got ${fit.reason}: ${fit.detail}`);
  return fit;
}

function refused(fit: ReturnType<typeof fitRidgeWeights>): RidgeRefused {
  if (fit.ok) throw new Error('expected a refusal');
  return fit;
}

describe('fitRidgeWeights', () => {
  it('with lambda 0 gives the least-squares coefficients, and normalises them to Σ|w| = 1', () => {
    const { x, y } = samples(400);
    const fit = fitted(fitRidgeWeights(x, y, 400, { lambda: 0, minSamples: 10, memberNames: NAMES }));
    const expected = normalEquations(x, y, 400, 0);
    expected.forEach((c, j) => expect(fit.coefficients[j]).toBeCloseTo(c, 10));
    // The planted coefficients come back, and the weights keep their signs and ratios.
    expect(fit.coefficients[0]).toBeCloseTo(0.01, 3);
    expect(fit.coefficients[1]).toBeCloseTo(-0.02, 3);
    const total = expected.reduce((s, c) => s + Math.abs(c), 0);
    expected.forEach((c, j) => expect(fit.weights[j]).toBeCloseTo(c / total, 10));
    expect(fit.weights.reduce((s, w) => s + Math.abs(w), 0)).toBeCloseTo(1, 12);
    expect(fit.intercept).toBeCloseTo(0.003, 3);
    expect(fit.samples).toBe(400);
  });

  it('with lambda > 0 solves the penalised normal equations (penalty per sample)', () => {
    const { x, y } = samples(300, 5);
    const fit = fitted(fitRidgeWeights(x, y, 300, { lambda: 0.5, minSamples: 10, memberNames: NAMES }));
    const expected = normalEquations(x, y, 300, 0.5);
    expected.forEach((c, j) => expect(fit.coefficients[j]).toBeCloseTo(c, 10));
    // Shrunk towards 0 compared with least squares.
    const ols = normalEquations(x, y, 300, 0);
    expect(Math.abs(fit.coefficients[1] as number)).toBeLessThan(Math.abs(ols[1] as number));
  });

  it('refuses too few samples', () => {
    const { x, y } = samples(20);
    const fit = refused(fitRidgeWeights(x, y, 20, { lambda: 0.01, minSamples: 21, memberNames: NAMES }));
    expect(fit.reason).toBe('too-few-samples');
    expect(fit.detail).toBe('20 sample(s), fewer than minSamples 21');
  });

  it('refuses a non-finite signal or return, naming the sample and the member', () => {
    const { x, y } = samples(50);
    x[7 * 3 + 2] = NaN;
    const bad = refused(fitRidgeWeights(x, y, 50, { lambda: 0.01, minSamples: 10, memberNames: NAMES }));
    expect(bad).toEqual({ ok: false, reason: 'non-finite-input', detail: 'the rsi signal of sample 7 is NaN', row: 7 });
    const clean = samples(50);
    clean.y[3] = Number.POSITIVE_INFINITY;
    expect(refused(fitRidgeWeights(clean.x, clean.y, 50, { lambda: 0.01, minSamples: 10, memberNames: NAMES })).row).toBe(3);
  });

  it('refuses a constant member (singular), naming it, even with a ridge penalty that would hide it', () => {
    const { x, y } = samples(100);
    for (let i = 0; i < 100; i++) x[i * 3 + 1] = 0.1;
    const fit = refused(fitRidgeWeights(x, y, 100, { lambda: 1, minSamples: 10, memberNames: NAMES }));
    expect(fit.reason).toBe('singular');
    expect(fit.detail).toContain('momentum signal is constant');
  });

  it('refuses collinear members as ill-conditioned, with the condition number', () => {
    const { x, y } = samples(100);
    for (let i = 0; i < 100; i++) x[i * 3 + 2] = (x[i * 3] as number) + 2 * (x[i * 3 + 1] as number);
    const fit = refused(fitRidgeWeights(x, y, 100, { lambda: 0.01, minSamples: 10, memberNames: NAMES }));
    expect(fit.reason).toBe('singular');
    expect(fit.detail).toMatch(/condition number .* above 1e\+10/);
  });

  it('refuses coefficients that are all zero (a return that never moves)', () => {
    const { x } = samples(60);
    const fit = refused(fitRidgeWeights(x, new Float64Array(60).fill(0.01), 60, { lambda: 0.01, minSamples: 10, memberNames: NAMES }));
    expect(fit.reason).toBe('invalid-output');
  });
});
