import type { EpochMs } from '@quantbot/core';
import { epochMs } from '@quantbot/core';
import type { Selectable } from 'kysely';
import type { JsonObject } from './canonical-json';
import type {
  BacktestRecord,
  DefectRecord,
  DefectSeverity,
  DefectSource,
  Experiment,
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
  SweepRecord,
  ValidationFold,
  ValidationRecord,
} from './registry-records';
import type {
  RegistryBacktestsTable,
  RegistryDefectsTable,
  RegistryExperimentsTable,
  RegistryPaperDaysTable,
  RegistryPromotionsTable,
  RegistryReviewsTable,
  RegistrySnapshotsTable,
  RegistrySweepsTable,
  RegistryTradingDaysTable,
  RegistryValidationsTable,
} from './registry-schema';
import type { ShadowOrderPair, TradingDayDrift, TradingDayIncident, TradingDayKillSwitchEvent } from './trading-day-input';
import type { TradingDayRecord } from './trading-days';

/**
 * Rows of the registry's tables as the records its API returns: snake_case columns to camelCase
 * fields, timestamps to epoch ms, the infinite overfit ratio back to `Infinity`, frozen.
 *
 * Internal: not exported from the package.
 */

function at(date: Date): EpochMs {
  return epochMs(date.getTime());
}

/** An experiment row as an `Experiment`. */
export function toExperiment(row: Selectable<RegistryExperimentsTable>): Experiment {
  return Object.freeze({
    id: row.id,
    strategy: row.strategy,
    hypothesis: row.hypothesis,
    owner: row.owner,
    strategyFile:
      row.strategy_file_path === null || row.strategy_file_sha256 === null
        ? null
        : Object.freeze({ path: row.strategy_file_path, sha256: row.strategy_file_sha256, version: row.strategy_version ?? '' }),
    currentSnapshotId: row.current_snapshot_id,
    createdAt: at(row.created_at),
  });
}

/** A snapshot row as a `ParameterSnapshot` (parameters parsed from their canonical JSON). */
export function toSnapshot(row: Selectable<RegistrySnapshotsTable>): ParameterSnapshot {
  return Object.freeze({
    id: row.id,
    experimentId: row.experiment_id,
    paramsHash: row.params_hash,
    params: deepFreeze(JSON.parse(row.params_json) as JsonObject),
    strategyFileSha256: row.strategy_file_sha256,
    label: row.label,
    createdAt: at(row.created_at),
  });
}

/** A backtest row as a `BacktestRecord`. */
export function toBacktest(row: Selectable<RegistryBacktestsTable>): BacktestRecord {
  return Object.freeze({
    id: row.id,
    experimentId: row.experiment_id,
    snapshotId: row.snapshot_id,
    runId: row.run_id,
    digest: row.digest,
    digestVerified: row.digest_verified,
    metrics: Object.freeze({
      sharpe: row.sharpe,
      totalReturn: row.total_return,
      maxDrawdownPct: row.max_drawdown_pct,
      closedTrades: row.closed_trades,
      extra: Object.freeze({ ...row.extra_metrics }),
    }),
    dataQualityErrors: row.data_quality_errors,
    lookaheadPassed: row.lookahead_passed,
    recordedAt: at(row.recorded_at),
    recordedBy: row.recorded_by ?? null,
  });
}

/** A validation row as a `ValidationRecord`; status `infinite` reads as `overfitRatio: Infinity`. */
export function toValidation(row: Selectable<RegistryValidationsTable>): ValidationRecord {
  const status = row.overfit_ratio_status as OverfitRatioStatus;
  return Object.freeze({
    id: row.id,
    experimentId: row.experiment_id,
    snapshotId: row.snapshot_id,
    kind: 'walk-forward',
    source: row.source,
    artifactSha256: row.artifact_sha256,
    meanIsSharpe: row.mean_is_sharpe,
    meanOosSharpe: row.mean_oos_sharpe,
    overfitRatio: status === 'infinite' ? Number.POSITIVE_INFINITY : row.overfit_ratio,
    overfitRatioStatus: status,
    deflatedSharpe: row.deflated_sharpe,
    pbo: row.pbo,
    trials: row.trials,
    passed: row.passed,
    reasons: Object.freeze([...row.reasons]),
    folds: deepFreeze(row.folds as ValidationFold[]),
    verified: row.verified === true,
    recordedAt: at(row.recorded_at),
    recordedBy: row.recorded_by ?? null,
  });
}

/** A paper-day row as a `PaperDayRecord`. */
export function toPaperDay(row: Selectable<RegistryPaperDaysTable>): PaperDayRecord {
  return Object.freeze({
    experimentId: row.experiment_id,
    snapshotId: row.snapshot_id,
    date: row.trade_date,
    dailyPnl: row.daily_pnl,
    qualityScore: row.quality_score,
    averageSlippageBps: row.average_slippage_bps,
    fillRate: row.fill_rate,
    drawdownPct: row.drawdown_pct,
    equity: row.equity,
    source: row.source as PaperDaySource,
    recordedAt: at(row.recorded_at),
    recordedBy: row.recorded_by ?? null,
  });
}

/** A trading-day row as a `TradingDayRecord` (deeply frozen). */
export function toTradingDay(row: Selectable<RegistryTradingDaysTable>): TradingDayRecord {
  return deepFreeze({
    id: row.id,
    experimentId: row.experiment_id,
    snapshotId: row.snapshot_id,
    date: row.trade_date,
    sessionId: row.session_id,
    journalDigest: row.journal_digest,
    stage: row.stage as PromotionStage,
    capitalStage: row.capital_stage,
    complete: row.complete,
    startEquity: row.start_equity,
    equity: row.equity,
    dailyPnl: row.daily_pnl,
    drawdownPct: row.drawdown_pct,
    maxGrossExposure: row.max_gross_exposure,
    execution: {
      orders: row.orders,
      fills: row.fills,
      rejects: row.rejects,
      qualityScore: row.quality_score,
      implementationShortfallBps: row.implementation_shortfall_bps,
      averageSlippageBps: row.average_slippage_bps,
      fillRate: row.fill_rate,
      averageLatencyMs: row.average_latency_ms,
    },
    killSwitch: row.kill_switch as TradingDayKillSwitchEvent[],
    incidents: row.incidents as TradingDayIncident[],
    drift: row.drift as TradingDayDrift | null,
    shadowOrders: row.shadow_orders as ShadowOrderPair[],
    revision: row.revision,
    recordedAt: at(row.recorded_at),
    recordedBy: row.recorded_by,
  });
}

/** A review row as a `ReviewRecord`. */
export function toReview(row: Selectable<RegistryReviewsTable>): ReviewRecord {
  return Object.freeze({
    id: row.id,
    experimentId: row.experiment_id,
    snapshotId: row.snapshot_id,
    decision: row.decision as ReviewDecision,
    reviewer: row.reviewer,
    comment: row.comment,
    reviewedAt: at(row.reviewed_at),
  });
}

/** A promotion row as a `PromotionRecord`. */
export function toPromotion(row: Selectable<RegistryPromotionsTable>): PromotionRecord {
  return Object.freeze({
    id: row.id,
    experimentId: row.experiment_id,
    snapshotId: row.snapshot_id,
    stage: row.stage as PromotionStage,
    promotedBy: row.promoted_by,
    promotedAt: at(row.promoted_at),
    configVersion: row.config_version,
    action: (row.action ?? 'promote') as PromotionAction,
    capitalStage: row.capital_stage ?? null,
    targetCapital: row.target_capital ?? null,
    reason: row.reason ?? null,
  });
}

/** A defect row as a `DefectRecord` (`status` from whether it was closed). */
export function toDefect(row: Selectable<RegistryDefectsTable>): DefectRecord {
  return Object.freeze({
    id: row.id,
    experimentId: row.experiment_id,
    snapshotId: row.snapshot_id,
    severity: row.severity as DefectSeverity,
    title: row.title,
    detail: row.detail,
    source: row.source as DefectSource,
    incidentId: row.incident_id,
    openedBy: row.opened_by,
    openedAt: at(row.opened_at),
    status: row.closed_at === null ? 'open' : 'closed',
    closedBy: row.closed_by,
    closedAt: row.closed_at === null ? null : at(row.closed_at),
    resolution: row.resolution,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object) as unknown[]) deepFreeze(inner);
  }
  return value;
}

/** A sweep row as a `SweepRecord`. */
export function toSweep(row: Selectable<RegistrySweepsTable>): SweepRecord {
  return Object.freeze({
    id: row.id,
    experimentId: row.experiment_id,
    runId: row.run_id,
    digest: row.digest,
    artifactSha256: row.artifact_sha256,
    execution: row.execution as SweepExecution,
    reproduced: row.reproduced,
    strategy: row.strategy,
    strategyFileSha256: row.strategy_file_sha256,
    objective: row.objective,
    space: row.space,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    bars: row.bars,
    trials: row.trials,
    invalid: row.invalid,
    sharpeMean: row.sharpe_mean,
    sharpeVariance: row.sharpe_variance,
    bestSharpe: row.best_sharpe,
    deflatedSharpe: row.deflated_sharpe,
    perBarSharpeVariance: row.per_bar_sharpe_variance,
    pbo: row.pbo,
    recordedAt: at(row.recorded_at),
    recordedBy: row.recorded_by,
  });
}
