import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonValue } from '@quantbot/core';
import { IncidentDesk, openLiveStateStore } from '@quantbot/live';
import type { Incident, IncidentReport, LiveStateStoreHandle } from '@quantbot/live';
import type { CliIo } from '@quantbot/cli';
import { dropTestSchema, storageBackends } from '@quantbot/storage/testing';
import { main } from './main';

const MINUTE = 60_000;
const OPENED = Date.parse('2024-06-03T14:00:00.000Z');
const NOW = OPENED + 20 * MINUTE;

/** The backends this run has: embedded always, the server when TEST_DATABASE_URL is set. */
const BACKENDS = storageBackends().filter((backend) => backend.kind === 'embedded' || backend.url !== undefined);

function checkpointDocument(session: string, lastBarTime: number, realizedPnl: number): JsonValue {
  return {
    format: 'quantbot-live-checkpoint',
    version: 1,
    sessionId: session,
    strategy: { name: 'sma-crossover', params: {} },
    symbols: ['AAA'],
    lastBarTime,
    ledger: { startingCash: 10_000, cash: 10_000 + realizedPnl, fees: 0, realizedPnl, positions: [] },
  };
}

describe.each(BACKENDS)('live-trader incident on $title', (backend) => {
  let cwd: string;
  let schema: string;
  let counter = 0;
  let env: Record<string, string | undefined>;
  let state: string[];

  beforeEach(() => {
    counter++;
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-incident-'));
    schema = `live_incident_${process.pid}_${counter}`;
    env = backend.url === undefined ? {} : { DATABASE_URL: backend.url };
    state = backend.url === undefined ? ['--state-dir', join(cwd, 'state')] : ['--state-schema', schema];
  });
  afterEach(async () => {
    if (backend.url !== undefined) await dropTestSchema(backend.url, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  /** Opens the database as `live-trader run` does, for `body`, and closes it. */
  async function withState<T>(body: (opened: LiveStateStoreHandle) => Promise<T>): Promise<T> {
    const opened = await openLiveStateStore(backend.url === undefined ? { env: {}, cwd, dataDir: join(cwd, 'state') } : { env, cwd, schema });
    try {
      return await body(opened);
    } finally {
      await opened.close();
    }
  }

  /** Runs `live-trader incident ...` in-process at NOW: the exit code and what it printed. */
  async function incident(...args: string[]): Promise<{ readonly code: number; readonly out: string; readonly err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (text) => out.push(text), err: (text) => err.push(text), cwd };
    const code = await main(['incident', ...args, ...state], io, env, new Date(NOW), { wallClock: () => NOW });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  /** A session that traded through a broker outage: one P2 incident (paged twice) and one P1, with orders, fills, a halt and checkpoints. */
  async function seed(): Promise<{ readonly p2: Incident; readonly p1: Incident }> {
    return withState(async ({ store, incidents }) => {
      await store.save('paper-1', { checkpoint: checkpointDocument('paper-1', OPENED - MINUTE, 40), lastBarTime: OPENED - MINUTE, orders: [], fills: [], audit: [] }, OPENED - MINUTE);
      const desk = new IncidentDesk({ incidents, liveState: store, clock: () => OPENED });
      const p2 = await desk.onPage({ sessionId: 'paper-1', key: 'broker-outage', severity: 'critical', title: 'broker unreachable', time: OPENED, detail: { channel: 'rest' } });
      await desk.onPage({ sessionId: 'paper-1', key: 'broker-outage', severity: 'critical', title: 'broker unreachable', time: OPENED + MINUTE });
      const p1 = await desk.onPage({ sessionId: 'paper-2', key: 'kill-switch-halted', severity: 'page', title: 'kill switch halted', time: OPENED + 2 * MINUTE });
      await store.save(
        'paper-1',
        {
          checkpoint: checkpointDocument('paper-1', OPENED + 5 * MINUTE, 15),
          lastBarTime: OPENED + 5 * MINUTE,
          orders: [
            { clientOrderId: 'a', symbol: 'AAA', side: 'sell', type: 'market', qty: 3, filledQty: 3, status: 'filled', decidedAt: OPENED + 3 * MINUTE, updatedAt: OPENED + 4 * MINUTE, reason: null, decisionPrice: 50, limitPrice: null, stopPrice: null, timeInForce: 'gtc' },
            { clientOrderId: 'b', symbol: 'AAA', side: 'buy', type: 'market', qty: 9, filledQty: 0, status: 'rejected', decidedAt: OPENED + 4 * MINUTE, updatedAt: OPENED + 4 * MINUTE, reason: 'insufficient buying power', decisionPrice: 50, limitPrice: null, stopPrice: null, timeInForce: 'gtc' },
          ],
          fills: [{ fillKey: 'a:1', clientOrderId: 'a', symbol: 'AAA', side: 'sell', qty: 3, price: 50, commission: 0, time: OPENED + 4 * MINUTE, recovered: false }],
          audit: [{ time: OPENED + 4 * MINUTE, kind: 'state-transition', detail: { from: 'active', to: 'halted', reason: 'broker outage' } }],
        },
        OPENED + 5 * MINUTE,
      );
      if (p2.action !== 'opened' || p1.action !== 'opened') throw new Error('expected two incidents');
      return { p2: p2.incident, p1: p1.incident };
    });
  }

  it('lists, shows, acknowledges and resolves; resolve writes the report and the ticket', async () => {
    const { p2, p1 } = await seed();
    expect([p2.id, p1.id]).toEqual(['INC-20240603-1', 'INC-20240603-2']);

    const listed = await incident('list');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/INC-20240603-1\s+P2\s+open \(ack overdue\)\s+paper-1/);
    expect(listed.out).toMatch(/INC-20240603-2\s+P1\s+open \(ack overdue\)\s+paper-2\s+\S+\s+0\s+kill switch halted/);
    const onlyOne = await incident('list', '--session', 'paper-2', '--json');
    expect(onlyOne.code).toBe(0);
    expect((JSON.parse(onlyOne.out) as Incident[]).map((i) => i.id)).toEqual(['INC-20240603-2']);

    const shown = await incident('show', '--id', p2.id);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('INC-20240603-1 P2 open (ack overdue): broker unreachable');
    expect(shown.out).toContain('2024-06-03T14:00:00.000Z alert critical `broker-outage`: broker unreachable {"channel":"rest"}');
    expect(shown.out).toMatch(/^ {2}2024-06-03T14:01:00\.000Z alert-repeat critical `broker-outage`: broker unreachable$/m);

    const acked = await incident('ack', '--id', p2.id, '--by', 'alice');
    expect(acked).toMatchObject({ code: 0, out: 'acknowledged INC-20240603-1 (P2, broker unreachable) as alice: its escalations stop' });
    expect(readFileSync(join(cwd, 'results', 'logs', 'live-trader.log'), 'utf8')).toMatch(/"message":"incident ack".*"fields":\{"id":"INC-20240603-1","by":"alice"\}/);
    const again = await incident('ack', '--id', p2.id, '--by', 'bob');
    expect(again.code).toBe(1);
    expect(again.err).toContain('incident INC-20240603-1: is already acknowledged by alice');

    const resolved = await incident('resolve', '--id', p2.id, '--by', 'alice', '--summary', 'REST timed out for 4 minutes; the venue recovered on its own');
    expect(resolved.err).toBe('');
    expect(resolved.code).toBe(0);
    expect(resolved.out).toContain('resolved INC-20240603-1 (P2, broker unreachable) as alice');
    expect((await incident('list')).out).not.toContain(p2.id);
    expect(readFileSync(join(cwd, 'results', 'logs', 'live-trader.log'), 'utf8')).toMatch(/"message":"incident resolve".*"fields":\{"id":"INC-20240603-1","by":"alice","summary":"REST timed out/);
    expect(resolved.out).toContain('impact: 2 order(s) sent, 1 filled, 1 rejected, 1 fill(s); realized P&L -25.00; 1 kill-switch move(s)');
    const dir = join(cwd, 'results', 'incidents', p2.id);
    expect(resolved.out).toContain(`ticket: ${join(dir, 'ticket.md')}`);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as IncidentReport;
    expect(report.timeline.map((e) => [new Date(e.time).toISOString(), e.kind])).toEqual([
      ['2024-06-03T14:00:00.000Z', 'alert'],
      ['2024-06-03T14:01:00.000Z', 'alert-repeat'],
      ['2024-06-03T14:04:00.000Z', 'audit'],
      ['2024-06-03T14:20:00.000Z', 'acknowledged'],
      ['2024-06-03T14:20:00.000Z', 'resolved'],
    ]);
    expect(report.impact).toMatchObject({ ordersSent: 2, ordersFilled: 1, ordersRejected: 1, fills: 1, realizedPnlAtOpen: 40, realizedPnlAtResolve: 15, realizedPnlChange: -25 });
    expect(report.halted).toEqual([{ time: OPENED + 4 * MINUTE, kind: 'state-transition', from: 'active', to: 'halted', reason: 'broker outage' }]);
    const markdown = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(markdown).toContain('## Timeline');
    expect(markdown).toContain('| orders rejected | 1 |');
    expect(markdown).toContain('REST timed out for 4 minutes');
    const ticket = readFileSync(join(dir, 'ticket.md'), 'utf8');
    expect(ticket).toContain('# [P2] INC-20240603-1: broker unreachable');
    expect(ticket).toContain("- [ ] Stop 'broker-outage' from recurring");
    expect(ticket).toContain('- [ ] Find and fix the root cause');

    // Resolved: listed with --all only, and closed to acknowledgements.
    const all = await incident('list', '--all');
    expect(all.out).toMatch(/INC-20240603-1\s+P2\s+resolved/);
    expect(all.out).toMatch(/INC-20240603-2\s+P1\s+open/);
    const late = await incident('ack', '--id', p2.id, '--by', 'bob');
    expect(late.code).toBe(1);
    expect(late.err).toContain('incident INC-20240603-1: is resolved');

    // The report can be written again into another folder.
    const rewritten = await incident('report', '--id', p2.id, '--results-dir', 'elsewhere');
    expect(rewritten.code).toBe(0);
    expect(existsSync(join(cwd, 'elsewhere', 'incidents', p2.id, 'report.json'))).toBe(true);
  }, 240_000);

  it('names the unknown incident (exit 1) and the bad flag (exit 2)', async () => {
    const unknown = await incident('show', '--id', 'INC-20990101-7');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('incident INC-20990101-7: no such incident');
    const unknownAck = await incident('ack', '--id', 'INC-20990101-7', '--by', 'alice');
    expect(unknownAck.code).toBe(1);
    expect(unknownAck.err).toContain('incident INC-20990101-7: no such incident');

    const cases: readonly (readonly [readonly string[], string])[] = [
      [['ack', '--id', 'INC-20240603-1'], '--by: required'],
      [['resolve', '--id', 'INC-20240603-1', '--by', 'alice'], '--summary: required'],
      [['show'], '--id: required'],
      [['show', '--id', 'nope'], "--id: 'nope' is not an incident id"],
      [['list', '--bogus'], '--bogus: unknown flag'],
      [['ack', '--id', 'INC-20240603-1', '--by', 'alice', '--summary', 'x'], "--summary: is not a flag of 'incident ack'"],
      [['list', '--json', '--json'], '--json: given more than once'],
      [['close'], "incident: unknown action 'close'"],
    ];
    for (const [args, message] of cases) {
      const result = await incident(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.err).toContain(message);
    }
  }, 240_000);
});
