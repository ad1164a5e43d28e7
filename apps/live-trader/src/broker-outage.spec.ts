import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlpacaClient } from '@quantbot/alpaca';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import { SeededRng, ticker } from '@quantbot/core';
import { minuteDay } from './minute-bars.spec-helper';
import { dropTestSchema } from '@quantbot/storage/testing';
import { exitWithin, startTrader } from './trader-process.spec-helper';
import type { TraderProcess } from './trader-process.spec-helper';
import { until } from './wait.spec-helper';

/**
 * A broker outage fails closed and is visible: the built trader against the fake Alpaca, whose
 * server is shut down under it. State is on the Postgres server when TEST_DATABASE_URL is set.
 */
const SERVER = process.env['TEST_DATABASE_URL'];
const KEY = 'PKOUTAGE0001';
const SECRET = 'outage-secret-never-printed';

describe(`broker outage on the built trader (state on ${SERVER ? 'the Postgres server' : 'embedded PGlite'})`, () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;
  const schema = `live_outage_${process.pid}`;
  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env['PATH'], ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET, ...(SERVER ? { DATABASE_URL: SERVER } : {}) });
  const state = (): string[] => (SERVER ? ['--state-schema', schema] : ['--state-dir', join(cwd, 'state')]);

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-outage-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    if (SERVER) await dropTestSchema(SERVER, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  /** A trader trading the fake with a resting order at the broker, then the fake goes away. */
  const tradeThenLoseTheBroker = async (maxOutageMs: number): Promise<{ child: TraderProcess; lostAt: number }> => {
    const universe = minuteDay(31, [ticker('AAA'), ticker('BBB')], 390);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 8, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < 30; k++) replay.step();
    const child = startTrader(
      ['run', '--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'down', '--params', 'fast=2,slow=4', '--history-minutes', '100000', '--max-outage-ms', String(maxOutageMs), ...state()],
      env(),
      cwd,
    );
    await until(() => child.stdout.join('').includes('Ctrl-C stops cleanly'), `the trader to start (it said: ${child.stdout.join('')}${child.stderr.join('')})`, 60_000);
    for (let k = 0; k < 5; k++) {
      replay.step();
      await new Promise((r) => setTimeout(r, 50));
    }
    const closing = fake;
    fake = undefined;
    const lostAt = performance.now();
    await closing.close();
    return { child, lostAt };
  };

  it('says so on stderr and exits 5 once the broker has been unreachable for --max-outage-ms', async () => {
    const { child, lostAt } = await tradeThenLoseTheBroker(1_500);
    const code = await exitWithin(child, 30_000);
    const tookMs = performance.now() - lostAt;
    const stderr = child.stderr.join('');
    expect({ code, stderr }).toMatchObject({ code: 5 });
    expect(stderr).toMatch(/broker: unhealthy since .*: (trade-stream|bar-stream|rest) /);
    // The watchdog's limit, or a step in progress that could not reach the broker, whichever first.
    expect(stderr).toMatch(/error: broker outage: .*down since .*; unhealthy for \d+ ms of market hours \(limit 1500 ms\): stopping with exit 5|error: broker outage during a step: Alpaca .*: connection/);
    expect(stderr).toMatch(/broker outage: (could not list the session's open orders|cancelled \d+ open order)/);
    expect(stderr).toMatch(/broker outage: stopped \(exit 5\); positions held by the books of the last whole bar: /);
    expect(stderr).not.toContain(SECRET);
    // Not minutes of silent reconnecting: the limit, a tick, and the bounded cancel attempt.
    expect(tookMs).toBeLessThan(20_000);
  }, 120_000);

  it('cancels the session\'s open orders when the streams are down but REST still answers', async () => {
    const universe = minuteDay(32, [ticker('AAA'), ticker('BBB')], 390);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 9, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < 30; k++) replay.step();
    // A resting order of the session's (its id prefix): adopted at the start, working at the broker.
    const hand = new AlpacaClient({ credentials: { keyId: KEY, secretKey: SECRET, baseUrl: fake.url, mode: 'custom' }, now: () => replay.now(), rng: new SeededRng(3) });
    await hand.submitOrder({ symbol: 'AAA', qty: 2, side: 'buy', type: 'limit', limit_price: 1, time_in_force: 'gtc', client_order_id: 'half-resting-1' });
    await hand.close();
    const child = startTrader(
      ['run', '--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'half', '--history-minutes', '100000', '--max-outage-ms', '1500', ...state()],
      env(),
      cwd,
    );
    await until(() => child.stdout.join('').includes('Ctrl-C stops cleanly'), `the trader to start (it said: ${child.stdout.join('')}${child.stderr.join('')})`, 60_000);
    fake.faults.refuseStreams(10_000);
    fake.faults.dropStreams();
    const code = await exitWithin(child, 30_000);
    const stderr = child.stderr.join('');
    expect({ code, stderr }).toMatchObject({ code: 5 });
    expect(stderr).toMatch(/error: broker outage: (trade|bar)-stream down since/);
    expect(stderr).toContain('broker outage: cancelled 1 open order(s) of the session');
    expect(fake.state.orders().find((o) => o.client_order_id === 'half-resting-1')?.status).toBe('canceled');
  }, 120_000);

  it('does not exit 0 on SIGTERM while the broker is down', async () => {
    const { child } = await tradeThenLoseTheBroker(600_000);
    await until(() => child.stderr.join('').includes('broker: unhealthy since'), 'the trader to notice the outage', 20_000);
    child.process.kill('SIGTERM');
    const code = await exitWithin(child, 30_000);
    // The exit code beside what the trader printed, so a failure shows why.
    expect({ code, stderr: child.stderr.join('') }).toMatchObject({ code: 5 });
    // The stop, or a step in flight that then could not reach the broker (its failure is the outcome).
    expect(child.stderr.join('')).toMatch(/error: stopped during a broker outage \(.*down since .*\): exit 5, not a clean stop|error: broker outage: stopped \(exit 5\)/);
  }, 120_000);
});
