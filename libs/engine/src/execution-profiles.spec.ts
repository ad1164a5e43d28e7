import { describeWithPrerequisite, realMarketDataFile, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { EXECUTION_PROFILES, resolveExecutionProfile } from '@quantbot/execution-sim';
import { alignUniverse, generateSyntheticUniverse, loadBarFile } from '@quantbot/market-data';
import type { Strategy } from '@quantbot/strategies';
import { BracketMomentum, SmaCrossover } from '@quantbot/strategies';
import { flatRows, universeOf } from '../test/universe-builder';
import type { BacktestConfig } from './backtest-runner';
import { runBacktest } from './backtest-runner';

function comparable(result: ReturnType<typeof runBacktest>) {
  return {
    trades: result.trades,
    openPositions: result.openPositions,
    equity: Array.from(result.equity),
    rejected: result.rejectedOrders.map((r) => [r.clientOrderId, r.time, r.reason]),
  };
}

describeWithPrerequisite(realMarketDataPrerequisite(), 'execution profiles', () => {
  const orcl = alignUniverse([loadBarFile(realMarketDataFile('orcl-1995-2014.txt'))]);
  const nvda = alignUniverse([loadBarFile(realMarketDataFile('nvda-1999-2014.txt'))]);

  it.each([
    ['ORCL, 100 shares, no fees', orcl, { kind: 'fixed-shares', shares: 100 } as const, 0],
    ['ORCL, 95% of cash, 10 bps', orcl, { kind: 'percent-of-cash', percent: 95 } as const, 10],
    ['NVDA, 95% of cash, 10 bps', nvda, { kind: 'percent-of-cash', percent: 95 } as const, 10],
  ])('idealistic with market orders equals the simple next-open model exactly (%s)', (_label, universe, sizing, feeBps) => {
    const config = (fillModel: 'simulator' | 'next-open'): BacktestConfig => ({
      universe,
      strategy: new SmaCrossover({ fast: 10, slow: 30, allowShort: false }, 1),
      startingCash: 100_000,
      sizing,
      execution: resolveExecutionProfile('idealistic', { feeBps }),
      fillModel,
    });
    const simulated = runBacktest(config('simulator'));
    const simple = runBacktest(config('next-open'));
    expect(simulated.trades.length).toBeGreaterThan(50);
    expect(comparable(simulated)).toEqual(comparable(simple));
  });

  it('equals the simple model on long/short reversals too, where covering crosses through zero', () => {
    const universe = generateSyntheticUniverse({ symbols: 3, bars: 1500, seed: 5 });
    const config = (fillModel: 'simulator' | 'next-open'): BacktestConfig => ({
      universe,
      strategy: new SmaCrossover({ fast: 5, slow: 20, allowShort: true }, 3),
      startingCash: 1_000_000,
      sizing: { kind: 'fixed-shares', shares: 50 },
      execution: resolveExecutionProfile('idealistic', { feeBps: 3 }),
      fillModel,
    });
    const simulated = runBacktest(config('simulator'));
    expect(simulated.trades.filter((t) => t.side === 'short').length).toBeGreaterThan(10);
    expect(comparable(simulated)).toEqual(comparable(runBacktest(config('next-open'))));
  });

  describe('the same strategy on the same data', () => {
    const run = (profile: keyof typeof EXECUTION_PROFILES, strategy: Strategy) =>
      runBacktest({
        universe: orcl,
        strategy,
        startingCash: 100_000,
        sizing: { kind: 'fixed-shares', shares: 200 },
        execution: EXECUTION_PROFILES[profile],
        seed: 7,
      });

    it.each([
      ['sma-crossover', () => new SmaCrossover({ fast: 10, slow: 30, allowShort: false }, 1)],
      ['bracket-momentum', () => BracketMomentum.fromParams({ lookback: 20, atrPeriod: 14, takeProfitAtr: 3, stopLossAtr: 1.5, allowShort: false }, 1)],
    ])('%s returns less in stressed than realistic, and less in realistic than idealistic, as execution costs explain', (_name, make) => {
      const ideal = run('idealistic', make());
      const real = run('realistic', make());
      const stress = run('stressed', make());
      expect(real.metrics.finalEquity).toBeLessThan(ideal.metrics.finalEquity);
      expect(stress.metrics.finalEquity).toBeLessThan(real.metrics.finalEquity);
      const cost = (r: typeof ideal) => r.executionQuality.implementationShortfallBps as number;
      expect(cost(real)).toBeGreaterThan(cost(ideal));
      expect(cost(stress)).toBeGreaterThan(cost(real));
      expect(real.metrics.totalCommission).toBeGreaterThan(ideal.metrics.totalCommission);
      expect(stress.executionQuality.qualityScore as number).toBeLessThan(real.executionQuality.qualityScore as number);
      expect(real.executionQuality.qualityScore as number).toBeLessThan(ideal.executionQuality.qualityScore as number);
    });
  });

  it('gives the same result for the same seed, including the stressed profile\'s random rejects', () => {
    const run = (seed: number) =>
      runBacktest({
        universe: orcl,
        strategy: new SmaCrossover({ fast: 5, slow: 20, allowShort: false }, 1),
        startingCash: 100_000,
        sizing: { kind: 'fixed-shares', shares: 100 },
        execution: resolveExecutionProfile('stressed', { rejectProbability: 0.2 }),
        seed,
      });
    const a = run(1);
    expect(a.rejectedOrders.length).toBeGreaterThan(5);
    expect(comparable(run(1))).toEqual(comparable(a));
    expect(comparable(run(2))).not.toEqual(comparable(a));
  });

  it('covers a short with one buy that crosses through zero, booking the short and opening a long', () => {
    const universe = universeOf({ AAA: [[50, 50], [50, 48], [45, 45], [46, 46], [47, 47]] });
    const strategy: Strategy = {
      name: 'flip',
      onBar(bar, ctx) {
        if (bar.visibleSteps === 1) ctx.sell(0, 10);
        if (bar.visibleSteps === 2) ctx.buy(0, 25);
      },
    };
    const result = runBacktest({ universe, strategy, startingCash: 10_000, sizing: { kind: 'fixed-shares', shares: 1 }, execution: EXECUTION_PROFILES.idealistic });
    expect(result.trades).toEqual([expect.objectContaining({ side: 'short', qty: 10, entryPrice: 50, exitPrice: 45, pnl: 50 })]);
    expect(result.openPositions).toEqual([expect.objectContaining({ side: 'long', qty: 15, entryPrice: 45, markPrice: 47, unrealizedPnl: 30 })]);
    expect(result.metrics.finalEquity).toBe(10_000 + 50 + 30);
  });

  it('splits fills under a participation cap, first come first served, and expires a day order that got none', () => {
    const universe = universeOf({ AAA: flatRows([10, 10, 10, 10, 10]) }); // volume 1,000 per bar
    const strategy: Strategy = {
      name: 'big',
      onBar(bar, ctx) {
        if (bar.visibleSteps === 1) ctx.submitOrder({ symbolIndex: 0, side: 'buy', type: 'market', qty: 250 });
        if (bar.visibleSteps === 2) ctx.submitOrder({ symbolIndex: 0, side: 'buy', type: 'market', qty: 250, timeInForce: 'day' });
      },
    };
    const result = runBacktest({
      universe,
      strategy,
      startingCash: 100_000,
      sizing: { kind: 'fixed-shares', shares: 1 },
      execution: resolveExecutionProfile('idealistic', { maxParticipation: 0.1 }),
    });
    // The gtc order takes the bar's 10% (100 shares) on steps 1, 2 and 3; the day order, working
    // only on step 2, finds the cap used up and expires unfilled.
    expect(result.openPositions[0]?.qty).toBe(250);
    expect(result.canceledOrders).toEqual([expect.objectContaining({ status: 'expired', filledQty: 0 })]);
    expect(result.executionQuality.partialFillRatio).toBe(1);
  });
});
