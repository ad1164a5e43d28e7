import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumPath, chromiumPrerequisite, describeWithPrerequisite } from '@quantbot/core/testing';
import { parseEquityCsv } from '@quantbot/observability';
import type { SweepArtifact, WalkForwardArtifact } from '@quantbot/validation';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { backtesterCli } from '../test/cli-harness';

// The sweep and walk-forward reports `backtester report --run-id` writes, opened in a real
// browser: each must load offline with no error and no request beyond the file, every chart must
// draw its data, and the heatmap's selectors must switch the heatmap without a script. Screenshots
// go to test-output/; with UPDATE_DOCS_SCREENSHOTS=1 they also replace the ones docs/ shows.
// Without Chromium the test is skipped with a line saying how to install it, except under
// CI=true, where it fails.

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT_DIR = join(__dirname, '..', 'test-output');
const DOCS_IMAGES = join(__dirname, '..', '..', '..', 'docs', 'images');
const MAX_DOCS_IMAGE_BYTES = 400_000;

jest.setTimeout(120_000);

/** Everything that went wrong while a page loaded, and every URL it requested. */
interface PageProblems {
  readonly errors: string[];
  readonly requests: string[];
}

function watch(page: Page): PageProblems {
  const problems: PageProblems = { errors: [], requests: [] };
  page.on('pageerror', (error) => problems.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.errors.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.errors.push(`requestfailed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`));
  page.on('request', (request) => problems.requests.push(request.url()));
  return problems;
}

/** The data marks (rect paths with a data label) of the visible figure(s) matching `figure`. */
function visibleMarks(page: Page, figure: string, mark: 'rect' | 'line' | 'symbol' | 'rule'): Promise<number> {
  return page.locator(`${figure}:visible g.mark-${mark}.role-mark path[aria-label], ${figure}:visible g.mark-${mark}.role-mark line[aria-label]`).count();
}

/** Vertices (M and L commands) of each line of a figure. */
async function lineVertices(page: Page, figure: string): Promise<number[]> {
  return page.locator(`${figure} g.mark-line.role-mark path`).evaluateAll((paths) => paths.map((p) => (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0));
}

async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  writeFileSync(join(OUTPUT_DIR, '.gitignore'), '*\n');
  const file = join(OUTPUT_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(10_000);
  if (process.env['UPDATE_DOCS_SCREENSHOTS'] === '1') {
    expect(statSync(file).size).toBeLessThan(MAX_DOCS_IMAGE_BYTES);
    mkdirSync(DOCS_IMAGES, { recursive: true });
    copyFileSync(file, join(DOCS_IMAGES, name));
  }
}

describeWithPrerequisite(chromiumPrerequisite(), 'backtester report of a sweep and a walk-forward in Chromium', () => {
  let browser: Browser | undefined;
  let workDir = '';
  const cli = backtesterCli(() => workDir);
  const runFile = (runId: string, name: string): string => join(workDir, 'results', 'runs', runId, name);

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    workDir = mkdtempSync(join(tmpdir(), 'quantbot-validation-report-'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  async function open(url: string, run: (page: Page, problems: PageProblems) => Promise<void>): Promise<void> {
    if (browser === undefined) throw new Error('Chromium did not start');
    const context = await browser.newContext({ viewport: { width: 1180, height: 900 }, offline: true });
    try {
      const page = await context.newPage();
      const problems = watch(page);
      await page.goto(url, { waitUntil: 'load' });
      await run(page, problems);
      expect(problems.errors).toEqual([]);
      expect(problems.requests).toEqual([url]);
    } finally {
      await context.close();
    }
  }

  it('sweep: draws the heatmap, switches axes and slices with the selectors, ranks the trials and draws the Sharpe distribution', async () => {
    const sweep = await cli('sweep', '--bars', '1500', '--space', 'fast=5..25:5,slow=30..90:20,allowShort=false|true', '--workers', '2');
    expect(sweep.code).toBe(0);
    const runId = /written: (\S+)/.exec(sweep.out)?.[1] as string;
    expect((await cli('report', '--run-id', runId)).code).toBe(0);
    const doc = JSON.parse(readFileSync(runFile(runId, 'sweep.json'), 'utf8')) as SweepArtifact;
    expect(doc.results).toHaveLength(40);
    const best = doc.results[0] as SweepArtifact['results'][number];

    await open(pathToFileURL(runFile(runId, 'report.html')).href, async (page) => {
      expect(await page.locator('section > h2').allInnerTexts()).toEqual(['Objective over two parameters', 'Ranked trials', 'Distribution of trial Sharpe ratios', 'Sweep']);
      // One heatmap on show: fast × slow through the chosen trial, a cell per (fast, slow), the chosen one outlined.
      const heatmap = 'figure[data-chart="objective-heatmap"]';
      expect(await page.locator(`${heatmap}:visible`).count()).toBe(1);
      expect(await page.locator(`${heatmap}:visible`).getAttribute('data-x')).toBe('fast');
      expect(await page.locator(`${heatmap}:visible`).getAttribute('data-y')).toBe('slow');
      expect(await visibleMarks(page, heatmap, 'rect')).toBe(5 * 4 + 1);
      const box = await page.locator(`${heatmap}:visible svg`).boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(300);
      expect(await page.locator('label[for="hm-p0-v0"]').innerText()).toBe(`at the chosen trial: allowShort=${String(best.params['allowShort'])}`);

      // Axes slow × allowShort: a cell per (slow, allowShort) with fast at the chosen value.
      await page.locator('label[for="hm-p2"]').click();
      expect(await page.locator(`${heatmap}:visible`).getAttribute('data-x')).toBe('slow');
      expect(await page.locator(`${heatmap}:visible`).getAttribute('data-y')).toBe('allowShort');
      expect(await visibleMarks(page, heatmap, 'rect')).toBe(4 * 2 + 1);
      // The best over the others: every (slow, allowShort) cell, still with the chosen trial outlined.
      await page.locator('label[for="hm-p2-v1"]').click();
      expect(await page.locator('#hm-view-2-1').isVisible()).toBe(true);
      expect(await visibleMarks(page, heatmap, 'rect')).toBe(4 * 2 + 1);
      // Another slice: fast held at another value, the chosen trial not in it.
      await page.locator('label[for="hm-p2-v2"]').click();
      expect(await visibleMarks(page, heatmap, 'rect')).toBe(4 * 2);
      await page.locator('label[for="hm-p0"]').click();

      expect(await page.locator('#trials-table tbody tr').count()).toBe(40);
      expect(await page.locator('#trials-table tbody tr.chosen td').first().innerText()).toBe('1');
      expect(await page.locator('#ranking .stat-label').allInnerTexts()).toEqual(expect.arrayContaining(['Deflated Sharpe ratio (DSR)', 'Probability of backtest overfitting (PBO)']));
      // The histogram's bars hold every trial that has a Sharpe ratio.
      const counts = await page.locator('figure[data-chart="trial-sharpe"] g.mark-rect.role-mark path').evaluateAll((bars) => bars.map((b) => Number(/count: (\d+)/.exec(b.getAttribute('aria-label') ?? '')?.[1] ?? NaN)));
      expect(counts.length).toBeGreaterThan(1);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(doc.results.filter((t) => t.metrics.sharpe !== null).length);
      await saveScreenshot(page, 'sweep-report.png');
    });
  });

  it('walk-forward: draws IS vs OOS per fold, the chosen parameters and the stitched out-of-sample curve', async () => {
    const walk = await cli('walk-forward', '--bars', '2000', '--space', 'fast=5..20:5,slow=30..90:30', '--train', '500', '--test', '250', '--workers', '2');
    const runId = /written: (\S+)/.exec(walk.out)?.[1] as string;
    expect((await cli('report', '--run-id', runId)).code).toBe(0);
    const doc = JSON.parse(readFileSync(runFile(runId, 'walk_forward.json'), 'utf8')) as WalkForwardArtifact;
    const curve = parseEquityCsv(readFileSync(runFile(runId, 'oos_equity.csv'), 'utf8'), 'oos_equity.csv');
    expect(doc.folds).toHaveLength(6);

    await open(pathToFileURL(runFile(runId, 'report.html')).href, async (page) => {
      expect(await page.locator('section > h2').allInnerTexts()).toEqual(['In sample vs out of sample by fold', 'Chosen parameters by fold', 'Stitched out-of-sample equity', 'Overfit ratio and verdict', 'Walk-forward']);
      // A bar per fold and sample whose Sharpe ratio is defined.
      const defined = doc.folds.reduce((n, f) => n + (f.inSample.sharpe !== null ? 1 : 0) + (f.outOfSample.sharpe !== null ? 1 : 0), 0);
      expect(defined).toBeGreaterThan(6);
      expect(await visibleMarks(page, 'figure[data-chart="fold-sharpe"]', 'rect')).toBe(defined);
      expect(await page.locator('#folds-table tbody tr').count()).toBe(6);
      // Chosen parameters: one line per parameter, a point per fold.
      expect(await lineVertices(page, 'figure[data-chart="chosen-params"]')).toEqual([6, 6]);
      expect(await page.locator('#chosen-table tbody tr').count()).toBe(6);
      // The stitched curve: a line per fold, every test bar drawn, a rule where each fold starts.
      const vertices = await lineVertices(page, 'figure[data-chart="oos-equity"]');
      expect(vertices).toHaveLength(6);
      expect(vertices.reduce((a, b) => a + b, 0)).toBe(curve.time.length);
      expect(curve.time).toHaveLength(6 * 250);
      expect(await visibleMarks(page, 'figure[data-chart="oos-equity"]', 'rule')).toBe(6);
      const ratio = await page.locator('#overfitting .stat').filter({ hasText: 'Overfit ratio' }).locator('.stat-value').innerText();
      expect(ratio).toBe(doc.overall.overfitRatio !== null ? doc.overall.overfitRatio.toFixed(3) : doc.overall.overfitRatioStatus === 'infinite' ? '∞ (no out-of-sample edge)' : 'undefined (no in-sample edge)');
      expect(await page.locator('.badge').innerText()).toBe(doc.overall.pass ? 'PASS' : 'FAIL');
      await saveScreenshot(page, 'walk-forward-report.png');
    });
  });
});
