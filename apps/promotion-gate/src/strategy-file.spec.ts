import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { main } from './main';

// End to end: a strategy file written by `backtester new-strategy` into a folder outside the
// workspace goes through the registry (create, snapshot, a backtest run of it, record-backtest);
// once the file changes it is a different strategy: the experiment's snapshot and evidence
// refuse it, and evidence of one version does not count for a snapshot of the other.

const ROOT = resolve(__dirname, '../../..');
const BACKTESTER = join(ROOT, 'apps/backtester/dist/main.js');
const FILE = './strategies/my-breakout.ts';
const GATES_FILE = join(ROOT, 'config/promotion-gates.json');
const SLOW = 300_000;

let work: string;
let env: Record<string, string>;

async function gate(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), cwd: work };
  const code = await main(argv, io, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A backtest run of the strategy file as it is now; its run id. */
function backtest(): string {
  const text = execFileSync(process.execPath, [BACKTESTER, 'run', '--strategy', FILE, '--bars', '400', '--results-dir', 'results/runs', '--json'], { cwd: work, encoding: 'utf8' });
  return (JSON.parse(text) as { summary: { runId: string } }).summary.runId;
}

const fileSha = (): string => createHash('sha256').update(readFileSync(join(work, FILE))).digest('hex');

beforeAll(() => {
  if (!existsSync(BACKTESTER)) throw new Error('build first: npx nx run-many -t build -p backtester promotion-gate');
  work = mkdtempSync(join(tmpdir(), 'qb-registry-strategy-file-'));
  env = { QUANTBOT_DATA_DIR: join(work, 'quantbot'), USER: 'recorder' };
  execFileSync(process.execPath, [BACKTESTER, 'new-strategy', '--name', 'my-breakout'], { cwd: work, stdio: 'pipe' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a strategy file in the research registry', () => {
  let shaA = '';
  let runA = '';
  let shaB = '';
  let runB = '';

  it('creates an experiment of the file, recording its path, sha256, name and version', async () => {
    shaA = fileSha();
    const created = await gate('create', '--strategy', FILE, '--hypothesis', 'breakouts run', '--owner', 'alice', '--json');
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    const { experiment } = JSON.parse(created.out) as { experiment: { id: string; strategy: string; strategyFile: unknown } };
    expect(experiment).toMatchObject({ id: 'exp-1', strategy: 'my-breakout', strategyFile: { path: join(work, FILE), sha256: shaA, version: '0.1.0' } });
  }, SLOW);

  it('checks snapshot parameters against the file schema, naming a bad parameter', async () => {
    const bad = await gate('snapshot', '--experiment', 'exp-1', '--params', '{"entryLookback": 80}');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/params\.entryLookback: .*above the maximum 50/);
    const good = await gate('snapshot', '--experiment', 'exp-1', '--params', '{"entryLookback": 20, "exitLookback": 10}', '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.out)).toMatchObject({ snapshot: { id: 'snap-1', strategyFileSha256: shaA }, created: true });
  }, SLOW);

  it('records a verified backtest run of the file', async () => {
    runA = backtest();
    const manifest = JSON.parse(readFileSync(join(work, 'results/runs', runA, 'manifest.json'), 'utf8')) as { parameters: { strategyFile: { sha256: string } } };
    expect(manifest.parameters.strategyFile.sha256).toBe(shaA);
    const recorded = await gate('record-backtest', '--experiment', 'exp-1', '--run-id', runA, '--json');
    expect(recorded.err).toBe('');
    expect(recorded.code).toBe(0);
    expect(JSON.parse(recorded.out)).toMatchObject({ backtest: { runId: runA, snapshotId: 'snap-1', digestVerified: true }, created: true });
  }, SLOW);

  it('refuses a snapshot of the changed file, naming both hashes', async () => {
    appendFileSync(join(work, FILE), '\n// tuned by hand\n');
    shaB = fileSha();
    expect(shaB).not.toBe(shaA);
    const refused = await gate('snapshot', '--experiment', 'exp-1', '--params', '{"entryLookback": 30, "exitLookback": 10}');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`its sha256 is now ${shaB}, the experiment recorded ${shaA}`);
    const listed = await gate('summary', '--experiment', 'exp-1', '--config', GATES_FILE, '--json');
    expect(listed.err).toBe('');
    expect((JSON.parse(listed.out) as { snapshots: unknown[] }).snapshots).toHaveLength(1);
  }, SLOW);

  it('refuses evidence of the changed file for the experiment of the first version', async () => {
    // The first run no longer reproduces: its file changed.
    const stale = await gate('record-backtest', '--experiment', 'exp-1', '--run-id', runA);
    expect(stale.code).toBe(1);
    expect(stale.err).toContain('refused as evidence');
    // A run of the changed file reproduces, but is not evidence for a snapshot of the first version.
    runB = backtest();
    const other = await gate('record-backtest', '--experiment', 'exp-1', '--run-id', runB);
    expect(other.code).toBe(2);
    expect(other.err).toContain(`run ${runB} was made with strategy file sha256 ${shaB}, but the experiment of exp-1 records strategy file sha256 ${shaA}`);
    const summary = JSON.parse((await gate('summary', '--experiment', 'exp-1', '--config', GATES_FILE, '--json')).out) as { trialCount: number };
    expect(summary.trialCount).toBe(1);
  }, SLOW);

  it('counts only evidence of the second version for an experiment of it', async () => {
    const created = await gate('create', '--strategy', FILE, '--hypothesis', 'tuned breakouts run', '--owner', 'alice', '--json');
    expect(JSON.parse(created.out)).toMatchObject({ experiment: { id: 'exp-2', strategyFile: { sha256: shaB } } });
    const snap = await gate('snapshot', '--experiment', 'exp-2', '--params', '{"entryLookback": 20, "exitLookback": 10}', '--json');
    expect(JSON.parse(snap.out)).toMatchObject({ snapshot: { experimentId: 'exp-2', strategyFileSha256: shaB } });
    // The run of version A is not evidence for version B's snapshot (it does not even reproduce).
    const stale = await gate('record-backtest', '--experiment', 'exp-2', '--run-id', runA);
    expect(stale.code).toBe(1);
    const recorded = await gate('record-backtest', '--experiment', 'exp-2', '--run-id', runB, '--json');
    expect(recorded.code).toBe(0);
    expect(JSON.parse(recorded.out)).toMatchObject({ backtest: { runId: runB, digestVerified: true }, trialCount: 1 });
  }, SLOW);

  it('refuses a run of a strategy file for an experiment of a shipped strategy', async () => {
    const created = await gate('create', '--strategy', 'sma-crossover', '--hypothesis', 'trends persist', '--owner', 'alice');
    expect(created.out).toBe('exp-3');
    const refused = await gate('record-backtest', '--experiment', 'exp-3', '--run-id', runB);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`run ${runB} is a backtest of 'my-breakout', but exp-3 studies 'sma-crossover'`);
  }, SLOW);
});
