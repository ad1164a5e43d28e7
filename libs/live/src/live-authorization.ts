import type { JsonValue, VenueMoneyMode } from '@quantbot/core';
import { QuantbotError, canonicalJson } from '@quantbot/core';
import type { CapitalStageState, PromotionStage, ResearchRegistry } from '@quantbot/research-registry';
import type { OrderGatewayOptions } from '@quantbot/risk-guardrails';
import type { StrategyDefinition } from '@quantbot/strategies';
import { createStrategy } from '@quantbot/strategies';

/**
 * Why live trading was refused:
 * - `LIVE_NOT_AUTHORIZED`: a real-money venue and no `LiveAuthorization` (or one this library did
 *   not issue);
 * - `LIVE_NOT_PROMOTED`: the research registry holds no `live` promotion of this strategy with
 *   these parameters (or the experiment does not exist);
 * - `LIVE_AUTHORIZATION_MISMATCH`: the authorization is for another session, strategy or
 *   parameters than the ones about to trade;
 * - `LIVE_UNCAPPED`: the gateway lacks a cap a live session must have (`field` names it);
 * - `LIVE_KILL_SWITCH`: the kill switch has no halt level, its lowest halt level is above
 *   `LIVE_MAX_HALT_LEVEL_PCT` (25%), or it re-arms itself.
 */
export type LiveAuthorizationErrorCode = 'LIVE_NOT_AUTHORIZED' | 'LIVE_NOT_PROMOTED' | 'LIVE_AUTHORIZATION_MISMATCH' | 'LIVE_UNCAPPED' | 'LIVE_KILL_SWITCH';

/** Live trading refused, before any order could reach the venue. `field` names the option at fault. */
export class LiveAuthorizationError extends QuantbotError {
  declare readonly code: LiveAuthorizationErrorCode;
  /** The option at fault: `live`, `gateway.limits.maxOrderNotional`, `gateway.killSwitch.rearm`, `experimentId`, … */
  readonly field: string;
  /** What is wrong, without the field. */
  readonly reason: string;

  constructor(code: LiveAuthorizationErrorCode, field: string, reason: string, options?: { cause?: unknown }) {
    super(code, `${field}: ${reason}`, options);
    this.field = field;
    this.reason = reason;
  }
}

/** The authorizations `authorizeLiveTrading` issued: an object built any other way is not one. */
const ISSUED = new WeakSet<LiveAuthorization>();
let issue: (fields: AuthorizationFields) => LiveAuthorization;

/**
 * Proof that a session may trade real money: the research registry held a `live` promotion of
 * this strategy with these parameters when it was issued, for this session. Only
 * {@link authorizeLiveTrading} makes one (the constructor is private, and `tradeOnVenue` and
 * `connectVenue` accept only instances it issued), so a session that reaches a live venue through
 * them cannot skip the registry. (Code that builds its own broker over a client created with
 * `allowLiveOrders` is outside any library's reach; see docs/live-trading.md.)
 */
export class LiveAuthorization {
  readonly sessionId: string;
  readonly experimentId: string;
  readonly strategy: string;
  /** The promoted parameters, as canonical JSON (the strategy's resolved parameters). */
  readonly params: string;
  /**
   * The sha256 of the strategy file the promotion covers (the experiment and snapshot recorded it,
   * and the session trades it), or null for a shipped strategy. A session of a strategy file
   * checkpoints its parameters as `{ strategyFile: { sha256 }, values }`: `checkLiveSafeguards`
   * requires exactly this hash there.
   */
  readonly strategyFileSha256: string | null;
  readonly snapshotId: string;
  /**
   * The capital stage the snapshot's live promotion stands at: a session trading under this
   * authorization must cap its gross notional at `capital.notionalCap` (see `checkLiveSafeguards`).
   */
  readonly capital: CapitalStageState;

  private constructor(fields: AuthorizationFields) {
    this.sessionId = fields.sessionId;
    this.experimentId = fields.experimentId;
    this.strategy = fields.strategy;
    this.params = fields.params;
    this.strategyFileSha256 = fields.strategyFileSha256;
    this.snapshotId = fields.snapshotId;
    this.capital = fields.capital;
    Object.freeze(this);
  }

  static {
    issue = (fields) => {
      const authorization = new LiveAuthorization(fields);
      ISSUED.add(authorization);
      return authorization;
    };
  }
}

interface AuthorizationFields {
  readonly sessionId: string;
  readonly experimentId: string;
  readonly strategy: string;
  readonly params: string;
  readonly strategyFileSha256: string | null;
  readonly snapshotId: string;
  readonly capital: CapitalStageState;
}


export interface AuthorizeLiveOptions {
  /** The research registry holding the promotion. */
  readonly registry: Pick<ResearchRegistry, 'getExperiment' | 'listPromotions' | 'resolveSnapshot' | 'capitalStage'>;
  /** The experiment that was promoted to `live`. */
  readonly experimentId: string;
  /** The session the authorization is for. */
  readonly sessionId: string;
  /** The strategy's name and its parameters as given (they are resolved as the strategy resolves them). */
  readonly strategy: string;
  readonly params: Readonly<Record<string, string>>;
  /** When the session trades a strategy file: its definition and the sha256 of its bytes (see {@link SessionStrategyFile}). */
  readonly strategyFile?: SessionStrategyFile;
}

/**
 * The strategy file a session trades: its definition (which resolves the parameters) and the
 * sha256 of its bytes. A promotion covers a strategy file only when the experiment and the
 * promoted snapshot recorded exactly this hash: a changed file is a different strategy.
 */
export interface SessionStrategyFile {
  readonly definition: StrategyDefinition;
  readonly sha256: string;
}

/**
 * Checks the research registry and issues the session's `LiveAuthorization`: the experiment must
 * exist, be about `strategy`, and hold a `live` promotion of a snapshot whose parameters, resolved
 * by the strategy, are the ones about to trade, with a capital stage that is not halted (the
 * authorization carries it). For a session of a strategy file, the experiment and the snapshot
 * must have recorded the file's hash. Throws `LiveAuthorizationError` (`LIVE_NOT_PROMOTED`, naming
 * `experimentId`, `strategy`, `strategyFile` or `params`) otherwise.
 */
export async function authorizeLiveTrading(options: AuthorizeLiveOptions): Promise<LiveAuthorization> {
  const found = await findPromotedSnapshot({
    registry: options.registry,
    experimentId: options.experimentId,
    stage: 'live',
    strategy: options.strategy,
    params: options.params,
    ...(options.strategyFile === undefined ? {} : { strategyFile: options.strategyFile }),
  });
  const capital = await options.registry.capitalStage(options.experimentId, { snapshotId: found.snapshotId });
  if (capital === null) {
    throw new LiveAuthorizationError('LIVE_NOT_PROMOTED', 'experimentId', `experiment ${options.experimentId} snapshot ${found.snapshotId} has no capital stage: promote it to live with a target capital`);
  }
  if (capital.halted) {
    throw new LiveAuthorizationError(
      'LIVE_NOT_PROMOTED',
      'experimentId',
      `the capital ramp of ${options.experimentId} is halted since ${new Date(capital.since).toISOString()}${capital.reason !== null ? ` (${capital.reason})` : ''}; ` +
        "resume it with 'promotion-gate:research -- stage resume' after review",
    );
  }
  return issue({
    sessionId: options.sessionId,
    experimentId: options.experimentId,
    strategy: options.strategy,
    params: found.params,
    strategyFileSha256: options.strategyFile?.sha256 ?? null,
    snapshotId: found.snapshotId,
    capital,
  });
}

/** Whether a snapshot of the experiment promoted to `stage` has these parameters (as the strategy resolves them). */
type PromotedSnapshot =
  | { readonly kind: 'found'; readonly snapshotId: string; readonly params: string }
  | { readonly kind: 'not-promoted' }
  | { readonly kind: 'other-params'; readonly params: string }
  | { readonly kind: 'other-file'; readonly snapshotId: string; readonly sha256: string | null };

async function promotedSnapshotOf(
  registry: Pick<ResearchRegistry, 'listPromotions' | 'resolveSnapshot'>,
  experimentId: string,
  stage: PromotionStage,
  strategy: string | StrategyDefinition,
  params: Readonly<Record<string, string>>,
  fileSha256: string | null,
): Promise<PromotedSnapshot> {
  const promoted = (await registry.listPromotions(experimentId)).filter((p) => p.stage === stage);
  if (promoted.length === 0) return { kind: 'not-promoted' };
  const wanted = resolvedParams(strategy, params);
  let otherFile: PromotedSnapshot | undefined;
  for (const promotion of promoted) {
    const snapshot = await registry.resolveSnapshot(experimentId, { snapshotId: promotion.snapshotId });
    if (resolvedParams(strategy, stringValues(snapshot.params)) !== wanted) continue;
    // The snapshot's parameters were checked against a strategy file: it covers only that file.
    const snapshotSha = snapshot.strategyFileSha256 ?? null;
    if (snapshotSha !== fileSha256) {
      otherFile = { kind: 'other-file', snapshotId: snapshot.id, sha256: snapshotSha };
      continue;
    }
    return { kind: 'found', snapshotId: promotion.snapshotId, params: wanted };
  }
  return otherFile ?? { kind: 'other-params', params: wanted };
}

/** How a strategy file hash (or its absence) reads in a refusal. */
function describeFile(sha256: string | null): string {
  return sha256 === null ? 'no strategy file (a shipped strategy)' : `strategy file sha256 ${sha256}`;
}

/**
 * The snapshot a session's trading days are evidence for: the experiment must be about
 * `strategy` and hold a promotion to `stage` of a snapshot whose parameters, as the strategy
 * resolves them, are the session's. Throws `LiveAuthorizationError` `LIVE_NOT_PROMOTED` (naming
 * `experimentId`, `strategy` or `params`) otherwise: a session records days only for what it trades.
 * With `strategyFile` (a session of a strategy file), the experiment and the promoted snapshot must
 * have recorded that file's sha256 (refused naming `strategyFile` and both hashes otherwise), and
 * the parameters are resolved by the file's definition; without it, an experiment or snapshot of a
 * strategy file is refused. Returns the snapshot and the parameters as canonical JSON.
 */
export async function findPromotedSnapshot(options: {
  readonly registry: Pick<ResearchRegistry, 'getExperiment' | 'listPromotions' | 'resolveSnapshot'>;
  readonly experimentId: string;
  readonly stage: PromotionStage;
  readonly strategy: string;
  readonly params: Readonly<Record<string, string>>;
  readonly strategyFile?: SessionStrategyFile;
}): Promise<{ readonly snapshotId: string; readonly params: string }> {
  let experiment;
  try {
    experiment = await options.registry.getExperiment(options.experimentId);
  } catch (error) {
    if (error instanceof QuantbotError) throw new LiveAuthorizationError('LIVE_NOT_PROMOTED', 'experimentId', `experiment ${options.experimentId}: ${error.message}`, { cause: error });
    throw error;
  }
  if (experiment.strategy !== options.strategy) {
    throw new LiveAuthorizationError('LIVE_NOT_PROMOTED', 'strategy', `experiment ${experiment.id} is about ${experiment.strategy}, not ${options.strategy}`);
  }
  const fileSha = options.strategyFile?.sha256 ?? null;
  const experimentSha = experiment.strategyFile?.sha256 ?? null;
  if (experimentSha !== fileSha) {
    throw new LiveAuthorizationError('LIVE_NOT_PROMOTED', 'strategyFile', `experiment ${experiment.id} records ${describeFile(experimentSha)}, but the session trades ${describeFile(fileSha)}: a changed strategy file is a different strategy`);
  }
  const strategy = options.strategyFile?.definition ?? options.strategy;
  const found = await promotedSnapshotOf(options.registry, experiment.id, options.stage, strategy, options.params, fileSha);
  if (found.kind === 'other-file') {
    throw new LiveAuthorizationError('LIVE_NOT_PROMOTED', 'strategyFile', `snapshot ${found.snapshotId} promoted to ${options.stage} records ${describeFile(found.sha256)}, but the session trades ${describeFile(fileSha)}`);
  }
  if (found.kind === 'not-promoted') throw new LiveAuthorizationError('LIVE_NOT_PROMOTED', 'experimentId', `experiment ${experiment.id} has not been promoted to ${options.stage}`);
  if (found.kind === 'other-params') {
    throw new LiveAuthorizationError('LIVE_NOT_PROMOTED', 'params', `the parameters ${found.params} are not those of a snapshot promoted to ${options.stage} in experiment ${experiment.id}`);
  }
  return { snapshotId: found.snapshotId, params: found.params };
}

/**
 * The gate every venue session passes before it connects. A venue whose orders move real money
 * (`moneyMode` `live`), or any session given an authorization (a live rehearsal against a local
 * server), must have: an authorization this library issued, for this session, strategy and
 * parameters (a strategy file's parameters carrying the promoted file's sha256); an order-notional cap, a position cap and a gross-notional cap within its capital
 * stage (`gateway.limits.maxGrossNotional` ≤ the stage's notional cap); and a kill switch with a halt level that
 * only an operator re-arms. Throws `LiveAuthorizationError` naming the option at fault.
 */
export function checkLiveSafeguards(options: {
  readonly moneyMode: VenueMoneyMode;
  readonly live: LiveAuthorization | undefined;
  readonly sessionId: string;
  readonly strategy: string;
  readonly params: JsonValue;
  readonly gateway: OrderGatewayOptions;
}): void {
  if (options.moneyMode !== 'live' && options.live === undefined) return;
  const live = requireLiveAuthorization(options.live, options.sessionId);
  if (live.strategy !== options.strategy) throw new LiveAuthorizationError('LIVE_AUTHORIZATION_MISMATCH', 'strategy', `the authorization is for ${live.strategy}, not ${options.strategy}`);
  // A strategy file's session parameters carry the file's hash: they must be the promoted file's.
  const authorized = live.strategyFileSha256 === null ? live.params : canonicalJson({ strategyFile: { sha256: live.strategyFileSha256 }, values: JSON.parse(live.params) as JsonValue });
  const params = canonicalJson(options.params);
  if (params !== authorized) throw new LiveAuthorizationError('LIVE_AUTHORIZATION_MISMATCH', 'params', `the authorization is for the parameters ${authorized}, not ${params}`);
  const limits = options.gateway.limits ?? {};
  for (const cap of ['maxOrderNotional', 'maxPositionQty'] as const) {
    const value = limits[cap];
    if (value === undefined || !(value > 0) || !Number.isFinite(value)) {
      throw new LiveAuthorizationError('LIVE_UNCAPPED', `gateway.limits.${cap}`, 'a live session must be capped: give a finite positive value');
    }
  }
  // Whatever runs the session, its gross notional stays within the capital stage it was promoted to.
  const stageCap = live.capital.notionalCap;
  const gross = limits.maxGrossNotional;
  if (gross === undefined || !(gross > 0) || !(gross <= stageCap)) {
    throw new LiveAuthorizationError(
      'LIVE_UNCAPPED',
      'gateway.limits.maxGrossNotional',
      `the capital stage allows at most ${stageCap} of gross notional (stage ${live.capital.stageIndex + 1}, ${live.capital.stagePct}% of ${live.capital.targetCapital}); give a positive value no higher`,
    );
  }
  const killSwitch = options.gateway.killSwitch ?? {};
  if (killSwitch.haltAtDrawdownPct === undefined && killSwitch.flattenAtDrawdownPct === undefined && killSwitch.dailyLossLimitPct === undefined) {
    throw new LiveAuthorizationError('LIVE_KILL_SWITCH', 'gateway.killSwitch', 'a live session needs a halt level (haltAtDrawdownPct, flattenAtDrawdownPct or dailyLossLimitPct)');
  }
  const lowest = Math.min(...[killSwitch.haltAtDrawdownPct, killSwitch.flattenAtDrawdownPct, killSwitch.dailyLossLimitPct].filter((v): v is number => v !== undefined));
  if (!(lowest <= LIVE_MAX_HALT_LEVEL_PCT)) {
    throw new LiveAuthorizationError('LIVE_KILL_SWITCH', 'gateway.killSwitch', `the lowest halt level is ${lowest}%: a live session must halt at ${LIVE_MAX_HALT_LEVEL_PCT}% or less`);
  }
  if (killSwitch.rearm === 'auto') {
    throw new LiveAuthorizationError('LIVE_KILL_SWITCH', 'gateway.killSwitch.rearm', 'a live session trades again after a halt only when an operator re-arms it; rearm auto is for paper and backtests');
  }
}

/** The highest halt level (drawdown or daily loss, %) a live session may have as its lowest one. */
export const LIVE_MAX_HALT_LEVEL_PCT = 25;

/**
 * `live`, when `authorizeLiveTrading` issued it for `sessionId`; otherwise a `LiveAuthorizationError`
 * (`LIVE_NOT_AUTHORIZED`: missing or not issued here; `LIVE_AUTHORIZATION_MISMATCH`: another session).
 */
export function requireLiveAuthorization(live: LiveAuthorization | undefined, sessionId: string): LiveAuthorization {
  if (live === undefined || !ISSUED.has(live)) {
    throw new LiveAuthorizationError(
      'LIVE_NOT_AUTHORIZED',
      'live',
      live === undefined
        ? 'this venue trades real money: give the LiveAuthorization that authorizeLiveTrading issues for a strategy promoted to live'
        : 'this authorization was not issued by authorizeLiveTrading',
    );
  }
  if (live.sessionId !== sessionId) throw new LiveAuthorizationError('LIVE_AUTHORIZATION_MISMATCH', 'sessionId', `the authorization is for session ${live.sessionId}, not ${sessionId}`);
  return live;
}

function resolvedParams(strategy: string | StrategyDefinition, params: Readonly<Record<string, string>>): string {
  return canonicalJson(createStrategy(strategy, params, 1).params as unknown as JsonValue);
}

function stringValues(params: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) out[key] = String(value);
  return out;
}
