import { StrategyManager } from '@quantbot/engine';
import { KillFileWatcher, RearmRequestWatcher } from '@quantbot/risk-guardrails';
import type { LiveNotify } from './live-notice';
import type { LiveSession } from './live-session';
import { SleeveRequestWatcher } from './sleeve-request';

/**
 * What an operator controls from outside a running session: the kill file (every process), the
 * session's re-arm request and, for a session that trades a strategy manager, its sleeve requests
 * (halt, flatten or resume one sleeve). `poll(time)` reads them (kill file first), notifies what
 * changed, and audits the outcome of each request in the session's journal. The caller saves when
 * it returns true.
 */
export class OperatorControls {
  readonly #session: LiveSession;
  readonly #killFile: KillFileWatcher;
  readonly #rearm: RearmRequestWatcher;
  readonly #sleeves: SleeveRequestWatcher;
  readonly #notify: LiveNotify;

  constructor(options: { readonly session: LiveSession; readonly killFile: string; readonly notify: LiveNotify }) {
    this.#session = options.session;
    this.#killFile = new KillFileWatcher(options.killFile, options.session.gateway);
    this.#rearm = new RearmRequestWatcher({ killFile: options.killFile, session: options.session.sessionId, target: options.session.gateway });
    const strategy = options.session.strategy;
    this.#sleeves = new SleeveRequestWatcher({ killFile: options.killFile, session: options.session.sessionId, manager: strategy instanceof StrategyManager ? strategy : undefined });
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
    for (const sleeve of this.#sleeves.poll(time)) {
      changed = true;
      const { request } = sleeve;
      const facts = {
        sleeve: request?.sleeve ?? null,
        action: request?.action ?? null,
        applied: sleeve.applied,
        by: request?.by ?? null,
        reason: request?.reason ?? null,
        requestedAt: request?.requestedAt ?? null,
        refusal: sleeve.refusal ?? null,
        state: sleeve.state,
      };
      this.#session.audit(time, 'sleeve-request', facts);
      this.#notify({ kind: 'sleeve-request', ...facts });
    }
    return changed;
  }
}
