import type { EpochMs } from '@quantbot/core';
import type { DriftCheck, DriftSummary } from './drift-summary';
import { summarizeDrift } from './drift-summary';
import type { TradingCalendar } from './paper-days';
import { latestPaperStreak } from './paper-days';
import type { PaperSummary } from './paper-summary';
import { summarizePaperDays } from './paper-summary';
import type { PromotionGateConfig } from './promotion-gate-config';
import { promotionGateConfigSha256 } from './promotion-gate-config';
import type { BacktestRecord, DefectRecord, DefectSeverity, PaperDayRecord, ParameterSnapshot, PromotionStage, ReviewRecord, TrialCount, ValidationRecord } from './registry-records';
import type { TradingDayRecord } from './trading-days';

/** The gates of a promotion, in checklist order. */
export type GateId =
  | 'backtest-reproducible'
  | 'walk-forward-oos-sharpe'
  | 'walk-forward-overfit-ratio'
  | 'data-quality'
  | 'lookahead'
  | 'paper-days'
  | 'paper-drawdown'
  | 'paper-pnl-volatility'
  | 'paper-execution-quality'
  | 'paper-slippage'
  | 'paper-fill-rate'
  | 'drift-return'
  | 'drift-slippage'
  | 'drift-fill-rate'
  | 'drift-timing'
  | 'review-approved'
  | 'open-defects';

/** Every gate id, in checklist order. */
export const GATE_IDS: readonly GateId[] = Object.freeze([
  'backtest-reproducible',
  'walk-forward-oos-sharpe',
  'walk-forward-overfit-ratio',
  'data-quality',
  'lookahead',
  'paper-days',
  'paper-drawdown',
  'paper-pnl-volatility',
  'paper-execution-quality',
  'paper-slippage',
  'paper-fill-rate',
  'drift-return',
  'drift-slippage',
  'drift-fill-rate',
  'drift-timing',
  'review-approved',
  'open-defects',
]);

/**
 * A gate's outcome: `pass`, `fail` (the evidence is there and falls short), or `missing` (no
 * evidence to judge: no backtest, no validation, no paper days, no review, or a run that never
 * computed the figure).
 */
export type GateStatus = 'pass' | 'fail' | 'missing';

/** One line of a promotion checklist. */
export interface ChecklistItem {
  readonly gate: GateId;
  readonly title: string;
  /** The stages whose promotion requires this gate (paper-trading gates: live only). */
  readonly requiredFor: readonly PromotionStage[];
  /** Whether the checklist's stage requires it; gates not required never block nor warn. */
  readonly required: boolean;
  /** The rule, for people: `> 0.5`, `< 2`, `≤ 0`, `verified`, `approved`. */
  readonly threshold: string;
  /** The measured value (a number, `Infinity` for an infinite overfit ratio, or a boolean); null when missing. */
  readonly measured: number | boolean | null;
  /** The measured value for people: `0.81`, `Infinity`, `no backtest`. */
  readonly measuredText: string;
  readonly status: GateStatus;
  /** The record measured (`bt-3`, `val-2`, `rev-1`, `paper 2024-01-02..2024-02-13`), or null. */
  readonly evidence: string | null;
  /** One line on why the gate passes, fails or lacks evidence. */
  readonly detail: string;
}

/**
 * The paper evidence of a checklist: the figures of the latest consecutive run of *complete
 * trader-recorded* paper days (see {@link PaperSummary}; `recordedDays` counts those days), and
 * what was recorded but not counted.
 */
export interface PaperEvidenceSummary extends PaperSummary {
  /** Trader-recorded paper days of the snapshot (complete or partial). */
  readonly traderDays: number;
  /** Trader-recorded paper days that are partial (the trader stopped before the close): never counted. */
  readonly partialDays: number;
  /** Days typed in by hand (`record-paper`, source `manual`): shown, never counted by a gate. */
  readonly manualDays: number;
}

/** Every gate of a promotion with its threshold, measured value and status. */
export interface PromotionChecklist {
  readonly experimentId: string;
  /** The candidate snapshot the evidence was taken from; null when the experiment has none. */
  readonly snapshotId: string | null;
  readonly paramsHash: string | null;
  /** The stage the checklist judges a promotion to. */
  readonly stage: PromotionStage;
  /** `version` of the gate configuration used. */
  readonly configVersion: number;
  /** SHA-256 of the configuration's canonical JSON, to tell two files of one version apart. */
  readonly configSha256: string;
  readonly generatedAt: EpochMs;
  /**
   * The experiment's trials (all snapshots): recorded backtests plus the trials of recorded
   * sweeps. The trial count for a deflated Sharpe ratio; `trials` has the parts.
   */
  readonly trialCount: number;
  readonly trials: TrialCount;
  readonly paper: PaperEvidenceSummary;
  /** The drift of the paper run's trader days (the same days the paper gates measure). */
  readonly drift: DriftSummary;
  readonly items: readonly ChecklistItem[];
}

/** What a promotion is judged on: the candidate snapshot's latest evidence. */
export interface PromotionEvidence {
  readonly experimentId: string;
  readonly snapshot: ParameterSnapshot | null;
  /** The experiment's trials: recorded backtests plus the trials of recorded sweeps. */
  readonly trialCount: number;
  /** Its parts; absent: `trialCount` backtests and no sweep. */
  readonly trials?: TrialCount;
  /** The snapshot's latest backtest (reproducibility, data quality and lookahead are read from it). */
  readonly backtest: BacktestRecord | null;
  /**
   * The validation the walk-forward gates judge: the snapshot's latest *verified* validation
   * (null when it has none). Unverified records never take its place.
   */
  readonly validation: ValidationRecord | null;
  /**
   * The snapshot's latest unverified validation recorded after {@link validation} (or the latest
   * at all when none is verified): shown as such, never judged.
   */
  readonly unverifiedValidation?: ValidationRecord | null;
  /** The experiment's owner, who may not approve its review. */
  readonly owner?: string;
  /** Everyone who recorded evidence of the snapshot (backtests, validations, paper days), who may not approve its review. */
  readonly recorders?: readonly string[];
  /** Every paper day of the snapshot typed in by hand (`manual`), in any order: shown, never counted. */
  readonly paperDays: readonly PaperDayRecord[];
  /**
   * Every day the trader recorded for the snapshot (any stage, complete or partial), in any
   * order. The paper gates and the drift gates count only its complete `paper` days.
   */
  readonly tradingDays?: readonly TradingDayRecord[];
  /** The snapshot's latest review. */
  readonly review: ReviewRecord | null;
  /** The experiment's open defects (any snapshot); absent: none. */
  readonly openDefects?: readonly DefectRecord[];
}

/** Whether a promotion may go ahead, and what stands in its way. */
export interface PromotionReadiness {
  readonly ready: boolean;
  readonly strict: boolean;
  readonly stage: PromotionStage;
  /** Required gates that fail, and in strict mode required gates without evidence. */
  readonly blockers: readonly ChecklistItem[];
  /** Outside strict mode: required gates without evidence (they do not block). */
  readonly warnings: readonly ChecklistItem[];
  readonly checklist: PromotionChecklist;
}

/** The severities whose open defects block a live promotion and a capital advance. */
export const BLOCKING_DEFECT_SEVERITIES: readonly DefectSeverity[] = Object.freeze(['P1', 'P2']);

const BOTH: readonly PromotionStage[] = Object.freeze(['paper', 'live']);
const LIVE_ONLY: readonly PromotionStage[] = Object.freeze(['live']);

/**
 * Judges evidence against the gate thresholds, for a promotion to `stage`. Pure: the same
 * evidence, configuration and time give the same checklist. The paper and drift gates measure
 * the latest consecutive run (by the calendar) of the *complete trader-recorded paper days*
 * (`evidence.tradingDays`); days typed in by hand (`evidence.paperDays`, source `manual`) and
 * partial days are never counted, in any mode: the details say how many were left out. Rules
 * (thresholds from `config`):
 *
 * | gate | passes when | missing when |
 * |---|---|---|
 * | backtest-reproducible | the latest backtest's digest was verified | no backtest |
 * | walk-forward-oos-sharpe | the latest verified validation's mean OOS Sharpe > minOosSharpe (null fails) | no verified validation (unverified ones are shown, never judged) |
 * | walk-forward-overfit-ratio | its overfit ratio < maxOverfitRatio (infinite or undefined fails) | no verified validation |
 * | data-quality | data-quality errors ≤ maxErrors | no backtest, or it had no report |
 * | lookahead | the lookahead check passed | no backtest, or it was not checked |
 * | paper-days (live) | latest run of consecutive trading days of the calendar ≥ minDays | no complete trader paper day |
 * | paper-drawdown (live) | max drawdown over the run ≤ maxDrawdownPct | no complete trader paper day |
 * | paper-pnl-volatility (live) | std dev of daily P&L finite (≥ 2 days) and ≤ maxDailyPnlStdDev when set | no complete trader paper day |
 * | paper-execution-quality (live) | mean quality score ≥ minQualityScore (over the run's days with orders) | no day of the run with the figure |
 * | paper-slippage (live) | mean average slippage ≤ maxAverageSlippageBps (days with orders) | no day of the run with the figure |
 * | paper-fill-rate (live) | mean fill rate ≥ minFillRate (days with orders) | no day of the run with the figure |
 * | drift-return (live) | the run's largest daily |return gap| ≤ maxDailyReturnGapPct and |Σ gaps| ≤ maxCumulativeReturnGapPct | no day of the run has drift |
 * | drift-slippage (live) | |order-weighted mean slippage gap| ≤ maxSlippageGapBps | no day of the run has the figure |
 * | drift-fill-rate (live) | |order-weighted mean fill-rate gap| ≤ maxFillRateGap | no day of the run has the figure |
 * | drift-timing (live) | |order-weighted mean timing gap| ≤ maxTimingGapMs | no day of the run has the figure |
 * | review-approved | the latest review approved, by neither the owner nor a recorder of the snapshot's evidence | no review |
 * | open-defects (live) | the experiment has no open P1 or P2 defect | never |
 */
export function evaluatePromotionChecklist(
  evidence: PromotionEvidence,
  config: PromotionGateConfig,
  options: { readonly stage: PromotionStage; readonly generatedAt: EpochMs; readonly calendar: TradingCalendar },
): PromotionChecklist {
  const { gates } = config;
  const stage = options.stage;
  const item = (fields: Omit<ChecklistItem, 'required'>): ChecklistItem => Object.freeze({ ...fields, required: fields.requiredFor.includes(stage) });
  const { backtest, validation, review } = evidence;
  const unverified = evidence.unverifiedValidation ?? null;
  const traderPaper = (evidence.tradingDays ?? []).filter((d) => d.stage === 'paper');
  const countedDays = traderPaper.filter((d) => d.complete);
  const paper: PaperEvidenceSummary = Object.freeze({
    ...summarizePaperDays(
      countedDays.map((d) => ({
        date: d.date,
        dailyPnl: d.dailyPnl,
        drawdownPct: d.drawdownPct,
        qualityScore: d.execution.qualityScore,
        averageSlippageBps: d.execution.averageSlippageBps,
        fillRate: d.execution.fillRate,
      })),
      options.calendar,
    ),
    traderDays: traderPaper.length,
    partialDays: traderPaper.length - countedDays.length,
    manualDays: evidence.paperDays.length,
  });
  const drift = summarizeDrift(latestPaperStreak(countedDays, options.calendar), gates.drift);
  const noValidation = (figure: (v: ValidationRecord) => string): Judged =>
    unverified === null
      ? missing('no verified walk-forward validation recorded')
      : {
          measured: null,
          measuredText: `${figure(unverified)} (unverified)`,
          status: 'missing',
          detail: `${unverified.id} is unverified (typed in, or an artifact the gate could not reproduce) and never satisfies a gate: store a walk-forward run the gate reproduces from its run folder`,
        };
  const unverifiedNote = unverified === null ? '' : `; newer unverified ${unverified.id} not counted`;
  const paperEvidence = paper.streakDays === 0 ? null : `paper ${paper.streakStart}..${paper.streakEnd}`;
  const leftOut = [
    paper.manualDays > 0 ? `${paper.manualDays} manual day(s) not counted` : '',
    paper.partialDays > 0 ? `${paper.partialDays} partial day(s) not counted` : '',
  ].filter((t) => t !== '');
  const leftOutNote = leftOut.length === 0 ? '' : `; ${leftOut.join(', ')}`;
  const noPaper = `no complete paper day recorded by the trader${leftOutNote} (only trader-recorded days count)`;
  const items: ChecklistItem[] = [];

  // Backtest: reproducibility, data quality, lookahead (all from the latest backtest).
  items.push(
    item({
      gate: 'backtest-reproducible',
      title: 'backtest exists and is reproducible (digest verified)',
      requiredFor: BOTH,
      threshold: 'verified',
      ...(backtest === null
        ? missing('no backtest recorded')
        : backtest.digestVerified
          ? judged(true, 'yes', 'pass', `run ${backtest.runId}: files and digest ${backtest.digest.slice(0, 12)}… verified`)
          : judged(false, 'no', 'fail', `run ${backtest.runId}: digest ${backtest.digest.slice(0, 12)}… was not verified against the run's files`)),
      evidence: backtest?.id ?? null,
    }),
  );
  const oos = validation?.meanOosSharpe ?? null;
  items.push(
    item({
      gate: 'walk-forward-oos-sharpe',
      title: 'walk-forward out-of-sample Sharpe',
      requiredFor: BOTH,
      threshold: `> ${formatNumber(gates.walkForward.minOosSharpe)}`,
      ...(validation === null
        ? noValidation((v) => fmtNullable(v.meanOosSharpe))
        : oos === null
          ? judged(null, 'undefined', 'fail', `the mean out-of-sample Sharpe is undefined (verified)${unverifiedNote}`)
          : judged(oos, formatNumber(oos), oos > gates.walkForward.minOosSharpe ? 'pass' : 'fail', `verified: mean OOS Sharpe over ${validation.folds.length} fold(s)${unverifiedNote}`)),
      evidence: validation?.id ?? unverified?.id ?? null,
    }),
  );
  items.push(
    item({
      gate: 'walk-forward-overfit-ratio',
      title: 'overfit ratio (mean IS / mean OOS Sharpe)',
      requiredFor: BOTH,
      threshold: `< ${formatNumber(gates.walkForward.maxOverfitRatio)}`,
      ...(validation === null
        ? noValidation((v) => (v.overfitRatio === null ? 'undefined' : formatNumber(v.overfitRatio)))
        : judgeOverfitRatio(validation, gates.walkForward.maxOverfitRatio)),
      evidence: validation?.id ?? unverified?.id ?? null,
    }),
  );
  const errors = backtest?.dataQualityErrors ?? null;
  items.push(
    item({
      gate: 'data-quality',
      title: 'data-quality report without errors',
      requiredFor: BOTH,
      threshold: `≤ ${gates.dataQuality.maxErrors} error(s)`,
      ...(backtest === null
        ? missing('no backtest recorded')
        : errors === null
          ? missing(`run ${backtest.runId} carries no data-quality report`)
          : judged(errors, String(errors), errors <= gates.dataQuality.maxErrors ? 'pass' : 'fail', `run ${backtest.runId}: ${errors} data-quality error(s)`)),
      evidence: backtest?.id ?? null,
    }),
  );
  const lookahead = backtest?.lookaheadPassed ?? null;
  items.push(
    item({
      gate: 'lookahead',
      title: 'lookahead check passed',
      requiredFor: BOTH,
      threshold: 'passed',
      ...(backtest === null
        ? missing('no backtest recorded')
        : lookahead === null
          ? missing(`run ${backtest.runId} was not checked for lookahead (run the backtest again with its lookahead check on)`)
          : judged(lookahead, lookahead ? 'passed' : 'failed', lookahead ? 'pass' : 'fail', `run ${backtest.runId}: lookahead check ${lookahead ? 'passed' : 'found divergences'}`)),
      evidence: backtest?.id ?? null,
    }),
  );

  // Paper trading (required for live): the latest run of consecutive days.
  const paperItem = (gate: GateId, title: string, threshold: string, judge: () => Judged): void => {
    items.push(item({ gate, title, requiredFor: LIVE_ONLY, threshold, ...(paper.streakDays === 0 ? missing(noPaper) : judge()), evidence: paperEvidence }));
  };
  paperItem('paper-days', 'consecutive paper-trading days', `≥ ${gates.paper.minDays} consecutive ${options.calendar.name} trading day(s)`, () =>
    judged(
      paper.streakDays,
      String(paper.streakDays),
      paper.streakDays >= gates.paper.minDays ? 'pass' : 'fail',
      `${paper.streakDays} consecutive trader day(s) ${paper.streakStart}..${paper.streakEnd} (${paper.recordedDays} complete recorded${leftOutNote})`,
    ),
  );
  paperItem('paper-drawdown', 'paper max drawdown (%)', `≤ ${formatNumber(gates.paper.maxDrawdownPct)}`, () => {
    const dd = paper.maxDrawdownPct as number;
    return judged(dd, formatNumber(dd), dd <= gates.paper.maxDrawdownPct ? 'pass' : 'fail', `largest drawdown over the run: ${formatNumber(dd)} %`);
  });
  const maxStdDev = gates.paper.maxDailyPnlStdDev;
  paperItem('paper-pnl-volatility', 'daily P&L volatility (std dev)', maxStdDev === null ? 'finite' : `finite, ≤ ${formatNumber(maxStdDev)}`, () => {
    const sd = paper.dailyPnlStdDev;
    if (sd === null) return judged(null, 'undefined', 'fail', `needs at least 2 consecutive days, the run has ${paper.streakDays}`);
    const ok = Number.isFinite(sd) && (maxStdDev === null || sd <= maxStdDev);
    return judged(sd, formatNumber(sd), ok ? 'pass' : 'fail', `std dev of daily P&L over ${paper.streakDays} day(s)`);
  });
  const executionMean = (mean: number | null, passes: (v: number) => boolean, what: string): Judged => {
    if (mean === null) return missing(`no day of the run (${paper.streakDays} day(s)) had orders with ${what}: days without orders have no execution figures`);
    return judged(mean, formatNumber(mean), passes(mean) ? 'pass' : 'fail', `mean over the ${paper.executionDays} of ${paper.streakDays} day(s) with orders (days without orders have no execution figures)`);
  };
  paperItem('paper-execution-quality', 'paper execution quality score (mean)', `≥ ${formatNumber(gates.execution.minQualityScore)}`, () =>
    executionMean(paper.meanQualityScore, (q) => q >= gates.execution.minQualityScore, 'a quality score'),
  );
  paperItem('paper-slippage', 'paper average slippage (bps, mean)', `≤ ${formatNumber(gates.execution.maxAverageSlippageBps)}`, () =>
    executionMean(paper.meanAverageSlippageBps, (s) => s <= gates.execution.maxAverageSlippageBps, 'fills'),
  );
  paperItem('paper-fill-rate', 'paper fill rate (mean)', `≥ ${formatNumber(gates.execution.minFillRate)}`, () =>
    executionMean(paper.meanFillRate, (f) => f >= gates.execution.minFillRate, 'a fill rate'),
  );

  // Drift of the same run's days from the simulator's shadow fills (required for live).
  const checkOf = (metric: DriftCheck['metric']): DriftCheck => drift.checks.find((c) => c.metric === metric) as DriftCheck;
  const driftItem = (gate: GateId, title: string, threshold: string, judge: () => Judged): void => {
    items.push(item({ gate, title, requiredFor: LIVE_ONLY, threshold, ...(paper.streakDays === 0 ? missing(noPaper) : judge()), evidence: paperEvidence }));
  };
  const judgeCheck = (c: DriftCheck, unit: string): Judged =>
    c.status === 'missing' || c.value === null
      ? missing(c.detail)
      : judged(c.value, `${formatNumber(c.value)}${unit}`, c.status, `${c.detail}; worst day ${c.worstDay ?? '-'}`);
  const dd = gates.drift;
  driftItem('drift-return', 'return gap to the shadow (daily, cumulative; %)', `|daily| ≤ ${formatNumber(dd.maxDailyReturnGapPct)} %, |Σ| ≤ ${formatNumber(dd.maxCumulativeReturnGapPct)} %`, () => {
    const daily = checkOf('daily-return-gap');
    const total = checkOf('cumulative-return-gap');
    if (daily.value === null || total.value === null) return missing(daily.detail);
    const ok = daily.status === 'pass' && total.status === 'pass';
    const why = [
      daily.status === 'fail' ? `the daily gap of ${daily.worstDay} exceeds ${formatNumber(dd.maxDailyReturnGapPct)} %` : '',
      total.status === 'fail' ? `the cumulative gap exceeds ${formatNumber(dd.maxCumulativeReturnGapPct)} %` : '',
    ].filter((t) => t !== '');
    return judged(
      total.value,
      `daily ${formatNumber(daily.value)} %, Σ ${formatNumber(total.value)} %`,
      ok ? 'pass' : 'fail',
      `${drift.driftDays} of ${paper.streakDays} day(s) with drift; worst day ${daily.worstDay ?? '-'}${why.length === 0 ? '' : `: ${why.join('; ')}`}`,
    );
  });
  driftItem('drift-slippage', 'slippage gap to the shadow (bps, order-weighted mean)', `|gap| ≤ ${formatNumber(dd.maxSlippageGapBps)}`, () => judgeCheck(checkOf('slippage-gap'), ''));
  driftItem('drift-fill-rate', 'fill-rate gap to the shadow (order-weighted mean)', `|gap| ≤ ${formatNumber(dd.maxFillRateGap)}`, () => judgeCheck(checkOf('fill-rate-gap'), ''));
  driftItem('drift-timing', 'fill timing gap to the shadow (ms, order-weighted mean)', `|gap| ≤ ${formatNumber(dd.maxTimingGapMs)}`, () => judgeCheck(checkOf('timing-gap'), ''));

  items.push(
    item({
      gate: 'review-approved',
      title: 'review approved (latest review)',
      requiredFor: BOTH,
      threshold: 'approved',
      ...(review === null ? missing('no review recorded') : judgeReview(review, evidence.owner ?? null, evidence.recorders ?? [])),
      evidence: review?.id ?? null,
    }),
  );

  const blocking = (evidence.openDefects ?? []).filter((d) => d.status === 'open' && BLOCKING_DEFECT_SEVERITIES.includes(d.severity));
  items.push(
    item({
      gate: 'open-defects',
      title: 'no open P1 or P2 defect',
      requiredFor: LIVE_ONLY,
      threshold: '0 open P1/P2',
      ...(blocking.length === 0
        ? judged(0, '0', 'pass', `no open P1 or P2 defect (${(evidence.openDefects ?? []).length} open defect(s) of lower severity)`)
        : judged(blocking.length, String(blocking.length), 'fail', `open: ${blocking.map((d) => `${d.id} ${d.severity} ${d.title}`).join('; ')}`)),
      evidence: blocking.length === 0 ? null : blocking.map((d) => d.id).join(', '),
    }),
  );

  return Object.freeze({
    experimentId: evidence.experimentId,
    snapshotId: evidence.snapshot?.id ?? null,
    paramsHash: evidence.snapshot?.paramsHash ?? null,
    stage,
    configVersion: config.version,
    configSha256: promotionGateConfigSha256(config),
    generatedAt: options.generatedAt,
    trialCount: evidence.trialCount,
    trials: evidence.trials ?? Object.freeze({ total: evidence.trialCount, backtests: evidence.trialCount, sweeps: 0, sweepTrials: 0 }),
    paper,
    drift,
    items: Object.freeze(items),
  });
}

/**
 * Reads a checklist as a go / no-go. A required gate that fails always blocks; a required gate
 * without evidence blocks in `strict` mode and is a warning otherwise. Gates the stage does not
 * require are ignored.
 */
export function assessPromotionReadiness(checklist: PromotionChecklist, options: { readonly strict: boolean }): PromotionReadiness {
  const required = checklist.items.filter((i) => i.required);
  const blockers = required.filter((i) => i.status === 'fail' || (options.strict && i.status === 'missing'));
  const warnings = options.strict ? [] : required.filter((i) => i.status === 'missing');
  return Object.freeze({
    ready: blockers.length === 0,
    strict: options.strict,
    stage: checklist.stage,
    blockers: Object.freeze(blockers),
    warnings: Object.freeze(warnings),
    checklist,
  });
}

/**
 * A number for a checklist: up to 4 decimals, `Infinity` for an infinite value.
 *
 * @example formatNumber(1.234567) === '1.2346'; formatNumber(Infinity) === 'Infinity'
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-4) return value.toExponential(2);
  return String(Number(value.toFixed(4)));
}

type Judged = Pick<ChecklistItem, 'measured' | 'measuredText' | 'status' | 'detail'>;

function judged(measured: number | boolean | null, measuredText: string, status: 'pass' | 'fail', detail: string): Judged {
  return { measured, measuredText, status, detail };
}

function missing(detail: string): Judged {
  return { measured: null, measuredText: 'missing', status: 'missing', detail };
}

function judgeOverfitRatio(validation: ValidationRecord, maxRatio: number): Judged {
  const { overfitRatio: ratio, overfitRatioStatus: status } = validation;
  if (status === 'no-in-sample-edge' || ratio === null) {
    return judged(null, 'undefined', 'fail', 'no in-sample edge: mean in-sample Sharpe ≤ 0, the ratio is undefined');
  }
  if (!Number.isFinite(ratio)) return judged(ratio, 'Infinity', 'fail', 'infinite: in-sample edge but mean out-of-sample Sharpe ≤ 0');
  return judged(ratio, formatNumber(ratio), ratio < maxRatio ? 'pass' : 'fail', `mean IS Sharpe ${fmtNullable(validation.meanIsSharpe)} / mean OOS Sharpe ${fmtNullable(validation.meanOosSharpe)}`);
}

/**
 * Whether `person` is the owner or one of the recorders (names compared trimmed and
 * case-insensitively: `Alice` and `alice` are one person). Returns why, or null.
 */
export function conflictOfDuties(person: string, owner: string | null, recorders: readonly string[]): string | null {
  const key = person.trim().toLowerCase();
  if (owner !== null && owner.trim().toLowerCase() === key) return `${person} owns the experiment`;
  if (recorders.some((r) => r.trim().toLowerCase() === key)) return `${person} recorded evidence of the snapshot`;
  return null;
}

function judgeReview(review: ReviewRecord, owner: string | null, recorders: readonly string[]): Judged {
  const comment = review.comment === null ? '' : `: ${review.comment}`;
  if (review.decision !== 'approved') return judged(false, review.decision, 'fail', `${review.decision} by ${review.reviewer}${comment}`);
  const conflict = conflictOfDuties(review.reviewer, owner, recorders);
  if (conflict !== null) return judged(false, 'not independent', 'fail', `approved by ${review.reviewer}, but ${conflict}: an approval must come from someone else`);
  return judged(true, review.decision, 'pass', `approved by ${review.reviewer}${comment}`);
}

function fmtNullable(value: number | null): string {
  return value === null ? 'undefined' : formatNumber(value);
}
