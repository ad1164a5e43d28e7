import { ConfigError } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { createFactorPanel } from './factor-panel';
import { demean, neutralize, rank, winsorize, zscore } from './transforms';

/** A panel with one row per value: date i holds `columns[i]` (symbols A, B, C...). */
function panelOf(columns: readonly (readonly number[])[], extra: { readonly other?: readonly (readonly number[])[]; readonly groups?: readonly (readonly (string | null)[])[] } = {}): FactorPanel {
  const date: string[] = [];
  const symbol: string[] = [];
  columns.forEach((values, d) =>
    values.forEach((_, s) => {
      date.push(`2024-01-${String(d + 2).padStart(2, '0')}`);
      symbol.push(String.fromCharCode(65 + s));
    }),
  );
  return createFactorPanel({
    date,
    symbol,
    close: date.map(() => 1),
    factors: { f: columns.flat(), ...(extra.other === undefined ? {} : { x: extra.other.flat() }) },
    ...(extra.groups === undefined ? {} : { group: extra.groups.flat() }),
  });
}

describe('winsorize', () => {
  it('clips each date to its interpolated quantiles and keeps NaN', () => {
    const panel = panelOf([[1, 2, 3, 4, 100, NaN], [5, 5, 5]]);
    const { values, findings } = winsorize(panel, 'f', { lower: 0.25, upper: 0.75 });
    // date 1: finite 1,2,3,4,100 → q25 = 2, q75 = 4
    expect(Array.from(values)).toEqual([2, 2, 3, 4, 4, NaN, 5, 5, 5]);
    expect(findings).toEqual([]);
  });
  it('refuses limits outside 0 ≤ lower < upper ≤ 1', () => {
    const panel = panelOf([[1, 2]]);
    expect(() => winsorize(panel, 'f', { lower: -0.1, upper: 0.9 })).toThrow(/lower: must be in \[0, 1\)/);
    expect(() => winsorize(panel, 'f', { lower: 0.5, upper: 0.5 })).toThrow(ConfigError);
    expect(() => winsorize(panel, 'nope', { lower: 0, upper: 1 })).toThrow(/values: unknown factor 'nope'/);
  });
});

describe('zscore', () => {
  it('uses the sample standard deviation and keeps NaN', () => {
    const { values, findings } = zscore(panelOf([[1, 2, 3, NaN]]), 'f');
    expect(Array.from(values)).toEqual([-1, 0, 1, NaN]);
    expect(findings).toEqual([]);
  });
  it('gives 0 and a finding for a constant date and for a lone value', () => {
    const { values, findings } = zscore(panelOf([[7, 7, 7], [NaN, 3, NaN], [NaN, NaN, NaN]]), 'f');
    expect(Array.from(values)).toEqual([0, 0, 0, NaN, 0, NaN, NaN, NaN, NaN]);
    expect(findings.map((f) => [f.date, f.kind])).toEqual([
      ['2024-01-02', 'constant-cross-section'],
      ['2024-01-03', 'too-few-values'],
    ]);
  });
});

describe('rank', () => {
  it('gives average ranks 1..n to ties, or (rank − 1)/(n − 1) when normalized', () => {
    const panel = panelOf([[30, 10, 20, 20, NaN]]);
    expect(Array.from(rank(panel, 'f').values)).toEqual([4, 1, 2.5, 2.5, NaN]);
    expect(Array.from(rank(panel, 'f', { normalize: true }).values)).toEqual([1, 0, 0.5, 0.5, NaN]);
  });
  it('ranks a lone value 1 (normalized 0.5) with a finding; a constant date ranks all in the middle', () => {
    const lone = rank(panelOf([[NaN, 4]]), 'f', { normalize: true });
    expect(Array.from(lone.values)).toEqual([NaN, 0.5]);
    expect(lone.findings.map((f) => f.kind)).toEqual(['too-few-values']);
    expect(Array.from(rank(panelOf([[2, 2, 2]]), 'f').values)).toEqual([2, 2, 2]);
  });
});

describe('demean', () => {
  it("subtracts the date's mean, or the group's mean with byGroup", () => {
    const panel = panelOf([[1, 2, 3, 6, NaN]], { groups: [['a', 'a', 'b', 'b', 'b']] });
    expect(Array.from(demean(panel, 'f').values)).toEqual([-2, -1, 0, 3, NaN]);
    expect(Array.from(demean(panel, 'f', { byGroup: true }).values)).toEqual([-0.5, 0.5, -1.5, 1.5, NaN]);
  });
  it('gives 0 and a finding for a group of one; a value without a group becomes NaN with a finding', () => {
    const panel = panelOf([[1, 2, 3, 4]], { groups: [['a', 'a', 'b', null]] });
    const { values, findings } = demean(panel, 'f', { byGroup: true });
    expect(Array.from(values)).toEqual([-0.5, 0.5, 0, NaN]);
    expect(findings.map((f) => f.kind).sort()).toEqual(['missing-group', 'small-group']);
    expect(findings.find((f) => f.kind === 'small-group')?.detail).toMatch(/group 'b' has a single value/);
  });
  it('refuses byGroup on a panel without groups', () => {
    expect(() => demean(panelOf([[1, 2]]), 'f', { byGroup: true })).toThrow(/byGroup: the panel has no group column/);
  });
});

describe('neutralize', () => {
  it('returns the residual of the per-date OLS fit on the other factor', () => {
    // y = 1 + 2x + residual (residuals sum to zero and are orthogonal to x)
    const x = [0, 1, 2, 3];
    const residual = [0.5, -0.5, -0.5, 0.5];
    const y = x.map((v, i) => 1 + 2 * v + (residual[i] as number));
    const { values, findings } = neutralize(panelOf([y], { other: [x] }), 'f', { against: 'x' });
    Array.from(values).forEach((v, i) => expect(v).toBeCloseTo(residual[i] as number, 12));
    expect(findings).toEqual([]);
  });
  it('handles a constant regressor, a missing regressor and a lone complete row with findings', () => {
    const panel = panelOf([[1, 2, 6], [5, 9, 4]], { other: [[3, 3, 3], [1, NaN, NaN]] });
    const { values, findings } = neutralize(panel, 'f', { against: 'x' });
    expect(Array.from(values)).toEqual([-2, -1, 3, 0, NaN, NaN]);
    expect(findings.map((f) => [f.date, f.kind])).toEqual([
      ['2024-01-02', 'constant-regressor'],
      ['2024-01-03', 'missing-values'],
      ['2024-01-03', 'too-few-values'],
    ]);
  });
});
