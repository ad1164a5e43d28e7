import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { openLiveStateStore } from '@quantbot/live';
import type { LiveStepReport } from '@quantbot/live';
import { createLogger } from '@quantbot/observability';
import { killFileRequest, writeKillFile } from '@quantbot/risk-guardrails';
import { liveNotifier } from './live-notices';
import { main } from './main';
import { sample, scrape } from './metrics.spec-helper';
import { runCommand } from './run-command';
import type { RunDeps } from './run-command';
import { dropTestSchema } from '@quantbot/storage/testing';
import { manualStopSignal } from './stop-signal';
import type { StopSignal } from './stop-signal';
import { StatusTicker, parseStatusEvery } from './trader-output';
import { TraderView } from './trader-view';
import { until } from './wait.spec-helper';

const SERVER = process.env['TEST_DATABASE_URL'];
let counter = 0;

function capture(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

const STATUS_LINE =
  /^status time=(\S+) step=(\d+) equity=(-?\d+\.\d\d) day_pnl=([+-]\d+\.\d\d) positions=(\d+) working_orders=(\d+) broker=sim kill_switch=(\w+)(?: reason=(".*"))?$/;

describe(`a trader you can see: --broker sim (state on ${SERVER ? 'the Postgres server' : 'embedded PGlite'})`, () => {
  let cwd: string;
  let env: Record<string, string | undefined>;
  let stateFlags: string[];

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-visible-'));
    counter++;
    if (SERVER) {
      env = { DATABASE_URL: SERVER };
      stateFlags = ['--state-schema', `live_visible_${process.pid}_${counter}`];
    } else {
      env = {};
      stateFlags = ['--state-dir', join(cwd, 'state')];
    }
  });
  afterEach(async () => {
    if (SERVER) await dropTestSchema(SERVER, stateFlags[1] as string);
    rmSync(cwd, { recursive: true, force: true });
  });

  const NOW = Date.parse('2024-03-05T15:00:00Z');
  const run = async (
    args: readonly string[],
    options: { readonly stop?: StopSignal; readonly onStep?: (report: LiveStepReport) => void; readonly io?: ReturnType<typeof capture>; readonly session?: string } = {},
  ): Promise<{ code: number; io: ReturnType<typeof capture> }> => {
    const io = options.io ?? capture(cwd);
    const deps: RunDeps = {
      env,
      now: () => NOW,
      monotonic: () => performance.now(),
      stop: options.stop ?? manualStopSignal(),
      logger: createLogger({ logFile: join(cwd, 'results', 'logs', 'live-trader.log'), console: false }),
      ...(options.onStep !== undefined ? { onStep: options.onStep } : {}),
    };
    try {
      const code = await runCommand(['--broker', 'sim', '--symbols', 'AAA,BBB', '--params', 'fast=5,slow=20,allowShort=true', '--session', options.session ?? 'vis', ...stateFlags, ...args], io, deps);
      return { code, io };
    } finally {
      await deps.logger.close();
    }
  };
  const stored = async (session = 'vis') => {
    const opened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema: stateFlags[1] as string } : { dataDir: stateFlags[1] as string }) });
    try {
      return { fills: await opened.store.fills(session), audit: await opened.store.audit(session), orders: await opened.store.orders(session) };
    } finally {
      await opened.close();
    }
  };

  it('serves metrics while it trades whose values are those of the steps so far, and closes the endpoint when it stops', async () => {
    const reports: LiveStepReport[] = [];
    const stop = manualStopSignal();
    const io = capture(cwd);
    // Two positions of 10% each break a 15% gross exposure cap: rejects beside fills.
    const running = run(['--metrics-port', '0', '--interval-ms', '5', '--risk', 'maxGrossExposurePct=15'], { stop, io, onStep: (r) => reports.push(r) });
    await until(() => reports.length >= 150, 'the trader to take 150 steps', 30_000);
    const url = /^metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/.exec(io.stdout.find((l) => l.startsWith('metrics: ')) ?? '')?.[1];
    expect(url).toBeDefined();
    const text = await scrape(url as string);
    stop.stop();
    const result = await running;
    expect(result.code).toBe(0);

    // One scrape is one consistent moment: the steps it counts are the reports it sums.
    const n = sample(text, 'quantbot_steps_total') as number;
    expect(n).toBeGreaterThanOrEqual(150);
    const seen = reports.slice(0, n);
    const last = seen[n - 1] as LiveStepReport;
    const sum = (pick: (r: LiveStepReport) => number): number => seen.reduce((a, r) => a + pick(r), 0);
    expect(sample(text, 'quantbot_orders_total', { outcome: 'submitted' })).toBe(sum((r) => r.ordersSubmitted));
    const rejected = sum((r) => r.rejects['gross-exposure'] ?? 0);
    expect(rejected).toBeGreaterThan(0);
    expect(sample(text, 'quantbot_order_rejects_total', { reason: 'gross-exposure' })).toBe(rejected);
    expect(sample(text, 'quantbot_orders_total', { outcome: 'rejected' })).toBe(sum((r) => Object.values(r.rejects).reduce((a, b) => a + b, 0)));
    expect(sum((r) => r.fills)).toBeGreaterThan(0);
    expect(sample(text, 'quantbot_fills_total')).toBe(sum((r) => r.fills));
    expect(sample(text, 'quantbot_decision_latency_seconds_count')).toBe(n);
    expect(sample(text, 'quantbot_order_latency_seconds_count')).toBe(seen.filter((r) => r.ordersSubmitted > 0).length);
    // A replay's bars are history: no staleness is observed.
    expect(sample(text, 'quantbot_data_staleness_seconds_count')).toBe(0);
    expect(sample(text, 'quantbot_equity')).toBe(last.equity);
    expect(sample(text, 'quantbot_cash')).toBe(last.cash);
    const peak = Math.max(...seen.map((r) => r.equity));
    expect(sample(text, 'quantbot_drawdown_ratio')).toBeCloseTo((peak - last.equity) / peak, 12);
    expect(sample(text, 'quantbot_open_positions')).toBe(last.openPositions);
    expect(sample(text, 'quantbot_working_orders')).toBe(last.workingOrders);
    expect(sample(text, 'quantbot_last_bar_timestamp_seconds')).toBe(last.time / 1000);
    expect(sample(text, 'quantbot_trading_state', { state: 'active' })).toBe(1);
    expect(sample(text, 'quantbot_trading_state', { state: 'halted' })).toBe(0);
    // No broker to reach with --broker sim: no connection series.
    expect(text).not.toMatch(/^quantbot_broker_connected\{/m);

    // The reports' counts are the session's journal: every fill stored, every refusal audited.
    const saved = await stored();
    expect(reports.reduce((a, r) => a + r.fills, 0)).toBe(saved.fills.length);
    expect(reports.reduce((a, r) => a + (r.rejects['gross-exposure'] ?? 0), 0)).toBe(
      saved.audit.filter((a) => a.kind === 'order-rejected' && a.detail['code'] === 'gross-exposure').length,
    );
    // Stopped: the endpoint is gone.
    await expect(fetch(url as string)).rejects.toThrow();
  }, 60_000);

  it('reports a halted kill switch in the metrics and the status line', async () => {
    const killFile = join(cwd, 'kill.json');
    writeKillFile(killFile, killFileRequest('halted', 'desk says stop', 'risk desk', NOW));
    const stop = manualStopSignal();
    const io = capture(cwd);
    let steps = 0;
    const running = run(['--kill-file', killFile, '--metrics-port', '0', '--status-every', '5', '--interval-ms', '5'], { stop, io, onStep: () => steps++ });
    await until(() => steps >= 5, 'five steps', 30_000);
    const url = (io.stdout.find((l) => l.startsWith('metrics: ')) ?? '').slice('metrics: '.length);
    const text = await scrape(url);
    stop.stop();
    expect((await running).code).toBe(0);
    expect(sample(text, 'quantbot_trading_state', { state: 'halted' })).toBe(1);
    expect(sample(text, 'quantbot_trading_state', { state: 'active' })).toBe(0);
    const reason = `kill file ${killFile}: desk says stop (by risk desk at 2024-03-05T15:00:00.000Z)`;
    expect(io.stderr[0]).toBe(`warning: kill switch: active -> halted: ${reason}`);
    const status = io.stderr.filter((l) => l.startsWith('status '));
    expect(status.length).toBeGreaterThanOrEqual(1);
    expect(status[0]).toMatch(STATUS_LINE);
    expect(STATUS_LINE.exec(status[0] as string)?.slice(7, 9)).toEqual(['halted', JSON.stringify(reason)]);
  }, 60_000);

  it('prints a status line every --status-every steps with the values of that step', async () => {
    const reports: LiveStepReport[] = [];
    const { code, io } = await run(['--status-every', '10', '--stop-after', '30'], { onStep: (r) => reports.push(r) });
    expect(code).toBe(0);
    expect(io.stderr).toHaveLength(3);
    io.stderr.forEach((line, i) => {
      const report = reports[10 * (i + 1) - 1] as LiveStepReport;
      const m = STATUS_LINE.exec(line);
      expect(m).not.toBeNull();
      expect(m?.slice(1, 8)).toEqual([
        new Date(report.time).toISOString(),
        String(10 * (i + 1)),
        report.equity.toFixed(2),
        expect.stringMatching(/^[+-]\d+\.\d\d$/),
        String(report.openPositions),
        String(report.workingOrders),
        'active',
      ]);
    });
    // The summary stays the last line on stdout, as before.
    expect(JSON.parse(io.stdout.at(-1) as string)).toMatchObject({ session: 'vis', bars: 30, equity: reports[29]?.equity });
  }, 60_000);

  it('--quiet prints warnings, errors and the final summary only; --json prints JSON lines only', async () => {
    const killFile = join(cwd, 'kill.json');
    writeKillFile(killFile, killFileRequest('halted', 'quiet please', 'ops', NOW));
    const quiet = await run(['--quiet', '--status-every', '5', '--stop-after', '12', '--kill-file', killFile]);
    expect(quiet.code).toBe(0);
    expect(quiet.io.stdout).toHaveLength(1);
    expect(JSON.parse(quiet.io.stdout[0] as string)).toMatchObject({ session: 'vis', bars: 12 });
    expect(quiet.io.stderr).toEqual([`warning: kill switch: active -> halted: kill file ${killFile}: quiet please (by ops at 2024-03-05T15:00:00.000Z)`]);

    // The halted session resumed: its status says so, with the reason its checkpoint holds.
    const resumed = await run(['--status-every', '1', '--stop-after', '1', '--kill-file', join(cwd, 'none.json')]);
    expect(resumed.io.stderr).toEqual([expect.stringMatching(new RegExp(`^status .* kill_switch=halted reason="kill file .*: quiet please \\(by ops at 2024-03-05T15:00:00.000Z\\)"$`))]);

    const reports: LiveStepReport[] = [];
    const json = await run(['--json', '--status-every', '4', '--stop-after', '8', '--kill-file', join(cwd, 'none.json')], { session: 'vis-json', onStep: (r) => reports.push(r) });
    expect(json.code).toBe(0);
    const lines = [...json.io.stdout, ...json.io.stderr].map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(json.io.stdout.length + json.io.stderr.length);
    const status = json.io.stderr.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['type'] === 'status');
    expect(status).toEqual(
      [3, 7].map((k) => ({
        type: 'status',
        time: new Date(reports[k]?.time as number).toISOString(),
        step: k + 1,
        equity: reports[k]?.equity,
        cash: reports[k]?.cash,
        dayPnl: expect.any(Number),
        drawdown: expect.any(Number),
        positions: reports[k]?.openPositions,
        workingOrders: reports[k]?.workingOrders,
        broker: 'sim',
        killSwitch: { state: 'active', reason: null },
      })),
    );
    const infos = json.io.stdout.slice(0, -1).map((l) => JSON.parse(l) as { type: string; message: string });
    expect(infos.map((l) => l.type)).toEqual(['info', 'info', 'info', 'info']);
    expect(infos.some((l) => l.message.startsWith('slo: built-in defaults; paging: off (SLO_PAGING_ENABLED)'))).toBe(true);
    expect(JSON.parse(json.io.stdout.at(-1) as string)).toMatchObject({ session: 'vis-json', bars: 8 });
  }, 60_000);

  it('refuses a metrics port in use, naming --metrics-port, with exit 2; --json errors are JSON too', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      for (const json of [false, true]) {
        const io = capture(cwd);
        const code = await main(['run', '--broker', 'sim', '--session', 'busy', ...stateFlags, '--stop-after', '5', '--metrics-port', String(port), ...(json ? ['--json'] : [])], io, env, new Date(NOW));
        expect(code).toBe(2);
        const line = io.stderr.at(-1) as string;
        if (json) expect(JSON.parse(line)).toEqual({ type: 'error', message: expect.stringMatching(new RegExp(`^--metrics-port: cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`)) });
        else expect(line).toMatch(new RegExp(`^error: --metrics-port: cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
      }
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    const both = capture(cwd);
    expect(await main(['run', '--broker', 'sim', '--quiet', '--json'], both, env, new Date(NOW))).toBe(2);
    expect(both.stderr.map((l) => JSON.parse(l) as unknown)).toEqual([{ type: 'error', message: '--quiet: choose one of --quiet and --json' }]);
    const bad = capture(cwd);
    expect(await main(['run', '--broker', 'sim', '--status-every', '10x'], bad, env, new Date(NOW))).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/--status-every: '10x' is neither a number of steps/);
  }, 60_000);
});

describe('StatusTicker', () => {
  it('prints every n steps', () => {
    const printed: number[] = [];
    let step = 0;
    const ticker = new StatusTicker(parseStatusEvery('3'), () => 0, () => printed.push(step));
    for (step = 1; step <= 10; step++) ticker.step();
    expect(printed).toEqual([3, 6, 9]);
    expect(ticker.timerMs).toBeUndefined();
  });

  it('prints once the interval passed on the clock, at a step or on the timer, and not before', () => {
    let now = 1_000;
    const printed: number[] = [];
    const ticker = new StatusTicker(parseStatusEvery('30s'), () => now, () => printed.push(now));
    ticker.step();
    now += 29_999;
    ticker.tick();
    ticker.step();
    expect(printed).toEqual([]);
    now += 1;
    ticker.tick();
    expect(printed).toEqual([31_000]);
    now += 10_000;
    ticker.step();
    now += 20_000;
    ticker.step();
    expect(printed).toEqual([31_000, 61_000]);
    expect(ticker.timerMs).toBe(1000);
  });

  it('reads --status-every', () => {
    expect(parseStatusEvery('10')).toEqual({ kind: 'steps', n: 10 });
    expect(parseStatusEvery('500ms')).toEqual({ kind: 'ms', ms: 500 });
    expect(parseStatusEvery('30s')).toEqual({ kind: 'ms', ms: 30_000 });
    expect(parseStatusEvery('5m')).toEqual({ kind: 'ms', ms: 300_000 });
    expect(parseStatusEvery('off')).toEqual({ kind: 'off' });
    expect(() => parseStatusEvery('0')).toThrow(/--status-every/);
    expect(() => parseStatusEvery('-1s')).toThrow(/--status-every/);
  });
});

describe('TraderView', () => {
  const DAY = 86_400_000;
  const step = (time: number, equity: number): LiveStepReport => ({
    step: 0,
    time,
    ordersSubmitted: 0,
    tradingState: 'active',
    latencyMs: 1,
    equity,
    cash: equity,
    openPositions: 0,
    workingOrders: 0,
    fills: 0,
    rejects: {},
    ordersEnded: { filled: 0, unfilled: 0 },
  });

  it("measures the day's P&L from the previous UTC day's last equity (the first day: its first), and drawdown from the peak", () => {
    const view = new TraderView({ withBroker: false });
    expect(view.snapshot()).toMatchObject({ barTime: undefined, equity: undefined, dayPnl: undefined, broker: undefined, killSwitch: { state: 'active', reason: undefined } });
    view.observe({ kind: 'step', report: step(10 * DAY + 1000, 100) });
    view.observe({ kind: 'step', report: step(10 * DAY + 2000, 110) });
    expect(view.snapshot()).toMatchObject({ dayPnl: 10, drawdown: 0, peakEquity: 110 });
    view.observe({ kind: 'step', report: step(11 * DAY + 1000, 99) });
    expect(view.snapshot()).toMatchObject({ steps: 3, dayPnl: -11, peakEquity: 110, drawdown: 0.1 });
  });

  it('follows the broker channels: unknown, up once bars flow, down and up with the notices and stream events', () => {
    const view = new TraderView({ withBroker: true });
    expect(view.snapshot().broker).toEqual({ 'trade-stream': 'unknown', 'bar-stream': 'unknown', rest: 'unknown' });
    view.observe({ kind: 'trading', sessionId: 's', symbols: ['AAA'], after: 0 });
    expect(view.snapshot().broker).toEqual({ 'trade-stream': 'up', 'bar-stream': 'up', rest: 'up' });
    view.observe({ kind: 'broker-unhealthy', channel: 'rest', detail: 'timeout', since: 0, maxOutageMs: 60_000 });
    view.streamEvent('bar-stream', 'reconnecting');
    expect(view.snapshot().broker).toEqual({ 'trade-stream': 'up', 'bar-stream': 'down', rest: 'down' });
    view.observe({ kind: 'broker-healthy', channel: 'rest', detail: 'answered' });
    view.streamEvent('bar-stream', 'ready');
    expect(view.snapshot().broker).toEqual({ 'trade-stream': 'up', 'bar-stream': 'up', rest: 'up' });
    view.observe({ kind: 'kill-switch', from: 'active', to: 'halted', reason: 'desk' });
    expect(view.snapshot().killSwitch).toEqual({ state: 'halted', reason: 'desk' });
    view.observe({ kind: 're-arm', applied: true, by: 'bob', reason: 'checked', refusal: null, state: 'active' });
    expect(view.snapshot().killSwitch).toEqual({ state: 'active', reason: undefined });
  });
});

describe('liveNotifier', () => {
  it('prints every warning and error as it happens, with its level first', () => {
    const io = { stdout: [] as string[], stderr: [] as string[], cwd: '.', out(t: string) { this.stdout.push(t); }, err(t: string) { this.stderr.push(t); } };
    const logger = createLogger({ console: false });
    const notify = liveNotifier(io, logger, { broker: 'alpaca' });
    const t = Date.parse('2024-03-05T14:31:00Z');
    notify({ kind: 'late-bar', symbol: 'AAA', time: t, lastStep: t + 60_000 });
    notify({ kind: 'step-failed', error: new Error('book out of balance') });
    notify({ kind: 'save-failed', error: new Error('database gone') });
    notify({ kind: 're-arm', applied: false, by: 'bob', reason: 'checked', refusal: 'the kill file is in place', state: 'halted' });
    notify({ kind: 'broker-healthy', channel: 'rest', detail: 'answered' });
    expect(io.stdout).toEqual([]);
    expect(io.stderr).toEqual([
      'warning: late bar dropped: AAA 2024-03-05T14:31:00.000Z came after the step of 2024-03-05T14:32:00.000Z',
      'error: step failed: book out of balance',
      'error: saving after an operator control failed: database gone',
      'warning: kill switch: re-arm by bob (checked) refused: the kill file is in place; the session stays halted',
      'warning: broker: healthy again (rest answered)',
    ]);
  });
});
