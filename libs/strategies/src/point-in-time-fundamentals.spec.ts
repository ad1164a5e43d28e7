import { ConfigError, epochMs, ticker } from '@quantbot/core';
import type { BarUniverse, ClientOrderId, EpochMs, Ticker } from '@quantbot/core';
import { FullSeriesZScore, PeriodEndEarningsMomentum, datedByPeriodEnd } from './testing';
import type { BarView } from './bar-view';
import { TimeCursor, UniverseBarView } from './bar-view';
import { EarningsMomentum } from './earnings-momentum';
import type { FundamentalsRecord } from './point-in-time-fundamentals';
import { pointInTimeFundamentals } from './point-in-time-fundamentals';
import type { Strategy, StrategyContext } from './strategy';
import { STRATEGY_DEFINITIONS, createStrategy, findStrategy } from './strategy-registry';

const DAY = 86_400_000;

/** One symbol, `closes.length` daily bars from day 0. */
function universeOf(symbol: string, closes: readonly number[]): BarUniverse {
  const column = Float64Array.from(closes);
  return {
    symbols: [ticker(symbol)],
    length: closes.length,
    time: new Float64Array(closes.length).map((_, k) => k * DAY),
    open: column,
    high: column,
    low: column,
    close: column,
    volume: new Float64Array(closes.length).fill(1_000),
    hasBar: new Uint8Array(closes.length).fill(1),
  };
}

/** A store answering both ways, over records given as [periodEnd day, announced day, eps]. */
function store(symbol: string, rows: readonly (readonly [number, number, number])[]) {
  const records: FundamentalsRecord[] = rows.map(([periodEnd, announced, eps]) => ({ periodEnd: periodEnd * DAY, announcedAt: announced * DAY, value: { eps } }));
  const bySymbol = (s: string): FundamentalsRecord[] => (s === symbol ? records : []);
  return {
    historyAsOf: (s: string, t: number) => bySymbol(s).filter((r) => r.announcedAt <= t).sort((a, b) => a.announcedAt - b.announcedAt),
    historyByPeriodEnd: (s: string, t: number) => bySymbol(s).filter((r) => r.periodEnd <= t).sort((a, b) => a.periodEnd - b.periodEnd),
  };
}

/** Runs `strategy` over `u` and returns, per step, what it asked for ('buy' / 'close'). */
function decisions(strategy: Strategy, u: BarUniverse): string[] {
  const cursor = new TimeCursor(u.length);
  const view = new UniverseBarView(u, 0, cursor);
  let position = 0;
  let log = '';
  const ctx: StrategyContext = {
    get time(): EpochMs {
      return epochMs(view.time());
    },
    symbols: u.symbols as readonly Ticker[],
    cash: 100_000,
    equity: () => 100_000,
    position: () => position,
    hasPendingOrder: () => false,
    buy: () => {
      position = 1;
      log = 'buy';
    },
    sell: () => {
      log = 'sell';
    },
    closePosition: () => {
      position = 0;
      log = 'close';
    },
    submitOrder: () => undefined,
    cancelOrder: () => undefined,
    replaceOrder: () => 'none' as ClientOrderId,
  };
  const out: string[] = [];
  for (let k = 0; k < u.length; k++) {
    cursor.advanceTo(k);
    log = '';
    strategy.onBar(view, ctx);
    out.push(log);
  }
  return out;
}

/** A view of `u`'s symbol at step `k`. */
function barAt(u: BarUniverse, k: number): BarView {
  const cursor = new TimeCursor(u.length);
  cursor.advanceTo(k);
  return new UniverseBarView(u, 0, cursor);
}

// Quarters ending on days 1 and 3, announced on days 2 and 6; EPS 1 then 2 (growth).
const growth = store('ABC', [
  [1, 2, 1],
  [3, 6, 2],
]);
const eightDays = universeOf('ABC', [10, 10, 10, 10, 10, 10, 10, 10]);

describe('pointInTimeFundamentals', () => {
  it("answers only for the bar's symbol, with what was announced by the bar's time", () => {
    const view = pointInTimeFundamentals(growth);
    expect(view.historyAsOf(barAt(eightDays, 1))).toEqual([]);
    expect(view.historyAsOf(barAt(eightDays, 3)).map((r) => r.value.eps)).toEqual([1]);
    expect(view.historyAsOf(barAt(eightDays, 6)).map((r) => r.value.eps)).toEqual([1, 2]);
    expect(view.historyAsOf(barAt(universeOf('XYZ', [1, 1, 1, 1, 1, 1, 1]), 6))).toEqual([]);
  });

  it('keeps its promise over a source that leaks: records announced after the bar are dropped', () => {
    const leaky = { historyAsOf: (s: string, t: number) => growth.historyByPeriodEnd(s, t) };
    expect(leaky.historyAsOf('ABC', 3 * DAY)).toHaveLength(2);
    expect(pointInTimeFundamentals(leaky).historyAsOf(barAt(eightDays, 3)).map((r) => r.announcedAt)).toEqual([2 * DAY]);
  });

  it('exposes nothing of the source but the point-in-time query', () => {
    expect(Object.keys(pointInTimeFundamentals(growth))).toEqual(['historyAsOf']);
    expect(Object.isFrozen(pointInTimeFundamentals(growth))).toBe(true);
  });
});

describe('EarningsMomentum', () => {
  it('buys on the first bar after the growing quarter is announced, not after it ended', () => {
    const strategy = createStrategy('earnings-momentum', {}, { symbolCount: 1, fundamentals: pointInTimeFundamentals(growth) }).strategy;
    expect(strategy.name).toBe('earnings-momentum');
    expect(decisions(strategy, eightDays)).toEqual(['', '', '', '', '', '', 'buy', '']);
  });

  it('closes when the latest announced quarter stops growing', () => {
    const fading = store('ABC', [
      [1, 2, 1],
      [3, 4, 2],
      [5, 6, 1.5],
    ]);
    expect(decisions(new EarningsMomentum(pointInTimeFundamentals(fading), 0), eightDays)).toEqual(['', '', '', '', 'buy', '', 'close', '']);
  });

  it('refuses to be built without the session\'s point-in-time fundamentals, naming the field', () => {
    expect(() => createStrategy('earnings-momentum', {}, 1)).toThrow(new ConfigError('strategy', 'this strategy needs point-in-time fundamentals, and the session has none'));
  });
});

describe('the shipped strategies', () => {
  it('are the honest ones only', () => {
    expect(STRATEGY_DEFINITIONS.map((d) => d.name)).toEqual(['sma-crossover', 'bracket-momentum', 'earnings-momentum', 'factor-long-short', 'ensemble']);
  });

  it.each([
    ['biased-full-series', 'FullSeriesZScore'],
    ['biased-pit-early', 'PeriodEndEarningsMomentum'],
  ])('refuse the removed, deliberately biased %s, saying where it lives now', (name, exported) => {
    let caught: unknown;
    try {
      findStrategy(name);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe('strategy');
    expect((caught as ConfigError).reason).toBe(
      `'${name}' is a deliberately biased example of lookahead bias and was removed from the shipped strategies; ` +
        `it lives in @quantbot/strategies/testing (${exported}) for tests of the lookahead check, and no session can run it`,
    );
  });
});

describe('@quantbot/strategies/testing', () => {
  it('FullSeriesZScore decides on statistics of the whole series it was given, future included', () => {
    // Mean 10, deviation > 0: the dip at step 1 is bought only because the later recovery is known.
    const series = universeOf('ABC', [10, 5, 10, 15, 10]);
    const strategy = new FullSeriesZScore(series);
    expect(strategy.name).toBe('biased-full-series');
    expect(decisions(strategy, series)).toEqual(['', 'buy', '', 'close', '']);
    // Given only the first two bars, the same dip is the low of a shorter series: different statistics.
    const firstTwo = universeOf('ABC', [10, 5]);
    expect(decisions(new FullSeriesZScore(firstTwo), firstTwo)).toEqual(['', '']);
  });

  it('datedByPeriodEnd shows a quarter from the day it ended, before its announcement', () => {
    expect(datedByPeriodEnd(growth).historyAsOf(barAt(eightDays, 3)).map((r) => r.value.eps)).toEqual([1, 2]);
    const strategy = new PeriodEndEarningsMomentum(growth);
    expect(strategy.name).toBe('biased-pit-early');
    // Three bars earlier than the honest strategy's buy on step 6.
    expect(decisions(strategy, eightDays)).toEqual(['', '', '', 'buy', '', '', '', '']);
  });
});
