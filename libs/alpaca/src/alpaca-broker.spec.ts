import { SeededRng, clientOrderId, epochMs, ticker } from '@quantbot/core';
import type { BrokerEventSink, Fill, OrderRequest, OrderUpdate } from '@quantbot/core';
import { AlpacaBroker } from './alpaca-broker';
import type { AlpacaBrokerError } from './alpaca-broker';
import { AlpacaClient } from './alpaca-client';
import { AlpacaTradeStream } from './alpaca-streams';
import type { AlpacaOrder } from './alpaca-types';
import type { AlpacaCredentials } from './credentials';
import { startFakeAlpacaServer } from './fake';
import type { FakeAlpacaServer } from './fake';
import { AlpacaOrderAnomalyError, AlpacaOrderTracker } from './order-tracker';
import { until } from './wait.spec-helper';

const KEY = 'PKBROKERKEY1';
const SECRET = 'broker-secret-123';
const NOW = Date.parse('2024-03-05T15:00:00Z');

const order = (id: string, overrides: Partial<OrderRequest> = {}): OrderRequest => ({
  clientOrderId: clientOrderId(id),
  symbol: ticker('AAPL'),
  side: 'buy',
  type: 'market',
  qty: 10,
  timeInForce: 'day',
  decidedAt: epochMs(NOW),
  ...overrides,
});

describe('AlpacaBroker (the Broker port over Alpaca) against the fake server', () => {
  let server: FakeAlpacaServer;
  let credentials: AlpacaCredentials;
  const closers: (() => Promise<void>)[] = [];
  let fills: Fill[];
  let updates: OrderUpdate[];
  let errors: AlpacaBrokerError[];
  const sink: BrokerEventSink = { onFill: (f) => fills.push(f), onOrderUpdate: (u) => updates.push(u) };

  const setup = async (options: { maxFillQty?: number; maxRetries?: number; stream?: boolean } = {}) => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 21, ...(options.maxFillQty ? { maxFillQty: options.maxFillQty } : {}) });
    credentials = { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' };
    const client = new AlpacaClient({ credentials, now: () => NOW, rng: new SeededRng(2), timeoutMs: 1_000, backoffBaseMs: 5, maxRetries: options.maxRetries ?? 3 });
    closers.push(() => server.close(), () => client.close());
    let stream: AlpacaTradeStream | undefined;
    const ref: { broker?: AlpacaBroker } = {};
    if (options.stream === true) {
      stream = new AlpacaTradeStream({
        credentials,
        client,
        now: () => performance.now(),
        rng: new SeededRng(3),
        onChange: (change) => ref.broker?.onStreamChange(change),
      });
      closers.push(() => stream?.close() ?? Promise.resolve());
      await stream.start();
    }
    const broker = new AlpacaBroker({ client, sink, onError: (e) => errors.push(e), ...(stream ? { tracker: stream.tracker } : {}) });
    ref.broker = broker;
    return { broker, client };
  };

  beforeEach(() => {
    fills = [];
    updates = [];
    errors = [];
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('submits with the engine client order id and reports the fill, then the status', async () => {
    const { broker } = await setup();
    server.state.setPrice('AAPL', 187.5);
    broker.submit(order('dec-1'));
    await broker.settle();
    expect(server.state.orders().map((o) => o.client_order_id)).toEqual(['dec-1']);
    expect(fills).toEqual([expect.objectContaining({ clientOrderId: 'dec-1', symbol: 'AAPL', side: 'buy', qty: 10, price: 187.5, commission: 0 })]);
    expect(updates.map((u) => u.status)).toEqual(['filled']);
  });

  it('counts each partial fill once when REST answers and the stream both report it', async () => {
    const { broker } = await setup({ maxFillQty: 4, stream: true });
    server.state.setPrice('AAPL', 100);
    broker.submit(order('dec-2'));
    await broker.settle();
    server.state.setPrice('AAPL', 101);
    server.state.setPrice('AAPL', 102);
    await until(() => updates.some((u) => u.status === 'filled'), 'the final fill');
    expect(fills.map((f) => [f.qty, f.price])).toEqual([
      [4, 100],
      [4, 101],
      [2, 102],
    ]);
    const statuses = updates.map((u) => u.status);
    expect(statuses[statuses.length - 1]).toBe('filled');
    expect(new Set(statuses).size).toBe(statuses.length); // never reported twice
  });

  it('cancels and replaces by client order id', async () => {
    const { broker } = await setup({ stream: true });
    server.state.setPrice('AAPL', 200);
    broker.submit(order('lim-1', { type: 'limit', limitPrice: 150, timeInForce: 'gtc' }));
    broker.submit(order('lim-2', { type: 'limit', limitPrice: 150, timeInForce: 'gtc' }));
    await broker.settle();
    broker.cancel(clientOrderId('lim-1'));
    broker.replace(clientOrderId('lim-2'), { newClientOrderId: clientOrderId('lim-2b'), limitPrice: 201 });
    await broker.settle();
    await until(() => updates.some((u) => u.clientOrderId === 'lim-2b' && u.status === 'filled'), 'the replacement fill');
    expect(updates.find((u) => u.clientOrderId === 'lim-1' && u.status === 'canceled')).toBeDefined();
    expect(updates.find((u) => u.clientOrderId === 'lim-2' && u.status === 'replaced')?.reason).toMatch(/replaced by/);
    expect(fills).toEqual([expect.objectContaining({ clientOrderId: 'lim-2b', qty: 10, price: 200 })]);
  });

  it('adopts the existing order when a replayed decision is refused as a duplicate', async () => {
    const { broker } = await setup();
    server.state.setPrice('AAPL', 50);
    broker.submit(order('dec-3'));
    await broker.settle();
    fills = [];
    updates = [];
    const restarted = new AlpacaClient({ credentials, now: () => NOW, rng: new SeededRng(4) });
    closers.push(() => restarted.close());
    const again = new AlpacaBroker({ client: restarted, sink });
    again.submit(order('dec-3')); // a restarted trader replays the same decision
    await again.settle();
    expect(server.state.orders()).toHaveLength(1);
    expect(updates.map((u) => [u.clientOrderId, u.status])).toEqual([['dec-3', 'filled']]);
  });

  it('rejects what Alpaca refuses, and what the adapter cannot express, with a reason', async () => {
    const { broker } = await setup();
    server.state.setPrice('AAPL', 50);
    server.faults.rejectNextOrders(1, 'halted');
    broker.submit(order('rej-1'));
    broker.submit(order('rej-2', { type: 'bracket', takeProfitPrice: 60, stopLossPrice: 45 }));
    broker.submit(order('rej-3', { type: 'limit' }));
    await broker.settle();
    expect(updates.map((u) => [u.clientOrderId, u.status])).toEqual([
      ['rej-2', 'rejected'],
      ['rej-3', 'rejected'],
      ['rej-1', 'rejected'],
    ]);
    expect(updates.find((u) => u.clientOrderId === 'rej-2')?.reason).toMatch(/bracket/);
    expect(fills).toEqual([]);
  });

  it('keeps an order whose answer was lost pending, and resolves it by looking it up', async () => {
    const { broker } = await setup({ maxRetries: 0 });
    server.state.setPrice('AAPL', 75);
    server.faults.dropResponseAfterProcessing(1);
    broker.submit(order('lost-1'));
    await broker.settle();
    expect(broker.pending()).toEqual(['lost-1']);
    expect(errors[0]?.message).toMatch(/lost-1: outcome unknown/);
    expect(fills).toEqual([]);
    await broker.resolvePending();
    expect(broker.pending()).toEqual([]);
    expect(fills).toEqual([expect.objectContaining({ clientOrderId: 'lost-1', qty: 10, price: 75 })]);
    expect(server.state.orders()).toHaveLength(1);
  });

  it('reports the aggregate state once, and passes a snapshot Alpaca contradicts itself with to onAnomaly without failing', () => {
    const unreachable = async (): Promise<never> => {
      throw new Error('no client in this test');
    };
    const tracker = new AlpacaOrderTracker();
    const anomalies: AlpacaOrderAnomalyError[] = [];
    const broker = new AlpacaBroker({
      client: { submitOrder: unreachable, cancelOrder: unreachable, replaceOrder: unreachable, getOrderByClientId: unreachable },
      sink,
      tracker,
      onAnomaly: (error) => anomalies.push(error),
    });
    const snap = (status: AlpacaOrder['status'], filledQty: number, at: number): AlpacaOrder => ({
      id: 'alp-1', clientOrderId: 'dec-9', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', type: 'market', timeInForce: 'day',
      status, qty: 10, notional: null, filledQty, filledAvgPrice: filledQty > 0 ? 100 : null, limitPrice: null, stopPrice: null,
      extendedHours: false, createdAt: NOW, updatedAt: at, submittedAt: NOW, filledAt: null, canceledAt: null, orderClass: 'simple',
      replacedBy: null, replaces: null, legs: [],
    });
    const feed = (order: AlpacaOrder): void => {
      for (const change of tracker.observe(order, { time: order.updatedAt ?? NOW, event: null, recovered: false })) broker.onStreamChange(change);
    };
    feed(snap('new', 0, NOW));
    feed(snap('accepted', 0, NOW + 1)); // another word for the same core state: nothing to report
    feed(snap('filled', 10, NOW + 2));
    feed(snap('canceled', 10, NOW + 3)); // a second end: refused by the aggregate
    feed(snap('filled', 10, NOW + 2)); // a duplicate
    expect(updates.map((u) => u.status)).toEqual(['accepted', 'filled']);
    expect(updates[1]).toMatchObject({ clientOrderId: 'dec-9', symbol: 'AAPL', qty: 10, filledQty: 10, time: NOW + 2 });
    expect(fills.map((f) => [f.qty, f.price])).toEqual([[10, 100]]);
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toBeInstanceOf(AlpacaOrderAnomalyError);
    expect(anomalies[0]).toMatchObject({ clientOrderId: 'dec-9', state: 'filled', reportedStatus: 'canceled' });
    expect(tracker.order('alp-1')?.status).toBe('filled');
  });
});
