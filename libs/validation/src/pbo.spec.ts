import { ConfigError, SeededRng } from '@quantbot/core';
import { DEFAULT_PBO_BLOCKS, probabilityOfBacktestOverfitting, probabilityOfBacktestOverfittingByTrial } from './pbo';
import type { PboMetric } from './pbo';

/** A T×N matrix of independent normal returns with a drift per column. */
function noiseMatrix(seed: number, periods: number, drifts: readonly number[], volatility = 0.01): number[][] {
  const rng = new SeededRng(seed);
  return Array.from({ length: periods }, () => drifts.map((drift) => drift + volatility * rng.nextNormal()));
}

/** Every k-subset of {0, …, n − 1}, in lexicographic order. */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const result: number[][] = [];
  for (let first = 0; first <= n - k; first++) {
    for (const rest of subsets(n - first - 1, k - 1)) result.push([first, ...rest.map((i) => i + first + 1)]);
  }
  return result;
}

/** The metric straight from the concatenated rows, with no block sums: the reference for the fast path. */
function directMetric(values: readonly number[], metric: PboMetric): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (metric === 'mean') return mean;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return mean / Math.sqrt(variance);
}

/** CSCV written the slow, obvious way (Bailey et al. 2017, steps 1–5). */
function bruteForceLogits(matrix: readonly (readonly number[])[], blocks: number, metric: PboMetric): number[] {
  const rowsPerBlock = Math.floor(matrix.length / blocks);
  const trials = (matrix[0] as readonly number[]).length;
  const column = (rows: readonly number[], n: number): number[] => rows.map((t) => (matrix[t] as readonly number[])[n] as number);
  const rowsOf = (blockIndices: readonly number[]): number[] =>
    blockIndices.flatMap((b) => Array.from({ length: rowsPerBlock }, (_, i) => b * rowsPerBlock + i));
  return subsets(blocks, blocks / 2).map((inSample) => {
    const outOfSample = Array.from({ length: blocks }, (_, b) => b).filter((b) => !inSample.includes(b));
    const inRows = rowsOf(inSample);
    const outRows = rowsOf(outOfSample);
    const inPerformance = Array.from({ length: trials }, (_, n) => directMetric(column(inRows, n), metric));
    const outPerformance = Array.from({ length: trials }, (_, n) => directMetric(column(outRows, n), metric));
    const best = inPerformance.indexOf(Math.max(...inPerformance));
    const selected = outPerformance[best] as number;
    const below = outPerformance.filter((v) => v < selected).length;
    const equal = outPerformance.filter((v, n) => v === selected && n !== best).length;
    const omega = (1 + below + equal / 2) / (trials + 1);
    return Math.log(omega / (1 - omega));
  });
}

/**
 * Every combination's in-sample and out-of-sample Sharpe ratios with each half's block sums added
 * afresh, block by block in ascending order (what the running sums must reproduce exactly).
 */
function freshHalfSharpes(matrix: readonly (readonly number[])[], blocks: number): { inSample: number[][]; outOfSample: number[][] } {
  const rowsPerBlock = Math.floor(matrix.length / blocks);
  const usedRows = rowsPerBlock * blocks;
  const trials = (matrix[0] as readonly number[]).length;
  const cell = (t: number, n: number): number => (matrix[t] as readonly number[])[n] as number;
  const shift = Array.from({ length: trials }, (_, n) => {
    let total = 0;
    for (let t = 0; t < usedRows; t++) total += cell(t, n);
    return total / usedRows;
  });
  const blockSums = Array.from({ length: blocks }, (_, b) =>
    Array.from({ length: trials }, (_, n) => {
      let raw = 0;
      let sum = 0;
      let squares = 0;
      for (let t = b * rowsPerBlock; t < (b + 1) * rowsPerBlock; t++) {
        const x = cell(t, n) - (shift[n] as number);
        raw += cell(t, n);
        sum += x;
        squares += x * x;
      }
      return { raw, sum, squares };
    }),
  );
  const k = rowsPerBlock * (blocks / 2);
  const sharpes = (half: readonly number[]): number[] =>
    Array.from({ length: trials }, (_, n) => {
      let raw = 0;
      let sum = 0;
      let squares = 0;
      for (const b of half) {
        const s = (blockSums[b] as { raw: number; sum: number; squares: number }[])[n] as { raw: number; sum: number; squares: number };
        raw += s.raw;
        sum += s.sum;
        squares += s.squares;
      }
      const centred = squares - (sum * sum) / k;
      return raw / k / Math.sqrt(centred / (k - 1));
    });
  const inSample: number[][] = [];
  const outOfSample: number[][] = [];
  for (const chosen of subsets(blocks, blocks / 2)) {
    inSample.push(sharpes(chosen));
    outOfSample.push(sharpes(Array.from({ length: blocks }, (_, b) => b).filter((b) => !chosen.includes(b))));
  }
  return { inSample, outOfSample };
}

describe('probabilityOfBacktestOverfitting', () => {
  it('reproduces a hand-computed S = 2 case with the Sharpe metric', () => {
    // Block 0 = rows 0–1, block 1 = rows 2–3; every block's two returns differ by 0.02, so each
    // block Sharpe ratio is mean / (0.02/√2).
    //            A      B      C      D
    const matrix = [
      [0.02, 0.0, -0.01, -0.03],
      [0.04, 0.02, 0.01, -0.01],
      [-0.01, 0.03, 0.0, -0.02],
      [0.01, 0.05, 0.02, 0.0],
      [9, 9, 9, -9], // T = 5, S = 2: this last row is dropped, or it would decide everything.
    ];
    // Block Sharpe ratios: A 2.121 | 0, B 0.707 | 2.828, C 0 | 0.707, D −1.414 | −0.707.
    // IS = block 0: best A (2.121); out of sample A ranks 2nd of 4 (above D) → ω̄ = 2/5,
    //   λ = ln(2/3) = −0.405 (overfit).
    // IS = block 1: best B (2.828); out of sample B ranks 3rd of 4 (below A) → ω̄ = 3/5,
    //   λ = ln(3/2) = +0.405.
    const result = probabilityOfBacktestOverfitting(matrix, { blocks: 2 });
    expect(result.combinations).toBe(2);
    expect(result.rowsPerBlock).toBe(2);
    expect(result.usedRows).toBe(4);
    expect(result.droppedRows).toBe(1);
    expect(result.selectedTrials).toEqual([0, 1]);
    expect(result.logits[0]).toBeCloseTo(Math.log(2 / 3), 14);
    expect(result.logits[1]).toBeCloseTo(Math.log(3 / 2), 14);
    expect(result.pbo).toBe(0.5);
    expect(result.inSamplePerformance[0]).toBeCloseTo(0.03 / (0.02 / Math.SQRT2), 12);
    expect(result.outOfSamplePerformance[0]).toBeCloseTo(0, 12);
    expect(result.outOfSamplePerformance[1]).toBeCloseTo(0.01 / (0.02 / Math.SQRT2), 12);
    expect(result.probabilityOfLoss).toBe(0);
  });

  it('reproduces a hand-computed S = 4 case with the mean metric, ties included', () => {
    // One row per block; columns A, B, C with totals 6, 4, 4. Halves have 2 rows, so the mean
    // is the half's sum / 2 and ranks like the sum.
    const matrix = [
      [3, 0, 1],
      [0, 2, 1],
      [1, 1, 2],
      [2, 1, 0],
    ];
    // IS blocks → IS sums (A, B, C) → n* → OOS sums → rank of n* → λ
    // {0,1}: 3,2,2 → A → 3,2,2 → 3 of 3       → ln(3)
    // {0,2}: 4,1,3 → A → 2,3,1 → 2 of 3       → ln(1) = 0 (the median: counted as overfit)
    // {0,3}: 5,1,1 → A → 1,3,3 → 1 of 3       → ln(1/3)
    // {1,2}: 1,3,3 → B (tie with C: lowest index) → 5,1,1 → B ties C: mid-rank 1.5 → ω̄ = 0.375 → ln(0.6)
    // {1,3}: 2,3,1 → B → 4,1,3 → 1 of 3       → ln(1/3)
    // {2,3}: 3,2,2 → A → 3,2,2 → 3 of 3       → ln(3)
    const result = probabilityOfBacktestOverfitting(matrix, { blocks: 4, metric: 'mean' });
    expect(result.combinations).toBe(6);
    expect(result.selectedTrials).toEqual([0, 0, 0, 1, 1, 0]);
    const expected = [Math.log(3), 0, Math.log(1 / 3), Math.log(0.6), Math.log(1 / 3), Math.log(3)];
    result.logits.forEach((logit, c) => expect(logit).toBeCloseTo(expected[c] as number, 14));
    expect(result.pbo).toBeCloseTo(4 / 6, 15);
    expect(result.inSamplePerformance).toEqual([1.5, 2, 2.5, 1.5, 1.5, 1.5]);
    expect(result.outOfSamplePerformance).toEqual([1.5, 1, 0.5, 0.5, 0.5, 1.5]);
    expect(result.metric).toBe('mean');
  });

  it.each([
    [6, 'sharpe' as const],
    [8, 'sharpe' as const],
    [8, 'mean' as const],
  ])('matches a brute-force CSCV on random data (S = %p, %s)', (blocks, metric) => {
    const matrix = noiseMatrix(17, 83, [0, 0.001, -0.001, 0.002, 0, 0.0005, 0.003], 0.02);
    const fast = probabilityOfBacktestOverfitting(matrix, { blocks, metric });
    const slow = bruteForceLogits(matrix, blocks, metric);
    expect(fast.droppedRows).toBe(83 % blocks);
    expect(fast.logits).toHaveLength(slow.length);
    fast.logits.forEach((logit, c) => expect(logit).toBeCloseTo(slow[c] as number, 12));
    expect(fast.pbo).toBe(slow.filter((l) => l <= 0).length / slow.length);
  });

  it('keeps running sums that equal, bit for bit, the sums of each half added afresh', () => {
    const matrix = noiseMatrix(31, 1000, [0.001, 0, -0.0005, 0.0002, 0.0007, 0, 0.0003, -0.001, 0.0001], 0.02);
    const result = probabilityOfBacktestOverfitting(matrix, { blocks: 12 });
    const fresh = freshHalfSharpes(matrix, 12);
    expect(result.combinations).toBe(fresh.inSample.length);
    result.selectedTrials.forEach((n, c) => {
      const inSample = fresh.inSample[c] as number[];
      expect(n).toBe(inSample.indexOf(Math.max(...inSample)));
      expect(Object.is(result.inSamplePerformance[c], inSample[n])).toBe(true);
      expect(Object.is(result.outOfSamplePerformance[c], (fresh.outOfSample[c] as number[])[n])).toBe(true);
    });
  });

  it('finds no overfitting when one trial dominates everywhere', () => {
    const drifts = [0.004, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const matrix = noiseMatrix(1, 1600, drifts);
    const result = probabilityOfBacktestOverfitting(matrix);
    expect(result.blocks).toBe(DEFAULT_PBO_BLOCKS);
    expect(result.combinations).toBe(12_870);
    expect(result.pbo).toBe(0);
    expect(new Set(result.selectedTrials)).toEqual(new Set([0]));
    // The dominant trial ranks first of 10 out of sample: ω̄ = 10/11, λ = ln 10.
    expect(Math.min(...result.logits)).toBeCloseTo(Math.log(10), 12);
    expect(result.probabilityOfLoss).toBe(0);
  });

  it('is a coin flip for pure-noise trials', () => {
    const matrix = noiseMatrix(2024, 1000, new Array<number>(40).fill(0));
    const result = probabilityOfBacktestOverfitting(matrix);
    expect(result.pbo).toBeGreaterThan(0.3);
    expect(result.pbo).toBeLessThan(0.7);
    // The selected trial is no better than a random one out of sample: λ centres on 0.
    const meanLogit = result.logits.reduce((a, b) => a + b, 0) / result.logits.length;
    expect(Math.abs(meanLogit)).toBeLessThan(0.75);
    // And its in-sample Sharpe ratio overstates its out-of-sample one in (nearly) every split.
    const degraded = result.inSamplePerformance.filter((sr, c) => sr > (result.outOfSamplePerformance[c] as number)).length;
    expect(degraded / result.combinations).toBeGreaterThan(0.95);
  });

  it('counts identical trials as overfit: mid-rank ties give λ = 0 and PBO = 1', () => {
    const column = noiseMatrix(3, 64, [0]).map((row) => row[0] as number);
    const matrix = column.map((r) => [r, r, r]);
    const result = probabilityOfBacktestOverfitting(matrix, { blocks: 8 });
    expect(result.logits.every((l) => l === 0)).toBe(true);
    expect(result.pbo).toBe(1);
    expect(result.selectedTrials.every((n) => n === 0)).toBe(true);
  });

  it('scores a flat (all-zero) stretch as Sharpe 0 and a constant positive one as +Infinity', () => {
    // Column 0 never trades; column 1 earns a constant 1 % in the first half only; column 2 is noise.
    const noise = noiseMatrix(9, 8, [0]).map((row) => row[0] as number);
    const matrix = noise.map((r, t) => [0, t < 4 ? 0.01 : 0, r]);
    const result = probabilityOfBacktestOverfitting(matrix, { blocks: 2 });
    expect(result.selectedTrials[0]).toBe(1);
    expect(result.inSamplePerformance[0]).toBe(Infinity);
    expect(result.outOfSamplePerformance[0]).toBe(0);
  });

  it('is deterministic', () => {
    const matrix = noiseMatrix(8, 300, new Array<number>(12).fill(0));
    expect(probabilityOfBacktestOverfitting(matrix, { blocks: 10 })).toEqual(probabilityOfBacktestOverfitting(matrix, { blocks: 10 }));
  });

  it.each([
    [{ blocks: 3 }, /^blocks: S must be an even integer in \[2, 24\], got 3/],
    [{ blocks: 0 }, /^blocks: /],
    [{ blocks: 26 }, /^blocks: /],
    [{ blocks: 4.5 }, /^blocks: /],
  ])('rejects %p', (options, message) => {
    const matrix = noiseMatrix(1, 40, [0, 0]);
    expect(() => probabilityOfBacktestOverfitting(matrix, options)).toThrow(ConfigError);
    expect(() => probabilityOfBacktestOverfitting(matrix, options)).toThrow(message);
  });

  it('rejects an unknown metric', () => {
    const metric = 'sortino' as unknown as PboMetric;
    expect(() => probabilityOfBacktestOverfitting(noiseMatrix(1, 40, [0, 0]), { metric })).toThrow(/^metric: /);
  });

  it('rejects T < S, a single trial, halves too short for a Sharpe ratio, and non-finite cells', () => {
    expect(() => probabilityOfBacktestOverfitting(noiseMatrix(1, 15, [0, 0]))).toThrow(/^returns: needs at least 16 rows/);
    expect(() => probabilityOfBacktestOverfitting(noiseMatrix(1, 40, [0]))).toThrow(/^returns: needs at least 2 columns/);
    expect(() => probabilityOfBacktestOverfitting(noiseMatrix(1, 3, [0, 0]), { blocks: 2 })).toThrow(/^returns: needs at least 2 rows in each half/);
    expect(probabilityOfBacktestOverfitting(noiseMatrix(1, 3, [0, 1]), { blocks: 2, metric: 'mean' }).pbo).toBe(0);
    const matrix = noiseMatrix(1, 40, [0, 0, 0]);
    (matrix[37] as number[])[2] = Infinity;
    expect(() => probabilityOfBacktestOverfitting(matrix)).toThrow(/^returns\[37\]\[2\]: must be a finite return \(row 37, column 2\)/);
  });
});

describe('probabilityOfBacktestOverfittingByTrial', () => {
  const columnsOf = (matrix: readonly (readonly number[])[]): Float64Array[] =>
    Array.from({ length: (matrix[0] as readonly number[]).length }, (_, n) => Float64Array.from(matrix, (row) => row[n] as number));

  it.each([
    [12, 'sharpe' as const],
    [10, 'mean' as const],
  ])('gives the result of the row form, bit for bit, from one series per trial (S = %p, %s)', (blocks, metric) => {
    const matrix = noiseMatrix(5, 777, [0.001, 0, 0.0004, -0.0002, 0, 0.0009, 0.0001], 0.015);
    const byRows = probabilityOfBacktestOverfitting(matrix, { blocks, metric });
    const byTrial = probabilityOfBacktestOverfittingByTrial(columnsOf(matrix), { blocks, metric });
    expect(byTrial).toEqual(byRows);
    byRows.inSamplePerformance.forEach((v, c) => expect(Object.is(byTrial.inSamplePerformance[c], v)).toBe(true));
    byRows.outOfSamplePerformance.forEach((v, c) => expect(Object.is(byTrial.outOfSamplePerformance[c], v)).toBe(true));
  });

  it('names the series of a bad length and the cell of a non-finite return', () => {
    const columns = columnsOf(noiseMatrix(1, 40, [0, 0, 0]));
    expect(() => probabilityOfBacktestOverfittingByTrial([columns[0] as Float64Array])).toThrow(/^returns: needs at least 2 columns/);
    expect(() => probabilityOfBacktestOverfittingByTrial([columns[0] as Float64Array, (columns[1] as Float64Array).subarray(1)])).toThrow(
      /^returns\[:, 1\]: has 39 rows, expected 40 like column 0/,
    );
    expect(() => probabilityOfBacktestOverfittingByTrial(columns.map((c) => c.subarray(0, 15)))).toThrow(/^returns: needs at least 16 rows/);
    (columns[2] as Float64Array)[37] = NaN;
    expect(() => probabilityOfBacktestOverfittingByTrial(columns)).toThrow(ConfigError);
    expect(() => probabilityOfBacktestOverfittingByTrial(columns)).toThrow(/^returns\[37\]\[2\]: must be a finite return \(row 37, column 2\)/);
    expect(() => probabilityOfBacktestOverfittingByTrial(columns, { blocks: 5 })).toThrow(/^blocks: /);
  });
});
