import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientOrderId, epochMs, ticker } from '@quantbot/core';
import type { OrderRequest, Ticker } from '@quantbot/core';
import { KillFileWatcher, clearKillFile, killFileRequest, readKillFile, writeKillFile } from './kill-file';
import { KillSwitchError } from './kill-switch';
import { MemoryAuditSink } from './memory-audit-sink';
import { OrderGateway } from './order-gateway';
import type { PortfolioView } from './risk-types';

const AAA = ticker('AAA');
const T0 = Date.UTC(2024, 2, 5, 14, 30);

const portfolio: PortfolioView = {
  time: epochMs(T0),
  equity: 100_000,
  position: (symbol: Ticker) => (symbol === AAA ? 100 : 0),
  lastPrice: () => 50,
  grossExposure: () => 5_000,
  netExposure: () => 5_000,
};

function order(i: number, side: 'buy' | 'sell', qty: number): OrderRequest {
  return { clientOrderId: clientOrderId(`o-${i}`), symbol: AAA, side, type: 'market', qty, timeInForce: 'day', decidedAt: epochMs(T0 + i), decisionPrice: 50 };
}

describe('kill file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-kill-'));
    file = join(dir, 'live', 'kill-switch.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes atomically into a new folder and reads back the same request', () => {
    const request = killFileRequest('halted', 'broker outage', 'risk desk', T0);
    writeKillFile(file, request);
    expect(readKillFile(file)).toEqual(request);
    expect(readKillFile(join(dir, 'absent.json'))).toBeNull();
    expect(clearKillFile(file)).toBe(true);
    expect(existsSync(file)).toBe(false);
    expect(clearKillFile(file)).toBe(false);
  });

  it('names the file and the field of a malformed request', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ level: 'panic', reason: 'x', by: 'y', requestedAt: '2024-03-05T00:00:00Z' }));
    expect(() => readKillFile(join(dir, 'bad.json'))).toThrow(new KillSwitchError(`kill file ${join(dir, 'bad.json')}: field level: 'panic' is not one of reducing, halted, flatten`));
    writeFileSync(join(dir, 'noreason.json'), JSON.stringify({ level: 'halted', reason: ' ', by: 'y', requestedAt: '2024-03-05T00:00:00Z' }));
    expect(() => readKillFile(join(dir, 'noreason.json'))).toThrow(/field reason: must be a non-empty string/);
    writeFileSync(join(dir, 'text.json'), 'STOP');
    expect(() => readKillFile(join(dir, 'text.json'))).toThrow(/text\.json: not JSON/);
  });

  describe('watcher', () => {
    it('leaves trading alone while there is no file', () => {
      const gateway = new OrderGateway({ limits: {}, killSwitch: {} });
      const watcher = new KillFileWatcher(file, gateway);
      expect(watcher.poll(T0)).toBe('active');
      expect(gateway.check(order(1, 'buy', 10), portfolio).accepted).toBe(true);
    });

    it('halts on the file, refuses a storm of orders, and is audited as an external trigger', () => {
      const audit = new MemoryAuditSink();
      const gateway = new OrderGateway({ limits: {}, killSwitch: {}, audit });
      const watcher = new KillFileWatcher(file, gateway);
      writeKillFile(file, killFileRequest('halted', 'broker outage', 'risk desk', T0));
      expect(watcher.poll(T0 + 1)).toBe('halted');
      let accepted = 0;
      for (let i = 0; i < 5_000; i++) if (gateway.check(order(i, i % 2 === 0 ? 'buy' : 'sell', 1 + (i % 300)), portfolio).accepted) accepted++;
      expect(accepted).toBe(0);
      const transition = audit.ofKind('state-transition')[0];
      expect(transition?.detail).toMatchObject({ from: 'active', to: 'halted', source: 'external' });
      expect(String(transition?.detail['reason'])).toContain('broker outage (by risk desk');
    });

    it('lets only reducing orders through at the reducing level', () => {
      const gateway = new OrderGateway({ limits: {}, killSwitch: {} });
      writeKillFile(file, killFileRequest('reducing', 'volatility', 'pm', T0));
      new KillFileWatcher(file, gateway).poll(T0);
      expect(gateway.check(order(1, 'buy', 10), portfolio).accepted).toBe(false);
      expect(gateway.check(order(2, 'sell', 10), portfolio).accepted).toBe(true);
    });

    it('halts on a damaged file rather than ignoring it', () => {
      const gateway = new OrderGateway({ limits: {}, killSwitch: {} });
      writeFileSync(join(dir, 'kill.json'), '{"level":');
      expect(new KillFileWatcher(join(dir, 'kill.json'), gateway).poll(T0)).toBe('halted');
      expect(gateway.getStatistics().transitions[0]?.reason).toMatch(/not JSON.*halting until it is fixed or removed/);
    });

    it('undoes a re-arm while the file is there; resumes only once it is removed and re-armed', () => {
      const gateway = new OrderGateway({ limits: {}, killSwitch: { cooldownMs: 0 } });
      const watcher = new KillFileWatcher(file, gateway);
      writeKillFile(file, killFileRequest('halted', 'drill', 'ops', T0));
      watcher.poll(T0);
      expect(gateway.rearm(T0 + 10, 'ops')).toBe(true);
      expect(watcher.poll(T0 + 20)).toBe('halted');
      clearKillFile(file);
      expect(watcher.poll(T0 + 30)).toBe('halted');
      expect(gateway.rearm(T0 + 40, 'ops')).toBe(true);
      expect(watcher.poll(T0 + 50)).toBe('active');
    });
  });
});
