import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { sharedDataFile } from '../test/shared-data';
import { main } from './main';
import type { CliIo } from '@quantbot/cli';

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-validation-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

let tick = 0;
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: workDir };
  const at = new Date(Date.UTC(2026, 1, 1, 0, 0, ++tick));
  return { code: await main(argv, io, at, () => at), out, err };
}

const ORCL = (): string[] => ['--data', sharedDataFile('orcl-1995-2014.txt')];

describe('backtester walk-forward', () => {
  itWithData('runs rolling folds, writes the walk-forward artifact, and exits by its verdict', async () => {
    const result = await cli('walk-forward', ...ORCL(), '--space', 'fast=5..20:5,slow=30..90:30', '--train', '756', '--test', '252', '--workers', '1', '--json');
    const doc = JSON.parse(result.out) as {
      runId: string;
      schemaVersion: number;
      kind: string;
      folds: { trainStart: string; testStart: string; chosenParams: Record<string, number> }[];
      overall: { pass: boolean; overfitRatio: number | null; overfitRatioStatus: string; reasons: string[] };
      trials: number;
    };
    expect(result.err).toBe('');
    expect(result.code).toBe(doc.overall.pass ? 0 : 1);
    expect(doc).toMatchObject({ schemaVersion: 1, kind: 'walk-forward' });
    // 20 years of bars, 3 years of training, 1-year tests: 16 or 17 folds, each after its training.
    expect(doc.folds.length).toBeGreaterThanOrEqual(15);
    for (const f of doc.folds) expect(f.testStart > f.trainStart).toBe(true);
    expect(doc.trials).toBe(doc.folds.length * 12);
    if (!doc.overall.pass) expect(doc.overall.reasons.length).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(join(workDir, 'results', 'runs', doc.runId, 'walk_forward.json'), 'utf8')) as { folds: unknown[] };
    expect(saved.folds).toHaveLength(doc.folds.length);
    const manifest = JSON.parse(readFileSync(join(workDir, 'results', 'runs', doc.runId, 'manifest.json'), 'utf8')) as { dataHash: string | null; commandLine: string[] };
    expect(manifest.dataHash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.commandLine.slice(0, 2)).toEqual(['backtester', 'walk-forward']);
  });

  itWithData('anchored windows all train from the first bar', async () => {
    const result = await cli('walk-forward', ...ORCL(), '--space', 'fast=5|10,slow=40', '--train', '1008', '--test', '504', '--anchored', '--purge', '5', '--workers', '1', '--json');
    const doc = JSON.parse(result.out) as { folds: { trainStart: string }[] };
    const starts = new Set(doc.folds.map((f) => f.trainStart));
    expect(starts.size).toBe(1);
  });

  itWithData('names a missing or bad flag with exit 2', async () => {
    expect((await cli('walk-forward', ...ORCL(), '--space', 'fast=5..10:5', '--test', '100')).err).toContain('--train');
    const bad = await cli('walk-forward', ...ORCL(), '--space', 'fast=5..x', '--train', '500', '--test', '100');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--space');
    expect((await cli('sweep', ...ORCL(), '--space', 'fast=5..10:5', '--objective', 'alpha')).err).toContain('--objective');
  });
});

describe('backtester sweep', () => {
  itWithData('ranks every combination as a trial, the same on 1 and 2 workers, with DSR and PBO', async () => {
    const args = ['sweep', ...ORCL(), '--space', 'fast=5..25:5,slow=30..90:30', '--json'];
    const one = JSON.parse((await cli(...args, '--workers', '1')).out) as { trials: number; invalid: number; results: { params: unknown; objective: unknown; metrics: unknown }[]; statistics: { deflatedSharpe: { value: number | null }; pbo: { value: number | null } } };
    const two = JSON.parse((await cli(...args, '--workers', '2')).out) as typeof one;
    expect(one.trials).toBe(15);
    expect(two.results).toEqual(one.results);
    expect(one.statistics.deflatedSharpe.value).not.toBeNull();
    expect(one.statistics.pbo.value).toBeGreaterThanOrEqual(0);
  });

  itWithData('says how many threads ran the sweep and how long it took', async () => {
    const result = await cli('sweep', ...ORCL(), '--space', 'fast=5|10,slow=30', '--workers', '2');
    expect(result.code).toBe(0);
    // The test clock stands still, so the sweep takes 0 s by it.
    expect(result.out).toMatch(/^sweep sma-crossover on .+: 2 trial\(s\), 0 invalid point\(s\) skipped, 2 thread\(s\), 0\.00 s$/m);
    const doc = JSON.parse((await cli('sweep', ...ORCL(), '--space', 'fast=5|10,slow=30', '--workers', '1', '--json')).out) as { sweepMs: unknown };
    expect(doc.sweepMs).toBe(0);
  });

  it('stops the worker threads it started before the data when the data cannot be loaded', async () => {
    const terminate = jest.spyOn(Worker.prototype, 'terminate');
    try {
      const missing = join(workDir, 'no-such-file.csv');
      const result = await cli('sweep', '--data', missing, '--space', 'fast=5|10,slow=30', '--workers', '2');
      expect(result.code).not.toBe(0);
      expect(result.err).toContain('no-such-file.csv');
      expect(terminate).toHaveBeenCalledTimes(1);
    } finally {
      terminate.mockRestore();
    }
  });

  itWithData('counts a point the strategy refuses as invalid, not as a trial', async () => {
    const doc = JSON.parse((await cli('sweep', ...ORCL(), '--space', 'fast=10|40,slow=30', '--workers', '1', '--json')).out) as { trials: number; invalid: number };
    expect(doc).toMatchObject({ trials: 1, invalid: 1 });
  });
});
