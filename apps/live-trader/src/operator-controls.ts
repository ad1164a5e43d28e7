import type { LiveSession } from '@quantbot/engine/live';
import type { Logger } from '@quantbot/observability';
import { KillFileWatcher, RearmRequestWatcher } from '@quantbot/risk-guardrails';
import type { CliIo } from '@quantbot/cli';

/**
 * What an operator controls from outside a running session: the kill file (every process) and the
 * session's re-arm request. `poll(time)` reads both (kill file first), says on stdout and in the
 * log what changed, and audits a re-arm request's outcome in the session's journal. The caller
 * saves when it returns true.
 */
export class OperatorControls {
  readonly #session: LiveSession;
  readonly #killFile: KillFileWatcher;
  readonly #rearm: RearmRequestWatcher;
  readonly #io: CliIo;
  readonly #log: Logger;

  constructor(options: { readonly session: LiveSession; readonly killFile: string; readonly io: CliIo; readonly logger: Logger }) {
    this.#session = options.session;
    this.#killFile = new KillFileWatcher(options.killFile, options.session.gateway);
    this.#rearm = new RearmRequestWatcher({ killFile: options.killFile, session: options.session.sessionId, target: options.session.gateway });
    this.#io = options.io;
    this.#log = options.logger;
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
      this.#io.err(`kill switch: ${before} -> ${gateway.state}: ${reason}`);
      this.#log.warn('kill switch', { from: before, to: gateway.state, reason });
    }
    const outcome = this.#rearm.poll(time);
    if (outcome !== null) {
      changed = true;
      const { request } = outcome;
      const who = request === null ? 'an unreadable request' : `${request.by} (${request.reason})`;
      this.#session.audit(time, 're-arm-request', {
        applied: outcome.applied,
        by: request?.by ?? null,
        reason: request?.reason ?? null,
        requestedAt: request?.requestedAt ?? null,
        refusal: outcome.refusal ?? null,
        state: gateway.state,
      });
      if (outcome.applied) {
        this.#io.out(`kill switch: re-armed by ${who}: ${gateway.state}`);
        this.#log.warn('re-armed', { by: request?.by ?? null, reason: request?.reason ?? null, state: gateway.state });
      } else {
        this.#io.err(`kill switch: re-arm by ${who} refused: ${outcome.refusal ?? ''}; the session stays ${gateway.state}`);
        this.#log.warn('re-arm refused', { by: request?.by ?? null, refusal: outcome.refusal ?? null, state: gateway.state });
      }
    }
    return changed;
  }
}
