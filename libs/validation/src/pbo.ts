import { ConfigError } from '@quantbot/core';
import { validateTrialReturnMatrix } from './sample-moments';
import type { TrialReturnMatrix } from './sample-moments';

/**
 * The Probability of Backtest Overfitting by combinatorially symmetric cross-validation (CSCV),
 * after Bailey, Borwein, López de Prado & Zhu (2017), "The Probability of Backtest
 * Overfitting", J. of Computational Finance 20(4).
 */

/**
 * How a trial's performance on a set of rows is measured. Both are computed from per-block sums,
 * which is what makes CSCV cheap; a path-dependent metric (drawdown, say) would need the rows.
 * - `sharpe`: per-period Sharpe ratio mean / sample standard deviation of the concatenated rows.
 *   A constant stretch (zero variance) scores 0 if its mean is 0 and ±Infinity otherwise.
 * - `mean`: mean return of the concatenated rows.
 */
export type PboMetric = 'sharpe' | 'mean';

/** Default number of blocks S: 16, giving C(16, 8) = 12,870 combinations. */
export const DEFAULT_PBO_BLOCKS = 16;

/** Largest S accepted: C(24, 12) = 2,704,156 combinations. */
export const MAX_PBO_BLOCKS = 24;

/** Options of {@link probabilityOfBacktestOverfitting}. */
export interface PboOptions {
  /** Number S of row blocks (submatrices), an even integer in [2, {@link MAX_PBO_BLOCKS}], ≤ T. Default 16. */
  readonly blocks?: number;
  /** The performance metric that selects and ranks trials. Default `sharpe`. */
  readonly metric?: PboMetric;
}

/** The result of {@link probabilityOfBacktestOverfitting}. Per-combination arrays share one order. */
export interface PboResult {
  /** PBO: the share of combinations whose in-sample best trial ranks at or below the out-of-sample median (λ ≤ 0). */
  readonly pbo: number;
  /** The logit λ_c = ln(ω̄_c / (1 − ω̄_c)) of every combination; > 0 means the selected trial beat the median out of sample. */
  readonly logits: readonly number[];
  /** Number of combinations C(S, S/2). */
  readonly combinations: number;
  /** Number of blocks S. */
  readonly blocks: number;
  /** Rows in each block, floor(T / S). */
  readonly rowsPerBlock: number;
  /** Rows used, S · rowsPerBlock: the first rows of the matrix. */
  readonly usedRows: number;
  /** Rows dropped from the end of the matrix so that the blocks have equal size, T mod S. */
  readonly droppedRows: number;
  /** Number of trials N (columns). */
  readonly trials: number;
  /** The metric used. */
  readonly metric: PboMetric;
  /** Column index of the in-sample best trial n* of every combination. */
  readonly selectedTrials: readonly number[];
  /** In-sample metric of the selected trial of every combination. */
  readonly inSamplePerformance: readonly number[];
  /** Out-of-sample metric of the selected trial of every combination. */
  readonly outOfSamplePerformance: readonly number[];
  /** Share of combinations whose selected trial has a negative out-of-sample metric. */
  readonly probabilityOfLoss: number;
}

/**
 * The Probability of Backtest Overfitting (PBO) of choosing the best of N trials, estimated by
 * combinatorially symmetric cross-validation (Bailey, Borwein, López de Prado & Zhu 2017):
 *
 * 1. The T×N matrix `returns` (rows are periods in time order, columns are trials; see
 *    {@link TrialReturnMatrix}) is cut into S consecutive blocks of floor(T/S) rows. The
 *    T mod S rows left over at the end are dropped (reported as `droppedRows`).
 * 2. For each of the C(S, S/2) ways to choose S/2 blocks as the in-sample set J (the other S/2
 *    form the out-of-sample set J̄), each trial's metric is computed on J and on J̄ (rows of
 *    the chosen blocks concatenated; the order does not matter for either metric).
 * 3. n* is the best trial in sample; ω̄_c = r̄ / (N + 1) is the relative rank of its
 *    out-of-sample metric among all N trials (r̄ = 1 for the worst, N for the best), and
 *    λ_c = ln(ω̄_c / (1 − ω̄_c)).
 * 4. PBO = #{c : λ_c ≤ 0} / C(S, S/2): how often the in-sample winner is no better than the
 *    out-of-sample median.
 *
 * Ties are resolved deterministically: in sample, the lowest column index wins among equal
 * metrics; out of sample, n* gets the mid-rank r̄ = 1 + #{n : metric < n*'s} + ½·#{n ≠ n* :
 * metric = n*'s}. So N identical trials give λ = 0 in every combination and PBO = 1: selecting
 * among indistinguishable trials earns nothing. Combinations are enumerated in lexicographic
 * order of their in-sample block indices ({0,…,S/2−1} first).
 *
 * Cost: one pass over the matrix builds per-block, per-trial sums and sums of squares (of the
 * returns shifted by each column's mean, for accuracy), after which each combination costs
 * O(S·N) at most, independent of T (less in practice: the running sums of a half are kept up to
 * the first block that changed). This row form first copies the matrix into one series per
 * trial; {@link probabilityOfBacktestOverfittingByTrial} takes such series directly.
 *
 * @throws ConfigError (key `blocks`) unless S is an even integer in [2, 24]; (key `metric`) for
 *   an unknown metric; (key `returns`) for a ragged matrix, T < S, fewer than 2 trials, or, for
 *   `sharpe`, fewer than 2 rows in a half; (key `returns[t][n]`) for a non-finite return in
 *   row t, column n.
 * @example probabilityOfBacktestOverfitting(dailyReturnsByConfiguration).pbo // 0.5 ≈ coin flip
 */
export function probabilityOfBacktestOverfitting(returns: TrialReturnMatrix, options: PboOptions = {}): PboResult {
  const { blocks, metric } = resolvePboOptions(options);
  const { periods, trials } = validateTrialReturnMatrix(returns, blocks, 2);
  const rowsPerBlock = checkedRowsPerBlock(periods, blocks, metric);
  const columns = Array.from({ length: trials }, (_, n) => Float64Array.from(returns, (row) => row[n] as number));
  return cscv(blockSums(columns, blocks, rowsPerBlock), periods, metric);
}

/**
 * {@link probabilityOfBacktestOverfitting} of trials given as one return series each (column n of
 * the matrix is `trialReturns[n]`, e.g. a sweep's `returns` in point order): the same numbers,
 * bit for bit, without building a T×N matrix of rows.
 *
 * @throws ConfigError as {@link probabilityOfBacktestOverfitting}; the key of a bad series is
 *   `returns[:, n]` (a length unlike series 0), of a non-finite value `returns[t][n]`.
 */
export function probabilityOfBacktestOverfittingByTrial(trialReturns: readonly ArrayLike<number>[], options: PboOptions = {}): PboResult {
  const { blocks, metric } = resolvePboOptions(options);
  const trials = trialReturns.length;
  if (trials < 2) throw new ConfigError('returns', `needs at least 2 columns (trials), got ${trials}`);
  const periods = (trialReturns[0] as ArrayLike<number>).length;
  if (periods < blocks) throw new ConfigError('returns', `needs at least ${blocks} rows (periods), got ${periods}`);
  trialReturns.forEach((series, n) => {
    if (series.length !== periods) throw new ConfigError(`returns[:, ${n}]`, `has ${series.length} rows, expected ${periods} like column 0`);
    for (let t = 0; t < periods; t++) {
      const value = series[t] as number;
      if (!Number.isFinite(value)) throw new ConfigError(`returns[${t}][${n}]`, `must be a finite return (row ${t}, column ${n}), got ${value}`);
    }
  });
  const rowsPerBlock = checkedRowsPerBlock(periods, blocks, metric);
  return cscv(blockSums(trialReturns, blocks, rowsPerBlock), periods, metric);
}

function resolvePboOptions(options: PboOptions): { readonly blocks: number; readonly metric: PboMetric } {
  const blocks = options.blocks ?? DEFAULT_PBO_BLOCKS;
  if (!Number.isSafeInteger(blocks) || blocks < 2 || blocks % 2 !== 0 || blocks > MAX_PBO_BLOCKS) {
    throw new ConfigError('blocks', `S must be an even integer in [2, ${MAX_PBO_BLOCKS}], got ${blocks}`);
  }
  const metric = options.metric ?? 'sharpe';
  if (metric !== 'sharpe' && metric !== 'mean') throw new ConfigError('metric', `must be 'sharpe' or 'mean', got ${String(metric)}`);
  return { blocks, metric };
}

function checkedRowsPerBlock(periods: number, blocks: number, metric: PboMetric): number {
  const rowsPerBlock = Math.floor(periods / blocks);
  if (metric === 'sharpe' && rowsPerBlock * (blocks / 2) < 2) {
    throw new ConfigError('returns', `needs at least 2 rows in each half for the Sharpe ratio: S = ${blocks} blocks of ${rowsPerBlock} row(s) from T = ${periods}`);
  }
  return rowsPerBlock;
}

/**
 * CSCV over per-block sums. Each half's sums are its blocks' sums added in ascending block order,
 * starting from zero; consecutive combinations (lexicographic order) mostly differ in their last
 * blocks, so the running sums up to the first block that changed are kept and only the rest is
 * added again, which leaves every sum exactly as adding all the blocks anew would.
 */
function cscv(sums: BlockSums, periods: number, metric: PboMetric): PboResult {
  const { trials, blocks, rowsPerBlock } = sums;
  const half = blocks / 2;
  const rowsPerHalf = rowsPerBlock * half;
  const combinations = binomial(blocks, half);
  const logits = new Array<number>(combinations);
  const selectedTrials = new Array<number>(combinations);
  const inSamplePerformance = new Array<number>(combinations);
  const outOfSamplePerformance = new Array<number>(combinations);
  const inSample = new HalfSums(sums, half);
  const outOfSample = new HalfSums(sums, half);
  const outPerformance = new Float64Array(trials);
  const chosen = Array.from({ length: half }, (_, i) => i);
  const rest = Array.from({ length: half }, (_, i) => half + i);
  let overfit = 0;
  let losses = 0;

  for (let c = 0; c < combinations; c++) {
    inSample.setBlocks(chosen);
    outOfSample.setBlocks(rest);
    let best = 0;
    let bestPerformance = -Infinity;
    for (let n = 0; n < trials; n++) {
      const value = inSample.performance(metric, n, rowsPerHalf);
      if (value > bestPerformance || n === 0) {
        best = n;
        bestPerformance = value;
      }
      outPerformance[n] = outOfSample.performance(metric, n, rowsPerHalf);
    }
    const selectedOut = outPerformance[best] as number;
    let below = 0;
    let equal = 0;
    for (let n = 0; n < trials; n++) {
      const value = outPerformance[n] as number;
      if (value < selectedOut) below++;
      else if (value === selectedOut && n !== best) equal++;
    }
    const relativeRank = (1 + below + equal / 2) / (trials + 1);
    const logit = Math.log(relativeRank / (1 - relativeRank));
    logits[c] = logit;
    selectedTrials[c] = best;
    inSamplePerformance[c] = bestPerformance;
    outOfSamplePerformance[c] = selectedOut;
    if (logit <= 0) overfit++;
    if (selectedOut < 0) losses++;
    nextCombination(chosen, blocks);
    complement(chosen, blocks, rest);
  }

  const usedRows = rowsPerBlock * blocks;
  return Object.freeze({
    pbo: overfit / combinations,
    logits: Object.freeze(logits),
    combinations,
    blocks,
    rowsPerBlock,
    usedRows,
    droppedRows: periods - usedRows,
    trials,
    metric,
    selectedTrials: Object.freeze(selectedTrials),
    inSamplePerformance: Object.freeze(inSamplePerformance),
    outOfSamplePerformance: Object.freeze(outOfSamplePerformance),
    probabilityOfLoss: losses / combinations,
  });
}

/**
 * Per-block sums laid out [block × trials + trial]: of the returns (for the mean, exact for a
 * stretch of zeros) and, for the variance, of the returns minus the column's shift and their
 * squares.
 */
interface BlockSums {
  readonly trials: number;
  readonly blocks: number;
  readonly rowsPerBlock: number;
  readonly blockRawSum: Float64Array;
  readonly blockSum: Float64Array;
  readonly blockSquares: Float64Array;
}

/**
 * Sums per block and trial of r, of x = r − shiftₙ and of x², where shiftₙ is column n's mean
 * over the used rows: shifting keeps Σx² − (Σx)²/k from cancelling catastrophically when a
 * column's mean is large against its spread, and leaves the variance unchanged.
 */
function blockSums(columns: readonly ArrayLike<number>[], blocks: number, rowsPerBlock: number): BlockSums {
  const trials = columns.length;
  const usedRows = blocks * rowsPerBlock;
  const blockRawSum = new Float64Array(blocks * trials);
  const blockSum = new Float64Array(blocks * trials);
  const blockSquares = new Float64Array(blocks * trials);
  columns.forEach((column, n) => {
    let total = 0;
    for (let t = 0; t < usedRows; t++) total += column[t] as number;
    const shift = total / usedRows;
    for (let b = 0; b < blocks; b++) {
      let raw = 0;
      let sum = 0;
      let squares = 0;
      for (let t = b * rowsPerBlock, end = t + rowsPerBlock; t < end; t++) {
        const r = column[t] as number;
        const x = r - shift;
        raw += r;
        sum += x;
        squares += x * x;
      }
      blockRawSum[b * trials + n] = raw;
      blockSum[b * trials + n] = sum;
      blockSquares[b * trials + n] = squares;
    }
  });
  return { trials, blocks, rowsPerBlock, blockRawSum, blockSum, blockSquares };
}

/**
 * The sums of one half (in-sample or out-of-sample) of a combination, per trial, kept as running
 * sums over the half's blocks in ascending order: level i holds the sums of its first i blocks.
 */
class HalfSums {
  readonly #sums: BlockSums;
  readonly #levels: number;
  readonly #rawSum: Float64Array;
  readonly #sum: Float64Array;
  readonly #squares: Float64Array;
  /** The blocks the levels were built from; -1: not built. */
  readonly #blocks: Int32Array;
  /** Offset of the top level (all the half's blocks). */
  readonly #top: number;

  constructor(sums: BlockSums, blocksPerHalf: number) {
    const size = (blocksPerHalf + 1) * sums.trials;
    this.#sums = sums;
    this.#levels = blocksPerHalf;
    this.#rawSum = new Float64Array(size);
    this.#sum = new Float64Array(size);
    this.#squares = new Float64Array(size);
    this.#blocks = new Int32Array(blocksPerHalf).fill(-1);
    this.#top = blocksPerHalf * sums.trials;
  }

  /** Makes the sums those of `blocks` (ascending), adding again only from the first block that changed. */
  setBlocks(blocks: readonly number[]): void {
    let i = 0;
    while (i < this.#levels && this.#blocks[i] === blocks[i]) i++;
    const { trials, blockRawSum, blockSum, blockSquares } = this.#sums;
    for (; i < this.#levels; i++) {
      const block = blocks[i] as number;
      this.#blocks[i] = block;
      const from = i * trials;
      const to = from + trials;
      const offset = block * trials;
      for (let n = 0; n < trials; n++) {
        this.#rawSum[to + n] = (this.#rawSum[from + n] as number) + (blockRawSum[offset + n] as number);
        this.#sum[to + n] = (this.#sum[from + n] as number) + (blockSum[offset + n] as number);
        this.#squares[to + n] = (this.#squares[from + n] as number) + (blockSquares[offset + n] as number);
      }
    }
  }

  /** The metric of trial n over the half's k rows. */
  performance(metric: PboMetric, n: number, k: number): number {
    const at = this.#top + n;
    const mean = (this.#rawSum[at] as number) / k;
    if (metric === 'mean') return mean;
    const sum = this.#sum[at] as number;
    const squares = this.#squares[at] as number;
    const centred = squares - (sum * sum) / k;
    // Below a relative 1e-12 of the shifted second moment, the variance is rounding noise: a constant stretch.
    const variance = centred > 1e-12 * squares ? centred / (k - 1) : 0;
    if (variance === 0) return mean === 0 ? 0 : mean > 0 ? Infinity : -Infinity;
    return mean / Math.sqrt(variance);
  }
}

/** Writes into `out` the indices of [0, n) that are not in `chosen` (ascending), in ascending order. */
function complement(chosen: readonly number[], n: number, out: number[]): void {
  let j = 0;
  let k = 0;
  for (let b = 0; b < n; b++) {
    if (j < chosen.length && chosen[j] === b) j++;
    else out[k++] = b;
  }
}

/** Advances `chosen` (ascending indices in [0, n)) to the next combination in lexicographic order; a no-op after the last. */
function nextCombination(chosen: number[], n: number): void {
  const k = chosen.length;
  let i = k - 1;
  while (i >= 0 && (chosen[i] as number) === n - k + i) i--;
  if (i < 0) return;
  chosen[i] = (chosen[i] as number) + 1;
  for (let j = i + 1; j < k; j++) chosen[j] = (chosen[j - 1] as number) + 1;
}

/** C(n, k) for small n (exact in doubles for n ≤ 24). */
function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}
