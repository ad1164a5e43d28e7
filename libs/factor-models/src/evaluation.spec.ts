import { ConfigError } from '@quantbot/core';
import type { FactorPanel } from './factor-panel';
import { createFactorPanel } from './factor-panel';
import { assignQuantiles, evaluateFactor } from './evaluation';
import type { FactorFinding } from './findings';
import { generateSyntheticPanel } from './synthetic-panel';

// ---------------------------------------------------------------------------------------------
// A reference implementation written independently of the library, straight from alphalens'
// definitions: rows as plain records, ranks by counting, quantile edges by interpolation.
// ---------------------------------------------------------------------------------------------
interface Row {
  readonly date: string;
  readonly symbol: string;
  readonly close: number;
  readonly factor: number;
}

function rowsOf(panel: FactorPanel, factor: string): Row[] {
  return Array.from({ length: panel.rows }, (_, i) => ({
    date: panel.dates[panel.dateIndex[i] as number] as string,
    symbol: panel.symbols[panel.symbolIndex[i] as number] as string,
    close: (panel.close as Float64Array)[i] as number,
    factor: (panel.factors[factor] as Float64Array)[i] as number,
  }));
}

/** Forward return keyed `date|symbol`: close k rows later in the symbol's own history / close − 1. */
function referenceForward(rows: readonly Row[], k: number): Map<string, number> {
  const bySymbol = new Map<string, Row[]>();
  for (const row of rows) bySymbol.set(row.symbol, [...(bySymbol.get(row.symbol) ?? []), row]);
  const out = new Map<string, number>();
  for (const history of bySymbol.values()) {
    history.sort((a, b) => a.date.localeCompare(b.date));
    history.forEach((row, j) => {
      const later = history[j + k];
      out.set(`${row.date}|${row.symbol}`, later === undefined ? NaN : later.close / row.close - 1);
    });
  }
  return out;
}

/** Rank by counting: (number smaller) + (number equal + 1) / 2. */
function countingRanks(xs: readonly number[]): number[] {
  return xs.map((x) => xs.filter((y) => y < x).length + (xs.filter((y) => y === x).length + 1) / 2);
}

function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const cov = xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0);
  const vx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const vy = ys.reduce((a, y) => a + (y - my) ** 2, 0);
  return vx === 0 || vy === 0 ? NaN : cov / Math.sqrt(vx * vy);
}

const spearman = (xs: readonly number[], ys: readonly number[]) => pearson(countingRanks(xs), countingRanks(ys));

/** pandas.qcut(values, q, labels=False) + 1 on distinct values: edges interpolated at k/q, bins right-closed. */
function qcut(values: readonly number[], q: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const edge = (p: number) => {
    const h = (sorted.length - 1) * p;
    const lo = Math.floor(h);
    return (sorted[lo] as number) + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] as number) - (sorted[lo] as number));
  };
  const edges = Array.from({ length: q + 1 }, (_, k) => edge(k / q));
  return values.map((v) => {
    for (let k = 1; k <= q; k++) if (v <= (edges[k] as number)) return k;
    return q;
  });
}

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleStd = (xs: readonly number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - meanOf(xs)) ** 2, 0) / (xs.length - 1));

function byDate(rows: readonly Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const row of rows) out.set(row.date, [...(out.get(row.date) ?? []), row]);
  return out;
}

describe('evaluateFactor against a reference implementation', () => {
  const panel = generateSyntheticPanel({ symbols: 30, dates: 60, seed: 11, ic: 0.2 });
  const result = evaluateFactor(panel, { factor: 'signal', periods: [1, 5], quantiles: 5 });
  const rows = rowsOf(panel, 'signal');
  const dates = byDate(rows);

  it.each([1, 5])('matches the daily Spearman IC, its mean, std, ICIR and t for period %i', (period) => {
    const forward = referenceForward(rows, period);
    const ics: number[] = [];
    [...dates.entries()].forEach(([date, members], d) => {
      const both = members.filter((r) => Number.isFinite(forward.get(`${date}|${r.symbol}`) as number));
      const ic = spearman(both.map((r) => r.factor), both.map((r) => forward.get(`${date}|${r.symbol}`) as number));
      const got = result.icSeries[d]?.[`${period}`];
      if (Number.isFinite(ic)) {
        ics.push(ic);
        expect(got).toBeCloseTo(ic, 12);
      } else expect(got).toBeNull();
    });
    expect(ics).toHaveLength(60 - period);
    const summary = result.ic[String(period)];
    expect(summary?.n).toBe(ics.length);
    expect(summary?.mean).toBeCloseTo(meanOf(ics), 12);
    expect(summary?.std).toBeCloseTo(sampleStd(ics), 12);
    expect(summary?.icir).toBeCloseTo(meanOf(ics) / sampleStd(ics), 10);
    expect(summary?.t).toBeCloseTo(meanOf(ics) / (sampleStd(ics) / Math.sqrt(ics.length)), 10);
  });

  it.each([1, 5])('matches the mean forward return per quantile and the top-minus-bottom spread for period %i', (period) => {
    const forward = referenceForward(rows, period);
    const perQuantile: number[][] = [[], [], [], [], []];
    const spreads: number[] = [];
    for (const [date, members] of dates) {
      const buckets = qcut(members.map((r) => r.factor), 5);
      const means = [1, 2, 3, 4, 5].map((q) => {
        const returns = members.map((r, i) => (buckets[i] === q ? (forward.get(`${date}|${r.symbol}`) as number) : NaN)).filter(Number.isFinite);
        return returns.length === 0 ? NaN : meanOf(returns);
      });
      means.forEach((m, q) => Number.isFinite(m) && perQuantile[q]?.push(m));
      const spread = (means[4] as number) - (means[0] as number);
      if (Number.isFinite(spread)) spreads.push(spread);
    }
    perQuantile.forEach((series, q) => expect(result.quantileReturns[String(period)]?.[q]).toBeCloseTo(meanOf(series), 12));
    expect(result.topMinusBottom[String(period)]).toBeCloseTo(meanOf(spreads), 12);
  });

  it.each([1, 5])('matches the quantile turnover and the rank autocorrelation at a lag of %i date(s)', (lag) => {
    const ordered = [...dates.values()];
    const sets = ordered.map((members) => {
      const buckets = qcut(members.map((r) => r.factor), 5);
      return [1, 2, 3, 4, 5].map((q) => new Set(members.filter((_, i) => buckets[i] === q).map((r) => r.symbol)));
    });
    for (let q = 0; q < 5; q++) {
      const shares: number[] = [];
      for (let d = lag; d < sets.length; d++) {
        const now = sets[d]?.[q] as Set<string>;
        const before = sets[d - lag]?.[q] as Set<string>;
        shares.push([...now].filter((s) => !before.has(s)).length / now.size);
      }
      expect(result.turnoverByPeriod[String(lag)]?.[String(q + 1)]).toBeCloseTo(meanOf(shares), 12);
      if (lag === 1) expect(result.turnover[String(q + 1)]).toBeCloseTo(meanOf(shares), 12);
    }
    const rankMaps = ordered.map((members) => {
      const ranks = countingRanks(members.map((r) => r.factor));
      return new Map(members.map((r, i) => [r.symbol, ranks[i] as number]));
    });
    const autocorrelations: number[] = [];
    for (let d = lag; d < rankMaps.length; d++) {
      const now = rankMaps[d] as Map<string, number>;
      const before = rankMaps[d - lag] as Map<string, number>;
      const common = [...now.keys()].filter((s) => before.has(s));
      autocorrelations.push(pearson(common.map((s) => now.get(s) as number), common.map((s) => before.get(s) as number)));
    }
    expect(result.rankAutocorrelationByPeriod[String(lag)]).toBeCloseTo(meanOf(autocorrelations), 12);
    if (lag === 1) expect(result.rankAutocorrelation).toBeCloseTo(meanOf(autocorrelations), 12);
  });

  it('is frozen, JSON-ready and reports the dates without a forward return', () => {
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.icSeries[0])).toBe(true);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result.icSeries.at(-1)).toEqual({ date: panel.dates.at(-1), '1': null, '5': null });
    expect(result.findings.map((f) => f.detail)).toEqual([
      expect.stringMatching(/^period 1: the IC is undefined on 1 of 60 date/),
      expect.stringMatching(/^period 5: the IC is undefined on 5 of 60 date/),
    ]);
  });
});

describe('evaluateFactor on the planted synthetic panel', () => {
  const panel = generateSyntheticPanel({ symbols: 50, dates: 300, seed: 2024, ic: 0.1 });
  const result = evaluateFactor(panel, { factor: 'signal', periods: [1, 5, 10], quantiles: 5 });
  const noise = evaluateFactor(panel, { factor: 'noise', periods: [1], quantiles: 5 });

  it('recovers the planted 1-period IC within 0.02 and orders the quantiles', () => {
    expect(result.ic['1']?.mean).toBeGreaterThan(0.08);
    expect(result.ic['1']?.mean).toBeLessThan(0.12);
    expect(result.ic['1']?.t).toBeGreaterThan(5);
    expect(result.topMinusBottom['1']).toBeGreaterThan(0);
    const q = result.quantileReturns['1'] as number[];
    expect(q[4]).toBeGreaterThan(q[0] as number);
  });

  it('finds nothing in the noise factor', () => {
    expect(Math.abs(noise.ic['1']?.t as number)).toBeLessThan(2.5);
    expect(Math.abs(noise.ic['1']?.mean as number)).toBeLessThan(0.02);
  });

  it('sees a factor drawn afresh each date as unpersistent: autocorrelation near 0, turnover near 4/5', () => {
    expect(Math.abs(result.rankAutocorrelation as number)).toBeLessThan(0.05);
    for (const q of ['1', '2', '3', '4', '5']) expect(result.turnover[q]).toBeCloseTo(0.8, 1);
  });

  it('is deterministic', () => {
    const again = evaluateFactor(generateSyntheticPanel({ symbols: 50, dates: 300, seed: 2024, ic: 0.1 }), { factor: 'signal', periods: [1, 5, 10], quantiles: 5 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(result));
  }, 30_000);
});

describe('assignQuantiles (pandas qcut semantics)', () => {
  const panelOf = (values: readonly number[]) =>
    createFactorPanel({ date: values.map(() => '2024-01-02'), symbol: values.map((_, i) => `S${i}`), close: values.map(() => 1), factors: { f: values } });

  it('splits uneven counts like qcut: 7 names in 5 buckets are 2, 1, 1, 1, 2', () => {
    expect(Array.from(assignQuantiles(panelOf([7, 6, 5, 4, 3, 2, 1]), 'f', 5))).toEqual([5, 5, 4, 3, 2, 1, 1]);
    expect(Array.from(assignQuantiles(panelOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 'f', 5))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('puts ties in the bucket of their lowest position; NaN and thin dates get no bucket', () => {
    expect(Array.from(assignQuantiles(panelOf([1, 2, 2, 2, 2, 3]), 'f', 5))).toEqual([1, 1, 1, 1, 1, 5]);
    const findings: FactorFinding[] = [];
    expect(Array.from(assignQuantiles(panelOf([1, NaN, 2, 3]), 'f', 4, findings))).toEqual([0, 0, 0, 0]);
    expect(findings.map((f) => f.kind)).toEqual(['too-few-names-for-quantiles']);
  });

  it('refuses fewer than 2 quantiles, unknown factors and repeated periods', () => {
    const panel = panelOf([1, 2, 3]);
    expect(() => assignQuantiles(panel, 'f', 1)).toThrow(/quantiles: must be a whole number of at least 2/);
    expect(() => evaluateFactor(panel, { factor: 'g' })).toThrow(ConfigError);
    expect(() => evaluateFactor(panel, { factor: 'f', periods: [1, 1] })).toThrow(/periods: a period appears twice/);
  });
});

describe('evaluateFactor with missing values', () => {
  it('leaves a missing factor value out of every statistic and reports it', () => {
    // Two dates, four names; D has no factor value on the first date.
    const panel = createFactorPanel({
      date: ['2024-01-02', '2024-01-02', '2024-01-02', '2024-01-02', '2024-01-03', '2024-01-03', '2024-01-03', '2024-01-03'],
      symbol: ['A', 'B', 'C', 'D', 'A', 'B', 'C', 'D'],
      forwardReturn: [0.01, 0.02, 0.03, -0.5, NaN, NaN, NaN, NaN],
      factors: { f: [1, 2, 3, NaN, 1, 2, 3, 4] },
    });
    const result = evaluateFactor(panel, { factor: 'f', periods: [1], quantiles: 3 });
    expect(result.icSeries[0]?.['1']).toBe(1);
    expect(result.ic['1']).toEqual({ mean: 1, std: null, icir: null, t: null, n: 1 });
    expect(result.quantileReturns['1']?.map((v) => Number(v?.toFixed(12)))).toEqual([0.01, 0.02, 0.03]);
    expect(result.topMinusBottom['1']).toBeCloseTo(0.02, 12);
    expect(result.findings.map((f) => f.kind)).toEqual(['missing-values', 'undefined-ic']);
    expect(result.findings[0]?.detail).toMatch(/1 missing value\(s\) of 'f'/);
  });
});
