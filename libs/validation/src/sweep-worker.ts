import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { BarIntervalName, BarUniverse, QuantbotError } from '@quantbot/core';
import { detectBarInterval } from '@quantbot/core';
import type { ClosedTrade, PerformanceMetrics } from '@quantbot/engine';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { computeMetrics, runBacktest, sliceUniverse } from '@quantbot/engine';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import type { StrategyDefinition } from '@quantbot/strategies';
import { WarmupGate, createStrategy, findStrategy } from '@quantbot/strategies';
import type { ParamPoint } from './parameter-space';
import type { StrategyFileIdentity } from './strategy-file';
import { loadStrategyFile } from './strategy-file';

// This module is the one place a trial is evaluated: in-process (`workers: 1`, and the
// walk-forward's out-of-sample runs) and inside every sweep worker, which loads it with the
// built libraries. Its only runtime imports are @quantbot packages, node built-ins and
// `./strategy-file`, so a worker started from the TypeScript sources needs only those two files
// of this library (the sweep hands both over transpiled).

/** Strategy parameters as a command line or code gives them (validated by the strategy). */
export type RawParams = Readonly<Record<string, string | number | boolean>>;

/** What every trial of a sweep shares. */
export interface TrialSettings {
  /** The strategy's name: a shipped strategy's, or the definition's name in `strategyFile`. */
  readonly strategy: string;
  /** The strategy file the strategy comes from (every thread loads it and checks its hash); absent for a shipped strategy. */
  readonly strategyFile?: StrategyFileIdentity;
  /** Parameters every trial starts from; a trial's own values override them. */
  readonly baseParams: RawParams;
  readonly startingCash: number;
  readonly sizing: SizingRule;
  readonly execution?: ExecutionProfile;
  readonly fillModel?: 'simulator' | 'next-open';
  readonly seed?: number;
}

/** One backtest to run: a point of the space, on bars `[from, to)` of the universe. */
export interface TrialTask {
  /** The caller's id of the trial, returned with its outcome. */
  readonly id: number;
  readonly params: ParamPoint;
  readonly from: number;
  readonly to: number;
  /**
   * The first bar (an index of the full universe, `from ≤ scoreFrom < to`) whose result counts.
   * Bars before it only warm the strategy up: it sees them, but orders it sends then are
   * dropped, so the book is flat and all cash at `scoreFrom`.
   */
  readonly scoreFrom: number;
}

/** The result of one trial, as it crosses a thread boundary. */
export interface TrialOutcome {
  /** Metrics of bars `[scoreFrom, to)`, by `computeMetrics`. */
  readonly metrics: PerformanceMetrics;
  /**
   * Simple return of equity at each scored bar: `equity[k] / equity[k − 1] − 1`, the equity
   * before the first scored bar being the starting cash. One entry per scored bar.
   */
  readonly returns: Float64Array;
}

/** A trial's outcome with what only an in-process run keeps. */
export interface TrialRun extends TrialOutcome {
  readonly trades: readonly ClosedTrade[];
  /** Notional traded over the run, in currency (turnover × average equity, so exact to rounding). */
  readonly tradedNotional: number;
  /** Bars before `scoreFrom` given to the strategy to warm up. */
  readonly warmupBars: number;
}

/**
 * The universe restricted to a window, cached for the last window asked for (a sweep runs
 * every trial on the same window, so it is cut once).
 */
export class UniverseWindows {
  readonly #universe: BarUniverse;
  #barInterval: BarIntervalName | undefined;
  #from = 0;
  #to: number;
  #slice: BarUniverse;

  constructor(universe: BarUniverse) {
    this.#universe = universe;
    this.#to = universe.length;
    this.#slice = universe;
  }

  /** The whole universe the windows are cut from. */
  get universe(): BarUniverse {
    return this.#universe;
  }

  /**
   * The bar interval of the whole universe (`detectBarInterval`; daily when its times cannot
   * tell): every window is annualised with it, however few bars the window holds.
   */
  get barInterval(): BarIntervalName {
    this.#barInterval ??= detectBarInterval(this.#universe.time).interval ?? '1d';
    return this.#barInterval;
  }

  /** Bars `[from, to)`; the universe itself (no copy) for the whole range. */
  window(from: number, to: number): BarUniverse {
    if (from !== this.#from || to !== this.#to) {
      const u = this.#universe;
      if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > u.length || from >= to) {
        throw new RangeError(`window [${from}, ${to}) outside the ${u.length} bars of the universe`);
      }
      this.#slice = from === 0 && to === u.length ? u : sliceUniverse(u, from, to);
      this.#from = from;
      this.#to = to;
    }
    return this.#slice;
  }
}

let fileDefinition: { readonly file: StrategyFileIdentity; readonly definition: StrategyDefinition } | undefined;

/**
 * The definition trials of `settings` build: the shipped strategy by name, or the strategy file's,
 * loaded once per thread (and refused when its bytes no longer hash to the recorded sha256).
 */
export function trialDefinition(settings: Pick<TrialSettings, 'strategy' | 'strategyFile'>): StrategyDefinition {
  const file = settings.strategyFile;
  if (file === undefined) return findStrategy(settings.strategy);
  if (fileDefinition === undefined || fileDefinition.file.path !== file.path || fileDefinition.file.sha256 !== file.sha256) {
    fileDefinition = { file, definition: loadStrategyFile(file.path, '/', { expectSha256: file.sha256 }).definition };
  }
  return fileDefinition.definition;
}

/**
 * Runs one trial: builds the strategy from `settings.baseParams` overridden by `task.params`
 * (a `ConfigError` when the strategy refuses them), backtests it on the task's window and
 * scores the bars from `task.scoreFrom`. Deterministic: the same inputs give the same numbers,
 * bit for bit, in any thread.
 */
export function runTrial(windows: UniverseWindows, settings: TrialSettings, task: TrialTask): TrialRun {
  if (!Number.isInteger(task.scoreFrom) || task.scoreFrom < task.from || task.scoreFrom >= task.to) {
    throw new RangeError(`scoreFrom ${task.scoreFrom} outside the window [${task.from}, ${task.to})`);
  }
  const universe = windows.window(task.from, task.to);
  const { strategy } = createStrategy(trialDefinition(settings), { ...settings.baseParams, ...task.params }, universe.symbols.length);
  const warmup = task.scoreFrom - task.from;
  const result = runBacktest({
    universe,
    strategy: warmup > 0 ? new WarmupGate(strategy, warmup) : strategy,
    startingCash: settings.startingCash,
    sizing: settings.sizing,
    ...(settings.execution !== undefined ? { execution: settings.execution } : {}),
    ...(settings.fillModel !== undefined ? { fillModel: settings.fillModel } : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    barInterval: windows.barInterval,
  });
  const full = result.metrics;
  const tradedNotional = full.turnover * average(result.equity);
  const metrics =
    warmup === 0
      ? full
      : computeMetrics({
          startingEquity: settings.startingCash,
          time: result.time.subarray(warmup),
          equity: result.equity.subarray(warmup),
          // Flat through the warm-up, so every bar in the market lies in the scored part.
          barsInMarket: Math.round(full.exposure * full.bars),
          tradedNotional,
          totalCommission: full.totalCommission,
          trades: result.trades,
          barInterval: full.barInterval,
        });
  return {
    metrics,
    returns: equityReturns(result.equity, warmup, settings.startingCash),
    trades: result.trades,
    tradedNotional,
    warmupBars: warmup,
  };
}

/** Simple returns of `equity[from..]`, the equity before `from` being `startingEquity`; as `computeMetrics` computes them. */
export function equityReturns(equity: Float64Array, from: number, startingEquity: number): Float64Array {
  const out = new Float64Array(equity.length - from);
  let previous = startingEquity;
  for (let k = from; k < equity.length; k++) {
    const e = equity[k] as number;
    out[k - from] = previous !== 0 ? e / previous - 1 : 0;
    previous = e;
  }
  return out;
}

function average(values: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += values[k] as number;
  return values.length > 0 ? sum / values.length : 0;
}

/** What a sweep worker is started with (its `workerData`). */
export interface SweepWorkerData {
  readonly kind: 'quantbot-sweep-worker';
  /** The path of this module (`.js`, or `.ts` when run from the sources). */
  readonly entry: string;
  /** This module transpiled to JavaScript, when `entry` is a TypeScript source. */
  readonly source?: string;
  /** The other TypeScript sources it requires (`./strategy-file`), transpiled, by absolute path; with `source` only. */
  readonly sources?: Readonly<Record<string, string>>;
}

/**
 * A message to a sweep worker: the universe to run on (once, before any trials; its typed arrays
 * on `SharedArrayBuffer`s, shared by every worker, not copied), or trials to run, in order, with
 * these settings.
 */
export type SweepWorkerRequest =
  | { readonly type: 'universe'; readonly universe: BarUniverse }
  | { readonly type: 'run'; readonly batch: number; readonly settings: TrialSettings; readonly tasks: readonly TrialTask[] };

/** An error as it crosses a thread boundary. */
export interface SerializedError {
  readonly name: string;
  readonly code: string | null;
  readonly message: string;
}

/** A message from a sweep worker. */
export type SweepWorkerReply =
  | { readonly type: 'trial'; readonly batch: number; readonly id: number; readonly metrics: PerformanceMetrics; readonly returns: Float64Array }
  | { readonly type: 'done'; readonly batch: number }
  | { readonly type: 'failed'; readonly batch: number; readonly id: number; readonly error: SerializedError };

/** The name, `code` (for Quantbot errors) and message of anything thrown. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as Partial<QuantbotError>).code;
    return { name: error.name, code: typeof code === 'string' ? code : null, message: error.message };
  }
  return { name: 'Error', code: null, message: String(error) };
}

/**
 * The body of a sweep worker: takes its universe from a `universe` message, then answers `run` requests with one `trial` reply per task (its returns transferred, not
 * copied) and a `done`, or a `failed` reply at the first trial that throws (or when no universe
 * came first). Called by the worker's bootstrap; throws when not in a sweep worker.
 */
export function serveSweepWorker(): void {
  const port = parentPort;
  const data = workerData as Partial<SweepWorkerData> | null;
  if (isMainThread || port === null || data?.kind !== 'quantbot-sweep-worker') {
    throw new Error('serveSweepWorker must run inside a worker started by runSweep');
  }
  let windows: UniverseWindows | null = null;
  port.on('message', (request: SweepWorkerRequest) => {
    if (request.type === 'universe') {
      windows = new UniverseWindows(request.universe);
      return;
    }
    if (windows === null) {
      const [first] = request.tasks;
      const error: SerializedError = { name: 'Error', code: null, message: 'trials sent before the universe' };
      port.postMessage({ type: 'failed', batch: request.batch, id: first?.id ?? -1, error } satisfies SweepWorkerReply);
      return;
    }
    for (const task of request.tasks) {
      let outcome: TrialRun;
      try {
        outcome = runTrial(windows, request.settings, task);
      } catch (error) {
        const reply: SweepWorkerReply = { type: 'failed', batch: request.batch, id: task.id, error: serializeError(error) };
        port.postMessage(reply);
        return;
      }
      const reply: SweepWorkerReply = { type: 'trial', batch: request.batch, id: task.id, metrics: outcome.metrics, returns: outcome.returns };
      const buffer = outcome.returns.buffer;
      port.postMessage(reply, buffer instanceof ArrayBuffer ? [buffer] : []);
    }
    const done: SweepWorkerReply = { type: 'done', batch: request.batch };
    port.postMessage(done);
  });
}
