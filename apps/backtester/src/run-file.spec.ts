import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { backtesterCli, runIdOf } from '../test/cli-harness';
import type { Captured } from '../test/cli-harness';

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-run-file-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const cli = backtesterCli(() => workDir);

/** The examples the repository ships (and docs/backtester.md shows). */
const EXAMPLES = resolve(__dirname, '..', '..', '..', 'examples');

/** The flags examples/run.json and examples/run.yaml hold, written by hand. */
const EXAMPLE_FLAGS = [
  '--strategy', 'sma-crossover', '--params', 'fast=10,slow=30', '--seed', '42', '--bars', '750', '--cash', '100000',
  '--percent-of-equity', '10', '--execution-profile', 'realistic', '--risk', 'maxOrderNotional=50000,allowShort=false',
  '--kill-switch', 'haltAtDrawdownPct=20', '--check-lookahead',
];

interface Manifest {
  readonly commandLine: readonly string[];
  readonly parameters: { readonly runFile?: { readonly path: string; readonly sha256: string } };
  readonly digest: string;
  readonly artifacts: Readonly<Record<string, { readonly sha256: string }>>;
}

const manifestOf = (runId: string, root = join(workDir, 'results', 'runs')): Manifest => JSON.parse(readFileSync(join(root, runId, 'manifest.json'), 'utf8')) as Manifest;

/** The results of a run: each artifact's hash (summary, decisions, orders, trades, equity, …). */
const resultsOf = (runId: string, root?: string): Readonly<Record<string, string>> => Object.fromEntries(Object.entries(manifestOf(runId, root).artifacts).map(([name, entry]) => [name, entry.sha256]));

const runFolders = (): readonly string[] => (existsSync(join(workDir, 'results', 'runs')) ? readdirSync(join(workDir, 'results', 'runs')).sort() : []);

const writeIn = (name: string, document: unknown): string => {
  const path = join(workDir, name);
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, typeof document === 'string' ? document : JSON.stringify(document, null, 2));
  return name;
};

const ok = (result: Captured): Captured => {
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return result;
};

const writtenId = (result: Captured): string => {
  const match = /^written: (\S+)$/m.exec(result.out);
  if (match === null) throw new Error(`no run id in: ${result.out}${result.err}`);
  return match[1] as string;
};

describe('backtester run --config', () => {
  let byFlags: string;
  beforeAll(async () => {
    byFlags = runIdOf(ok(await cli('run', ...EXAMPLE_FLAGS)));
  });

  it.each(['run.json', 'run.yaml'])('runs examples/%s to the same results as the same flags', async (example) => {
    const path = join(EXAMPLES, example);
    const runId = runIdOf(ok(await cli('run', '--config', path)));
    expect(resultsOf(runId)).toEqual(resultsOf(byFlags));
    const manifest = manifestOf(runId);
    // The manifest records the resolved flags and the file's path and content hash.
    expect(manifest.commandLine).toEqual([
      'backtester', 'run', '--strategy=sma-crossover', '--params=fast=10,slow=30', '--cash=100000', '--percent-of-equity=10',
      '--execution-profile=realistic', '--seed=42', '--bars=750', '--risk=maxOrderNotional=50000,allowShort=false',
      '--kill-switch=haltAtDrawdownPct=20', '--check-lookahead',
    ]);
    expect(manifest.parameters.runFile).toEqual({ path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') });
  });

  it('lets flags override the file', async () => {
    const overridden = runIdOf(ok(await cli('run', '--config', join(EXAMPLES, 'run.json'), '--seed', '7', '--params', 'fast=5,slow=20')));
    const flags = EXAMPLE_FLAGS.map((arg) => (arg === '42' ? '7' : arg === 'fast=10,slow=30' ? 'fast=5,slow=20' : arg));
    const byHand = runIdOf(ok(await cli('run', ...flags)));
    expect(resultsOf(overridden)).toEqual(resultsOf(byHand));
    expect(resultsOf(overridden)).not.toEqual(resultsOf(byFlags));
  });

  it('is re-run identically by replay --verify, without the file', async () => {
    const file = writeIn('verify/run.json', { seed: 5, bars: 300, params: { fast: 5, slow: 20 }, 'audit-log': 'audit.jsonl' });
    const runId = runIdOf(ok(await cli('run', '--config', file)));
    expect(existsSync(join(workDir, 'verify', 'audit.jsonl'))).toBe(true);
    rmSync(join(workDir, file));
    const verified = await cli('replay', '--run-id', runId, '--verify', '--limit', '1');
    expect(verified.err).toBe('');
    expect(verified.out).toContain('verified: the re-run reproduces digest');
    expect(verified.code).toBe(0);
  });

  it('resolves relative paths in the file from its folder', async () => {
    const file = writeIn('configs/paths.json', { seed: 3, bars: 300, 'results-dir': 'out', 'audit-log': '../logs/audit.jsonl' });
    mkdirSync(join(workDir, 'logs'));
    const result = ok(await cli('run', '--config', file));
    const runId = runIdOf(result);
    expect(existsSync(join(workDir, 'configs', 'out', runId, 'manifest.json'))).toBe(true);
    expect(existsSync(join(workDir, 'logs', 'audit.jsonl'))).toBe(true);
    expect(manifestOf(runId, join(workDir, 'configs', 'out')).commandLine).toEqual(['backtester', 'run', '--seed=3', '--bars=300', `--audit-log=${join('logs', 'audit.jsonl')}`, `--results-dir=${join('configs', 'out')}`]);
  });

  it('--print-config prints the resolved configuration with the defaults, runs nothing, and reads back as a run file', async () => {
    const file = writeIn('print.yaml', 'seed: 9\nparams: { fast: 5, slow: 20 }\nrisk: maxOrderNotional=50000\n');
    const before = runFolders();
    const printed = ok(await cli('run', '--config', file, '--bars', '300', '--print-config'));
    expect(runFolders()).toEqual(before);
    expect(JSON.parse(printed.out)).toEqual({
      strategy: 'sma-crossover',
      params: { fast: 5, slow: 20 },
      cash: 100000,
      size: 100,
      'execution-profile': 'idealistic',
      'fill-model': 'simulator',
      seed: 9,
      bars: 300,
      'data-quality': 'warn',
      'max-bar-move-pct': 50,
      calendar: 'weekdays',
      risk: { maxOrderNotional: 50000 },
      'results-dir': 'results/runs',
    });
    // The printed configuration, as a run file, runs the same as the file and flag it came from.
    const reprinted = writeIn('printed.json', printed.out);
    const fromPrinted = runIdOf(ok(await cli('run', '--config', reprinted)));
    const fromFile = runIdOf(ok(await cli('run', '--config', file, '--bars', '300')));
    expect(resultsOf(fromPrinted)).toEqual(resultsOf(fromFile));
  });

  it.each([
    ['an unknown key', 'bad/unknown.json', '{\n  "seed": 1,\n  "colour": "red"\n}', /bad\/unknown\.json:3: key 'colour': not a flag of backtester run/],
    ['a wrong type', 'bad/type.yaml', 'bars: many\n', /bad\/type\.yaml:1: key 'bars': must be a number, got "many"/],
    ["walk-forward's key", 'bad/command.json', '{"train": 250}', /key 'train': --train is a flag of backtester walk-forward, not of backtester run/],
    ["sweep's key", 'bad/sweep.json', '{"space": "fast=5..10:5"}', /key 'space': --space is a flag of backtester (sweep|walk-forward), not of backtester run/],
  ])('refuses %s with exit 2, naming the file and key', async (_what, name, text, message) => {
    writeIn(name, text);
    const result = await cli('run', '--config', name);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  it('refuses a missing file with exit 2, naming it', async () => {
    const result = await cli('run', '--config', 'missing.json');
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${join(workDir, 'missing.json')}: no such file`);
  });
});

describe('backtester sweep and walk-forward --config', () => {
  it('sweep: a run file gives the same sweep as the flags, and records the file', async () => {
    const file = writeIn('sweep.yaml', 'seed: 4\nbars: 300\nspace:\n  fast: 5|10\n  slow: 30\nworkers: 1\n');
    const fromFile = writtenId(ok(await cli('sweep', '--config', file)));
    const byFlags = writtenId(ok(await cli('sweep', '--seed', '4', '--bars', '300', '--space', 'fast=5|10,slow=30', '--workers', '1')));
    expect(resultsOf(fromFile)).toEqual(resultsOf(byFlags));
    expect(manifestOf(fromFile).commandLine).toEqual(['backtester', 'sweep', '--seed=4', '--bars=300', '--space=fast=5|10,slow=30', '--workers=1']);
    expect(manifestOf(fromFile).parameters.runFile?.path).toBe(join(workDir, file));
  });

  it('walk-forward: a run file gives the same folds as the flags; flags override it', async () => {
    const file = writeIn('wf.json', { seed: 6, bars: 400, space: { fast: '5|10', slow: 30 }, train: 150, test: 100, workers: 1 });
    const fromFile = await cli('walk-forward', '--config', file, '--test', '50');
    const byFlags = await cli('walk-forward', '--seed', '6', '--bars', '400', '--space', 'fast=5|10,slow=30', '--train', '150', '--test', '50', '--workers', '1');
    expect(fromFile.err).toBe(byFlags.err);
    expect(fromFile.code).toBe(byFlags.code);
    expect(resultsOf(writtenId(fromFile))).toEqual(resultsOf(writtenId(byFlags)));
  });

  it('walk-forward --print-config fills in its own defaults', async () => {
    const file = writeIn('wf-print.json', { space: 'fast=5|10,slow=30', train: 150, test: 50 });
    const printed = JSON.parse(ok(await cli('walk-forward', '--config', file, '--print-config')).out) as Record<string, unknown>;
    expect(printed).toMatchObject({ space: { fast: '5|10', slow: 30 }, objective: 'sharpe', search: 'grid', train: 150, test: 50, step: 50, purge: 0, embargo: 0, 'max-overfit-ratio': 2, 'min-oos-sharpe': 0 });
    expect(printed['risk']).toBeUndefined();
  });

  it("sweep refuses run's key", async () => {
    writeIn('sweep-bad.json', { 'audit-log': 'a.jsonl' });
    const result = await cli('sweep', '--config', 'sweep-bad.json');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/sweep-bad\.json:2: key 'audit-log': --audit-log is a flag of backtester run, not of backtester sweep/);
  });
});
