import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SeededRng } from '@quantbot/core';
import { WebSocket, WebSocketServer } from 'ws';
import { AlpacaClient } from '../alpaca-client';
import { AlpacaBarStream, AlpacaTradeStream } from '../alpaca-streams';
import type { AlpacaCredentials } from '../credentials';
import type { AlpacaStreamError } from '../stream-connection';
import type { StreamState } from '../stream-connection';
import { until } from '../wait.spec-helper';
import { startFakeAlpacaServer } from './fake-alpaca-server';
import type { FakeAlpacaServer, FakeAlpacaServerOptions } from './fake-alpaca-server';

const KEY = 'PKSTREAMLIM1';
const SECRET = 'stream-limits-secret-2236';
const NOW = Date.parse('2024-03-05T15:00:00Z');

/** A raw WebSocket client that records every message as parsed JSON. */
interface RawSocket {
  readonly socket: WebSocket;
  readonly messages: unknown[];
  closed(): Promise<number>;
}

const wsUrl = (server: FakeAlpacaServer, path: string): string => `${server.url.replace(/^http/, 'ws')}${path}`;

/** Opens `url`; resolves once open, or rejects with the handshake's HTTP status when refused. */
function openRaw(url: string): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages: unknown[] = [];
    const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as unknown));
    socket.on('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${String(res.statusCode)}`));
      socket.terminate();
    });
    socket.on('error', () => undefined);
    socket.on('open', () => resolve({ socket, messages, closed: () => closed }));
  });
}

const authMessage = { action: 'auth', key: KEY, secret: SECRET };

describe("the fake's stream limits and control errors (Alpaca: one connection per key and endpoint)", () => {
  let server: FakeAlpacaServer;
  const sockets: WebSocket[] = [];

  const start = async (options: Partial<FakeAlpacaServerOptions> = {}): Promise<void> => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 3, ...options });
  };
  const raw = async (path: string): Promise<RawSocket> => {
    const r = await openRaw(wsUrl(server, path));
    sockets.push(r.socket);
    return r;
  };

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    await server.close();
  });

  it('refuses a second trade_updates connection at the handshake with HTTP 429, and accepts one again once the first is gone', async () => {
    await start();
    const first = await raw('/stream');
    await expect(openRaw(wsUrl(server, '/stream'))).rejects.toThrow('HTTP 429');
    first.socket.close();
    await first.closed();
    // The server lets the connection go when its side of the close completes: retry briefly.
    let again: RawSocket | undefined;
    for (let i = 0; again === undefined && i < 50; i++) {
      again = await raw('/stream').catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return undefined;
      });
    }
    expect(again?.socket.readyState).toBe(WebSocket.OPEN);
    expect(server.state.streamConnections).toBe(2);
  });

  it('answers a second market-data connection of the key with error 406 and closes it; other feeds are separate endpoints', async () => {
    await start();
    const first = await raw('/v2/iex');
    first.socket.send(JSON.stringify(authMessage));
    await until(() => first.messages.length === 2, 'the first authentication');
    expect(first.messages).toEqual([[{ T: 'success', msg: 'connected' }], [{ T: 'success', msg: 'authenticated' }]]);
    const second = await raw('/v2/iex');
    second.socket.send(JSON.stringify(authMessage));
    await second.closed();
    expect(second.messages).toEqual([[{ T: 'success', msg: 'connected' }], [{ T: 'error', code: 406, msg: 'connection limit exceeded' }]]);
    const other = await raw('/v2/test');
    other.socket.send(JSON.stringify(authMessage));
    await until(() => other.messages.length === 2, 'authentication on another feed');
    expect(other.messages[1]).toEqual([{ T: 'success', msg: 'authenticated' }]);
    expect(first.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('answers Alpaca\'s control errors: 403 already authenticated, 410 invalid subscribe action, 400 invalid syntax, 401 not authenticated', async () => {
    await start();
    const s = await raw('/v2/iex');
    s.socket.send(JSON.stringify({ action: 'subscribe', bars: ['AAPL'] }));
    s.socket.send(JSON.stringify(authMessage));
    s.socket.send(JSON.stringify(authMessage));
    s.socket.send(JSON.stringify({ action: 'subscribe', news: ['AAPL'] }));
    s.socket.send(JSON.stringify({ action: 'subscribe', bars: 'AAPL' }));
    s.socket.send(JSON.stringify({ action: 'subscribe', bars: ['AAPL'] }));
    await until(() => s.messages.length === 7, 'every answer');
    expect(s.messages.slice(1)).toEqual([
      [{ T: 'error', code: 401, msg: 'not authenticated' }],
      [{ T: 'success', msg: 'authenticated' }],
      [{ T: 'error', code: 403, msg: 'already authenticated' }],
      [{ T: 'error', code: 410, msg: 'invalid subscribe action for this feed' }],
      [{ T: 'error', code: 400, msg: 'invalid syntax' }],
      [expect.objectContaining({ T: 'subscription', bars: ['AAPL'] })],
    ]);
    expect(s.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a market-data connection that does not authenticate in time with error 404 auth timeout', async () => {
    await start({ streamAuthTimeoutMs: 50 });
    const s = await raw('/v2/iex');
    await s.closed();
    expect(s.messages).toEqual([[{ T: 'success', msg: 'connected' }], [{ T: 'error', code: 404, msg: 'auth timeout' }]]);
  });

  it('refuses stream limits that are not positive, naming the option', async () => {
    await expect(start({ streamConnectionsPerKey: 0 })).rejects.toThrow(/streamConnectionsPerKey/);
    await expect(start({ streamAuthTimeoutMs: 0 })).rejects.toThrow(/streamAuthTimeoutMs/);
    await start({ streamConnectionsPerKey: 2 });
    await raw('/stream');
    expect((await raw('/stream')).socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe('the client treats a connection-limit refusal as temporary: it retries with backoff until the old connection is gone', () => {
  let server: FakeAlpacaServer;
  let credentials: AlpacaCredentials;
  const timing = { now: () => performance.now(), rng: new SeededRng(2), reconnectBaseMs: 10, reconnectMaxMs: 40, connectTimeoutMs: 1_000 };

  beforeEach(async () => {
    server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, now: () => NOW, seed: 3 });
    credentials = { keyId: KEY, secretKey: SECRET, baseUrl: server.url, mode: 'custom' };
  });
  afterEach(async () => {
    await server.close();
  });

  it('AlpacaTradeStream: refused with HTTP 429 while another connection holds the stream, ready once it closes', async () => {
    const holder = await openRaw(wsUrl(server, '/stream'));
    const client = new AlpacaClient({ credentials, now: () => NOW, rng: new SeededRng(1), timeoutMs: 2_000 });
    const states: StreamState[] = [];
    const errors: AlpacaStreamError[] = [];
    const stream = new AlpacaTradeStream({ ...timing, credentials, client, onChange: () => undefined, onState: (s) => states.push(s), onError: (e) => errors.push(e) });
    let ready = false;
    const started = stream.start().then(() => (ready = true));
    try {
      await until(() => states.filter((s) => s === 'reconnecting').length >= 2, 'two refused attempts');
      expect(ready).toBe(false);
      expect(errors.every((e) => !e.fatal)).toBe(true);
      holder.socket.close();
      await started;
      expect(stream.state).toBe('ready');
    } finally {
      holder.socket.terminate();
      await stream.close();
      await client.close();
    }
  });

  it('AlpacaBarStream: error 406 while another connection holds the feed is retried, not fatal', async () => {
    const holder = await openRaw(wsUrl(server, '/v2/iex'));
    holder.socket.send(JSON.stringify(authMessage));
    await until(() => holder.messages.length === 2, 'the holder to authenticate');
    const errors: AlpacaStreamError[] = [];
    const stream = new AlpacaBarStream({ ...timing, credentials, url: server.url, symbols: ['AAPL'], onBar: () => undefined, onError: (e) => errors.push(e) });
    const started = stream.start();
    try {
      await until(() => errors.filter((e) => e.message.includes('406')).length >= 2, 'two 406 refusals');
      expect(errors.filter((e) => e.message.includes('406'))[0]).toMatchObject({ fatal: false, message: 'market-data stream error 406: connection limit exceeded' });
      holder.socket.close();
      await started;
      expect(stream.state).toBe('ready');
    } finally {
      holder.socket.terminate();
      await stream.close();
    }
  });

  it.each<[number, string, boolean]>([
    [410, 'invalid subscribe action for this feed', true],
    [405, 'symbol limit exceeded', true],
    [404, 'auth timeout', false],
  ])('AlpacaBarStream: error %s (%s) at subscription is fatal: %s', async (code, msg, fatal) => {
    // A stub feed that authenticates, then answers the subscription with the error.
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify([{ T: 'success', msg: 'connected' }]));
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as { action: string };
        ws.send(JSON.stringify(m.action === 'auth' ? [{ T: 'success', msg: 'authenticated' }, { T: 'error', code: 403, msg: 'already authenticated' }] : [{ T: 'error', code, msg }]));
      });
    });
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const errors: AlpacaStreamError[] = [];
    const stream = new AlpacaBarStream({ ...timing, credentials, url, symbols: ['AAPL'], onBar: () => undefined, onError: (e) => errors.push(e) });
    const started = stream.start().then(
      () => 'ready',
      (e: unknown) => e,
    );
    try {
      if (fatal) {
        expect(await started).toMatchObject({ fatal: true, message: `market-data stream error ${code}: ${msg}` });
        expect(stream.state).toBe('closed');
      } else {
        await until(() => errors.filter((e) => e.message.includes(String(code))).length >= 2, 'two retried attempts');
        expect(stream.state).not.toBe('closed');
      }
      // 403 already authenticated is reported, never a reason to drop the connection.
      expect(errors.find((e) => e.message.includes('403'))).toMatchObject({ fatal: false, message: 'market-data stream error 403: already authenticated' });
    } finally {
      await stream.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((done) => http.close(() => done()));
    }
  });
});
