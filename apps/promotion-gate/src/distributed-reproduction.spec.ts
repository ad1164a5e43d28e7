import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { reproduceSweepRun } from './sweep-reproduction';

// A run folder written by `sweep --distributed` records the queue's flags in its command line; the
// re-run that checks it runs on local threads, so every one of those flags must be dropped (the
// backtester refuses a queue flag without --distributed).

const ROOT = resolve(__dirname, '../../..');
const BACKTESTER = join(ROOT, 'apps/backtester/dist/main.js');
const SLOW = 120_000;
/** 2 × 2 = 4 points over 400 synthetic bars. */
const SWEEP = ['sweep', '--bars', '400', '--space', 'fast=5..10:5,slow=30..40:10'];
/** Every flag `sweep --distributed` takes, as a command line records it. */
const QUEUE_FLAGS = ['--distributed', '--queue-schema', 'q_test', '--batch-size', '2', '--retry-limit', '1', '--retry-delay', '1', '--visibility-timeout', '60', '--submitter-timeout', '30'];

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
