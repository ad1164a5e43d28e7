import { join, resolve } from 'node:path';
import type { BarUniverse, JsonValue, Ticker } from '@quantbot/core';
import { ConfigError, SeededRng, epochMs, parseTicker } from '@quantbot/core';
import { AlpacaClient, AlpacaMarketDataClient, resolveAlpacaCredentials } from '@quantbot/alpaca';
import type { AlpacaClock, AlpacaCredentials, AlpacaEndpointMode } from '@quantbot/alpaca';
import {
  LiveRunner,
  LiveStateError,
  LiveSession,
  SimulatedLiveBroker,
  VenueUnavailableError,
  connectAlpacaVenue,
  decideLiveStart,
  openLiveStateStore,
  describeChannelsDown,
} from '@quantbot/engine/live';
import type { AlpacaVenue, BarStep, BrokerOutage, LiveBroker, LiveBrokerContext, LiveCheckpoint, LiveStateStore, LiveStepReport, OrphanPolicy } from '@quantbot/engine/live';
import { sliceUniverse } from '@quantbot/engine';
import { EXECUTION_PROFILES } from '@quantbot/execution-sim';
import { alignUniverse, generateSyntheticUniverse, loadBarPath } from '@quantbot/market-data';
import type { Logger } from '@quantbot/observability';
import { StorageError } from '@quantbot/storage';
import type { KillSwitchConfig, RiskLimits, SizingRule } from '@quantbot/risk-guardrails';
import { createStrategy, parseParamList } from '@quantbot/strategies';
import { DEFAULT_KILL_FILE } from './kill-switch-command';
import { checkLivePromotion } from './live-promotion';
import { LIVE_DEFAULT_KILL_SWITCH, describeKillSwitch, planGuardrails, resolveEndpoints } from './live-guardrails';
import type { SessionEndpoints } from './live-guardrails';
import { OperatorControls } from './operator-controls';
import { BROKER_OUTAGE_EXIT_CODE, OutageWatchdog, isBrokerUnreachable, withTimeout } from './outage-watchdog';
import type { StopSignal } from './stop-signal';
import { sizingOf } from './sizing-flags';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

export const RUN_FLAGS: readonly FlagSpec[] = [
  { name: 'strategy', kind: 'string', valueName: 'name', description: 'strategy to trade (default sma-crossover)' },
  { name: 'params', kind: 'string', valueName: 'k=v,...', description: 'strategy parameters, e.g. fast=10,slow=30' },
  { name: 'symbols', kind: 'string', valueName: 'A,B', description: 'symbols to trade (required with --broker alpaca)' },
  { name: 'broker', kind: 'string', valueName: 'sim|alpaca', description: 'sim: the execution simulator on replayed bars, no account (default); alpaca: Alpaca paper, or the fake with --alpaca-url' },
  { name: 'session', kind: 'string', valueName: 'id', description: 'names the saved state and prefixes client order ids (default <strategy>-<broker>)' },
  { name: 'alpaca-url', kind: 'string', valueName: 'url', description: 'trading API root of another server; its market data and streams are taken from it too. Loopback is the local fake; Alpaca paper is paper; any other host is live money and needs --live' },
  { name: 'feed', kind: 'string', valueName: 'iex|sip', description: 'Alpaca market-data feed (default iex)' },
  { name: 'live', kind: 'boolean', description: 'trade real money (api.alpaca.markets, or --alpaca-url); needs --confirm-live, --max-notional, --max-position and --experiment' },
  { name: 'confirm-live', kind: 'string', valueName: 'session', description: 'with --live: repeat the session id to confirm' },
  { name: 'experiment', kind: 'string', valueName: 'id', description: 'with --live: the research-registry experiment promoted to live for this strategy and these parameters' },
  { name: 'max-notional', kind: 'number', valueName: 'usd', description: 'cap on any order notional (required with --live; same as --risk maxOrderNotional)' },
  { name: 'max-position', kind: 'number', valueName: 'shares', description: 'cap on any position, in shares (required with --live; same as --risk maxPositionQty)' },
  { name: 'risk', kind: 'string', valueName: 'k=v,...', description: 'pre-trade limits, as the backtester: maxOrderNotional, maxPositionQty, maxPositionPctEquity, maxGrossExposurePct, priceBandPct, allowShort, maxGapAdjustedExposurePct, gapRisk.<SYM>, ...' },
  { name: 'allow-symbols', kind: 'string', valueName: 'A,B', description: 'only these symbols may be traded' },
  { name: 'deny-symbols', kind: 'string', valueName: 'A,B', description: 'these symbols may not be traded' },
  { name: 'kill-switch', kind: 'string', valueName: 'k=v,...', description: `drawdown and daily-loss levels, cooldown, re-arm policy, as the backtester (live default ${describeKillSwitch(LIVE_DEFAULT_KILL_SWITCH)} when no halt level is given)` },
  { name: 'sizing', kind: 'string', valueName: 'rule', description: 'how --sizing-pct sizes a new position: percent-of-cash (default: of the cash left) or percent-of-equity (of cash plus open positions)' },
  { name: 'sizing-pct', kind: 'number', valueName: 'pct', description: 'percent per new position, of cash or equity as --sizing says (default 10)' },
  { name: 'orphans', kind: 'string', valueName: 'cancel|adopt', description: 'open orders at the broker that this session did not send, on its symbols (default cancel)' },
  { name: 'max-outage-ms', kind: 'number', valueName: 'ms', description: `alpaca: stop with exit ${BROKER_OUTAGE_EXIT_CODE} once the broker (either stream or REST) has been unreachable this long in market hours (default 60000)` },
  { name: 'clock-poll-ms', kind: 'number', valueName: 'ms', description: 'while the market is closed, ask the broker\'s clock again this often (default 60000)' },
  { name: 'history-minutes', kind: 'number', valueName: 'n', description: 'minutes of bars to warm a new Alpaca session up with (default 600)' },
  { name: 'data', kind: 'string', valueName: 'file|dir', description: 'sim: bar files to replay (default: seeded synthetic data)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'sim: seed of the synthetic data (default 42)' },
  { name: 'warmup-bars', kind: 'number', valueName: 'n', description: 'sim: bars of the data used only to warm up (default 100)' },
  { name: 'interval-ms', kind: 'number', valueName: 'ms', description: 'sim: real time between replayed bars (default 0)' },
  { name: 'cash', kind: 'number', valueName: 'usd', description: 'sim: starting cash (default 100000)' },
  { name: 'stop-after', kind: 'number', valueName: 'bars', description: 'stop cleanly after this many bars' },
  { name: 'state-dir', kind: 'string', valueName: 'dir', description: 'embedded state database directory (default .quantbot/live; DATABASE_URL selects a server)' },
  { name: 'state-schema', kind: 'string', valueName: 'name', description: 'Postgres schema of the state (default quantbot_live)' },
  { name: 'kill-file', kind: 'string', valueName: 'path', description: `the kill file to obey, read at start, before every bar and on a timer (default ${DEFAULT_KILL_FILE})` },
  { name: 'kill-file-poll-ms', kind: 'number', valueName: 'ms', description: 'read the kill file and re-arm requests this often while no bar arrives (default 1000)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const USAGE = `usage: live-trader run [flags]

Trades a strategy on paper, bar by bar, with the same engine, gateway and strategy code as a
backtest. State (checkpoint, orders, fills, audit) is saved after every bar; a restart continues
where the last process stopped, after reconciling with the broker. SIGINT/SIGTERM stop cleanly.

flags:
${formatFlagHelp(RUN_FLAGS)}

A checkpoint that is unreadable, edited in the database (it fails its integrity hash) or saved
without a hash is refused, and the refusal stands on every later start until an operator runs
'live-trader state accept' or 'state reset'. One process trades a session at a time (embedded:
the data directory's lock; server: a Postgres advisory lock on the session).

exit codes: 0 stopped cleanly, 1 failure, 2 usage or configuration error, 3 refused to trade
(a refused checkpoint, the session already traded by another process, or a live run that is not
allowed), 4 the broker cannot be reached at the start, 5 broker outage: the broker was unreachable
for --max-outage-ms of market hours, or a stop was asked for while it was (open orders cancelled
as far as it answered; positions may be open).`;

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

interface Plan {
  readonly strategyName: string;
  readonly rawParams: Readonly<Record<string, string>>;
  readonly broker: 'sim' | 'alpaca';
  /** `--live`: every live safeguard is required (and the endpoints must not be Alpaca paper). */
  readonly live: boolean;
  readonly sessionId: string;
  readonly symbols: readonly Ticker[] | undefined;
  readonly limits: RiskLimits;
  readonly killSwitch: KillSwitchConfig;
  /** Whether the kill switch is the live default (no halt level was given for a live run). */
  readonly killSwitchIsDefault: boolean;
  readonly killFilePollMs: number;
  readonly maxOutageMs: number;
  readonly sizing: SizingRule;
  readonly orphans: OrphanPolicy;
  readonly stopAfter: number | undefined;
}

export async function runCommand(argv: readonly string[], io: CliIo, deps: RunDeps): Promise<number> {
  const flags = parseFlags(argv, RUN_FLAGS);
  if (flags['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  const plan = makePlan(flags);
  const log = deps.logger;

  io.out(`kill switch: ${describeKillSwitch(plan.killSwitch)}${plan.killSwitchIsDefault ? ' (the live default: no halt level was given)' : ''}`);
  log.info('guardrails', { killSwitch: { ...plan.killSwitch }, killSwitchIsDefault: plan.killSwitchIsDefault, limits: Object.keys(plan.limits) });

  // Live money: only with every safeguard in place, checked before anything connects. The
  // endpoints decide whether this is live, not the flag: any host that is neither Alpaca paper nor
  // loopback may be real money.
  let alpaca: { readonly credentials: AlpacaCredentials; readonly endpoints: SessionEndpoints } | undefined;
  if (plan.broker === 'alpaca') {
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
      const refusal = await checkLivePromotion({ experimentId: experiment, strategy: plan.strategyName, params: plan.rawParams, env: deps.env, cwd: io.cwd, now: deps.now });
      if (refusal !== null) {
        io.err(`refused: ${refusal}`);
        log.warn('live refused', { reason: refusal });
        return 3;
      }
    }
    alpaca = { credentials: resolveAlpacaCredentials(deps.env, { baseUrl: endpoints.tradingUrl }), endpoints };
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
      checkpoint === undefined && (await hasHistory(opened.store, plan.sessionId))
        ? `session ${plan.sessionId} has a history but no checkpoint to resume (reset, or deleted): it starts halted; re-arm it ('live-trader kill-switch rearm --session ${plan.sessionId}') to trade`
        : undefined;
    return alpaca !== undefined
      ? await runAlpaca(plan, flags, alpaca.credentials, alpaca.endpoints, checkpoint, opened.store, io, deps, startHalted)
      : await runSim(plan, flags, checkpoint, opened.store, io, deps, startHalted);
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

function makePlan(flags: Readonly<Record<string, string | number | boolean>>): Plan {
  const strategyName = typeof flags['strategy'] === 'string' ? flags['strategy'] : 'sma-crossover';
  const broker = flags['broker'] ?? 'sim';
  if (broker !== 'sim' && broker !== 'alpaca') throw new ConfigError('--broker', `unknown broker '${String(broker)}'; available: sim, alpaca`);
  const live = flags['live'] === true;
  if (live && broker !== 'alpaca') throw new ConfigError('--live', 'live trading goes through --broker alpaca');
  const symbols =
    typeof flags['symbols'] === 'string'
      ? flags['symbols'].split(',').map((s) => {
          const t = parseTicker(s.trim().toUpperCase());
          if (t === undefined) throw new ConfigError('--symbols', `'${s}' is not a ticker`);
          return t;
        })
      : undefined;
  if (broker === 'alpaca' && symbols === undefined) throw new ConfigError('--symbols', 'required with --broker alpaca');
  const sessionId = typeof flags['session'] === 'string' ? flags['session'] : `${strategyName}-${broker}`;
  const positive = (name: string): number | undefined => {
    const v = flags[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !(v > 0)) throw new ConfigError(`--${name}`, `must be a positive number, got ${String(v)}`);
    return v;
  };
  const guardrails = planGuardrails(flags, live);
  const orphans = flags['orphans'] ?? 'cancel';
  if (orphans !== 'cancel' && orphans !== 'adopt') throw new ConfigError('--orphans', `expected cancel or adopt, got '${String(orphans)}'`);
  const stopAfter = positive('stop-after');
  return {
    strategyName,
    rawParams: typeof flags['params'] === 'string' ? parseParamList(flags['params']) : {},
    broker,
    live,
    sessionId,
    symbols,
    limits: guardrails.limits,
    killSwitch: guardrails.killSwitch,
    killSwitchIsDefault: guardrails.killSwitchIsDefault,
    killFilePollMs: positive('kill-file-poll-ms') ?? 1_000,
    maxOutageMs: positive('max-outage-ms') ?? 60_000,
    sizing: sizingOf(flags),
    orphans,
    stopAfter,
  };
}

/**
 * Whether the session has traded before: checkpoints (set aside ones too), audit rows, or the
 * session's audit anchor (kept apart from the rows, so deleting the rows and checkpoints does not
 * make an old session look new).
 */
async function hasHistory(store: LiveStateStore, sessionId: string): Promise<boolean> {
  if ((await store.checkpoints(sessionId)).length > 0) return true;
  const audit = await store.verifyAudit(sessionId);
  return audit.rows > 0 || audit.anchor !== null || !audit.ok;
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

async function runAlpaca(
  plan: Plan,
  flags: Readonly<Record<string, string | number | boolean>>,
  credentials: AlpacaCredentials,
  endpoints: SessionEndpoints,
  checkpoint: LiveCheckpoint | undefined,
  store: LiveStateStore,
  io: CliIo,
  deps: RunDeps,
  startHalted: string | undefined,
): Promise<number> {
  const symbols = plan.symbols as readonly Ticker[];
  const { strategy, params } = createStrategy(plan.strategyName, plan.rawParams, symbols.length);
  const rng = new SeededRng(hashText(plan.sessionId));
  const client = new AlpacaClient({ credentials, now: deps.now, rng });
  const marketData = new AlpacaMarketDataClient({ credentials, now: deps.now, rng, dataUrl: endpoints.dataUrl });
  const feed = flags['feed'] === 'sip' ? 'sip' : 'iex';
  const journaled = new Map<string, { qty: number; value: number }>();
  for (const fill of await store.fills(plan.sessionId)) {
    const sum = journaled.get(fill.clientOrderId) ?? { qty: 0, value: 0 };
    journaled.set(fill.clientOrderId, { qty: sum.qty + fill.qty, value: sum.value + fill.qty * fill.price });
  }
  const watchdog = new OutageWatchdog({ client, maxOutageMs: plan.maxOutageMs, now: deps.now, io, logger: deps.logger });
  let venue: AlpacaVenue | undefined;
  try {
    venue = await connectAlpacaVenue(
      {
        client,
        marketData,
        credentials,
        dataStreamUrl: endpoints.dataStreamUrl,
        feed,
        sessionId: plan.sessionId,
        strategy: { name: strategy.name, params: params as unknown as JsonValue },
        symbols,
        orphanPolicy: plan.orphans,
        historyMinutes: typeof flags['history-minutes'] === 'number' ? flags['history-minutes'] : 600,
        align: (series) => alignUniverse(series),
        latencyClock: deps.monotonic,
        rng,
        onEvent: (event, detail) => {
          deps.logger.info(event, detail);
          if (event === 'trade-stream' || event === 'bar-stream') watchdog.streamState(event, String(detail['state']), String(detail['detail']));
        },
        journaled,
      },
      checkpoint,
    );
    for (const d of venue.divergences) io.out(`reconciliation: ${d.kind}${d.symbol === null ? '' : ` ${d.symbol}`}: local ${JSON.stringify(d.local)}, broker ${JSON.stringify(d.broker)}: ${d.action}`);
    const connected = venue;
    watchdog.clock(venue.clock);
    const session = new LiveSession({
      sessionId: plan.sessionId,
      strategy,
      params: params as unknown as JsonValue,
      symbols,
      startingCash: venue.restore.ledger.startingCash,
      sizing: plan.sizing,
      gateway: { limits: plan.limits, killSwitch: plan.killSwitch },
      ...(venue.history !== null ? { history: venue.history } : {}),
      restore: venue.restore,
      latencyClock: deps.monotonic,
      broker: (context: LiveBrokerContext) => connected.broker(context),
    });
    for (const d of venue.divergences) session.audit(deps.now(), 'reconciliation', { kind: d.kind, symbol: d.symbol, local: d.local, broker: d.broker, action: d.action });
    session.recordRecoveredFills(venue.recoveredFills);
    return await drive(session, store, plan, flags, io, deps, {
      startHalted,
      recoveredFills: venue.recoveredFills.length,
      start: async (push) => {
        // Outside trading hours the session sleeps (reconciled, state saved) until the broker's
        // clock says the market is open, then subscribes to bars.
        const pollMs = typeof flags['clock-poll-ms'] === 'number' ? flags['clock-poll-ms'] : 60_000;
        if (!(await sleepUntilOpen(client, pollMs, deps, io, (clock) => watchdog.clock(clock)))) return;
        await connected.startBars(push, session.lastBarTime);
      },
      watchdog,
      // After an outage: cancel the session's open orders, if the broker answers at all (bounded).
      cancelOpenOrders: async () => {
        const open = await withTimeout(client.listOrders({ status: 'open', symbols }), 5_000, 'GET /v2/orders');
        const own = open.filter((o) => o.clientOrderId.startsWith(`${plan.sessionId}-`));
        const failed: string[] = [];
        for (const order of own) {
          await withTimeout(client.cancelOrder(order.id), 5_000, `DELETE /v2/orders/${order.id}`).catch((error: unknown) => failed.push(`${order.clientOrderId}: ${(error as Error).message}`));
        }
        return { cancelled: own.length - failed.length, failed };
      },
      periodicCheck: async () => {
        const core = session.core;
        const found = await connected.compare({
          cash: core.ledger.cash,
          qty: (symbol) => core.position(core.ledger.indexOf(symbol)),
          hasWorkingOrder: (symbol) => core.hasPendingOrder(core.ledger.indexOf(symbol)),
        });
        if (found.length > 0) session.gateway.trigger('halted', `reconciliation: ${found.map((d) => d.kind).join(', ')} differ from the broker`, deps.now(), 'external');
        return found.map((d) => ({ kind: `divergence-${d.kind}`, detail: { symbol: d.symbol, local: d.local, broker: d.broker, action: d.action } }));
      },
    });
  } finally {
    await venue?.close();
    await client.close();
    await marketData.close();
  }
}

async function runSim(
  plan: Plan,
  flags: Readonly<Record<string, string | number | boolean>>,
  checkpoint: LiveCheckpoint | undefined,
  store: LiveStateStore,
  io: CliIo,
  deps: RunDeps,
  startHalted: string | undefined,
): Promise<number> {
  const data: BarUniverse =
    typeof flags['data'] === 'string'
      ? alignUniverse(loadBarPath(resolve(io.cwd, flags['data'])).filter((s) => plan.symbols === undefined || plan.symbols.includes(s.symbol)))
      : generateSyntheticUniverse({ symbols: plan.symbols ?? 3, seed: typeof flags['seed'] === 'number' ? flags['seed'] : 42, bars: 1_000 });
  if (data.length === 0) throw new ConfigError('--data', 'no bars to replay');
  const symbols = data.symbols;
  const { strategy, params } = createStrategy(plan.strategyName, plan.rawParams, symbols.length);
  const warmup = Math.min(data.length, typeof flags['warmup-bars'] === 'number' ? flags['warmup-bars'] : 100);
  const history = sliceUniverse(data, 0, checkpoint === undefined ? warmup : 0);
  const firstLive = checkpoint === undefined ? warmup : firstStepAfter(data, checkpoint.lastBarTime);
  const cash = typeof flags['cash'] === 'number' ? flags['cash'] : 100_000;
  const session = new LiveSession({
    sessionId: plan.sessionId,
    strategy,
    params: params as unknown as JsonValue,
    symbols,
    startingCash: cash,
    sizing: plan.sizing,
    gateway: { limits: plan.limits, killSwitch: plan.killSwitch },
    history: checkpoint?.version === 1 ? sliceUniverse(data, 0, firstLive) : history,
    ...(checkpoint !== undefined ? { restore: checkpoint } : {}),
    latencyClock: deps.monotonic,
    broker: (context: LiveBrokerContext): LiveBroker =>
      new SimulatedLiveBroker({ universe: context.universe, profile: EXECUTION_PROFILES.idealistic, seed: 0, account: context.core.ledger, sink: context.sink }),
  });
  const intervalMs = typeof flags['interval-ms'] === 'number' ? flags['interval-ms'] : 0;
  let afterStep = (): void => undefined;
  return drive(session, store, plan, flags, io, deps, {
    startHalted,
    recoveredFills: 0,
    // The replay plays the market: the next bar "arrives" once the previous step is done and
    // `--interval-ms` has passed, so a bar never waits in a queue and latency means latency.
    start: async (push) => {
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let k = firstLive;
      const next = (): void => {
        if (stopped || k >= data.length) return;
        const step = k++;
        push({
          time: data.time[step] as number,
          bars: symbols.map((_, s) => {
            const at = s * data.length + step;
            if (data.hasBar[at] !== 1) return undefined;
            return { time: epochMs(data.time[step] as number), open: data.open[at] as number, high: data.high[at] as number, low: data.low[at] as number, close: data.close[at] as number, volume: data.volume[at] as number };
          }),
          arrivedAt: deps.monotonic(),
        });
      };
      afterStep = () => {
        timer = setTimeout(next, intervalMs);
      };
      deps.stop.on(() => {
        stopped = true;
        clearTimeout(timer);
      });
      next();
      await Promise.resolve();
    },
    afterStep: () => afterStep(),
    endOfData: data.length - firstLive,
  });
}

/**
 * Waits while the broker's clock says the market is closed, asking again every `pollMs` (and at
 * the announced open). Returns false when a stop was asked for meanwhile.
 */
async function sleepUntilOpen(client: AlpacaClient, pollMs: number, deps: RunDeps, io: CliIo, onClock: (clock: AlpacaClock) => void): Promise<boolean> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const unsubscribe = deps.stop.on(() => {
    stopped = true;
    wake?.();
  });
  try {
    for (let announced = false; !stopped; announced = true) {
      const clock = await client.getClock();
      onClock(clock);
      if (clock.isOpen) return true;
      if (!announced) io.out(`market closed: sleeping until the open at ${new Date(clock.nextOpen).toISOString()}`);
      deps.logger.info('market closed', { nextOpen: new Date(clock.nextOpen).toISOString() });
      const ms = Math.max(10, Math.min(pollMs, clock.nextOpen - clock.timestamp));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return false;
  } finally {
    unsubscribe();
  }
}

interface DriveOptions {
  /** Set: the session starts halted for this reason (after an operator reset) until re-armed. */
  readonly startHalted: string | undefined;
  /** Fills found through REST at the start (reported in the summary). */
  readonly recoveredFills: number;
  readonly start: (push: (step: BarStep) => void) => Promise<void>;
  readonly periodicCheck?: () => Promise<readonly { readonly kind: string; readonly detail: { readonly [key: string]: JsonValue } }[]>;
  /** Bars the source has in all (sim): stop after them. */
  readonly endOfData?: number;
  /** Called once a step is processed and saved (a replay paces itself with it). */
  readonly afterStep?: () => void;
  /** Watches the broker; an outage stops the session (exit 5). */
  readonly watchdog?: OutageWatchdog;
  /** After an outage: cancels the session's open orders at the broker, as far as it answers. */
  readonly cancelOpenOrders?: () => Promise<{ readonly cancelled: number; readonly failed: readonly string[] }>;
}

/** Runs the session until stopped (signal, --stop-after, end of data, failure), saving as it goes. */
async function drive(
  session: LiveSession,
  store: LiveStateStore,
  plan: Plan,
  flags: Readonly<Record<string, string | number | boolean>>,
  io: CliIo,
  deps: RunDeps,
  options: DriveOptions,
): Promise<number> {
  const log = deps.logger;
  const stopAfter = plan.stopAfter ?? options.endOfData;
  const controls = new OperatorControls({ session, killFile: resolve(io.cwd, typeof flags['kill-file'] === 'string' ? flags['kill-file'] : DEFAULT_KILL_FILE), io, logger: log });
  // The kill switch's clock: the bars' time on a replay; with a broker, the wall clock too, so a
  // halt and a re-arm that come from a timer between bars keep their order with those from bars.
  const controlTime = (barTime: number): number => (plan.broker === 'sim' ? barTime : Math.max(deps.now(), barTime));
  const runner = new LiveRunner({
    session,
    store,
    now: deps.now,
    ...(stopAfter !== undefined ? { stopAfter } : {}),
    ...(options.periodicCheck !== undefined ? { periodicCheck: options.periodicCheck, checkEvery: 30 } : {}),
    // Read before every decision: a kill file already in place stops the very first one.
    beforeStep: (time) => {
      controls.poll(controlTime(time));
    },
    onStep: (report) => {
      if (report.ordersSubmitted > 0) log.info('step', { ...report });
      deps.onStep?.(report);
      options.afterStep?.();
    },
    onError: (error) => log.error('step failed', { error }),
  });
  if (options.startHalted !== undefined && session.gateway.trigger('halted', options.startHalted, controlTime(session.lastBarTime), 'external')) {
    io.err(`kill switch: active -> halted: ${options.startHalted}`);
    log.warn('kill switch', { from: 'active', to: 'halted', reason: options.startHalted });
  }
  // Before anything trades: a kill file in place halts a session that has not decided yet, and a
  // re-arm requested while the trader was stopped is applied (or refused) now.
  controls.poll(controlTime(session.lastBarTime));
  // The restart's first save carries what reconciliation and the controls found.
  await runner.save();
  // While no bar arrives (a quiet market, an outage, the market closed) the controls are read on a
  // timer; a change is saved between steps so that a restart sees it.
  const timer = setInterval(() => {
    if (controls.poll(controlTime(session.lastBarTime))) {
      runner.saveBetweenSteps().catch((error: unknown) => log.error('save after an operator control failed', { error }));
    }
  }, plan.killFilePollMs);
  // A broker outage stops the session: said on stderr and in the log at error level, the
  // session's open orders cancelled as far as the broker answers, exit 5.
  let outage: BrokerOutage | undefined;
  let onOutage: () => void = () => undefined;
  const outageStopped = new Promise<'outage'>((resolve) => {
    onOutage = () => resolve('outage');
  });
  options.watchdog?.start((found) => {
    outage = found;
    io.err(`error: broker outage: ${describeChannelsDown(found.channels)}; unhealthy for ${found.countedMs} ms of market hours (limit ${plan.maxOutageMs} ms): stopping with exit ${BROKER_OUTAGE_EXIT_CODE}`);
    log.error('broker outage', { since: new Date(found.since).toISOString(), countedMs: found.countedMs, channels: found.channels.map((c) => ({ ...c })) });
    onOutage();
    void runner.stop();
  });
  // A stop asked for while the broker is down is not a clean stop either.
  let stoppedWhileDown: string | undefined;
  const unsubscribe = deps.stop.on(() => {
    stoppedWhileDown = options.watchdog?.describeDown();
    log.info('stop requested', {});
    void runner.stop();
  });
  let failure: unknown;
  try {
    const started = await Promise.race([options.start((step) => runner.push(step)).then(() => 'started' as const), outageStopped]);
    if (started === 'started') io.out(`session ${session.sessionId}: trading ${session.core.symbols.join(',')} after ${new Date(session.lastBarTime).toISOString()} (${plan.broker}); Ctrl-C stops cleanly`);
    await Promise.race([runner.done, outageStopped]);
    // A step stuck on an unreachable broker is not waited for long: the last whole bar is saved.
    await (outage === undefined ? runner.stop() : withTimeout(runner.stop(), 10_000, 'the step in progress'));
  } catch (error) {
    failure = error;
  } finally {
    clearInterval(timer);
    options.watchdog?.stop();
    unsubscribe();
  }
  if (outage !== undefined) return endAfterOutage(session, io, log, options);
  if (failure !== undefined && options.watchdog !== undefined && isBrokerUnreachable(failure)) {
    // A step that could not reach the broker (after the client's retries) is an outage too.
    io.err(`error: broker outage during a step: ${(failure as Error).message}; stopping with exit ${BROKER_OUTAGE_EXIT_CODE}`);
    log.error('broker outage during a step', { error: failure });
    return endAfterOutage(session, io, log, options);
  }
  if (failure !== undefined) {
    io.err(`error: ${failure instanceof Error ? failure.message : String(failure)}; the last saved state is that of the last whole bar`);
    return 1;
  }
  const latency = session.latencyStats();
  const summary = {
    session: session.sessionId,
    bars: runner.steps,
    liveSteps: session.liveSteps,
    equity: session.core.ledger.equity(),
    cash: session.core.ledger.cash,
    positions: session.core.ledger.openPositions().map((p) => ({ symbol: p.symbol, qty: p.qty })),
    latencyMs: { count: latency.count, p50: latency.p50Ms, p99: latency.p99Ms, max: latency.maxMs },
    recoveredFills: options.recoveredFills,
  };
  log.info('stopped', summary);
  io.out(JSON.stringify(summary));
  if (stoppedWhileDown !== undefined) {
    io.err(`error: stopped during a broker outage (${stoppedWhileDown}): exit ${BROKER_OUTAGE_EXIT_CODE}, not a clean stop; positions may be open`);
    log.error('stopped during a broker outage', { down: stoppedWhileDown });
    return BROKER_OUTAGE_EXIT_CODE;
  }
  return 0;
}

/** After an outage: cancels what the broker lets it, says what is still open and held, exit 5. */
async function endAfterOutage(session: LiveSession, io: CliIo, log: Logger, options: DriveOptions): Promise<number> {
  try {
    const result = await options.cancelOpenOrders?.();
    if (result !== undefined) {
      io.err(`broker outage: cancelled ${result.cancelled} open order(s) of the session${result.failed.length > 0 ? `; could not cancel: ${result.failed.join('; ')}` : ''}`);
      log.error('outage cancels', { cancelled: result.cancelled, failed: [...result.failed] });
    }
  } catch (error) {
    io.err(`broker outage: could not list the session's open orders to cancel them (${(error as Error).message}); they may still be working at the broker`);
    log.error('outage cancels', { error });
  }
  const positions = session.core.ledger.openPositions().map((p) => `${p.symbol} ${p.qty}`);
  io.err(`broker outage: stopped (exit ${BROKER_OUTAGE_EXIT_CODE}); positions held by the books of the last whole bar: ${positions.length === 0 ? 'none' : positions.join(', ')}`);
  return BROKER_OUTAGE_EXIT_CODE;
}

function firstStepAfter(u: BarUniverse, time: number): number {
  let k = 0;
  while (k < u.length && (u.time[k] as number) <= time) k++;
  return k;
}

function hashText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

