import fc from 'fast-check';
import type { AlpacaOrder, AlpacaOrderStatus } from './alpaca-types';
import { AlpacaOrderTracker } from './order-tracker';

const T0 = Date.parse('2024-03-05T15:00:00Z');

function snapshot(id: string, status: AlpacaOrderStatus, filledQty: number, filledAvgPrice: number | null, updatedAt: number): AlpacaOrder {
  return {
    id,
    clientOrderId: `c-${id}`,
    symbol: 'AAPL',
    assetClass: 'us_equity',
    side: 'buy',
    type: 'market',
    timeInForce: 'day',
    status,
    qty: 100,
    notional: null,
    filledQty,
    filledAvgPrice,
    limitPrice: null,
    stopPrice: null,
    extendedHours: false,
    createdAt: T0,
    updatedAt,
    submittedAt: T0,
    filledAt: status === 'filled' ? updatedAt : null,
    canceledAt: null,
    orderClass: 'simple',
    replacedBy: null,
    replaces: null,
    legs: [],
  };
}

/** The snapshots an order goes through: new, then one per execution, the last one `filled`. */
function lifecycle(id: string, executions: readonly { qty: number; price: number }[]): AlpacaOrder[] {
  const out = [snapshot(id, 'new', 0, null, T0)];
  let filled = 0;
  let value = 0;
  executions.forEach((e, i) => {
    filled += e.qty;
    value += e.qty * e.price;
    const last = i === executions.length - 1;
    out.push(snapshot(id, last ? 'filled' : 'partially_filled', filled, value / filled, T0 + (i + 1) * 1_000));
  });
  return out;
}

describe('AlpacaOrderTracker', () => {
  it('turns cumulative quantities into fills, pricing each from the change in filled value', () => {
    const tracker = new AlpacaOrderTracker();
    const [created, first, second] = lifecycle('o1', [
      { qty: 30, price: 10 },
      { qty: 70, price: 11 },
    ]) as [AlpacaOrder, AlpacaOrder, AlpacaOrder];
    expect(tracker.observe(created, { time: T0, event: 'new', recovered: false })).toEqual([
      expect.objectContaining({ kind: 'status', previous: null, event: 'new' }),
    ]);
    const a = tracker.observe(first, { time: T0 + 1, event: 'partial_fill', recovered: false, executionId: 'x1', executionPrice: 10, executionQty: 30 });
    expect(a[0]).toMatchObject({ kind: 'fill', fill: { qty: 30, price: 10, executionId: 'x1', recovered: false } });
    expect(a[1]).toMatchObject({ kind: 'status', previous: 'new' });
    const b = tracker.observe(second, { time: T0 + 2, event: null, recovered: true });
    expect(b[0]).toMatchObject({ kind: 'fill', fill: { qty: 70, executionId: null, recovered: true } });
    expect(b[0]?.kind === 'fill' && b[0].fill.price).toBeCloseTo(11, 9);
    expect(tracker.openOrderIds()).toEqual([]);
    expect(tracker.filledQty('o1')).toBe(100);
  });

  it('never moves an order out of a terminal state', () => {
    const tracker = new AlpacaOrderTracker();
    tracker.observe(snapshot('o2', 'canceled', 0, null, T0 + 5), { time: T0 + 5, event: 'canceled', recovered: false });
    expect(tracker.observe(snapshot('o2', 'new', 0, null, T0), { time: T0, event: 'new', recovered: false })).toEqual([]);
    expect(tracker.status('o2')).toBe('canceled');
  });

  it('reports the same fills, once, whatever the duplication and order of the snapshots (property)', () => {
    const executions = fc.array(
      fc.record({ qty: fc.integer({ min: 1, max: 50 }), price: fc.integer({ min: 100, max: 20_000 }).map((c) => c / 100) }),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(executions, fc.array(fc.nat(), { maxLength: 30 }), (execs, picks) => {
        const snaps = lifecycle('p', execs);
        // A delivery: some snapshots duplicated or moved, but the final state always arrives at some point.
        const delivered = picks.map((p) => snaps[p % snaps.length] as AlpacaOrder);
        delivered.push(snaps[snaps.length - 1] as AlpacaOrder);
        const tracker = new AlpacaOrderTracker();
        let qty = 0;
        let value = 0;
        for (const s of delivered) {
          for (const change of tracker.observe(s, { time: s.updatedAt ?? T0, event: null, recovered: false })) {
            if (change.kind === 'fill') {
              expect(change.fill.qty).toBeGreaterThan(0);
              qty += change.fill.qty;
              value += change.fill.qty * change.fill.price;
            }
          }
        }
        const totalQty = execs.reduce((t, e) => t + e.qty, 0);
        const totalValue = execs.reduce((t, e) => t + e.qty * e.price, 0);
        expect(qty).toBe(totalQty);
        expect(value).toBeCloseTo(totalValue, 6);
        expect(tracker.status('p')).toBe('filled');
      }),
      { seed: 20261125, numRuns: 300 },
    );
  });
});
