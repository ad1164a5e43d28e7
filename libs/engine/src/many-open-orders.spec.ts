import type { Fill, OrderUpdate } from '@quantbot/core';
import type { BarView, Strategy, StrategyContext } from '@quantbot/strategies';
import { universeOf } from '../test/universe-builder';
import { runBacktest } from './backtest-runner';

/**
 * The trading core follows a few open orders in a list and many in a map (it switches past a
 * handful, `OPEN_ORDER_LIST_MAX`): with 8 orders open at once (the list) and with 24 (the map),
 * every fill, report and end must still reach its own order, in the order the orders were sent.
 */
class BuyAllThenSellAll implements Strategy {
  readonly name = 'buy-all-then-sell-all';
  readonly warmupBars = 0;
  readonly fills: Fill[] = [];
  readonly ended: OrderUpdate[] = [];
  /** `hasPendingOrder` per step, as the strategy saw it before deciding. */
  readonly pending: string[] = [];

  onBar(bar: BarView, ctx: StrategyContext): void {
    const step = bar.visibleSteps - 1;
    this.pending.push(`${step} ${bar.symbol} ${ctx.hasPendingOrder(bar.symbolIndex)}`);
    if (step === 0) ctx.buy(bar.symbolIndex);
    if (step === 2) ctx.closePosition(bar.symbolIndex);
  }

  onFill(fill: Fill): void {
    this.fills.push(fill);
  }

  onOrderUpdate(update: OrderUpdate): void {
    if (update.status === 'filled') this.ended.push(update);
  }
}

describe('many orders open at once', () => {
  it.each([8, 24])('books every fill and report against its own order, in the order they were sent (%i open)', (count) => {
    const NAMES = Array.from({ length: count }, (_, s) => `S${String(s).padStart(2, '0')}`);
    const n = NAMES.length;
    // Symbol s opens at 10 + s on every bar and closes one above its open.
    const universe = universeOf(Object.fromEntries(NAMES.map((name, s) => [name, Array.from({ length: 5 }, (): [number, number] => [10 + s, 11 + s])])));
    const strategy = new BuyAllThenSellAll();
    const result = runBacktest({ universe, strategy, startingCash: 1_000_000, sizing: { kind: 'fixed-shares', shares: 10 }, seed: 1 });

    // n buys sent on bar 0 (all open at once), filled at bar 1's opens; n sells sent on bar 2, filled at bar 3's.
    expect(strategy.fills.map((f) => `${f.clientOrderId} ${f.symbol} ${f.side} ${f.qty}@${f.price}`)).toEqual([
      ...NAMES.map((name, s) => `buy-all-then-sell-all-${s + 1} ${name} buy 10@${10 + s}`),
      ...NAMES.map((name, s) => `buy-all-then-sell-all-${s + 1 + n} ${name} sell 10@${10 + s}`),
    ]);
    expect(strategy.ended.map((u) => `${u.clientOrderId} ${u.filledQty}/${u.qty}`)).toEqual(strategy.fills.map((f) => `${f.clientOrderId} 10/10`));
    expect(result.trades.map((t) => `${t.symbol} ${t.qty} ${t.entryPrice}->${t.exitPrice}`)).toEqual(NAMES.map((name, s) => `${name} 10 ${10 + s}->${10 + s}`));
    // Each order counts as working from its decision until it ends, and no longer.
    expect(strategy.pending).toEqual([0, 1, 2, 3, 4].flatMap((step) => NAMES.map((name) => `${step} ${name} false`)));
    expect(result.openPositions).toEqual([]);
    expect(result.rejectedOrders).toEqual([]);
    expect(result.canceledOrders).toEqual([]);
    expect(result.executionQuality.orders).toBe(2 * n);
    expect(result.executionQuality.fills).toBe(2 * n);
    expect(result.executionQuality.fillRate).toBe(1);
  });
});
