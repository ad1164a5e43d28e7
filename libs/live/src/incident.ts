import type { JsonValue } from '@quantbot/core';
import { QuantbotError } from '@quantbot/core';

import { ALERT_SEVERITIES } from '@quantbot/core';
import type { AlertSeverity } from '@quantbot/core';

export { ALERT_SEVERITIES };
export type { AlertSeverity };

/** An incident's priority: P1 (a page) is the most urgent. */
export type IncidentPriority = 'P1' | 'P2' | 'P3' | 'P4';

/** Where an incident is: open (nobody has taken it), acknowledged (someone has), resolved. */
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** The default acknowledgement SLA: 15 minutes. */
export const DEFAULT_ACK_SLA_MS = 15 * 60_000;

/** The priority an alert of `severity` gets: page→P1, critical→P2, warning→P3, info→P4. */
export function incidentPriority(severity: AlertSeverity): IncidentPriority {
  switch (severity) {
    case 'page':
      return 'P1';
    case 'critical':
      return 'P2';
    case 'warning':
      return 'P3';
    case 'info':
      return 'P4';
  }
}

/** `severity` raised `steps` times, capped at `page` (a page cannot get louder). */
export function raiseSeverity(severity: AlertSeverity, steps: number): AlertSeverity {
  const at = ALERT_SEVERITIES.indexOf(severity) + Math.max(0, steps);
  return ALERT_SEVERITIES[Math.min(at, ALERT_SEVERITIES.length - 1)] as AlertSeverity;
}

/**
 * An alert as the desk receives it. Alerts of one session with the same `key` are one problem: a
 * repeat while an incident on that key is not resolved joins its timeline.
 */
export interface IncidentAlert {
  readonly sessionId: string;
  /** What the alert is about, stable across repeats (`broker-outage`, `kill-switch-halted`, …). */
  readonly key: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  /** When it fired (epoch ms): an incident it opens is opened at this instant. */
  readonly time: number;
  /** Facts to keep with it in the timeline (plain JSON). */
  readonly detail?: { readonly [key: string]: JsonValue };
}

/**
 * One entry of an incident's timeline. Kinds: `alert` (the alert that opened it), `alert-repeat`
 * (a later alert with the same key), `escalated`, `acknowledged`, `audit` (an entry of the
 * session's audit log between open and resolve, added on resolve: `detail` holds its `kind` and
 * `detail`) and `resolved`.
 */
export interface IncidentTimelineEntry {
  /** Epoch ms. */
  readonly time: number;
  readonly kind: string;
  readonly detail: { readonly [key: string]: JsonValue };
}

/** One escalation of an unacknowledged incident: its level (1 for the first) and the severity it was paged at. */
export interface IncidentEscalationRecord {
  readonly level: number;
  readonly severity: AlertSeverity;
  /** Epoch ms. */
  readonly at: number;
}

/** An incident as stored. Times are epoch ms. */
export interface Incident {
  /** `INC-<yyyymmdd>-<n>`: the UTC day it was opened and its number that day, from 1. */
  readonly id: string;
  readonly sessionId: string;
  readonly priority: IncidentPriority;
  /** The severity of the alert that opened it. */
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly alertKey: string;
  readonly status: IncidentStatus;
  readonly openedAt: number;
  /** The acknowledgement SLA it was opened with (ms). */
  readonly ackSlaMs: number;
  readonly acknowledged: { readonly at: number; readonly by: string } | null;
  readonly resolved: { readonly at: number; readonly by: string; readonly summary: string } | null;
  /** How many SLA periods it went unacknowledged when last escalated (0: never escalated). */
  readonly escalationLevel: number;
  /** Every escalation, oldest first (from the timeline). */
  readonly escalations: readonly IncidentEscalationRecord[];
  /** Oldest first (by time, then in the order recorded). */
  readonly timeline: readonly IncidentTimelineEntry[];
}

/**
 * The stable codes of {@link IncidentError}:
 * - `INCIDENT_NOT_FOUND`: no incident has this id;
 * - `INCIDENT_RESOLVED`: the incident is resolved (it cannot be acknowledged or resolved again);
 * - `INCIDENT_ACKNOWLEDGED`: the incident is already acknowledged (by whom is named);
 * - `INCIDENT_INVALID`: an argument is refused (empty name or summary, a time that is not a whole
 *   millisecond, an unknown severity, an id not of the form `INC-<yyyymmdd>-<n>`); nothing written;
 * - `INCIDENT_FAILED`: the database or the report's files failed.
 */
export type IncidentErrorCode = 'INCIDENT_NOT_FOUND' | 'INCIDENT_RESOLVED' | 'INCIDENT_ACKNOWLEDGED' | 'INCIDENT_INVALID' | 'INCIDENT_FAILED';

/** Why an incident operation was refused or failed; the message names the incident id when there is one. */
export class IncidentError extends QuantbotError {
  declare readonly code: IncidentErrorCode;
  /** The incident concerned, or undefined (an alert that has none yet). */
  readonly incidentId: string | undefined;

  constructor(code: IncidentErrorCode, incidentId: string | undefined, detail: string, options?: { cause?: unknown }) {
    super(code, incidentId === undefined ? `incident: ${detail}` : `incident ${incidentId}: ${detail}`, options);
    this.incidentId = incidentId;
  }
}

/** The form of an incident id. */
export const INCIDENT_ID_PATTERN = /^INC-\d{8}-[1-9]\d*$/;

/** The UTC day of `time` as `yyyymmdd`. */
export function incidentDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10).replace(/-/g, '');
}

/** Throws `INCIDENT_INVALID` unless `id` has the form `INC-<yyyymmdd>-<n>`. */
export function checkIncidentId(id: string): void {
  if (typeof id !== 'string' || !INCIDENT_ID_PATTERN.test(id)) {
    throw new IncidentError('INCIDENT_INVALID', undefined, `${JSON.stringify(String(id))} is not an incident id (INC-<yyyymmdd>-<n>)`);
  }
}

/** Throws `INCIDENT_INVALID` (naming `field`) unless `value` is non-empty text the database can keep. */
export function checkIncidentText(incident: string | undefined, field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') throw new IncidentError('INCIDENT_INVALID', incident, `${field}: must be non-empty text`);
  if (value.includes('\u0000')) throw new IncidentError('INCIDENT_INVALID', incident, `${field}: holds a NUL character, which the database cannot keep`);
}

/** Throws `INCIDENT_INVALID` (naming `field`) unless `value` is a whole number of epoch milliseconds in years 1 to 9999. */
export function checkIncidentTime(incident: string | undefined, field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < -62_135_596_800_000 || value > 253_402_300_799_999) {
    throw new IncidentError('INCIDENT_INVALID', incident, `${field}: ${String(value)} is not a whole number of epoch milliseconds in years 1 to 9999`);
  }
}

/** Checks an alert before anything is written; throws `INCIDENT_INVALID` naming the field. */
export function checkIncidentAlert(alert: IncidentAlert): void {
  if (typeof alert !== 'object' || alert === null) throw new IncidentError('INCIDENT_INVALID', undefined, 'alert: is not an object');
  checkIncidentText(undefined, 'alert.sessionId', alert.sessionId);
  checkIncidentText(undefined, 'alert.key', alert.key);
  checkIncidentText(undefined, 'alert.title', alert.title);
  checkIncidentTime(undefined, 'alert.time', alert.time);
  if (!ALERT_SEVERITIES.includes(alert.severity)) {
    throw new IncidentError('INCIDENT_INVALID', undefined, `alert.severity: ${JSON.stringify(String(alert.severity))} is not one of ${ALERT_SEVERITIES.join(', ')}`);
  }
  if (alert.detail !== undefined && (typeof alert.detail !== 'object' || alert.detail === null || Array.isArray(alert.detail))) {
    throw new IncidentError('INCIDENT_INVALID', undefined, 'alert.detail: is not a JSON object');
  }
}

/** Which incidents to list. */
export interface IncidentFilter {
  /** Only this session's. */
  readonly sessionId?: string;
  /** Only these statuses (default: every status). */
  readonly statuses?: readonly IncidentStatus[];
  /** Only these priorities (default: every priority). */
  readonly priorities?: readonly IncidentPriority[];
}

/** What recording an alert did. */
export type IncidentAlertOutcome =
  /** A new incident (a critical or page alert with no unresolved incident on its key). */
  | { readonly action: 'opened'; readonly incident: Incident }
  /** Joined the timeline of the unresolved incident on its key. */
  | { readonly action: 'joined'; readonly incident: Incident }
  /** A warning or info alert with no unresolved incident on its key: nothing recorded. */
  | { readonly action: 'ignored' };

/**
 * Where incidents are kept. `KyselyIncidentStore` keeps them in the live trader's database.
 * Every method throws an {@link IncidentError}.
 */
export interface IncidentStore {
  /**
   * Joins `alert` to the unresolved incident of its session and key, or opens one when `open`
   * (with `ackSlaMs`); atomic, so two writers never open two incidents on one key.
   */
  recordAlert(alert: IncidentAlert, options: { readonly open: boolean; readonly ackSlaMs: number }): Promise<IncidentAlertOutcome>;
  /** The incident, or undefined. */
  get(id: string): Promise<Incident | undefined>;
  /** Incidents matching `filter`, oldest first. */
  list(filter?: IncidentFilter): Promise<readonly Incident[]>;
  /** Marks it acknowledged; `INCIDENT_ACKNOWLEDGED` or `INCIDENT_RESOLVED` when it is not open. */
  acknowledge(id: string, by: string, at: number): Promise<Incident>;
  /**
   * Raises an open, unacknowledged incident to `level` (paged at `severity`), or returns
   * undefined when it is no longer open or is already at `level` or above.
   */
  escalate(id: string, level: number, severity: AlertSeverity, at: number): Promise<Incident | undefined>;
  /**
   * Marks it resolved, appending `entries` (the session's audit between open and resolve) and the
   * `resolved` entry to its timeline; `INCIDENT_RESOLVED` when it already is.
   */
  resolve(id: string, resolution: { readonly by: string; readonly summary: string; readonly at: number }, entries: readonly IncidentTimelineEntry[]): Promise<Incident>;
}
