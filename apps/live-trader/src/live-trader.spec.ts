import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientOrderId, epochMs, ticker } from '@quantbot/core';
import { KillFileWatcher, OrderGateway } from '@quantbot/risk-guardrails';
import { main } from './main';
import { manualStopSignal } from './stop-signal';
import type { CliIo } from '@quantbot/cli';

const NOW = new Date('2024-03-05T14:30:00.000Z');

function capture(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, cwd, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

describe('live-trader kill-switch', () => {
  let cwd: string;
  beforeEach(() => (cwd = mkdtempSync(join(tmpdir(), 'quantbot-live-'))));
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('halts a trading loop that polls the kill file, and clear + re-arm resumes it', async () => {
    const io = capture(cwd);
    expect(await main(['kill-switch', 'halt', '--reason', 'broker outage', '--by', 'risk desk'], io, {}, NOW)).toBe(0);
    const file = join(cwd, 'results', 'live', 'kill-switch.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ level: 'halted', reason: 'broker outage', by: 'risk desk', requestedAt: '2024-03-05T14:30:00.000Z' });

    const gateway = new OrderGateway({ limits: {}, killSwitch: {} });
    const watcher = new KillFileWatcher(file, gateway);
    expect(watcher.poll(NOW.getTime())).toBe('halted');
    const order = { clientOrderId: clientOrderId('o-1'), symbol: ticker('AAA'), side: 'buy' as const, type: 'market' as const, qty: 1, timeInForce: 'day' as const, decidedAt: epochMs(NOW.getTime()), decisionPrice: 10 };
    const portfolio = { time: epochMs(NOW.getTime()), equity: 1_000, position: () => 0, lastPrice: () => 10, grossExposure: () => 0, netExposure: () => 0 };
    expect(gateway.check(order, portfolio).accepted).toBe(false);

    expect(await main(['kill-switch', 'status'], io, {}, NOW)).toBe(3);
    expect(io.stdout.at(-1)).toContain('halted since 2024-03-05T14:30:00.000Z by risk desk: broker outage');
    expect(await main(['kill-switch', 'clear'], io, {}, NOW)).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(await main(['kill-switch', 'status'], io, {}, NOW)).toBe(0);
    expect(gateway.rearm(NOW.getTime() + 1, 'risk desk')).toBe(true);
    expect(watcher.poll(NOW.getTime() + 2)).toBe('active');
    expect(gateway.check(order, portfolio).accepted).toBe(true);
  });

  it('writes reduce and flatten levels to a chosen file, taking the operator from $USER', async () => {
    const io = capture(cwd);
    expect(await main(['kill-switch', 'flatten', '--reason', 'end of test', '--file', 'ks.json'], io, { USER: 'alice' }, NOW)).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'ks.json'), 'utf8'))).toMatchObject({ level: 'flatten', by: 'alice' });
    expect(await main(['kill-switch', 'reduce', '--reason', 'vol', '--file', 'ks.json'], io, {}, NOW)).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'ks.json'), 'utf8'))).toMatchObject({ level: 'reducing', by: 'operator' });
  });

  it('refuses a missing reason, an unknown action and an unknown flag with exit 2, naming them', async () => {
    const io = capture(cwd);
    expect(await main(['kill-switch', 'halt'], io, {}, NOW)).toBe(2);
    expect(io.stderr.at(-1)).toContain('--reason');
    expect(await main(['kill-switch', 'pause', '--reason', 'x'], io, {}, NOW)).toBe(2);
    expect(io.stderr.at(-1)).toContain("unknown action 'pause'");
    expect(await main(['kill-switch', 'halt', '--reason', 'x', '--force'], io, {}, NOW)).toBe(2);
    expect(io.stderr.at(-1)).toContain('--force');
    expect(existsSync(join(cwd, 'results', 'live'))).toBe(false);
    // Each refused action is still logged, with its exit code.
    const log = readFileSync(join(cwd, 'results', 'logs', 'live-trader.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { message: string; fields?: { code?: number } });
    expect(log.filter((l) => l.message === 'exit').map((l) => l.fields?.code)).toEqual([2, 2, 2]);
  });
});

describe('live-trader run: errors of the libraries name the flags', () => {
  it('a bad data-quality setting exits 2 naming --data-quality, before any state is opened', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'quantbot-live-'));
    try {
      const io = capture(cwd);
      const code = await main(['run', '--broker', 'sim', '--data-quality', 'lenient', '--state-dir', join(cwd, 'state')], io, {}, NOW, { clock: () => NOW, stop: manualStopSignal() });
      expect(code).toBe(2);
      expect(io.stderr).toEqual(["error: --data-quality: unknown mode 'lenient'; available: strict, warn, off"]);
      expect(existsSync(join(cwd, 'state'))).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
