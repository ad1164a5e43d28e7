import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Clock, EpochMs } from '@quantbot/core';
import { epochMs } from '@quantbot/core';
import { NYSE_CALENDAR } from '@quantbot/data-quality';
import type { TradingDayDrift, TradingDayInput } from '@quantbot/research-registry';
import { loadPromotionGateConfig, parseValidationInput } from '@quantbot/research-registry';
import type { CliIo } from '@quantbot/cli';
import { main } from './main';
import { openRegistrySession } from './registry-session';

const GATES_FILE = resolve(__dirname, '../../../config/promotion-gates.json');
const START = Date.parse('2024-07-01T12:00:00.000Z');
/** Opening the embedded database takes seconds the first time; a test runs several actions. */
const SLOW = 180_000;
const DRIFT: TradingDayDrift = { returnGap: 0.0003, slippageGapBps: 2, fillRateGap: -0.01, timingGapMs: 900, ordersCompared: 2, actualTradingPnl: 90, shadowTradingPnl: 120 };

/** A complete paper day as the trader records it. */
function traderDay(date: string, i: number, drift: TradingDayDrift | null = DRIFT): TradingDayInput {
  const dailyPnl = i % 3 === 0 ? -80 : 150;
  return {
    date,
    sessionId: 'paper-session-1',
    journalDigest: '0f'.repeat(32),
    stage: 'paper',
    capitalStage: null,
    complete: true,
    startEquity: 100_000,
    equity: 100_000 + dailyPnl,
    dailyPnl,
    drawdownPct: 1.2,
    maxGrossExposure: 40_000,
    execution: { orders: 2, fills: 2, rejects: 0, qualityScore: 88, implementationShortfallBps: 6, averageSlippageBps: 5, fillRate: 0.97, averageLatencyMs: 140 },
    killSwitch: [],
    incidents: [{ id: 'inc-1', priority: 'P4', title: '<script>alert(1)</script> & co' }],
    drift,
    shadowOrders: [],
  };
}

function sessions(count: number, from: number): string[] {
  const dates: string[] = [];
  for (let t = from; dates.length < count; t += 86_400_000) if (NYSE_CALENDAR.isSession(t)) dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}

describe('promotion-gate drift and readiness', () => {
  let cwd: string;
  let offset = 0;
  let readings = 0;
  const clock: Clock = { now: (): EpochMs => epochMs(START + offset + 1000 * readings++) };
  const env = (): Record<string, string> => ({ QUANTBOT_DATA_DIR: join(cwd, 'quantbot'), USER: 'rita' });

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'qb-gate-drift-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  async function run(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), cwd };
    const code = await main([...argv, '--config', GATES_FILE], io, env(), clock);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  /** Works on the registry directly, as the live trader will (it records its own days). */
  async function withRegistry<T>(work: (registry: Awaited<ReturnType<typeof openRegistrySession>>['registry']) => Promise<T>): Promise<T> {
    const session = await openRegistrySession({ env: env(), cwd, schema: undefined, clock, gates: loadPromotionGateConfig(GATES_FILE) });
    try {
      return await work(session.registry);
    } finally {
      await session.close();
    }
  }

  it(
    'drift: exit 1 without evidence and beyond a threshold, 0 within; readiness writes json, md and html, exit 1 until ready',
    async () => {
      const exp = await withRegistry(async (registry) => {
        const { id } = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trend persists', owner: 'alice' });
        await registry.createSnapshot(id, { fast: 10, slow: 30, allowShort: false });
        await registry.recordBacktest(id, { runId: 'r1', digest: 'ab'.repeat(32), digestVerified: true, metrics: { sharpe: 1, totalReturn: 0.2, maxDrawdownPct: 4, closedTrades: 30, extra: {} }, dataQualityErrors: 0, lookaheadPassed: true });
        await registry.recordValidation(id, { ...parseValidationInput({ meanIsSharpe: 1.2, meanOosSharpe: 0.9 }), verified: true });
        await registry.recordReview(id, { decision: 'approved', reviewer: 'bob', comment: '<script>alert(1)</script> & "costs" stressed' });
        await registry.promote(id, { stage: 'paper', by: 'dana' });
        return id;
      });

      // No trader day yet: drift evidence is missing, exit 1 naming it.
      const none = await run(['drift', '--experiment', exp]);
      expect(none.code).toBe(1);
      expect(none.out).toContain('DRIFT NOT ACCEPTABLE (paper): drift evidence missing: daily-return-gap, cumulative-return-gap, slippage-gap, fill-rate-gap, timing-gap (no complete trader-recorded paper day)');
      expect(await run(['drift', '--experiment', exp, '--stage', 'production'])).toMatchObject({ code: 2, err: expect.stringContaining("--stage: 'production' is not a stage") });

      // Six weeks later the trader has recorded 20 days; one drifted 0.8 % on its own.
      offset = 60 * 86_400_000;
      const dates = sessions(30, Date.UTC(2024, 6, 2));
      await withRegistry(async (registry) => {
        for (const [i, date] of dates.slice(0, 20).entries()) await registry.recordTradingDay(exp, traderDay(date, i, i === 5 ? { ...DRIFT, returnGap: 0.008 } : DRIFT), { recordedBy: 'trader' });
      });
      const beyond = await run(['drift', '--experiment', exp]);
      expect(beyond.code).toBe(1);
      expect(beyond.out).toMatch(/daily-return-gap\s+FAIL\s+0\.8 %\s+\|x\| ≤ 0\.5 %\s+2024-07-10/);
      expect(beyond.out).toContain('DRIFT NOT ACCEPTABLE (paper): beyond thresholds: daily-return-gap');
      const json = JSON.parse((await run(['drift', '--experiment', exp, '--json'])).out) as { passed: boolean; days: number; rows: unknown[]; checks: { metric: string; status: string }[] };
      expect(json).toMatchObject({ passed: false, days: 20 });
      expect(json.rows).toHaveLength(20);

      // Not ready: 20 of 30 days, and the return drift fails. The report says why, in every format.
      // An open P3 defect is listed (it does not block; a P1 or P2 would).
      await withRegistry((registry) => registry.openDefect(exp, { severity: 'P3', title: 'slow <fills> on Mondays', openedBy: 'rita' }));
      const out = join(cwd, 'report');
      const blocked = await run(['readiness', '--experiment', exp, '--out', 'report']);
      expect(blocked.code).toBe(1);
      expect(blocked.out).toContain(`wrote readiness.json, readiness.md, readiness.html to ${out}`);
      expect(blocked.out).toContain('NOT READY for live');
      expect(blocked.out).toMatch(/- paper-days fails: measured 20, needs ≥ 30/);
      expect(blocked.out).toMatch(/- drift-return fails: measured daily 0\.8 %/);
      const report = JSON.parse(readFileSync(join(out, 'readiness.json'), 'utf8')) as { ready: boolean; reasons: string[]; paper: { streakDays: number; stability: { windows: unknown[] } } };
      expect(report).toMatchObject({ ready: false, paper: { streakDays: 20 } });
      expect(report.reasons.map((r) => r.split(' ')[0])).toEqual(['paper-days', 'drift-return']);
      expect(report.paper.stability.windows).toHaveLength(2);
      expect(readFileSync(join(out, 'readiness.md'), 'utf8')).toContain('- verdict: **NOT READY** for live (strict)');
      expect(readFileSync(join(out, 'readiness.md'), 'utf8')).toMatch(/- trials of the experiment: \d+ trial\(s\) \(\d+ backtest\(s\) \+ 0 trial\(s\) of 0 sweep\(s\)\)/);
      expect(readFileSync(join(out, 'readiness.md'), 'utf8')).toMatch(/## Open defects\n\n- def-\d+ P3: slow <fills> on Mondays \(opened by rita\)/);
      const html = readFileSync(join(out, 'readiness.html'), 'utf8');
      expect(html).toContain('<td>slow &lt;fills&gt; on Mondays</td>');
      expect(html).toContain('NOT READY for live');
      // Self-contained and escaped: the review comment is shown as text, nothing is fetched.
      expect(html).toContain('approved by bob: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;costs&quot; stressed');
      expect(html).not.toMatch(/<script|https?:\/\/|<link|src=/);

      // Ten more days make 30: the drifted day is still in the run, so drift is still beyond.
      await withRegistry(async (registry) => {
        for (const [i, date] of dates.slice(20).entries()) await registry.recordTradingDay(exp, traderDay(date, 20 + i), { recordedBy: 'trader' });
      });
      expect((await run(['drift', '--experiment', exp])).code).toBe(1);
    },
    SLOW,
  );

  it(
    'readiness: exit 0 and READY once 30 trader days drift within the thresholds; the default folder is results/readiness/<experiment>',
    async () => {
      offset = 0;
      const exp = await withRegistry(async (registry) => {
        const { id } = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trend persists, again', owner: 'alice' });
        await registry.createSnapshot(id, { fast: 12, slow: 30, allowShort: false });
        await registry.recordBacktest(id, { runId: 'r2', digest: 'cd'.repeat(32), digestVerified: true, metrics: { sharpe: 1, totalReturn: 0.2, maxDrawdownPct: 4, closedTrades: 30, extra: {} }, dataQualityErrors: 0, lookaheadPassed: true });
        await registry.recordValidation(id, { ...parseValidationInput({ meanIsSharpe: 1.2, meanOosSharpe: 0.9 }), verified: true });
        await registry.recordReview(id, { decision: 'approved', reviewer: 'bob', comment: null });
        await registry.promote(id, { stage: 'paper', by: 'dana' });
        offset = 60 * 86_400_000;
        for (const [i, date] of sessions(30, Date.UTC(2024, 6, 2)).entries()) await registry.recordTradingDay(id, traderDay(date, i), { recordedBy: 'trader' });
        return id;
      });
      const within = await run(['drift', '--experiment', exp]);
      expect(within.code).toBe(0);
      expect(within.out).toContain('WITHIN drift thresholds (paper, 30 day(s) 2024-07-02..2024-08-13)');
      expect(within.out).toMatch(/cumulative: return gap 0\.9 % \(sum\)/);
      const ready = await run(['readiness', '--experiment', exp]);
      expect(ready.code).toBe(0);
      expect(ready.out).toContain(`READY for live: ${exp}`);
      const dir = join(cwd, 'results', 'readiness', exp);
      for (const file of ['readiness.json', 'readiness.md', 'readiness.html']) expect(existsSync(join(dir, file))).toBe(true);
      const html = readFileSync(join(dir, 'readiness.html'), 'utf8');
      expect(html).toContain('READY for live');
      expect(JSON.parse((await run(['readiness', '--experiment', exp, '--json'])).out)).toMatchObject({ ready: true, reasons: [], files: { html: join(dir, 'readiness.html') } });
      expect((await run(['promote', '--experiment', exp, '--to', 'live', '--by', 'erin', '--target-capital', '100000'])).code).toBe(0);
      // Promoted live: drift now defaults to the live days, which do not exist yet.
      expect((await run(['drift', '--experiment', exp])).out).toContain('DRIFT NOT ACCEPTABLE (live)');
    },
    SLOW,
  );
});
