import type { BarView, Strategy, StrategyContext } from '@quantbot/strategies';
import { resolveExecutionProfile } from '@quantbot/execution-sim';
import { SmaCrossover } from '@quantbot/strategies';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { flatRows, universeOf } from '../test/universe-builder';
import { runBacktest } from './backtest-runner';

type Action = (ctx: StrategyContext, bar: BarView) => void;

/** A strategy that performs the given action at given steps (per symbol index 0 only). */
function scripted(script: Readonly<Record<number, Action>>): Strategy {
  let step = -1;
  return {
    name: 'scripted',
    onBar(bar, ctx) {
      step = bar.visibleSteps - 1;
      script[step]?.(ctx, bar);
    },
  };
}

const fixed100 = { kind: 'fixed-shares', shares: 100 } as const;
const withFeeBps = (feeBps: number) => resolveExecutionProfile('idealistic', { feeBps });

describe('runBacktest', () => {
  it('fills an order decided on bar t at the open of bar t+1', () => {
    const universe = universeOf({ AAA: [[10, 11], [12, 13], [14, 15], [16, 17]] });
    const result = runBacktest({
      universe,
      strategy: scripted({ 0: (ctx) => ctx.buy(0), 2: (ctx) => ctx.closePosition(0) }),
      startingCash: 10_000,
      sizing: fixed100,
    });
    expect(result.trades).toHaveLength(1);
    const trade = result.trades[0];
    expect(trade).toEqual(expect.objectContaining({ entryPrice: 12, exitPrice: 16, pnl: 400, qty: 100 }));
    expect(trade?.entryTime).toBe(universe.time[1]);
    expect(trade?.exitTime).toBe(universe.time[3]);
    expect(result.metrics.finalEquity).toBe(10_400);
  });

  it('charges commission in basis points of each fill notional', () => {
    const universe = universeOf({ AAA: flatRows([10, 10, 20, 20]) });
    const result = runBacktest({
      universe,
      strategy: scripted({ 0: (ctx) => ctx.buy(0), 2: (ctx) => ctx.closePosition(0) }),
      startingCash: 10_000,
      sizing: fixed100,
      execution: withFeeBps(10),
    });
    expect(result.trades[0]?.commission).toBeCloseTo(1 + 2, 12);
    expect(result.metrics.finalEquity).toBeCloseTo(10_000 + 1_000 - 3, 9);
  });

  it('rejects, whole, an order whose fill it cannot pay for, and reports why', () => {
    // Decided at a close of 10 with cash for 100 shares; the next open gaps to 101.
    const universe = universeOf({ AAA: [[10, 10], [101, 101], [101, 101]] });
    const result = runBacktest({ universe, strategy: scripted({ 0: (ctx) => ctx.buy(0) }), startingCash: 10_000, sizing: fixed100 });
    expect(result.trades).toHaveLength(0);
    expect(result.openPositions).toHaveLength(0);
    expect(result.rejectedOrders).toEqual([expect.objectContaining({ reason: expect.stringMatching(/insufficient buying power: needs 10100.00, cash 10000.00/) })]);
    expect(result.metrics.finalEquity).toBe(10_000);
  });

  it('reports a position still open at the end as open, marked at the last close', () => {
    const universe = universeOf({ AAA: [[10, 10], [11, 12], [13, 14]] });
    const result = runBacktest({ universe, strategy: scripted({ 0: (ctx) => ctx.buy(0) }), startingCash: 10_000, sizing: fixed100 });
    expect(result.trades).toHaveLength(0);
    expect(result.openPositions).toEqual([
      expect.objectContaining({ symbol: 'AAA', side: 'long', qty: 100, entryPrice: 11, markPrice: 14, unrealizedPnl: 300, markTime: universe.time[2] }),
    ]);
    expect(result.metrics.finalEquity).toBe(10_300);
  });

  it('cancels and reports an order decided on the last bar, which has nothing to fill on', () => {
    const universe = universeOf({ AAA: flatRows([10, 10]) });
    const result = runBacktest({ universe, strategy: scripted({ 1: (ctx) => ctx.buy(0) }), startingCash: 10_000, sizing: fixed100 });
    expect(result.canceledOrders).toEqual([expect.objectContaining({ reason: expect.stringMatching(/end of data/) })]);
  });

  it('keeps an order working until its symbol has a bar', () => {
    const universe = universeOf({ AAA: [[10, 10], [11, 11], [12, 12], [13, 13]], BBB: [[5, 5], null, [7, 7], [8, 8]] });
    const strategy: Strategy = {
      name: 'buy-b',
      onBar(bar, ctx) {
        if (bar.symbolIndex === 0 && bar.visibleSteps === 1) ctx.buy(1);
      },
    };
    const result = runBacktest({ universe, strategy, startingCash: 10_000, sizing: fixed100 });
    expect(result.openPositions[0]).toEqual(expect.objectContaining({ symbol: 'BBB', entryPrice: 7, entryTime: universe.time[2] }));
  });

  it('sizes percent-of-cash orders from cash and the close at the decision', () => {
    const universe = universeOf({ AAA: [[10, 10], [10.5, 11], [11, 11]] });
    const result = runBacktest({
      universe,
      strategy: scripted({ 0: (ctx) => ctx.buy(0) }),
      startingCash: 10_000,
      sizing: { kind: 'percent-of-cash', percent: 95 },
    });
    expect(result.openPositions[0]?.qty).toBe(950);
  });

  it('sizes percent-of-equity orders from equity, not from the cash left, once a position is open', () => {
    // Bar 0: buy AAA (half the cash at 10). Bar 2: AAA closes at 20, so equity (15 000) is far
    // above the cash left (5 000); a BBB order at a close of 10 then gets 10% of each.
    const universe = universeOf({ AAA: [[10, 10], [10, 10], [20, 20], [20, 20]], BBB: [[10, 10], [10, 10], [10, 10], [10, 10]] });
    const run = (kind: 'percent-of-cash' | 'percent-of-equity'): number => {
      const result = runBacktest({
        universe,
        strategy: scripted({
          0: (ctx, bar) => {
            if (bar.symbolIndex === 0) ctx.buy(0, 500);
          },
          2: (ctx, bar) => {
            if (bar.symbolIndex === 1) ctx.buy(1);
          },
        }),
        startingCash: 10_000,
        sizing: { kind, percent: 10 },
      });
      return result.openPositions.find((p) => p.symbol === 'BBB')?.qty ?? 0;
    };
    expect(run('percent-of-cash')).toBe(50);
    expect(run('percent-of-equity')).toBe(150);
  });

  it('sells short and covers through zero with long/short SMA crossover without losing P&L', () => {
    const prices = [10, 10, 10, 9, 8, 7, 8, 9, 10, 11, 12, 11, 10, 9, 8, 7, 8, 9, 10, 11, 10, 9];
    const universe = universeOf({ AAA: flatRows(prices) });
    const result = runBacktest({
      universe,
      strategy: new SmaCrossover({ fast: 2, slow: 3, allowShort: true }, 1),
      startingCash: 10_000,
      sizing: { kind: 'fixed-shares', shares: 10 },
    });
    expect(result.trades.some((t) => t.side === 'short')).toBe(true);
    expect(result.trades.some((t) => t.side === 'long')).toBe(true);
    const realized = result.trades.reduce((sum, t) => sum + t.pnl, 0);
    const unrealized = result.openPositions.reduce((sum, p) => sum + p.unrealizedPnl, 0);
    expect(result.metrics.finalEquity).toBeCloseTo(10_000 + realized + unrealized, 9);
  });

  it('does not let a strategy read a bar after the current one', () => {
    const universe = universeOf({ AAA: flatRows([10, 11, 12]) });
    const peek: Strategy = { name: 'peek', onBar: (bar) => void bar.close(-1) };
    expect(() => runBacktest({ universe, strategy: peek, startingCash: 1_000, sizing: fixed100 })).toThrow(RangeError);
  });

  it('gives identical results for identical inputs', () => {
    const prices = Array.from({ length: 300 }, (_, k) => 100 + 10 * Math.sin(k / 7) + k / 50);
    const run = () =>
      runBacktest({
        universe: universeOf({ AAA: flatRows(prices) }),
        strategy: new SmaCrossover({ fast: 5, slow: 20, allowShort: false }, 1),
        startingCash: 100_000,
        sizing: fixed100,
        execution: withFeeBps(5),
      });
    const a = run();
    const b = run();
    expect(a.trades.length).toBeGreaterThan(3);
    expect(b.trades).toEqual(a.trades);
    expect(Buffer.from(b.equity.buffer).equals(Buffer.from(a.equity.buffer))).toBe(true);
  });

  it('builds the trades at their first read, frozen and the same array at every read, with the metrics of those trades', () => {
    const prices = Array.from({ length: 600 }, (_, k) => 100 + 10 * Math.sin(k / 9) - 8 * Math.cos(k / 5) + k / 40);
    const result = runBacktest({
      universe: universeOf({ AAA: flatRows(prices) }),
      strategy: new SmaCrossover({ fast: 3, slow: 11, allowShort: true }, 1),
      startingCash: 100_000,
      sizing: fixed100,
      execution: withFeeBps(5),
    });
    expect(Object.isFrozen(result)).toBe(true);
    const trades = result.trades;
    expect(result.trades).toBe(trades);
    expect(Object.isFrozen(trades) && trades.every((t) => Object.isFrozen(t))).toBe(true);
    expect(trades.length).toBeGreaterThan(10);
    const wins = trades.filter((t) => t.netPnl > 0);
    expect(wins.length).toBeGreaterThan(0);
    expect(wins.length).toBeLessThan(trades.length);
    // The metrics, summed off the trade columns in the run, against the trade objects read after it.
    const grossWin = wins.reduce((sum, t) => sum + t.netPnl, 0);
    const grossLoss = trades.reduce((sum, t) => (t.netPnl > 0 ? sum : sum - t.netPnl), 0);
    expect(result.metrics.closedTrades).toBe(trades.length);
    expect(result.metrics.winRate).toBe(wins.length / trades.length);
    expect(result.metrics.profitFactor).toBe(grossWin / grossLoss);
    // One trade's prototype is every trade's: frozen, so no reader of one result changes another's.
    expect(Object.isFrozen(Object.getPrototypeOf(trades[0]))).toBe(true);
    // Read like a data property by a copy and by JSON.
    expect({ ...result }.trades).toBe(trades);
    expect((JSON.parse(JSON.stringify({ trades: result.trades })) as { trades: unknown[] }).trades).toHaveLength(trades.length);
  });

  it('keeps neither the books nor the core alive for its trades, before or after they are read', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const prices = Array.from({ length: 400 }, (_, k) => 100 + 10 * Math.sin(k / 9) + k / 40);
    // The strategy is handed the core (its context) and through it the books: held here only weakly.
    let ledger: WeakRef<object> | undefined;
    let core: WeakRef<object> | undefined;
    const strategy = new SmaCrossover({ fast: 3, slow: 11, allowShort: false }, 1);
    const onBar = strategy.onBar.bind(strategy);
    strategy.onBar = (bar, ctx): void => {
      core ??= new WeakRef(ctx);
      ledger ??= new WeakRef((ctx as unknown as { readonly ledger: object }).ledger);
      onBar(bar, ctx);
    };
    const result = runBacktest({ universe: universeOf({ AAA: flatRows(prices) }), strategy, startingCash: 100_000, sizing: fixed100 });
    const collected = async (): Promise<boolean> => {
      // A weak reference's target lives at least until the current job ends.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      return ledger?.deref() === undefined && core?.deref() === undefined;
    };
    expect(ledger).toBeDefined();
    expect(await collected()).toBe(true);
    expect(result.trades.length).toBeGreaterThan(0);
    expect(await collected()).toBe(true);
  });

  it('writes the curve into a given equityBuffer, each step final when onProgress reports it', () => {
    const prices = Array.from({ length: 40_000 }, (_, k) => 100 + 10 * Math.sin(k / 7) + k / 500);
    const universe = universeOf({ AAA: flatRows(prices) });
    const config = { universe, strategy: new SmaCrossover({ fast: 5, slow: 20, allowShort: true }, 1), startingCash: 100_000, sizing: fixed100 };
    const plain = runBacktest({ ...config, strategy: new SmaCrossover({ fast: 5, slow: 20, allowShort: true }, 1) });
    const equityBuffer = new Float64Array(new SharedArrayBuffer(universe.length * 8)).fill(Number.NaN);
    // What the buffer holds at each report: the steps reported are written, the next one not yet.
    const seen: { done: number; written: boolean; next: boolean }[] = [];
    const result = runBacktest({
      ...config,
      equityBuffer,
      onProgress: (done) => seen.push({ done, written: equityBuffer.subarray(0, done).every((e, k) => Object.is(e, plain.equity[k])), next: done < universe.length && !Number.isNaN(equityBuffer[done]) }),
    });
    expect(result.equity).toBe(equityBuffer);
    expect(Buffer.from(equityBuffer.buffer).equals(Buffer.from(plain.equity.buffer))).toBe(true);
    expect(seen.map((s) => s.done)).toEqual([16_384, 32_768, 40_000]);
    expect(seen.every((s) => s.written && !s.next)).toBe(true);
    expect(() => runBacktest({ ...config, equityBuffer: new Float64Array(3) })).toThrow(/^equityBuffer: must hold one value per step \(40000\), got 3/);
  });

  it.each([
    ['startingCash', { startingCash: 0 }],
    ['execution.feeBps', { execution: { ...withFeeBps(0), feeBps: -1 } }],
    ['sizing.fixed-shares', { sizing: { kind: 'fixed-shares', shares: 1.5 } as const }],
    ['sizing.percent-of-cash', { sizing: { kind: 'percent-of-cash', percent: 120 } as const }],
  ])('refuses a bad %s, naming the option field', (field, override) => {
    const base = { universe: universeOf({ AAA: flatRows([1, 2]) }), strategy: scripted({}), startingCash: 1_000, sizing: fixed100 };
    expect(() => runBacktest({ ...base, ...override })).toThrow(new RegExp(`^${field.replace('.', '\\.')}: `));
  });
});
