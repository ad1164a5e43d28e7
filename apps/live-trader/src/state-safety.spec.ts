import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INCIDENT_MIGRATIONS, LIVE_STATE_MIGRATIONS, openLiveStateStore, parseLiveCheckpoint } from '@quantbot/live';
import { killFileRequest, writeKillFile } from '@quantbot/risk-guardrails';
import type { LiveStateTables } from '@quantbot/live';
import { STORAGE_MIGRATIONS, openDatabase } from '@quantbot/storage';
import type { DatabaseHandle } from '@quantbot/storage';
import { dropTestSchema } from '@quantbot/storage/testing';
import { startTrader } from './trader-process.spec-helper';
import { until } from './wait.spec-helper';

/**
 * The built trader and its `state` command as separate processes, on the Postgres server when
 * TEST_DATABASE_URL is set and on embedded PGlite otherwise: one trader per session, refusals
 * that stick across restarts until an operator acts, and the database audit chain's verifier.
 */
const SERVER = process.env['TEST_DATABASE_URL'];
const SIM = ['--broker', 'sim', '--symbols', 'AAA,BBB', '--params', 'fast=5,slow=20,allowShort=true'];

/** Runs the built trader to its end: the exit code, everything it printed, and its stdout alone. */
async function finished(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; text: string; stdout: string }> {
  const child = startTrader(args, env, cwd);
  const code = await child.exited;
  return { code, text: [...child.stdout, ...child.stderr].join(''), stdout: child.stdout.join('') };
}

describe(`live-trader state safety (state on ${SERVER ? 'the Postgres server' : 'embedded PGlite'})`, () => {
  let cwd: string;
  let env: NodeJS.ProcessEnv;
  let state: string[];
  let counter = 0;
  let schema = '';

  beforeEach(() => {
    counter++;
    cwd = mkdtempSync(join(tmpdir(), 'quantbot-state-'));
    schema = `live_state_${process.pid}_${counter}`;
    env = { PATH: process.env['PATH'], ...(SERVER ? { DATABASE_URL: SERVER } : {}) };
    state = SERVER ? ['--state-schema', schema] : ['--state-dir', join(cwd, 'state')];
  });
  afterEach(async () => {
    if (SERVER) await dropTestSchema(SERVER, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  /** Runs `change` on the state database directly (as someone with SQL access would). */
  async function tamper(change: (db: DatabaseHandle<LiveStateTables>['db']) => Promise<void>): Promise<void> {
    const handle = await openDatabase<LiveStateTables>({
      migrations: [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS, ...INCIDENT_MIGRATIONS],
      ...(SERVER ? { url: SERVER, schema } : { dataDir: join(cwd, 'state') }),
    });
    try {
      await change(handle.db);
    } finally {
      await handle.close();
    }
  }

  /** The kill-switch state of the session's latest checkpoint. */
  async function killSwitchState(session: string): Promise<string | undefined> {
    const opened = await openLiveStateStore(SERVER ? { env: { DATABASE_URL: SERVER }, cwd, schema } : { env: {}, cwd, dataDir: join(cwd, 'state') });
    try {
      const stored = await opened.store.latestCheckpoint(session);
      const checkpoint = stored === undefined ? undefined : parseLiveCheckpoint(stored.document);
      return checkpoint?.version === 2 ? checkpoint.gateway.killSwitch.state : undefined;
    } finally {
      await opened.close();
    }
  }

  async function checkpointSeqs(session: string): Promise<number[]> {
    let seqs: number[] = [];
    await tamper(async (db) => {
      const rows = await db.selectFrom('live_checkpoints').select('seq').where('session_id', '=', session).orderBy('seq', 'desc').execute();
      seqs = rows.map((row) => Number(row.seq));
    });
    return seqs;
  }

  it('refuses a second trader of the same session (exit 3), and a state reset, while the first runs; another session runs; a SIGKILLed trader does not block its restart', async () => {
    const first = startTrader(['run', ...SIM, '--session', 'one', '--interval-ms', '20', ...state], env, cwd);
    await until(() => first.stdout.join('').includes('Ctrl-C stops cleanly'), `the first trader to start (it said: ${first.stdout.join('')}${first.stderr.join('')})`, 60_000);

    const second = await finished(['run', ...SIM, '--session', 'one', '--interval-ms', '20', ...state], env, cwd);
    expect(second.code).toBe(3);
    expect(second.text).toMatch(/refused: another process is trading with session one's state/);
    expect(second.text).not.toMatch(/Ctrl-C stops cleanly/);
    // Nor may an operator reset the state under a running trader.
    const reset = await finished(['state', 'reset', '--session', 'one', '--by', 'ops', '--reason', 'too early', ...state], env, cwd);
    expect(reset.code).toBe(3);
    expect(reset.text).toMatch(/refused: /);
    if (SERVER) {
      expect(second.text).toMatch(/advisory lock/);
      // A different session of the same schema trades alongside.
      const other = startTrader(['run', ...SIM, '--session', 'two', '--interval-ms', '20', ...state], env, cwd);
      await until(() => other.stdout.join('').includes('Ctrl-C stops cleanly'), `the other session to start (it said: ${other.stdout.join('')}${other.stderr.join('')})`, 60_000);
      other.process.kill('SIGTERM');
      expect(await other.exited).toBe(0);
    }
    expect(first.process.exitCode).toBeNull();

    first.process.kill('SIGKILL');
    await first.exited;
    const restarted = await finished(['run', ...SIM, '--session', 'one', '--stop-after', '5', ...state], env, cwd);
    expect(restarted.text).toMatch(/Ctrl-C stops cleanly/);
    expect(restarted.code).toBe(0);
  }, 120_000);

  it('refuses a checkpoint whose cash was changed in the database, on every start, until an operator accepts a checked one (audited)', async () => {
    expect((await finished(['run', ...SIM, '--session', 's', '--stop-after', '30', ...state], env, cwd)).code).toBe(0);
    const [latest, previous] = await checkpointSeqs('s');
    await tamper(async (db) => {
      const row = await db.selectFrom('live_checkpoints').select('document').where('session_id', '=', 's').where('seq', '=', String(latest)).executeTakeFirstOrThrow();
      const document = row.document as { ledger: { cash: number } };
      document.ledger.cash = 1_000_000;
      // The document column is written only by the store: the cast is the point of the test.
      await db.updateTable('live_checkpoints').set({ document: JSON.stringify(document) } as never).where('session_id', '=', 's').where('seq', '=', String(latest)).execute();
    });

    const refused = await finished(['run', ...SIM, '--session', 's', '--stop-after', '5', ...state], env, cwd);
    expect(refused.code).toBe(3);
    expect(refused.text).toMatch(new RegExp(`refused: checkpoint ${latest} does not match its integrity hash: it was changed after it was saved`));
    expect(refused.text).not.toMatch(/Ctrl-C stops cleanly/);
    // The edited checkpoint is set aside, an intact one is the latest again: still refused.
    const again = await finished(['run', ...SIM, '--session', 's', '--stop-after', '5', ...state], env, cwd);
    expect(again.code).toBe(3);
    expect(again.text).toMatch(/has stood refused since .*: checkpoint \d+ does not match its integrity hash/);

    const inspected = await finished(['state', 'inspect', '--session', 's', ...state], env, cwd);
    expect(inspected.code).toBe(0);
    expect(inspected.text).toMatch(/status: REFUSED since/);
    expect(inspected.text).toMatch(new RegExp(`${latest}: .*integrity MISMATCH \\(edited after saving\\).*; set aside`));
    expect(inspected.text).toMatch(new RegExp(`${previous}: .*integrity verified, v2, cash`));

    const unsigned = await finished(['state', 'accept', '--session', 's', '--checkpoint', String(previous), '--reason', 'checked', ...state], env, cwd);
    expect(unsigned.code).toBe(2);
    expect(unsigned.text).toMatch(/--by: required/);
    const edited = await finished(['state', 'accept', '--session', 's', '--checkpoint', String(latest), '--by', 'alice', '--reason', 'try', ...state], env, cwd);
    expect(edited.code).toBe(3);
    expect(edited.text).toMatch(/cannot be accepted: it is set aside/);

    const accepted = await finished(['state', 'accept', '--session', 's', '--checkpoint', String(previous), '--by', 'alice', '--reason', 'books match the broker', ...state], env, cwd);
    expect(accepted.text).toMatch(new RegExp(`accepted checkpoint ${previous} of session s \\(by alice: books match the broker\\)`));
    expect(accepted.code).toBe(0);
    const resumed = await finished(['run', ...SIM, '--session', 's', '--stop-after', '5', ...state], env, cwd);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ bars: 5, liveSteps: 34 });

    let kinds: string[] = [];
    await tamper(async (db) => {
      const rows = await db.selectFrom('live_audit').select(['kind', 'detail']).where('session_id', '=', 's').orderBy('seq').execute();
      kinds = rows.map((row) => row.kind);
      expect(rows.find((row) => row.kind === 'operator-accept')?.detail).toMatchObject({ by: 'alice', reason: 'books match the broker', checkpointSeq: previous });
    });
    expect(kinds).toEqual(expect.arrayContaining(['state-refused', 'operator-accept']));
    const log = readFileSync(join(cwd, 'results', 'logs', 'live-trader.log'), 'utf8');
    expect(log).toMatch(/"message":"state accept".*"by":"alice"/);
    expect(log).toMatch(/"message":"state refused"/);
  }, 120_000);

  it('reset starts a refused session from the broker\'s books (here: the starting cash), audited', async () => {
    expect((await finished(['run', ...SIM, '--session', 'r', '--stop-after', '30', ...state], env, cwd)).code).toBe(0);
    await tamper(async (db) => {
      await db.updateTable('live_checkpoints').set({ document: '{"format":"quantbot-live-checkpoint","version":2,"torn":true}' } as never).where('session_id', '=', 'r').execute();
    });
    expect((await finished(['run', ...SIM, '--session', 'r', '--stop-after', '5', ...state], env, cwd)).code).toBe(3);
    expect((await finished(['run', ...SIM, '--session', 'r', '--stop-after', '5', ...state], env, cwd)).code).toBe(3);
    const reset = await finished(['state', 'reset', '--session', 'r', '--by', 'bob', '--reason', 'state lost; broker is the truth', ...state], env, cwd);
    expect(reset.code).toBe(0);
    expect(reset.text).toMatch(/every checkpoint is set aside, the refusal is lifted/);
    const fresh = await finished(['run', ...SIM, '--session', 'r', '--stop-after', '5', ...state], env, cwd);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ bars: 5, liveSteps: 5 });
    // The lost checkpoint may have held a halt: a reset session starts halted until re-armed.
    expect(fresh.text).toContain('kill switch: active -> halted: session r has a history but no checkpoint to resume');
    expect(await killSwitchState('r')).toBe('halted');
  }, 120_000);

  it('starts a session whose checkpoints were deleted in the database halted, not active', async () => {
    writeKillFile(join(cwd, 'kill.json'), killFileRequest('halted', 'desk stop', 'risk desk', Date.parse('2026-01-02T15:00:00Z')));
    expect((await finished(['run', ...SIM, '--session', 'd', '--stop-after', '10', '--kill-file', 'kill.json', ...state], env, cwd)).code).toBe(0);
    expect(await killSwitchState('d')).toBe('halted');
    // Everything of the session but its anchor: the journal rows reference the checkpoints.
    await tamper(async (db) => {
      for (const table of ['live_audit', 'live_fills', 'live_orders', 'live_checkpoints'] as const) await db.deleteFrom(table).where('session_id', '=', 'd').execute();
    });
    const again = await finished(['run', ...SIM, '--session', 'd', '--stop-after', '10', ...state], env, cwd);
    expect(again.code).toBe(0);
    expect(again.text).toContain('kill switch: active -> halted: session d has a history but no checkpoint to resume');
    expect(await killSwitchState('d')).toBe('halted');
  }, 120_000);

  it('verify-audit passes an intact chain and names the first bad row of an edited one (exit 1)', async () => {
    expect((await finished(['run', ...SIM, '--session', 'v', '--stop-after', '40', '--kill-file', 'kill.json', ...state], env, cwd)).code).toBe(0);
    // A reset appends an audit row, so the chain has something to check even if no bar audited anything.
    expect((await finished(['state', 'reset', '--session', 'v', '--by', 'ops', '--reason', 'drill', ...state], env, cwd)).code).toBe(0);
    const ok = await finished(['state', 'verify-audit', '--session', 'v', ...state], env, cwd);
    expect(ok.text).toMatch(/ok: session v: \d+ audit row\(s\), hash chain intact/);
    expect(ok.code).toBe(0);
    await tamper(async (db) => {
      const row = await db.selectFrom('live_audit').select(['seq', 'detail']).where('session_id', '=', 'v').where('kind', '=', 'operator-reset').executeTakeFirstOrThrow();
      await db.updateTable('live_audit').set({ detail: JSON.stringify({ ...row.detail, by: 'mallory' }) } as never).where('seq', '=', row.seq).execute();
    });
    const broken = await finished(['state', 'verify-audit', '--session', 'v', ...state], env, cwd);
    expect(broken.code).toBe(1);
    expect(broken.text).toMatch(/error: session v: hash-mismatch at audit row \d+: audit row \d+ \(seq \d+, operator-reset\) hashes to .*its content was changed/);
  }, 120_000);
});
