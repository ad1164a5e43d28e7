import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { CliIo } from '@quantbot/cli';
import type { BarUniverse, Clock, Ticker } from '@quantbot/core';
import { epochMs, ticker } from '@quantbot/core';
import { createLogger } from '@quantbot/observability';
import type { PromotionGateConfig, RegistryTables } from '@quantbot/research-registry';
import { DEFAULT_PROMOTION_GATE_CONFIG, REGISTRY_DATABASE_MIGRATIONS, ResearchRegistry, parseValidationInput } from '@quantbot/research-registry';
import { openDatabase } from '@quantbot/storage';
import { minuteDay } from './minute-bars.spec-helper';
import { runCommand } from './run-command';
import { dropTestSchema } from '@quantbot/storage/testing';
import { manualStopSignal } from './stop-signal';
import { until } from './wait.spec-helper';

// Going live with a strategy file, end to end: a file written outside the workspace is studied
// by an experiment that records its sha256, trades a paper day the trader records, is promoted to
// live with a capital stage, and trades live on the fake Alpaca; the same command with the file
// changed by one byte, or with another file whose definition has the same name, is refused before
// any order, naming both hashes.

const KEY = 'PKGOINGLIVEFILE1';
const SECRET = 'going-live-file-secret-never-printed';
const SERVER = process.env['TEST_DATABASE_URL'];
const STATE_SCHEMA = `live_golivefile_${process.pid}`;
const REGISTRY_SCHEMA = `reg_golivefile_${process.pid}`;
const SYMBOLS: readonly Ticker[] = [ticker('AAA'), ticker('BBB')];
/** Each replayed session is its last hour, 15:00-15:59 New York: the day completes at its 15:59 bar. */
const BARS_PER_DAY = 60;
/** Tuesday 2024-03-05 and Wednesday 2024-03-06 (paper), Thursday 2024-03-07 (live), 15:00 New York. */
const DAY_STARTS = [5, 6, 7].map((d) => Date.UTC(2024, 2, d, 20, 0));
/** Bars of the first day pushed before the trader starts: its warm-up history. */
const HISTORY = 20;

/** Two paper days, loose execution and drift gates, a ramp whose first stage is 0.5 %. */
const GATES: PromotionGateConfig = {
  version: 3,
  gates: {
    ...DEFAULT_PROMOTION_GATE_CONFIG.gates,
    paper: { minDays: 2, maxDrawdownPct: 10, maxDailyPnlStdDev: null },
    execution: { minQualityScore: 0, maxAverageSlippageBps: 100, minFillRate: 0 },
    drift: { maxDailyReturnGapPct: 1, maxCumulativeReturnGapPct: 2, maxSlippageGapBps: 100, maxFillRateGap: 1, maxTimingGapMs: 600_000 },
  },
  ramp: { stagesPct: [0.5, 5, 25, 100], minDaysPerStage: 1, onBreach: 'rollback', maxDrawdownPct: 50 },
};

/** A strategy file as a user writes it: buys, then sells, every few bars. `description` varies the bytes, not the name. */
const strategyFile = (description: string): string => `import type { BarView, Strategy, StrategyContext, StrategyDefinition } from '@quantbot/strategies';

class Flip implements Strategy {
  readonly name = 'flip';
  readonly #every: number;
  constructor(every: number) {
    this.#every = every;
  }
  onBar(bar: BarView, ctx: StrategyContext): void {
    if (bar.visibleSteps % this.#every !== 0) return;
    if (ctx.position(bar.symbolIndex) === 0) ctx.buy(bar.symbolIndex);
    else ctx.closePosition(bar.symbolIndex);
  }
}

export const strategy: StrategyDefinition = {
  name: 'flip',
  version: '1.0.0',
  description: '${description}',
  params: [{ name: 'every', kind: 'integer', default: 5, min: 2, max: 20, description: 'bars between flips' }],
  create: (values) => new Flip(values['every'] as number),
};
`;

/** Three sessions of the fake's seeded minute bars. */
function threeSessions(): BarUniverse {
  const days = DAY_STARTS.map((start, d) => minuteDay(3024 + d, SYMBOLS, BARS_PER_DAY, start));
  const n = SYMBOLS.length;
  const length = days.length * BARS_PER_DAY;
  const u = {
    symbols: SYMBOLS,
    length,
    time: new Float64Array(length),
    open: new Float64Array(n * length),
    high: new Float64Array(n * length),
    low: new Float64Array(n * length),
    close: new Float64Array(n * length),
    volume: new Float64Array(n * length),
    hasBar: new Uint8Array(n * length).fill(1),
  };
  days.forEach((day, d) => {
    u.time.set(day.time, d * BARS_PER_DAY);
    for (let s = 0; s < n; s++) {
      for (const column of ['open', 'high', 'low', 'close', 'volume'] as const) {
        u[column].set(day[column].subarray(s * BARS_PER_DAY, (s + 1) * BARS_PER_DAY), s * length + d * BARS_PER_DAY);
      }
    }
  });
  return u;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('going live with a strategy file, end to end: a live promotion covers exactly the promoted file', () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;
  let liveFake: FakeAlpacaServer | undefined;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-golive-file-'));
  });
  afterEach(async () => {
    await fake?.close();
    await liveFake?.close();
    if (SERVER) {
      await dropTestSchema(SERVER, STATE_SCHEMA);
      await dropTestSchema(SERVER, REGISTRY_SCHEMA);
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it('trades the promoted file live under its capital stage, and refuses a file changed by one byte or another file of the same name before any order', async () => {
    const universe = threeSessions();
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 21, ...replay.serverOptions() });
    replay.attach(fake);
    const liveReplay = new FakeMarketReplay({ universe, endSessions: false });
    liveFake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 22, ...liveReplay.serverOptions() });
    liveReplay.attach(liveFake);
    const step = (): void => {
      replay.step();
      liveReplay.step();
    };
    for (let k = 0; k < HISTORY; k++) step();

    const env: Record<string, string> = { ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET, ...(SERVER ? { DATABASE_URL: SERVER, QUANTBOT_DB_SCHEMA: REGISTRY_SCHEMA } : {}) };
    const state = SERVER ? ['--state-schema', STATE_SCHEMA] : ['--state-dir', join(cwd, 'state')];
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'promotion-gates.json'), JSON.stringify(GATES));
    mkdirSync(join(cwd, 'strategies'));
    mkdirSync(join(cwd, 'other'));
    const FILE = './strategies/flip.ts';
    const OTHER = './other/flip.ts';
    writeFileSync(join(cwd, FILE), strategyFile('buys, then sells, every few bars'));
    writeFileSync(join(cwd, OTHER), strategyFile('the same name, other bytes'));
    const shaA = sha256(join(cwd, FILE));
    const shaOther = sha256(join(cwd, OTHER));
    expect(shaOther).not.toBe(shaA);

    // The registry: an experiment of exactly this file, its evidence, promoted to paper on Monday.
    let registryTime = Date.UTC(2024, 2, 4, 12, 0);
    const clock: Clock = { now: () => epochMs(registryTime) };
    const withRegistry = async <T>(work: (registry: ResearchRegistry) => Promise<T>): Promise<T> => {
      const handle = await openDatabase<RegistryTables>({ migrations: REGISTRY_DATABASE_MIGRATIONS, env, cwd, ...(SERVER ? { schema: REGISTRY_SCHEMA } : {}) });
      try {
        return await work(new ResearchRegistry(handle.db, { clock, gates: GATES }));
      } finally {
        await handle.close();
      }
    };
    const exp = await withRegistry(async (registry) => {
      const { id } = await registry.createExperiment({
        strategy: 'flip',
        hypothesis: 'flipping pays',
        owner: 'alice',
        strategyFile: { path: join(cwd, FILE), sha256: shaA, version: '1.0.0' },
      });
      const { record } = await registry.createSnapshot(id, { every: 5 });
      expect(record.strategyFileSha256).toBe(shaA);
      await registry.recordBacktest(id, {
        runId: 'bt-file-run',
        digest: 'cd'.repeat(32),
        digestVerified: true,
        metrics: { sharpe: 1.1, totalReturn: 0.08, maxDrawdownPct: 4, closedTrades: 40, extra: {} },
        dataQualityErrors: 0,
        lookaheadPassed: true,
      });
      await registry.recordValidation(id, { ...parseValidationInput({ meanIsSharpe: 1.1, meanOosSharpe: 0.8 }), verified: true });
      await registry.recordReview(id, { decision: 'approved', reviewer: 'bob', comment: null });
      await registry.promote(id, { stage: 'paper', by: 'dana' });
      return id;
    });

    const common = ['--broker', 'alpaca', '--symbols', 'AAA,BBB', '--params', 'every=5', '--history-minutes', '600', '--status-every', 'off', '--clock-poll-ms', '20', ...state];
    // One trader process: runs `argv` while the replay plays `bars` more bars, then stops it.
    const trade = async (argv: readonly string[], bars: number, session: string): Promise<{ code: number; out: string[]; err: string[] }> => {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = { cwd, out: (t) => out.push(t), err: (t) => err.push(t) };
      const logger = createLogger({ logFile: join(cwd, `${session}.log`), console: false, secrets: [SECRET] });
      const stop = manualStopSignal();
      let steps = 0;
      const running = runCommand(['--alpaca-url', (argv.includes('--live') ? liveFake : fake)?.url ?? '', '--session', session, ...common, ...argv], io, {
        env,
        now: () => replay.now(),
        monotonic: () => performance.now(),
        stop,
        logger,
        onStep: () => steps++,
      });
      const connected = (): boolean => out.some((line) => line.startsWith(`session ${session}: trading`));
      const failed = (): boolean => err.some((l) => l.startsWith('refused') || l.startsWith('error'));
      const fail = (error: unknown): never => {
        throw new Error(`${(error as Error).message}\n${[...out, ...err].join('\n')}`);
      };
      await until(() => connected() || failed() || out.some((l) => l.startsWith('market closed')), `${session} to start`, 60_000).catch(fail);
      let played = 0;
      if (!connected() && !failed()) {
        // Started overnight: it sleeps until the open. The first bar opens the market.
        step();
        played++;
        await until(() => (connected() && steps >= 1) || failed(), `${session} to wake at the open`, 60_000).catch(fail);
      }
      expect(err.filter((l) => l.startsWith('refused'))).toEqual([]);
      for (let k = played; k < bars; k++) {
        const before = steps;
        step();
        await until(() => steps > before, `${session}'s step ${k}`, 15_000);
      }
      await until(() => out.some((l) => l.includes(`day ${new Date(replay.now() - 60_000).toISOString().slice(0, 10)}`)) || err.some((l) => l.includes('was not recorded')), `${session}'s day record`, 30_000);
      stop.stop('SIGINT');
      const code = await running;
      await logger.close();
      return { code, out, err };
    };
    // One trader process that must be refused before it connects.
    const refusedRun = async (argv: readonly string[], session: string): Promise<{ code: number; out: string; err: string }> => {
      const out: string[] = [];
      const err: string[] = [];
      const logger = createLogger({ logFile: join(cwd, `${session}-refused.log`), console: false, secrets: [SECRET] });
      const code = await runCommand(
        ['--alpaca-url', liveFake?.url ?? '', '--session', session, ...common, ...argv],
        { cwd, out: (t) => out.push(t), err: (t) => err.push(t) },
        { env, now: () => replay.now(), monotonic: () => performance.now(), stop: manualStopSignal(), logger },
      );
      await logger.close();
      return { code, out: out.join('\n'), err: err.join('\n') };
    };

    // --- Paper: Tuesday (after the warm-up) and Wednesday, the strategy file's days recorded for its experiment.
    const paper = await trade(['--strategy', FILE, '--experiment', exp], BARS_PER_DAY - HISTORY + BARS_PER_DAY, 'file-paper');
    expect(paper.err.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(paper.code).toBe(0);
    expect(paper.out.join('\n')).toContain(`evidence: paper days recorded for ${exp}`);
    expect(paper.out.filter((l) => l.startsWith('recorded complete paper day'))).toHaveLength(2);
    expect(fake.state.orders().length).toBeGreaterThan(0);

    registryTime = Date.UTC(2024, 2, 6, 22, 0);
    const days = await withRegistry((registry) => registry.listTradingDays(exp, { stage: 'paper' }));
    expect(days.map((d) => [d.date, d.complete, d.sessionId])).toEqual([
      ['2024-03-05', true, 'file-paper'],
      ['2024-03-06', true, 'file-paper'],
    ]);
    const readiness = await withRegistry((registry) => registry.readiness(exp));
    expect(readiness).toMatchObject({ ready: true, reasons: [] });

    // --- Live, stage 1 of 4: 0.5 % of 2,000,000 = a gross notional cap of 10,000 (two positions of 4 % of 100,000 fit).
    const live = await withRegistry((registry) => registry.promote(exp, { stage: 'live', by: 'erin', targetCapital: 2_000_000 }));
    expect(live.promotion).toMatchObject({ stage: 'live', capitalStage: 0, targetCapital: 2_000_000 });
    const liveArgs = ['--strategy', FILE, '--experiment', exp, '--live', '--confirm-live', 'file-live', '--max-notional', '50000', '--max-position', '5000', '--kill-switch', 'haltAtDrawdownPct=20', '--sizing-pct', '4'];
    expect(liveFake.state.orders()).toHaveLength(0);
    const stage1 = await trade(liveArgs, BARS_PER_DAY, 'file-live');
    expect(stage1.err.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(stage1.code).toBe(0);
    expect(stage1.out.join('\n')).toContain('capital stage 1/4: 0.5% of 2000000 = gross notional cap 10000');
    expect(stage1.out.join('\n')).toContain(`evidence: live days recorded for ${exp} snapshot`);
    // The file's strategy traded live: its orders reached the live account.
    const liveOrders = liveFake.state.orders().length;
    expect(liveOrders).toBeGreaterThan(0);
    registryTime = Date.UTC(2024, 2, 7, 22, 0);
    const thursday = await withRegistry((registry) => registry.listTradingDays(exp, { stage: 'live' }));
    expect(thursday.map((d) => [d.date, d.complete, d.sessionId, d.capitalStage])).toEqual([['2024-03-07', true, 'file-live', 0]]);
    expect(thursday[0]?.execution.orders ?? 0).toBeGreaterThan(0);

    const postedOrders = (): number => liveFake?.state.requests.filter((r) => r.startsWith('POST') && r.includes('/orders')).length ?? 0;
    const posted = postedOrders();
    expect(posted).toBeGreaterThan(0);
    // A refused session does not even reach the live account: no request at all.
    const requests = liveFake.state.requests.length;

    // --- The same command with the file changed by one byte: a different strategy, refused (exit 3) before any order.
    appendFileSync(join(cwd, FILE), '\n');
    const shaB = sha256(join(cwd, FILE));
    expect(shaB).not.toBe(shaA);
    const changed = await refusedRun(liveArgs, 'file-live');
    expect(changed.code).toBe(3);
    expect(changed.err).toContain(`refused: experiment ${exp} records strategy file sha256 ${shaA}, but the session trades strategy file sha256 ${shaB}`);
    expect(changed.out).not.toContain('session file-live: trading');
    expect(liveFake.state.orders()).toHaveLength(liveOrders);
    expect(postedOrders()).toBe(posted);
    expect(liveFake.state.requests).toHaveLength(requests);

    // --- Another file whose definition has the same name: refused too, naming both hashes.
    const otherArgs = liveArgs.map((a) => (a === FILE ? OTHER : a === 'file-live' ? 'other-live' : a));
    const other = await refusedRun(otherArgs, 'other-live');
    expect(other.code).toBe(3);
    expect(other.err).toContain(`refused: experiment ${exp} records strategy file sha256 ${shaA}, but the session trades strategy file sha256 ${shaOther}`);
    expect(other.out).not.toContain('session other-live: trading');
    expect(liveFake.state.orders()).toHaveLength(liveOrders);
    expect(postedOrders()).toBe(posted);
    expect(liveFake.state.requests).toHaveLength(requests);
  }, 240_000);
});
