import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LIVE_STATE_MIGRATIONS } from '@quantbot/engine/live';
import type { LiveStateTables } from '@quantbot/engine/live';
import { STORAGE_MIGRATIONS, openDatabase } from '@quantbot/storage';
import type { DatabaseHandle } from '@quantbot/storage';
import { dropServerSchema } from './server-schema.spec-helper';
import { until } from './wait.spec-helper';

/**
 * The built trader and its `state` command as separate processes, on the Postgres server when
 * TEST_DATABASE_URL is set and on embedded PGlite otherwise: one trader per session, refusals
 * that stick across restarts until an operator acts, and the database audit chain's verifier.
 */
const SERVER = process.env['TEST_DATABASE_URL'];
const MAIN = resolve(__dirname, '..', 'dist', 'main.js');
const SIM = ['--broker', 'sim', '--symbols', 'AAA,BBB', '--params', 'fast=5,slow=20,allowShort=true'];

interface Child {
  readonly process: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Child {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { process: child, output, exited };
}

async function finished(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; text: string }> {
  const child = start(args, env, cwd);
  const code = await child.exited;
  return { code, text: child.output.join('') };
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
    if (SERVER) await dropServerSchema(SERVER, schema);
    rmSync(cwd, { recursive: true, force: true });
  });

  /** Runs `change` on the state database directly (as someone with SQL access would). */
  async function tamper(change: (db: DatabaseHandle<LiveStateTables>['db']) => Promise<void>): Promise<void> {
    const handle = await openDatabase<LiveStateTables>({
      migrations: [...STORAGE_MIGRATIONS, ...LIVE_STATE_MIGRATIONS],
      ...(SERVER ? { url: SERVER, schema } : { dataDir: join(cwd, 'state') }),
    });
    try {
      await change(handle.db);
    } finally {
      await handle.close();
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
    const first = start(['run', ...SIM, '--session', 'one', '--interval-ms', '20', ...state], env, cwd);
    await until(() => first.output.join('').includes('Ctrl-C stops cleanly'), `the first trader to start (it said: ${first.output.join('')})`, 60_000);

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
      const other = start(['run', ...SIM, '--session', 'two', '--interval-ms', '20', ...state], env, cwd);
      await until(() => other.output.join('').includes('Ctrl-C stops cleanly'), `the other session to start (it said: ${other.output.join('')})`, 60_000);
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
    expect(JSON.parse(resumed.text.trim().split('\n').at(-1) as string)).toMatchObject({ bars: 5, liveSteps: 34 });

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
    expect(JSON.parse(fresh.text.trim().split('\n').at(-1) as string)).toMatchObject({ bars: 5, liveSteps: 5 });
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
