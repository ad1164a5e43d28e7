import type { StrategyNotice } from '@quantbot/strategies';
import type { BrokerChannel, BrokerOutage, MarketClockReading } from './broker-health';
import type { LiveStepReport } from './live-session';
import type { Divergence } from './reconcile';

/**
 * What a running session tells its operator, as data: the app decides the words, the stream and
 * the log level. Times are epoch ms.
 */
export type LiveNotice =
  /** The kill switch changed state (a kill file, a re-arm, a start that must be halted). */
  | { readonly kind: 'kill-switch'; readonly from: string; readonly to: string; readonly reason: string }
  /** An operator's re-arm request was applied (`applied`) or refused (`refusal`). */
  | {
      readonly kind: 're-arm';
      readonly applied: boolean;
      /** Who asked and why; null when the request file could not be read. */
      readonly by: string | null;
      readonly reason: string | null;
      readonly refusal: string | null;
      readonly state: string;
    }
  /** An operator's request about one sleeve of a manager session was applied or refused (null: the file could not be read). */
  | {
      readonly kind: 'sleeve-request';
      readonly sleeve: string | null;
      readonly action: string | null;
      readonly applied: boolean;
      readonly by: string | null;
      readonly reason: string | null;
      readonly requestedAt: string | null;
      readonly refusal: string | null;
      /** The sleeve's state afterwards. */
      readonly state: string;
    }
  /** The session's strategy told the operator something (a sleeve halted by its kill switch, a model that fell back). */
  | { readonly kind: 'strategy-notice'; readonly notice: StrategyNotice }
  /** Reconciliation at the start found the session's books and the broker's apart; the broker's stand. */
  | { readonly kind: 'reconciliation'; readonly divergence: Divergence }
  | { readonly kind: 'broker-unhealthy'; readonly channel: BrokerChannel; readonly detail: string; readonly since: number; readonly maxOutageMs: number }
  | { readonly kind: 'broker-healthy'; readonly channel: BrokerChannel; readonly detail: string }
  /** A reading of the broker's market clock (at connection, at the open, and every few minutes while trading). */
  | { readonly kind: 'market-clock'; readonly clock: MarketClockReading }
  /** The market is closed: the session sleeps until `nextOpen`; `first` for the first reading. */
  | { readonly kind: 'market-closed'; readonly nextOpen: number; readonly first: boolean }
  /** Bars are coming: the session trades `symbols` from the first bar after `after`. */
  | { readonly kind: 'trading'; readonly sessionId: string; readonly symbols: readonly string[]; readonly after: number }
  | { readonly kind: 'step'; readonly report: LiveStepReport }
  /** A bar of `symbol` for minute `time` came after the step of `lastStep` (≥ time) was delivered: dropped, the step stands without it. */
  | { readonly kind: 'late-bar'; readonly symbol: string; readonly time: number; readonly lastStep: number }
  | { readonly kind: 'step-failed'; readonly error: unknown }
  | { readonly kind: 'save-failed'; readonly error: unknown }
  | { readonly kind: 'stop-requested' }
  /** The broker has been unhealthy past the limit: the session stops. */
  | { readonly kind: 'outage'; readonly outage: BrokerOutage; readonly maxOutageMs: number }
  /** A step could not reach the broker (after the adapter's retries): the session stops. */
  | { readonly kind: 'outage-during-step'; readonly error: unknown }
  /** After an outage: the session's open orders cancelled, or why they could not be listed. */
  | { readonly kind: 'outage-cancels'; readonly cancelled: number; readonly failed: readonly string[] }
  | { readonly kind: 'outage-cancels-failed'; readonly error: unknown };

/** Where a session's notices go. */
export type LiveNotify = (notice: LiveNotice) => void;

/** A notifier whose failures are contained: an alert path that throws never stops the session. */
export interface ContainedNotify {
  readonly notify: LiveNotify;
  /** Notices the wrapped notifier threw on so far (reported in the run's summary as `alertFailures`). */
  failures(): number;
}

/**
 * Wraps `notify` so that a failure of it (a webhook down, a log that cannot be written) is counted
 * instead of thrown into the step, the save or the watchdog that notified.
 */
export function containNotify(notify: LiveNotify): ContainedNotify {
  let failures = 0;
  return {
    notify: (notice) => {
      try {
        notify(notice);
      } catch {
        failures++;
      }
    },
    failures: () => failures,
  };
}
