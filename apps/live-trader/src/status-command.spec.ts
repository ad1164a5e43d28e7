import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { openLiveStateStore } from '@quantbot/live';
import { killFileRequest, writeKillFile } from '@quantbot/risk-guardrails';
import { main } from './main';
import { dropTestSchema } from '@quantbot/storage/testing';
import type { SessionStatus } from './status-command';
import { formatAge } from './status-command';

const SERVER = process.env['TEST_DATABASE_URL'];

function capture(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

describe(`live-trader status (state on ${SERVER ? 'the Postgres server' : 'embedded PGlite'})`, () => {
  let cwd: string;
  let env: Record<string, string | undefined>;
  let stateFlags: string[];
  const NOW = Date.parse('2024-03-05T15:00:00Z');

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-status-'));
    env = SERVER ? { DATABASE_URL: SERVER } : {};
    stateFlags = SERVER ? ['--state-schema', `live_status_${process.pid}`] : ['--state-dir', join(cwd, 'state')];
  });
  afterAll(async () => {
    if (SERVER) await dropTestSchema(SERVER, stateFlags[1] as string);
    rmSync(cwd, { recursive: true, force: true });
  });

  const cli = async (argv: readonly string[], at = NOW): Promise<{ code: number; io: ReturnType<typeof capture> }> => {
    const io = capture(cwd);
    const code = await main(argv, io, env, new Date(at));
    return { code, io };
  };
  const SIM = ['--broker', 'sim', '--symbols', 'AAA,BBB', '--params', 'fast=5,slow=20,allowShort=true', '--kill-switch', 'haltAtDrawdownPct=50'];

  it("shows a stopped session's last bar, books, kill switch, checkpoint age and latest audit entries, as text and JSON", async () => {
    const ran = await cli(['run', ...SIM, '--session', 'seen', '--stop-after', '40', ...stateFlags]);
    expect(ran.code).toBe(0);
    const summary = JSON.parse(ran.io.stdout.at(-1) as string) as { equity: number; cash: number; positions: { symbol: string; qty: number }[] };
    expect(summary.positions.length).toBeGreaterThan(0);

    const later = NOW + 125_000;
    const json = await cli(['status', '--session', 'seen', '--json', '--audit', '3', ...stateFlags], later);
    expect(json.code).toBe(0);
    expect(json.io.stdout).toHaveLength(1);
    const status = JSON.parse(json.io.stdout[0] as string) as SessionStatus;
    const opened = await openLiveStateStore({ env, cwd, ...(SERVER ? { schema: stateFlags[1] as string } : { dataDir: stateFlags[1] as string }) });
    const [stored, audit] = await Promise.all([opened.store.latestCheckpoint('seen'), opened.store.audit('seen')]).finally(() => opened.close());
    expect(status.session).toBe('seen');
    expect(status.lastBarTime).toBe(new Date(stored?.lastBarTime as number).toISOString());
    expect(status.checkpoint).toEqual({ seq: stored?.seq, savedAt: new Date(stored?.savedAt as number).toISOString(), ageMs: later - (stored?.savedAt as number), integrity: 'verified', version: 2 });
    // The books the trader reported when it stopped.
    expect(status.equity).toBe(summary.equity);
    expect(status.cash).toBe(summary.cash);
    expect(status.positions.map((p) => ({ symbol: p.symbol, qty: p.qty }))).toEqual(summary.positions);
    expect(status.workingOrders).toEqual([]);
    expect(status.killSwitch).toEqual({ state: 'active', reason: null, since: null });
    expect(typeof status.dayPnl).toBe('number');
    expect(status.refusal).toBeNull();
    expect(status.audit.total).toBe(audit.length);
    expect(status.audit.latest).toEqual(audit.slice(-3).map((a) => ({ time: new Date(a.time).toISOString(), kind: a.kind, detail: a.detail })));

    const text = await cli(['status', '--session', 'seen', ...stateFlags], later);
    expect(text.code).toBe(0);
    const lines = text.io.stdout;
    expect(lines[0]).toMatch(/^session seen \(/);
    expect(lines).toContain(`last bar: ${status.lastBarTime}`);
    expect(lines).toContain(`checkpoint: ${stored?.seq} (v2), saved ${status.checkpoint.savedAt}, ${formatAge(status.checkpoint.ageMs)} ago, integrity verified`);
    expect(lines).toContain(`positions: ${status.positions.map((p) => `${p.symbol} ${p.qty} @ ${p.averageCost.toFixed(2)}`).join(', ')}`);
    expect(lines.find((l) => l.startsWith('equity: '))).toMatch(new RegExp(`^equity: ${summary.equity.toFixed(2)}  cash: ${summary.cash.toFixed(2)}  day P&L: [+-]\\d+\\.\\d\\d$`));
    expect(lines).toContain('working orders: none');
    expect(lines).toContain('kill switch: active');
    expect(lines).toContain('refusal: none');
    expect(lines).toContain(`audit: ${audit.length} entries, the latest 5:`);
    expect(lines.slice(-5)).toEqual(audit.slice(-5).map((a) => `  ${new Date(a.time).toISOString()} ${a.kind} ${JSON.stringify(a.detail)}`));
  }, 60_000);

  it("shows a halted kill switch with its reason and since when", async () => {
    const killFile = join(cwd, 'kill.json');
    writeKillFile(killFile, killFileRequest('halted', 'desk says stop', 'risk desk', NOW));
    expect((await cli(['run', ...SIM, '--session', 'held', '--stop-after', '3', '--kill-file', killFile, ...stateFlags])).code).toBe(0);
    const { code, io } = await cli(['status', '--session', 'held', '--json', ...stateFlags]);
    expect(code).toBe(0);
    const status = JSON.parse(io.stdout[0] as string) as SessionStatus;
    expect(status.killSwitch.state).toBe('halted');
    expect(status.killSwitch.reason).toBe(`kill file ${killFile}: desk says stop (by risk desk at 2024-03-05T15:00:00.000Z)`);
    expect(status.killSwitch.since).toMatch(/^\d{4}-\d\d-\d\dT/);
    const text = await cli(['status', '--session', 'held', ...stateFlags]);
    expect(text.io.stdout).toContain(`kill switch: halted since ${status.killSwitch.since as string}: ${status.killSwitch.reason as string}`);
  }, 60_000);

  it('says which sessions exist when asked for an unknown one (exit 1), and needs --session (exit 2)', async () => {
    const unknown = await cli(['status', '--session', 'nope', ...stateFlags]);
    expect(unknown.code).toBe(1);
    expect(unknown.io.stderr).toEqual([expect.stringMatching(/^error: no saved state for session nope in .*; known sessions: held, seen$/)]);
    const missing = await cli(['status', ...stateFlags]);
    expect(missing.code).toBe(2);
    expect(missing.io.stderr.join('\n')).toMatch(/--session: required/);
  }, 60_000);

  it('refuses (exit 3) while a trader has the embedded database open, pointing at the status lines and metrics', async () => {
    const dir = join(cwd, 'embedded');
    const held = await openLiveStateStore({ env: {}, cwd, dataDir: dir });
    try {
      const io = capture(cwd);
      expect(await main(['status', '--session', 'any', '--state-dir', dir], io, {}, new Date(NOW))).toBe(3);
      expect(io.stderr).toEqual([expect.stringMatching(/^refused: a trader \(or another command\) has the embedded state open: .*; watch the trader's status lines or its --metrics-port instead$/)]);
    } finally {
      await held.close();
    }
  }, 60_000);

  it('formats ages for people', () => {
    expect([formatAge(42_000), formatAge(303_000), formatAge(7_260_000), formatAge(273_600_000)]).toEqual(['42s', '5m 3s', '2h 1m', '3d 4h']);
  });
});
