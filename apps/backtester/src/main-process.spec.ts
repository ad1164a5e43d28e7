import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

  it('run whose stdout reader goes away (| head) finishes its run folder, says so on stderr and exits 0, with no stack trace', async () => {
    const child = spawn(process.execPath, [MAIN, 'run', '--bars', '20000', '--json', '--quiet', '--results-dir', 'runs'], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    // Like `| head -c 1`: the reader takes the first chunk, then closes its end of the pipe (the
    // document, about 0.8 MB, is far larger than a pipe holds).
    let printed = '';
    child.stdout.once('data', (chunk: Buffer) => {
      printed = chunk.toString('utf8');
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: 'backtester: standard output was closed by its reader (EPIPE); the rest of what was to be printed there is not printed\n' });
    expect(printed.startsWith('{')).toBe(true);
    const [runId] = readdirSync(join(workDir, 'runs'));
    expect(existsSync(join(workDir, 'runs', String(runId), 'manifest.json'))).toBe(true);
  });

  it('keeps the exit code: 2 for a usage error, with the error on stderr', () => {
    const run = backtester('run', '--bogus-flag');
    expect(run.status).toBe(2);
    expect(String(run.stderr)).toMatch(/^error: --bogus-flag: unknown flag/);
  });
});
