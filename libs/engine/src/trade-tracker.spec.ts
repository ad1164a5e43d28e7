import fc from 'fast-check';
import { epochMs, ticker } from '@quantbot/core';
import { TradeTracker, tradeOutcomes } from './trade-tracker';

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

  it('reads the outcomes off its columns to the bit of those of the trade objects, for any fills', () => {
    const fill = fc.record({
      symbol: fc.integer({ min: 0, max: 2 }),
      qty: fc.integer({ min: -300, max: 300 }).filter((q) => q !== 0),
      price: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
      commission: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 100, noNaN: true })),
    });
    fc.assert(
      fc.property(fc.array(fill, { maxLength: 200 }), (fills) => {
        const tracker = new TradeTracker([ticker('AAA'), ticker('BBB'), ticker('CCC')]);
        fills.forEach((f, k) => tracker.onFill(f.symbol, f.qty, f.price, f.commission, t(k), k));
        const fromColumns = tracker.outcomes();
        const fromTrades = tradeOutcomes(tracker.closed);
        expect(fromColumns.count).toBe(tracker.closed.length);
        // Object.is: the same double, -0 included.
        for (const key of ['count', 'wins', 'grossWin', 'grossLoss'] as const) expect(Object.is(fromColumns[key], fromTrades[key])).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('counts wins, winners\' and losers\' net P&L from the trades', () => {
    const tracker = new TradeTracker([ticker('AAA')]);
    tracker.onFill(0, 10, 10, 1, t(1), 1);
    tracker.onFill(0, -10, 12, 1, t(2), 2); // net +18
    tracker.onFill(0, 10, 10, 1, t(3), 3);
    tracker.onFill(0, -10, 9, 1, t(4), 4); // net -12
    tracker.onFill(0, 10, 10, 0, t(5), 5);
    tracker.onFill(0, -10, 10, 0, t(6), 6); // net 0: not a win
    expect(tracker.outcomes()).toEqual({ count: 3, wins: 1, grossWin: 18, grossLoss: 12 });
  });

  it('builds for closedLater the trades closed when it was called, whatever closes after, from a shared or a copied buffer', () => {
    for (const before of [3, 200]) {
      const tracker = new TradeTracker([ticker('AAA')]);
      const roundTrip = (k: number): void => {
        tracker.onFill(0, 10, 10 + k, 1, t(2 * k), 2 * k);
        tracker.onFill(0, -10, 11 + (k % 7), 1, t(2 * k + 1), 2 * k + 1);
      };
      for (let k = 0; k < before; k++) roundTrip(k);
      const later = tracker.closedLater();
      // More trades: some in the buffer's spare room, then past it (the buffer grows).
      for (let k = before; k < before + 400; k++) roundTrip(k);
      const trades = later();
      expect(trades).toHaveLength(before);
      expect(JSON.stringify(trades)).toBe(JSON.stringify(tracker.closed.slice(0, before)));
      expect(later()).toBe(trades);
      expect(Object.isFrozen(trades)).toBe(true);
    }
    expect(new TradeTracker([ticker('AAA')]).closedLater()()).toEqual([]);
  });
});
