import type { ExecutionFill, OrderExecutionRecord } from './execution-quality';
import { computeExecutionQuality } from './execution-quality';

/** A 100-share buy decided at time 0 against a reference of 100, accepted at once, with no fills. */
function record(fields: Partial<OrderExecutionRecord> = {}): OrderExecutionRecord {
  return {
    clientOrderId: 'o1',
    symbol: 'AAA',
    side: 'buy',
    qty: 100,
    referencePrice: 100,
    decidedAt: 0,
    acceptedAt: 0,
    fills: [],
    status: 'filled',
    markPriceAtEnd: null,
    isBracketLeg: false,
    ...fields,
  };
}

function fill(qty: number, price: number, commission = 0): ExecutionFill {
  return { qty, price, commission, time: 0 };
}

describe('computeExecutionQuality', () => {
  it('reports every metric as null for no orders', () => {
    expect(computeExecutionQuality([])).toEqual({
      orders: 0,
      fills: 0,
      implementationShortfallBps: null,
      averageSlippageBps: null,
      p95SlippageBps: null,
      fillRate: null,
      partialFillRatio: null,
      rejectRate: null,
      averageLatencyMs: null,
      qualityScore: null,
    });
  });

  describe('slippage', () => {
    it.each([
      ['a buy filled above its reference costs', 'buy', 101, 100],
      ['a buy filled below its reference saves', 'buy', 99, -100],
      ['a sell filled below its reference costs', 'sell', 99, 100],
      ['a sell filled above its reference saves', 'sell', 101, -100],
    ] as const)('%s (%d → %d bps)', (_what, side, price, expected) => {
      const q = computeExecutionQuality([record({ side, fills: [fill(100, price)] })]);
      expect(q.averageSlippageBps).toBeCloseTo(expected, 9);
    });

    it('weights the average by filled quantity', () => {
      // 100 shares at +100 bps, 300 shares at +50 bps.
      const q = computeExecutionQuality([record({ qty: 400, fills: [fill(100, 101), fill(300, 100.5)] })]);
      expect(q.averageSlippageBps).toBeCloseTo((100 * 100 + 300 * 50) / 400, 9);
    });

    it.each([
      [20, 19],
      [21, 20],
      [1, 1],
    ])('takes the 95th percentile of %d per-fill slippages by nearest rank (%d bps)', (n, expected) => {
      // Fill i (1-based) slips i bps; listed in reverse so the computation has to sort.
      const records = Array.from({ length: n }, (_, j) => {
        const i = n - j;
        return record({ clientOrderId: `o${i}`, qty: 1, fills: [fill(1, 100 * (1 + i / 10_000))] });
      });
      expect(computeExecutionQuality(records).p95SlippageBps).toBeCloseTo(expected, 9);
    });

    it('finds the 95th percentile of thousands of slippages exactly as a full sort would, signed zeros included', () => {
      // A seeded walk of prices around the reference, many of them on it: a sell filled at its
      // reference slips −0 bps, a buy +0.
      let state = 12_345;
      const next = (): number => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
      for (const n of [1, 2, 3, 19, 20, 1_000, 4_321]) {
        const records = Array.from({ length: n }, (_, i) => {
          // Even n: nearly all on the reference, so the percentile is a zero whose sign counts.
          const price = next() < (n % 2 === 0 ? 0.97 : 0.4) ? 100 : 100 + Math.round((next() - 0.7) * 200) / 100;
          return record({ clientOrderId: `o${i}`, side: next() < 0.5 ? 'buy' : 'sell', fills: [fill(100, price)] });
        });
        const sorted = Float64Array.from(records, (r) => ((r.side === 'buy' ? 1 : -1) * ((r.fills[0] as ExecutionFill).price - 100)) / 100 * 10_000).sort();
        expect(Object.is(computeExecutionQuality(records).p95SlippageBps, sorted[Math.ceil(0.95 * n) - 1])).toBe(true);
      }
    });

    it('leaves out fills of orders without a usable reference price', () => {
      const q = computeExecutionQuality([record({ referencePrice: NaN, fills: [fill(100, 150)] }), record({ fills: [fill(100, 101)] })]);
      expect([q.fills, q.averageSlippageBps]).toEqual([2, expect.closeTo(100, 9)]);
    });
  });

  describe('implementation shortfall', () => {
    it('adds commissions and the opportunity cost of the unfilled quantity at the end mark', () => {
      // 60 filled at +1 with 2 commission; 40 unfilled with the price ending 3 above the reference.
      const q = computeExecutionQuality([record({ fills: [fill(60, 101, 2)], status: 'expired', markPriceAtEnd: 103 })]);
      expect(q.implementationShortfallBps).toBeCloseTo(((60 * 1 + 2 + 40 * 3) / (100 * 100)) * 10_000, 9);
    });

    it('charges no opportunity cost for an order the strategy canceled', () => {
      const q = computeExecutionQuality([record({ fills: [fill(60, 101, 2)], status: 'canceled', markPriceAtEnd: 103 })]);
      expect(q.implementationShortfallBps).toBeCloseTo(((60 * 1 + 2) / (100 * 100)) * 10_000, 9);
    });

    it('counts a sell filled below its reference as a cost', () => {
      const q = computeExecutionQuality([record({ side: 'sell', referencePrice: 50, fills: [fill(100, 49.5, 1)] })]);
      expect(q.implementationShortfallBps).toBeCloseTo(((0.5 * 100 + 1) / (50 * 100)) * 10_000, 9);
    });

    it('is null when no order has a reference price', () => {
      expect(computeExecutionQuality([record({ referencePrice: 0, fills: [fill(100, 100)] })]).implementationShortfallBps).toBeNull();
    });
  });

  describe('rates', () => {
    it('measures the fill rate over orders the strategy did not cancel or replace', () => {
      const q = computeExecutionQuality([
        record({ clientOrderId: 'a', fills: [fill(100, 100)] }),
        record({ clientOrderId: 'b', fills: [fill(50, 100)], status: 'expired' }),
        record({ clientOrderId: 'c', status: 'canceled' }),
        record({ clientOrderId: 'd', fills: [fill(20, 100)], status: 'replaced' }),
      ]);
      expect(q.fillRate).toBe(150 / 200);
    });

    it('counts as partial the filled orders that needed several fills or ended short', () => {
      const q = computeExecutionQuality([
        record({ clientOrderId: 'a', fills: [fill(100, 100)] }),
        record({ clientOrderId: 'b', fills: [fill(40, 100), fill(60, 100)] }),
        record({ clientOrderId: 'c', fills: [fill(50, 100)], status: 'expired' }),
        record({ clientOrderId: 'd', status: 'rejected', acceptedAt: null }),
      ]);
      expect(q.partialFillRatio).toBe(2 / 3);
    });

    it('measures the reject rate over all orders', () => {
      const q = computeExecutionQuality([
        record({ clientOrderId: 'a', fills: [fill(100, 100)] }),
        record({ clientOrderId: 'b', status: 'rejected', acceptedAt: null }),
        record({ clientOrderId: 'c', status: 'canceled' }),
        record({ clientOrderId: 'd', status: 'expired' }),
      ]);
      expect(q.rejectRate).toBe(0.25);
    });

    it('averages latency over the orders that arrived', () => {
      const q = computeExecutionQuality([
        record({ clientOrderId: 'a', decidedAt: 1_000, acceptedAt: 1_100 }),
        record({ clientOrderId: 'b', decidedAt: 2_000, acceptedAt: 2_300 }),
        record({ clientOrderId: 'c', decidedAt: 3_000, acceptedAt: null, status: 'rejected' }),
      ]);
      expect(q.averageLatencyMs).toBe(200);
    });
  });

  describe('quality score', () => {
    it('is 100 × fill rate × (1 − reject rate) × (1 − shortfall / 100 bps)', () => {
      // Shortfall: 0.2 × 100 over 2 × 100 × 100 of reference notional = 10 bps; fill rate 0.5; reject rate 0.5.
      const q = computeExecutionQuality([
        record({ clientOrderId: 'a', fills: [fill(100, 100.2)] }),
        record({ clientOrderId: 'b', status: 'rejected', acceptedAt: null }),
      ]);
      expect(q.qualityScore).toBeCloseTo(100 * 0.5 * 0.5 * (1 - 10 / 100), 9);
    });

    it('gives no credit for a negative shortfall (price improvement)', () => {
      expect(computeExecutionQuality([record({ fills: [fill(100, 99)] })]).qualityScore).toBe(100);
    });

    it('reaches 0 at 100 bps of shortfall and stays there beyond', () => {
      const at = computeExecutionQuality([record({ fills: [fill(100, 101)] })]).qualityScore;
      const beyond = computeExecutionQuality([record({ fills: [fill(100, 103)] })]).qualityScore;
      expect([at, beyond]).toEqual([expect.closeTo(0, 9), 0]);
    });

    it('is null without a shortfall', () => {
      expect(computeExecutionQuality([record({ referencePrice: NaN, fills: [fill(100, 100)] })]).qualityScore).toBeNull();
    });
  });
});
