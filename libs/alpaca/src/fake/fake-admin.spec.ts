import { ConfigError } from '@quantbot/core';
import { WebSocket } from 'ws';
import { until } from '../wait.spec-helper';
import { applyFakeFault } from './fake-admin';
import { startFakeAlpacaServer } from './fake-alpaca-server';
import type { FakeAlpacaServer } from './fake-alpaca-server';
import { isLoopbackAddress } from './fake-http-frontend';

const KEY = 'PKADMINFAULT';
const SECRET = 'admin-fault-secret-3141';
const NOW = Date.parse('2024-03-05T15:00:00Z');

describe('fault targets (one route, one stream) and the loopback admin endpoint', () => {
  let server: FakeAlpacaServer;
  const sockets: WebSocket[] = [];

  const call = async (method: string, path: string, body?: unknown, withKeys = true): Promise<{ status: number; headers: Headers; body: unknown }> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(withKeys ? { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET } : {}), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const buy = (): Promise<{ status: number; body: unknown }> => call('POST', '/v2/orders', { symbol: 'AAPL', qty: '1', side: 'buy', type: 'market', time_in_force: 'day' });
  const openStream = async (path: string): Promise<WebSocket> => {
    const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}${path}`);
    sockets.push(socket);
    await new Promise((resolve) => socket.once('open', resolve));
    return socket;
  };

  beforeEach(async () => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 2 });
    server.state.setPrice('AAPL', 10);
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    await server.close();
  });

  it('an HTTP fault with a route waits for that route; other requests pass untouched', async () => {
    server.faults.failNext(1, 503, 'POST /v2/orders');
    server.faults.delayNext(1, 1, '/v2/orders/*');
    expect((await call('GET', '/v2/account')).status).toBe(200);
    expect((await call('GET', '/v2/orders')).status).toBe(200);
    expect(await buy()).toMatchObject({ status: 503, body: { code: 50300000, message: 'injected failure 503' } });
    const order = await buy();
    expect(order.status).toBe(200);
    expect((await call('GET', `/v2/orders/${(order.body as { id: string }).id}`)).status).toBe(200);
    expect(() => server.faults.failNext(1, 500, 'GRAB /v2/orders')).toThrow(ConfigError);
    expect(() => server.faults.failNext(1, 500, 'v2/orders')).toThrow(/route/);
  });

  it('a stream fault with a stream touches only that stream', async () => {
    const trading = await openStream('/stream');
    const data = await openStream('/v2/iex');
    const closed: string[] = [];
    trading.on('close', () => closed.push('trading'));
    data.on('close', () => closed.push('market-data'));
    server.faults.dropStreams('market-data');
    await until(() => closed.length === 1, 'the market-data connection to drop');
    expect(closed).toEqual(['market-data']);
    expect(trading.readyState).toBe(WebSocket.OPEN);
  });

  it('POST /__admin/faults/{name} applies a fault from loopback, without keys, outside the rate limit and the request log', async () => {
    const applied = await call('POST', '/__admin/faults/fail-next', { n: 1, status: 500, route: 'GET /v2/clock' }, false);
    expect(applied.status).toBe(200);
    expect(applied.body).toEqual({ fault: 'fail-next' });
    expect(applied.headers.get('x-ratelimit-limit')).toBeNull();
    expect((await call('GET', '/v2/account')).status).toBe(200);
    expect((await call('GET', '/v2/clock')).status).toBe(500);
    expect((await call('GET', '/v2/clock')).status).toBe(200);
    expect(server.state.requests).toEqual(['GET /v2/account', 'GET /v2/clock', 'GET /v2/clock']);

    expect(await call('POST', '/__admin/faults/reject-next-orders', { n: 1, reason: 'halted' }, false)).toMatchObject({ status: 200 });
    expect(await buy()).toMatchObject({ status: 200, body: { status: 'rejected' } });
    expect(await call('POST', '/__admin/faults/fail-next', { n: 0, status: 500 }, false)).toEqual({
      status: 400,
      headers: expect.any(Headers),
      body: { code: 40010000, message: 'n: must be a whole number ≥ 1, got 0' },
    });
    expect(await call('POST', '/__admin/faults/refuse-streams', { n: 1, stream: 'quotes' }, false)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^stream: /) } });
    expect((await call('POST', '/__admin/faults/explode', {}, false)).status).toBe(404);
    expect((await call('GET', '/__admin/faults/reset', undefined, false)).status).toBe(404);
    expect((await call('POST', '/__admin/faults/reset', undefined, false)).status).toBe(200);
  });

  it('serves the admin endpoint to loopback peers only', () => {
    expect(['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(['10.0.0.5', '::ffff:192.168.1.2', 'fe80::1', undefined].map(isLoopbackAddress)).toEqual([false, false, false, false]);
  });

  it('applyFakeFault names a wrong argument or fault', () => {
    expect(() => applyFakeFault(server.faults, { fault: 'delay-next', n: 1 })).toThrow(new ConfigError('ms', 'must be a number ≥ 0, got undefined'));
    expect(() => applyFakeFault(server.faults, { fault: 'nope' })).toThrow(/^fault: 'nope' is not one of fail-next, /);
  });
});
