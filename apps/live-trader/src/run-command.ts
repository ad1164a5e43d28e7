import { resolve } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { BACKTEST_RUN_FLAGS, formatRunFile, parseRunFlags } from '@quantbot/cli';
import { ConfigError } from '@quantbot/core';
import { resolveAlpacaCredentials } from '@quantbot/alpaca';
import type { AlpacaEndpointMode } from '@quantbot/alpaca';
import { VenueUnavailableError } from '@quantbot/core';
import { LiveStateError, decideLiveStart, hasSessionHistory } from '@quantbot/live';
import type { Incident, LiveAuthorization, LiveCheckpoint, LiveNotify, LiveStateStore, LiveStepReport } from '@quantbot/live';
import { isStrategyFileRef } from '@quantbot/validation';
import type { RunData } from '@quantbot/validation';
import type { Logger } from '@quantbot/observability';
import { StorageError } from '@quantbot/storage';
import { parseParamList } from '@quantbot/strategies';
import { DEFAULT_KILL_FILE } from './kill-switch-command';
import { checkLivePromotion } from './live-promotion';
import { describeKillSwitch, resolveEndpoints } from './live-guardrails';
import { liveNotifier, reportOutcome } from './live-notices';
import { loadReplayData, runAlpaca, runReplay } from './run-session';
import type { AlpacaSession, SessionOptions } from './run-session';
import { RUN_FLAGS, RUN_PATH_FLAGS, RUN_USAGE, runDefaults } from './run-flags';
import { makePlan } from './run-plan';
import type { Plan } from './run-plan';
import type { StopSignal } from './stop-signal';
import { createTraderMetrics, serveTraderMetrics } from './trader-metrics';
import { openStateStore } from './state-store-flags';
import { planOperations, startOperations } from './run-operations';
import { createDayRecorder, openIncidentDefect, planDayRecording, startDayRecording } from './trading-days';
import type { DayRecordingStart } from './trading-days';
import type { TraderMetrics } from './trader-metrics';
import { DEFAULT_STATUS_EVERY, StatusTicker, outputModeOf, parseStatusEvery, runOutput } from './trader-output';
import type { RunOutput } from './trader-output';
import { TraderView } from './trader-view';

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

export async function runCommand(argv: readonly string[], rawIo: CliIo, deps: RunDeps): Promise<number> {
  const { flags, runFile, printConfig } = parseRunFlags(argv, RUN_FLAGS, {
    command: 'live-trader run',
    cwd: rawIo.cwd,
    pathFlags: RUN_PATH_FLAGS,
    pathWhen: { strategy: isStrategyFileRef },
    otherCommands: [{ name: 'backtester run', flags: BACKTEST_RUN_FLAGS }],
  });
  if (flags['help'] === true) {
    rawIo.out(RUN_USAGE);
    return 0;
  }
  if (printConfig) {
    rawIo.out(formatRunFile(flags, RUN_FLAGS, runDefaults(flags)));
    return 0;
  }
  const io = runOutput(rawIo, outputModeOf(flags));
  if (runFile !== null) {
    // The resolved flags, never credentials: a run file cannot hold them (they come from the environment).
    io.out(`run file: ${runFile.path} (sha256 ${runFile.sha256.slice(0, 16)})`);
    deps.logger.info('run file', { path: runFile.path, sha256: runFile.sha256, flags: { ...flags } });
  }
  const plan = makePlan(flags, rawIo.cwd);
  const statusEvery = parseStatusEvery(typeof flags['status-every'] === 'string' ? flags['status-every'] : DEFAULT_STATUS_EVERY);
  const metricsPort = metricsPortOf(flags);
  const log = deps.logger;
  // The SLOs and paging are checked before anything opens: a bad file or variable is named, exit 2.
  const operations = planOperations(flags, deps.env, io.cwd);
  // With --experiment, the session's days are evidence: checked before anything opens too.
  const recording = planDayRecording(flags, plan.broker, plan.live, io.cwd);
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
      if (recording === undefined) throw new ConfigError('--experiment', 'live trading needs the research-registry experiment that was promoted to live');
      const promotion = await checkLivePromotion({
        experimentId: recording.experimentId,
        sessionId: plan.sessionId,
        strategy: plan.strategyName,
        params: plan.rawParams,
        ...(plan.strategyFile === undefined ? {} : { strategyFile: { definition: plan.strategyFile.definition, sha256: plan.strategyFile.file.sha256 } }),
        env: deps.env,
        cwd: io.cwd,
        now: deps.now,
        gates: recording.gates,
      });
      if ('refusal' in promotion) {
        io.err(`refused: ${promotion.refusal}`);
        log.warn('live refused', { reason: promotion.refusal });
        return 3;
      }
      authorization = promotion.authorization;
    }
    alpaca = { credentials: resolveAlpacaCredentials(deps.env, { baseUrl: endpoints.tradingUrl }), endpoints, ...(authorization !== undefined ? { live: authorization } : {}) };
  }
  const dayContext = {
    sessionId: plan.sessionId,
    strategy: plan.strategyName,
    params: plan.rawParams,
    ...(plan.strategyFile === undefined ? {} : { strategyFile: { definition: plan.strategyFile.definition, sha256: plan.strategyFile.file.sha256 } }),
    env: deps.env,
    cwd: io.cwd,
    now: deps.now,
  };
  let recordingStart: DayRecordingStart | undefined;
  let limits = plan.limits;
  if (recording !== undefined) {
    const started = await startDayRecording(recording, dayContext, alpaca?.live);
    if ('refusal' in started) {
      io.err(`refused: ${started.refusal}`);
      log.warn('day recording refused', { reason: started.refusal });
      return 3;
    }
    recordingStart = started;
    const capital = started.capital;
    if (capital !== null) {
      // A live session trades under its capital stage: the stage's notional caps its gross exposure.
      limits = { ...limits, maxGrossNotional: Math.min(limits.maxGrossNotional ?? Number.POSITIVE_INFINITY, capital.notionalCap) };
      io.out(
        `capital stage ${capital.stageIndex + 1}/${recording.gates.ramp.stagesPct.length}: ${capital.stagePct}% of ${capital.targetCapital} = gross notional cap ${limits.maxGrossNotional}`,
      );
    }
    io.out(`evidence: ${recording.stage} days recorded for ${recording.experimentId} snapshot ${started.snapshotId}; shadow fills: ${recording.profile} profile; gates: ${recording.gatesSource}`);
  }
  let opened: Awaited<ReturnType<typeof openStateStore>>;
  try {
    opened = await openStateStore(flags, deps.env, io.cwd);
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
    const resumedKillSwitch = checkpoint?.version === 2 ? checkpoint.gateway.killSwitch : undefined;
    const view = new TraderView({
      withBroker: plan.broker === 'alpaca',
      ...(resumedKillSwitch !== undefined ? { killSwitch: { state: resumedKillSwitch.state, reason: resumedKillSwitch.reason ?? undefined } } : {}),
    });
    const metrics = metricsPort === undefined ? undefined : createTraderMetrics(view, { now: deps.now, staleness: plan.broker === 'alpaca' });
    const server = metrics === undefined ? undefined : await serveTraderMetrics(metrics.registry, metricsPort as number, typeof flags['metrics-host'] === 'string' ? flags['metrics-host'] : '127.0.0.1');
    if (server !== undefined) {
      io.out(`metrics: ${server.url}`);
      log.info('metrics', { url: server.url });
    }
    const watching = watch(io, view, metrics, statusEvery, deps.now);
    const print = liveNotifier(io, log, { broker: plan.broker, onStep: deps.onStep });
    const defectWrites: Promise<void>[] = [];
    const ops = startOperations(operations, {
      sessionId: plan.sessionId,
      now: deps.now,
      opened,
      io,
      log,
      metrics: metrics?.trading,
      resultsDir: resolve(io.cwd, 'results'),
      ...(recording !== undefined ? { onIncidentOpened: (incident: Incident) => void defectWrites.push(openIncidentDefect(recording, dayContext, incident, io, log)) } : {}),
    });
    const days =
      recording !== undefined && recordingStart !== undefined
        ? createDayRecorder(recording, recordingStart, { ...dayContext, store: opened.store, incidents: opened.incidents }, { io, log, raise: (alert) => ops.session.raise(alert) })
        : undefined;
    const notify: LiveNotify = (notice) => {
      view.observe(notice);
      metrics?.observe(notice);
      print(notice);
      ops.session.observe(notice);
      if (notice.kind === 'step') watching.ticker.step();
    };
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
      gateway: { limits, killSwitch: plan.killSwitch },
      checkpoint,
      latencyClock: deps.monotonic,
      ...dataHaltOption(flags),
    };
    try {
      const outcome =
        alpaca !== undefined ? await runAlpaca(common, plan, flags, alpaca, deps, notify, watching.onStream, days) : await runReplay(common, plan, flags, replayData as RunData);
      return reportOutcome(outcome, io, log);
    } finally {
      watching.stop();
      await ops.close();
      await Promise.all(defectWrites);
      await server?.close();
    }
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

/** `--metrics-port`: a port number (0: a free one), or undefined when metrics are not asked for. */
function metricsPortOf(flags: Readonly<Record<string, string | number | boolean>>): number | undefined {
  const port = flags['metrics-port'];
  if (typeof port !== 'number') {
    if (flags['metrics-host'] !== undefined) throw new ConfigError('--metrics-host', 'needs --metrics-port');
    return undefined;
  }
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) throw new ConfigError('--metrics-port', `${port} is not a port number (0-65535)`);
  return port;
}

/** The status line's ticker (and its timer), and where the venue's stream events go. */
function watch(
  io: RunOutput,
  view: TraderView,
  metrics: TraderMetrics | undefined,
  every: ReturnType<typeof parseStatusEvery>,
  now: () => number,
): { readonly ticker: StatusTicker; readonly onStream: (channel: 'trade-stream' | 'bar-stream', state: string) => void; stop(): void } {
  const ticker = new StatusTicker(every, now, () => io.status(view.snapshot()));
  const timerMs = ticker.timerMs;
  const timer = timerMs === undefined ? undefined : setInterval(() => ticker.tick(), timerMs);
  timer?.unref();
  return {
    ticker,
    onStream: (channel, state) => {
      view.streamEvent(channel, state);
      metrics?.refreshConnections();
    },
    stop: () => clearInterval(timer),
  };
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



/** `--data-halt off` or `--data-halt maxStalenessMs=...,spikeReturn=...` (default: on, library defaults). */
function dataHaltOption(flags: Readonly<Record<string, string | number | boolean>>): Pick<SessionOptions, 'dataQualityHalt'> {
  const text = flags['data-halt'];
  if (typeof text !== 'string') return {};
  if (text === 'off') return { dataQualityHalt: false };
  const options: { maxStalenessMs?: number; spikeReturn?: number } = {};
  for (const [key, value] of Object.entries(parseParamList(text, '--data-halt'))) {
    const number = Number(value);
    if (key !== 'maxStalenessMs' && key !== 'spikeReturn') throw new ConfigError('--data-halt', `unknown setting '${key}'; available: maxStalenessMs, spikeReturn, or off`);
    if (!Number.isFinite(number) || number <= 0) throw new ConfigError(`--data-halt ${key}`, `must be a number > 0, got ${String(value)}`);
    options[key] = number;
  }
  return { dataQualityHalt: options };
}
