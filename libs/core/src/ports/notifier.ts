import type { EpochMs } from '../ids';

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
