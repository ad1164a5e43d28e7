import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, SeededRng } from '@quantbot/core';
import { AlpacaApiError, AlpacaNetworkError } from './alpaca-client';
import { AlpacaProtocolError } from './alpaca-types';
import { FakeBarStore, startFakeMarketDataServer } from './fake';
import type { FakeBarInput, FakeMarketDataServer } from './fake';
import { AlpacaMarketDataClient, AlpacaPaginationError } from './market-data-client';
import type { AlpacaMarketDataClientOptions } from './market-data-client';

const KEY = 'PKMDKEY42';
const SECRET = 'md-secret-never-print-77';
const NOW = Date.parse('2024-03-05T15:00:00Z');
const DAY = 86_400_000;

function dailyBars(firstIso: string, count: number, base: number): FakeBarInput[] {
  const first = Date.parse(firstIso);
  return Array.from({ length: count }, (_, i) => ({ time: first + i * DAY, open: base + i, high: base + i + 2, low: base + i - 2, close: base + i + 1, volume: 100 * (i + 1), tradeCount: 7 + i, vwap: base + i + 0.25 }));
}

const clients: AlpacaMarketDataClient[] = [];

function makeClient(url: string, overrides: Partial<AlpacaMarketDataClientOptions> = {}): AlpacaMarketDataClient {
  const client = new AlpacaMarketDataClient({
    credentials: { keyId: KEY, secretKey: SECRET },
    dataUrl: url,
    now: () => NOW,
    rng: new SeededRng(11),
    timeoutMs: 2_000,
    backoffBaseMs: 1,
    ...overrides,
  });
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('AlpacaMarketDataClient against the fake market-data server', () => {
  let store: FakeBarStore;
  let server: FakeMarketDataServer;

  beforeEach(async () => {
    store = new FakeBarStore();
    store.addBars('AAPL', '1Day', dailyBars('2024-01-02T05:00:00Z', 5, 180));
    store.addBars('MSFT', '1Day', dailyBars('2024-01-02T05:00:00Z', 4, 370));
    server = await startFakeMarketDataServer({ store, credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW });
  });

  afterEach(() => server.close());

  it('gets one page and parses every field', async () => {
    const page = await makeClient(server.url).getBars({ symbols: ['MSFT', 'AAPL'], timeframe: '1Day', start: '2024-01-01', limit: 3 });
    expect([...page.bars.keys()]).toEqual(['AAPL']);
    expect(page.bars.get('AAPL')?.[0]).toEqual({
      time: Date.parse('2024-01-02T05:00:00Z'),
      open: 180,
      high: 182,
      low: 178,
      close: 181,
      volume: 100,
      tradeCount: 7,
      vwap: 180.25,
    });
    expect(page.nextPageToken).toEqual(expect.any(String));
  });

  it('follows next_page_token across pages, with the same parameters each time', async () => {
    const client = makeClient(server.url);
    const all = await client.getAllBars({ symbols: ['AAPL', 'MSFT'], timeframe: '1D', start: '2024-01-01T00:00:00Z', end: Date.parse('2024-02-01T00:00:00Z'), limit: 2, feed: 'iex', adjustment: 'all' });
    expect(all.get('AAPL')?.map((b) => b.close)).toEqual([181, 182, 183, 184, 185]);
    expect(all.get('MSFT')?.map((b) => b.close)).toEqual([371, 372, 373, 374]);
    expect(server.requests).toHaveLength(5); // 9 bars, 2 a page
    const queries = server.requests.map((r) => new URL(r.slice(4), 'http://x').searchParams);
    for (const q of queries) {
      expect(Object.fromEntries([...q].filter(([k]) => k !== 'page_token'))).toEqual({
        symbols: 'AAPL,MSFT',
        timeframe: '1Day',
        start: '2024-01-01T00:00:00Z',
        end: '2024-02-01T00:00:00Z',
        limit: '2',
        feed: 'iex',
        adjustment: 'all',
      });
    }
    expect(queries[0]?.has('page_token')).toBe(false);
    expect(queries.slice(1).every((q) => q.has('page_token'))).toBe(true);
  });

  it('sends epoch-ms bounds as whole seconds that never widen the interval', async () => {
    await makeClient(server.url).getBars({ symbols: ['AAPL'], timeframe: '1Min', start: Date.parse('2024-01-02T14:30:00.250Z'), end: Date.parse('2024-01-02T15:00:00.750Z'), sort: 'desc' });
    const q = new URL(server.requests[0]?.slice(4) ?? '', 'http://x').searchParams;
    expect([q.get('start'), q.get('end'), q.get('sort')]).toEqual(['2024-01-02T14:30:01Z', '2024-01-02T15:00:00Z', 'desc']);
  });

  it('gets the latest bar of each symbol', async () => {
    const latest = await makeClient(server.url).getLatestBars(['AAPL', 'MSFT', 'NONE'], { feed: 'iex' });
    expect([...latest.keys()].sort()).toEqual(['AAPL', 'MSFT']);
    expect(latest.get('AAPL')?.time).toBe(Date.parse('2024-01-06T05:00:00Z'));
    expect(server.requests).toEqual(['GET /v2/stocks/bars/latest?symbols=AAPL%2CMSFT%2CNONE&feed=iex']);
  });

  it.each([
    [{ timeframe: '1Days' }, "timeframe: '1Days' is not an Alpaca timeframe"],
    [{ timeframe: '60Min' }, "timeframe: '60Min'"],
    [{ symbols: [] }, 'symbols: at least one symbol'],
    [{ symbols: ['AAPL', 'AAPL'] }, 'symbols: AAPL is listed twice'],
    [{ symbols: ['aapl'] }, "symbols: 'aapl' is not a stock symbol"],
    [{ limit: 0 }, 'limit: 0 is not a whole number in 1..10000'],
    [{ limit: 10_001 }, 'limit: 10001'],
    [{ limit: 2.5 }, 'limit: 2.5'],
    [{ start: '01/02/2024' }, "start: '01/02/2024' is not RFC-3339"],
    [{ start: '2024-01-02T00:00:00.5Z' }, 'start: '],
    [{ start: NaN }, 'start: NaN is not a time'],
    [{ start: '2024-02-01', end: '2024-01-01' }, 'end: 2024-01-01 is before start 2024-02-01'],
    [{ pageToken: '' }, 'pageToken: is empty'],
  ])('refuses %j before sending anything', async (override, message) => {
    const client = makeClient(server.url);
    const params = { symbols: ['AAPL'], timeframe: '1Day', start: '2024-01-01', ...override };
    await expect(client.getBars(params)).rejects.toThrow(ConfigError);
    await expect(client.getBars(params)).rejects.toThrow(message);
    expect(server.requests).toEqual([]);
  });

  it('reads the key pair from the environment on the first request only', async () => {
    const client = makeClient(server.url, { credentials: undefined, env: { APCA_API_KEY_ID: KEY, APCA_API_SECRET_KEY: SECRET } });
    expect((await client.getLatestBars(['AAPL'])).size).toBe(1);
    const none = makeClient(server.url, { credentials: undefined, env: {} });
    const failure = none.getLatestBars(['AAPL']);
    await expect(failure).rejects.toThrow(ConfigError);
    await expect(none.getLatestBars(['AAPL'])).rejects.toThrow('ALPACA_API_KEY/ALPACA_SECRET_KEY');
    expect(server.requests).toHaveLength(1);
  });

  it('reports a refused key pair as AlpacaApiError without the secret', async () => {
    const client = makeClient(server.url, { credentials: { keyId: KEY, secretKey: 'wrong-secret-xyz' } });
    const error = await client.getLatestBars(['AAPL']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlpacaApiError);
    expect(error).toMatchObject({ status: 403, alpacaCode: 40310000 });
    expect(String((error as Error).message)).not.toContain('wrong-secret-xyz');
  });

  it('refuses a data URL that is not http(s) on the first request', async () => {
    await expect(makeClient('ftp://example.test').getLatestBars(['AAPL'])).rejects.toThrow('alpaca dataUrl: unsupported protocol ftp:');
  });
});

// ---------------------------------------------------------------- odd servers

interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  raw?: string;
  hang?: boolean;
}

describe('AlpacaMarketDataClient against misbehaving servers', () => {
  let server: Server;
  let url: string;
  let script: (query: URLSearchParams, headers: IncomingHttpHeaders, n: number) => Scripted;
  let requests: URLSearchParams[];

  beforeEach(async () => {
    requests = [];
    server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      requests.push(query);
      const answer = script(query, req.headers, requests.length);
      if (answer.hang === true) return;
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.raw ?? JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  const bar = (day: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    t: `2024-01-${String(day).padStart(2, '0')}T05:00:00Z`,
    o: 1,
    h: 2,
    l: 0.5,
    c: 1.5,
    v: 100,
    n: 3,
    vw: 1.2,
    ...extra,
  });
  const params = { symbols: ['AAPL'], timeframe: '1Day', start: '2024-01-01' } as const;

  it('stops with AlpacaPaginationError when a page token comes back again', async () => {
    const tokens = ['A', 'B', 'A'];
    script = (_q, _h, n) => ({ body: { bars: { AAPL: [bar(n)] }, next_page_token: tokens[n - 1] ?? null } });
    const error = await makeClient(url).getAllBars(params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlpacaPaginationError);
    expect((error as Error).message).toContain("next_page_token 'A' a second time (after 3 pages)");
    expect(requests.map((q) => q.get('page_token'))).toEqual([null, 'A', 'B']);
  });

  it('stops after maxPages when tokens never end', async () => {
    script = (_q, _h, n) => ({ body: { bars: { AAPL: [bar(n)] }, next_page_token: `t${n}` } });
    await expect(makeClient(url, { maxPages: 4 }).getAllBars(params)).rejects.toThrow('still had more pages after 4');
    expect(requests).toHaveLength(4);
  });

  it.each([
    ['a price sent as a string', { bars: { AAPL: [bar(2), bar(3, { o: '163.02' })] }, next_page_token: null }, 'bars.AAPL[1].o'],
    ['a missing trade count', { bars: { AAPL: [bar(2, { n: undefined })] }, next_page_token: null }, 'bars.AAPL[0].n'],
    ['a time that is not RFC-3339', { bars: { AAPL: [bar(2, { t: 1704171600 })] }, next_page_token: null }, 'bars.AAPL[0].t'],
    ['a symbol that was not asked for', { bars: { TSLA: [bar(2)] }, next_page_token: null }, 'bars.TSLA'],
    ['bars that are not a list', { bars: { AAPL: bar(2) }, next_page_token: null }, 'bars.AAPL'],
    ['no next_page_token', { bars: {} }, 'next_page_token'],
    ['an empty next_page_token', { bars: {}, next_page_token: '' }, 'next_page_token'],
    ['a body that is a list', [], 'bars response'],
  ])('throws AlpacaProtocolError naming the field for %s', async (_what, body, field) => {
    script = () => ({ body });
    const error = await makeClient(url).getAllBars(params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlpacaProtocolError);
    expect(error).toMatchObject({ field });
  });

  it('throws AlpacaProtocolError for a body that is not JSON', async () => {
    script = () => ({ raw: '<html>' });
    await expect(makeClient(url).getBars(params)).rejects.toThrow(AlpacaProtocolError);
  });

  it('reads a null bars object as no bars', async () => {
    script = () => ({ body: { bars: null, next_page_token: null } });
    expect((await makeClient(url).getAllBars(params)).size).toBe(0);
  });

  it('refuses a bar that repeats or goes back in time across pages', async () => {
    script = (_q, _h, n) => ({ body: { bars: { AAPL: n === 1 ? [bar(2), bar(3)] : [bar(3)] }, next_page_token: n === 1 ? 'next' : null } });
    const error = await makeClient(url).getAllBars(params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlpacaProtocolError);
    expect(error).toMatchObject({ field: 'bars.AAPL[2].t' });
  });

  it('checks the shape of latest bars: one object per symbol', async () => {
    script = () => ({ body: { bars: { AAPL: [bar(2)] } } });
    await expect(makeClient(url).getLatestBars(['AAPL'])).rejects.toMatchObject({ field: 'bars.AAPL' });
  });

  it('waits as Retry-After says on 429, with seeded jitter, then succeeds', async () => {
    script = (_q, _h, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' }, body: { code: 42910000, message: 'rate limit exceeded' } } : { body: { bars: {}, next_page_token: null } });
    const waits: number[] = [];
    const client = makeClient(url, { sleep: async (ms) => void waits.push(ms) });
    await client.getBars(params);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(waits[0]).toBeLessThanOrEqual(2001);
    expect(requests).toHaveLength(2);
  });

  it('gives up on 5xx after maxRetries, and does not retry a 422', async () => {
    script = () => ({ status: 503, body: { code: 50300000, message: 'unavailable' } });
    const waits: number[] = [];
    await expect(makeClient(url, { maxRetries: 2, sleep: async (ms) => void waits.push(ms) }).getBars(params)).rejects.toMatchObject({ status: 503 });
    expect(requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
    requests = [];
    script = () => ({ status: 422, body: { code: 42210000, message: 'invalid timeframe' } });
    await expect(makeClient(url).getBars(params)).rejects.toMatchObject({ status: 422, alpacaCode: 42210000, alpacaMessage: 'invalid timeframe' });
    expect(requests).toHaveLength(1);
  });

  it('times out a request that gets no answer', async () => {
    script = () => ({ hang: true });
    const error = await makeClient(url, { timeoutMs: 150, maxRetries: 0 }).getBars(params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlpacaNetworkError);
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('sends the key pair as headers and scrubs it from echoed messages', async () => {
    script = (_q, headers) => ({ status: 400, body: { code: 40010000, message: `bad key ${String(headers['apca-api-key-id'])} / ${String(headers['apca-api-secret-key'])}` } });
    const error = await makeClient(url).getBars(params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlpacaApiError);
    expect((error as Error).message).toBe('Alpaca GET /v2/stocks/bars?symbols=AAPL&timeframe=1Day&start=2024-01-01 failed with HTTP 400 (code 40010000): bad key [redacted] / [redacted]');
  });
});
