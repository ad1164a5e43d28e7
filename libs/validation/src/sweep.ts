import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BarUniverse } from '@quantbot/core';
import { ConfigError, QuantbotError } from '@quantbot/core';
import type { PerformanceMetrics } from '@quantbot/engine';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { validateSizingRule } from '@quantbot/risk-guardrails';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import type { ParamValues } from '@quantbot/strategies';
import { createStrategy, describeParams } from '@quantbot/strategies';
import type { ParamPoint, ParameterSpace } from './parameter-space';
import { describePoint, gridPoints } from './parameter-space';
import type { RawParams, SerializedError, SweepWorkerData, SweepWorkerReply, SweepWorkerRequest, TrialOutcome, TrialRun, TrialSettings, TrialTask } from './sweep-worker';
import { UniverseWindows, runTrial, serializeError, trialDefinition } from './sweep-worker';
import type { StrategyFileIdentity } from './strategy-file';

/** What a sweep maximizes: a field of `PerformanceMetrics` (annualized ratios, or the total return). */
export type SweepObjective = 'sharpe' | 'sortino' | 'calmar' | 'totalReturn';

/** The objectives a sweep accepts. */
export const SWEEP_OBJECTIVES: readonly SweepObjective[] = Object.freeze(['sharpe', 'sortino', 'calmar', 'totalReturn']);

/**
 * Decides whether a point is worth running: a reason to skip it, or null to run it. Skipped
 * points are counted as invalid, never as trials.
 */
export type PointConstraint = (point: ParamPoint) => string | null;

/** How far a sweep has come, after each finished trial. */
export interface SweepProgress {
  readonly completed: number;
  readonly total: number;
}

/** Options of `runSweep`. */
export interface SweepOptions {
  readonly universe: BarUniverse;
  /** A strategy name of the registry (`STRATEGY_DEFINITIONS`), or the name of the definition in `strategyFile`. */
  readonly strategy: string;
  /** The strategy file the strategy comes from (`resolveStrategy`); every thread loads it and checks its hash. */
  readonly strategyFile?: StrategyFileIdentity;
  /** The grid to sweep (every point, in grid order); or give `points`. */
  readonly space?: ParameterSpace;
  /** The points to run, in this order (e.g. `randomPoints(space, n, seed)`); overrides nothing, so give `space` or `points`. */
  readonly points?: readonly ParamPoint[];
  /** Parameters every point starts from (defaults of the strategy fill the rest). */
  readonly baseParams?: RawParams;
  readonly startingCash: number;
  readonly sizing: SizingRule;
  readonly execution?: ExecutionProfile;
  readonly fillModel?: 'simulator' | 'next-open';
  /** Seed of the execution simulator's draws, the same for every trial. Default 0. */
  readonly seed?: number;
  readonly objective: SweepObjective;
  /**
   * Threads that run trials (default `os.availableParallelism()`): this one and `workers − 1`
   * worker threads. `1` runs every trial in this thread; the results are the same, number for
   * number, whatever the count.
   */
  readonly workers?: number;
  /**
   * Threads opened by `openSweepPool` (or `startSweepPool`) for this universe, kept across sweeps
   * (their JIT is warm after the first); `workers` must then be left out. Default: threads for
   * this sweep only.
   */
  readonly pool?: SweepPool;
  /** Skips points before they run (as the strategy itself does when it rejects its parameters). */
  readonly constraint?: PointConstraint;
  readonly onProgress?: (progress: SweepProgress) => void;
}

/** One trial of a sweep: a point that ran, with its results. */
export interface SweepTrial {
  /** 1 for the best objective value; ties keep point order. */
  readonly rank: number;
  /** Position of the point in the list the sweep ran (grid order, or `points` order). */
  readonly pointIndex: number;
  /** The swept values. */
  readonly params: ParamPoint;
  /** Every parameter of the strategy as it ran: base, swept values and defaults. */
  readonly resolvedParams: ParamValues;
  /** The objective's value; null when the metric is undefined for the run (ranked last). */
  readonly objectiveValue: number | null;
  readonly metrics: PerformanceMetrics;
  /** Simple return of equity at every bar (see `TrialOutcome.returns`), for PBO and DSR. */
  readonly returns: Float64Array;
}

/** A point the strategy or the constraint rejected: not run, not a trial. */
export interface InvalidPoint {
  readonly pointIndex: number;
  readonly params: ParamPoint;
  readonly reason: string;
}

/** The outcome of `runSweep`. */
export interface SweepResult {
  readonly strategy: string;
  readonly objective: SweepObjective;
  /** The space swept, or null when explicit `points` were given. */
  readonly space: ParameterSpace | null;
  /** What every trial shared: strategy, base parameters, cash, sizing, execution, seed. */
  readonly settings: TrialSettings;
  /** Trials, best first. */
  readonly trials: readonly SweepTrial[];
  /** Number of trials (points that ran): the N of multiple-testing corrections. */
  readonly trialCount: number;
  readonly invalid: readonly InvalidPoint[];
  /** The best trial (rank 1). */
  readonly best: SweepTrial;
  /** Bars each trial ran over, and the times of the first and last of them (epoch ms). */
  readonly bars: number;
  readonly startTime: number;
  readonly endTime: number;
  /** Threads that ran trials: this one and `workers − 1` worker threads (1: this thread only). */
  readonly workers: number;
}

/** A sweep could not finish: a trial threw, or a worker thread failed. */
export class SweepError extends QuantbotError {
  /** The point whose trial failed; null when a worker failed outside a trial. */
  readonly params: ParamPoint | null;
  /** The `code` of the error the trial threw (`CONFIG_INVALID`, …), when it had one. */
  readonly causeCode: string | null;

  constructor(message: string, params: ParamPoint | null, causeCode: string | null, options?: { cause?: unknown }) {
    super('SWEEP_FAILED', message, options);
    this.params = params;
    this.causeCode = causeCode;
  }
}

/**
 * Backtests `strategy` at every point of `space` (or at `points`) and ranks the trials by
 * `objective`, best first. Points the strategy rejects (`createStrategy` throws a
 * `ConfigError`, e.g. `fast ≥ slow`) or `constraint` skips are listed as invalid, not run.
 *
 * With more than one thread, trials run on this thread and on `worker_threads` against the
 * built libraries: each worker is started once, shares the universe's arrays
 * (`SharedArrayBuffer`), and takes batches of points from the queue this thread also takes single
 * points from, until none is left. Results are collected by point, so their order and
 * values never depend on timing. A trial that throws stops the sweep with a `SweepError` (an
 * exception from `onProgress` stops it with that exception); the sweep's own workers are always
 * terminated, a `pool`'s are left running for the next sweep.
 *
 * Throws `ConfigError` for a bad option (unknown strategy or parameter, no point to run, a
 * worker count that is not a positive integer).
 */
export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const points = resolvePoints(options);
  const settings = trialSettings(options);
  const prepared = preparePoints(options.universe, settings, points, options.constraint);
  const lease = leaseExecutor(options.universe, options.pool, options.workers, prepared.valid.length);
  try {
    return await sweepWindow(lease.executor, prepared, {
      universe: options.universe,
      settings,
      space: options.points !== undefined ? null : (options.space ?? null),
      objective: options.objective,
      from: 0,
      to: options.universe.length,
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    });
  } finally {
    await lease.release();
  }
}

/**
 * Worker threads for many sweeps (or walk-forwards) over one universe: they are started once,
 * receive the universe once, and stay warm between sweeps, which matters because each new
 * thread spends its first backtests compiling the engine (about a second on a 2-core machine).
 * Pass it as `pool` to `runSweep` and `runWalkForward`; `close` it when done (a pool left open
 * keeps the process alive). Results are the same, number for number, as without a pool.
 */
export class SweepPool {
  /** Threads that run trials: the calling thread and `workers − 1` worker threads. */
  readonly workers: number;
  #executor: TrialExecutor | null;

  /** Use `openSweepPool` or `startSweepPool`. */
  constructor(executor: TrialExecutor) {
    this.workers = executor.workers;
    this.#executor = executor;
  }

  /** The universe the pool runs on; null for a pool started before it (`startSweepPool`) that has run nothing yet. */
  get universe(): BarUniverse | null {
    return this.#executor?.universe ?? null;
  }

  /**
   * The pool's executor for a run over `universe` (used by `runSweep` and `runWalkForward`),
   * bound to it if the pool has no universe yet; a `ConfigError` (`pool`) once closed or for
   * another universe.
   */
  executorFor(universe: BarUniverse): TrialExecutor {
    const executor = this.#executor;
    if (executor === null) throw new ConfigError('pool', 'is closed');
    if (executor.universe === null) executor.bind(universe);
    if (universe !== executor.universe) throw new ConfigError('pool', 'was opened for another universe: pass the same BarUniverse object');
    return executor;
  }

  get isClosed(): boolean {
    return this.#executor === null;
  }

  /** Terminates the workers. Closing twice does nothing. */
  async close(): Promise<void> {
    const executor = this.#executor;
    this.#executor = null;
    await executor?.close();
  }
}

/**
 * Opens a pool of `workers` threads (default `os.availableParallelism()`) over `universe`, for
 * several sweeps: the calling thread and `workers − 1` worker threads. `workers: 1` gives a pool
 * that runs trials in the calling thread only.
 */
export function openSweepPool(universe: BarUniverse, workers?: number): SweepPool {
  return new SweepPool(openTrialExecutor(universe, resolveWorkerCount(workers)));
}

/**
 * Starts a pool's worker threads now, before the data they will run on exists: they load the
 * libraries while the caller loads and checks its data, and the pool takes the universe of the
 * first sweep it is given (and refuses any other afterwards). For a one-off sweep or
 * walk-forward, this hides the workers' start-up behind the data preparation. `close` it when
 * done, also when the data fails to load.
 */
export function startSweepPool(workers?: number): SweepPool {
  return new SweepPool(openTrialExecutor(null, resolveWorkerCount(workers)));
}

/** The executor a sweep uses: the pool's, or one of its own (at most one worker per trial) that `release` closes. */
export function leaseExecutor(
  universe: BarUniverse,
  pool: SweepPool | undefined,
  workers: number | undefined,
  trials: number,
): { readonly executor: TrialExecutor; release(): Promise<void> } {
  if (pool !== undefined) {
    if (workers !== undefined) throw new ConfigError('workers', 'give a worker count or a pool, not both (the pool has its workers)');
    const executor = pool.executorFor(universe);
    return { executor, release: async () => undefined };
  }
  const executor = openTrialExecutor(universe, Math.min(resolveWorkerCount(workers), trials));
  return { executor, release: () => executor.close() };
}

/** The trials' returns, one series per trial in point order (the columns of `trialReturnMatrix`). */
export function trialReturnSeries(result: SweepResult): readonly Float64Array[] {
  return [...result.trials].sort((a, b) => a.pointIndex - b.pointIndex).map((t) => t.returns);
}

/**
 * The trials' returns as a matrix of rows (bars) by columns (trials, in point order), the shape
 * the overfitting statistics (PBO, deflated Sharpe) read.
 */
export function trialReturnMatrix(result: SweepResult): number[][] {
  const columns = trialReturnSeries(result);
  const rows: number[][] = [];
  for (let k = 0; k < result.bars; k++) rows.push(columns.map((c) => c[k] as number));
  return rows;
}

/** The worker count: `requested`, or every available core; a `ConfigError` unless a positive integer. */
export function resolveWorkerCount(requested: number | undefined): number {
  const count = requested ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1) throw new ConfigError('workers', `must be a positive whole number, got ${count}`);
  return count;
}

function resolvePoints(options: SweepOptions): readonly ParamPoint[] {
  if (options.points !== undefined && options.space !== undefined) throw new ConfigError('space', 'give a space or a list of points, not both');
  if (options.points !== undefined) return options.points;
  if (options.space === undefined) throw new ConfigError('space', 'is required: the parameters to sweep');
  return gridPoints(options.space);
}

/** The settings every trial shares, checked (a `ConfigError` names the option field). */
export function trialSettings(options: {
  readonly strategy: string;
  readonly strategyFile?: StrategyFileIdentity;
  readonly baseParams?: RawParams;
  readonly startingCash: number;
  readonly sizing: SizingRule;
  readonly execution?: ExecutionProfile;
  readonly fillModel?: 'simulator' | 'next-open';
  readonly seed?: number;
  readonly objective: SweepObjective;
}): TrialSettings {
  if (!SWEEP_OBJECTIVES.includes(options.objective)) {
    throw new ConfigError('objective', `unknown objective '${String(options.objective)}'; available: ${SWEEP_OBJECTIVES.join(', ')}`);
  }
  if (!Number.isFinite(options.startingCash) || options.startingCash <= 0) {
    throw new ConfigError('startingCash', `must be a positive amount, got ${options.startingCash}`);
  }
  const definition = trialDefinition(options);
  const baseParams = options.baseParams ?? {};
  for (const name of Object.keys(baseParams)) {
    if (!definition.params.some((p) => p.name === name)) {
      throw new ConfigError('baseParams', `unknown parameter '${name}' of ${definition.name}; it has: ${describeParams(definition.params)}`);
    }
  }
  return Object.freeze({
    strategy: definition.name,
    ...(options.strategyFile !== undefined ? { strategyFile: options.strategyFile } : {}),
    baseParams: Object.freeze({ ...baseParams }),
    startingCash: options.startingCash,
    sizing: validateSizingRule(options.sizing),
    ...(options.execution !== undefined ? { execution: options.execution } : {}),
    ...(options.fillModel !== undefined ? { fillModel: options.fillModel } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
}

/** A point that will run, with the parameters the strategy resolved for it. */
export interface ValidPoint {
  readonly pointIndex: number;
  readonly params: ParamPoint;
  readonly resolvedParams: ParamValues;
}

/** Points split into those that run and those rejected before running. */
export interface PreparedPoints {
  readonly valid: readonly ValidPoint[];
  readonly invalid: readonly InvalidPoint[];
}

/**
 * Checks points before any runs: a parameter name the strategy does not have is a
 * `ConfigError` (`space`, listing the parameters); a point `constraint` skips, or whose values
 * the strategy refuses (`ConfigError` from `createStrategy`), is invalid. No valid point at all
 * is a `ConfigError` quoting the first reason.
 */
export function preparePoints(universe: BarUniverse, settings: TrialSettings, points: readonly ParamPoint[], constraint?: PointConstraint): PreparedPoints {
  const definition = trialDefinition(settings);
  const known = new Set(definition.params.map((p) => p.name));
  const valid: ValidPoint[] = [];
  const invalid: InvalidPoint[] = [];
  points.forEach((params, pointIndex) => {
    for (const name of Object.keys(params)) {
      if (!known.has(name)) throw new ConfigError('space', `unknown parameter '${name}' of ${definition.name}; it has: ${describeParams(definition.params)}`);
    }
    const skipped = constraint?.(params) ?? null;
    if (skipped !== null) {
      invalid.push(Object.freeze({ pointIndex, params, reason: skipped }));
      return;
    }
    try {
      const { params: resolvedParams } = createStrategy(definition, { ...settings.baseParams, ...params }, universe.symbols.length);
      valid.push(Object.freeze({ pointIndex, params, resolvedParams }));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      invalid.push(Object.freeze({ pointIndex, params, reason: error.message }));
    }
  });
  if (valid.length === 0) {
    const first = invalid[0];
    throw new ConfigError('space', first === undefined ? 'has no point' : `no point can run: all ${invalid.length} were rejected (first: ${describePoint(first.params)}: ${first.reason})`);
  }
  return Object.freeze({ valid: Object.freeze(valid), invalid: Object.freeze(invalid) });
}

/** What `sweepWindow` needs besides the executor and the points. */
export interface SweepWindowOptions {
  readonly universe: BarUniverse;
  readonly settings: TrialSettings;
  readonly space: ParameterSpace | null;
  readonly objective: SweepObjective;
  /** The bars `[from, to)` every trial runs over (and is scored on). */
  readonly from: number;
  readonly to: number;
  readonly onProgress?: (progress: SweepProgress) => void;
  /** What the batch is and what stops it, for an executor that sends it elsewhere. */
  readonly batch?: TrialBatchOptions;
}

/** Runs prepared points on one window of the universe through `executor`, and ranks them. */
export async function sweepWindow(executor: TrialExecutor, prepared: PreparedPoints, options: SweepWindowOptions): Promise<SweepResult> {
  const { valid } = prepared;
  const tasks: TrialTask[] = valid.map((p, id) => ({ id, params: p.params, from: options.from, to: options.to, scoreFrom: options.from }));
  const outcomes = new Array<TrialOutcome | undefined>(valid.length).fill(undefined);
  let completed = 0;
  await executor.run(
    options.settings,
    tasks,
    (id, outcome) => {
      outcomes[id] = outcome;
      completed++;
      options.onProgress?.({ completed, total: tasks.length });
    },
    options.batch,
  );
  const unranked = valid.map((p, id) => {
    const outcome = outcomes[id];
    if (outcome === undefined) throw new SweepError(`trial ${describePoint(p.params)} returned no result`, p.params, null);
    const metrics = Object.isFrozen(outcome.metrics) ? outcome.metrics : Object.freeze(outcome.metrics);
    return { ...p, metrics, returns: outcome.returns, objectiveValue: objectiveValue(metrics, options.objective) };
  });
  const order = unranked.map((_, i) => i).sort((a, b) => compareTrials(unranked[a] as (typeof unranked)[number], unranked[b] as (typeof unranked)[number]));
  const trials = order.map((i, rank) => Object.freeze({ rank: rank + 1, ...(unranked[i] as (typeof unranked)[number]) }) as SweepTrial);
  return Object.freeze({
    strategy: options.settings.strategy,
    objective: options.objective,
    space: options.space,
    settings: options.settings,
    trials: Object.freeze(trials),
    trialCount: trials.length,
    invalid: prepared.invalid,
    best: trials[0] as SweepTrial,
    bars: options.to - options.from,
    startTime: options.universe.time[options.from] as number,
    endTime: options.universe.time[options.to - 1] as number,
    workers: executor.workers,
  });
}

/** The objective's value of a run; null when the metric is undefined (or not finite). */
export function objectiveValue(metrics: PerformanceMetrics, objective: SweepObjective): number | null {
  const value = metrics[objective];
  return value !== null && Number.isFinite(value) ? value : null;
}

/** Higher objective first, null last; ties by point order. */
function compareTrials(a: { readonly objectiveValue: number | null; readonly pointIndex: number }, b: { readonly objectiveValue: number | null; readonly pointIndex: number }): number {
  const x = a.objectiveValue;
  const y = b.objectiveValue;
  if (x !== y) {
    if (x === null) return 1;
    if (y === null) return -1;
    return y - x;
  }
  return a.pointIndex - b.pointIndex;
}

/** What a batch of trials is, and what stops it, for an executor that sends batches elsewhere (a distributed pool). */
export interface TrialBatchOptions {
  /** What the batch is, e.g. `fold 3 in-sample`: a distributed job carries it and its failure names it. */
  readonly label?: string;
  /** Stops the batch when aborted (a distributed pool cancels its waiting jobs); local executors finish it. */
  readonly signal?: AbortSignal;
}

/** Runs trials over one universe, in this thread or on workers; `close` releases whatever it holds. */
export interface TrialExecutor {
  /** Threads that run trials: this one and `workers − 1` worker threads. */
  readonly workers: number;
  /** The universe trials run on; null until `bind`. */
  readonly universe: BarUniverse | null;
  /**
   * True when batches run side by side: `run` and `runApart` may be called again before earlier
   * calls settled (a distributed pool, whose workers take any batch's jobs). Absent: one batch at a time.
   */
  readonly concurrent?: boolean;
  /** Sets the universe (once: a `ConfigError` for a second one). */
  bind(universe: BarUniverse): void;
  /** Runs every task, reporting each outcome by task id as it arrives (in any order). One batch at a time unless `concurrent`. */
  run(settings: TrialSettings, tasks: readonly TrialTask[], onOutcome: (id: number, outcome: TrialOutcome) => void, batch?: TrialBatchOptions): Promise<void>;
  /** Runs one task in this thread, keeping its trades (for out-of-sample runs). */
  runHere(settings: TrialSettings, task: TrialTask): TrialRun;
  /** Runs one task where the executor runs its trials, keeping its trades (a worker's job for a distributed pool); absent: use `runHere`. */
  runApart?(settings: TrialSettings, task: TrialTask, batch?: TrialBatchOptions): Promise<TrialRun>;
  close(): Promise<void>;
}

/**
 * An executor on `workers` threads: this one only for `workers ≤ 1`, else this one and
 * `workers − 1` worker threads, started now. Bound to `universe`, or to the one `bind` gives later.
 */
export function openTrialExecutor(universe: BarUniverse | null, workers: number): TrialExecutor {
  const executor = workers <= 1 ? new InThreadExecutor() : new WorkerPoolExecutor(workers);
  if (universe !== null) executor.bind(universe);
  return executor;
}

function trialFailure(task: TrialTask, error: SerializedError, cause?: unknown): SweepError {
  const code = error.code !== null ? ` [${error.code}]` : '';
  return new SweepError(`trial ${describePoint(task.params)} failed: ${error.name}${code}: ${error.message}`, task.params, error.code, cause !== undefined ? { cause } : undefined);
}

class InThreadExecutor implements TrialExecutor {
  readonly workers = 1;
  #windows: UniverseWindows | null = null;

  get universe(): BarUniverse | null {
    return this.#windows?.universe ?? null;
  }

  bind(universe: BarUniverse): void {
    if (this.#windows !== null) throw new ConfigError('pool', 'already runs on another universe');
    this.#windows = new UniverseWindows(universe);
  }

  async run(settings: TrialSettings, tasks: readonly TrialTask[], onOutcome: (id: number, outcome: TrialOutcome) => void): Promise<void> {
    for (const task of tasks) {
      const run = this.runHere(settings, task);
      onOutcome(task.id, { metrics: run.metrics, returns: run.returns });
    }
  }

  runHere(settings: TrialSettings, task: TrialTask): TrialRun {
    if (this.#windows === null) throw new SweepError('no universe to run trials on (bind one first)', task.params, null);
    try {
      return runTrial(this.#windows, settings, task);
    } catch (error) {
      throw trialFailure(task, serializeError(error), error);
    }
  }

  async close(): Promise<void> {
    // Nothing held.
  }
}

/**
 * Loads the worker module in a new thread. From the built library it is `sweep-worker.js`. From
 * the TypeScript sources (tests under ts-jest) it is `sweep-worker.ts`, transpiled once per
 * process by the workspace's `typescript` (types stripped, nothing checked) and handed over as
 * `source`; it imports only packages, so it needs no other source file. Either way the worker's
 * `@quantbot/*` imports resolve through node_modules to the built libraries.
 */
const WORKER_BOOTSTRAP = `'use strict';
const { workerData } = require('node:worker_threads');
const Module = require('node:module');
const path = require('node:path');
const { entry, source, sources } = workerData;
let exported;
if (typeof source === 'string') {
  // The other sources the entry requires ('./strategy-file'), transpiled by the sweep.
  const compile = Module._extensions['.js'];
  Module._extensions['.ts'] = (m, filename) => {
    if (sources === undefined || typeof sources[filename] !== 'string') return compile(m, filename);
    m._compile(sources[filename], filename);
  };
  const m = new Module(entry, null);
  m.filename = entry;
  m.paths = Module._nodeModulePaths(path.dirname(entry));
  m._compile(source, entry);
  exported = m.exports;
} else {
  exported = require(entry);
}
exported.serveSweepWorker();
`;

/** The minimal surface of the `typescript` package used to transpile the worker from sources. */
interface TypeScriptTranspiler {
  readonly ModuleKind: { readonly CommonJS: number };
  readonly ScriptTarget: { readonly ES2022: number };
  transpileModule(input: string, options: { readonly compilerOptions: Readonly<Record<string, unknown>>; readonly fileName: string }): { readonly outputText: string };
}

let transpiledWorker: { readonly entry: string; readonly source: string; readonly sources: Readonly<Record<string, string>> } | undefined;

/** The worker entry file, and its JavaScript (and that of `./strategy-file`, which it requires) when the entry is a TypeScript source. */
function workerEntry(): { readonly entry: string; readonly source: string | undefined; readonly sources: Readonly<Record<string, string>> | undefined } {
  const entry = join(__dirname, `sweep-worker${extname(__filename)}`);
  if (!entry.endsWith('.ts')) return { entry, source: undefined, sources: undefined };
  if (transpiledWorker?.entry !== entry) {
    const ts = createRequire(entry)('typescript') as TypeScriptTranspiler;
    const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
    const transpile = (file: string): string => ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file }).outputText;
    const loader = join(__dirname, 'strategy-file.ts');
    transpiledWorker = { entry, source: transpile(entry), sources: { [loader]: transpile(loader) } };
  }
  return transpiledWorker;
}

/**
 * Trials per message to a worker: a share of what is left (guided scheduling: large batches
 * first, single trials at the end), so each message carries several trials while the last ones
 * leave every thread little to wait for.
 */
function batchSize(remaining: number, threads: number): number {
  return Math.max(1, Math.min(16, Math.ceil(remaining / (threads * 4))));
}

/** What a pool's worker reports: a reply, an uncaught error, or its end. */
type WorkerEvent =
  | { readonly kind: 'reply'; readonly reply: SweepWorkerReply }
  | { readonly kind: 'error'; readonly error: Error }
  | { readonly kind: 'exit'; readonly code: number };

/**
 * Runs trials on `threads` threads: this one and `threads − 1` worker threads. The calling
 * thread runs one trial at a time between events (its turn comes back through `setImmediate`),
 * so it answers the workers within a trial's time, and it works from the first moment while the
 * workers are still loading; the workers take batches from the same queue, two in flight each.
 */
class WorkerPoolExecutor implements TrialExecutor {
  readonly workers: number;
  readonly #pool: Worker[];
  readonly #local: InThreadExecutor;
  #batch = 0;
  /** Set when a worker died: the pool can run nothing more. */
  #failure: SweepError | null = null;
  #isClosing = false;
  /** The running batch's handler; events between batches only record failures. */
  #handler: ((worker: Worker, event: WorkerEvent) => void) | null = null;

  constructor(threads: number) {
    this.workers = threads;
    this.#local = new InThreadExecutor();
    const { entry, source, sources } = workerEntry();
    const data: SweepWorkerData = { kind: 'quantbot-sweep-worker', entry, ...(source !== undefined ? { source } : {}), ...(sources !== undefined ? { sources } : {}) };
    this.#pool = Array.from({ length: threads - 1 }, () => {
      const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: data });
      // Listeners from the start: a worker that fails while no batch runs must not crash the process.
      worker.on('message', (reply: SweepWorkerReply) => this.#dispatch(worker, { kind: 'reply', reply }));
      worker.on('error', (error: Error) => this.#dispatch(worker, { kind: 'error', error }));
      worker.on('exit', (code: number) => this.#dispatch(worker, { kind: 'exit', code }));
      return worker;
    });
  }

  get universe(): BarUniverse | null {
    return this.#local.universe;
  }

  /** Binds this thread and shares the universe with the workers (queued if they are still loading). */
  bind(universe: BarUniverse): void {
    this.#local.bind(universe);
    const request: SweepWorkerRequest = { type: 'universe', universe: shareUniverse(universe) };
    for (const worker of this.#pool) worker.postMessage(request);
  }

  #dispatch(worker: Worker, event: WorkerEvent): void {
    if (this.#isClosing) return;
    if (this.#handler !== null) {
      this.#handler(worker, event);
    } else if (event.kind !== 'reply') {
      this.#failure ??= workerFailure(event);
    }
  }

  runHere(settings: TrialSettings, task: TrialTask): TrialRun {
    return this.#local.runHere(settings, task);
  }

  run(settings: TrialSettings, tasks: readonly TrialTask[], onOutcome: (id: number, outcome: TrialOutcome) => void): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#local.universe === null) return Promise.reject(new SweepError('no universe to run trials on (bind one first)', null, null));
    if (this.#handler !== null) return Promise.reject(new SweepError('a sweep pool runs one batch at a time', null, null));
    if (tasks.length === 0) return Promise.resolve();
    const batch = ++this.#batch;
    const byId = new Map(tasks.map((t) => [t.id, t]));

    return new Promise<void>((resolve, reject) => {
      /** The next task no thread has taken. */
      let next = 0;
      let outstanding = tasks.length;
      let isSettled = false;
      // A failed trial fails this batch only (replies still arriving from it carry its batch
      // number and are ignored); a worker that died breaks the pool for good.
      const settle = (failure: { readonly error: unknown } | null, isWorkerLost = false): void => {
        if (isSettled) return;
        isSettled = true;
        this.#handler = null;
        if (failure === null) {
          resolve();
        } else {
          if (isWorkerLost && failure.error instanceof SweepError) this.#failure = failure.error;
          reject(failure.error);
        }
      };
      const deliver = (id: number, outcome: TrialOutcome): void => {
        try {
          onOutcome(id, outcome);
        } catch (error) {
          // A throwing progress callback stops the sweep with its own error, as in one thread.
          settle({ error });
          return;
        }
        outstanding--;
        if (outstanding === 0) settle(null);
      };
      const sendNext = (worker: Worker): void => {
        if (next >= tasks.length) return;
        const size = batchSize(tasks.length - next, this.workers);
        const chunk = tasks.slice(next, next + size);
        next += chunk.length;
        const request: SweepWorkerRequest = { type: 'run', batch, settings, tasks: chunk };
        worker.postMessage(request);
      };
      const runLocal = (): void => {
        if (isSettled || next >= tasks.length) return;
        const task = tasks[next++] as TrialTask;
        let run: TrialRun;
        try {
          run = this.#local.runHere(settings, task);
        } catch (error) {
          settle({ error });
          return;
        }
        deliver(task.id, { metrics: run.metrics, returns: run.returns });
        setImmediate(runLocal);
      };
      this.#handler = (worker, event) => {
        if (event.kind !== 'reply') {
          settle({ error: workerFailure(event) }, true);
          return;
        }
        const reply = event.reply;
        if (reply.batch !== batch) return;
        if (reply.type === 'trial') {
          deliver(reply.id, { metrics: reply.metrics, returns: reply.returns });
        } else if (reply.type === 'done') {
          sendNext(worker);
        } else {
          const task = byId.get(reply.id);
          settle({ error: task !== undefined ? trialFailure(task, reply.error) : new SweepError(`a sweep worker failed: ${reply.error.message}`, null, reply.error.code) });
        }
      };
      // Two batches per worker in flight, so a worker never waits for its next one.
      for (let round = 0; round < 2; round++) for (const worker of this.#pool) sendNext(worker);
      setImmediate(runLocal);
    });
  }

  async close(): Promise<void> {
    this.#isClosing = true;
    this.#handler = null;
    await Promise.all(this.#pool.map((w) => w.terminate()));
  }
}

function workerFailure(event: Exclude<WorkerEvent, { kind: 'reply' }>): SweepError {
  return event.kind === 'error'
    ? new SweepError(`a sweep worker failed: ${event.error.message}`, null, null, { cause: event.error })
    : new SweepError(`a sweep worker stopped (exit code ${event.code}) before its trials were done`, null, null);
}

/** The universe with its typed arrays copied once onto `SharedArrayBuffer`s, which workers share instead of copying. */
function shareUniverse(u: BarUniverse): BarUniverse {
  const shared = <T extends Float64Array | Uint8Array>(source: T, make: (buffer: SharedArrayBuffer) => T): T => {
    const out = make(new SharedArrayBuffer(source.byteLength));
    out.set(source);
    return out;
  };
  const f64 = (a: Float64Array): Float64Array => shared(a, (b) => new Float64Array(b));
  return {
    symbols: [...u.symbols],
    length: u.length,
    time: f64(u.time),
    open: f64(u.open),
    high: f64(u.high),
    low: f64(u.low),
    close: f64(u.close),
    volume: f64(u.volume),
    hasBar: shared(u.hasBar, (b) => new Uint8Array(b)),
  };
}
