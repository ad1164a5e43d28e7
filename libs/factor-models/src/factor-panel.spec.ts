import { ConfigError, DataError } from '@quantbot/core';
import { createFactorPanel, forwardReturns, withFactor } from './factor-panel';

describe('createFactorPanel', () => {
  it('sorts rows by date then symbol and indexes dates and symbols', () => {
    const panel = createFactorPanel({
      date: ['2024-01-03', '2024-01-02', '2024-01-02', '2024-01-03'],
      symbol: ['B', 'B', 'A', 'A'],
      close: [11, 10, 20, 22],
      factors: { f: [4, 3, 2, 1] },
    });
    expect(panel.dates).toEqual(['2024-01-02', '2024-01-03']);
    expect(panel.symbols).toEqual(['A', 'B']);
    expect(Array.from(panel.dateStart)).toEqual([0, 2, 4]);
    expect(Array.from(panel.symbolIndex)).toEqual([0, 1, 0, 1]);
    expect(Array.from(panel.close ?? [])).toEqual([20, 10, 22, 11]);
    expect(Array.from(panel.factors['f'] ?? [])).toEqual([2, 3, 1, 4]);
    expect(Object.isFrozen(panel)).toBe(true);
  });

  it('counts missing values and refuses infinities, non-positive closes, duplicates and bad dates', () => {
    const base = { date: ['2024-01-02', '2024-01-02'], symbol: ['A', 'B'], close: [1, 2], factors: { f: [NaN, 1] } };
    expect(createFactorPanel(base).missing).toEqual({ close: 0, f: 1 });
    expect(() => createFactorPanel({ ...base, factors: { f: [Infinity, 1] } })).toThrow(DataError);
    expect(() => createFactorPanel({ ...base, close: [0, 2] })).toThrow(/close must be positive/);
    expect(() => createFactorPanel({ ...base, symbol: ['A', 'A'] })).toThrow(/duplicate row for 2024-01-02 A \(first at line 1\)/);
    expect(() => createFactorPanel({ ...base, date: ['2024-02-30', '2024-01-02'] })).toThrow(/'2024-02-30' is not a date/);
    expect(() => createFactorPanel({ ...base, forwardReturn: [0, 0] })).toThrow(ConfigError);
    expect(() => createFactorPanel({ ...base, factors: {} })).toThrow(/at least one factor/);
    expect(() => createFactorPanel({ ...base, factors: { close: [1, 2] } })).toThrow(/reserved/);
    expect(() => createFactorPanel({ ...base, symbol: ['A'] })).toThrow(/symbol: has 1 values, expected 2/);
  });
});

describe('forwardReturns', () => {
  // A is on three dates, B skips the middle one: B's next row is two panel dates later.
  const panel = createFactorPanel({
    date: ['2024-01-02', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-04'],
    symbol: ['A', 'B', 'A', 'A', 'B'],
    close: [100, 50, 110, 99, NaN],
    factors: { f: [1, 2, 3, 4, 5] },
  });

  it("is close[t+k]/close[t] − 1 over the symbol's own rows, NaN where not available", () => {
    const returns = forwardReturns(panel, [1, 2]);
    // rows: (01-02 A), (01-02 B), (01-03 A), (01-04 A), (01-04 B)
    const one = Array.from(returns.get(1) ?? []);
    expect(one[0]).toBeCloseTo(0.1, 12);
    expect(one[1]).toBeNaN(); // B's next close is missing
    expect(one[2]).toBeCloseTo(-0.1, 12);
    expect(one[3]).toBeNaN();
    expect(one[4]).toBeNaN();
    const two = Array.from(returns.get(2) ?? []);
    expect(two[0]).toBeCloseTo(-0.01, 12);
    expect(two.slice(1).every(Number.isNaN)).toBe(true);
  });

  it('compounds one-row forward returns on a forward_return panel', () => {
    const fr = createFactorPanel({ date: ['2024-01-02', '2024-01-03', '2024-01-04'], symbol: ['A', 'A', 'A'], forwardReturn: [0.1, -0.1, NaN], factors: { f: [1, 2, 3] } });
    const returns = forwardReturns(fr, [1, 2, 3]);
    expect(Array.from(returns.get(1) ?? [])).toEqual([0.1, -0.1, NaN]);
    expect((returns.get(2) ?? [])[0]).toBeCloseTo(1.1 * 0.9 - 1, 12);
    expect(Array.from(returns.get(2) ?? []).slice(1).every(Number.isNaN)).toBe(true);
    expect(Array.from(returns.get(3) ?? []).every(Number.isNaN)).toBe(true);
  });

  it('refuses periods that are not positive whole numbers', () => {
    expect(() => forwardReturns(panel, [0])).toThrow(/periods: a period is a positive whole number/);
    expect(() => forwardReturns(panel, [1.5])).toThrow(ConfigError);
    expect(() => forwardReturns(panel, [])).toThrow(ConfigError);
  });
});

describe('withFactor', () => {
  const panel = createFactorPanel({ date: ['2024-01-02', '2024-01-02'], symbol: ['A', 'B'], close: [1, 2], factors: { f: [1, 2] } });
  it('adds a column and counts its missing values', () => {
    const more = withFactor(panel, 'g', Float64Array.from([NaN, 3]));
    expect(more.factorNames).toEqual(['f', 'g']);
    expect(more.missing['g']).toBe(1);
    expect(panel.factorNames).toEqual(['f']);
  });
  it('refuses a taken name or a wrong length', () => {
    expect(() => withFactor(panel, 'f', new Float64Array(2))).toThrow(ConfigError);
    expect(() => withFactor(panel, 'group', new Float64Array(2))).toThrow(ConfigError);
    expect(() => withFactor(panel, 'g', new Float64Array(3))).toThrow(/g: has 3 values, expected 2/);
  });
});
