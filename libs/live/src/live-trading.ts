import type { BarSeries, BarUniverse, BarStep, JsonValue, LiveBroker, LiveVenue, Ticker } from '@quantbot/core';
import { epochMs } from '@quantbot/core';
import type { SizingRule } from '@quantbot/risk-guardrails';
import { sliceUniverse } from '@quantbot/engine';
import { EXECUTION_PROFILES } from '@quantbot/execution-sim';
import type { OrderGatewayOptions } from '@quantbot/risk-guardrails';
import type { Strategy } from '@quantbot/strategies';
import type { DriveOptions, DriveOutcome } from './drive-session';
import { driveLiveSession, sleepUntilOpen } from './drive-session';
import type { LiveCheckpoint } from './live-checkpoint';
import { LiveSession } from './live-session';
import type { LiveBrokerContext } from './live-session';
import type { OutageWatchdog } from './outage-watchdog';
import type { OrphanPolicy } from './reconcile';
import { SimulatedLiveBroker } from './simulated-live-broker';
import { connectVenue } from './venue-connection';
import { checkLiveSafeguards } from './live-authorization';
import { containNotify } from './live-notice';
import type { LiveAuthorization } from './live-authorization';
import type { DataQualityHaltOptions } from './data-quality-halt';
import type { TradingDayRecorder } from './trading-day-recorder';

/** What every session needs, whatever feeds it bars. */
export interface LiveTradingOptions extends Pick<DriveOptions, 'store' | 'now' | 'notify' | 'stop' | 'killFile' | 'killFilePollMs' | 'stopAfter' | 'startHalted'> {
  readonly sessionId: string;
  readonly strategy: Strategy;
  /** The strategy's parameters, recorded in checkpoints. */
  readonly params: JsonValue;
  readonly sizing: SizingRule;
  readonly gateway: OrderGatewayOptions;
  /** The checkpoint to resume (see `decideLiveStart`); undefined starts from the broker's books. */
  readonly checkpoint: LiveCheckpoint | undefined;
  /** Milliseconds on a monotonic clock, for latency only. */
  readonly latencyClock: () => number;
  /** The data-quality halt over held symbols (default on; `false` turns it off). */
  readonly dataQualityHalt?: DataQualityHaltOptions | false;
  /**
   * Records each New York day the session trades (see `TradingDayRecorder`). Evidence for the
   * promotion gates comes from venue sessions only: the live trader never gives one to a replay.
   */
  readonly days?: TradingDayRecorder;
}

export interface VenueTradingOptions extends LiveTradingOptions {
  readonly venue: LiveVenue;
  readonly symbols: readonly Ticker[];
  readonly orphanPolicy: OrphanPolicy;
  /** Minutes of minute bars to warm a new session up with. */
  readonly historyMinutes: number;
  /** Aligns series on one time axis (market-data's `alignUniverse`). */
  readonly align: (series: readonly BarSeries[]) => BarUniverse;
  /** While the market is closed, ask the venue's clock again this often. */
  readonly clockPollMs: number;
  /**
   * A minute's bar step is complete when every symbol's bar has arrived, when a later bar
   * arrives, or this long (ms of `latencyClock`) after its first bar; default 10 000. On Alpaca's
   * IEX feed a minute without trades has no bar, so a thinly traded symbol makes its minutes wait
   * this long before the strategy decides.
   */
  readonly stepTimeoutMs?: number;
  /** Watches the venue (its streams' states are fed by the adapter's events): an outage stops the session. */
  readonly watchdog: OutageWatchdog;
  /**
   * Required when the venue's orders move real money (`venue.moneyMode` is `live`), and checked
   * whenever given (a live rehearsal on a local server): see `checkLiveSafeguards`.
   */
  readonly live?: LiveAuthorization;
}

/**
 * Trades a session on a real broker: refuses a real-money venue without a live authorization,
 * caps and a manual kill switch (`LiveAuthorizationError`), connects (failing closed), recovers and reconciles, sleeps
 * while the market is closed, then trades bar by bar until stopped, with the broker watched and
 * compared with the session's books every 30 steps (a difference halts the session).
 */
export async function tradeOnVenue(options: VenueTradingOptions): Promise<DriveOutcome> {
  const { venue } = options;
  // The alert path failing never stops trading (see driveLiveSession): contained from the first notice.
  const alerts = containNotify(options.notify);
  const notify = alerts.notify;
  // Real money only with a promotion, caps and an operator-held kill switch: checked before the
  // journal is read or anything connects, whoever calls this.
  checkLiveSafeguards({ moneyMode: venue.moneyMode, live: options.live, sessionId: options.sessionId, strategy: options.strategy.name, params: options.params, gateway: options.gateway });
  // What the journal already holds per order, so that a fill the broker reports is recovered once.
  const journaled = new Map<string, { qty: number; value: number }>();
  for (const fill of await options.store.fills(options.sessionId)) {
    const sum = journaled.get(fill.clientOrderId) ?? { qty: 0, value: 0 };
    journaled.set(fill.clientOrderId, { qty: sum.qty + fill.qty, value: sum.value + fill.qty * fill.price });
  }
  const connected = await connectVenue(
    {
      venue,
      sessionId: options.sessionId,
      strategy: { name: options.strategy.name, params: options.params },
      symbols: options.symbols,
      orphanPolicy: options.orphanPolicy,
      historyMinutes: options.historyMinutes,
      ...(options.stepTimeoutMs !== undefined ? { stepTimeoutMs: options.stepTimeoutMs } : {}),
      align: options.align,
      latencyClock: options.latencyClock,
      onLateBar: (bar, lastStep) => notify({ kind: 'late-bar', symbol: bar.symbol, time: bar.time, lastStep }),
      journaled,
      ...(options.live !== undefined ? { live: options.live } : {}),
    },
    options.checkpoint,
  );
  for (const divergence of connected.divergences) notify({ kind: 'reconciliation', divergence });
  options.watchdog.clock(connected.clock);
  const session = new LiveSession({
    sessionId: options.sessionId,
    strategy: options.strategy,
    params: options.params,
    symbols: options.symbols,
    startingCash: connected.restore.ledger.startingCash,
    sizing: options.sizing,
    gateway: options.gateway,
    ...(connected.history !== null ? { history: connected.history } : {}),
    restore: connected.restore,
    latencyClock: options.latencyClock,
    ...(options.dataQualityHalt !== undefined ? { dataQualityHalt: options.dataQualityHalt } : {}),
    ...(venue.reversals !== undefined ? { reversals: venue.reversals } : {}),
    broker: (context: LiveBrokerContext) => connected.broker(context),
  });
  for (const d of connected.divergences) session.audit(options.now(), 'reconciliation', { kind: d.kind, symbol: d.symbol, local: d.local, broker: d.broker, action: d.action });
  session.recordRecoveredFills(connected.recoveredFills);
  return driveLiveSession({
    ...common({ ...options, notify }, session),
    alertFailures: alerts.failures,
    controlClock: 'wall',
    recoveredFills: connected.recoveredFills.length,
    // Outside trading hours the session sleeps (reconciled, state saved) until the venue's clock
    // says the market is open, then subscribes to bars.
    start: async (push) => {
      const open = await sleepUntilOpen({ clock: () => venue.clock(), pollMs: options.clockPollMs, stop: options.stop, notify, onClock: (clock) => options.watchdog.clock(clock) });
      if (open) await connected.startBars(push, session.lastBarTime);
    },
    broker: { venue, watchdog: options.watchdog },
    periodicCheck: async () => {
      const core = session.core;
      const found = await connected.compare({
        cash: core.ledger.cash,
        qty: (symbol) => core.position(core.ledger.indexOf(symbol)),
        hasWorkingOrder: (symbol) => core.hasPendingOrder(core.ledger.indexOf(symbol)),
      });
      if (found.length > 0) session.gateway.trigger('halted', `reconciliation: ${found.map((d) => d.kind).join(', ')} differ from the broker`, options.now(), 'external');
      return found.map((d) => ({ kind: `divergence-${d.kind}`, detail: { symbol: d.symbol, local: d.local, broker: d.broker, action: d.action } }));
    },
  });
}

export interface ReplayTradingOptions extends LiveTradingOptions {
  /** The bars to replay (checked by the caller). The first `warmupBars` only warm the strategy up. */
  readonly data: BarUniverse;
  readonly warmupBars: number;
  /** Real time between replayed bars, ms. */
  readonly intervalMs: number;
  readonly startingCash: number;
}

/**
 * Paper trading without an account: replays bars through the execution simulator (idealistic
 * fills at the next bar's open, as a backtest), bar by bar through the same session, state and
 * controls as a real broker. A restart continues after the checkpoint's last bar. The replay
 * plays the market: the next bar "arrives" once the previous step is done and `intervalMs` has
 * passed, so a bar never waits in a queue and latency means latency.
 */
export async function tradeOnReplay(options: ReplayTradingOptions): Promise<DriveOutcome> {
  const { data, checkpoint } = options;
  const symbols = data.symbols;
  const warmup = Math.min(data.length, options.warmupBars);
  const firstLive = checkpoint === undefined ? warmup : firstStepAfter(data, checkpoint.lastBarTime);
  const history = checkpoint === undefined ? sliceUniverse(data, 0, warmup) : checkpoint.version === 1 ? sliceUniverse(data, 0, firstLive) : sliceUniverse(data, 0, 0);
  const session = new LiveSession({
    sessionId: options.sessionId,
    strategy: options.strategy,
    params: options.params,
    symbols,
    startingCash: options.startingCash,
    sizing: options.sizing,
    gateway: options.gateway,
    history,
    ...(checkpoint !== undefined ? { restore: checkpoint } : {}),
    latencyClock: options.latencyClock,
    ...(options.dataQualityHalt !== undefined ? { dataQualityHalt: options.dataQualityHalt } : {}),
    broker: (context: LiveBrokerContext): LiveBroker =>
      new SimulatedLiveBroker({ universe: context.universe, profile: EXECUTION_PROFILES.idealistic, seed: 0, account: context.core.ledger, sink: context.sink }),
  });
  let afterStep = (): void => undefined;
  return driveLiveSession({
    ...common(options, session),
    controlClock: 'bars',
    stopAfter: options.stopAfter ?? data.length - firstLive,
    start: async (push) => {
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let k = firstLive;
      const next = (): void => {
        if (stopped || k >= data.length) return;
        push(replayStep(data, k++, options.latencyClock()));
      };
      afterStep = () => {
        timer = setTimeout(next, options.intervalMs);
      };
      options.stop.on(() => {
        stopped = true;
        clearTimeout(timer);
      });
      next();
      await Promise.resolve();
    },
    afterStep: () => afterStep(),
  });
}

function common(options: LiveTradingOptions, session: LiveSession): Omit<DriveOptions, 'controlClock' | 'start'> {
  return {
    session,
    store: options.store,
    now: options.now,
    notify: options.notify,
    stop: options.stop,
    killFile: options.killFile,
    killFilePollMs: options.killFilePollMs,
    ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}),
    ...(options.startHalted !== undefined ? { startHalted: options.startHalted } : {}),
    ...(options.days !== undefined ? { days: options.days } : {}),
  };
}

function replayStep(data: BarUniverse, step: number, arrivedAt: number): BarStep {
  return {
    time: data.time[step] as number,
    bars: data.symbols.map((_, s) => {
      const at = s * data.length + step;
      if (data.hasBar[at] !== 1) return undefined;
      return { time: epochMs(data.time[step] as number), open: data.open[at] as number, high: data.high[at] as number, low: data.low[at] as number, close: data.close[at] as number, volume: data.volume[at] as number };
    }),
    arrivedAt,
  };
}

function firstStepAfter(u: BarUniverse, time: number): number {
  let k = 0;
  while (k < u.length && (u.time[k] as number) <= time) k++;
  return k;
}
