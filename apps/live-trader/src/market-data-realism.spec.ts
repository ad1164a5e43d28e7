import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer, FakeAlpacaServerOptions } from '@quantbot/alpaca/fake';
import { createLogger } from '@quantbot/observability';
import type { CliIo } from '@quantbot/cli';
import { OPEN, minuteDay } from './minute-bars.spec-helper';
import { runCommand } from './run-command';
import { manualStopSignal } from './stop-signal';
import { until } from './wait.spec-helper';
import { dropTestSchema } from '@quantbot/storage/testing';

const KEY = 'PKREALISM002';
const SECRET = 'realism-trader-secret-never-printed';
const WARMUP = 30;
const BARS = 60;
/** A Postgres server for the state when the tests have one (fast); else the embedded one in a folder. */
const SERVER = process.env['TEST_DATABASE_URL'];
const SCHEMA = `live_realism_${process.pid}`;

interface Switch {
  readonly name: string;
  readonly server?: Partial<FakeAlpacaServerOptions>;
  readonly sparseMinutes?: number;
  /** Called before replay step `k` once the trader trades (the faults by count). */
  readonly before?: (server: FakeAlpacaServer, k: number) => void;
  /** More flags of `live-trader run`. */
  readonly flags?: readonly string[];
  /** Push the next minute only once the trader has decided on the last one (within `lockstepMs`). */
  readonly lockstepMs?: number;
}

const AT = new Set([35, 42, 49]);

/**
 * The trader (`live-trader run --broker alpaca`, its library entry point) against the fake with
 * each market-data realism switch on: it keeps trading, books every minute at most once, and
 * handles the odd bars as documented (sparse minutes: steps without the symbol; duplicates and
 * out-of-order bars: dropped by the bar stream, logged as `bar-dropped`; late bars: dropped by the
 * step aggregator, logged as `late bar dropped`; keep-alives: nothing).
 */
describe('the live trader survives realistic market data from the fake Alpaca', () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-realism-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    if (SERVER) await dropTestSchema(SERVER, SCHEMA);
    rmSync(cwd, { recursive: true, force: true });
  });

  const trade = async (sw: Switch): Promise<{ steps: number[]; log: { message: string; fields?: Record<string, unknown> }[]; replay: FakeMarketReplay; stderr: string[] }> => {
    const universe = minuteDay(2024, undefined, BARS);
    const replay = new FakeMarketReplay({ universe, endSessions: false, sparseMinutes: sw.sparseMinutes ?? 0, seed: 5 });
    const server = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 5, ...sw.server, ...replay.serverOptions() });
    fake = server;
    replay.attach(server);
    for (let k = 0; k < WARMUP; k++) replay.step();
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
    const logFile = join(cwd, 'live-trader.log');
    const logger = createLogger({ logFile, console: false, secrets: [SECRET] });
    const stop = manualStopSignal();
    const steps: number[] = [];
    const running = runCommand(
      ['--broker', 'alpaca', '--alpaca-url', server.url, '--symbols', 'AAA,BBB', '--session', 'realism', '--params', 'fast=5,slow=20,allowShort=true', '--history-minutes', '600', ...(sw.flags ?? []), ...(SERVER ? ['--state-schema', SCHEMA] : ['--state-dir', join(cwd, 'state')])],
      io,
      { env: { ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET, ...(SERVER ? { DATABASE_URL: SERVER } : {}) }, now: () => replay.now(), monotonic: () => performance.now(), stop, logger, onStep: (report) => steps.push(report.time) },
    );
    await until(() => stdout.some((line) => line.startsWith('session realism: trading')) || stderr.length > 0, 'the trader to connect', 30_000);
    expect(stderr).toEqual([]);
    for (let k = WARMUP; k < BARS; k++) {
      sw.before?.(server, k);
      const before = steps.length;
      const pushed = replay.step();
      const anyBar = !(replay.omits(0, k) && replay.omits(1, k));
      if (sw.lockstepMs !== undefined && pushed !== null && anyBar) await until(() => steps.length > before, `the trader's step on minute ${k} alone`, sw.lockstepMs);
    }
    // One more minute of both symbols closes the last replayed one (and releases a held bar).
    for (const symbol of ['AAA', 'BBB']) server.state.pushBar(symbol, { time: OPEN + BARS * 60_000, open: 50, high: 51, low: 49, close: 50, volume: 1_000 });
    const minutes = liveMinutes(replay);
    await until(() => steps.length >= minutes.length, `the trader's ${minutes.length} steps`, 20_000);
    stop.stop('SIGINT');
    expect(await running).toBe(0);
    await logger.close();
    const log = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string; fields?: Record<string, unknown> });
    // Every replayed minute with a bar is one step, in order, none twice.
    expect(steps).toEqual(minutes);
    expect(log.filter((l) => l.message === 'bar-stream-error' || l.message === 'step failed')).toEqual([]);
    return { steps, log, replay, stderr };
  };

  /** Times of the live minutes at which the replay pushed at least one bar. */
  const liveMinutes = (replay: FakeMarketReplay): number[] => {
    const out: number[] = [];
    for (let k = WARMUP; k < BARS; k++) if (!(replay.omits(0, k) && replay.omits(1, k))) out.push(OPEN + k * 60_000);
    out.push(OPEN + BARS * 60_000); // the closing minute, complete with both bars
    return out;
  };

  it('sparse minutes: steps come without the missing symbol, none stalls, none is lost', async () => {
    const { replay, log } = await trade({ name: 'sparse', sparseMinutes: 0.3 });
    let missing = 0;
    for (let k = WARMUP; k < BARS; k++) if (replay.omits(0, k) !== replay.omits(1, k)) missing++;
    expect(missing).toBeGreaterThan(5);
    expect(log.filter((l) => l.message === 'late bar dropped' || l.message === 'bar-dropped')).toEqual([]);
  }, 60_000);

  it('sparse minutes with --step-timeout-ms 300: a minute missing a symbol is decided without waiting for the next minute', async () => {
    // Lockstep: the next minute is pushed only after the trader decided on this one, so a minute
    // missing a symbol can complete only by the step timeout (the default, 10 s, would fail the wait).
    const { replay } = await trade({ name: 'sparse-lockstep', sparseMinutes: 0.3, flags: ['--step-timeout-ms', '300'], lockstepMs: 5_000 });
    let missing = 0;
    for (let k = WARMUP; k < BARS; k++) if (replay.omits(0, k) !== replay.omits(1, k)) missing++;
    expect(missing).toBeGreaterThan(5);
  }, 90_000);

  it('duplicated bars: each is dropped by the bar stream and logged, never booked twice', async () => {
    const { log } = await trade({ name: 'duplicate', before: (server, k) => AT.has(k) && server.faults.duplicateNextBars(2) });
    const dropped = log.filter((l) => l.message === 'bar-dropped');
    expect(dropped).toHaveLength(6);
    expect(dropped.every((l) => l.fields?.['reason'] === 'duplicate')).toBe(true);
  }, 60_000);

  it('out-of-order bars: minute t after t+1 is dropped by the bar stream and logged; step t stands without it', async () => {
    const { log } = await trade({ name: 'reorder', before: (server, k) => AT.has(k) && server.faults.reorderNextBars(1) });
    const dropped = log.filter((l) => l.message === 'bar-dropped');
    expect(dropped.map((l) => [l.fields?.['symbol'], l.fields?.['time'], l.fields?.['reason']])).toEqual(
      [...AT].map((k) => ['AAA', new Date(OPEN + k * 60_000).toISOString(), 'out-of-order']),
    );
  }, 60_000);

  it('late bars: a bar after the next minute has begun is dropped by the step aggregator and logged; the step stands without it', async () => {
    // Both bars of the minute held: AAA's goes out before AAA's next, BBB's only after it.
    const { log } = await trade({ name: 'late', before: (server, k) => AT.has(k) && server.faults.lateNextBars(2) });
    const late = log.filter((l) => l.message === 'late bar dropped');
    expect(late.map((l) => [l.fields?.['symbol'], l.fields?.['time']])).toEqual([...AT].map((k) => ['BBB', new Date(OPEN + k * 60_000).toISOString()]));
    expect(log.filter((l) => l.message === 'bar-dropped')).toEqual([]);
  }, 60_000);

  it('keep-alives on both streams: nothing reported, nothing reconnected', async () => {
    const { log } = await trade({ name: 'keep-alive', server: { streamKeepAlive: { intervalMs: 5 } }, before: (server) => server.state.sendKeepAlives('empty') });
    expect(log.filter((l) => l.message === 'trade-stream-error')).toEqual([]);
    const connections = log.filter((l) => (l.message === 'bar-stream' || l.message === 'trade-stream') && l.fields?.['state'] === 'connecting');
    expect(connections).toHaveLength(2);
  }, 60_000);
});
