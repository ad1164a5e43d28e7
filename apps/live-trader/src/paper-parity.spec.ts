import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { Ticker } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import { runBacktest } from '@quantbot/engine';
import { openLiveStateStore, parseLiveCheckpoint } from '@quantbot/live';
import { EXECUTION_PROFILES } from '@quantbot/execution-sim';
import { createLogger } from '@quantbot/observability';
import { SmaCrossover, WarmupGate } from '@quantbot/strategies';
import { BARS, minuteDay } from './minute-bars.spec-helper';
import { runCommand } from './run-command';
import { until } from './wait.spec-helper';
import { dropTestSchema } from '@quantbot/storage/testing';
import type { CliIo } from '@quantbot/cli';

const KEY = 'PKPARITY01';
const SECRET = 'parity-secret-never-printed';
const SERVER = process.env['TEST_DATABASE_URL'];
const SYMBOLS: readonly Ticker[] = [ticker('AAA'), ticker('BBB')];
const WARMUP = 60;
const PARAMS = { fast: 5, slow: 20, allowShort: true };

describe('paper trading against the fake Alpaca server equals the backtest over the same bars', () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-parity-'));
  });
  afterEach(async () => {
    await fake?.close();
    if (SERVER) await dropTestSchema(SERVER, `live_parity_${process.pid}`);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('ends a replayed day with the positions and cash of the backtest (idealistic fills at the next open)', async () => {
    const universe = minuteDay(2024);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    // The fake refuses a sell beyond the shares held, as Alpaca does: the trader reverses as a close,
    // then (once it has filled) the opening order; the backtest below follows the same rule.
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 5, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < WARMUP; k++) replay.step(); // history the trader warms up with, over REST

    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
    const logger = createLogger({ logFile: join(cwd, 'live-trader.log'), console: false, secrets: [SECRET] });
    const env: Record<string, string> = { ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET, ...(SERVER ? { DATABASE_URL: SERVER } : {}) };
    const state = SERVER ? ['--state-schema', `live_parity_${process.pid}`] : ['--state-dir', join(cwd, 'state')];
    let steps = 0;
    const latencies: number[] = [];
    const running = runCommand(
      ['--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'parity', '--params', 'fast=5,slow=20,allowShort=true', '--history-minutes', '600', '--stop-after', String(BARS - WARMUP), ...state],
      io,
      {
        env,
        now: () => replay.now(),
        monotonic: () => performance.now(),
        stop: { on: () => () => undefined },
        logger,
        onStep: (report) => {
          steps++;
          if (report.ordersSubmitted > 0) latencies.push(report.latencyMs);
        },
      },
    );
    await until(() => stdout.some((line) => line.startsWith('session parity: trading')) || stderr.length > 0, 'the trader to connect', 60_000);
    expect(stderr).toEqual([]);
    // Lockstep: the next bar only once the trader has decided on this one and its orders are in.
    for (let k = WARMUP; k < BARS; k++) {
      const before = steps;
      replay.step();
      await until(() => steps > before, `the trader's step on bar ${k}`);
    }
    expect(await running).toBe(0);
    await logger.close();

    const backtest = runBacktest({
      universe,
      strategy: new WarmupGate(new SmaCrossover(PARAMS, SYMBOLS.length), WARMUP),
      startingCash: 100_000,
      sizing: { kind: 'percent-of-cash', percent: 10 },
      execution: EXECUTION_PROFILES.idealistic,
      reversals: 'close-then-open',
    });
    expect(backtest.trades.length).toBeGreaterThan(5);
    // The strategy reversed at least once (a short after a long), so the rule was exercised.
    expect(backtest.trades.some((t) => t.side === 'short')).toBe(true);

    // The broker's books (the fake) against the backtest's.
    const positions = new Map(
      (await (await fetch(`${fake.url}/v2/positions`, { headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET } })).json() as { symbol: string; qty: string }[]).map((p) => [
        p.symbol,
        Number(p.qty),
      ]),
    );
    for (const p of backtest.openPositions) {
      expect([p.symbol, positions.get(p.symbol) ?? 0]).toEqual([p.symbol, p.side === 'long' ? p.qty : -p.qty]);
    }
    expect(positions.size).toBe(backtest.openPositions.length);
    const finalEquity = backtest.equity[BARS - 1] as number;
    const marketValue = backtest.openPositions.reduce((v, p) => v + (p.side === 'long' ? 1 : -1) * p.qty * p.markPrice, 0);
    // Cash within a millionth of a dollar: the fake's decimal strings round to 6 places.
    expect(Math.abs(fake.state.cash - (finalEquity - marketValue))).toBeLessThan(1e-6 * Math.max(1, fake.state.orders().length));

    // And the trader's own books, as saved, agree with the broker's.
    const opened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema: `live_parity_${process.pid}` } : { dataDir: join(cwd, 'state') }) });
    const saved = parseLiveCheckpoint((await opened.store.latestCheckpoint('parity'))?.document);
    await opened.close();
    expect(saved.ledger.cash).toBeCloseTo(fake.state.cash, 6);
    for (const p of saved.ledger.positions) expect([p.symbol, p.qty]).toEqual([p.symbol, positions.get(p.symbol) ?? 0]);

    const summary = JSON.parse(stdout.at(-1) as string) as { latencyMs: { count: number; p50: number; p99: number } };
    expect(summary.latencyMs.count).toBe(latencies.length);
    expect(summary.latencyMs.p99).toBeGreaterThanOrEqual(summary.latencyMs.p50);
  }, 120_000);
});
