import fc from 'fast-check';
import { OrderStateError } from '@quantbot/core';
import type { AlpacaOrder, AlpacaOrderStatus } from './alpaca-types';
import { AlpacaOrderAnomalyError, AlpacaOrderTracker } from './order-tracker';
import type { TrackedChange } from './order-tracker';

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

  it('holds each order as an aggregate: its fills, its state and the updates reported from it', () => {
    const tracker = new AlpacaOrderTracker();
    const [created, first, second] = lifecycle('o3', [
      { qty: 40, price: 10 },
      { qty: 60, price: 12 },
    ]) as [AlpacaOrder, AlpacaOrder, AlpacaOrder];
    const updates = (changes: TrackedChange[]) => changes.flatMap((c) => (c.kind === 'status' && c.update !== null ? [c.update.status] : []));
    expect(updates(tracker.observe(created, { time: T0, event: 'new', recovered: false }))).toEqual(['accepted']);
    expect(updates(tracker.observe(first, { time: T0 + 1, event: 'partial_fill', recovered: false }))).toEqual(['partially_filled']);
    const last = tracker.observe(second, { time: T0 + 2, event: 'fill', recovered: false });
    const status = last[1];
    expect(status?.kind === 'status' && status.update).toMatchObject({ clientOrderId: 'c-o3', status: 'filled', qty: 100, filledQty: 100, time: T0 + 2 });
    const order = tracker.order('o3');
    expect(order?.status).toBe('filled');
    expect(order?.isTerminal).toBe(true);
    expect(order?.avgFillPrice).toBeCloseTo(11.2, 9);
    expect(order?.events.map((e) => e.kind)).toEqual(['initialize', 'accept', 'partial_fill', 'fill']);
    expect(tracker.order('unknown')).toBeUndefined();
  });

  it("keeps Alpaca's own statuses as data: a status change whose core update is null", () => {
    const tracker = new AlpacaOrderTracker();
    tracker.observe(snapshot('o4', 'new', 0, null, T0), { time: T0, event: 'new', recovered: false });
    const pending = tracker.observe(snapshot('o4', 'pending_cancel', 0, null, T0 + 1), { time: T0 + 1, event: 'pending_cancel', recovered: false });
    expect(pending).toEqual([expect.objectContaining({ kind: 'status', previous: 'new', update: null })]);
    expect(tracker.status('o4')).toBe('pending_cancel');
    expect(tracker.order('o4')?.status).toBe('accepted');
    expect(tracker.openOrderIds()).toEqual(['o4']);
    const canceled = tracker.observe(snapshot('o4', 'canceled', 0, null, T0 + 2), { time: T0 + 2, event: 'canceled', recovered: false });
    expect(canceled[0]?.kind === 'status' && canceled[0].update).toMatchObject({ status: 'canceled', reason: 'canceled at Alpaca' });
    expect(tracker.openOrderIds()).toEqual([]);
  });

  it('treats a late earlier state as stale, even with the same updated_at', () => {
    const tracker = new AlpacaOrderTracker();
    tracker.observe(snapshot('o5', 'rejected', 0, null, T0), { time: T0, event: 'rejected', recovered: false });
    expect(tracker.observe(snapshot('o5', 'new', 0, null, T0), { time: T0, event: 'new', recovered: false })).toEqual([]);
    tracker.observe(snapshot('o6', 'partially_filled', 30, 10, T0), { time: T0, event: 'partial_fill', recovered: false });
    expect(tracker.observe(snapshot('o6', 'new', 30, 10, T0), { time: T0, event: 'new', recovered: false })).toEqual([]);
    expect(tracker.status('o6')).toBe('partially_filled');
  });

  it('returns a snapshot the aggregate refuses as a typed anomaly, changes nothing, and keeps tracking', () => {
    const tracker = new AlpacaOrderTracker();
    tracker.observe(snapshot('o7', 'partially_filled', 30, 10, T0), { time: T0, event: 'partial_fill', recovered: false });
    // Rejected after a partial fill: no transition of the table leads there, nor from there back.
    const rejected = tracker.observe(snapshot('o7', 'rejected', 30, 10, T0 + 1), { time: T0 + 1, event: 'rejected', recovered: false });
    expect(rejected).toHaveLength(1);
    const change = rejected[0];
    if (change?.kind !== 'anomaly') throw new Error('expected an anomaly');
    expect(change.error).toBeInstanceOf(AlpacaOrderAnomalyError);
    expect(change.error).toMatchObject({ code: 'ALPACA_ORDER_ANOMALY', orderId: 'o7', clientOrderId: 'c-o7', state: 'partially_filled', reportedStatus: 'rejected', filledQty: 30 });
    expect(change.error.cause).toBeInstanceOf(OrderStateError);
    expect(change.error.message).toMatch(/c-o7.*rejected.*partially_filled/);
    expect(tracker.status('o7')).toBe('partially_filled');
    expect(tracker.order('o7')?.status).toBe('partially_filled');
    // The order goes on: its real end is reported as usual.
    const filled = tracker.observe(snapshot('o7', 'filled', 100, 11.4, T0 + 2), { time: T0 + 2, event: 'fill', recovered: false });
    expect(filled.map((c) => c.kind)).toEqual(['fill', 'status']);
    expect(filled[0]?.kind === 'fill' && filled[0].fill.qty).toBe(70);

    // A second, different end, and a fill after the end: refused, nothing reported twice.
    const ended = tracker.observe(snapshot('o7', 'canceled', 100, 11.4, T0 + 3), { time: T0 + 3, event: 'canceled', recovered: false });
    expect(ended.map((c) => c.kind)).toEqual(['anomaly']);
    tracker.observe(snapshot('o8', 'canceled', 0, null, T0), { time: T0, event: 'canceled', recovered: false });
    const lateFill = tracker.observe(snapshot('o8', 'canceled', 10, 5, T0 + 1), { time: T0 + 1, event: null, recovered: true });
    expect(lateFill.map((c) => c.kind)).toEqual(['anomaly']);
    expect(lateFill[0]?.kind === 'anomaly' && lateFill[0].error).toMatchObject({ state: 'canceled', filledQty: 0, reportedFilledQty: 10 });
    expect(tracker.filledQty('o8')).toBe(0);
    expect(tracker.order('o7')?.events.map((e) => e.kind)).toEqual(['initialize', 'accept', 'partial_fill', 'fill']);
  });
});
