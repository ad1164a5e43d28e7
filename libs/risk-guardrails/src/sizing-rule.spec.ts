import type { BarUniverse } from '@quantbot/core';
import { ConfigError, ticker } from '@quantbot/core';
import type { SizingRule } from './position-sizing';
import { describeSizingRule, sizeFor, validateSizingRule } from './position-sizing';

/** One symbol whose open, high, low and close are all `closes[k]` on day k. */
function universeOfCloses(closes: readonly number[]): BarUniverse {
  const prices = Float64Array.from(closes);
  return {
    symbols: [ticker('AAA')],
    length: closes.length,
    time: Float64Array.from(closes, (_, k) => Date.UTC(2020, 0, 1) + k * 86_400_000),
    open: prices,
    high: prices,
    low: prices,
    close: prices,
    volume: new Float64Array(closes.length).fill(1_000),
    hasBar: new Uint8Array(closes.length).fill(1),
  };
}

// Closes alternate +2% / −2%, so the true range is |close − previous close|.
const closes = [100];
for (let k = 1; k < 30; k++) closes.push((closes[k - 1] as number) * (k % 2 === 1 ? 1.02 : 0.98));
const universe = universeOfCloses(closes);

describe('sizeFor', () => {
  it('sizes fixed shares and percent of cash as before', () => {
    const input = { cash: 10_000, equity: 10_000, universe, symbolIndex: 0, step: 0 };
    expect(sizeFor({ kind: 'fixed-shares', shares: 7 }, input)).toBe(7);
    expect(sizeFor({ kind: 'percent-of-cash', percent: 50 }, input)).toBe(50);
  });

  it('sizes percent of equity from equity, which differs from cash while a position is open', () => {
    // 4 000 cash left after buying 60 shares at 100: equity is 10 000 at a close of 100.
    const input = { cash: 4_000, equity: 10_000, universe, symbolIndex: 0, step: 0 };
    expect(sizeFor({ kind: 'percent-of-equity', percent: 50 }, input)).toBe(50);
    expect(sizeFor({ kind: 'percent-of-cash', percent: 50 }, input)).toBe(20);
  });

  it('gives both percent rules the same size on a flat book', () => {
    const input = { cash: 12_345, equity: 12_345, universe, symbolIndex: 0, step: 3 };
    expect(sizeFor({ kind: 'percent-of-equity', percent: 95 }, input)).toBe(sizeFor({ kind: 'percent-of-cash', percent: 95 }, input));
  });

  it('gives 0 for percent of equity when equity is not positive', () => {
    expect(sizeFor({ kind: 'percent-of-equity', percent: 50 }, { cash: 1_000, equity: -5, universe, symbolIndex: 0, step: 0 })).toBe(0);
  });

  it('targets an annual volatility from the deviation of the returns up to the decision bar', () => {
    const step = 25;
    const returns = closes.slice(step - 19, step + 1).map((c, i) => c / (closes[step - 20 + i] as number) - 1);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const sigma = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (returns.length - 1));
    const price = closes[step] as number;
    const expected = Math.floor((100_000 * 0.1) / (price * sigma * Math.sqrt(252)));
    const shares = sizeFor({ kind: 'volatility-target', targetAnnualVolPct: 10, lookbackBars: 20 }, { cash: 100_000, equity: 100_000, universe, symbolIndex: 0, step });
    expect(Math.abs(shares - expected)).toBeLessThanOrEqual(1);
    expect(shares).toBeGreaterThan(0);
  });

  it('risks a share of equity per ATR multiple, and gives 0 before there is enough history', () => {
    const step = 20;
    let trSum = 0;
    for (let k = step - 13; k <= step; k++) trSum += Math.abs((closes[k] as number) - (closes[k - 1] as number));
    const atr = trSum / 14;
    const shares = sizeFor({ kind: 'atr-risk', riskPct: 1, atrPeriod: 14, atrMultiple: 2 }, { cash: 100_000, equity: 100_000, universe, symbolIndex: 0, step });
    expect(Math.abs(shares - Math.floor(1_000 / (2 * atr)))).toBeLessThanOrEqual(1);
    expect(sizeFor({ kind: 'atr-risk', riskPct: 1, atrPeriod: 14, atrMultiple: 2 }, { cash: 100_000, equity: 100_000, universe, symbolIndex: 0, step: 5 })).toBe(0);
  });
});

describe('validateSizingRule', () => {
  it.each([
    [{ kind: 'fixed-shares', shares: 1.5 }, 'sizing.fixed-shares', /must be a positive whole number of shares/],
    [{ kind: 'percent-of-cash', percent: 120 }, 'sizing.percent-of-cash', /^sizing\.percent-of-cash: must be in \(0, 100\], got 120/],
    [{ kind: 'percent-of-equity', percent: 0 }, 'sizing.percent-of-equity', /must be in/],
    [{ kind: 'volatility-target', targetAnnualVolPct: Number.NaN, lookbackBars: 20 }, 'sizing.volatility-target', /must be in \(0, 100\] percent/],
    [{ kind: 'volatility-target', targetAnnualVolPct: 10, lookbackBars: 1 }, 'sizing.volatility-target', /lookback of at least 2/],
    [{ kind: 'atr-risk', riskPct: 1, atrPeriod: 14, atrMultiple: 0 }, 'sizing.atr-risk', /positive ATR multiple/],
    [{ kind: 'percent-of-everything', percent: 5 } as unknown as SizingRule, 'sizing.percent-of-everything', /unknown sizing rule/],
  ] as const)('refuses %j with a ConfigError keyed by the rule', (rule, key, reason) => {
    let error: unknown;
    try {
      validateSizingRule(rule as SizingRule);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as ConfigError).message).toMatch(reason);
  });

  it('returns a frozen copy of a good rule', () => {
    const rule = validateSizingRule({ kind: 'percent-of-equity', percent: 10 });
    expect(Object.isFrozen(rule)).toBe(true);
    expect(describeSizingRule(rule)).toBe('10% of equity');
    expect(describeSizingRule({ kind: 'percent-of-cash', percent: 95 })).toBe('95% of cash');
  });
});
