import type { EpochMs } from '../ids';

/**
 * How loud an alert is, quietest first: `info` and `warning` are for the log and chat, `critical`
 * and `page` open incidents, `page` wakes a human. An escalation moves one step to the right.
 */
export const ALERT_SEVERITIES = Object.freeze(['info', 'warning', 'critical', 'page'] as const);

/** One of {@link ALERT_SEVERITIES}. */
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** An alert for a human: a halt, a breached SLO, a failed reconciliation. */
export interface Notification {
  readonly severity: 'info' | 'warning' | 'critical';
  readonly title: string;
  readonly detail: string;
  readonly time: EpochMs;
}

/** Pages or records notifications. Must never include secrets in what it sends. */
export interface Notifier {
  notify(notification: Notification): Promise<void>;
}
