import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import { ticker } from '@quantbot/core';
import { openLiveStateStore } from '@quantbot/live';
import { sample, scrape } from './metrics.spec-helper';
import { minuteDay } from './minute-bars.spec-helper';
import { dropTestSchema } from '@quantbot/storage/testing';
import { exitWithin, startTrader } from './trader-process.spec-helper';
import { until } from './wait.spec-helper';

/**
 * The built trader on the local fake Alpaca with --metrics-port: the endpoint scraped over HTTP
 * while it trades, and while the fake drops its trade stream.
 */
const SERVER = process.env['TEST_DATABASE_URL'];
const KEY = 'PKMETRICS001';
const SECRET = 'metrics-secret-never-printed';

describe(`metrics of a trader on the fake Alpaca (state on ${SERVER ? 'the Postgres server' : 'embedded PGlite'})`, () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;
  const schema = `live_metrics_${process.pid}`;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-metrics-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    if (SERVER) await dropTestSchema(SERVER, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('counts steps, orders and fills as the broker saw them, and follows the trade stream down and up again', async () => {
    const universe = minuteDay(41, [ticker('AAA'), ticker('BBB')], 390);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 4, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < 30; k++) replay.step();
    const state = SERVER ? ['--state-schema', schema] : ['--state-dir', join(cwd, 'state')];
    const env = { PATH: process.env['PATH'], ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET, ...(SERVER ? { DATABASE_URL: SERVER } : {}) };
    const child = startTrader(
      ['run', '--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'seen', '--params', 'fast=2,slow=4', '--history-minutes', '100000', '--metrics-port', '0', '--status-every', '1', ...state],
      env,
      cwd,
    );
    try {
      await until(() => child.stdout.join('').includes('Ctrl-C stops cleanly'), `the trader to start (it said: ${child.stdout.join('')}${child.stderr.join('')})`, 60_000);
      const url = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)\n/.exec(child.stdout.join(''))?.[1] as string;
      expect(url).toBeDefined();
      const first = await scrape(url);
      for (const channel of ['trade-stream', 'bar-stream', 'rest']) expect(sample(first, 'quantbot_broker_connected', { channel })).toBe(1);

      const STEPS = 12;
      for (let k = 0; k < STEPS; k++) {
        replay.step();
        await new Promise((r) => setTimeout(r, 40));
      }
      let text = '';
      const settled = async (): Promise<boolean> => {
        text = await scrape(url);
        return sample(text, 'quantbot_steps_total') === STEPS;
      };
      for (let i = 0; i < 400 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 25));
      expect(sample(text, 'quantbot_steps_total')).toBe(STEPS);
      const sent = fake.state.orders().filter((o) => o.client_order_id.startsWith('seen-'));
      expect(sent.length).toBeGreaterThan(0);
      expect(sample(text, 'quantbot_orders_total', { outcome: 'submitted' })).toBe(sent.length);
      expect(sample(text, 'quantbot_decision_latency_seconds_count')).toBe(STEPS);
      // With a broker, every decision observes the age of its data.
      expect(sample(text, 'quantbot_data_staleness_seconds_count')).toBe(STEPS);
      expect(sample(text, 'quantbot_trading_state', { state: 'active' })).toBe(1);
      expect(sample(text, 'quantbot_last_bar_timestamp_seconds')).toBe((universe.time[30 + STEPS - 1] as number) / 1000);
      // The metrics and the last status line tell the same story.
      const status = child.stderr.join('').split('\n').filter((l) => l.startsWith('status ')).at(-1) as string;
      expect(status).toMatch(new RegExp(`^status time=${new Date(universe.time[30 + STEPS - 1] as number).toISOString()} step=${STEPS} `));
      expect(status).toContain(`equity=${(sample(text, 'quantbot_equity') as number).toFixed(2)} `);
      expect(status).toContain(` positions=${sample(text, 'quantbot_open_positions') as number} working_orders=${sample(text, 'quantbot_working_orders') as number} `);
      expect(status).toContain(' broker=trade-stream:up,bar-stream:up,rest:up kill_switch=active');
      const fillsSeen = sample(text, 'quantbot_fills_total') as number;
      const ordersSeen = sample(text, 'quantbot_orders_total', { outcome: 'submitted' }) as number;
      expect(fillsSeen).toBeGreaterThan(0);

      // The trade stream drops and its first reconnect is refused: down, then up again.
      fake.faults.refuseStreams(1, 'trading');
      fake.faults.dropStreams('trading');
      await until(() => child.stderr.join('').includes('warning: broker: unhealthy since'), 'the trader to see the trade stream down', 20_000);
      expect(child.stderr.join('')).toMatch(/warning: broker: unhealthy since \S+: trade-stream /);
      const down = await scrape(url);
      expect(sample(down, 'quantbot_broker_connected', { channel: 'trade-stream' })).toBe(0);
      expect(sample(down, 'quantbot_broker_connected', { channel: 'bar-stream' })).toBe(1);
      await until(() => child.stderr.join('').includes('warning: broker: healthy again (trade-stream'), 'the trade stream to come back', 30_000);
      expect(sample(await scrape(url), 'quantbot_broker_connected', { channel: 'trade-stream' })).toBe(1);

      child.process.kill('SIGTERM');
      expect(await exitWithin(child, 30_000)).toBe(0);
      await expect(fetch(url)).rejects.toThrow();
      const opened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema } : { dataDir: join(cwd, 'state') }) });
      try {
        expect((await opened.store.fills('seen')).filter((f) => !f.recovered)).toHaveLength(fillsSeen);
        expect(await opened.store.orders('seen')).toHaveLength(ordersSeen);
      } finally {
        await opened.close();
      }
      expect(child.stderr.join('')).not.toContain(SECRET);
    } finally {
      if (child.process.exitCode === null) {
        child.process.kill('SIGKILL');
        await child.exited;
      }
    }
  }, 120_000);
});
