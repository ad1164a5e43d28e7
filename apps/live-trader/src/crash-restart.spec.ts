import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import { SeededRng, ticker } from '@quantbot/core';
import { openLiveStateStore, parseLiveCheckpoint } from '@quantbot/live';
import { minuteDay } from './minute-bars.spec-helper';
import { until } from './wait.spec-helper';
import { dropTestSchema } from '@quantbot/storage/testing';

/**
 * The trader is killed with SIGKILL at random moments while a replay keeps the market moving,
 * and restarted each time. At the end no order exists twice, the saved books equal the broker's
 * positions and cash, and every execution at the broker is in the saved fills exactly once.
 * `QUANTBOT_CRASH_RESTARTS` raises the count (the soak target runs 200).
 */
const RESTARTS = Number(process.env['QUANTBOT_CRASH_RESTARTS'] ?? '20');
const SERVER = process.env['TEST_DATABASE_URL'];
const KEY = 'PKCRASH001';
const SECRET = 'crash-secret-never-printed';
const MAIN = resolve(__dirname, '..', 'dist', 'main.js');
const WARMUP = 30;

interface Child {
  readonly process: ChildProcess;
  readonly stdout: string[];
  readonly exited: Promise<number | null>;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Child {
  const child = spawn(process.execPath, [MAIN, 'run', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => stdout.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { process: child, stdout, exited };
}

describe(`crash safety: SIGKILL at random moments, then restart (state on ${SERVER ? 'the Postgres server' : 'embedded PGlite'})`, () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;
  const schema = `live_crash_${process.pid}`;

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-crash-'));
  });
  afterAll(async () => {
    await fake?.close();
    if (!SERVER) {
      rmSync(cwd, { recursive: true, force: true });
      return;
    }
    await dropTestSchema(SERVER, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  it(`keeps books, orders and fills consistent across ${RESTARTS} kills`, async () => {
    // More market than the restarts can use (the replay is stopped after them).
    const bars = WARMUP + 150 * RESTARTS + 100;
    const universe = minuteDay(99, [ticker('AAA'), ticker('BBB')], bars);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    // Partial fills too: no order takes more than 40 shares of a bar.
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', barParticipation: 40 / 50_000, seed: 9, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < WARMUP; k++) replay.step();
    // The embedded database takes seconds to open where the server takes milliseconds: slower
    // market, longer lives, so that kills still land while trading.
    const replaying = replay.run({ intervalMs: SERVER ? 25 : 120 });
    const longestLifeMs = SERVER ? 1_500 : 7_000;

    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET, ...(SERVER ? { DATABASE_URL: SERVER } : {}) };
    const state = SERVER ? ['--state-schema', schema] : ['--state-dir', join(cwd, 'state')];
    const args = ['--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'crash', '--params', 'fast=3,slow=8,allowShort=true', '--history-minutes', '100000', ...state];
    const rng = new SeededRng(20261125);
    let killedTrading = 0;
    for (let i = 0; i < RESTARTS; i++) {
      const child = start(args, env, cwd);
      // Every other life is killed anywhere (starting, reconciling, deciding, submitting, saving);
      // the others once trading, so that however slow the machine, half the kills hit a session
      // that is deciding and sending orders.
      if (i % 2 === 1) {
        await until(() => child.stdout.join('').includes('Ctrl-C stops cleanly'), `life ${i} to start trading (it said: ${child.stdout.join('')})`, 60_000);
      }
      const wait = Math.floor(rng.nextFloat() * longestLifeMs);
      await Promise.race([new Promise((r) => setTimeout(r, wait)), child.exited]);
      if (child.stdout.join('').includes('Ctrl-C stops cleanly')) killedTrading++;
      child.process.kill('SIGKILL');
      await child.exited;
    }
    replay.stop();
    await replaying;

    // A last process reconciles and saves, then stops cleanly (the replay has stopped: it waits for
    // a bar that does not come, or, past a session's close, sleeps; its state is saved either way).
    const last = start(args, env, cwd);
    await until(() => /Ctrl-C stops cleanly|market closed: sleeping/.test(last.stdout.join('')), 'the final trader to start', 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; it said: ${last.stdout.join('')}`);
    });
    last.process.kill('SIGTERM');
    expect(await last.exited).toBe(0);

    const orders = fake.state.orders();
    const ids = orders.map((o) => o.client_order_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('crash-'))).toBe(true);
    expect(orders.length).toBeGreaterThan(5);
    expect(killedTrading).toBeGreaterThanOrEqual(Math.floor(RESTARTS / 2));

    const opened = await openLiveStateStore(SERVER ? { env: { DATABASE_URL: SERVER }, cwd, schema } : { env: {}, cwd, dataDir: join(cwd, 'state') });
    try {
      const saved = parseLiveCheckpoint((await opened.store.latestCheckpoint('crash'))?.document);
      const positions = (await (await fetch(`${fake.url}/v2/positions`, { headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET } })).json()) as { symbol: string; qty: string }[];
      const brokerQty = new Map(positions.map((p) => [p.symbol, Number(p.qty)]));
      for (const p of saved.ledger.positions) expect([p.symbol, p.qty]).toEqual([p.symbol, brokerQty.get(p.symbol) ?? 0]);
      expect(saved.ledger.cash).toBeCloseTo(fake.state.cash, 4);

      // Every execution at the broker is in the saved fills, once: per order, the same quantity.
      const fills = await opened.store.fills('crash');
      const savedQty = new Map<string, number>();
      for (const f of fills) savedQty.set(f.clientOrderId, (savedQty.get(f.clientOrderId) ?? 0) + f.qty);
      for (const o of orders) {
        expect([o.client_order_id, savedQty.get(o.client_order_id) ?? 0]).toEqual([o.client_order_id, Number(o.filled_qty)]);
      }
      expect(fills.length).toBeGreaterThan(0);
    } finally {
      await opened.close();
    }
  }, 120_000 + RESTARTS * (SERVER ? 3_000 : 10_000));
});
