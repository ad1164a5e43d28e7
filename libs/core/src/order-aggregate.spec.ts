import fc from 'fast-check';
import { OrderStateError } from './errors';
import { clientOrderId, epochMs, ticker } from './ids';
import type { OrderEventKind, OrderRequest, OrderStatus } from './order';
import { ORDER_TRANSITIONS, isTerminalOrderStatus, orderStatusLeadsTo } from './order';
import type { OrderEvent } from './order-aggregate';
import { Order } from './order-aggregate';

const ID = clientOrderId('o-1');

function request(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    clientOrderId: ID,
    symbol: ticker('ORCL'),
    side: 'buy',
    type: 'limit',
    qty: 100,
    timeInForce: 'gtc',
    limitPrice: 10,
    decidedAt: epochMs(1_000),
    ...overrides,
  };
}

/** Everything an order exposes, for comparing two of them. */
function snapshot(order: Order): Record<string, unknown> {
  return {
    id: order.clientOrderId,
    status: order.status,
    isTerminal: order.isTerminal,
    qty: order.qty,
    filledQty: order.filledQty,
    leavesQty: order.leavesQty,
    avgFillPrice: order.avgFillPrice,
    fillCount: order.fillCount,
    commission: order.commission,
    limitPrice: order.limitPrice,
    stopPrice: order.stopPrice,
    reason: order.reason,
    initializedAt: order.initializedAt,
    acceptedAt: order.acceptedAt,
    lastEventAt: order.lastEventAt,
    parentId: order.parentId,
    events: order.events.length,
    update: order.toUpdate(),
  };
}

const KINDS: readonly OrderEventKind[] = ['accept', 'partial_fill', 'fill', 'cancel', 'expire', 'reject', 'replace', 'update'];

/** An arbitrary event of kind `kind` for order `ID` (fields drawn from `seed`). */
function eventOf(kind: OrderEventKind, time: number, seed: number): OrderEvent {
  const base = { clientOrderId: ID, time: epochMs(time) };
  switch (kind) {
    case 'accept':
      return { ...base, kind };
    case 'fill':
    case 'partial_fill':
      return { ...base, kind, qty: 1 + (seed % 60), price: 9 + (seed % 7) / 4, commission: (seed % 3) / 10 };
    case 'update':
      return seed % 2 === 0 ? { ...base, kind, qty: 50 + (seed % 100) } : { ...base, kind, limitPrice: 8 + (seed % 5) };
    default:
      return { ...base, kind, reason: `${kind} #${seed}` };
  }
}

const steps = fc.array(fc.record({ kind: fc.constantFrom(...KINDS), seed: fc.nat(1_000), dt: fc.nat(5_000) }), { maxLength: 12 });

describe('Order', () => {
  it('starts new, from its request', () => {
    const order = Order.create(request());
    expect(order.status).toBe('new');
    expect(order.qty).toBe(100);
    expect(order.filledQty).toBe(0);
    expect(order.avgFillPrice).toBeNaN();
    expect(order.limitPrice).toBe(10);
    expect(order.initializedAt).toBe(1_000);
    expect(order.acceptedAt).toBeUndefined();
    expect(order.events).toEqual([{ kind: 'initialize', clientOrderId: ID, time: 1_000, request: request() }]);
  });

  it('folds fills into quantities, the average price and commissions; a fill that completes the order is a fill', () => {
    const order = Order.create(request());
    order.accept(1_100);
    expect(order.fillKind(40)).toBe('partial_fill');
    order.fill(40, 10, 0.5, 1_200);
    expect(order.status).toBe('partially_filled');
    expect(order.fillKind(60)).toBe('fill');
    order.fill(60, 11, 0.5, 1_300);
    expect(order).toMatchObject({ status: 'filled', filledQty: 100, leavesQty: 0, fillCount: 2, commission: 1, acceptedAt: 1_100, lastEventAt: 1_300 });
    expect(order.avgFillPrice).toBeCloseTo(10.6, 12);
    expect(order.isTerminal).toBe(true);
  });

  it('keeps why it ended and reports itself as a broker update', () => {
    const order = Order.create(request(), { parentId: clientOrderId('entry') });
    order.accept(1_100);
    order.end('cancel', 1_500, 'canceled by client');
    expect(order.reason).toBe('canceled by client');
    expect(order.toUpdate()).toEqual({
      clientOrderId: ID,
      symbol: 'ORCL',
      side: 'buy',
      status: 'canceled',
      time: 1_500,
      qty: 100,
      filledQty: 0,
      reason: 'canceled by client',
      parentId: 'entry',
      limitPrice: 10,
      stopPrice: undefined,
    });
  });

  it('rejects a transition the table does not allow with an error naming the order, the state and the event', () => {
    const order = Order.create(request());
    order.accept(1_100);
    order.fill(100, 10, 0, 1_200);
    let caught: unknown;
    try {
      order.end('cancel', 1_300, 'too late');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OrderStateError);
    expect(caught).toMatchObject({ code: 'ORDER_STATE_INVALID', orderId: 'o-1', state: 'filled', event: 'cancel' });
    expect((caught as Error).message).toBe("order o-1: event 'cancel' is not allowed in state 'filled'");
    expect(order.status).toBe('filled');
    expect(order.events).toHaveLength(3);
  });

  it("refuses another order's event and a second initialize", () => {
    const order = Order.create(request());
    expect(() => order.apply({ kind: 'accept', clientOrderId: clientOrderId('o-2'), time: epochMs(1) })).toThrow(/order o-1: event 'accept' .*for order o-2/);
    expect(() => order.apply(order.events[0] as OrderEvent)).toThrow(OrderStateError);
  });

  it('is rebuilt only from a history that starts with its initialize', () => {
    expect(() => Order.fromEvents([])).toThrow(OrderStateError);
    expect(() => Order.fromEvents([{ kind: 'accept', clientOrderId: ID, time: epochMs(1) }])).toThrow(/first event of an order must be initialize/);
  });

  describe('applyReport (a venue status report)', () => {
    it('infers the accept a venue did not report before a fill or an expiry', () => {
      const order = Order.create(request());
      order.applyReport({ status: 'expired', time: epochMs(2_000), qty: 100, reason: 'session ended' });
      expect(order.events.map((e) => e.kind)).toEqual(['initialize', 'accept', 'expire']);
      expect(order).toMatchObject({ status: 'expired', acceptedAt: 2_000, reason: 'session ended' });
    });

    it('takes an amended quantity or price as an update, and a repeated state as nothing more', () => {
      const order = Order.create(request());
      order.applyReport({ status: 'accepted', time: epochMs(1_100), qty: 100 });
      order.applyReport({ status: 'accepted', time: epochMs(1_200), qty: 80, limitPrice: 9.5 });
      expect(order.events.map((e) => e.kind)).toEqual(['initialize', 'accept', 'update']);
      expect(order).toMatchObject({ status: 'accepted', qty: 80, limitPrice: 9.5 });
    });

    it('moves to a fill state reported before its executions with a fill of 0', () => {
      const order = Order.create(request());
      order.applyReport({ status: 'partially_filled', time: epochMs(1_100), qty: 100 });
      expect(order).toMatchObject({ status: 'partially_filled', filledQty: 0, fillCount: 0 });
    });

    it('throws for a state the table cannot reach', () => {
      const order = Order.create(request());
      order.applyReport({ status: 'canceled', time: epochMs(1_100), qty: 100, reason: 'x' });
      expect(() => order.applyReport({ status: 'accepted', time: epochMs(1_200), qty: 100 })).toThrow(OrderStateError);
    });
  });

  describe('properties', () => {
    it('the transition table alone decides whether an event applies and the state it leads to', () => {
      fc.assert(
        fc.property(steps, (events) => {
          const order = Order.create(request());
          let time = 1_000;
          for (const step of events) {
            time += step.dt;
            const from: OrderStatus = order.status;
            const expected = ORDER_TRANSITIONS[from][step.kind];
            const before = order.events.length;
            let thrown: unknown;
            try {
              order.apply(eventOf(step.kind, time, step.seed));
            } catch (error) {
              thrown = error;
            }
            if (expected === undefined) {
              if (!(thrown instanceof OrderStateError)) return false;
              if (thrown.orderId !== ID || thrown.state !== from || thrown.event !== step.kind) return false;
              if (order.status !== from || order.events.length !== before) return false;
            } else {
              if (thrown !== undefined) return false;
              if (order.status !== expected || order.events.length !== before + 1) return false;
            }
          }
          return true;
        }),
      );
    });

    it('rebuilding an order from its events gives the same order', () => {
      fc.assert(
        fc.property(steps, fc.boolean(), (events, isLeg) => {
          const order = Order.create(request(), isLeg ? { parentId: clientOrderId('entry') } : {});
          let time = 1_000;
          for (const step of events) {
            time += step.dt;
            try {
              order.apply(eventOf(step.kind, time, step.seed));
            } catch {
              // An event the table refuses leaves the order as it was; the history skips it.
            }
          }
          const rebuilt = Order.fromEvents(order.events);
          expect(snapshot(rebuilt)).toEqual(snapshot(order));
          expect(rebuilt.events).toEqual(order.events);
        }),
      );
    });

    it('a status report leaves the order in the reported state, or throws and changes nothing', () => {
      const statuses: readonly OrderStatus[] = ['new', 'accepted', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected', 'replaced'];
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...statuses), { maxLength: 6 }), (reports) => {
          const order = Order.create(request());
          let time = 1_000;
          for (const status of reports) {
            time += 10;
            const before = order.events.length;
            try {
              order.applyReport({ status, time: epochMs(time), qty: 100, reason: status });
            } catch (error) {
              expect(error).toBeInstanceOf(OrderStateError);
              expect(order.events).toHaveLength(before);
              continue;
            }
            expect(order.status).toBe(status);
          }
          expect(snapshot(Order.fromEvents(order.events))).toEqual(snapshot(order));
        }),
      );
    });
  });
});

describe('orderStatusLeadsTo', () => {
  it('follows the transition table through one or more steps, and never out of a final state', () => {
    expect(orderStatusLeadsTo('new', 'accepted')).toBe(true);
    expect(orderStatusLeadsTo('new', 'filled')).toBe(true);
    expect(orderStatusLeadsTo('accepted', 'canceled')).toBe(true);
    expect(orderStatusLeadsTo('partially_filled', 'filled')).toBe(true);
    // Backwards and out of final states: no.
    expect(orderStatusLeadsTo('partially_filled', 'accepted')).toBe(false);
    expect(orderStatusLeadsTo('filled', 'canceled')).toBe(false);
    expect(orderStatusLeadsTo('canceled', 'filled')).toBe(false);
    for (const from of Object.keys(ORDER_TRANSITIONS) as OrderStatus[]) {
      for (const to of Object.keys(ORDER_TRANSITIONS) as OrderStatus[]) {
        // A direct transition to another state is always a way there; a state never leads to itself.
        if (to !== from && Object.values(ORDER_TRANSITIONS[from]).includes(to)) expect(orderStatusLeadsTo(from, to)).toBe(true);
        if (to === from) expect(orderStatusLeadsTo(from, to)).toBe(false);
        if (isTerminalOrderStatus(from)) expect(orderStatusLeadsTo(from, to)).toBe(false);
      }
    }
  });
});
