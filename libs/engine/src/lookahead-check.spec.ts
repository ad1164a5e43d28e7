import { describeWithPrerequisite, realMarketDataFile, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { alignUniverse, loadBarFile } from '@quantbot/market-data';
import type { Strategy } from '@quantbot/strategies';
import { createStrategy } from '@quantbot/strategies';
import { checkLookahead, sliceUniverse } from './lookahead-check';

const loadOrcl = () => alignUniverse([loadBarFile(realMarketDataFile('orcl-2003-2005.txt'))]);
type Universe = ReturnType<typeof loadOrcl>;
const sizing = { kind: 'fixed-shares', shares: 100 } as const;

function byName(name: string, params: Record<string, string> = {}) {
  return (universe: Universe): Strategy => createStrategy(name, params, { symbolCount: universe.symbols.length, universe }).strategy;
}

describeWithPrerequisite(realMarketDataPrerequisite(), 'checkLookahead', () => {
  const orcl = loadOrcl();

  it.each([
    ['sma-crossover', { fast: '10', slow: '30' }],
    ['bracket-momentum', {}],
  ])('passes the shipped %s: decisions never change when the future is cut off', (name, params) => {
    const report = checkLookahead({ universe: orcl, build: byName(name, params), startingCash: 100_000, sizing });
    expect(report.comparedDecisions).toBeGreaterThan(20);
    expect(report.divergences).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.cutoffs).toHaveLength(20);
  });

  it('catches a strategy built with an indicator computed over the whole series', () => {
    const report = checkLookahead({ universe: orcl, build: byName('biased-full-series'), startingCash: 100_000, sizing });
    expect(report.passed).toBe(false);
    expect(report.divergenceCount).toBeGreaterThan(0);
    const first = report.divergences[0];
    expect(first).toEqual(expect.objectContaining({ test: 'truncation', symbol: 'ORCL' }));
    expect((first?.time ?? '') <= (first?.boundary ?? '')).toBe(true);
  });

  it('catches a strategy whose decisions depend on how much history preceded its start', () => {
    // Remembers the first close it ever saw: decisions keep depending on where the data began.
    const anchored = (): Strategy => {
      let anchor = NaN;
      return {
        name: 'anchored',
        warmupBars: 5,
        onBar(bar, ctx) {
          if (Number.isNaN(anchor)) anchor = bar.close();
          if (bar.close() > anchor * 1.1 && ctx.position(0) === 0 && !ctx.hasPendingOrder(0)) ctx.buy(0);
          else if (bar.close() < anchor && ctx.position(0) > 0 && !ctx.hasPendingOrder(0)) ctx.closePosition(0);
        },
      };
    };
    const report = checkLookahead({ universe: orcl, build: anchored, startingCash: 100_000, sizing, startOffsets: [100] });
    expect(report.divergences.some((d) => d.test === 'warm-up')).toBe(true);
    expect(report.divergences.every((d) => d.test === 'warm-up')).toBe(true);
  });

  it('slices a universe into an independent copy of the chosen steps', () => {
    const part = sliceUniverse(orcl, 10, 20);
    expect(part.length).toBe(10);
    expect(part.time[0]).toBe(orcl.time[10]);
    expect(part.close[9]).toBe(orcl.close[19]);
    expect(part.hasBar.every((b) => b === 1)).toBe(true);
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'checkLookahead on order management', () => {
  const orcl = loadOrcl();

  it('compares cancels too: one that depends on how long the whole series is gets caught', () => {
    const cancelsWhenLong = (universe: Universe): Strategy => {
      const isLong = universe.length > 500; // known only to a strategy that saw all the data
      let id: ReturnType<Parameters<Strategy['onBar']>[1]['submitOrder']>;
      return {
        name: 'cancels-when-long',
        onBar(bar, ctx) {
          const step = bar.visibleSteps - 1;
          if (step === 10) id = ctx.submitOrder({ symbolIndex: 0, side: 'buy', type: 'limit', qty: 1, limitPrice: bar.close() * 0.5 });
          if (step === 11 && isLong && id !== undefined) ctx.cancelOrder(id);
        },
      };
    };
    const report = checkLookahead({ universe: orcl, build: cancelsWhenLong, startingCash: 100_000, sizing, startOffsets: [] });
    expect(report.passed).toBe(false);
    expect(report.divergences[0]).toEqual(expect.objectContaining({ test: 'truncation', symbol: '(cancel/replace)', full: ['cancel'], other: [] }));
  });
});
