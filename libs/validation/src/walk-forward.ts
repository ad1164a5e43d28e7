import type { BarUniverse } from '@quantbot/core';
import { ConfigError, detectBarInterval } from '@quantbot/core';
import type { ClosedTrade, PerformanceMetrics } from '@quantbot/engine';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { computeMetrics } from '@quantbot/engine';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import type { ParamValues, Strategy } from '@quantbot/strategies';
import { createStrategy } from '@quantbot/strategies';
import type { ParamPoint, ParameterSpace } from './parameter-space';
import { gridPoints, randomPoints } from './parameter-space';
import type { PointConstraint, SweepObjective, SweepPool, SweepResult } from './sweep';
import { leaseExecutor, preparePoints, sweepWindow, trialSettings } from './sweep';
import type { RawParams, TrialRun, TrialSettings } from './sweep-worker';
import { trialDefinition } from './sweep-worker';
import type { StrategyFileIdentity } from './strategy-file';

/** How each fold searches the space: every point, or `samples` points drawn with `seed` (the same points in every fold). */
export type WalkForwardSearch = { readonly kind: 'grid' } | { readonly kind: 'random'; readonly samples: number; readonly seed: number };

/** The window layout of a walk-forward, in bars. */
export interface WalkForwardLayout {
  /** Bars in each training window (the first one; anchored windows grow from it). */
  readonly train: number;
  /** Bars in each test window. */
  readonly test: number;
  /** Bars between consecutive test windows' starts, before the embargo; at least `test`. Default `test`. */
  readonly step?: number;
  /** True: every training window starts at bar 0. False: a rolling window of `train` bars. */
  readonly anchored: boolean;
  /** Bars between a training window's end and its test window's start. Default 0. */
  readonly purge?: number;
  /** Bars after each test window that neither the next fold's training nor any test uses. Default 0. */
  readonly embargo?: number;
}

/** One fold's windows, as bar indices of the universe; every end is exclusive. */
export interface WalkForwardWindow {
  readonly index: number;
  readonly trainStart: number;
  readonly trainEnd: number;
  readonly testStart: number;
  readonly testEnd: number;
}

/**
 * The folds of a walk-forward over `bars` bars. With `T = train`, `S = test`, `P = purge`,
 * `E = embargo` and `step` (default `S`), fold `i` (0, 1, …) has
 *
 *     testStart = T + P + i·(step + E)        testEnd = testStart + S
 *     trainEnd  = testStart − P − (i > 0 ? E : 0)
 *     trainStart = anchored ? 0 : trainEnd − T
 *
 * so the first fold's training and test windows are `P` bars apart, and later folds' are
 * `P + E` apart. With the default step the `E` bars right after each test window are used by no
 * test window and not by the next fold's training (later folds' training windows include them).
 * Folds are added while the test window fits: the last bars may be left over, never a partial
 * fold. Throws a `ConfigError` naming the option field for a bad size, a step below the test window
 * (test windows would overlap, and the stitched curve count bars twice), or data too short for
 * one fold.
 */
export function planWalkForward(bars: number, layout: WalkForwardLayout): readonly WalkForwardWindow[] {
  const train = wholeNumber('train', layout.train, 2);
  const test = wholeNumber('test', layout.test, 2);
  const step = wholeNumber('step', layout.step ?? test, 1);
  const purge = wholeNumber('purge', layout.purge ?? 0, 0);
  const embargo = wholeNumber('embargo', layout.embargo ?? 0, 0);
  if (step < test) throw new ConfigError('step', `must be at least test (${test}) so test windows do not overlap, got ${step}`);
  const windows: WalkForwardWindow[] = [];
  for (let i = 0; ; i++) {
    const testStart = train + purge + i * (step + embargo);
    const testEnd = testStart + test;
    if (testEnd > bars) break;
    const trainEnd = testStart - purge - (i > 0 ? embargo : 0);
    windows.push(Object.freeze({ index: i, trainStart: layout.anchored ? 0 : trainEnd - train, trainEnd, testStart, testEnd }));
  }
  if (windows.length === 0) {
    throw new ConfigError('train', `the data has ${bars} bars; one fold needs train + purge + test = ${train + purge + test}`);
  }
  return Object.freeze(windows);
}

function wholeNumber(key: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(key, `must be a whole number of bars, at least ${min}, got ${value}`);
  return value;
}

/** Thresholds a walk-forward must meet to pass. */
export interface WalkForwardThresholds {
  /** Largest accepted mean in-sample Sharpe / mean out-of-sample Sharpe. Default 2. */
  readonly maxOverfitRatio?: number;
  /**
   * Smallest accepted mean out-of-sample Sharpe ratio, annualized like every Sharpe here (mean
   * per-bar return / its standard deviation × √periodsPerYear of the bar interval: √252 for daily
   * bars, √98 280 for minute bars), so one threshold means the same for any bar interval. Default 0.
   */
  readonly minOosSharpe?: number;
}

/** `finite`: a ratio was computed; `infinite`: in-sample edge, none out of sample; `no-in-sample-edge`: mean IS Sharpe ≤ 0. */
export type OverfitRatioStatus = 'finite' | 'infinite' | 'no-in-sample-edge';

/** The verdict of a walk-forward on overfitting. */
export interface OverfitAssessment {
  /** Mean over folds of the chosen parameters' annualized in-sample Sharpe (an undefined Sharpe counts as 0). */
  readonly meanIsSharpe: number;
  /** Mean over folds of their annualized out-of-sample Sharpe (an undefined Sharpe counts as 0). */
  readonly meanOosSharpe: number;
  /** Mean IS Sharpe / mean OOS Sharpe: `Infinity` or null as `overfitRatioStatus` says. */
  readonly overfitRatio: number | null;
  readonly overfitRatioStatus: OverfitRatioStatus;
  readonly pass: boolean;
  /** Why it failed, one line per failed check; empty when it passed. */
  readonly reasons: readonly string[];
  readonly thresholds: Required<WalkForwardThresholds>;
}

/**
 * Judges per-fold Sharpe ratios (annualized; null counts as 0). The overfit ratio is mean IS /
 * mean OOS Sharpe, and a result never passes by accident:
 * - mean IS ≤ 0: no in-sample edge; ratio null, fail (whatever the out-of-sample result, an
 *   optimizer that found nothing in sample has nothing to validate);
 * - mean IS > 0 and mean OOS ≤ 0: ratio `Infinity`, fail;
 * - otherwise the ratio must be ≤ `maxOverfitRatio`.
 * Independently, mean OOS Sharpe must be ≥ `minOosSharpe`.
 */
export function assessOverfitting(isSharpes: readonly (number | null)[], oosSharpes: readonly (number | null)[], thresholds: WalkForwardThresholds = {}): OverfitAssessment {
  const resolved = resolveThresholds(thresholds);
  if (isSharpes.length === 0 || isSharpes.length !== oosSharpes.length) {
    throw new RangeError(`need one in-sample and one out-of-sample Sharpe per fold, got ${isSharpes.length} and ${oosSharpes.length}`);
  }
  const meanIsSharpe = meanCountingNullAsZero(isSharpes);
  const meanOosSharpe = meanCountingNullAsZero(oosSharpes);
  const reasons: string[] = [];
  let overfitRatio: number | null;
  let overfitRatioStatus: OverfitRatioStatus;
  if (!(meanIsSharpe > 0)) {
    overfitRatio = null;
    overfitRatioStatus = 'no-in-sample-edge';
    reasons.push(`no in-sample edge: mean in-sample Sharpe ${fmt(meanIsSharpe)} ≤ 0`);
  } else if (!(meanOosSharpe > 0)) {
    overfitRatio = Number.POSITIVE_INFINITY;
    overfitRatioStatus = 'infinite';
    reasons.push(`overfit ratio is infinite: mean in-sample Sharpe ${fmt(meanIsSharpe)} > 0 but mean out-of-sample Sharpe ${fmt(meanOosSharpe)} ≤ 0`);
  } else {
    overfitRatio = meanIsSharpe / meanOosSharpe;
    overfitRatioStatus = 'finite';
    if (overfitRatio > resolved.maxOverfitRatio) reasons.push(`overfit ratio ${fmt(overfitRatio)} > ${resolved.maxOverfitRatio} (mean IS Sharpe ${fmt(meanIsSharpe)} / mean OOS Sharpe ${fmt(meanOosSharpe)})`);
  }
  if (!(meanOosSharpe >= resolved.minOosSharpe)) reasons.push(`mean out-of-sample Sharpe ${fmt(meanOosSharpe)} < ${resolved.minOosSharpe}`);
  return Object.freeze({ meanIsSharpe, meanOosSharpe, overfitRatio, overfitRatioStatus, pass: reasons.length === 0, reasons: Object.freeze(reasons), thresholds: resolved });
}

function resolveThresholds(t: WalkForwardThresholds): Required<WalkForwardThresholds> {
  const maxOverfitRatio = t.maxOverfitRatio ?? 2;
  const minOosSharpe = t.minOosSharpe ?? 0;
  if (!Number.isFinite(maxOverfitRatio) || maxOverfitRatio <= 0) throw new ConfigError('maxOverfitRatio', `must be a positive number, got ${maxOverfitRatio}`);
  if (!Number.isFinite(minOosSharpe)) throw new ConfigError('minOosSharpe', `must be a finite number, got ${minOosSharpe}`);
  return Object.freeze({ maxOverfitRatio, minOosSharpe });
}

function meanCountingNullAsZero(values: readonly (number | null)[]): number {
  let sum = 0;
  for (const v of values) sum += v ?? 0;
  return sum / values.length;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : String(x);
}

/** Options of `runWalkForward`. */
export interface WalkForwardOptions extends WalkForwardLayout {
  readonly universe: BarUniverse;
  /** A shipped strategy's name, or the name of the definition in `strategyFile`. */
  readonly strategy: string;
  /** The strategy file the strategy comes from (`resolveStrategy`); absent for a shipped strategy. */
  readonly strategyFile?: StrategyFileIdentity;
  readonly space: ParameterSpace;
  readonly search: WalkForwardSearch;
  /** What each fold's in-sample sweep maximizes. */
  readonly objective: SweepObjective;
  readonly baseParams?: RawParams;
  readonly startingCash: number;
  readonly sizing: SizingRule;
  readonly execution?: ExecutionProfile;
  readonly fillModel?: 'simulator' | 'next-open';
  readonly seed?: number;
  /** Threads for the in-sample sweeps, this one included (default `os.availableParallelism()`); worker threads are started once for all folds. */
  readonly workers?: number;
  /** Threads kept across runs (`openSweepPool`, `startSweepPool`), instead of `workers`. */
  readonly pool?: SweepPool;
  readonly constraint?: PointConstraint;
  readonly thresholds?: WalkForwardThresholds;
  readonly onProgress?: (progress: WalkForwardProgress) => void;
}

/** Progress of a walk-forward: fold `fold` (0-based) of `folds`, and its in-sample sweep. */
export interface WalkForwardProgress {
  readonly fold: number;
  readonly folds: number;
  readonly completed: number;
  readonly total: number;
}

/** One fold of a walk-forward. */
export interface WalkForwardFold {
  readonly window: WalkForwardWindow;
  /** The best in-sample point (the swept values) and every parameter it ran with. */
  readonly chosenParams: ParamPoint;
  readonly resolvedParams: ParamValues;
  /** The chosen point's metrics on the training window. */
  readonly inSample: PerformanceMetrics;
  /** Its metrics on the test window. */
  readonly outOfSample: PerformanceMetrics;
  /** Its simple return at each test bar (the first from the starting cash). */
  readonly oosReturns: Float64Array;
  /** Bars before `testStart` the out-of-sample run saw to warm up, with its orders dropped. */
  readonly warmupBars: number;
  /** The in-sample sweep: every trial, ranked, with its returns (for PBO and DSR per fold). */
  readonly sweep: SweepResult;
}

/** The outcome of `runWalkForward`. */
export interface WalkForwardResult extends OverfitAssessment {
  readonly strategy: string;
  readonly objective: SweepObjective;
  readonly space: ParameterSpace;
  readonly search: WalkForwardSearch;
  readonly layout: Required<WalkForwardLayout>;
  /** What every backtest shared: strategy, base parameters, cash, sizing, execution, seed. */
  readonly settings: TrialSettings;
  readonly folds: readonly WalkForwardFold[];
  /** Metrics of the stitched out-of-sample curve. */
  readonly oosMetrics: PerformanceMetrics;
  /** The stitched curve: every test bar's time, the fold returns chained from the starting cash, and those returns. */
  readonly oosTime: Float64Array;
  readonly oosEquity: Float64Array;
  readonly oosReturns: Float64Array;
  /** In-sample trials over all folds (points run, each fold counted): the N of multiple-testing corrections. */
  readonly trials: number;
  readonly workers: number;
}

/**
 * Walk-forward optimization. For each fold of `planWalkForward`: sweep the space on the
 * training window `[trainStart, trainEnd)` (each trial a backtest on those bars alone, from a
 * flat book, so nothing after `trainEnd` is seen), choose the best point by `objective` (ties:
 * the earlier point), and backtest it on the test window.
 *
 * The out-of-sample backtest starts `warmup` bars before `testStart` (the strategy's
 * `warmupBars`, else its largest integer parameter, at most `testStart`): the strategy sees
 * those bars but its orders there are dropped, so its indicators are ready at `testStart` while
 * the book is flat with the starting cash. Only bars `[testStart, testEnd)` are scored. The
 * warm-up bars may lie in the purge gap or the training window: they are the past of the test,
 * only read, never traded or optimized on.
 *
 * The folds' out-of-sample returns are chained from the starting cash into one curve, scored by
 * `computeMetrics` (its turnover, commission and trade P&L are each fold's, scaled to the chained
 * equity at the fold's start). `assessOverfitting` gives the verdict from the folds' Sharpe
 * ratios. Workers (or the `pool`'s) are started once and serve every fold's sweep; results do
 * not depend on their number. With a distributed pool (`openDistributedSweepPool`) the folds run
 * at once: every fold's in-sample trials are queued together, and each fold's out-of-sample run
 * is a job of its own, queued as soon as the fold's point is chosen here; the first fold to fail
 * stops the others. Bad options are `ConfigError`s naming the option field, checked before
 * anything runs; a failing trial is a `SweepError`.
 */
export async function runWalkForward(options: WalkForwardOptions): Promise<WalkForwardResult> {
  const universe = options.universe;
  const windows = planWalkForward(universe.length, options);
  const thresholds = resolveThresholds(options.thresholds ?? {});
  const settings = trialSettings(options);
  const points = searchPoints(options.space, options.search);
  const prepared = preparePoints(universe, settings, points, options.constraint);
  const lease = leaseExecutor(universe, options.pool, options.workers, prepared.valid.length);
  const executor = lease.executor;
  const runFold = async (window: WalkForwardWindow, signal?: AbortSignal): Promise<FoldWithRun> => {
    const fold = `fold ${window.index + 1}`;
    const sweep = await sweepWindow(executor, prepared, {
      universe,
      settings,
      space: options.space,
      objective: options.objective,
      from: window.trainStart,
      to: window.trainEnd,
      batch: { label: `${fold} in-sample`, ...(signal !== undefined ? { signal } : {}) },
      ...(options.onProgress !== undefined
        ? { onProgress: (p: { readonly completed: number; readonly total: number }) => options.onProgress?.({ fold: window.index, folds: windows.length, ...p }) }
        : {}),
    });
    const best = sweep.best;
    const built = createStrategy(trialDefinition(settings), best.resolvedParams, universe.symbols.length).strategy;
    const warmup = Math.min(window.testStart, warmupBarsFor(built, best.resolvedParams));
    const task = { id: window.index, params: best.params, from: window.testStart - warmup, to: window.testEnd, scoreFrom: window.testStart };
    const oos =
      executor.runApart !== undefined
        ? await executor.runApart(settings, task, { label: `${fold} out-of-sample`, ...(signal !== undefined ? { signal } : {}) })
        : executor.runHere(settings, task);
    return Object.freeze({
      window,
      chosenParams: best.params,
      resolvedParams: best.resolvedParams,
      inSample: best.metrics,
      outOfSample: oos.metrics,
      oosReturns: oos.returns,
      warmupBars: warmup,
      sweep,
      oosRun: oos,
    });
  };
  let folds: readonly FoldWithRun[];
  try {
    folds = executor.concurrent === true ? await runTogether(windows, runFold) : await runInTurn(windows, runFold);
  } finally {
    await lease.release();
  }

  const stitched = stitchOutOfSample(universe, folds, options.startingCash);
  const assessment = assessOverfitting(
    folds.map((f) => f.inSample.sharpe),
    folds.map((f) => f.outOfSample.sharpe),
    thresholds,
  );
  return Object.freeze({
    ...assessment,
    strategy: settings.strategy,
    objective: options.objective,
    space: options.space,
    search: options.search,
    layout: Object.freeze({
      train: options.train,
      test: options.test,
      step: options.step ?? options.test,
      anchored: options.anchored,
      purge: options.purge ?? 0,
      embargo: options.embargo ?? 0,
    }),
    settings,
    folds: Object.freeze(folds.map(withoutRun)),
    oosMetrics: stitched.metrics,
    oosTime: stitched.time,
    oosEquity: stitched.equity,
    oosReturns: stitched.returns,
    trials: folds.reduce((n, f) => n + f.sweep.trialCount, 0),
    workers: executor.workers,
  });
}

/** Folds one after another (a local pool runs one batch at a time). */
async function runInTurn(windows: readonly WalkForwardWindow[], runFold: (window: WalkForwardWindow) => Promise<FoldWithRun>): Promise<readonly FoldWithRun[]> {
  const folds: FoldWithRun[] = [];
  for (const window of windows) folds.push(await runFold(window));
  return folds;
}

/**
 * Every fold at once (a distributed pool: all folds' in-sample jobs are queued together, and each
 * fold's out-of-sample job as soon as its choice is made). The first fold to fail stops the
 * others (their waiting jobs cancelled), and its error is thrown once they have stopped.
 */
async function runTogether(windows: readonly WalkForwardWindow[], runFold: (window: WalkForwardWindow, signal: AbortSignal) => Promise<FoldWithRun>): Promise<readonly FoldWithRun[]> {
  const stop = new AbortController();
  let first: { readonly error: unknown } | null = null;
  const settled = await Promise.allSettled(
    windows.map((window) =>
      runFold(window, stop.signal).catch((error: unknown) => {
        if (first === null) {
          first = { error };
          stop.abort();
        }
        throw error;
      }),
    ),
  );
  if (first !== null) throw (first as { readonly error: unknown }).error;
  return settled.map((s) => (s as PromiseFulfilledResult<FoldWithRun>).value);
}

function searchPoints(space: ParameterSpace, search: WalkForwardSearch): readonly ParamPoint[] {
  switch (search.kind) {
    case 'grid':
      return gridPoints(space);
    case 'random':
      return randomPoints(space, search.samples, search.seed);
  }
}

/**
 * Bars a strategy built with `params` needs to warm up: its `warmupBars`, else (a strategy that
 * does not say) its largest integer parameter, taken as its longest lookback; 0 without one.
 */
export function warmupBarsFor(strategy: Pick<Strategy, 'warmupBars'>, params: ParamValues): number {
  if (strategy.warmupBars !== undefined) return Math.max(0, Math.ceil(strategy.warmupBars));
  let longest = 0;
  for (const value of Object.values(params)) if (typeof value === 'number' && Number.isInteger(value) && value > longest) longest = value;
  return longest;
}

/** A fold with its out-of-sample run's trades, kept only to stitch the curve. */
interface FoldWithRun extends WalkForwardFold {
  readonly oosRun: TrialRun;
}

function withoutRun(fold: FoldWithRun): WalkForwardFold {
  return Object.freeze({
    window: fold.window,
    chosenParams: fold.chosenParams,
    resolvedParams: fold.resolvedParams,
    inSample: fold.inSample,
    outOfSample: fold.outOfSample,
    oosReturns: fold.oosReturns,
    warmupBars: fold.warmupBars,
    sweep: fold.sweep,
  });
}

/** Chains the folds' out-of-sample returns from `startingCash` and scores the curve. */
function stitchOutOfSample(universe: BarUniverse, folds: readonly FoldWithRun[], startingCash: number): { readonly time: Float64Array; readonly equity: Float64Array; readonly returns: Float64Array; readonly metrics: PerformanceMetrics } {
  const total = folds.reduce((n, f) => n + f.oosReturns.length, 0);
  const time = new Float64Array(total);
  const equity = new Float64Array(total);
  const returns = new Float64Array(total);
  const trades: ClosedTrade[] = [];
  let barsInMarket = 0;
  let tradedNotional = 0;
  let commission = 0;
  let at = 0;
  let level = startingCash;
  for (const fold of folds) {
    const scale = level / startingCash;
    const m = fold.outOfSample;
    time.set(universe.time.subarray(fold.window.testStart, fold.window.testEnd), at);
    returns.set(fold.oosReturns, at);
    for (let k = 0; k < fold.oosReturns.length; k++) {
      level *= 1 + (fold.oosReturns[k] as number);
      equity[at + k] = level;
    }
    at += fold.oosReturns.length;
    barsInMarket += Math.round(m.exposure * m.bars);
    tradedNotional += fold.oosRun.tradedNotional * scale;
    commission += m.totalCommission * scale;
    for (const t of fold.oosRun.trades) trades.push({ ...t, netPnl: t.netPnl * scale, pnl: t.pnl * scale, commission: t.commission * scale });
  }
  // The stitched curve skips the bars between test windows: its interval is the universe's.
  const barInterval = detectBarInterval(universe.time).interval ?? '1d';
  const metrics = computeMetrics({ startingEquity: startingCash, time, equity, barsInMarket, tradedNotional, totalCommission: commission, trades, barInterval });
  return { time, equity, returns, metrics };
}
