import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { describeWithPrerequisite } from '@quantbot/core/testing';
import type { RegistryTables } from '@quantbot/research-registry';
import { REGISTRY_DATABASE_MIGRATIONS } from '@quantbot/research-registry';
import { TEST_DATABASE_URL_ENV, openTestDatabase, serverPostgresPrerequisite } from '@quantbot/storage/testing';
import type { TestDatabase } from '@quantbot/storage/testing';
import { main } from './main';

// A sweep's trials count in the experiment's trial count: `record-sweep` of real `backtester sweep`
// run folders, local (embedded registry) and distributed over `backtester worker` processes
// (pg-boss on a Postgres server, registry on the same server).

const ROOT = resolve(__dirname, '../../..');
const BACKTESTER = join(ROOT, 'apps/backtester/dist/main.js');
const GATES_FILE = join(ROOT, 'config/promotion-gates.json');
const SLOW = 300_000;
/** 4 × 4 = 16 points of the SMA crossover over 400 synthetic bars: 16 trials. */
const SWEEP = ['sweep', '--bars', '400', '--space', 'fast=5..20:5,slow=30..60:10', '--quiet'];

let work: string;

/** Runs a backtester command to its end in `cwd`. */
function backtester(cwd: string, env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BACKTESTER, ...argv], { cwd, env, timeout: 120_000 }, (error, out, err) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out, err });
    });
  });
}

/** The run id a sweep printed (`written: <id>`). */
function writtenRun(out: string): string {
  const runId = /written: (\S+)/.exec(out)?.[1];
  if (runId === undefined) throw new Error(`no run written:\n${out}`);
  return runId;
}

function gateRunner(cwd: string, env: Record<string, string>): (...argv: string[]) => Promise<{ code: number; out: string; err: string }> {
  return async (...argv) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), cwd };
    const withConfig = ['check', 'summary', 'blockers'].includes(argv[0] as string) ? [...argv, '--config', GATES_FILE] : argv;
    const code = await main(withConfig, io, env);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
}

beforeAll(() => {
  if (!existsSync(BACKTESTER)) throw new Error('build first: npx nx run-many -t build -p backtester promotion-gate');
  work = mkdtempSync(join(tmpdir(), 'qb-record-sweep-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('record-sweep: a local sweep run folder (embedded registry)', () => {
  let cwd: string;
  let gate: ReturnType<typeof gateRunner>;
  let sweepRun: string;
  let backtestRun: string;

  beforeAll(async () => {
    cwd = mkdtempSync(join(work, 'local-'));
    gate = gateRunner(cwd, { QUANTBOT_DATA_DIR: join(cwd, 'quantbot'), USER: 'rita' });
    const sweep = await backtester(cwd, process.env, ...SWEEP, '--workers', '1');
    expect(sweep.code).toBe(0);
    sweepRun = writtenRun(sweep.out);
    const run = await backtester(cwd, process.env, 'run', '--bars', '400', '--json');
    expect(run.code).toBe(0);
    backtestRun = (JSON.parse(run.out) as { summary: { runId: string } }).summary.runId;
  }, SLOW);

  it('adds exactly the sweep’s trials to the trial count, shows the parts, and counts the same sweep once', async () => {
    expect((await gate('create', '--strategy', 'sma-crossover', '--hypothesis', 'trends persist', '--owner', 'alice')).code).toBe(0);
    const bt = await gate('record-backtest', '--experiment', 'exp-1', '--run-id', backtestRun, '--json');
    expect(bt.err).toBe('');
    expect(JSON.parse(bt.out)).toMatchObject({ created: true, trialCount: 1 });

    const recorded = await gate('record-sweep', '--experiment', 'exp-1', '--run', join('results', 'runs', sweepRun), '--json');
    expect(recorded.err).toBe('');
    expect(recorded.code).toBe(0);
    const sweepJson = readFileSync(join(cwd, 'results', 'runs', sweepRun, 'sweep.json'), 'utf8');
    const artifact = JSON.parse(sweepJson) as { trials: number; invalid: number };
    expect(artifact.trials).toBe(16);
    expect(JSON.parse(recorded.out)).toMatchObject({
      created: true,
      trialCount: 1 + 16,
      trials: { total: 17, backtests: 1, sweeps: 1, sweepTrials: 16 },
      sweep: { id: 'sweep-1', runId: sweepRun, trials: 16, invalid: artifact.invalid, execution: 'local', strategy: 'sma-crossover', recordedBy: 'rita' },
    });

    // Again, by run id: nothing changes.
    const again = await gate('record-sweep', '--experiment', 'exp-1', '--run-id', sweepRun);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(new RegExp(`already recorded as sweep-1 from run ${sweepRun}; nothing changed \\(17 trial\\(s\\) \\(1 backtest\\(s\\) \\+ 16 trial\\(s\\) of 1 sweep\\(s\\)\\)\\)`));

    // The checklist and the summary count (and show) the same.
    const check = await gate('check', '--experiment', 'exp-1', '--json');
    expect(JSON.parse(check.out)).toMatchObject({ checklist: { trialCount: 17, trials: { backtests: 1, sweeps: 1, sweepTrials: 16 } } });
    const table = await gate('check', '--experiment', 'exp-1');
    expect(table.out).toContain('17 trial(s) (1 backtest(s) + 16 trial(s) of 1 sweep(s))');
    const summary = await gate('summary', '--experiment', 'exp-1');
    expect(summary.out).toContain('trials: 17 trial(s) (1 backtest(s) + 16 trial(s) of 1 sweep(s))');
    expect(summary.out).toMatch(new RegExp(`sweep-1 +${sweepRun} +16 +\\d+ +local`));
  }, SLOW);

  it('refuses a folder whose sweep.json was edited, naming the file, and records nothing', async () => {
    const forged = `${sweepRun.slice(0, -8)}f0f0f0f0`;
    const dir = join(cwd, 'results', 'runs', forged);
    cpSync(join(cwd, 'results', 'runs', sweepRun), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { runId: string };
    manifest.runId = forged;
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // Fewer trials: a researcher hiding most of the search.
    const artifact = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { trials: number; results: unknown[] };
    artifact.trials = 1;
    artifact.results = artifact.results.slice(0, 1);
    writeFileSync(join(dir, 'sweep.json'), `${JSON.stringify(artifact, null, 2)}\n`);
    expect((await gate('create', '--strategy', 'sma-crossover', '--hypothesis', 'h', '--owner', 'alice')).out).toMatch(/exp-2/);
    const refused = await gate('record-sweep', '--experiment', 'exp-2', '--run-id', forged);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(dir);
    expect(refused.err).toMatch(/does not match its manifest.*sweep\.json has \d+ bytes, the manifest says \d+/);
    expect(JSON.parse((await gate('summary', '--experiment', 'exp-2', '--json')).out)).toMatchObject({ trialCount: 0, trials: { sweeps: 0 } });
  }, SLOW);

  it('with --reproduce re-runs the sweep: a genuine folder is recorded as reproduced, one forged with every hash recomputed is refused naming the field', async () => {
    const { computeManifestDigest } = await import('@quantbot/observability');
    const forged = `${sweepRun.slice(0, -8)}e0e0e0e0`;
    const dir = join(cwd, 'results', 'runs', forged);
    cpSync(join(cwd, 'results', 'runs', sweepRun), dir, { recursive: true });
    const artifact = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { trials: number; results: unknown[] };
    artifact.trials = 1;
    artifact.results = artifact.results.slice(0, 1);
    const text = `${JSON.stringify(artifact, null, 2)}\n`;
    writeFileSync(join(dir, 'sweep.json'), text);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { runId: string; digest: string; artifacts: Record<string, { sha256: string; bytes: number }> };
    manifest.runId = forged;
    manifest.artifacts['sweep.json'] = { ...(manifest.artifacts['sweep.json'] as { sha256: string; bytes: number }), sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
    manifest.digest = computeManifestDigest(manifest as unknown as Parameters<typeof computeManifestDigest>[0]);
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    expect((await gate('create', '--strategy', 'sma-crossover', '--hypothesis', 'h', '--owner', 'alice')).out).toMatch(/exp-3/);
    const refused = await gate('record-sweep', '--experiment', 'exp-3', '--run-id', forged, '--reproduce');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(join(dir, 'sweep.json'));
    expect(refused.err).toMatch(/the stored sweep differs from its re-run at results\[1\]/);
    expect(JSON.parse((await gate('summary', '--experiment', 'exp-3', '--json')).out)).toMatchObject({ trialCount: 0 });
    const genuine = await gate('record-sweep', '--experiment', 'exp-3', '--run-id', sweepRun, '--reproduce', '--json');
    expect(genuine.err).toBe('');
    expect(JSON.parse(genuine.out)).toMatchObject({ created: true, trialCount: 16, sweep: { runId: sweepRun, reproduced: true } });
  }, SLOW);

  it('refuses a sweep of another strategy, naming sweep.json and its strategy field, and records nothing', async () => {
    expect((await gate('create', '--strategy', 'bracket-momentum', '--hypothesis', 'h', '--owner', 'alice')).out).toMatch(/exp-4/);
    const refused = await gate('record-sweep', '--experiment', 'exp-4', '--run-id', sweepRun);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(join(cwd, 'results', 'runs', sweepRun, 'sweep.json'));
    expect(refused.err).toMatch(/strategy.*the sweep ran 'sma-crossover', but exp-4 is an experiment of 'bracket-momentum'/);
    expect(JSON.parse((await gate('summary', '--experiment', 'exp-4', '--json')).out)).toMatchObject({ trialCount: 0 });
  }, SLOW);

  it('refuses a run folder that is not a sweep, and a missing --run, without recording', async () => {
    const notSweep = await gate('record-sweep', '--experiment', 'exp-1', '--run-id', backtestRun);
    expect(notSweep.code).toBe(1);
    expect(notSweep.err).toMatch(/is not a backtester sweep run/);
    const usage = await gate('record-sweep', '--experiment', 'exp-1');
    expect(usage).toMatchObject({ code: 2, err: expect.stringContaining('--run: is required') });
    expect(JSON.parse((await gate('summary', '--experiment', 'exp-1', '--json')).out)).toMatchObject({ trialCount: 17 });
  }, SLOW);
});

const databaseUrl = process.env[TEST_DATABASE_URL_ENV];
const postgres = serverPostgresPrerequisite();

describeWithPrerequisite(postgres, 'record-sweep: a distributed sweep (backtester worker processes, pg-boss) recorded in a registry on the server', () => {
  const url = databaseUrl as string;
  const children: ChildProcess[] = [];
  let registry: TestDatabase<RegistryTables>;
  /** A schema of its own for the queue (pg-boss's tables and the trial results), dropped afterwards. */
  let queue: TestDatabase<unknown>;
  let queueSchema: string;
  let cwd: string;

  beforeAll(async () => {
    registry = await openTestDatabase<RegistryTables>('server', REGISTRY_DATABASE_MIGRATIONS);
    queue = await openTestDatabase<unknown>('server');
    queueSchema = queue.schema as string;
    cwd = mkdtempSync(join(work, 'distributed-'));
  }, SLOW);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await registry?.cleanup();
    await queue?.cleanup();
  }, 60_000);

  it('records the distributed sweep’s trials exactly once; the local run of the same sweep is the same sweep', async () => {
    const env = { ...process.env, DATABASE_URL: url };
    const workers = ['w1', 'w2'].map((name) => {
      const child = spawn(process.execPath, [BACKTESTER, 'worker', '--queue-schema', queueSchema, '--name', name, '--poll-ms', '50', '--maintenance-interval', '1'], { cwd, env, stdio: 'ignore' });
      children.push(child);
      return new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    });
    const distributed = await backtester(cwd, env, ...SWEEP, '--distributed', '--queue-schema', queueSchema, '--batch-size', '4');
    expect({ code: distributed.code, err: distributed.err }).toEqual({ code: 0, err: '' });
    expect(distributed.out).toMatch(/16 trial\(s\), .* worker process\(es\), 4 job\(s\)/);
    for (const child of children) child.kill('SIGTERM');
    expect(await Promise.all(workers)).toEqual([0, 0]);
    const distributedRun = writtenRun(distributed.out);

    const gate = gateRunner(cwd, { DATABASE_URL: url, QUANTBOT_DB_SCHEMA: registry.schema as string, USER: 'rita' });
    expect((await gate('create', '--strategy', 'sma-crossover', '--hypothesis', 'trends persist', '--owner', 'alice')).code).toBe(0);
    expect(JSON.parse((await gate('summary', '--experiment', 'exp-1', '--json')).out)).toMatchObject({ trialCount: 0 });
    // --reproduce re-runs it on local threads (the queue's flags dropped) and gets the same sweep.json.
    const recorded = await gate('record-sweep', '--experiment', 'exp-1', '--run-id', distributedRun, '--by', 'sam', '--reproduce', '--json');
    expect(recorded.err).toBe('');
    expect(JSON.parse(recorded.out)).toMatchObject({
      created: true,
      trialCount: 16,
      trials: { total: 16, backtests: 0, sweeps: 1, sweepTrials: 16 },
      sweep: { runId: distributedRun, trials: 16, execution: 'distributed', reproduced: true, recordedBy: 'sam' },
    });

    // The same sweep run locally writes the same sweep.json: it is the same 16 trials, not 16 more.
    const local = await backtester(cwd, process.env, ...SWEEP, '--workers', '1');
    expect(local.code).toBe(0);
    const localRun = writtenRun(local.out);
    expect(readFileSync(join(cwd, 'results', 'runs', localRun, 'sweep.json'), 'utf8')).toBe(readFileSync(join(cwd, 'results', 'runs', distributedRun, 'sweep.json'), 'utf8'));
    const again = await gate('record-sweep', '--experiment', 'exp-1', '--run-id', localRun, '--json');
    expect(JSON.parse(again.out)).toMatchObject({ created: false, trialCount: 16, sweep: { runId: distributedRun, execution: 'distributed' } });
    const check = await gate('check', '--experiment', 'exp-1', '--json');
    expect(JSON.parse(check.out)).toMatchObject({ checklist: { trialCount: 16, trials: { sweeps: 1, sweepTrials: 16 } } });
  }, SLOW);
});
