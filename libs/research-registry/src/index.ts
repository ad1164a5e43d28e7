export { RegistryError } from './registry-error';
export type { RegistryErrorCode } from './registry-error';
export { PromotionBlockedError } from './promotion-blocked-error';
export type { InputSource } from './input-reader';
export { parameterHash, asJsonObject } from './canonical-json';
export type { JsonObject } from './canonical-json';
export { DEFECT_SEVERITIES, PROMOTION_ACTIONS, PROMOTION_STAGES, REVIEW_DECISIONS, SWEEP_EXECUTIONS } from './registry-records';
export type {
  BacktestMetrics,
  BacktestRecord,
  DefectRecord,
  DefectSeverity,
  DefectSource,
  Experiment,
  FoldMetrics,
  OverfitRatioStatus,
  PaperDayRecord,
  PaperDaySource,
  ParameterSnapshot,
  PromotionAction,
  PromotionRecord,
  PromotionStage,
  ReviewDecision,
  ReviewRecord,
  SweepExecution,
  SweepFigures,
  SweepRecord,
  TrialCount,
  ValidationFold,
  ValidationFigures,
  ValidationRecord,
} from './registry-records';
export { MAX_HYPOTHESIS_LENGTH, parseExperimentInput } from './experiment-input';
export type { ExperimentInput, StrategyFileRef } from './experiment-input';
export { parseReviewInput } from './review-input';
export type { ReviewInput } from './review-input';
export { EXTRA_BACKTEST_METRICS, backtestInputFromRunSummary, checkBacktestInput, parseBacktestInput, runParameters } from './backtest-evidence';
export type { BacktestInput, RunParameters, RunSummaryEvidence } from './backtest-evidence';
export { WALK_FORWARD_SCHEMA_VERSION, artifactSha256, isWalkForwardArtifact, overfitRatioOf, parseValidationInput, parseWalkForwardArtifact } from './walk-forward-evidence';
export type { ValidationInput } from './walk-forward-evidence';
export { SWEEP_SCHEMA_VERSION, sweepInputFromRunFolder } from './sweep-evidence';
export type { SweepInput, SweepRunEvidence } from './sweep-evidence';
export { PAPER_DAY_FIELDS, calendarDaysBetween, dateStartUtc, isCalendarDate, isTradingDay, latestPaperStreak, parsePaperDays, previousTradingDay } from './paper-days';
export type { PaperDayInput, TradingCalendar } from './paper-days';
export type { StrategyCatalog } from './strategy-catalog';
export { summarizePaperDays } from './paper-summary';
export type { PaperDayFigures, PaperSummary } from './paper-summary';
export { summarizeDrift } from './drift-summary';
export type { DriftCheck, DriftCumulative, DriftDayFigures, DriftDayRow, DriftMetric, DriftSummary } from './drift-summary';
export { STABILITY_WINDOW_DAYS, assessPaperStability, blockerReason } from './readiness-report';
export type { PaperStability, ReadinessPaper, ReadinessReport, StabilityDay, StabilityWindow } from './readiness-report';
export { parseTradingDayInput } from './trading-days';
export type { TradingDayRecord } from './trading-days';
export {
  DEFAULT_PROMOTION_GATES_FILE,
  DEFAULT_PROMOTION_GATE_CONFIG,
  RAMP_BREACH_ACTIONS,
  loadPromotionGateConfig,
  parsePromotionGateConfig,
  promotionGateConfigSha256,
} from './promotion-gate-config';
export type { CapitalRampConfig, DriftGates, LoadedPromotionGateConfig, PromotionGateConfig, PromotionGates, RampBreachAction } from './promotion-gate-config';
export { BREACH_KINDS } from './capital-ramp';
export type { BreachKind, CapitalAdvanceCheck, CapitalAdvanceCheckId, CapitalStageDays, CapitalStageReadiness, CapitalStageState } from './capital-ramp';
export { BLOCKING_DEFECT_SEVERITIES, GATE_IDS, assessPromotionReadiness, conflictOfDuties, evaluatePromotionChecklist, formatNumber } from './promotion-checklist';
export type { ChecklistItem, GateId, GateStatus, PaperEvidenceSummary, PromotionChecklist, PromotionEvidence, PromotionReadiness } from './promotion-checklist';
export { REGISTRY_DATABASE_MIGRATIONS, REGISTRY_MIGRATIONS, REGISTRY_SCHEMA_ENV } from './registry-schema';
export type {
  RegistryBacktestsTable,
  RegistryDefectsTable,
  RegistryExperimentsTable,
  RegistryPaperDaysTable,
  RegistryPromotionsTable,
  RegistryReviewsTable,
  RegistrySnapshotsTable,
  RegistrySweepsTable,
  RegistryTables,
  RegistryTradingDaysTable,
  RegistryValidationsTable,
} from './registry-schema';
export { ResearchRegistry } from './research-registry';
export type {
  BreachInput,
  ChecklistOptions,
  DefectInput,
  DriftReport,
  ExperimentSummary,
  PromoteInput,
  RecordOptions,
  Recorded,
  ResearchRegistryOptions,
  SnapshotChoice,
  SnapshotSummary,
  TradingDayFilter,
} from './research-registry';
export type {
  ShadowFillSide,
  ShadowOrderPair,
  ShortfallAttribution,
  TradingDayDrift,
  TradingDayExecution,
  TradingDayIncident,
  TradingDayInput,
  TradingDayKillSwitchEvent,
} from './trading-day-input';
