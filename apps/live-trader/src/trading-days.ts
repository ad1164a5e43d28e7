import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { ConfigError, epochMs } from '@quantbot/core';
import { EXECUTION_PROFILES } from '@quantbot/execution-sim';
import type { ExecutionProfileName } from '@quantbot/execution-sim';
import { LiveAuthorizationError, TradingDayRecorder, findPromotedSnapshot, newYorkDay } from '@quantbot/live';
import type { Incident, KyselyIncidentStore, LiveAuthorization, LiveStateStore, SessionStrategyFile, TradingDayOutcome } from '@quantbot/live';
import type { Logger } from '@quantbot/observability';
import type { CapitalStageState, LoadedPromotionGateConfig, PromotionGateConfig, PromotionStage, RegistryTables, TradingDayIncident, TradingDayInput } from '@quantbot/research-registry';
import {
  DEFAULT_PROMOTION_GATE_CONFIG,
  DEFAULT_PROMOTION_GATES_FILE,
  REGISTRY_DATABASE_MIGRATIONS,
  REGISTRY_SCHEMA_ENV,
  ResearchRegistry,
  loadPromotionGateConfig,
  summarizeDrift,
} from '@quantbot/research-registry';
import { openDatabase } from '@quantbot/storage';

// The trader's evidence: with --experiment, each New York day it trades on a venue is recorded
// into the research registry (the paper days the promotion gates count, the live days a capital
// stage advances on), and a live session trades under its capital stage's notional cap.

/** What `--experiment` asks of a venue session, checked before anything opens. */
export interface DayRecordingPlan {
  readonly experimentId: string;
  readonly stage: PromotionStage;
  /** The execution profile the shadow simulator fills the session's decisions under. */
  readonly profile: ExecutionProfileName;
  readonly gates: PromotionGateConfig;
  /** Where the gates came from (a file, or the built-in defaults). */
  readonly gatesSource: string;
}

/**
 * `--experiment` (with `--broker alpaca`: days traded on a replay are not evidence),
 * `--shadow-profile` and `--promotion-gates`; undefined without `--experiment`. A bad value is a
 * `ConfigError` naming its flag.
 */
export function planDayRecording(
  flags: Readonly<Record<string, string | number | boolean>>,
  broker: 'sim' | 'alpaca',
  live: boolean,
  cwd: string,
): DayRecordingPlan | undefined {
  const experimentId = typeof flags['experiment'] === 'string' ? flags['experiment'].trim() : undefined;
  if (experimentId === undefined) {
    for (const flag of ['shadow-profile', 'promotion-gates']) if (flags[flag] !== undefined) throw new ConfigError(`--${flag}`, 'needs --experiment (the experiment whose days are recorded)');
    return undefined;
  }
  if (experimentId === '') throw new ConfigError('--experiment', 'is empty');
  if (broker !== 'alpaca') {
    throw new ConfigError('--experiment', 'records the days a session trades on a venue (--broker alpaca); bars replayed by --broker sim are not paper evidence');
  }
  const profileText = typeof flags['shadow-profile'] === 'string' ? flags['shadow-profile'] : 'realistic';
  if (!Object.hasOwn(EXECUTION_PROFILES, profileText)) {
    throw new ConfigError('--shadow-profile', `unknown execution profile '${profileText}'; available: ${Object.keys(EXECUTION_PROFILES).join(', ')}`);
  }
  const given = typeof flags['promotion-gates'] === 'string' ? flags['promotion-gates'] : undefined;
  const file = resolve(cwd, given ?? DEFAULT_PROMOTION_GATES_FILE);
  let gates: LoadedPromotionGateConfig | PromotionGateConfig = DEFAULT_PROMOTION_GATE_CONFIG;
  let gatesSource = 'built-in defaults';
  if (given !== undefined || existsSync(file)) {
    gates = loadPromotionGateConfig(file);
    gatesSource = file;
  }
  return { experimentId, stage: live ? 'live' : 'paper', profile: profileText as ExecutionProfileName, gates, gatesSource };
}

/** What the registry said about the session at its start. */
export interface DayRecordingStart {
  readonly snapshotId: string;
  /** Live: the capital stage the session trades at (its notional cap); paper: null. */
  readonly capital: CapitalStageState | null;
}

export interface DayRecordingContext {
  readonly sessionId: string;
  readonly strategy: string;
  readonly params: Readonly<Record<string, string>>;
  /** The strategy file the session trades (its definition and sha256): its days count only for an experiment and snapshot of this exact file. */
  readonly strategyFile?: SessionStrategyFile;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Wall clock (epoch ms). */
  readonly now: () => number;
}

/**
 * What the session's days are evidence for: for live, the snapshot and capital stage its
 * `LiveAuthorization` carries (checked there: promoted to live, ramp not halted); for paper, the
 * snapshot promoted to paper with the session's parameters, found by opening the registry briefly.
 * Returns why not (exit 3) when the experiment holds no such promotion.
 */
export async function startDayRecording(
  plan: DayRecordingPlan,
  context: DayRecordingContext,
  live: LiveAuthorization | undefined,
): Promise<DayRecordingStart | { readonly refusal: string }> {
  if (live !== undefined) return { snapshotId: live.snapshotId, capital: live.capital };
  return withRegistry(plan, context, async (registry) => {
    try {
      const { snapshotId } = await findPromotedSnapshot({
        registry,
        experimentId: plan.experimentId,
        stage: plan.stage,
        strategy: context.strategy,
        params: context.params,
        ...(context.strategyFile === undefined ? {} : { strategyFile: context.strategyFile }),
      });
      return { snapshotId, capital: null };
    } catch (error) {
      if (error instanceof LiveAuthorizationError) return { refusal: `${error.reason}; the session's ${plan.stage} days would be evidence for nothing (without --experiment a paper session records no days)` };
      throw error;
    }
  });
}

/** Where the recorder's outcomes and breaches go. */
export interface DayRecordingHooks {
  readonly io: CliIo;
  readonly log: Logger;
  /** Pages (and opens an incident for) a capital-ramp breach. */
  readonly raise: (alert: { readonly key: string; readonly severity: 'page'; readonly title: string }) => void;
}

/**
 * The session's `TradingDayRecorder`: each day is written into the registry (opened for the write
 * only, so the promotion gate and operators can use it meanwhile), with the incidents the state
 * store holds for the day. A live day then judges the capital stage: a drawdown at or beyond
 * `ramp.maxDrawdownPct`, drift beyond the drift gates, or a P1 incident is a breach, which rolls the
 * ramp back one stage or halts it (as `ramp.onBreach` says), pages, and halts the session (it trades
 * again at the new stage after an operator re-arms and restarts it).
 */
export function createDayRecorder(
  plan: DayRecordingPlan,
  start: DayRecordingStart,
  context: DayRecordingContext & { readonly store: LiveStateStore; readonly incidents: KyselyIncidentStore },
  hooks: DayRecordingHooks,
): TradingDayRecorder {
  const recordedBy = `live-trader/${context.sessionId}`;
  return new TradingDayRecorder({
    sessionId: context.sessionId,
    store: context.store,
    stage: plan.stage,
    capitalStage: start.capital?.stageIndex ?? null,
    profile: EXECUTION_PROFILES[plan.profile],
    now: context.now,
    incidents: async (date) => dayIncidents(context.incidents, context.sessionId, date),
    record: async (day) => {
      await withRegistry(plan, context, async (registry) => {
        await registry.recordTradingDay(plan.experimentId, day, { snapshotId: start.snapshotId, recordedBy });
      });
    },
    judge: plan.stage === 'live' ? async (day) => judgeLiveDay(plan, context, day, recordedBy, hooks) : undefined,
    onOutcome: (outcome) => reportOutcome(outcome, plan, hooks),
  });
}

/** A live day against the ramp's breach rules: the halt reason when it breached, else undefined. */
async function judgeLiveDay(
  plan: DayRecordingPlan,
  context: DayRecordingContext,
  day: TradingDayInput,
  recordedBy: string,
  hooks: DayRecordingHooks,
): Promise<string | undefined> {
  const ramp = plan.gates.ramp;
  const reasons: { kind: 'drawdown' | 'drift' | 'incident'; text: string }[] = [];
  if (day.drawdownPct >= ramp.maxDrawdownPct) reasons.push({ kind: 'drawdown', text: `drawdown ${day.drawdownPct.toFixed(2)}% ≥ ${ramp.maxDrawdownPct}%` });
  const drift = summarizeDrift([day], plan.gates.gates.drift);
  if (!drift.passed) {
    const failed = drift.checks.filter((c) => c.status === 'fail').map((c) => c.metric);
    if (failed.length > 0) reasons.push({ kind: 'drift', text: `drift beyond the gates (${failed.join(', ')})` });
  }
  const p1 = day.incidents.filter((i) => i.priority === 'P1');
  if (p1.length > 0) reasons.push({ kind: 'incident', text: `P1 incident ${p1.map((i) => i.id).join(', ')}` });
  const first = reasons[0];
  if (first === undefined) return undefined;
  const reason = `${day.date}: ${reasons.map((r) => r.text).join('; ')}`;
  // One breach per session day: a day recorded again (partial, then complete after a restart) is not punished twice.
  const breach = await withRegistry(plan, context, (registry) =>
    registry.breachCapitalStageOnce(plan.experimentId, { reason, by: recordedBy, kind: first.kind, key: `${context.sessionId}/${day.date}` }),
  );
  if (!breach.created) {
    hooks.io.err(`warning: ${day.date} of ${plan.experimentId} breached its capital stage already (${reason}); the ramp stays where that breach left it`);
    return undefined;
  }
  const state = breach.record;
  const after = state.halted ? 'the ramp is halted' : `rolled back to stage ${state.stageIndex + 1} (${state.stagePct}% of ${state.targetCapital}, notional cap ${state.notionalCap})`;
  const title = `capital ramp breach on ${plan.experimentId}: ${reason}; ${after}`;
  hooks.io.err(`error: ${title}; the session halts: restart it to trade at the new stage after review (re-arm it with 'live-trader kill-switch rearm')`);
  hooks.log.error('capital ramp breach', { experiment: plan.experimentId, reason, halted: state.halted, stage: state.stageIndex });
  hooks.raise({ key: `capital-ramp/${plan.experimentId}`, severity: 'page', title });
  return `capital ramp breach: ${reason}; ${after}`;
}

function reportOutcome(outcome: TradingDayOutcome, plan: DayRecordingPlan, hooks: DayRecordingHooks): void {
  if (outcome.kind === 'recorded') {
    const day = outcome.day;
    const drift = day.drift === null ? 'no orders' : `return gap ${(day.drift.returnGap * 100).toFixed(3)}%`;
    hooks.io.out(`recorded ${day.complete ? 'complete' : 'partial'} ${day.stage} day ${day.date} for ${plan.experimentId}: P&L ${day.dailyPnl.toFixed(2)}, ${day.execution.orders} order(s), ${drift}`);
    hooks.log.info('trading day recorded', { experiment: plan.experimentId, date: day.date, complete: day.complete, digest: day.journalDigest });
    return;
  }
  const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
  hooks.io.err(`error: the ${plan.stage} day ${outcome.date} of ${plan.experimentId} was not recorded: ${message}`);
  hooks.log.error('trading day not recorded', { experiment: plan.experimentId, date: outcome.date, error: outcome.error });
}

/** The session's incidents opened during New York day `date`. */
async function dayIncidents(incidents: KyselyIncidentStore, sessionId: string, date: string): Promise<readonly TradingDayIncident[]> {
  return (await incidents.list({ sessionId }))
    .filter((incident) => newYorkDay(incident.openedAt).date === date)
    .map((incident) => ({ id: incident.id, priority: incident.priority, title: incident.title }));
}

/** Opens the registry (the database `DATABASE_URL` or the embedded default names), runs `work`, closes it. */
async function withRegistry<T>(plan: DayRecordingPlan, context: DayRecordingContext, work: (registry: ResearchRegistry) => Promise<T>): Promise<T> {
  return withRegistryAt(context.env, context.cwd, context.now, work, plan.gates);
}

/**
 * Opens the research registry as the promotion gate opens it (`DATABASE_URL` and
 * `QUANTBOT_DB_SCHEMA`, else the embedded default under `cwd`), runs `work` on it and closes it:
 * held only for the work, so the trader and the promotion gate can take turns on an embedded one.
 */
export async function withRegistryAt<T>(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  now: () => number,
  work: (registry: ResearchRegistry) => Promise<T>,
  gates?: PromotionGateConfig,
): Promise<T> {
  const schema = env[REGISTRY_SCHEMA_ENV]?.trim();
  const handle = await openDatabase<RegistryTables>({ migrations: REGISTRY_DATABASE_MIGRATIONS, env, cwd, ...(schema ? { schema } : {}) });
  try {
    return await work(new ResearchRegistry(handle.db, { clock: { now: () => epochMs(now()) }, ...(gates !== undefined ? { gates } : {}) }));
  } finally {
    await handle.close();
  }
}

/**
 * A P1 or P2 incident of a session that records evidence opens a defect of its experiment (once
 * per incident), which blocks promotion and capital-stage advances until someone closes it. The
 * write runs beside trading (the caller awaits it at the stop); a failure is printed, never thrown.
 */
export async function openIncidentDefect(plan: DayRecordingPlan, context: DayRecordingContext, incident: Incident, io: CliIo, log: Logger): Promise<void> {
  if (incident.priority !== 'P1' && incident.priority !== 'P2') return;
  await withRegistry(plan, context, (registry) =>
    registry.openDefect(plan.experimentId, { severity: incident.priority, title: `incident ${incident.id}: ${incident.title}`, openedBy: `live-trader/${context.sessionId}`, incidentId: incident.id }),
  ).then(
    (opened) => {
      if (opened.created) io.err(`error: defect ${opened.record.id} (${incident.priority}) opened on ${plan.experimentId} for incident ${incident.id}; close it after the fix: promotion-gate:research -- defect close --defect ${opened.record.id}`);
    },
    (error: unknown) => {
      io.err(`error: incident ${incident.id} could not open a defect on ${plan.experimentId}: ${error instanceof Error ? error.message : String(error)}`);
      log.error('defect not opened', { incident: incident.id, error });
    },
  );
}
