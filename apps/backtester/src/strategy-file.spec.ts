import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { main } from './main';

// End to end: a strategy written by `new-strategy` into a folder outside the workspace runs
// through run (with the lookahead check), sweep (default space from its ranges), walk-forward and
// replay --verify, which refuses the run once the file changed.

const WORKSPACE = resolve(__dirname, '..', '..', '..');
let workDir: string;
let tick = 0;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: workDir };
  const at = new Date(Date.UTC(2026, 1, 1, 0, 0, ++tick));
  return { code: await main(argv, io, at, () => at), out, err };
}

beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-strategy-file-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('a strategy file written by new-strategy, outside the workspace', () => {
  const file = './strategies/my-breakout.ts';

  it('scaffolds the strategy, its test and a README section, and refuses to overwrite them', async () => {
    const made = await cli('new-strategy', '--name', 'my-breakout');
    expect(made.err).toBe('');
    expect(made.code).toBe(0);
    expect(made.out).toContain('strategies/my-breakout.spec.ts');
    expect(readFileSync(join(workDir, 'strategies', 'README.md'), 'utf8')).toContain('## my-breakout');
    const again = await cli('new-strategy', '--name', 'my-breakout');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/--name.*my-breakout\.ts exists; new-strategy never overwrites/);
    expect((await cli('new-strategy', '--name', 'My_Breakout')).err).toContain('kebab-case');
  });

  it('type-checks against the published @quantbot/strategies types', () => {
    // The folder is outside the workspace: the published packages (their built .d.ts) are mapped in.
    const config = join(workDir, 'tsconfig.check.json');
    const compilerOptions = {
      noEmit: true,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      // The strategy file is what is checked, against the libraries' declarations as published.
      skipLibCheck: true,
      target: 'ES2022',
      module: 'commonjs',
      moduleResolution: 'node',
      types: [],
      baseUrl: WORKSPACE,
      paths: { '@quantbot/*': ['node_modules/@quantbot/*'] },
    };
    writeFileSync(config, JSON.stringify({ compilerOptions, files: [join(workDir, 'strategies', 'my-breakout.ts')] }));
    const tsc = spawnSync(process.execPath, [join(WORKSPACE, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], { cwd: workDir, encoding: 'utf8' });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  it('passes its generated test, run with the workspace Jest settings', () => {
    // Colours off (a parent run under Nx may force them), to read the summary line.
    const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
    const jest = spawnSync(process.execPath, [join(WORKSPACE, 'node_modules', 'jest', 'bin', 'jest.js'), '-c', join(workDir, 'strategies', 'jest.config.js'), '--ci', '--no-colors'], { cwd: WORKSPACE, encoding: 'utf8', env });
    expect(jest.stderr).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(jest.status).toBe(0);
  }, 120_000);

  let runId = '';
  it('runs a backtest with the lookahead check, recording the file and its sha256', async () => {
    const run = await cli('run', '--strategy', file, '--bars', '400', '--check-lookahead', '--json');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const document = JSON.parse(run.out) as { lookahead: { passed: boolean; comparedDecisions: number }; summary: { runId: string; strategy: string } };
    expect(document.summary.strategy).toBe('my-breakout');
    expect(document.lookahead.passed).toBe(true);
    expect(document.lookahead.comparedDecisions).toBeGreaterThan(0);
    runId = document.summary.runId;
    const manifest = JSON.parse(readFileSync(join(workDir, 'results', 'runs', runId, 'manifest.json'), 'utf8')) as { parameters: { strategyFile: { path: string; sha256: string } } };
    const { createHash } = await import('node:crypto');
    const sha256 = createHash('sha256').update(readFileSync(join(workDir, file))).digest('hex');
    expect(manifest.parameters.strategyFile).toEqual({ path: file, sha256 });
  });

  it('sweeps the default space derived from the parameter ranges, on worker threads', async () => {
    const sweep = await cli('sweep', '--strategy', file, '--bars', '400', '--workers', '2', '--json');
    expect(sweep.err).toBe('');
    expect(sweep.code).toBe(0);
    const artifact = JSON.parse(sweep.out) as { strategy: string; trials: number; settings: { strategyFile?: { sha256: string } }; space: { dimensions: { name: string; values: number[] }[] } };
    expect(artifact.strategy).toBe('my-breakout');
    // entryLookback 10..50 and exitLookback 5..25: 5 evenly spaced values each.
    expect(artifact.space.dimensions.map((d) => [d.name, d.values])).toEqual([
      ['entryLookback', [10, 20, 30, 40, 50]],
      ['exitLookback', [5, 10, 15, 20, 25]],
    ]);
    expect(artifact.trials).toBe(25);
    expect(artifact.settings.strategyFile?.sha256).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  it('walks forward over an explicit space', async () => {
    const wf = await cli('walk-forward', '--strategy', file, '--bars', '500', '--space', 'entryLookback=10|30', '--train', '250', '--test', '100', '--workers', '1', '--json');
    expect(wf.err).toBe('');
    expect([0, 1]).toContain(wf.code);
    const artifact = JSON.parse(wf.out) as { strategy: string; folds: unknown[] };
    expect(artifact.strategy).toBe('my-breakout');
    expect(artifact.folds.length).toBeGreaterThan(0);
  }, 120_000);

  it('replay --verify reproduces the run, and refuses it once the file changed', async () => {
    const verified = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(verified.code).toBe(0);
    expect(verified.out).toContain('verified: the re-run reproduces digest');
    appendFileSync(join(workDir, file), '\n// a comment is a change of content too\n');
    const changed = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(changed.code).not.toBe(0);
    expect(changed.err).toMatch(/"strategyFile":\{"path":"\.\/strategies\/my-breakout\.ts","sha256":"[0-9a-f]{64}"\}/);
    expect(changed.out).toContain('NOT verified');
  }, 60_000);

  it('refuses a strategy file that exports no definition, naming the file', async () => {
    const bad = await cli('run', '--strategy', './strategies/README.md.ts', '--bars', '100');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('./strategies/README.md.ts: cannot read the strategy file (ENOENT)');
  });
});
