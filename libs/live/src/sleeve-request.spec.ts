import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ticker } from '@quantbot/core';
import type { BarUniverse } from '@quantbot/core';
import { StrategyManager, runBacktest } from '@quantbot/engine';
import { SmaCrossover } from '@quantbot/strategies';
import { SleeveRequestWatcher, readSleeveRequest, sleeveRequest, sleeveRequestPath, writeSleeveRequest } from './sleeve-request';

/** A manager that has seen a short run, so it has books to halt. */
function startedManager(): StrategyManager {
  const manager = new StrategyManager({ sleeves: [{ name: 'trend', strategy: new SmaCrossover({ fast: 2, slow: 3, allowShort: false }, 1), allocation: 0.5 }] });
  const n = 5;
  const prices = Float64Array.from({ length: n }, (_, k) => 10 + k);
  const universe: BarUniverse = {
    symbols: [ticker('AAA')],
    length: n,
    time: Float64Array.from({ length: n }, (_, k) => Date.UTC(2024, 0, 2 + k)),
    open: prices,
    high: prices,
    low: prices,
    close: prices,
    volume: new Float64Array(n).fill(1_000),
    hasBar: new Uint8Array(n).fill(1),
  };
  runBacktest({ universe, strategy: manager, startingCash: 10_000, sizing: { kind: 'fixed-shares', shares: 1 } });
  return manager;
}

describe('sleeve requests', () => {
  let dir: string;
  let killFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quantbot-sleeve-request-'));
    killFile = join(dir, 'kill-switch.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const leave = (session: string, sleeve: string, action: 'halt' | 'flatten' | 'resume' = 'halt'): string => {
    const path = sleeveRequestPath(killFile, session, sleeve);
    writeSleeveRequest(path, sleeveRequest({ session, sleeve, action, reason: 'review', by: 'desk' }, Date.UTC(2024, 0, 9)));
    return path;
  };

  it('writes a request beside the kill file and reads it back', () => {
    const path = leave('s1', 'trend');
    expect(path).toBe(join(dir, 'sleeve-s1.trend.json'));
    expect(readSleeveRequest(path)).toEqual({ session: 's1', sleeve: 'trend', action: 'halt', reason: 'review', by: 'desk', requestedAt: '2024-01-09T00:00:00.000Z' });
    expect(readSleeveRequest(join(dir, 'none.json'))).toBeNull();
  });

  it('applies a request once through the manager and removes it; polls after that find nothing', () => {
    const manager = startedManager();
    const watcher = new SleeveRequestWatcher({ killFile, session: 's1', manager });
    const path = leave('s1', 'trend', 'flatten');
    leave('s2', 'trend');
    expect(watcher.poll(1)).toEqual([expect.objectContaining({ path, applied: true, state: 'flatten' })]);
    expect(manager.sleeveState('trend')).toBe('flatten');
    expect(existsSync(path)).toBe(false);
    expect(watcher.poll(2)).toEqual([]);
    // Another session's request is left for that session.
    expect(existsSync(join(dir, 'sleeve-s2.trend.json'))).toBe(true);
  });

  it('refuses and removes a damaged request, one for a session that trades no manager, and one the sleeve’s state does not allow', () => {
    const damaged = join(dir, 'sleeve-s1.trend.json');
    writeFileSync(damaged, '{"session":"s1","sleeve":"trend","action":"pause","reason":"x","by":"y","requestedAt":"2024-01-09T00:00:00Z"}');
    const manager = startedManager();
    const watcher = new SleeveRequestWatcher({ killFile, session: 's1', manager });
    expect(watcher.poll(1)).toEqual([
      expect.objectContaining({ request: null, applied: false, refusal: expect.stringMatching(/field action: expected halt, flatten, resume, got 'pause'; removed, make the request again$/) }),
    ]);
    expect(existsSync(damaged)).toBe(false);
    leave('s1', 'trend', 'resume');
    expect(watcher.poll(2)).toEqual([expect.objectContaining({ applied: false, state: 'active', refusal: "sleeve trend is active: 'resume' does not apply" })]);
    leave('s1', 'trend');
    const single = new SleeveRequestWatcher({ killFile, session: 's1', manager: undefined });
    expect(single.poll(3)).toEqual([expect.objectContaining({ applied: false, refusal: 'session s1 trades one strategy, not a strategy manager: it has no sleeves' })]);
  });
});
