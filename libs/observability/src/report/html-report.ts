import { DataError } from '@quantbot/core';
import {
  REPORT_MAX_CHART_POINTS,
  drawdownSeries,
  monthlyReturns,
  renderDrawdownChart,
  renderEquityChart,
  renderMonthlyReturnsChart,
} from './html-report-charts';
import type { MonthlyReturn, ReportChartName } from './html-report-charts';
import { PAGE_CSS, escapeHtml, formatDurationMs, formatFixed, formatInteger, formatIsoTimeSafe, formatNumber, formatTimeLabel, numCell, statLine } from './html-page';
import { renderLinesChart } from './run-report-charts';
import {
  PICKER_CSS,
  analyticsContext,
  annualReturnsFigure,
  benchmarkSection,
  drawdownPeriodsTable,
  exposureSection,
  returnDistributionFigure,
  rollingSection,
  symbolsSection,
  tradeChartsHtml,
} from './run-report-sections';
import type { AnalyticsContext, AnalyticsInput, RunReportBenchmark, RunReportMarket, SectionHtml } from './run-report-sections';
import type { TradeRecord } from '../run-records';
import { formatSummaryMetric, hasSummaryMetricFormat } from '../summary-metric-format';

/** At most this many trades are listed; the report says how many were left out. */
export const REPORT_MAX_TRADE_ROWS = 500;
/** At most this many data-quality findings are listed; the report says how many were left out. */
export const REPORT_MAX_FINDING_ROWS = 200;
/** The monthly-returns heatmap shows at most this many (most recent) years. */
export const REPORT_MAX_HEATMAP_YEARS = 40;

/** One data-quality finding as the report lists it. */
export interface RunReportFinding {
  readonly symbol: string;
  readonly check: string;
  /** `error`, `warning` or `info` are styled; any other value is shown as it is. */
  readonly severity: string;
  /** ISO 8601, or null for a finding about the whole series. */
  readonly time: string | null;
  readonly message: string;
}

/** What `renderRunReport` shows. Nothing is read from files or clocks: every value is passed in. */
export interface RunReportInput {
  /** The page title, e.g. `sma-crossover on ORCL`. */
  readonly title: string;
  readonly runId: string;
  /**
   * Headline metrics, shown as a table in the order given. By the engine's convention returns
   * and ratios are fractions (`0.12` = 12 %) except keys ending in `Pct`, which are percent; the
   * table and the headline tiles (`totalReturn`, `cagr`, `sharpe`, `maxDrawdownPct`,
   * `finalEquity`, `closedTrades`) show each metric as `formatSummaryMetric` does, as the
   * terminal summary does.
   */
  readonly summary: Readonly<Record<string, number | string | null>>;
  /** Equity at each step's close; `time` is epoch ms. Both arrays have the same length. */
  readonly equity: { readonly time: ArrayLike<number>; readonly equity: ArrayLike<number> };
  readonly trades: readonly TradeRecord[];
  /** Execution-quality statistics, shown as a key/value table. */
  readonly executionQuality: Readonly<Record<string, number | null>>;
  readonly dataQuality: {
    readonly mode: string;
    readonly calendar: string | null;
    readonly summary?: Readonly<Record<string, number | string | null>> | null;
    readonly findings: readonly RunReportFinding[];
    /** Number of values the opt-in repair changed or added. */
    readonly repairs: number;
  };
  /** The order gateway's statistics (state, accepted, rejected, rejectedByCode, ...); the section is left out when absent. */
  readonly guardrails?: Readonly<Record<string, unknown>> | null;
  /** When the report was generated, ISO 8601; printed in the footer. */
  readonly generatedAt: string;
  /**
   * The run's prices, fills and the strategy's indicators: the benchmark (by default a buy-and-hold
   * of these symbols), exposure, MAE/MFE and the price charts come from them. Absent or null: those
   * parts print `marketNote` instead.
   */
  readonly market?: RunReportMarket | null;
  /** Why `market` is absent, printed where a price-based chart would be (default: the prices were not given). */
  readonly marketNote?: string;
  /** The benchmark to compare with instead of the buy-and-hold of `market`'s symbols. */
  readonly benchmark?: RunReportBenchmark | null;
  /** Bars per year for annualising; default the summary's `periodsPerYear`, else detected from `equity.time` (`detectBarInterval`), else 252. */
  readonly periodsPerYear?: number;
}

/**
 * Renders a run as one self-contained HTML page: inline CSS, charts as inline SVG rendered on
 * the server with Vega-Lite, no scripts and no external resources (a Content-Security-Policy
 * forbids loading any), so the file opens offline and can be archived with the run.
 *
 * Sections, in order, each an element with an `id` and an `<h2>`: `summary`, `equity`,
 * `drawdown`, `monthly-returns`, `trades`, `execution-quality`, `data-quality` and, when
 * `guardrails` is given, `guardrails`. Charts are `<figure class="chart" data-chart="...">`.
 * Long curves are downsampled for the charts only (`REPORT_MAX_CHART_POINTS`); every statistic
 * the page prints uses the full data. Every string from the input is HTML-escaped, and
 * non-finite numbers print as `—`.
 *
 * @throws DataError when `equity.time` and `equity.equity` differ in length.
 * @throws ReportRenderError when a chart cannot be rendered.
 */
export async function renderRunReport(input: RunReportInput): Promise<string> {
  const { time, equity } = input.equity;
  if (time.length !== equity.length) {
    throw new DataError(`time has ${time.length} values but equity has ${equity.length}`, { field: 'equity' });
  }
  const analytics: AnalyticsInput = {
    summary: input.summary,
    time,
    equity,
    trades: input.trades,
    market: input.market ?? null,
    benchmark: input.benchmark ?? null,
    marketNote: input.marketNote ?? 'the prices were not given to the report.',
    periodsPerYear: input.periodsPerYear,
  };
  const ctx = analyticsContext(analytics);
  const drawdown = drawdownSeries(equity);
  const months = monthlyReturns(time, equity);
  const heatmapYears = recentYears(months, REPORT_MAX_HEATMAP_YEARS);
  const [equitySvg, drawdownSvg, monthlySvg, rolling, exposure, annual, distribution, tradeCharts, symbols] = await Promise.all([
    equityChart(time, equity, ctx),
    renderDrawdownChart(time, drawdown),
    renderMonthlyReturnsChart(heatmapYears.shown, ctx.annual),
    rollingSection(analytics, ctx),
    exposureSection(analytics, ctx),
    annualReturnsFigure(ctx),
    returnDistributionFigure(ctx),
    tradeChartsHtml(analytics, ctx),
    symbolsSection(analytics, ctx),
  ]);

  const sections: SectionHtml[] = [
    { id: 'summary', title: 'Summary', body: summarySection(input.summary) },
    { id: 'equity', title: 'Equity', body: equitySection(equity, equitySvg, ctx) },
    { id: 'benchmark', title: 'Benchmark', body: benchmarkSection(analytics, ctx) },
    { id: 'drawdown', title: 'Drawdown', body: `${drawdownSection(time, drawdown, drawdownSvg)}\n${drawdownPeriodsTable(time, equity)}` },
    { id: 'rolling', title: 'Rolling metrics', body: rolling },
    { id: 'exposure', title: 'Exposure', body: exposure },
    { id: 'returns', title: 'Returns', body: `${annual}\n<h3>Monthly returns</h3>\n${monthlySection(months, heatmapYears.omittedYears, monthlySvg)}\n${distribution}` },
    { id: 'trades', title: 'Trades', body: `${tradesSection(input.trades)}\n${tradeCharts}` },
    { id: 'symbols', title: 'Symbols', body: symbols.html },
    { id: 'execution-quality', title: 'Execution quality', body: keyValueTable(input.executionQuality) },
    { id: 'data-quality', title: 'Data quality', body: dataQualitySection(input.dataQuality) },
  ];
  if (input.guardrails !== undefined && input.guardrails !== null) {
    sections.push({ id: 'guardrails', title: 'Guardrails', body: guardrailsSection(input.guardrails) });
  }
  return page(input, sections, symbols.css);
}

/** The equity line, with the benchmark's dashed beside it when there is one. */
function equityChart(time: ArrayLike<number>, equity: ArrayLike<number>, ctx: AnalyticsContext): Promise<string> {
  if (ctx.benchmark === null) return renderEquityChart(time, equity);
  return renderLinesChart(
    'equity',
    time,
    [
      { name: 'Strategy', color: '#2563eb', values: equity },
      { name: ctx.benchmark.label, color: '#9ca3af', values: ctx.benchmark.values, dashed: true },
    ],
    { description: 'Equity over time with the benchmark', yTitle: 'Equity', height: 260, yFormat: '~s' },
  );
}

// ---------------------------------------------------------------------------------------------
// Page

function page(input: RunReportInput, sections: readonly SectionHtml[], extraCss: string): string {
  const { time } = input.equity;
  const n = time.length;
  const period = n > 0 ? `${formatTimeLabel(formatIsoTimeSafe(time[0] as number))} → ${formatTimeLabel(formatIsoTimeSafe(time[n - 1] as number))}` : 'no equity data';
  const nav = sections.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`).join('');
  const body = sections
    .map((s) => `<section id="${s.id}" class="card">\n<h2>${escapeHtml(s.title)}</h2>\n${s.body}\n</section>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="Quantbot">
<title>${escapeHtml(input.title)} · ${escapeHtml(input.runId)}</title>
<style>${PAGE_CSS}${PICKER_CSS}${extraCss}</style>
</head>
<body>
<header class="page-header">
<div class="eyebrow">Quantbot run report</div>
<h1>${escapeHtml(input.title)}</h1>
<div class="meta"><span>Run <code>${escapeHtml(input.runId)}</code></span><span>${escapeHtml(period)}</span><span>${formatInteger(n)} bars</span></div>
${headlineTiles(input.summary)}
<nav>${nav}</nav>
</header>
<main>
${body}
</main>
<footer>Generated ${escapeHtml(input.generatedAt)} by Quantbot · times in UTC · self-contained page, no network access needed</footer>
</body>
</html>
`;
}

/** The headline tiles: the best-known metrics of `summary`, when present. */
function headlineTiles(summary: Readonly<Record<string, number | string | null>>): string {
  const tiles: string[] = [];
  const add = (key: string, label: string, format: (value: number) => string, signed: boolean): void => {
    if (!Object.prototype.hasOwnProperty.call(summary, key)) return;
    const value = summary[key];
    const text = typeof value === 'number' ? format(value) : value === null || value === undefined ? '—' : value;
    const tone = signed && typeof value === 'number' && Number.isFinite(value) && value !== 0 ? (value > 0 ? ' pos' : ' neg') : '';
    tiles.push(`<div class="tile"><div class="tile-label">${escapeHtml(label)}</div><div class="tile-value${tone}">${escapeHtml(text)}</div></div>`);
  };
  const metric = (key: string) => (v: number) => formatSummaryMetric(key, v);
  add('totalReturn', 'Total return', metric('totalReturn'), true);
  add('cagr', 'CAGR', metric('cagr'), true);
  add('sharpe', 'Sharpe', metric('sharpe'), true);
  add('maxDrawdownPct', 'Max drawdown', metric('maxDrawdownPct'), false);
  add('finalEquity', 'Final equity', metric('finalEquity'), false);
  add('closedTrades', 'Trades', metric('closedTrades'), false);
  return tiles.length > 0 ? `<div class="tiles">${tiles.join('')}</div>` : '';
}

// ---------------------------------------------------------------------------------------------
// Sections

function summarySection(summary: Readonly<Record<string, number | string | null>>): string {
  const entries = Object.entries(summary);
  if (entries.length === 0) return '<p class="note">No summary metrics.</p>';
  return keyValueGrid(entries);
}

function equitySection(equity: ArrayLike<number>, svg: string, ctx: AnalyticsContext): string {
  const n = equity.length;
  const first = firstFinite(equity);
  const last = lastFinite(equity);
  const stats = [
    ['Start', formatSummaryMetric('startingEquity', first)],
    ['End', formatSummaryMetric('finalEquity', last)],
    ['Change', Number.isFinite(first) && first > 0 ? formatSummaryMetric('totalReturn', last / first - 1) : '—'],
  ];
  if (ctx.benchmark !== null) {
    const b0 = firstFinite(ctx.benchmark.values);
    stats.push(['Benchmark change', b0 > 0 ? formatSummaryMetric('totalReturn', lastFinite(ctx.benchmark.values) / b0 - 1) : '—']);
  }
  return `${statLine(stats)}
${figure('equity', svg)}
${samplingNote(n)}`;
}

function drawdownSection(time: ArrayLike<number>, drawdown: Float64Array, svg: string): string {
  let troughIndex = -1;
  let trough = 0;
  for (let i = 0; i < drawdown.length; i++) {
    const value = drawdown[i] as number;
    if (value < trough) {
      trough = value;
      troughIndex = i;
    }
  }
  // Shown as the summary shows maxDrawdownPct: the fall from the peak, in percent.
  const stats: string[][] = [['Max drawdown', formatSummaryMetric('maxDrawdownPct', -trough)]];
  if (troughIndex >= 0) {
    let peakIndex = troughIndex;
    while (peakIndex > 0 && (drawdown[peakIndex] as number) < 0) peakIndex--;
    let recoveryIndex = troughIndex;
    while (recoveryIndex < drawdown.length && !((drawdown[recoveryIndex] as number) >= 0)) recoveryIndex++;
    stats.push(['Peak', formatTimeLabel(formatIsoTimeSafe(time[peakIndex] as number))]);
    stats.push(['Trough', formatTimeLabel(formatIsoTimeSafe(time[troughIndex] as number))]);
    stats.push([
      'Recovered',
      recoveryIndex < drawdown.length ? formatTimeLabel(formatIsoTimeSafe(time[recoveryIndex] as number)) : 'not yet',
    ]);
  }
  const last = drawdown.length > 0 ? (drawdown[drawdown.length - 1] as number) : NaN;
  stats.push(['Current', Number.isFinite(last) ? formatSummaryMetric('maxDrawdownPct', -last) : '—']);
  return `${statLine(stats)}
${figure('drawdown', svg)}
${samplingNote(drawdown.length)}`;
}

function monthlySection(months: readonly MonthlyReturn[], omittedYears: number, svg: string): string {
  let best: MonthlyReturn | undefined;
  let worst: MonthlyReturn | undefined;
  let positive = 0;
  let finite = 0;
  for (const m of months) {
    if (!Number.isFinite(m.returnPct)) continue;
    finite++;
    if (m.returnPct > 0) positive++;
    if (best === undefined || m.returnPct > best.returnPct) best = m;
    if (worst === undefined || m.returnPct < worst.returnPct) worst = m;
  }
  const label = (m: MonthlyReturn | undefined): string => (m === undefined ? '—' : `${formatSummaryMetric('returnPct', m.returnPct)} (${m.year}-${String(m.month).padStart(2, '0')})`);
  const stats = [
    ['Months', formatInteger(finite)],
    ['Positive', finite > 0 ? `${formatInteger(positive)} (${formatSummaryMetric('winRate', positive / finite)})` : '—'],
    ['Best', label(best)],
    ['Worst', label(worst)],
  ];
  const note = omittedYears > 0 ? `<p class="note">The heatmap shows the most recent ${REPORT_MAX_HEATMAP_YEARS} years; ${formatInteger(omittedYears)} earlier years are left out (the figures above use every month).</p>` : '';
  return `${statLine(stats)}
${figure('monthly-returns', svg)}
<p class="note">Return from month-end to month-end equity (UTC months); the first month is measured from the first equity. The Year column is the calendar year's return (year-end to year-end).</p>
${note}`;
}

const TRADE_COLUMNS: readonly { readonly label: string; readonly numeric: boolean }[] = [
  { label: '#', numeric: true },
  { label: 'Symbol', numeric: false },
  { label: 'Side', numeric: false },
  { label: 'Qty', numeric: true },
  { label: 'Entry time', numeric: false },
  { label: 'Entry price', numeric: true },
  { label: 'Exit time', numeric: false },
  { label: 'Exit price', numeric: true },
  { label: 'P&L', numeric: true },
  { label: 'Commission', numeric: true },
  { label: 'Net P&L', numeric: true },
  { label: 'Bars held', numeric: true },
];

function tradesSection(trades: readonly TradeRecord[]): string {
  if (trades.length === 0) return '<p class="note">No closed trades.</p>';
  let winners = 0;
  let netTotal = 0;
  let commissionTotal = 0;
  for (const t of trades) {
    if (t.netPnl > 0) winners++;
    netTotal += t.netPnl;
    commissionTotal += t.commission;
  }
  const stats = [
    ['Trades', formatInteger(trades.length)],
    ['Winners', `${formatInteger(winners)} (${formatSummaryMetric('winRate', winners / trades.length)})`],
    ['Net P&L', formatFixed(netTotal, 2)],
    ['Commission', formatFixed(commissionTotal, 2)],
  ];
  const shown = trades.slice(0, REPORT_MAX_TRADE_ROWS);
  const rows = shown
    .map((t, i) => {
      const cells = [
        numCell(formatInteger(i + 1)),
        `<td>${escapeHtml(t.symbol)}</td>`,
        `<td><span class="side side-${sideClass(t.side)}">${escapeHtml(t.side)}</span></td>`,
        numCell(formatNumber(t.qty)),
        timeCell(t.entryTime),
        numCell(formatPrice(t.entryPrice)),
        timeCell(t.exitTime),
        numCell(formatPrice(t.exitPrice)),
        numCell(formatFixed(t.pnl, 2), tone(t.pnl)),
        numCell(formatFixed(t.commission, 2)),
        numCell(formatFixed(t.netPnl, 2), tone(t.netPnl)),
        numCell(formatNumber(t.barsHeld)),
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const left = trades.length - shown.length;
  const note = left > 0 ? `<p class="note">Showing the first ${formatInteger(shown.length)} of ${formatInteger(trades.length)} trades; ${formatInteger(left)} left out (the totals above include them).</p>` : '';
  return `${statLine(stats)}
${note}
<div class="table-wrap scroll"><table class="data" id="trades-table">
<thead><tr>${TRADE_COLUMNS.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.label)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`;
}

function dataQualitySection(dq: RunReportInput['dataQuality']): string {
  const bySeverity = new Map<string, number>();
  for (const f of dq.findings) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
  const stats: string[][] = [
    ['Mode', dq.mode],
    ['Calendar', dq.calendar ?? 'none'],
    ['Findings', formatInteger(dq.findings.length)],
    ...[...bySeverity].map(([severity, count]) => [capitalize(severity), formatInteger(count)]),
    ['Repairs', formatNumber(dq.repairs)],
  ];
  const parts = [statLine(stats)];
  if (dq.summary !== undefined && dq.summary !== null && Object.keys(dq.summary).length > 0) {
    parts.push(`<h3>Report summary</h3>${keyValueTable(dq.summary)}`);
  }
  if (dq.findings.length === 0) {
    parts.push('<p class="note">No findings.</p>');
    return parts.join('\n');
  }
  const shown = dq.findings.slice(0, REPORT_MAX_FINDING_ROWS);
  const left = dq.findings.length - shown.length;
  const rows = shown
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.symbol)}</td><td><code>${escapeHtml(f.check)}</code></td><td><span class="sev sev-${severityClass(f.severity)}">${escapeHtml(f.severity)}</span></td>${f.time === null ? '<td class="muted">—</td>' : timeCell(f.time)}<td class="wrap">${escapeHtml(f.message)}</td></tr>`,
    )
    .join('\n');
  parts.push('<h3>Findings</h3>');
  if (left > 0) {
    parts.push(`<p class="note">Showing the first ${formatInteger(shown.length)} of ${formatInteger(dq.findings.length)} findings; ${formatInteger(left)} left out.</p>`);
  }
  parts.push(`<div class="table-wrap scroll"><table class="data" id="findings-table">
<thead><tr><th>Symbol</th><th>Check</th><th>Severity</th><th>Time</th><th>Message</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>`);
  return parts.join('\n');
}

function guardrailsSection(guardrails: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(guardrails);
  if (entries.length === 0) return '<p class="note">No guardrail statistics.</p>';
  return `<table class="kv wide">${entries.map(([k, v]) => `<tr><th scope="row" title="${escapeHtml(k)}">${escapeHtml(labelOf(k))}</th>${valueCell(v, 0, k)}</tr>`).join('')}</table>`;
}

/** A key's label; a duration key (`…Ms`) is printed as a duration, so its label drops the `(ms)`. */
function labelOf(key: string): string {
  return isDurationKey(key) ? humanizeKey(key.slice(0, -2)) : humanizeKey(key);
}

function isDurationKey(key: string): boolean {
  return /^[a-z][a-zA-Z0-9]*Ms$/.test(key);
}

// ---------------------------------------------------------------------------------------------
// Building blocks

function figure(chart: ReportChartName, svg: string): string {
  return `<figure class="chart" data-chart="${chart}">${svg}</figure>`;
}

function samplingNote(total: number): string {
  if (total <= REPORT_MAX_CHART_POINTS) return '';
  return `<p class="note">The chart draws at most ${formatInteger(REPORT_MAX_CHART_POINTS)} of the ${formatInteger(total)} points (the lowest and highest of each interval, so no trough is lost); the figures above use every point.</p>`;
}

function keyValueTable(record: Readonly<Record<string, number | string | null>>): string {
  const entries = Object.entries(record);
  if (entries.length === 0) return '<p class="note">Nothing recorded.</p>';
  return keyValueGrid(entries);
}

/** Key/value tables at half the card's width; a long list is split in two side-by-side tables. */
function keyValueGrid(entries: readonly (readonly [string, number | string | null])[]): string {
  const half = Math.ceil(entries.length / 2);
  const columns = entries.length > 8 ? [entries.slice(0, half), entries.slice(half)] : [entries];
  return `<div class="kv-grid">${columns.map((c) => keyValueRows(c)).join('')}</div>`;
}

function keyValueRows(entries: readonly (readonly [string, number | string | null])[]): string {
  const rows = entries.map(([key, value]) => {
    const cell = typeof value === 'number' ? numCell(Number.isFinite(value) && hasSummaryMetricFormat(key) ? formatSummaryMetric(key, value) : formatNumber(value)) : value === null ? '<td class="num muted">—</td>' : stringCell(value);
    return `<tr><th scope="row" title="${escapeHtml(key)}">${escapeHtml(humanizeKey(key))}</th>${cell}</tr>`;
  });
  return `<table class="kv">${rows.join('')}</table>`;
}

/**
 * A table cell for any JSON-like value: nested objects become nested tables, arrays of objects
 * small tables. A number under `key` is formatted as the summary formats that key; under a
 * duration key (`…Ms`, or inside one, such as `timeInStateMs.active`) as a duration.
 */
function valueCell(value: unknown, depth: number, key = '', inDuration = false): string {
  if (value === null || value === undefined) return '<td class="num muted">—</td>';
  if (typeof value === 'number') {
    if (inDuration || isDurationKey(key)) return numCell(formatDurationMs(value));
    return numCell(Number.isFinite(value) && hasSummaryMetricFormat(key) ? formatSummaryMetric(key, value) : formatNumber(value));
  }
  if (typeof value === 'string') return stringCell(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return `<td class="num">${escapeHtml(String(value))}</td>`;
  if (depth >= 3) return `<td><code class="json">${escapeHtml(safeJson(value))}</code></td>`;
  if (Array.isArray(value)) return `<td>${arrayHtml(value, depth + 1)}</td>`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '<td class="num muted">none</td>';
    const durations = inDuration || isDurationKey(key);
    return `<td><table class="kv nested">${entries.map(([k, v]) => `<tr><th scope="row" title="${escapeHtml(k)}">${escapeHtml(labelOf(k))}</th>${valueCell(v, depth + 1, k, durations)}</tr>`).join('')}</table></td>`;
  }
  return `<td>${escapeHtml(String(value))}</td>`;
}

const MAX_NESTED_ROWS = 50;

function arrayHtml(items: readonly unknown[], depth: number): string {
  if (items.length === 0) return '<span class="muted">none</span>';
  const shown = items.slice(0, MAX_NESTED_ROWS);
  const more = items.length > shown.length ? `<p class="note">${formatInteger(items.length - shown.length)} more left out.</p>` : '';
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!shown.every(isRecord)) {
    return `<code class="json">${escapeHtml(shown.map((v) => (typeof v === 'string' ? v : safeJson(v))).join(', '))}</code>${more}`;
  }
  const columns = [...new Set(shown.flatMap((row) => Object.keys(row)))];
  const head = columns.map((c) => `<th>${escapeHtml(humanizeKey(c))}</th>`).join('');
  const rows = shown.map((row) => `<tr>${columns.map((c) => valueCell(row[c], depth + 1)).join('')}</tr>`).join('');
  return `<table class="data nested"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>${more}`;
}

/** A right-aligned text value; an ISO 8601 UTC time is shown short, with the full value in its title. */
function stringCell(text: string): string {
  const label = formatTimeLabel(text);
  if (label !== text) return `<td class="num"><time datetime="${escapeHtml(text)}" title="${escapeHtml(text)}">${escapeHtml(label)}</time></td>`;
  return `<td class="num">${escapeHtml(text)}</td>`;
}

function timeCell(iso: string): string {
  return `<td class="time"><time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(formatTimeLabel(iso))}</time></td>`;
}

function tone(value: number): string {
  return Number.isFinite(value) && value !== 0 ? (value > 0 ? ' pos' : ' neg') : '';
}

function sideClass(side: string): string {
  const s = side.toLowerCase();
  return s === 'long' || s === 'buy' ? 'long' : s === 'short' || s === 'sell' ? 'short' : 'other';
}

function severityClass(severity: string): string {
  const s = severity.toLowerCase();
  return s === 'error' || s === 'warning' || s === 'info' ? s : 'other';
}

// ---------------------------------------------------------------------------------------------
// Formatting

const PRICE_FORMAT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** A price with at least 2 decimals (so a column lines up), up to 4; sub-unit prices keep 6 significant digits. */
function formatPrice(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return Math.abs(value) >= 1 ? PRICE_FORMAT.format(value) : formatNumber(value);
}

const KEY_WORDS: Readonly<Record<string, string>> = { cagr: 'CAGR', pct: '(%)', bps: '(bps)', ms: '(ms)', usd: '(USD)', id: 'ID', pnl: 'P&L' };

/**
 * `maxDrawdownPct` → `Max drawdown (%)`, `implementationShortfallBps` → `Implementation shortfall (bps)`.
 * Only camelCase identifiers are rewritten: codes such as `MAX_POSITION` are shown as they are.
 */
function humanizeKey(key: string): string {
  if (!/^[a-z][a-zA-Z0-9]*$/.test(key)) return key;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => KEY_WORDS[w.toLowerCase()] ?? w.toLowerCase());
  const text = words.join(' ');
  return text.length > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : key;
}

function capitalize(text: string): string {
  return text.length > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function firstFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) return values[i] as number;
  return NaN;
}

function lastFinite(values: ArrayLike<number>): number {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i])) return values[i] as number;
  return NaN;
}

function recentYears(months: readonly MonthlyReturn[], maxYears: number): { shown: readonly MonthlyReturn[]; omittedYears: number } {
  const years = [...new Set(months.map((m) => m.year))];
  if (years.length <= maxYears) return { shown: months, omittedYears: 0 };
  const firstShown = years[years.length - maxYears] as number;
  return { shown: months.filter((m) => m.year >= firstShown), omittedYears: years.length - maxYears };
}

