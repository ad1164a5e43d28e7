import fc from 'fast-check';
import { ConfigError, clientOrderId, epochMs, ticker } from '@quantbot/core';
import type { EpochMs, OrderRequest } from '@quantbot/core';
import { isReducingOrder, orderReferencePrice, resolveRiskLimits, riskLimitsToJson, validateRiskLimits } from './risk-limits';
import type { PortfolioView } from './risk-types';

const AAA = ticker('AAA');

function order(fields: Partial<OrderRequest> = {}): OrderRequest {
  return {
    clientOrderId: clientOrderId('o-1'),
    symbol: AAA,
    side: 'buy',
    type: 'market',
    qty: 10,
    timeInForce: 'day',
    decidedAt: epochMs(0),
    ...fields,
  };
}

function portfolioWithLastPrice(price: number): PortfolioView {
  return {
    time: epochMs(0) as EpochMs,
    equity: 0,
    position: () => 0,
    lastPrice: () => price,
    grossExposure: () => 0,
    netExposure: () => 0,
  };
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('validateRiskLimits', () => {
  it.each([
    ['maxOrderNotional', -1, 'must not be negative, got -1'],
    ['maxOrderQty', NaN, 'must be a number, got NaN'],
    ['maxPositionQty', -0.5, 'must not be negative, got -0.5'],
    ['maxPositionPctEquity', NaN, 'must be a number, got NaN'],
    ['maxGrossExposurePct', -10, 'must not be negative, got -10'],
    ['maxGrossNotional', -1, 'must not be negative, got -1'],
    ['maxGrossNotional', NaN, 'must be a number, got NaN'],
    ['maxNetExposurePct', NaN, 'must be a number, got NaN'],
    ['priceBandPct', -5, 'must not be negative, got -5'],
    ['maxOrdersPerMinute', -1, 'must not be negative, got -1'],
    ['maxGapAdjustedExposurePct', NaN, 'must be a number, got NaN'],
    ['defaultGapRisk', -0.1, 'must not be negative, got -0.1'],
  ])('rejects %s = %p with a ConfigError naming the key', (key, value, message) => {
    const error = configErrorOf(() => validateRiskLimits({ [key]: value }));
    expect(error.key).toBe(key);
    expect(error.message).toBe(`${key}: ${message}`);
  });

  it('names the symbol of a bad gap risk', () => {
    expect(configErrorOf(() => validateRiskLimits({ gapRisk: { AAA: -0.1 } })).key).toBe('gapRisk.AAA');
    expect(configErrorOf(() => validateRiskLimits({ gapRisk: { AAA: 0.1, BBB: Infinity } })).key).toBe('gapRisk.BBB');
  });

  it('rejects a fractional order rate, an unknown key and a malformed symbol', () => {
    expect(configErrorOf(() => validateRiskLimits({ maxOrdersPerMinute: 2.5 })).key).toBe('maxOrdersPerMinute');
    expect(configErrorOf(() => validateRiskLimits({ maxOrderNotionl: 5 } as never)).key).toBe('maxOrderNotionl');
    expect(configErrorOf(() => validateRiskLimits({ denySymbols: ['not a ticker'] })).key).toBe('denySymbols');
  });

  it('accepts zero and Infinity, and returns a frozen copy', () => {
    const limits = validateRiskLimits({ maxOrderQty: 0, maxOrderNotional: Infinity, allowSymbols: ['AAA'] });
    expect(limits).toEqual({ maxOrderQty: 0, maxOrderNotional: Infinity, allowSymbols: ['AAA'] });
    expect(Object.isFrozen(limits)).toBe(true);
    expect(Object.isFrozen(limits.allowSymbols)).toBe(true);
  });
});

describe('resolveRiskLimits', () => {
  it('parses CLI overrides of every kind on top of a base', () => {
    const limits = resolveRiskLimits(
      {
        maxOrderNotional: '100000',
        maxOrderQty: 500,
        allowShort: 'false',
        denySymbols: 'bbb, CCC',
        gapRisk: 'AAA:0.08,BBB:0.1',
        'gapRisk.CCC': '0.2',
        priceBandPct: 'Infinity',
        maxGrossNotional: '25000',
      },
      { maxPositionQty: 1_000 },
    );
    expect(limits).toEqual({
      maxPositionQty: 1_000,
      maxOrderNotional: 100_000,
      maxOrderQty: 500,
      allowShort: false,
      denySymbols: ['BBB', 'CCC'],
      gapRisk: { AAA: 0.08, BBB: 0.1, CCC: 0.2 },
      priceBandPct: Infinity,
      maxGrossNotional: 25_000,
    });
  });

  it('lists the known keys when a key is unknown', () => {
    const error = configErrorOf(() => resolveRiskLimits({ maxNotional: '5' }));
    expect(error.key).toBe('maxNotional');
    expect(error.message).toContain('known keys: maxOrderNotional, maxOrderQty');
    expect(error.message).toContain('gapRisk.<SYMBOL>');
  });

  it.each([
    ['maxOrderQty', 'ten', "expected a number, got 'ten'"],
    ['maxOrderQty', '', "expected a number, got ''"],
    ['maxOrderQty', '-3', 'must not be negative, got -3'],
    ['maxGrossNotional', '5k', "expected a number, got '5k'"],
    ['allowShort', 'maybe', "expected true or false, got 'maybe'"],
    ['gapRisk', 'AAA=0.1', "expected SYMBOL:fraction pairs separated by commas, got 'AAA=0.1'"],
  ])('rejects %s=%p naming the key', (key, value, message) => {
    const error = configErrorOf(() => resolveRiskLimits({ [key]: value }));
    expect(error.key).toBe(key);
    expect(error.message).toBe(`${key}: ${message}`);
  });
});

describe('riskLimitsToJson', () => {
  it('turns Infinity into null and keeps everything else', () => {
    const json = riskLimitsToJson({ maxOrderNotional: Infinity, maxOrderQty: 5, allowShort: false, gapRisk: { AAA: Infinity }, maxGrossNotional: 25_000 });
    expect(json).toEqual({ maxOrderNotional: null, maxOrderQty: 5, allowShort: false, gapRisk: { AAA: null }, maxGrossNotional: 25_000 });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});

describe('orderReferencePrice', () => {
  it.each([
    [{ limitPrice: 10, stopPrice: 11, decisionPrice: 12 }, 10],
    [{ stopPrice: 11, decisionPrice: 12 }, 11],
    [{ decisionPrice: 12 }, 12],
    [{}, 13],
  ])('takes limit, then stop, then decision, then last price: %p → %p', (fields, expected) => {
    expect(orderReferencePrice(order(fields), portfolioWithLastPrice(13))).toBe(expected);
  });
});

describe('isReducingOrder', () => {
  it.each([
    [100, -40, true],
    [100, -100, true],
    [100, -101, false],
    [100, 1, false],
    [-50, 50, true],
    [-50, 20, true],
    [-50, 51, false],
    [-50, -1, false],
    [0, 10, false],
    [0, -10, false],
    [100, NaN, false],
  ])('position %p, order %p → %p', (position, signedQty, expected) => {
    expect(isReducingOrder(position, signedQty)).toBe(expected);
  });

  it('holds exactly when |after| ≤ |position| without crossing zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000, max: 1_000 }), fc.integer({ min: -2_000, max: 2_000 }), (position, qty) => {
        const after = position + qty;
        const expected = position !== 0 && qty !== 0 && Math.abs(after) <= Math.abs(position) && (after === 0 || Math.sign(after) === Math.sign(position));
        return isReducingOrder(position, qty) === expected;
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
