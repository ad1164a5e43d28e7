import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonValue } from '@quantbot/core';
import type { Migration } from '@quantbot/storage';
import { STORAGE_MIGRATIONS, openDatabase } from '@quantbot/storage';
import { describeStorageBackends } from '@quantbot/storage/testing';
import type { Kysely } from 'kysely';
import type { IncidentAlert } from './incident';
import { IncidentError, incidentPriority, raiseSeverity } from './incident';
import { IncidentDesk } from './incident-desk';
import type { IncidentReport } from './incident-report';
import { ROOT_CAUSE_FOLLOW_UP } from './incident-report';
import type { IncidentTables } from './incident-schema';
import { INCIDENT_MIGRATIONS } from './incident-schema';
import { KyselyIncidentStore } from './kysely-incident-store';
import { KyselyLiveStateStore, openLiveStateStore } from './kysely-live-state-store';
import type { LiveStateTables } from './live-state-schema';
import { LIVE_STATE_MIGRATIONS } from './live-state-schema';

const MIGRATIONS: readonly Migration[] = [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...INCIDENT_MIGRATIONS];
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Each test opens its incidents on a day of its own, so incident numbers do not depend on the order tests run in. */
const DAY0 = Date.parse('2024-06-03T13:30:00.000Z');

function alert(overrides: Partial<IncidentAlert> = {}): IncidentAlert {
  return { sessionId: 'paper-1', key: 'broker-outage', severity: 'critical', title: 'broker unreachable', time: DAY0, ...overrides };
}

/** A v1 checkpoint document of `session` whose ledger realized `realizedPnl`. */
function checkpointDocument(session: string, lastBarTime: number, realizedPnl: number): JsonValue {
  return {
    format: 'quantbot-live-checkpoint',
    version: 1,
    sessionId: session,
    strategy: { name: 'sma-crossover', params: {} },
    symbols: ['AAPL'],
    lastBarTime,
    ledger: { startingCash: 100_000, cash: 100_000 + realizedPnl, fees: 0, realizedPnl, positions: [] },
  };
}

describe('incident priorities and severities', () => {
  it('maps page→P1, critical→P2, warning→P3, info→P4 and raises one step at a time up to page', () => {
    expect((['page', 'critical', 'warning', 'info'] as const).map(incidentPriority)).toEqual(['P1', 'P2', 'P3', 'P4']);
    expect(raiseSeverity('info', 1)).toBe('warning');
    expect(raiseSeverity('warning', 1)).toBe('critical');
    expect(raiseSeverity('critical', 1)).toBe('page');
    expect(raiseSeverity('critical', 2)).toBe('page');
    expect(raiseSeverity('page', 3)).toBe('page');
  });
});

describe('the incident migrations in the live database', () => {
  it('are required by openLiveStateStore, before anything is opened', async () => {
    const opening = openLiveStateStore({ url: 'postgres://bot:hunter2@127.0.0.1:1/none', migrations: [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS] });
    await expect(opening).rejects.toThrow('migrations: must include INCIDENT_MIGRATIONS (missing live_0003_incidents)');
  });

  it('are added to a database made before them, whose live state stays readable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'qb-incident-upgrade-'));
    const dataDir = join(root, 'db');
    try {
      const before = await openDatabase<LiveStateTables>({ dataDir, env: {}, migrations: [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS] });
      try {
        await new KyselyLiveStateStore(before.db).save('old', { checkpoint: checkpointDocument('old', DAY0, 7), lastBarTime: DAY0, orders: [], fills: [], audit: [] }, DAY0);
      } finally {
        await before.close();
      }
      const live = await openLiveStateStore({ dataDir, env: {} });
      try {
        expect((await live.store.latestCheckpoint('old'))?.lastBarTime).toBe(DAY0);
        const desk = new IncidentDesk({ incidents: live.incidents, liveState: live.store, clock: () => DAY0 });
        const opened = await desk.onPage(alert({ sessionId: 'old', time: DAY0 }));
        expect(opened.action === 'opened' && opened.incident.id).toBe('INC-20240603-1');
      } finally {
        await live.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});

describeStorageBackends<LiveStateTables>('incident desk', { migrations: MIGRATIONS }, (backend) => {
  let dayCount = 0;
  /** A UTC day no other test uses, and its opening instant. */
  function newDay(): number {
    dayCount += 1;
    return DAY0 + dayCount * DAY;
  }
  function stores(): { readonly live: KyselyLiveStateStore; readonly incidents: KyselyIncidentStore } {
    const { db } = backend.database().handle;
    return { live: new KyselyLiveStateStore(db), incidents: new KyselyIncidentStore(db as unknown as Kysely<IncidentTables>) };
  }
  function desk(options: { readonly now?: number; readonly resultsDir?: string; readonly ackSlaMs?: number } = {}): IncidentDesk {
    const { live, incidents } = stores();
    return new IncidentDesk({ incidents, liveState: live, clock: () => options.now ?? DAY0, ...(options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {}), ...(options.ackSlaMs !== undefined ? { ackSlaMs: options.ackSlaMs } : {}) });
  }

  it('opens one incident per critical or page alert key, numbered per UTC day; repeats join its timeline; quiet alerts alone open nothing', async () => {
    const t = newDay();
    const day = new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
    const d = desk();
    const session = `open-${backend.kind}`;
    const first = await d.onPage(alert({ sessionId: session, time: t }));
    expect(first.action).toBe('opened');
    if (first.action === 'ignored') throw new Error('unreachable');
    expect(first.incident).toMatchObject({ id: `INC-${day}-1`, sessionId: session, priority: 'P2', severity: 'critical', status: 'open', openedAt: t, ackSlaMs: 15 * MINUTE, escalationLevel: 0, acknowledged: null, resolved: null });
    expect(first.incident.timeline).toEqual([{ time: t, kind: 'alert', detail: { key: 'broker-outage', severity: 'critical', title: 'broker unreachable', detail: {} } }]);

    const repeat = await d.onPage(alert({ sessionId: session, time: t + MINUTE, severity: 'page', detail: { attempt: 2 } }));
    expect(repeat.action).toBe('joined');
    if (repeat.action === 'ignored') throw new Error('unreachable');
    expect(repeat.incident.id).toBe(`INC-${day}-1`);
    expect(repeat.incident.timeline.map((e) => e.kind)).toEqual(['alert', 'alert-repeat']);
    expect(repeat.incident.timeline[1]?.detail).toEqual({ key: 'broker-outage', severity: 'page', title: 'broker unreachable', detail: { attempt: 2 } });

    // A warning on the same key joins too; a warning on another key opens nothing.
    expect((await d.onPage(alert({ sessionId: session, time: t + 2 * MINUTE, severity: 'warning' }))).action).toBe('joined');
    expect(await d.onPage(alert({ sessionId: session, key: 'slow-fills', severity: 'warning', time: t + 2 * MINUTE }))).toEqual({ action: 'ignored' });
    expect(await d.onPage(alert({ sessionId: session, key: 'heartbeat', severity: 'info', time: t + 2 * MINUTE }))).toEqual({ action: 'ignored' });

    const page = await d.onPage(alert({ sessionId: session, key: 'kill-switch-halted', severity: 'page', title: 'halted', time: t + 3 * MINUTE }));
    expect(page.action).toBe('opened');
    if (page.action === 'ignored') throw new Error('unreachable');
    expect(page.incident).toMatchObject({ id: `INC-${day}-2`, priority: 'P1' });
    // The same key in another session is another incident.
    const other = await d.onPage(alert({ sessionId: `${session}-b`, time: t + 4 * MINUTE }));
    expect(other.action === 'opened' && other.incident.id).toBe(`INC-${day}-3`);

    // Once resolved, the key opens a new incident.
    await d.resolve(`INC-${day}-1`, 'ops', 'broker came back', t + 10 * MINUTE);
    const again = await d.onPage(alert({ sessionId: session, time: t + 11 * MINUTE }));
    expect(again.action === 'opened' && again.incident.id).toBe(`INC-${day}-4`);
    const stored = await stores().incidents.get(`INC-${day}-1`);
    expect(stored?.timeline.map((e) => e.kind)).toEqual(['alert', 'alert-repeat', 'alert-repeat', 'resolved']);
  });

  it('opens one incident when the same alert arrives twice at once', async () => {
    const t = newDay();
    const session = `race-${backend.kind}`;
    const d = desk();
    const outcomes = await Promise.all([d.onPage(alert({ sessionId: session, time: t })), d.onPage(alert({ sessionId: session, time: t }))]);
    expect(outcomes.map((o) => o.action).sort()).toEqual(['joined', 'opened']);
    const incidents = await d.openIncidents({ sessionId: session });
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.timeline.map((e) => e.kind).sort()).toEqual(['alert', 'alert-repeat']);
  });

  it('escalates an unacknowledged incident after each SLA period, one severity higher, and stops once acknowledged', async () => {
    const t = newDay();
    const session = `sla-${backend.kind}`;
    const d = desk();
    const opened = await d.onPage(alert({ sessionId: session, time: t }));
    if (opened.action !== 'opened') throw new Error('expected an incident');
    const id = opened.incident.id;
    const mine = async (now: number): Promise<readonly { readonly level: number; readonly severity: string }[]> =>
      (await d.escalations(now)).filter((e) => e.incidentId === id).map((e) => ({ level: e.level, severity: e.severity }));

    expect(await mine(t + 15 * MINUTE - 1)).toEqual([]);
    expect(await mine(t + 15 * MINUTE)).toEqual([{ level: 1, severity: 'page' }]);
    // Escalated once per period: asking again within it yields nothing.
    expect(await mine(t + 16 * MINUTE)).toEqual([]);
    expect(await mine(t + 29 * MINUTE)).toEqual([]);
    expect(await mine(t + 30 * MINUTE)).toEqual([{ level: 2, severity: 'page' }]);
    const escalated = await stores().incidents.get(id);
    expect(escalated?.escalationLevel).toBe(2);
    expect(escalated?.escalations).toEqual([
      { level: 1, severity: 'page', at: t + 15 * MINUTE },
      { level: 2, severity: 'page', at: t + 30 * MINUTE },
    ]);
    expect(escalated?.timeline.map((e) => e.kind)).toEqual(['alert', 'escalated', 'escalated']);

    await d.acknowledge(id, 'alice', t + 31 * MINUTE);
    expect(await mine(t + 45 * MINUTE)).toEqual([]);
    expect(await mine(t + 600 * MINUTE)).toEqual([]);
    expect((await stores().incidents.get(id))?.escalationLevel).toBe(2);
  });

  it('never escalates an incident acknowledged within its SLA, and honours a configured SLA', async () => {
    const t = newDay();
    const session = `acked-${backend.kind}`;
    const d = desk({ ackSlaMs: 5 * MINUTE });
    const a = await d.onPage(alert({ sessionId: session, key: 'a', time: t }));
    const b = await d.onPage(alert({ sessionId: session, key: 'b', time: t }));
    if (a.action !== 'opened' || b.action !== 'opened') throw new Error('expected incidents');
    expect(a.incident.ackSlaMs).toBe(5 * MINUTE);
    await d.acknowledge(a.incident.id, 'bob', t + 4 * MINUTE);
    const due = (await d.escalations(t + 5 * MINUTE)).filter((e) => e.sessionId === session);
    expect(due.map((e) => [e.incidentId, e.level, e.severity])).toEqual([[b.incident.id, 1, 'page']]);
    expect(due[0]).toMatchObject({ priority: 'P2', alertKey: 'b', openForMs: 5 * MINUTE, at: t + 5 * MINUTE });
    // A long silence is one escalation to the level due, not one per missed period.
    expect((await d.escalations(t + 23 * MINUTE)).filter((e) => e.sessionId === session).map((e) => e.level)).toEqual([4]);
  });

  it('takes an SLA per priority, the default for the priorities left out', async () => {
    const t = newDay();
    const session = `sla-by-priority-${backend.kind}`;
    const { live, incidents } = stores();
    const d = new IncidentDesk({ incidents, liveState: live, clock: () => t, ackSlaMs: { P1: 5 * MINUTE } });
    const p1 = await d.onPage(alert({ sessionId: session, key: 'p1', severity: 'page', time: t }));
    const p2 = await d.onPage(alert({ sessionId: session, key: 'p2', severity: 'critical', time: t }));
    if (p1.action !== 'opened' || p2.action !== 'opened') throw new Error('expected incidents');
    expect([p1.incident.ackSlaMs, p2.incident.ackSlaMs]).toEqual([5 * MINUTE, 15 * MINUTE]);
    expect((await d.escalations(t + 5 * MINUTE)).filter((e) => e.sessionId === session).map((e) => [e.alertKey, e.level, e.severity])).toEqual([['p1', 1, 'page']]);
    expect(() => new IncidentDesk({ incidents, liveState: live, clock: () => t, ackSlaMs: { P2: 0 } })).toThrow('incident: ackSlaMs.P2: 0 is not a positive whole number of milliseconds');
  });

  it('refuses unknown ids, a second acknowledgement and anything on a resolved incident, naming the incident', async () => {
    const t = newDay();
    const session = `errors-${backend.kind}`;
    const d = desk();
    const opened = await d.onPage(alert({ sessionId: session, time: t }));
    if (opened.action !== 'opened') throw new Error('expected an incident');
    const id = opened.incident.id;

    const unknown = 'INC-20000101-99';
    await expect(d.acknowledge(unknown, 'alice', t)).rejects.toMatchObject({ code: 'INCIDENT_NOT_FOUND', incidentId: unknown, message: `incident ${unknown}: no such incident` });
    await expect(d.resolve(unknown, 'alice', 'x', t)).rejects.toMatchObject({ code: 'INCIDENT_NOT_FOUND', incidentId: unknown });
    await expect(d.acknowledge('bogus', 'alice', t)).rejects.toThrow('"bogus" is not an incident id');
    await expect(d.acknowledge(id, ' ', t)).rejects.toMatchObject({ code: 'INCIDENT_INVALID', message: `incident ${id}: by: must be non-empty text` });

    const acked = await d.acknowledge(id, 'alice', t + MINUTE);
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledged: { at: t + MINUTE, by: 'alice' } });
    await expect(d.acknowledge(id, 'bob', t + 2 * MINUTE)).rejects.toMatchObject({ code: 'INCIDENT_ACKNOWLEDGED', incidentId: id });
    await expect(d.acknowledge(id, 'bob', t + 2 * MINUTE)).rejects.toThrow(`incident ${id}: is already acknowledged by alice`);

    await expect(d.resolve(id, 'alice', '', t + 3 * MINUTE)).rejects.toMatchObject({ code: 'INCIDENT_INVALID' });
    await d.resolve(id, 'alice', 'fixed', t + 3 * MINUTE);
    await expect(d.acknowledge(id, 'bob', t + 4 * MINUTE)).rejects.toMatchObject({ code: 'INCIDENT_RESOLVED', incidentId: id });
    await expect(d.resolve(id, 'bob', 'again', t + 4 * MINUTE)).rejects.toMatchObject({ code: 'INCIDENT_RESOLVED', incidentId: id });
    await expect(d.resolve(id, 'bob', 'again', t + 4 * MINUTE)).rejects.toBeInstanceOf(IncidentError);
  });

  it('lists unresolved P1/P2 incidents for the promotion gate', async () => {
    const t = newDay();
    const session = `gate-${backend.kind}`;
    const d = desk();
    const p1 = await d.onPage(alert({ sessionId: session, key: 'p1', severity: 'page', time: t }));
    const p2 = await d.onPage(alert({ sessionId: session, key: 'p2', severity: 'critical', time: t + 1 }));
    const done = await d.onPage(alert({ sessionId: session, key: 'done', severity: 'page', time: t + 2 }));
    if (p1.action !== 'opened' || p2.action !== 'opened' || done.action !== 'opened') throw new Error('expected incidents');
    await d.acknowledge(p2.incident.id, 'carol', t + 3);
    await d.resolve(done.incident.id, 'carol', 'fixed', t + 4);
    expect((await d.openIncidents({ sessionId: session, priorities: ['P1', 'P2'] })).map((i) => [i.id, i.status])).toEqual([
      [p1.incident.id, 'open'],
      [p2.incident.id, 'acknowledged'],
    ]);
    expect(await d.openIncidents({ sessionId: session, priorities: ['P3', 'P4'] })).toEqual([]);
    expect((await d.openIncidents({ sessionId: session, priorities: ['P1'] })).map((i) => i.id)).toEqual([p1.incident.id]);
  });

  it('resolves with the session audit in the timeline and writes the post-incident report and ticket', async () => {
    const t = newDay();
    const session = `report-${backend.kind}`;
    const { live } = stores();
    const resultsDir = mkdtempSync(join(tmpdir(), 'qb-incident-report-'));
    try {
      // Before the incident: realized 100, one order.
      await live.save(
        session,
        {
          checkpoint: checkpointDocument(session, t - MINUTE, 100),
          lastBarTime: t - MINUTE,
          orders: [{ clientOrderId: 'before', symbol: 'AAPL', side: 'buy', type: 'market', qty: 1, filledQty: 1, status: 'filled', decidedAt: t - MINUTE, updatedAt: t - MINUTE, reason: null, decisionPrice: 9, limitPrice: null, stopPrice: null, timeInForce: 'gtc' }],
          fills: [{ fillKey: 'before:1', clientOrderId: 'before', symbol: 'AAPL', side: 'buy', qty: 1, price: 10, commission: 0, time: t - MINUTE, recovered: false }],
          audit: [{ time: t - MINUTE, kind: 'bar', detail: { n: 0 } }],
        },
        t - MINUTE,
      );
      const d = desk({ resultsDir });
      const opened = await d.onPage(alert({ sessionId: session, key: 'drawdown', severity: 'page', title: 'drawdown halt', time: t }));
      if (opened.action !== 'opened') throw new Error('expected an incident');
      const id = opened.incident.id;
      // During it: three orders (filled, rejected, working), two fills, a halt and a re-arm; realized 100 → 62.5.
      await live.save(
        session,
        {
          checkpoint: checkpointDocument(session, t + 5 * MINUTE, 62.5),
          lastBarTime: t + 5 * MINUTE,
          orders: [
            { clientOrderId: 'o1', symbol: 'AAPL', side: 'sell', type: 'market', qty: 1, filledQty: 1, status: 'filled', decidedAt: t + MINUTE, updatedAt: t + 2 * MINUTE, reason: null, decisionPrice: 9, limitPrice: null, stopPrice: null, timeInForce: 'gtc' },
            { clientOrderId: 'o2', symbol: 'AAPL', side: 'buy', type: 'market', qty: 5, filledQty: 0, status: 'rejected', decidedAt: t + 2 * MINUTE, updatedAt: t + 2 * MINUTE, reason: 'insufficient buying power', decisionPrice: 9, limitPrice: null, stopPrice: null, timeInForce: 'gtc' },
            { clientOrderId: 'o3', symbol: 'AAPL', side: 'buy', type: 'limit', qty: 2, filledQty: 1, status: 'partially_filled', decidedAt: t + 3 * MINUTE, updatedAt: t + 4 * MINUTE, reason: null, decisionPrice: 9, limitPrice: 9, stopPrice: null, timeInForce: 'gtc' },
          ],
          fills: [
            { fillKey: 'o1:1', clientOrderId: 'o1', symbol: 'AAPL', side: 'sell', qty: 1, price: 9, commission: 0, time: t + 2 * MINUTE, recovered: false },
            { fillKey: 'o3:1', clientOrderId: 'o3', symbol: 'AAPL', side: 'buy', qty: 1, price: 9, commission: 0, time: t + 4 * MINUTE, recovered: false },
          ],
          audit: [
            { time: t + 2 * MINUTE, kind: 'state-transition', detail: { from: 'active', to: 'halted', reason: 'drawdown 5.2% >= 5%' } },
            { time: t + 4 * MINUTE, kind: 're-arm', detail: { from: 'halted', to: 'active', reason: 'operator re-arm', by: 'alice' } },
          ],
        },
        t + 5 * MINUTE,
      );
      await d.acknowledge(id, 'alice', t + 3 * MINUTE);
      // After the resolve: not in the report.
      await live.save(session, { checkpoint: checkpointDocument(session, t + 30 * MINUTE, 0), lastBarTime: t + 30 * MINUTE, orders: [], fills: [], audit: [{ time: t + 30 * MINUTE, kind: 'state-transition', detail: { from: 'active', to: 'halted', reason: 'later' } }] }, t + 30 * MINUTE);

      const { incident, report, files } = await d.resolve(id, 'alice', 'drawdown limit hit on a bad fill; re-armed after review', t + 10 * MINUTE);
      expect(incident.status).toBe('resolved');
      expect(incident.timeline.map((e) => [e.time - t, e.kind])).toEqual([
        [0, 'alert'],
        [2 * MINUTE, 'audit'],
        [3 * MINUTE, 'acknowledged'],
        [4 * MINUTE, 'audit'],
        [10 * MINUTE, 'resolved'],
      ]);
      expect(incident.timeline[1]?.detail).toEqual({ kind: 'state-transition', detail: { from: 'active', to: 'halted', reason: 'drawdown 5.2% >= 5%' } });
      expect(report.impact).toMatchObject({ ordersSent: 3, ordersFilled: 1, ordersRejected: 1, fills: 2, realizedPnlAtOpen: 100, realizedPnlAtResolve: 62.5, realizedPnlChange: -37.5 });
      expect(report.halted).toEqual([
        { time: t + 2 * MINUTE, kind: 'state-transition', from: 'active', to: 'halted', reason: 'drawdown 5.2% >= 5%' },
        { time: t + 4 * MINUTE, kind: 're-arm', from: 'halted', to: 'active', reason: 'operator re-arm' },
      ]);
      expect(report.followUps.map((f) => f.alertKey)).toEqual(['drawdown', null]);
      expect(report.followUps[1]?.title).toBe(ROOT_CAUSE_FOLLOW_UP);
      expect(report).toMatchObject({ id, priority: 'P1', timeToAcknowledgeMs: 3 * MINUTE, timeToResolveMs: 10 * MINUTE, resolved: { by: 'alice', at: t + 10 * MINUTE } });

      expect(files?.dir).toBe(join(resultsDir, 'incidents', id));
      expect(readdirSync(join(resultsDir, 'incidents', id)).sort()).toEqual(['report.json', 'report.md', 'ticket.md']);
      const json = JSON.parse(readFileSync(join(resultsDir, 'incidents', id, 'report.json'), 'utf8')) as IncidentReport;
      expect(json).toEqual(JSON.parse(JSON.stringify(report)));
      const markdown = readFileSync(join(resultsDir, 'incidents', id, 'report.md'), 'utf8');
      expect(markdown).toContain(`# ${id}: drawdown halt`);
      expect(markdown).toContain('| orders sent | 3 |');
      expect(markdown).toContain('| realized P&L change | -37.50 |');
      expect(markdown).toContain('state-transition: active → halted (drawdown 5.2% >= 5%)');
      expect(markdown).not.toContain('later');
      const ticket = readFileSync(join(resultsDir, 'incidents', id, 'ticket.md'), 'utf8');
      expect(ticket).toContain(`# [P1] ${id}: drawdown halt`);
      expect(ticket).toContain('drawdown limit hit on a bad fill; re-armed after review');
      expect(ticket).toContain(`- [ ] Stop 'drawdown' from recurring`);
      expect(ticket).toContain(`- [ ] ${ROOT_CAUSE_FOLLOW_UP}`);

      // The report can be written again from the store alone, identically.
      rmSync(join(resultsDir, 'incidents'), { recursive: true });
      const again = await d.report(id);
      expect(again.report).toEqual(report);
      expect(existsSync(join(resultsDir, 'incidents', id, 'ticket.md'))).toBe(true);
    } finally {
      rmSync(resultsDir, { recursive: true, force: true });
    }
  });
});
