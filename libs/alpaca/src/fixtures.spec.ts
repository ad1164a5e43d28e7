import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startFakeAlpacaServer } from './fake';
import type { FakeAlpacaServer } from './fake';

const KEY = 'PKFIX';
const SECRET = 'fixture-secret';
const headers = { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET, 'content-type': 'application/json' };

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '..', 'test-fixtures', `${name}.json`), 'utf8')) as Record<string, unknown>;

/** Same key set; where both sides are non-null, the same JSON type. */
function expectSameShape(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const key of Object.keys(expected)) {
    if (actual[key] === null || expected[key] === null) continue;
    expect([key, typeof actual[key]]).toEqual([key, typeof expected[key]]);
  }
}

async function getJson(server: FakeAlpacaServer, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const res = await request(`${server.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  return res.body.json();
}

describe("the fake's responses have the shape of Alpaca's documented examples", () => {
  let server: FakeAlpacaServer;

  beforeAll(async () => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => Date.parse('2024-03-05T15:00:00Z') });
    server.state.setPrice('AAPL', 123.45);
  });
  afterAll(() => server.close());

  it('order', async () => {
    const order = (await getJson(server, 'POST', '/v2/orders', {
      symbol: 'AAPL', qty: '10', side: 'buy', type: 'market', time_in_force: 'day',
    })) as Record<string, unknown>;
    expectSameShape(order, fixture('order'));
    expect(order).toMatchObject({ qty: '10', filled_qty: '10', filled_avg_price: '123.45', status: 'filled' });
    expect(order['id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(order['created_at'] as string).toISOString()).toBe(order['created_at']);
  });

  it('account', async () => {
    const account = (await getJson(server, 'GET', '/v2/account')) as Record<string, unknown>;
    // The docs' example writes `daytrade_count` as "0"; Alpaca's client libraries type it as an
    // integer, and the fake writes a number (the client reads either).
    const { daytrade_count: daytradeCount, ...rest } = fixture('account');
    expect(daytradeCount).toBe('0');
    expectSameShape(account, { ...rest, daytrade_count: 0 });
    expect(account['daytrade_count']).toBe(0);
  });

  it('position', async () => {
    const positions = (await getJson(server, 'GET', '/v2/positions')) as Record<string, unknown>[];
    expect(positions).toHaveLength(1);
    expectSameShape(positions[0] ?? {}, fixture('position'));
    expect(positions[0]).toMatchObject({ qty: '10', avg_entry_price: '123.45', side: 'long' });
  });

  it('calendar day', async () => {
    const days = (await getJson(server, 'GET', '/v2/calendar?start=2024-03-04&end=2024-03-05')) as Record<string, unknown>[];
    expect(days).toHaveLength(2);
    expectSameShape(days[0] ?? {}, fixture('calendar-day'));
    expect(days[0]).toMatchObject({ date: '2024-03-04', open: '09:30', close: '16:00', settlement_date: '2024-03-05' });
  });

  it('error bodies are {code, message}', async () => {
    const res = await request(`${server.url}/v2/orders/nope`, { headers });
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toEqual({ code: 40410000, message: 'order not found' });
    const bad = await request(`${server.url}/v2/orders`, { method: 'POST', headers, body: '{not json' });
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ code: 40010000 });
  });
});
