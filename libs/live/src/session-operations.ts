import { epochMs } from '@quantbot/core';
import type { AlertSeverity, EpochMs, JsonValue } from '@quantbot/core';
import type { SloAlertChange, SloMonitor, TradingMetrics, WebhookPager } from '@quantbot/observability';
import type { IncidentDesk, IncidentEscalation } from './incident-desk';
import type { Incident } from './incident';
import type { LiveNotice } from './live-notice';
import { isMarketOpenAt } from './broker-health';
import type { MarketClockReading } from './broker-health';

/** What the operations side of a session did, for the operator's screen and log. */
export type OperationsEvent =
  /** An SLO burn-rate alert fired or resolved (paged when the pager takes its severity). */
  | { readonly kind: 'alert'; readonly change: SloAlertChange }
  /** A critical or page alert opened an incident, or joined the open one of its key. */
  | { readonly kind: 'incident'; readonly action: 'opened' | 'joined'; readonly incident: Incident }
  /** An incident went unacknowledged past its SLA: paged again, one severity higher. */
  | { readonly kind: 'escalation'; readonly escalation: IncidentEscalation }
  /** The incident store failed (an alert could not open its incident, escalations could not be read). Trading goes on. */
  | { readonly kind: 'operations-error'; readonly during: string; readonly error: unknown };

export interface SessionOperationsOptions {
  readonly sessionId: string;
  /** Fed from the session's notices; evaluated after each step and on `tick`. */
  readonly monitor: SloMonitor;
  /** The session's clock (epoch ms): the SLO windows and the incidents run on it. */
  readonly clock: () => number;
  /** Sends alerts and escalations to the webhook (it keeps its own minimum severity); none: not paged. */
  readonly pager?: WebhookPager;
  /** Opens incidents for critical and page alerts and finds the ones to escalate; none: no incidents. */
  readonly desk?: IncidentDesk;
  /** Burn rates and budgets exported as gauges. */
  readonly metrics?: Pick<TradingMetrics, 'setSloBurnRate' | 'setSloBudgetRemaining'>;
  readonly onEvent?: (event: OperationsEvent) => void;
  /** A bar's length (ms): a step's data is as old as the end of its bar. Default one minute. */
  readonly barMs?: number;
}

/**
 * The operations side of a live session: the session's notices become SLO observations (order
 * responses, market-data age, saved checkpoints, broker connections, the kill switch,
 * reconciliation drift); the monitor's alerts go to the pager and, when critical or a page, open
 * an incident; `tick` (after each step and from the caller's timer) evaluates and pages the
 * escalations of incidents nobody acknowledged. Nothing here throws into the session or waits on
 * the network: the pager queues, the incident store's work is chained and its failures reported
 * as `operations-error` events.
 */
export class SessionOperations {
  readonly #options: SessionOperationsOptions;
  #incidentWork: Promise<void> = Promise.resolve();
  #tradingState: string | undefined;
  #lastDriftAt: number | undefined;
  /** The broker's latest market clock reading, and whether the market was open at the last evaluation. */
  #marketClock: MarketClockReading | undefined;
  #marketOpen = true;

  constructor(options: SessionOperationsOptions) {
    this.#options = options;
  }

  /** Takes one of the session's notices in (pass every notice; the ones that say nothing are ignored). */
  observe(notice: LiveNotice): void {
    const monitor = this.#options.monitor;
    const time = this.#now();
    switch (notice.kind) {
      case 'step': {
        const report = notice.report;
        monitor.record({ kind: 'checkpoint-saved', time });
        monitor.record({ kind: 'market-data', time, dataTime: epochMs(report.time + (this.#options.barMs ?? 60_000)) });
        for (let i = 0; i < report.ordersSubmitted; i++) monitor.record({ kind: 'order-response', time, latencyMs: Math.max(0, report.latencyMs), rejected: false });
        // A broker's refusal is an answer (its latency is not measured: it comes on the stream);
        // refusals by the session's own gateway are risk limits doing their job, not counted.
        const brokerRejects = report.rejects['broker'] ?? 0;
        for (let i = 0; i < brokerRejects; i++) monitor.record({ kind: 'order-response', time, latencyMs: 0, rejected: true });
        for (let i = 0; i < report.ordersEnded.filled; i++) monitor.record({ kind: 'order-closed', time, filled: true });
        for (let i = 0; i < report.ordersEnded.unfilled; i++) monitor.record({ kind: 'order-closed', time, filled: false });
        this.#tradingStateIs(report.tradingState, time);
        this.tick();
        return;
      }
      case 'kill-switch':
        this.#tradingStateIs(notice.to, time);
        break;
      case 're-arm':
        if (notice.applied) this.#tradingStateIs(notice.state, time);
        break;
      case 'broker-unhealthy':
        monitor.record({ kind: 'connection', time, channel: notice.channel, connected: false });
        break;
      case 'broker-healthy':
        monitor.record({ kind: 'connection', time, channel: notice.channel, connected: true });
        break;
      case 'market-clock':
        this.#marketClock = notice.clock;
        break;
      case 'reconciliation':
        // One reconciliation reports each divergence on its own: it is one reconciliation that drifted.
        if (time === this.#lastDriftAt) return;
        this.#lastDriftAt = time;
        monitor.record({ kind: 'reconciliation', time, drift: true });
        break;
      default:
        return;
    }
    this.#evaluate(time);
  }

  /** Evaluates the SLOs now and pages the escalations due (call it from a timer, too). */
  tick(): void {
    const time = this.#now();
    this.#evaluate(time);
    const desk = this.#options.desk;
    if (desk === undefined) return;
    this.#chain('escalations', async () => {
      for (const escalation of await desk.escalations(time)) {
        this.#options.pager?.page({
          key: `incident/${escalation.incidentId}/escalation-${escalation.level}`,
          severity: escalation.severity,
          summary: `${escalation.incidentId} (${escalation.priority}) not acknowledged after ${Math.round(escalation.openForMs / 60_000)} min: ${escalation.title}`,
          time: epochMs(escalation.at),
        });
        this.#options.onEvent?.({ kind: 'escalation', escalation });
      }
    });
  }

  /**
   * Raises an alert that is not an SLO's (a capital-ramp breach, …): paged when the pager takes its
   * severity and, when critical or a page, opened as an incident (or joined to the open one of its
   * key). Never throws; the incident store's failures are reported as `operations-error` events.
   */
  raise(alert: { readonly key: string; readonly severity: AlertSeverity; readonly title: string; readonly detail?: { readonly [key: string]: JsonValue } }): void {
    const { pager, desk, onEvent, sessionId } = this.#options;
    const time = this.#now();
    pager?.page({ key: alert.key, severity: alert.severity, summary: alert.title, time });
    if (desk === undefined || (alert.severity !== 'critical' && alert.severity !== 'page')) return;
    this.#chain('opening an incident', async () => {
      const outcome = await desk.onPage({ sessionId, key: alert.key, severity: alert.severity, title: alert.title, time, ...(alert.detail !== undefined ? { detail: alert.detail } : {}) });
      if (outcome.action !== 'ignored') onEvent?.({ kind: 'incident', action: outcome.action, incident: outcome.incident });
    });
  }

  /** Waits for the incident store's work queued so far (a clean stop; tests). */
  async settle(): Promise<void> {
    await this.#incidentWork;
  }

  #now(): EpochMs {
    return epochMs(this.#options.clock());
  }

  #tradingStateIs(state: string, time: EpochMs): void {
    if (state === this.#tradingState) return;
    this.#tradingState = state;
    if (state === 'active' || state === 'reducing' || state === 'flatten' || state === 'halted') this.#options.monitor.record({ kind: 'trading-state', time, state });
  }

  #evaluate(time: EpochMs): void {
    const { monitor, metrics, pager, desk, onEvent, sessionId } = this.#options;
    // Overnight and on weekends no bar comes: the data and checkpoint SLOs rest while the broker's clock says closed.
    const open = this.#marketClock === undefined ? true : isMarketOpenAt(this.#marketClock, time);
    if (open !== this.#marketOpen) {
      this.#marketOpen = open;
      monitor.record({ kind: 'market-hours', time, open });
    }
    const changes = monitor.evaluate(time);
    if (metrics !== undefined) {
      for (const status of monitor.status(time)) {
        metrics.setSloBudgetRemaining(status.slo, status.budgetRemaining);
        for (const rate of status.burnRates) metrics.setSloBurnRate(rate.slo, rate.window, rate.burnRate);
      }
    }
    for (const change of changes) {
      pager?.handle(change);
      onEvent?.({ kind: 'alert', change });
      if (desk === undefined || change.status !== 'firing' || (change.severity !== 'critical' && change.severity !== 'page')) continue;
      this.#chain('opening an incident', async () => {
        const outcome = await desk.onPage({
          sessionId,
          key: change.key,
          severity: change.severity,
          title: change.summary,
          time: change.time,
          detail: { slo: change.slo, rule: change.rule, episode: change.episode, budgetRemaining: change.budgetRemaining },
        });
        if (outcome.action !== 'ignored') onEvent?.({ kind: 'incident', action: outcome.action, incident: outcome.incident });
      });
    }
  }

  #chain(during: string, work: () => Promise<void>): void {
    this.#incidentWork = this.#incidentWork.then(work).catch((error: unknown) => this.#options.onEvent?.({ kind: 'operations-error', during, error }));
  }
}
