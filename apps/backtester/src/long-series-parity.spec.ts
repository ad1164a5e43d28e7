// On a long seeded synthetic series where cash runs low, the engine must equal the independent
// reference simulator trade by trade, including which entries are rejected for buying power,
// at submission (against the signal bar's close) or at the fill (against the next open).
import { runBacktest } from '@quantbot/engine';
import { resolveExecutionProfile } from '@quantbot/execution-sim';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { SmaCrossover } from '@quantbot/strategies';
import { referenceSmaCrossover } from '../test/reference-backtest';

const BARS = 1_000_000;

describe('a 1,000,000-bar seeded series where cash runs low', () => {
  const universe = generateSyntheticUniverse({ symbols: 1, bars: BARS, seed: 7 });
  const open = universe.open.subarray(0, BARS);
  const close = universe.close.subarray(0, BARS);
  const dates = Array.from(universe.time, String);
  const reference = referenceSmaCrossover({ dates, open, close }, { fast: 10, slow: 30, cash: 100_000, size: 100, commissionRate: 0 });

  it.each(['simulator', 'next-open'] as const)('the engine (%s fill model) equals the reference trade by trade, rejections included', (fillModel) => {
    const result = runBacktest({
      universe,
      strategy: new SmaCrossover({ fast: 10, slow: 30, allowShort: false }, 1),
      startingCash: 100_000,
      sizing: { kind: 'fixed-shares', shares: 100 },
      execution: resolveExecutionProfile('idealistic'),
      fillModel,
      seed: 1,
    });
    expect(reference.trades.length).toBeGreaterThan(1_000);
    expect(result.trades.map((t) => [String(t.entryTime), t.entryPrice, String(t.exitTime), t.exitPrice, t.qty, t.pnl])).toEqual(
      reference.trades.map((t) => [t.entryTime, t.entryPrice, t.exitTime, t.exitPrice, t.qty, t.pnl]),
    );
    expect(result.rejectedOrders).toHaveLength(reference.rejected);
    // Cash runs low: entries are refused, and some of them only by the check at submission,
    // being affordable at the next open (the case a fill-only check would have let through).
    const atSubmission = result.rejectedOrders.filter((r) => r.reason.includes('at submission'));
    expect(atSubmission.length).toBeGreaterThan(0);
    const affordableAtOpen = atSubmission.filter((r) => {
      const cash = Number(/cash (\d+\.\d+)$/.exec(r.reason)?.[1]);
      const k = universe.time.indexOf(r.time) + 1;
      return k > 0 && k < BARS && 100 * (open[k] as number) <= cash;
    });
    expect(affordableAtOpen.length).toBeGreaterThan(0);
  });
});
