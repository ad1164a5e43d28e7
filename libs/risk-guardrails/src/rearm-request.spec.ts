import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientOrderId, epochMs, ticker } from '@quantbot/core';
import type { OrderRequest } from '@quantbot/core';
import { killFileRequest, writeKillFile } from './kill-file';
import { KillSwitchError } from './kill-switch';
import { MemoryAuditSink } from './memory-audit-sink';
import { OrderGateway } from './order-gateway';
import { RearmRequestWatcher, readRearmRequest, rearmRequest, rearmRequestPath, writeRearmRequest } from './rearm-request';
import type { PortfolioView } from './risk-types';

const AAA = ticker('AAA');
const T0 = Date.UTC(2024, 2, 5, 14, 30);
const MINUTE = 60_000;

const portfolio: PortfolioView = {
  time: epochMs(T0),
  equity: 100_000,
  position: () => 0,
  lastPrice: () => 50,
  grossExposure: () => 0,
  netExposure: () => 0,
};
const buy: OrderRequest = { clientOrderId: clientOrderId('o-1'), symbol: AAA, side: 'buy', type: 'market', qty: 1, timeInForce: 'day', decidedAt: epochMs(T0), decisionPrice: 50 };

describe('operator re-arm requests', () => {
  let dir: string;
  let killFile: string;
  let audit: MemoryAuditSink;
  let gateway: OrderGateway;
  let watcher: RearmRequestWatcher;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-rearm-'));
    killFile = join(dir, 'live', 'kill-switch.json');
    audit = new MemoryAuditSink();
    gateway = new OrderGateway({ limits: {}, killSwitch: { cooldownMs: 10 * MINUTE }, audit });
    watcher = new RearmRequestWatcher({ killFile, session: 's-1', target: gateway });
    gateway.trigger('halted', 'kill file: broker outage', T0, 'external');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const request = (at: number, session = 's-1'): void => writeRearmRequest(rearmRequestPath(killFile, session), rearmRequest(session, 'outage over, books checked', 'risk desk', at));

  it('lives beside the kill file, one file per session, and reads back what was written', () => {
    expect(rearmRequestPath(killFile, 'a/b')).toBe(join(dir, 'live', 'rearm-a%2Fb.json'));
    request(T0 + 20 * MINUTE);
    expect(readRearmRequest(rearmRequestPath(killFile, 's-1'))).toEqual({ session: 's-1', reason: 'outage over, books checked', by: 'risk desk', requestedAt: '2024-03-05T14:50:00.000Z' });
    expect(readRearmRequest(rearmRequestPath(killFile, 'other'))).toBeNull();
  });

  it('does nothing without a request', () => {
    expect(watcher.poll(T0 + 20 * MINUTE)).toBeNull();
    expect(gateway.state).toBe('halted');
  });

  it('re-arms once, records who and why, and removes the request', () => {
    request(T0 + 20 * MINUTE);
    const outcome = watcher.poll(T0 + 21 * MINUTE);
    expect(outcome).toMatchObject({ applied: true, request: { by: 'risk desk' } });
    expect(gateway.state).toBe('active');
    expect(gateway.check(buy, portfolio).accepted).toBe(true);
    expect(existsSync(rearmRequestPath(killFile, 's-1'))).toBe(false);
    const rearm = audit.ofKind('re-arm')[0];
    expect(rearm?.detail).toMatchObject({ from: 'halted', to: 'active', by: 'risk desk', reason: 're-armed by risk desk: outage over, books checked' });
    expect(watcher.poll(T0 + 22 * MINUTE)).toBeNull();
  });

  it('refuses while the kill file is in place (a damaged one too), and the request is spent', () => {
    writeKillFile(killFile, killFileRequest('halted', 'still down', 'desk', T0));
    request(T0 + 20 * MINUTE);
    expect(watcher.poll(T0 + 21 * MINUTE)).toMatchObject({ applied: false, refusal: expect.stringMatching(/kill file .* is still in place/) });
    expect(gateway.state).toBe('halted');
    expect(existsSync(rearmRequestPath(killFile, 's-1'))).toBe(false);
    writeFileSync(killFile, 'garbage');
    request(T0 + 22 * MINUTE);
    expect(watcher.poll(T0 + 23 * MINUTE)?.applied).toBe(false);
    expect(gateway.state).toBe('halted');
  });

  it('refuses a request made before the latest escalation (the operator has not seen that halt)', () => {
    request(T0 - MINUTE);
    expect(watcher.poll(T0 + 21 * MINUTE)).toMatchObject({ applied: false, refusal: expect.stringMatching(/predates the latest escalation/) });
    expect(gateway.state).toBe('halted');
  });

  it('refuses inside the cooldown, audited by the kill switch', () => {
    request(T0 + MINUTE);
    expect(watcher.poll(T0 + 2 * MINUTE)).toMatchObject({ applied: false, refusal: expect.stringMatching(/cooldown runs until 2024-03-05T14:40:00.000Z/) });
    expect(gateway.state).toBe('halted');
    expect(existsSync(rearmRequestPath(killFile, 's-1'))).toBe(false);
    expect(audit.ofKind('re-arm-refused').map((e) => e.detail)).toEqual([expect.objectContaining({ by: 'risk desk', request: 'outage over, books checked' })]);
  });

  it('refuses a request naming another session, and a damaged request, without re-arming', () => {
    mkdirSync(join(dir, 'live'), { recursive: true });
    writeFileSync(rearmRequestPath(killFile, 's-1'), JSON.stringify({ session: 's-2', reason: 'x', by: 'y', requestedAt: '2024-03-05T15:00:00.000Z' }));
    expect(watcher.poll(T0 + 30 * MINUTE)).toMatchObject({ applied: false, refusal: expect.stringMatching(/names session 's-2'/) });
    writeFileSync(rearmRequestPath(killFile, 's-1'), '{"session":"s-1"');
    expect(watcher.poll(T0 + 30 * MINUTE)).toMatchObject({ applied: false, request: null, refusal: expect.stringMatching(/not JSON/) });
    expect(gateway.state).toBe('halted');
    expect(existsSync(rearmRequestPath(killFile, 's-1'))).toBe(false);
  });

  it('refuses to build or write a request with an empty field', () => {
    expect(() => rearmRequest('s-1', ' ', 'desk', T0)).toThrow(KillSwitchError);
    expect(() => writeRearmRequest(join(dir, 'r.json'), { session: 's-1', reason: 'r', by: 'b', requestedAt: 'yesterday' })).toThrow(/requestedAt/);
  });
});
