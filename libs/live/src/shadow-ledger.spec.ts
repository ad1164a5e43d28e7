import type { BarUniverse, BrokerEventSink, EpochMs, Fill, OrderRequest, OrderType, OrderUpdate, Ticker } from '@quantbot/core';
import { ConfigError, SeededRng, clientOrderId, ticker } from '@quantbot/core';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import { EXECUTION_PROFILES, SimulatedBroker, resolveExecutionProfile } from '@quantbot/execution-sim';
import type { LiveFillRecord, LiveOrderRecord } from './live-state';
import { MemoryLiveStateStore } from './memory-live-state-store';
import type { ShadowBar, ShadowDayInput } from './shadow-ledger';
import { shadowBarsFromUniverse, shadowDayFromStore, simulateShadowDay } from './shadow-ledger';

const T0 = Date.parse('2024-06-03T13:30:00.000Z');
const MINUTE = 60_000;
const t = (k: number): number => T0 + k * MINUTE;
const iso = (ms: number): string => new Date(ms).toISOString();
const bps = (x: number): number => x * 10_000;

/** 10 bps of half spread, 1 cent a share, nothing else: fills easy to price by hand. */
const PROFILE: ExecutionProfile = resolveExecutionProfile('idealistic', { halfSpreadBps: 10, feePerShare: 0.01, limitFill: 'through' });

/** AAA, four minute bars; the day's last close is 104. */
const BARS: readonly ShadowBar[] = [
  { time: t(0), open: 100, high: 101, low: 99, close: 100, volume: 10_000 },
  { time: t(1), open: 101, high: 102, low: 100, close: 101, volume: 10_000 },
  { time: t(2), open: 102, high: 103, low: 101, close: 102, volume: 10_000 },
  { time: t(3), open: 103, high: 104, low: 102, close: 104, volume: 10_000 },
];

function order(overrides: Partial<LiveOrderRecord> & Pick<LiveOrderRecord, 'clientOrderId'>): LiveOrderRecord {
  return {
    symbol: 'AAA',
    side: 'buy',
    type: 'market',
    qty: 10,
    filledQty: 0,
    status: 'accepted',
    decidedAt: t(0),
    updatedAt: t(0),
    reason: null,
    decisionPrice: 100,
    limitPrice: null,
    stopPrice: null,
    timeInForce: 'gtc',
    ...overrides,
  };
}

function fill(clientOrderIdValue: string, side: 'buy' | 'sell', qty: number, price: number, commission: number, time: number): LiveFillRecord {
  return { fillKey: `${clientOrderIdValue}@${qty}@${time}`, clientOrderId: clientOrderIdValue, symbol: 'AAA', side, qty, price, commission, time, recovered: false };
}

function input(orders: readonly LiveOrderRecord[], fills: readonly LiveFillRecord[], overrides: Partial<ShadowDayInput> = {}): ShadowDayInput {
  return { orders, fills, bars: { AAA: BARS }, profile: PROFILE, startEquity: 100_000, ...overrides };
}

/** A: a market buy the venue filled worse than the simulator; decided at bar 0's close of 100. */
const A = order({ clientOrderId: 'A', qty: 10, decisionPrice: 100, decidedAt: t(0), status: 'filled', filledQty: 10 });
const A_FILL = fill('A', 'buy', 10, 101.5, 0.5, t(1) + 2_000);
/** B: a market sell decided at bar 1's close of 101, filled above the next open. */
const B = order({ clientOrderId: 'B', side: 'sell', qty: 20, decisionPrice: 101, decidedAt: t(1), status: 'filled', filledQty: 20 });
const B_FILL = fill('B', 'sell', 20, 102.1, 0.2, t(2) + 500);
/** C: a buy limit at 101.5 the simulator fills on bar 2 (low 101 trades through it), the venue never. */
const C = order({ clientOrderId: 'C', type: 'limit', qty: 5, limitPrice: 101.5, decisionPrice: 101, decidedAt: t(1), status: 'expired', timeInForce: 'day' });
/** D: decided at the day's last bar: unfilled on both sides. */
const D = order({ clientOrderId: 'D', qty: 10, decisionPrice: 104, decidedAt: t(3) });

describe('simulateShadowDay', () => {
  it('fills each decision by the simulator: a market order at the next open slipped by the half spread, a limit where the bar trades through it', () => {
    const day = simulateShadowDay(input([A, B, C, D], [A_FILL, B_FILL]));
    expect(day.skipped).toEqual([]);
    expect(day.pairs.map((pair) => pair.clientOrderId)).toEqual(['A', 'B', 'C', 'D']);
    const [a, b, c, d] = day.pairs;
    expect(a?.shadow.filledQty).toBe(10);
    expect(a?.shadow.averagePrice).toBeCloseTo(101 * 1.001, 12);
    expect(a?.shadow.commission).toBeCloseTo(0.1, 12);
    expect(a?.shadow.filledAt).toBe(iso(t(1)));
    expect(b?.shadow.averagePrice).toBeCloseTo(102 * 0.999, 12);
    expect(b?.shadow.filledAt).toBe(iso(t(2)));
    expect(c?.shadow).toEqual({ filledQty: 5, averagePrice: 101.5, filledAt: iso(t(2)), commission: expect.closeTo(0.05, 12) as number });
    expect(c?.actual).toEqual({ filledQty: 0, averagePrice: null, filledAt: null, commission: 0 });
    expect(d?.shadow).toEqual({ filledQty: 0, averagePrice: null, filledAt: null, commission: 0 });
    expect(d?.actual).toEqual({ filledQty: 0, averagePrice: null, filledAt: null, commission: 0 });
    expect(a?.actual).toEqual({ filledQty: 10, averagePrice: 101.5, filledAt: iso(t(1) + 2_000), commission: 0.5 });
    expect(a).toMatchObject({ symbol: 'AAA', side: 'buy', qty: 10, decisionPrice: 100, decidedAt: iso(t(0)) });
    expect(Object.isFrozen(day) && Object.isFrozen(day.pairs) && Object.isFrozen(a)).toBe(true);
  });

  it('measures the drift: return, slippage, fill rate and timing gaps, each actual minus shadow', () => {
    const { drift } = simulateShadowDay(input([A, B, C, D], [A_FILL, B_FILL]));
    const mark = 104;
    const actualPnl = 10 * (mark - 101.5) - 0.5 + -20 * (mark - 102.1) - 0.2;
    const shadowPnl = 10 * (mark - 101 * 1.001) - 0.1 + -20 * (mark - 102 * 0.999) - 0.2 + 5 * (mark - 101.5) - 0.05;
    const actualSlip = (10 * bps(1.5 / 100) + 20 * bps(-1.1 / 101)) / 30;
    const shadowSlip = (10 * bps((101 * 1.001 - 100) / 100) + 20 * bps(-(102 * 0.999 - 101) / 101) + 5 * bps(0.5 / 101)) / 35;
    expect(drift?.ordersCompared).toBe(4);
    expect(drift?.actualTradingPnl).toBeCloseTo(actualPnl, 9);
    expect(drift?.actualTradingPnl).toBeCloseTo(-13.7, 9);
    expect(drift?.shadowTradingPnl).toBeCloseTo(shadowPnl, 9);
    expect(drift?.shadowTradingPnl).toBeCloseTo(-0.9, 9);
    expect(drift?.returnGap).toBeCloseTo(-12.8 / 100_000, 12);
    expect(drift?.slippageGapBps).toBeCloseTo(actualSlip - shadowSlip, 9);
    // 30 of 45 shares filled for real, 35 of 45 in the shadow.
    expect(drift?.fillRateGap).toBeCloseTo(30 / 45 - 35 / 45, 12);
    // A: 2 s after the shadow's bar; B: 0.5 s. C and D did not fill on both sides.
    expect(drift?.timingGapMs).toBe((2_000 + 500) / 2);
  });

  it('attributes a buy: delay to the arrival open, the modelled spread, the rest impact, fees', () => {
    const [a] = simulateShadowDay(input([A], [A_FILL])).pairs;
    // decision 100 → arrival 101 (100 bps) → fill 101.5 (50 bps: 10 of spread, 40 of impact); fees 0.5 on 1 000.
    expect(a?.attribution?.arrivalPrice).toBe(101);
    expect(a?.attribution?.delayBps).toBeCloseTo(100, 9);
    expect(a?.attribution?.spreadBps).toBeCloseTo(10, 9);
    expect(a?.attribution?.impactBps).toBeCloseTo(40, 9);
    expect(a?.attribution?.feesBps).toBeCloseTo(5, 9);
    expect(a?.attribution?.totalBps).toBeCloseTo(155, 9);
  });

  it('attributes a sell: signs against the order; a fill better than arrival is no spread and negative impact', () => {
    const [b] = simulateShadowDay(input([B], [B_FILL])).pairs;
    expect(b?.attribution?.arrivalPrice).toBe(102);
    // Selling: the price rising 101 → 102 before arrival is a gain (negative cost).
    expect(b?.attribution?.delayBps).toBeCloseTo(-bps(1 / 101), 9);
    expect(b?.attribution?.spreadBps).toBe(0);
    expect(b?.attribution?.impactBps).toBeCloseTo(-bps(0.1 / 101), 9);
    expect(b?.attribution?.feesBps).toBeCloseTo(bps(0.2 / (101 * 20)), 9);
    expect(b?.attribution?.totalBps).toBeCloseTo(bps(-1.1 / 101) + bps(0.2 / 2020), 9);
  });

  it('caps the spread at the arrival-to-fill cost when that is smaller', () => {
    const [a] = simulateShadowDay(input([A], [fill('A', 'buy', 10, 101.05, 0, t(1) + 100)])).pairs;
    // 101 → 101.05 is 5 bps of the decision price: less than the 10 bps half spread.
    expect(a?.attribution?.spreadBps).toBeCloseTo(5, 9);
    expect(a?.attribution?.impactBps).toBeCloseTo(0, 9);
    expect(a?.attribution?.feesBps).toBe(0);
  });

  it('an order the venue filled worse and later than the simulator shows positive slippage and timing gaps', () => {
    const { drift } = simulateShadowDay(input([A], [A_FILL]));
    expect(drift?.slippageGapBps).toBeCloseTo(150 - bps(1.101 / 100), 9);
    expect(drift?.slippageGapBps).toBeGreaterThan(0);
    expect(drift?.timingGapMs).toBe(2_000);
    // Paid more and more fees: the actual day made less.
    expect(drift?.returnGap).toBeCloseTo((10 * (104 - 101.5) - 0.5 - (10 * (104 - 101.101) - 0.1)) / 100_000, 12);
    expect(drift?.fillRateGap).toBe(0);
  });

  it('leaves unfilled what no bar after the decision could fill, and gives it no attribution', () => {
    const { pairs, drift } = simulateShadowDay(input([D], []));
    expect(pairs[0]?.attribution).toBeNull();
    expect(drift).toEqual({ returnGap: 0, slippageGapBps: null, fillRateGap: 0, timingGapMs: null, ordersCompared: 1, actualTradingPnl: 0, shadowTradingPnl: 0 });
  });

  it('cancels in the shadow what the strategy canceled, before the next bar, and leaves it out of the fill rate', () => {
    // Decided at bar 1, canceled 100 ms later: the simulator would have filled it at bar 2's open.
    const canceled = order({ clientOrderId: 'X', decidedAt: t(1), decisionPrice: 101, status: 'canceled', updatedAt: t(1) + 100 });
    const { pairs, drift } = simulateShadowDay(input([canceled], []));
    expect(pairs[0]?.shadow.filledQty).toBe(0);
    expect(drift?.fillRateGap).toBeNull();
    // Not canceled: it fills.
    const working = simulateShadowDay(input([{ ...canceled, status: 'accepted' }], []));
    expect(working.pairs[0]?.shadow.filledQty).toBe(10);
    expect(working.drift?.fillRateGap).toBe(-1);
  });

  it('ignores fills of orders not compared, and skips orders it cannot place again, saying why', () => {
    const noDecision = order({ clientOrderId: 'N', decisionPrice: null });
    const noLimit = order({ clientOrderId: 'L', type: 'limit', limitPrice: null });
    const noBars = order({ clientOrderId: 'Z', symbol: 'ZZZ' });
    const odd = order({ clientOrderId: 'O', type: 'iceberg' });
    const day = simulateShadowDay(input([noDecision, noLimit, noBars, odd, A], [A_FILL, fill('N', 'buy', 10, 101, 0, t(1)), fill('elsewhere', 'buy', 1, 100, 0, t(1))]));
    expect(day.pairs.map((pair) => pair.clientOrderId)).toEqual(['A']);
    expect(day.skipped).toEqual([
      { clientOrderId: 'N', reason: 'no decision price in the journal' },
      { clientOrderId: 'L', reason: 'a limit order without a limit price in the journal' },
      { clientOrderId: 'Z', reason: 'no bars for ZZZ' },
      { clientOrderId: 'O', reason: 'unknown order type "iceberg"' },
    ]);
    expect(day.drift?.actualTradingPnl).toBeCloseTo(24.5, 9);
    expect(simulateShadowDay(input([noDecision], [])).drift).toBeNull();
    expect(simulateShadowDay(input([], [])).drift).toBeNull();
  });

  it('is deterministic: the same day gives the same answer', () => {
    const profile = EXECUTION_PROFILES.stressed;
    const first = simulateShadowDay(input([A, B, C, D], [A_FILL, B_FILL], { profile, seed: 7 }));
    const second = simulateShadowDay(input([A, B, C, D], [A_FILL, B_FILL], { profile, seed: 7 }));
    expect(second).toEqual(first);
  });

  it.each<[string, Partial<ShadowDayInput>, string]>([
    ['a start equity of 0', { startEquity: 0 }, 'startEquity'],
    ['bars out of order', { bars: { AAA: [BARS[1] as ShadowBar, BARS[0] as ShadowBar] } }, 'bars.AAA[1].time'],
    ['a NaN price', { bars: { AAA: [{ ...(BARS[0] as ShadowBar), low: Number.NaN }] } }, 'bars.AAA[0].low'],
    ['an order given twice', { orders: [A, A] }, 'orders[1].clientOrderId'],
  ])('refuses %s with a ConfigError naming the field', (_name, overrides, field) => {
    let error: unknown;
    try {
      simulateShadowDay(input([A], [A_FILL], overrides));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message.startsWith(`${field}: `)).toBe(true);
  });
});

/** A universe of `symbols`, `length` minute bars each, a seeded random walk (volume low enough for the participation cap to bite). */
function randomUniverse(rng: SeededRng, symbols: readonly Ticker[], length: number): BarUniverse {
  const size = symbols.length * length;
  const u = {
    symbols,
    length,
    time: new Float64Array(length),
    open: new Float64Array(size),
    high: new Float64Array(size),
    low: new Float64Array(size),
    close: new Float64Array(size),
    volume: new Float64Array(size),
    hasBar: new Uint8Array(size),
  };
  for (let k = 0; k < length; k++) u.time[k] = t(k);
  symbols.forEach((_symbol, s) => {
    let close = 50 + 100 * rng.nextFloat();
    for (let k = 0; k < length; k++) {
      const at = s * length + k;
      // A missing bar now and then, as thin minutes have (but, as in a session, some symbol has a bar at every step).
      if (s > 0 && k > 0 && rng.nextBoolean(0.1)) continue;
      const open = close * (1 + 0.002 * rng.nextNormal());
      close = open * (1 + 0.003 * rng.nextNormal());
      u.open[at] = open;
      u.close[at] = close;
      u.high[at] = Math.max(open, close) * (1 + 0.001 * rng.nextFloat());
      u.low[at] = Math.min(open, close) * (1 - 0.001 * rng.nextFloat());
      u.volume[at] = Math.floor(200 + 2_000 * rng.nextFloat());
      u.hasBar[at] = 1;
    }
  });
  return u;
}

/**
 * A trading day as a session would journal it, its executions by the simulator itself: random
 * orders decided at bar closes, sent before the next bar, some canceled a bar later.
 */
function simulatedDay(seed: number, profile: ExecutionProfile): { universe: BarUniverse; orders: LiveOrderRecord[]; fills: LiveFillRecord[] } {
  const rng = new SeededRng(seed);
  const symbols = [ticker('AAA'), ticker('BBB')];
  const universe = randomUniverse(rng, symbols, 60);
  const orders = new Map<string, LiveOrderRecord>();
  const fills: LiveFillRecord[] = [];
  const sink: BrokerEventSink = {
    onFill: (f: Fill) => {
      fills.push({ fillKey: `${f.clientOrderId}@${fills.length}`, clientOrderId: f.clientOrderId, symbol: f.symbol, side: f.side, qty: f.qty, price: f.price, commission: f.commission, time: f.time, recovered: false });
    },
    onOrderUpdate: (update: OrderUpdate) => {
      const known = orders.get(update.clientOrderId);
      if (known !== undefined) orders.set(update.clientOrderId, { ...known, status: update.status, filledQty: update.filledQty, updatedAt: update.time });
    },
  };
  const broker = new SimulatedBroker({ universe, profile, seed: 1 });
  broker.connect({ cash: Number.POSITIVE_INFINITY }, sink);
  const pending: OrderRequest[] = [];
  /** Ids to cancel before bar k (the strategy changing its mind a bar or two after deciding). */
  const cancels = new Map<number, string[]>();
  let n = 0;
  for (let k = 0; k < universe.length; k++) {
    for (const request of pending.splice(0)) broker.submit(request);
    for (const id of cancels.get(k) ?? []) broker.cancel(clientOrderId(id));
    broker.processBar(k);
    symbols.forEach((symbol, s) => {
      const at = s * universe.length + k;
      if (universe.hasBar[at] !== 1 || !rng.nextBoolean(0.3)) return;
      const close = universe.close[at] as number;
      const side = rng.nextBoolean(0.5) ? 'buy' : 'sell';
      const types: readonly OrderType[] = ['market', 'market', 'limit', 'stop', 'stop_limit'];
      const type = types[Math.floor(rng.nextFloat() * types.length)] as OrderType;
      const away = (bpsAway: number): number => close * (1 + ((side === 'buy' ? -1 : 1) * bpsAway) / 10_000);
      const limitPrice = type === 'limit' ? away(10 * rng.nextFloat()) : type === 'stop_limit' ? away(-30) : undefined;
      const stopPrice = type === 'stop' || type === 'stop_limit' ? away(-10 * rng.nextFloat()) : undefined;
      const id = `day-${seed}-${++n}`;
      const request: OrderRequest = {
        clientOrderId: clientOrderId(id),
        symbol,
        side,
        type,
        qty: 1 + Math.floor(400 * rng.nextFloat()),
        timeInForce: 'gtc',
        decidedAt: t(k) as EpochMs,
        decisionPrice: close,
        ...(limitPrice !== undefined ? { limitPrice } : {}),
        ...(stopPrice !== undefined ? { stopPrice } : {}),
      };
      pending.push(request);
      orders.set(id, {
        clientOrderId: id,
        symbol,
        side,
        type,
        qty: request.qty,
        filledQty: 0,
        status: 'new',
        decidedAt: t(k),
        updatedAt: t(k),
        reason: null,
        decisionPrice: close,
        limitPrice: limitPrice ?? null,
        stopPrice: stopPrice ?? null,
        timeInForce: 'gtc',
      });
      if (rng.nextBoolean(0.2)) {
        const at = k + 1 + Math.floor(2 * rng.nextFloat());
        cancels.set(at, [...(cancels.get(at) ?? []), id]);
      }
    });
  }
  return { universe, orders: [...orders.values()], fills };
}

describe('simulateShadowDay against the simulator itself', () => {
  /** What the random days exercised, checked once they have all run. */
  const covered = new Set<string>();

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('finds no drift when the simulator made the actual fills (day %i, realistic)', (seed) => {
    const profile = EXECUTION_PROFILES.realistic;
    const { universe, orders, fills } = simulatedDay(seed, profile);
    expect(fills.length).toBeGreaterThan(0);
    expect(orders.some((o) => o.status === 'canceled')).toBe(true);
    const bars = shadowBarsFromUniverse(universe, { fromMs: t(0), toMs: t(universe.length) });
    const day = simulateShadowDay({ orders, fills, bars, profile, startEquity: 1_000_000 });
    expect(day.skipped).toEqual([]);
    expect(day.pairs).toHaveLength(orders.length);
    for (const o of orders) {
      const count = fills.filter((f) => f.clientOrderId === o.clientOrderId).length;
      if (count > 1) covered.add('partial fills');
      if (count > 0) covered.add(`${o.type} filled`);
      if (count === 0) covered.add('unfilled');
      if (o.status === 'canceled') covered.add('canceled');
    }
    const drift = day.drift;
    expect(Math.abs(drift?.returnGap ?? NaN)).toBeLessThan(1e-9);
    expect(Math.abs(drift?.slippageGapBps ?? NaN)).toBeLessThan(1e-9);
    expect(Math.abs(drift?.fillRateGap ?? NaN)).toBeLessThan(1e-9);
    expect(drift?.timingGapMs).toBe(0);
    expect(Math.abs((drift?.actualTradingPnl ?? NaN) - (drift?.shadowTradingPnl ?? NaN))).toBeLessThan(1e-9);
    for (const pair of day.pairs) {
      expect(pair.shadow.filledQty).toBe(pair.actual.filledQty);
      expect(pair.shadow.filledAt).toBe(pair.actual.filledAt);
      expect(Math.abs((pair.shadow.averagePrice ?? 0) - (pair.actual.averagePrice ?? 0))).toBeLessThan(1e-9);
    }
  });

  it('the random days exercised every kind of order and outcome', () => {
    expect([...covered].sort()).toEqual(['canceled', 'limit filled', 'market filled', 'partial fills', 'stop filled', 'stop_limit filled', 'unfilled']);
  });

  it('finds drift again once one actual fill is moved', () => {
    const profile = EXECUTION_PROFILES.realistic;
    const { universe, orders, fills } = simulatedDay(3, profile);
    const [first, ...rest] = fills;
    if (first === undefined) throw new Error('the day has no fill');
    const worse = { ...first, price: first.price * (first.side === 'buy' ? 1.01 : 0.99) };
    const bars = shadowBarsFromUniverse(universe, { fromMs: t(0), toMs: t(universe.length) });
    const drift = simulateShadowDay({ orders, fills: [worse, ...rest], bars, profile, startEquity: 1_000_000 }).drift;
    expect(drift?.slippageGapBps).toBeGreaterThan(0);
    expect(drift?.returnGap).toBeLessThan(0);
  });
});

describe('shadowDayFromStore', () => {
  it('reads the orders decided in the window and their fills in it from the journal', async () => {
    const store = new MemoryLiveStateStore();
    const yesterday = order({ clientOrderId: 'Y', decidedAt: t(-600), updatedAt: t(-600), status: 'filled', filledQty: 10 });
    await store.save('paper-1', { checkpoint: { bar: 1 }, lastBarTime: t(-600), orders: [yesterday], fills: [fill('Y', 'buy', 10, 90, 0, t(-599))], audit: [] }, t(-599));
    await store.save('paper-1', { checkpoint: { bar: 2 }, lastBarTime: t(3), orders: [A, B, C, D], fills: [A_FILL, B_FILL], audit: [] }, t(3));
    const fromStore = await shadowDayFromStore(store, 'paper-1', { fromMs: t(0), toMs: t(4) }, { AAA: BARS }, PROFILE, 100_000);
    expect(fromStore).toEqual(simulateShadowDay(input([A, B, C, D], [A_FILL, B_FILL])));
    await expect(shadowDayFromStore(store, 'paper-1', { fromMs: t(4), toMs: t(4) }, { AAA: BARS }, PROFILE, 100_000)).rejects.toThrow(ConfigError);
  });
});
