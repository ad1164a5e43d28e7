import type { EpochMs } from '@quantbot/core';
import type { JsonObject } from './canonical-json';
import type { StrategyFileRef } from './experiment-input';
import type { PaperDayInput } from './paper-days';

/**
 * The records the research registry keeps, as its API returns them (frozen). Times are epoch
 * milliseconds from the registry's Clock; ids are short stable strings (`exp-1`, `snap-3`,
 * `bt-7`, `val-2`, `rev-4`, `promo-1`) numbered per kind.
 */

/** Where a snapshot can be promoted to: first paper trading, then live trading. */
export type PromotionStage = 'paper' | 'live';

/** The stages in order. */
export const PROMOTION_STAGES: readonly PromotionStage[] = Object.freeze(['paper', 'live']);

/** A reviewer's decision. The latest review of a snapshot is the one that counts. */
export type ReviewDecision = 'approved' | 'changes-requested';

/** The decisions, for parsing. */
export const REVIEW_DECISIONS: readonly ReviewDecision[] = Object.freeze(['approved', 'changes-requested']);

/** One research question: a strategy, the hypothesis being tested, and who owns it. */
export interface Experiment {
  readonly id: string;
  readonly strategy: string;
  readonly hypothesis: string;
  readonly owner: string;
  /** The strategy file under study (`strategy` is its definition's name); null for a shipped strategy. */
  readonly strategyFile: StrategyFileRef | null;
  /** The snapshot evidence and checks refer to unless told otherwise: the last one registered. */
  readonly currentSnapshotId: string | null;
  readonly createdAt: EpochMs;
}

/** A set of parameters, identified by the SHA-256 of its canonical JSON (see `canonicalJson`). */
export interface ParameterSnapshot {
  readonly id: string;
  readonly experimentId: string;
  /** Hex SHA-256 of `canonicalJson(params)`; unique within an experiment. */
  readonly paramsHash: string;
  readonly params: JsonObject;
  /** The sha256 of the experiment's strategy file the parameters were checked against; null for a shipped strategy. */
  readonly strategyFileSha256: string | null;
  readonly label: string | null;
  readonly createdAt: EpochMs;
}

/** The metrics of a backtest the registry keeps; null where the run could not compute one. */
export interface BacktestMetrics {
  /** Annualized Sharpe ratio. */
  readonly sharpe: number | null;
  /** Total return as a fraction (0.1 = +10 %). */
  readonly totalReturn: number | null;
  /** Largest peak-to-trough equity drop, in percent (2.3 = 2.3 %). */
  readonly maxDrawdownPct: number | null;
  readonly closedTrades: number | null;
  /** Further numeric metrics of the run (cagr, sortino, …) by name. */
  readonly extra: { readonly [name: string]: number | null };
}

/** One backtest run of a snapshot: one trial of the experiment. */
export interface BacktestRecord {
  readonly id: string;
  readonly experimentId: string;
  readonly snapshotId: string;
  /** The backtester's run id (its folder under `results/runs`). */
  readonly runId: string;
  /** The run manifest's digest (hex SHA-256 over its deterministic artifacts). */
  readonly digest: string;
  /** True when whoever recorded it checked the run's files against the manifest and digest. */
  readonly digestVerified: boolean;
  readonly metrics: BacktestMetrics;
  /** Errors in the run's data-quality report; null when the run carried no report. */
  readonly dataQualityErrors: number | null;
  /** The lookahead check's verdict; null when the run was not checked. */
  readonly lookaheadPassed: boolean | null;
  readonly recordedAt: EpochMs;
  /** Who recorded it; null for records kept before recorders were recorded. */
  readonly recordedBy: string | null;
}

/** How an overfit ratio came out: a number, infinite (no out-of-sample edge), or undefined (no in-sample edge). */
export type OverfitRatioStatus = 'finite' | 'infinite' | 'no-in-sample-edge';

/** The Sharpe ratios and selection statistics of one walk-forward fold. */
export interface ValidationFold {
  readonly index: number;
  readonly inSample: FoldMetrics;
  readonly outOfSample: FoldMetrics;
  /** Points tried in sample in this fold; null when unknown. */
  readonly trials: number | null;
  /** Deflated Sharpe ratio of the fold's in-sample choice, when computed. */
  readonly deflatedSharpe: number | null;
  /** Probability of backtest overfitting of the fold's in-sample selection, when computed. */
  readonly pbo: number | null;
}

/** The metrics of one side (in or out of sample) of a fold. */
export interface FoldMetrics {
  readonly sharpe: number | null;
  readonly totalReturn: number | null;
  readonly maxDrawdownPct: number | null;
  readonly closedTrades: number | null;
}

/** What a walk-forward validation measured: shared by its input and its record. */
export interface ValidationFigures {
  readonly meanIsSharpe: number | null;
  readonly meanOosSharpe: number | null;
  /** Mean IS / mean OOS Sharpe: `Infinity` when the status is `infinite`, null when `no-in-sample-edge`. */
  readonly overfitRatio: number | null;
  readonly overfitRatioStatus: OverfitRatioStatus;
  /** The weakest fold's deflated Sharpe ratio (the lowest), or a value given directly; null when none. */
  readonly deflatedSharpe: number | null;
  /** The weakest fold's probability of backtest overfitting (the highest), or a value given directly. */
  readonly pbo: number | null;
  /** In-sample trials over all folds, when known. */
  readonly trials: number | null;
  /** The validation's own verdict, when it gave one (the registry's gates decide independently). */
  readonly passed: boolean | null;
  readonly reasons: readonly string[];
  readonly folds: readonly ValidationFold[];
}

/** Out-of-sample validation evidence (a walk-forward) of a snapshot. */
export interface ValidationRecord extends ValidationFigures {
  readonly id: string;
  readonly experimentId: string;
  readonly snapshotId: string;
  readonly kind: 'walk-forward';
  /** Where it came from (the artifact file), or null for a payload. */
  readonly source: string | null;
  /** Hex SHA-256 of the canonical JSON of the stored artifact, or null without one. */
  readonly artifactSha256: string | null;
  /**
   * True only when the promotion gate reproduced the walk-forward (re-ran it on the re-read data
   * and got the same artifact). Typed-in figures and artifacts without what defines them are
   * false (`unverified`): shown, but they never satisfy a strict gate.
   */
  readonly verified: boolean;
  readonly recordedAt: EpochMs;
  /** Who recorded it; null for records kept before recorders were recorded. */
  readonly recordedBy: string | null;
}

/** How a paper day was recorded: typed in by a person (`manual`), or by the trader itself (`trader`). */
export type PaperDaySource = 'manual' | 'trader';

/** One day of paper trading of a snapshot, as recorded. */
export interface PaperDayRecord extends PaperDayInput {
  readonly experimentId: string;
  readonly snapshotId: string;
  readonly source: PaperDaySource;
  readonly recordedAt: EpochMs;
  /** Who recorded it; null for records kept before recorders were recorded. */
  readonly recordedBy: string | null;
}

/** A review of a snapshot. */
export interface ReviewRecord {
  readonly id: string;
  readonly experimentId: string;
  readonly snapshotId: string;
  readonly decision: ReviewDecision;
  readonly reviewer: string;
  readonly comment: string | null;
  readonly reviewedAt: EpochMs;
}

/**
 * What a promotion row records: the promotion itself (`promote`), or a move of the live
 * snapshot's capital ramp: `advance` (one stage up, on evidence), `rollback` (one stage down after
 * a breach), `halt` (no capital), `resume` (a halt lifted, back to stage 0).
 */
export type PromotionAction = 'promote' | 'advance' | 'rollback' | 'halt' | 'resume';

/** The actions, in the order of a ramp's life. */
export const PROMOTION_ACTIONS: readonly PromotionAction[] = Object.freeze(['promote', 'advance', 'rollback', 'halt', 'resume']);

/**
 * A promotion: who promoted which snapshot to which stage, when, against which gate configuration;
 * or (an `action` other than `promote`) who moved the live snapshot's capital ramp, when and why.
 */
export interface PromotionRecord {
  readonly id: string;
  readonly experimentId: string;
  readonly snapshotId: string;
  readonly stage: PromotionStage;
  readonly promotedBy: string;
  readonly promotedAt: EpochMs;
  /** The version of the gate configuration the promotion was checked against. */
  readonly configVersion: number;
  /** `promote` for a promotion (every record before the capital ramp), else the ramp move. */
  readonly action: PromotionAction;
  /** The capital-ramp stage (0-based index into `ramp.stagesPct`) the row leaves the snapshot at; null for paper and pre-ramp promotions. */
  readonly capitalStage: number | null;
  /** The capital the ramp climbs to, in the account currency; null for paper and pre-ramp promotions. */
  readonly targetCapital: number | null;
  /** Why (a breach, a resume); null otherwise. */
  readonly reason: string | null;
}

/** How bad a defect is: `P1` (worst) to `P4`. Open `P1` and `P2` defects block live promotion and capital advances. */
export type DefectSeverity = 'P1' | 'P2' | 'P3' | 'P4';

/** The severities, worst first. */
export const DEFECT_SEVERITIES: readonly DefectSeverity[] = Object.freeze(['P1', 'P2', 'P3', 'P4']);

/** How a defect was opened: by a person (`manual`) or from an incident (`incident`, carrying its id). */
export type DefectSource = 'manual' | 'incident';

/** A defect of an experiment (optionally of one snapshot): open until closed with a resolution. */
export interface DefectRecord {
  /** `def-<n>`. */
  readonly id: string;
  readonly experimentId: string;
  readonly snapshotId: string | null;
  readonly severity: DefectSeverity;
  readonly title: string;
  readonly detail: string | null;
  readonly source: DefectSource;
  /** The incident it was opened from (source `incident`); null for manual defects. */
  readonly incidentId: string | null;
  readonly openedBy: string;
  readonly openedAt: EpochMs;
  readonly status: 'open' | 'closed';
  readonly closedBy: string | null;
  readonly closedAt: EpochMs | null;
  readonly resolution: string | null;
}

/** Where a sweep's trials ran: the submitting machine's threads, or distributed workers (`--distributed`). */
export type SweepExecution = 'local' | 'distributed';

/** The executions, for parsing. */
export const SWEEP_EXECUTIONS: readonly SweepExecution[] = Object.freeze(['local', 'distributed']);

/** What a sweep tried and how its trials came out: shared by its input and its record. */
export interface SweepFigures {
  /** The strategy the sweep ran (its definition's name for a strategy file). */
  readonly strategy: string;
  /** The sha256 of the strategy file it ran; null for a shipped strategy. */
  readonly strategyFileSha256: string | null;
  /** What ranked the trials (`sharpe`, …). */
  readonly objective: string;
  /** The parameter space as text (`fast=5..30:5,slow=20..100:10`); null when explicit points were swept. */
  readonly space: string | null;
  /** First and last bar of the data (ISO), and the bar count. */
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly bars: number;
  /** Parameter points run: the sweep's trials (≥ 1). */
  readonly trials: number;
  /** Points rejected before running (never trials). */
  readonly invalid: number;
  /** Mean of the trials' annualized Sharpe ratios (a trial without one counts as 0). */
  readonly sharpeMean: number;
  /** Sample variance of the trials' annualized Sharpe ratios; null with one trial. */
  readonly sharpeVariance: number | null;
  /** The best trial's annualized Sharpe ratio. */
  readonly bestSharpe: number;
  /** The sweep's own deflated Sharpe ratio of its best trial (over its trials); null when not computed. */
  readonly deflatedSharpe: number | null;
  /** The variance of the trials' per-bar Sharpe ratios that DSR used; null when not computed. */
  readonly perBarSharpeVariance: number | null;
  /** The sweep's probability of backtest overfitting; null when not computed. */
  readonly pbo: number | null;
}

/** A recorded sweep: every one of its trials is a trial of the experiment. */
export interface SweepRecord extends SweepFigures {
  readonly id: string;
  readonly experimentId: string;
  /** The run folder it was recorded from (the first one, when the same sweep was offered again). */
  readonly runId: string;
  /** The run manifest's digest. */
  readonly digest: string;
  /** Hex SHA-256 of `sweep.json`: the sweep's identity, recorded once per experiment. */
  readonly artifactSha256: string;
  readonly execution: SweepExecution;
  /** True when whoever recorded it re-ran the sweep and got the same `sweep.json`; otherwise its folder was only checked against its manifest. */
  readonly reproduced: boolean;
  readonly recordedAt: EpochMs;
  readonly recordedBy: string | null;
}

/**
 * An experiment's trials: its recorded backtests plus every trial of its recorded sweeps. `total`
 * is the `trials` of a deflated Sharpe ratio of the experiment's best result.
 */
export interface TrialCount {
  readonly total: number;
  /** Recorded backtests (each one trial). */
  readonly backtests: number;
  /** Recorded sweeps. */
  readonly sweeps: number;
  /** The trials of the recorded sweeps, summed. */
  readonly sweepTrials: number;
}
