import type { EpochMs } from '@quantbot/core';
import type { TradingStateName } from './metrics';
import type { AlertSeverity, BurnRateRule, SloConfig, SloName, SloSettings } from './slo-config';
import { DEFAULT_SLO_CONFIG, SLO_NAMES } from './slo-config';

/**
 * What a live session reports to a {@link SloMonitor}. Every observation carries the time it
 * happened (the session clock's, never the wall clock read inside the monitor).
 */
export type SloObservation =
  /**
   * The broker answered an order submission after `latencyMs` (null: no answer in time, a bad
   * acknowledgement and not counted by `rejectRate`). Feeds `orderAckLatency` (good when
   * `latencyMs ≤ thresholdMs`) and `rejectRate` (good when not `rejected`).
   */
  | { readonly kind: 'order-response'; readonly time: EpochMs; readonly latencyMs: number | null; readonly rejected: boolean }
  /** An order reached a final state; `filled` says whether it filled (the app decides whether a partial fill counts). Feeds `fillRate`. */
  | { readonly kind: 'order-closed'; readonly time: EpochMs; readonly filled: boolean }
  /** Market data stamped `dataTime` arrived (or was seen) at `time`. Feeds `marketDataStaleness`; older data than already seen changes nothing. */
  | { readonly kind: 'market-data'; readonly time: EpochMs; readonly dataTime: EpochMs }
  /** A broker channel (`trade-stream`, `bar-stream`, `rest`, …) connected or disconnected. Feeds `brokerConnection`. */
  | { readonly kind: 'connection'; readonly time: EpochMs; readonly channel: string; readonly connected: boolean }
  /** A reconciliation ran; `drift` says whether the books and the broker disagreed. Feeds `reconciliationDrift`. */
  | { readonly kind: 'reconciliation'; readonly time: EpochMs; readonly drift: boolean }
  /** A checkpoint was saved. Feeds `checkpointAge`. */
  | { readonly kind: 'checkpoint-saved'; readonly time: EpochMs }
  /** The kill switch's trading state changed. Feeds `killSwitch` (`halted` is bad time). */
  | { readonly kind: 'trading-state'; readonly time: EpochMs; readonly state: TradingStateName }
  /**
   * The market opened or closed (by the broker's clock). While it is closed no bar comes and no
   * step saves a checkpoint, so `marketDataStaleness` and `checkpointAge` have no bad time; at the
   * open each gets its full allowance again (data and a checkpoint are due `maxAgeSeconds` later).
   */
  | { readonly kind: 'market-hours'; readonly time: EpochMs; readonly open: boolean };

/** A burn-rate alert that is firing. */
export interface SloAlert {
  /** `<slo>/<rule>` (`orderAckLatency/fast-burn`): stable across episodes, the deduplication key. */
  readonly key: string;
  /** 1 the first time this key fires in the monitor's life, then 2, 3, …: one incident each. */
  readonly episode: number;
  readonly slo: SloName;
  /** The rule's name. */
  readonly rule: string;
  readonly severity: AlertSeverity;
  readonly objective: number;
  /** The rule's burn-rate factor: both windows were above it. */
  readonly burnRateThreshold: number;
  /** The long window's label (`1h`). */
  readonly longWindow: string;
  /** The short window's label (`5m`). */
  readonly shortWindow: string;
  /** Burn rate by window label, both windows of the rule, at the evaluation that reported the change. */
  readonly burnRates: Readonly<Record<string, number>>;
  /** The fraction of the period's error budget left (1 untouched, 0 spent, negative overspent). */
  readonly budgetRemaining: number;
  /** One line for a human: SLO, severity, burn rates, objective and budget. */
  readonly summary: string;
  /** When it started firing. */
  readonly since: EpochMs;
}

/** An alert that started firing or resolved at an evaluation. */
export interface SloAlertChange extends SloAlert {
  readonly status: 'firing' | 'resolved';
  /** The evaluation time. */
  readonly time: EpochMs;
}

/** The burn rate of one SLO over one window, for a gauge. */
export interface SloBurnRate {
  readonly slo: SloName;
  /** The window's label: `5m`, `1h`, `90m`, `30s`. */
  readonly window: string;
  readonly windowMinutes: number;
  /** Error rate over the window divided by the error budget rate (1 − objective); 0 without data. */
  readonly burnRate: number;
}

/** Where an SLO stands. */
export interface SloStatus {
  readonly slo: SloName;
  readonly objective: number;
  /** The objective in words: `99% of orders acknowledged within 1000 ms`. */
  readonly description: string;
  /** See {@link SloAlert.budgetRemaining}. */
  readonly budgetRemaining: number;
  readonly burnRates: readonly SloBurnRate[];
  /** Keys of this SLO's firing alerts. */
  readonly firing: readonly string[];
}

/** Options of {@link SloMonitor}. */
export interface SloMonitorOptions {
  /** Default {@link DEFAULT_SLO_CONFIG}. */
  readonly config?: SloConfig;
  /** When the session (and the monitor) started: time-based SLOs count from here. */
  readonly start: EpochMs;
}

const MINUTE_MS = 60_000;

/**
 * Service level objectives of a live session and their multi-window, multi-burn-rate alerts.
 *
 * Feed it {@link SloObservation}s with {@link SloMonitor.record} and call
 * {@link SloMonitor.evaluate} with the session clock's time, typically once a minute; it returns
 * the alerts that started firing or resolved since the last evaluation. Event SLOs (order
 * acknowledgement latency, rejects, fills, reconciliations) count good and bad events in a window;
 * time SLOs (market-data staleness, broker connection, checkpoint age, kill switch) measure the
 * bad time in the part of the window since `start`. The monitor reads no clock and draws no
 * random numbers: the same observations and evaluation times give the same alerts.
 *
 * Memory is bounded by the longest window or the budget period, whichever is longer: older
 * observations are dropped at each evaluation.
 *
 * @example
 * const monitor = new SloMonitor({ config: loadSloConfig('config/slo.json'), start: clock.now() });
 * monitor.record({ kind: 'order-response', time: clock.now(), latencyMs: 120, rejected: false });
 * for (const change of monitor.evaluate(clock.now())) logger.warn(change.summary, { status: change.status });
 */
export class SloMonitor {
  readonly #config: SloConfig;
  readonly #start: EpochMs;
  readonly #retentionMs: number;
  readonly #events = new Map<SloName, EventSeries>();
  readonly #signals = new Map<SloName, TimeSignal>();
  readonly #channels = new Map<string, boolean>();
  #newestDataTime: number;
  /** Whether the market is open (until told otherwise, it is). */
  #marketOpen = true;
  readonly #firing = new Map<string, SloAlert>();
  readonly #episodes = new Map<string, number>();

  constructor(options: SloMonitorOptions) {
    this.#config = options.config ?? DEFAULT_SLO_CONFIG;
    this.#start = options.start;
    const windows = SLO_NAMES.flatMap((name) => this.#config.slos[name].alerts.map((rule) => rule.longWindowMinutes));
    this.#retentionMs = Math.max(this.#config.periodMinutes, ...windows) * MINUTE_MS;
    const slos = this.#config.slos;
    for (const name of ['orderAckLatency', 'rejectRate', 'fillRate', 'reconciliationDrift'] as const) this.#events.set(name, new EventSeries());
    this.#newestDataTime = options.start;
    this.#signals.set('marketDataStaleness', new TimeSignal(options.start, options.start + slos.marketDataStaleness.maxAgeSeconds * 1000));
    this.#signals.set('checkpointAge', new TimeSignal(options.start, options.start + slos.checkpointAge.maxAgeSeconds * 1000));
    this.#signals.set('brokerConnection', new TimeSignal(options.start, Infinity));
    this.#signals.set('killSwitch', new TimeSignal(options.start, Infinity));
  }

  /** Records one observation. Times before `start` count as `start`; a time signal never goes back (an earlier time counts as its latest change). */
  record(observation: SloObservation): void {
    const time = Math.max(observation.time, this.#start);
    const slos = this.#config.slos;
    switch (observation.kind) {
      case 'order-response': {
        const { latencyMs } = observation;
        this.#event('orderAckLatency', time, latencyMs === null || !(latencyMs <= slos.orderAckLatency.thresholdMs));
        if (latencyMs !== null) this.#event('rejectRate', time, observation.rejected);
        return;
      }
      case 'order-closed':
        this.#event('fillRate', time, !observation.filled);
        return;
      case 'reconciliation':
        this.#event('reconciliationDrift', time, observation.drift);
        return;
      case 'market-data':
        this.#newestDataTime = Math.max(this.#newestDataTime, observation.dataTime);
        if (this.#marketOpen) this.#signal('marketDataStaleness').change(time, this.#newestDataTime + slos.marketDataStaleness.maxAgeSeconds * 1000);
        return;
      case 'checkpoint-saved':
        if (this.#marketOpen) this.#signal('checkpointAge').change(time, time + slos.checkpointAge.maxAgeSeconds * 1000);
        return;
      case 'market-hours':
        if (observation.open === this.#marketOpen) return;
        this.#marketOpen = observation.open;
        this.#signal('marketDataStaleness').change(time, observation.open ? time + slos.marketDataStaleness.maxAgeSeconds * 1000 : Infinity);
        this.#signal('checkpointAge').change(time, observation.open ? time + slos.checkpointAge.maxAgeSeconds * 1000 : Infinity);
        return;
      case 'connection': {
        this.#channels.set(observation.channel, observation.connected);
        const down = [...this.#channels.values()].some((connected) => !connected);
        this.#signal('brokerConnection').change(time, down ? time : Infinity);
        return;
      }
      case 'trading-state':
        this.#signal('killSwitch').change(time, observation.state === 'halted' ? time : Infinity);
        return;
    }
  }

  /**
   * Evaluates every rule of every enabled SLO at `now` and returns the alerts that started firing
   * (`status: 'firing'`) or stopped (`'resolved'`) since the previous evaluation, in SLO then rule
   * order. A rule fires when the burn rates over both its windows are above its factor (and, for
   * an event SLO, its long window holds at least `minEvents` events); it resolves when that stops
   * being true.
   */
  evaluate(now: EpochMs): SloAlertChange[] {
    this.#prune(now);
    const changes: SloAlertChange[] = [];
    for (const slo of SLO_NAMES) {
      const settings = this.#config.slos[slo];
      if (!settings.enabled) continue;
      for (const rule of settings.alerts) {
        const key = `${slo}/${rule.name}`;
        const long = this.#burnRate(slo, rule.longWindowMinutes, now);
        const short = this.#burnRate(slo, rule.shortWindowMinutes, now);
        const minEvents = 'minEvents' in settings ? (settings as { minEvents: number }).minEvents : 0;
        const firing = long.rate > rule.burnRate && short.rate > rule.burnRate && long.events >= minEvents;
        const previous = this.#firing.get(key);
        if (firing && previous === undefined) {
          const episode = (this.#episodes.get(key) ?? 0) + 1;
          this.#episodes.set(key, episode);
          const alert = this.#alert(slo, rule, episode, long.rate, short.rate, now, now);
          this.#firing.set(key, alert);
          changes.push({ ...alert, status: 'firing', time: now });
        } else if (!firing && previous !== undefined) {
          this.#firing.delete(key);
          const alert = this.#alert(slo, rule, previous.episode, long.rate, short.rate, previous.since, now);
          changes.push({ ...alert, status: 'resolved', time: now });
        }
      }
    }
    return changes;
  }

  /** The alerts firing after the latest evaluation, in the order they started. */
  activeAlerts(): SloAlert[] {
    return [...this.#firing.values()];
  }

  /**
   * The burn rate of every enabled SLO over each distinct window of its rules (shortest first),
   * at `now`: what a `slo_burn_rate{slo,window}` gauge shows.
   */
  burnRates(now: EpochMs): SloBurnRate[] {
    return SLO_NAMES.filter((slo) => this.#config.slos[slo].enabled).flatMap((slo) => this.#burnRatesOf(slo, now));
  }

  /** Where every enabled SLO stands at `now`: objective, budget left, burn rates, firing alerts. */
  status(now: EpochMs): SloStatus[] {
    return SLO_NAMES.filter((slo) => this.#config.slos[slo].enabled).map((slo) => ({
      slo,
      objective: this.#config.slos[slo].objective,
      description: describeObjective(slo, this.#config),
      budgetRemaining: this.#budgetRemaining(slo, now),
      burnRates: this.#burnRatesOf(slo, now),
      firing: [...this.#firing.values()].filter((alert) => alert.slo === slo).map((alert) => alert.key),
    }));
  }

  #burnRatesOf(slo: SloName, now: EpochMs): SloBurnRate[] {
    const minutes = [...new Set(this.#config.slos[slo].alerts.flatMap((rule) => [rule.shortWindowMinutes, rule.longWindowMinutes]))].sort((a, b) => a - b);
    return minutes.map((windowMinutes) => ({ slo, window: windowLabel(windowMinutes), windowMinutes, burnRate: this.#burnRate(slo, windowMinutes, now).rate }));
  }

  #alert(slo: SloName, rule: BurnRateRule, episode: number, long: number, short: number, since: EpochMs, now: EpochMs): SloAlert {
    const settings: SloSettings = this.#config.slos[slo];
    const longWindow = windowLabel(rule.longWindowMinutes);
    const shortWindow = windowLabel(rule.shortWindowMinutes);
    const budgetRemaining = this.#budgetRemaining(slo, now);
    const summary =
      `${slo} ${rule.severity}: burn rate ${long.toFixed(1)}× over ${longWindow} and ${short.toFixed(1)}× over ${shortWindow} ` +
      `(alerts above ${rule.burnRate}×); objective: ${describeObjective(slo, this.#config)}; budget left ${Math.round(budgetRemaining * 100)}%`;
    return {
      key: `${slo}/${rule.name}`,
      episode,
      slo,
      rule: rule.name,
      severity: rule.severity,
      objective: settings.objective,
      burnRateThreshold: rule.burnRate,
      longWindow,
      shortWindow,
      burnRates: { [longWindow]: long, [shortWindow]: short },
      budgetRemaining,
      summary,
      since,
    };
  }

  /** Burn rate over the window ending at `now`, and the number of events in it (0 for time SLOs). */
  #burnRate(slo: SloName, windowMinutes: number, now: number): { rate: number; events: number } {
    const budget = errorBudget(this.#config.slos[slo].objective);
    const from = now - windowMinutes * MINUTE_MS;
    const series = this.#events.get(slo);
    if (series !== undefined) {
      const { total, bad } = series.count(from, now);
      return { rate: total === 0 ? 0 : bad / total / budget, events: total };
    }
    const covered = now - Math.max(from, this.#start);
    if (covered <= 0) return { rate: 0, events: 0 };
    return { rate: this.#signal(slo).badMs(Math.max(from, this.#start), now) / covered / budget, events: 0 };
  }

  /**
   * The fraction of the error budget left over the latest period: for an event SLO
   * `1 − bad / ((1 − objective) × events)`; for a time SLO `1 − bad time / ((1 − objective) ×
   * period)`, so the whole session's budget is the reference.
   */
  #budgetRemaining(slo: SloName, now: number): number {
    const budget = errorBudget(this.#config.slos[slo].objective);
    const periodMs = this.#config.periodMinutes * MINUTE_MS;
    const from = now - periodMs;
    const series = this.#events.get(slo);
    if (series !== undefined) {
      const { total, bad } = series.count(from, now);
      return total === 0 ? 1 : 1 - bad / (budget * total);
    }
    if (now <= this.#start) return 1;
    return 1 - this.#signal(slo).badMs(Math.max(from, this.#start), now) / (budget * periodMs);
  }

  #event(slo: SloName, time: number, bad: boolean): void {
    this.#events.get(slo)?.add(time, bad);
  }

  #signal(slo: SloName): TimeSignal {
    const signal = this.#signals.get(slo);
    if (signal === undefined) throw new Error(`${slo} is not a time SLO`);
    return signal;
  }

  #prune(now: number): void {
    const before = now - this.#retentionMs;
    for (const series of this.#events.values()) series.prune(before);
    for (const signal of this.#signals.values()) signal.prune(before);
  }
}

/** A window's label: whole hours as `1h`, whole minutes as `5m`, anything else in seconds (`30s`). */
export function windowLabel(minutes: number): string {
  if (Number.isInteger(minutes)) return minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
  return `${Math.round(minutes * 60)}s`;
}

/** `1 − objective`, without the binary noise of the subtraction (1 − 0.99 is 0.010000000000000009). */
function errorBudget(objective: number): number {
  return Number((1 - objective).toPrecision(12));
}

function percent(objective: number): string {
  return `${Number((objective * 100).toFixed(3))}%`;
}

function describeObjective(slo: SloName, config: SloConfig): string {
  const s = config.slos;
  const p = percent(s[slo].objective);
  switch (slo) {
    case 'orderAckLatency':
      return `${p} of orders acknowledged within ${s.orderAckLatency.thresholdMs} ms`;
    case 'marketDataStaleness':
      return `market data at most ${s.marketDataStaleness.maxAgeSeconds} s old ${p} of the time`;
    case 'brokerConnection':
      return `broker channels connected ${p} of the time`;
    case 'rejectRate':
      return `${p} of answered orders not rejected`;
    case 'fillRate':
      return `${p} of closed orders filled`;
    case 'reconciliationDrift':
      return `${p} of reconciliations without drift`;
    case 'checkpointAge':
      return `a checkpoint at most ${s.checkpointAge.maxAgeSeconds} s old ${p} of the time`;
    case 'killSwitch':
      return `trading not halted ${p} of the time`;
  }
}

/** Timestamped good/bad events, kept in time order. */
class EventSeries {
  readonly #times: number[] = [];
  readonly #bad: boolean[] = [];

  add(time: number, bad: boolean): void {
    let index = this.#times.length;
    // Observations arrive nearly in order: walk back past the few later ones.
    while (index > 0 && (this.#times[index - 1] ?? 0) > time) index--;
    this.#times.splice(index, 0, time);
    this.#bad.splice(index, 0, bad);
  }

  /** Events with `from < time ≤ to`. */
  count(from: number, to: number): { total: number; bad: number } {
    let total = 0;
    let bad = 0;
    for (let i = 0; i < this.#times.length; i++) {
      const time = this.#times[i] ?? 0;
      if (time <= from || time > to) continue;
      total++;
      if (this.#bad[i] === true) bad++;
    }
    return { total, bad };
  }

  prune(before: number): void {
    let drop = 0;
    while (drop < this.#times.length && (this.#times[drop] ?? 0) <= before) drop++;
    this.#times.splice(0, drop);
    this.#bad.splice(0, drop);
  }
}

/**
 * A piecewise signal: from each change's time until the next change, the signal is bad from
 * `badFrom` on (the change time when bad at once, a deadline when it goes stale, Infinity never).
 */
class TimeSignal {
  readonly #changes: { time: number; badFrom: number }[];

  constructor(start: number, badFrom: number) {
    this.#changes = [{ time: start, badFrom }];
  }

  change(time: number, badFrom: number): void {
    const last = this.#changes[this.#changes.length - 1];
    const at = last === undefined ? time : Math.max(time, last.time);
    if (last !== undefined && last.time === at) last.badFrom = badFrom;
    else this.#changes.push({ time: at, badFrom });
  }

  /** Bad milliseconds within `[from, to)`. */
  badMs(from: number, to: number): number {
    let bad = 0;
    for (let i = 0; i < this.#changes.length; i++) {
      const change = this.#changes[i];
      if (change === undefined) continue;
      const end = Math.min(this.#changes[i + 1]?.time ?? to, to);
      const begin = Math.max(change.time, change.badFrom, from);
      if (end > begin) bad += end - begin;
    }
    return bad;
  }

  prune(before: number): void {
    let drop = 0;
    while (drop + 1 < this.#changes.length && (this.#changes[drop + 1]?.time ?? Infinity) <= before) drop++;
    this.#changes.splice(0, drop);
  }
}
