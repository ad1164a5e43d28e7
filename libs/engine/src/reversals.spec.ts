import type { ClientOrderId, ReversalRule } from '@quantbot/core';
import type { Strategy } from '@quantbot/strategies';
import { flatRows, universeOf } from '../test/universe-builder';
import { runBacktest } from './backtest-runner';

const DAY = 86_400_000;
const START = Date.UTC(2020, 0, 1);
const day = (k: number): number => START + k * DAY;
const PRICES = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109];

/** Buys 10 on bar 0; on bar 3 reverses as `reverse` says; nothing after. */
function reversing(reverse: 'close-and-sell' | 'one-sell', options: { readonly closeLimit?: number } = {}): Strategy {
  return {
    name: 'reversing',
    onBar(bar, ctx) {
      if (bar.visibleSteps === 1) ctx.buy(0, 10);
      if (bar.visibleSteps !== 4) return;
      if (reverse === 'one-sell') {
        ctx.sell(0, 25);
        return;
      }
      if (options.closeLimit !== undefined) ctx.submitOrder({ symbolIndex: 0, side: 'sell', type: 'limit', qty: 10, limitPrice: options.closeLimit, timeInForce: 'day' });
      else ctx.closePosition(0);
      ctx.sell(0, 10);
    },
  };
}

function run(strategy: Strategy, reversals: ReversalRule | undefined) {
  return runBacktest({
    universe: universeOf({ AAA: flatRows(PRICES) }),
    strategy,
    startingCash: 100_000,
    sizing: { kind: 'fixed-shares', shares: 1 },
    ...(reversals !== undefined ? { reversals } : {}),
  });
}

describe('reversals: one order (a backtest) or close, then open (Alpaca)', () => {
  it('one-order (the default): the close and the short both fill at the next open', () => {
    const result = run(reversing('close-and-sell'), undefined);
    expect(result.trades).toHaveLength(1);
    expect(result.trades[0]?.exitTime).toBe(day(4));
    expect(result.openPositions).toEqual([expect.objectContaining({ side: 'short', qty: 10, entryTime: day(4), entryPrice: 104 })]);
  });

  it('close-then-open: the short is held until the close has filled, then sent, and fills a bar later', () => {
    const result = run(reversing('close-and-sell'), 'close-then-open');
    expect(result.trades).toHaveLength(1);
    expect(result.trades[0]?.exitTime).toBe(day(4));
    expect(result.openPositions).toEqual([expect.objectContaining({ side: 'short', qty: 10, entryTime: day(5), entryPrice: 105 })]);
    expect(result.rejectedOrders).toEqual([]);
  });

  it('close-then-open splits one order that crosses zero into the close and a held opening order', () => {
    const oneOrder = run(reversing('one-sell'), 'one-order');
    expect(oneOrder.openPositions).toEqual([expect.objectContaining({ side: 'short', qty: 15, entryTime: day(4) })]);

    const split = run(reversing('one-sell'), 'close-then-open');
    expect(split.trades).toHaveLength(1);
    expect(split.trades[0]).toEqual(expect.objectContaining({ qty: 10, exitTime: day(4) }));
    expect(split.openPositions).toEqual([expect.objectContaining({ side: 'short', qty: 15, entryTime: day(5), entryPrice: 105 })]);
  });

  it('close-then-open rejects the held order when the close ends without flattening (a day limit that expires)', () => {
    const result = run(reversing('close-and-sell', { closeLimit: 1_000 }), 'close-then-open');
    // The long is still held; the short was never sent.
    expect(result.openPositions).toEqual([expect.objectContaining({ side: 'long', qty: 10 })]);
    expect(result.canceledOrders).toEqual([expect.objectContaining({ status: 'expired' })]);
    expect(result.rejectedOrders).toEqual([expect.objectContaining({ reason: 'held until the position was flat, but the orders closing it ended with 10 still held' })]);
  });

  it('close-then-open: a held order the strategy cancels ends there, never sent', () => {
    let held: ClientOrderId | undefined;
    const strategy: Strategy = {
      name: 'cancels-held',
      onBar(bar, ctx) {
        if (bar.visibleSteps === 1) ctx.buy(0, 10);
        if (bar.visibleSteps === 4) {
          ctx.submitOrder({ symbolIndex: 0, side: 'sell', type: 'limit', qty: 10, limitPrice: 1_000 });
          held = ctx.submitOrder({ symbolIndex: 0, side: 'sell', type: 'market', qty: 10 });
        }
        if (bar.visibleSteps === 6 && held !== undefined) ctx.cancelOrder(held);
      },
    };
    const result = run(strategy, 'close-then-open');
    expect(result.canceledOrders).toContainEqual(expect.objectContaining({ clientOrderId: held, status: 'canceled', reason: 'canceled by the strategy before it was sent' }));
    expect(result.openPositions).toEqual([expect.objectContaining({ side: 'long', qty: 10 })]);
  });
});
