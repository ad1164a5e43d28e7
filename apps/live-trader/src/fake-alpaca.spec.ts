import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SeededRng } from '@quantbot/core';
import { AlpacaBarStream, AlpacaClient, AlpacaMarketDataClient } from '@quantbot/alpaca';
import type { AlpacaCredentials, AlpacaStreamBar } from '@quantbot/alpaca';
import { main } from './main';
import { manualStopSignal } from './stop-signal';
import { until } from './wait.spec-helper';
import type { CliIo } from '@quantbot/cli';

const MAIN = resolve(__dirname, '..', 'dist', 'main.js');
const KEY = 'PKCLIFAKE001';
const SECRET = 'cli-fake-secret-5772156649';
const LISTENING = /^fake Alpaca listening on (http:\/\/127\.0\.0\.1:(\d+)) \(trading, market data and streams\)$/m;

interface Spawned {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

function spawnCli(args: readonly string[], env: Readonly<Record<string, string>>, cwd: string): Spawned {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Whether something accepts connections on the port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

function capture(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

describe('live-trader fake-alpaca (the built command line)', () => {
  let cwd: string;
  const cleanups: (() => Promise<void>)[] = [];
  beforeEach(() => (cwd = mkdtempSync(join(tmpdir(), 'quantbot-fake-alpaca-'))));
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('serves the account, the replay clock and streamed bars to real clients, and stops on SIGTERM with exit 0', async () => {
    const cli = spawnCli(['fake-alpaca', '--port', '0', '--interval-ms', '150', '--days', '1', '--symbols', 'AAA,BBB', '--cash', '25000', '--seed', '7'], { ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET }, cwd);
    cleanups.push(async () => {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      await cli.exited;
    });
    await until(() => LISTENING.test(cli.stdout()), `the listening line (stdout: ${cli.stdout()} stderr: ${cli.stderr()})`);
    const [, url, portText] = LISTENING.exec(cli.stdout()) as RegExpExecArray;
    const port = Number(portText);
    expect(port).toBeGreaterThan(0);
    // The lines after the first may come in a later chunk of the pipe.
    await until(() => cli.stdout().includes(`trade updates ws://127.0.0.1:${port}/stream`), `the client URLs (stdout: ${cli.stdout()})`);

    const credentials: AlpacaCredentials = { keyId: KEY, secretKey: SECRET, baseUrl: url as string, mode: 'custom' };
    const client = new AlpacaClient({ credentials, now: () => Date.now(), rng: new SeededRng(1), timeoutMs: 5_000 });
    const data = new AlpacaMarketDataClient({ credentials, dataUrl: url as string, now: () => Date.now(), rng: new SeededRng(2), timeoutMs: 5_000 });
    cleanups.push(() => client.close(), () => data.close());
    expect(await client.getAccount()).toMatchObject({ cash: 25_000, equity: 25_000, status: 'ACTIVE' });
    const clock = await client.getClock();
    // The replay clock: seeded synthetic minute bars of a regular session, not the wall clock.
    expect(clock.isOpen).toBe(true);
    expect(clock.timestamp).toBeLessThan(Date.parse('2020-01-01T00:00:00Z'));
    expect(new Date(clock.nextClose).toISOString()).toMatch(/T21:00:00\.000Z$/);

    const bars: AlpacaStreamBar[] = [];
    const stream = new AlpacaBarStream({ credentials, url: url as string, symbols: ['AAA', 'BBB'], now: () => performance.now(), rng: new SeededRng(3), onBar: (bar) => bars.push(bar) });
    cleanups.push(() => stream.close());
    await stream.start();
    await until(() => bars.filter((b) => b.symbol === 'AAA').length >= 2, 'two replayed AAA bars');
    const aaa = bars.filter((b) => b.symbol === 'AAA');
    expect((aaa[1] as AlpacaStreamBar).time - (aaa[0] as AlpacaStreamBar).time).toBe(60_000);
    // The REST history of the same server has the streamed bars, field for field.
    const history = await data.getAllBars({ symbols: ['AAA'], timeframe: '1Min', start: (aaa[0] as AlpacaStreamBar).time });
    expect(history.get('AAA')?.slice(0, 2).map((b) => ({ symbol: 'AAA', ...b }))).toEqual(aaa.slice(0, 2).map((b) => ({ ...b })));

    await stream.close();
    await client.close();
    await data.close();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toMatch(/stopped \(SIGTERM\) after \d+ of 390 steps; \d+ requests, 0 orders/);
    expect(await isListening(port)).toBe(false);
    const log = readFileSync(join(cwd, 'results', 'logs', 'live-trader.log'), 'utf8');
    expect(log).toContain('"message":"fake alpaca listening"');
    expect(log).toContain('"message":"fake alpaca stopped"');
    for (const text of [cli.stdout(), cli.stderr(), log]) expect(text).not.toContain(SECRET);
  }, 60_000);

  it('exits 2 without a key pair in the environment, saying which variables to set', async () => {
    const cli = spawnCli(['fake-alpaca', '--port', '0'], {}, cwd);
    expect(await cli.exited).toBe(2);
    expect(cli.stdout()).toBe('');
    const message = cli.stderr().trim();
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(/^error: credentials: .*set ALPACA_API_KEY and ALPACA_SECRET_KEY to any values/);
    expect(message).toContain('APCA_API_KEY_ID/APCA_API_SECRET_KEY');
  }, 30_000);

  it('exits 2 on a bad flag, naming it, before listening', async () => {
    const env = { APCA_API_KEY_ID: KEY, APCA_API_SECRET_KEY: SECRET };
    const unknown = spawnCli(['fake-alpaca', '--prot', '0'], env, cwd);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toContain('--prot: unknown flag');
    const badMode = spawnCli(['fake-alpaca', '--fill-on', 'tick'], env, cwd);
    expect(await badMode.exited).toBe(2);
    expect(badMode.stderr()).toContain("--fill-on: 'tick' is not one of trade, bar");
    expect(badMode.stdout()).not.toContain('listening');
  }, 30_000);
});

describe('live-trader fake-alpaca (in process)', () => {
  let cwd: string;
  beforeEach(() => (cwd = mkdtempSync(join(tmpdir(), 'quantbot-fake-alpaca-'))));
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));
  const env = { API_KEY: KEY, API_SECRET: SECRET };

  it('replays daily bar files to the end, keeps serving, and stops on request', async () => {
    writeFileSync(join(cwd, 'ORCL.csv'), 'Date,Open,High,Low,Close,Volume\n2024-01-02,100,101,99,100.5,1000\n2024-01-03,100.5,102,100,101,1200\n2024-01-04,101,101.5,98,99,900\n');
    const io = capture(cwd);
    const stop = manualStopSignal();
    const running = main(['fake-alpaca', '--data', 'ORCL.csv', '--interval-ms', '0', '--fill-on', 'trade'], io, env, new Date(), { stop });
    await until(() => io.stdout.some((line) => line.startsWith('replay finished')), 'the end of the replay', 5_000);
    const [, url] = LISTENING.exec(io.stdout.join('\n')) as RegExpExecArray;
    const credentials: AlpacaCredentials = { keyId: KEY, secretKey: SECRET, baseUrl: url as string, mode: 'custom' };
    const data = new AlpacaMarketDataClient({ credentials, dataUrl: url as string, now: () => Date.now(), rng: new SeededRng(1) });
    const bars = await data.getAllBars({ symbols: ['ORCL'], timeframe: '1Day', start: '2024-01-01' });
    await data.close();
    // Alpaca's stamp for daily bars: 00:00 New York.
    expect(bars.get('ORCL')?.map((b) => [new Date(b.time).toISOString(), b.close])).toEqual([
      ['2024-01-02T05:00:00.000Z', 100.5],
      ['2024-01-03T05:00:00.000Z', 101],
      ['2024-01-04T05:00:00.000Z', 99],
    ]);
    expect(io.stdout.join('\n')).toContain('replaying 3 steps of 1Day bars of ORCL from ORCL.csv');
    stop.stop('SIGINT');
    expect(await running).toBe(0);
    expect(io.stdout.at(-1)).toBe('stopped (SIGINT) after 3 of 3 steps; 1 request, 0 orders');
  });

  it('takes the rate limit, one-order reversals and faults as flags, serves the admin endpoint, and refuses bad values with exit 2', async () => {
    writeFileSync(join(cwd, 'ORCL.csv'), 'Date,Open,High,Low,Close,Volume\n2024-01-02,100,101,99,100.5,1000\n2024-01-03,100.5,102,100,101,1200\n');
    expect(await main(['fake-alpaca', '--data', 'ORCL.csv', '--rate-limit', '0'], capture(cwd), env, new Date(), { stop: manualStopSignal() })).toBe(2);
    const io = capture(cwd);
    const stop = manualStopSignal();
    const badFault = capture(cwd);
    expect(await main(['fake-alpaca', '--data', 'ORCL.csv', '--faults', '[{"fault":"fail-next","n":1}]'], badFault, env, new Date(), { stop: manualStopSignal() })).toBe(2);
    expect(badFault.stderr.at(-1)).toBe('error: --faults: fail-next: status: must be a number ≥ 100, got undefined');
    const running = main(
      ['fake-alpaca', '--data', 'ORCL.csv', '--interval-ms', '0', '--fill-on', 'trade', '--rate-limit', '4', '--one-order-reversals', '--faults', '[{"fault":"fail-next","n":1,"status":503,"route":"GET /v2/clock"}]'],
      io,
      env,
      new Date(),
      { stop },
    );
    await until(() => io.stdout.some((line) => line.startsWith('replay finished')), 'the end of the replay', 5_000);
    const [, url] = LISTENING.exec(io.stdout.join('\n')) as RegExpExecArray;
    const send = (method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${url as string}${path}`, {
        method,
        headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const order = (side: string, qty: string): Promise<Response> => send('POST', '/v2/orders', { symbol: 'ORCL', qty, side, type: 'market', time_in_force: 'day' });
    const bought = await order('buy', '5');
    expect([bought.status, bought.headers.get('x-ratelimit-limit'), bought.headers.get('x-ratelimit-remaining')]).toEqual([200, '4', '3']);
    // A sell beyond the 5 shares held reverses the position (Alpaca would refuse it).
    expect((await order('sell', '8')).status).toBe(200);
    // The fault given at start waited for its route.
    expect((await send('GET', '/v2/clock')).status).toBe(503);
    // The admin endpoint is not counted against the rate limit.
    expect((await send('POST', '/__admin/faults/fail-next', { n: 1, status: 500, route: '/v2/account' })).status).toBe(200);
    expect((await send('GET', '/v2/account')).status).toBe(500);
    expect((await send('GET', '/v2/account')).status).toBe(429);
    stop.stop('SIGINT');
    expect(await running).toBe(0);
  });

  it('takes --order-latency: orders answer pending_new and become new on the replay clock', async () => {
    writeFileSync(join(cwd, 'ORCL.csv'), 'Date,Open,High,Low,Close,Volume\n2024-01-02,100,101,99,100.5,1000\n2024-01-03,100.5,102,100,101,1200\n');
    const bad = capture(cwd);
    expect(await main(['fake-alpaca', '--data', 'ORCL.csv', '--order-latency', 'accept=-3'], bad, env, new Date(), { stop: manualStopSignal() })).toBe(2);
    expect(bad.stderr.at(-1)).toBe("error: --order-latency: accept: must be a number of ms ≥ 0, got '-3'");
    const io = capture(cwd);
    const stop = manualStopSignal();
    const running = main(['fake-alpaca', '--data', 'ORCL.csv', '--interval-ms', '0', '--order-latency', 'accept=200,cancel=500'], io, env, new Date(), { stop });
    await until(() => io.stdout.some((line) => line.startsWith('replay finished')), 'the end of the replay', 5_000);
    const [, url] = LISTENING.exec(io.stdout.join('\n')) as RegExpExecArray;
    const send = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
      const res = await fetch(`${url as string}${path}`, {
        method,
        headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    };
    const posted = await send('POST', '/v2/orders', { symbol: 'ORCL', qty: '1', side: 'buy', type: 'limit', limit_price: '90', time_in_force: 'gtc' });
    expect(posted).toMatchObject({ status: 200, body: { status: 'pending_new' } });
    // The replay has ended, so its clock stands still: the order stays pending_new, and a cancel is pending too.
    const id = (posted.body as { id: string }).id;
    expect((await send('DELETE', `/v2/orders/${id}`)).status).toBe(204);
    expect(await send('GET', `/v2/orders/${id}`)).toMatchObject({ status: 200, body: { status: 'pending_cancel' } });
    stop.stop('SIGINT');
    expect(await running).toBe(0);
  });

  it('takes the market-data realism switches as flags (sparse minutes, bar delivery, keep-alives) and refuses bad values with exit 2, naming the flag', async () => {
    for (const [flag, value, message] of [
      ['--sparse-minutes', '1', 'error: --sparse-minutes: must be a fraction 0 ≤ f < 1, got 1'],
      ['--late-bars', '-0.1', 'error: --late-bars: must be a fraction 0 ≤ f ≤ 1, got -0.1'],
      ['--duplicate-bars', '2', 'error: --duplicate-bars: must be a fraction 0 ≤ f ≤ 1, got 2'],
      ['--reorder-bars', '1.5', 'error: --reorder-bars: must be a fraction 0 ≤ f ≤ 1, got 1.5'],
      ['--keep-alive-ms', '0', 'error: --keep-alive-ms: must be a positive number of ms, got 0'],
    ] as const) {
      const bad = capture(cwd);
      expect(await main(['fake-alpaca', '--days', '1', flag, value], bad, env, new Date(), { stop: manualStopSignal() })).toBe(2);
      expect(bad.stderr.at(-1)).toBe(message);
    }
    const io = capture(cwd);
    const stop = manualStopSignal();
    const running = main(
      ['fake-alpaca', '--days', '1', '--symbols', 'AAA,BBB', '--interval-ms', '0', '--sparse-minutes', '0.25', '--duplicate-bars', '0.1', '--late-bars', '0.1', '--reorder-bars', '0.1', '--keep-alive-ms', '20'],
      io,
      env,
      new Date(),
      { stop },
    );
    await until(() => io.stdout.some((line) => line.startsWith('replay finished')), 'the end of the replay', 10_000);
    const [, url] = LISTENING.exec(io.stdout.join('\n')) as RegExpExecArray;
    const credentials: AlpacaCredentials = { keyId: KEY, secretKey: SECRET, baseUrl: url as string, mode: 'custom' };
    const data = new AlpacaMarketDataClient({ credentials, dataUrl: url as string, now: () => Date.now(), rng: new SeededRng(1) });
    const bars = await data.getAllBars({ symbols: ['AAA', 'BBB'], timeframe: '1Min', start: '2000-01-01' });
    await data.close();
    // About a quarter of the 2 x 390 symbol-minutes have no bar in REST history.
    const kept = (bars.get('AAA')?.length ?? 0) + (bars.get('BBB')?.length ?? 0);
    expect(kept).toBeGreaterThan(780 * 0.6);
    expect(kept).toBeLessThan(780 * 0.9);
    // Keep-alive pings reach a market-data connection: a raw WebSocket handshake, then a ping frame (0x89).
    const port = Number(new URL(url as string).port);
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.write(`GET /v2/iex HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await until(() => {
      const body = received.indexOf('\r\n\r\n');
      return body >= 0 && received.subarray(body + 4).includes(0x89);
    }, 'a keep-alive ping frame');
    expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    socket.destroy();
    // The bar-delivery faults by count are on the admin endpoint too.
    const admin = await fetch(`${url as string}/__admin/faults/reorder-next-bars`, { method: 'POST', body: JSON.stringify({ n: 2 }) });
    expect([admin.status, await admin.json()]).toEqual([200, { fault: 'reorder-next-bars' }]);
    stop.stop('SIGINT');
    expect(await running).toBe(0);
  });

  it('takes --stream-auth-timeout-ms and --stream-connections: a market-data connection that never authenticates gets error 404 auth timeout', async () => {
    const io = capture(cwd);
    const stop = manualStopSignal();
    const running = main(['fake-alpaca', '--days', '1', '--interval-ms', '0', '--stream-auth-timeout-ms', '150', '--stream-connections', '2'], io, env, new Date(), { stop });
    await until(() => io.stdout.some((line) => line.startsWith('replay finished')), 'the end of the replay', 10_000);
    const [, url] = LISTENING.exec(io.stdout.join('\n')) as RegExpExecArray;
    const port = Number(new URL(url as string).port);
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.write(`GET /v2/iex HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    // No auth sent: after 150 ms the fake says so, as Alpaca does, and closes.
    await until(() => received.toString('latin1').includes('"code":404'), 'the auth timeout', 5_000);
    expect(received.toString('latin1')).toContain('{"T":"error","code":404,"msg":"auth timeout"}');
    socket.destroy();
    stop.stop('SIGINT');
    expect(await running).toBe(0);
  });

  it('refuses a port in use with exit 2', async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const { port } = busy.address() as AddressInfo;
    try {
      const io = capture(cwd);
      expect(await main(['fake-alpaca', '--port', String(port)], io, env, new Date(), { stop: manualStopSignal() })).toBe(2);
      expect(io.stderr.at(-1)).toBe(`error: --port: port ${port} on 127.0.0.1 is in use; give another, or 0 for any free port`);
    } finally {
      await new Promise<void>((done) => busy.close(() => done()));
    }
  });

  it('prints its help with exit 0', async () => {
    const io = capture(cwd);
    expect(await main(['fake-alpaca', '--help'], io, {})).toBe(0);
    expect(io.stdout.join('\n')).toContain('--fill-on <bar|trade>');
    expect(await main(['--help'], io, {})).toBe(0);
    expect(io.stdout.at(-1)).toContain('fake-alpaca');
  });
});
