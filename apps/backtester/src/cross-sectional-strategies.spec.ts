import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import type { CliIo } from '@quantbot/cli';
import { sharedDataFile } from '../test/shared-data';
import { main } from './main';

// factor-long-short and ensemble from the command line: run with --check-lookahead on the
// default synthetic universe and on a folder of real files, notices on stderr and in the run
// folder, and sweep and walk-forward over their parameters.

const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-cross-sectional-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

let tick = 0;
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: workDir };
  const at = new Date(Date.UTC(2026, 2, 1, 0, 0, ++tick));
  return { code: await main(argv, io, at, () => at), out, err };
}

describe('backtester run --strategy factor-long-short', () => {
  it('runs on the default synthetic universe and passes --check-lookahead', async () => {
    const result = await cli('run', '--strategy', 'factor-long-short', '--check-lookahead');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/strategy\s+factor-long-short \(factor=1,lookback=60,skip=5,rebalance=20,quantiles=5,topQuantiles=1,allowShort=true,factorWeighted=false,grossExposure=1\)/);
    expect(result.out).toMatch(/data\s+synthetic\(seed=42,bars=2520\): SYN01,SYN02,SYN03,SYN04,SYN05/);
    expect(result.out).toMatch(/lookahead check\s+passed \(\d+ decisions compared, 20 cut-offs, warm-up 80 bars\)/);
    // A long/short book at the end: one long, one short.
    expect(result.out).toMatch(/open long \d+ SYN/);
    expect(result.out).toMatch(/open short \d+ SYN/);
  });

  it('--symbols names more synthetic symbols than the default five', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `S${String(i + 1).padStart(2, '0')}`);
    const result = await cli('run', '--strategy', 'factor-long-short', '--symbols', names.join(','), '--json');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.out) as { summary: Record<string, unknown>; openPositions: unknown[] };
    expect(doc.summary['symbols']).toBe(names.join(','));
    // Ten symbols in quintiles: two long and two short.
    expect(doc.openPositions).toHaveLength(4);
  });

  itWithData('runs on a folder of real files (ORCL, YHOO, NVDA 1995-2014) and passes --check-lookahead', async () => {
    const dir = join(workDir, 'real');
    mkdirSync(dir, { recursive: true });
    for (const f of ['orcl-1995-2014.txt', 'yhoo-1996-2014.txt', 'nvda-1999-2014.txt']) copyFileSync(sharedDataFile(f), join(dir, f));
    for (const strategy of [['factor-long-short'], ['ensemble', '--params', 'metaLearner=true,allowShort=true']]) {
      const result = await cli('run', '--data', dir, '--strategy', ...strategy, '--check-lookahead', '--json');
      expect(result.code).toBe(0);
      const doc = JSON.parse(result.out) as { summary: Record<string, unknown>; lookahead: { passed: boolean; comparedDecisions: number } };
      expect(doc.summary['symbols']).toBe('NVDA,ORCL,YHOO');
      expect(doc.lookahead.passed).toBe(true);
      expect(doc.lookahead.comparedDecisions).toBeGreaterThan(1000);
    }
  });
});

describe('backtester run --strategy ensemble --params metaLearner=true', () => {
  it('passes --check-lookahead, prints its notices on stderr (not in the JSON), records them, and verifies', async () => {
    const result = await cli('run', '--strategy', 'ensemble', '--params', 'metaLearner=true', '--check-lookahead', '--json');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.out) as { summary: Record<string, unknown>; lookahead: { passed: boolean; warmupBars: number } };
    expect(doc.lookahead).toEqual(expect.objectContaining({ passed: true, warmupBars: 560 }));
    expect(doc.summary['notices']).toBe(2);
    const lines = result.err.trim().split('\n');
    expect(lines).toEqual([
      'notice 2015-01-02 ensemble meta-learner-fallback: cannot fit (too-few-samples): 0 sample(s), fewer than minSamples 100; using the default weights trend 0.333, momentum 0.333, rsi 0.333',
      expect.stringMatching(/^notice 2015-05-22 ensemble meta-learner-fitted: fitted on 180 samples; weights trend -?\d\.\d{3}, momentum -?\d\.\d{3}, rsi -?\d\.\d{3}$/),
    ]);
    const runId = (readdirSync(join(workDir, 'results', 'runs')).filter((id) => !id.startsWith('.')).sort().at(-1)) as string;
    const folder = join(workDir, 'results', 'runs', runId);
    const recorded = readFileSync(join(folder, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(recorded.map((n) => [n['time'], n['strategy'], n['code']])).toEqual([
      ['2015-01-02T00:00:00.000Z', 'ensemble', 'meta-learner-fallback'],
      ['2015-05-22T00:00:00.000Z', 'ensemble', 'meta-learner-fitted'],
    ]);
    const summary = JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as { summary: Record<string, unknown> };
    expect(summary.summary['notices']).toBe(2);
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { deterministic: boolean }> };
    expect(manifest.artifacts['notices.jsonl']).toEqual(expect.objectContaining({ deterministic: true }));
    // The invocation log has them too, as warnings.
    const logged = readFileSync(join(workDir, 'results', 'logs', 'backtester.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; message: string; fields?: Record<string, unknown> });
    expect(logged.filter((l) => l.message === 'strategy notice').slice(-2).map((l) => [l.level, l.fields?.['code']])).toEqual([
      ['warn', 'meta-learner-fallback'],
      ['warn', 'meta-learner-fitted'],
    ]);
    const verified = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(/verified: the re-run reproduces digest [0-9a-f]{16}; 6 artifact\(s\)/);
  });

  it('without the meta-learner raises no notice, and its run folder has no notices file nor count', async () => {
    const result = await cli('run', '--strategy', 'ensemble', '--json');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.out) as { summary: Record<string, unknown> };
    expect(doc.summary).not.toHaveProperty('notices');
    const runId = readdirSync(join(workDir, 'results', 'runs')).filter((id) => !id.startsWith('.')).sort().at(-1) as string;
    expect(readdirSync(join(workDir, 'results', 'runs', runId))).not.toContain('notices.jsonl');
  });

  it('prints the notice count in the text summary', async () => {
    const result = await cli('run', '--strategy', 'ensemble', '--params', 'metaLearner=true');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/strategy notices\s+2 \(notices\.jsonl; each on stderr\)/);
    expect(result.err.match(/^notice /gm)).toHaveLength(2);
  });
});

describe('sweep and walk-forward', () => {
  it('sweep accepts factor-long-short parameters', async () => {
    const result = await cli('sweep', '--strategy', 'factor-long-short', '--space', 'rebalance=10..30:10,factor=1..3:1', '--workers', '1', '--bars', '600', '--json');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.out) as { strategy: string; trials: number; invalid: number; results: { params: Record<string, number> }[] };
    expect(doc).toEqual(expect.objectContaining({ strategy: 'factor-long-short', trials: 9, invalid: 0 }));
    expect(doc.results.map((r) => `${r.params['rebalance']}/${r.params['factor']}`).sort()).toEqual(['10/1', '10/2', '10/3', '20/1', '20/2', '20/3', '30/1', '30/2', '30/3']);
  });

  it('walk-forward accepts ensemble with the meta-learner', async () => {
    const result = await cli('walk-forward', '--strategy', 'ensemble', '--params', 'metaLearner=true', '--space', 'threshold=0.05..0.2:0.05', '--train', '756', '--test', '252', '--workers', '1', '--json');
    const doc = JSON.parse(result.out) as { folds: { chosenParams: Record<string, number> }[]; overall: { pass: boolean } };
    // Trials build their strategies without a notice channel: nothing on stderr.
    expect(result.err).toBe('');
    expect(result.code).toBe(doc.overall.pass ? 0 : 1);
    expect(doc.folds.length).toBe(7);
    for (const f of doc.folds) expect([0.05, 0.1, 0.15, 0.2]).toContain(f.chosenParams['threshold']);
  });
});
