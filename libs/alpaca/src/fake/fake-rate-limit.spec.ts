import { ConfigError, SeededRng } from '@quantbot/core';
import { AlpacaClient } from '../alpaca-client';
import { ALPACA_RATE_LIMIT_PER_MINUTE, startFakeAlpacaServer } from './fake-alpaca-server';
import type { FakeAlpacaServer, FakeAlpacaServerOptions } from './fake-alpaca-server';

const KEY = 'PKRATELIMIT1';
const SECRET = 'rate-limit-secret-1732';
const START = Date.parse('2024-03-05T15:00:00.250Z');

describe("the fake's rate limit (Alpaca: 200 requests a minute per key, X-Ratelimit-* headers, 429 past it)", () => {
  let server: FakeAlpacaServer;
  let clock: number;

  const start = async (options: Partial<FakeAlpacaServerOptions> = {}): Promise<void> => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => clock, ...options });
  };
  const get = async (path: string, secret = SECRET): Promise<{ status: number; headers: Headers; body: unknown }> => {
    const res = await fetch(`${server.url}${path}`, { headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': secret } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
  };
  const limitHeaders = (h: Headers): [string | null, string | null, string | null] => [
    h.get('x-ratelimit-limit'),
    h.get('x-ratelimit-remaining'),
    h.get('x-ratelimit-reset'),
  ];

  beforeEach(() => {
    clock = START;
  });
  afterEach(async () => {
    await server.close();
  });

  it('allows 200 requests in a minute of its clock by default, each answer carrying the three headers, then answers 429', async () => {
    await start();
    expect(ALPACA_RATE_LIMIT_PER_MINUTE).toBe(200);
    const reset = String(Math.ceil((START + 60_000) / 1000));
    const first = await get('/v2/account');
    expect(first.status).toBe(200);
    expect(limitHeaders(first.headers)).toEqual(['200', '199', reset]);
    for (let i = 2; i < 200; i++) expect((await get('/v2/clock')).status).toBe(200);
    const last = await get('/v2/positions');
    expect([last.status, ...limitHeaders(last.headers)]).toEqual([200, '200', '0', reset]);
    clock += 59_000;
    const refused = await get('/v2/account');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ code: 42910000, message: 'rate limit exceeded' });
    expect(limitHeaders(refused.headers)).toEqual(['200', '0', reset]);
    // The window resets a minute (of the fake's clock) after it opened.
    clock = START + 60_000;
    const again = await get('/v2/account');
    expect(again.status).toBe(200);
    expect(limitHeaders(again.headers)).toEqual(['200', '199', String(Math.ceil((START + 120_000) / 1000))]);
  });

  it('takes the limit as an option, counts market data apart from trading, and leaves unauthorized requests uncounted', async () => {
    await start({ rateLimitPerMinute: 2 });
    expect((await get('/v2/account', 'wrong')).status).toBe(401);
    expect((await get('/v2/account', 'wrong')).headers.get('x-ratelimit-limit')).toBeNull();
    expect((await get('/v2/account')).status).toBe(200);
    expect((await get('/v2/account')).status).toBe(200);
    expect((await get('/v2/account')).status).toBe(429);
    const data = await get('/v2/stocks/bars/latest?symbols=AAPL');
    expect(limitHeaders(data.headers).slice(0, 2)).toEqual(['2', '1']);
  });

  it('refuses a limit that is not a positive integer, naming the option', async () => {
    await expect(start({ rateLimitPerMinute: 0 })).rejects.toThrow(ConfigError);
    await expect(start({ rateLimitPerMinute: 1.5 })).rejects.toThrow(/rateLimitPerMinute/);
    await start();
  });

  it("AlpacaClient waits until X-Ratelimit-Reset (on the client's clock) and then succeeds", async () => {
    await start({ rateLimitPerMinute: 1 });
    const sleeps: number[] = [];
    const client = new AlpacaClient({
      credentials: { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' },
      now: () => clock,
      rng: new SeededRng(4),
      timeoutMs: 2_000,
      sleep: (ms) => {
        sleeps.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    });
    try {
      await client.getAccount();
      clock += 10_000;
      await client.getAccount();
      // One wait, from 10.25 s into the window to its reset at the next whole second after 60.25 s (plus < 100 ms of jitter).
      expect(sleeps).toHaveLength(1);
      const untilReset = Math.ceil((START + 60_000) / 1000) * 1000 - (START + 10_000);
      expect(sleeps[0]).toBeGreaterThanOrEqual(untilReset);
      expect(sleeps[0]).toBeLessThan(untilReset + 100);
      expect(server.state.requests.filter((r) => r === 'GET /v2/account')).toHaveLength(3);
    } finally {
      await client.close();
    }
  });
});
