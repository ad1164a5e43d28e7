import { Worker } from 'node:worker_threads';
import { ConfigError } from '@quantbot/core';
import { runBacktest } from '@quantbot/engine';
import { resolveExecutionProfile } from '@quantbot/execution-sim';
import { generateSyntheticUniverse } from '@quantbot/market-data';
import { createStrategy } from '@quantbot/strategies';
import type { ParamPoint } from './parameter-space';
import { describePoint, gridPoints, parseParameterSpace } from './parameter-space';
import type { SweepOptions, SweepProgress, SweepResult } from './sweep';
import type { SweepWorkerRequest } from './sweep-worker';
import { SweepError, openSweepPool, runSweep, startSweepPool, trialReturnMatrix } from './sweep';

const universe = generateSyntheticUniverse({ symbols: 2, bars: 800, seed: 11 });
const space = parseParameterSpace('fast=5..25:10,slow=20..60:20,allowShort=true|false');
const base: SweepOptions = {
  universe,
  strategy: 'sma-crossover',
  space,
  startingCash: 100_000,
  sizing: { kind: 'percent-of-cash', percent: 40 },
  execution: resolveExecutionProfile('realistic'),
  seed: 5,
  objective: 'sharpe',
};

/** Bitwise equality of two return series (stricter than ===: tells -0 from 0, compares NaNs). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function expectIdentical(a: SweepResult, b: SweepResult): void {
  expect(b.trialCount).toBe(a.trialCount);
  expect(b.invalid).toEqual(a.invalid);
  a.trials.forEach((t, i) => {
    const u = b.trials[i];
    expect(u?.pointIndex).toBe(t.pointIndex);
    expect(u?.rank).toBe(t.rank);
    expect(u?.params).toEqual(t.params);
    expect(u?.objectiveValue).toBe(t.objectiveValue);
    // Every metric, exactly (toStrictEqual compares numbers with Object.is).
    expect({ ...u?.metrics }).toStrictEqual({ ...t.metrics });
    expect(sameBits(u?.returns ?? new Float64Array(), t.returns)).toBe(true);
  });
}

describe('runSweep', () => {
  let serial: SweepResult;

  beforeAll(async () => {
    serial = await runSweep({ ...base, workers: 1 });
  });

  it('runs every valid point of the grid as a trial and lists the rejected ones as invalid', () => {
    // fast ≥ slow is refused by sma-crossover: fast=25 with slow=20 (both allowShort values).
    expect(serial.trialCount).toBe(gridPoints(space).length - 2);
    expect(serial.invalid.map((p) => describePoint(p.params))).toEqual(['fast=25,slow=20,allowShort=true', 'fast=25,slow=20,allowShort=false']);
    expect(serial.invalid[0]?.reason).toMatch(/sma-crossover\.fast: fast \(25\) must be below slow \(20\)/);
    expect(serial.workers).toBe(1);
  });

  it('gives each trial exactly the result of a plain backtest with its parameters', () => {
    for (const trial of serial.trials.slice(0, 3)) {
      const { strategy } = createStrategy('sma-crossover', trial.params, universe.symbols.length);
      const direct = runBacktest({ universe, strategy, startingCash: base.startingCash, sizing: base.sizing, ...(base.execution ? { execution: base.execution } : {}), seed: 5 });
      expect(trial.metrics).toStrictEqual(direct.metrics);
      expect(trial.resolvedParams).toEqual({ ...trial.params });
      expect(trial.returns).toHaveLength(universe.length);
      let equity = base.startingCash;
      for (let k = 0; k < universe.length; k++) {
        equity *= 1 + (trial.returns[k] as number);
        expect(equity).toBeCloseTo(direct.equity[k] as number, 6);
      }
    }
  });

  it('ranks trials by the objective, best first', () => {
    const values = serial.trials.map((t) => t.objectiveValue ?? -Infinity);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(serial.trials.map((t) => t.rank)).toEqual(serial.trials.map((_, i) => i + 1));
    expect(serial.best).toBe(serial.trials[0]);
    expect(serial.best.objectiveValue).toBe(serial.best.metrics.sharpe);
  });

  it('gives the same results, number for number, on 2 and 3 threads as in one thread', async () => {
    expectIdentical(serial, await runSweep({ ...base, workers: 2 }));
    expectIdentical(serial, await runSweep({ ...base, workers: 3 }));
  });

  it('shares the trials between the calling thread and its worker threads', async () => {
    const postMessage = jest.spyOn(Worker.prototype, 'postMessage');
    try {
      const result = await runSweep({ ...base, workers: 2 });
      const requests = postMessage.mock.calls.map(([request]) => request as SweepWorkerRequest);
      expect(requests[0]?.type).toBe('universe');
      const sentToWorkers = requests.reduce((sum, r) => sum + (r.type === 'run' ? r.tasks.length : 0), 0);
      // Workers get their first batches before the calling thread runs its first trial, which
      // comes long before a new worker can have loaded: both take part.
      expect(sentToWorkers).toBeGreaterThan(0);
      expect(sentToWorkers).toBeLessThan(result.trialCount);
      expect(result.workers).toBe(2);
    } finally {
      postMessage.mockRestore();
    }
  });

  it('gives the same results on a pool kept across sweeps, which survives a failed trial', async () => {
    const pool = openSweepPool(universe, 2);
    try {
      expect(pool.workers).toBe(2);
      expectIdentical(serial, await runSweep({ ...base, pool }));
      const broken = { ...base, execution: { ...resolveExecutionProfile('idealistic'), feeBps: -1 } };
      await expect(runSweep({ ...broken, pool })).rejects.toBeInstanceOf(SweepError);
      expectIdentical(serial, await runSweep({ ...base, pool }));
      const other = await runSweep({ ...base, pool, objective: 'totalReturn', space: parseParameterSpace('fast=5|10,slow=40') });
      expect(other.trials.map((t) => t.params)).toHaveLength(2);
    } finally {
      await pool.close();
    }
    expect(pool.isClosed).toBe(true);
    await expect(runSweep({ ...base, pool })).rejects.toThrow(/^pool: is closed/);
    await pool.close();
  });

  it('starts a pool before the data exists and binds it to the universe of its first sweep', async () => {
    const pool = startSweepPool(2);
    try {
      expect(pool.universe).toBeNull();
      expectIdentical(serial, await runSweep({ ...base, pool }));
      expect(pool.universe).toBe(universe);
      expectIdentical(serial, await runSweep({ ...base, pool }));
      const other = generateSyntheticUniverse({ symbols: 2, bars: 800, seed: 11 });
      await expect(runSweep({ ...base, universe: other, pool })).rejects.toThrow(/^pool: was opened for another universe/);
    } finally {
      await pool.close();
    }
  });

  it('refuses a pool opened for another universe, or a pool with a worker count', async () => {
    const pool = openSweepPool(universe, 1);
    try {
      const other = generateSyntheticUniverse({ symbols: 2, bars: 800, seed: 11 });
      await expect(runSweep({ ...base, universe: other, pool })).rejects.toThrow(/^pool: was opened for another universe/);
      await expect(runSweep({ ...base, pool, workers: 2 })).rejects.toThrow(/^workers: give a worker count or a pool, not both/);
      expectIdentical(serial, await runSweep({ ...base, pool }));
    } finally {
      await pool.close();
    }
  });

  it('breaks ties by point order and ranks an undefined objective last', async () => {
    const points: ParamPoint[] = [
      { fast: 5, slow: 790 }, // the slow average is ready only at the end: no trade, Sharpe null
      { fast: 10, slow: 40 },
      { fast: 10, slow: 40 },
    ];
    for (const workers of [1, 2]) {
      const result = await runSweep({ ...base, space: undefined, points, workers });
      expect(result.trials.map((t) => t.pointIndex)).toEqual([1, 2, 0]);
      expect(result.trials[2]?.objectiveValue).toBeNull();
      expect(result.space).toBeNull();
    }
  });

  it('skips points the constraint rejects, counting them as invalid', async () => {
    const result = await runSweep({ ...base, workers: 1, constraint: (p) => (p['allowShort'] === true ? 'long-only study' : null) });
    expect(result.trials.every((t) => t.params['allowShort'] === false)).toBe(true);
    expect(result.invalid.filter((p) => p.reason === 'long-only study')).toHaveLength(gridPoints(space).length / 2);
    expect(result.trialCount + result.invalid.length).toBe(gridPoints(space).length);
  });

  it('reports progress after every trial, in one thread and on workers', async () => {
    for (const workers of [1, 2]) {
      const seen: SweepProgress[] = [];
      await runSweep({ ...base, workers, onProgress: (p) => seen.push(p) });
      expect(seen.map((p) => p.completed)).toEqual(seen.map((_, i) => i + 1));
      expect(seen.every((p) => p.total === serial.trialCount)).toBe(true);
      expect(seen).toHaveLength(serial.trialCount);
    }
  });

  it('stops with the error a progress callback throws, in one thread and on workers', async () => {
    for (const workers of [1, 2]) {
      const stopAtThird = (p: SweepProgress): void => {
        if (p.completed === 3) throw new RangeError('stop here');
      };
      const failing = runSweep({ ...base, workers, onProgress: stopAtThird });
      await expect(failing).rejects.toThrow(new RangeError('stop here'));
    }
  });

  it('lays the returns out as a bars × trials matrix in point order', () => {
    const matrix = trialReturnMatrix(serial);
    expect(matrix).toHaveLength(universe.length);
    expect(matrix[0]).toHaveLength(serial.trialCount);
    const first = serial.trials.find((t) => t.pointIndex === 0);
    expect(matrix.map((row) => row[0])).toEqual(Array.from(first?.returns ?? []));
  });

  describe('errors', () => {
    it.each([
      [{ strategy: 'no-such' }, /^strategy: unknown strategy 'no-such'/],
      [{ space: parseParameterSpace('fsat=1..3') }, /^space: unknown parameter 'fsat' of sma-crossover; it has: fast/],
      [{ baseParams: { slwo: 3 } }, /^baseParams: unknown parameter 'slwo'/],
      [{ space: parseParameterSpace('fast=40..50:10,slow=20..30:10') }, /^space: no point can run: all 4 were rejected \(first: fast=40,slow=20: /],
      [{ workers: 0 }, /^workers: must be a positive whole number, got 0/],
      [{ workers: 1.5 }, /^workers: /],
      [{ startingCash: -1 }, /^startingCash: /],
      [{ objective: 'profit' as unknown as 'sharpe' }, /^objective: unknown objective 'profit'/],
      [{ space: undefined }, /^space: is required/],
      [{ points: [{ fast: 1, slow: 2 }] }, /^space: give a space or a list of points, not both/],
    ])('rejects %p with a ConfigError naming the flag', async (override, message) => {
      const attempt = runSweep({ ...base, workers: 1, ...override });
      await expect(attempt).rejects.toThrow(ConfigError);
      await expect(runSweep({ ...base, workers: 1, ...override })).rejects.toThrow(message);
    });

    it('turns a trial that throws into a SweepError naming the point and the cause, in one thread and on workers, and always terminates the workers', async () => {
      const terminate = jest.spyOn(Worker.prototype, 'terminate');
      // The engine refuses a negative commission when the backtest starts, i.e. inside the trial.
      const broken = { ...base, execution: { ...resolveExecutionProfile('idealistic'), feeBps: -1 } };
      // Two points on two threads: both go to the worker in its first batches, so the error
      // crosses the thread boundary; with the whole grid the calling thread fails first.
      const twoPoints = { ...broken, space: undefined, points: [{ fast: 5, slow: 20 }, { fast: 10, slow: 40 }] };
      try {
        for (const [options, workers] of [[broken, 1], [broken, 2], [twoPoints, 2]] as const) {
          const attempt = runSweep({ ...options, workers });
          await expect(attempt).rejects.toBeInstanceOf(SweepError);
          const error = (await attempt.catch((e: unknown) => e)) as SweepError;
          expect(error.code).toBe('SWEEP_FAILED');
          expect(error.causeCode).toBe('CONFIG_INVALID');
          expect(error.params).not.toBeNull();
          expect(error.message).toMatch(/^trial fast=\d+,slow=\d+(,allowShort=(true|false))? failed: ConfigError \[CONFIG_INVALID\]: execution.feeBps: must be a non-negative number, got -1$/);
          // In a thread of its own the original error is the cause; from a worker only its name, code and message cross.
          if (options === twoPoints) expect(error.cause).toBeUndefined();
          else expect(error.cause).toBeInstanceOf(ConfigError);
        }
        // workers: 2 is this thread and one worker thread, started and terminated twice.
        expect(terminate).toHaveBeenCalledTimes(2);
      } finally {
        terminate.mockRestore();
      }
    });

    it('terminates the workers after a successful sweep too', async () => {
      const terminate = jest.spyOn(Worker.prototype, 'terminate');
      try {
        await runSweep({ ...base, workers: 3 });
        expect(terminate).toHaveBeenCalledTimes(2);
      } finally {
        terminate.mockRestore();
      }
    });

    it('caps the worker count at the number of trials', async () => {
      const result = await runSweep({ ...base, space: undefined, points: [{ fast: 10, slow: 40 }, { fast: 5, slow: 20 }], workers: 8 });
      expect(result.workers).toBe(2);
    });
  });
});
