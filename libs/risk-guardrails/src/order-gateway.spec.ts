import fc from 'fast-check';
import { ConfigError, clientOrderId, epochMs, ticker } from '@quantbot/core';
import type { AuditEntry, AuditSink, EpochMs, OrderRequest, Ticker } from '@quantbot/core';
import { OrderGateway } from './order-gateway';
import type { OrderGatewayOptions } from './order-gateway';
import type { RiskLimits } from './risk-limits';
import { orderReferencePrice, signedOrderQty } from './risk-limits';
import type { GatewayDecision, PortfolioView, RejectCode, TradingState } from './risk-types';

const AAA = ticker('AAA');
const BBB = ticker('BBB');
const T0 = Date.UTC(2024, 0, 2, 14, 30);

/** A portfolio that books accepted orders at their reference price, for checking the gateway. */
class TestPortfolio implements PortfolioView {
  time: EpochMs = epochMs(T0);
  cash: number;
  readonly #positions = new Map<Ticker, number>();
  readonly #prices = new Map<Ticker, number>();

  constructor(cash: number, holdings: readonly [Ticker, number, number][] = []) {
    this.cash = cash;
    for (const [symbol, qty, price] of holdings) {
      this.#positions.set(symbol, qty);
      this.#prices.set(symbol, price);
    }
  }

  get equity(): number {
    return this.cash + this.netExposure();
  }

  position(symbol: Ticker): number {
    return this.#positions.get(symbol) ?? 0;
  }

  lastPrice(symbol: Ticker): number {
    return this.#prices.get(symbol) ?? NaN;
  }

  setPrice(symbol: Ticker, price: number): void {
    this.#prices.set(symbol, price);
  }

  grossExposure(): number {
    let sum = 0;
    for (const [s, qty] of this.#positions) sum += Math.abs(qty * this.lastPrice(s));
    return sum;
  }

  netExposure(): number {
    let sum = 0;
    for (const [s, qty] of this.#positions) sum += qty * this.lastPrice(s);
    return sum;
  }

  apply(order: OrderRequest): void {
    const price = orderReferencePrice(order, this);
    const signed = signedOrderQty(order);
    this.cash -= signed * price;
    this.#positions.set(order.symbol, this.position(order.symbol) + signed);
    if (!this.#prices.has(order.symbol)) this.#prices.set(order.symbol, price);
  }
}

class RecordingSink implements AuditSink {
  readonly entries: AuditEntry[] = [];
  append(entry: AuditEntry): void {
    this.entries.push(entry);
  }
}

let seq = 0;
function order(fields: Partial<OrderRequest> = {}): OrderRequest {
  return {
    clientOrderId: clientOrderId(`o-${++seq}`),
    symbol: AAA,
    side: 'buy',
    type: 'market',
    qty: 10,
    timeInForce: 'day',
    decidedAt: epochMs(T0),
    ...fields,
  };
}

/** Cash 90000 and 100 AAA at 100: equity 100000, gross and net 10000. BBB is quoted at 50. */
function standardPortfolio(): TestPortfolio {
  const p = new TestPortfolio(90_000, [[AAA, 100, 100]]);
  p.setPrice(BBB, 50);
  return p;
}

function gateway(limits: RiskLimits = {}, extra: Partial<OrderGatewayOptions> = {}): OrderGateway {
  return new OrderGateway({ limits, killSwitch: {}, ...extra });
}

function rejection(decision: GatewayDecision): { code: RejectCode; message: string } | undefined {
  return decision.accepted ? undefined : { code: decision.code, message: decision.message };
}

interface LimitCase {
  readonly limit: string;
  readonly limits: RiskLimits;
  readonly passing: Partial<OrderRequest>;
  readonly failing: Partial<OrderRequest>;
  readonly code: RejectCode;
  readonly message: string;
}

const LIMIT_CASES: readonly LimitCase[] = [
  {
    limit: 'invalid order',
    limits: {},
    passing: { qty: 1 },
    failing: { qty: -5 },
    code: 'invalid-order',
    message: 'order quantity must be a positive number of shares, got -5',
  },
  {
    limit: 'maxOrderNotional',
    limits: { maxOrderNotional: 100_000 },
    passing: { qty: 1_000, decisionPrice: 100 },
    failing: { qty: 1_250, decisionPrice: 100 },
    code: 'order-notional',
    message: 'order notional 125000.00 exceeds the limit 100000.00',
  },
  {
    limit: 'maxOrderQty',
    limits: { maxOrderQty: 500 },
    passing: { qty: 500 },
    failing: { qty: 501 },
    code: 'order-qty',
    message: 'order quantity 501 exceeds the limit 500',
  },
  {
    limit: 'maxPositionQty',
    limits: { maxPositionQty: 1_000 },
    passing: { qty: 900 },
    failing: { qty: 901 },
    code: 'position-qty',
    message: 'position in AAA after the order would be 1001 shares, beyond the limit 1000',
  },
  {
    limit: 'maxPositionPctEquity',
    limits: { maxPositionPctEquity: 20 },
    passing: { qty: 100, decisionPrice: 100 },
    failing: { qty: 101, decisionPrice: 100 },
    code: 'position-pct-equity',
    message: 'position in AAA after the order would be worth 20100.00, 20.10% of equity 100000.00, above the limit 20.00%',
  },
  {
    limit: 'maxGrossExposurePct',
    limits: { maxGrossExposurePct: 50 },
    passing: { symbol: BBB, qty: 800, decisionPrice: 50 },
    failing: { symbol: BBB, qty: 801, decisionPrice: 50 },
    code: 'gross-exposure',
    message: 'gross exposure after the order would be 50050.00, 50.05% of equity 100000.00, above the limit 50.00%',
  },
  {
    limit: 'maxGrossNotional',
    limits: { maxGrossNotional: 50_000 },
    passing: { symbol: BBB, qty: 800, decisionPrice: 50 },
    failing: { symbol: BBB, qty: 801, decisionPrice: 50 },
    code: 'gross-notional',
    message: 'gross notional after the order would be 50050.00, above the limit 50000.00',
  },
  {
    limit: 'maxNetExposurePct',
    limits: { maxNetExposurePct: 20 },
    passing: { symbol: BBB, qty: 200, decisionPrice: 50 },
    failing: { symbol: BBB, side: 'sell', qty: 601, decisionPrice: 50 },
    code: 'net-exposure',
    message: 'net exposure after the order would be -20050.00, 20.05% of equity 100000.00, above the limit 20.00%',
  },
  {
    limit: 'priceBandPct (limit price)',
    limits: { priceBandPct: 10 },
    passing: { type: 'limit', limitPrice: 110 },
    failing: { type: 'limit', limitPrice: 111 },
    code: 'price-band',
    message: 'limit price 111.00 is 11.00% from the last price 100.00 of AAA, outside the band ±10.00%',
  },
  {
    limit: 'priceBandPct (stop price)',
    limits: { priceBandPct: 10 },
    passing: { type: 'stop', stopPrice: 90 },
    failing: { type: 'stop', stopPrice: 85 },
    code: 'price-band',
    message: 'stop price 85.00 is 15.00% from the last price 100.00 of AAA, outside the band ±10.00%',
  },
  {
    limit: 'priceBandPct (take-profit price)',
    limits: { priceBandPct: 10 },
    passing: { type: 'bracket', limitPrice: 100, takeProfitPrice: 105, stopLossPrice: 95 },
    failing: { type: 'bracket', limitPrice: 100, takeProfitPrice: 1050, stopLossPrice: 95 },
    code: 'price-band',
    message: 'take-profit price 1050.00 is 950.00% from the last price 100.00 of AAA, outside the band ±10.00%',
  },
  {
    limit: 'priceBandPct (stop-loss price)',
    limits: { priceBandPct: 10 },
    passing: { type: 'bracket', limitPrice: 100, takeProfitPrice: 105, stopLossPrice: 95 },
    failing: { type: 'bracket', limitPrice: 100, takeProfitPrice: 105, stopLossPrice: 9.5 },
    code: 'price-band',
    message: 'stop-loss price 9.50 is 90.50% from the last price 100.00 of AAA, outside the band ±10.00%',
  },
  {
    limit: 'priceBandPct (decision price)',
    limits: { priceBandPct: 10 },
    passing: { decisionPrice: 101 },
    failing: { decisionPrice: 1_000 },
    code: 'price-band',
    message: 'decision price 1000.00 is 900.00% from the last price 100.00 of AAA, outside the band ±10.00%',
  },
  {
    limit: 'allowShort',
    limits: { allowShort: false },
    passing: { side: 'sell', qty: 100 },
    failing: { side: 'sell', qty: 101 },
    code: 'short-sale',
    message: 'sell 101 AAA would take the position from 100 to -1; short sales are not allowed',
  },
  {
    limit: 'allowSymbols',
    limits: { allowSymbols: ['AAA'] },
    passing: { symbol: AAA },
    failing: { symbol: BBB },
    code: 'symbol-not-allowed',
    message: 'BBB is not on the allow list (AAA)',
  },
  {
    limit: 'denySymbols',
    limits: { denySymbols: ['BBB'] },
    passing: { symbol: AAA },
    failing: { symbol: BBB },
    code: 'symbol-denied',
    message: 'BBB is on the deny list',
  },
  {
    limit: 'maxGapAdjustedExposurePct',
    limits: { maxGapAdjustedExposurePct: 2, gapRisk: { AAA: 0.1, BBB: 0.2 } },
    passing: { symbol: BBB, qty: 100, decisionPrice: 50 },
    failing: { symbol: BBB, qty: 101, decisionPrice: 50 },
    code: 'gap-risk',
    message: 'gap-adjusted exposure after the order would be 2010.00, 2.01% of equity 100000.00, above the limit 2.00%',
  },
];

describe('OrderGateway', () => {
  describe('limits', () => {
    it.each(LIMIT_CASES)('$limit: passes an order within the limit', ({ limits, passing }) => {
      expect(rejection(gateway(limits).check(order(passing), standardPortfolio()))).toBeUndefined();
    });

    it.each(LIMIT_CASES)('$limit: rejects an order beyond it with $code and the values', ({ limits, failing, code, message }) => {
      expect(rejection(gateway(limits).check(order(failing), standardPortfolio()))).toEqual({ code, message });
    });

    it('maxOrdersPerMinute: counts accepted orders with decidedAt in the trailing 60 s', () => {
      const g = gateway({ maxOrdersPerMinute: 3 });
      const p = standardPortfolio();
      const at = (ms: number): Partial<OrderRequest> => ({ decidedAt: epochMs(T0 + ms) });
      expect([0, 1_000, 2_000].map((ms) => g.check(order(at(ms)), p).accepted)).toEqual([true, true, true]);
      expect(rejection(g.check(order(at(3_000)), p))).toEqual({
        code: 'order-rate',
        message: '3 orders were accepted in the 60 s before 2024-01-02T14:30:03.000Z, which reaches the limit of 3 per minute',
      });
      // The rejected order does not count; at +60 s the first accepted order has left the window.
      expect(g.check(order(at(60_000)), p).accepted).toBe(true);
      expect(g.check(order(at(60_500)), p).accepted).toBe(false);
    });

    it('maxGrossNotional: holds whatever the equity, exempts reducing orders, and needs a price', () => {
      // A stage cap of 5000 below the 10000 already held: adding is refused, reducing passes.
      const g = gateway({ maxGrossNotional: 5_000 });
      expect(rejection(g.check(order({ qty: 1, decisionPrice: 100 }), standardPortfolio()))).toEqual({
        code: 'gross-notional',
        message: 'gross notional after the order would be 10100.00, above the limit 5000.00',
      });
      expect(g.check(order({ side: 'sell', qty: 60, decisionPrice: 100 }), standardPortfolio()).accepted).toBe(true);
      // Selling through zero is not reducing: the short leg counts.
      expect(rejection(g.check(order({ side: 'sell', qty: 160, decisionPrice: 100 }), standardPortfolio()))?.code).toBe('gross-notional');
      const noPrice = gateway({ maxGrossNotional: 1e9 }).check(order({ symbol: ticker('CCC') }), standardPortfolio());
      expect(rejection(noPrice)?.code).toBe('gross-notional');
    });

    it('keeps the order-rate window across a restart', () => {
      const options: OrderGatewayOptions = { limits: { maxOrdersPerMinute: 1 }, killSwitch: {} };
      const g = new OrderGateway(options);
      g.check(order(), standardPortfolio());
      const restored = OrderGateway.restore(options, JSON.parse(JSON.stringify(g.toJSON())));
      expect(restored.getStatistics()).toEqual(g.getStatistics());
      expect(restored.check(order({ decidedAt: epochMs(T0 + 1) }), standardPortfolio()).accepted).toBe(false);
    });

    it('gap risk: treats an unlisted symbol as unknown risk unless defaultGapRisk is given', () => {
      const limits: RiskLimits = { maxGapAdjustedExposurePct: 2, gapRisk: { AAA: 0.1 } };
      expect(rejection(gateway(limits).check(order({ symbol: BBB, qty: 100, decisionPrice: 50 }), standardPortfolio()))).toEqual({
        code: 'gap-risk',
        message: 'exposure of 5000.00 after the order is in symbols without a gap risk (no gapRisk entry for BBB and no defaultGapRisk)',
      });
      const withDefault = gateway({ ...limits, defaultGapRisk: 0.2 });
      expect(withDefault.check(order({ symbol: BBB, qty: 100, decisionPrice: 50 }), standardPortfolio()).accepted).toBe(true);
      expect(rejection(withDefault.check(order({ symbol: BBB, qty: 101, decisionPrice: 50 }), standardPortfolio()))?.code).toBe('gap-risk');
    });

    it('lets a reducing order through the size and exposure limits', () => {
      const g = gateway({ maxOrderQty: 50, maxOrderNotional: 1_000, maxPositionPctEquity: 1, allowShort: false });
      expect(g.check(order({ side: 'sell', qty: 100, decisionPrice: 100 }), standardPortfolio()).accepted).toBe(true);
    });

    it('refuses a price-dependent limit when there is no price at all (fail closed)', () => {
      const decision = gateway({ maxOrderNotional: 1e9 }).check(order({ symbol: ticker('CCC') }), standardPortfolio());
      expect(rejection(decision)?.code).toBe('order-notional');
      expect(rejection(decision)?.message).toContain('CCC has no limit, stop or decision price and no last price');
    });

    it('refuses an invalid configuration with a ConfigError', () => {
      expect(() => gateway({ maxOrderQty: -1 })).toThrow(ConfigError);
      expect(() => new OrderGateway({ limits: {}, killSwitch: { haltAtDrawdownPct: NaN } })).toThrow(ConfigError);
    });
  });

  describe('trading state', () => {
    it('rejects every order while halted, naming the reason', () => {
      const g = gateway();
      g.trigger('halted', 'operator stop', T0, 'external');
      expect(rejection(g.check(order({ side: 'sell', qty: 10 }), standardPortfolio()))).toEqual({
        code: 'halted',
        message: `trading is halted since 2024-01-02T14:30:00.000Z (operator stop); sell 10 AAA (o-${seq}) refused`,
      });
    });

    it.each(['reducing', 'flatten'] as const)('while %s passes only orders that shrink a position', (level) => {
      const g = gateway();
      g.trigger(level, 'test', T0);
      const p = standardPortfolio();
      expect(g.check(order({ side: 'sell', qty: 40 }), p).accepted).toBe(true);
      expect(g.check(order({ side: 'sell', qty: 100 }), p).accepted).toBe(true);
      expect(rejection(g.check(order({ side: 'sell', qty: 101 }), p))?.code).toBe('reducing-only');
      expect(rejection(g.check(order({ side: 'buy', qty: 1 }), p))?.code).toBe('reducing-only');
      expect(rejection(g.check(order({ symbol: BBB, side: 'sell', qty: 1 }), p))?.message).toBe(
        `trading state is ${level}: only orders that shrink a position pass, and sell 1 BBB (o-${seq}) would take the position from 0 to -1`,
      );
    });

    it('forwards observations, flattening and re-arms to the kill switch', () => {
      const g = new OrderGateway({ limits: {}, killSwitch: { flattenAtDrawdownPct: 10 } });
      expect(g.observe(T0, 100_000)).toBe('active');
      expect(g.observe(T0 + 1, 89_000)).toBe('flatten');
      g.flattened(T0 + 2);
      expect(g.state).toBe('halted');
      expect(g.rearm(T0 + 3, 'desk')).toBe(true);
      expect(g.state).toBe('active');
    });

    it('accepts none of 10,000 random orders after a halt', () => {
      const g = gateway();
      const p = standardPortfolio();
      g.trigger('halted', 'storm test', T0);
      const orders = fc.sample(arbitraryOrder(), { seed: 42, numRuns: 10_000 });
      let accepted = 0;
      for (const o of orders) if (g.check(o, p).accepted) accepted++;
      expect(accepted).toBe(0);
      expect(g.getStatistics()).toMatchObject({ accepted: 0, rejected: 10_000, rejectedByCode: { halted: 10_000 } });
    });
  });

  describe('invariants', () => {
    it('never accepts while halted; while reducing or flatten, accepted orders only shrink positions', () => {
      const seen = { haltedChecks: 0, restrictedAccepts: 0 };
      fc.assert(
        fc.property(
          fc.constantFrom<'auto' | 'manual'>('auto', 'manual'),
          fc.boolean(),
          fc.array(arbitraryAction(), { minLength: 20, maxLength: 80 }),
          (rearm, allowShort, actions) => {
            const g = new OrderGateway({
              limits: { allowShort, priceBandPct: 50 },
              killSwitch: { reduceAtDrawdownPct: 1, haltAtDrawdownPct: 3, flattenAtDrawdownPct: 6, cooldownMs: 600_000, rearm },
            });
            const p = new TestPortfolio(10_000, [[AAA, 20, 100], [BBB, -10, 50]]);
            let time = T0;
            for (const action of actions) {
              time += 60_000;
              p.time = epochMs(time);
              switch (action.kind) {
                case 'price':
                  p.setPrice(action.symbol, Math.max(1, p.lastPrice(action.symbol) * action.factor));
                  break;
                case 'observe':
                  g.observe(time, p.equity);
                  break;
                case 'trigger':
                  g.trigger(action.level, 'property test', time);
                  break;
                case 'rearm':
                  g.rearm(time, 'property test');
                  break;
                case 'flattened':
                  if (g.state === 'flatten') g.flattened(time);
                  break;
                case 'order': {
                  const o = order({ ...action.fields, decidedAt: epochMs(time), decisionPrice: p.lastPrice(action.fields.symbol ?? AAA) });
                  const state: TradingState = g.state;
                  const before = p.position(o.symbol);
                  if (state === 'halted') seen.haltedChecks++;
                  if (!g.check(o, p).accepted) break;
                  if (state === 'halted') return false;
                  if (state !== 'active') seen.restrictedAccepts++;
                  const after = before + signedOrderQty(o);
                  if (state !== 'active' && !(Math.abs(after) <= Math.abs(before) && (after === 0 || Math.sign(after) === Math.sign(before)))) return false;
                  p.apply(o);
                  break;
                }
              }
            }
            return true;
          },
        ),
        { seed: 20240102, numRuns: 300 },
      );
      // The property is not vacuous: the runs did reach both restricted kinds of state.
      expect(seen.haltedChecks).toBeGreaterThan(100);
      expect(seen.restrictedAccepts).toBeGreaterThan(100);
    });
  });

  describe('audit', () => {
    const WHITELIST = ['clientOrderId', 'code', 'message', 'qty', 'side', 'symbol', 'type'];

    it('appends one record per decision with exactly the whitelisted order fields', () => {
      const audit = new RecordingSink();
      const g = gateway({ maxOrderQty: 100 }, { audit });
      const p = standardPortfolio();
      const withExtra = { ...order({ qty: 5 }), apiKey: 'secret', note: 'not audited' } as OrderRequest;
      g.check(withExtra, p);
      g.check(order({ qty: 500, limitPrice: 99, type: 'limit' }), p);
      expect(audit.entries.map((e) => e.kind)).toEqual(['order-accepted', 'order-rejected']);
      for (const entry of audit.entries) {
        expect(Object.keys(entry.detail).sort()).toEqual(WHITELIST);
        expect(entry.time).toBe(p.time);
      }
      expect(audit.entries[0]?.detail).toEqual({ clientOrderId: withExtra.clientOrderId, symbol: 'AAA', side: 'buy', qty: 5, type: 'market', code: null, message: null });
      expect(audit.entries[1]?.detail).toMatchObject({ code: 'order-qty', message: 'order quantity 500 exceeds the limit 100' });
      expect(JSON.stringify(audit.entries)).not.toContain('secret');
    });

    it('appends kill-switch transitions and re-arms to the same sink', () => {
      const audit = new RecordingSink();
      const g = new OrderGateway({ limits: {}, killSwitch: { haltAtDrawdownPct: 5, cooldownMs: 1_000 }, audit });
      g.observe(T0, 100_000);
      g.observe(T0 + 10, 90_000);
      g.rearm(T0 + 20, 'desk');
      g.rearm(T0 + 2_000, 'desk');
      expect(audit.entries.map((e) => e.kind)).toEqual(['state-transition', 're-arm-refused', 're-arm']);
      for (const entry of audit.entries) expect(entry.detail).toEqual(expect.objectContaining({ from: expect.any(String), to: expect.any(String), reason: expect.any(String) }));
    });
  });

  describe('statistics', () => {
    it('counts decisions by code, states and drawdowns as plain JSON (Infinity → null)', () => {
      const g = new OrderGateway({ limits: { maxOrderQty: 100, maxOrderNotional: Infinity }, killSwitch: { haltAtDrawdownPct: 5 } });
      const p = standardPortfolio();
      g.observe(T0, 100_000);
      g.check(order(), p);
      g.check(order({ qty: 101 }), p);
      g.observe(T0 + 60_000, 94_000);
      g.check(order(), p);
      g.observe(T0 + 180_000, 96_000);
      const stats = g.getStatistics();
      expect(stats).toEqual({
        state: 'halted',
        accepted: 1,
        rejected: 2,
        rejectedByCode: { 'order-qty': 1, halted: 1 },
        timeInStateMs: { active: 60_000, reducing: 0, halted: 120_000, flatten: 0 },
        maxIntradayDrawdownPct: 6,
        currentDrawdownPct: 4,
        transitions: [{ time: T0 + 60_000, from: 'active', to: 'halted', reason: 'intraday drawdown 6.00% reached the halted level 5.00%' }],
        limits: { maxOrderQty: 100, maxOrderNotional: null },
      });
      expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    });

    it('restores mid-halt with the same statistics and decisions', () => {
      const options: OrderGatewayOptions = { limits: { maxOrderQty: 100 }, killSwitch: { haltAtDrawdownPct: 5, cooldownMs: 60_000 } };
      const g = new OrderGateway(options);
      g.observe(T0, 100_000);
      g.check(order({ qty: 500 }), standardPortfolio());
      g.observe(T0 + 1_000, 94_000);
      const restored = OrderGateway.restore(options, JSON.parse(JSON.stringify(g.toJSON())));
      expect(restored.getStatistics()).toEqual(g.getStatistics());
      expect(restored.check(order({ side: 'sell' }), standardPortfolio()).accepted).toBe(false);
      expect(restored.rearm(T0 + 2_000, 'desk')).toBe(false);
      expect(restored.rearm(T0 + 61_000, 'desk')).toBe(true);
      expect(restored.check(order({ side: 'sell' }), standardPortfolio()).accepted).toBe(true);
    });
  });
});

function arbitraryOrder(): fc.Arbitrary<OrderRequest> {
  return fc
    .record({
      symbol: fc.constantFrom(AAA, BBB),
      side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
      type: fc.constantFrom<'market' | 'limit'>('market', 'limit'),
      qty: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.double({ noNaN: false })),
      limitPrice: fc.option(fc.double({ min: 0.01, max: 1_000, noNaN: true }), { nil: undefined }),
    })
    .map((fields) => order(fields));
}

type Action =
  | { readonly kind: 'order'; readonly fields: Partial<OrderRequest> }
  | { readonly kind: 'price'; readonly symbol: Ticker; readonly factor: number }
  | { readonly kind: 'observe' }
  | { readonly kind: 'trigger'; readonly level: 'reducing' | 'halted' | 'flatten' }
  | { readonly kind: 'rearm' }
  | { readonly kind: 'flattened' };

function arbitraryAction(): fc.Arbitrary<Action> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .record({ symbol: fc.constantFrom(AAA, BBB), side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'), qty: fc.integer({ min: 1, max: 40 }) })
        .map((fields): Action => ({ kind: 'order', fields })),
    },
    { weight: 3, arbitrary: fc.record({ symbol: fc.constantFrom(AAA, BBB), factor: fc.double({ min: 0.85, max: 1.15, noNaN: true }) }).map((a): Action => ({ kind: 'price', ...a })) },
    { weight: 3, arbitrary: fc.constant<Action>({ kind: 'observe' }) },
    { weight: 1, arbitrary: fc.constantFrom<'reducing' | 'halted' | 'flatten'>('reducing', 'halted', 'flatten').map((level): Action => ({ kind: 'trigger', level })) },
    { weight: 1, arbitrary: fc.constant<Action>({ kind: 'rearm' }) },
    { weight: 1, arbitrary: fc.constant<Action>({ kind: 'flattened' }) },
  );
}
