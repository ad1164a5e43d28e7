import { OrderStateError, SeededRng } from '@quantbot/core';
import { FakeHttpFailure } from './fake-http';
import { FakeOrderEngine } from './fake-order-engine';
import type { FakeOrderRequest } from './fake-order-engine';
import { money } from './fake-wire-views';
import type { FakeTradeUpdateMessage } from './fake-wire-views';

const NOW = Date.parse('2024-03-05T15:00:00Z');

describe('FakeOrderEngine: each order is a core Order aggregate', () => {
  let messages: FakeTradeUpdateMessage[];
  let clock: number;
  const engine = (maxFillQty?: number): FakeOrderEngine =>
    new FakeOrderEngine({
      rng: new SeededRng(3),
      now: () => clock,
      startingCash: 100_000,
      fillOn: 'trade',
      maxFillQty,
      barParticipation: undefined,
      onTradeUpdate: (m) => messages.push(m),
    });
  const request = (clientOrderId: string, overrides: Partial<FakeOrderRequest> = {}): FakeOrderRequest => ({
    symbol: 'AAPL',
    qty: '10',
    side: 'buy',
    type: 'market',
    tif: 'day',
    limit: null,
    stop: null,
    clientOrderId,
    ...overrides,
  });
  const eventKinds = (m: FakeTradeUpdateMessage): string => `${String(m.data['event'])}:${String((m.data['order'] as { status: string }).status)}`;

  beforeEach(() => {
    messages = [];
    clock = NOW;
  });

  it('writes the status, filled quantity and average price the aggregate holds', () => {
    const e = engine(4);
    e.setPrice('AAPL', 100);
    const order = e.submit(request('a-1'));
    clock += 1_000;
    e.setPrice('AAPL', 103);
    expect(order.aggregate.events.map((ev) => ev.kind)).toEqual(['initialize', 'accept', 'partial_fill', 'partial_fill']);
    expect(order.aggregate.status).toBe('partially_filled');
    expect(order.wire()).toMatchObject({ status: 'partially_filled', filled_qty: '8', filled_avg_price: '101.5', qty: '10', updated_at: new Date(clock).toISOString() });
    e.setPrice('AAPL', 105);
    expect(order.wire()).toMatchObject({ status: 'filled', filled_qty: '10', filled_avg_price: money((4 * 100 + 4 * 103 + 2 * 105) / 10) });
    expect(order.aggregate.isTerminal).toBe(true);
    expect(messages.map(eventKinds)).toEqual(['new:new', 'partial_fill:partially_filled', 'partial_fill:partially_filled', 'fill:filled']);
    // Serialized as it is when written (a route's answer is the live order).
    expect(JSON.parse(JSON.stringify(order))).toEqual(order.wire());
  });

  it('ends orders through the aggregate, which refuses anything after the end', () => {
    const e = engine();
    const canceled = e.submit(request('c-1', { type: 'limit', limit: '90', tif: 'gtc' }));
    const expiring = e.submit(request('x-1', { type: 'limit', limit: '90' }));
    const replaced = e.submit(request('r-1', { type: 'limit', limit: '90', tif: 'gtc' }));
    e.rejectNextOrders(1, 'halted');
    const rejected = e.submit(request('j-1'));
    e.cancel(canceled);
    const next = e.replace(replaced, { qty: '12', tif: 'gtc', limit: '91', stop: null, clientOrderId: 'r-2' });
    e.endSession();
    expect([canceled, expiring, replaced, rejected, next].map((o) => [o.aggregate.status, o.wire().status])).toEqual([
      ['canceled', 'canceled'],
      ['expired', 'expired'],
      ['replaced', 'replaced'],
      ['rejected', 'rejected'],
      ['accepted', 'new'],
    ]);
    expect(rejected.aggregate.events.map((ev) => ev.kind)).toEqual(['initialize', 'reject']);
    expect(rejected.aggregate.reason).toBe('halted');
    expect(replaced.aggregate.reason).toBe(`replaced by ${next.id}`);
    expect(replaced.wire().replaced_by).toBe(next.id);
    expect(next.wire()).toMatchObject({ replaces: replaced.id, qty: '12', limit_price: '91' });
    expect(() => e.cancel(canceled)).toThrow(FakeHttpFailure);
    expect(() => e.replace(expiring, { qty: '5', tif: 'day', limit: '90', stop: null, clientOrderId: 'x-2' })).toThrow(/not replaceable \(status expired\)/);
    expect(() => canceled.aggregate.fill(1, 90, 0, clock)).toThrow(OrderStateError);
    // Nothing fills an order that ended, even when the price reaches it.
    e.setPrice('AAPL', 80);
    expect([canceled, expiring].map((o) => o.wire().filled_qty)).toEqual(['0', '0']);
    expect(next.wire()).toMatchObject({ status: 'filled', filled_qty: '12' });
  });
});
