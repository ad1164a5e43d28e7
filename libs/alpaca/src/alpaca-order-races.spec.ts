import { SeededRng, clientOrderId, epochMs, ticker } from '@quantbot/core';
import type { BrokerEventSink, Fill, OrderRequest, OrderUpdate } from '@quantbot/core';
import { AlpacaBroker } from './alpaca-broker';
import type { AlpacaBrokerError } from './alpaca-broker';
import { AlpacaClient } from './alpaca-client';
import { AlpacaTradeStream } from './alpaca-streams';
import { startFakeAlpacaServer } from './fake';
import type { FakeAlpacaServer, FakeOrderLatency } from './fake';
import type { AlpacaOrderAnomalyError, TrackedChange } from './order-tracker';
import { until } from './wait.spec-helper';

const KEY = 'PKRACES00001';
const SECRET = 'races-secret-31415';
const T0 = Date.parse('2024-03-05T15:00:00Z');

const limitBuy = (id: string, limitPrice: number, qty = 10): OrderRequest => ({
  clientOrderId: clientOrderId(id),
  symbol: ticker('AAPL'),
  side: 'buy',
  type: 'limit',
  limitPrice,
  qty,
  timeInForce: 'gtc',
  decidedAt: epochMs(T0),
});

/**
 * The broker and its tracker against the fake with Alpaca's intermediate states on: what a
 * trader sees when a cancel or a replace loses the race to a fill.
 */
describe('AlpacaBroker through pending_new, pending_cancel and pending_replace (against the fake)', () => {
  let server: FakeAlpacaServer;
  let now: number;
  let fills: Fill[];
  let updates: OrderUpdate[];
  let errors: AlpacaBrokerError[];
  let anomalies: AlpacaOrderAnomalyError[];
  let wire: string[];
  const closers: (() => Promise<void>)[] = [];
  const sink: BrokerEventSink = { onFill: (f) => fills.push(f), onOrderUpdate: (u) => updates.push(u) };

  const setup = async (latency: Partial<FakeOrderLatency>, maxFillQty?: number): Promise<{ broker: AlpacaBroker; client: AlpacaClient }> => {
    now = T0;
    server = await startFakeAlpacaServer({
      credentials: { keyId: KEY, secretKey: SECRET },
      now: () => now,
      seed: 17,
      startingCash: 10_000,
      orderLatency: latency,
      ...(maxFillQty !== undefined ? { maxFillQty } : {}),
    });
    const credentials = { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' } as const;
    const client = new AlpacaClient({ credentials, now: () => now, rng: new SeededRng(2), timeoutMs: 1_000, backoffBaseMs: 5, maxRetries: 1 });
    closers.push(() => server.close(), () => client.close());
    const ref: { broker?: AlpacaBroker } = {};
    const stream = new AlpacaTradeStream({
      credentials,
      client,
      now: () => performance.now(),
      rng: new SeededRng(3),
      onChange: (change: TrackedChange) => {
        if (change.kind === 'status') wire.push(`${change.order.clientOrderId}:${change.order.status}`);
        ref.broker?.onStreamChange(change);
      },
    });
    closers.push(() => stream.close());
    await stream.start();
    const broker = new AlpacaBroker({ client, sink, tracker: stream.tracker, onError: (e) => errors.push(e), onAnomaly: (e) => anomalies.push(e) });
    ref.broker = broker;
    return { broker, client };
  };

  const statuses = (id: string): string[] => updates.filter((u) => u.clientOrderId === id).map((u) => u.status);
  const streamed = (id: string): string[] => wire.filter((w) => w.startsWith(`${id}:`)).map((w) => w.slice(id.length + 1));

  beforeEach(() => {
    fills = [];
    updates = [];
    errors = [];
    anomalies = [];
    wire = [];
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('follows an order from pending_new to new to filled, reporting it accepted once and filled once', async () => {
    const { broker } = await setup({ acceptMs: 200 });
    server.state.setPrice('AAPL', 100);
    broker.submit(limitBuy('pn-1', 101));
    await broker.settle();
    expect(statuses('pn-1')).toEqual(['accepted']);
    now = T0 + 200;
    server.state.advance();
    await until(() => statuses('pn-1').includes('filled'), 'the fill');
    await broker.syncOpenOrders();
    expect(streamed('pn-1')).toEqual(['pending_new', 'new', 'filled']);
    expect(statuses('pn-1')).toEqual(['accepted', 'filled']);
    expect(fills).toEqual([expect.objectContaining({ clientOrderId: 'pn-1', qty: 10, price: 100 })]);
    expect([errors, anomalies]).toEqual([[], []]);
  });

  it('books a fill that beats a pending cancel once, with the right position and cash, and no error', async () => {
    const { broker, client } = await setup({ cancelMs: 500 });
    server.state.setPrice('AAPL', 95);
    broker.submit(limitBuy('pc-1', 90));
    await broker.settle();
    broker.cancel(clientOrderId('pc-1'));
    await broker.settle();
    await until(() => streamed('pc-1').includes('pending_cancel'), 'the pending cancel');
    now = T0 + 100;
    server.state.setPrice('AAPL', 89);
    now = T0 + 1_000;
    server.state.advance();
    await until(() => statuses('pc-1').includes('filled'), 'the fill');
    await broker.syncOpenOrders();
    // Cancel again after the fill: Alpaca's 422 is swallowed, nothing is reported.
    broker.cancel(clientOrderId('pc-1'));
    await broker.settle();
    expect(streamed('pc-1')).toEqual(['new', 'pending_cancel', 'filled']);
    expect(statuses('pc-1')).toEqual(['accepted', 'filled']);
    expect(fills).toEqual([expect.objectContaining({ clientOrderId: 'pc-1', qty: 10, price: 89 })]);
    expect((await client.listPositions()).map((p) => [p.symbol, p.qty, p.avgEntryPrice])).toEqual([['AAPL', 10, 89]]);
    expect((await client.getAccount()).cash).toBe(10_000 - 890);
    expect([errors, anomalies, broker.pending()]).toEqual([[], [], []]);
  });

  it('reports a replace that loses to a fill as the old order filled and the replacement rejected, once each', async () => {
    const { broker } = await setup({ replaceMs: 300 });
    server.state.setPrice('AAPL', 95);
    broker.submit(limitBuy('pr-1', 90));
    await broker.settle();
    broker.replace(clientOrderId('pr-1'), { newClientOrderId: clientOrderId('pr-1b'), limitPrice: 91 });
    await broker.settle();
    await until(() => streamed('pr-1').includes('pending_replace'), 'the pending replace');
    server.state.setPrice('AAPL', 90);
    now = T0 + 300;
    server.state.advance();
    await until(() => statuses('pr-1b').includes('rejected'), 'the failed replace');
    await broker.syncOpenOrders();
    expect(streamed('pr-1')).toEqual(['new', 'pending_replace', 'filled']);
    expect(statuses('pr-1')).toEqual(['accepted', 'filled']);
    expect(statuses('pr-1b')).toEqual(['accepted', 'rejected']);
    expect(fills.map((f) => [f.clientOrderId, f.qty, f.price])).toEqual([['pr-1', 10, 90]]);
    expect(server.state.cash).toBe(10_000 - 900);
    expect([errors, anomalies]).toEqual([[], []]);
  });

  it('carries a partial fill during pending_replace into a replacement for the rest', async () => {
    const { broker } = await setup({ replaceMs: 300 }, 4);
    server.state.setPrice('AAPL', 95);
    broker.submit(limitBuy('pp-1', 90));
    await broker.settle();
    broker.replace(clientOrderId('pp-1'), { newClientOrderId: clientOrderId('pp-1b'), limitPrice: 91 });
    await broker.settle();
    server.state.setPrice('AAPL', 90);
    now = T0 + 300;
    server.state.setPrice('AAPL', 90.5);
    server.state.setPrice('AAPL', 90.5);
    await until(() => statuses('pp-1b').includes('filled'), 'the replacement filled');
    await broker.syncOpenOrders();
    expect(statuses('pp-1')).toEqual(['accepted', 'partially_filled', 'replaced']);
    expect(statuses('pp-1b')).toEqual(['accepted', 'partially_filled', 'filled']);
    expect(fills.map((f) => [f.clientOrderId, f.qty, f.price])).toEqual([
      ['pp-1', 4, 90],
      ['pp-1b', 4, 90],
      ['pp-1b', 2, 90.5],
    ]);
    expect([errors, anomalies]).toEqual([[], []]);
  });
});
