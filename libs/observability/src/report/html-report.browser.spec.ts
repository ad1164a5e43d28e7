import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SeededRng } from '@quantbot/core';
import { chromiumPath, chromiumPrerequisite, describeWithPrerequisite } from '@quantbot/core/testing';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { drawdownSeries, monthlyReturns } from './html-report-charts';
import { renderRunReport } from './html-report';
import type { RunReportInput } from './html-report';
import type { TradeRecord } from '../run-records';

// A real browser opens the generated file: the report must load with no error, no request
// beyond the file itself, and charts that take up space on the page. Without Chromium the test is
// skipped with a line saying how to install it, except under CI=true, where it fails.

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUTPUT_DIR = join(__dirname, '..', '..', 'test-output');
const DAY_MS = 86_400_000;

jest.setTimeout(60_000);

/** About three years of weekday closes: a seeded random walk with drift and one sharp sell-off. */
function syntheticEquity(): { time: Float64Array; equity: Float64Array } {
  const rng = new SeededRng(20240506);
  const time: number[] = [];
  const equity: number[] = [];
  let value = 100_000;
  for (let t = Date.UTC(2021, 0, 4); t < Date.UTC(2024, 0, 1); t += DAY_MS) {
    const weekday = new Date(t).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const selloff = t >= Date.UTC(2022, 4, 2) && t < Date.UTC(2022, 5, 17);
    value *= 1 + (selloff ? -0.006 : 0.0005) + rng.nextNormal() * 0.011;
    time.push(t);
    equity.push(value);
  }
  return { time: Float64Array.from(time), equity: Float64Array.from(equity) };
}

function syntheticTrades(): TradeRecord[] {
  const rows: [string, string, number, string, number, string, number, number][] = [
    ['ORCL', 'long', 120, '2021-02-01', 84.1, '2021-03-15', 90.75, 21],
    ['ORCL', 'long', 115, '2021-06-07', 88.2, '2021-07-19', 86.05, 30],
    ['ORCL', 'short', 100, '2022-05-02', 79.4, '2022-06-13', 70.1, 30],
    ['ORCL', 'long', 140, '2022-10-03', 66.3, '2023-01-09', 81.9, 66],
    ['ORCL', 'long', 90, '2023-05-01', 94.6, '2023-06-20', 117.3, 35],
    ['ORCL', 'long', 85, '2023-09-05', 121.2, '2023-10-16', 104.4, 29],
  ];
  return rows.map(([symbol, side, qty, entry, entryPrice, exit, exitPrice, barsHeld]) => {
    const pnl = (side === 'long' ? exitPrice - entryPrice : entryPrice - exitPrice) * qty;
    const commission = 2;
    return {
      symbol,
      side,
      qty,
      entryTime: `${entry}T00:00:00.000Z`,
      entryPrice,
      exitTime: `${exit}T00:00:00.000Z`,
      exitPrice,
      pnl,
      commission,
      netPnl: pnl - commission,
      barsHeld,
    };
  });
}

function syntheticInput(): RunReportInput {
  const curve = syntheticEquity();
  const trades = syntheticTrades();
  const first = curve.equity[0] as number;
  const last = curve.equity[curve.equity.length - 1] as number;
  const maxDrawdownPct = -Math.min(...drawdownSeries(curve.equity));
  return {
    title: 'sma-crossover on ORCL <b>&</b>',
    runId: '20240506T070809Z-sma-crossover-orcl',
    summary: {
      strategy: 'sma-crossover',
      symbols: 'ORCL',
      start: '2021-01-04T00:00:00.000Z',
      end: '2023-12-29T00:00:00.000Z',
      bars: curve.time.length,
      startingEquity: 100_000,
      finalEquity: last,
      totalReturn: last / first - 1,
      cagr: (last / first) ** (1 / 3) - 1,
      annualVolatility: 0.1746,
      sharpe: 0.8123,
      sortino: 1.1342,
      maxDrawdownPct,
      calmar: null,
      closedTrades: trades.length,
      winRate: 4 / 6,
      profitFactor: 2.41,
      exposure: 0.62,
      totalCommission: 12,
      executionProfile: 'next-open',
    },
    equity: curve,
    trades,
    executionQuality: { implementationShortfallBps: 4.2, meanSlippageBps: 1.8, fillRate: 1, meanLatencyMs: 0, qualityScore: 0.93, adverseSelectionBps: null },
    dataQuality: {
      mode: 'warn',
      calendar: 'nyse',
      summary: { series: 1, bars: curve.time.length, errors: 0, warnings: 2 },
      findings: [
        { symbol: 'ORCL', check: 'missing-session', severity: 'warning', time: '2022-11-25T00:00:00.000Z', message: 'session 2022-11-25 expected by the nyse calendar is missing' },
        { symbol: '<script>alert(1)</script>', check: 'stale-price', severity: 'warning', time: null, message: '<img src=x onerror=alert(2)> close unchanged for 3 sessions' },
      ],
      repairs: 0,
    },
    guardrails: {
      state: 'active',
      accepted: 12,
      rejected: 1,
      rejectedByCode: { MAX_POSITION_NOTIONAL: 1 },
      maxIntradayDrawdownPct: 2.31,
      currentDrawdownPct: 0.4,
      transitions: [],
      limits: { maxPositionNotionalUsd: 50_000, maxOrdersPerMinute: 30 },
    },
    generatedAt: '2024-05-06T07:08:09.000Z',
  };
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

describeWithPrerequisite(chromiumPrerequisite(), 'renderRunReport in Chromium', () => {
  let browser: Browser | undefined;
  let workDir = '';

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    workDir = mkdtempSync(join(tmpdir(), 'quantbot-report-'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  it('opens offline with no errors, draws the charts that need no prices at full width, lists every trade, and saves a screenshot', async () => {
    if (browser === undefined) throw new Error('Chromium did not start');
    const input = syntheticInput();
    const file = join(workDir, 'report.html');
    writeFileSync(file, await renderRunReport(input));
    const url = pathToFileURL(file).href;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
    try {
      const page = await context.newPage();
      const problems = watch(page);
      await page.goto(url, { waitUntil: 'load' });

      expect(problems.errors).toEqual([]);
      expect(problems.dialogs).toEqual([]);
      expect(problems.requests).toEqual([url]);

      const charts = page.locator('figure.chart svg');
      const names = ['equity', 'drawdown', 'rolling-sharpe', 'rolling-volatility', 'annual-returns', 'monthly-returns', 'return-distribution', 'trade-pnl-distribution', 'holding-times'];
      expect(await charts.count()).toBe(names.length);
      expect(await page.locator('figure.chart').evaluateAll((figures) => figures.map((f) => f.getAttribute('data-chart')))).toEqual(names);
      for (let i = 0; i < names.length; i++) {
        const box = await charts.nth(i).boundingBox();
        expect(box).not.toBeNull();
        expect(box?.width ?? 0).toBeGreaterThan(600);
        expect(box?.height ?? 0).toBeGreaterThan(50);
      }

      // One labelled heatmap cell per month of the curve, and one per year in the Year column.
      const months = monthlyReturns(input.equity.time, input.equity.equity).length;
      expect(months).toBe(36);
      expect(await page.locator('figure[data-chart="monthly-returns"] .role-mark.mark-text text').count()).toBe(months + 3);

      expect(await page.locator('#trades-table tbody tr').count()).toBe(input.trades.length);
      expect(await page.locator('#findings-table tbody tr').count()).toBe(2);
      // Hostile strings arrive as text, not markup.
      expect(await page.locator('#findings-table').innerText()).toContain('<script>alert(1)</script>');
      expect(await page.locator('h1').innerText()).toBe('sma-crossover on ORCL <b>&</b>');
      expect(await page.locator('section > h2').allInnerTexts()).toEqual([
        'Summary',
        'Equity',
        'Benchmark',
        'Drawdown',
        'Rolling metrics',
        'Exposure',
        'Returns',
        'Trades',
        'Symbols',
        'Execution quality',
        'Data quality',
        'Guardrails',
      ]);
      // Tables fit the page at 1280 px without a horizontal scroll bar.
      expect(await page.locator('.table-wrap').evaluateAll((wraps) => wraps.filter((w) => w.scrollWidth > w.clientWidth).length)).toBe(0);
      // Numbers are right-aligned in the tables.
      expect(await page.locator('#trades-table tbody tr >> nth=0 >> td.num >> nth=1').evaluate((td) => td.ownerDocument.defaultView?.getComputedStyle(td).textAlign)).toBe('right');

      mkdirSync(OUTPUT_DIR, { recursive: true });
      writeFileSync(join(OUTPUT_DIR, '.gitignore'), '*\n');
      const screenshot = join(OUTPUT_DIR, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(existsSync(screenshot)).toBe(true);
      expect(problems.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renders an empty run (no trades, one bar) without errors', async () => {
    if (browser === undefined) throw new Error('Chromium did not start');
    const input: RunReportInput = {
      ...syntheticInput(),
      equity: { time: [Date.UTC(2024, 0, 2)], equity: [100_000] },
      trades: [],
      summary: {},
      guardrails: null,
    };
    const file = join(workDir, 'empty.html');
    writeFileSync(file, await renderRunReport(input));
    const context = await browser.newContext({ offline: true });
    try {
      const page = await context.newPage();
      const problems = watch(page);
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      expect(problems.errors).toEqual([]);
      expect(await page.locator('figure.chart svg').count()).toBe(7);
      expect(await page.locator('#trades').innerText()).toContain('No closed trades.');
      expect(await page.locator('#guardrails').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
