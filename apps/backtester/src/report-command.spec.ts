import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { parseEquityCsv, verifyRunFiles, writeRunArtifacts } from '@quantbot/observability';
import type { SweepArtifact, WalkForwardArtifact } from '@quantbot/validation';
import { backtesterCli, runIdOf } from '../test/cli-harness';
import { sharedDataFile } from '../test/shared-data';

let workDir: string;
beforeAll(() => (workDir = mkdtempSync(join(tmpdir(), 'quantbot-report-'))));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const cli = backtesterCli(() => workDir);
const itWithData = itWithPrerequisite(realMarketDataPrerequisite(), it);

const runs = (): string => join(workDir, 'results', 'runs');
const writtenId = (out: string): string => /written: (\S+)/.exec(out)?.[1] as string;
const readJson = <T>(runId: string, name: string): T => JSON.parse(readFileSync(join(runs(), runId, name), 'utf8')) as T;

/** The `data-chart` names of a page's figures, in order. */
function charts(html: string): string[] {
  return [...html.matchAll(/<figure class="chart" data-chart="([a-z-]+)"/g)].map((m) => m[1] as string);
}

/** A run folder holding only `artifacts` (as a run of another kind, or an older version, would). */
function writeFolder(runId: string, artifacts: { name: string; content: string }[]): void {
  writeRunArtifacts({
    root: runs(),
    runId,
    artifacts: artifacts.map((a) => ({ ...a, deterministic: true })),
    manifest: { startedAt: '2020-01-01T00:00:00.000Z', finishedAt: '2020-01-01T00:00:01.000Z', codeVersion: null, commandLine: ['test'], parameters: { data: 'made by the test' }, seed: 0, dataHash: null },
  });
}

describe('backtester report: which run', () => {
  it('says there is nothing to report before any backtest run', async () => {
    const result = await cli('report');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--run-id: no backtest run in .*results\/runs: run one first/);
  });

  it('reports the latest backtest run without --run-id, never a later sweep; a sweep or walk-forward id gets its own report', async () => {
    runIdOf(await cli('run', '--bars', '300'));
    const latest = runIdOf(await cli('run', '--bars', '400'));
    const sweep = await cli('sweep', '--bars', '300', '--space', 'fast=5..10:5,slow=20..30:10', '--workers', '1');
    expect(sweep.code).toBe(0);
    const sweepId = writtenId(sweep.out);
    const walk = await cli('walk-forward', '--bars', '600', '--space', 'fast=5..10:5,slow=20..30:10', '--train', '200', '--test', '100', '--workers', '1');
    const walkId = writtenId(walk.out);

    const result = await cli('report');
    expect(result.code).toBe(0);
    expect(result.out).toBe(`report written: ${join(runs(), latest, 'report.html')}\n`);
    expect(existsSync(join(runs(), latest, 'report.html'))).toBe(true);

    const sweepReport = await cli('report', '--run-id', sweepId);
    expect(sweepReport).toEqual({ code: 0, out: `report written: ${join(runs(), sweepId, 'report.html')}\n`, err: '' });
    const sweepHtml = readFileSync(join(runs(), sweepId, 'report.html'), 'utf8');
    expect(sweepHtml).toContain('<div class="eyebrow">Quantbot sweep report</div>');
    expect(charts(sweepHtml)).toEqual(['objective-heatmap', 'trial-sharpe']);
    // One heatmap cell per trial of the 2 × 2 grid, one histogram bar at least.
    const heatmap = /data-chart="objective-heatmap"[\s\S]*?<\/figure>/.exec(sweepHtml)?.[0] ?? '';
    expect(heatmap.match(/aria-roledescription="rect mark" d=/g)?.length).toBe(4 + 1); // the cells and the chosen one's outline
    const sweepDoc = readJson<SweepArtifact>(sweepId, 'sweep.json');
    expect(sweepHtml.match(/<tr(?: class="chosen")?><td class="num">\d+<\/td>/g)).toHaveLength(sweepDoc.results.length);

    const walkReport = await cli('report', '--run-id', walkId, '--out', 'wf.html');
    expect(walkReport).toEqual({ code: 0, out: `report written: ${join(workDir, 'wf.html')}\n`, err: '' });
    const walkHtml = readFileSync(join(workDir, 'wf.html'), 'utf8');
    expect(walkHtml).toContain('<div class="eyebrow">Quantbot walk-forward report</div>');
    expect(charts(walkHtml)).toEqual(['fold-sharpe', 'chosen-params', 'oos-equity']);
    const walkDoc = readJson<WalkForwardArtifact>(walkId, 'walk_forward.json');
    expect(walkHtml.match(/<tr><td class="num">\d+<\/td><td class="time period">/g)).toHaveLength(walkDoc.folds.length);
    // A report written into a run folder is derived: the folder still verifies.
    expect(verifyRunFiles(runs(), sweepId).ok).toBe(true);
  }, 60_000);

  it('records the stitched out-of-sample curve of a walk-forward in oos_equity.csv, listed in the manifest', async () => {
    const walk = await cli('walk-forward', '--bars', '700', '--space', 'fast=5..10:5,slow=20', '--train', '200', '--test', '150', '--workers', '1');
    const walkId = writtenId(walk.out);
    const doc = readJson<WalkForwardArtifact>(walkId, 'walk_forward.json');
    const curve = parseEquityCsv(readFileSync(join(runs(), walkId, 'oos_equity.csv'), 'utf8'), 'oos_equity.csv');
    expect(doc.folds).toHaveLength(3);
    expect(curve.time).toHaveLength(doc.overall.oosPeriod.bars);
    expect(new Date(curve.time[0] as number).toISOString()).toBe(doc.folds[0]?.testStart);
    expect(new Date(curve.time[curve.time.length - 1] as number).toISOString()).toBe(doc.folds[2]?.testEnd);
    // The curve chains the folds' returns from the starting cash: its end is the recorded total return.
    expect((curve.equity[curve.equity.length - 1] as number) / doc.settings.startingCash - 1).toBeCloseTo(doc.overall.oosMetrics.totalReturn as number, 10);
    expect(verifyRunFiles(runs(), walkId)).toMatchObject({ ok: true, checked: 3 });
  }, 60_000);

  it('reports a walk-forward recorded before oos_equity.csv existed, saying how to get the curve', async () => {
    const walk = await cli('walk-forward', '--bars', '600', '--space', 'fast=5..10:5,slow=20', '--train', '200', '--test', '100', '--workers', '1');
    const content = readFileSync(join(runs(), writtenId(walk.out), 'walk_forward.json'), 'utf8');
    writeFolder('old-walk-forward', [{ name: 'walk_forward.json', content }]);
    const result = await cli('report', '--run-id', 'old-walk-forward');
    expect(result.code).toBe(0);
    const html = readFileSync(join(runs(), 'old-walk-forward', 'report.html'), 'utf8');
    expect(html).toContain('This run folder has no <code>oos_equity.csv</code>');
    expect(html).toContain('<span>made by the test</span>');
  }, 60_000);

  it('refuses a run of another kind naming --run-id, and a damaged document naming the file', async () => {
    writeFolder('other-kind', [{ name: 'notes.json', content: '{}\n' }]);
    const other = await cli('report', '--run-id', 'other-kind');
    expect(other.code).toBe(2);
    expect(other.err).toContain('--run-id: other-kind has no report: it is not a backtest, sweep or walk-forward run (it has none of summary.json, sweep.json, walk_forward.json; its files: notes.json)');
    expect(existsSync(join(runs(), 'other-kind', 'report.html'))).toBe(false);

    writeFolder('bad-sweep', [{ name: 'sweep.json', content: '{"kind":"walk-forward"}\n' }]);
    const bad = await cli('report', '--run-id', 'bad-sweep');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain(join(runs(), 'bad-sweep', 'sweep.json'));
    expect(bad.err).toContain('expected a sweep document (kind "sweep")');
  });

  itWithData('reports a sweep and a walk-forward on real ORCL daily bars', async () => {
    const data = ['--data', sharedDataFile('orcl-1995-2014.txt')];
    const sweep = await cli('sweep', ...data, '--space', 'fast=5..20:5,slow=50..150:50', '--workers', '2');
    expect(sweep.code).toBe(0);
    const sweepId = writtenId(sweep.out);
    expect((await cli('report', '--run-id', sweepId)).code).toBe(0);
    const sweepHtml = readFileSync(join(runs(), sweepId, 'report.html'), 'utf8');
    expect(charts(sweepHtml)).toEqual(['objective-heatmap', 'trial-sharpe']);
    expect(sweepHtml).toMatch(/<tr><th>Data<\/th><td>[^<]*orcl-1995-2014\.txt/);

    const walk = await cli('walk-forward', ...data, '--space', 'fast=5..20:5,slow=50..150:50', '--train', '1000', '--test', '500', '--workers', '2');
    const walkId = writtenId(walk.out);
    expect((await cli('report', '--run-id', walkId)).code).toBe(0);
    const walkHtml = readFileSync(join(runs(), walkId, 'report.html'), 'utf8');
    const doc = readJson<WalkForwardArtifact>(walkId, 'walk_forward.json');
    expect(doc.folds.length).toBeGreaterThanOrEqual(7);
    expect(walkHtml.match(/<tr><td class="num">\d+<\/td><td class="time period">/g)).toHaveLength(doc.folds.length);
    // The verdict and the overfit ratio on the page are the document's.
    expect(walkHtml).toContain(`<span class="badge ${doc.overall.pass ? 'badge-pass">PASS' : 'badge-fail">FAIL'}</span>`);
  }, 120_000);
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
