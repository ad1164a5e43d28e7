import { ConfigError, ticker } from '@quantbot/core';
import { WebSocket } from 'ws';
import { until } from '../wait.spec-helper';
import { startFakeAlpacaServer } from './fake-alpaca-server';
import type { FakeAlpacaServer, FakeAlpacaServerOptions } from './fake-alpaca-server';
import { FakeMarketReplay } from './fake-market-replay';
import { seededMinuteDay } from './seeded-minute-day';

const KEY = 'PKDELIVERY01';
const SECRET = 'delivery-secret-2718';
const SYMBOLS = [ticker('AAA'), ticker('BBB')];

describe('the fake market data stream: bar delivery, sparse minutes and keep-alives', () => {
  const servers: FakeAlpacaServer[] = [];
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    for (const s of servers.splice(0)) await s.close();
  });

  const start = async (options: Partial<FakeAlpacaServerOptions>, sparseMinutes = 0, seed = 1): Promise<{ server: FakeAlpacaServer; replay: FakeMarketReplay }> => {
    const replay = new FakeMarketReplay({ universe: seededMinuteDay(3, SYMBOLS, 30), endSessions: false, sparseMinutes, seed });
    const server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, ...options, ...replay.serverOptions() });
    servers.push(server);
    replay.attach(server);
    return { server, replay };
  };

  /** A raw subscriber to every bar: what the wire carries, as `SYMBOL@minute` in arrival order. */
  const subscribe = async (server: FakeAlpacaServer): Promise<{ frames: string[]; pings: () => number; emptyFrames: () => number }> => {
    const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v2/iex`);
    sockets.push(socket);
    const frames: string[] = [];
    let pings = 0;
    let empty = 0;
    let subscribed = false;
    socket.on('ping', () => pings++);
    socket.on('message', (raw: Buffer) => {
      const text = raw.toString('utf8');
      if (text === '') {
        empty++;
        return;
      }
      for (const m of JSON.parse(text) as { T: string; msg?: string; S?: string; t?: string }[]) {
        if (m.T === 'success' && m.msg === 'connected') socket.send(JSON.stringify({ action: 'auth', key: KEY, secret: SECRET }));
        if (m.T === 'success' && m.msg === 'authenticated') socket.send(JSON.stringify({ action: 'subscribe', bars: ['*'] }));
        if (m.T === 'subscription') subscribed = true;
        if (m.T === 'b') frames.push(`${m.S as string}@${new Date(m.t as string).getUTCMinutes()}`);
      }
    });
    await until(() => subscribed, 'the subscription');
    return { frames, pings: () => pings, emptyFrames: () => empty };
  };

  const wire = async (options: Partial<FakeAlpacaServerOptions>): Promise<string[]> => {
    const { server, replay } = await start(options);
    const seen = await subscribe(server);
    while (replay.step() !== null);
    await until(() => seen.frames.length === server.state.barsStreamed, 'every frame');
    return seen.frames;
  };

  it('perturbs the bars by seeded fractions: the same seed gives the same wire, another seed another', async () => {
    const delivery = { late: 0.15, duplicate: 0.15, reorder: 0.15 };
    const first = await wire({ seed: 7, barDelivery: delivery });
    const again = await wire({ seed: 7, barDelivery: delivery });
    const other = await wire({ seed: 8, barDelivery: delivery });
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const plain = await wire({ seed: 7 });
    expect(plain).toHaveLength(60);
    // Duplicates add frames; held bars are all released by the end (but a last-minute one).
    expect(first.length).toBeGreaterThan(60);
    expect(new Set(first).size).toBeGreaterThanOrEqual(58);
    expect(first).not.toEqual(plain);
  });

  it('counts: a duplicated bar is sent twice in a row, a reordered one after its symbol\'s next, a late one after another symbol\'s later minute', async () => {
    const { server, replay } = await start({});
    const seen = await subscribe(server);
    replay.step(); // AAA@30 BBB@30
    server.faults.duplicateNextBars(1);
    replay.step(); // AAA@31 twice, BBB@31
    server.faults.reorderNextBars(1);
    replay.step(); // AAA@32 held; BBB@32
    replay.step(); // AAA@33, AAA@32, BBB@33
    server.faults.lateNextBars(2);
    replay.step(); // AAA@34 and BBB@34 held
    replay.step(); // AAA@34 (before its own next), AAA@35, BBB@34 (after a later minute of another symbol), BBB@35
    await until(() => seen.frames.length === 13, 'the frames');
    expect(seen.frames).toEqual(['AAA@30', 'BBB@30', 'AAA@31', 'AAA@31', 'BBB@31', 'BBB@32', 'AAA@33', 'AAA@32', 'BBB@33', 'AAA@34', 'AAA@35', 'BBB@34', 'BBB@35']);
    // REST history holds every bar once, whatever the stream did.
    expect(server.state.barStore.bars('AAA', '1Min')).toHaveLength(6);
  });

  it('sparse minutes: the same seed leaves out the same symbol-minutes, from the stream and from REST', async () => {
    const a = await start({}, 0.4, 3);
    const b = await start({}, 0.4, 3);
    const seen = await subscribe(a.server);
    let omitted = 0;
    for (let step = a.replay.step(); step !== null; step = a.replay.step()) omitted += step.omitted;
    while (b.replay.step() !== null);
    await until(() => seen.frames.length === 60 - omitted, 'the kept bars');
    expect(omitted).toBeGreaterThan(10);
    for (const symbol of ['AAA', 'BBB']) expect(b.server.state.barStore.bars(symbol, '1Min')).toEqual(a.server.state.barStore.bars(symbol, '1Min'));
    expect(a.server.state.barStore.bars('AAA', '1Min').length + a.server.state.barStore.bars('BBB', '1Min').length).toBe(60 - omitted);
  });

  it('keep-alives: WebSocket pings on the interval, or empty frames on demand', async () => {
    const { server } = await start({ streamKeepAlive: { intervalMs: 10 } });
    const seen = await subscribe(server);
    await until(() => seen.pings() >= 2, 'two keep-alive pings');
    server.state.sendKeepAlives('empty');
    await until(() => seen.emptyFrames() === 1, 'an empty frame');
  });

  it('refuses bad settings with a ConfigError naming them, and takes the bar faults through the admin endpoint', async () => {
    await expect(start({ barDelivery: { late: 1.5 } })).rejects.toThrow(new ConfigError('barDelivery.late', 'must be a fraction 0..1, got 1.5'));
    await expect(start({ streamKeepAlive: { intervalMs: 0 } })).rejects.toThrow(ConfigError);
    expect(() => new FakeMarketReplay({ universe: seededMinuteDay(3, SYMBOLS, 3), sparseMinutes: 1 })).toThrow(/sparseMinutes/);
    const { server } = await start({});
    for (const name of ['late-next-bars', 'duplicate-next-bars', 'reorder-next-bars']) {
      const ok = await fetch(`${server.url}/__admin/faults/${name}`, { method: 'POST', body: JSON.stringify({ n: 1 }) });
      expect([ok.status, await ok.json()]).toEqual([200, { fault: name }]);
      const bad = await fetch(`${server.url}/__admin/faults/${name}`, { method: 'POST', body: JSON.stringify({ n: 0 }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/^n: /);
    }
  });
});
