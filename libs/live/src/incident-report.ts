import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '@quantbot/core';
import type { AlertSeverity, Incident, IncidentPriority, IncidentTimelineEntry } from './incident';
import { IncidentError } from './incident';
import { CheckpointError, parseLiveCheckpoint } from './live-checkpoint';
import type { ListedCheckpoint, LiveAuditRecord, LiveFillRecord, LiveOrderRecord } from './live-state';

/** The audit kinds of kill-switch moves (see `KillSwitch` of `@quantbot/risk-guardrails`). */
export const KILL_SWITCH_AUDIT_KINDS: readonly string[] = Object.freeze(['state-transition', 're-arm']);

/** The follow-up every report carries, whatever the alerts were. */
export const ROOT_CAUSE_FOLLOW_UP = 'Find and fix the root cause';

/** What the session did between the incident's open and resolve. */
export interface IncidentImpact {
  /** Orders decided in the window. */
  readonly ordersSent: number;
  /** Of those, filled (status `filled`, as last saved). */
  readonly ordersFilled: number;
  /** Of those, rejected (status `rejected`, as last saved). */
  readonly ordersRejected: number;
  /** Fills in the window (any order). */
  readonly fills: number;
  /** Realized P&L (before commissions) of the last checkpoint saved at or before open; 0 when none was (the session's start). */
  readonly realizedPnlAtOpen: number;
  /** Realized P&L of the last checkpoint saved at or before resolve (`realizedPnlAtOpen` when none was). */
  readonly realizedPnlAtResolve: number;
  /** `realizedPnlAtResolve - realizedPnlAtOpen`. */
  readonly realizedPnlChange: number;
  /** The checkpoints read (seq), or null when none was found for that end. */
  readonly checkpointSeqs: { readonly atOpen: number | null; readonly atResolve: number | null };
}

/** A kill-switch move from the session's audit log during the incident. */
export interface IncidentHalt {
  readonly time: number;
  readonly kind: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly reason: string | null;
}

/** One follow-up of the report and ticket. */
export interface IncidentFollowUp {
  readonly title: string;
  /** The alert key it comes from, or null for the root-cause item. */
  readonly alertKey: string | null;
}

/** The post-incident report (`report.json`). Times are epoch ms. */
export interface IncidentReport {
  readonly format: 'quantbot-incident-report';
  readonly version: 1;
  readonly id: string;
  readonly sessionId: string;
  readonly priority: IncidentPriority;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly alertKey: string;
  readonly openedAt: number;
  readonly acknowledged: { readonly at: number; readonly by: string } | null;
  readonly resolved: { readonly at: number; readonly by: string; readonly summary: string };
  readonly ackSlaMs: number;
  /** From open to acknowledgement (null: never acknowledged). */
  readonly timeToAcknowledgeMs: number | null;
  readonly timeToResolveMs: number;
  readonly escalationLevel: number;
  readonly timeline: readonly IncidentTimelineEntry[];
  readonly impact: IncidentImpact;
  readonly halted: readonly IncidentHalt[];
  readonly followUps: readonly IncidentFollowUp[];
}

/** What the report reads from the session's live state. */
export interface IncidentSessionFacts {
  readonly orders: readonly LiveOrderRecord[];
  readonly fills: readonly LiveFillRecord[];
  readonly checkpoints: readonly ListedCheckpoint[];
  readonly audit: readonly LiveAuditRecord[];
}

/**
 * The post-incident report of a resolved incident from the session's facts: the window is
 * `[openedAt, resolved.at]`, both ends included. Realized P&L comes from the ledgers of the last
 * checkpoints saved at or before each end that are not set aside, do not fail their integrity
 * hash and read as checkpoints. Pure: the same incident and facts give the same report.
 */
export function buildIncidentReport(incident: Incident, facts: IncidentSessionFacts): IncidentReport {
  const resolved = incident.resolved;
  if (resolved === null || incident.status !== 'resolved') throw new IncidentError('INCIDENT_INVALID', incident.id, 'is not resolved: a post-incident report needs its resolution');
  const from = incident.openedAt;
  const to = resolved.at;
  const inWindow = (time: number): boolean => time >= from && time <= to;
  const sent = facts.orders.filter((order) => inWindow(order.decidedAt));
  const atOpen = realizedAt(facts.checkpoints, from);
  const atResolve = realizedAt(facts.checkpoints, to);
  const pnlAtOpen = atOpen?.realizedPnl ?? 0;
  const pnlAtResolve = atResolve?.realizedPnl ?? pnlAtOpen;
  const halted = facts.audit
    .filter((entry) => inWindow(entry.time) && KILL_SWITCH_AUDIT_KINDS.includes(entry.kind))
    .map((entry): IncidentHalt => ({ time: entry.time, kind: entry.kind, from: textOrNull(entry.detail['from']), to: textOrNull(entry.detail['to']), reason: textOrNull(entry.detail['reason']) }));
  const keys = new Set<string>([incident.alertKey]);
  for (const entry of incident.timeline) {
    const key = entry.detail['key'];
    if ((entry.kind === 'alert' || entry.kind === 'alert-repeat') && typeof key === 'string') keys.add(key);
  }
  const followUps: IncidentFollowUp[] = [...keys].map((key) => ({ title: `Stop '${key}' from recurring (or alert earlier on it)`, alertKey: key }));
  followUps.push({ title: ROOT_CAUSE_FOLLOW_UP, alertKey: null });
  return {
    format: 'quantbot-incident-report',
    version: 1,
    id: incident.id,
    sessionId: incident.sessionId,
    priority: incident.priority,
    severity: incident.severity,
    title: incident.title,
    alertKey: incident.alertKey,
    openedAt: from,
    acknowledged: incident.acknowledged,
    resolved,
    ackSlaMs: incident.ackSlaMs,
    timeToAcknowledgeMs: incident.acknowledged === null ? null : incident.acknowledged.at - from,
    timeToResolveMs: to - from,
    escalationLevel: incident.escalationLevel,
    timeline: incident.timeline,
    impact: {
      ordersSent: sent.length,
      ordersFilled: sent.filter((order) => order.status === 'filled').length,
      ordersRejected: sent.filter((order) => order.status === 'rejected').length,
      fills: facts.fills.filter((fill) => inWindow(fill.time)).length,
      realizedPnlAtOpen: pnlAtOpen,
      realizedPnlAtResolve: pnlAtResolve,
      realizedPnlChange: pnlAtResolve - pnlAtOpen,
      checkpointSeqs: { atOpen: atOpen?.seq ?? null, atResolve: atResolve?.seq ?? null },
    },
    halted,
    followUps,
  };
}

/** The report as markdown (`report.md`). */
export function formatIncidentReport(report: IncidentReport): string {
  const lines: string[] = [
    `# ${report.id}: ${report.title}`,
    '',
    `- Priority: ${report.priority} (alert severity ${report.severity}, key \`${report.alertKey}\`)`,
    `- Session: ${report.sessionId}`,
    `- Opened: ${iso(report.openedAt)}`,
    `- Acknowledged: ${report.acknowledged === null ? 'never' : `${iso(report.acknowledged.at)} by ${report.acknowledged.by} (after ${minutes(report.timeToAcknowledgeMs ?? 0)}; SLA ${minutes(report.ackSlaMs)})`}`,
    `- Resolved: ${iso(report.resolved.at)} by ${report.resolved.by} (after ${minutes(report.timeToResolveMs)})`,
    `- Escalations: ${report.escalationLevel}`,
    '',
    '## Summary',
    '',
    report.resolved.summary,
    '',
    '## Impact',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| orders sent | ${report.impact.ordersSent} |`,
    `| orders filled | ${report.impact.ordersFilled} |`,
    `| orders rejected | ${report.impact.ordersRejected} |`,
    `| fills | ${report.impact.fills} |`,
    `| realized P&L at open | ${money(report.impact.realizedPnlAtOpen)} |`,
    `| realized P&L at resolve | ${money(report.impact.realizedPnlAtResolve)} |`,
    `| realized P&L change | ${money(report.impact.realizedPnlChange)} |`,
    '',
    '## What halted',
    '',
    ...(report.halted.length === 0
      ? ['No kill-switch move was recorded during the incident.']
      : report.halted.map((halt) => `- ${iso(halt.time)} ${halt.kind}: ${halt.from ?? '?'} → ${halt.to ?? '?'}${halt.reason === null ? '' : ` (${halt.reason})`}`)),
    '',
    '## Timeline',
    '',
    ...report.timeline.map((entry) => `- ${iso(entry.time)} **${entry.kind}** ${describeTimelineEntry(entry)}`),
    '',
    '## Follow-ups',
    '',
    ...report.followUps.map((item) => `- [ ] ${item.title}`),
    '',
  ];
  return lines.join('\n');
}

/** The ticket (`ticket.md`): title, priority, summary and the follow-ups as a checklist. */
export function formatIncidentTicket(report: IncidentReport): string {
  return [
    `# [${report.priority}] ${report.id}: ${report.title}`,
    '',
    `Priority: ${report.priority}`,
    `Session: ${report.sessionId}`,
    `Resolved: ${iso(report.resolved.at)} by ${report.resolved.by}`,
    '',
    '## Summary',
    '',
    report.resolved.summary,
    '',
    '## Follow-ups',
    '',
    ...report.followUps.map((item) => `- [ ] ${item.title}`),
    '',
  ].join('\n');
}

/** The files {@link writeIncidentReport} wrote. */
export interface IncidentReportFiles {
  readonly dir: string;
  readonly markdown: string;
  readonly json: string;
  readonly ticket: string;
}

/**
 * Writes `<resultsDir>/incidents/<id>/report.md`, `report.json` and `ticket.md`, each atomically
 * (a temporary file in the same folder, flushed, then renamed over the old one): a reader sees
 * the old file or the new one, never half of one. Throws `INCIDENT_FAILED` naming the file.
 */
export function writeIncidentReport(resultsDir: string, report: IncidentReport): IncidentReportFiles {
  const dir = join(resultsDir, 'incidents', report.id);
  const files: IncidentReportFiles = { dir, markdown: join(dir, 'report.md'), json: join(dir, 'report.json'), ticket: join(dir, 'ticket.md') };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new IncidentError('INCIDENT_FAILED', report.id, `cannot create ${dir}: ${describe(error)}`, { cause: error });
  }
  writeAtomic(report.id, files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeAtomic(report.id, files.markdown, formatIncidentReport(report));
  writeAtomic(report.id, files.ticket, formatIncidentTicket(report));
  return files;
}

function writeAtomic(id: string, file: string, text: string): void {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(temp, 'wx');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new IncidentError('INCIDENT_FAILED', id, `cannot write ${file}: ${describe(error)}`, { cause: error });
  }
}

/** The last usable checkpoint saved at or before `time`, with its realized P&L. */
function realizedAt(checkpoints: readonly ListedCheckpoint[], time: number): { readonly seq: number; readonly realizedPnl: number } | undefined {
  let best: { readonly seq: number; readonly savedAt: number; readonly realizedPnl: number } | undefined;
  for (const checkpoint of checkpoints) {
    if (checkpoint.setAside !== null || checkpoint.integrity === 'mismatch' || checkpoint.savedAt > time) continue;
    if (best !== undefined && (checkpoint.savedAt < best.savedAt || (checkpoint.savedAt === best.savedAt && checkpoint.seq < best.seq))) continue;
    let realizedPnl: number;
    try {
      realizedPnl = parseLiveCheckpoint(checkpoint.document).ledger.realizedPnl;
    } catch (error) {
      if (error instanceof CheckpointError) continue;
      throw error;
    }
    best = { seq: checkpoint.seq, savedAt: checkpoint.savedAt, realizedPnl };
  }
  return best === undefined ? undefined : { seq: best.seq, realizedPnl: best.realizedPnl };
}

/** One timeline entry in words (the markdown report's and `live-trader incident show`'s): `critical \`broker-outage\`: broker unreachable {"channel":"rest"}`. */
export function describeTimelineEntry(entry: IncidentTimelineEntry): string {
  const d = entry.detail;
  switch (entry.kind) {
    case 'alert':
    case 'alert-repeat': {
      const extra = d['detail'];
      const facts = typeof extra === 'object' && extra !== null && Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : '';
      return `${String(d['severity'])} \`${String(d['key'])}\`: ${String(d['title'])}${facts}`;
    }
    case 'escalated':
      return `level ${String(d['level'])}, paged as ${String(d['severity'])}`;
    case 'acknowledged':
      return `by ${String(d['by'])}`;
    case 'resolved':
      return `by ${String(d['by'])}: ${String(d['summary'])}`;
    case 'audit':
      return `${String(d['kind'])} ${JSON.stringify(d['detail'] ?? {})}`;
    default:
      return JSON.stringify(d);
  }
}

function textOrNull(value: JsonValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

function minutes(ms: number): string {
  return `${Math.round((ms / 60_000) * 10) / 10} min`;
}

function money(value: number): string {
  return value.toFixed(2);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
