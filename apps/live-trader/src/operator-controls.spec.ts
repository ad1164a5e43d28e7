import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import { ticker } from '@quantbot/core';
import { openLiveStateStore, parseLiveCheckpoint } from '@quantbot/live';
import type { LiveAuditRecord } from '@quantbot/live';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { killFileRequest, writeKillFile } from '@quantbot/risk-guardrails';
import { minuteDay } from './minute-bars.spec-helper';
import { dropTestSchema } from '@quantbot/storage/testing';
import { startTrader } from './trader-process.spec-helper';
import type { TraderProcess } from './trader-process.spec-helper';
import { until } from './wait.spec-helper';

/**
 * The operator's controls, exercised on the built trader as separate processes: the endpoint
 * decides the mode, the kill file holds from the first moment and lands between bars, and only an
 * operator's re-arm resumes a halted session. State is on the Postgres server when
 * TEST_DATABASE_URL is set, else embedded.
 */
const SERVER = process.env['TEST_DATABASE_URL'];
const KEY = 'PKCONTROLS01';
const SECRET = 'controls-secret-never-printed';

async function finish(child: TraderProcess, what: string, ms = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const timer = setTimeout(() => child.process.kill('SIGKILL'), ms);
  const code = await child.exited;
  clearTimeout(timer);
  const result = { code, stdout: child.stdout.join(''), stderr: child.stderr.join('') };
  if (code === null) throw new Error(`${what} did not finish within ${ms} ms; it said: ${result.stdout}${result.stderr}`);
  return result;
}

describe(`operator controls on the built trader (state on ${SERVER ? 'the Postgres server' : 'embedded PGlite'})`, () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;
  const schema = `live_controls_${process.pid}`;
  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env['PATH'], ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET, ...(SERVER ? { DATABASE_URL: SERVER } : {}) });
  const state = (): string[] => (SERVER ? ['--state-schema', schema] : ['--state-dir', join(cwd, 'state')]);
  const killFile = (): string => join(cwd, 'results', 'live', 'kill-switch.json');
  const run = async (args: readonly string[], what: string): Promise<{ code: number | null; stdout: string; stderr: string }> => finish(startTrader(['run', ...args, ...state()], env(), cwd), what);
  const cli = async (args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => finish(startTrader(args, env(), cwd), args.join(' '));
  const saved = async (session: string): Promise<{ audit: readonly LiveAuditRecord[]; state: string | undefined }> => {
    const opened = await openLiveStateStore(SERVER ? { env: { DATABASE_URL: SERVER }, cwd, schema } : { env: {}, cwd, dataDir: join(cwd, 'state') });
    try {
      const stored = await opened.store.latestCheckpoint(session);
      const checkpoint = stored === undefined ? undefined : parseLiveCheckpoint(stored.document);
      return { audit: await opened.store.audit(session), state: checkpoint?.version === 2 ? checkpoint.gateway.killSwitch.state : undefined };
    } finally {
      await opened.close();
    }
  };
  const kinds = (audit: readonly LiveAuditRecord[], kind: string): readonly LiveAuditRecord[] => audit.filter((a) => a.kind === kind);

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-controls-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    if (SERVER) await dropTestSchema(SERVER, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  it.each(['https://api.alpaca.markets', 'https://trading.quantbot-test.invalid'])(
    'refuses --alpaca-url %s without --live before any lookup or connection (exit 2, nothing opened)',
    async (url) => {
      const result = await run(['--broker', 'alpaca', '--alpaca-url', url, '--symbols', 'AAA'], 'the refused trader');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--alpaca-url: ${url} is a live-money endpoint (neither Alpaca paper nor loopback)`);
      // Refused before the state store, and long before the broker: no lookup failure, no state.
      expect(result.stderr).not.toMatch(/cannot reach|ENOTFOUND|EAI_AGAIN/);
      expect(existsSync(join(cwd, 'state'))).toBe(false);
      expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET);
    },
    60_000,
  );

  it('places no order on the first bar when the kill file is already there', async () => {
    // A control session finds the first bar on which the strategy trades...
    const params = ['--broker', 'sim', '--symbols', 'AAA,BBB', '--params', 'fast=5,slow=20'];
    expect((await run([...params, '--session', 'probe', '--stop-after', '300'], 'the probe')).code).toBe(0);
    const firstTrade = kinds((await saved('probe')).audit, 'order-accepted')[0]?.time;
    expect(firstTrade).toBeDefined();
    const data = generateSyntheticUniverse({ symbols: [ticker('AAA'), ticker('BBB')], seed: 42, bars: 1_000 });
    const k = data.time.indexOf(firstTrade as number);
    expect(k).toBeGreaterThan(20);
    // ...a session whose very first live bar is that one trades on it...
    const first = ['--warmup-bars', String(k), '--stop-after', '1'];
    expect((await run([...params, '--session', 'free', ...first], 'the free session')).code).toBe(0);
    expect(kinds((await saved('free')).audit, 'order-accepted').map((a) => a.time)).toContain(firstTrade);
    // ...and the same session started while the kill file says halted does not.
    writeKillFile(killFile(), killFileRequest('halted', 'desk says stop', 'risk desk', Date.parse('2026-01-02T15:00:00Z')));
    const halted = await run([...params, '--session', 'held', ...first], 'the held session');
    expect(halted.code).toBe(0);
    const held = await saved('held');
    expect(kinds(held.audit, 'order-accepted')).toEqual([]);
    expect(kinds(held.audit, 'order-rejected').map((a) => [a.time, a.detail['code']])).toContainEqual([firstTrade, 'halted']);
    expect(held.state).toBe('halted');
    expect(halted.stderr).toContain('kill switch: active -> halted: kill file');
  }, 120_000);

  it('lands a kill file written while no bar arrives, within a poll, and saves it', async () => {
    const child = startTrader(['run', '--broker', 'sim', '--symbols', 'AAA', '--session', 'quiet', '--interval-ms', '600000', '--kill-file-poll-ms', '100', ...state()], env(), cwd);
    await until(() => child.stdout.join('').includes('Ctrl-C stops cleanly'), 'the quiet trader to start', 60_000);
    const written = performance.now();
    writeKillFile(killFile(), killFileRequest('halted', 'outage on the desk', 'ops', Date.parse('2026-01-02T15:00:00Z')));
    await until(() => child.stderr.join('').includes('kill switch: active -> halted'), 'the halt to land', 5_000);
    const landedMs = performance.now() - written;
    expect(landedMs).toBeLessThan(3_000);
    child.process.kill('SIGTERM');
    const result = await finish(child, 'the quiet trader');
    expect(result.code).toBe(0);
    const quiet = await saved('quiet');
    expect(quiet.state).toBe('halted');
    expect(kinds(quiet.audit, 'state-transition').map((a) => a.detail['reason'])).toContainEqual(expect.stringContaining('outage on the desk (by ops'));
  }, 90_000);

  it('keeps a halted session halted across restarts and a clear; only an operator re-arm resumes it, audited', async () => {
    const params = ['--broker', 'sim', '--symbols', 'AAA,BBB', '--params', 'fast=5,slow=20', '--session', 'desk'];
    writeKillFile(killFile(), killFileRequest('halted', 'stop everything', 'risk desk', Date.parse('2026-01-02T15:00:00Z')));
    expect((await run([...params, '--stop-after', '20'], 'the first life')).code).toBe(0);
    expect((await saved('desk')).state).toBe('halted');

    const clear = await cli(['kill-switch', 'clear']);
    expect(clear.code).toBe(0);
    expect(clear.stdout).toMatch(/This resumes nothing: each session it halted stays halted until 'live-trader kill-switch rearm --session <id>/);
    const second = await run([...params, '--stop-after', '150'], 'the second life');
    expect(second.code).toBe(0);
    const afterClear = await saved('desk');
    expect(afterClear.state).toBe('halted');
    expect(kinds(afterClear.audit, 'order-accepted')).toEqual([]);
    expect(kinds(afterClear.audit, 'order-rejected').length).toBeGreaterThan(0);

    // A re-arm while a kill file is back in place is refused by the command.
    writeKillFile(killFile(), killFileRequest('halted', 'again', 'ops', Date.parse('2026-01-02T16:00:00Z')));
    const refused = await cli(['kill-switch', 'rearm', '--session', 'desk', '--reason', 'too early', '--by', 'bob']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('is still in place');
    expect((await cli(['kill-switch', 'clear'])).code).toBe(0);

    const rearm = await cli(['kill-switch', 'rearm', '--session', 'desk', '--reason', 'books checked', '--by', 'bob']);
    expect(rearm.code).toBe(0);
    expect(rearm.stdout).toMatch(/re-arm requested for session desk \(by bob: books checked\)/);
    const status = await cli(['kill-switch', 'status']);
    expect(status.stdout).toContain('re-arm request pending: session desk by bob');
    const third = await run([...params, '--stop-after', '150'], 'the third life');
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('kill switch: re-armed by bob (books checked): active');
    const resumed = await saved('desk');
    expect(resumed.state).toBe('active');
    expect(kinds(resumed.audit, 're-arm-request').map((a) => a.detail)).toEqual([expect.objectContaining({ applied: true, by: 'bob', reason: 'books checked' })]);
    expect(kinds(resumed.audit, 're-arm').map((a) => a.detail['reason'])).toEqual(['re-armed by bob: books checked']);
    expect(kinds(resumed.audit, 'order-accepted').length).toBeGreaterThan(0);
    // The request was spent: it is not applied a second time.
    expect((await cli(['kill-switch', 'status'])).stdout).not.toContain('re-arm request pending');
  }, 180_000);

  it('sends no order to the fake Alpaca while the kill file is there; the same session without it does', async () => {
    const universe = minuteDay(21, [ticker('AAA'), ticker('BBB')], 600);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 5, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < 30; k++) replay.step();
    const replaying = replay.run({ intervalMs: 20 });
    try {
      const args = (session: string): string[] => ['--broker', 'alpaca', '--alpaca-url', fake?.url ?? '', '--symbols', 'AAA,BBB', '--session', session, '--params', 'fast=2,slow=4', '--history-minutes', '100000', '--stop-after', '40'];
      const free = await run(args('free'), 'the free Alpaca session');
      expect(free.code).toBe(0);
      expect(fake.state.orders().filter((o) => o.client_order_id.startsWith('free-')).length).toBeGreaterThan(0);

      writeKillFile(killFile(), killFileRequest('halted', 'no orders today', 'risk desk', Date.parse('2026-01-02T15:00:00Z')));
      const held = await run(args('held'), 'the held Alpaca session');
      expect(held.code).toBe(0);
      expect(fake.state.orders().filter((o) => o.client_order_id.startsWith('held-'))).toEqual([]);
      expect(kinds((await saved('held')).audit, 'order-rejected').length).toBeGreaterThan(0);
      expect(free.stdout).toContain('endpoints: trading http://127.0.0.1');
      expect(free.stdout).toContain('(local: a loopback server)');
    } finally {
      replay.stop();
      await replaying;
    }
  }, 120_000);
});
