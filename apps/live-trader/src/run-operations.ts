import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, SeededRng, epochMs } from '@quantbot/core';
import { DEFAULT_ACK_SLA_MS, IncidentDesk, SessionOperations } from '@quantbot/live';
import type { Incident, KyselyIncidentStore, LiveStateStore, OperationsEvent } from '@quantbot/live';
import { SloMonitor, WebhookPager, loadSloConfig, pagingConfigFromEnv, redactWebhookUrl } from '@quantbot/observability';
import type { Logger, PagingConfig, SloConfig, TradingMetrics } from '@quantbot/observability';
import type { RunOutput } from './trader-output';

/** The SLOs, paging and incident settings of `live-trader run`, checked before anything opens. */
export interface OperationsPlan {
  readonly slo: SloConfig;
  /** The file the SLOs came from, or `built-in defaults`. */
  readonly sloSource: string;
  readonly paging: PagingConfig;
  readonly ackSlaMs: number;
}

/** How often the trader evaluates its SLOs and looks for escalations between steps (wall clock). */
export const OPERATIONS_TICK_MS = 5_000;

/**
 * `--slo-config` (default `config/slo.json` when it exists, else the built-in defaults), the
 * `SLO_PAGING_*` variables and `--incident-ack-minutes`. A bad file, variable or flag is a
 * `ConfigError` naming it (exit 2).
 */
export function planOperations(flags: Readonly<Record<string, string | number | boolean>>, env: Readonly<Record<string, string | undefined>>, cwd: string): OperationsPlan {
  const given = typeof flags['slo-config'] === 'string' ? flags['slo-config'] : undefined;
  const path = resolve(cwd, given ?? 'config/slo.json');
  const slo = loadSloConfig(path, { optional: given === undefined });
  const paging = pagingConfigFromEnv(env);
  const minutes = flags['incident-ack-minutes'];
  if (minutes !== undefined && !(typeof minutes === 'number' && minutes > 0 && Number.isFinite(minutes))) {
    throw new ConfigError('--incident-ack-minutes', `must be a positive number of minutes, got ${String(minutes)}`);
  }
  return { slo, sloSource: existsSync(path) ? path : 'built-in defaults', paging, ackSlaMs: typeof minutes === 'number' ? minutes * 60_000 : DEFAULT_ACK_SLA_MS };
}

/** The running operations side of a session, and how to end it. */
export interface RunningOperations {
  readonly session: SessionOperations;
  /** Stops the timer, waits for the incident store's queued work and (bounded) for pages in flight. */
  close(): Promise<void>;
}

export interface OperationsContext {
  readonly sessionId: string;
  /** The session's clock (epoch ms). */
  readonly now: () => number;
  readonly opened: { readonly store: LiveStateStore; readonly incidents: KyselyIncidentStore };
  readonly io: RunOutput;
  readonly log: Logger;
  readonly metrics: TradingMetrics | undefined;
  /** Where resolved incidents' reports go (the incident command resolves them). */
  readonly resultsDir: string;
  /** Each incident the session opens (its P1 and P2 become the experiment's defects). */
  readonly onIncidentOpened?: (incident: Incident) => void;
}

/** Starts the SLO monitor, the pager (when `SLO_PAGING_ENABLED`) and the incident desk of a session. */
export function startOperations(plan: OperationsPlan, context: OperationsContext): RunningOperations {
  const { io, log, metrics } = context;
  const clock = { now: () => epochMs(context.now()) };
  const paging = plan.paging;
  const pager =
    paging.enabled && paging.webhookUrl !== null
      ? new WebhookPager({
          url: paging.webhookUrl,
          clock,
          minSeverity: paging.minSeverity,
          timeoutMs: paging.timeoutMs,
          session: context.sessionId,
          rng: new SeededRng(0x5109),
          logger: log,
          onSent: (payload) => metrics?.pageSent(payload.status),
          onFailure: (failure) => {
            metrics?.alertPathFailure();
            io.err(`warning: alert path: ${failure.status} ${failure.key} not delivered after ${failure.attempts} attempt(s): ${failure.reason}`);
          },
          onPathDown: (down) => {
            io.err(`error: alert path down: ${down.consecutiveFailures} message(s) in a row failed (${down.reason}); trading goes on, alerts are in this log only`);
            log.error('alert path down', { consecutiveFailures: down.consecutiveFailures, reason: down.reason });
          },
          onPathRestored: () => io.err('warning: alert path restored'),
        })
      : undefined;
  io.out(
    `slo: ${plan.sloSource}; paging: ${pager === undefined ? 'off (SLO_PAGING_ENABLED)' : `${paging.minSeverity} and above to ${redactWebhookUrl(paging.webhookUrl as string)}`}; incidents: acknowledge within ${plan.ackSlaMs / 60_000} min`,
  );
  const desk = new IncidentDesk({ incidents: context.opened.incidents, liveState: context.opened.store, clock: context.now, ackSlaMs: plan.ackSlaMs, resultsDir: context.resultsDir });
  const session = new SessionOperations({
    sessionId: context.sessionId,
    monitor: new SloMonitor({ config: plan.slo, start: clock.now() }),
    clock: context.now,
    desk,
    ...(pager !== undefined ? { pager } : {}),
    ...(metrics !== undefined ? { metrics } : {}),
    onEvent: (event) => {
      printOperationsEvent(event, io, log);
      if (event.kind === 'incident' && event.action === 'opened') context.onIncidentOpened?.(event.incident);
    },
  });
  const timer = setInterval(() => session.tick(), OPERATIONS_TICK_MS);
  timer.unref();
  return {
    session,
    close: async () => {
      clearInterval(timer);
      await session.settle();
      await pager?.close();
    },
  };
}

function printOperationsEvent(event: OperationsEvent, io: RunOutput, log: Logger): void {
  switch (event.kind) {
    case 'alert': {
      const change = event.change;
      const loud = change.severity === 'critical' || change.severity === 'page';
      if (change.status === 'firing') io.err(`${loud ? 'error' : 'warning'}: SLO alert ${change.key} (${change.severity}): ${change.summary}`);
      else io.err(`warning: SLO alert ${change.key} resolved: ${change.summary}`);
      log.warn('slo alert', { key: change.key, status: change.status, severity: change.severity, episode: change.episode, summary: change.summary });
      return;
    }
    case 'incident': {
      const incident = event.incident;
      if (event.action === 'opened') {
        io.err(`error: incident ${incident.id} (${incident.priority}) opened: ${incident.title}; acknowledge it: live-trader incident ack --id ${incident.id} --by <name>`);
      }
      log.error(`incident ${event.action}`, { id: incident.id, priority: incident.priority, alertKey: incident.alertKey });
      return;
    }
    case 'escalation': {
      const e = event.escalation;
      io.err(`error: incident ${e.incidentId} not acknowledged after ${Math.round(e.openForMs / 60_000)} min: paged again (${e.severity}, level ${e.level})`);
      log.error('incident escalated', { id: e.incidentId, level: e.level, severity: e.severity });
      return;
    }
    case 'operations-error': {
      const message = event.error instanceof Error ? event.error.message : String(event.error);
      io.err(`warning: incidents: ${event.during} failed: ${message}`);
      log.error('incidents failed', { during: event.during, error: event.error });
      return;
    }
  }
}
