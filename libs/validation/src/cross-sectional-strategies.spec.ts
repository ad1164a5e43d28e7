import type { BarUniverse } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataFile, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { checkLookahead, runBacktest } from '@quantbot/engine';
import { alignUniverse, generateSyntheticUniverse, loadBarFile } from '@quantbot/market-data';
import type { StrategyNotice } from '@quantbot/strategies';
import { createStrategy } from '@quantbot/strategies';

// The lookahead check on factor-long-short and ensemble as sessions build them (by name, from
// parameters as text), over the default synthetic universe and over real ORCL, YHOO and NVDA bars.

const SIZING = { kind: 'fixed-shares', shares: 100 } as const;

const CASES: readonly (readonly [string, Readonly<Record<string, string>>])[] = [
  ['factor-long-short', {}],
  ['factor-long-short', { factor: '2', lookback: '5', skip: '0', rebalance: '5' }],
  ['factor-long-short', { factor: '3', allowShort: 'false', factorWeighted: 'true', grossExposure: '0.9' }],
  ['ensemble', {}],
  ['ensemble', { metaLearner: 'true', allowShort: 'true' }],
];

function check(universe: BarUniverse, name: string, params: Readonly<Record<string, string>>) {
  return checkLookahead({
    universe,
    build: (u) => createStrategy(name, params, { symbolCount: u.symbols.length }).strategy,
    startingCash: 100_000,
    sizing: SIZING,
  });
}

describe('factor-long-short and ensemble on the default synthetic universe', () => {
  const universe = generateSyntheticUniverse();

  it.each(CASES)('%s %j passes the lookahead check', (name, params) => {
    const report = check(universe, name, params);
    expect(report.divergences).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.comparedDecisions).toBeGreaterThan(500);
    // The warm-up test ran: the later starts fit in the 2520 bars.
    expect(report.startOffsets.every((offset) => offset < universe.length)).toBe(true);
  });

  it('factor-long-short holds, once its last rebalance filled, the target quantities it reported', () => {
    const { strategy } = createStrategy('factor-long-short', {}, universe.symbols.length);
    const result = runBacktest({ universe, strategy, startingCash: 100_000, sizing: SIZING });
    // The last rebalance is step 2500 (every 20th); its orders fill at the next open and nothing trades after.
    const held = universe.symbols.map((symbol) => {
      const open = result.openPositions.find((p) => p.symbol === symbol);
      return open === undefined ? 0 : open.side === 'short' ? -open.qty : open.qty;
    });
    const targets = universe.symbols.map((_, s) => strategy.describeInputs?.(s)['targetQty']);
    expect(held).toEqual(targets);
    expect(held.filter((q) => q !== 0)).toHaveLength(2);
    // Every order filled (the sells free the cash the buys need), in whole shares, both ways.
    expect(result.rejectedOrders).toEqual([]);
    expect(result.trades.length).toBeGreaterThan(20);
    expect(result.trades.some((t) => t.side === 'short')).toBe(true);
    expect(result.trades.every((t) => Number.isInteger(t.qty))).toBe(true);
  });

  it('ensemble with the meta-learner raises its notices through the build context, once per change of state', () => {
    const notices: StrategyNotice[] = [];
    const { strategy } = createStrategy('ensemble', { metaLearner: 'true' }, { symbolCount: universe.symbols.length, notify: (n) => notices.push(n) });
    runBacktest({ universe, strategy, startingCash: 100_000, sizing: SIZING });
    expect(notices.map((n) => n.code)).toEqual(['meta-learner-fallback', 'meta-learner-fitted']);
    expect(notices[0]).toEqual(expect.objectContaining({ time: universe.time[0], strategy: 'ensemble' }));
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'factor-long-short and ensemble on ORCL, YHOO and NVDA 1995-2014', () => {
  let universe: BarUniverse;
  beforeAll(() => {
    universe = alignUniverse(['orcl-1995-2014.txt', 'yhoo-1996-2014.txt', 'nvda-1999-2014.txt'].map((f) => loadBarFile(realMarketDataFile(f))));
  });

  it.each(CASES)('%s %j passes the lookahead check', (name, params) => {
    const report = check(universe, name, params);
    expect(report.divergences).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.comparedDecisions).toBeGreaterThan(500);
  });
});
