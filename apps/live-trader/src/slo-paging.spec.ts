import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMarketReplay, startFakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { FakeAlpacaServer } from '@quantbot/alpaca/fake';
import type { CliIo } from '@quantbot/cli';
import { createLogger } from '@quantbot/observability';
import { main } from './main';
import { minuteDay } from './minute-bars.spec-helper';
import { runCommand } from './run-command';
import { dropTestSchema } from '@quantbot/storage/testing';
import { manualStopSignal } from './stop-signal';
import { until } from './wait.spec-helper';

const KEY = 'PKSLOPAGING01';
const SECRET = 'slo-paging-secret-never-printed';
const HOOK_TOKEN = 'hook-token-a1b2c3-never-printed';
const SERVER = process.env['TEST_DATABASE_URL'];
const SCHEMA = `live_slo_${process.pid}`;
const WARMUP = 30;
const BARS = 110;
/** The bar before which the operator halts the session (the kill file), and the bar before which it re-arms it. */
const HALT_AT = 36;
const REARM_AT = 52;

interface Received {
  readonly key: string;
  readonly status: 'firing' | 'resolved';
  readonly severity: string;
  readonly text: string;
}

describe('SLO paging, end to end: the trader on the fake Alpaca pages a loopback webhook and opens an incident', () => {
  let cwd: string;
  let fake: FakeAlpacaServer | undefined;
  let hook: Server | undefined;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-slo-'));
  });
  afterEach(async () => {
    await fake?.close();
    if (hook !== undefined) await new Promise<void>((done) => (hook as Server).close(() => done()));
    if (SERVER) await dropTestSchema(SERVER, SCHEMA);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('a halt that burns the kill-switch SLO pages once, then resolves once after the re-arm; the unacknowledged incident escalates; resolving it writes the report', async () => {
    const received: Received[] = [];
    const paths: string[] = [];
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        paths.push(req.url ?? '');
        received.push(JSON.parse(body) as Received);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((done) => (hook as Server).listen(0, '127.0.0.1', done));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/${HOOK_TOKEN}`;

    const universe = minuteDay(2024, undefined, BARS);
    const replay = new FakeMarketReplay({ universe, endSessions: false });
    fake = await startFakeAlpacaServer({ credentials: { keyId: KEY, secretKey: SECRET }, fillOn: 'bar', seed: 5, ...replay.serverOptions() });
    replay.attach(fake);
    for (let k = 0; k < WARMUP; k++) replay.step();

    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
    const logFile = join(cwd, 'live-trader.log');
    const logger = createLogger({ logFile, console: false, secrets: [SECRET] });
    const env: Record<string, string> = {
      ALPACA_API_KEY: KEY,
      ALPACA_SECRET_KEY: SECRET,
      SLO_PAGING_ENABLED: 'true',
      SLO_PAGING_WEBHOOK_URL: hookUrl,
      SLO_PAGING_MIN_SEVERITY: 'page',
      SLO_PAGING_TIMEOUT_SECONDS: '2',
      ...(SERVER ? { DATABASE_URL: SERVER } : {}),
    };
    const state = SERVER ? ['--state-schema', SCHEMA] : ['--state-dir', join(cwd, 'state')];
    const stop = manualStopSignal();
    const quiet = (): CliIo => ({ cwd, out: () => undefined, err: () => undefined });
    let steps = 0;
    const running = runCommand(
      ['--broker', 'alpaca', '--alpaca-url', fake.url, '--symbols', 'AAA,BBB', '--session', 'slo', '--params', 'fast=2,slow=4', '--history-minutes', '600', '--status-every', 'off', ...state],
      io,
      { env, now: () => replay.now(), monotonic: () => performance.now(), stop, logger, onStep: () => steps++ },
    );
    await until(() => stdout.some((line) => line.startsWith('session slo: trading')) || stderr.some((l) => l.startsWith('error')), 'the trader to connect', 60_000);
    expect(stdout.join('\n')).toContain('paging: page and above to http://127.0.0.1');
    for (let k = WARMUP; k < BARS; k++) {
      if (k === HALT_AT) expect(await main(['kill-switch', 'halt', '--reason', 'operator drill'], quiet(), env, new Date())).toBe(0);
      if (k === REARM_AT) {
        expect(await main(['kill-switch', 'clear'], quiet(), env, new Date())).toBe(0);
        expect(await main(['kill-switch', 'rearm', '--session', 'slo', '--reason', 'drill over'], quiet(), env, new Date())).toBe(0);
      }
      const before = steps;
      replay.step();
      await until(() => steps > before, `the trader's step on bar ${k}`, 15_000);
    }
    await until(() => received.some((r) => r.key.startsWith('incident/')), 'the escalation page', 10_000);
    stop.stop('SIGINT');
    expect(await running).toBe(0);
    await logger.close();

    // The halt breached the kill-switch SLO: one page when it fired, one resolve once re-armed.
    const fastBurn = received.filter((r) => r.key === 'killSwitch/fast-burn');
    expect(fastBurn.map((r) => r.status)).toEqual(['firing', 'resolved']);
    expect(fastBurn[0]).toMatchObject({ severity: 'page' });
    expect(fastBurn[0]?.text).toContain('killSwitch');
    // No other SLO paged.
    expect(received.filter((r) => !r.key.startsWith('incident/') && r.key !== 'killSwitch/fast-burn')).toEqual([]);
    // Nothing below the minimum severity was sent.
    expect(received.every((r) => r.severity === 'page')).toBe(true);
    // The incident it opened was not acknowledged within 15 minutes of the session's clock: paged again.
    const escalations = received.filter((r) => r.key.startsWith('incident/'));
    expect(escalations.length).toBeGreaterThanOrEqual(1);
    expect(escalations[0]?.key).toMatch(/^incident\/INC-\d{8}-\d+\/escalation-1$/);
    expect(stderr.join('\n')).toMatch(/error: incident INC-\d{8}-\d+ \(P1\) opened/);
    expect(stderr.join('\n')).toMatch(/error: incident INC-\d{8}-\d+ not acknowledged after \d+ min: paged again/);
    // The webhook's secret path never reached the screen or the log.
    expect(paths.every((p) => p.endsWith(HOOK_TOKEN))).toBe(true);
    expect([...stdout, ...stderr].join('\n')).not.toContain(HOOK_TOKEN);
    expect(readFileSync(logFile, 'utf8')).not.toContain(HOOK_TOKEN);

    // The operator sees the incident, then resolves it: the report and the ticket are written.
    const incidentIo = (): { io: CliIo; out: string[]; err: string[] } => {
      const out: string[] = [];
      const err: string[] = [];
      return { io: { cwd, out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
    };
    const list = incidentIo();
    expect(await main(['incident', 'list', '--json', ...state], list.io, env, new Date())).toBe(0);
    const incidents = JSON.parse(list.out.join('\n')) as { id: string; priority: string; alertKey: string; status: string; escalationLevel: number }[];
    const p1 = incidents.find((i) => i.alertKey === 'killSwitch/fast-burn');
    expect(p1).toMatchObject({ priority: 'P1', status: 'open' });
    expect(p1?.escalationLevel).toBeGreaterThanOrEqual(1);
    const resolved = incidentIo();
    const id = (p1 as { id: string }).id;
    expect(await main(['incident', 'resolve', '--id', id, '--by', 'on-call', '--summary', 'the operator halted the session', ...state], resolved.io, env, new Date())).toBe(0);
    for (const file of ['report.md', 'report.json', 'ticket.md']) expect(existsSync(join(cwd, 'results', 'incidents', id, file))).toBe(true);
    const report = readFileSync(join(cwd, 'results', 'incidents', id, 'report.md'), 'utf8');
    expect(report).toContain('killSwitch/fast-burn');
    expect(report).toContain('the operator halted the session');
  }, 180_000);
});
