import { DataError } from '@quantbot/core';
import { chartSampleIndices, drawdownSeries, monthlyReturns } from './html-report-charts';
import { REPORT_MAX_FINDING_ROWS, REPORT_MAX_HEATMAP_YEARS, REPORT_MAX_TRADE_ROWS, renderRunReport } from './html-report';
import type { RunReportInput } from './html-report';
import type { TradeRecord } from '../run-records';
import { formatSummaryMetric } from '../summary-metric-format';
import { barReturns, benchmarkStatistics, buyAndHoldCurve } from './run-analytics';
import { REPORT_MAX_PRICE_SYMBOLS } from './run-report-sections';

const DAY_MS = 86_400_000;
const HOSTILE = '<script>alert(1)</script>';

function trade(overrides: Partial<TradeRecord> = {}): TradeRecord {
  return {
    symbol: 'ORCL',
    side: 'long',
    qty: 100,
    entryTime: '2021-01-04T00:00:00.000Z',
    entryPrice: 80.5,
    exitTime: '2021-02-01T00:00:00.000Z',
    exitPrice: 85.25,
    pnl: 475,
    commission: 2,
    netPnl: 473,
    barsHeld: 20,
    ...overrides,
  };
}

/** A small but complete input: 5 daily bars in January 2021, one trade, one finding. */
function baseInput(overrides: Partial<RunReportInput> = {}): RunReportInput {
  const t0 = Date.UTC(2021, 0, 4);
  return {
    title: 'sma-crossover on ORCL',
    runId: 'run-20210104-abc',
    summary: { totalReturn: 0.1234, cagr: 0.05, sharpe: 1.25, maxDrawdownPct: 25, finalEquity: 112_340, closedTrades: 1, profitFactor: null },
    equity: { time: [t0, t0 + DAY_MS, t0 + 2 * DAY_MS, t0 + 3 * DAY_MS, t0 + 4 * DAY_MS], equity: [100, 120, 90, 130, 117] },
    trades: [trade()],
    executionQuality: { implementationShortfallBps: 3.5, fillRate: 1, qualityScore: null },
    dataQuality: {
      mode: 'warn',
      calendar: 'nyse',
      summary: { bars: 5, errors: 0 },
      findings: [{ symbol: 'ORCL', check: 'missing-session', severity: 'warning', time: '2021-01-06T00:00:00.000Z', message: 'session missing' }],
      repairs: 0,
    },
    guardrails: { state: 'active', accepted: 12, rejected: 2, rejectedByCode: { MAX_POSITION: 2 } },
    generatedAt: '2024-05-06T07:08:09.000Z',
    ...overrides,
  };
}

/** The HTML of the section with this id (from its opening tag to its closing tag). */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  if (start < 0) throw new Error(`section ${id} not found`);
  return html.slice(start, html.indexOf('</section>', start));
}

function bodyRowCount(html: string, tableId: string): number {
  const start = html.indexOf(`id="${tableId}"`);
  if (start < 0) throw new Error(`table ${tableId} not found`);
  const tbody = html.slice(html.indexOf('<tbody>', start), html.indexOf('</tbody>', start));
  return (tbody.match(/<tr>/g) ?? []).length;
}

/** Compares a numeric series value by value: NaN where expected, else equal to 10 decimals. */
function expectSeries(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((want, i) => {
    const got = actual[i] as number;
    if (Number.isNaN(want)) expect(got).toBeNaN();
    else expect(got).toBeCloseTo(want, 10);
  });
}

describe('drawdownSeries', () => {
  it('measures percent below the running peak', () => {
    expectSeries(drawdownSeries([100, 120, 90, 130, 117]), [0, 0, -25, 0, -10]);
  });

  it('is zero for a flat or rising curve', () => {
    expectSeries(drawdownSeries([50, 50, 60, 70]), [0, 0, 0, 0]);
  });

  it('gives NaN at non-finite values without moving the peak', () => {
    expectSeries(drawdownSeries([NaN, 100, Infinity, 50]), [NaN, 0, NaN, -50]);
  });

  it('is undefined (NaN) while the peak is not positive', () => {
    expectSeries(drawdownSeries([0, -10, 5, 4]), [NaN, NaN, 0, -20]);
  });

  it('is -100 % when equity is wiped out', () => {
    expectSeries(drawdownSeries([200, 0]), [0, -100]);
  });

  it('returns an empty series for an empty curve', () => {
    expect(drawdownSeries([]).length).toBe(0);
  });
});

describe('monthlyReturns', () => {
  it('measures each month from the previous month-end, and the first month from the first equity', () => {
    const time = [Date.UTC(2021, 0, 4), Date.UTC(2021, 0, 29), Date.UTC(2021, 1, 1), Date.UTC(2021, 1, 26)];
    const result = monthlyReturns(time, [100, 110, 104, 99]);
    expect(result.map((r) => [r.year, r.month])).toEqual([
      [2021, 1],
      [2021, 2],
    ]);
    expect(result[0]?.returnPct).toBeCloseTo(10, 10); // 110 / 100
    expect(result[1]?.returnPct).toBeCloseTo(-10, 10); // 99 / 110
  });

  it('crosses year ends and skips months without steps', () => {
    const time = [Date.UTC(2020, 11, 1), Date.UTC(2020, 11, 31, 21), Date.UTC(2021, 0, 4), Date.UTC(2021, 2, 31)];
    const result = monthlyReturns(time, [200, 220, 198, 217.8]);
    expect(result.map((r) => [r.year, r.month])).toEqual([
      [2020, 12],
      [2021, 1],
      [2021, 3],
    ]);
    expect(result[0]?.returnPct).toBeCloseTo(10, 10); // 220 / 200
    expect(result[1]?.returnPct).toBeCloseTo(-10, 10); // 198 / 220
    expect(result[2]?.returnPct).toBeCloseTo(10, 10); // 217.8 / 198: February has no step
  });

  it('uses UTC months: 23:59 on the last day belongs to that month', () => {
    const time = [Date.UTC(2021, 0, 31, 23, 59), Date.UTC(2021, 1, 1, 0, 0)];
    expect(monthlyReturns(time, [100, 150]).map((r) => r.month)).toEqual([1, 2]);
  });

  it('gives 0 % for a single bar and nothing for an empty curve', () => {
    expect(monthlyReturns([Date.UTC(2022, 5, 15)], [1000])).toEqual([{ year: 2022, month: 6, returnPct: 0 }]);
    expect(monthlyReturns([], [])).toEqual([]);
  });

  it('ignores steps with a non-finite time or equity', () => {
    const time = [Date.UTC(2021, 0, 4), Date.UTC(2021, 0, 5), NaN, Date.UTC(2021, 0, 7)];
    const result = monthlyReturns(time, [100, NaN, 500, 120]);
    expect(result).toHaveLength(1);
    expect(result[0]?.returnPct).toBeCloseTo(20, 10);
  });

  it('rejects time and equity of different lengths', () => {
    expect(() => monthlyReturns([1, 2], [100])).toThrow(DataError);
  });
});

describe('chartSampleIndices', () => {
  it('keeps a short series whole', () => {
    expect(Array.from(chartSampleIndices([3, 1, 2], 4))).toEqual([0, 1, 2]);
  });

  it('keeps the first and last point and each bucket’s min and max, in order', () => {
    // 10 values, 6 points: 2 buckets over indices 1..8 → [1..4] and [5..8].
    const values = [5, 3, 9, 1, 4, 7, 0, 8, 6, 2];
    expect(Array.from(chartSampleIndices(values, 6))).toEqual([0, 2, 3, 6, 7, 9]);
  });

  it('never drops the deepest trough of a long curve', () => {
    const n = 1_000_000;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = 1000 + Math.sin(i / 5000) * 50;
    values[654_321] = 1;
    const picked = chartSampleIndices(values, 2000);
    expect(picked.length).toBeLessThanOrEqual(2000);
    expect(picked[0]).toBe(0);
    expect(picked[picked.length - 1]).toBe(n - 1);
    expect(Array.from(picked)).toContain(654_321);
    for (let i = 1; i < picked.length; i++) expect(picked[i]).toBeGreaterThan(picked[i - 1] as number);
  });

  it('rejects fewer than 4 points', () => {
    expect(() => chartSampleIndices([1, 2, 3, 4, 5], 3)).toThrow('maxPoints');
  });
});

describe('renderRunReport', () => {
  it('renders every section in order, each with an h2', async () => {
    const html = await renderRunReport(baseInput());
    const ids = ['summary', 'equity', 'benchmark', 'drawdown', 'rolling', 'exposure', 'returns', 'trades', 'symbols', 'execution-quality', 'data-quality', 'guardrails'];
    const positions = ids.map((id) => html.indexOf(`<section id="${id}"`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const id of ids) expect(section(html, id)).toMatch(/<h2>[^<]+<\/h2>/);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('draws the charts that need no prices as inline SVG inside their figures, and says why the others are missing', async () => {
    const html = await renderRunReport(baseInput({ marketNote: 'the data file is gone.' }));
    const charts = [...html.matchAll(/<figure class="chart" data-chart="([a-z-]+)"><svg/g)].map((m) => m[1]);
    expect(charts).toEqual(['equity', 'drawdown', 'rolling-sharpe', 'rolling-volatility', 'annual-returns', 'monthly-returns', 'return-distribution', 'trade-pnl-distribution', 'holding-times']);
    expect((html.match(/<svg/g) ?? []).length).toBe(charts.length);
    expect(section(html, 'benchmark')).toContain('No benchmark: the data file is gone.');
    expect(section(html, 'exposure')).toContain('Exposure needs the run&#39;s prices: the data file is gone.');
    expect(section(html, 'symbols')).toContain('The price chart needs the run&#39;s prices: the data file is gone.');
  });

  it('references no network resource and runs no script', async () => {
    const html = await renderRunReport(baseInput());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect(html).toContain('http-equiv="Content-Security-Policy"');
  });

  it('escapes every input string', async () => {
    const html = await renderRunReport(
      baseInput({
        title: `${HOSTILE} & "quotes"`,
        runId: HOSTILE,
        summary: { [HOSTILE]: HOSTILE },
        trades: [trade({ symbol: HOSTILE, side: HOSTILE, entryTime: HOSTILE })],
        dataQuality: {
          mode: HOSTILE,
          calendar: HOSTILE,
          findings: [{ symbol: HOSTILE, check: HOSTILE, severity: HOSTILE, time: HOSTILE, message: `<img src=x onerror=alert(1)>` }],
          repairs: 0,
        },
        guardrails: { [HOSTILE]: { nested: HOSTILE }, list: [{ reason: HOSTILE }] },
        generatedAt: HOSTILE,
      }),
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(section(html, 'trades')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(section(html, 'data-quality')).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('prints the summary as a table, non-finite numbers as a dash', async () => {
    const html = await renderRunReport(baseInput({ summary: { totalReturn: 0.1234, sharpe: NaN, calmar: Infinity, profitFactor: null, bars: 1234567 } }));
    const summary = section(html, 'summary');
    expect(summary).toContain('<table class="kv">');
    expect(summary).toMatch(/Total return<\/th><td class="num">12\.34%<\/td>/);
    expect(summary).toMatch(/Sharpe<\/th><td class="num muted">—<\/td>/);
    expect(summary).toMatch(/Calmar<\/th><td class="num muted">—<\/td>/);
    expect(summary).toMatch(/Profit factor<\/th><td class="num muted">—<\/td>/);
    expect(summary).toMatch(/Bars<\/th><td class="num">1,234,567<\/td>/);
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it('shows each metric in the tiles and the table as formatSummaryMetric renders it', async () => {
    const summary = { totalReturn: 3.0515, cagr: 0.1234, sharpe: 1.23456, maxDrawdownPct: 22.1, finalEquity: 405150.5, closedTrades: 8, winRate: 0.375, turnover: 2.5 };
    const html = await renderRunReport(baseInput({ summary }));
    const tiles = /<div class="tiles">[\s\S]*?\n<nav>/.exec(html)?.[0] ?? '';
    const table = section(html, 'summary');
    const expected: Record<string, string> = { totalReturn: '305.15%', cagr: '12.34%', sharpe: '1.235', maxDrawdownPct: '22.10%', finalEquity: '405150.50', closedTrades: '8', winRate: '37.50%', turnover: '2.500x' };
    for (const [key, text] of Object.entries(expected)) {
      expect(formatSummaryMetric(key, summary[key as keyof typeof summary])).toBe(text);
      expect(table).toContain(`title="${key}">`);
      expect(table).toMatch(new RegExp(`title="${key}">[^<]*</th><td class="num">${text.replace(/[.$]/g, '\\$&')}</td>`));
    }
    for (const key of ['totalReturn', 'cagr', 'sharpe', 'maxDrawdownPct', 'finalEquity', 'closedTrades']) {
      expect(tiles).toContain(`<div class="tile-value${key === 'maxDrawdownPct' || key === 'finalEquity' || key === 'closedTrades' ? '' : ' pos'}">${expected[key] ?? ''}</div>`);
    }
  });

  it('computes drawdown statistics from the full curve', async () => {
    const drawdown = section(await renderRunReport(baseInput()), 'drawdown');
    expect(drawdown).toContain('<span class="stat-label">Max drawdown</span><span class="stat-value">25.00%</span>'); // 120 → 90
    expect(drawdown).toContain('2021-01-05'); // the peak
    expect(drawdown).toContain('2021-01-06'); // the trough
    expect(drawdown).toContain('<span class="stat-label">Current</span><span class="stat-value">10.00%</span>'); // 117 vs 130
  });

  it('colours the heatmap on a scale symmetric around 0 and labels every month', async () => {
    // Month-ends 100 → 110 (+10 %) → 107.8 (−2 %) → 107.8 (0 %).
    const time = [Date.UTC(2021, 0, 4), Date.UTC(2021, 0, 29), Date.UTC(2021, 1, 26), Date.UTC(2021, 2, 31)];
    const monthly = section(await renderRunReport(baseInput({ equity: { time, equity: [100, 110, 107.8, 107.8] } })), 'returns');
    expect(monthly).toContain("Gradient legend titled 'Monthly return (%)' for fill color with values from −10.0 to 10.0");
    const labels = [...monthly.matchAll(/<text[^>]*>([+−-]?\d+\.\d)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(expect.arrayContaining(['+10.0', '−2.0', '+0.0']));
    expect(monthly).toContain('10.00% (2021-01)'); // best, formatted as every percent of the page
    expect(monthly).toContain('-2.00% (2021-02)'); // worst
    expect(monthly).toContain('>Year</text>'); // the yearly column: 100 → 107.8
    expect(monthly).toContain('>+7.8</text>');
  });

  it('shows at most the most recent 40 years in the heatmap and says so', async () => {
    const years = REPORT_MAX_HEATMAP_YEARS + 5;
    const time = Array.from({ length: years * 12 }, (_, i) => Date.UTC(1970 + Math.floor(i / 12), i % 12, 15));
    const equity = time.map((_, i) => 100 + i);
    const returns = section(await renderRunReport(baseInput({ equity: { time, equity } })), 'returns');
    const monthly = returns.slice(returns.indexOf('<h3>Monthly returns</h3>'), returns.indexOf('<h3>Distribution of returns per bar</h3>'));
    expect(monthly).toContain('5 earlier years are left out');
    expect(monthly).toContain('>2014</text>');
    expect(monthly).toContain('>1975</text>');
    expect(monthly).not.toContain('>1974</text>');
    expect(monthly).toMatch(/Months<\/span><span class="stat-value">540</);
  });

  it('lists every trade with right-aligned numbers, up to the cap', async () => {
    const html = await renderRunReport(baseInput({ trades: [trade(), trade({ netPnl: -12.5, pnl: -10.5 })] }));
    expect(bodyRowCount(html, 'trades-table')).toBe(2);
    expect(section(html, 'trades')).toContain('<td class="num neg">-12.50</td>');
    expect(section(html, 'trades')).not.toContain('left out');
  });

  it('lists only the first 500 trades and says how many were left out', async () => {
    const trades = Array.from({ length: REPORT_MAX_TRADE_ROWS + 23 }, (_, i) => trade({ qty: i + 1 }));
    const html = await renderRunReport(baseInput({ trades }));
    expect(bodyRowCount(html, 'trades-table')).toBe(500);
    expect(section(html, 'trades')).toContain('Showing the first 500 of 523 trades; 23 left out');
  });

  it('caps the findings table at 200 rows with a note', async () => {
    const findings = Array.from({ length: REPORT_MAX_FINDING_ROWS + 5 }, (_, i) => ({ symbol: 'ORCL', check: 'ohlc', severity: i % 2 === 0 ? 'error' : 'warning', time: null, message: `finding ${i}` }));
    const html = await renderRunReport(baseInput({ dataQuality: { mode: 'strict', calendar: null, findings, repairs: 3 } }));
    const dq = section(html, 'data-quality');
    expect(bodyRowCount(html, 'findings-table')).toBe(200);
    expect(dq).toContain('Showing the first 200 of 205 findings; 5 left out');
    expect(dq).toMatch(/Error<\/span><span class="stat-value">103</);
    expect(dq).toMatch(/Calendar<\/span><span class="stat-value">none</);
    expect(dq).toMatch(/Repairs<\/span><span class="stat-value">3</);
  });

  it('shows guardrails as key/value when given, and leaves the section out otherwise', async () => {
    const withGuardrails = section(await renderRunReport(baseInput()), 'guardrails');
    expect(withGuardrails).toMatch(/Accepted<\/th><td class="num">12<\/td>/);
    expect(withGuardrails).toMatch(/MAX_POSITION<\/th><td class="num">2<\/td>/);
    expect(await renderRunReport(baseInput({ guardrails: null }))).not.toContain('id="guardrails"');
    expect(await renderRunReport(baseInput({ guardrails: undefined }))).not.toContain('id="guardrails"');
  });

  it('prints generatedAt in the footer', async () => {
    const html = await renderRunReport(baseInput());
    expect(html).toMatch(/<footer>[^<]*2024-05-06T07:08:09\.000Z/);
  });

  it.each([
    ['no bars', [] as number[], [] as number[]],
    ['a single bar', [Date.UTC(2021, 0, 4)], [100_000]],
    ['a flat curve', [Date.UTC(2021, 0, 4), Date.UTC(2021, 1, 4), Date.UTC(2021, 2, 4)], [100, 100, 100]],
  ])('renders a valid page for %s with no trades', async (_label, time, equity) => {
    const html = await renderRunReport(baseInput({ equity: { time, equity }, trades: [], summary: {}, executionQuality: {}, dataQuality: { mode: 'off', calendar: null, findings: [], repairs: 0 }, guardrails: null }));
    expect((html.match(/<svg/g) ?? []).length).toBe(7);
    expect(section(html, 'trades')).toContain('No closed trades.');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('downsamples a long curve for the charts but computes statistics from every point', async () => {
    const n = 100_000;
    const time = new Float64Array(n);
    const equity = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      time[i] = Date.UTC(2000, 0, 1) + i * 60_000;
      equity[i] = 100_000 + i;
    }
    equity[77_777] = 50_000; // a one-bar crash the charts and the statistics must both show
    const html = await renderRunReport(baseInput({ equity: { time, equity } }));
    expect(section(html, 'equity')).toContain('at most 2,000 of the 100,000 points');
    const drawdown = section(html, 'drawdown');
    const expectedPct = ((1 - 50_000 / (100_000 + 77_776)) * 100).toFixed(2);
    expect(drawdown).toContain(`<span class="stat-value">${expectedPct}%</span>`);
    // The one-bar crash survives downsampling: both charts' axes reach down to it.
    expect(drawdown).toContain("Y-axis titled 'Drawdown (%)' for a linear scale with values from −80 to 0");
    expect(section(html, 'equity')).toContain("Y-axis titled 'Equity' for a linear scale with values from 40k");
    expect(html.length).toBeLessThan(1_000_000);
  });

  it('rejects an equity curve whose arrays differ in length', async () => {
    await expect(renderRunReport(baseInput({ equity: { time: [1, 2], equity: [1] } }))).rejects.toThrow(DataError);
  });
});

describe('renderRunReport with prices, fills and a benchmark', () => {
  const t0 = Date.UTC(2021, 0, 4);
  const time = Array.from({ length: 10 }, (_, k) => t0 + k * DAY_MS);
  const closeA = [10, 11, 12, 11, 13, 12, 14, 15, 14, 16];
  const closeB = [20, 19, 21, 22, 21, 23, 22, 24, 25, 24];
  const equity = [1000, 1010, 1020, 1010, 1030, 1020, 1040, 1050, 1040, 1060];
  function market(symbols = 2): RunReportInput['market'] {
    return {
      source: 'test bars',
      symbols: Array.from({ length: symbols }, (_, s) => ({
        symbol: s === 0 ? 'AAA' : s === 1 ? 'BBB' : `S${s}`,
        time,
        high: (s % 2 === 0 ? closeA : closeB).map((c) => c + 1),
        low: (s % 2 === 0 ? closeA : closeB).map((c) => c - 1),
        close: s % 2 === 0 ? closeA : closeB,
        indicators: [{ name: 'SMA 3', values: closeA.map((_, k) => (k < 2 ? NaN : ((closeA[k] as number) + (closeA[k - 1] as number) + (closeA[k - 2] as number)) / 3)) }],
      })),
      fills: [
        { time: time[1] as number, symbol: 'AAA', qty: 10 },
        { time: time[5] as number, symbol: 'AAA', qty: -10 },
      ],
    };
  }
  const trades = [trade({ symbol: 'AAA', entryTime: new Date(time[1] as number).toISOString(), entryPrice: 11, exitTime: new Date(time[5] as number).toISOString(), exitPrice: 12, qty: 10, pnl: 10, commission: 0, netPnl: 10, barsHeld: 4 })];

  it('prints the benchmark statistics the analytics compute, formatted as the summary formats them', async () => {
    const html = await renderRunReport(baseInput({ equity: { time, equity }, trades, market: market(), summary: { totalReturn: 0.06, winRate: 0.375 } }));
    const benchmark = buyAndHoldCurve(time.length, [closeA, closeB], 1000);
    const stats = benchmarkStatistics(barReturns(equity), barReturns(benchmark), 252);
    const table = section(html, 'benchmark');
    expect(table).toContain('Buy and hold of 2 symbols, equal weight');
    expect(table).toContain(`<td class="num">${formatSummaryMetric('beta', stats.beta)}</td>`);
    expect(table).toContain(`<td class="num">${formatSummaryMetric('alpha', stats.alpha)}</td>`);
    expect(table).toContain(`<td class="num">${formatSummaryMetric('trackingError', stats.trackingError)}</td>`);
    expect(table).toContain(`<td class="num">${formatSummaryMetric('informationRatio', stats.informationRatio)}</td>`);
    expect(table).toContain(`<td class="num">${formatSummaryMetric('correlation', stats.correlation)}</td>`);
    // One formatting for a metric everywhere: the tile and the table agree, and a win rate is a percent.
    expect(html).toContain('<div class="tile-value pos">6.00%</div>');
    expect(section(html, 'summary')).toContain('<td class="num">6.00%</td>');
    expect(section(html, 'summary')).toContain('<td class="num">37.50%</td>');
    expect(section(html, 'symbols')).toContain('<td class="num">100.00%</td>'); // AAA's one trade won
  });

  it('draws every chart, a price pane per symbol and zoom, and the drawdown periods', async () => {
    const html = await renderRunReport(baseInput({ equity: { time, equity }, trades, market: market() }));
    const charts = [...new Set([...html.matchAll(/<figure class="chart" data-chart="([a-z-]+)"/g)].map((m) => m[1]))];
    expect(charts).toEqual(['equity', 'drawdown', 'rolling-sharpe', 'rolling-volatility', 'rolling-beta', 'exposure', 'annual-returns', 'monthly-returns', 'return-distribution', 'trade-pnl-distribution', 'holding-times', 'mae-mfe', 'price']);
    expect((html.match(/data-chart="price"/g) ?? []).length).toBe(2 * 3);
    expect(html).toContain('#price-symbol-1:checked ~ #price-zoom-2:checked ~ .price-panes #price-1-2 { display: block; }');
    expect(html).not.toMatch(/<script/i);
    // Equity 1000 → … the deepest fall is 1020 → 1010 (0.98 %), listed first.
    expect(bodyRowCount(html, 'drawdown-table')).toBe(3);
    expect(section(html, 'drawdown')).toMatch(/<td>2021-01-06<\/td><td>2021-01-07<\/td><td>2021-01-08<\/td><td class="num neg">0.98%<\/td>/);
    // AAA held from bar 1 to bar 4 (the sell fills at bar 5): 4 of 10 bars.
    expect(section(html, 'symbols')).toMatch(/<td>AAA<\/td><td class="num">1<\/td><td class="num pos">10.00<\/td><td class="num">100.00%<\/td><td class="num">40.00%<\/td>/);
    expect(section(html, 'symbols')).toContain('SMA 3');
  });

  it('uses a given benchmark instead of the buy-and-hold, charts at most 8 symbols and says so', async () => {
    const html = await renderRunReport(baseInput({ equity: { time, equity }, trades, market: market(10), benchmark: { label: 'SPY (spy.csv)', time, close: closeB } }));
    expect(section(html, 'benchmark')).toContain('SPY (spy.csv)');
    const stats = benchmarkStatistics(barReturns(equity), barReturns(closeB), 252);
    expect(section(html, 'benchmark')).toContain(`<td class="num">${formatSummaryMetric('beta', stats.beta)}</td>`);
    expect((html.match(/data-chart="price"/g) ?? []).length).toBe(REPORT_MAX_PRICE_SYMBOLS * 3);
    expect(section(html, 'symbols')).toContain('2 more left out');
    expect(bodyRowCount(html, 'symbols-table')).toBe(10);
  });

  it('prints guardrail durations as durations and their percents as percents', async () => {
    const html = await renderRunReport(baseInput({ guardrails: { timeInStateMs: { active: 93_657_600_000, halted: 90_000 }, maxIntradayDrawdownPct: 2.31 } }));
    const guardrails = section(html, 'guardrails');
    expect(guardrails).toContain('>Time in state</th>');
    expect(guardrails).toContain('<td class="num">1,084.0 days</td>');
    expect(guardrails).toContain('<td class="num">1.5 min</td>');
    expect(guardrails).toContain('<td class="num">2.31%</td>');
    expect(guardrails).not.toContain('(ms)');
  });
});
