import type { Fill, OrderUpdate } from '@quantbot/core';
import type { BarView, StepView, Strategy, StrategyContext } from '@quantbot/strategies';
import { WarmupGate } from '@quantbot/strategies';
import { universeOf } from '../test/universe-builder';
import { runBacktest } from './backtest-runner';
import { checkLookahead } from './lookahead-check';

const fixed10 = { kind: 'fixed-shares', shares: 10 } as const;

/** Holds, each step, the one symbol whose close rose most over the last step (decided in `onStep`). */
class HoldTheLeader implements Strategy {
  readonly name = 'hold-the-leader';
  readonly warmupBars = 1;
  readonly calls: string[] = [];
  readonly fills: Fill[] = [];
  readonly updates: OrderUpdate[] = [];

  onBar(bar: BarView): void {
    this.calls.push(`bar ${bar.visibleSteps - 1} ${bar.symbolIndex}`);
  }

  onStep(step: StepView, ctx: StrategyContext): void {
    const index = (step.views[0]?.visibleSteps ?? 0) - 1;
    this.calls.push(`step ${index}`);
    if (index < 1) return;
    let leader = -1;
    let best = Number.NEGATIVE_INFINITY;
    step.views.forEach((view, s) => {
      if (!step.hasBar(s) || Number.isNaN(view.close(1))) return;
      const change = view.close() / view.close(1) - 1;
      if (change > best) {
        best = change;
        leader = s;
      }
    });
    step.views.forEach((_, s) => {
      if (ctx.hasPendingOrder(s)) return;
      if (s === leader && ctx.position(s) === 0) ctx.buy(s);
      else if (s !== leader && ctx.position(s) > 0) ctx.closePosition(s);
    });
  }

  onFill(fill: Fill): void {
    this.fills.push(fill);
  }

  onOrderUpdate(update: OrderUpdate): void {
    this.updates.push(update);
  }
}

const universe = universeOf({
  AAA: [[10, 10], [10, 11], [11, 12], [12, 11], [11, 10], [10, 10], [10, 12]],
  BBB: [[20, 20], [20, 20], null, [20, 23], [23, 24], [24, 23], [23, 22]],
  CCC: [[5, 5], [5, 4], [4, 4], [4, 4], [4, 5], [5, 6], [6, 6]],
});

describe('Strategy.onStep, onFill and onOrderUpdate', () => {
  it('calls onStep once per step, after onBar for every symbol with a bar, and trades on what it decides there', () => {
    const strategy = new HoldTheLeader();
    const result = runBacktest({ universe, strategy, startingCash: 10_000, sizing: fixed10 });
    // Step 2: BBB has no bar, so onBar runs for AAA and CCC only, then onStep.
    expect(strategy.calls.slice(0, 4)).toEqual(['bar 0 0', 'bar 0 1', 'bar 0 2', 'step 0']);
    expect(strategy.calls.filter((c) => c.startsWith('bar 2 '))).toEqual(['bar 2 0', 'bar 2 2']);
    expect(strategy.calls.indexOf('step 2')).toBe(strategy.calls.indexOf('bar 2 2') + 1);
    expect(strategy.calls.filter((c) => c.startsWith('step'))).toHaveLength(universe.length);
    // Leaders: step 1 AAA (+10%), step 2 AAA (BBB has no bar), step 3 CCC (AAA fell; BBB's
    // previous close is missing, so it is skipped), steps 4-5 CCC, step 6 AAA (decided on the last bar, never filled).
    expect(result.trades).toEqual([expect.objectContaining({ symbol: 'AAA', entryPrice: 11, exitPrice: 11, qty: 10 })]);
    expect(result.openPositions).toEqual([expect.objectContaining({ symbol: 'CCC', qty: 10 })]);
  });

  it('reports every fill and order update to the strategy, matching the books', () => {
    const strategy = new HoldTheLeader();
    const result = runBacktest({ universe, strategy, startingCash: 10_000, sizing: fixed10 });
    const bought = strategy.fills.filter((f) => f.side === 'buy').reduce((sum, f) => sum + f.qty, 0);
    const sold = strategy.fills.filter((f) => f.side === 'sell').reduce((sum, f) => sum + f.qty, 0);
    const held = result.openPositions.reduce((sum, p) => sum + p.qty, 0);
    expect(strategy.fills.length).toBeGreaterThan(0);
    expect(bought - sold).toBe(held);
    const filled = strategy.updates.filter((u) => u.status === 'filled').map((u) => u.clientOrderId);
    expect(new Set(filled)).toEqual(new Set(strategy.fills.map((f) => f.clientOrderId)));
  });

  it('is checked by the lookahead check like onBar, and a WarmupGate mutes its orders before the gate', () => {
    const report = checkLookahead({ universe, build: () => new HoldTheLeader(), startingCash: 10_000, sizing: fixed10, cutoffs: 4, startOffsets: [1] });
    expect(report.passed).toBe(true);
    expect(report.comparedDecisions).toBeGreaterThan(0);

    const gated = new HoldTheLeader();
    const result = runBacktest({ universe, strategy: new WarmupGate(gated, 4), startingCash: 10_000, sizing: fixed10 });
    expect(gated.calls.filter((c) => c.startsWith('step'))).toHaveLength(universe.length);
    expect(result.trades.every((t) => t.entryTime >= (universe.time[5] as number))).toBe(true);
  });

  it('the lookahead check catches a decision in onStep that reads the future', () => {
    // Built over the data it is given, it buys symbol 0 when the next close (the future) is higher.
    const peeking = (u: typeof universe): Strategy => ({
      name: 'peeking',
      onBar: () => undefined,
      onStep(step, ctx) {
        const k = (step.views[0]?.visibleSteps ?? 0) - 1;
        if (k + 1 >= u.length) return;
        if ((u.close[k + 1] as number) > (u.close[k] as number) && !ctx.hasPendingOrder(0)) ctx.buy(0);
      },
    });
    const report = checkLookahead({ universe, build: peeking, startingCash: 100_000, sizing: fixed10, cutoffs: 5, startOffsets: [] });
    expect(report.passed).toBe(false);
    expect(report.divergences[0]).toEqual(expect.objectContaining({ test: 'truncation', symbol: 'AAA' }));
  });
});
