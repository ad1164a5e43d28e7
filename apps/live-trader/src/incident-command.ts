import { resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import { INCIDENT_ID_PATTERN, IncidentDesk, IncidentError, describeTimelineEntry } from '@quantbot/live';
import type { Incident, IncidentResolution, LiveStateStoreHandle } from '@quantbot/live';
import type { Logger } from '@quantbot/observability';
import type { CliIo, FlagSpec, FlagValues } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import { openStateStore } from './state-store-flags';

/** Flags of `live-trader incident`. */
export const INCIDENT_FLAGS: readonly FlagSpec[] = [
  { name: 'id', kind: 'string', valueName: 'id', description: 'show, ack, resolve, report: the incident (INC-<yyyymmdd>-<n>, as list shows it)' },
  { name: 'session', kind: 'string', valueName: 'id', description: "list: only this session's incidents" },
  { name: 'all', kind: 'boolean', description: 'list: resolved incidents too (default: open and acknowledged only)' },
  { name: 'json', kind: 'boolean', description: 'list, show: print JSON' },
  { name: 'by', kind: 'string', valueName: 'name', description: 'ack, resolve: who acts (required; recorded in the timeline)' },
  { name: 'summary', kind: 'string', valueName: 'text', description: 'resolve: what happened and what fixed it (required)' },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'resolve, report: where incidents/<id>/report.md, report.json and ticket.md go (default results)' },
  { name: 'state-dir', kind: 'string', valueName: 'dir', description: 'embedded state database directory (default .quantbot/live; DATABASE_URL selects a server)' },
  { name: 'state-schema', kind: 'string', valueName: 'name', description: 'Postgres schema of the state (default quantbot_live)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const ACTIONS = ['list', 'show', 'ack', 'resolve', 'report'] as const;
type Action = (typeof ACTIONS)[number];

/** The flags each action takes, besides --state-dir, --state-schema and --help. */
const ACTION_FLAGS: Readonly<Record<Action, readonly string[]>> = {
  list: ['session', 'all', 'json'],
  show: ['id', 'json'],
  ack: ['id', 'by'],
  resolve: ['id', 'by', 'summary', 'results-dir'],
  report: ['id', 'results-dir'],
};
const COMMON_FLAGS: readonly string[] = ['state-dir', 'state-schema', 'help'];

const USAGE = `usage: live-trader incident <list|show|ack|resolve|report> [flags]

  list      unresolved incidents (--all: resolved ones too; --session <id>: one session's), oldest first
  show      one incident (--id) with its timeline
  ack       acknowledge --id as --by <name>: its escalations stop
  resolve   resolve --id as --by <name> with --summary "...": the session's audit entries since it
            opened join its timeline, and the post-incident report is written to
            <results-dir>/incidents/<id>/report.md, report.json and ticket.md
  report    write the post-incident report of a resolved incident (--id) again

Incidents are opened by critical and page alerts of a trading session (priority page→P1,
critical→P2) and kept in the live trader's database: found as 'live-trader run' finds it
(--state-dir, or DATABASE_URL and --state-schema). See docs/operations.md, "Incidents".

flags:
${formatFlagHelp(INCIDENT_FLAGS)}

exit codes: 0 done, 1 failure (an unknown incident, acknowledging or resolving a resolved one, the
database), 2 usage error.`;

/** Dependencies of {@link incidentCommand}. */
export interface IncidentDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Wall clock (epoch ms): stamps acknowledgements and resolutions. */
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * `live-trader incident <action>`: lists, shows, acknowledges and resolves incidents, writing
 * the post-incident report on resolve. Returns the exit code (see the usage text); errors are
 * thrown (a `ConfigError` naming the flag is a usage error).
 */
export async function incidentCommand(argv: readonly string[], io: CliIo, deps: IncidentDeps): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === 'help') {
    io.out(USAGE);
    return action === undefined ? 2 : 0;
  }
  if (!(ACTIONS as readonly string[]).includes(action)) throw new ConfigError('incident', `unknown action '${action}'; expected ${ACTIONS.join(', ')}`);
  const act = action as Action;
  const flags = parseFlags(rest, INCIDENT_FLAGS);
  if (flags['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  for (const name of Object.keys(flags)) {
    if (!ACTION_FLAGS[act].includes(name) && !COMMON_FLAGS.includes(name)) throw new ConfigError(`--${name}`, `is not a flag of 'incident ${act}' (its flags: ${ACTION_FLAGS[act].map((f) => `--${f}`).join(', ')})`);
  }
  const id = act === 'list' ? undefined : incidentIdFlag(flags);
  const by = act === 'ack' || act === 'resolve' ? requiredText(flags, 'by') : undefined;
  const summary = act === 'resolve' ? requiredText(flags, 'summary') : undefined;
  const resultsDir = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : 'results');

  const opened = await openState(flags, io, deps);
  try {
    const desk = new IncidentDesk({ incidents: opened.incidents, liveState: opened.store, clock: deps.now, resultsDir });
    switch (act) {
      case 'list': {
        const session = typeof flags['session'] === 'string' ? flags['session'] : undefined;
        const incidents = await opened.incidents.list({ ...(session !== undefined ? { sessionId: session } : {}), ...(flags['all'] === true ? {} : { statuses: ['open', 'acknowledged'] }) });
        if (flags['json'] === true) io.out(JSON.stringify(incidents, null, 2));
        else io.out(formatList(incidents, deps.now(), flags['all'] === true));
        return 0;
      }
      case 'show': {
        const incident = await opened.incidents.get(id as string);
        if (incident === undefined) throw new IncidentError('INCIDENT_NOT_FOUND', id, `no such incident in ${opened.describe()}`);
        io.out(flags['json'] === true ? JSON.stringify(incident, null, 2) : formatIncident(incident, deps.now()));
        return 0;
      }
      case 'ack': {
        const incident = await desk.acknowledge(id as string, by as string);
        deps.logger.info('incident ack', { id: incident.id, by: by ?? null });
        io.out(`acknowledged ${incident.id} (${incident.priority}, ${incident.title}) as ${by as string}: its escalations stop`);
        return 0;
      }
      case 'resolve': {
        const resolution = await desk.resolve(id as string, by as string, summary as string);
        deps.logger.info('incident resolve', { id: resolution.incident.id, by: by ?? null, summary: summary ?? null });
        io.out(`resolved ${resolution.incident.id} (${resolution.incident.priority}, ${resolution.incident.title}) as ${by as string}`);
        printResolution(resolution, io);
        return 0;
      }
      case 'report': {
        const resolution = await desk.report(id as string);
        printResolution(resolution, io);
        return 0;
      }
    }
  } finally {
    await opened.close();
  }
}

function openState(flags: FlagValues, io: CliIo, deps: IncidentDeps): Promise<LiveStateStoreHandle> {
  return openStateStore(flags, deps.env, io.cwd);
}

function printResolution(resolution: IncidentResolution, io: CliIo): void {
  const { impact, halted } = resolution.report;
  io.out(
    `impact: ${impact.ordersSent} order(s) sent, ${impact.ordersFilled} filled, ${impact.ordersRejected} rejected, ${impact.fills} fill(s); realized P&L ${signed(impact.realizedPnlChange)}; ${halted.length} kill-switch move(s)`,
  );
  if (resolution.files !== undefined) {
    io.out(`report: ${resolution.files.markdown}`);
    io.out(`report: ${resolution.files.json}`);
    io.out(`ticket: ${resolution.files.ticket}`);
  }
}

function formatList(incidents: readonly Incident[], now: number, all: boolean): string {
  if (incidents.length === 0) return all ? 'no incidents' : 'no open incidents';
  const header = ['id', 'priority', 'status', 'session', 'opened', 'escalations', 'title'];
  const rows = incidents.map((i) => [i.id, i.priority, describeStatus(i, now), i.sessionId, new Date(i.openedAt).toISOString(), String(i.escalationLevel), i.title]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function describeStatus(incident: Incident, now: number): string {
  if (incident.status !== 'open') return incident.status;
  const due = incident.openedAt + incident.ackSlaMs;
  return now >= due ? 'open (ack overdue)' : `open (ack due in ${Math.ceil((due - now) / 60_000)} min)`;
}

function formatIncident(incident: Incident, now: number): string {
  const lines = [
    `${incident.id} ${incident.priority} ${describeStatus(incident, now)}: ${incident.title}`,
    `session: ${incident.sessionId}`,
    `alert key: ${incident.alertKey} (severity ${incident.severity})`,
    `opened: ${new Date(incident.openedAt).toISOString()} (ack SLA ${incident.ackSlaMs / 60_000} min)`,
    `acknowledged: ${incident.acknowledged === null ? 'no' : `${new Date(incident.acknowledged.at).toISOString()} by ${incident.acknowledged.by}`}`,
    `escalations: ${incident.escalationLevel}${incident.escalations.map((e) => ` [${e.level}: ${e.severity} at ${new Date(e.at).toISOString()}]`).join('')}`,
    `resolved: ${incident.resolved === null ? 'no' : `${new Date(incident.resolved.at).toISOString()} by ${incident.resolved.by}: ${incident.resolved.summary}`}`,
    'timeline:',
    ...incident.timeline.map((entry) => `  ${new Date(entry.time).toISOString()} ${entry.kind} ${describeTimelineEntry(entry)}`),
  ];
  return lines.join('\n');
}

function incidentIdFlag(flags: FlagValues): string {
  const value = requiredText(flags, 'id');
  if (!INCIDENT_ID_PATTERN.test(value)) throw new ConfigError('--id', `'${value}' is not an incident id (INC-<yyyymmdd>-<n>, as 'incident list' shows it)`);
  return value;
}

function requiredText(flags: FlagValues, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`--${name}`, 'required');
  return value;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}
