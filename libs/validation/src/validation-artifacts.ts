import { ConfigError, finiteOrNull, formatIsoTime } from '@quantbot/core';
import type { PerformanceMetrics } from '@quantbot/engine';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { describeExecutionProfile } from '@quantbot/execution-sim';
import { deflatedSharpeRatio, probabilisticSharpeRatioFromReturns } from './overfitting-statistics';
import type { ParamPoint, ParamValue, ParameterSpace } from './parameter-space';
import { describeParameterSpace, spaceSize } from './parameter-space';
import { DEFAULT_PBO_BLOCKS, probabilityOfBacktestOverfittingByTrial } from './pbo';
import { sampleMoments } from './sample-moments';
import type { SweepObjective, SweepResult, SweepTrial } from './sweep';
import { trialReturnSeries } from './sweep';
import type { TrialSettings } from './sweep-worker';
import type { OverfitRatioStatus, WalkForwardResult, WalkForwardSearch } from './walk-forward';

/**
 * The JSON documents the research registry ingests for a sweep and a walk-forward (see
 * docs/validation.md). Every number in them is finite or null: a statistic that is undefined,
 * or not finite, is null, and an infinite overfit ratio is `overfitRatio: null` with
 * `overfitRatioStatus: "infinite"` (JSON has no Infinity, and a string in a number field would
 * break typed consumers).
 */

/** The version of the documents below; a change that breaks a reader bumps it. */
export const VALIDATION_SCHEMA_VERSION = 1;

/** The metrics an artifact keeps of a run (a subset of `PerformanceMetrics`). */
export interface MetricsSummaryJson {
  readonly totalReturn: number | null;
  readonly cagr: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly annualVolatility: number | null;
  readonly maxDrawdownPct: number | null;
  readonly closedTrades: number;
  readonly winRate: number | null;
  readonly profitFactor: number | null;
  readonly exposure: number | null;
  readonly turnover: number | null;
  readonly totalCommission: number | null;
  readonly bars: number;
}

/** A statistic that may not be computable: `value` null with the `reason`, else the value and its inputs. */
export type OptionalStatisticJson<T> = ({ readonly value: number } & T & { readonly reason: null }) | { readonly value: null; readonly reason: string };

/** The multiple-testing statistics of one selection among trials. */
export interface SelectionStatisticsJson {
  /**
   * Deflated Sharpe ratio of the chosen trial (rank 1): the probability that its Sharpe ratio
   * beats the expected best of `trials` trials without skill. Sharpe ratios per bar.
   */
  readonly deflatedSharpe: OptionalStatisticJson<{
    readonly selectedSharpe: number;
    readonly expectedMaxSharpe: number;
    readonly sharpeVariance: number;
    readonly trials: number;
    readonly observations: number;
  }>;
  /** Probability of backtest overfitting (CSCV) over the trials' returns. */
  readonly pbo: OptionalStatisticJson<{ readonly blocks: number; readonly combinations: number; readonly probabilityOfLoss: number; readonly trials: number }>;
}

/** A parameter space in an artifact: its text and its axes. */
export interface SpaceJson {
  readonly text: string;
  readonly size: number;
  readonly dimensions: readonly (
    | { readonly name: string; readonly kind: 'range'; readonly from: number; readonly to: number; readonly step: number; readonly values: readonly number[] }
    | { readonly name: string; readonly kind: 'list'; readonly values: readonly ParamValue[] }
  )[];
}

/** The settings every backtest of a run shared. */
export interface SettingsJson {
  readonly baseParams: Readonly<Record<string, string | number | boolean>>;
  readonly startingCash: number;
  readonly sizing: SizingRule;
  /** The execution profile's parameters (`maxParticipation: null` for no cap); null: the engine's default (idealistic). */
  readonly execution: Readonly<Record<string, string | number | null>> | null;
  readonly fillModel: 'simulator' | 'next-open';
  readonly seed: number;
  /** The strategy file (absolute path and sha256 of its bytes) when the strategy came from one; absent for a shipped strategy. */
  readonly strategyFile?: { readonly path: string; readonly sha256: string };
}

/** One trial in a sweep artifact. */
export interface SweepTrialJson {
  readonly rank: number;
  readonly pointIndex: number;
  readonly params: ParamPoint;
  readonly resolvedParams: Readonly<Record<string, number | boolean>>;
  readonly objectiveValue: number | null;
  readonly metrics: MetricsSummaryJson;
}

/** The sweep document (`kind: "sweep"`). */
export interface SweepArtifact {
  readonly schemaVersion: typeof VALIDATION_SCHEMA_VERSION;
  readonly kind: 'sweep';
  readonly strategy: string;
  readonly objective: SweepObjective;
  /** Null when explicit points were swept. */
  readonly space: SpaceJson | null;
  readonly settings: SettingsJson;
  /** First and last bar of the data (ISO, both inclusive) and the bar count. */
  readonly period: { readonly start: string; readonly end: string; readonly bars: number };
  readonly trials: number;
  readonly invalid: number;
  readonly invalidPoints: readonly { readonly pointIndex: number; readonly params: ParamPoint; readonly reason: string }[];
  /** Every trial, best first. */
  readonly results: readonly SweepTrialJson[];
  readonly statistics: SelectionStatisticsJson | null;
}

/** One fold in a walk-forward artifact. Times are ISO, of the first and the last bar of each window (both inclusive). */
export interface WalkForwardFoldJson {
  readonly index: number;
  readonly trainStart: string;
  readonly trainEnd: string;
  readonly testStart: string;
  readonly testEnd: string;
  /** The same windows as bar indices, ends exclusive; `warmup`: bars before `testStart` the test run saw without trading. */
  readonly bars: { readonly trainStart: number; readonly trainEnd: number; readonly testStart: number; readonly testEnd: number; readonly warmup: number };
  readonly chosenParams: ParamPoint;
  readonly resolvedParams: Readonly<Record<string, number | boolean>>;
  readonly inSample: MetricsSummaryJson;
  readonly outOfSample: MetricsSummaryJson;
  /** Points run in sample (trials) and rejected before running (invalid). */
  readonly trials: number;
  readonly invalid: number;
  /** DSR and PBO of this fold's in-sample selection; null when not asked for. */
  readonly statistics: SelectionStatisticsJson | null;
}

/** The walk-forward document (`kind: "walk-forward"`). */
export interface WalkForwardArtifact {
  readonly schemaVersion: typeof VALIDATION_SCHEMA_VERSION;
  readonly kind: 'walk-forward';
  readonly strategy: string;
  readonly objective: SweepObjective;
  readonly space: SpaceJson;
  readonly search: WalkForwardSearch;
  readonly layout: { readonly train: number; readonly test: number; readonly step: number; readonly anchored: boolean; readonly purge: number; readonly embargo: number };
  readonly settings: SettingsJson;
  readonly folds: readonly WalkForwardFoldJson[];
  readonly overall: {
    /** Metrics of the stitched out-of-sample curve. */
    readonly oosMetrics: MetricsSummaryJson;
    readonly oosPeriod: { readonly start: string; readonly end: string; readonly bars: number };
    /** Probabilistic Sharpe ratio (benchmark 0) of the stitched out-of-sample returns; null when undefined. */
    readonly oosPsr: number | null;
    readonly meanIsSharpe: number | null;
    readonly meanOosSharpe: number | null;
    /** Finite ratio, else null: `overfitRatioStatus` says whether it was infinite or had no in-sample edge. */
    readonly overfitRatio: number | null;
    readonly overfitRatioStatus: OverfitRatioStatus;
    readonly pass: boolean;
    readonly reasons: readonly string[];
    readonly thresholds: { readonly maxOverfitRatio: number; readonly minOosSharpe: number };
  };
  /** In-sample trials over all folds. */
  readonly trials: number;
}

/** Options of the artifact builders. */
export interface ArtifactOptions {
  /** Compute DSR and PBO (for every fold of a walk-forward). Default true. */
  readonly statistics?: boolean;
  /** Blocks of the PBO's combinatorial split (even, ≥ 2). Default 16. */
  readonly pboBlocks?: number;
}


/** The artifact's subset of a run's metrics, non-finite numbers as null. */
export function metricsSummary(m: PerformanceMetrics): MetricsSummaryJson {
  return {
    totalReturn: finiteOrNull(m.totalReturn),
    cagr: finiteOrNull(m.cagr),
    sharpe: finiteOrNull(m.sharpe),
    sortino: finiteOrNull(m.sortino),
    calmar: finiteOrNull(m.calmar),
    annualVolatility: finiteOrNull(m.annualVolatility),
    maxDrawdownPct: finiteOrNull(m.maxDrawdownPct),
    closedTrades: m.closedTrades,
    winRate: finiteOrNull(m.winRate),
    profitFactor: finiteOrNull(m.profitFactor),
    exposure: finiteOrNull(m.exposure),
    turnover: finiteOrNull(m.turnover),
    totalCommission: finiteOrNull(m.totalCommission),
    bars: m.bars,
  };
}

/** The JSON document of a sweep (see `SweepArtifact`). Pure: the same result gives the same document. */
export function sweepArtifact(result: SweepResult, options: ArtifactOptions = {}): SweepArtifact {
  return {
    schemaVersion: VALIDATION_SCHEMA_VERSION,
    kind: 'sweep',
    strategy: result.strategy,
    objective: result.objective,
    space: result.space === null ? null : spaceJson(result.space),
    settings: settingsJson(result.settings),
    period: { start: formatIsoTime(result.startTime), end: formatIsoTime(result.endTime), bars: result.bars },
    trials: result.trialCount,
    invalid: result.invalid.length,
    invalidPoints: result.invalid.map((p) => ({ pointIndex: p.pointIndex, params: { ...p.params }, reason: p.reason })),
    results: result.trials.map(trialJson),
    statistics: options.statistics === false ? null : selectionStatistics(result, options.pboBlocks),
  };
}

/** The JSON document of a walk-forward (see `WalkForwardArtifact`). Pure: the same result gives the same document. */
export function walkForwardArtifact(result: WalkForwardResult, options: ArtifactOptions = {}): WalkForwardArtifact {
  // The stitched curve holds every test bar in fold order: fold i's bars start at offsets[i].
  const time = (k: number): string => formatIsoTime(result.oosTime[k] as number);
  const offsets: number[] = [];
  let offset = 0;
  for (const f of result.folds) {
    offsets.push(offset);
    offset += f.oosReturns.length;
  }
  return {
    schemaVersion: VALIDATION_SCHEMA_VERSION,
    kind: 'walk-forward',
    strategy: result.strategy,
    objective: result.objective,
    space: spaceJson(result.space),
    search: { ...result.search },
    layout: { ...result.layout },
    settings: settingsJson(result.settings),
    folds: result.folds.map((f, i) => {
      const w = f.window;
      const testFrom = offsets[i] as number;
      return {
        index: w.index,
        trainStart: formatIsoTime(f.sweep.startTime),
        trainEnd: formatIsoTime(f.sweep.endTime),
        testStart: time(testFrom),
        testEnd: time(testFrom + f.oosReturns.length - 1),
        bars: { trainStart: w.trainStart, trainEnd: w.trainEnd, testStart: w.testStart, testEnd: w.testEnd, warmup: f.warmupBars },
        chosenParams: { ...f.chosenParams },
        resolvedParams: { ...f.resolvedParams },
        inSample: metricsSummary(f.inSample),
        outOfSample: metricsSummary(f.outOfSample),
        trials: f.sweep.trialCount,
        invalid: f.sweep.invalid.length,
        statistics: options.statistics === false ? null : selectionStatistics(f.sweep, options.pboBlocks),
      };
    }),
    overall: {
      oosMetrics: metricsSummary(result.oosMetrics),
      oosPeriod: { start: time(0), end: time(result.oosTime.length - 1), bars: result.oosTime.length },
      oosPsr: options.statistics === false ? null : psrOrNull(result.oosReturns),
      meanIsSharpe: finiteOrNull(result.meanIsSharpe),
      meanOosSharpe: finiteOrNull(result.meanOosSharpe),
      overfitRatio: finiteOrNull(result.overfitRatio),
      overfitRatioStatus: result.overfitRatioStatus,
      pass: result.pass,
      reasons: [...result.reasons],
      thresholds: { ...result.thresholds },
    },
    trials: result.trials,
  };
}

/**
 * DSR and PBO of choosing a sweep's rank-1 trial among all its trials. Sharpe ratios are per
 * bar (not annualized), from each trial's returns; a trial whose returns never vary (it never
 * traded) counts with Sharpe 0 in the variance of the trials' Sharpe ratios. A statistic that
 * cannot be computed (one trial, too few bars, a chosen trial without variance) is null with
 * the reason.
 */
export function selectionStatistics(result: SweepResult, pboBlocks = DEFAULT_PBO_BLOCKS): SelectionStatisticsJson {
  return { deflatedSharpe: deflatedSharpeOf(result), pbo: pboOf(result, pboBlocks) };
}

function deflatedSharpeOf(result: SweepResult): SelectionStatisticsJson['deflatedSharpe'] {
  try {
    const sharpeVariance = sampleVariance(result.trials.map((t) => perBarSharpeOrZero(t.returns)));
    const chosen = sampleMoments(result.best.returns, 'returns of the chosen trial');
    const d = deflatedSharpeRatio({
      sharpe: chosen.sharpe,
      observations: chosen.count,
      skewness: chosen.skewness,
      kurtosis: chosen.kurtosis,
      trials: result.trialCount,
      sharpeVariance,
    });
    return { value: d.dsr, selectedSharpe: chosen.sharpe, expectedMaxSharpe: d.expectedMaxSharpe, sharpeVariance, trials: result.trialCount, observations: chosen.count, reason: null };
  } catch (error) {
    if (error instanceof ConfigError) return { value: null, reason: error.message };
    throw error;
  }
}

function pboOf(result: SweepResult, blocks: number): SelectionStatisticsJson['pbo'] {
  if (result.trialCount < 2) return { value: null, reason: 'PBO needs at least 2 trials' };
  try {
    const p = probabilityOfBacktestOverfittingByTrial(trialReturnSeries(result), { blocks });
    return { value: p.pbo, blocks: p.blocks, combinations: p.combinations, probabilityOfLoss: p.probabilityOfLoss, trials: p.trials, reason: null };
  } catch (error) {
    if (error instanceof ConfigError) return { value: null, reason: error.message };
    throw error;
  }
}

function psrOrNull(returns: Float64Array): number | null {
  try {
    return finiteOrNull(probabilisticSharpeRatioFromReturns(returns));
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}

function perBarSharpeOrZero(returns: Float64Array): number {
  try {
    return sampleMoments(returns).sharpe;
  } catch (error) {
    if (error instanceof ConfigError) return 0;
    throw error;
  }
}

function sampleVariance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return squares / (values.length - 1);
}

function spaceJson(space: ParameterSpace): SpaceJson {
  return {
    text: describeParameterSpace(space),
    size: spaceSize(space),
    dimensions: space.dimensions.map((d) =>
      d.kind === 'range' ? { name: d.name, kind: d.kind, from: d.from, to: d.to, step: d.step, values: [...d.values] } : { name: d.name, kind: d.kind, values: [...d.values] },
    ),
  };
}

function settingsJson(s: TrialSettings): SettingsJson {
  return {
    baseParams: { ...s.baseParams },
    startingCash: s.startingCash,
    sizing: { ...s.sizing },
    execution: s.execution !== undefined ? { ...describeExecutionProfile(s.execution) } : null,
    fillModel: s.fillModel ?? 'simulator',
    seed: s.seed ?? 0,
    ...(s.strategyFile !== undefined ? { strategyFile: { path: s.strategyFile.path, sha256: s.strategyFile.sha256 } } : {}),
  };
}

function trialJson(t: SweepTrial): SweepTrialJson {
  return {
    rank: t.rank,
    pointIndex: t.pointIndex,
    params: { ...t.params },
    resolvedParams: { ...t.resolvedParams },
    objectiveValue: finiteOrNull(t.objectiveValue),
    metrics: metricsSummary(t.metrics),
  };
}
