import { universeOf } from '../test/universe-builder';
import { sizeFor, validateSizingRule } from './position-sizing';

// Closes alternate +2% / −2%; open = close; so high = low = close and TR = |close − previous close|.
const closes = [100];
for (let k = 1; k < 30; k++) closes.push((closes[k - 1] as number) * (k % 2 === 1 ? 1.02 : 0.98));
const universe = universeOf({ AAA: closes.map((c) => [c, c] as [number, number]) });

describe('sizeFor', () => {
  it('sizes fixed shares and percent of cash as before', () => {
    const input = { cash: 10_000, equity: 10_000, universe, symbolIndex: 0, step: 0 };
    expect(sizeFor({ kind: 'fixed-shares', shares: 7 }, input)).toBe(7);
    expect(sizeFor({ kind: 'percent-of-equity', percent: 50 }, input)).toBe(50);
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

  it.each([
    [{ kind: 'volatility-target', targetAnnualVolPct: Number.NaN, lookbackBars: 20 } as const, /--vol-target/],
    [{ kind: 'volatility-target', targetAnnualVolPct: 10, lookbackBars: 1 } as const, /lookback of at least 2/],
    [{ kind: 'atr-risk', riskPct: 1, atrPeriod: 14, atrMultiple: 0 } as const, /positive ATR multiple/],
  ])('refuses %j', (rule, message) => {
    expect(() => validateSizingRule(rule)).toThrow(message);
  });
});
