import { ConfigError, DataError, SeededRng } from '@quantbot/core';
import { createFactorPanel } from './factor-panel';
import { estimateFactorReturns } from './factor-returns';
import type { FactorReturnSeries } from './factor-returns';
import { referenceOls } from './reference-ols.spec-helper';
import { attributeReturns } from './return-attribution';
import { studentTTwoSidedPValue } from './student-t';

const day = (i: number) => new Date(Date.UTC(2022, 0, 3 + i)).toISOString().slice(0, 10);

/** Factor returns for `n` days and a strategy r = alpha + Σ β f + noise on the same days. */
function planted(n: number, alpha: number, betas: Readonly<Record<string, number>>, noise: number, seed: number) {
  const rng = new SeededRng(seed);
  const dates = Array.from({ length: n }, (_, i) => day(i));
  const returns: Record<string, number[]> = {};
  for (const name of Object.keys(betas)) returns[name] = dates.map(() => 0.0004 + 0.01 * rng.nextNormal());
  const strategy = dates.map((_, t) => alpha + Object.entries(betas).reduce((s, [name, b]) => s + b * ((returns[name] as number[])[t] as number), 0) + noise * rng.nextNormal());
  return { dates, returns, strategy };
}

describe('attributeReturns', () => {
  const { dates, returns, strategy } = planted(500, 0.0003, { market: 1.2, size: -0.4, momentum: 0.25 }, 0.004, 9);
  const result = attributeReturns({ dates, returns: strategy }, { dates, returns });

  it('recovers planted alpha and exposures', () => {
    expect(result.defined).toBe(true);
    expect(result.n).toBe(500);
    expect(result.df).toBe(496);
    expect(result.exposures['market']?.beta).toBeCloseTo(1.2, 1);
    expect(result.exposures['size']?.beta).toBeCloseTo(-0.4, 1);
    expect(result.exposures['momentum']?.beta).toBeCloseTo(0.25, 1);
    // se(α) ≈ 0.004 / √500 ≈ 0.00018.
    expect(Math.abs((result.alpha.perPeriod as number) - 0.0003)).toBeLessThan(0.0006);
    expect(result.residualVolatility.perPeriod).toBeCloseTo(0.004, 3);
  });

  it('matches a hand-computed OLS: coefficients, standard errors, t, p, R², residual volatility', () => {
    const names = ['market', 'size', 'momentum'];
    const reference = referenceOls(names.map((n) => returns[n] as number[]), strategy);
    expect(result.alpha.perPeriod).toBeCloseTo(reference.coefficients[0] as number, 12);
    expect(result.alpha.standardError).toBeCloseTo(reference.standardErrors[0] as number, 12);
    const alphaT = (reference.coefficients[0] as number) / (reference.standardErrors[0] as number);
    expect(result.alpha.t).toBeCloseTo(alphaT, 8);
    expect(result.alpha.pValue).toBeCloseTo(studentTTwoSidedPValue(alphaT, 496), 8);
    names.forEach((name, j) => {
      const exposure = result.exposures[name];
      expect(exposure?.beta).toBeCloseTo(reference.coefficients[j + 1] as number, 12);
      expect(exposure?.standardError).toBeCloseTo(reference.standardErrors[j + 1] as number, 12);
      expect(exposure?.t).toBeCloseTo((reference.coefficients[j + 1] as number) / (reference.standardErrors[j + 1] as number), 8);
    });
    expect(result.rSquared).toBeCloseTo(reference.rSquared, 12);
    expect(result.residualVolatility.perPeriod).toBeCloseTo(reference.residualStd, 12);
  });

  it('annualises alpha arithmetically and residual volatility by √periodsPerYear', () => {
    expect(result.periodsPerYear).toBe(252);
    expect(result.alpha.annualized).toBeCloseTo((result.alpha.perPeriod as number) * 252, 14);
    expect(result.residualVolatility.annualized).toBeCloseTo((result.residualVolatility.perPeriod as number) * Math.sqrt(252), 14);
    const monthly = attributeReturns({ dates, returns: strategy }, { dates, returns }, { periodsPerYear: 12 });
    expect(monthly.alpha.annualized).toBeCloseTo((result.alpha.perPeriod as number) * 12, 14);
  });

  it('splits the mean return into alpha and each factor’s contribution, shares summing to 1', () => {
    const mean = strategy.reduce((a, b) => a + b, 0) / strategy.length;
    expect(result.meanReturn).toBeCloseTo(mean, 15);
    let total = result.alpha.perPeriod as number;
    let shares = result.alpha.share as number;
    for (const name of ['market', 'size', 'momentum']) {
      const exposure = result.exposures[name];
      const meanFactor = (returns[name] as number[]).reduce((a, b) => a + b, 0) / 500;
      expect(exposure?.meanFactorReturn).toBeCloseTo(meanFactor, 15);
      expect(exposure?.contribution).toBeCloseTo((exposure?.beta as number) * meanFactor, 15);
      expect(exposure?.share).toBeCloseTo((exposure?.contribution as number) / mean, 12);
      total += exposure?.contribution as number;
      shares += exposure?.share as number;
    }
    expect(total).toBeCloseTo(mean, 14);
    expect(shares).toBeCloseTo(1, 10);
  });

  it('uses only the dates both sides have and lists the others', () => {
    // The strategy lacks day 3 (null) and day 4 (absent) and has an extra day 600; the
    // factors lack momentum on day 7, have an extra day 700, and day 800 with no values at all.
    const keep = dates.map((_, i) => i).filter((i) => i !== 4);
    const strategyInput = { dates: [...keep.map((i) => dates[i] as string), day(600)], returns: [...keep.map((i) => (i === 3 ? null : (strategy[i] as number))), 0.01] };
    const factorDates = [...dates, day(700), day(800)];
    const factorInput: FactorReturnSeries = {
      dates: factorDates,
      returns: Object.fromEntries(Object.entries(returns).map(([name, values]) => [name, [...values.map((v, i) => (name === 'momentum' && i === 7 ? null : v)), 0.02, null]])),
    };
    const out = attributeReturns(strategyInput, factorInput);
    expect(out.datesWithoutStrategyReturn).toEqual([day(3), day(4), day(700), day(800)]);
    expect(out.datesWithoutFactorReturns).toEqual([day(7), day(600), day(800)]);
    expect(out.n).toBe(497);
    expect(out.findings.find((f) => f.kind === 'unmatched-dates')?.detail).toMatch(/^6 of 503 date\(s\) not used: 4 without a strategy return, 3 without every factor's return/);
    const used = dates.map((_, i) => i).filter((i) => ![3, 4, 7].includes(i));
    const reference = referenceOls(['market', 'size', 'momentum'].map((n) => used.map((i) => (returns[n] as number[])[i] as number)), used.map((i) => strategy[i] as number));
    expect(out.alpha.perPeriod).toBeCloseTo(reference.coefficients[0] as number, 12);
    expect(out.exposures['momentum']?.beta).toBeCloseTo(reference.coefficients[3] as number, 12);
  });

  it('accepts dates in any order', () => {
    const order = dates.map((_, i) => i).reverse();
    const shuffled = attributeReturns({ dates: order.map((i) => dates[i] as string), returns: order.map((i) => strategy[i] as number) }, { dates, returns });
    expect(shuffled.alpha.perPeriod).toBeCloseTo(result.alpha.perPeriod as number, 14);
  });

  it('attributes to a subset of factors when asked', () => {
    const out = attributeReturns({ dates, returns: strategy }, { dates, returns }, { factors: ['market'] });
    expect(Object.keys(out.exposures)).toEqual(['market']);
    expect(out.exposures['market']?.beta).toBeCloseTo(referenceOls([returns['market'] as number[]], strategy).coefficients[1] as number, 12);
  });

  it('leaves out a constant or collinear factor with a finding', () => {
    const market = returns['market'] as number[];
    const out = attributeReturns(
      { dates, returns: strategy },
      { dates, returns: { market, flat: market.map(() => 0.001), twice: market.map((v) => 2 * v) } },
    );
    expect(out.defined).toBe(true);
    expect(out.exposures['flat']).toEqual(expect.objectContaining({ beta: null, standardError: null, t: null, contribution: null, share: null }));
    expect(out.exposures['twice']?.beta).toBeNull();
    expect(out.findings.map((f) => f.kind)).toEqual(['constant-regressor', 'collinear-regressor']);
    expect(out.exposures['market']?.beta).toBeCloseTo(referenceOls([market], strategy).coefficients[1] as number, 12);
    expect((out.alpha.share as number) + (out.exposures['market']?.share as number)).toBeCloseTo(1, 10);
  });

  it('is undefined with too few dates or no usable factor, never NaN', () => {
    const few = attributeReturns({ dates: dates.slice(0, 3), returns: strategy.slice(0, 3) }, { dates, returns: { market: returns['market'] as number[], size: returns['size'] as number[] } });
    expect(few).toEqual(expect.objectContaining({ defined: false, reason: 'too-few-dates', n: 3, df: null, rSquared: null }));
    expect(few.alpha).toEqual({ perPeriod: null, annualized: null, standardError: null, t: null, pValue: null, share: null });
    expect(few.findings.map((f) => f.kind)).toContain('undefined-regression');
    const flat = attributeReturns({ dates, returns: strategy }, { dates, returns: { flat: dates.map(() => 0.001) } });
    expect(flat).toEqual(expect.objectContaining({ defined: false, reason: 'every-factor-left-out' }));
    for (const out of [few, flat]) {
      const json = JSON.stringify(out);
      expect(json).not.toMatch(/NaN|Infinity/);
      expect(JSON.parse(json)).toEqual(out);
    }
  });

  it('gives no shares when the mean return is 0', () => {
    const f = [0.01, -0.02, 0.015, 0.005, -0.01];
    const out = attributeReturns({ dates: dates.slice(0, 5), returns: [0.01, -0.01, 0.02, -0.02, 0] }, { dates: dates.slice(0, 5), returns: { f } });
    expect(out.meanReturn).toBe(0);
    expect(out.alpha.share).toBeNull();
    expect(out.exposures['f']?.share).toBeNull();
    expect(out.exposures['f']?.contribution).toEqual(expect.any(Number));
    expect(out.findings.map((x) => x.kind)).toContain('zero-mean-return');
  });

  it('attributes a long-short portfolio to factor returns estimated from a panel', () => {
    // Daily factor returns from a panel, then a strategy that holds 0.8 of the `size` factor.
    const rng = new SeededRng(5);
    const rows = { date: [] as string[], symbol: [] as string[], forwardReturn: [] as number[], size: [] as number[] };
    const plantedSize: number[] = [];
    for (let t = 0; t < 80; t++) {
      const f = 0.003 * rng.nextNormal();
      plantedSize.push(f);
      for (let s = 0; s < 60; s++) {
        const x = rng.nextNormal();
        rows.date.push(day(t));
        rows.symbol.push(`S${s}`);
        rows.size.push(x);
        rows.forwardReturn.push(f * x + 0.002 * rng.nextNormal());
      }
    }
    const panel = createFactorPanel({ date: rows.date, symbol: rows.symbol, forwardReturn: rows.forwardReturn, factors: { size: rows.size } });
    const factorReturns = estimateFactorReturns(panel, { factors: ['size'] });
    // The return realized on day t + 1 is the one formed on day t.
    const strategy = { dates: factorReturns.series.dates, returns: plantedSize.slice(0, 79).map((f) => 0.8 * f + 0.0001) };
    const out = attributeReturns(strategy, factorReturns.series);
    expect(out.n).toBe(79);
    expect(out.exposures['size']?.beta).toBeCloseTo(0.8, 1);
    expect(out.rSquared).toBeGreaterThan(0.95);
  });

  it('refuses bad inputs naming the field', () => {
    const factors = { dates, returns };
    expect(() => attributeReturns({ dates, returns: strategy }, factors, { periodsPerYear: 0 })).toThrow(/periodsPerYear: must be a positive number/);
    expect(() => attributeReturns({ dates, returns: strategy }, factors, { factors: [] })).toThrow(ConfigError);
    expect(() => attributeReturns({ dates, returns: strategy }, factors, { factors: ['value'] })).toThrow(/factors: unknown factor 'value'/);
    expect(() => attributeReturns({ dates, returns: strategy.slice(1) }, factors)).toThrow(/strategy: has 499 values for 500 dates/);
    expect(() => attributeReturns({ dates: ['2022-01-03', '2022-01-03'], returns: [0, 0] }, factors)).toThrow(/field strategy\.dates\[1\]: the date 2022-01-03 appears twice/);
    expect(() => attributeReturns({ dates: ['2022-1-3'], returns: [0] }, factors)).toThrow(DataError);
    expect(() => attributeReturns({ dates: [day(0)], returns: [Infinity] }, factors)).toThrow(/field strategy\[0\]: Infinity is not a finite return/);
    expect(() => attributeReturns({ dates, returns: strategy }, { dates, returns: { market: [...(returns['market'] as number[]).slice(1), -Infinity] } })).toThrow(/factorReturns\.returns\.market\[499\]/);
  });
});
