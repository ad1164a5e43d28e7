import { SeededRng } from '@quantbot/core';
import { AlpacaClient } from './alpaca-client';
import { AlpacaTradeStream, tradeStreamUrl } from './alpaca-streams';
import type { AlpacaCredentials } from './credentials';
import { startFakeAlpacaServer } from './fake';
import type { FakeAlpacaServer } from './fake';
import type { TrackedChange, TrackedFill } from './order-tracker';
import { AlpacaStreamError } from './stream-connection';
import type { StreamState } from './stream-connection';
import type { AlpacaTradeUpdate } from './stream-types';
import { until } from './wait.spec-helper';

const KEY = 'PKSTREAMKEY1';
const SECRET = 'stream-secret-never-logged-555';
const NOW = Date.parse('2024-03-05T15:00:00Z');

const sum = (fills: readonly TrackedFill[]): number => fills.reduce((total, f) => total + f.qty, 0);

describe('Alpaca streams against the fake server', () => {
  let server: FakeAlpacaServer;
  let credentials: AlpacaCredentials;
  let client: AlpacaClient;
  const closers: (() => Promise<void>)[] = [];

  const startServer = async (options: { maxFillQty?: number; barParticipation?: number } = {}): Promise<void> => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 11, ...options });
    credentials = { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' };
    client = new AlpacaClient({ credentials, now: () => NOW, rng: new SeededRng(5), timeoutMs: 2_000, backoffBaseMs: 5 });
    closers.push(() => client.close(), () => server.close());
  };

  interface Recorder {
    readonly stream: AlpacaTradeStream;
    readonly changes: TrackedChange[];
    readonly raw: AlpacaTradeUpdate[];
    readonly states: StreamState[];
    readonly errors: AlpacaStreamError[];
    readonly recoveries: { ordersChecked: number; changes: number }[];
    fills(): TrackedFill[];
  }

  const tradeStream = (overrides: { credentials?: AlpacaCredentials; heartbeatIntervalMs?: number } = {}): Recorder => {
    const changes: TrackedChange[] = [];
    const raw: AlpacaTradeUpdate[] = [];
    const states: StreamState[] = [];
    const errors: AlpacaStreamError[] = [];
    const recoveries: { ordersChecked: number; changes: number }[] = [];
    const stream = new AlpacaTradeStream({
      credentials: overrides.credentials ?? credentials,
      client,
      now: () => performance.now(),
      rng: new SeededRng(9),
      heartbeatIntervalMs: overrides.heartbeatIntervalMs ?? 100,
      heartbeatTimeoutMs: 100,
      reconnectBaseMs: 10,
      reconnectMaxMs: 50,
      connectTimeoutMs: 1_000,
      onChange: (change) => changes.push(change),
      onRawUpdate: (update) => raw.push(update),
      onState: (state) => states.push(state),
      onError: (error) => errors.push(error),
      onRecovered: (summary) => recoveries.push({ ...summary }),
    });
    closers.push(() => stream.close());
    return {
      stream,
      changes,
      raw,
      states,
      errors,
      recoveries,
      fills: () => changes.flatMap((c) => (c.kind === 'fill' ? [c.fill] : [])),
    };
  };

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('derives the stream URL from the trading API root', () => {
    expect(tradeStreamUrl('https://paper-api.alpaca.markets')).toBe('wss://paper-api.alpaca.markets/stream');
    expect(tradeStreamUrl('http://127.0.0.1:4010/')).toBe('ws://127.0.0.1:4010/stream');
  });

  it('authenticates, listens, and reports new, partial_fill and fill with prices and quantities', async () => {
    await startServer({ maxFillQty: 40 });
    const rec = tradeStream();
    await rec.stream.start();
    expect(rec.stream.state).toBe('ready');
    server.state.setPrice('AAPL', 100);
    await client.submitOrder({ symbol: 'AAPL', qty: 100, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'mkt-1' });
    server.state.setPrice('AAPL', 101);
    server.state.setPrice('AAPL', 102);
    await until(() => rec.raw.some((u) => u.event === 'fill'), 'the fill');
    expect(rec.raw.map((u) => u.event)).toEqual(['new', 'partial_fill', 'partial_fill', 'fill']);
    expect(rec.raw.map((u) => [u.qty, u.price, u.positionQty])).toEqual([
      [null, null, null],
      [40, 100, 40],
      [40, 101, 80],
      [20, 102, 100],
    ]);
    expect(rec.raw.every((u) => u.order.clientOrderId === 'mkt-1')).toBe(true);
    expect(rec.fills().map((f) => [f.qty, f.price, f.recovered])).toEqual([
      [40, 100, false],
      [40, 101, false],
      [20, 102, false],
    ]);
    const statuses = rec.changes.flatMap((c) => (c.kind === 'status' ? [c.order.status] : []));
    expect(statuses).toEqual(['new', 'partially_filled', 'filled']);
  });

  it('reports canceled, expired, rejected and replaced', async () => {
    await startServer();
    const rec = tradeStream();
    await rec.stream.start();
    server.state.setPrice('MSFT', 400);
    const a = await client.submitOrder({ symbol: 'MSFT', qty: 1, side: 'buy', type: 'limit', limit_price: 300, time_in_force: 'gtc', client_order_id: 'lim-a' });
    await client.cancelOrder(a.id);
    await client.submitOrder({ symbol: 'MSFT', qty: 1, side: 'buy', type: 'limit', limit_price: 300, time_in_force: 'day', client_order_id: 'lim-b' });
    server.state.endSession();
    server.faults.rejectNextOrders(1, 'no shares available');
    await client.submitOrder({ symbol: 'MSFT', qty: 1, side: 'sell', type: 'market', time_in_force: 'day', client_order_id: 'rej-c' });
    const d = await client.submitOrder({ symbol: 'MSFT', qty: 5, side: 'buy', type: 'limit', limit_price: 350, time_in_force: 'gtc', client_order_id: 'lim-d' });
    const replacement = await client.replaceOrder(d.id, { limit_price: 401, client_order_id: 'lim-d2' });
    expect(replacement).toMatchObject({ clientOrderId: 'lim-d2', replaces: d.id, status: 'filled', filledAvgPrice: 400 });
    await until(() => rec.raw.some((u) => u.event === 'fill'), 'the replacement fill');
    const events = rec.raw.map((u) => `${u.order.clientOrderId}:${u.event}`);
    expect(events).toEqual([
      'lim-a:new',
      'lim-a:canceled',
      'lim-b:new',
      'lim-b:expired',
      'rej-c:rejected',
      'lim-d:new',
      'lim-d2:new',
      'lim-d:replaced',
      'lim-d2:fill',
    ]);
    const replaced = rec.raw.find((u) => u.event === 'replaced');
    expect(replaced?.order.replacedBy).toBe(replacement.id);
  });

  it('refuses bad credentials once, without reconnecting', async () => {
    await startServer();
    const rec = tradeStream({ credentials: { ...credentials, secretKey: 'wrong' } });
    const failure = await rec.stream.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AlpacaStreamError);
    expect((failure as AlpacaStreamError).fatal).toBe(true);
    expect((failure as Error).message).toMatch(/unauthorized/);
    expect((failure as Error).message).not.toContain('wrong');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.state.streamConnections).toBe(1);
    expect(rec.stream.state).toBe('closed');
  });

  it('reports each fill once when updates are duplicated or arrive out of order', async () => {
    await startServer({ maxFillQty: 10 });
    const rec = tradeStream();
    await rec.stream.start();
    server.faults.duplicateNextUpdates(3);
    server.faults.reorderNextUpdates(2);
    server.state.setPrice('NVDA', 50);
    await client.submitOrder({ symbol: 'NVDA', qty: 30, side: 'sell', type: 'market', time_in_force: 'day', client_order_id: 'dup-1' });
    for (const price of [51, 52, 53]) server.state.setPrice('NVDA', price);
    await until(() => rec.raw.filter((u) => u.event === 'partial_fill').length >= 2 && sum(rec.fills()) === 30, 'all updates');
    expect(rec.raw.length).toBeGreaterThan(4); // duplicates really arrived
    expect(rec.raw[0]?.event).toBe('partial_fill'); // and 'new' came late
    expect(sum(rec.fills())).toBe(30);
    expect(rec.fills().reduce((value, f) => value + f.qty * f.price, 0)).toBeCloseTo(50 * 10 + 51 * 10 + 52 * 10, 9);
    const order = server.state.orders()[0];
    expect(order?.status).toBe('filled');
    const last = rec.changes.filter((c) => c.kind === 'status').at(-1);
    expect(last?.kind === 'status' && last.order.status).toBe('filled');
  });

  it('detects a silent connection, reconnects, and recovers the fills of the gap through REST', async () => {
    await startServer({ maxFillQty: 25 });
    const rec = tradeStream();
    await rec.stream.start();
    server.state.setPrice('AMD', 20);
    await client.submitOrder({ symbol: 'AMD', qty: 100, side: 'buy', type: 'limit', limit_price: 19, time_in_force: 'gtc', client_order_id: 'gap-1' });
    await until(() => rec.raw.length === 1, 'the new event');
    server.faults.silenceStreams(true);
    server.state.setPrice('AMD', 18.5); // 25 shares
    server.state.setPrice('AMD', 18.75); // 25 more: both lost on the silent socket
    await until(() => rec.states.includes('reconnecting'), 'the heartbeat to give up');
    server.faults.silenceStreams(false);
    await until(() => rec.recoveries.length === 1, 'the REST recovery');
    expect(rec.errors.some((e) => /heartbeat/.test(e.message))).toBe(true);
    const recovered = rec.fills().filter((f) => f.recovered);
    expect(sum(recovered)).toBe(50);
    expect(recovered[0]?.price).toBeCloseTo(18.625, 9); // the average of the two missed executions
    server.state.setPrice('AMD', 18);
    server.state.setPrice('AMD', 18.25);
    await until(() => sum(rec.fills()) === 100, 'the rest of the fills');
    expect(rec.fills().filter((f) => !f.recovered).map((f) => f.qty)).toEqual([25, 25]);
    expect(server.state.streamConnections).toBe(2);
  });

  it('survives a reconnect storm and resubscribes', async () => {
    await startServer();
    const rec = tradeStream({ heartbeatIntervalMs: 1_000 });
    await rec.stream.start();
    server.faults.refuseStreams(4);
    server.faults.dropStreams();
    await until(() => rec.stream.state === 'ready' && server.state.streamConnections === 6, 'the storm to pass');
    server.state.setPrice('F', 12);
    await client.submitOrder({ symbol: 'F', qty: 3, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'storm-1' });
    await until(() => sum(rec.fills()) === 3, 'the fill after the storm');
    expect(rec.recoveries.length).toBe(1);
  });
});
