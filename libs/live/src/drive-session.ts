import type { BarStep, JsonValue, LiveVenue, VenueClock } from '@quantbot/core';
import { StrategyManager } from '@quantbot/engine';
import type { BrokerOutage } from './broker-health';
import { containNotify } from './live-notice';
import type { LiveNotify } from './live-notice';
import { LiveRunner } from './live-runner';
import type { LiveSession, LiveStepReport } from './live-session';
import type { LiveStateStore } from './live-state';
import { OperatorControls } from './operator-controls';
import type { OutageWatchdog } from './outage-watchdog';
import { withTimeout } from './outage-watchdog';
import type { TradingDayRecorder } from './trading-day-recorder';

/** Asks a running session to stop: a process's signals, or a call in tests and embeddings. */
export interface StopRequests {
  /** Calls `handler` when a stop is asked for; returns the unsubscribe. */
  on(handler: (signal: string) => void): () => void;
}

/** A periodic comparison with the broker; each item found is audited. */
export type PeriodicCheck = () => Promise<readonly { readonly kind: string; readonly detail: { readonly [key: string]: JsonValue } }[]>;

export interface DriveOptions {
  readonly session: LiveSession;
  readonly store: LiveStateStore;
  /** Wall clock, epoch ms: save stamps, and the operator controls' clock with a broker. */
  readonly now: () => number;
  readonly notify: LiveNotify;
  readonly stop: StopRequests;
  /** The kill file to obey (its folder holds the re-arm requests). */
  readonly killFile: string;
  /** Read the kill file and re-arm requests this often while no bar arrives. */
  readonly killFilePollMs: number;
  /**
   * The kill switch's clock: `bars`, the bars' time (a replay); `wall`, the later of the wall
   * clock and the bar's time, so that a halt and a re-arm that come from a timer between bars
   * keep their order with those that come from bars.
   */
  readonly controlClock: 'bars' | 'wall';
  /** Stop by itself after this many bar steps. */
  readonly stopAfter?: number;
  /** Set: the session starts halted for this reason (after an operator reset) until re-armed. */
  readonly startHalted?: string;
  /** Fills found through REST at the start (reported in the summary). */
  readonly recoveredFills?: number;
  /** Starts the bars: resolves once they flow (or a stop was asked for while waiting). */
  readonly start: (push: (step: BarStep) => void) => Promise<void>;
  readonly periodicCheck?: PeriodicCheck;
  /** Called once a step is processed and saved (a replay paces itself with it). */
  readonly afterStep?: () => void;
  /** With a broker: watches it (an outage stops the session) and cancels its orders after one. */
  readonly broker?: { readonly venue: LiveVenue; readonly watchdog: OutageWatchdog };
  /** Failures of `notify` already contained by the caller (`containNotify`); default: contained here. */
  readonly alertFailures?: () => number;
  /** Records each New York day traded into the research registry (paper and live evidence). */
  readonly days?: TradingDayRecorder;
}

/** What a session that stopped cleanly says about itself. */
export interface LiveRunSummary {
  readonly session: string;
  readonly bars: number;
  readonly liveSteps: number;
  readonly equity: number;
  readonly cash: number;
  readonly positions: readonly { readonly symbol: string; readonly qty: number }[];
  readonly latencyMs: { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number };
  readonly recoveredFills: number;
  /** Notices the operator's alert path failed to take (it threw); trading went on regardless. */
  readonly alertFailures: number;
  /** A manager session: each sleeve's state and books (its equity and P&L from its own fills). */
  readonly sleeves?: readonly LiveSleeveSummary[];
}

/** One sleeve of a manager session at the end of a run. */
export interface LiveSleeveSummary {
  readonly name: string;
  readonly state: string;
  readonly equity: number;
  readonly pnl: number;
  readonly positions: readonly { readonly symbol: string; readonly qty: number }[];
}

/** How a driven session ended. */
export type DriveOutcome =
  /** Stopped (a stop request, `stopAfter`, the end of the data). `stoppedWhileDown`: what was down when the stop came. */
  | { readonly kind: 'stopped'; readonly summary: LiveRunSummary; readonly stoppedWhileDown?: string }
  /** A broker outage stopped it; open orders were cancelled as far as the broker answered. */
  | { readonly kind: 'outage'; readonly positions: readonly { readonly symbol: string; readonly qty: number }[] }
  /** A step or a save failed; the last saved state is that of the last whole bar. */
  | { readonly kind: 'failed'; readonly error: unknown };

/** How long a step stuck on an unreachable broker is waited for before the last whole bar stands. */
const STUCK_STEP_MS = 10_000;
/** Steps between periodic checks against the broker. */
const CHECK_EVERY = 30;

/**
 * Runs a session until it stops (a stop request, `stopAfter`, the end of the data, a failure, a
 * broker outage), saving after every bar and whenever an operator control changes something
 * between bars. The kill file and re-arm requests are read at the start (before anything
 * trades), before every decision and on a timer.
 */
export async function driveLiveSession(options: DriveOptions): Promise<DriveOutcome> {
  const { session } = options;
  // The alert path failing (a webhook down) never stops trading: its failures are counted and reported.
  const alerts = options.alertFailures === undefined ? containNotify(options.notify) : { notify: options.notify, failures: options.alertFailures };
  const notify = alerts.notify;
  const controls = new OperatorControls({ session, killFile: options.killFile, notify });
  const days = options.days;
  await days?.resume();
  const controlTime = (barTime: number): number => (options.controlClock === 'bars' ? barTime : Math.max(options.now(), barTime));
  const runner = new LiveRunner({
    session,
    store: options.store,
    now: options.now,
    ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}),
    ...(options.periodicCheck !== undefined ? { periodicCheck: options.periodicCheck, checkEvery: CHECK_EVERY } : {}),
    // Read before every decision: a kill file already in place stops the very first one.
    beforeStep: (time) => {
      controls.poll(controlTime(time));
      days?.beforeStep(session, time);
    },
    afterDecision: (report) => days?.decided(session, report),
    onStep: (report: LiveStepReport) => {
      days?.stepped(session, report);
      notify({ kind: 'step', report });
      options.afterStep?.();
    },
    onError: (error) => notify({ kind: 'step-failed', error }),
  });
  if (options.startHalted !== undefined && session.gateway.trigger('halted', options.startHalted, controlTime(session.lastBarTime), 'external')) {
    notify({ kind: 'kill-switch', from: 'active', to: 'halted', reason: options.startHalted });
  }
  // Before anything trades: a kill file in place halts a session that has not decided yet, and a
  // re-arm requested while the trader was stopped is applied (or refused) now.
  controls.poll(controlTime(session.lastBarTime));
  // The restart's first save carries what reconciliation and the controls found.
  await runner.save();
  const timer = setInterval(() => {
    if (controls.poll(controlTime(session.lastBarTime))) {
      runner.saveBetweenSteps().catch((error: unknown) => notify({ kind: 'save-failed', error }));
    }
  }, options.killFilePollMs);
  // A stop from a signal or the watchdog while a step is in flight: if that step then fails (the
  // broker unreachable), the failure is the session's outcome, read from `runner.done` below; this
  // promise must not also reject unobserved, which would end the process with exit 1 instead.
  const stopQuietly = (): void => {
    runner.stop().catch(() => undefined);
  };
  const watchdog = options.broker?.watchdog;
  let outage: BrokerOutage | undefined;
  let onOutage: () => void = () => undefined;
  const outageStopped = new Promise<'outage'>((resolve) => {
    onOutage = () => resolve('outage');
  });
  watchdog?.start((found) => {
    outage = found;
    notify({ kind: 'outage', outage: found, maxOutageMs: watchdog.health.maxOutageMs });
    onOutage();
    stopQuietly();
  });
  // A stop asked for while the broker is down is not a clean stop either.
  let stoppedWhileDown: string | undefined;
  const unsubscribe = options.stop.on(() => {
    stoppedWhileDown = watchdog?.describeDown();
    notify({ kind: 'stop-requested' });
    stopQuietly();
  });
  let failure: unknown;
  try {
    const started = await Promise.race([options.start((step) => runner.push(step)).then(() => 'started' as const), outageStopped]);
    if (started === 'started') notify({ kind: 'trading', sessionId: session.sessionId, symbols: session.core.symbols.map(String), after: session.lastBarTime });
    await Promise.race([runner.done, outageStopped]);
    // A step stuck on an unreachable broker is not waited for long: the last whole bar is saved.
    await (outage === undefined ? runner.stop() : withTimeout(runner.stop(), STUCK_STEP_MS, 'the step in progress'));
  } catch (error) {
    failure = error;
  } finally {
    clearInterval(timer);
    watchdog?.stop();
    unsubscribe();
  }
  // The day in progress is recorded (partial unless its close was traded) from what was saved; a
  // halt its judgement caused after the final save is saved too.
  if (days !== undefined && (await days.finish(session)) && failure === undefined) {
    await runner.save().catch((error: unknown) => notify({ kind: 'save-failed', error }));
  }
  const broker = options.broker;
  if (broker !== undefined && (outage !== undefined || (failure !== undefined && broker.venue.isUnreachable(failure)))) {
    // A step that could not reach the broker (after the adapter's retries) is an outage too.
    if (outage === undefined) notify({ kind: 'outage-during-step', error: failure });
    await cancelSessionOrders(broker.venue, session, notify);
    return { kind: 'outage', positions: openPositions(session) };
  }
  if (failure !== undefined) return { kind: 'failed', error: failure };
  const latency = session.latencyStats();
  const summary: LiveRunSummary = {
    session: session.sessionId,
    bars: runner.steps,
    liveSteps: session.liveSteps,
    equity: session.core.ledger.equity(),
    cash: session.core.ledger.cash,
    positions: openPositions(session),
    latencyMs: { count: latency.count, p50: latency.p50Ms, p99: latency.p99Ms, max: latency.maxMs },
    recoveredFills: options.recoveredFills ?? 0,
    alertFailures: alerts.failures(),
    ...sleevesOf(session),
  };
  return stoppedWhileDown === undefined ? { kind: 'stopped', summary } : { kind: 'stopped', summary, stoppedWhileDown };
}

/** Each REST call after an outage gets this long: the broker may not answer at all. */
const OUTAGE_CALL_MS = 5_000;

/** After an outage: cancels the session's open orders at the broker, as far as it answers. */
async function cancelSessionOrders(venue: LiveVenue, session: LiveSession, notify: LiveNotify): Promise<void> {
  try {
    const open = await withTimeout(venue.openOrders(session.core.symbols), OUTAGE_CALL_MS, 'listing open orders');
    const own = open.filter((o) => o.clientOrderId.startsWith(`${session.sessionId}-`));
    const failed: string[] = [];
    for (const order of own) {
      await withTimeout(venue.cancelOrder(order.clientOrderId), OUTAGE_CALL_MS, `cancelling ${order.clientOrderId}`).catch((error: unknown) =>
        failed.push(`${order.clientOrderId}: ${(error as Error).message}`),
      );
    }
    notify({ kind: 'outage-cancels', cancelled: own.length - failed.length, failed });
  } catch (error) {
    notify({ kind: 'outage-cancels-failed', error });
  }
}

function sleevesOf(session: LiveSession): { readonly sleeves?: readonly LiveSleeveSummary[] } {
  const strategy = session.strategy;
  // A manager that never saw a step has no books yet.
  if (!(strategy instanceof StrategyManager) || !strategy.isStarted) return {};
  return {
    sleeves: strategy.report().sleeves.map((s) => ({ name: s.name, state: s.state, equity: s.equity, pnl: s.pnl, positions: s.positions.map((p) => ({ symbol: p.symbol, qty: p.qty })) })),
  };
}

function openPositions(session: LiveSession): readonly { readonly symbol: string; readonly qty: number }[] {
  return session.core.ledger.openPositions().map((p) => ({ symbol: p.symbol, qty: p.qty }));
}

/**
 * Waits while the venue's clock says the market is closed, asking again every `pollMs` (and at
 * the announced open). Resolves false when a stop was asked for meanwhile.
 */
export async function sleepUntilOpen(options: {
  readonly clock: () => Promise<VenueClock>;
  readonly pollMs: number;
  readonly stop: StopRequests;
  readonly notify: LiveNotify;
  /** Every reading (the outage watchdog keeps the latest). */
  readonly onClock?: (clock: VenueClock) => void;
}): Promise<boolean> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const unsubscribe = options.stop.on(() => {
    stopped = true;
    wake?.();
  });
  try {
    for (let first = true; !stopped; first = false) {
      const clock = await options.clock();
      options.onClock?.(clock);
      if (clock.isOpen) return true;
      options.notify({ kind: 'market-closed', nextOpen: clock.nextOpen, first });
      const ms = Math.max(10, Math.min(options.pollMs, clock.nextOpen - clock.timestamp));
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
