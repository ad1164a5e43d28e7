import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The built command line, as a user runs it (the test target builds it first). */
const MAIN = join(__dirname, '..', 'dist', 'main.js');

/**
 * Packages `backtester run` must not load: each serves another command or an option the run did
 * not ask for (a run file, a meta-learner, a report, factor research, metrics, Postgres, HTTP,
 * strategy files) and is loaded on first use.
 */
const NOT_ON_THE_RUN_PATH = ['yaml', 'ml-matrix', 'ml-regression', 'vega', 'vega-lite', 'arquero', 'prom-client', 'pg', 'pg-boss', 'undici', 'jiti'];

describe('backtester as a process', () => {
  let workDir: string;
  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'qb-main-process-'));
    // Lists the packages the process loaded when it exits.
    writeFileSync(
      join(workDir, 'list-packages.cjs'),
      `process.on('exit', () => {
        const names = new Set();
        for (const file of Object.keys(require.cache)) { const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file); if (m) names.add(m[1].replace('\\\\', '/')); }
        require('node:fs').writeFileSync(${JSON.stringify(join(workDir, 'packages.json'))}, JSON.stringify([...names]));
      });`,
    );
  });
  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  const backtester = (...args: string[]): ReturnType<typeof spawnSync> & { stdout: string } =>
    spawnSync(process.execPath, ['-r', join(workDir, 'list-packages.cjs'), MAIN, ...args], { cwd: workDir, encoding: 'utf8', maxBuffer: 1 << 28 });

  it('run prints its whole --json document, exits 0 and loads none of the packages other commands and options need', () => {
    const run = backtester('run', '--bars', '400', '--json', '--quiet', '--results-dir', 'runs');
    expect(run.status).toBe(0);
    const document = JSON.parse(run.stdout) as { summary: { runId: string } };
    expect(readdirSync(join(workDir, 'runs'))).toEqual([document.summary.runId]);
    const loaded = JSON.parse(readFileSync(join(workDir, 'packages.json'), 'utf8')) as string[];
    expect(loaded).toContain('winston');
    expect(loaded.filter((name) => NOT_ON_THE_RUN_PATH.includes(name))).toEqual([]);
  });

  it('keeps the exit code: 2 for a usage error, with the error on stderr', () => {
    const run = backtester('run', '--bogus-flag');
    expect(run.status).toBe(2);
    expect(String(run.stderr)).toMatch(/^error: --bogus-flag: unknown flag/);
  });
});
