import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlpacaClient } from '@quantbot/alpaca';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import { SeededRng } from '@quantbot/core';
import { openLiveStateStore, parseLiveCheckpoint } from '@quantbot/live';
import { createLogger } from '@quantbot/observability';
import { minuteDay, minuteSessions } from './minute-bars.spec-helper';
import { runCommand } from './run-command';
import { manualStopSignal } from './stop-signal';
import { until } from './wait.spec-helper';
import { dropTestSchema } from '@quantbot/storage/testing';
import type { CliIo } from '@quantbot/cli';

const KEY = 'PKRECON001';
const SECRET = 'recon-secret-never-printed';
const SERVER = process.env['TEST_DATABASE_URL'];

describe('live-trader run --broker alpaca: reconciliation on start, failing closed', () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;
  const schema = `live_recon_${process.pid}`;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-recon-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    if (SERVER) await dropTestSchema(SERVER, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({ ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET, ...(SERVER ? { DATABASE_URL: SERVER } : {}) });
  const stateFlags = (): string[] => (SERVER ? ['--state-schema', schema] : ['--state-dir', join(cwd, 'state')]);

  it('takes the broker position, cancels a foreign order on its symbols, leaves others alone, and audits each', async () => {
    const universe = minuteDay(3);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'trade', seed: 4, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < 40; k++) replay.step();
    // Someone traded the account by hand: 5 AAA bought, a resting AAA order, a resting ZZZ order.
    const manual = new AlpacaClient({ credentials: { keyId: KEY, secretKey: SECRET, baseUrl: fake.url, mode: 'custom' }, now: () => replay.now(), rng: new SeededRng(1) });
    await manual.submitOrder({ symbol: 'AAA', qty: 5, side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'hand-1' });
    const resting = await manual.submitOrder({ symbol: 'AAA', qty: 3, side: 'buy', type: 'limit', limit_price: 1, time_in_force: 'gtc', client_order_id: 'hand-2' });
    await manual.submitOrder({ symbol: 'ZZZ', qty: 1, side: 'buy', type: 'limit', limit_price: 1, time_in_force: 'gtc', client_order_id: 'hand-3' });
    await manual.close();

    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
    const logger = createLogger({ logFile: join(cwd, 'live-trader.log'), console: false, secrets: [SECRET] });
    const stop = manualStopSignal();
    const running = runCommand(
      ['--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'recon', '--history-minutes', '600', ...stateFlags()],
      io,
      { env: env(), now: () => replay.now(), monotonic: () => performance.now(), stop, logger },
    );
    await until(() => stdout.some((l) => l.includes('Ctrl-C stops cleanly')) || stderr.some((l) => !l.includes('SLO alert reconciliationDrift') && !l.includes('incident')), 'the trader to start', 60_000);
    stop.stop('SIGTERM');
    expect(await running).toBe(0);
    await logger.close();
    // A reconciliation that found the books apart burns the reconciliation-drift SLO at once: it
    // pages (page and critical rules) and opens incidents; nothing else goes wrong.
    expect(stderr.filter((l) => !/^(error|warning): SLO alert reconciliationDrift\/(fast|slow|steady)-burn /.test(l) && !/^error: incident INC-\d{8}-\d+ \(P[12]\) opened: reconciliationDrift/.test(l))).toEqual([]);
    expect(stderr.some((l) => l.startsWith('error: SLO alert reconciliationDrift/fast-burn (page)'))).toBe(true);

    const report = stdout.filter((l) => l.startsWith('reconciliation:'));
    expect(report).toEqual([
      'reconciliation: position AAA: local 0, broker 5: took the broker position',
      expect.stringMatching(/^reconciliation: foreign-order AAA: local null, broker "hand-2": canceled \(policy cancel\)$/),
      expect.stringMatching(/^reconciliation: foreign-order ZZZ: local null, broker "hand-3": left alone/),
    ]);
    expect(fake.state.orders().find((o) => o.id === resting.id)?.status).toBe('canceled');
    expect(fake.state.orders().find((o) => o.client_order_id === 'hand-3')?.status).toBe('new');

    const opened = await openLiveStateStore({ env: env(), cwd, ...(SERVER ? { schema } : { dataDir: join(cwd, 'state') }) });
    try {
      const saved = parseLiveCheckpoint((await opened.store.latestCheckpoint('recon'))?.document);
      expect(saved.ledger.positions.find((p) => p.symbol === 'AAA')?.qty).toBe(5);
      expect(saved.ledger.cash).toBeCloseTo(fake.state.cash, 6);
      const audit = await opened.store.audit('recon');
      expect(audit.filter((a) => a.kind === 'reconciliation').map((a) => a.detail['kind'])).toEqual(['position', 'foreign-order', 'foreign-order']);
    } finally {
      await opened.close();
    }
  }, 90_000);

  it('sleeps while the market is closed and starts at the open, from the bars it missed', async () => {
    const universe = minuteSessions(8, 2, 30);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 6, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < 30; k++) replay.step(); // the first session, now closed
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
    const logger = createLogger({ logFile: join(cwd, 'live-trader.log'), console: false });
    const steps: number[] = [];
    const running = runCommand(
      ['--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'sleepy', '--params', 'fast=3,slow=8', '--history-minutes', '100000', '--clock-poll-ms', '20', '--stop-after', '5', ...stateFlags()],
      io,
      { env: env(), now: () => replay.now(), monotonic: () => performance.now(), stop: manualStopSignal(), logger, onStep: (r) => steps.push(r.time) },
    );
    const nextOpen = new Date(universe.time[30] as number).toISOString();
    await until(() => stdout.some((l) => l === `market closed: sleeping until the open at ${nextOpen}`) || stderr.length > 0, 'the trader to sleep', 60_000);
    expect(stderr).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(steps).toEqual([]);
    for (let k = 30; k < 35; k++) replay.step(); // the next session opens
    expect(await running).toBe(0);
    await logger.close();
    expect(steps).toEqual(Array.from({ length: 5 }, (_, i) => universe.time[30 + i]));
  }, 90_000);

  it('restarts when no bar has come since its last checkpoint, and goes on from the next one', async () => {
    const universe = minuteDay(5);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 7, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < 30; k++) replay.step();
    const args = ['--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'quiet', '--params', 'fast=3,slow=8', '--history-minutes', '100000', '--stop-after', '2', '--status-every', 'off', ...stateFlags()];
    // (No status lines: the replay's clock moves a minute a bar, and any stderr here is a failure.)
    const life = async (): Promise<{ code: number; steps: number[]; stderr: string[] }> => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const steps: number[] = [];
      const logger = createLogger({ logFile: join(cwd, 'live-trader.log'), console: false });
      const running = runCommand(args, { cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) }, { env: env(), now: () => replay.now(), monotonic: () => performance.now(), stop: manualStopSignal(), logger, onStep: (r) => steps.push(r.time) });
      await until(() => stdout.some((l) => l.includes('Ctrl-C stops cleanly')) || stderr.length > 0, 'the trader to start', 60_000);
      for (let k = 0; k < 2 && stderr.length === 0; k++) replay.step();
      const code = await running;
      await logger.close();
      return { code, steps, stderr };
    };
    const first = await life();
    expect(first).toEqual({ code: 0, steps: [universe.time[30], universe.time[31]], stderr: [] });
    // Its checkpoint holds the last bar there is: the catch-up window is empty.
    const second = await life();
    expect(second).toEqual({ code: 0, steps: [universe.time[32], universe.time[33]], stderr: [] });
  }, 90_000);

  it('does not trade when the broker cannot be reached, and says so (exit 4)', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
    const logger = createLogger({ logFile: join(cwd, 'live-trader.log'), console: false });
    const code = await runCommand(['--broker', 'alpaca', '--alpaca-url', 'http://127.0.0.1:9', '--symbols', 'AAA', '--session', 'down', ...stateFlags()], io, {
      env: env(),
      now: () => Date.parse('2024-03-05T15:00:00Z'),
      monotonic: () => performance.now(),
      stop: manualStopSignal(),
      logger,
    });
    await logger.close();
    expect(code).toBe(4);
    expect(stderr.join('\n')).toMatch(/cannot reach Alpaca, so not trading/);
    expect(stderr.join('\n')).not.toContain(SECRET);
    expect(stdout.some((l) => l.includes('trading AAA'))).toBe(false);
  }, 60_000);
});
