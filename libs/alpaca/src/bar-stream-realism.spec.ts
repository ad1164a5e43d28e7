import { SeededRng, ticker } from '@quantbot/core';
import { AlpacaBarStream, recoverBarsFromRest } from './alpaca-streams';
import type { BarDropReason } from './alpaca-streams';
import type { AlpacaCredentials } from './credentials';
import { FakeMarketReplay, seededMinuteDay, startFakeAlpacaServer } from './fake';
import type { FakeAlpacaServer, FakeAlpacaServerOptions } from './fake';
import { AlpacaMarketDataClient } from './market-data-client';
import type { AlpacaStreamBar } from './stream-types';
import { until } from './wait.spec-helper';

const KEY = 'PKREALISM001';
const SECRET = 'realism-secret-never-logged-7';
const OPEN = Date.parse('2024-03-05T14:30:00Z');
const SYMBOLS = ['AAA', 'BBB'] as const;

/** The bar stream client against the fake with its market-data realism switches on. */
describe('the bar stream client against realistic market data', () => {
  let server: FakeAlpacaServer;
  let replay: FakeMarketReplay;
  let credentials: AlpacaCredentials;
  const closers: (() => Promise<void>)[] = [];

  const start = async (bars: number, options: Partial<FakeAlpacaServerOptions> = {}, sparseMinutes = 0): Promise<void> => {
    replay = new FakeMarketReplay({ universe: seededMinuteDay(4, SYMBOLS.map((s) => ticker(s)), bars), endSessions: false, sparseMinutes, seed: 9 });
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 21, ...options, ...replay.serverOptions() });
    replay.attach(server);
    credentials = { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' };
    closers.push(() => server.close());
  };

  interface Seen {
    readonly bars: { symbol: string; minute: number; recovered: boolean }[];
    readonly dropped: { symbol: string; minute: number; reason: BarDropReason }[];
    readonly errors: string[];
    readonly stream: AlpacaBarStream;
  }

  const listen = async (startAfter?: number): Promise<Seen> => {
    const seen: Seen = { bars: [], dropped: [], errors: [], stream: undefined as unknown as AlpacaBarStream };
    const data = new AlpacaMarketDataClient({ credentials, dataUrl: server.url, now: () => replay.now(), rng: new SeededRng(2), backoffBaseMs: 5 });
    const minute = (bar: AlpacaStreamBar): number => (bar.time - OPEN) / 60_000;
    const stream = new AlpacaBarStream({
      credentials,
      url: server.url,
      symbols: [...SYMBOLS],
      ...(startAfter !== undefined ? { startAfter } : {}),
      now: () => performance.now(),
      rng: new SeededRng(3),
      heartbeatIntervalMs: 60_000,
      reconnectBaseMs: 10,
      reconnectMaxMs: 20,
      onBar: (bar, recovered) => seen.bars.push({ symbol: bar.symbol, minute: minute(bar), recovered }),
      onDroppedBar: (bar, reason) => seen.dropped.push({ symbol: bar.symbol, minute: minute(bar), reason }),
      onError: (error) => seen.errors.push(error.message),
      recoverBars: recoverBarsFromRest(data),
    });
    (seen as { stream: AlpacaBarStream }).stream = stream;
    closers.push(() => data.close(), () => stream.close());
    await stream.start();
    return seen;
  };

  /** Every bar delivered at most once per symbol and minute, each symbol's in increasing time. */
  const expectOncePerSymbolInOrder = (seen: Seen): void => {
    for (const symbol of SYMBOLS) {
      const minutes = seen.bars.filter((b) => b.symbol === symbol).map((b) => b.minute);
      expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
      expect(new Set(minutes).size).toBe(minutes.length);
    }
  };

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('recovers a gap of several minutes in time order across symbols, a minute of every symbol before the next minute', async () => {
    await start(6);
    for (let k = 0; k < 4; k++) replay.step(); // published before anyone subscribed: only REST has them
    const seen = await listen(OPEN - 60_000);
    // Before: AAA 0..3, then BBB 0..3, so a consumer gathering minutes saw BBB's as late.
    expect(seen.bars).toEqual([0, 1, 2, 3].flatMap((minute) => SYMBOLS.map((symbol) => ({ symbol, minute, recovered: true }))));
  });

  it('sparse minutes: an omitted symbol-minute is neither streamed nor served by REST, and the other symbols carry on', async () => {
    await start(40, {}, 0.3);
    const seen = await listen();
    let omitted = 0;
    for (let k = 0; k < 40; k++) omitted += replay.step()?.omitted ?? 0;
    const expected = 80 - omitted;
    await until(() => seen.bars.length === expected, 'every bar that was pushed');
    expect(omitted).toBeGreaterThan(5);
    for (const [s, symbol] of SYMBOLS.entries()) {
      const streamed = seen.bars.filter((b) => b.symbol === symbol).map((b) => b.minute);
      const kept = Array.from({ length: 40 }, (_, k) => k).filter((k) => !replay.omits(s, k));
      expect(streamed).toEqual(kept);
      expect(server.state.barStore.bars(symbol, '1Min').map((b) => (b.time - OPEN) / 60_000)).toEqual(kept);
    }
    expect(seen.dropped).toEqual([]);
    expect(seen.errors).toEqual([]);
  });

  it('duplicated bars: the second copy is dropped and reported as a duplicate, never delivered twice', async () => {
    await start(10, { barDelivery: { duplicate: 0.4 } });
    const seen = await listen();
    for (let k = 0; k < 10; k++) replay.step();
    const copies = server.state.barsStreamed - 20;
    expect(copies).toBeGreaterThan(2);
    await until(() => seen.bars.length === 20 && seen.dropped.length === copies, 'every bar and every copy');
    expect(seen.dropped.every((d) => d.reason === 'duplicate')).toBe(true);
    expect(seen.stream.droppedBars).toBe(copies);
    expectOncePerSymbolInOrder(seen);
  });

  it('out-of-order bars: minute t after t+1 of its symbol is dropped and reported as out of order', async () => {
    await start(6);
    const seen = await listen();
    replay.step();
    server.faults.reorderNextBars(1); // the next bar: AAA at minute 1, sent after AAA at minute 2
    replay.step();
    replay.step();
    replay.step();
    await until(() => seen.bars.length === 7 && seen.dropped.length === 1, 'the bars and the drop');
    expect(seen.dropped).toEqual([{ symbol: 'AAA', minute: 1, reason: 'out-of-order' }]);
    expect(seen.bars.filter((b) => b.symbol === 'AAA').map((b) => b.minute)).toEqual([0, 2, 3]);
    // REST history is truthful: the bar exists there.
    expect(server.state.barStore.bars('AAA', '1Min')).toHaveLength(4);
  });

  it('late bars: a bar sent after a later minute of another symbol is still delivered, in order for its symbol', async () => {
    await start(6);
    const seen = await listen();
    replay.step();
    server.faults.lateNextBars(1);
    replay.step(); // AAA 1 held, BBB 1 sent
    replay.step(); // BBB 1 ... then AAA 1 goes out before AAA 2 (its own next bar comes first)
    await until(() => seen.bars.length === 6, 'the bars');
    expect(seen.bars.map((b) => `${b.symbol}${b.minute}`)).toEqual(['AAA0', 'BBB0', 'BBB1', 'AAA1', 'AAA2', 'BBB2']);
    const bar = (minute: number): { time: number; open: number; high: number; low: number; close: number; volume: number } => ({ time: OPEN + minute * 60_000, open: 40, high: 41, low: 39, close: 40, volume: 100 });
    server.state.pushBar('AAA', bar(3));
    server.faults.lateNextBars(1);
    server.state.pushBar('BBB', bar(3)); // held
    server.state.pushBar('AAA', bar(4)); // a later minute of another symbol: BBB 3 follows it
    await until(() => seen.bars.length === 9, 'the late bar');
    expect(seen.bars.slice(6).map((b) => `${b.symbol}${b.minute}`)).toEqual(['AAA3', 'AAA4', 'BBB3']);
    expect(seen.dropped).toEqual([]);
    expectOncePerSymbolInOrder(seen);
  });

  it.each(['ping', 'empty'] as const)('keep-alives (%s frames) are not reported as errors and keep the stream ready', async (frame) => {
    await start(4);
    const seen = await listen();
    replay.step();
    for (let i = 0; i < 5; i++) server.state.sendKeepAlives(frame);
    replay.step();
    await until(() => seen.bars.length === 4, 'the bars around the keep-alives');
    expect(seen.errors).toEqual([]);
    expect(seen.stream.state).toBe('ready');
    expect(seen.stream.connections).toBe(1);
  });
});
