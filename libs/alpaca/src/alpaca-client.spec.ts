import { SeededRng } from '@quantbot/core';
import { AlpacaApiError, AlpacaClient, AlpacaLiveOrdersRefusedError, AlpacaNetworkError } from './alpaca-client';
import type { AlpacaClientOptions } from './alpaca-client';
import { startFakeAlpacaServer } from './fake';
import type { FakeAlpacaServer } from './fake';

const KEY = 'PKFAKEKEY123';
const SECRET = 'fake-secret-do-not-leak-987';
const NOW = Date.parse('2024-03-05T15:00:00Z'); // a Tuesday, market open

describe('AlpacaClient against the fake Alpaca server', () => {
  let server: FakeAlpacaServer;
  let client: AlpacaClient;
  const clients: AlpacaClient[] = [];

  const makeClient = (overrides: Partial<AlpacaClientOptions> = {}): AlpacaClient => {
    const c = new AlpacaClient({
      credentials: { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' },
      now: () => NOW,
      rng: new SeededRng(7),
      timeoutMs: 2_000,
      backoffBaseMs: 5,
      ...overrides,
    });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 3 });
    client = makeClient();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('gets the account with parsed numbers', async () => {
    const account = await client.getAccount();
    expect(account).toMatchObject({ cash: 100_000, equity: 100_000, buyingPower: 100_000, status: 'ACTIVE', currency: 'USD' });
  });

  it('gets the clock', async () => {
    const clock = await client.getClock();
    expect(clock.timestamp).toBe(NOW);
    expect(clock.isOpen).toBe(true);
    expect(clock.nextClose).toBe(Date.parse('2024-03-05T21:00:00Z'));
    expect(clock.nextOpen).toBe(Date.parse('2024-03-06T14:30:00Z'));
  });

  it('submits a market order that fills at the set price, and updates positions and cash', async () => {
    server.state.setPrice('AAPL', 150.25);
    const order = await client.submitOrder({ symbol: 'AAPL', qty: 10, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'c-1' });
    expect(order).toMatchObject({ clientOrderId: 'c-1', status: 'filled', qty: 10, filledQty: 10, filledAvgPrice: 150.25 });
    const positions = await client.listPositions();
    expect(positions).toEqual([
      expect.objectContaining({ symbol: 'AAPL', qty: 10, side: 'long', avgEntryPrice: 150.25, marketValue: 1502.5 }),
    ]);
    server.state.setPrice('AAPL', 160);
    const [moved] = await client.listPositions();
    expect(moved?.unrealizedPl).toBeCloseTo(97.5, 6);
    const account = await client.getAccount();
    expect(account.cash).toBeCloseTo(100_000 - 1502.5, 6);
    expect(account.equity).toBeCloseTo(100_000 - 1502.5 + 1600, 6);
  });

  it('leaves a market order new without a price, and fills it when a price arrives', async () => {
    const order = await client.submitOrder({ symbol: 'MSFT', qty: '2', side: 'buy', type: 'market', time_in_force: 'day' });
    expect(order.status).toBe('new');
    expect(order.clientOrderId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    server.state.setPrice('MSFT', 400);
    expect(await client.getOrder(order.id)).toMatchObject({ status: 'filled', filledAvgPrice: 400 });
  });

  it('fills a limit order when the price crosses it', async () => {
    server.state.setPrice('SPY', 500);
    const order = await client.submitOrder({ symbol: 'SPY', qty: 1, side: 'buy', type: 'limit', time_in_force: 'gtc', limit_price: 490 });
    expect(order).toMatchObject({ status: 'new', limitPrice: 490 });
    server.state.setPrice('SPY', 495);
    expect((await client.getOrder(order.id)).status).toBe('new');
    server.state.setPrice('SPY', 489.5);
    expect(await client.getOrder(order.id)).toMatchObject({ status: 'filled', filledAvgPrice: 489.5 });
  });

  it('looks an order up by id and by client order id', async () => {
    const order = await client.submitOrder({ symbol: 'IBM', qty: 3, side: 'sell', type: 'limit', time_in_force: 'day', limit_price: '200.5', client_order_id: 'mine-42' });
    expect((await client.getOrder(order.id)).clientOrderId).toBe('mine-42');
    expect((await client.getOrderByClientId('mine-42')).id).toBe(order.id);
    expect(server.state.requests).toContain('GET /v2/orders:by_client_order_id?client_order_id=mine-42');
  });

  it('lists orders with status, symbols, direction and limit', async () => {
    server.state.setPrice('A', 10);
    await client.submitOrder({ symbol: 'A', qty: 1, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'a1' });
    await client.submitOrder({ symbol: 'B', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 5, client_order_id: 'b1' });
    await client.submitOrder({ symbol: 'C', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 5, client_order_id: 'c1' });
    expect((await client.listOrders()).map((o) => o.clientOrderId)).toEqual(['c1', 'b1']);
    expect((await client.listOrders({ status: 'closed' })).map((o) => o.clientOrderId)).toEqual(['a1']);
    expect((await client.listOrders({ status: 'all', direction: 'asc' })).map((o) => o.clientOrderId)).toEqual(['a1', 'b1', 'c1']);
    expect((await client.listOrders({ status: 'all', symbols: ['A', 'C'], limit: 1, direction: 'asc' })).map((o) => o.clientOrderId)).toEqual(['a1']);
    expect(await client.listOrders({ status: 'all', after: NOW })).toEqual([]);
    expect(await client.listOrders({ status: 'all', until: NOW + 1, after: '2024-01-01T00:00:00Z' })).toHaveLength(3);
  });

  it('cancels one order, then all open orders', async () => {
    const a = await client.submitOrder({ symbol: 'X', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 1 });
    const b = await client.submitOrder({ symbol: 'Y', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 1 });
    const c = await client.submitOrder({ symbol: 'Z', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 1 });
    await client.cancelOrder(a.id);
    expect(await client.getOrder(a.id)).toMatchObject({ status: 'canceled' });
    const results = await client.cancelAllOrders();
    expect(results.map((r) => r.id).sort()).toEqual([b.id, c.id].sort());
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await client.listOrders()).toEqual([]);
  });

  it('closes a position with an opposite market order', async () => {
    server.state.setPrice('TSLA', 200);
    await client.submitOrder({ symbol: 'TSLA', qty: 4, side: 'buy', type: 'market', time_in_force: 'day' });
    server.state.setPrice('TSLA', 210);
    const close = await client.closePosition('TSLA');
    expect(close).toMatchObject({ side: 'sell', qty: 4, status: 'filled', filledAvgPrice: 210 });
    expect(await client.listPositions()).toEqual([]);
    expect((await client.getAccount()).cash).toBeCloseTo(100_040, 6);
  });

  it('closes every position at once (HTTP 207, one result per symbol)', async () => {
    server.state.setPrice('TSLA', 200);
    server.state.setPrice('F', 12);
    await client.submitOrder({ symbol: 'TSLA', qty: 4, side: 'buy', type: 'market', time_in_force: 'day' });
    await client.submitOrder({ symbol: 'F', qty: 10, side: 'sell', type: 'market', time_in_force: 'day' });
    const results = await client.closeAllPositions();
    expect(results.map((r) => [r.symbol, r.status, r.order?.side, r.order?.qty, r.order?.status])).toEqual([
      ['F', 200, 'buy', 10, 'filled'],
      ['TSLA', 200, 'sell', 4, 'filled'],
    ]);
    expect(await client.listPositions()).toEqual([]);
    expect(await client.closeAllPositions()).toEqual([]);
  });

  it('reads the market calendar, with session times as instants across a DST change', async () => {
    const days = await client.getCalendar({ start: '2024-03-08', end: '2024-03-12' });
    expect(days.map((d) => d.date)).toEqual(['2024-03-08', '2024-03-11', '2024-03-12']);
    expect(days[0]).toMatchObject({ open: Date.parse('2024-03-08T14:30:00Z'), close: Date.parse('2024-03-08T21:00:00Z'), settlementDate: '2024-03-11' });
    // New York moved to daylight time on 2024-03-10: 09:30 is 13:30 UTC from then on.
    expect(days[1]).toMatchObject({ open: Date.parse('2024-03-11T13:30:00Z'), close: Date.parse('2024-03-11T20:00:00Z') });
    await expect(client.getCalendar({ start: 'March 8' })).rejects.toMatchObject({ status: 422 });
  });

  describe('errors', () => {
    it('turns a 404 into AlpacaApiError with Alpaca code and message', async () => {
      const error = await client.getOrder('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AlpacaApiError);
      expect(error).toMatchObject({ status: 404, alpacaCode: 40410000, alpacaMessage: 'order not found', code: 'ALPACA_API' });
      await expect(client.closePosition('NOPE')).rejects.toMatchObject({ status: 404, alpacaMessage: 'position does not exist' });
    });

    it('reports validation errors as 422 / 40010001', async () => {
      await expect(client.submitOrder({ symbol: 'AAPL', qty: -1, side: 'buy', type: 'market', time_in_force: 'day' })).rejects.toMatchObject({
        status: 422,
        alpacaCode: 40010001,
      });
      await expect(client.submitOrder({ symbol: 'AAPL', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day' })).rejects.toThrow(/limit_price is required/);
    });

    it('rejects a duplicate client_order_id with 422 and creates nothing', async () => {
      await client.submitOrder({ symbol: 'AAPL', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 1, client_order_id: 'dup' });
      await expect(
        client.submitOrder({ symbol: 'AAPL', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 1, client_order_id: 'dup' }),
      ).rejects.toMatchObject({ status: 422, alpacaMessage: 'client_order_id must be unique' });
      expect(server.state.orders()).toHaveLength(1);
    });

    it('refuses to cancel a filled order (422)', async () => {
      server.state.setPrice('AAPL', 1);
      const order = await client.submitOrder({ symbol: 'AAPL', qty: 1, side: 'buy', type: 'market', time_in_force: 'day' });
      await expect(client.cancelOrder(order.id)).rejects.toMatchObject({ status: 422, alpacaCode: 42210000 });
    });

    it('answers 401 on bad keys, and no message ever contains the secret or key', async () => {
      const wrong = makeClient({ credentials: { keyId: KEY, secretKey: 'wrong-secret-xyz', baseUrl: server.url, mode: 'custom' } });
      const error = await wrong.getAccount().catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 401, alpacaCode: 40110000, alpacaMessage: 'request is not authorized' });
      const messages = [String(error), (error as Error).stack ?? ''];
      server.faults.failNext(1, 500);
      const noRetry = makeClient({ maxRetries: 0 });
      messages.push(String(await noRetry.getAccount().catch((e: unknown) => e)));
      server.faults.dropResponseAfterProcessing(1);
      messages.push(String(await noRetry.getClock().catch((e: unknown) => e)));
      for (const m of messages) {
        expect(m).not.toContain('wrong-secret-xyz');
        expect(m).not.toContain(SECRET);
        expect(m).not.toContain(KEY);
      }
    });

    it('gives up after maxRetries on persistent 5xx', async () => {
      server.faults.failNext(3, 503);
      const c = makeClient({ maxRetries: 2 });
      await expect(c.getAccount()).rejects.toMatchObject({ status: 503 });
      expect(server.state.requests.filter((r) => r === 'GET /v2/account')).toHaveLength(3);
    });
  });

  describe('rate limits and retries', () => {
    it('retries a GET after 429, honouring Retry-After', async () => {
      server.faults.rateLimitNext(2, 0.15);
      const started = Date.now();
      const account = await client.getAccount();
      const elapsed = Date.now() - started;
      expect(account.status).toBe('ACTIVE');
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(server.state.requests.filter((r) => r === 'GET /v2/account')).toHaveLength(3);
    });

    it('computes waits from Retry-After with seeded jitter', async () => {
      const waits: number[] = [];
      const c = makeClient({ sleep: (ms) => { waits.push(ms); return Promise.resolve(); } });
      server.faults.rateLimitNext(1, 2);
      await c.getClock();
      expect(waits).toHaveLength(1);
      expect(waits[0]).toBeGreaterThanOrEqual(2000);
      expect(waits[0]).toBeLessThan(2100);
    });

    it('retries DELETE after 429 but stops at maxRetries', async () => {
      const c = makeClient({ maxRetries: 1, sleep: () => Promise.resolve() });
      server.faults.rateLimitNext(2, 0);
      await expect(c.cancelAllOrders()).rejects.toMatchObject({ status: 429, alpacaCode: 42910000 });
    });

    it('submitOrder after 429 checks by client_order_id, then submits once', async () => {
      server.faults.rateLimitNext(1, 0.05);
      server.state.setPrice('AAPL', 100);
      const order = await client.submitOrder({ symbol: 'AAPL', qty: 1, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'rl-1' });
      expect(order.status).toBe('filled');
      expect(server.state.requests).toEqual([
        'POST /v2/orders',
        'GET /v2/orders:by_client_order_id?client_order_id=rl-1',
        'POST /v2/orders',
      ]);
      expect(server.state.orders()).toHaveLength(1);
    });
  });

  describe('idempotent submit', () => {
    it('after a timeout, finds the order the server created instead of submitting again', async () => {
      const c = makeClient({ timeoutMs: 150 });
      server.state.setPrice('AAPL', 100);
      server.faults.delayNext(1, 1_500);
      const started = Date.now();
      const order = await c.submitOrder({ symbol: 'AAPL', qty: 5, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'idem-1' });
      expect(order).toMatchObject({ clientOrderId: 'idem-1', status: 'filled', qty: 5 });
      expect(Date.now() - started).toBeLessThan(1_500); // answered by the lookup, not the late reply
      expect(server.state.orders()).toHaveLength(1);
      expect(server.state.requests.filter((r) => r === 'POST /v2/orders')).toHaveLength(1);
      expect((await c.listPositions())[0]?.qty).toBe(5);
    });

    it('after a dropped connection, finds the order instead of submitting again', async () => {
      server.faults.dropResponseAfterProcessing(1);
      const order = await client.submitOrder({ symbol: 'AAPL', qty: 2, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 1, client_order_id: 'idem-2' });
      expect(order.clientOrderId).toBe('idem-2');
      expect(server.state.orders()).toHaveLength(1);
      expect(server.state.requests.filter((r) => r === 'POST /v2/orders')).toHaveLength(1);
    });

    it('resubmits only when the lookup says 404', async () => {
      // The first submit is refused before processing (503), so the lookup finds nothing.
      server.faults.failNext(1, 503);
      const order = await client.submitOrder({ symbol: 'AAPL', qty: 1, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: 1, client_order_id: 'idem-3' });
      expect(order.clientOrderId).toBe('idem-3');
      expect(server.state.requests).toEqual([
        'POST /v2/orders',
        'GET /v2/orders:by_client_order_id?client_order_id=idem-3',
        'POST /v2/orders',
      ]);
      expect(server.state.orders()).toHaveLength(1);
    });

    it('surfaces a network error when retries are exhausted', async () => {
      const c = makeClient({ maxRetries: 0, timeoutMs: 100 });
      server.faults.delayNext(1, 400);
      const error = await c.submitOrder({ symbol: 'AAPL', qty: 1, side: 'buy', type: 'market', time_in_force: 'day' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AlpacaNetworkError);
      expect(error).toMatchObject({ kind: 'timeout', code: 'ALPACA_NETWORK' });
    });
  });
});

describe('AlpacaClient at a live-money endpoint', () => {
  const SECRET_KEY = 'live-secret-never-printed-123';
  const liveClient = (baseUrl: string, allowLiveOrders?: boolean): AlpacaClient =>
    new AlpacaClient({
      credentials: { keyId: 'AKLIVE', secretKey: SECRET_KEY, baseUrl, mode: 'custom' },
      now: () => NOW,
      rng: new SeededRng(1),
      ...(allowLiveOrders !== undefined ? { allowLiveOrders } : {}),
    });

  it.each(['https://api.alpaca.markets', 'https://my-proxy.example.com', 'http://10.0.0.5:8080'])(
    'refuses to submit or replace an order at %s unless created with allowLiveOrders, before anything is sent',
    async (url) => {
      const client = liveClient(url);
      expect(client.endpointMode).toBe('live');
      const submitted = client.submitOrder({ symbol: 'AAPL', qty: 1, side: 'buy', type: 'market', time_in_force: 'day' });
      await expect(submitted).rejects.toBeInstanceOf(AlpacaLiveOrdersRefusedError);
      await expect(submitted).rejects.toMatchObject({ code: 'ALPACA_LIVE_ORDERS_REFUSED', field: 'allowLiveOrders', host: new URL(url).host });
      await expect(client.replaceOrder('order-1', { qty: 2 })).rejects.toBeInstanceOf(AlpacaLiveOrdersRefusedError);
      // Closing positions sells at market: an order like any other.
      await expect(client.closePosition('AAPL')).rejects.toBeInstanceOf(AlpacaLiveOrdersRefusedError);
      await expect(client.closeAllPositions()).rejects.toBeInstanceOf(AlpacaLiveOrdersRefusedError);
      const message = await submitted.catch((error: Error) => error.message);
      expect(message).not.toContain(SECRET_KEY);
      expect(message).not.toContain('AKLIVE');
      await client.close();
    },
  );

  it('classifies paper and loopback endpoints as such (their orders are never refused)', async () => {
    const paper = liveClient('https://paper-api.alpaca.markets');
    const local = liveClient('http://127.0.0.1:8787');
    expect(paper.endpointMode).toBe('paper');
    expect(local.endpointMode).toBe('local');
    await paper.close();
    await local.close();
  });
});
