import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { describeWithPrerequisite } from '@quantbot/core/testing';
import { TEST_DATABASE_URL_ENV, dropTestSchema, serverPostgresPrerequisite, testSchemaName } from '@quantbot/storage/testing';
import type { CliIo } from '@quantbot/cli';
import { DISTRIBUTED_FLAGS } from '@quantbot/cli';
import { main } from './main';
import { SWEEP_FLAGS, WALK_FORWARD_FLAGS } from './validation-flags';

const BACKTESTER = resolve(__dirname, '../../../apps/backtester/dist/main.js');

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-distributed-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('backtester sweep --distributed: flags', () => {
  async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const io: CliIo = { out: () => undefined, err: (t) => (err += `${t}\n`), cwd: workDir };
    const at = new Date(Date.UTC(2026, 1, 1));
    return { code: await main(argv, io, at, () => at), err };
  }

  it('refuses a queue flag without --distributed, naming it, with exit 2', async () => {
    const result = await cli('sweep', '--bars', '300', '--space', 'fast=5|10,slow=40', '--batch-size', '4');
    expect(result).toEqual({ code: 2, err: 'error: --batch-size: only applies with --distributed\n' });
  });

  it('takes every distributed flag of @quantbot/cli on sweep and walk-forward, and refuses each without --distributed (exit 2)', async () => {
    for (const flag of DISTRIBUTED_FLAGS) {
      expect(SWEEP_FLAGS).toContainEqual(flag);
      expect(WALK_FORWARD_FLAGS).toContainEqual(flag);
      if (flag.name === 'distributed') continue;
      const given = [`--${flag.name}`, flag.kind === 'number' ? '5' : 'q_test'];
      const sweep = await cli('sweep', '--bars', '300', '--space', 'fast=5|10,slow=40', ...given);
      expect(sweep).toEqual({ code: 2, err: `error: --${flag.name}: only applies with --distributed\n` });
      const walkForward = await cli('walk-forward', '--bars', '300', '--space', 'fast=5|10,slow=40', '--train', '100', '--test', '50', ...given);
      expect(walkForward).toEqual({ code: 2, err: `error: --${flag.name}: only applies with --distributed\n` });
    }
  });

  it('refuses a worker without a database, naming DATABASE_URL and --database-url, with exit 2', async () => {
    const saved = process.env['DATABASE_URL'];
    delete process.env['DATABASE_URL'];
    try {
      const result = await cli('worker', '--once');
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/^error: --database-url: needs a Postgres server: set DATABASE_URL or give --database-url/);
    } finally {
      if (saved !== undefined) process.env['DATABASE_URL'] = saved;
    }
  });

  it('refuses a --submitter-timeout too long for its heartbeat timer, naming it (exit 2), before connecting', async () => {
    const saved = process.env['DATABASE_URL'];
    process.env['DATABASE_URL'] = 'postgres://nobody@127.0.0.1:1/none';
    try {
      const result = await cli('sweep', '--bars', '300', '--space', 'fast=5|10,slow=40', '--distributed', '--submitter-timeout', '9999999', '--quiet');
      expect(result).toEqual({ code: 2, err: 'error: --submitter-timeout: must be a whole number from 1 to 604800, got 9999999\n' });
    } finally {
      if (saved === undefined) delete process.env['DATABASE_URL'];
      else process.env['DATABASE_URL'] = saved;
    }
  });

  it('refuses a --queue-schema that is not a plain SQL identifier naming the flag (exit 2), on both sides, before connecting', async () => {
    const saved = process.env['DATABASE_URL'];
    process.env['DATABASE_URL'] = 'postgres://nobody@127.0.0.1:1/none';
    try {
      const worker = await cli('worker', '--queue-schema', 'Sweeps-1', '--once');
      expect(worker).toEqual({ code: 2, err: "error: --queue-schema: 'Sweeps-1' is not a plain lower-case SQL identifier\n" });
      const sweep = await cli('sweep', '--bars', '300', '--space', 'fast=5|10,slow=40', '--distributed', '--queue-schema', 'Sweeps-1', '--quiet');
      expect(sweep).toEqual({ code: 2, err: "error: --queue-schema: 'Sweeps-1' is not a plain lower-case SQL identifier\n" });
    } finally {
      if (saved === undefined) delete process.env['DATABASE_URL'];
      else process.env['DATABASE_URL'] = saved;
    }
  });
});

const databaseUrl = process.env[TEST_DATABASE_URL_ENV];
const postgres = serverPostgresPrerequisite();

describeWithPrerequisite(postgres, 'backtester sweep --distributed and worker processes (Postgres, pg-boss)', () => {
  const url = databaseUrl as string;
  const schema = testSchemaName();
  const env = { ...process.env, DATABASE_URL: url };
  const children: ChildProcess[] = [];

  afterEach(() => {
    // A test that failed midway leaves no worker to take the next test's jobs.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await dropTestSchema(url, schema);
  }, 30_000);

  /** Runs a backtester command to its end in `cwd`. */
  function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    return new Promise((done) => {
      execFile(process.execPath, [BACKTESTER, ...argv], { cwd, env, timeout: 90_000 }, (error, out, err) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out, err });
      });
    });
  }

  /** A worker process; `log()` is what it printed so far, `exited` its exit code. */
  function startWorker(cwd: string, name: string, ...argv: string[]): { readonly child: ChildProcess; log(): string; readonly exited: Promise<number | null> } {
    const child = spawn(process.execPath, [BACKTESTER, 'worker', '--queue-schema', schema, '--name', name, '--poll-ms', '50', '--maintenance-interval', '1', ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let log = '';
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    return { child, log: () => log, exited };
  }

  async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    for (let waited = 0; !condition(); waited += 25) {
      if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function waitForAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    for (let waited = 0; !(await condition()); waited += 50) {
      if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function sweepJson(cwd: string, out: string): string {
    const runId = /written: (\S+)/.exec(out)?.[1];
    if (runId === undefined) throw new Error(`no run written:\n${out}`);
    return readFileSync(join(cwd, 'results', 'runs', runId, 'sweep.json'), 'utf8');
  }

  const SWEEP = ['sweep', '--bars', '400', '--space', 'fast=5..20:5,slow=30..60:10'];

  it('1, 2 and 4 worker processes give the local sweep.json byte for byte; SIGTERM stops a worker cleanly', async () => {
    const cwd = join(workDir, 'scale');
    mkdirSync(cwd);
    const local = await run(cwd, ...SWEEP, '--workers', '1');
    expect(local.code).toBe(0);
    const expected = sweepJson(cwd, local.out);
    for (const count of [1, 2, 4]) {
      const workers = Array.from({ length: count }, (_, i) => startWorker(cwd, `p${count}-${i + 1}`));
      const distributed = await run(cwd, ...SWEEP, '--distributed', '--queue-schema', schema, '--batch-size', '2', '--quiet');
      expect({ code: distributed.code, err: distributed.err }).toEqual({ code: 0, err: '' });
      expect(distributed.out).toMatch(/16 trial\(s\), 0 invalid point\(s\) skipped, [1-4] worker process\(es\), 8 job\(s\)/);
      expect(sweepJson(cwd, distributed.out)).toBe(expected);
      for (const w of workers) w.child.kill('SIGTERM');
      const codes = await Promise.all(workers.map((w) => w.exited));
      expect(codes).toEqual(workers.map(() => 0));
      const trialsRun = workers.map((w) => Number(/stopped \(signal\): \d+ job\(s\) done, 0 failed, (\d+) trial\(s\) run/.exec(w.log())?.[1]));
      expect(trialsRun.reduce((a, b) => a + b, 0)).toBe(16);
    }
  }, 120_000);

  /** Every file of a run folder but its manifest, by name, with the manifest's record of them (hashes, sizes). */
  function runArtifacts(cwd: string, out: string): Record<string, string> {
    const runId = /written: (\S+)/.exec(out)?.[1];
    if (runId === undefined) throw new Error(`no run written:\n${out}`);
    const folder = join(cwd, 'results', 'runs', runId);
    const files: Record<string, string> = {};
    for (const name of readdirSync(folder).sort()) if (name !== 'manifest.json') files[name] = readFileSync(join(folder, name)).toString('hex');
    files['manifest.json: artifacts'] = JSON.stringify((JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { artifacts: unknown }).artifacts);
    return files;
  }

  const WALK_FORWARD = ['walk-forward', '--bars', '400', '--space', 'fast=5..20:5,slow=30..60:10', '--train', '150', '--test', '50'];

  it('walk-forward: 1, 2 and 4 worker processes give the local run folder byte for byte, every fold\'s out-of-sample run done by a worker', async () => {
    const cwd = join(workDir, 'walk-forward');
    mkdirSync(cwd);
    const local = await run(cwd, ...WALK_FORWARD, '--workers', '1', '--quiet');
    expect(local.err).toBe('');
    const expected = runArtifacts(cwd, local.out);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['walk_forward.json', 'manifest.json: artifacts']));
    expect(Object.keys(expected).some((name) => name.startsWith('oos_equity.csv'))).toBe(true);
    const folds = (JSON.parse(Buffer.from(expected['walk_forward.json'] as string, 'hex').toString('utf8')) as { folds: unknown[] }).folds.length;
    expect(folds).toBe(5);
    for (const count of [1, 2, 4]) {
      const workers = Array.from({ length: count }, (_, i) => startWorker(cwd, `wf${count}-${i + 1}`));
      const distributed = await run(cwd, ...WALK_FORWARD, '--distributed', '--queue-schema', schema, '--batch-size', '4', '--quiet');
      expect({ code: distributed.code, err: distributed.err }).toEqual({ code: local.code, err: '' });
      expect(runArtifacts(cwd, distributed.out)).toEqual(expected);
      for (const w of workers) w.child.kill('SIGTERM');
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual(workers.map(() => 0));
      const logs = workers.map((w) => w.log()).join('');
      // Each fold's out-of-sample run was a worker's job, once; the in-sample trials too.
      const oosJobs = [...logs.matchAll(/\((fold \d+) out-of-sample\): 1 trial\(s\), attempt 1/g)].map((m) => m[1]);
      expect(oosJobs.sort()).toEqual(Array.from({ length: folds }, (_, i) => `fold ${i + 1}`));
      const summaries = workers.map((w) => /stopped \(signal\): \d+ job\(s\) done, 0 failed, (\d+) trial\(s\) run, (\d+) out-of-sample run\(s\)/.exec(w.log()));
      expect(summaries.reduce((n, m) => n + Number(m?.[1]), 0)).toBe(folds * 16);
      expect(summaries.reduce((n, m) => n + Number(m?.[2]), 0)).toBe(folds);
    }
  }, 240_000);

  it('a worker SIGKILLed mid-job leaves its job to another after the visibility timeout; every trial counts once', async () => {
    const cwd = join(workDir, 'kill');
    mkdirSync(cwd);
    // Long enough trials (about 0.1 s each) that the kill lands inside the one 16-trial job.
    const slow = ['sweep', '--bars', '60000', '--space', 'fast=5..20:5,slow=30..60:10'];
    const local = await run(cwd, ...slow, '--workers', '1', '--quiet');
    expect(local.code).toBe(0);
    const submitted = run(cwd, ...slow, '--distributed', '--queue-schema', schema, '--batch-size', '16', '--visibility-timeout', '5', '--retry-delay', '0', '--quiet');
    const first = startWorker(cwd, 'doomed');
    await waitFor(() => /attempt 1/.test(first.log()), 'the first worker to take the job');
    await new Promise((r) => setTimeout(r, 600));
    expect(first.log()).not.toMatch(/ done: /);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const second = startWorker(cwd, 'rescuer', '--idle-exit-ms', '8000');
    const distributed = await submitted;
    expect({ code: distributed.code, err: distributed.err }).toEqual({ code: 0, err: '' });
    expect(sweepJson(cwd, distributed.out)).toBe(sweepJson(cwd, local.out));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // Attempt 2 is the rescuer's (a slow machine may expire it too and run attempt 3: results stay stored once).
    expect(second.log()).toMatch(/16 trial\(s\), attempt 2/);
    expect(second.log()).toMatch(/done: 16 trial\(s\)(, \d+ already stored by an earlier attempt)?/);
  }, 120_000);

  it('a SIGKILLed submitter leaves no work running: once its heartbeat is older than --submitter-timeout, workers skip its jobs', async () => {
    const cwd = join(workDir, 'dead-submitter');
    mkdirSync(cwd);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const submitter = spawn(process.execPath, [BACKTESTER, ...SWEEP, '--distributed', '--queue-schema', schema, '--batch-size', '4', '--submitter-timeout', '1', '--quiet'], { cwd, env, stdio: 'ignore' });
      children.push(submitter);
      let sweepId: string | undefined;
      await waitForAsync(async () => {
        const table = await client.query(`SELECT to_regclass('${schema}.job') AS t`);
        if ((table.rows[0] as { t: string | null }).t === null) return false;
        const { rows } = await client.query(`SELECT data->>'sweepId' AS sweep, count(*)::int AS jobs FROM ${schema}.job WHERE state = 'created' GROUP BY 1`);
        const found = (rows as { sweep: string; jobs: number }[]).find((r) => r.jobs === 4);
        sweepId = found?.sweep;
        return found !== undefined;
      }, 'the submitter to queue its 4 jobs');
      submitter.kill('SIGKILL');
      await new Promise<void>((done) => (submitter.exitCode !== null || submitter.signalCode !== null ? done() : submitter.once('exit', () => done())));
      await new Promise((r) => setTimeout(r, 1500));
      const worker = startWorker(cwd, 'after-crash', '--idle-exit-ms', '1500');
      expect(await worker.exited).toBe(0);
      const ofSweep = worker.log().split('\n').filter((line) => line.includes(`of sweep ${sweepId as string}`));
      expect(ofSweep).toHaveLength(4);
      for (const line of ofSweep) expect(line).toMatch(/ skipped: the sweep's submitter last beat \d+ s ago \(timeout 1 s\), so it is taken for gone$/);
      expect(worker.log()).toMatch(/stopped \(idle\): 0 job\(s\) done, 0 failed, 0 trial\(s\) run, 0 out-of-sample run\(s\), 4 skipped \(submitter gone\)/);
      const { rows } = await client.query(`SELECT state, count(*)::int AS jobs FROM ${schema}.job WHERE data->>'sweepId' = $1 GROUP BY 1`, [sweepId]);
      expect(rows).toEqual([{ state: 'completed', jobs: 4 }]);
    } finally {
      await client.end();
    }
  }, 60_000);

  it('with no worker on the queue, --stall-timeout fails the sweep (exit 1) naming the batch and its outstanding trials, and cancels its jobs', async () => {
    const cwd = join(workDir, 'stalled');
    writeBars(join(cwd, 'data'), 0);
    // A schema no worker of this suite reads.
    const lonely = `${schema}_lonely`;
    try {
      const stalled = await run(cwd, 'sweep', '--data', 'data', '--calendar', 'weekdays', '--space', 'fast=5|10,slow=40', '--distributed', '--queue-schema', lonely, '--stall-timeout', '2', '--quiet');
      expect(stalled.code).toBe(1);
      expect(stalled.err).toMatch(/no result for 2000 ms with 2 of 2 trial\(s\) outstanding: are workers running on this queue\?/);
      // As docs/scale-out.md says, it cancels its jobs: none is left for a worker started later.
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query(`SELECT state, count(*)::int AS jobs FROM ${lonely}.job WHERE data ? 'sweepId' GROUP BY 1`);
        expect(rows).toEqual([{ state: 'cancelled', jobs: 1 }]);
      } finally {
        await client.end();
      }
    } finally {
      await dropTestSchema(url, lonely);
    }
  }, 60_000);

  it('a worker whose data hashes differently refuses the job, and the sweep fails naming it', async () => {
    const cwd = join(workDir, 'mismatch');
    const elsewhere = join(workDir, 'elsewhere');
    writeBars(join(cwd, 'data'), 0);
    writeBars(join(elsewhere, 'data'), 1);
    const worker = startWorker(elsewhere, 'wrong-data', '--idle-exit-ms', '1500');
    const distributed = await run(cwd, 'sweep', '--data', 'data', '--calendar', 'weekdays', '--space', 'fast=5|10,slow=40', '--distributed', '--queue-schema', schema, '--retry-limit', '0', '--quiet');
    expect(distributed.code).toBe(1);
    expect(distributed.err).toMatch(/^error: job [0-9a-f-]{36} \(trials 0\.\.1\) failed after 1 attempt\(s\): DataError: data data under .*elsewhere has sha256 [0-9a-f]{64}, the job's is [0-9a-f]{64}: refused\n$/);
    expect(await worker.exited).toBe(0);
    expect(worker.log()).toMatch(/failed: DataError: data data under .*elsewhere has sha256/);
  }, 60_000);
  it('a worker refuses a strategy file whose bytes differ from the job\'s, and the sweep fails naming the file and both hashes', async () => {
    const cwd = join(workDir, 'strategy-file');
    mkdirSync(cwd, { recursive: true });
    const made = await run(cwd, 'new-strategy', '--name', 'my-breakout');
    expect(made.code).toBe(0);
    const file = join(cwd, 'strategies', 'my-breakout.ts');
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const submitted = run(cwd, 'sweep', '--strategy', './strategies/my-breakout.ts', '--bars', '400', '--space', 'entryLookback=10|30', '--distributed', '--queue-schema', schema, '--retry-limit', '0', '--quiet');
      // The submitter hashed the file and queued its job; then the file changes under the worker.
      // (The queue's tables may not be there yet: the submitter makes them.)
      await waitForAsync(async () => {
        const found = await client.query(`SELECT count(*)::int AS n FROM ${schema}.job WHERE state = 'created' AND data->>'payload' LIKE '%my-breakout.ts%'`).catch(() => null);
        return ((found?.rows[0] as { n: number } | undefined)?.n ?? 0) > 0;
      }, 'the sweep\'s job');
      writeFileSync(file, `${readFileSync(file, 'utf8')}// edited after the sweep was submitted\n`);
      const worker = startWorker(cwd, 'edited-file', '--idle-exit-ms', '1500');
      const distributed = await submitted;
      expect(distributed.code).toBe(1);
      expect(distributed.err).toMatch(/^error: job [0-9a-f-]{36} \(trials 0\.\.1\) failed after 1 attempt\(s\): .*strategies\/my-breakout\.ts: the strategy file changed since it was first read \(sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\)\n$/);
      expect(await worker.exited).toBe(0);
      expect(worker.log()).toMatch(/0 job\(s\) done, 1 failed, 0 trial\(s\) run/);
    } finally {
      await client.end();
    }
  }, 60_000);
});

/** A folder with one daily bar file (weekdays from 2020-01-01); `shift` moves every price, so the bytes differ. */
function writeBars(folder: string, shift: number): void {
  mkdirSync(folder, { recursive: true });
  const lines = ['Date,Open,High,Low,Close,Volume'];
  let day = Date.UTC(2020, 0, 1);
  for (let i = 0; lines.length <= 300; day += 86_400_000) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const close = 100 + 10 * Math.sin(i / 15) + shift;
    lines.push(`${new Date(day).toISOString().slice(0, 10)},${close.toFixed(2)},${(close + 1).toFixed(2)},${(close - 1).toFixed(2)},${close.toFixed(2)},1000`);
    i++;
  }
  writeFileSync(join(folder, 'AAA.csv'), `${lines.join('\n')}\n`);
}
