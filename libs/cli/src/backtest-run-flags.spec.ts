import { ConfigError } from '@quantbot/core';
import { BACKTEST_RUN_FIELD_FLAGS, BACKTEST_RUN_FLAGS, backtestRunConfig, readBacktestCommandLine } from './backtest-run-flags';
import { flagForField } from './field-flags';
import { parseFlags } from './flags';

const configOf = (...argv: string[]) => backtestRunConfig(parseFlags(argv, BACKTEST_RUN_FLAGS));

describe('backtestRunConfig', () => {
  it('turns flags into option fields, leaving absent ones absent', () => {
    expect(configOf('--data', 'bars', '--symbols', 'A,B', '--cash', '5000', '--commission-bps', '10', '--execution', 'latencyMs=500', '--check-lookahead')).toEqual({
      data: 'bars',
      symbols: ['A', 'B'],
      cash: 5000,
      commissionBps: 10,
      execution: { latencyMs: '500' },
      checkLookahead: true,
    });
  });

  it.each([
    [['--size', '7'], { kind: 'fixed-shares', shares: 7 }],
    [['--percent-of-cash', '95'], { kind: 'percent-of-cash', percent: 95 }],
    [['--percent-of-equity', '20'], { kind: 'percent-of-equity', percent: 20 }],
    [['--vol-target', '10'], { kind: 'volatility-target', targetAnnualVolPct: 10, lookbackBars: 20 }],
    [['--atr-risk', '1'], { kind: 'atr-risk', riskPct: 1, atrPeriod: 14, atrMultiple: 2 }],
  ])('reads the sizing rule of %j', (argv, sizing) => {
    expect(configOf(...argv).sizing).toEqual(sizing);
  });

  it('refuses two sizing rules, naming the flags', () => {
    expect(() => configOf('--percent-of-cash', '50', '--percent-of-equity', '50')).toThrow(/^--percent-of-cash: give one sizing rule, not --percent-of-cash and --percent-of-equity/);
  });
});

describe('readBacktestCommandLine', () => {
  it('reads a recorded backtester run and declines any other command', () => {
    expect(readBacktestCommandLine(['backtester', 'run', '--seed', '3'])).toEqual({ seed: 3 });
    expect(readBacktestCommandLine(['backtester', 'sweep', '--space', 'fast=1..2'])).toBeNull();
  });

  it('names the flag of a bad recorded argument', () => {
    expect(() => readBacktestCommandLine(['backtester', 'run', '--cahs', '1'])).toThrow(ConfigError);
    expect(() => readBacktestCommandLine(['backtester', 'run', '--risk', 'oops'])).toThrow(/^--risk: 'oops' is not name=value/);
  });
});

describe('BACKTEST_RUN_FIELD_FLAGS', () => {
  it.each([
    ['startingCash', '--cash'],
    ['execution.feeBps', '--commission-bps'],
    ['execution.latencyMs', '--execution latencyMs'],
    ['sizing.percent-of-equity', '--percent-of-equity'],
    ['killSwitch.rearm', '--kill-switch rearm'],
    ['risk.allowSymbols', '--allow-symbols'],
  ])('names %s by %s', (field, flag) => {
    expect(flagForField(BACKTEST_RUN_FIELD_FLAGS, field)).toBe(flag);
  });
});
