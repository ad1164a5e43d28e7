import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backtesterCli, runIdOf } from '../test/cli-harness';

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-report-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const cli = backtesterCli(() => workDir);

describe('backtester report: which run', () => {
  it('says there is nothing to report before any backtest run', async () => {
    const result = await cli('report');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--run-id: no backtest run in .*results\/runs: run one first/);
  });

  it('reports the latest backtest run without --run-id, never a later sweep, and refuses a sweep or walk-forward run id', async () => {
    runIdOf(await cli('run', '--bars', '300'));
    const latest = runIdOf(await cli('run', '--bars', '400'));
    const sweep = await cli('sweep', '--bars', '300', '--space', 'fast=5..10:5,slow=20..30:10');
    expect(sweep.code).toBe(0);
    const sweepId = /written: (\S+)/.exec(sweep.out)?.[1] as string;
    const walk = await cli('walk-forward', '--bars', '600', '--space', 'fast=5..10:5,slow=20..30:10', '--train', '200', '--test', '100');
    const walkId = /written: (\S+)/.exec(walk.out)?.[1] as string;

    const result = await cli('report');
    expect(result.code).toBe(0);
    expect(result.out).toBe(`report written: ${join(workDir, 'results', 'runs', latest, 'report.html')}\n`);
    expect(existsSync(join(workDir, 'results', 'runs', latest, 'report.html'))).toBe(true);

    const refusedSweep = await cli('report', '--run-id', sweepId);
    expect(refusedSweep.code).toBe(2);
    expect(refusedSweep.err).toContain(`--run-id: ${sweepId} is a sweep run: the report covers backtest runs; its results are in `);
    expect(existsSync(join(workDir, 'results', 'runs', sweepId, 'report.html'))).toBe(false);
    const refusedWalk = await cli('report', '--run-id', walkId);
    expect(refusedWalk.code).toBe(2);
    expect(refusedWalk.err).toContain(`--run-id: ${walkId} is a walk-forward run: the report covers backtest runs`);
  }, 60_000);
});

describe('backtester report: the run prices and the benchmark', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'quantbot-report-prices-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = backtesterCli(() => dir);
  const bars = (closes: readonly number[], start = Date.UTC(2024, 0, 2)): string =>
    `Date,Open,High,Low,Close,Volume\n${closes.map((c, k) => `${new Date(start + k * 86_400_000).toISOString().slice(0, 10)},${c},${c + 1},${c - 1},${c},1000`).join('\n')}\n`;

  it('re-loads the run data, refuses changed or missing data naming the file (exit 1), and reports without prices when asked', async () => {
    const closes = Array.from({ length: 120 }, (_, k) => 100 + 10 * Math.sin(k / 6) + k / 10);
    writeFileSync(join(dir, 'xyz.csv'), bars(closes));
    const runId = runIdOf(await run('run', '--data', 'xyz.csv', '--calendar', 'none', '--params', 'fast=3,slow=8', '--report'));
    const page = join(dir, 'results', 'runs', runId, 'report.html');
    // run --report draws the price-based charts from the bars the run loaded.
    expect(readFileSync(page, 'utf8')).toContain('data-chart="mae-mfe"');
    expect(readFileSync(page, 'utf8')).toContain('Prices: xyz.csv, as the run loaded it.');

    expect(await run('report')).toMatchObject({ code: 0, err: '' });
    expect(readFileSync(page, 'utf8')).toContain('data-chart="price"');
    expect(readFileSync(page, 'utf8')).toContain('SMA 3');

    writeFileSync(join(dir, 'xyz.csv'), bars(closes.map((c) => c + 1)));
    const changed = await run('report', '--run-id', runId);
    expect(changed.code).toBe(1);
    expect(changed.err).toContain(`${join(dir, 'xyz.csv')}: the run's data has changed since the run`);

    rmSync(join(dir, 'xyz.csv'));
    const gone = await run('report', '--run-id', runId);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain(`${join(dir, 'xyz.csv')}: the run's data is gone (recorded as xyz.csv in ${dir})`);

    const without = await run('report', '--run-id', runId, '--without-prices', '--out', 'without.html');
    expect(without).toMatchObject({ code: 0, err: '' });
    const html = readFileSync(join(dir, 'without.html'), 'utf8');
    expect(html).not.toContain('data-chart="price"');
    expect(html).toContain('No benchmark: the report was made with --without-prices (--benchmark &lt;file&gt; gives a benchmark without them).');
  });

  it('compares with a --benchmark bar file, and refuses a missing one (exit 2)', async () => {
    runIdOf(await run('run', '--symbols', 'AAA,BBB', '--bars', '300'));
    // Synthetic bars start on 2015-01-02: a benchmark over 2014-2017.
    writeFileSync(join(dir, 'spy.csv'), bars(Array.from({ length: 1200 }, (_, k) => 100 + k / 5 + 5 * Math.sin(k / 9)), Date.UTC(2014, 0, 2)));
    const result = await run('report', '--benchmark', 'spy.csv', '--out', 'bench.html');
    expect(result).toMatchObject({ code: 0, err: '' });
    const html = readFileSync(join(dir, 'bench.html'), 'utf8');
    expect(html).toContain('<td class="num">SPY (spy.csv)</td>');
    expect(html).toContain('data-chart="rolling-beta"');
    // A benchmark that ends before the run is said to be of no use.
    writeFileSync(join(dir, 'old.csv'), bars([10, 11, 12], Date.UTC(2001, 0, 2)));
    expect(await run('report', '--benchmark', 'old.csv', '--out', 'old.html')).toMatchObject({ code: 0, err: '' });
    expect(readFileSync(join(dir, 'old.html'), 'utf8')).toContain('No benchmark: OLD (old.csv) has no close within the run&#39;s period');
    const missing = await run('report', '--benchmark', 'nope.csv');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`--benchmark: ${join(dir, 'nope.csv')}: no such file`);
  });
});
