import { KillFileWatcher, RearmRequestWatcher } from '@quantbot/risk-guardrails';
import type { LiveNotify } from './live-notice';
import type { LiveSession } from './live-session';

/**
 * What an operator controls from outside a running session: the kill file (every process) and the
 * session's re-arm request. `poll(time)` reads both (kill file first), notifies what changed, and
 * audits a re-arm request's outcome in the session's journal. The caller saves when it returns
 * true.
 */
export class OperatorControls {
  readonly #session: LiveSession;
  readonly #killFile: KillFileWatcher;
  readonly #rearm: RearmRequestWatcher;
  readonly #notify: LiveNotify;

  constructor(options: { readonly session: LiveSession; readonly killFile: string; readonly notify: LiveNotify }) {
    this.#session = options.session;
    this.#killFile = new KillFileWatcher(options.killFile, options.session.gateway);
    this.#rearm = new RearmRequestWatcher({ killFile: options.killFile, session: options.session.sessionId, target: options.session.gateway });
    this.#notify = options.notify;
  }

  /** Reads the kill file and the re-arm request at `time`; true when the session's state or journal changed. */
  poll(time: number): boolean {
    const gateway = this.#session.gateway;
    const before = gateway.state;
    this.#killFile.poll(time);
    let changed = false;
    if (gateway.state !== before) {
      changed = true;
      const reason = gateway.getStatistics().transitions.at(-1)?.reason ?? '';
      this.#notify({ kind: 'kill-switch', from: before, to: gateway.state, reason });
    }
    const outcome = this.#rearm.poll(time);
    if (outcome !== null) {
      changed = true;
      const { request } = outcome;
      this.#session.audit(time, 're-arm-request', {
        applied: outcome.applied,
        by: request?.by ?? null,
        reason: request?.reason ?? null,
        requestedAt: request?.requestedAt ?? null,
        refusal: outcome.refusal ?? null,
        state: gateway.state,
      });
      this.#notify({ kind: 're-arm', applied: outcome.applied, by: request?.by ?? null, reason: request?.reason ?? null, refusal: outcome.refusal ?? null, state: gateway.state });
    }
    return changed;
  }
}
