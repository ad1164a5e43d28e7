import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DISTRIBUTED_FLAGS } from '@quantbot/cli';
import { reproduceSweepRun } from './sweep-reproduction';
import { reproduceWalkForwardRun } from './walk-forward-reproduction';

// A run folder written by `sweep --distributed` or `walk-forward --distributed` records the queue's flags in its command line; the
// re-run that checks it runs on local threads, so every one of those flags must be dropped (the
// backtester refuses a queue flag without --distributed).

const ROOT = resolve(__dirname, '../../..');
const BACKTESTER = join(ROOT, 'apps/backtester/dist/main.js');
const SLOW = 120_000;
/** 2 × 2 = 4 points over 400 synthetic bars. */
const SWEEP = ['sweep', '--bars', '400', '--space', 'fast=5..10:5,slow=30..40:10'];
/**
 * Every flag `sweep --distributed` takes (the backtester's list, `DISTRIBUTED_FLAGS` of
 * @quantbot/cli: a flag added there must be dropped here too), as a command line records it.
 */
const QUEUE_FLAGS = DISTRIBUTED_FLAGS.flatMap((flag) => (flag.kind === 'boolean' ? [`--${flag.name}`] : [`--${flag.name}`, flag.kind === 'number' ? '30' : 'q_test']));

let cwd: string;

function backtester(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BACKTESTER, ...argv], { cwd, timeout: SLOW }, (error, out, err) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out, err });
    });
  });
}

function writtenRun(out: string): string {
  const runId = /written: (\S+)/.exec(out)?.[1];
  if (runId === undefined) throw new Error(`no run written:\n${out}`);
  return runId;
}

beforeAll(() => {
  if (!existsSync(BACKTESTER)) throw new Error('build first: npx nx run-many -t build -p backtester promotion-gate');
  cwd = mkdtempSync(join(tmpdir(), 'qb-distributed-reproduction-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('reproducing a distributed sweep on local threads', () => {
  it('drops every queue flag, --submitter-timeout included, and matches the stored sweep.json', async () => {
    const sweep = await backtester(...SWEEP, '--workers', '1', '--quiet');
    expect(sweep.code).toBe(0);
    const runId = writtenRun(sweep.out);
    const dir = join(cwd, 'results', 'runs', runId);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { dataHash: string | null };
    // The command line a distributed run of the same sweep records (its sweep.json is the same bytes).
    const commandLine = ['backtester', ...SWEEP, ...QUEUE_FLAGS];
    await expect(reproduceSweepRun({ runId, dir, commandLine, cwd, dataHash: manifest.dataHash, sweepFile: join(dir, 'sweep.json') })).resolves.toBeUndefined();
  }, SLOW);
});

describe('reproducing a distributed walk-forward (store-walk-forward --run-id) on local threads', () => {
  // Kept, --distributed made the re-run refuse (no DATABASE_URL), or, where the gate has one (a
  // registry on a server), queue its folds on that server and wait for workers, with no bound.
  it('drops every queue flag, re-runs on local threads and verifies the stored walk-forward', async () => {
    const { computeManifestDigest } = await import('@quantbot/observability');
    const wf = ['walk-forward', '--bars', '600', '--space', 'fast=5..10:5,slow=30..40:10', '--train', '200', '--test', '100'];
    const run = await backtester(...wf, '--workers', '1', '--quiet');
    expect(run.code).toBe(0);
    const runId = writtenRun(run.out);
    const root = join(cwd, 'results', 'runs');
    // The command line `walk-forward --distributed` records (its run folder is the local one's, byte for byte).
    const file = join(root, runId, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { commandLine: string[]; digest: string };
    manifest.commandLine = ['backtester', ...wf, ...QUEUE_FLAGS];
    manifest.digest = computeManifestDigest(manifest as unknown as Parameters<typeof computeManifestDigest>[0]);
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    await expect(reproduceWalkForwardRun(root, runId)).resolves.toMatchObject({ verified: true, source: `run ${runId}` });
  }, SLOW);
});
