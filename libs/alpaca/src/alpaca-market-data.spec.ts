import type { BarSeries, BarUniverse, EpochMs, Ticker } from '@quantbot/core';
import { ConfigError, DataError, SeededRng, epochMs, ticker } from '@quantbot/core';
import { AlpacaMarketData } from './alpaca-market-data';
import type { UniverseAligner } from './alpaca-market-data';
import { AlpacaProtocolError } from './alpaca-types';
import { FakeBarStore, startFakeMarketDataServer } from './fake';
import type { FakeMarketDataServer } from './fake';
import { AlpacaMarketDataClient } from './market-data-client';

const KEY = 'PKADAPTER';
const SECRET = 'adapter-secret';
const DAY = 86_400_000;
const NOW = Date.parse('2024-08-01T12:00:00Z');
const at = (iso: string): EpochMs => epochMs(Date.parse(iso));

/** A minimal stand-in for market-data's alignUniverse (which this library may not import): union of times. */
const align: UniverseAligner = (series, range) => {
  const times = [...new Set(series.flatMap((s) => Array.from(s.time)))]
    .filter((t) => (range.start === undefined || t >= range.start) && (range.end === undefined || t <= range.end))
    .sort((a, b) => a - b);
  const length = times.length;
  const cells = series.length * length;
  const column = (): Float64Array => new Float64Array(cells).fill(NaN);
  const u = { open: column(), high: column(), low: column(), close: column(), volume: column(), hasBar: new Uint8Array(cells) };
  series.forEach((s, si) => {
    for (let i = 0; i < s.length; i++) {
      const k = times.indexOf(s.time[i] as number);
      if (k < 0) continue;
      const cell = si * length + k;
      u.open[cell] = s.open[i] as number;
      u.high[cell] = s.high[i] as number;
      u.low[cell] = s.low[i] as number;
      u.close[cell] = s.close[i] as number;
      u.volume[cell] = s.volume[i] as number;
      u.hasBar[cell] = 1;
    }
  });
  return { symbols: series.map((s) => s.symbol), length, time: Float64Array.from(times), ...u };
};

/** Business days from `first` (a UTC date), as Quantbot stamps daily bars: 00:00 UTC. */
function dailySeries(symbol: string, first: string, count: number, seed: number): BarSeries {
  const rng = new SeededRng(seed);
  const time: number[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); time.length < count; t += DAY) {
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) time.push(t);
  }
  const close = time.map((_, i) => Math.round((100 + i + rng.nextFloat()) * 100) / 100);
  return {
    symbol: ticker(symbol),
    length: count,
    time: Float64Array.from(time),
    open: Float64Array.from(close, (c) => c - 0.5),
    high: Float64Array.from(close, (c) => c + 1),
    low: Float64Array.from(close, (c) => c - 1),
    close: Float64Array.from(close),
    volume: Float64Array.from(close, (_, i) => 1000 + i),
    adjClose: null,
  };
}

describe('AlpacaMarketData (the MarketData port over Alpaca bars)', () => {
  let store: FakeBarStore;
  let server: FakeMarketDataServer;
  let client: AlpacaMarketDataClient;
  const aapl = dailySeries('AAPL', '2024-02-26', 40, 1); // spans the 2024-03-10 DST change
  const msft = dailySeries('MSFT', '2024-02-28', 30, 2);

  beforeEach(async () => {
    store = new FakeBarStore();
    store.addSeries([aapl, msft]);
    server = await startFakeMarketDataServer({ store, credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW });
    client = new AlpacaMarketDataClient({ credentials: { keyId: KEY, secretKey: SECRET }, dataUrl: server.url, now: () => NOW, rng: new SeededRng(3) });
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('loads daily bars stamped at 00:00 UTC of their session, across pages, into a universe', async () => {
    const data = new AlpacaMarketData({ client, align, pageLimit: 7 });
    const universe = await data.loadBars({ symbols: [ticker('MSFT'), ticker('AAPL')], start: at('2024-03-01T00:00:00Z'), end: at('2024-03-29T00:00:00Z') });
    expect(universe.symbols).toEqual(['MSFT', 'AAPL']);
    expect(universe.time[0]).toBe(Date.parse('2024-03-01T00:00:00Z'));
    expect(universe.time[universe.length - 1]).toBe(Date.parse('2024-03-29T00:00:00Z')); // the end date is included
    expect(Array.from(universe.time).every((t) => t % DAY === 0)).toBe(true);
    expect(universe.length).toBe(21);
    // AAPL's bars are exactly the stored ones in the range (symbol index 1).
    const from = Array.from(aapl.time).indexOf(Date.parse('2024-03-01T00:00:00Z'));
    expect(Array.from(universe.close.subarray(universe.length, 2 * universe.length))).toEqual(Array.from(aapl.close.subarray(from, from + 21)));
    expect(server.requests.length).toBeGreaterThan(5); // 42 bars, 7 a page
  });

  it('asks Alpaca for New York midnight of the start through the last second of the end date', async () => {
    const data = new AlpacaMarketData({ client, align, feed: 'sip', adjustment: 'split' });
    await data.loadSeries({ symbols: [ticker('AAPL')], start: at('2024-03-01T00:00:00Z'), end: at('2024-03-29T00:00:00Z') });
    const q = new URL(server.requests[0]?.slice(4) ?? '', 'http://x').searchParams;
    expect(Object.fromEntries(q)).toEqual({
      symbols: 'AAPL',
      timeframe: '1Day',
      start: '2024-03-01T00:00:00-05:00',
      end: '2024-03-29T23:59:59-04:00',
      limit: '10000',
      feed: 'sip',
      adjustment: 'split',
    });
  });

  it('keeps intraday instants and sends the bounds as they are', async () => {
    const minute = Date.parse('2024-03-04T14:30:00Z');
    store.addBars('AAPL', '1Min', [0, 1, 2].map((i) => ({ time: minute + i * 60_000, open: 1, high: 2, low: 0.5, close: 1 + i, volume: 10 })));
    const data = new AlpacaMarketData({ client, align, timeframe: '1Min' });
    const [series] = await data.loadSeries({ symbols: [ticker('AAPL')], start: epochMs(minute + 60_000), end: epochMs(minute + 120_000) });
    expect(Array.from(series?.time ?? [])).toEqual([minute + 60_000, minute + 120_000]);
    expect(Array.from(series?.close ?? [])).toEqual([2, 3]);
  });

  it('returns an empty series for a symbol without bars, and refuses it in a universe', async () => {
    const data = new AlpacaMarketData({ client, align });
    const request = { symbols: [ticker('AAPL'), ticker('NOPE')] as Ticker[], start: at('2024-03-01T00:00:00Z'), end: at('2024-03-08T00:00:00Z') };
    const series = await data.loadSeries(request);
    expect(series.map((s) => s.length)).toEqual([6, 0]);
    await expect(data.loadBars(request)).rejects.toThrow(DataError);
    await expect(data.loadBars(request)).rejects.toThrow('symbol NOPE: Alpaca returned no 1Day bars');
  });

  it('needs a start and a sane range before asking anything', async () => {
    const data = new AlpacaMarketData({ client, align });
    await expect(data.loadBars({ symbols: [ticker('AAPL')] })).rejects.toThrow(ConfigError);
    await expect(data.loadBars({ symbols: [], start: at('2024-03-01T00:00:00Z') })).rejects.toThrow('symbols');
    await expect(data.loadBars({ symbols: [ticker('AAPL')], start: at('2024-03-02T00:00:00Z'), end: at('2024-03-01T00:00:00Z') })).rejects.toThrow('is after end');
    expect(() => new AlpacaMarketData({ client, align, timeframe: '7Day' })).toThrow("timeframe: '7Day'");
    expect(server.requests).toEqual([]);
  });

  it('refuses two bars on one session date', async () => {
    const data = new AlpacaMarketData({
      align,
      client: {
        getAllBars: () =>
          Promise.resolve(
            new Map([
              [
                'AAPL',
                [Date.parse('2024-03-04T05:00:00Z'), Date.parse('2024-03-04T20:00:00Z')].map((time) => ({ time, open: 1, high: 1, low: 1, close: 1, volume: 1, tradeCount: 1, vwap: 1 })),
              ],
            ]),
          ),
      },
    });
    await expect(data.loadSeries({ symbols: [ticker('AAPL')], start: at('2024-03-01T00:00:00Z') })).rejects.toThrow(AlpacaProtocolError);
  });

  it('is usable wherever a MarketData port is expected', async () => {
    const port: { loadBars(r: { symbols: readonly Ticker[]; start?: EpochMs; end?: EpochMs }): Promise<BarUniverse> } = new AlpacaMarketData({ client, align });
    const universe = await port.loadBars({ symbols: [ticker('MSFT')], start: at('2024-04-01T00:00:00Z') });
    expect(universe.time[universe.length - 1]).toBe(Array.from(msft.time).pop());
  });
});
