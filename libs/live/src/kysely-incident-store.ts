import { redactDatabaseUrl, withTransaction } from '@quantbot/storage';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  AlertSeverity,
  Incident,
  IncidentAlert,
  IncidentAlertOutcome,
  IncidentFilter,
  IncidentPriority,
  IncidentStatus,
  IncidentStore,
  IncidentTimelineEntry,
} from './incident';
import { ALERT_SEVERITIES, IncidentError, checkIncidentAlert, checkIncidentId, checkIncidentText, checkIncidentTime, incidentDay, incidentPriority } from './incident';
import type { IncidentTables, LiveIncidentsTable } from './incident-schema';

type Row = Selectable<LiveIncidentsTable>;

/** Postgres's `unique_violation`: two writers opened an incident on one key at once. */
const UNIQUE_VIOLATION = '23505';

/**
 * The {@link IncidentStore} in the live trader's database (tables of `INCIDENT_MIGRATIONS`, on
 * embedded PGlite or a Postgres server). Every change and its timeline entries are written in one
 * transaction; the incident row is locked while it changes, so two operators acknowledging at
 * once get one acknowledgement and one `INCIDENT_ACKNOWLEDGED`.
 */
export class KyselyIncidentStore implements IncidentStore {
  readonly #db: Kysely<IncidentTables>;

  constructor(db: Kysely<IncidentTables>) {
    this.#db = db;
  }

  async recordAlert(alert: IncidentAlert, options: { readonly open: boolean; readonly ackSlaMs: number }): Promise<IncidentAlertOutcome> {
    checkIncidentAlert(alert);
    if (!Number.isSafeInteger(options.ackSlaMs) || options.ackSlaMs <= 0) {
      throw new IncidentError('INCIDENT_INVALID', undefined, `ackSlaMs: ${String(options.ackSlaMs)} is not a positive whole number of milliseconds`);
    }
    const entryDetail = { key: alert.key, severity: alert.severity, title: alert.title, detail: alert.detail ?? {} };
    // A second attempt covers the one race the transaction cannot: another writer opening the same key.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(undefined, () =>
          withTransaction(this.#db, async (trx): Promise<IncidentAlertOutcome> => {
            const active = await trx
              .selectFrom('live_incidents')
              .select('id')
              .where('session_id', '=', alert.sessionId)
              .where('alert_key', '=', alert.key)
              .where('status', '<>', 'resolved')
              .forUpdate()
              .executeTakeFirst();
            if (active !== undefined) {
              await appendTimeline(trx, active.id, [{ time: alert.time, kind: 'alert-repeat', detail: entryDetail }]);
              return { action: 'joined', incident: await readIncident(trx, active.id) };
            }
            if (!options.open) return { action: 'ignored' };
            const day = incidentDay(alert.time);
            const { last_number: number } = await trx
              .insertInto('live_incident_days')
              .values({ day, last_number: 1 })
              .onConflict((conflict) => conflict.column('day').doUpdateSet((eb) => ({ last_number: eb('live_incident_days.last_number', '+', 1) })))
              .returning('last_number')
              .executeTakeFirstOrThrow();
            const id = `INC-${day}-${number}`;
            await trx
              .insertInto('live_incidents')
              .values({
                id,
                session_id: alert.sessionId,
                priority: incidentPriority(alert.severity),
                severity: alert.severity,
                title: alert.title,
                alert_key: alert.key,
                status: 'open',
                opened_at: isoTime(alert.time),
                ack_sla_ms: String(options.ackSlaMs),
                acknowledged_at: null,
                acknowledged_by: null,
                resolved_at: null,
                resolved_by: null,
                summary: null,
                escalation_level: 0,
                last_escalated_at: null,
              })
              .execute();
            await appendTimeline(trx, id, [{ time: alert.time, kind: 'alert', detail: entryDetail }]);
            return { action: 'opened', incident: await readIncident(trx, id) };
          }),
        );
      } catch (error) {
        if (attempt < 2 && error instanceof IncidentError && sqlState(error.cause) === UNIQUE_VIOLATION) continue;
        throw error;
      }
    }
  }

  async get(id: string): Promise<Incident | undefined> {
    checkIncidentId(id);
    return this.#attempt(id, async () => {
      const found = await this.#db.selectFrom('live_incidents').select('id').where('id', '=', id).executeTakeFirst();
      return found === undefined ? undefined : readIncident(this.#db, id);
    });
  }

  async list(filter: IncidentFilter = {}): Promise<readonly Incident[]> {
    if (filter.sessionId !== undefined) checkIncidentText(undefined, 'sessionId', filter.sessionId);
    return this.#attempt(undefined, async () => {
      let query = this.#db.selectFrom('live_incidents').selectAll();
      if (filter.sessionId !== undefined) query = query.where('session_id', '=', filter.sessionId);
      if (filter.statuses !== undefined) {
        if (filter.statuses.length === 0) return Object.freeze([]);
        query = query.where('status', 'in', [...filter.statuses]);
      }
      if (filter.priorities !== undefined) {
        if (filter.priorities.length === 0) return Object.freeze([]);
        query = query.where('priority', 'in', [...filter.priorities]);
      }
      const rows = await query.orderBy('opened_at').orderBy('id').execute();
      const timelines = await readTimelines(
        this.#db,
        rows.map((row) => row.id),
      );
      return Object.freeze(rows.map((row) => toIncident(row, timelines.get(row.id) ?? [])));
    });
  }

  async acknowledge(id: string, by: string, at: number): Promise<Incident> {
    checkIncidentId(id);
    checkIncidentText(id, 'by', by);
    checkIncidentTime(id, 'at', at);
    return this.#attempt(id, () =>
      withTransaction(this.#db, async (trx) => {
        const row = await lockIncident(trx, id);
        if (row.status === 'resolved') throw new IncidentError('INCIDENT_RESOLVED', id, `is resolved (by ${row.resolved_by ?? '?'}): it cannot be acknowledged`);
        if (row.status === 'acknowledged') {
          throw new IncidentError('INCIDENT_ACKNOWLEDGED', id, `is already acknowledged by ${row.acknowledged_by ?? '?'} at ${row.acknowledged_at?.toISOString() ?? '?'}`);
        }
        await trx.updateTable('live_incidents').set({ status: 'acknowledged', acknowledged_at: isoTime(at), acknowledged_by: by }).where('id', '=', id).execute();
        await appendTimeline(trx, id, [{ time: at, kind: 'acknowledged', detail: { by, afterMs: at - row.opened_at.getTime() } }]);
        return readIncident(trx, id);
      }),
    );
  }

  async escalate(id: string, level: number, severity: AlertSeverity, at: number): Promise<Incident | undefined> {
    checkIncidentId(id);
    checkIncidentTime(id, 'at', at);
    if (!Number.isSafeInteger(level) || level < 1) throw new IncidentError('INCIDENT_INVALID', id, `level: ${String(level)} is not a whole number from 1`);
    if (!ALERT_SEVERITIES.includes(severity)) throw new IncidentError('INCIDENT_INVALID', id, `severity: ${JSON.stringify(String(severity))} is not a severity`);
    return this.#attempt(id, () =>
      withTransaction(this.#db, async (trx) => {
        const raised = await trx
          .updateTable('live_incidents')
          .set({ escalation_level: level, last_escalated_at: isoTime(at) })
          .where('id', '=', id)
          .where('status', '=', 'open')
          .where('escalation_level', '<', level)
          .returning('id')
          .executeTakeFirst();
        if (raised === undefined) return undefined;
        await appendTimeline(trx, id, [{ time: at, kind: 'escalated', detail: { level, severity } }]);
        return readIncident(trx, id);
      }),
    );
  }

  async resolve(id: string, resolution: { readonly by: string; readonly summary: string; readonly at: number }, entries: readonly IncidentTimelineEntry[]): Promise<Incident> {
    checkIncidentId(id);
    checkIncidentText(id, 'by', resolution.by);
    checkIncidentText(id, 'summary', resolution.summary);
    checkIncidentTime(id, 'at', resolution.at);
    entries.forEach((entry, i) => {
      checkIncidentTime(id, `entries[${i}].time`, entry.time);
      checkIncidentText(id, `entries[${i}].kind`, entry.kind);
    });
    const { by, summary, at } = resolution;
    return this.#attempt(id, () =>
      withTransaction(this.#db, async (trx) => {
        const row = await lockIncident(trx, id);
        if (row.status === 'resolved') {
          throw new IncidentError('INCIDENT_RESOLVED', id, `is already resolved (by ${row.resolved_by ?? '?'} at ${row.resolved_at?.toISOString() ?? '?'})`);
        }
        await trx.updateTable('live_incidents').set({ status: 'resolved', resolved_at: isoTime(at), resolved_by: by, summary }).where('id', '=', id).execute();
        await appendTimeline(trx, id, [...entries, { time: at, kind: 'resolved', detail: { by, summary, afterMs: at - row.opened_at.getTime() } }]);
        return readIncident(trx, id);
      }),
    );
  }

  /** Runs a database call, turning what it throws into an `INCIDENT_FAILED` naming the incident. */
  async #attempt<T>(id: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof IncidentError) throw error;
      const { text, redacted } = describeFailure(error);
      throw new IncidentError('INCIDENT_FAILED', id, `the database failed: ${text}`, redacted ? undefined : { cause: error });
    }
  }
}

type Db = Kysely<IncidentTables> | Transaction<IncidentTables>;

async function lockIncident(trx: Transaction<IncidentTables>, id: string): Promise<Row> {
  const row = await trx.selectFrom('live_incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (row === undefined) throw new IncidentError('INCIDENT_NOT_FOUND', id, 'no such incident');
  return row;
}

async function appendTimeline(trx: Transaction<IncidentTables>, id: string, entries: readonly IncidentTimelineEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('live_incident_timeline')
    .values(entries.map((entry) => ({ incident_id: id, time: isoTime(entry.time), kind: entry.kind, detail: JSON.stringify(entry.detail) })))
    .execute();
}

async function readIncident(db: Db, id: string): Promise<Incident> {
  const row = await db.selectFrom('live_incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const timelines = await readTimelines(db, [id]);
  return toIncident(row, timelines.get(id) ?? []);
}

async function readTimelines(db: Db, ids: readonly string[]): Promise<Map<string, IncidentTimelineEntry[]>> {
  const byId = new Map<string, IncidentTimelineEntry[]>();
  if (ids.length === 0) return byId;
  const rows = await db
    .selectFrom('live_incident_timeline')
    .select(['incident_id', 'time', 'kind', 'detail'])
    .where('incident_id', 'in', [...ids])
    .orderBy('incident_id')
    .orderBy('time')
    .orderBy('seq')
    .execute();
  for (const row of rows) {
    const list = byId.get(row.incident_id) ?? [];
    list.push(Object.freeze({ time: row.time.getTime(), kind: row.kind, detail: row.detail as IncidentTimelineEntry['detail'] }));
    byId.set(row.incident_id, list);
  }
  return byId;
}

function toIncident(row: Row, timeline: readonly IncidentTimelineEntry[]): Incident {
  const escalations = timeline
    .filter((entry) => entry.kind === 'escalated')
    .map((entry) => Object.freeze({ level: Number(entry.detail['level']), severity: entry.detail['severity'] as AlertSeverity, at: entry.time }));
  return Object.freeze({
    id: row.id,
    sessionId: row.session_id,
    priority: row.priority as IncidentPriority,
    severity: row.severity as AlertSeverity,
    title: row.title,
    alertKey: row.alert_key,
    status: row.status as IncidentStatus,
    openedAt: row.opened_at.getTime(),
    ackSlaMs: Number(row.ack_sla_ms),
    acknowledged: row.acknowledged_at === null || row.acknowledged_by === null ? null : Object.freeze({ at: row.acknowledged_at.getTime(), by: row.acknowledged_by }),
    resolved:
      row.resolved_at === null || row.resolved_by === null || row.summary === null
        ? null
        : Object.freeze({ at: row.resolved_at.getTime(), by: row.resolved_by, summary: row.summary }),
    escalationLevel: row.escalation_level,
    escalations: Object.freeze(escalations),
    timeline: Object.freeze([...timeline]),
  });
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

const DATABASE_URL_IN_TEXT = /\bpostgres(?:ql)?:\/\/[^\s'"]+/gi;

/** One line saying why a database call failed, any Postgres URL in it redacted. */
function describeFailure(error: unknown): { readonly text: string; readonly redacted: boolean } {
  const { message } = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown };
  const raw = typeof message === 'string' && message.trim() !== '' ? message.trim() : String(error);
  const code = sqlState(error);
  const withCode = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? `${raw} (SQLSTATE ${code})` : raw;
  let redacted = false;
  const text = withCode.replace(DATABASE_URL_IN_TEXT, (url) => {
    const safe = redactDatabaseUrl(url);
    if (safe !== url) redacted = true;
    return safe;
  });
  return { text, redacted };
}
