import { join, resolve } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { describeDataQuality, parseFlags } from '@quantbot/cli';
import type { JsonValue, Ticker } from '@quantbot/core';
import { ConfigError, SeededRng } from '@quantbot/core';
import { AlpacaClient, AlpacaMarketDataClient, AlpacaVenue, resolveAlpacaCredentials } from '@quantbot/alpaca';
import type { AlpacaCredentials, AlpacaEndpointMode } from '@quantbot/alpaca';
import { VenueUnavailableError } from '@quantbot/core';
import { LiveStateError, OutageWatchdog, decideLiveStart, hasSessionHistory, openLiveStateStore, tradeOnReplay, tradeOnVenue } from '@quantbot/live';
import type { DriveOutcome, LiveAuthorization, LiveCheckpoint, LiveNotify, LiveStateStore, LiveStepReport, LiveTradingOptions } from '@quantbot/live';
import { alignUniverse } from '@quantbot/market-data';
import { loadRunData } from '@quantbot/validation';
import type { RunData } from '@quantbot/validation';
import type { Logger } from '@quantbot/observability';
import { StorageError } from '@quantbot/storage';
import { createStrategy } from '@quantbot/strategies';
import { DEFAULT_KILL_FILE } from './kill-switch-command';
import { checkLivePromotion } from './live-promotion';
import { describeKillSwitch, resolveEndpoints } from './live-guardrails';
import type { SessionEndpoints } from './live-guardrails';
import { liveNotifier, reportOutcome } from './live-notices';
import { RUN_FLAGS, RUN_USAGE } from './run-flags';
import { makePlan } from './run-plan';
import type { Plan } from './run-plan';
import type { StopSignal } from './stop-signal';

export interface RunDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Wall clock (ms): save stamps and the Alpaca client's rate-limit arithmetic. */
  readonly now: () => number;
  /** Monotonic clock (ms): latency. */
  readonly monotonic: () => number;
  readonly stop: StopSignal;
  readonly logger: Logger;
  /** Called after every bar step (tests use it to pace a replay). */
  readonly onStep?: (report: LiveStepReport) => void;
}

export async function runCommand(argv: readonly string[], io: CliIo, deps: RunDeps): Promise<number> {
  const flags = parseFlags(argv, RUN_FLAGS);
  if (flags['help'] === true) {
    io.out(RUN_USAGE);
    return 0;
  }
  const plan = makePlan(flags);
  const log = deps.logger;
  // Replayed bars pass the same data-quality gate as a backtest's, before anything opens.
  const replayData = plan.broker === 'sim' ? loadReplayData(plan, flags, io) : undefined;

  io.out(`kill switch: ${describeKillSwitch(plan.killSwitch)}${plan.killSwitchIsDefault ? ' (the live default: no halt level was given)' : ''}`);
  log.info('guardrails', { killSwitch: { ...plan.killSwitch }, killSwitchIsDefault: plan.killSwitchIsDefault, limits: Object.keys(plan.limits) });

  // Live money: only with every safeguard in place, checked before anything connects. The
  // endpoints decide whether this is live, not the flag: any host that is neither Alpaca paper nor
  // loopback may be real money.
  let alpaca: AlpacaSession | undefined;
  if (plan.broker === 'alpaca') {
    let authorization: LiveAuthorization | undefined;
    const endpoints = resolveEndpoints(flags, plan.live);
    io.out(`endpoints: trading ${endpoints.tradingUrl}, market data ${endpoints.dataUrl} (${describeMode(endpoints.mode, plan.live)})`);
    if (plan.live) {
      if (flags['confirm-live'] !== plan.sessionId) {
        throw new ConfigError('--confirm-live', `live trading needs --confirm-live ${plan.sessionId} (the session id, typed again)`);
      }
      if (plan.limits.maxOrderNotional === undefined || plan.limits.maxPositionQty === undefined) {
        throw new ConfigError('--max-notional', 'a live trial must be capped: give --max-notional and --max-position (or --risk maxOrderNotional=...,maxPositionQty=...)');
      }
      const experiment = typeof flags['experiment'] === 'string' ? flags['experiment'] : undefined;
      if (experiment === undefined) throw new ConfigError('--experiment', 'live trading needs the research-registry experiment that was promoted to live');
      const promotion = await checkLivePromotion({ experimentId: experiment, sessionId: plan.sessionId, strategy: plan.strategyName, params: plan.rawParams, env: deps.env, cwd: io.cwd, now: deps.now });
      if ('refusal' in promotion) {
        io.err(`refused: ${promotion.refusal}`);
        log.warn('live refused', { reason: promotion.refusal });
        return 3;
      }
      authorization = promotion.authorization;
    }
    alpaca = { credentials: resolveAlpacaCredentials(deps.env, { baseUrl: endpoints.tradingUrl }), endpoints, ...(authorization !== undefined ? { live: authorization } : {}) };
  }
  const stateDir = typeof flags['state-dir'] === 'string' ? flags['state-dir'] : join('.quantbot', 'live');
  const schema = typeof flags['state-schema'] === 'string' ? flags['state-schema'] : 'quantbot_live';
  let opened: Awaited<ReturnType<typeof openLiveStateStore>>;
  try {
    opened = await openLiveStateStore({
      env: deps.env,
      cwd: io.cwd,
      ...(nonEmpty(deps.env['DATABASE_URL']) ? { schema } : { dataDir: stateDir }),
    });
  } catch (error) {
    // Another process has the embedded database: one trader per session (and per data directory).
    if (error instanceof StorageError && error.code === 'STORAGE_LOCKED') return refuseSecondTrader(error.message, plan, io, log);
    throw error;
  }
  log.info('state store', { where: opened.describe() });
  try {
    try {
      await opened.lockSession(plan.sessionId);
    } catch (error) {
      if (error instanceof LiveStateError && error.code === 'LIVE_SESSION_LOCKED') return refuseSecondTrader(error.message, plan, io, log);
      throw error;
    }
    const checkpoint = await loadCheckpoint(opened.store, plan, deps, io);
    if (checkpoint === 'refused') return 3;
    // A session with a history but no checkpoint to resume (an operator reset it, or its
    // checkpoints were deleted) starts from the broker's books with a new kill switch, which would
    // forget a halt the lost checkpoint held: it starts halted, and trades after a re-arm.
    const startHalted =
      checkpoint === undefined && (await hasSessionHistory(opened.store, plan.sessionId))
        ? `session ${plan.sessionId} has a history but no checkpoint to resume (reset, or deleted): it starts halted; re-arm it ('live-trader kill-switch rearm --session ${plan.sessionId}') to trade`
        : undefined;
    const notify = liveNotifier(io, log, { broker: plan.broker, onStep: deps.onStep });
    const common: SessionOptions = {
      store: opened.store,
      now: deps.now,
      notify,
      stop: deps.stop,
      killFile: resolve(io.cwd, typeof flags['kill-file'] === 'string' ? flags['kill-file'] : DEFAULT_KILL_FILE),
      killFilePollMs: plan.killFilePollMs,
      ...(plan.stopAfter !== undefined ? { stopAfter: plan.stopAfter } : {}),
      ...(startHalted !== undefined ? { startHalted } : {}),
      sessionId: plan.sessionId,
      sizing: plan.sizing,
      gateway: { limits: plan.limits, killSwitch: plan.killSwitch },
      checkpoint,
      latencyClock: deps.monotonic,
    };
    const outcome =
      alpaca !== undefined ? await runAlpaca(common, plan, flags, alpaca, deps, notify) : await runReplay(common, plan, flags, replayData as RunData);
    return reportOutcome(outcome, io, log);
  } catch (error) {
    if (error instanceof VenueUnavailableError) {
      io.err(`error: ${error.message}`);
      log.error('venue unavailable', { error });
      return 4;
    }
    throw error;
  } finally {
    await opened.close();
  }
}

function describeMode(mode: AlpacaEndpointMode, live: boolean): string {
  if (mode === 'live') return 'LIVE MONEY';
  if (mode === 'local') return live ? 'local: a live rehearsal against a loopback server, every live safeguard applies' : 'local: a loopback server';
  return 'paper';
}

/**
 * The checkpoint to resume from (undefined: start from the broker's books), or 'refused'. A
 * refused checkpoint (unreadable, edited, unhashed) is recorded as the session's refusal, which
 * stands on every later start until an operator acts (`live-trader state accept|reset`).
 */
async function loadCheckpoint(store: LiveStateStore, plan: Plan, deps: RunDeps, io: CliIo): Promise<LiveCheckpoint | undefined | 'refused'> {
  const decision = await decideLiveStart(store, plan.sessionId, deps.now());
  if (decision.kind === 'fresh') return undefined;
  if (decision.kind === 'resume') return decision.checkpoint;
  const { refusal, isNew } = decision;
  deps.logger.error('state refused', { session: plan.sessionId, checkpointSeq: refusal.checkpointSeq, reason: refusal.reason, since: new Date(refusal.at).toISOString(), isNew });
  io.err(
    isNew
      ? `refused: ${refusal.reason}; session ${plan.sessionId} will not trade until an operator acts`
      : `refused: session ${plan.sessionId} has stood refused since ${new Date(refusal.at).toISOString()}: ${refusal.reason}`,
  );
  io.err(
    `see 'live-trader state inspect --session ${plan.sessionId}', then 'state accept --session ${plan.sessionId} --checkpoint <seq> --by <name> --reason <text>' ` +
      `to trade on a checkpoint you have checked, or 'state reset --session ${plan.sessionId} --by <name> --reason <text>' to start from the broker's books`,
  );
  return 'refused';
}

/** Exit 3: another process trades the session (the embedded data directory's lock or the server's advisory lock). */
function refuseSecondTrader(message: string, plan: Plan, io: CliIo, log: Logger): number {
  io.err(`refused: another process is trading with session ${plan.sessionId}'s state: ${message}`);
  log.error('session locked', { session: plan.sessionId, reason: message });
  return 3;
}


/** The strategy and its parameters, built for `symbolCount` symbols. */
function strategyOf(plan: Plan, symbolCount: number): Pick<LiveTradingOptions, 'strategy' | 'params'> {
  const { strategy, params } = createStrategy(plan.strategyName, plan.rawParams, symbolCount);
  return { strategy, params: params as unknown as JsonValue };
}

/** What a session needs besides its strategy (built once the symbols are known). */
type SessionOptions = Omit<LiveTradingOptions, 'strategy' | 'params'>;

/** A `--broker alpaca` session: its credentials, endpoints and, for live money, its authorization. */
interface AlpacaSession {
  readonly credentials: AlpacaCredentials;
  readonly endpoints: SessionEndpoints;
  readonly live?: LiveAuthorization;
}

async function runAlpaca(
  common: SessionOptions,
  plan: Plan,
  flags: Readonly<Record<string, string | number | boolean>>,
  { credentials, endpoints, live }: AlpacaSession,
  deps: RunDeps,
  notify: LiveNotify,
): Promise<DriveOutcome> {
  const symbols = plan.symbols as readonly Ticker[];
  const rng = new SeededRng(hashText(plan.sessionId));
  // Orders may reach a live-money endpoint only with the authorization the checks above issued;
  // tradeOnVenue checks it again, with the caps and the kill switch, before anything connects.
  const client = new AlpacaClient({ credentials, now: deps.now, rng, ...(live !== undefined ? { allowLiveOrders: true } : {}) });
  const marketData = new AlpacaMarketDataClient({ credentials, now: deps.now, rng, dataUrl: endpoints.dataUrl });
  const watchdog = new OutageWatchdog({ probeClock: async () => client.getClock(), maxOutageMs: plan.maxOutageMs, now: deps.now, notify });
  const venue = new AlpacaVenue({
    client,
    marketData,
    credentials,
    dataStreamUrl: endpoints.dataStreamUrl,
    feed: flags['feed'] === 'sip' ? 'sip' : 'iex',
    align: (series) => alignUniverse(series),
    latencyClock: deps.monotonic,
    rng,
    onEvent: (event, detail) => {
      deps.logger.info(event, detail);
      if (event === 'trade-stream' || event === 'bar-stream') watchdog.streamState(event, String(detail['state']), String(detail['detail']));
    },
  });
  try {
    return await tradeOnVenue({
      ...common,
      ...strategyOf(plan, symbols.length),
      venue,
      symbols,
      orphanPolicy: plan.orphans,
      historyMinutes: typeof flags['history-minutes'] === 'number' ? flags['history-minutes'] : 600,
      align: (series) => alignUniverse(series),
      clockPollMs: typeof flags['clock-poll-ms'] === 'number' ? flags['clock-poll-ms'] : 60_000,
      watchdog,
      ...(live !== undefined ? { live } : {}),
    });
  } finally {
    await venue.close();
    await client.close();
    await marketData.close();
  }
}

/**
 * The bars a paper replay trades: `--data` files or seeded synthetic data (`--seed`, 1,000 bars of
 * 3 symbols unless `--symbols` names them), through the data-quality gate (`--data-quality`,
 * `--calendar`, `--repair`, `--max-bar-move-pct`, as `backtester run`); the outcome is printed.
 */
function loadReplayData(plan: Plan, flags: Readonly<Record<string, string | number | boolean>>, io: CliIo): RunData {
  const text = (name: string): string | undefined => (typeof flags[name] === 'string' ? flags[name] : undefined);
  const data = loadRunData(
    {
      ...(text('data') !== undefined ? { data: text('data') } : {}),
      ...(plan.symbols !== undefined ? { symbols: plan.symbols } : {}),
      ...(typeof flags['seed'] === 'number' ? { seed: flags['seed'] } : {}),
      bars: 1_000,
      ...(text('data-quality') !== undefined ? { dataQuality: text('data-quality') } : {}),
      ...(text('calendar') !== undefined ? { calendar: text('calendar') } : {}),
      ...(text('repair') !== undefined ? { repair: text('repair') } : {}),
      ...(typeof flags['max-bar-move-pct'] === 'number' ? { maxBarMovePct: flags['max-bar-move-pct'] } : {}),
    },
    { cwd: io.cwd, syntheticSymbols: 3 },
  );
  if (data.universe.length === 0) throw new ConfigError('--data', 'no bars to replay');
  io.out(`data: ${data.dataLabel}, ${data.universe.symbols.length} symbol(s) x ${data.universe.length} bars; data quality ${describeDataQuality(data.dataQuality)}`);
  return data;
}

async function runReplay(common: SessionOptions, plan: Plan, flags: Readonly<Record<string, string | number | boolean>>, { universe: data }: RunData): Promise<DriveOutcome> {
  return tradeOnReplay({
    ...common,
    ...strategyOf(plan, data.symbols.length),
    data,
    warmupBars: typeof flags['warmup-bars'] === 'number' ? flags['warmup-bars'] : 100,
    intervalMs: typeof flags['interval-ms'] === 'number' ? flags['interval-ms'] : 0,
    startingCash: typeof flags['cash'] === 'number' ? flags['cash'] : 100_000,
  });
}

function hashText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}
