import type { BarStep, VenueBar } from '@quantbot/core';
import { epochMs, ticker } from '@quantbot/core';
import { StepAggregator } from './venue-connection';

const T0 = Date.UTC(2024, 2, 5, 14, 30);
const bar = (symbol: string, minute: number, close = 10): VenueBar => ({ symbol, time: epochMs(T0 + minute * 60_000), open: close, high: close + 1, low: close - 1, close, volume: 100 });

describe('StepAggregator: gathering a minute of bars across symbols', () => {
  const symbols = [ticker('AAA'), ticker('BBB')];
  let steps: BarStep[];
  let late: [string, number][];
  let aggregator: StepAggregator;

  beforeEach(() => {
    jest.useFakeTimers();
    steps = [];
    late = [];
    aggregator = new StepAggregator(symbols, () => 0, 10_000, (step) => steps.push(step), (b, lastStep) => late.push([b.symbol, (b.time - lastStep) / 60_000]));
  });
  afterEach(() => jest.useRealTimers());

  const present = (step: BarStep | undefined): boolean[] => (step?.bars ?? []).map((b) => b !== undefined);

  it('a minute without a symbol\'s bar is a step without it, once the next minute begins', () => {
    aggregator.add(bar('AAA', 0));
    expect(steps).toHaveLength(0);
    aggregator.add(bar('AAA', 1));
    expect(steps.map((s) => s.time)).toEqual([T0]);
    expect(present(steps[0])).toEqual([true, false]);
  });

  it('or once the step timeout has passed after its first bar', () => {
    aggregator.add(bar('BBB', 0));
    jest.advanceTimersByTime(9_999);
    expect(steps).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(present(steps[0])).toEqual([false, true]);
  });

  it('a second bar of a symbol for a gathering step replaces the first and does not complete the step', () => {
    aggregator.add(bar('AAA', 0, 10));
    aggregator.add(bar('AAA', 0, 11));
    expect(steps).toHaveLength(0);
    aggregator.add(bar('BBB', 0));
    expect(steps).toHaveLength(1);
    expect(steps[0]?.bars[0]?.close).toBe(11);
  });

  it('a bar for a minute already delivered is dropped, counted and reported; the step stands', () => {
    aggregator.add(bar('AAA', 0));
    aggregator.add(bar('AAA', 1)); // step 0 delivered without BBB
    aggregator.add(bar('BBB', 0)); // late
    aggregator.add(bar('BBB', 1));
    expect(steps.map((s) => [s.time, present(s)])).toEqual([
      [T0, [true, false]],
      [T0 + 60_000, [true, true]],
    ]);
    expect(aggregator.late).toBe(1);
    expect(late).toEqual([['BBB', 0]]);
  });
});
