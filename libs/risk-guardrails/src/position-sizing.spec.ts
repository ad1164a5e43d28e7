import { ConfigError } from '@quantbot/core';
import {
  atrRiskShares,
  cappedKellyFraction,
  fixedShares,
  kellyShares,
  percentOfEquityShares,
  volatilityTargetShares,
} from './position-sizing';

/** Runs `size` and returns the key of the ConfigError it throws (fails if it throws nothing else). */
function refusedKey(size: () => number): string {
  try {
    size();
  } catch (error) {
    if (error instanceof ConfigError) return error.key;
    throw error;
  }
  throw new Error('expected a ConfigError, but the input was accepted');
}

describe('fixedShares', () => {
  it.each([
    [0, 0],
    [100, 100],
  ])('returns %p shares as %p', (shares, expected) => {
    expect(fixedShares(shares)).toBe(expected);
  });

  it.each([[NaN], [Infinity], [-1], [1.5]])('refuses %p', (shares) => {
    expect(refusedKey(() => fixedShares(shares))).toBe('shares');
  });
});

describe('percentOfEquityShares', () => {
  const base = { equity: 100_000, price: 50, percent: 10 };

  it.each([
    ['10 % of 100 000 at 50', base, 200],
    ['rounds down', { ...base, price: 51 }, 196],
    ['an exact budget is not short by a share', { equity: 10_000, price: 0.1, percent: 3 }, 3_000],
    ['0 when the budget is below one share', { ...base, equity: 100, price: 500 }, 0],
    ['0 at 0 %', { ...base, percent: 0 }, 0],
    ['0 with no equity', { ...base, equity: 0 }, 0],
    ['all of equity at 100 %', { ...base, percent: 100 }, 2_000],
  ])('%s', (_name, input, expected) => {
    expect(percentOfEquityShares(input)).toBe(expected);
  });

  it.each([
    ['equity', { ...base, equity: NaN }],
    ['equity', { ...base, equity: -1 }],
    ['equity', { ...base, equity: Infinity }],
    ['price', { ...base, price: 0 }],
    ['price', { ...base, price: -50 }],
    ['price', { ...base, price: NaN }],
    ['price', { ...base, price: Infinity }],
    ['percent', { ...base, percent: -1 }],
    ['percent', { ...base, percent: 101 }],
    ['percent', { ...base, percent: NaN }],
  ])('refuses a bad %s', (key, input) => {
    expect(refusedKey(() => percentOfEquityShares(input))).toBe(key);
  });
});

describe('volatilityTargetShares', () => {
  const base = { equity: 100_000, price: 100, targetAnnualVolPct: 10, dailyVolatility: 0.02 };

  it.each([
    // 10 000 / (100 × 0.02 × √252 = 31.749…) = 314.97…
    ['10 % target at 2 % daily vol', base, 314],
    ['halves with twice the volatility', { ...base, dailyVolatility: 0.04 }, 157],
    ['0 at a 0 % target', { ...base, targetAnnualVolPct: 0 }, 0],
    ['0 when the budget is below one share', { ...base, equity: 1_000, price: 5_000 }, 0],
  ])('%s', (_name, input, expected) => {
    expect(volatilityTargetShares(input)).toBe(expected);
  });

  it.each([
    ['equity', { ...base, equity: -1 }],
    ['price', { ...base, price: 0 }],
    ['targetAnnualVolPct', { ...base, targetAnnualVolPct: NaN }],
    ['targetAnnualVolPct', { ...base, targetAnnualVolPct: -5 }],
    ['targetAnnualVolPct', { ...base, targetAnnualVolPct: 150 }],
    ['dailyVolatility', { ...base, dailyVolatility: 0 }],
    ['dailyVolatility', { ...base, dailyVolatility: -0.01 }],
    ['dailyVolatility', { ...base, dailyVolatility: Infinity }],
    ['dailyVolatility', { ...base, dailyVolatility: 2 }],
  ])('refuses a bad %s', (key, input) => {
    expect(refusedKey(() => volatilityTargetShares(input))).toBe(key);
  });
});

describe('atrRiskShares', () => {
  const base = { equity: 100_000, riskPct: 1, atr: 2, atrMultiple: 2 };

  it.each([
    ['1 % risk with a 2-ATR stop of 2', base, 250],
    ['rounds down', { ...base, atr: 3 }, 166],
    ['0 at 0 % risk', { ...base, riskPct: 0 }, 0],
    ['uncapped when the price allows', { ...base, price: 50 }, 250],
    ['capped at what equity buys outright', { ...base, price: 500 }, 200],
    ['0 when the budget is below one share', { ...base, equity: 100, atr: 10 }, 0],
  ])('%s', (_name, input, expected) => {
    expect(atrRiskShares(input)).toBe(expected);
  });

  it.each([
    ['equity', { ...base, equity: NaN }],
    ['riskPct', { ...base, riskPct: -1 }],
    ['riskPct', { ...base, riskPct: 101 }],
    ['atr', { ...base, atr: 0 }],
    ['atr', { ...base, atr: NaN }],
    ['atr', { ...base, atr: -2 }],
    ['atrMultiple', { ...base, atrMultiple: 0 }],
    ['atrMultiple', { ...base, atrMultiple: Infinity }],
    ['price', { ...base, price: 0 }],
    ['price', { ...base, price: NaN }],
  ])('refuses a bad %s', (key, input) => {
    expect(refusedKey(() => atrRiskShares(input))).toBe(key);
  });
});

describe('cappedKellyFraction', () => {
  it.each([
    ['half Kelly by default: 0.55 at 1:1 → 0.05', { winRate: 0.55, payoffRatio: 1 }, 0.05],
    ['full Kelly at scale 1', { winRate: 0.55, payoffRatio: 1, scale: 1 }, 0.1],
    ['payoff 2: 0.5 − 0.5/2 = 0.25, halved', { winRate: 0.5, payoffRatio: 2 }, 0.125],
    ['capped at 0.25 by default', { winRate: 0.9, payoffRatio: 3 }, 0.25],
    ['capped at a custom cap', { winRate: 0.6, payoffRatio: 1, scale: 1, cap: 0.1 }, 0.1],
    ['0 with no edge', { winRate: 0.5, payoffRatio: 1 }, 0],
    ['0, not negative, with a losing edge', { winRate: 0.3, payoffRatio: 1 }, 0],
    ['0 at scale 0', { winRate: 0.9, payoffRatio: 3, scale: 0 }, 0],
  ])('%s', (_name, input, expected) => {
    expect(cappedKellyFraction(input)).toBeCloseTo(expected, 12);
  });

  it.each([
    ['winRate', { winRate: NaN, payoffRatio: 1 }],
    ['winRate', { winRate: -0.1, payoffRatio: 1 }],
    ['winRate', { winRate: 1.1, payoffRatio: 1 }],
    ['payoffRatio', { winRate: 0.5, payoffRatio: 0 }],
    ['payoffRatio', { winRate: 0.5, payoffRatio: -1 }],
    ['payoffRatio', { winRate: 0.5, payoffRatio: Infinity }],
    ['cap', { winRate: 0.5, payoffRatio: 1, cap: 1.5 }],
    ['cap', { winRate: 0.5, payoffRatio: 1, cap: -0.1 }],
    ['scale', { winRate: 0.5, payoffRatio: 1, scale: 2 }],
    ['scale', { winRate: 0.5, payoffRatio: 1, scale: NaN }],
  ])('refuses a bad %s', (key, input) => {
    expect(refusedKey(() => cappedKellyFraction(input))).toBe(key);
  });
});

describe('kellyShares', () => {
  const base = { equity: 100_000, price: 50, winRate: 0.55, payoffRatio: 1 };

  it.each([
    ['5 % of 100 000 at 50', base, 100],
    ['the cap bounds the shares', { ...base, winRate: 0.9, payoffRatio: 3 }, 500],
    ['0 with no edge', { ...base, winRate: 0.4 }, 0],
    ['0 when the budget is below one share', { ...base, price: 10_000 }, 0],
  ])('%s', (_name, input, expected) => {
    expect(kellyShares(input)).toBe(expected);
  });

  it.each([
    ['equity', { ...base, equity: -1 }],
    ['price', { ...base, price: 0 }],
    ['price', { ...base, price: Infinity }],
    ['winRate', { ...base, winRate: NaN }],
    ['payoffRatio', { ...base, payoffRatio: 0 }],
  ])('refuses a bad %s', (key, input) => {
    expect(refusedKey(() => kellyShares(input))).toBe(key);
  });
});

describe('every rule', () => {
  it('refuses inputs that size an absurd position', () => {
    expect(refusedKey(() => percentOfEquityShares({ equity: 1e300, price: 1e-300, percent: 100 }))).toBe('percentOfEquityShares');
  });
});
