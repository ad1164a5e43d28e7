import { averageRanks, pearsonCorrelation, sortedQuantile, spearmanCorrelation } from './statistics';

describe('statistics', () => {
  it('gives tied values the mean of their ranks', () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([3, 3, 3]))).toEqual([2, 2, 2]);
    expect(Array.from(averageRanks([]))).toEqual([]);
  });

  it('computes Spearman as the Pearson correlation of the ranks (y ranks 1, 2, 3.5, 5, 3.5)', () => {
    expect(spearmanCorrelation([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(spearmanCorrelation([1, 2, 3], [1, 8, 27])).toBe(1);
    expect(spearmanCorrelation([1, 2, 3], [3, 2, 1])).toBe(-1);
  });

  it('is NaN for fewer than 2 pairs or no variance, and refuses unequal lengths', () => {
    expect(spearmanCorrelation([1], [2])).toBeNaN();
    expect(spearmanCorrelation([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearsonCorrelation([1, 2, 3], [4, 4, 4])).toBeNaN();
    expect(() => pearsonCorrelation([1, 2], [1])).toThrow(RangeError);
  });

  it('interpolates quantiles between order statistics', () => {
    expect(sortedQuantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(sortedQuantile([1, 2, 3, 4], 1)).toBe(4);
    expect(sortedQuantile([], 0.5)).toBeNaN();
  });
});
