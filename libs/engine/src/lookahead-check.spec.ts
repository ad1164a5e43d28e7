import type { EpochMs } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataFile, realMarketDataPrerequisite } from '@quantbot/core/testing';
import type { FundamentalValues } from '@quantbot/data-quality';
import { PointInTimeSeries, generateSyntheticFundamentals } from '@quantbot/data-quality';
import { alignUniverse, loadBarFile } from '@quantbot/market-data';
import type { Strategy } from '@quantbot/strategies';
import { createStrategy, pointInTimeFundamentals } from '@quantbot/strategies';
import { FullSeriesZScore, PeriodEndEarningsMomentum } from '@quantbot/strategies/testing';
import { checkLookahead, sliceUniverse } from './lookahead-check';

const loadOrcl = () => alignUniverse([loadBarFile(realMarketDataFile('orcl-2003-2005.txt'))]);
type Universe = ReturnType<typeof loadOrcl>;
const sizing = { kind: 'fixed-shares', shares: 100 } as const;

/** A shipped strategy as a session builds it: from its symbol count, and nothing it could see the future in. */
function byName(name: string, params: Record<string, string> = {}) {
  return (universe: Universe): Strategy => createStrategy(name, params, universe.symbols.length).strategy;
}

/** Seeded synthetic quarterly fundamentals for ORCL over the data (as the backtester makes them). */
const fundamentals = new PointInTimeSeries(generateSyntheticFundamentals({ symbols: ['ORCL'], start: '2002-01-01', quarters: 20, seed: 42 }));
/** The fundamentals the session knows when it builds a strategy: all of them, or those announced by the cut-off. */
const knownBy = (knownAt: EpochMs | null): PointInTimeSeries<FundamentalValues> =>
  knownAt === null ? fundamentals : fundamentals.visibleAt(knownAt);

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

  it('passes the shipped earnings-momentum, which reads fundamentals only through the point-in-time view', () => {
    // Built as a session builds it, with the fundamentals known at each cut-off ...
    const asKnown = checkLookahead({
      universe: orcl,
      build: (u, knownAt) => createStrategy('earnings-momentum', {}, { symbolCount: u.symbols.length, fundamentals: pointInTimeFundamentals(knownBy(knownAt)) }).strategy,
      startingCash: 100_000,
      sizing,
    });
    expect(asKnown.comparedDecisions).toBeGreaterThan(5);
    expect(asKnown.divergences).toEqual([]);
    // ... and even when every rebuild is handed every quarter, announced or not: the view answers
    // only as of a bar's time, so figures announced later cannot reach a decision.
    const everything = checkLookahead({
      universe: orcl,
      build: (u) => createStrategy('earnings-momentum', {}, { symbolCount: u.symbols.length, fundamentals: pointInTimeFundamentals(fundamentals) }).strategy,
      startingCash: 100_000,
      sizing,
    });
    expect(everything.passed).toBe(true);
    expect(everything.comparedDecisions).toBe(asKnown.comparedDecisions);
  });

  it('catches a strategy built with an indicator computed over the whole series', () => {
    // The bias: the series it is given at construction (the rebuild at a cut-off gets the bars up to the cut).
    const report = checkLookahead({ universe: orcl, build: (u) => new FullSeriesZScore(u), startingCash: 100_000, sizing });
    expect(report.strategy).toBe('biased-full-series');
    expect(report.passed).toBe(false);
    expect(report.divergenceCount).toBeGreaterThan(0);
    const first = report.divergences[0];
    expect(first).toEqual(expect.objectContaining({ test: 'truncation', symbol: 'ORCL' }));
    expect((first?.time ?? '') <= (first?.boundary ?? '')).toBe(true);
  });

  it('catches a strategy that reads fundamentals dated by fiscal period end, before they were announced', () => {
    // The rebuild at each cut-off gets only the quarters announced by the cut; the bias shows as
    // decisions before the cut that the full run made on quarters not yet public.
    const report = checkLookahead({ universe: orcl, build: (_u, knownAt) => new PeriodEndEarningsMomentum(knownBy(knownAt)), startingCash: 100_000, sizing });
    expect(report.strategy).toBe('biased-pit-early');
    expect(report.passed).toBe(false);
    expect(report.divergenceCount).toBeGreaterThan(0);
    const first = report.divergences[0];
    expect(first).toEqual(expect.objectContaining({ test: 'truncation', symbol: 'ORCL' }));
    expect((first?.time ?? '') <= (first?.boundary ?? '')).toBe(true);
  });

  it('needs the rebuild to get only the data known at each cut-off: handed everything, the period-end bias goes unseen', () => {
    // Why `build` receives the cut-off: a rebuild given fundamentals announced after it reproduces the bias exactly.
    const report = checkLookahead({ universe: orcl, build: () => new PeriodEndEarningsMomentum(fundamentals), startingCash: 100_000, sizing });
    expect(report.passed).toBe(true);
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
