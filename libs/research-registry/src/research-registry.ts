import type { Clock, EpochMs } from '@quantbot/core';
import { ConfigError, canonicalJson, epochMs, finiteOrNull } from '@quantbot/core';
import { NYSE_CALENDAR } from '@quantbot/data-quality';
import { withTransaction } from '@quantbot/storage';
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { BacktestInput } from './backtest-evidence';
import { checkBacktestInput } from './backtest-evidence';
import type { JsonObject } from './canonical-json';
import { asJsonObject, configErrorsAt, parameterHash } from './canonical-json';
import type { ExperimentInput } from './experiment-input';
import { MAX_HYPOTHESIS_LENGTH } from './experiment-input';
import type { DriftSummary } from './drift-summary';
import { summarizeDrift } from './drift-summary';
import type { PaperDayInput, TradingCalendar } from './paper-days';
import { isTradingDay, latestPaperStreak, parsePaperDays } from './paper-days';
import type { ReadinessReport } from './readiness-report';
import { assessPaperStability, blockerReason } from './readiness-report';
import type { PromotionChecklist, PromotionEvidence, PromotionReadiness } from './promotion-checklist';
import { assessPromotionReadiness, conflictOfDuties, evaluatePromotionChecklist } from './promotion-checklist';
import type { StrategyCatalog } from './strategy-catalog';
import type { PromotionGateConfig, RampBreachAction } from './promotion-gate-config';
import { DEFAULT_PROMOTION_GATE_CONFIG, RAMP_BREACH_ACTIONS, promotionGateConfigSha256 } from './promotion-gate-config';
import { PromotionBlockedError } from './promotion-blocked-error';
import { RegistryError } from './registry-error';
import type {
  BacktestRecord,
  DefectRecord,
  DefectSeverity,
  Experiment,
  PaperDayRecord,
  ParameterSnapshot,
  PromotionAction,
  PromotionRecord,
  PromotionStage,
  ReviewRecord,
  SweepRecord,
  TrialCount,
  ValidationRecord,
} from './registry-records';
import { DEFECT_SEVERITIES, PROMOTION_STAGES, REVIEW_DECISIONS } from './registry-records';
import type { BreachKind, CapitalStageReadiness, CapitalStageState } from './capital-ramp';
import { BREACH_KINDS, assessCapitalAdvance, dayDriftJudge } from './capital-ramp';
import { BLOCKING_DEFECT_SEVERITIES } from './promotion-checklist';
import type { ReviewInput } from './review-input';
import type { RegistryExperimentsTable, RegistryPromotionsTable, RegistrySnapshotsTable, RegistryTables, RegistryTradingDaysTable } from './registry-schema';
import { toBacktest, toDefect, toExperiment, toPaperDay, toPromotion, toReview, toSnapshot, toSweep, toTradingDay, toValidation } from './registry-rows';
import type { SweepInput } from './sweep-evidence';
import type { TradingDayInput } from './trading-day-input';
import type { TradingDayRecord } from './trading-days';
import { parseTradingDayInput } from './trading-days';
import type { ValidationInput } from './walk-forward-evidence';
import { artifactSha256 } from './walk-forward-evidence';

/** Options of {@link ResearchRegistry}. */
export interface ResearchRegistryOptions {
  /** Stamps every record (`createdAt`, `recordedAt`, …) and every checklist. */
  readonly clock: Clock;
  /** The gate thresholds checklists and promotions are judged by. Defaults to {@link DEFAULT_PROMOTION_GATE_CONFIG}. */
  readonly gates?: PromotionGateConfig;
  /**
   * The exchange calendar paper days are checked against and counted by (trading days,
   * consecutive sessions). Default: the NYSE calendar of `@quantbot/data-quality`.
   */
  readonly calendar?: TradingCalendar;
  /**
   * The strategies that exist and their parameter schemas: with a catalog, `createExperiment`
   * refuses an unknown strategy and `createSnapshot` refuses parameters that do not fit it. A
   * registry without one accepts any name and parameters (the promotion gate always wires one).
   */
  readonly strategies?: StrategyCatalog;
  /** Who records evidence when a record call names nobody (`recordedBy`); default: nobody (null). */
  readonly recorder?: string;
}

/** What {@link ResearchRegistry.openDefect} takes. */
export interface DefectInput extends SnapshotChoice {
  readonly severity: DefectSeverity;
  /** One line (at most 200 characters). */
  readonly title: string;
  /** More (at most 5000 characters). */
  readonly detail?: string | null;
  readonly openedBy: string;
  /** The incident it comes from: an incident opens one defect, however often it is reported. */
  readonly incidentId?: string;
}

/** What a promotion takes: the stage, who, and for live the capital the ramp climbs to. */
export interface PromoteInput extends SnapshotChoice {
  readonly stage: PromotionStage;
  readonly by: string;
  /** Live only (required there): the capital the ramp climbs to, in the account currency (finite, > 0). */
  readonly targetCapital?: number;
}

/** What a breach of a live ramp takes. */
export interface BreachInput extends SnapshotChoice {
  readonly kind: BreachKind;
  readonly reason: string;
  readonly by: string;
  /** What to do, overriding `ramp.onBreach` (an operator's explicit rollback or halt). Default: `ramp.onBreach`. */
  readonly action?: RampBreachAction;
}

/** Options of the calls that record evidence: the snapshot, and who records it. */
export interface RecordOptions extends SnapshotChoice {
  /** Who records it (kept with the record; may not approve the snapshot's review). Default: the registry's `recorder`. */
  readonly recordedBy?: string;
}

/** Which snapshot an operation is about; by default the experiment's current snapshot. */
export interface SnapshotChoice {
  readonly snapshotId?: string;
}

/** Options of checklist and readiness calls. */
export interface ChecklistOptions extends SnapshotChoice {
  /**
   * The stage to judge a promotion to. Default: the next one for the snapshot (`live` once it has
   * been promoted to paper, otherwise `paper`).
   */
  readonly stage?: PromotionStage;
}

/** The result of writing a record that may already exist. */
export interface Recorded<T> {
  readonly record: T;
  /** False when an identical record was already kept (nothing was written). */
  readonly created: boolean;
}

/** Which trader-recorded days to list: a snapshot's (default: every snapshot of the experiment), a stage's (default: both). */
export interface TradingDayFilter extends SnapshotChoice {
  readonly stage?: PromotionStage;
}

/**
 * The drift of a snapshot's trader-recorded days of one stage from the simulator's shadow fills,
 * over the latest consecutive run (by the calendar) of its complete days.
 */
export interface DriftReport extends DriftSummary {
  readonly experimentId: string;
  readonly snapshotId: string;
  readonly stage: PromotionStage;
  readonly generatedAt: EpochMs;
  readonly configVersion: number;
  readonly streakStart: string | null;
  readonly streakEnd: string | null;
  /** Complete trader days of the stage recorded for the snapshot (the run is the latest consecutive part of them). */
  readonly completeDays: number;
}

/** A snapshot with how many backtests (trials) were recorded for it. */
export interface SnapshotSummary extends ParameterSnapshot {
  readonly backtests: number;
}

/** Everything known about an experiment, for people and for `summary --json`. */
export interface ExperimentSummary {
  readonly experiment: Experiment;
  readonly snapshots: readonly SnapshotSummary[];
  /** The experiment's trials: recorded backtests plus the trials of recorded sweeps (`trials.total`). */
  readonly trialCount: number;
  readonly trials: TrialCount;
  /** The recorded sweeps, oldest first. */
  readonly sweeps: readonly SweepRecord[];
  /** The candidate snapshot's latest evidence (null snapshot: the experiment has none). */
  readonly candidate: {
    readonly snapshotId: string | null;
    readonly backtest: BacktestRecord | null;
    readonly validation: ValidationRecord | null;
    readonly review: ReviewRecord | null;
  };
  readonly promotions: readonly PromotionRecord[];
  readonly checklist: PromotionChecklist;
}

type Db = Kysely<RegistryTables> | Transaction<RegistryTables>;

/**
 * The research registry: experiments, content-hashed parameter snapshots, and the evidence
 * attached to a snapshot (backtests, walk-forward validations, trader-recorded trading days,
 * paper-trading days typed in by hand, reviews), the drift and readiness reports, the
 * promotion checklist built from it, and promotions. Every write is one transaction: a record
 * is kept whole or not at all.
 *
 * Snapshots: the same parameters (by canonical JSON, key order aside) are one snapshot per
 * experiment; registering them again returns the existing one. The snapshot last registered is
 * the experiment's *current* snapshot, which evidence and checks use unless another is named.
 *
 * @example
 * const storage = await openDatabase<RegistryTables>({ migrations: [...STORAGE_MIGRATIONS, ...REGISTRY_MIGRATIONS] });
 * const registry = new ResearchRegistry(storage.db, { clock, gates: loadPromotionGateConfig('config/promotion-gates.json') });
 * const experiment = await registry.createExperiment({ strategy: 'sma-crossover', hypothesis: 'trend persists', owner: 'alice' });
 * await registry.createSnapshot(experiment.id, { fast: 10, slow: 30 });
 * const readiness = await registry.isPromotionReady(experiment.id, { strict: true });
 */
export class ResearchRegistry {
  readonly #db: Kysely<RegistryTables>;
  readonly #clock: Clock;
  readonly #gates: PromotionGateConfig;
  readonly #calendar: TradingCalendar;
  readonly #strategies: StrategyCatalog | null;
  readonly #recorder: string | null;

  constructor(db: Kysely<RegistryTables>, options: ResearchRegistryOptions) {
    this.#db = db;
    this.#clock = options.clock;
    this.#gates = options.gates ?? DEFAULT_PROMOTION_GATE_CONFIG;
    this.#calendar = options.calendar ?? NYSE_CALENDAR;
    this.#strategies = options.strategies ?? null;
    this.#recorder = options.recorder === undefined ? null : requiredText(options.recorder, 'recorder');
  }

  /** The gate thresholds this registry judges by. */
  get gates(): PromotionGateConfig {
    return this.#gates;
  }

  /**
   * Creates an experiment; its id (`exp-<n>`) is in the result. With a strategy catalog, an
   * unknown strategy is a `ConfigError` naming `strategy` and listing those that exist. With
   * `input.strategyFile`, the experiment studies that file (its path, hash and version are
   * recorded; `strategy` is its definition's name, not looked up in the catalog).
   */
  async createExperiment(input: ExperimentInput): Promise<Experiment> {
    const strategy = requiredText(input.strategy, 'strategy');
    const file = input.strategyFile;
    if (file !== undefined && !/^[0-9a-f]{64}$/.test(file.sha256)) throw new ConfigError('strategyFile.sha256', 'must be 64 lowercase hex digits');
    if (this.#strategies !== null && file === undefined) {
      const known = this.#strategies.strategies();
      if (!known.includes(strategy)) throw new ConfigError('strategy', `unknown strategy '${strategy}'; available: ${known.join(', ')}`);
    }
    const hypothesis = requiredText(input.hypothesis, 'hypothesis', MAX_HYPOTHESIS_LENGTH);
    const owner = requiredText(input.owner, 'owner');
    const row = await withTransaction(this.#db, (trx) =>
      trx
        .insertInto('registry_experiments')
        .values({
          strategy,
          hypothesis,
          owner,
          current_snapshot_id: null,
          created_at: this.#nowIso(),
          ...(file === undefined
            ? {}
            : { strategy_file_path: requiredText(file.path, 'strategyFile.path'), strategy_file_sha256: file.sha256, strategy_version: requiredText(file.version, 'strategyFile.version') }),
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toExperiment(row);
  }

  /** The experiment `experimentId`; a `RegistryError` `REGISTRY_NOT_FOUND` when there is none. */
  async getExperiment(experimentId: string): Promise<Experiment> {
    return toExperiment(await findExperiment(this.#db, experimentId));
  }

  /** Every experiment, oldest first. */
  async listExperiments(): Promise<readonly Experiment[]> {
    const rows = await this.#db.selectFrom('registry_experiments').selectAll().orderBy('seq').execute();
    return Object.freeze(rows.map(toExperiment));
  }

  /**
   * Registers a parameter snapshot and makes it the experiment's current one. Parameters equal to
   * an existing snapshot's (same canonical JSON, whatever the key order) return that snapshot with
   * `created: false`; nothing is duplicated. A `label` is kept only when the snapshot is new.
   * Throws a `ConfigError` naming the path of a value JSON cannot hold exactly, and, with a
   * strategy catalog, one naming the parameter (`params.fast`) that does not fit the strategy's
   * schema (type, range, fast < slow). For an experiment of a strategy file, the catalog checks
   * against the recorded file (refusing one whose bytes changed) and the snapshot records its hash.
   */
  async createSnapshot(experimentId: string, params: JsonObject, options: { readonly label?: string | null } = {}): Promise<Recorded<ParameterSnapshot>> {
    const checked = asJsonObject(params);
    const json = canonicalJson(checked, configErrorsAt('params'));
    const hash = parameterHash(checked);
    const label = options.label === undefined || options.label === null ? null : requiredText(options.label, 'label');
    return withTransaction(this.#db, async (trx) => {
      const experiment = await findExperiment(trx, experimentId, { forUpdate: true });
      const file = toExperiment(experiment).strategyFile;
      if (file === null) await this.#strategies?.checkParams(experiment.strategy, checked);
      else await this.#strategies?.checkParams(experiment.strategy, checked, file);
      const inserted = await trx
        .insertInto('registry_snapshots')
        .values({ experiment_id: experimentId, params_hash: hash, params_json: json, label, created_at: this.#nowIso(), strategy_file_sha256: file?.sha256 ?? null })
        .onConflict((oc) => oc.columns(['experiment_id', 'params_hash']).doNothing())
        .returningAll()
        .executeTakeFirst();
      const row =
        inserted ??
        (await trx.selectFrom('registry_snapshots').selectAll().where('experiment_id', '=', experimentId).where('params_hash', '=', hash).executeTakeFirstOrThrow());
      await trx.updateTable('registry_experiments').set({ current_snapshot_id: row.id }).where('id', '=', experimentId).execute();
      return Object.freeze({ record: toSnapshot(row), created: inserted !== undefined });
    });
  }

  /** The experiment's snapshots, oldest first, each with its backtest count. */
  async listSnapshots(experimentId: string): Promise<readonly SnapshotSummary[]> {
    await findExperiment(this.#db, experimentId);
    const rows = await this.#db.selectFrom('registry_snapshots').selectAll().where('experiment_id', '=', experimentId).orderBy('seq').execute();
    const counts = await this.#db
      .selectFrom('registry_backtests')
      .select(['snapshot_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('experiment_id', '=', experimentId)
      .groupBy('snapshot_id')
      .execute();
    const bySnapshot = new Map(counts.map((c) => [c.snapshot_id, Number(c.n)]));
    return Object.freeze(rows.map((row) => Object.freeze({ ...toSnapshot(row), backtests: bySnapshot.get(row.id) ?? 0 })));
  }

  /**
   * The snapshot evidence is about: `snapshotId` when given (it must belong to the experiment),
   * else the current one. `RegistryError` `REGISTRY_NOT_FOUND` / `REGISTRY_NO_SNAPSHOT` otherwise.
   */
  async resolveSnapshot(experimentId: string, choice: SnapshotChoice = {}): Promise<ParameterSnapshot> {
    return toSnapshot(await resolveSnapshotRow(this.#db, await findExperiment(this.#db, experimentId), choice));
  }

  /**
   * Records a backtest of a snapshot: one more trial of the experiment. Recording the same run
   * again with the same digest, snapshot and verification is a no-op (`created: false`); the same
   * run id with anything else is a `REGISTRY_CONFLICT`.
   */
  async recordBacktest(experimentId: string, given: BacktestInput, choice: RecordOptions = {}): Promise<Recorded<BacktestRecord>> {
    const input = checkBacktestInput(given);
    const recordedBy = this.#recordedBy(choice);
    return withTransaction(this.#db, async (trx) => {
      const snapshot = await resolveSnapshotRow(trx, await findExperiment(trx, experimentId, { forUpdate: true }), choice);
      const existing = await trx.selectFrom('registry_backtests').selectAll().where('experiment_id', '=', experimentId).where('run_id', '=', input.runId).executeTakeFirst();
      if (existing !== undefined) {
        if (existing.digest === input.digest && existing.snapshot_id === snapshot.id && existing.digest_verified === input.digestVerified) {
          return Object.freeze({ record: toBacktest(existing), created: false });
        }
        throw new RegistryError(
          'REGISTRY_CONFLICT',
          `run ${input.runId} is already recorded for ${experimentId} as ${existing.id} (snapshot ${existing.snapshot_id}, digest ${existing.digest.slice(0, 12)}…, ` +
            `verified ${existing.digest_verified ? 'yes' : 'no'}); a run is one trial and is recorded once`,
        );
      }
      const row = await trx
        .insertInto('registry_backtests')
        .values({
          experiment_id: experimentId,
          snapshot_id: snapshot.id,
          run_id: input.runId,
          digest: input.digest,
          digest_verified: input.digestVerified,
          sharpe: finiteOrNull(input.metrics.sharpe),
          total_return: finiteOrNull(input.metrics.totalReturn),
          max_drawdown_pct: finiteOrNull(input.metrics.maxDrawdownPct),
          closed_trades: input.metrics.closedTrades,
          extra_metrics: JSON.stringify(finiteValues(input.metrics.extra)),
          data_quality_errors: input.dataQualityErrors,
          lookahead_passed: input.lookaheadPassed,
          recorded_at: this.#nowIso(),
          recorded_by: recordedBy,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return Object.freeze({ record: toBacktest(row), created: true });
    });
  }

  /** The experiment's backtests (all snapshots), oldest first. */
  async listBacktests(experimentId: string): Promise<readonly BacktestRecord[]> {
    await findExperiment(this.#db, experimentId);
    const rows = await this.#db.selectFrom('registry_backtests').selectAll().where('experiment_id', '=', experimentId).orderBy('seq').execute();
    return Object.freeze(rows.map(toBacktest));
  }

  /**
   * How many trials the experiment has run: every recorded backtest of any of its snapshots counts
   * once, and every recorded sweep counts its trials. This is the `trials` of a deflated Sharpe
   * ratio for the experiment's best result. See {@link trialCounts} for the parts.
   */
  async trialCount(experimentId: string): Promise<number> {
    return (await this.trialCounts(experimentId)).total;
  }

  /** The experiment's trial count and its parts: recorded backtests, recorded sweeps and their trials. */
  async trialCounts(experimentId: string): Promise<TrialCount> {
    await findExperiment(this.#db, experimentId);
    return countTrials(this.#db, experimentId);
  }

  /**
   * Records a parameter sweep of the experiment (see `sweepInputFromRunFolder`): each of its
   * trials is one more trial of the experiment. The sweep must have run the experiment's strategy
   * (a `ConfigError` naming `strategy` otherwise) and the same strategy file, or none for a
   * shipped strategy (naming `strategyFileSha256`). A sweep is identified by the SHA-256 of its
   * `sweep.json`: the same sweep recorded again, from its own folder or from another run of it
   * (a distributed run writes the same bytes as a local one), changes nothing (`created: false`).
   * Sweeps belong to the experiment, not to a snapshot: they try many parameter points.
   */
  async recordSweep(experimentId: string, input: SweepInput, options: { readonly recordedBy?: string } = {}): Promise<Recorded<SweepRecord>> {
    const recordedBy = this.#recordedBy(options);
    return withTransaction(this.#db, async (trx) => {
      const experiment = toExperiment(await findExperiment(trx, experimentId, { forUpdate: true }));
      if (input.strategy !== experiment.strategy) {
        throw new ConfigError('strategy', `the sweep ran '${input.strategy}', but ${experimentId} is an experiment of '${experiment.strategy}'; refused`);
      }
      const file = experiment.strategyFile?.sha256 ?? null;
      if (input.strategyFileSha256 !== file) {
        const describe = (sha: string | null): string => (sha === null ? 'no strategy file (a shipped strategy)' : `strategy file sha256 ${sha}`);
        throw new ConfigError(
          'strategyFileSha256',
          `the sweep ran ${describe(input.strategyFileSha256)}, but ${experimentId} records ${describe(file)}; refused: a changed strategy file is a different strategy`,
        );
      }
      const existing = await trx.selectFrom('registry_sweeps').selectAll().where('experiment_id', '=', experimentId).where('artifact_sha256', '=', input.artifactSha256).executeTakeFirst();
      // Recorded evidence is never overwritten: the first record stays as it is (`reproduced` too).
      if (existing !== undefined) return Object.freeze({ record: toSweep(existing), created: false });
      const row = await trx
        .insertInto('registry_sweeps')
        .values({
          experiment_id: experimentId,
          run_id: input.runId,
          digest: input.digest,
          artifact_sha256: input.artifactSha256,
          strategy: input.strategy,
          strategy_file_sha256: input.strategyFileSha256,
          objective: input.objective,
          space: input.space,
          period_start: input.periodStart,
          period_end: input.periodEnd,
          bars: input.bars,
          trials: input.trials,
          invalid: input.invalid,
          sharpe_mean: input.sharpeMean,
          sharpe_variance: input.sharpeVariance,
          best_sharpe: input.bestSharpe,
          deflated_sharpe: input.deflatedSharpe,
          per_bar_sharpe_variance: input.perBarSharpeVariance,
          pbo: input.pbo,
          execution: input.execution,
          reproduced: input.reproduced === true,
          recorded_at: this.#nowIso(),
          recorded_by: recordedBy,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return Object.freeze({ record: toSweep(row), created: true });
    });
  }

  /** The experiment's recorded sweeps, oldest first. */
  async listSweeps(experimentId: string): Promise<readonly SweepRecord[]> {
    await findExperiment(this.#db, experimentId);
    const rows = await this.#db.selectFrom('registry_sweeps').selectAll().where('experiment_id', '=', experimentId).orderBy('seq').execute();
    return Object.freeze(rows.map(toSweep));
  }

  /**
   * Records walk-forward validation evidence for a snapshot (the artifact, when given, is kept
   * whole). It is `verified` only when `input.verified` says the caller reproduced it; otherwise it
   * is kept as unverified evidence, which the walk-forward gates show but never judge. An
   * artifact of another strategy than the experiment's is a `ConfigError` naming `strategy`.
   */
  async recordValidation(experimentId: string, input: ValidationInput, choice: RecordOptions = {}): Promise<ValidationRecord> {
    checkOverfitRatio(input);
    const recordedBy = this.#recordedBy(choice);
    const row = await withTransaction(this.#db, async (trx) => {
      const experiment = await findExperiment(trx, experimentId, { forUpdate: true });
      if (input.strategy !== null && input.strategy !== experiment.strategy) {
        throw new ConfigError('strategy', `the walk-forward ran ${input.strategy}, but ${experimentId} is an experiment of ${experiment.strategy}`);
      }
      const snapshot = await resolveSnapshotRow(trx, experiment, choice);
      return trx
        .insertInto('registry_validations')
        .values({
          experiment_id: experimentId,
          snapshot_id: snapshot.id,
          kind: input.kind,
          source: input.source,
          artifact_sha256: input.artifact === null ? null : artifactSha256(input.artifact),
          strategy: input.strategy,
          mean_is_sharpe: finiteOrNull(input.meanIsSharpe),
          mean_oos_sharpe: finiteOrNull(input.meanOosSharpe),
          overfit_ratio: input.overfitRatioStatus === 'finite' ? input.overfitRatio : null,
          overfit_ratio_status: input.overfitRatioStatus,
          deflated_sharpe: finiteOrNull(input.deflatedSharpe),
          pbo: finiteOrNull(input.pbo),
          trials: input.trials,
          passed: input.passed,
          reasons: JSON.stringify(input.reasons),
          folds: JSON.stringify(input.folds),
          artifact: input.artifact === null ? null : JSON.stringify(input.artifact),
          recorded_at: this.#nowIso(),
          verified: input.verified === true,
          recorded_by: recordedBy,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return toValidation(row);
  }

  /** The experiment's validations, oldest first (with `snapshotId`: that snapshot's only). */
  async listValidations(experimentId: string, options: { readonly snapshotId?: string } = {}): Promise<readonly ValidationRecord[]> {
    await findExperiment(this.#db, experimentId);
    let query = this.#db.selectFrom('registry_validations').selectAll().where('experiment_id', '=', experimentId);
    if (options.snapshotId !== undefined) query = query.where('snapshot_id', '=', options.snapshotId);
    return Object.freeze((await query.orderBy('seq').execute()).map(toValidation));
  }

  /**
   * Records paper-trading days of a snapshot, typed in by a person (`source: 'manual'`), all or
   * none. Each day must be a trading day of the registry's exchange calendar, not after the
   * clock's today (UTC), and strictly after the date of the snapshot's first paper promotion (the
   * promotion day itself was not wholly paper-traded under it): otherwise a `RegistryError`
   * `REGISTRY_PAPER_DAY_REFUSED` naming `days[i].date`. A date already recorded for the snapshot
   * (or given twice) is a `REGISTRY_CONFLICT` naming it: a day's figures are evidence and are
   * never overwritten.
   */
  async recordPaperDays(experimentId: string, days: readonly PaperDayInput[], choice: RecordOptions = {}): Promise<readonly PaperDayRecord[]> {
    // The same checks as for a payload: real dates, each once, values in range (ConfigError naming `days[i].field`).
    const checked = parsePaperDays({ days });
    const seen = new Set(checked.map((day) => day.date));
    const recordedBy = this.#recordedBy(choice);
    const today = this.#nowIso().slice(0, 10);
    checked.forEach((day, i) => {
      const field = `days[${i}].date`;
      if (day.date > today) throw new RegistryError('REGISTRY_PAPER_DAY_REFUSED', `${field}: ${day.date} is in the future (today is ${today}); a paper day is recorded after it was traded`);
      if (!isTradingDay(this.#calendar, day.date)) {
        throw new RegistryError('REGISTRY_PAPER_DAY_REFUSED', `${field}: ${day.date} is not a trading day of the ${this.#calendar.name} calendar (weekend or holiday)`);
      }
    });
    const rows = await withTransaction(this.#db, async (trx) => {
      const snapshot = await resolveSnapshotRow(trx, await findExperiment(trx, experimentId, { forUpdate: true }), choice);
      const paper = await trx
        .selectFrom('registry_promotions')
        .select(['id', 'promoted_at'])
        .where('snapshot_id', '=', snapshot.id)
        .where('stage', '=', 'paper')
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst();
      if (paper === undefined) {
        throw new RegistryError(
          'REGISTRY_PAPER_DAY_REFUSED',
          `days[0].date: ${experimentId} snapshot ${snapshot.id} has not been promoted to paper; paper days count only after the paper promotion`,
        );
      }
      const promotedOn = new Date(paper.promoted_at).toISOString().slice(0, 10);
      checked.forEach((day, i) => {
        if (day.date <= promotedOn) {
          throw new RegistryError(
            'REGISTRY_PAPER_DAY_REFUSED',
            `days[${i}].date: ${day.date} is not after the paper promotion ${paper.id} on ${promotedOn}; paper days must follow it`,
          );
        }
      });
      const clash = await trx
        .selectFrom('registry_paper_days')
        .select('trade_date')
        .where('snapshot_id', '=', snapshot.id)
        .where('trade_date', 'in', [...seen])
        .orderBy('trade_date')
        .execute();
      if (clash.length > 0) {
        throw new RegistryError(
          'REGISTRY_CONFLICT',
          `paper day(s) ${clash.map((c) => c.trade_date).join(', ')} already recorded for ${experimentId} snapshot ${snapshot.id}; recorded days are never overwritten`,
        );
      }
      const recordedAt = this.#nowIso();
      return trx
        .insertInto('registry_paper_days')
        .values(
          checked.map((day) => ({
            experiment_id: experimentId,
            snapshot_id: snapshot.id,
            trade_date: day.date,
            daily_pnl: day.dailyPnl,
            quality_score: day.qualityScore,
            average_slippage_bps: day.averageSlippageBps,
            fill_rate: day.fillRate,
            drawdown_pct: day.drawdownPct,
            equity: day.equity,
            recorded_at: recordedAt,
            source: 'manual',
            recorded_by: recordedBy,
          })),
        )
        .returningAll()
        .execute();
    });
    return Object.freeze(rows.map(toPaperDay).sort((a, b) => compareText(a.date, b.date)));
  }

  /** A snapshot's paper days by date (default: the current snapshot). */
  async listPaperDays(experimentId: string, choice: SnapshotChoice = {}): Promise<readonly PaperDayRecord[]> {
    const snapshot = await this.resolveSnapshot(experimentId, choice);
    const rows = await this.#db.selectFrom('registry_paper_days').selectAll().where('snapshot_id', '=', snapshot.id).orderBy('trade_date').execute();
    return Object.freeze(rows.map(toPaperDay));
  }

  /**
   * Records a trading day the live trader traded (source `trader`): the evidence the paper gates,
   * the drift gates and the readiness report count. The input is checked as
   * {@link parseTradingDayInput} checks a payload (a `ConfigError` naming the field). Rules:
   *
   * - `date` is a trading day of the registry's calendar, not after the clock's today (UTC), and
   *   strictly after the date of the snapshot's first promotion to `input.stage` (a snapshot never
   *   promoted to it is refused too): otherwise `REGISTRY_TRADING_DAY_REFUSED` naming `date`;
   * - the same record again (same input, field for field) is a no-op: `created: false`;
   * - a complete day is never overwritten, and a day recorded by another session is never
   *   replaced: `REGISTRY_CONFLICT` naming `date`;
   * - a partial day (`complete: false`) is replaced by a later record of the same date from the
   *   same session, in one transaction, keeping its id with `revision` + 1.
   */
  async recordTradingDay(experimentId: string, given: TradingDayInput, options: RecordOptions = {}): Promise<Recorded<TradingDayRecord>> {
    const input = parseTradingDayInput(given);
    const recordedBy = this.#recordedBy(options);
    const today = this.#nowIso().slice(0, 10);
    if (input.date > today) {
      throw new RegistryError('REGISTRY_TRADING_DAY_REFUSED', `date: ${input.date} is in the future (today is ${today}); a trading day is recorded after it was traded`);
    }
    if (!isTradingDay(this.#calendar, input.date)) {
      throw new RegistryError('REGISTRY_TRADING_DAY_REFUSED', `date: ${input.date} is not a trading day of the ${this.#calendar.name} calendar (weekend or holiday)`);
    }
    return withTransaction(this.#db, async (trx) => {
      const snapshot = await resolveSnapshotRow(trx, await findExperiment(trx, experimentId, { forUpdate: true }), options);
      const promotion = await trx
        .selectFrom('registry_promotions')
        .select(['id', 'promoted_at'])
        .where('snapshot_id', '=', snapshot.id)
        .where('stage', '=', input.stage)
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst();
      if (promotion === undefined) {
        throw new RegistryError(
          'REGISTRY_TRADING_DAY_REFUSED',
          `date: ${experimentId} snapshot ${snapshot.id} has not been promoted to ${input.stage}; ${input.stage} days count only after that promotion`,
        );
      }
      const promotedOn = new Date(promotion.promoted_at).toISOString().slice(0, 10);
      if (input.date <= promotedOn) {
        throw new RegistryError(
          'REGISTRY_TRADING_DAY_REFUSED',
          `date: ${input.date} is not after the ${input.stage} promotion ${promotion.id} on ${promotedOn}; ${input.stage} days must follow it`,
        );
      }
      const values = tradingDayValues(input);
      const existing = await trx
        .selectFrom('registry_trading_days')
        .selectAll()
        .where('snapshot_id', '=', snapshot.id)
        .where('stage', '=', input.stage)
        .where('trade_date', '=', input.date)
        .forUpdate()
        .executeTakeFirst();
      if (existing === undefined) {
        const row = await trx
          .insertInto('registry_trading_days')
          .values({ ...values, experiment_id: experimentId, snapshot_id: snapshot.id, revision: 0, recorded_at: this.#nowIso(), recorded_by: recordedBy })
          .returningAll()
          .executeTakeFirstOrThrow();
        return Object.freeze({ record: toTradingDay(row), created: true });
      }
      const kept = toTradingDay(existing);
      if (sameTradingDay(kept, input)) return Object.freeze({ record: kept, created: false });
      const where = `${input.stage} day ${input.date} of ${experimentId} snapshot ${snapshot.id}`;
      if (existing.complete) {
        throw new RegistryError('REGISTRY_CONFLICT', `date: ${where} is already recorded complete as ${existing.id} (session ${existing.session_id}); a complete day is never overwritten`);
      }
      if (existing.session_id !== input.sessionId) {
        throw new RegistryError(
          'REGISTRY_CONFLICT',
          `date: ${where} is already recorded as ${existing.id} by session ${existing.session_id}; session ${input.sessionId} may not replace it (only the same session completes a partial day)`,
        );
      }
      const row = await trx
        .updateTable('registry_trading_days')
        .set({ ...values, revision: existing.revision + 1, recorded_at: this.#nowIso(), recorded_by: recordedBy })
        .where('seq', '=', existing.seq)
        .returningAll()
        .executeTakeFirstOrThrow();
      return Object.freeze({ record: toTradingDay(row), created: true });
    });
  }

  /**
   * The experiment's trader-recorded days, oldest first (by date, then by recording order): of
   * every snapshot unless `snapshotId` names one (it must be the experiment's), of both stages
   * unless `stage` names one.
   */
  async listTradingDays(experimentId: string, filter: TradingDayFilter = {}): Promise<readonly TradingDayRecord[]> {
    const experiment = await findExperiment(this.#db, experimentId);
    if (filter.stage !== undefined && !PROMOTION_STAGES.includes(filter.stage)) {
      throw new ConfigError('stage', `must be one of ${PROMOTION_STAGES.join(', ')}, got '${String(filter.stage)}'`);
    }
    let query = this.#db.selectFrom('registry_trading_days').selectAll().where('experiment_id', '=', experimentId);
    if (filter.snapshotId !== undefined) query = query.where('snapshot_id', '=', (await resolveSnapshotRow(this.#db, experiment, filter)).id);
    if (filter.stage !== undefined) query = query.where('stage', '=', filter.stage);
    return Object.freeze((await query.orderBy('trade_date').orderBy('seq').execute()).map(toTradingDay));
  }

  /**
   * The drift of a snapshot's trader-recorded days from the simulator's shadow fills (see
   * `summarizeDrift`), over the latest consecutive run of complete days of `stage` (default: the
   * stage the snapshot trades at now: `live` once promoted live, else `paper`), against the
   * registry's `gates.drift`.
   */
  async driftReport(experimentId: string, filter: TradingDayFilter = {}): Promise<DriftReport> {
    if (filter.stage !== undefined && !PROMOTION_STAGES.includes(filter.stage)) {
      throw new ConfigError('stage', `must be one of ${PROMOTION_STAGES.join(', ')}, got '${String(filter.stage)}'`);
    }
    return withTransaction(this.#db, async (trx) => {
      const snapshot = await resolveSnapshotRow(trx, await findExperiment(trx, experimentId), filter);
      const live = await trx.selectFrom('registry_promotions').select('id').where('snapshot_id', '=', snapshot.id).where('stage', '=', 'live').limit(1).executeTakeFirst();
      const stage = filter.stage ?? (live === undefined ? 'paper' : 'live');
      const rows = await trx.selectFrom('registry_trading_days').selectAll().where('snapshot_id', '=', snapshot.id).where('stage', '=', stage).where('complete', '=', true).execute();
      const run = latestPaperStreak(rows.map(toTradingDay), this.#calendar);
      return Object.freeze({
        experimentId,
        snapshotId: snapshot.id,
        stage,
        generatedAt: this.#clock.now(),
        configVersion: this.#gates.version,
        streakStart: run[0]?.date ?? null,
        streakEnd: run.at(-1)?.date ?? null,
        completeDays: rows.length,
        ...summarizeDrift(run, this.#gates.gates.drift),
      });
    });
  }

  /**
   * Whether the snapshot (default: the current one) is ready for live, with everything behind the
   * verdict (see {@link ReadinessReport}): `ready` is the strict live readiness of the checklist,
   * `reasons` one sentence per blocker naming its gate.
   */
  async readiness(experimentId: string, choice: SnapshotChoice = {}): Promise<ReadinessReport> {
    return withTransaction(this.#db, async (trx) => {
      const evidence = await this.#evidence(trx, experimentId, choice, false);
      const experiment = await findExperiment(trx, experimentId);
      const checklist = evaluatePromotionChecklist(evidence, this.#gates, { stage: 'live', generatedAt: this.#clock.now(), calendar: this.#calendar });
      const verdict = assessPromotionReadiness(checklist, { strict: true });
      const counted = (evidence.tradingDays ?? []).filter((d) => d.stage === 'paper' && d.complete);
      const run = latestPaperStreak(counted, this.#calendar);
      const { paper } = checklist;
      return Object.freeze({
        experimentId,
        snapshotId: checklist.snapshotId,
        paramsHash: checklist.paramsHash,
        strategy: experiment.strategy,
        generatedAt: checklist.generatedAt,
        configVersion: checklist.configVersion,
        configSha256: checklist.configSha256,
        stage: 'live' as const,
        ready: verdict.ready,
        reasons: Object.freeze(verdict.blockers.map(blockerReason)),
        paper: Object.freeze({
          requiredDays: this.#gates.gates.paper.minDays,
          streakDays: paper.streakDays,
          streakStart: paper.streakStart,
          streakEnd: paper.streakEnd,
          traderDays: paper.traderDays,
          manualDays: paper.manualDays,
          partialDays: paper.partialDays,
          totalPnl: paper.totalPnl,
          maxDrawdownPct: paper.maxDrawdownPct,
          stability: assessPaperStability(run, this.#gates.gates.paper.maxDrawdownPct),
        }),
        drift: checklist.drift,
        walkForward: evidence.validation,
        openDefects: Object.freeze(await openDefectsOf(trx, experimentId, false)),
        checklist,
      });
    });
  }

  /**
   * Records a review of a snapshot: approved, or changes requested. The latest review is the one
   * that counts. Separation of duties: an approval by the experiment's owner, or by anyone who
   * recorded evidence of the snapshot (a backtest, a validation, a paper day), is a `RegistryError`
   * `REGISTRY_SEPARATION_OF_DUTIES` naming who and why; nothing is recorded. (Names are compared
   * trimmed and case-insensitively.) Requesting changes is open to anyone.
   */
  async recordReview(experimentId: string, input: ReviewInput, choice: SnapshotChoice = {}): Promise<ReviewRecord> {
    if (!REVIEW_DECISIONS.includes(input.decision)) {
      throw new ConfigError('decision', `must be one of ${REVIEW_DECISIONS.join(', ')}, got '${String(input.decision)}'`);
    }
    const reviewer = requiredText(input.reviewer, 'reviewer');
    const comment = input.comment === null ? null : requiredText(input.comment, 'comment', 5000);
    const row = await withTransaction(this.#db, async (trx) => {
      const experiment = await findExperiment(trx, experimentId, { forUpdate: true });
      const snapshot = await resolveSnapshotRow(trx, experiment, choice);
      if (input.decision === 'approved') {
        const conflict = conflictOfDuties(reviewer, experiment.owner, await snapshotRecorders(trx, snapshot.id));
        if (conflict !== null) {
          throw new RegistryError(
            'REGISTRY_SEPARATION_OF_DUTIES',
            `reviewer: ${conflict} (${experimentId} snapshot ${snapshot.id}); a review must be approved by someone other than the owner and the recorders of its evidence`,
          );
        }
      }
      return trx
        .insertInto('registry_reviews')
        .values({ experiment_id: experimentId, snapshot_id: snapshot.id, decision: input.decision, reviewer, comment, reviewed_at: this.#nowIso() })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return toReview(row);
  }

  /** The experiment's reviews, oldest first. */
  async listReviews(experimentId: string): Promise<readonly ReviewRecord[]> {
    await findExperiment(this.#db, experimentId);
    const rows = await this.#db.selectFrom('registry_reviews').selectAll().where('experiment_id', '=', experimentId).orderBy('seq').execute();
    return Object.freeze(rows.map(toReview));
  }

  /** The experiment's promotions, oldest first. */
  async listPromotions(experimentId: string): Promise<readonly PromotionRecord[]> {
    await findExperiment(this.#db, experimentId);
    const rows = await this.#db.selectFrom('registry_promotions').selectAll().where('experiment_id', '=', experimentId).orderBy('seq').execute();
    return Object.freeze(rows.map(toPromotion));
  }

  /**
   * Every gate of a promotion with its threshold, the measured value and pass / fail / missing,
   * from the candidate snapshot's latest evidence (see `evaluatePromotionChecklist` for the rules).
   * An experiment without snapshots gets a checklist where everything is missing.
   */
  async generatePromotionChecklist(experimentId: string, options: ChecklistOptions = {}): Promise<PromotionChecklist> {
    return withTransaction(this.#db, (trx) => this.#checklist(trx, experimentId, options, false));
  }

  /**
   * Whether the candidate snapshot may be promoted: failing required gates block; with `strict`,
   * required gates without evidence block too (otherwise they are warnings).
   */
  async isPromotionReady(experimentId: string, options: ChecklistOptions & { readonly strict: boolean }): Promise<PromotionReadiness> {
    return assessPromotionReadiness(await this.generatePromotionChecklist(experimentId, options), { strict: options.strict });
  }

  /**
   * Promotes the candidate snapshot to `stage`, recording who did it, when, and the checklist that
   * allowed it. Always strict: missing evidence blocks like failing evidence. Throws a
   * {@link PromotionBlockedError} (listing the blockers) and records nothing while any remain.
   */
  async promote(experimentId: string, input: PromoteInput): Promise<{ readonly promotion: PromotionRecord; readonly readiness: PromotionReadiness }> {
    if (!PROMOTION_STAGES.includes(input.stage)) throw new ConfigError('stage', `must be one of ${PROMOTION_STAGES.join(', ')}, got '${String(input.stage)}'`);
    const by = requiredText(input.by, 'by');
    const targetCapital = checkTargetCapital(input);
    return withTransaction(this.#db, async (trx) => {
      const checklist = await this.#checklist(trx, experimentId, input, true);
      const readiness = assessPromotionReadiness(checklist, { strict: true });
      if (!readiness.ready || checklist.snapshotId === null) throw new PromotionBlockedError(readiness);
      if (input.stage === 'live') {
        const ramp = await latestRampRow(trx, checklist.snapshotId);
        if (ramp?.action === 'halt') {
          throw new RegistryError(
            'REGISTRY_CONFLICT',
            `${experimentId} snapshot ${checklist.snapshotId} is halted on its capital ramp (${ramp.id}: ${ramp.reason ?? 'no reason'}); resume it, a new live promotion does not lift a halt`,
          );
        }
      }
      const row = await trx
        .insertInto('registry_promotions')
        .values({
          experiment_id: experimentId,
          snapshot_id: checklist.snapshotId,
          stage: input.stage,
          promoted_by: by,
          promoted_at: this.#nowIso(),
          config_version: this.#gates.version,
          config_sha256: promotionGateConfigSha256(this.#gates),
          checklist: JSON.stringify(checklist, finiteJson),
          action: 'promote',
          capital_stage: targetCapital === null ? null : 0,
          target_capital: targetCapital,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return Object.freeze({ promotion: toPromotion(row), readiness });
    });
  }

  /**
   * Where the live snapshot stands on its capital ramp: the stage, its percent of the target
   * capital, the notional cap the trader enforces (0 while halted), and the latest ramp row.
   * The snapshot is `snapshotId` when given, else the one the experiment last promoted to live.
   * Null when it was never promoted to live with a target capital.
   */
  async capitalStage(experimentId: string, choice: SnapshotChoice = {}): Promise<CapitalStageState | null> {
    return withTransaction(this.#db, (trx) => this.#rampState(trx, experimentId, choice, false));
  }

  /**
   * Advances the live snapshot one capital stage, on evidence only: not halted, not at the last
   * stage, at least `ramp.minDaysPerStage` complete live trader days (`registry_trading_days`) at
   * the current stage dated after the stage began, no day at the stage with drift beyond the
   * thresholds (`gates.drift`, each day judged as the drift gates judge a run), and no open P1 or P2 defect. Otherwise a
   * {@link PromotionBlockedError} whose `capitalStage` lists every check, and nothing is written.
   * Writes an `advance` row with who, when and the evidence (the checks and the day ids).
   */
  async advanceCapitalStage(
    experimentId: string,
    input: { readonly by: string } & SnapshotChoice,
  ): Promise<{ readonly state: CapitalStageState; readonly readiness: CapitalStageReadiness }> {
    const by = requiredText(input.by, 'by');
    return withTransaction(this.#db, async (trx) => {
      const state = await this.#requireRampState(trx, experimentId, input);
      const since = new Date(state.since).toISOString().slice(0, 10);
      const days = await trx
        .selectFrom('registry_trading_days')
        .select(['id', 'trade_date', 'complete', 'drift'])
        .where('snapshot_id', '=', state.snapshotId)
        .where('stage', '=', 'live')
        .where('capital_stage', '=', state.stageIndex)
        .where('trade_date', '>', since)
        .orderBy('trade_date')
        .execute();
      const readiness = assessCapitalAdvance({
        state,
        ramp: this.#gates.ramp,
        days: days.map((d) => ({ id: d.id, date: d.trade_date, complete: d.complete, drift: d.drift })),
        openDefects: await openDefectsOf(trx, experimentId),
        driftJudge: dayDriftJudge(this.#gates.gates.drift),
        generatedAt: this.#clock.now(),
      });
      if (!readiness.ready || readiness.toStageIndex === null) throw new PromotionBlockedError(readiness);
      const row = await this.#insertRampRow(trx, state, 'advance', readiness.toStageIndex, by, null, { advance: readiness });
      return Object.freeze({ state: this.#stateOf(row), readiness });
    });
  }

  /**
   * Applies a breach of the live ramp (`kind`: drawdown, drift, incident, manual) as
   * `ramp.onBreach` says (or `action`, when given): `rollback` goes one stage down (at stage 0 it
   * halts), `halt` halts.
   * Writes a `rollback` or `halt` row with who, when and why (`<kind>: <reason>`); a breach of a
   * halted ramp is recorded as another `halt`. Returns the new state.
   */
  async breachCapitalStage(experimentId: string, input: BreachInput): Promise<CapitalStageState> {
    return (await this.#breach(experimentId, input, null)).record;
  }

  /**
   * A breach recorded once per `key` (the live trader uses `<session>/<date>`): a breach whose key
   * the experiment's ramp already holds writes nothing and returns the state as it is, with
   * `created: false`. A day recorded again (partial, then complete after a restart) is so judged,
   * but never punished twice.
   */
  async breachCapitalStageOnce(experimentId: string, input: BreachInput & { readonly key: string }): Promise<Recorded<CapitalStageState>> {
    return this.#breach(experimentId, input, requiredText(input.key, 'key'));
  }

  async #breach(experimentId: string, input: BreachInput, key: string | null): Promise<Recorded<CapitalStageState>> {
    if (!BREACH_KINDS.includes(input.kind)) throw new ConfigError('kind', `must be one of ${BREACH_KINDS.join(', ')}, got '${String(input.kind)}'`);
    if (input.action !== undefined && !RAMP_BREACH_ACTIONS.includes(input.action)) {
      throw new ConfigError('action', `must be one of ${RAMP_BREACH_ACTIONS.join(', ')}, got '${String(input.action)}'`);
    }
    const onBreach = input.action ?? this.#gates.ramp.onBreach;
    const reason = `${input.kind}: ${requiredText(input.reason, 'reason', 1000)}`;
    const by = requiredText(input.by, 'by');
    return withTransaction(this.#db, async (trx) => {
      const state = await this.#requireRampState(trx, experimentId, input);
      if (key !== null) {
        const breaches = await trx.selectFrom('registry_promotions').select('checklist').where('experiment_id', '=', experimentId).where('action', 'in', ['rollback', 'halt']).execute();
        const seen = breaches.some((row) => {
          const breach = (row.checklist as { readonly breach?: { readonly key?: unknown } } | null)?.breach;
          return breach?.key === key;
        });
        if (seen) return Object.freeze({ record: state, created: false });
      }
      const rollback = onBreach === 'rollback' && !state.halted && state.stageIndex > 0;
      const action: PromotionAction = rollback ? 'rollback' : 'halt';
      const stage = rollback ? state.stageIndex - 1 : state.stageIndex;
      const row = await this.#insertRampRow(trx, state, action, stage, by, reason, { breach: { kind: input.kind, onBreach, from: state, ...(key !== null ? { key } : {}) } });
      return Object.freeze({ record: this.#stateOf(row), created: true });
    });
  }

  /** Lifts a halt: the live ramp starts again at stage 0 (a `resume` row with who, when, why). Not halted: a `REGISTRY_CONFLICT`. */
  async resumeCapitalStage(experimentId: string, input: { readonly by: string; readonly reason: string } & SnapshotChoice): Promise<CapitalStageState> {
    const reason = requiredText(input.reason, 'reason', 1000);
    const by = requiredText(input.by, 'by');
    return withTransaction(this.#db, async (trx) => {
      const state = await this.#requireRampState(trx, experimentId, input);
      if (!state.halted) {
        throw new RegistryError('REGISTRY_CONFLICT', `${experimentId} snapshot ${state.snapshotId} is not halted (stage ${state.stageIndex}, ${state.lastAction} ${state.promotionId}); only a halt is resumed`);
      }
      const row = await this.#insertRampRow(trx, state, 'resume', 0, by, reason, { resume: { from: state } });
      return this.#stateOf(row);
    });
  }

  /**
   * Opens a defect of an experiment (of one snapshot with `snapshotId`). With `incidentId` the
   * defect comes from that incident (`source: 'incident'`), and an incident already registered
   * returns its defect with `created: false` (an incident opens one defect, however often it is
   * reported; one of another experiment is a `REGISTRY_CONFLICT`). Open P1 and P2 defects block
   * live promotion (gate `open-defects`) and capital advances.
   */
  async openDefect(experimentId: string, input: DefectInput): Promise<Recorded<DefectRecord>> {
    if (!DEFECT_SEVERITIES.includes(input.severity)) throw new ConfigError('severity', `must be one of ${DEFECT_SEVERITIES.join(', ')}, got '${String(input.severity)}'`);
    const title = requiredText(input.title, 'title');
    const detail = input.detail === undefined || input.detail === null ? null : requiredText(input.detail, 'detail', 5000);
    const openedBy = requiredText(input.openedBy, 'openedBy');
    const incidentId = input.incidentId === undefined ? null : requiredText(input.incidentId, 'incidentId');
    return withTransaction(this.#db, async (trx) => {
      const experiment = await findExperiment(trx, experimentId, { forUpdate: true });
      const snapshotId = input.snapshotId === undefined ? null : (await resolveSnapshotRow(trx, experiment, input)).id;
      const inserted = await trx
        .insertInto('registry_defects')
        .values({
          experiment_id: experimentId,
          snapshot_id: snapshotId,
          severity: input.severity,
          title,
          detail,
          source: incidentId === null ? 'manual' : 'incident',
          incident_id: incidentId,
          opened_by: openedBy,
          opened_at: this.#nowIso(),
        })
        .onConflict((oc) => oc.column('incident_id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted !== undefined) return Object.freeze({ record: toDefect(inserted), created: true });
      const existing = await trx.selectFrom('registry_defects').selectAll().where('incident_id', '=', incidentId).executeTakeFirstOrThrow();
      if (existing.experiment_id !== experimentId) {
        throw new RegistryError('REGISTRY_CONFLICT', `incident ${String(incidentId)} already opened ${existing.id} of ${existing.experiment_id}, not of ${experimentId}`);
      }
      return Object.freeze({ record: toDefect(existing), created: false });
    });
  }

  /** Closes an open defect with who and the resolution. Unknown: `REGISTRY_NOT_FOUND`; already closed: `REGISTRY_CONFLICT`. */
  async closeDefect(defectId: string, input: { readonly by: string; readonly resolution: string }): Promise<DefectRecord> {
    if (typeof defectId !== 'string' || defectId.trim() === '') throw new ConfigError('defect', 'a defect id is required (def-<n>)');
    const by = requiredText(input.by, 'by');
    const resolution = requiredText(input.resolution, 'resolution', 5000);
    return withTransaction(this.#db, async (trx) => {
      const row = await trx.selectFrom('registry_defects').selectAll().where('id', '=', defectId).forUpdate().executeTakeFirst();
      if (row === undefined) throw new RegistryError('REGISTRY_NOT_FOUND', `no defect '${defectId}' in the registry`);
      if (row.closed_at !== null) {
        throw new RegistryError('REGISTRY_CONFLICT', `${defectId} is already closed (by ${String(row.closed_by)} at ${row.closed_at.toISOString()}: ${String(row.resolution)})`);
      }
      const closed = await trx
        .updateTable('registry_defects')
        .set({ closed_by: by, closed_at: this.#nowIso(), resolution })
        .where('id', '=', defectId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDefect(closed);
    });
  }

  /** The experiment's defects, oldest first; `status` keeps only the open or the closed ones. */
  async listDefects(experimentId: string, options: { readonly status?: 'open' | 'closed' } = {}): Promise<readonly DefectRecord[]> {
    if (options.status !== undefined && options.status !== 'open' && options.status !== 'closed') {
      throw new ConfigError('status', `must be 'open' or 'closed', got '${String(options.status)}'`);
    }
    await findExperiment(this.#db, experimentId);
    let query = this.#db.selectFrom('registry_defects').selectAll().where('experiment_id', '=', experimentId);
    if (options.status === 'open') query = query.where('closed_at', 'is', null);
    if (options.status === 'closed') query = query.where('closed_at', 'is not', null);
    return Object.freeze((await query.orderBy('seq').execute()).map(toDefect));
  }

  async #rampState(trx: Transaction<RegistryTables>, experimentId: string, choice: SnapshotChoice, forUpdate: boolean): Promise<CapitalStageState | null> {
    const experiment = await findExperiment(trx, experimentId, { forUpdate });
    let snapshotId: string;
    if (choice.snapshotId !== undefined) {
      snapshotId = (await resolveSnapshotRow(trx, experiment, choice)).id;
    } else {
      const live = await trx
        .selectFrom('registry_promotions')
        .select('snapshot_id')
        .where('experiment_id', '=', experimentId)
        .where('stage', '=', 'live')
        .where('action', '=', 'promote')
        .where('capital_stage', 'is not', null)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (live === undefined) return null;
      snapshotId = live.snapshot_id;
    }
    const row = await latestRampRow(trx, snapshotId);
    return row === undefined ? null : this.#stateOf(row);
  }

  async #requireRampState(trx: Transaction<RegistryTables>, experimentId: string, choice: SnapshotChoice): Promise<CapitalStageState> {
    const state = await this.#rampState(trx, experimentId, choice, true);
    if (state === null) {
      const which = choice.snapshotId === undefined ? '' : ` snapshot ${choice.snapshotId}`;
      throw new RegistryError('REGISTRY_NOT_FOUND', `${experimentId}${which} has no capital ramp: it was never promoted to live with a target capital`);
    }
    return state;
  }

  async #insertRampRow(
    trx: Transaction<RegistryTables>,
    state: CapitalStageState,
    action: PromotionAction,
    capitalStage: number,
    by: string,
    reason: string | null,
    evidence: object,
  ): Promise<Selectable<RegistryPromotionsTable>> {
    return trx
      .insertInto('registry_promotions')
      .values({
        experiment_id: state.experimentId,
        snapshot_id: state.snapshotId,
        stage: 'live',
        promoted_by: by,
        promoted_at: this.#nowIso(),
        config_version: this.#gates.version,
        config_sha256: promotionGateConfigSha256(this.#gates),
        checklist: JSON.stringify(evidence, finiteJson),
        action,
        capital_stage: capitalStage,
        target_capital: state.targetCapital,
        reason,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  #stateOf(row: Selectable<RegistryPromotionsTable>): CapitalStageState {
    const { stagesPct } = this.#gates.ramp;
    const stageIndex = row.capital_stage ?? 0;
    const stagePct = stagesPct[Math.min(stageIndex, stagesPct.length - 1)] as number;
    const targetCapital = row.target_capital ?? 0;
    const halted = row.action === 'halt';
    return Object.freeze({
      experimentId: row.experiment_id,
      snapshotId: row.snapshot_id,
      promotionId: row.id,
      stageIndex,
      stagePct,
      targetCapital,
      notionalCap: halted ? 0 : (targetCapital * stagePct) / 100,
      halted,
      lastAction: row.action as PromotionAction,
      since: epochMs(row.promoted_at.getTime()),
      reason: row.reason,
    });
  }

  /** Everything about an experiment: snapshots, trial count, the candidate's latest evidence, promotions and the checklist. */
  async summarize(experimentId: string, options: ChecklistOptions = {}): Promise<ExperimentSummary> {
    const experiment = await this.getExperiment(experimentId);
    const snapshots = await this.listSnapshots(experimentId);
    const promotions = await this.listPromotions(experimentId);
    const sweeps = await this.listSweeps(experimentId);
    return withTransaction(this.#db, async (trx) => {
      const evidence = await this.#evidence(trx, experimentId, options, false);
      const checklist = evaluatePromotionChecklist(evidence, this.#gates, {
        stage: options.stage ?? (await nextStage(trx, evidence.snapshot?.id ?? null)),
        generatedAt: this.#clock.now(),
        calendar: this.#calendar,
      });
      return Object.freeze({
        experiment,
        snapshots,
        trialCount: evidence.trialCount,
        trials: checklist.trials,
        sweeps,
        candidate: Object.freeze({ snapshotId: evidence.snapshot?.id ?? null, backtest: evidence.backtest, validation: evidence.validation, review: evidence.review }),
        promotions,
        checklist,
      });
    });
  }

  async #checklist(trx: Transaction<RegistryTables>, experimentId: string, options: ChecklistOptions, forUpdate: boolean): Promise<PromotionChecklist> {
    const evidence = await this.#evidence(trx, experimentId, options, forUpdate);
    const stage = options.stage ?? (await nextStage(trx, evidence.snapshot?.id ?? null));
    return evaluatePromotionChecklist(evidence, this.#gates, { stage, generatedAt: this.#clock.now(), calendar: this.#calendar });
  }

  async #evidence(trx: Transaction<RegistryTables>, experimentId: string, choice: SnapshotChoice, forUpdate: boolean): Promise<PromotionEvidence> {
    const experiment = await findExperiment(trx, experimentId, { forUpdate });
    const trials = await countTrials(trx, experimentId);
    const trialCount = trials.total;
    if (choice.snapshotId === undefined && experiment.current_snapshot_id === null) {
      const openDefects = await openDefectsOf(trx, experimentId, false);
      return { experimentId, snapshot: null, trialCount, trials, backtest: null, validation: null, paperDays: [], tradingDays: [], review: null, owner: experiment.owner, recorders: [], openDefects };
    }
    const snapshot = await resolveSnapshotRow(trx, experiment, choice);
    const backtest = await trx.selectFrom('registry_backtests').selectAll().where('snapshot_id', '=', snapshot.id).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    // The latest verified validation counts; a newer unverified one is shown, never judged, and never masks it.
    const validation = await trx
      .selectFrom('registry_validations')
      .selectAll()
      .where('snapshot_id', '=', snapshot.id)
      .where('verified', '=', true)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const unverified = await trx
      .selectFrom('registry_validations')
      .selectAll()
      .where('snapshot_id', '=', snapshot.id)
      .where('verified', '=', false)
      .where('seq', '>', validation?.seq ?? 0)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const review = await trx.selectFrom('registry_reviews').selectAll().where('snapshot_id', '=', snapshot.id).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const paperDays = await trx.selectFrom('registry_paper_days').selectAll().where('snapshot_id', '=', snapshot.id).orderBy('trade_date').execute();
    const tradingDays = await trx.selectFrom('registry_trading_days').selectAll().where('snapshot_id', '=', snapshot.id).orderBy('trade_date').orderBy('seq').execute();
    return {
      experimentId,
      snapshot: toSnapshot(snapshot),
      trialCount,
      trials,
      backtest: backtest === undefined ? null : toBacktest(backtest),
      validation: validation === undefined ? null : toValidation(validation),
      unverifiedValidation: unverified === undefined ? null : toValidation(unverified),
      paperDays: paperDays.map(toPaperDay),
      tradingDays: tradingDays.map(toTradingDay),
      review: review === undefined ? null : toReview(review),
      owner: experiment.owner,
      recorders: await snapshotRecorders(trx, snapshot.id),
      openDefects: await openDefectsOf(trx, experimentId, false),
    };
  }

  #recordedBy(options: RecordOptions): string | null {
    return options.recordedBy === undefined ? this.#recorder : requiredText(options.recordedBy, 'recordedBy');
  }

  #nowIso(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

async function findExperiment(db: Db, experimentId: string, options: { readonly forUpdate?: boolean } = {}): Promise<Selectable<RegistryExperimentsTable>> {
  if (typeof experimentId !== 'string' || experimentId.trim() === '') throw new ConfigError('experiment', 'an experiment id is required (exp-<n>)');
  let query = db.selectFrom('registry_experiments').selectAll().where('id', '=', experimentId);
  if (options.forUpdate === true) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (row === undefined) throw new RegistryError('REGISTRY_NOT_FOUND', `no experiment '${experimentId}' in the registry`);
  return row;
}

async function resolveSnapshotRow(db: Db, experiment: Selectable<RegistryExperimentsTable>, choice: SnapshotChoice): Promise<Selectable<RegistrySnapshotsTable>> {
  const id = choice.snapshotId ?? experiment.current_snapshot_id;
  if (id === null) {
    throw new RegistryError('REGISTRY_NO_SNAPSHOT', `experiment ${experiment.id} has no parameter snapshot yet: register one (snapshot) or name one`);
  }
  const row = await db.selectFrom('registry_snapshots').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined || row.experiment_id !== experiment.id) {
    throw new RegistryError('REGISTRY_NOT_FOUND', `no snapshot '${id}' of experiment ${experiment.id}`);
  }
  return row;
}

/** Everyone who recorded evidence of the snapshot (backtests, validations, paper and trading days), each once, sorted. */
async function snapshotRecorders(db: Db, snapshotId: string): Promise<readonly string[]> {
  const names = new Set<string>();
  for (const table of ['registry_backtests', 'registry_validations', 'registry_paper_days', 'registry_trading_days'] as const) {
    const rows = await db.selectFrom(table).select('recorded_by').distinct().where('snapshot_id', '=', snapshotId).where('recorded_by', 'is not', null).execute();
    for (const row of rows) if (row.recorded_by !== null) names.add(row.recorded_by);
  }
  return Object.freeze([...names].sort(compareText));
}

/** The experiment's open defects, oldest first (only P1 and P2 unless `blockingOnly` is false). */
async function openDefectsOf(db: Db, experimentId: string, blockingOnly = true): Promise<readonly DefectRecord[]> {
  let query = db.selectFrom('registry_defects').selectAll().where('experiment_id', '=', experimentId).where('closed_at', 'is', null);
  if (blockingOnly) query = query.where('severity', 'in', [...BLOCKING_DEFECT_SEVERITIES]);
  return (await query.orderBy('seq').execute()).map(toDefect);
}

/** The snapshot's latest capital-ramp row (a live promotion with a target capital, or a ramp move), if any. */
async function latestRampRow(db: Db, snapshotId: string): Promise<Selectable<RegistryPromotionsTable> | undefined> {
  return db
    .selectFrom('registry_promotions')
    .selectAll()
    .where('snapshot_id', '=', snapshotId)
    .where('stage', '=', 'live')
    .where('capital_stage', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** A live promotion's target capital (required, finite, > 0); null for paper (where giving one is an error). */
function checkTargetCapital(input: PromoteInput): number | null {
  const target = input.targetCapital;
  if (input.stage !== 'live') {
    if (target !== undefined) throw new ConfigError('targetCapital', `is for live promotions only (the capital ramp); got one for ${input.stage}`);
    return null;
  }
  if (typeof target !== 'number' || !Number.isFinite(target) || !(target > 0)) {
    throw new ConfigError('targetCapital', `is required for a live promotion: the capital the ramp climbs to, a finite number > 0, got ${String(target)}`);
  }
  return target;
}

/** The experiment's trials: one per recorded backtest, plus every trial of each recorded sweep. */
async function countTrials(db: Db, experimentId: string): Promise<TrialCount> {
  const backtests = await db
    .selectFrom('registry_backtests')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('experiment_id', '=', experimentId)
    .executeTakeFirstOrThrow();
  const sweeps = await db
    .selectFrom('registry_sweeps')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.sum<string | null>('trials').as('trials')])
    .where('experiment_id', '=', experimentId)
    .executeTakeFirstOrThrow();
  const counts = { backtests: Number(backtests.n), sweeps: Number(sweeps.n), sweepTrials: Number(sweeps.trials ?? 0) };
  return Object.freeze({ total: counts.backtests + counts.sweepTrials, ...counts });
}

/** The columns of a trading day that come from its input. */
function tradingDayValues(input: TradingDayInput): Omit<Insertable<RegistryTradingDaysTable>, 'experiment_id' | 'snapshot_id' | 'revision' | 'recorded_at' | 'recorded_by'> {
  return {
    trade_date: input.date,
    stage: input.stage,
    capital_stage: input.capitalStage,
    session_id: input.sessionId,
    journal_digest: input.journalDigest,
    complete: input.complete,
    start_equity: input.startEquity,
    equity: input.equity,
    daily_pnl: input.dailyPnl,
    drawdown_pct: input.drawdownPct,
    max_gross_exposure: input.maxGrossExposure,
    orders: input.execution.orders,
    fills: input.execution.fills,
    rejects: input.execution.rejects,
    quality_score: input.execution.qualityScore,
    implementation_shortfall_bps: input.execution.implementationShortfallBps,
    average_slippage_bps: input.execution.averageSlippageBps,
    fill_rate: input.execution.fillRate,
    average_latency_ms: input.execution.averageLatencyMs,
    drift: input.drift === null ? null : JSON.stringify(input.drift),
    kill_switch: JSON.stringify(input.killSwitch),
    incidents: JSON.stringify(input.incidents),
    shadow_orders: JSON.stringify(input.shadowOrders),
  };
}

/** Whether a kept day holds exactly `input` (its input fields, compared as canonical JSON). */
function sameTradingDay(kept: TradingDayRecord, input: TradingDayInput): boolean {
  const inputOf = (d: TradingDayInput): TradingDayInput => ({
    date: d.date,
    sessionId: d.sessionId,
    journalDigest: d.journalDigest,
    stage: d.stage,
    capitalStage: d.capitalStage,
    complete: d.complete,
    startEquity: d.startEquity,
    equity: d.equity,
    dailyPnl: d.dailyPnl,
    drawdownPct: d.drawdownPct,
    maxGrossExposure: d.maxGrossExposure,
    execution: d.execution,
    killSwitch: d.killSwitch,
    incidents: d.incidents,
    drift: d.drift,
    shadowOrders: d.shadowOrders,
  });
  return canonicalJson(inputOf(kept)) === canonicalJson(inputOf(input));
}

/** `live` once the snapshot has been promoted (to paper or live), else `paper`. */
async function nextStage(db: Db, snapshotId: string | null): Promise<PromotionStage> {
  if (snapshotId === null) return 'paper';
  const promoted = await db.selectFrom('registry_promotions').select('id').where('snapshot_id', '=', snapshotId).limit(1).executeTakeFirst();
  return promoted === undefined ? 'paper' : 'live';
}

/** The ratio must agree with its status: a finite number, `Infinity` (or null) when infinite, null without an in-sample edge. */
function checkOverfitRatio(input: ValidationInput): void {
  const { overfitRatio: ratio, overfitRatioStatus: status } = input;
  const agrees =
    status === 'finite'
      ? ratio !== null && Number.isFinite(ratio)
      : status === 'infinite'
        ? ratio === null || ratio === Number.POSITIVE_INFINITY
        : status === 'no-in-sample-edge'
          ? ratio === null
          : false;
  if (!agrees) throw new ConfigError('overfitRatio', `${String(ratio)} does not agree with overfitRatioStatus '${String(status)}'`);
}

function requiredText(value: string, field: string, maxLength = 200): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw new ConfigError(field, 'is required: a non-empty string');
  if (text.length > maxLength) throw new ConfigError(field, `is ${text.length} characters long; at most ${maxLength}`);
  return text;
}


function finiteValues(values: { readonly [name: string]: number | null }): { [name: string]: number | null } {
  const out: { [name: string]: number | null } = {};
  for (const [key, value] of Object.entries(values)) out[key] = finiteOrNull(value);
  return out;
}

/** JSON replacer: non-finite numbers (an infinite overfit ratio) as their names, not as null. */
function finiteJson(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
