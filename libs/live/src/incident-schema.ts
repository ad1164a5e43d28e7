import type { ColumnType, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from '@quantbot/storage';

/**
 * The incident tables (prefixed `live_incident`), kept in the live trader's database next to the
 * live state, so that `live-trader run` and `live-trader incident` open one database with one
 * migration list (`openLiveStateStore`'s default holds both).
 *
 * Column types follow `live-state-schema.ts`: instants are `timestamptz` (written as ISO 8601
 * with milliseconds, read as a `Date`), details are `jsonb`, row numbers `bigint` identities.
 */

type Timestamp = ColumnType<Date, string, string>;
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>;
type Jsonb<T> = ColumnType<T, string, never>;
type Identity = ColumnType<string, never, never>;

/** `live_incidents`: one row per incident, updated as it is acknowledged, escalated and resolved. */
export interface LiveIncidentsTable {
  /** `INC-<yyyymmdd>-<n>`: the UTC day it was opened and its number that day, from 1. */
  id: string;
  session_id: string;
  /** `P1` … `P4`. */
  priority: string;
  /** The severity of the alert that opened it: `page`, `critical`, `warning` or `info`. */
  severity: string;
  title: string;
  alert_key: string;
  /** `open`, `acknowledged` or `resolved`. */
  status: string;
  opened_at: ColumnType<Date, string, never>;
  /** The acknowledgement SLA the incident was opened with (ms). */
  ack_sla_ms: ColumnType<string, string, never>;
  acknowledged_at: NullableTimestamp;
  acknowledged_by: string | null;
  resolved_at: NullableTimestamp;
  resolved_by: string | null;
  summary: string | null;
  /** How many SLA periods it went unacknowledged (0: never escalated). */
  escalation_level: number;
  last_escalated_at: NullableTimestamp;
}

/** `live_incident_timeline`: append-only, in `seq` order per incident. */
export interface LiveIncidentTimelineTable {
  incident_id: string;
  seq: Identity;
  time: Timestamp;
  kind: string;
  detail: Jsonb<{ readonly [key: string]: unknown }>;
}

/** `live_incident_days`: the last incident number given out on each UTC day (`yyyymmdd`). */
export interface LiveIncidentDaysTable {
  day: string;
  last_number: number;
}

/** The incident tables, for `openDatabase<IncidentTables>(...)` and `KyselyIncidentStore`. */
export interface IncidentTables {
  live_incidents: LiveIncidentsTable;
  live_incident_timeline: LiveIncidentTimelineTable;
  live_incident_days: LiveIncidentDaysTable;
}

const SCHEMA_STATEMENTS: readonly string[] = [
  `create table live_incidents (
    id text primary key check (id ~ '^INC-[0-9]{8}-[1-9][0-9]*$'),
    session_id text not null check (session_id <> ''),
    priority text not null check (priority in ('P1', 'P2', 'P3', 'P4')),
    severity text not null check (severity in ('page', 'critical', 'warning', 'info')),
    title text not null check (title <> ''),
    alert_key text not null check (alert_key <> ''),
    status text not null check (status in ('open', 'acknowledged', 'resolved')),
    opened_at timestamptz not null,
    ack_sla_ms bigint not null check (ack_sla_ms > 0),
    acknowledged_at timestamptz,
    acknowledged_by text check (acknowledged_by <> ''),
    resolved_at timestamptz,
    resolved_by text check (resolved_by <> ''),
    summary text check (summary <> ''),
    escalation_level integer not null default 0 check (escalation_level >= 0),
    last_escalated_at timestamptz,
    check ((acknowledged_at is null) = (acknowledged_by is null)),
    check ((resolved_at is null) = (resolved_by is null) and (resolved_at is null) = (summary is null)),
    check ((status = 'resolved') = (resolved_at is not null)),
    check (status <> 'acknowledged' or acknowledged_at is not null)
  )`,
  // At most one incident per session and alert key is not resolved: a repeat joins it.
  `create unique index live_incidents_active_key on live_incidents (session_id, alert_key) where status <> 'resolved'`,
  `create index live_incidents_session on live_incidents (session_id, opened_at)`,
  `create table live_incident_timeline (
    incident_id text not null references live_incidents (id),
    seq bigint generated always as identity,
    time timestamptz not null,
    kind text not null check (kind <> ''),
    detail jsonb not null check (jsonb_typeof(detail) = 'object'),
    primary key (incident_id, seq)
  )`,
  `create table live_incident_days (
    day text primary key check (day ~ '^[0-9]{8}$'),
    last_number integer not null check (last_number >= 1)
  )`,
];

/**
 * The incident migrations, to follow the live state's:
 * `[...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...INCIDENT_MIGRATIONS]`, the default list of
 * `openLiveStateStore`.
 */
export const INCIDENT_MIGRATIONS: readonly Migration[] = Object.freeze([
  Object.freeze({
    id: 'live_0003_incidents',
    version: '1',
    async up(db: Kysely<unknown>): Promise<void> {
      for (const statement of SCHEMA_STATEMENTS) await sql.raw(statement).execute(db);
    },
  }),
]);
