import { startFakeAlpacaServer } from './fake-alpaca-server';
import type { FakeAlpacaServer } from './fake-alpaca-server';

const KEY = 'PKREFUSALS01';
const SECRET = 'refusals-secret-1618';
const NOW = Date.parse('2024-03-05T15:00:00Z');

/** One raw exchange with the fake: status, headers and parsed body, as a client of Alpaca sees them. */
interface Exchange {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

describe('the fake refuses what Alpaca refuses (403 buying power and quantity, 404 position)', () => {
  let server: FakeAlpacaServer;

  const call = async (method: string, path: string, body?: unknown): Promise<Exchange> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const order = (side: 'buy' | 'sell', qty: number, extra: Record<string, unknown> = {}): Promise<Exchange> =>
    call('POST', '/v2/orders', { symbol: 'AAPL', qty: String(qty), side, type: 'market', time_in_force: 'day', ...extra });

  beforeEach(async () => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 5, startingCash: 10_000 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('refuses a buy that costs more than the buying power: 403, code 40310000, "insufficient buying power"', async () => {
    server.state.setPrice('AAPL', 100);
    const refused = await order('buy', 101);
    expect(refused).toMatchObject({ status: 403, body: { code: 40310000, message: 'insufficient buying power' } });
    expect(server.state.orders()).toHaveLength(0);
    // Exactly the buying power is accepted.
    expect((await order('buy', 100)).status).toBe(200);
  });

  it('counts open buy orders against the buying power, and reports what is left on the account', async () => {
    server.state.setPrice('AAPL', 100);
    const limit = await call('POST', '/v2/orders', { symbol: 'AAPL', qty: '60', side: 'buy', type: 'limit', limit_price: '90', time_in_force: 'gtc' });
    expect(limit.status).toBe(200);
    const account = await call('GET', '/v2/account');
    expect(account.body).toMatchObject({ cash: '10000', buying_power: String(10_000 - 60 * 90), daytrade_count: 0 });
    expect(typeof (account.body as { daytrade_count: unknown }).daytrade_count).toBe('number');
    expect(await order('buy', 50)).toMatchObject({ status: 403, body: { code: 40310000, message: 'insufficient buying power' } });
    expect((await order('buy', 46)).status).toBe(200);
  });

  it('reports qty_available (held minus open sells) and refuses a sell beyond it with Alpaca\'s body', async () => {
    server.state.setPrice('AAPL', 100);
    expect((await order('buy', 10)).status).toBe(200);
    const working = await call('POST', '/v2/orders', { symbol: 'AAPL', qty: '4', side: 'sell', type: 'limit', limit_price: '120', time_in_force: 'gtc' });
    expect(working.status).toBe(200);
    const workingId = (working.body as { id: string }).id;
    const positions = await call('GET', '/v2/positions');
    expect(positions.body).toEqual([expect.objectContaining({ symbol: 'AAPL', qty: '10', qty_available: '6' })]);
    const refused = await order('sell', 7);
    expect(refused).toEqual({
      status: 403,
      headers: expect.any(Headers),
      body: {
        available: '6',
        code: 40310000,
        existing_qty: '10',
        held_for_orders: '4',
        message: 'insufficient qty available for order (requested: 7, available: 6)',
        related_orders: [workingId],
        symbol: 'AAPL',
      },
    });
    expect((await order('sell', 6)).status).toBe(200);
    // Everything left is promised to the working limit order.
    expect(await call('GET', '/v2/positions/AAPL')).toMatchObject({ status: 200, body: { symbol: 'AAPL', qty: '4', qty_available: '0' } });
  });

  it('refuses a second close of a position while the first is working, and answers the first again once it is done', async () => {
    // Orders fill only against bars here, so the closing market order stays working until the next bar.
    await server.close();
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 5, fillOn: 'bar' });
    server.state.pushBar('AAPL', { time: NOW, open: 100, high: 100, low: 100, close: 100, volume: 1_000 });
    expect((await order('buy', 10)).status).toBe(200);
    server.state.pushBar('AAPL', { time: NOW + 60_000, open: 100, high: 100, low: 100, close: 100, volume: 1_000 });
    const first = await call('DELETE', '/v2/positions/AAPL');
    expect(first).toMatchObject({ status: 200, body: { symbol: 'AAPL', side: 'sell', qty: '10', status: 'new' } });
    const second = await call('DELETE', '/v2/positions/AAPL');
    expect(second).toMatchObject({
      status: 403,
      body: {
        code: 40310000,
        message: 'insufficient qty available for order (requested: 10, available: 0)',
        available: '0',
        held_for_orders: '10',
        related_orders: [(first.body as { id: string }).id],
      },
    });
    // DELETE /v2/positions answers each symbol on its own: the refusal is that entry's status and body.
    const all = await call('DELETE', '/v2/positions');
    expect(all).toMatchObject({ status: 207, body: [{ symbol: 'AAPL', status: 403, body: { code: 40310000 } }] });
    server.state.pushBar('AAPL', { time: NOW + 120_000, open: 101, high: 101, low: 101, close: 101, volume: 1_000 });
    expect(await call('GET', '/v2/positions/AAPL')).toEqual({
      status: 404,
      headers: expect.any(Headers),
      body: { code: 40410000, message: 'position does not exist' },
    });
  });

  it('refuses a sell that would reverse a long position in one order, unless oneOrderReversals is on', async () => {
    server.state.setPrice('AAPL', 100);
    expect((await order('buy', 5)).status).toBe(200);
    expect(await order('sell', 8)).toMatchObject({
      status: 403,
      body: { code: 40310000, message: 'insufficient qty available for order (requested: 8, available: 5)', existing_qty: '5', held_for_orders: '0', related_orders: [] },
    });
    await server.close();
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 5, startingCash: 10_000, oneOrderReversals: true });
    server.state.setPrice('AAPL', 100);
    expect((await order('buy', 5)).status).toBe(200);
    expect((await order('sell', 8)).status).toBe(200);
    expect(await call('GET', '/v2/positions/AAPL')).toMatchObject({ status: 200, body: { qty: '-3', side: 'short' } });
  });

  it('still allows a short sale without a position (the fake has shorting enabled)', async () => {
    server.state.setPrice('AAPL', 100);
    expect((await order('sell', 5)).status).toBe(200);
    expect(await call('GET', '/v2/positions/AAPL')).toMatchObject({ status: 200, body: { qty: '-5', side: 'short', qty_available: '-5' } });
  });
});
