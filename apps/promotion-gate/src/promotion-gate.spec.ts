import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Clock, EpochMs } from '@quantbot/core';
import type { RunManifestBody } from '@quantbot/observability';
import { epochMs } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataFile, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { NYSE_CALENDAR } from '@quantbot/data-quality';
import type { RegistryTables } from '@quantbot/research-registry';
import type { TradingDayInput } from '@quantbot/research-registry';
import { REGISTRY_DATABASE_MIGRATIONS, loadPromotionGateConfig } from '@quantbot/research-registry';
import { TEST_DATABASE_URL_ENV, openTestDatabase, storageBackends } from '@quantbot/storage/testing';
import type { TestDatabase } from '@quantbot/storage/testing';
import { main } from './main';
import { openRegistrySession } from './registry-session';
import type { CliIo } from '@quantbot/cli';

const ROOT = resolve(__dirname, '../../..');
const BACKTESTER = join(ROOT, 'apps/backtester/dist/main.js');
const PROMOTION_GATE = join(ROOT, 'apps/promotion-gate/dist/main.js');
const GATES_FILE = join(ROOT, 'config/promotion-gates.json');
const WALK_FORWARD = join(ROOT, 'libs/research-registry/test/fixtures/walk-forward-artifact.json');
const DATA_FILE = realMarketDataFile('orcl-1995-2014.txt');
const START = Date.parse('2024-07-01T12:00:00.000Z');
/** Opening the embedded database takes seconds (the first time ~5-8 s); a test runs several actions. */
const SLOW = 300_000;

function capture(cwd: string): CliIo & { stdout: string[]; stderr: string[]; take(): { out: string; err: string } } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    cwd,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    take() {
      const taken = { out: stdout.join('\n'), err: stderr.join('\n') };
      stdout.length = 0;
      stderr.length = 0;
      return taken;
    },
  };
}

/** 30 NYSE trading days of paper trading from Tuesday 2024-07-02 (after the paper promotion on 2024-07-01; July 4th is closed) that pass every paper gate. */
function paperDays(): object[] {
  const days: object[] = [];
  for (let t = Date.UTC(2024, 6, 2); days.length < 30; t += 86_400_000) {
    if (!NYSE_CALENDAR.isSession(t)) continue;
    const i = days.length;
    days.push({ date: new Date(t).toISOString().slice(0, 10), dailyPnl: i % 3 === 0 ? -80 : 150, qualityScore: 88, averageSlippageBps: 5, fillRate: 0.97, drawdownPct: 1.2, equity: 100_000 + 70 * i });
  }
  return days;
}

/** A complete paper day as the trader records it, with the figures of {@link paperDays} and a small drift from the shadow. */
function traderDay(date: string, dailyPnl: number): TradingDayInput {
  return {
    date,
    sessionId: 'paper-session-1',
    journalDigest: '7e'.repeat(32),
    stage: 'paper',
    capitalStage: null,
    complete: true,
    startEquity: 100_000,
    equity: 100_000 + dailyPnl,
    dailyPnl,
    drawdownPct: 1.2,
    maxGrossExposure: 30_000,
    execution: { orders: 2, fills: 2, rejects: 0, qualityScore: 88, implementationShortfallBps: 6, averageSlippageBps: 5, fillRate: 0.97, averageLatencyMs: 150 },
    killSwitch: [],
    incidents: [],
    drift: { returnGap: 0.0002, slippageGapBps: 1, fillRateGap: -0.01, timingGapMs: 700, ordersCompared: 2, actualTradingPnl: 100, shadowTradingPnl: 120 },
    shadowOrders: [],
  };
}

/**
 * Forges a walk-forward run folder the way an attacker would: a better out-of-sample Sharpe in
 * walk_forward.json, with the manifest's file hash, size and digest recomputed so the folder
 * still matches its own manifest.
 */
/** Edits the walk-forward's OOS Sharpe and recomputes every hash and the manifest's digest, as a forger would. */
async function forgeWalkForward(dir: string): Promise<void> {
  const { computeManifestDigest } = await import('@quantbot/observability');
  const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
  const artifact = JSON.parse(readFileSync(join(dir, 'walk_forward.json'), 'utf8')) as { overall: { meanOosSharpe: number } };
  artifact.overall.meanOosSharpe = 1.5;
  const text = `${JSON.stringify(artifact, null, 2)}\n`;
  writeFileSync(join(dir, 'walk_forward.json'), text);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RunManifestBody & { digest: string; artifacts: Record<string, { sha256: string; bytes: number; deterministic: boolean }> };
  manifest.artifacts['walk_forward.json'] = { ...(manifest.artifacts['walk_forward.json'] as { deterministic: boolean }), sha256: sha256(text), bytes: Buffer.byteLength(text) };
  manifest.digest = computeManifestDigest(manifest);
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

describeWithPrerequisite(realMarketDataPrerequisite(), 'promotion-gate', () => {
  let work: string;
  let resultsDir: string;
  let runId: string;
  let walkForwardRunId: string;

  beforeAll(() => {
    if (!existsSync(BACKTESTER) || !existsSync(PROMOTION_GATE)) throw new Error('build first: npx nx run-many -t build -p backtester promotion-gate');
    work = mkdtempSync(join(tmpdir(), 'qb-promotion-gate-'));
    resultsDir = join(work, 'results', 'runs');
    // A real backtester run folder: ORCL 1995-2014, SMA crossover, with the lookahead check.
    execFileSync(process.execPath, [BACKTESTER, 'run', '--data', DATA_FILE, '--check-lookahead', '--results-dir', resultsDir], { cwd: work, stdio: 'pipe' });
    const runs = readdirSync(resultsDir).filter((name) => !name.startsWith('.'));
    expect(runs).toHaveLength(1);
    runId = runs[0] as string;
    // A real walk-forward run folder: ORCL, SMA crossover, anchored folds (mean OOS Sharpe 0.24).
    execFileSync(
      process.execPath,
      [BACKTESTER, 'walk-forward', '--data', DATA_FILE, '--space', 'fast=20..50:15,slow=100..250:75', '--train', '2520', '--test', '1260', '--anchored', '--results-dir', resultsDir],
      { cwd: work, stdio: 'pipe' },
    );
    walkForwardRunId = readdirSync(resultsDir).find((name) => name.includes('-walk-forward-')) as string;
    expect(walkForwardRunId).toBeDefined();
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('answers --help for the program and for an action without opening a database, exit 0', async () => {
    const cwd = mkdtempSync(join(work, 'help-'));
    const io = capture(cwd);
    expect(await main(['--help'], io, {})).toBe(0);
    expect(io.take().out).toContain('store-walk-forward');
    expect(await main(['promote', '--help'], io, {})).toBe(0);
    expect(io.take().out).toContain('--to <paper|live>');
    expect(await main([], io, {})).toBe(2);
    expect(existsSync(join(cwd, '.quantbot'))).toBe(false);
  });

  it('fails with a clear error and exit 1 when the database cannot be reached, never showing its password', async () => {
    const cwd = mkdtempSync(join(work, 'unreachable-'));
    const io = capture(cwd);
    const code = await main(['summary', '--experiment', 'exp-1', '--config', GATES_FILE], io, { DATABASE_URL: 'postgres://quant:s3cret-pw@127.0.0.1:1/registry' });
    const { out, err } = io.take();
    expect(err).toContain('127.0.0.1:1');
    expect(code).toBe(1);
    expect(`${out}${err}`).not.toContain('s3cret-pw');
  });

  it('refuses usage errors with exit 2 naming the flag or field, before opening a database', async () => {
    const cwd = mkdtempSync(join(work, 'usage-'));
    const io = capture(cwd);
    const cases: [string[], string][] = [
      [['create', '--strategy', 's', '--hypothesis', 'h'], 'error: payload.owner: is required'],
      [['create', '--payload', '{"strategy":"s","hypothesis":"h","owner":"o","team":1}'], 'payload.team: unknown field'],
      [['create', '--payload', '{"strategy":', '--owner', 'o'], '--payload: is not valid JSON'],
      [['create', '--owner', 'o', '--payload', '{"owner":"p"}'], '--owner: the payload gives owner too; give it once'],
      [['snapshot', '--params', '{"fast":10}'], '--experiment: is required'],
      [['snapshot', '--experiment', 'exp-1', '--params', '[1,2]'], '--params: must be a JSON object of parameters, got an array'],
      [['record-paper', '--experiment', 'exp-1', '--date', '2024-02-30', '--pnl', '1', '--quality-score', '90', '--slippage-bps', '1', '--fill-rate', '1', '--drawdown-pct', '0'], 'payload.date: must be a calendar date'],
      [['record-paper', '--experiment', 'exp-1', '--payload', '{"days":[{"date":"2024-01-02","dailyPnl":1,"qualityScore":101}]}'], 'payload.days[0].qualityScore: must be at most 100, got 101'],
      [['record-backtest', '--experiment', 'exp-1', '--payload', `{"runId":"r","digest":"${'a'.repeat(64)}","digestVerified":true}`], 'payload.digestVerified: cannot be set from the command line'],
      [['record-validation', '--experiment', 'exp-1', '--mean-is-sharpe', '1', '--mean-oos-sharpe', '1', '--pbo', '2'], 'payload.pbo: must be at most 1, got 2'],
      [['record-validation', '--experiment', 'exp-1', '--mean-is-sharpe', '1'], 'payload.meanOosSharpe: is required'],
      [['record-validation', '--experiment', 'exp-1', '--mean-is-sharpe', '1', '--mean-oos-sharpe', '1'], '--by: is required when env USER is unset'],
      [['store-walk-forward', '--experiment', 'exp-1', '--run-id', 'r', '--file', 'wf.json', '--by', 'x'], '--run-id: give either --run-id or --file, not both'],
      [['promote', '--experiment', 'exp-1', '--to', 'production', '--by', 'x'], "--to: 'production' is not a stage; expected paper or live"],
      [['check', '--experiment', 'exp-1', '--config', 'missing.json'], 'promotion gates: cannot read'],
      [['check', '--experiment', 'exp-1', '--strikt'], '--strikt: unknown flag'],
      [['launch'], "unknown action 'launch'"],
    ];
    for (const [argv, message] of cases) {
      expect({ argv, code: await main(argv, io, {}) }).toEqual({ argv, code: 2 });
      expect(io.take().err).toContain(message);
    }
    expect(existsSync(join(cwd, '.quantbot'))).toBe(false);
    expect(await main(['check', '--experiment', 'exp-1', '--strikt', '--json'], io, {})).toBe(2);
    expect(JSON.parse(io.take().err)).toEqual({ error: { code: 'CONFIG_INVALID', message: expect.stringContaining('--strikt: unknown flag') } });
  });

  for (const backend of storageBackends()) {
    if (backend.kind === 'server' && backend.url === undefined) {
      describe(`on ${backend.title}`, () => {
        it(`is not run: ${TEST_DATABASE_URL_ENV} is unset, which CI (CI=true) does not allow`, () => {
          // Locally the server suites need a server; under CI its absence is a failure, so the
          // server suites can never drop out of a CI run unnoticed.
          expect(process.env['CI']).not.toBe('true');
        });
      });
      continue;
    }

    describe(`on ${backend.title}`, () => {
      let cwd: string;
      let env: Record<string, string>;
      let server: TestDatabase<RegistryTables> | undefined;
      let clockReadings = 0;
      /** Moved ahead when the test lets paper-trading days pass. */
      let clockOffset = 0;
      const clock: Clock = { now: (): EpochMs => epochMs(START + clockOffset + 1000 * clockReadings++) };

      beforeAll(async () => {
        cwd = mkdtempSync(join(work, `${backend.kind}-`));
        mkdirSync(join(cwd, 'config'));
        // The shipped thresholds, but a mean OOS Sharpe above 0.2: ORCL's real walk-forward (0.24) must pass it.
        const gates = JSON.parse(readFileSync(GATES_FILE, 'utf8')) as { gates: { walkForward: { minOosSharpe: number } } };
        gates.gates.walkForward.minOosSharpe = 0.2;
        writeFileSync(join(cwd, 'config', 'promotion-gates.json'), JSON.stringify(gates));
        cpSync(resultsDir, join(cwd, 'results', 'runs'), { recursive: true });
        // USER is who records evidence unless --by names someone.
        if (backend.kind === 'embedded') {
          env = { QUANTBOT_DATA_DIR: join(cwd, 'quantbot'), USER: 'rita' };
        } else {
          // A dedicated schema, created (and dropped in afterAll) by the storage test helper.
          server = await openTestDatabase<RegistryTables>('server', REGISTRY_DATABASE_MIGRATIONS);
          env = { DATABASE_URL: backend.url as string, QUANTBOT_DB_SCHEMA: server.schema as string, USER: 'rita' };
        }
      }, 60_000);

      afterAll(async () => {
        await server?.cleanup();
      }, 60_000);

      const run = async (argv: readonly string[]): Promise<{ code: number; out: string; err: string }> => {
        const io = capture(cwd);
        const code = await main(argv, io, env, clock);
        return { code, ...io.take() };
      };

      it(
        'walks an experiment from create to promote: evidence, refused promotions, paper, then live',
        async () => {
          // create prints only the id; --json gives the record.
          const created = await run(['create', '--strategy', 'sma-crossover', '--hypothesis', 'SMA 10/30 trend following beats cash on ORCL', '--owner', 'alice']);
          expect(created).toEqual({ code: 0, out: expect.stringMatching(/^exp-\d+$/), err: '' });
          const exp = created.out;
          // An unknown strategy is refused, exit 2, naming the field.
          const unknown = await run(['create', '--strategy', 'sma-crossuver', '--hypothesis', 'typo', '--owner', 'alice']);
          expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining("error: strategy: unknown strategy 'sma-crossuver'; available: sma-crossover, bracket-momentum") });
          const other = await run(['create', '--json', '--payload', '{"strategy":"sma-crossover","hypothesis":"tampered run","owner":"eve"}']);
          expect(JSON.parse(other.out).experiment).toMatchObject({ id: expect.stringMatching(/^exp-\d+$/), owner: 'eve', currentSnapshotId: null });

          // snapshot: parameters checked against the strategy's schema, naming the field, exit 2.
          expect(await run(['snapshot', '--experiment', exp, '--params', '{"fast":30,"slow":10}'])).toMatchObject({ code: 2, err: 'error: params.fast: fast (30) must be below slow (10)' });
          expect(await run(['snapshot', '--experiment', exp, '--params', '{"fast":"10","slow":30}'])).toMatchObject({ code: 2, err: 'error: params.fast: must be a number or a boolean, got "10"' });
          expect(await run(['snapshot', '--experiment', exp, '--params', '{"fast":0,"slow":30}'])).toMatchObject({ code: 2, err: expect.stringContaining('error: params.fast: 0 is below the minimum') });
          expect(await run(['snapshot', '--experiment', exp, '--params', '{"fast":10,"slwo":30}'])).toMatchObject({ code: 2, err: expect.stringContaining('error: params.slwo: unknown parameter') });
          // snapshot: registered once, recognized by content whatever the key order.
          const snap = await run(['snapshot', '--experiment', exp, '--params', '{"slow":30,"fast":10,"allowShort":false}', '--label', 'baseline', '--json']);
          const snapshot = JSON.parse(snap.out) as { snapshot: { id: string; paramsHash: string }; created: boolean };
          expect(snapshot.created).toBe(true);

          // record-backtest ingests the real run folder: verified, and its parameters are that snapshot.
          const recorded = await run(['record-backtest', '--experiment', exp, '--run-id', runId, '--json']);
          expect(recorded.code).toBe(0);
          const bt = JSON.parse(recorded.out) as { backtest: Record<string, unknown>; created: boolean; trialCount: number; problems: string[] };
          expect(bt).toMatchObject({ created: true, trialCount: 1, problems: [] });
          expect(bt.backtest).toMatchObject({ runId, snapshotId: snapshot.snapshot.id, digestVerified: true, dataQualityErrors: 0, lookaheadPassed: true });
          expect(bt.backtest['metrics']).toMatchObject({ closedTrades: 97 });
          expect((await run(['record-backtest', '--experiment', exp, '--run-id', runId])).out).toContain(`run ${runId} was already recorded`);

          // A tampered copy of the run is refused: exit 1, nothing recorded (it used to be recorded as unverified).
          const tampered = join(cwd, 'tampered');
          cpSync(join(cwd, 'results', 'runs', runId), join(tampered, runId), { recursive: true });
          writeFileSync(join(tampered, runId, 'trades.jsonl'), '');
          const otherId = JSON.parse(other.out).experiment.id as string;
          const bad = await run(['record-backtest', '--experiment', otherId, '--run-id', runId, '--results-dir', 'tampered']);
          expect(bad.code).toBe(1);
          expect(bad.err).toContain('the re-run does not reproduce it');
          expect(bad.err).toContain('trades.jsonl has 0 bytes');
          expect(JSON.parse((await run(['summary', '--experiment', otherId, '--json'])).out)).toMatchObject({ trialCount: 0 });
          // A payload is recorded, but never as verified: the reproducibility gate fails on it.
          expect((await run(['snapshot', '--experiment', otherId, '--params', '{"fast":10,"slow":30,"allowShort":false}'])).code).toBe(0);
          const payload = { runId: 'payload-run', digest: 'b'.repeat(64), metrics: { sharpe: 2, totalReturn: 0.5, maxDrawdownPct: 3, closedTrades: 97 }, dataQualityErrors: 0, lookaheadPassed: true };
          const unverified = await run(['record-backtest', '--experiment', otherId, '--payload', JSON.stringify(payload)]);
          expect(unverified.code).toBe(0);
          expect(unverified.out).toContain('NOT verified');

          // check --strict: exit 1 and a table of what fails (no validation, no review yet).
          const check = await run(['check', '--experiment', exp, '--strict']);
          expect(check.code).toBe(1);
          expect(check.out).toMatch(/backtest-reproducible\s+PASS\s+yes\s+verified\s+bt-\d+/);
          expect(check.out).toContain('NOT READY for paper (strict): 3 blocker(s): walk-forward-oos-sharpe, walk-forward-overfit-ratio, review-approved');
          expect(check.out).toMatch(/blocking gates:\n.*\n.*\nwalk-forward-oos-sharpe\s+MISSING/);
          // Outside strict mode missing evidence only warns.
          expect((await run(['check', '--experiment', exp])).code).toBe(0);

          // A refused promotion: blockers listed, exit 1, nothing recorded.
          const refused = await run(['promote', '--experiment', exp, '--to', 'paper', '--by', 'dana']);
          expect(refused.code).toBe(1);
          expect(refused.out).toContain(`refused: ${exp} cannot be promoted to paper while gates block it`);
          expect(refused.out).toMatch(/review-approved\s+MISSING\s+missing\s+approved\s+no review recorded/);

          // Validation evidence typed in, or an artifact file alone, is UNVERIFIED: shown, never satisfying a gate.
          expect((await run(['record-validation', '--experiment', exp, '--mean-is-sharpe', '1.1', '--mean-oos-sharpe', '-0.2'])).out).toContain('by rita, UNVERIFIED');
          const wf = await run(['store-walk-forward', '--experiment', exp, '--file', WALK_FORWARD, '--by', 'victor']);
          expect(wf.out).toMatch(
            /^val-\d+: walk-forward from \S+walk-forward-artifact\.json recorded for exp-\d+ snapshot snap-\d+ by victor, UNVERIFIED \(shown, never satisfies a gate\): mean IS Sharpe 1\.2333, mean OOS Sharpe 0\.9, overfit ratio 1\.3704 \(finite\), DSR 0\.91, PBO 0\.25, 3 fold\(s\)$/,
          );
          const unverifiedCheck = await run(['check', '--experiment', exp, '--strict']);
          expect(unverifiedCheck.code).toBe(1);
          expect(unverifiedCheck.out).toMatch(/walk-forward-oos-sharpe\s+MISSING\s+0\.9 \(unverified\)/);
          expect(unverifiedCheck.out).toContain('blocker(s): walk-forward-oos-sharpe, walk-forward-overfit-ratio, review-approved');

          // A forged walk-forward run (OOS Sharpe edited, manifest hashes and digest recomputed) is refused: its re-run differs.
          const forged = join(cwd, 'forged');
          cpSync(join(cwd, 'results', 'runs', walkForwardRunId), join(forged, walkForwardRunId), { recursive: true });
          await forgeWalkForward(join(forged, walkForwardRunId));
          const refusedWf = await run(['store-walk-forward', '--experiment', exp, '--run-id', walkForwardRunId, '--results-dir', 'forged']);
          expect(refusedWf.code).toBe(1);
          expect(refusedWf.err).toContain(`the stored walk-forward differs from its re-run at overall.meanOosSharpe`);
          // The real run is re-run by the backtester, matches, and is stored as VERIFIED evidence.
          const verified = await run(['store-walk-forward', '--experiment', exp, '--run-id', walkForwardRunId, '--json']);
          expect(verified.code).toBe(0);
          expect(JSON.parse(verified.out).validation).toMatchObject({ verified: true, recordedBy: 'rita', source: `run ${walkForwardRunId}` });

          // Separation of duties: the owner and the recorders of evidence may not approve (exit 1, nothing recorded).
          const byOwner = await run(['approve-review', '--experiment', exp, '--by', 'alice']);
          expect(byOwner).toMatchObject({ code: 1, err: expect.stringContaining('error: reviewer: alice owns the experiment') });
          const byRecorder = await run(['approve-review', '--experiment', exp, '--by', 'victor']);
          expect(byRecorder).toMatchObject({ code: 1, err: expect.stringContaining('error: reviewer: victor recorded evidence of the snapshot') });
          // Reviews: changes requested, then approved; the latest counts.
          expect((await run(['approve-review', '--experiment', exp, '--by', 'bob', '--decision', 'changes-requested', '--comment', 'stress costs'])).out).toContain('changes-requested by bob');
          expect((await run(['check', '--experiment', exp, '--strict'])).out).toMatch(/review-approved\s+FAIL\s+changes-requested/);
          expect((await run(['approve-review', '--experiment', exp, '--by', 'bob', '--comment', 'costs stressed'])).code).toBe(0);

          // Promotion to paper: ready now (paper-trading gates are for live).
          const strictCheck = await run(['check', '--experiment', exp, '--strict', '--json']);
          expect(strictCheck.code).toBe(0);
          expect(JSON.parse(strictCheck.out)).toMatchObject({ ready: true, strict: true, stage: 'paper', gates: { version: 3 }, checklist: { configVersion: 3, trialCount: 1 } });
          const paper = await run(['promote', '--experiment', exp, '--to', 'paper', '--by', 'dana', '--json']);
          expect(paper.code).toBe(0);
          const promotion = JSON.parse(paper.out) as { promoted: boolean; promotion: { id: string; stage: string; promotedBy: string; snapshotId: string; promotedAt: number; configVersion: number } };
          expect(promotion).toMatchObject({ promoted: true, promotion: { stage: 'paper', promotedBy: 'dana', snapshotId: snapshot.snapshot.id, configVersion: 3 } });
          expect(promotion.promotion.promotedAt).toBeGreaterThanOrEqual(START);

          // Live needs 30 consecutive paper days: refused, then recorded, then promoted.
          const early = await run(['promote', '--experiment', exp, '--to', 'live', '--by', 'dana', '--target-capital', '100000', '--json']);
          expect(early.code).toBe(1);
          expect((JSON.parse(early.out) as { blockers: { gate: string }[] }).blockers.map((b) => b.gate)).toEqual([
            'paper-days',
            'paper-drawdown',
            'paper-pnl-volatility',
            'paper-execution-quality',
            'paper-slippage',
            'paper-fill-rate',
            'drift-return',
            'drift-slippage',
            'drift-fill-rate',
            'drift-timing',
          ]);
          const paperDay = ['--pnl', '150', '--quality-score', '88', '--slippage-bps', '5', '--fill-rate', '0.97', '--drawdown-pct', '1.2'];
          // Paper days are refused on the promotion day, in the future, and on days the NYSE is closed.
          expect(await run(['record-paper', '--experiment', exp, '--date', '2024-07-01', ...paperDay])).toMatchObject({ code: 1, err: expect.stringContaining('days[0].date: 2024-07-01 is not after the paper promotion') });
          expect(await run(['record-paper', '--experiment', exp, '--date', '2024-07-02', ...paperDay])).toMatchObject({ code: 1, err: expect.stringContaining('2024-07-02 is in the future (today is 2024-07-01)') });
          // Six weeks later the days have been traded.
          clockOffset = 44 * 86_400_000;
          expect(await run(['record-paper', '--experiment', exp, '--date', '2024-07-04', ...paperDay])).toMatchObject({ code: 1, err: expect.stringContaining('2024-07-04 is not a trading day of the NYSE calendar') });
          expect(await run(['record-paper', '--experiment', exp, '--date', '2024-07-06', ...paperDay])).toMatchObject({ code: 1, err: expect.stringContaining('2024-07-06 is not a trading day of the NYSE calendar') });
          const daysFile = join(cwd, 'paper.json');
          writeFileSync(daysFile, JSON.stringify({ days: paperDays().slice(0, 29) }));
          expect((await run(['record-paper', '--experiment', exp, '--payload-file', 'paper.json'])).out).toContain('recorded 29 manual paper day(s) 2024-07-02..2024-08-12');
          const day30 = paperDays()[29] as Record<string, number | string>;
          const one = await run(['record-paper', '--experiment', exp, '--date', String(day30['date']), '--pnl', '150', '--quality-score', '88', '--slippage-bps', '5', '--fill-rate', '0.97', '--drawdown-pct', '1.2']);
          expect(one.out).toContain('recorded 1 manual paper day(s) 2024-08-13');
          const again = await run(['record-paper', '--experiment', exp, '--date', '2024-08-13', '--pnl', '1', '--quality-score', '88', '--slippage-bps', '5', '--fill-rate', '0.97', '--drawdown-pct', '1.2']);
          expect(again).toMatchObject({ code: 1, err: expect.stringContaining('2024-08-13 already recorded') });
          // 30 manual days are shown but never counted: the strict live gate stays blocked.
          const manualOnly = await run(['check', '--experiment', exp, '--strict']);
          expect(manualOnly.code).toBe(1);
          expect(manualOnly.out).toContain('30 manual day(s) not counted');
          expect((await run(['promote', '--experiment', exp, '--to', 'live', '--by', 'erin', '--target-capital', '100000'])).code).toBe(1);
          // The trader records its own days (as the live trader does), through the registry.
          const session = await openRegistrySession({ env, cwd, schema: undefined, clock, gates: loadPromotionGateConfig(join(cwd, 'config', 'promotion-gates.json')) });
          try {
            for (const day of paperDays() as { date: string; dailyPnl: number }[]) await session.registry.recordTradingDay(exp, traderDay(day.date, day.dailyPnl), { recordedBy: 'paper-trader' });
          } finally {
            await session.close();
          }
          const live = await run(['promote', '--experiment', exp, '--to', 'live', '--by', 'erin', '--target-capital', '100000']);
          expect(live).toMatchObject({ code: 0, out: expect.stringMatching(/^promo-\d+: .* promoted to live by erin at 2024-08-14T12:.*\n.*capital stage 0 \(1 % of 100000\), notional cap 1000/) });

          // summary --json: everything in one document.
          const summary = JSON.parse((await run(['summary', '--experiment', exp, '--json'])).out) as Record<string, unknown> & {
            promotions: { stage: string; promotedBy: string }[];
            checklist: { stage: string; items: { status: string }[]; paper: { streakDays: number } };
          };
          expect(summary).toMatchObject({ trialCount: 1, experiment: { id: exp, owner: 'alice' }, candidate: { snapshotId: snapshot.snapshot.id } });
          expect(summary.promotions.map((p) => [p.stage, p.promotedBy])).toEqual([
            ['paper', 'dana'],
            ['live', 'erin'],
          ]);
          expect(summary.checklist.items.every((i) => i.status === 'pass')).toBe(true);
          expect(summary.checklist.paper.streakDays).toBe(30);

          // The built program as a child process: the same verdict, the same exit code.
          const child = await new Promise<{ code: number; out: string }>((done) => {
            execFile(process.execPath, [PROMOTION_GATE, 'check', '--strict', '--experiment', exp, '--json'], { cwd, env: { ...env, PATH: process.env['PATH'] ?? '' } }, (error, stdout) => {
              done({ code: error === null ? 0 : Number(error.code), out: stdout });
            });
          });
          expect(child.code).toBe(0);
          expect(JSON.parse(child.out)).toMatchObject({ ready: true, stage: 'live' });
          const blockedChild = await new Promise<{ code: number; out: string }>((done) => {
            execFile(process.execPath, [PROMOTION_GATE, 'check', '--strict', '--experiment', JSON.parse(other.out).experiment.id], { cwd, env: { ...env, PATH: process.env['PATH'] ?? '' } }, (error, stdout) => {
              done({ code: error === null ? 0 : Number(error.code), out: stdout });
            });
          });
          expect(blockedChild.code).toBe(1);
          expect(blockedChild.out).toMatch(/backtest-reproducible\s+FAIL\s+no\s+verified/);
        },
        SLOW,
      );

      it(
        'record-backtest refuses a forged run with every hash recomputed and a run of other parameters than the current snapshot; records a genuine one as verified',
        async () => {
          const created = await run(['create', '--strategy', 'sma-crossover', '--hypothesis', 'forgery is caught', '--owner', 'mallory']);
          const exp = created.out;
          // A forged summary.json (a better Sharpe), with the artifact hash, size and the digest recomputed.
          const forgedRoot = join(cwd, 'forged');
          cpSync(join(cwd, 'results', 'runs', runId), join(forgedRoot, runId), { recursive: true });
          const summaryFile = join(forgedRoot, runId, 'summary.json');
          const document = JSON.parse(readFileSync(summaryFile, 'utf8')) as { summary: Record<string, unknown> };
          expect(typeof document.summary['sharpe']).toBe('number');
          document.summary['sharpe'] = 3.5;
          const forgedSummary = `${JSON.stringify(document, null, 2)}\n`;
          writeFileSync(summaryFile, forgedSummary);
          const manifestFile = join(forgedRoot, runId, 'manifest.json');
          const { computeManifestDigest, sha256Hex, verifyRunFiles } = await import('@quantbot/observability');
          const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Parameters<typeof computeManifestDigest>[0] & { digest: string; artifacts: Record<string, { sha256: string; bytes: number; deterministic: boolean }> };
          manifest.artifacts['summary.json'] = { sha256: sha256Hex(forgedSummary), bytes: Buffer.byteLength(forgedSummary), deterministic: true };
          // The digest over the whole manifest, recomputed as the forger would (it ignores the old digest).
          manifest.digest = computeManifestDigest(manifest);
          writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
          // The forgery is self-consistent: only re-running it shows it.
          expect(verifyRunFiles(forgedRoot, runId).ok).toBe(true);
          const forged = await run(['record-backtest', '--experiment', exp, '--run-id', runId, '--results-dir', 'forged']);
          expect(forged.code).toBe(1);
          expect(forged.err).toContain(`run ${runId} refused as evidence: the re-run does not reproduce it`);
          expect(forged.err).toContain('summary.json: the re-run');
          expect(JSON.parse((await run(['summary', '--experiment', exp, '--json'])).out)).toMatchObject({ trialCount: 0 });

          // A run of other parameters than the experiment's current snapshot is refused.
          expect((await run(['snapshot', '--experiment', exp, '--params', '{"fast":12,"slow":30,"allowShort":false}'])).code).toBe(0);
          const otherParams = await run(['record-backtest', '--experiment', exp, '--run-id', runId]);
          expect(otherParams.code).not.toBe(0);
          expect(otherParams.err).toContain('current snapshot');
          expect(otherParams.err).toContain('refused');
          expect(JSON.parse((await run(['summary', '--experiment', exp, '--json'])).out)).toMatchObject({ trialCount: 0 });

          // The genuine run, with its parameters as the current snapshot: re-run, reproduced, recorded as verified.
          expect((await run(['snapshot', '--experiment', exp, '--params', '{"fast":10,"slow":30,"allowShort":false}'])).code).toBe(0);
          const genuine = await run(['record-backtest', '--experiment', exp, '--run-id', runId, '--json']);
          expect(genuine.code).toBe(0);
          expect(JSON.parse(genuine.out)).toMatchObject({ created: true, trialCount: 1, backtest: { runId, digestVerified: true } });
        },
        SLOW,
      );

      it('reports an unknown experiment with exit 1 and closes the database (a second action can open it)', async () => {
        const missing = await run(['summary', '--experiment', 'exp-424242']);
        expect(missing).toMatchObject({ code: 1, err: "error: no experiment 'exp-424242' in the registry" });
        expect((await run(['list'])).code).toBe(0);
      }, SLOW);
    });
  }
});
