import { epochMs, ticker } from '@quantbot/core';
import { TradeTracker } from './trade-tracker';

const t = (k: number) => epochMs(k * 1000);

describe('TradeTracker', () => {
  it('records a long round trip with gross P&L and both commissions', () => {
    const tracker = new TradeTracker([ticker('AAA')]);
    tracker.onFill(0, 100, 10, 1, t(1), 1);
    tracker.onFill(0, -100, 12.5, 1.5, t(5), 5);
    expect(tracker.closed).toEqual([
      expect.objectContaining({ side: 'long', qty: 100, entryPrice: 10, exitPrice: 12.5, pnl: 250, commission: 2.5, netPnl: 247.5, barsHeld: 4 }),
    ]);
    expect(tracker.openTrades()).toEqual([]);
  });

  it('keeps a trade open until the position is flat, averaging entries and exits', () => {
    const tracker = new TradeTracker([ticker('AAA')]);
    tracker.onFill(0, 10, 10, 0, t(1), 1);
    tracker.onFill(0, 30, 14, 0, t(2), 2);
    tracker.onFill(0, -20, 15, 0, t(3), 3);
    expect(tracker.closed).toHaveLength(0);
    expect(tracker.openTrades()[0]).toEqual(expect.objectContaining({ qty: 20, entryPrice: 13 }));
    tracker.onFill(0, -20, 17, 0, t(4), 4);
    expect(tracker.closed[0]).toEqual(expect.objectContaining({ qty: 40, entryPrice: 13, exitPrice: 16, pnl: 120 }));
  });

  it('splits a fill that crosses through zero into a closed short and a new long', () => {
    const tracker = new TradeTracker([ticker('AAA')]);
    tracker.onFill(0, -10, 50, 1, t(1), 1);
    tracker.onFill(0, 30, 40, 3, t(2), 2);
    expect(tracker.closed[0]).toEqual(expect.objectContaining({ side: 'short', qty: 10, pnl: 100, commission: 2 }));
    expect(tracker.openTrades()[0]).toEqual(expect.objectContaining({ side: 'long', qty: 20, entryPrice: 40, commission: 2 }));
  });
});
