import type { AlertSeverity, Incident, IncidentAlert, IncidentAlertOutcome, IncidentPriority, IncidentStore } from './incident';
import { DEFAULT_ACK_SLA_MS, IncidentError, checkIncidentAlert, checkIncidentId, checkIncidentTime, incidentPriority, raiseSeverity } from './incident';
import type { IncidentReport, IncidentReportFiles } from './incident-report';
import { buildIncidentReport, writeIncidentReport } from './incident-report';
import type { LiveStateStore } from './live-state';

/** Options of {@link IncidentDesk}. */
export interface IncidentDeskOptions {
  /** Where incidents are kept. */
  readonly incidents: IncidentStore;
  /** The sessions' live state: the audit, orders, fills and checkpoints a report reads. */
  readonly liveState: LiveStateStore;
  /** Epoch ms: the default `now` of every method. */
  readonly clock: () => number;
  /**
   * The acknowledgement SLA (ms): an incident not acknowledged this long after it opened is
   * escalated, and again every such period. One value for all, or per priority (priorities left
   * out get the default). Default 15 minutes ({@link DEFAULT_ACK_SLA_MS}).
   */
  readonly ackSlaMs?: number | Readonly<Partial<Record<IncidentPriority, number>>>;
  /** Where `resolve` writes `incidents/<id>/report.md|report.json|ticket.md`; without it, no file is written. */
  readonly resultsDir?: string;
}

/** An escalation for the caller to page: the incident is unacknowledged past `level` SLA periods. */
export interface IncidentEscalation {
  readonly incidentId: string;
  readonly sessionId: string;
  readonly title: string;
  readonly alertKey: string;
  readonly priority: IncidentPriority;
  /** 1 after one SLA period, 2 after two, … */
  readonly level: number;
  /** The incident's severity raised `level` steps, capped at `page`. */
  readonly severity: AlertSeverity;
  /** Epoch ms. */
  readonly at: number;
  /** How long it has been open (ms). */
  readonly openForMs: number;
}

/** What resolving did: the incident, its report, and the files written (when the desk has a results folder). */
export interface IncidentResolution {
  readonly incident: Incident;
  readonly report: IncidentReport;
  readonly files: IncidentReportFiles | undefined;
}

/**
 * The incident workflow: critical and page alerts open incidents, operators acknowledge and
 * resolve them, and incidents left unacknowledged past their SLA are escalated. Resolving reads
 * the session's audit log, orders, fills and checkpoints for the timeline and the post-incident
 * report. The desk reads no clock of its own: every time is the injected `clock`'s or given.
 *
 * @example
 * const desk = new IncidentDesk({ incidents: live.incidents, liveState: live.store, clock: () => Date.now(), resultsDir: 'results' });
 * await desk.onPage({ sessionId: 'paper-1', key: 'broker-outage', severity: 'critical', title: 'broker unreachable', time });
 * for (const escalation of await desk.escalations()) await pager.page(escalation);
 */
export class IncidentDesk {
  readonly #incidents: IncidentStore;
  readonly #liveState: LiveStateStore;
  readonly #clock: () => number;
  readonly #ackSla: (priority: IncidentPriority) => number;
  readonly #resultsDir: string | undefined;

  constructor(options: IncidentDeskOptions) {
    this.#incidents = options.incidents;
    this.#liveState = options.liveState;
    this.#clock = options.clock;
    this.#resultsDir = options.resultsDir;
    const sla = options.ackSlaMs ?? DEFAULT_ACK_SLA_MS;
    const check = (value: number, field: string): number => {
      if (!Number.isSafeInteger(value) || value <= 0) throw new IncidentError('INCIDENT_INVALID', undefined, `${field}: ${String(value)} is not a positive whole number of milliseconds`);
      return value;
    };
    if (typeof sla === 'number') {
      check(sla, 'ackSlaMs');
      this.#ackSla = () => sla;
    } else {
      for (const [priority, value] of Object.entries(sla)) check(value, `ackSlaMs.${priority}`);
      this.#ackSla = (priority) => sla[priority] ?? DEFAULT_ACK_SLA_MS;
    }
  }

  /**
   * Takes an alert: a critical or page alert opens an incident (opened at `alert.time`); any
   * alert whose session and key already have an unresolved incident joins its timeline instead;
   * a warning or info alert with none is ignored.
   */
  async onPage(alert: IncidentAlert): Promise<IncidentAlertOutcome> {
    checkIncidentAlert(alert);
    const open = alert.severity === 'critical' || alert.severity === 'page';
    return this.#incidents.recordAlert(alert, { open, ackSlaMs: this.#ackSla(incidentPriority(alert.severity)) });
  }

  /** Someone has taken the incident: escalations stop. `INCIDENT_NOT_FOUND`, `INCIDENT_ACKNOWLEDGED`, `INCIDENT_RESOLVED`. */
  async acknowledge(id: string, by: string, now: number = this.#clock()): Promise<Incident> {
    return this.#incidents.acknowledge(id, by, now);
  }

  /**
   * Resolves the incident: the session's audit entries from its open to `now` join its timeline,
   * and the post-incident report is built (and written, when the desk has a results folder).
   * `INCIDENT_NOT_FOUND`, `INCIDENT_RESOLVED`; `INCIDENT_FAILED` when the files cannot be written
   * (the incident stays resolved: {@link IncidentDesk.report} writes them again).
   */
  async resolve(id: string, by: string, summary: string, now: number = this.#clock()): Promise<IncidentResolution> {
    checkIncidentId(id);
    checkIncidentTime(id, 'now', now);
    const before = await this.#incidents.get(id);
    if (before === undefined) throw new IncidentError('INCIDENT_NOT_FOUND', id, 'no such incident');
    if (before.status === 'resolved') throw new IncidentError('INCIDENT_RESOLVED', id, `is already resolved (by ${before.resolved?.by ?? '?'})`);
    const audit = await this.#liveState.audit(before.sessionId);
    const entries = audit
      .filter((entry) => entry.time >= before.openedAt && entry.time <= now)
      .map((entry) => ({ time: entry.time, kind: 'audit', detail: { kind: entry.kind, detail: entry.detail } }));
    const incident = await this.#incidents.resolve(id, { by, summary, at: now }, entries);
    return this.#report(incident);
  }

  /** The post-incident report of a resolved incident, built again from the store (and written again, when the desk has a results folder). */
  async report(id: string): Promise<IncidentResolution> {
    checkIncidentId(id);
    const incident = await this.#incidents.get(id);
    if (incident === undefined) throw new IncidentError('INCIDENT_NOT_FOUND', id, 'no such incident');
    return this.#report(incident);
  }

  /**
   * The escalations due at `now`: every open (unacknowledged) incident that has gone unacknowledged
   * for `level` whole SLA periods, above the level it was last escalated to, is raised to that
   * level (recorded in its timeline) and returned for the caller to page, at its severity raised
   * `level` steps (capped at `page`). Calling again before the next period returns nothing; an
   * acknowledged or resolved incident never escalates.
   */
  async escalations(now: number = this.#clock()): Promise<readonly IncidentEscalation[]> {
    checkIncidentTime(undefined, 'now', now);
    const open = await this.#incidents.list({ statuses: ['open'] });
    const due: IncidentEscalation[] = [];
    for (const incident of open) {
      const level = Math.floor((now - incident.openedAt) / incident.ackSlaMs);
      if (level <= incident.escalationLevel) continue;
      const severity = raiseSeverity(incident.severity, level);
      const raised = await this.#incidents.escalate(incident.id, level, severity, now);
      if (raised === undefined) continue;
      due.push(
        Object.freeze({
          incidentId: incident.id,
          sessionId: incident.sessionId,
          title: incident.title,
          alertKey: incident.alertKey,
          priority: incident.priority,
          level,
          severity,
          at: now,
          openForMs: now - incident.openedAt,
        }),
      );
    }
    return Object.freeze(due);
  }

  /** Unresolved incidents (open or acknowledged), oldest first; for the promotion gate: `openIncidents({ priorities: ['P1', 'P2'] })`. */
  async openIncidents(filter: { readonly priorities?: readonly IncidentPriority[]; readonly sessionId?: string } = {}): Promise<readonly Incident[]> {
    return this.#incidents.list({ ...filter, statuses: ['open', 'acknowledged'] });
  }

  async #report(incident: Incident): Promise<IncidentResolution> {
    const session = incident.sessionId;
    const orders = await this.#liveState.orders(session);
    const fills = await this.#liveState.fills(session);
    const checkpoints = await this.#liveState.checkpoints(session);
    const audit = await this.#liveState.audit(session);
    const report = buildIncidentReport(incident, { orders, fills, checkpoints, audit });
    const files = this.#resultsDir === undefined ? undefined : writeIncidentReport(this.#resultsDir, report);
    return Object.freeze({ incident, report, files });
  }
}
