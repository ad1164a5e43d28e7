import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumPath, chromiumPrerequisite, describeWithPrerequisite } from '@quantbot/core/testing';
import { FACTOR_IC_ROLLING_WINDOW } from '@quantbot/observability/report';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { backtesterCli } from '../test/cli-harness';

// The tear sheet `backtester factors --report` writes, opened in a real browser: it must load
// offline with no error and no request beyond the file, and every chart must draw the data
// points the --json document says it has. Without Chromium the test is skipped with a line
// saying how to install it, except under CI=true, where it fails.

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT_DIR = join(__dirname, '..', 'test-output');

jest.setTimeout(60_000);

type Series = ({ date: string } & Record<string, number | null | string>)[];

interface Document {
  readonly periods: number[];
  readonly quantiles: number;
  readonly icSeries: Series;
  readonly spreadSeries: Series;
  readonly report: string;
}

/** Everything that went wrong while a page loaded, and every URL it requested. */
interface PageProblems {
  readonly errors: string[];
  readonly requests: string[];
  readonly dialogs: string[];
}

function watch(page: Page): PageProblems {
  const problems: PageProblems = { errors: [], requests: [], dialogs: [] };
  page.on('pageerror', (error) => problems.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.errors.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.errors.push(`requestfailed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`));
  page.on('request', (request) => problems.requests.push(request.url()));
  page.on('dialog', (dialog) => {
    problems.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return problems;
}

/** The line paths of a figure: each path's aria label and its number of vertices (M and L commands). */
async function linePaths(page: Page, figure: string): Promise<{ label: string; vertices: number }[]> {
  return page.locator(`${figure} g.mark-line path`).evaluateAll((paths) =>
    paths.map((p) => ({ label: p.getAttribute('aria-label') ?? '', vertices: (p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0 })),
  );
}

/** Dates with a value in column `period`. */
function finiteCount(series: Series, period: number): number {
  return series.filter((row) => typeof row[String(period)] === 'number').length;
}

/** Dates at which a trailing window of `window` dates is full and holds at least one value. */
function rollingCount(series: Series, period: number, window: number): number {
  let count = 0;
  for (let i = window - 1; i < series.length; i++) if (series.slice(i - window + 1, i + 1).some((row) => typeof row[String(period)] === 'number')) count++;
  return count;
}

/** Points of the cumulative spread curve: the start, then one per k-date holding that ends within the dates. */
function cumulativePoints(series: Series, period: number): number {
  const defined = series.map((row, i) => (typeof row[String(period)] === 'number' ? i : -1)).filter((i) => i >= 0);
  if (defined.length === 0) return 0;
  const [first, last] = [defined[0] as number, defined[defined.length - 1] as number];
  let holdings = 0;
  for (let d = first; d <= last && d + period < series.length; d += period) holdings++;
  return 1 + holdings;
}

describeWithPrerequisite(chromiumPrerequisite(), 'backtester factors --report in Chromium', () => {
  let browser: Browser | undefined;
  let workDir = '';
  const cli = backtesterCli(() => workDir);

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    workDir = mkdtempSync(join(tmpdir(), 'quantbot-tear-sheet-'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  it('opens offline with no errors, draws every chart with its data points, and saves a screenshot', async () => {
    if (browser === undefined) throw new Error('Chromium did not start');
    const result = await cli('factors', '--report', '--out', 'sheets', '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    const doc = JSON.parse(result.out) as Document;
    const url = pathToFileURL(doc.report).href;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
    try {
      const page = await context.newPage();
      const problems = watch(page);
      await page.goto(url, { waitUntil: 'load' });
      expect(problems.errors).toEqual([]);
      expect(problems.dialogs).toEqual([]);
      expect(problems.requests).toEqual([url]);

      expect(await page.locator('section > h2').allInnerTexts()).toEqual([
        'Information coefficient',
        'IC over time',
        'Mean forward return by quantile',
        'Top minus bottom',
        'Turnover and rank autocorrelation',
        'Findings',
      ]);
      const charts = page.locator('figure.chart svg');
      expect(await charts.count()).toBe(5);
      for (let i = 0; i < 5; i++) {
        const box = await charts.nth(i).boundingBox();
        expect(box?.width ?? 0).toBeGreaterThan(600);
        expect(box?.height ?? 0).toBeGreaterThan(100);
      }

      // IC over time: per period, the daily IC of every date that has one, and the rolling mean.
      expect(doc.periods).toEqual([1, 5, 10]);
      for (const period of doc.periods) {
        const lines = await linePaths(page, `figure[data-chart="ic-series"][data-period="${period}"]`);
        expect(lines).toHaveLength(2);
        const daily = lines.find((l) => l.label.endsWith('s: daily IC'));
        const mean = lines.find((l) => l.label.endsWith(`s: ${FACTOR_IC_ROLLING_WINDOW}-date mean`));
        expect(daily?.vertices).toBe(finiteCount(doc.icSeries, period));
        expect(mean?.vertices).toBe(rollingCount(doc.icSeries, period, FACTOR_IC_ROLLING_WINDOW));
        expect(daily?.vertices).toBeGreaterThan(200);
      }
      // One bar per quantile and period.
      expect(await page.locator('figure[data-chart="quantile-returns"] g.mark-rect path').count()).toBe(doc.quantiles * doc.periods.length);
      // One cumulative curve per period, a point per holding.
      const curves = await linePaths(page, 'figure[data-chart="cumulative-spread"]');
      expect(curves.map((c) => c.vertices)).toEqual(doc.periods.map((period) => cumulativePoints(doc.spreadSeries, period)));
      expect(curves.map((c) => c.vertices)).toEqual([252, 51, 26]);

      expect(await page.locator('#ic-table tbody tr').count()).toBe(3);
      expect(await page.locator('#quantile-returns-table tbody tr').count()).toBe(5);
      expect(await page.locator('#turnover-table tbody tr').count()).toBe(5);
      expect(await page.locator('#findings-table tbody tr').count()).toBe(3);
      // Tables fit the page at 1280 px without a horizontal scroll bar.
      expect(await page.locator('.table-wrap').evaluateAll((wraps) => wraps.filter((w) => w.scrollWidth > w.clientWidth).length)).toBe(0);

      mkdirSync(OUTPUT_DIR, { recursive: true });
      writeFileSync(join(OUTPUT_DIR, '.gitignore'), '*\n');
      const screenshot = join(OUTPUT_DIR, 'factor-tear-sheet.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(existsSync(screenshot)).toBe(true);
      expect(problems.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows a period without data as "No data", and a hostile factor name as text', async () => {
    if (browser === undefined) throw new Error('Chromium did not start');
    const name = '<img src=x onerror=alert(1)>';
    writeFileSync(join(workDir, 'tiny.csv'), `date,symbol,close,${name}\n2024-01-02,A,10,1\n2024-01-02,B,11,2\n2024-01-03,A,10.5,2\n2024-01-03,B,10.9,1\n2024-01-04,A,10.4,1\n2024-01-04,B,11.2,2\n`);
    const result = await cli('factors', '--panel', 'tiny.csv', '--factor', name, '--periods', '1,5', '--quantiles', '2', '--report', '--json');
    expect(result).toMatchObject({ code: 0, err: '' });
    const doc = JSON.parse(result.out) as Document;
    const context = await browser.newContext({ offline: true });
    try {
      const page = await context.newPage();
      const problems = watch(page);
      await page.goto(pathToFileURL(doc.report).href, { waitUntil: 'load' });
      expect(problems.errors).toEqual([]);
      expect(problems.dialogs).toEqual([]);
      expect(await page.locator('h1').innerText()).toBe(name);
      expect(await page.locator('figure.chart svg').count()).toBe(4);
      expect(await page.locator('figure[data-chart="ic-series"][data-period="5"]').innerText()).toContain('No data');
      expect((await linePaths(page, 'figure[data-chart="ic-series"][data-period="1"]')).find((l) => l.label.endsWith('s: daily IC'))?.vertices).toBe(2);
    } finally {
      await context.close();
    }
  });
});
