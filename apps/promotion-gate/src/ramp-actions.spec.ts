import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Clock, EpochMs } from '@quantbot/core';
import { epochMs } from '@quantbot/core';
import { NYSE_CALENDAR } from '@quantbot/data-quality';
import type { RegistryTables } from '@quantbot/research-registry';
import { REGISTRY_DATABASE_MIGRATIONS, ResearchRegistry, parseValidationInput } from '@quantbot/research-registry';
import { openDatabase } from '@quantbot/storage';
import type { CliIo } from '@quantbot/cli';
import { main } from './main';

const GATES_FILE = resolve(__dirname, '../../../config/promotion-gates.json');
const START = Date.parse('2024-06-03T09:00:00.000Z');
/** Opening the embedded database takes seconds; a test runs several actions. */
const SLOW = 120_000;

function capture(cwd: string): CliIo & { take(): { out: string; err: string } } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
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

describe('promotion-gate: capital ramp and defects', () => {
  let cwd: string;
  let env: Record<string, string>;
  let readings = 0;
  const clock: Clock = { now: (): EpochMs => epochMs(START + 1000 * readings++) };
  const run = async (argv: readonly string[]): Promise<{ code: number; out: string; err: string }> => {
    const io = capture(cwd);
    // The shipped gate file (the defect actions judge nothing and take no --config).
    const code = await main(argv[0] === 'defect' ? argv : [...argv, '--config', GATES_FILE], io, env, clock);
    return { code, ...io.take() };
  };

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'qb-ramp-cli-'));
    env = { QUANTBOT_DATA_DIR: join(cwd, 'quantbot'), USER: 'rita' };
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('refuses usage errors with exit 2 naming the flag, before opening a database', async () => {
    const cases: [string[], string][] = [
      [['promote', '--experiment', 'exp-1', '--to', 'live', '--by', 'erin'], '--target-capital: is required for --to live'],
      [['promote', '--experiment', 'exp-1', '--to', 'live', '--by', 'erin', '--target-capital', '-5'], '--target-capital: is required for --to live: the capital the ramp climbs to, a number > 0, got -5'],
      [['promote', '--experiment', 'exp-1', '--to', 'paper', '--by', 'erin', '--target-capital', '5'], '--target-capital: is for --to live only'],
      [['promote', '--experiment', 'exp-1', '--to', 'live', '--by', 'erin', '--stage', 'up'], "--stage: 'up' is not understood; expected next"],
      [['promote', '--experiment', 'exp-1', '--to', 'paper', '--by', 'erin', '--stage', 'next'], '--stage: advances the live capital ramp: use it with --to live'],
      [['stage', 'halt', '--experiment', 'exp-1', '--by', 'risk'], '--reason: is required'],
      [['stage', 'resume', '--experiment', 'exp-1', '--reason', 'ok'], '--by: is required'],
      [['stage', 'show'], '--experiment: is required'],
      [['stage', 'jump', '--experiment', 'exp-1'], "unknown action 'stage'"],
      [['defect', 'open', '--experiment', 'exp-1', '--severity', 'P5', '--title', 't'], "--severity: 'P5' is not a severity; expected one of P1, P2, P3, P4"],
      [['defect', 'open', '--experiment', 'exp-1', '--severity', 'P1'], '--title: is required'],
      [['defect', 'close', '--defect', 'def-1', '--by', 'sam'], '--resolution: is required'],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv);
      expect({ argv, code: result.code }).toEqual({ argv, code: 2 });
      expect(result.err).toContain(message);
    }
  });

  it(
    'promotes to live with a target capital, refuses an advance without evidence, advances with it, and handles breaches and defects',
    async () => {
      // An experiment with every piece of evidence for live, set up through the library.
      const handle = await openDatabase<RegistryTables>({ migrations: REGISTRY_DATABASE_MIGRATIONS, env, cwd });
      let id: string;
      let snapshotId: string;
      try {
        const reg = new ResearchRegistry(handle.db, { clock });
        id = (await reg.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trends persist', owner: 'alice' })).id;
        snapshotId = (await reg.createSnapshot(id, { fast: 10, slow: 30 })).record.id;
        await reg.recordBacktest(id, { runId: 'r1', digest: 'ab'.repeat(32), digestVerified: true, metrics: { sharpe: 1, totalReturn: 0.1, maxDrawdownPct: 4, closedTrades: 30, extra: {} }, dataQualityErrors: 0, lookaheadPassed: true });
        await reg.recordValidation(id, { ...parseValidationInput({ meanIsSharpe: 1.2, meanOosSharpe: 0.9 }), verified: true });
        await handle.db
          .insertInto('registry_promotions')
          .values({ experiment_id: id, snapshot_id: snapshotId, stage: 'paper', promoted_by: 'dana', promoted_at: '2023-12-29T15:00:00.000Z', config_version: 2, config_sha256: '0'.repeat(64), checklist: '{}' })
          .execute();
        // 30 paper days as the live trader records them.
        for (let t = Date.UTC(2024, 0, 2), n = 0; n < 30; t += 86_400_000) {
          if (!NYSE_CALENDAR.isSession(t)) continue;
          const dailyPnl = n++ % 2 === 0 ? 120 : -40;
          await reg.recordTradingDay(id, {
            date: new Date(t).toISOString().slice(0, 10),
            sessionId: 'paper-1',
            journalDigest: 'cd'.repeat(32),
            stage: 'paper',
            capitalStage: null,
            complete: true,
            startEquity: 100_000,
            equity: 100_000 + dailyPnl,
            dailyPnl,
            drawdownPct: 1.5,
            maxGrossExposure: 20_000,
            execution: { orders: 2, fills: 2, rejects: 0, qualityScore: 90, implementationShortfallBps: 5, averageSlippageBps: 4, fillRate: 0.98, averageLatencyMs: 150 },
            killSwitch: [],
            incidents: [],
            drift: { returnGap: 0.0001, slippageGapBps: 1, fillRateGap: 0, timingGapMs: 100, ordersCompared: 2, actualTradingPnl: 10, shadowTradingPnl: 9 },
            shadowOrders: [],
          });
        }
        await reg.recordReview(id, { decision: 'approved', reviewer: 'bob', comment: null });
      } finally {
        await handle.close();
      }

      // A P2 defect blocks the live promotion (gate open-defects); closed, the promotion goes ahead.
      const opened = await run(['defect', 'open', '--experiment', id, '--severity', 'P2', '--title', 'fills booked twice', '--json']);
      expect(opened.code).toBe(0);
      const defect = (JSON.parse(opened.out) as { defect: { id: string; status: string; openedBy: string } }).defect;
      expect(defect).toMatchObject({ id: expect.stringMatching(/^def-\d+$/), status: 'open', openedBy: 'rita' });
      const refused = await run(['promote', '--experiment', id, '--to', 'live', '--by', 'erin', '--target-capital', '100000']);
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/open-defects\s+FAIL\s+1\s+0 open P1\/P2/);
      expect((await run(['defect', 'list', '--experiment', id, '--open'])).out).toMatch(new RegExp(`${defect.id}\\s+P2\\s+open\\s+rita`));
      expect((await run(['defect', 'close', '--defect', defect.id, '--by', 'sam', '--resolution', 'deduplicated'])).out).toContain(`${defect.id} P2 closed: fills booked twice, opened by rita`);
      expect(await run(['defect', 'close', '--defect', defect.id, '--by', 'sam', '--resolution', 'again'])).toMatchObject({ code: 1, err: expect.stringContaining('is already closed') });
      expect((await run(['defect', 'list', '--experiment', id, '--open'])).out).toBe(`${id}: no open defects`);

      const live = await run(['promote', '--experiment', id, '--to', 'live', '--by', 'erin', '--target-capital', '100000']);
      expect(live.code).toBe(0);
      expect(live.out).toContain('capital stage 0 (1 % of 100000), notional cap 1000');

      // No trader days yet: the advance is refused, exit 1, with why.
      const blocked = await run(['promote', '--experiment', id, '--to', 'live', '--stage', 'next', '--by', 'erin']);
      expect(blocked.code).toBe(1);
      expect(blocked.out).toContain(`refused: ${id} stays at capital stage 0: 1 blocker(s)`);
      expect(blocked.out).toMatch(/stage-days\s+FAIL\s+0 of 5 complete live trader day\(s\) at stage 0 after 2024-06-03/);
      const blockedJson = JSON.parse((await run(['promote', '--experiment', id, '--to', 'live', '--stage', 'next', '--by', 'erin', '--json'])).out) as { advanced: boolean; blockers: { check: string }[] };
      expect(blockedJson).toMatchObject({ advanced: false, blockers: [{ check: 'stage-days' }] });

      // Five complete live days at stage 0, as the trader records them.
      const db = await openDatabase<RegistryTables>({ migrations: REGISTRY_DATABASE_MIGRATIONS, env, cwd });
      try {
        for (const date of ['2024-06-04', '2024-06-05', '2024-06-06', '2024-06-07', '2024-06-10']) {
          await db.db
            .insertInto('registry_trading_days')
            .values({
              experiment_id: id,
              snapshot_id: snapshotId,
              trade_date: date,
              stage: 'live',
              capital_stage: 0,
              session_id: 's1',
              journal_digest: 'c'.repeat(64),
              complete: true,
              start_equity: 1000,
              equity: 1001,
              daily_pnl: 1,
              drawdown_pct: 0.2,
              max_gross_exposure: 900,
              orders: 2,
              fills: 2,
              rejects: 0,
              quality_score: 90,
              implementation_shortfall_bps: 1,
              average_slippage_bps: 1,
              fill_rate: 1,
              average_latency_ms: 10,
              drift: null,
              kill_switch: '[]',
              incidents: '[]',
              shadow_orders: '[]',
              revision: 0,
              recorded_at: `${date}T21:00:00.000Z`,
              recorded_by: 'trader',
            })
            .execute();
        }
      } finally {
        await db.close();
      }
      const advanced = await run(['promote', '--experiment', id, '--to', 'live', '--stage', 'next', '--by', 'erin']);
      expect(advanced.code).toBe(0);
      expect(advanced.out).toContain('advanced to capital stage 1');
      expect(advanced.out).toContain('capital stage 1 (5 % of 100000), notional cap 5000');

      // Manual breaches and a resume, each a ramp row.
      expect((await run(['stage', 'rollback', '--experiment', id, '--by', 'risk', '--reason', 'slippage too high'])).out).toContain('capital stage 0 (1 % of 100000), notional cap 1000');
      expect((await run(['stage', 'halt', '--experiment', id, '--by', 'risk', '--reason', 'broker outage'])).out).toContain('HALTED, capital stage 0 (1 % of 100000), notional cap 0');
      expect(await run(['stage', 'resume', '--experiment', id, '--by', 'desk', '--reason', 'broker back', '--json'])).toMatchObject({ code: 0 });
      expect(await run(['stage', 'resume', '--experiment', id, '--by', 'desk', '--reason', 'again'])).toMatchObject({ code: 1, err: expect.stringContaining('is not halted') });
      const shown = await run(['stage', 'show', '--experiment', id]);
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(/promo-\d+\s+promote\s+0\s+100000\s+erin/);
      expect(shown.out).toMatch(/promo-\d+\s+halt\s+0\s+100000\s+risk\s+\S+\s+manual: broker outage/);
      const json = JSON.parse((await run(['stage', 'show', '--experiment', id, '--json'])).out) as { state: { lastAction: string; stageIndex: number }; history: { action: string }[] };
      expect(json.state).toMatchObject({ lastAction: 'resume', stageIndex: 0 });
      expect(json.history.map((h) => h.action)).toEqual(['promote', 'advance', 'rollback', 'halt', 'resume']);
    },
    SLOW,
  );
});
