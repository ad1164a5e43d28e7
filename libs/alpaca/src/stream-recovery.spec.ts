import { SeededRng } from '@quantbot/core';
import { AlpacaClient } from './alpaca-client';
import { AlpacaBarStream, AlpacaTradeStream } from './alpaca-streams';
import type { AlpacaCredentials } from './credentials';
import { startFakeAlpacaServer } from './fake';
import type { FakeAlpacaServer, FakeBar } from './fake';
import { AlpacaStreamError } from './stream-connection';
import type { StreamState } from './stream-connection';
import type { AlpacaStreamBar } from './stream-types';
import { until } from './wait.spec-helper';

const KEY = 'PKRECOVERY01';
const SECRET = 'recovery-secret-never-logged-9';
const OPEN = Date.parse('2024-03-05T14:30:00Z');
const minuteBar = (minute: number, close: number): FakeBar => ({ time: OPEN + minute * 60_000, open: close, high: close + 1, low: close - 1, close, volume: 1_000 });

describe('a stream whose catch-up fails', () => {
  let server: FakeAlpacaServer;
  let credentials: AlpacaCredentials;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => OPEN + 10 * 60_000, seed: 3 });
    credentials = { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' };
    closers.push(() => server.close());
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('rejects start() when the first recovery fails, instead of waiting forever, and closes the stream', async () => {
    const states: StreamState[] = [];
    const stream = new AlpacaBarStream({
      credentials,
      url: server.url,
      symbols: ['SPY'],
      startAfter: OPEN,
      now: () => performance.now(),
      rng: new SeededRng(1),
      connectTimeoutMs: 1_000,
      onBar: () => undefined,
      onState: (state) => states.push(state),
      recoverBars: async () => Promise.reject(new Error('GET /v2/stocks/bars: connection refused')),
    });
    closers.push(() => stream.close());
    const started = stream.start();
    await expect(started).rejects.toBeInstanceOf(AlpacaStreamError);
    await expect(started).rejects.toThrow('recovery after connecting failed: GET /v2/stocks/bars: connection refused');
    expect(stream.state).toBe('closed');
    expect(states.at(-1)).toBe('closed');
  });

  it('drops the connection when a recovery after a reconnect fails, and recovers the gap on the next one', async () => {
    let failures = 1;
    const received: { close: number; recovered: boolean }[] = [];
    const stream = new AlpacaBarStream({
      credentials,
      url: server.url,
      symbols: ['SPY'],
      now: () => performance.now(),
      rng: new SeededRng(2),
      heartbeatIntervalMs: 1_000,
      reconnectBaseMs: 20,
      reconnectMaxMs: 20,
      onBar: (bar: AlpacaStreamBar, recovered: boolean) => received.push({ close: bar.close, recovered }),
      recoverBars: async (_symbol, after) => {
        if (failures-- > 0) throw new Error('GET /v2/stocks/bars: HTTP 503');
        return server.state.barStore.bars('SPY', '1Min').filter((b) => b.time > after).map((b) => ({ symbol: 'SPY', ...b, tradeCount: 1, vwap: b.close }));
      },
    });
    closers.push(() => stream.close());
    await stream.start();
    server.state.pushBar('SPY', minuteBar(0, 500));
    await until(() => received.length === 1, 'a streamed bar');
    server.faults.dropStreams();
    server.state.pushBar('SPY', minuteBar(1, 501)); // while nobody listens: only a recovery delivers it
    await until(() => received.length === 2, 'the recovered bar', 5_000);
    expect(received).toEqual([
      { close: 500, recovered: false },
      { close: 501, recovered: true },
    ]);
    // The failed recovery cost a connection: the first reconnect was dropped, the second recovered.
    expect(stream.connections).toBeGreaterThanOrEqual(3);
    expect(stream.state).toBe('ready');
  });

  it('a trade stream retries a failed gap recovery on a new connection', async () => {
    const client = new AlpacaClient({ credentials, now: () => OPEN, rng: new SeededRng(5), timeoutMs: 2_000, backoffBaseMs: 5, maxRetries: 0 });
    closers.push(() => client.close());
    const recoveries: number[] = [];
    const errors: string[] = [];
    const stream = new AlpacaTradeStream({
      credentials,
      client,
      now: () => performance.now(),
      rng: new SeededRng(9),
      heartbeatIntervalMs: 1_000,
      reconnectBaseMs: 20,
      reconnectMaxMs: 20,
      connectTimeoutMs: 1_000,
      onChange: () => undefined,
      onError: (error) => errors.push(error.message),
      onRecovered: (summary) => recoveries.push(summary.ordersChecked),
    });
    closers.push(() => stream.close());
    await stream.start();
    server.faults.failNext(1, 503);
    server.faults.dropStreams();
    await until(() => recoveries.length === 1, 'a recovery that succeeded', 5_000);
    expect(errors.some((m) => m.startsWith('recovery after reconnecting failed'))).toBe(true);
    expect(stream.state).toBe('ready');
  });
});

describe('keep-alive frames', () => {
  it('are not reported as invalid JSON', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (socket) => {
      socket.on('message', (raw: Buffer) => {
        const message = JSON.parse(raw.toString()) as { action: string };
        if (message.action === 'auth') socket.send(JSON.stringify({ stream: 'authorization', data: { status: 'authorized', action: 'authenticate' } }));
        if (message.action === 'listen') {
          socket.send(JSON.stringify({ stream: 'listening', data: { streams: ['trade_updates'] } }));
          socket.send('');
          socket.send(Buffer.from(''));
          socket.send('not json');
        }
      });
    });
    const port = (wss.address() as { port: number }).port;
    const client = new AlpacaClient({ credentials: { keyId: KEY, secretKey: SECRET, baseUrl: `http://127.0.0.1:${port}`, mode: 'custom' }, now: () => OPEN, rng: new SeededRng(1) });
    const errors: string[] = [];
    const stream = new AlpacaTradeStream({
      credentials: { keyId: KEY, secretKey: SECRET, baseUrl: `http://127.0.0.1:${port}`, mode: 'custom' },
      client,
      now: () => performance.now(),
      rng: new SeededRng(3),
      onChange: () => undefined,
      onError: (error) => errors.push(error.message),
    });
    try {
      await stream.start();
      await until(() => errors.length > 0, 'the invalid frame reported');
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Only the frame that is neither empty nor JSON is reported (before, the two empty ones were too).
      expect(errors).toEqual(['a stream message is not valid JSON; ignored']);
    } finally {
      await stream.close();
      await client.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
