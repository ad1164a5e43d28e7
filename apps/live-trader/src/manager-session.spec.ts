import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openLiveStateStore, parseLiveCheckpoint } from '@quantbot/live';
import type { LiveAuditRecord, LiveRunSummary } from '@quantbot/live';
import { createLogger } from '@quantbot/observability';
import type { CliIo } from '@quantbot/cli';
import { main } from './main';
import { runCommand } from './run-command';
import type { RunDeps } from './run-command';
import { dropTestSchema } from '@quantbot/storage/testing';
import { manualStopSignal } from './stop-signal';

const SERVER = process.env['TEST_DATABASE_URL'];
let schemaCounter = 0;

/** The example the repository ships. */
const EXAMPLE = resolve(__dirname, '..', '..', '..', 'examples', 'manager.json');

/** Two crossovers on the same symbols, one of them also short: their positions net in the portfolio. */
const CROSSOVERS = {
  sleeves: [
    { name: 'fast', strategy: 'sma-crossover', params: { fast: 5, slow: 20, allowShort: true }, allocation: 0.4 },
    { name: 'slow', strategy: 'sma-crossover', params: { fast: 10, slow: 40 }, allocation: 0.4 },
  ],
};

function capture(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

interface ManagerSummary extends LiveRunSummary {
  readonly sleeves: NonNullable<LiveRunSummary['sleeves']>;
}

describe('live-trader run --manager on the simulator (state on the Postgres server when TEST_DATABASE_URL is set, else embedded)', () => {
  let cwd: string;
  let env: Record<string, string | undefined>;
  let stateFlags: string[];

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-manager-'));
    schemaCounter++;
    if (SERVER !== undefined && SERVER !== '') {
      env = { DATABASE_URL: SERVER };
      stateFlags = ['--state-schema', `live_manager_${process.pid}_${schemaCounter}`];
    } else {
      env = {};
      stateFlags = ['--state-dir', join(cwd, 'state')];
    }
    writeFileSync(join(cwd, 'crossovers.json'), JSON.stringify(CROSSOVERS));
  });
  afterEach(async () => {
    if (SERVER !== undefined && SERVER !== '') await dropTestSchema(SERVER, stateFlags[1] as string);
    rmSync(cwd, { recursive: true, force: true });
  });

  const NOW = Date.parse('2024-03-05T15:00:00Z');

  /** One trader run in this process; `onStep` is told each step's number (1, 2, ...). */
  const run = async (args: readonly string[], options: { readonly session?: string; readonly onStep?: (n: number) => void } = {}) => {
    const io = capture(cwd);
    let steps = 0;
    const deps: RunDeps = {
      env,
      now: () => NOW,
      monotonic: () => performance.now(),
      stop: manualStopSignal(),
      logger: createLogger({ logFile: join(cwd, 'results', 'logs', 'live-trader.log'), console: false }),
      onStep: () => options.onStep?.(++steps),
    };
    try {
      const code = await runCommand(['--broker', 'sim', '--symbols', 'AAA,BBB', '--sizing', 'percent-of-equity', '--sizing-pct', '10', '--session', options.session ?? 'managed', ...stateFlags, ...args], io, deps);
      return { code, io, summary: code === 0 ? (JSON.parse(io.stdout.at(-1) as string) as ManagerSummary) : undefined };
    } finally {
      await deps.logger.close();
    }
  };

  const saved = async (session = 'managed') => {
    const opened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema: stateFlags[1] as string } : { dataDir: stateFlags[1] as string }) });
    try {
      const stored = await opened.store.latestCheckpoint(session);
      const checkpoint = parseLiveCheckpoint(stored?.document);
      const state = checkpoint.version === 2 ? (checkpoint.strategy.state as { sleeves: { name: string; state: string; stateReason: string | null }[] }) : undefined;
      return { checkpoint, sleeves: state?.sleeves ?? [], audit: await opened.store.audit(session) };
    } finally {
      await opened.close();
    }
  };

  /** The trader's CLI in this process (exit codes as a shell sees them). */
  const cli = async (...argv: string[]) => {
    const io = capture(cwd);
    const code = await main(argv, io, env, new Date(NOW));
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  it('trades the sleeves of a manager file, and a restart continues to exactly where one uninterrupted run gets', async () => {
    const first = await run(['--manager', 'crossovers.json', '--stop-after', '120']);
    expect(first.io.stderr).toEqual([]);
    expect(first.code).toBe(0);
    const second = await run(['--manager', 'crossovers.json', '--stop-after', '130']);
    expect(second.code).toBe(0);
    const straight = await run(['--manager', 'crossovers.json', '--stop-after', '250'], { session: 'straight' });
    expect(straight.code).toBe(0);
    const resumed = second.summary as ManagerSummary;
    const uninterrupted = straight.summary as ManagerSummary;
    expect(resumed.liveSteps).toBe(250);
    expect(resumed.sleeves).toEqual(uninterrupted.sleeves);
    expect(resumed.equity).toBeCloseTo(uninterrupted.equity, 9);
    // Both sleeves traded, and their books add up to the portfolio (the 20% no sleeve has stays in cash).
    expect(resumed.sleeves.map((s) => s.name)).toEqual(['fast', 'slow']);
    expect(resumed.sleeves.every((s) => s.pnl !== 0)).toBe(true);
    const books = resumed.sleeves.reduce((sum, s) => sum + s.equity, 0) + 20_000;
    expect(Math.abs(books - resumed.equity)).toBeLessThan(1e-6);
    // The portfolio holds the net of the sleeves' positions.
    for (const symbol of ['AAA', 'BBB']) {
      const net = resumed.sleeves.reduce((sum, s) => sum + (s.positions.find((p) => p.symbol === symbol)?.qty ?? 0), 0);
      expect(resumed.positions.find((p) => p.symbol === symbol)?.qty ?? 0).toBe(net);
    }
    // A changed file is another strategy: the session refuses to resume on it.
    writeFileSync(join(cwd, 'crossovers.json'), JSON.stringify({ sleeves: [CROSSOVERS.sleeves[0], { ...CROSSOVERS.sleeves[1], allocation: 0.3 }] }));
    const changed = await cli('run', '--broker', 'sim', '--symbols', 'AAA,BBB', '--session', 'managed', '--manager', 'crossovers.json', '--stop-after', '5', ...stateFlags);
    expect(changed.code).toBe(1);
    expect(changed.err).toMatch(/checkpoint strategy\.params: were .*"allocation":0\.4.*, now .*"allocation":0\.3.*; start a new session for new parameters/);
  }, 90_000);

  it('halts one sleeve on an operator request to the running trader; it stays halted after a restart until resumed', async () => {
    let requested = '';
    const first = await run(['--manager', 'crossovers.json', '--stop-after', '60'], {
      onStep: (n) => {
        // Written between bars, as an operator would; the trader reads it before the next bar.
        if (n === 30) void cli('sleeve', 'halt', '--session', 'managed', '--sleeve', 'fast', '--reason', 'slippage review', '--by', 'risk desk').then((r) => (requested = r.out));
      },
    });
    expect(first.code).toBe(0);
    expect(requested).toContain('halt requested for sleeve fast of session managed');
    expect(first.io.stdout).toContain('sleeve fast: halt by risk desk (slippage review): halted');
    expect(first.summary?.sleeves.map((s) => [s.name, s.state])).toEqual([
      ['fast', 'halted'],
      ['slow', 'active'],
    ]);
    const after = await saved();
    expect(after.sleeves.map((s) => s.state)).toEqual(['halted', 'active']);
    expect(after.sleeves[0]?.stateReason).toBe('operator risk desk: slippage review');
    const audited = after.audit.filter((a: LiveAuditRecord) => a.kind === 'sleeve-request');
    expect(audited).toEqual([expect.objectContaining({ detail: expect.objectContaining({ sleeve: 'fast', action: 'halt', applied: true, by: 'risk desk', state: 'halted' }) })]);
    expect(existsSync(join(cwd, 'results', 'live', 'sleeve-managed.fast.json'))).toBe(false);

    // A restart keeps it halted: what it holds stays, it sends nothing.
    const held = first.summary?.sleeves[0]?.positions;
    const restarted = await run(['--manager', 'crossovers.json', '--stop-after', '60']);
    expect(restarted.summary?.sleeves[0]).toEqual(expect.objectContaining({ name: 'fast', state: 'halted', positions: held }));

    // Resumed by a request left while the trader was stopped: applied at the next start.
    expect((await cli('sleeve', 'resume', '--session', 'managed', '--sleeve', 'fast', '--reason', 'reviewed', '--by', 'risk desk')).code).toBe(0);
    const resumed = await run(['--manager', 'crossovers.json', '--stop-after', '5']);
    expect(resumed.io.stdout).toContain('sleeve fast: resume by risk desk (reviewed): active');
    expect(resumed.summary?.sleeves[0]?.state).toBe('active');
    // A request the session cannot apply is refused, said and removed.
    expect((await cli('sleeve', 'halt', '--session', 'managed', '--sleeve', 'nope', '--reason', 'x')).code).toBe(0);
    const refused = await run(['--manager', 'crossovers.json', '--stop-after', '1']);
    expect(refused.io.stderr.join('\n')).toContain("warning: sleeve nope: halt by operator (x) refused: no sleeve named 'nope'; sleeves: fast, slow");
  }, 120_000);

  it('trips a sleeve kill switch in a live session: a notice is printed, the state is saved, the other sleeve trades on', async () => {
    const tight = { sleeves: [{ ...CROSSOVERS.sleeves[0], killSwitch: { maxDrawdownPct: 0.2, action: 'flatten' } }, CROSSOVERS.sleeves[1]] };
    writeFileSync(join(cwd, 'tight.json'), JSON.stringify(tight));
    const result = await run(['--manager', 'tight.json', '--stop-after', '250']);
    expect(result.code).toBe(0);
    const err = result.io.stderr.join('\n');
    expect(err).toMatch(/^warning: fast: sleeve-flattening: sleeve fast \(sma-crossover\) flattening \(its orders dropped, its positions closed\): kill switch: drawdown [\d.]+% reached maxDrawdownPct 0\.2/m);
    expect(err).toMatch(/^warning: fast: sleeve-flattened: /m);
    const [fast, slow] = result.summary?.sleeves ?? [];
    expect(fast).toEqual(expect.objectContaining({ state: 'halted', positions: [] }));
    expect(slow?.state).toBe('active');
    expect((await saved()).sleeves.map((s) => s.state)).toEqual(['halted', 'active']);
  }, 90_000);

  it('runs the shipped example (with a bracket sleeve) and restarts on it', async () => {
    const first = await run(['--manager', EXAMPLE, '--stop-after', '150']);
    expect(first.io.stderr).toEqual([]);
    const second = await run(['--manager', EXAMPLE, '--stop-after', '100']);
    expect(second.code).toBe(0);
    const summary = second.summary as ManagerSummary;
    expect(summary.liveSteps).toBe(250);
    expect(summary.sleeves.map((s) => s.name)).toEqual(['trend', 'breakout']);
    // 50% + 30% allocated: 20 000 of the 100 000 stays with no sleeve.
    expect(Math.abs(summary.sleeves.reduce((sum, s) => sum + s.equity, 0) + 20_000 - summary.equity)).toBeLessThan(1e-6);
  }, 90_000);

  it('refuses --manager with live money, an experiment, a strategy, or a bad file (exit 2, nothing opened)', async () => {
    writeFileSync(join(cwd, 'bad.json'), JSON.stringify({ sleeves: [{ ...CROSSOVERS.sleeves[0], allocation: 1.5 }] }));
    const cases: [string[], string][] = [
      [['--broker', 'alpaca', '--symbols', 'AAA', '--live'], 'error: --manager: cannot be combined with --live: promotions, evidence days and capital stages cover one strategy'],
      [['--broker', 'alpaca', '--symbols', 'AAA', '--experiment', 'exp-1'], 'error: --manager: cannot be combined with --experiment:'],
      [['--strategy', 'sma-crossover'], 'error: --manager: the manager file crossovers.json names the strategies and their parameters: give it without --strategy'],
    ];
    for (const [flags, message] of cases) {
      const result = await cli('run', '--manager', 'crossovers.json', ...flags, ...stateFlags);
      expect(result.code).toBe(2);
      expect(result.err).toContain(message);
    }
    const bad = await cli('run', '--broker', 'sim', '--manager', 'bad.json', ...stateFlags);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('error: bad.json: sleeves[0].allocation: must be a fraction of the capital above 0 and at most 1, got 1.5');
    const missing = await cli('run', '--broker', 'sim', '--manager', 'none.json', ...stateFlags);
    expect(missing).toMatchObject({ code: 2, err: 'error: --manager: cannot read none.json (ENOENT)' });
    expect(existsSync(join(cwd, 'state'))).toBe(false);
  }, 60_000);

  it('the sleeve command names what is missing and lists pending requests', async () => {
    expect(await cli('sleeve', 'halt', '--session', 'managed', '--sleeve', 'fast')).toMatchObject({ code: 2, err: 'error: --reason: is required for halt' });
    expect(await cli('sleeve', 'pause', '--session', 'managed')).toMatchObject({ code: 2, err: "error: sleeve: unknown action 'pause'; expected halt, flatten, resume or pending" });
    expect((await cli('sleeve', 'flatten', '--session', 'managed', '--sleeve', 'a b', '--reason', 'x')).err).toMatch(/^error: sleeve: sleeve request \(new request\): field sleeve: 'a b' must be 1-40 letters/);
    expect((await cli('sleeve', 'flatten', '--session', 'managed', '--sleeve', 'slow', '--reason', 'risk', '--by', 'ops')).code).toBe(0);
    const request = JSON.parse(readFileSync(join(cwd, 'results', 'live', 'sleeve-managed.slow.json'), 'utf8')) as Record<string, string>;
    expect(request).toEqual({ session: 'managed', sleeve: 'slow', action: 'flatten', reason: 'risk', by: 'ops', requestedAt: '2024-03-05T15:00:00.000Z' });
    expect((await cli('sleeve', 'pending')).out).toBe('session managed sleeve slow: flatten by ops at 2024-03-05T15:00:00.000Z: risk');
  });
});
