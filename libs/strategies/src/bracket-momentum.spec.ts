import { ConfigError, clientOrderId, epochMs, ticker } from '@quantbot/core';
import type { BarUniverse, ClientOrderId, EpochMs, Ticker } from '@quantbot/core';
import { TimeCursor, UniverseBarView } from './bar-view';
import { BRACKET_MOMENTUM_PARAMS, BracketMomentum } from './bracket-momentum';
import type { BracketMomentumParams } from './bracket-momentum';
import type { OrderSpec, Strategy, StrategyContext } from './strategy';
import { STRATEGY_DEFINITIONS, createStrategy } from './strategy-registry';

/** One bar as [high, low, close]; the open is taken equal to the close. */
type Hlc = readonly [number, number, number];

const DAY = 86_400_000;

/** A universe of the given symbols, every symbol with a bar at every step. */
function universeOf(columns: Readonly<Record<string, readonly Hlc[]>>): BarUniverse {
  const names = Object.keys(columns);
  const length = Math.max(...names.map((n) => (columns[n] ?? []).length));
  const size = names.length * length;
  const u = {
    symbols: names.map((n) => ticker(n)) as readonly Ticker[],
    length,
    time: new Float64Array(length).map((_, k) => k * DAY),
    open: new Float64Array(size).fill(NaN),
    high: new Float64Array(size).fill(NaN),
    low: new Float64Array(size).fill(NaN),
    close: new Float64Array(size).fill(NaN),
    volume: new Float64Array(size).fill(NaN),
    hasBar: new Uint8Array(size),
  };
  names.forEach((name, s) => {
    (columns[name] ?? []).forEach(([high, low, close], k) => {
      const at = s * length + k;
      u.open[at] = close;
      u.high[at] = high;
      u.low[at] = low;
      u.close[at] = close;
      u.volume[at] = 1_000;
      u.hasBar[at] = 1;
    });
  });
  return u;
}

interface RecordedOrder {
  readonly step: number;
  readonly spec: OrderSpec;
}

/** A `StrategyContext` that records what the strategy asks for; position and pending are set by the test. */
class FakeContext implements StrategyContext {
  readonly time: EpochMs = epochMs(0);
  readonly symbols: readonly Ticker[];
  readonly cash = 100_000;
  readonly positions: number[];
  readonly pending: boolean[];
  readonly orders: RecordedOrder[] = [];
  /** Every call other than `submitOrder`, by method name; the strategy should make none. */
  readonly otherCalls: string[] = [];
  step = -1;

  constructor(symbols: readonly Ticker[]) {
    this.symbols = symbols;
    this.positions = symbols.map(() => 0);
    this.pending = symbols.map(() => false);
  }

  equity(): number {
    return this.cash;
  }

  position(symbolIndex: number): number {
    return this.positions[symbolIndex] ?? 0;
  }

  hasPendingOrder(symbolIndex: number): boolean {
    return this.pending[symbolIndex] ?? false;
  }

  buy(): void {
    this.otherCalls.push('buy');
  }

  sell(): void {
    this.otherCalls.push('sell');
  }

  closePosition(): void {
    this.otherCalls.push('closePosition');
  }

  submitOrder(spec: OrderSpec): ClientOrderId | undefined {
    this.orders.push({ step: this.step, spec });
    return clientOrderId(`order-${this.orders.length}`);
  }

  cancelOrder(): void {
    this.otherCalls.push('cancelOrder');
  }

  replaceOrder(): ClientOrderId {
    this.otherCalls.push('replaceOrder');
    return clientOrderId('replaced');
  }
}

/**
 * Walks `universe` step by step, telling the strategy about every symbol's bar. `beforeStep`
 * may change the context's positions and pending flags before the strategy sees step k.
 */
function drive(strategy: Strategy, universe: BarUniverse, ctx: FakeContext, beforeStep?: (step: number) => void): void {
  const cursor = new TimeCursor(universe.length);
  const views = universe.symbols.map((_, s) => new UniverseBarView(universe, s, cursor));
  for (let k = 0; k < universe.length; k++) {
    cursor.advanceTo(k);
    ctx.step = k;
    beforeStep?.(k);
    for (const view of views) strategy.onBar(view, ctx);
  }
}

/** Runs a one-symbol series through a fresh strategy and returns the context. */
function runOne(params: Partial<BracketMomentumParams>, rows: readonly Hlc[], beforeStep?: (ctx: FakeContext, step: number) => void): FakeContext {
  const universe = universeOf({ AAA: rows });
  const ctx = new FakeContext(universe.symbols);
  drive(new BracketMomentum({ ...DEFAULTS, ...params }, 1), universe, ctx, beforeStep && ((k) => beforeStep(ctx, k)));
  return ctx;
}

const DEFAULTS: BracketMomentumParams = { lookback: 20, atrPeriod: 14, takeProfitAtr: 3, stopLossAtr: 1.5, allowShort: false };

/**
 * Wilder's ATR computed here, apart from the library: TR from the second bar as
 * max(h, prevC) − min(l, prevC), seeded with the mean of the first `period` TRs, then
 * prev·(1 − 1/p) + tr/p. NaN until ready.
 */
function referenceAtr(rows: readonly Hlc[], period: number): number[] {
  const out = rows.map(() => NaN);
  let atr = NaN;
  let seedSum = 0;
  let count = 0;
  for (let k = 1; k < rows.length; k++) {
    const [high, low] = rows[k] as Hlc;
    const prevClose = (rows[k - 1] as Hlc)[2];
    const tr = Math.max(high, prevClose) - Math.min(low, prevClose);
    count++;
    if (count < period) {
      seedSum += tr;
    } else if (count === period) {
      atr = (seedSum + tr) / period;
    } else {
      atr = atr * (1 - 1 / period) + tr / period;
    }
    out[k] = atr;
  }
  return out;
}

const cents = (x: number): number => Math.round(x * 100) / 100;

/** Bars that each close above every earlier high: a breakout on every bar. */
function risingRows(count: number): Hlc[] {
  return Array.from({ length: count }, (_, k) => [10 + k + 0.5, 10 + k - 0.5, 10 + k + 0.4] as const);
}

/** Bars that each close below every earlier low. */
function fallingRows(count: number): Hlc[] {
  return Array.from({ length: count }, (_, k) => [50 - k + 0.5, 50 - k - 0.5, 50 - k - 0.4] as const);
}

/** A quiet range with a breakout on the last bar (step 7); ATR and channel are ready well before. */
const BREAKOUT_ROWS: readonly Hlc[] = [
  [10.5, 9.5, 10.0],
  [10.8, 9.9, 10.2],
  [10.6, 9.7, 10.1],
  [10.7, 10.0, 10.4],
  [10.9, 10.1, 10.3],
  [10.6, 9.8, 10.05],
  [10.75, 10.0, 10.6],
  [11.7, 10.5, 11.37],
];

/** The mirror image: a quiet range with a breakdown on the last bar (step 7). */
const BREAKDOWN_ROWS: readonly Hlc[] = [
  [20.5, 19.5, 20.0],
  [20.1, 19.2, 19.8],
  [20.3, 19.4, 19.9],
  [20.0, 19.3, 19.6],
  [19.9, 19.1, 19.7],
  [20.2, 19.4, 19.95],
  [20.0, 19.25, 19.4],
  [19.5, 18.3, 18.63],
];

describe('BracketMomentum', () => {
  describe('warm-up', () => {
    it.each([
      { lookback: 3, atrPeriod: 2, firstStep: 3 },
      { lookback: 5, atrPeriod: 2, firstStep: 5 },
      { lookback: 2, atrPeriod: 6, firstStep: 6 },
    ])('sends nothing before the channel holds $lookback bars and ATR($atrPeriod) is ready', ({ lookback, atrPeriod, firstStep }) => {
      const ctx = runOne({ lookback, atrPeriod }, risingRows(10));
      expect(ctx.orders.length).toBeGreaterThan(0);
      expect(ctx.orders[0]?.step).toBe(firstStep);
    });
  });

  describe('long entries', () => {
    it('sends one buy bracket with take-profit and stop-loss at close ± k·ATR on a close above the prior high', () => {
      const params = { lookback: 5, atrPeriod: 3, takeProfitAtr: 3, stopLossAtr: 1.5 };
      const ctx = runOne(params, BREAKOUT_ROWS);
      const close = 11.37;
      const atr = referenceAtr(BREAKOUT_ROWS, 3)[7] as number;
      expect(ctx.orders).toEqual([
        {
          step: 7,
          spec: { symbolIndex: 0, side: 'buy', type: 'bracket', takeProfitPrice: cents(close + 3 * atr), stopLossPrice: cents(close - 1.5 * atr) },
        },
      ]);
      const spec = ctx.orders[0]?.spec;
      expect(Math.abs((spec?.takeProfitPrice ?? NaN) - (close + 3 * atr))).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(Math.abs((spec?.stopLossPrice ?? NaN) - (close - 1.5 * atr))).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(spec?.qty).toBeUndefined();
      expect(ctx.otherCalls).toEqual([]);
    });

    it('excludes the current bar from its own channel: a close equal to the prior high does not trigger, one strictly above does', () => {
      const rows: Hlc[] = [
        [10, 9, 9.5],
        [10, 9, 9.5],
        [10, 9, 9.5],
        [10.5, 9.5, 10], // equals the prior high of 10: no signal
        [10.8, 10, 10.51], // above the prior high of 10.5, below its own high of 10.8: a signal
      ];
      const ctx = runOne({ lookback: 3, atrPeriod: 1 }, rows);
      expect(ctx.orders.map((o) => [o.step, o.spec.side])).toEqual([[4, 'buy']]);
    });

    it('forgets highs older than the lookback window', () => {
      const rows: Hlc[] = [
        [20, 9, 9.5], // a spike that leaves the 3-bar window before step 4
        [10, 9, 9.5],
        [10, 9, 9.5],
        [10, 9, 9.5],
        [10.6, 9.8, 10.5],
      ];
      const ctx = runOne({ lookback: 3, atrPeriod: 1 }, rows);
      expect(ctx.orders.map((o) => o.step)).toEqual([4]);
    });

    it('skips a signal whose bracket prices collapse onto the close when rounded to cents', () => {
      const rows: Hlc[] = [
        [10.001, 10.0, 10.0],
        [10.001, 10.0, 10.0],
        [10.003, 10.001, 10.002], // breaks out by 0.001 with an ATR of 0.003
      ];
      expect(runOne({ lookback: 2, atrPeriod: 1, takeProfitAtr: 0.1, stopLossAtr: 0.1 }, rows).orders).toEqual([]);
      const wide = runOne({ lookback: 2, atrPeriod: 1, takeProfitAtr: 10, stopLossAtr: 10 }, rows);
      expect(wide.orders.map((o) => o.spec)).toEqual([
        { symbolIndex: 0, side: 'buy', type: 'bracket', takeProfitPrice: 10.03, stopLossPrice: 9.97 },
      ]);
    });
  });

  describe('gating', () => {
    it.each([
      { state: 'a long position is open', position: 100, pending: false },
      { state: 'a short position is open', position: -100, pending: false },
      { state: 'an order is pending', position: 0, pending: true },
    ])('sends nothing while $state', ({ position, pending }) => {
      const ctx = runOne({ lookback: 3, atrPeriod: 2, allowShort: true }, risingRows(8), (c) => {
        c.positions[0] = position;
        c.pending[0] = pending;
      });
      expect(ctx.orders).toEqual([]);
      expect(ctx.otherCalls).toEqual([]);
    });

    it('enters again once flat with nothing pending', () => {
      const ctx = runOne({ lookback: 3, atrPeriod: 2 }, risingRows(8), (c, step) => {
        c.pending[0] = step === 4 || step === 5; // the entry, then its bracket legs, are working
        c.positions[0] = step === 5 ? 100 : 0; // filled before step 5, closed by a leg before step 6
      });
      expect(ctx.orders.map((o) => o.step)).toEqual([3, 6, 7]);
    });

    it('never exits by itself: with a long open, a crash sends nothing', () => {
      const rows: Hlc[] = [...risingRows(6), [10, 5, 5.5], [6, 2, 2.5]];
      const ctx = runOne({ lookback: 3, atrPeriod: 2, allowShort: true }, rows, (c, step) => {
        c.positions[0] = step >= 4 ? 100 : 0;
      });
      expect(ctx.orders.map((o) => o.step)).toEqual([3]);
      expect(ctx.otherCalls).toEqual([]);
    });
  });

  describe('short entries', () => {
    it('sends nothing on a close below the prior low unless allowShort is set', () => {
      expect(runOne({ lookback: 5, atrPeriod: 3 }, BREAKDOWN_ROWS).orders).toEqual([]);
      expect(runOne({ lookback: 3, atrPeriod: 2 }, fallingRows(8)).orders).toEqual([]);
    });

    it('with allowShort, sends a sell bracket with take-profit below and stop-loss above the close by k·ATR', () => {
      const ctx = runOne({ lookback: 5, atrPeriod: 3, takeProfitAtr: 2, stopLossAtr: 1, allowShort: true }, BREAKDOWN_ROWS);
      const close = 18.63;
      const atr = referenceAtr(BREAKDOWN_ROWS, 3)[7] as number;
      expect(ctx.orders).toEqual([
        {
          step: 7,
          spec: { symbolIndex: 0, side: 'sell', type: 'bracket', takeProfitPrice: cents(close - 2 * atr), stopLossPrice: cents(close + atr) },
        },
      ]);
    });

    it('skips a short whose take-profit would not be a positive price', () => {
      const rows: Hlc[] = [
        [3, 1, 2],
        [3, 1, 2],
        [3, 1, 2],
        [2, 0.5, 0.6], // below the prior low of 1, with an ATR(2) of 1.75
      ];
      expect(runOne({ lookback: 3, atrPeriod: 2, takeProfitAtr: 3, allowShort: true }, rows).orders).toEqual([]);
      const near = runOne({ lookback: 3, atrPeriod: 2, takeProfitAtr: 0.2, stopLossAtr: 1, allowShort: true }, rows);
      expect(near.orders.map((o) => o.spec)).toEqual([
        { symbolIndex: 0, side: 'sell', type: 'bracket', takeProfitPrice: 0.25, stopLossPrice: 2.35 },
      ]);
    });
  });

  it('keeps each symbol’s channel and ATR apart', () => {
    const flatHigh: Hlc[] = Array.from({ length: 8 }, () => [100, 99, 99.5] as const);
    const universe = universeOf({ AAA: flatHigh, BBB: BREAKOUT_ROWS });
    const ctx = new FakeContext(universe.symbols);
    drive(new BracketMomentum({ ...DEFAULTS, lookback: 5, atrPeriod: 3 }, 2), universe, ctx);
    expect(ctx.orders.map((o) => [o.step, o.spec.symbolIndex, o.spec.side])).toEqual([[7, 1, 'buy']]);
  });

  describe('configuration', () => {
    it.each([
      { key: 'lookback', value: 1 },
      { key: 'lookback', value: 2.5 },
      { key: 'atrPeriod', value: 0 },
      { key: 'takeProfitAtr', value: 0 },
      { key: 'stopLossAtr', value: -1 },
      { key: 'stopLossAtr', value: NaN },
    ])('rejects $key = $value with a ConfigError naming it', ({ key, value }) => {
      const build = (): BracketMomentum => new BracketMomentum({ ...DEFAULTS, [key]: value }, 1);
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(`bracket-momentum.${key}:`);
    });

    it('is built by name, with string values and defaults for the rest', () => {
      const { strategy, params } = createStrategy('bracket-momentum', { lookback: '5' }, 1);
      expect(strategy).toBeInstanceOf(BracketMomentum);
      expect(strategy.name).toBe('bracket-momentum');
      expect(params).toEqual({ lookback: 5, atrPeriod: 14, takeProfitAtr: 3, stopLossAtr: 1.5, allowShort: false });
      expect((strategy as BracketMomentum).params).toEqual(params);
    });

    it('lists the known parameters when given an unknown one', () => {
      const build = (): unknown => createStrategy('bracket-momentum', { window: '5' }, 1);
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(/bracket-momentum\.window: unknown parameter.*lookback.*atrPeriod.*takeProfitAtr.*stopLossAtr.*allowShort/);
    });

    it('is registered with its parameters and a description', () => {
      const definition = STRATEGY_DEFINITIONS.find((d) => d.name === 'bracket-momentum');
      expect(definition?.params).toBe(BRACKET_MOMENTUM_PARAMS);
      expect(definition?.description).toMatch(/bracket/);
    });
  });
});
