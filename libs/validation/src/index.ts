export { normalPdf, normalCdf, normalInverseCdf } from './normal-distribution';
export { sampleMoments, trialMoments, validateTrialReturnMatrix } from './sample-moments';
export type { SampleMoments, TrialReturnMatrix, TrialMatrixShape } from './sample-moments';
export {
  EULER_MASCHERONI,
  sharpeRatioStandardError,
  probabilisticSharpeRatio,
  probabilisticSharpeRatioFromReturns,
  expectedMaximumSharpe,
  deflatedSharpeRatio,
  deflatedSharpeRatioOfBestTrial,
  minimumTrackRecordLength,
} from './overfitting-statistics';
export type {
  SharpeRatioEstimate,
  ProbabilisticSharpeInput,
  ExpectedMaximumSharpeInput,
  DeflatedSharpeInput,
  DeflatedSharpeResult,
  BestTrialDeflatedSharpeResult,
  MinimumTrackRecordInput,
} from './overfitting-statistics';
export { probabilityOfBacktestOverfitting, probabilityOfBacktestOverfittingByTrial, DEFAULT_PBO_BLOCKS, MAX_PBO_BLOCKS } from './pbo';
export type { PboMetric, PboOptions, PboResult } from './pbo';
export { DEFAULT_SPACE_VALUES, MAX_GRID_POINTS, MAX_VALUES_PER_DIMENSION, defaultParameterSpace, describeParameterSpace, describePoint, gridPoints, parseParameterSpace, pointAt, randomPoints, spaceSize } from './parameter-space';
export type { ParamPoint, ParamValue, ParameterDimension, ParameterSpace } from './parameter-space';
export type { InvalidPoint, PointConstraint, SweepObjective, SweepOptions, SweepProgress, SweepResult, SweepTrial } from './sweep';
export { SWEEP_OBJECTIVES, SweepError, SweepPool, openSweepPool, runSweep, startSweepPool, trialReturnMatrix, trialReturnSeries } from './sweep';
export type { RawParams, TrialSettings } from './sweep-worker';
export { assessOverfitting, planWalkForward, runWalkForward, warmupBarsFor } from './walk-forward';
export type { OverfitAssessment, OverfitRatioStatus, WalkForwardFold, WalkForwardLayout, WalkForwardOptions, WalkForwardProgress, WalkForwardResult, WalkForwardSearch, WalkForwardThresholds, WalkForwardWindow } from './walk-forward';
export { VALIDATION_SCHEMA_VERSION, metricsSummary, selectionStatistics, sweepArtifact, walkForwardArtifact } from './validation-artifacts';
export type { ArtifactOptions, MetricsSummaryJson, OptionalStatisticJson, SelectionStatisticsJson, SettingsJson, SpaceJson, SweepArtifact, SweepTrialJson, WalkForwardArtifact, WalkForwardFoldJson } from './validation-artifacts';
export { planRun, runRecordedBacktest } from './backtest-run';
export { loadRunData } from './run-data';
export type { LoadRunDataOptions, RunData, RunDataConfig, RunDataPhase } from './run-data';
export type { AuditLogRedirect, BacktestRunConfig, BacktestRunOptions, BacktestRunOutcome, BacktestRunTimings, PlanRunOptions, RecordedRunFile, RunPlan } from './backtest-run';
export { NOTICES_FILE, REPORT_FILE, SLEEVE_EQUITY_FILE, dataHash, hashData, reportInputFromRun, uniqueRunId, writeBacktestRun } from './backtest-run-folder';
export type { BacktestRunRecord, RunReportExtras } from './backtest-run-folder';
export { journalFills, loadRunMarket, marketFromUniverse } from './report-market';
export { reproduceRun } from './run-reproduction';
export type { ReproduceRunOptions, RunReproduction } from './run-reproduction';
export { STRATEGY_FILE_EXTENSIONS, isStrategyFileRef, loadStrategyFile, resolveStrategy } from './strategy-file';
export type { LoadStrategyFileOptions, LoadedStrategyFile, ResolvedStrategy, StrategyFileIdentity } from './strategy-file';
export { decodeExactJson, encodeExactJson, universeHash } from './distributed-codec';
export { DistributedSweepPool, MAX_SUBMITTER_TIMEOUT_SECONDS, distributedDataSpec, loadDistributedData, openDistributedSweepPool, runTrialWorker } from './distributed-sweep';
export type { DistributedDataSpec, DistributedSweepOptions, TrialJobPayload, TrialRunPayload, TrialWorkerEvent, TrialWorkerOptions, TrialWorkerSummary } from './distributed-sweep';
export { DEFAULT_TRIAL_QUEUE_SCHEMA, TRIAL_QUEUE, TrialQueue, TrialQueueError } from './trial-queue';
export type { FailedTrialJob, FetchedTrialJob, TrialJobData, TrialJobKind, TrialJobPolicy, TrialJobState, TrialQueueOptions, TrialResultRow } from './trial-queue';
