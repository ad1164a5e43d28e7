import type { EpochMs } from '@quantbot/core';
import { BLOCKING_DEFECT_SEVERITIES, formatNumber } from './promotion-checklist';
import type { CapitalRampConfig, DriftGates } from './promotion-gate-config';
import { summarizeDrift } from './drift-summary';
import type { DefectRecord, PromotionAction } from './registry-records';
import type { TradingDayDrift } from './trading-day-input';

/** What breached a live ramp: the trader's drawdown, drift from the simulator, an incident, or a person's call. */
export type BreachKind = 'drawdown' | 'drift' | 'incident' | 'manual';

/** The breach kinds, for parsing. */
export const BREACH_KINDS: readonly BreachKind[] = Object.freeze(['drawdown', 'drift', 'incident', 'manual']);

/**
 * Where a live snapshot stands on its capital ramp, from its latest ramp row (the live promotion,
 * or the latest advance, rollback, halt or resume).
 */
export interface CapitalStageState {
  readonly experimentId: string;
  readonly snapshotId: string;
  /** The latest ramp row (`promo-<n>`): the one that began the current stage (or halted it). */
  readonly promotionId: string;
  /** 0-based index into `ramp.stagesPct` (a halted ramp keeps the stage it halted at). */
  readonly stageIndex: number;
  /** `ramp.stagesPct[stageIndex]` (the last stage when the configuration has fewer stages now). */
  readonly stagePct: number;
  /** The capital the ramp climbs to, in the account currency. */
  readonly targetCapital: number;
  /** The gross notional the trader may hold: `targetCapital × stagePct / 100`, and 0 while halted. */
  readonly notionalCap: number;
  readonly halted: boolean;
  readonly lastAction: PromotionAction;
  /** When the latest ramp row was written. */
  readonly since: EpochMs;
  /** Why (a breach, a resume); null for a promotion or an advance. */
  readonly reason: string | null;
}

/** Why a day's drift from the simulator is beyond the drift thresholds, or null when it is within them. Internal. */
export type DayDriftJudge = (date: string, drift: TradingDayDrift) => string | null;

/**
 * Judges one day's drift against `gates.drift`, as the drift gates judge a run: each gap by its
 * magnitude. Internal.
 */
export function dayDriftJudge(gates: DriftGates): DayDriftJudge {
  return (date, drift) => {
    const failed = summarizeDrift([{ date, drift }], gates).checks.filter((c) => c.status === 'fail');
    return failed.length === 0 ? null : failed.map((c) => `${c.metric} ${formatNumber(c.value as number)} beyond ${formatNumber(c.threshold)}`).join(', ');
  };
}

/** The checks of a capital advance, in order. */
export type CapitalAdvanceCheckId = 'not-halted' | 'next-stage' | 'stage-days' | 'stage-drift' | 'open-defects';

/** One check of a capital advance and why it passes or blocks. */
export interface CapitalAdvanceCheck {
  readonly check: CapitalAdvanceCheckId;
  readonly passed: boolean;
  readonly detail: string;
}

/** The trader days a capital advance was judged on. */
export interface CapitalStageDays {
  /** Complete live days at the stage, dated after the stage began. */
  readonly complete: number;
  /** `ramp.minDaysPerStage`. */
  readonly required: number;
  /** Every day at the stage (complete or partial), by date, `day-<n>` ids. */
  readonly dayIds: readonly string[];
  readonly first: string | null;
  readonly last: string | null;
}

/** Whether a live snapshot may advance one capital stage, and what stands in its way. */
export interface CapitalStageReadiness {
  readonly ready: boolean;
  readonly state: CapitalStageState;
  /** The stage an advance goes to; null at the last stage. */
  readonly toStageIndex: number | null;
  readonly toStagePct: number | null;
  readonly checks: readonly CapitalAdvanceCheck[];
  /** The checks that failed. */
  readonly blockers: readonly CapitalAdvanceCheck[];
  readonly days: CapitalStageDays;
  readonly generatedAt: EpochMs;
}

/** A trader day as a capital advance reads it. Internal. */
export interface RampDay {
  readonly id: string;
  readonly date: string;
  readonly complete: boolean;
  readonly drift: unknown;
}

/**
 * Judges a capital advance (pure): not halted, not at the last stage, at least `minDaysPerStage`
 * complete days at the stage (`days`: the live days at the stage dated after it began), no day
 * whose drift `driftJudge` finds beyond thresholds, no open P1/P2 defect. Internal.
 */
export function assessCapitalAdvance(input: {
  readonly state: CapitalStageState;
  readonly ramp: CapitalRampConfig;
  readonly days: readonly RampDay[];
  readonly openDefects: readonly DefectRecord[];
  readonly driftJudge: DayDriftJudge;
  readonly generatedAt: EpochMs;
}): CapitalStageReadiness {
  const { state, ramp, days, driftJudge: driftCheck } = input;
  const last = ramp.stagesPct.length - 1;
  const next = state.stageIndex < last ? state.stageIndex + 1 : null;
  const complete = days.filter((d) => d.complete);
  const since = new Date(state.since).toISOString().slice(0, 10);
  const checks: CapitalAdvanceCheck[] = [];
  checks.push(
    state.halted
      ? { check: 'not-halted', passed: false, detail: `the ramp is halted (${state.reason ?? 'no reason given'}); resume it first` }
      : { check: 'not-halted', passed: true, detail: 'the ramp is not halted' },
  );
  checks.push(
    next === null
      ? { check: 'next-stage', passed: false, detail: `stage ${state.stageIndex} (${formatNumber(state.stagePct)} %) is the last stage` }
      : { check: 'next-stage', passed: true, detail: `next: stage ${next} (${formatNumber(ramp.stagesPct[next] as number)} %)` },
  );
  checks.push({
    check: 'stage-days',
    passed: complete.length >= ramp.minDaysPerStage,
    detail: `${complete.length} of ${ramp.minDaysPerStage} complete live trader day(s) at stage ${state.stageIndex} after ${since}${days.length > complete.length ? ` (${days.length - complete.length} partial, not counted)` : ''}`,
  });
  const beyond = days.flatMap((d) => {
    if (d.drift === null || d.drift === undefined) return [];
    const why = driftCheck(d.date, d.drift as TradingDayDrift);
    return why === null ? [] : [`${d.date} (${d.id}): ${why}`];
  });
  checks.push(
    beyond.length === 0
      ? { check: 'stage-drift', passed: true, detail: `drift within thresholds on ${days.length} day(s)` }
      : { check: 'stage-drift', passed: false, detail: `drift beyond thresholds: ${beyond.join('; ')}` },
  );
  const blocking = input.openDefects.filter((d) => d.status === 'open' && BLOCKING_DEFECT_SEVERITIES.includes(d.severity));
  checks.push(
    blocking.length === 0
      ? { check: 'open-defects', passed: true, detail: 'no open P1 or P2 defect' }
      : { check: 'open-defects', passed: false, detail: `open: ${blocking.map((d) => `${d.id} ${d.severity} ${d.title}`).join('; ')}` },
  );
  const frozen = checks.map((c) => Object.freeze(c));
  const blockers = frozen.filter((c) => !c.passed);
  return Object.freeze({
    ready: blockers.length === 0,
    state,
    toStageIndex: next,
    toStagePct: next === null ? null : (ramp.stagesPct[next] as number),
    checks: Object.freeze(frozen),
    blockers: Object.freeze(blockers),
    days: Object.freeze({
      complete: complete.length,
      required: ramp.minDaysPerStage,
      dayIds: Object.freeze(days.map((d) => d.id)),
      first: days[0]?.date ?? null,
      last: days[days.length - 1]?.date ?? null,
    }),
    generatedAt: input.generatedAt,
  });
}
