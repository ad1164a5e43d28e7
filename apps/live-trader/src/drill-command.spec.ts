import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Drill, DrillObservation } from '@quantbot/chaos';
import { INVARIANTS } from '@quantbot/chaos';
import type { CliIo } from '@quantbot/cli';
import { createLogger } from '@quantbot/observability';
import { drillCommand } from './drill-command';
import type { DrillReport } from './drill-command';
import { main } from './main';

/** The command's flags, table, report and exit codes, over drills that need no broker. */
const seen = (duplicate: boolean): DrillObservation => ({
  sessionId: 's',
  brokerOrders: [
    { clientOrderId: 's-AAA-1-0', symbol: 'AAA', side: 'buy', qty: 10, filledQty: 10, status: 'filled' },
    ...(duplicate ? [{ clientOrderId: 's-AAA-1-0', symbol: 'AAA', side: 'buy' as const, qty: 10, filledQty: 0, status: 'new' }] : []),
  ],
  journaledFills: [{ fillKey: 'f1', clientOrderId: 's-AAA-1-0', qty: 10 }],
  ledger: { cash: 99_000, positions: [{ symbol: 'AAA', qty: 10 }] },
  broker: { cash: 99_000, positions: [{ symbol: 'AAA', qty: 10 }] },
  killSwitch: { state: 'active', reason: null },
  outcome: 'stopped',
  outcomeDetail: '',
  recoveryMs: 42,
});
const drill = (name: string, duplicate: boolean): Drill => ({
  name,
  fault: `${name} fault`,
  proves: 'the table',
  expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 1_000 },
  run: async () => seen(duplicate),
});
const DRILLS = [drill('holds', false), drill('sends-twice', true)];

describe('live-trader drill', () => {
  let cwd: string;
  let out: string[];
  let err: string[];
  let io: CliIo;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-drill-'));
    out = [];
    err = [];
    io = { cwd, out: (t) => out.push(t), err: (t) => err.push(t) };
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));
  const run = async (argv: readonly string[]): Promise<number> => {
    const logger = createLogger({ logFile: join(cwd, 'drill.log'), console: false });
    try {
      return await drillCommand(argv, io, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5), monotonic: () => performance.now(), logger, drills: DRILLS });
    } finally {
      await logger.close();
    }
  };

  it('prints a table of each drill, its fault, every invariant and the recovery, writes the report and exits 0 when all hold', async () => {
    expect(await run(['--drill', 'holds'])).toBe(0);
    const table = out.join('\n');
    for (const name of INVARIANTS) expect(table).toContain(name);
    expect(table).toMatch(/holds\s+holds fault\s+ok\s+ok\s+ok\s+ok\s+ok\s+ok\s+-\s+42 ms/);
    const file = join(cwd, 'results', 'drills', '2026-01-02T03-04-05-000Z', 'report.json');
    const report = JSON.parse(readFileSync(file, 'utf8')) as DrillReport;
    expect(report).toMatchObject({ runId: '2026-01-02T03-04-05-000Z', storage: 'embedded', ok: true, invariants: [...INVARIANTS] });
    expect(report.results.map((r) => r.drill)).toEqual(['holds']);
    expect(err).toEqual([]);
  });

  it('exits 1 when an invariant fails, naming it on stderr; --json prints the report', async () => {
    expect(await run(['--all', '--json', '--results-dir', 'out'])).toBe(1);
    const report = JSON.parse(out.join('\n')) as DrillReport;
    expect(report.ok).toBe(false);
    expect(report.results.find((r) => r.drill === 'sends-twice')?.verdicts.find((v) => v.invariant === 'no-duplicate-orders')).toMatchObject({ ok: false });
    expect(readdirSync(join(cwd, 'out'))).toEqual(['2026-01-02T03-04-05-000Z']);
    out = [];
    expect(await run(['--drill', 'sends-twice'])).toBe(1);
    expect(out.join('\n')).toMatch(/sends-twice\s+sends-twice fault\s+FAIL/);
    expect(err.join('\n')).toContain('sends-twice: no-duplicate-orders failed: client order id(s) at the broker more than once: s-AAA-1-0 x2');
  });

  it('exits 2 on bad flags: an unknown drill names --drill and lists the drills; neither --all nor --drill', async () => {
    expect(await main(['drill', '--drill', 'nope'], io, {}, new Date(Date.UTC(2026, 0, 2)))).toBe(2);
    expect(err.join('\n')).toMatch(/--drill: unknown drill 'nope'; drills: reconciliation-unreachable, stream-drop-mid-order, .*alert-path-failing/);
    err = [];
    expect(await main(['drill'], io, {}, new Date(Date.UTC(2026, 0, 2)))).toBe(2);
    expect(err.join('\n')).toContain('--all');
    expect(await main(['drill', '--all', '--bogus'], io, {}, new Date(Date.UTC(2026, 0, 2)))).toBe(2);
    err = [];
    expect(await main(['drill', '--all', '--storage', 'disk'], io, {}, new Date(Date.UTC(2026, 0, 2)))).toBe(2);
    expect(err.join('\n')).toContain("--storage: unknown storage 'disk'; use embedded or server");
    err = [];
    expect(await main(['drill', '--all', '--storage', 'server'], io, {}, new Date(Date.UTC(2026, 0, 2)))).toBe(2);
    expect(err.join('\n')).toContain('--storage: server needs DATABASE_URL');
    out = [];
    expect(await main(['drill', '--help'], io, {}, new Date(Date.UTC(2026, 0, 2)))).toBe(0);
    expect(out.join('\n')).toContain('stalled-partial-fill');
  });
});
