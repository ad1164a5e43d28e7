import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { SeededRng } from '@quantbot/core';
import { FakeBarStore, startFakeMarketDataServer } from './fake';
import type { FakeMarketDataServer } from './fake';
import { AlpacaMarketDataClient } from './market-data-client';

const KEY = 'PKFIXMD';
const SECRET = 'fixture-md-secret';
const headers = { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET };

type Json = Record<string, unknown>;

const fixture = (name: string): Json => JSON.parse(readFileSync(join(__dirname, '..', 'test-fixtures', `${name}.json`), 'utf8')) as Json;

/** Same key set; where both sides are non-null, the same JSON type. */
function expectSameShape(actual: Json, expected: Json, where: string): void {
  expect([where, Object.keys(actual).sort()]).toEqual([where, Object.keys(expected).sort()]);
  for (const key of Object.keys(expected)) {
    if (actual[key] === null || expected[key] === null) continue;
    expect([`${where}.${key}`, typeof actual[key]]).toEqual([`${where}.${key}`, typeof expected[key]]);
  }
}

/** The first bar of the first symbol of a `bars` object (a list per symbol, or one bar per symbol). */
function firstBar(body: Json): Json {
  const bySymbol = body['bars'] as Record<string, Json | Json[]>;
  const first = Object.values(bySymbol)[0];
  return (Array.isArray(first) ? first[0] : first) as Json;
}

describe("the fake's market-data responses have the shape of Alpaca's documented examples", () => {
  let server: FakeMarketDataServer;

  beforeAll(async () => {
    const store = new FakeBarStore();
    for (const [symbol, base] of [['AAPL', 163.02], ['TSLA', 815.72]] as const) {
      store.addBars(symbol, '1Day', [{ time: Date.parse('2022-02-28T05:00:00Z'), open: base, high: base + 2, low: base - 1, close: base + 1, volume: 90_552_883 }]);
      store.addBars(symbol, '1Min', [{ time: Date.parse('2022-08-17T08:57:00Z'), open: base, high: base, low: base, close: base, volume: 751 }]);
    }
    server = await startFakeMarketDataServer({ store, credentials: { keyId: KEY, secretKey: SECRET }, now: () => Date.parse('2022-08-17T09:00:00Z') });
  });
  afterAll(() => server.close());

  const getJson = async (path: string): Promise<Json> => {
    const res = await request(`${server.url}${path}`, { headers });
    expect(res.statusCode).toBe(200);
    return (await res.body.json()) as Json;
  };

  it('multi-symbol bars (GET /v2/stocks/bars)', async () => {
    const expected = fixture('bars');
    const actual = await getJson('/v2/stocks/bars?symbols=AAPL,TSLA&timeframe=1Day&start=2022-02-28&end=2022-02-28T23:59:59Z');
    expectSameShape(actual, expected, 'response');
    expect(Object.keys(actual['bars'] as Json)).toEqual(Object.keys(expected['bars'] as Json));
    expectSameShape(firstBar(actual), firstBar(expected), 'bar');
    expect(firstBar(actual)['t']).toBe(firstBar(expected)['t']);
  });

  it('latest bars (GET /v2/stocks/bars/latest)', async () => {
    const expected = fixture('latest-bars');
    const actual = await getJson('/v2/stocks/bars/latest?symbols=AAPL,TSLA');
    expectSameShape(actual, expected, 'response');
    expect(Object.keys(actual['bars'] as Json).sort()).toEqual(Object.keys(expected['bars'] as Json).sort());
    expectSameShape(firstBar(actual), firstBar(expected), 'bar');
  });

  it('given the documented bars, the fake answers the documented body exactly, and the client parses it', async () => {
    const store = new FakeBarStore();
    const documented = fixture('bars')['bars'] as Record<string, { t: string; o: number; h: number; l: number; c: number; v: number; n: number; vw: number }[]>;
    for (const [symbol, bars] of Object.entries(documented)) {
      store.addBars(symbol, '1Day', bars.map((b) => ({ time: Date.parse(b.t), open: b.o, high: b.h, low: b.l, close: b.c, volume: b.v, tradeCount: b.n, vwap: b.vw })));
    }
    const fake = await startFakeMarketDataServer({ store, credentials: { keyId: KEY, secretKey: SECRET }, now: () => Date.parse('2022-03-01T00:00:00Z') });
    const client = new AlpacaMarketDataClient({ credentials: { keyId: KEY, secretKey: SECRET }, dataUrl: fake.url, now: () => 0, rng: new SeededRng(1) });
    try {
      const raw = await request(`${fake.url}/v2/stocks/bars?symbols=AAPL,TSLA&timeframe=1Day&start=2022-02-28`, { headers });
      expect(await raw.body.json()).toEqual(fixture('bars'));
      const bars = await client.getAllBars({ symbols: ['AAPL', 'TSLA'], timeframe: '1Day', start: '2022-02-28' });
      expect(bars.get('TSLA')).toEqual([
        { time: Date.parse('2022-02-28T05:00:00Z'), open: 815.72, high: 876.86, low: 814.7075, close: 870.43, volume: 32_122_773, tradeCount: 848_700, vwap: 855.748243 },
      ]);
    } finally {
      await client.close();
      await fake.close();
    }
  });
});
