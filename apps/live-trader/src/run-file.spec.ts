import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLiveStateStore } from '@quantbot/live';
import { createLogger } from '@quantbot/observability';
import type { CliIo } from '@quantbot/cli';
import { runCommand } from './run-command';
import { manualStopSignal } from './stop-signal';

function capture(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

const folders: string[] = [];
const newFolder = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'quantbot-trader-run-file-'));
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

async function trade(cwd: string, argv: readonly string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const io = capture(cwd);
  const logger = createLogger({ logFile: join(cwd, 'results', 'logs', 'live-trader.log'), console: false });
  try {
    const code = await runCommand(argv, io, { env: {}, now: () => Date.parse('2024-03-05T15:00:00Z'), monotonic: () => performance.now(), stop: manualStopSignal(), logger });
    return { code, stdout: io.stdout, stderr: io.stderr };
  } finally {
    await logger.close();
  }
}

async function fillsOf(stateDir: string, session: string): Promise<readonly string[]> {
  const opened = await openLiveStateStore({ env: {}, cwd: stateDir, dataDir: stateDir });
  try {
    return (await opened.store.fills(session)).map((f) => f.fillKey);
  } finally {
    await opened.close();
  }
}

const TRADER_YAML = `# a paper session on the simulator
broker: sim
symbols: [AAA, BBB]
params: { fast: 5, slow: 20, allowShort: true }
session: cfg-1
state-dir: state
sizing-pct: 20
kill-switch: { haltAtDrawdownPct: 30 }
stop-after: 200
json: true
`;

describe('live-trader run --config', () => {
  it('trades the simulator as the same flags do; flags override the file; state-dir is relative to the file', async () => {
    const fromFileDir = newFolder();
    mkdirSync(join(fromFileDir, 'configs'));
    const file = join(fromFileDir, 'configs', 'trader.yaml');
    writeFileSync(file, TRADER_YAML);
    const fromFile = await trade(fromFileDir, ['--config', 'configs/trader.yaml', '--stop-after', '120']);
    expect(fromFile.stderr).toEqual([]);
    expect(fromFile.code).toBe(0);
    // The state went where the file's folder says.
    expect(existsSync(join(fromFileDir, 'configs', 'state'))).toBe(true);

    const byFlagsDir = newFolder();
    const byFlags = await trade(byFlagsDir, [
      '--broker', 'sim', '--symbols', 'AAA,BBB', '--params', 'fast=5,slow=20,allowShort=true', '--session', 'cfg-1', '--state-dir', 'state',
      '--sizing-pct', '20', '--kill-switch', 'haltAtDrawdownPct=30', '--stop-after', '120', '--json',
    ]);
    expect(byFlags.code).toBe(0);
    // Everything but the measured latencies (a real monotonic clock), whose count must match.
    const summaryOf = (lines: readonly string[]): unknown => {
      const { latencyMs, ...rest } = JSON.parse(lines.at(-1) as string) as { latencyMs: { count: number } };
      return { ...rest, latencyCount: latencyMs.count };
    };
    expect(summaryOf(fromFile.stdout)).toMatchObject({ bars: 120 });
    expect(summaryOf(fromFile.stdout)).toEqual(summaryOf(byFlags.stdout));
    const fills = await fillsOf(join(fromFileDir, 'configs', 'state'), 'cfg-1');
    expect(fills.length).toBeGreaterThan(0);
    expect(fills).toEqual(await fillsOf(join(byFlagsDir, 'state'), 'cfg-1'));

    // The run file is named on stdout and logged with its hash and the resolved flags.
    const sha256 = createHash('sha256').update(TRADER_YAML).digest('hex');
    expect(fromFile.stdout.join('\n')).toContain(`run file: ${file} (sha256 ${sha256.slice(0, 16)})`);
    const log = readFileSync(join(fromFileDir, 'results', 'logs', 'live-trader.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { message: string; fields?: Record<string, unknown> });
    expect(log.find((l) => l.message === 'run file')?.fields).toEqual({
      path: file,
      sha256,
      flags: { broker: 'sim', symbols: 'AAA,BBB', params: 'fast=5,slow=20,allowShort=true', session: 'cfg-1', 'state-dir': join('configs', 'state'), 'sizing-pct': 20, 'kill-switch': 'haltAtDrawdownPct=30', 'stop-after': 120, json: true },
    });
  }, 60_000);

  it('--print-config prints the resolved configuration with the defaults and trades nothing', async () => {
    const cwd = newFolder();
    writeFileSync(join(cwd, 'trader.yaml'), TRADER_YAML);
    const printed = await trade(cwd, ['--config', 'trader.yaml', '--print-config']);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout.join('\n'))).toEqual({
      strategy: 'sma-crossover',
      params: { fast: 5, slow: 20, allowShort: true },
      symbols: ['AAA', 'BBB'],
      broker: 'sim',
      session: 'cfg-1',
      'kill-switch': { haltAtDrawdownPct: 30 },
      sizing: 'percent-of-cash',
      'sizing-pct': 20,
      orphans: 'cancel',
      seed: 42,
      'warmup-bars': 100,
      'interval-ms': 0,
      cash: 100000,
      'stop-after': 200,
      'state-dir': 'state',
      'kill-file': 'results/live/kill-switch.json',
      'status-every': '30s',
      json: true,
    });
    expect(existsSync(join(cwd, 'state'))).toBe(false);
  });

  it.each([
    ['credentials', '{"broker": "alpaca", "api-key": "PKXXXX"}', /key 'api-key': credentials never go into a run file .*environment/],
    ['a secret', 'secret-key: abc\n', /key 'secret-key': credentials never go into a run file/],
    ['a URL with a password', '{"alpaca-url": "http://user:pw@127.0.0.1:9999"}', /key 'alpaca-url': a URL with a user or password/],
    ["the backtester's key", '{"check-lookahead": true}', /key 'check-lookahead': --check-lookahead is a flag of backtester run, not of live-trader run/],
  ])('refuses %s in the file, naming the file and key', async (_what, text, message) => {
    const cwd = newFolder();
    const name = text.startsWith('{') ? 'trader.json' : 'trader.yaml';
    writeFileSync(join(cwd, name), text);
    await expect(trade(cwd, ['--config', name])).rejects.toThrow(message);
  });
});
