import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { CliIo } from '@quantbot/cli';
import type { BarUniverse, Clock, Ticker } from '@quantbot/core';
import { epochMs, ticker } from '@quantbot/core';
import { INCIDENT_MIGRATIONS, LIVE_STATE_MIGRATIONS, openLiveStateStore, parseLiveCheckpoint, readTradingDayJournal, tradingDayJournalDigest } from '@quantbot/live';
import type { LiveStateTables } from '@quantbot/live';
import { createLogger } from '@quantbot/observability';
import type { PromotionGateConfig, RegistryTables } from '@quantbot/research-registry';
import { DEFAULT_PROMOTION_GATE_CONFIG, REGISTRY_DATABASE_MIGRATIONS, ResearchRegistry, parseValidationInput } from '@quantbot/research-registry';
import { STORAGE_MIGRATIONS, openDatabase } from '@quantbot/storage';
import { main } from './main';
import { minuteDay } from './minute-bars.spec-helper';
import { runCommand } from './run-command';
import { dropTestSchema } from '@quantbot/storage/testing';
import { manualStopSignal } from './stop-signal';
import { until } from './wait.spec-helper';

const KEY = 'PKGOINGLIVE01';
const SECRET = 'going-live-secret-never-printed';
const SERVER = process.env['TEST_DATABASE_URL'];
const STATE_SCHEMA = `live_golive_${process.pid}`;
const REGISTRY_SCHEMA = `reg_golive_${process.pid}`;
const SYMBOLS: readonly Ticker[] = [ticker('AAA'), ticker('BBB')];
/** Each replayed session is its last hour, 15:00-15:59 New York (EST in early March): the day completes at its 15:59 bar. */
const BARS_PER_DAY = 60;
/** Tuesday 2024-03-05 to Friday 2024-03-08, 15:00 New York. */
const DAY_STARTS = [5, 6, 7, 8].map((d) => Date.UTC(2024, 2, d, 20, 0));
/** Bars of the first day pushed before the trader starts: its warm-up history. */
const HISTORY = 20;
const DAY_MS = 86_200_000;

/** The gates of this walk: two paper days, loose drift, a ramp (not the shipped one: its first stage is 0.5 %) that advances after one day and treats a 0.5 % drawdown as a breach. */
const GATES: PromotionGateConfig = {
  version: 3,
  gates: {
    ...DEFAULT_PROMOTION_GATE_CONFIG.gates,
    paper: { minDays: 2, maxDrawdownPct: 10, maxDailyPnlStdDev: null },
    execution: { minQualityScore: 0, maxAverageSlippageBps: 100, minFillRate: 0 },
    drift: { maxDailyReturnGapPct: 1, maxCumulativeReturnGapPct: 2, maxSlippageGapBps: 100, maxFillRateGap: 1, maxTimingGapMs: 600_000 },
  },
  ramp: { stagesPct: [0.5, 5, 25, 100], minDaysPerStage: 1, onBreach: 'rollback', maxDrawdownPct: 0.5 },
};
/** The same, with a drift threshold the shadow simulator's fills cannot meet: paper fills at the open, the realistic profile pays a spread. */
const STRICT_DRIFT: PromotionGateConfig = { ...GATES, gates: { ...GATES.gates, drift: { ...GATES.gates.drift, maxSlippageGapBps: 0.01 } } };

/**
 * Four sessions of the fake's seeded minute bars; on the last one both symbols rise for 40
 * minutes, then drop 20 % and stay there (the breach of the live stage).
 */
function fourSessions(): BarUniverse {
  const days = DAY_STARTS.map((start, d) => minuteDay(2024 + d, SYMBOLS, BARS_PER_DAY, start));
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
  const last = (days.length - 1) * BARS_PER_DAY;
  for (let s = 0; s < n; s++) {
    let price = 50 + 40 * s;
    for (let k = 0; k < BARS_PER_DAY; k++) {
      const at = s * length + last + k;
      const open = price;
      price = k === 40 ? price * 0.8 : k < 40 ? price * 1.002 : price;
      const close = Math.round(price * 100) / 100;
      u.open[at] = Math.round(open * 100) / 100;
      u.close[at] = close;
      u.high[at] = Math.max(u.open[at] as number, close) + 0.01;
      u.low[at] = Math.min(u.open[at] as number, close) - 0.01;
    }
  }
  return u;
}

describe('going live, end to end: paper days the trader records, drift against the shadow simulator, readiness, and a staged live promotion', () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;
  let liveFake: FakeAlpacaServer | undefined;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-golive-'));
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

  it('records paper days without record-paper, gates the live promotion on drift, caps notional by capital stage and rolls back on a drawdown breach', async () => {
    const universe = fourSessions();
    // Two accounts on the same market, as Alpaca has them: the paper account and the live one.
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 11, ...replay.serverOptions() });
    replay.attach(fake);
    const liveReplay = new FakeMarketReplay({ universe, endSessions: false });
    liveFake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 12, ...liveReplay.serverOptions() });
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

    // The registry, as a research team leaves it: an experiment with its evidence, promoted to paper on Monday.
    let registryTime = Date.UTC(2024, 2, 4, 12, 0);
    const clock: Clock = { now: () => epochMs(registryTime) };
    const withRegistry = async <T>(gates: PromotionGateConfig, work: (registry: ResearchRegistry) => Promise<T>): Promise<T> => {
      const handle = await openDatabase<RegistryTables>({ migrations: REGISTRY_DATABASE_MIGRATIONS, env, cwd, ...(SERVER ? { schema: REGISTRY_SCHEMA } : {}) });
      try {
        return await work(new ResearchRegistry(handle.db, { clock, gates }));
      } finally {
        await handle.close();
      }
    };
    const exp = await withRegistry(GATES, async (registry) => {
      const { id } = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'minute trends persist into the close', owner: 'alice' });
      await registry.createSnapshot(id, { fast: 2, slow: 5 });
      await registry.recordBacktest(id, {
        runId: 'bt-run',
        digest: 'ab'.repeat(32),
        digestVerified: true,
        metrics: { sharpe: 1.2, totalReturn: 0.1, maxDrawdownPct: 4, closedTrades: 40, extra: {} },
        dataQualityErrors: 0,
        lookaheadPassed: true,
      });
      await registry.recordValidation(id, { ...parseValidationInput({ meanIsSharpe: 1.2, meanOosSharpe: 0.9 }), verified: true });
      await registry.recordReview(id, { decision: 'approved', reviewer: 'bob', comment: null });
      await registry.promote(id, { stage: 'paper', by: 'dana' });
      return id;
    });

    // One trader process: runs `argv` while the replay plays `bars` more bars, then stops it.
    const trade = async (argv: readonly string[], bars: number, session: string, waitFor?: string): Promise<{ code: number; out: string[]; err: string[] }> => {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = { cwd, out: (t) => out.push(t), err: (t) => err.push(t) };
      const logger = createLogger({ logFile: join(cwd, `${session}.log`), console: false, secrets: [SECRET] });
      const stop = manualStopSignal();
      let steps = 0;
      const running = runCommand(
        ['--broker', 'alpaca', '--alpaca-url', (argv.includes('--live') ? liveFake : fake)?.url ?? '', '--symbols', 'AAA,BBB', '--session', session, '--params', 'fast=2,slow=5', '--history-minutes', '600', '--status-every', 'off', '--clock-poll-ms', '20', ...state, ...argv],
        io,
        { env, now: () => replay.now(), monotonic: () => performance.now(), stop, logger, onStep: () => steps++ },
      );
      const connected = (): boolean => out.some((line) => line.startsWith(`session ${session}: trading`));
      const failed = (): boolean => err.some((l) => l.startsWith('refused') || l.startsWith('error'));
      const fail = (error: unknown): never => {
        throw new Error(`${(error as Error).message}\n${[...out, ...err].join('\n')}`);
      };
      await until(() => connected() || failed() || out.some((l) => l.startsWith('market closed')), `${session} to start`, 60_000).catch(fail);
      let played = 0;
      if (!connected() && !failed()) {
        // Started overnight: it sleeps until the open. The first bar opens the market; it comes over REST.
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
      // The last bar was a session's 15:59: its day is recorded (and judged) beside trading.
      await until(() => out.some((l) => l.includes(`day ${new Date(replay.now() - 60_000).toISOString().slice(0, 10)}`)) || err.some((l) => l.includes('was not recorded')), `${session}'s day record`, 30_000);
      if (waitFor !== undefined) await until(() => err.some((l) => l.includes(waitFor)), waitFor, 30_000);
      stop.stop('SIGINT');
      const code = await running;
      await logger.close();
      return { code, out, err };
    };

    // --- Paper: Tuesday (after the warm-up) and Wednesday. No record-paper anywhere.
    const paper = await trade(['--experiment', exp], BARS_PER_DAY - HISTORY + BARS_PER_DAY, 'e2e-paper');
    expect(paper.code).toBe(0);
    expect(paper.out.join('\n')).toContain(`evidence: paper days recorded for ${exp}`);
    expect(paper.out.filter((l) => l.startsWith('recorded complete paper day'))).toHaveLength(2);
    expect(paper.err.filter((l) => l.startsWith('error'))).toEqual([]);

    registryTime = Date.UTC(2024, 2, 6, 22, 0);
    const days = await withRegistry(GATES, (registry) => registry.listTradingDays(exp, { stage: 'paper' }));
    expect(days.map((d) => [d.date, d.complete, d.sessionId])).toEqual([
      ['2024-03-05', true, 'e2e-paper'],
      ['2024-03-06', true, 'e2e-paper'],
    ]);
    expect(await withRegistry(GATES, (registry) => registry.listPaperDays(exp))).toEqual([]);
    // Each day can be re-checked against the trader's journal.
    const opened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema: STATE_SCHEMA } : { dataDir: join(cwd, 'state') }) });
    try {
      for (const day of days) expect(tradingDayJournalDigest(await readTradingDayJournal(opened.store, 'e2e-paper', day.date))).toBe(day.journalDigest);
    } finally {
      await opened.close();
    }
    // The trader's own tool re-checks them too; a journal edited afterwards no longer matches its recorded day.
    const daysOf = async (): Promise<{ code: number; out: string; err: string }> => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['days', '--session', 'e2e-paper', '--experiment', exp, ...state], { cwd, out: (t) => out.push(t), err: (t) => err.push(t) }, env, new Date(Date.UTC(2024, 2, 6, 22, 0)));
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const checked = await daysOf();
    expect(checked).toMatchObject({ code: 0, out: expect.stringMatching(/2024-03-05 {2}[0-9a-f]{16}… day-\d+ \(paper, complete\) {2}match\n2024-03-06 .* {2}match$/) });
    const raw = await openDatabase<LiveStateTables>({ migrations: [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...INCIDENT_MIGRATIONS], env, cwd, ...(SERVER ? { schema: STATE_SCHEMA } : { dataDir: join(cwd, 'state') }) });
    let edited: { time: number; fill_key: string } | undefined;
    try {
      const fill = await raw.db.selectFrom('live_fills').select(['fill_key', 'price', 'time']).where('session_id', '=', 'e2e-paper').orderBy('time').limit(1).executeTakeFirstOrThrow();
      await raw.db.updateTable('live_fills').set({ price: fill.price + 0.01 }).where('session_id', '=', 'e2e-paper').where('fill_key', '=', fill.fill_key).execute();
      edited = { time: fill.time.getTime(), fill_key: fill.fill_key };
    } finally {
      await raw.close();
    }
    const tampered = await daysOf();
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain('MISMATCH');
    expect(tampered.err).toContain(`error: ${new Date((edited?.time ?? 0) - 5 * 3_600_000).toISOString().slice(0, 10)}: the journal's digest`);

    // Drift against the shadow simulator: every order has its shadow fill; paper filled at the open, the realistic shadow paid spread.
    const traded = days.filter((d) => d.drift !== null);
    expect(traded.length).toBeGreaterThan(0);
    for (const day of traded) expect(day.shadowOrders).toHaveLength(day.execution.orders);
    expect(traded.every((d) => (d.drift?.slippageGapBps ?? 0) < 0)).toBe(true);

    // The drift gates the promotion: with a threshold the drift exceeds, live is blocked and readiness says why.
    const strictReadiness = await withRegistry(STRICT_DRIFT, (registry) => registry.readiness(exp));
    expect(strictReadiness.ready).toBe(false);
    expect(strictReadiness.reasons.join('\n')).toContain('drift-slippage');
    await expect(withRegistry(STRICT_DRIFT, (registry) => registry.promote(exp, { stage: 'live', by: 'erin', targetCapital: 200_000 }))).rejects.toMatchObject({
      code: 'PROMOTION_BLOCKED',
    });
    const drift = await withRegistry(GATES, (registry) => registry.driftReport(exp, { stage: 'paper' }));
    expect(drift.passed).toBe(true);
    const readiness = await withRegistry(GATES, (registry) => registry.readiness(exp));
    expect(readiness).toMatchObject({ ready: true, reasons: [] });
    expect(readiness.paper).toMatchObject({ streakDays: 2, traderDays: 2, manualDays: 0 });

    // --- Live, stage 1 of 4 (0.5 % of 200,000 = 1,000 of gross notional): Thursday.
    const live = await withRegistry(GATES, (registry) => registry.promote(exp, { stage: 'live', by: 'erin', targetCapital: 200_000 }));
    expect(live.promotion).toMatchObject({ stage: 'live', capitalStage: 0, targetCapital: 200_000 });
    const liveArgs = ['--experiment', exp, '--live', '--confirm-live', 'e2e-live', '--max-notional', '50000', '--max-position', '5000', '--kill-switch', 'haltAtDrawdownPct=20', '--sizing-pct', '4'];
    const stage1 = await trade(liveArgs, BARS_PER_DAY, 'e2e-live');
    expect(stage1.code).toBe(0);
    expect(stage1.out.join('\n')).toContain('capital stage 1/4: 0.5% of 200000 = gross notional cap 1000');
    registryTime = Date.UTC(2024, 2, 7, 22, 0);
    const thursday = (await withRegistry(GATES, (registry) => registry.listTradingDays(exp, { stage: 'live' })))[0];
    expect(thursday).toMatchObject({ date: '2024-03-07', complete: true, capitalStage: 0 });
    // A position of 4 % of 100,000 does not fit under 1,000: the cap refused every entry.
    expect(thursday?.maxGrossExposure).toBe(0);
    expect(thursday?.execution.rejects ?? 0).toBeGreaterThan(0);
    expect(stage1.err.join('\n')).not.toContain('capital ramp breach');

    // --- One day at the stage, no drift beyond the gates, no defect: the ramp advances to 5 % (10,000).
    const advanced = await withRegistry(GATES, (registry) => registry.advanceCapitalStage(exp, { by: 'dana' }));
    expect(advanced.state).toMatchObject({ stageIndex: 1, notionalCap: 10_000 });

    // --- Friday at stage 2: the positions lose 20 % at 15:40: a drawdown beyond 0.5 % is a breach.
    const stage2 = await trade(liveArgs, BARS_PER_DAY, 'e2e-live', 'defect def-');
    expect(stage2.code).toBe(0);
    // Positions up to 10,000 were taken.
    expect(stage2.out.join('\n')).toContain('capital stage 2/4: 5% of 200000 = gross notional cap 10000');
    expect(stage2.err.join('\n')).toMatch(/error: capital ramp breach on exp-\d+: 2024-03-08: drawdown [\d.]+% ≥ 0.5%; rolled back to stage 1/);
    registryTime = Date.UTC(2024, 2, 8, 22, 0);
    const after = await withRegistry(GATES, (registry) => registry.capitalStage(exp));
    expect(after).toMatchObject({ stageIndex: 0, lastAction: 'rollback', notionalCap: 1_000 });
    expect(after?.reason).toContain('drawdown');
    // The page opened a P1 incident, which opened a defect on the experiment: it blocks the next advance.
    const defects = await withRegistry(GATES, (registry) => registry.listDefects(exp, { status: 'open' }));
    expect(defects).toEqual([expect.objectContaining({ severity: 'P1', source: 'incident' })]);
    expect(stage2.err.join('\n')).toMatch(/error: defect def-\d+ \(P1\) opened on exp-\d+ for incident INC-/);
    // The session stays halted until an operator re-arms it (its checkpoint holds the halt).
    const reopened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema: STATE_SCHEMA } : { dataDir: join(cwd, 'state') }) });
    try {
      const checkpoint = parseLiveCheckpoint((await reopened.store.latestCheckpoint('e2e-live'))?.document);
      expect(checkpoint.version === 2 ? checkpoint.gateway.killSwitch.state : undefined).toBe('halted');
    } finally {
      await reopened.close();
    }
    // A halted ramp trades nothing: the trader refuses to start (exit 3) before it connects.
    await withRegistry(GATES, (registry) => registry.breachCapitalStage(exp, { kind: 'manual', reason: 'risk review', by: 'risk-desk', action: 'halt' }));
    const refusedErr: string[] = [];
    const refusedLog = createLogger({ logFile: join(cwd, 'refused.log'), console: false, secrets: [SECRET] });
    const refused = await runCommand(
      ['--broker', 'alpaca', '--alpaca-url', liveFake?.url ?? '', '--symbols', 'AAA,BBB', '--session', 'e2e-live', '--params', 'fast=2,slow=5', ...state, ...liveArgs],
      { cwd, out: () => undefined, err: (t) => refusedErr.push(t) },
      { env, now: () => replay.now(), monotonic: () => performance.now(), stop: manualStopSignal(), logger: refusedLog },
    );
    await refusedLog.close();
    expect(refused).toBe(3);
    expect(refusedErr.join('\n')).toMatch(/refused: the capital ramp of exp-\d+ is halted since .*risk review/);
    expect(replay.now()).toBeLessThan((DAY_STARTS[3] as number) + DAY_MS);
  }, 240_000);
});
