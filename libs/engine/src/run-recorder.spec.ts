import { orderEventRecordJson } from '@quantbot/core';
import { SmaCrossover } from '@quantbot/strategies';
import { universeOf } from '../test/universe-builder';
import { runBacktest } from './backtest-runner';
import { RunRecorder } from './run-recorder';

/** A zig-zag long enough to trade many times, so the journal spans several pieces. */
function zigzag(steps: number): [number, number][] {
  return Array.from({ length: steps }, (_, k) => {
    const p = 100 + 10 * Math.sin(k / 6) + (k % 5) / 3;
    return [p, p + 0.25];
  });
}

describe('RunRecorder with a sink', () => {
  it('hands over exactly the JSON Lines of the records it would keep, in whole lines, and keeps none', () => {
    const universe = universeOf({ AAA: zigzag(6_000), BBB: zigzag(6_000).map(([o, c]) => [o * 2, c * 2]) });
    const run = (recorder: RunRecorder): void => {
      runBacktest({ universe, strategy: new SmaCrossover({ fast: 2, slow: 5, allowShort: true }, 2), startingCash: 1e6, sizing: { kind: 'fixed-shares', shares: 10 }, recorder });
    };
    const kept = new RunRecorder();
    run(kept);
    const pieces = { decisions: [] as string[], orders: [] as string[] };
    const streamed = new RunRecorder({ sink: { decisions: (text) => pieces.decisions.push(text), orders: (text) => pieces.orders.push(text) } });
    run(streamed);
    streamed.flush();
    streamed.flush(); // a second flush hands over nothing more

    expect(kept.orders.length).toBeGreaterThan(2 * 256);
    expect(pieces.orders.length).toBeGreaterThan(2);
    expect(pieces.decisions.join('')).toBe(kept.decisions.map((d) => `${JSON.stringify(d)}\n`).join(''));
    expect(pieces.orders.join('')).toBe(kept.orders.map((o) => `${orderEventRecordJson(o)}\n`).join(''));
    for (const piece of [...pieces.decisions, ...pieces.orders]) expect(piece.endsWith('\n')).toBe(true);
    expect(streamed.decisions).toEqual([]);
    expect(streamed.orders).toEqual([]);
  });
});
