/**
 * Average ranks 1..n of `values` (all finite): tied values share the mean of the ranks they
 * occupy (`[10, 20, 20, 30]` → `[1, 2.5, 2.5, 4]`), as `scipy.stats.rankdata` and pandas'
 * `rank()` do by default.
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number) || a - b);
  const ranks = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end] as number] === values[order[start] as number]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] as number] = rank;
    start = end;
  }
  return ranks;
}

/**
 * Pearson correlation of two equally long series of finite numbers. `NaN` when there are fewer
 * than 2 pairs or either series has no variance (all its values equal).
 */
export function pearsonCorrelation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`series lengths differ: ${n} and ${y.length}`);
  if (n < 2 || isConstant(x) || isConstant(y)) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Spearman rank correlation: the Pearson correlation of the average ranks of `x` and of `y`
 * (all finite). `NaN` when there are fewer than 2 pairs or either series is constant.
 */
export function spearmanCorrelation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`series lengths differ: ${x.length} and ${y.length}`);
  if (x.length < 2 || isConstant(x) || isConstant(y)) return NaN;
  return pearsonCorrelation(averageRanks(x), averageRanks(y));
}

/** True when every value equals the first (also for fewer than 2 values). */
export function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/**
 * The `p`-quantile (0 ≤ p ≤ 1) of ascending finite `sorted` values by linear interpolation
 * between order statistics (numpy's and pandas' default, Hyndman–Fan type 7):
 * position h = (n − 1)·p, value = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 */
export function sortedQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}
