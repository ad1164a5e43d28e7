import { DataError, SeededRng } from '@quantbot/core';
import { AlpacaClient } from '../alpaca-client';
import { AlpacaBarStream, recoverBarsFromRest } from '../alpaca-streams';
import type { AlpacaCredentials } from '../credentials';
import { startFakeAlpacaServer } from './fake-alpaca-server';
import type { FakeAlpacaServer, FakeBar } from './fake-alpaca-server';
import { FakeBarStore } from './fake-market-data';
import { AlpacaMarketDataClient } from '../market-data-client';
import type { AlpacaStreamBar } from '../stream-types';
import { until } from '../wait.spec-helper';

const KEY = 'PKWIREDKEY01';
const SECRET = 'wired-secret-never-logged-31';
const OPEN = Date.parse('2024-03-05T14:30:00Z'); // a Tuesday, 09:30 New York

const minuteBar = (minute: number, close: number): FakeBar => ({
  time: OPEN + minute * 60_000,
  open: close - 0.5,
  high: close + 1,
  low: close - 1,
  close,
  volume: 1_000 + minute,
});

describe('the fake Alpaca server serves market data beside trading', () => {
  let nowMs = OPEN;
  let server: FakeAlpacaServer;
  let credentials: AlpacaCredentials;
  let data: AlpacaMarketDataClient;
  const closers: (() => Promise<void>)[] = [];

  const start = async (options: { barStore?: FakeBarStore; barTimeframe?: string } = {}): Promise<void> => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => nowMs, seed: 4, ...options });
    credentials = { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' };
    data = new AlpacaMarketDataClient({ credentials, dataUrl: server.url, now: () => nowMs, rng: new SeededRng(2), timeoutMs: 2_000, backoffBaseMs: 5 });
    closers.push(() => data.close(), () => server.close());
  };

  beforeEach(() => {
    nowMs = OPEN;
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('serves a pushed bar through GET /v2/stocks/bars and /latest once the clock has reached it', async () => {
    await start();
    server.state.pushBar('AAPL', minuteBar(0, 180));
    server.state.pushBar('AAPL', minuteBar(1, 181));
    nowMs = OPEN + 60_000; // the second bar has started: both are visible
    const bars = await data.getAllBars({ symbols: ['AAPL'], timeframe: '1Min', start: OPEN });
    expect(bars.get('AAPL')).toEqual([
      { time: OPEN, open: 179.5, high: 181, low: 179, close: 180, volume: 1_000, tradeCount: 10, vwap: 180 },
      { time: OPEN + 60_000, open: 180.5, high: 182, low: 180, close: 181, volume: 1_001, tradeCount: 10, vwap: 181 },
    ]);
    expect((await data.getLatestBars(['AAPL'])).get('AAPL')?.close).toBe(181);
    expect(server.state.barStore.bars('AAPL', '1Min')).toHaveLength(2);
    expect(server.state.requests.filter((r) => r.startsWith('GET /v2/stocks/bars'))).toHaveLength(2);
    nowMs = OPEN + 30_000; // before the second bar started: not served
    expect((await data.getAllBars({ symbols: ['AAPL'], timeframe: '1Min', start: OPEN })).get('AAPL')).toHaveLength(1);
  });

  it('files pushed bars under barTimeframe in a given store, next to bars already there', async () => {
    const barStore = new FakeBarStore();
    barStore.addBars('MSFT', '5Min', [{ ...minuteBar(-5, 400) }]);
    await start({ barStore, barTimeframe: '5Min' });
    expect(server.state.barStore).toBe(barStore);
    server.state.pushBar('MSFT', minuteBar(0, 401));
    nowMs = OPEN + 300_000;
    const bars = await data.getAllBars({ symbols: ['MSFT'], timeframe: '5Min', start: OPEN - 300_000 });
    expect(bars.get('MSFT')?.map((b) => b.close)).toEqual([400, 401]);
    expect((await data.getAllBars({ symbols: ['MSFT'], timeframe: '1Min', start: OPEN - 300_000 })).get('MSFT')).toBeUndefined();
  });

  it('refuses a second bar at a stored time without streaming it or filling against it', async () => {
    await start();
    const client = new AlpacaClient({ credentials, now: () => nowMs, rng: new SeededRng(3), timeoutMs: 2_000 });
    closers.push(() => client.close());
    server.state.pushBar('F', minuteBar(0, 12));
    await client.submitOrder({ symbol: 'F', qty: 1, side: 'buy', type: 'limit', limit_price: 5, time_in_force: 'gtc', client_order_id: 'dup-bar' });
    expect(() => server.state.pushBar('F', { ...minuteBar(0, 5), low: 4 })).toThrow(DataError);
    expect(server.state.orders()[0]?.status).toBe('new');
  });

  it('answers market-data requests with bad keys 401 and bad parameters as Alpaca does', async () => {
    await start();
    const wrong = new AlpacaMarketDataClient({ credentials: { keyId: KEY, secretKey: 'nope' }, dataUrl: server.url, now: () => nowMs, rng: new SeededRng(1), maxRetries: 0 });
    closers.push(() => wrong.close());
    await expect(wrong.getLatestBars(['AAPL'])).rejects.toMatchObject({ status: 401 });
    const res = await fetch(`${server.url}/v2/stocks/bars?symbols=AAPL&timeframe=7Sec`, { headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET } });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ code: 42210000, message: 'invalid timeframe' });
  });

  it('lets the bar stream recover a gap through the market-data client against the same fake, once', async () => {
    await start();
    const received: { bar: AlpacaStreamBar; recovered: boolean }[] = [];
    const gaps: { symbol: string; afterMs: number; recovered: number }[] = [];
    const push = (minute: number, close: number): void => {
      nowMs = OPEN + minute * 60_000;
      server.state.pushBar('SPY', minuteBar(minute, close));
    };
    const stream = new AlpacaBarStream({
      credentials,
      url: server.url,
      symbols: ['SPY'],
      now: () => performance.now(),
      rng: new SeededRng(1),
      heartbeatIntervalMs: 1_000,
      reconnectBaseMs: 150,
      reconnectMaxMs: 150,
      onBar: (bar, recovered) => received.push({ bar, recovered }),
      recoverBars: recoverBarsFromRest(data),
      onGap: (gap) => gaps.push({ ...gap }),
    });
    closers.push(() => stream.close());
    await stream.start();
    push(0, 500);
    push(1, 501);
    await until(() => received.length === 2, 'two streamed bars');
    server.faults.dropStreams();
    push(2, 502); // nobody is subscribed: only REST can deliver these
    push(3, 503);
    await until(() => gaps.length === 1, 'the gap recovery');
    push(4, 504);
    await until(() => received.length === 5, 'five bars');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received.map((r) => [r.bar.close, r.recovered])).toEqual([
      [500, false],
      [501, false],
      [502, true],
      [503, true],
      [504, false],
    ]);
    expect(gaps).toEqual([{ symbol: 'SPY', afterMs: OPEN + 60_000, recovered: 2 }]);
    // The recovered bars are the stored ones, field for field (trade count and VWAP included).
    const stored = server.state.barStore.bars('SPY', '1Min');
    expect(received.map((r) => ({ ...r.bar }))).toEqual(stored.map((b) => ({ symbol: 'SPY', ...b })));
    expect(server.state.requests.filter((r) => r.startsWith('GET /v2/stocks/bars?'))).toEqual([
      `GET /v2/stocks/bars?symbols=SPY&timeframe=1Min&start=${encodeURIComponent('2024-03-05T14:31:01Z')}`,
    ]);
  });

  it('backfills on its first connection from the last bar the caller has (startAfter)', async () => {
    await start();
    const received: { bar: AlpacaStreamBar; recovered: boolean }[] = [];
    for (const [minute, close] of [[0, 500], [1, 501], [2, 502]] as const) {
      nowMs = OPEN + minute * 60_000;
      server.state.pushBar('SPY', minuteBar(minute, close));
    }
    // The caller's history ends at minute 0; minutes 1 and 2 were published before it subscribed.
    const stream = new AlpacaBarStream({
      credentials,
      url: server.url,
      symbols: ['SPY'],
      startAfter: OPEN,
      now: () => performance.now(),
      rng: new SeededRng(2),
      onBar: (bar, recovered) => received.push({ bar, recovered }),
      recoverBars: recoverBarsFromRest(data),
    });
    closers.push(() => stream.close());
    await stream.start();
    nowMs = OPEN + 3 * 60_000;
    server.state.pushBar('SPY', minuteBar(3, 503));
    await until(() => received.length === 3, 'three bars');
    expect(received.map((r) => [r.bar.close, r.recovered])).toEqual([
      [501, true],
      [502, true],
      [503, false],
    ]);
  });
});
