import { SeededRng } from '@quantbot/core';
import { AlpacaApiError, AlpacaNetworkError } from './alpaca-errors';
import { AlpacaHttpTransport } from './alpaca-http-transport';
import type { AlpacaHttpTransportOptions } from './alpaca-http-transport';
import { startFakeAlpacaServer } from './fake';
import type { FakeAlpacaServer } from './fake';

const KEY = 'PKTRANSPORT1';
const SECRET = 'transport-secret-1414';
const NOW = Date.parse('2024-03-05T15:00:00Z');

describe('AlpacaHttpTransport', () => {
  let server: FakeAlpacaServer;
  let transport: AlpacaHttpTransport;
  const sleeps: number[] = [];

  const make = (overrides: Partial<AlpacaHttpTransportOptions> = {}): AlpacaHttpTransport =>
    new AlpacaHttpTransport({
      baseUrl: () => server.url,
      credentials: () => ({ keyId: KEY, secretKey: SECRET }),
      now: () => NOW,
      rng: new SeededRng(1),
      timeoutMs: 1_000,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      ...overrides,
    });

  beforeEach(async () => {
    sleeps.length = 0;
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW });
    transport = make();
  });

  afterEach(async () => {
    await transport.close();
    await server.close();
  });

  it('sends a JSON body with any method and parses the answer', async () => {
    server.state.setPrice('AAPL', 10);
    const order = (await transport.requestJson('POST', '/v2/orders', { symbol: 'AAPL', qty: '1', side: 'buy', type: 'market', time_in_force: 'day' })) as Record<string, unknown>;
    expect(order['status']).toBe('filled');
    expect(await transport.requestJson('DELETE', `/v2/orders/${String(order['id'])}`).catch((e: unknown) => e)).toBeInstanceOf(AlpacaApiError);
    expect(server.state.requests.at(-1)).toBe(`DELETE /v2/orders/${String(order['id'])}`);
  });

  it('retries GET and DELETE on 503 and 429 (honouring Retry-After), but sends POST and PATCH once', async () => {
    server.faults.failNext(1, 503);
    server.faults.rateLimitNext(1, 2);
    expect(await transport.requestJson('GET', '/v2/account')).toMatchObject({ cash: '100000' });
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThanOrEqual(2_000);
    server.faults.failNext(1, 503);
    const failure = await transport.requestJson('POST', '/v2/orders', { symbol: 'AAPL' }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ status: 503, code: 'ALPACA_API' });
    expect(server.state.requests.filter((r) => r.startsWith('POST'))).toHaveLength(1);
    expect(sleeps).toHaveLength(2);
  });

  it('waits for X-Ratelimit-Reset only on a 429: a 5xx carrying the rate-limit headers (as every Alpaca answer does) backs off', async () => {
    const res = (status: number): { status: number; headers: Record<string, string>; text: string } => ({
      status,
      headers: { 'x-ratelimit-limit': '200', 'x-ratelimit-remaining': '150', 'x-ratelimit-reset': String(Math.ceil(NOW / 1000) + 45) },
      text: '{}',
    });
    const fromReset = transport.retryDelayMs(0, res(429));
    expect(fromReset).toBeGreaterThanOrEqual(Math.ceil(NOW / 1000) * 1000 + 45_000 - NOW);
    // Backoff for the first retry: between half of and the whole 200 ms base step.
    const backoff = transport.retryDelayMs(0, res(503));
    expect(backoff).toBeGreaterThanOrEqual(100);
    expect(backoff).toBeLessThanOrEqual(200);
  });

  it('send returns any status as answered, for callers that settle failures themselves', async () => {
    server.faults.failNext(1, 500);
    const res = await transport.send('GET', '/v2/account');
    expect(res.status).toBe(500);
    expect(transport.isRetryable(res)).toBe(true);
    expect(transport.apiError('GET', '/v2/account', res)).toMatchObject({ status: 500, alpacaCode: 50_000_000 });
    expect(transport.isRetryable(await transport.send('GET', '/v2/nope'))).toBe(false);
  });

  it('gives up after maxRetries with the last failure, and never lets the key pair into a message', async () => {
    const t = make({ maxRetries: 1, baseUrl: () => 'http://127.0.0.1:1' });
    const failure = await t.requestJson('GET', `/v2/orders?echo=${KEY}`).catch((e: unknown) => e);
    await t.close();
    expect(failure).toBeInstanceOf(AlpacaNetworkError);
    expect((failure as AlpacaNetworkError).kind).toBe('connection');
    expect((failure as Error).message).toContain('[redacted]');
    expect((failure as Error).message).not.toContain(KEY);
    expect(sleeps).toHaveLength(1);
  });
});
