import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumPath, chromiumPrerequisite, describeWithPrerequisite, itWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { PRICE_ZOOM_BARS } from '@quantbot/observability/report';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { backtesterCli, runIdOf } from '../test/cli-harness';
import { sharedDataFile } from '../test/shared-data';

// The page `backtester report` writes for a real-data run (ORCL) and a multi-symbol synthetic run,
// opened in a real browser: no error, no request beyond the file, every chart drawn with data,
// the CSS-only symbol and zoom picker working, and a screenshot in test-output (and, with
// UPDATE_DOCS_SCREENSHOTS=1, in docs/images for docs/observability.md). Without Chromium (or the
// shared data, for the ORCL run) the test is skipped saying so, except under CI=true.

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT_DIR = join(__dirname, '..', 'test-output');
const DOCS_IMAGES = join(__dirname, '..', '..', '..', 'docs', 'images');
const UPDATE_DOCS = process.env['UPDATE_DOCS_SCREENSHOTS'] === '1';

/** Every chart of a report made with the run's prices, in page order (price: one per symbol and zoom). */
const CHARTS = [
  'equity',
  'drawdown',
  'rolling-sharpe',
  'rolling-volatility',
  'rolling-beta',
  'exposure',
  'annual-returns',
  'monthly-returns',
  'return-distribution',
  'trade-pnl-distribution',
  'holding-times',
  'mae-mfe',
  'price',
];

jest.setTimeout(120_000);

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
  page.on('requestfailed', (request) => problems.errors.push(`requestfailed: ${request.url()}`));
  page.on('request', (request) => problems.requests.push(request.url()));
  return problems;
}

/** The data marks a chart drew: vertices of its lines and areas plus its bars, points and cells. */
async function drawnMarks(page: Page, selector: string): Promise<number> {
  return page.locator(selector).locator('g.role-mark > path').evaluateAll((paths) =>
    paths.reduce((n, p) => {
      const group = p.parentElement?.getAttribute('class') ?? '';
      const vertices = (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0;
      return n + (group.includes('mark-line') || group.includes('mark-area') ? vertices : 1);
    }, 0),
  );
}

interface TradeLine {
  readonly symbol: string;
}

/** Opens a report and checks what every report with prices must show; returns the page's problems. */
async function checkReport(browser: Browser, file: string, screenshotName: string, expected: { symbols: readonly string[]; trades: readonly TradeLine[]; bars: number }): Promise<void> {
  const url = pathToFileURL(file).href;
  // Half-scale pixels keep the full-page screenshot small enough to commit (docs/images); CSS sizes are unchanged.
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 0.5, offline: true });
  try {
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(url, { waitUntil: 'load' });
    expect(problems.errors).toEqual([]);
    expect(problems.requests).toEqual([url]);
    expect(await page.locator('script').count()).toBe(0);

    const names = await page.locator('figure.chart').evaluateAll((figures) => figures.map((f) => f.getAttribute('data-chart')));
    expect([...new Set(names)]).toEqual(CHARTS);
    // Every chart drew data: marks, and no "No data" placeholder.
    for (const chart of CHARTS) {
      const figures = page.locator(`figure[data-chart="${chart}"]`);
      for (let i = 0; i < (await figures.count()); i++) {
        const selector = `figure[data-chart="${chart}"] >> nth=${i}`;
        expect({ chart, i, noData: (await page.locator(selector).textContent())?.includes('No data') }).toEqual({ chart, i, noData: false });
        expect({ chart, i, marks: (await drawnMarks(page, selector)) > 0 }).toEqual({ chart, i, marks: true });
      }
    }
    // The equity chart draws the strategy and its benchmark, each over every bar (≤ 2,000 points).
    const equityLines = await page.locator('figure[data-chart="equity"] g.mark-line.role-mark path').evaluateAll((ps) => ps.map((p) => (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0));
    expect(equityLines).toEqual([Math.min(expected.bars, 2000), Math.min(expected.bars, 2000)]);
    // One price pane per charted symbol and zoom; the first symbol's full-range pane marks each trade's entry and exit.
    const charted = Math.min(expected.symbols.length, 8);
    expect(await page.locator('figure[data-chart="price"]').count()).toBe(charted * PRICE_ZOOM_BARS.length);
    const first = (await page.locator('#price-0-0').getAttribute('data-symbol')) as string;
    expect(await page.locator('#price-0-0 g.mark-symbol.role-mark path').count()).toBe(2 * expected.trades.filter((t) => t.symbol === first).length);
    // Tables: every symbol, every trade, five drawdown periods.
    expect(await page.locator('#symbols-table tbody tr').count()).toBe(expected.symbols.length);
    expect(await page.locator('#trades-table tbody tr').count()).toBe(Math.min(expected.trades.length, 500));
    expect(await page.locator('#drawdown-table tbody tr').count()).toBe(5);
    expect(await page.locator('#benchmark-table tr').count()).toBe(8);

    // The picker: only the chosen symbol and zoom are shown, and a click on a label switches.
    expect(await page.locator('#price-0-0').isVisible()).toBe(true);
    expect(await page.locator('figure[data-chart="price"]:visible').count()).toBe(1);
    await page.locator('label[for="price-zoom-2"]').click();
    expect(await page.locator('#price-0-2').isVisible()).toBe(true);
    expect(await page.locator('#price-0-0').isVisible()).toBe(false);
    if (charted > 1) {
      await page.locator('label[for="price-symbol-1"]').click();
      expect(await page.locator('#price-1-2').isVisible()).toBe(true);
      expect(await page.locator('figure[data-chart="price"]:visible').count()).toBe(1);
    }
    // The last-60-bars zoom draws 60 closes.
    const zoomed = await page.locator('#price-0-2 g.mark-line.role-mark path').evaluateAll((ps) => ps.map((p) => (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0));
    expect(zoomed[0]).toBe(60);
    await page.locator('label[for="price-zoom-0"]').click();
    await page.locator('label[for="price-symbol-0"]').click();
    // Tables fit the page without a horizontal scroll bar.
    expect(await page.locator('.table-wrap').evaluateAll((wraps) => wraps.filter((w) => w.scrollWidth > w.clientWidth).length)).toBe(0);

    mkdirSync(OUTPUT_DIR, { recursive: true });
    writeFileSync(join(OUTPUT_DIR, '.gitignore'), '*\n');
    const screenshot = join(OUTPUT_DIR, screenshotName);
    await page.screenshot({ path: screenshot, fullPage: true, scale: 'device' });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    if (UPDATE_DOCS) {
      expect(statSync(screenshot).size).toBeLessThan(400_000);
      mkdirSync(DOCS_IMAGES, { recursive: true });
      copyFileSync(screenshot, join(DOCS_IMAGES, screenshotName));
    }
    expect(problems.errors).toEqual([]);
  } finally {
    await context.close();
  }
}

function tradesOf(workDir: string, runId: string): TradeLine[] {
  const text = readFileSync(join(workDir, 'results', 'runs', runId, 'trades.jsonl'), 'utf8').trim();
  return text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as TradeLine);
}

describeWithPrerequisite(chromiumPrerequisite(), 'backtester report in Chromium', () => {
  let browser: Browser | undefined;
  let workDir = '';
  const cli = backtesterCli(() => workDir);

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    workDir = mkdtempSync(join(tmpdir(), 'quantbot-run-report-'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  itWithPrerequisite(realMarketDataPrerequisite(), it)('a real-data run (ORCL 2003-2005): every chart drawn with data, no errors, a screenshot', async () => {
    if (browser === undefined) throw new Error('Chromium did not start');
    copyFileSync(sharedDataFile('orcl-2003-2005.txt'), join(workDir, 'orcl.csv'));
    const runId = runIdOf(await cli('run', '--data', 'orcl.csv', '--params', 'fast=10,slow=30'));
    const report = await cli('report', '--run-id', runId);
    expect(report).toMatchObject({ code: 0, err: '' });
    const file = join(workDir, 'results', 'runs', runId, 'report.html');
    expect(readFileSync(file, 'utf8')).toContain('SMA 10');
    await checkReport(browser, file, 'run-report-orcl.png', { symbols: ['ORCL'], trades: tradesOf(workDir, runId), bars: 756 });
  });

  it('a synthetic run on four symbols with shorts: every chart drawn with data, the picker switches symbols, a screenshot', async () => {
    if (browser === undefined) throw new Error('Chromium did not start');
    const runId = runIdOf(await cli('run', '--symbols', 'AAA,BBB,CCC,DDD', '--bars', '800', '--params', 'fast=10,slow=40,allowShort=true', '--seed', '7'));
    const report = await cli('report', '--run-id', runId, '--out', 'synthetic.html');
    expect(report).toMatchObject({ code: 0, err: '' });
    const file = join(workDir, 'synthetic.html');
    expect(existsSync(file)).toBe(true);
    await checkReport(browser, file, 'run-report-synthetic.png', { symbols: ['AAA', 'BBB', 'CCC', 'DDD'], trades: tradesOf(workDir, runId), bars: 800 });
  });
});
