import { ConfigError } from '@quantbot/core';
import { startFakeAlpacaServer } from './fake-alpaca-server';
import type { FakeAlpacaServer, FakeAlpacaServerOptions } from './fake-alpaca-server';

const KEY = 'PKLATENCY001';
const SECRET = 'latency-secret-2718';
const T0 = Date.parse('2024-03-05T15:00:00Z');

interface Exchange {
  readonly status: number;
  readonly body: unknown;
}

interface WireOrder {
  readonly id: string;
  readonly status: string;
  readonly qty: string;
  readonly filled_qty: string;
  readonly canceled_at: string | null;
  readonly replaced_by: string | null;
  readonly replaces: string | null;
}

interface Update {
  readonly event: string;
  readonly timestamp: string;
  readonly order: WireOrder;
}

describe('the fake\'s order latency: pending_new, pending_cancel and pending_replace on its clock', () => {
  let server: FakeAlpacaServer;
  let now: number;

  const start = async (options: Partial<FakeAlpacaServerOptions> = {}): Promise<void> => {
    now = T0;
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => now, seed: 9, startingCash: 10_000, ...options });
  };
  afterEach(async () => {
    await server.close();
  });

  const call = async (method: string, path: string, body?: unknown): Promise<Exchange> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const limitBuy = async (qty: number, limit: number, extra: Record<string, unknown> = {}): Promise<WireOrder> => {
    const answer = await call('POST', '/v2/orders', { symbol: 'AAPL', qty: String(qty), side: 'buy', type: 'limit', limit_price: String(limit), time_in_force: 'gtc', ...extra });
    expect(answer.status).toBe(200);
    return answer.body as WireOrder;
  };
  const get = async (id: string): Promise<WireOrder> => (await call('GET', `/v2/orders/${id}`)).body as WireOrder;
  const updates = (): Update[] => server.state.tradeUpdates().map((m) => (m as { data: Update }).data);
  const events = (id?: string): string[] => updates().filter((u) => id === undefined || u.order.id === id).map((u) => u.event);
  const position = async (): Promise<unknown> => (await call('GET', '/v2/positions/AAPL')).body;

  it('answers a new order pending_new, makes it new once acceptMs has passed, and fills it only then', async () => {
    await start({ orderLatency: { acceptMs: 200 } });
    server.state.setPrice('AAPL', 100);
    const order = await limitBuy(10, 101);
    expect(order.status).toBe('pending_new');
    expect(events()).toEqual(['pending_new']);
    // A trade that reaches the limit does not fill an order that is not working yet.
    now = T0 + 199;
    server.state.setPrice('AAPL', 100);
    expect((await get(order.id)).status).toBe('pending_new');
    expect(server.state.cash).toBe(10_000);
    // The next request after the clock passes acceptMs sees it new; the last price fills it as it starts working.
    now = T0 + 200;
    expect((await get(order.id)).status).toBe('filled');
    expect(updates().map((u) => [u.event, u.timestamp])).toEqual([
      ['pending_new', '2024-03-05T15:00:00.000Z'],
      ['new', '2024-03-05T15:00:00.200Z'],
      ['fill', '2024-03-05T15:00:00.200Z'],
    ]);
    expect(server.state.cash).toBe(9_000);
  });

  it('makes due transitions on advance() alone, stamped with their due time, in due order', async () => {
    await start({ orderLatency: { acceptMs: 200 } });
    const first = await limitBuy(1, 90);
    now = T0 + 50;
    const second = await limitBuy(1, 90);
    now = T0 + 1_000;
    server.state.advance();
    expect(updates().map((u) => [u.event, u.order.id, u.timestamp])).toEqual([
      ['pending_new', first.id, '2024-03-05T15:00:00.000Z'],
      ['pending_new', second.id, '2024-03-05T15:00:00.050Z'],
      ['new', first.id, '2024-03-05T15:00:00.200Z'],
      ['new', second.id, '2024-03-05T15:00:00.250Z'],
    ]);
    expect(server.state.orders().map((o) => o.status)).toEqual(['new', 'new']);
  });

  it('in bar mode fills an order only against bars pushed after it became new', async () => {
    await start({ orderLatency: { acceptMs: 200 }, fillOn: 'bar' });
    const order = await limitBuy(10, 101);
    // The clock has not reached acceptMs when this bar is pushed: it trades past the order.
    server.state.pushBar('AAPL', { time: T0, open: 100, high: 100, low: 100, close: 100, volume: 1_000 });
    expect((await get(order.id)).status).toBe('pending_new');
    now = T0 + 60_000;
    server.state.pushBar('AAPL', { time: T0 + 60_000, open: 100, high: 100, low: 100, close: 100, volume: 1_000 });
    expect(events(order.id)).toEqual(['pending_new', 'new', 'fill']);
  });

  it('expires a day order still pending_new at the session end', async () => {
    await start({ orderLatency: { acceptMs: 200 } });
    const order = await limitBuy(1, 90, { time_in_force: 'day' });
    server.state.endSession();
    expect(events(order.id)).toEqual(['pending_new', 'expired']);
  });

  it('answers DELETE 204 and shows pending_cancel until cancelMs has passed, then canceled at that time', async () => {
    await start({ orderLatency: { cancelMs: 500 } });
    const order = await limitBuy(10, 90);
    expect(order.status).toBe('new');
    expect((await call('DELETE', `/v2/orders/${order.id}`)).status).toBe(204);
    expect((await get(order.id)).status).toBe('pending_cancel');
    // A second cancel while one is pending changes nothing.
    expect((await call('DELETE', `/v2/orders/${order.id}`)).status).toBe(204);
    // Open orders still list it: it can still fill.
    expect(((await call('GET', '/v2/orders?status=open')).body as WireOrder[]).map((o) => o.status)).toEqual(['pending_cancel']);
    now = T0 + 500;
    const canceled = await get(order.id);
    expect([canceled.status, canceled.canceled_at]).toEqual(['canceled', '2024-03-05T15:00:00.500Z']);
    expect(events(order.id)).toEqual(['new', 'pending_cancel', 'canceled']);
  });

  it('lets a fill that arrives during pending_cancel win: the order ends filled once, the cancel is moot', async () => {
    await start({ orderLatency: { cancelMs: 500 } });
    server.state.setPrice('AAPL', 95);
    const order = await limitBuy(10, 90);
    expect((await call('DELETE', `/v2/orders/${order.id}`)).status).toBe(204);
    now = T0 + 100;
    server.state.setPrice('AAPL', 89);
    now = T0 + 10_000;
    const filled = await get(order.id);
    expect([filled.status, filled.filled_qty, filled.canceled_at]).toEqual(['filled', '10', null]);
    expect(events(order.id)).toEqual(['new', 'pending_cancel', 'fill']);
    expect(server.state.cash).toBe(10_000 - 890);
    expect(await position()).toMatchObject({ qty: '10', avg_entry_price: '89' });
  });

  it('cancels with what was filled when a partial fill comes during pending_cancel', async () => {
    await start({ orderLatency: { cancelMs: 500 }, maxFillQty: 4 });
    server.state.setPrice('AAPL', 95);
    const order = await limitBuy(10, 90);
    await call('DELETE', `/v2/orders/${order.id}`);
    server.state.setPrice('AAPL', 90);
    expect((await get(order.id)).status).toBe('pending_cancel');
    now = T0 + 500;
    expect(await get(order.id)).toMatchObject({ status: 'canceled', filled_qty: '4' });
    expect(events(order.id)).toEqual(['new', 'pending_cancel', 'partial_fill', 'canceled']);
  });

  it('cancels every open order through pending_cancel on DELETE /v2/orders', async () => {
    await start({ orderLatency: { cancelMs: 500 } });
    await limitBuy(1, 90);
    await limitBuy(1, 91);
    const answer = await call('DELETE', '/v2/orders');
    expect(answer.status).toBe(207);
    expect((answer.body as { status: number; body: WireOrder }[]).map((e) => [e.status, e.body.status])).toEqual([
      [200, 'pending_cancel'],
      [200, 'pending_cancel'],
    ]);
    now = T0 + 500;
    expect(((await call('GET', '/v2/orders?status=all')).body as WireOrder[]).map((o) => o.status)).toEqual(['canceled', 'canceled']);
  });

  it('replaces through pending_replace: the new order is pending_new, then new for the quantity left unfilled', async () => {
    await start({ orderLatency: { replaceMs: 300 }, maxFillQty: 4 });
    server.state.setPrice('AAPL', 95);
    const order = await limitBuy(10, 90);
    const patched = await call('PATCH', `/v2/orders/${order.id}`, { limit_price: '91' });
    expect(patched.status).toBe(200);
    const replacement = patched.body as WireOrder;
    expect([replacement.status, replacement.replaces, replacement.qty]).toEqual(['pending_new', order.id, '10']);
    expect((await get(order.id)).status).toBe('pending_replace');
    // Alpaca's docs: an order pending replace rejects a cancel request.
    expect(await call('DELETE', `/v2/orders/${order.id}`)).toMatchObject({ status: 422, body: { code: 42210000, message: 'order is not cancelable (status pending_replace)' } });
    expect((await call('PATCH', `/v2/orders/${order.id}`, { limit_price: '92' })).status).toBe(422);
    // The old order keeps working meanwhile; the replacement holds nothing and does not fill.
    server.state.setPrice('AAPL', 90);
    expect(await get(order.id)).toMatchObject({ status: 'pending_replace', filled_qty: '4' });
    expect(await get(replacement.id)).toMatchObject({ status: 'pending_new', filled_qty: '0' });
    // Buying power: cash 10 000 - 4 × 90, less the old order's 6 left × 90; the replacement holds none yet.
    expect((await call('GET', '/v2/account')).body).toMatchObject({ cash: '9640', buying_power: '9100' });
    now = T0 + 300;
    expect(await get(order.id)).toMatchObject({ status: 'replaced', replaced_by: replacement.id, filled_qty: '4' });
    // Filled at once at the last price (90 is under its new limit of 91), up to maxFillQty.
    expect(await get(replacement.id)).toMatchObject({ status: 'partially_filled', qty: '6', filled_qty: '4' });
    expect(events()).toEqual(['new', 'pending_new', 'pending_replace', 'partial_fill', 'replaced', 'new', 'partial_fill']);
  });

  it('rejects the replacement when the old order fills during pending_replace, and the old order stays filled', async () => {
    await start({ orderLatency: { replaceMs: 300 } });
    server.state.setPrice('AAPL', 95);
    const order = await limitBuy(10, 90);
    const replacement = (await call('PATCH', `/v2/orders/${order.id}`, { qty: '12' })).body as WireOrder;
    server.state.setPrice('AAPL', 90);
    now = T0 + 300;
    expect((await get(order.id)).status).toBe('filled');
    expect((await get(replacement.id)).status).toBe('rejected');
    expect(events(order.id)).toEqual(['new', 'pending_replace', 'fill']);
    expect(events(replacement.id)).toEqual(['pending_new', 'rejected']);
    expect(server.state.cash).toBe(10_000 - 900);
  });

  it('sends order_replace_rejected and keeps the old order when the replacement is canceled first', async () => {
    await start({ orderLatency: { replaceMs: 300 } });
    const order = await limitBuy(10, 90);
    const replacement = (await call('PATCH', `/v2/orders/${order.id}`, { limit_price: '89' })).body as WireOrder;
    expect((await call('DELETE', `/v2/orders/${replacement.id}`)).status).toBe(204);
    now = T0 + 300;
    expect((await get(order.id)).status).toBe('new');
    expect(events(order.id)).toEqual(['new', 'pending_replace', 'order_replace_rejected']);
  });

  it('changes the latency while running through the order-latency admin fault; reset restores the option', async () => {
    await start();
    const admin = await call('POST', '/__admin/faults/order-latency', { acceptMs: 100 });
    expect(admin).toEqual({ status: 200, body: { fault: 'order-latency' } });
    expect((await limitBuy(1, 90)).status).toBe('pending_new');
    expect(await call('POST', '/__admin/faults/order-latency', { acceptMs: -1 })).toEqual({ status: 400, body: { code: 40010000, message: 'acceptMs: must be a number ≥ 0, got -1' } });
    expect(await call('POST', '/__admin/faults/order-latency', { accept: 1 })).toEqual({
      status: 400,
      body: { code: 40010000, message: 'accept: is not an argument of order-latency (acceptMs, cancelMs, replaceMs)' },
    });
    server.faults.reset();
    expect((await limitBuy(1, 90)).status).toBe('new');
  });

  it('refuses a bad orderLatency option, naming the field', async () => {
    const options = { credentials: { keyId: KEY, secretKey: SECRET }, now: () => T0 };
    await expect(startFakeAlpacaServer({ ...options, orderLatency: { cancelMs: -5 } })).rejects.toThrow(new ConfigError('orderLatency.cancelMs', 'must be a number of ms ≥ 0, got -5'));
    await expect(startFakeAlpacaServer({ ...options, orderLatency: { acceptMs: Number.NaN } })).rejects.toThrow(ConfigError);
    // A server to close after each test.
    await start();
  });
});

describe('the fake\'s order classes', () => {
  let server: FakeAlpacaServer;
  afterEach(async () => {
    await server.close();
  });

  it('takes simple orders and refuses bracket, oco and oto with 422 and Alpaca\'s error body', async () => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => T0, seed: 3 });
    const post = async (extra: Record<string, unknown>): Promise<Exchange> => {
      const res = await fetch(`${server.url}/v2/orders`, {
        method: 'POST',
        headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET, 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'limit', limit_price: '100', time_in_force: 'gtc', ...extra }),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    expect((await post({ order_class: 'simple' })).status).toBe(200);
    expect((await post({})).status).toBe(200);
    const bracket = await post({ order_class: 'bracket', take_profit: { limit_price: '110' }, stop_loss: { stop_price: '95' } });
    expect(bracket).toEqual({ status: 422, body: { code: 40010001, message: 'order_class "bracket" is not supported by the fake: only simple orders' } });
    for (const orderClass of ['oco', 'oto']) expect((await post({ order_class: orderClass })).status).toBe(422);
    expect(server.state.orders()).toHaveLength(2);
  });
});
