import { request } from 'undici';
import type { BarSeries, BarUniverse, Ticker } from '@quantbot/core';
import { DataError, ticker } from '@quantbot/core';
import { FakeBarStore, routeMarketData } from './fake-market-data';
import type { FakeBarInput } from './fake-market-data';
import { startFakeMarketDataServer } from './fake-market-data-server';
import type { FakeMarketDataServer } from './fake-market-data-server';

const KEY = 'PKDATAKEY';
const SECRET = 'data-secret-123';
const headers = { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET };
const DAY = 86_400_000;
const NOW = Date.parse('2024-01-10T15:00:00Z');

/** Daily bars stamped as Alpaca stamps them, 00:00 New York (05:00Z in January). */
function dailyBars(firstDate: string, count: number, base: number): FakeBarInput[] {
  const first = Date.parse(`${firstDate}T05:00:00Z`);
  return Array.from({ length: count }, (_, i) => ({
    time: first + i * DAY,
    open: base + i,
    high: base + i + 1,
    low: base + i - 1,
    close: base + i + 0.5,
    volume: 1000 + i,
  }));
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

describe('the fake market-data API', () => {
  let store: FakeBarStore;
  let server: FakeMarketDataServer;

  const get = async (pathAndQuery: string, auth: Record<string, string> = headers): Promise<Reply> => {
    const res = await request(`${server.url}${pathAndQuery}`, { headers: auth });
    expect(res.headers['content-type']).toMatch(/application\/json/);
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  beforeEach(async () => {
    store = new FakeBarStore();
    // 2024-01-02 .. 2024-01-11 (10 days; the last one is after NOW and must stay invisible).
    store.addBars('MSFT', '1Day', dailyBars('2024-01-02', 10, 370));
    store.addBars('AAPL', '1D', dailyBars('2024-01-02', 4, 185));
    server = await startFakeMarketDataServer({ store, credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW });
  });

  afterEach(() => server.close());

  it('serves all symbols, sorted, in the documented shape', async () => {
    const { status, body } = await get('/v2/stocks/bars?symbols=MSFT,AAPL&timeframe=1Day&start=2024-01-01T00:00:00Z&end=2024-01-03T23:59:59Z');
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['bars', 'next_page_token']);
    expect(body['next_page_token']).toBeNull();
    const bars = body['bars'] as Record<string, unknown[]>;
    expect(Object.keys(bars)).toEqual(['AAPL', 'MSFT']);
    expect(bars['AAPL']).toEqual([
      { t: '2024-01-02T05:00:00Z', o: 185, h: 186, l: 184, c: 185.5, v: 1000, n: 10, vw: 185.1667 },
      { t: '2024-01-03T05:00:00Z', o: 186, h: 187, l: 185, c: 186.5, v: 1001, n: 10, vw: 186.1667 },
    ]);
    expect(bars['MSFT']).toHaveLength(2);
  });

  it('pages with limit across symbols, in symbol order, until the token is null', async () => {
    const base = '/v2/stocks/bars?symbols=AAPL,MSFT&timeframe=1Day&start=2024-01-01&limit=3';
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await get(token === null ? base : `${base}&page_token=${encodeURIComponent(token)}`);
      expect(status).toBe(200);
      const bars = body['bars'] as Record<string, { t: string }[]>;
      const count = Object.values(bars).reduce((n, list) => n + list.length, 0);
      expect(count).toBeLessThanOrEqual(3);
      for (const [symbol, list] of Object.entries(bars)) for (const bar of list) seen.push(`${symbol} ${bar.t.slice(0, 10)}`);
      token = body['next_page_token'] as string | null;
      pages++;
    } while (token !== null && pages < 10);
    expect(pages).toBe(5); // 4 AAPL + 9 visible MSFT bars, 3 a page
    expect(seen).toEqual([
      ...['02', '03', '04', '05'].map((d) => `AAPL 2024-01-${d}`),
      ...['02', '03', '04', '05', '06', '07', '08', '09', '10'].map((d) => `MSFT 2024-01-${d}`),
    ]);
  });

  it('never serves a bar that starts after its clock, whatever the end asked for', async () => {
    const { body } = await get('/v2/stocks/bars?symbols=MSFT&timeframe=1Day&start=2024-01-09&end=2024-02-01');
    const bars = body['bars'] as Record<string, { t: string }[]>;
    expect(bars['MSFT']?.map((b) => b.t)).toEqual(['2024-01-09T05:00:00Z', '2024-01-10T05:00:00Z']);
  });

  it('reads a bare date as 00:00 New York, and both bounds as inclusive', async () => {
    const { body } = await get('/v2/stocks/bars?symbols=AAPL&timeframe=1Day&start=2024-01-03&end=2024-01-04');
    expect((body['bars'] as Record<string, { t: string }[]>)['AAPL']?.map((b) => b.t)).toEqual(['2024-01-03T05:00:00Z', '2024-01-04T05:00:00Z']);
  });

  it('defaults start to the beginning of the current New York day', async () => {
    const { body } = await get('/v2/stocks/bars?symbols=MSFT,AAPL&timeframe=1Day');
    expect(body['bars']).toEqual({ MSFT: [expect.objectContaining({ t: '2024-01-10T05:00:00Z' })] });
  });

  it('sorts descending within each symbol with sort=desc, and pages that way too', async () => {
    const first = await get('/v2/stocks/bars?symbols=AAPL&timeframe=1Day&start=2024-01-01&sort=desc&limit=3');
    expect((first.body['bars'] as Record<string, { t: string }[]>)['AAPL']?.map((b) => b.t.slice(8, 10))).toEqual(['05', '04', '03']);
    const token = first.body['next_page_token'] as string;
    const second = await get(`/v2/stocks/bars?symbols=AAPL&timeframe=1Day&start=2024-01-01&sort=desc&limit=3&page_token=${encodeURIComponent(token)}`);
    expect((second.body['bars'] as Record<string, { t: string }[]>)['AAPL']?.map((b) => b.t.slice(8, 10))).toEqual(['02']);
    expect(second.body['next_page_token']).toBeNull();
  });

  it('answers an empty bars object for a timeframe or symbol it has nothing for', async () => {
    expect((await get('/v2/stocks/bars?symbols=AAPL&timeframe=1Hour&start=2024-01-01')).body).toEqual({ bars: {}, next_page_token: null });
    expect((await get('/v2/stocks/bars?symbols=ZZZZ&timeframe=1Day&start=2024-01-01')).body).toEqual({ bars: {}, next_page_token: null });
  });

  it.each([
    ['timeframe=2Day', 422, 42210000, 'invalid timeframe'],
    ['timeframe=', 422, 42210000, 'invalid timeframe'],
    ['timeframe=1Day&start=yesterday', 400, 40010000, 'invalid start'],
    ['timeframe=1Day&start=2024-01-02T00:00:00.5Z', 400, 40010000, 'invalid start'],
    ['timeframe=1Day&start=2024-02-30', 400, 40010000, 'invalid start'],
    ['timeframe=1Day&start=2024-01-05&end=2024-01-04', 422, 40010001, 'end should not be before start'],
    ['timeframe=1Day&limit=0', 422, 40010001, 'invalid limit'],
    ['timeframe=1Day&limit=10001', 422, 40010001, 'invalid limit'],
    ['timeframe=1Day&feed=nasdaq', 422, 40010001, 'invalid feed'],
    ['timeframe=1Day&adjustment=some', 422, 40010001, 'invalid adjustment'],
    ['timeframe=1Day&sort=up', 422, 40010001, 'invalid sort'],
    ['timeframe=1Day&page_token=not-a-token', 400, 40010000, 'invalid page token'],
    ['timeframe=1Day&color=red', 400, 40010000, 'unexpected parameter(s): color'],
  ])('answers %s with %i and Alpaca code %i', async (query, status, code, message) => {
    const res = await get(`/v2/stocks/bars?symbols=AAPL&${query}`);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ code, message: expect.stringContaining(message) });
  });

  it('requires symbols and checks their form', async () => {
    expect((await get('/v2/stocks/bars?timeframe=1Day')).body).toEqual({ code: 40010000, message: 'missing symbols' });
    expect((await get('/v2/stocks/bars?symbols=AAPL,,MSFT&timeframe=1Day')).status).toBe(400);
  });

  it('serves the latest bar of each symbol, keyed by symbol', async () => {
    const { status, body } = await get('/v2/stocks/bars/latest?symbols=AAPL,MSFT,ZZZZ&feed=iex');
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['bars']);
    const bars = body['bars'] as Record<string, { t: string }>;
    expect(Object.keys(bars).sort()).toEqual(['AAPL', 'MSFT']);
    expect(bars['AAPL']?.t).toBe('2024-01-05T05:00:00Z');
    expect(bars['MSFT']?.t).toBe('2024-01-10T05:00:00Z'); // not the 01-11 bar: that is the future
  });

  it('prefers minute bars for the latest bar', async () => {
    store.addBars('AAPL', '1Min', [{ time: Date.parse('2024-01-10T14:59:00Z'), open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 }]);
    const { body } = await get('/v2/stocks/bars/latest?symbols=AAPL');
    expect((body['bars'] as Record<string, { t: string }>)['AAPL']?.t).toBe('2024-01-10T14:59:00Z');
  });

  it('refuses requests without the key pair with 403, and unknown paths with 404', async () => {
    expect((await get('/v2/stocks/bars/latest?symbols=AAPL', { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': 'wrong' })).status).toBe(403);
    expect((await get('/v2/stocks/AAPL/quotes')).status).toBe(404);
    expect(server.requests).toEqual(['GET /v2/stocks/bars/latest?symbols=AAPL', 'GET /v2/stocks/AAPL/quotes']);
  });
});

describe('routeMarketData', () => {
  const store = new FakeBarStore();

  it('leaves paths that are not market data to the caller', () => {
    expect(routeMarketData('GET', new URL('http://x/v2/account'), store, 0)).toBeUndefined();
    expect(routeMarketData('GET', new URL('http://x/v2/stocks/AAPL/bars'), store, 0)).toBeUndefined();
  });

  it('answers 405 to another method on a market-data path', () => {
    expect(routeMarketData('POST', new URL('http://x/v2/stocks/bars'), store, 0)).toEqual({
      status: 405,
      body: { code: 40510000, message: 'method not allowed' },
    });
  });
});

describe('FakeBarStore', () => {
  const series = (symbol: string, dates: readonly string[]): BarSeries => {
    const n = dates.length;
    const time = Float64Array.from(dates, (d) => Date.parse(`${d}T00:00:00Z`));
    const values = Float64Array.from({ length: n }, (_, i) => 10 + i);
    return { symbol: ticker(symbol), length: n, time, open: values, high: values, low: values, close: values, volume: values, adjClose: null };
  };

  it('keeps bars sorted by time whatever the order they were added in', () => {
    const store = new FakeBarStore();
    store.addBars('X', '1Min', [
      { time: 120_000, open: 1, high: 1, low: 1, close: 1, volume: 1 },
      { time: 60_000, open: 2, high: 2, low: 2, close: 2, volume: 2 },
    ]);
    store.addBars('X', '1T', [{ time: 90_000, open: 3, high: 3, low: 3, close: 3, volume: 3 }]);
    expect(store.bars('X', '1Min').map((b) => b.time)).toEqual([60_000, 90_000, 120_000]);
    expect(store.symbols).toEqual(['X']);
  });

  it('refuses a second bar at a stored time, and non-finite values, naming the symbol', () => {
    const store = new FakeBarStore();
    store.addBars('X', '1Day', [{ time: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 }]);
    expect(() => store.addBars('X', '1Day', [{ time: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 }])).toThrow(DataError);
    expect(() => store.addBars('Y', '1Day', [{ time: 1, open: NaN, high: 1, low: 1, close: 1, volume: 1 }])).toThrow('symbol Y');
  });

  it('files daily series at 00:00 New York, as Alpaca stamps daily bars', () => {
    const store = new FakeBarStore();
    store.addSeries([series('AAA', ['2024-01-02', '2024-07-02'])]);
    expect(store.bars('AAA', '1Day').map((b) => new Date(b.time).toISOString())).toEqual(['2024-01-02T05:00:00.000Z', '2024-07-02T04:00:00.000Z']);
  });

  it('keeps intraday instants as they are', () => {
    const store = new FakeBarStore();
    const s = series('AAA', ['2024-01-02']);
    store.addSeries({ ...s, time: Float64Array.of(Date.parse('2024-01-02T14:31:00Z')) }, { timeframe: '1Min' });
    expect(store.bars('AAA', '1Min')[0]?.time).toBe(Date.parse('2024-01-02T14:31:00Z'));
  });

  it('fills from a universe, skipping cells without a bar', () => {
    const store = new FakeBarStore();
    const universe: BarUniverse = {
      symbols: [ticker('AAA'), ticker('BBB')] as Ticker[],
      length: 2,
      time: Float64Array.of(Date.parse('2024-01-02T00:00:00Z'), Date.parse('2024-01-03T00:00:00Z')),
      open: Float64Array.of(1, 2, NaN, 4),
      high: Float64Array.of(1, 2, NaN, 4),
      low: Float64Array.of(1, 2, NaN, 4),
      close: Float64Array.of(1, 2, NaN, 4),
      volume: Float64Array.of(5, 6, NaN, 8),
      hasBar: Uint8Array.of(1, 1, 0, 1),
    };
    store.addUniverse(universe);
    expect(store.bars('AAA', '1Day').map((b) => b.close)).toEqual([1, 2]);
    expect(store.bars('BBB', '1Day').map((b) => [new Date(b.time).toISOString(), b.close])).toEqual([['2024-01-03T05:00:00.000Z', 4]]);
  });
});
