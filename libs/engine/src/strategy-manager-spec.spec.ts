import { ConfigError } from '@quantbot/core';
import type { StrategyNotice } from '@quantbot/strategies';
import { flatRows, universeOf } from '../test/universe-builder';
import { runBacktest } from './backtest-runner';
import { buildStrategyManager, parseStrategyManagerSpec } from './strategy-manager-spec';

const good = {
  capital: 50_000,
  sleeves: [
    { name: 'trend', strategy: 'sma-crossover', params: { fast: 5, slow: '20' }, allocation: 0.5 },
    { name: 'breakout', strategy: 'bracket-momentum', allocation: 0.3, killSwitch: { maxDrawdownPct: 8, action: 'flatten' } },
  ],
};

const errorOf = (document: unknown): ConfigError => {
  try {
    parseStrategyManagerSpec(typeof document === 'string' ? document : JSON.stringify(document), 'manager.json');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no error');
};

describe('manager files', () => {
  it('reads sleeves with their strategies, parameters, allocations and kill switches', () => {
    const spec = parseStrategyManagerSpec(JSON.stringify(good), 'manager.json');
    expect(spec).toEqual({ ...good, sleeves: [good.sleeves[0], { ...good.sleeves[1], params: {} }] });
    const { manager, params } = buildStrategyManager(spec, 'manager.json', { symbolCount: 3 });
    expect(manager.sleeveNames).toEqual(['trend', 'breakout']);
    // The longest sleeve warm-up: bracket-momentum's max(lookback 20, ATR 14) + 10 x 14 over the crossover's slow 20 + 1.
    expect(manager.warmupBars).toBe(Math.max(20 + 1, Math.max(20, 14) + 10 * 14));
    // Every parameter resolved, defaults included: what a checkpoint and a run manifest record.
    expect(params).toEqual({
      capital: 50_000,
      sleeves: [
        { name: 'trend', strategy: 'sma-crossover', params: { fast: 5, slow: 20, allowShort: false }, allocation: 0.5, killSwitch: null },
        {
          name: 'breakout',
          strategy: 'bracket-momentum',
          params: { lookback: 20, atrPeriod: 14, takeProfitAtr: 3, stopLossAtr: 1.5, allowShort: false },
          allocation: 0.3,
          killSwitch: { maxDrawdownPct: 8, action: 'flatten' },
        },
      ],
    });
  });

  it.each([
    ['text that is not JSON', '{ nope', 'manager.json', /^not JSON/],
    ['an array', [], 'manager.json: (root)', /expected an object, got \[\]/],
    ['sleeves that are not a list', { sleeves: {} }, 'manager.json: sleeves', /expected an array of sleeves/],
    ['an unknown top-level field', { sleeves: [], extra: 1 }, 'manager.json: extra', /unknown field; expected capital, sleeves/],
    ['no sleeve', { sleeves: [] }, 'manager.json: sleeves', /at least one sleeve/],
    ['a capital in text', { capital: '1e5', sleeves: good.sleeves }, 'manager.json: capital', /expected a number, got "1e5"/],
    ['allocations above 1 in all', { sleeves: [good.sleeves[0], { ...good.sleeves[1], allocation: 0.6 }] }, 'manager.json: sleeves[1].allocation', /add up to 1\.1 with this sleeve/],
    ['an allocation in text', { sleeves: [{ ...good.sleeves[0], allocation: '0.5' }] }, 'manager.json: sleeves[0].allocation', /expected a fraction of the capital \(a number\), got "0\.5"/],
    ['a sleeve without a name', { sleeves: [{ ...good.sleeves[0], name: undefined }] }, 'manager.json: sleeves[0].name', /expected a name, got nothing/],
    ['two sleeves of one name', { sleeves: [good.sleeves[0], { ...good.sleeves[1], name: 'trend' }] }, 'manager.json: sleeves[1].name', /earlier sleeve/],
    ['an unknown sleeve field', { sleeves: [{ ...good.sleeves[0], weight: 1 }] }, 'manager.json: sleeves[0].weight', /unknown field/],
    ['a parameter that is a list', { sleeves: [{ ...good.sleeves[0], params: { fast: [1] } }] }, 'manager.json: sleeves[0].params.fast', /expected a number, text or true\/false/],
    ['an unknown kill-switch action', { sleeves: [{ ...good.sleeves[1], killSwitch: { maxDrawdownPct: 8, action: 'close' } }] }, 'manager.json: sleeves[0].killSwitch.action', /expected halt or flatten, got "close"/],
    ['a kill-switch level in text', { sleeves: [{ ...good.sleeves[1], killSwitch: { maxLossPct: '5', action: 'halt' } }] }, 'manager.json: sleeves[0].killSwitch.maxLossPct', /expected a percentage/],
    ['an unknown kill-switch field', { sleeves: [{ ...good.sleeves[1], killSwitch: { maxDrawdownPct: 8, action: 'halt', after: 1 } }] }, 'manager.json: sleeves[0].killSwitch.after', /unknown field/],
  ])('refuses %s, naming the file and field', (_label, document, key, message) => {
    const error = errorOf(document);
    expect(error.key).toBe(key);
    expect(error.reason).toMatch(message);
  });

  it('names the sleeve for an unknown strategy or a bad parameter', () => {
    const build = (sleeve: Record<string, unknown>) => () =>
      buildStrategyManager(parseStrategyManagerSpec(JSON.stringify({ sleeves: [good.sleeves[1], sleeve] }), 'm.json'), 'm.json', { symbolCount: 1 });
    expect(build({ ...good.sleeves[0], strategy: 'nope' })).toThrow(/^m\.json: sleeves\[1\]\.strategy: unknown strategy 'nope'; available: sma-crossover/);
    expect(build({ ...good.sleeves[0], params: { fast: 0 } })).toThrow(/^m\.json: sleeves\[1\]\.params\.fast: 0 is below the minimum 1/);
    expect(build({ ...good.sleeves[0], params: { fast: 30, slow: 20 } })).toThrow(/^m\.json: sleeves\[1\]\.params\.fast: fast \(30\) must be below slow \(20\)/);
    expect(build({ ...good.sleeves[0], params: { speed: 1 } })).toThrow(/^m\.json: sleeves\[1\]\.params\.speed: unknown parameter/);
  });

  it('passes the build context’s notify to the manager', () => {
    const notices: StrategyNotice[] = [];
    const { manager } = buildStrategyManager(parseStrategyManagerSpec(JSON.stringify(good), 'm.json'), 'm.json', { symbolCount: 1, notify: (n) => notices.push(n) });
    runBacktest({ universe: universeOf({ AAA: flatRows([10, 11, 12]) }), strategy: manager, startingCash: 10_000, sizing: { kind: 'fixed-shares', shares: 1 } });
    expect(manager.haltSleeve('trend', { action: 'halt', reason: 'review', time: 5 }).applied).toBe(true);
    expect(notices).toEqual([expect.objectContaining({ strategy: 'trend', code: 'sleeve-halted', time: 5 })]);
  });
});
