import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConfigError, QuantbotError } from '@quantbot/core';
import { computeMetrics, runBacktest, sliceUniverse } from '@quantbot/engine';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { createStrategy } from '@quantbot/strategies';
import type { SweepWorkerReply, SweepWorkerRequest, TrialSettings } from './sweep-worker';
import { UniverseWindows, equityReturns, runTrial, serializeError, serveSweepWorker } from './sweep-worker';

const universe = generateSyntheticUniverse({ symbols: 2, bars: 1200, seed: 31 });
const settings: TrialSettings = {
  strategy: 'sma-crossover',
  baseParams: { allowShort: true },
  startingCash: 50_000,
  sizing: { kind: 'fixed-shares', shares: 50 },
  seed: 3,
};
const params = { fast: 8, slow: 40 };

describe('runTrial', () => {
  it('scores a window without warm-up exactly like a backtest on that window', () => {
    const windows = new UniverseWindows(universe);
    const run = runTrial(windows, settings, { id: 0, params, from: 300, to: 900, scoreFrom: 300 });
    const slice = sliceUniverse(universe, 300, 900);
    const direct = runBacktest({
      universe: slice,
      strategy: createStrategy('sma-crossover', { allowShort: true, ...params }, 2).strategy,
      startingCash: 50_000,
      sizing: settings.sizing,
      seed: 3,
    });
    expect(run.metrics).toStrictEqual(direct.metrics);
    expect(run.trades).toEqual(direct.trades);
    expect(run.warmupBars).toBe(0);
    expect(Array.from(run.returns)).toEqual(Array.from(equityReturns(direct.equity, 0, 50_000)));
  });

  describe('with a warm-up', () => {
    const windows = new UniverseWindows(universe);
    const warm = runTrial(windows, settings, { id: 0, params, from: 300, to: 900, scoreFrom: 341 });
    const cold = runTrial(windows, settings, { id: 1, params, from: 341, to: 900, scoreFrom: 341 });

    it('scores only the bars from scoreFrom', () => {
      expect(warm.metrics.bars).toBe(900 - 341);
      expect(warm.returns).toHaveLength(900 - 341);
      expect(warm.warmupBars).toBe(41);
      expect(warm.metrics.startingEquity).toBe(50_000);
    });

    it('drops orders during the warm-up, so nothing is held at scoreFrom', () => {
      const firstScoredTime = universe.time[341] as number;
      for (const t of warm.trades) expect(t.entryTime).toBeGreaterThan(firstScoredTime);
      expect(warm.returns[0]).toBe(0);
    });

    it('lets the strategy act from the first scored bar, where a cold start is still blind', () => {
      const firstEntry = (trades: typeof warm.trades): number => Math.min(...trades.map((t) => t.entryTime));
      // The cold run's slow average needs 40 bars before it can see a cross.
      expect(firstEntry(cold.trades)).toBeGreaterThanOrEqual(universe.time[341 + 40] as number);
      expect(firstEntry(warm.trades)).toBeLessThan(firstEntry(cold.trades));
    });

    it('computes its metrics from the scored part of the curve', () => {
      let equity = 50_000;
      const curve = new Float64Array(warm.returns.length);
      warm.returns.forEach((r, k) => {
        equity *= 1 + r;
        curve[k] = equity;
      });
      const recomputed = computeMetrics({
        startingEquity: 50_000,
        time: universe.time.slice(341, 900),
        equity: curve,
        barsInMarket: Math.round(warm.metrics.exposure * warm.metrics.bars),
        tradedNotional: warm.tradedNotional,
        totalCommission: warm.metrics.totalCommission,
        trades: warm.trades,
      });
      expect(warm.metrics.totalReturn).toBeCloseTo(recomputed.totalReturn, 10);
      expect(warm.metrics.sharpe).toBeCloseTo(recomputed.sharpe ?? NaN, 8);
      expect(warm.metrics.closedTrades).toBe(warm.trades.length);
    });
  });

  it('throws the strategy’s ConfigError for parameters it refuses', () => {
    expect(() => runTrial(new UniverseWindows(universe), settings, { id: 0, params: { fast: 50, slow: 40 }, from: 0, to: 100, scoreFrom: 0 })).toThrow(ConfigError);
  });

  it('refuses a scoreFrom outside its window', () => {
    const windows = new UniverseWindows(universe);
    expect(() => runTrial(windows, settings, { id: 0, params, from: 100, to: 200, scoreFrom: 99 })).toThrow(RangeError);
    expect(() => runTrial(windows, settings, { id: 0, params, from: 100, to: 200, scoreFrom: 200 })).toThrow(RangeError);
  });
});

describe('UniverseWindows', () => {
  it('returns the universe itself for the whole range and a cached slice otherwise', () => {
    const windows = new UniverseWindows(universe);
    expect(windows.window(0, universe.length)).toBe(universe);
    const a = windows.window(100, 400);
    expect(a).toEqual(sliceUniverse(universe, 100, 400));
    expect(windows.window(100, 400)).toBe(a);
    expect(() => windows.window(400, 100)).toThrow(RangeError);
    expect(() => windows.window(0, universe.length + 1)).toThrow(RangeError);
  });
});

describe('equityReturns', () => {
  it('gives simple returns from the starting equity, as computeMetrics counts them', () => {
    expect(Array.from(equityReturns(new Float64Array([100, 110, 99, 0, 5]), 0, 100))).toEqual([0, 0.10000000000000009, -0.09999999999999998, -1, 0]);
    expect(Array.from(equityReturns(new Float64Array([1, 100, 120]), 1, 100))).toEqual([0, 0.19999999999999996]);
  });
});

describe('serializeError', () => {
  it('keeps the name, the stable code of Quantbot errors and the message', () => {
    expect(serializeError(new ConfigError('--x', 'bad'))).toEqual({ name: 'ConfigError', code: 'CONFIG_INVALID', message: '--x: bad' });
    expect(serializeError(new QuantbotError('SOME_CODE', 'oops'))).toEqual({ name: 'QuantbotError', code: 'SOME_CODE', message: 'oops' });
    expect(serializeError(new RangeError('out'))).toEqual({ name: 'RangeError', code: null, message: 'out' });
    expect(serializeError('text')).toEqual({ name: 'Error', code: null, message: 'text' });
  });
});

describe('serveSweepWorker', () => {
  it('refuses to run outside a sweep worker', () => {
    expect(() => serveSweepWorker()).toThrow('serveSweepWorker must run inside a worker started by runSweep');
  });

  it('takes its universe from a message, and fails trials sent before it', async () => {
    // The built module, as runSweep's workers load it.
    const entry = join(__dirname, '..', 'dist', 'sweep-worker.js');
    const worker = new Worker(`require(${JSON.stringify(entry)}).serveSweepWorker();`, { eval: true, workerData: { kind: 'quantbot-sweep-worker', entry } });
    const replies: SweepWorkerReply[] = [];
    const received = (count: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (reply: SweepWorkerReply): void => {
          replies.push(reply);
          if (replies.length >= count) {
            worker.off('message', check);
            resolve();
          }
        };
        worker.on('message', check);
      });
    try {
      const task = { id: 7, params, from: 0, to: universe.length, scoreFrom: 0 };
      const early: SweepWorkerRequest = { type: 'run', batch: 1, settings, tasks: [task] };
      worker.postMessage(early);
      await received(1);
      expect(replies[0]).toEqual({ type: 'failed', batch: 1, id: 7, error: { name: 'Error', code: null, message: 'trials sent before the universe' } });
      const bind: SweepWorkerRequest = { type: 'universe', universe };
      worker.postMessage(bind);
      worker.postMessage({ ...early, batch: 2 });
      await received(3);
      expect(replies[1]).toMatchObject({ type: 'trial', batch: 2, id: 7 });
      expect(replies[2]).toEqual({ type: 'done', batch: 2 });
      const here = runTrial(new UniverseWindows(universe), settings, task);
      expect((replies[1] as { metrics: unknown }).metrics).toStrictEqual({ ...here.metrics });
    } finally {
      await worker.terminate();
    }
  });
});
