import { detectBarInterval, periodsPerYear as intervalPeriodsPerYear } from '@quantbot/core';
import { escapeHtml, formatFixed, formatInteger, formatIsoTimeSafe, formatNumber, formatTimeLabel, numCell, statLine } from './html-page';
import type { ReportChartName } from './html-report-charts';
import {
  alignAsOf,
  annualReturns,
  barReturns,
  benchmarkStatistics,
  buyAndHoldCurve,
  drawdownPeriods,
  exposureSeries,
  histogram,
  rollingBeta,
  rollingSharpe,
  rollingVolatility,
  tradeExcursion,
} from './run-analytics';
import type { AnnualReturn, BenchmarkStatistics, BookFill, ExposureSeries, TradeExcursion } from './run-analytics';
import { renderAnnualReturnsChart, renderExcursionChart, renderHistogramChart, renderLinesChart, renderPriceChart } from './run-report-charts';
import type { PriceMarker } from './run-report-charts';
import type { TradeRecord } from '../run-records';
import { formatSummaryMetric } from '../summary-metric-format';

// The run report's analytics: what its input's prices, fills and benchmark add to the page.

/** At most this many symbols get a price chart (those with the most trades); the page says how many were left out. */
export const REPORT_MAX_PRICE_SYMBOLS = 8;
/** The drawdown table lists this many periods, deepest first. */
export const REPORT_TOP_DRAWDOWNS = 5;
/** The price chart's zoom levels: the whole run, then its last bars. */
export const PRICE_ZOOM_BARS: readonly (number | null)[] = [null, 250, 60];

/** One of the strategy's indicator lines on a symbol's price chart, one value per bar of the symbol. */
export interface RunReportIndicator {
  readonly name: string;
  readonly values: ArrayLike<number>;
}

/** A symbol's bars as the report reads them (epoch ms, increasing) and the strategy's indicators on them. */
export interface RunReportSymbolPrices {
  readonly symbol: string;
  readonly time: ArrayLike<number>;
  readonly high: ArrayLike<number>;
  readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  readonly indicators: readonly RunReportIndicator[];
}

/** The prices and fills behind the price-based parts of the report. */
export interface RunReportMarket {
  /** Where the prices come from and how they were checked, printed on the page. */
  readonly source: string;
  readonly symbols: readonly RunReportSymbolPrices[];
  /** Every fill of the run in time order: signed quantities (buys positive). */
  readonly fills: readonly BookFill[];
}

/** A benchmark given by the user: its closes (epoch ms times, increasing). */
export interface RunReportBenchmark {
  readonly label: string;
  readonly time: ArrayLike<number>;
  readonly close: ArrayLike<number>;
}

/** What the analytics sections are computed from. */
export interface AnalyticsInput {
  readonly summary: Readonly<Record<string, number | string | null>>;
  readonly time: ArrayLike<number>;
  readonly equity: ArrayLike<number>;
  readonly trades: readonly TradeRecord[];
  readonly market: RunReportMarket | null;
  readonly benchmark: RunReportBenchmark | null;
  /** Why `market` is null, printed where a price-based chart would be. */
  readonly marketNote: string;
  readonly periodsPerYear: number | undefined;
}

/** A section of the page: its anchor, heading and HTML. */
export interface SectionHtml {
  readonly id: string;
  readonly title: string;
  readonly body: string;
}

/** The benchmark curve and its label, aligned with the equity curve. */
export interface BenchmarkCurve {
  readonly label: string;
  readonly values: Float64Array;
}

/** Bars per year for annualising: stated, else the summary's, else detected from the times, else 252 (daily). */
export function reportPeriodsPerYear(stated: number | undefined, summary: Readonly<Record<string, number | string | null>>, time: ArrayLike<number>): { readonly value: number; readonly source: string } {
  if (stated !== undefined && Number.isFinite(stated) && stated > 0) return { value: stated, source: 'given' };
  const recorded = summary['periodsPerYear'];
  if (typeof recorded === 'number' && Number.isFinite(recorded) && recorded > 0) return { value: recorded, source: "the run's summary" };
  const detected = detectBarInterval(time).interval;
  if (detected !== null) return { value: intervalPeriodsPerYear(detected), source: `${detected} bars detected from the times` };
  return { value: 252, source: 'daily bars assumed' };
}

/** The benchmark to compare with: the user's, scaled to the starting equity, or an equal-weight buy-and-hold of the priced symbols; null when there is neither. */
export function benchmarkCurve(input: AnalyticsInput): BenchmarkCurve | null {
  const { time, equity } = input;
  const start = firstFinite(equity);
  if (!Number.isFinite(start)) return null;
  if (input.benchmark !== null) {
    // Closes after the run's last bar cannot be carried back: a benchmark that ends before the run starts gives none.
    const closes = alignAsOf(time, input.benchmark.time, input.benchmark.close);
    const end = input.benchmark.time[input.benchmark.time.length - 1] as number;
    if (!(end >= (time[0] as number))) return null;
    const base = firstFinite(closes);
    if (!(base > 0)) return null;
    return { label: input.benchmark.label, values: closes.map((c) => (c / base) * start) };
  }
  if (input.market === null || input.market.symbols.length === 0) return null;
  const columns = input.market.symbols.map((s) => alignAsOf(time, s.time, s.close));
  const names = input.market.symbols.map((s) => s.symbol);
  return { label: `Buy and hold of ${names.length === 1 ? names[0] : `${formatInteger(names.length)} symbols, equal weight`}`, values: buyAndHoldCurve(time.length, columns, start) };
}

/** Everything the analytics sections share, computed once. */
export interface AnalyticsContext {
  readonly periodsPerYear: { readonly value: number; readonly source: string };
  readonly returns: Float64Array;
  readonly benchmark: BenchmarkCurve | null;
  readonly benchmarkReturns: Float64Array | null;
  readonly stats: BenchmarkStatistics | null;
  readonly rollingWindow: number;
  readonly exposure: ExposureSeries | null;
  readonly annual: readonly AnnualReturn[];
  readonly excursions: readonly (TradeExcursion | null)[];
}

/** Computes what the analytics sections print and draw (full data; charts downsample later). */
export function analyticsContext(input: AnalyticsInput): AnalyticsContext {
  const periodsPerYear = reportPeriodsPerYear(input.periodsPerYear, input.summary, input.time);
  const returns = barReturns(input.equity);
  const benchmark = benchmarkCurve(input);
  const benchmarkReturns = benchmark === null ? null : barReturns(benchmark.values);
  const stats = benchmarkReturns === null ? null : benchmarkStatistics(returns, benchmarkReturns, periodsPerYear.value);
  const market = input.market;
  let exposure: ExposureSeries | null = null;
  if (market !== null) {
    const closes = new Map<string, ArrayLike<number>>(market.symbols.map((s) => [s.symbol, alignAsOf(input.time, s.time, s.close)]));
    exposure = exposureSeries(input.time, input.equity, market.fills, closes);
  }
  const bySymbol = new Map((market?.symbols ?? []).map((s) => [s.symbol, s]));
  const excursions = input.trades.map((t) => {
    const bars = bySymbol.get(t.symbol);
    if (bars === undefined) return null;
    const side = t.side.toLowerCase() === 'short' ? 'short' : 'long';
    return tradeExcursion(side, Date.parse(t.entryTime), t.entryPrice, Date.parse(t.exitTime), t.exitPrice, bars);
  });
  return {
    periodsPerYear,
    returns,
    benchmark,
    benchmarkReturns,
    stats,
    rollingWindow: Math.max(6, Math.round(periodsPerYear.value / 4)),
    exposure,
    annual: annualReturns(input.time, input.equity),
    excursions,
  };
}

function figure(chart: ReportChartName, svg: string, extra = ''): string {
  return `<figure class="chart" data-chart="${chart}"${extra}>${svg}</figure>`;
}

function note(text: string): string {
  return `<p class="note">${escapeHtml(text)}</p>`;
}

/** The benchmark section: the statistics against the benchmark, or why there is none. */
export function benchmarkSection(input: AnalyticsInput, ctx: AnalyticsContext): string {
  if (input.benchmark !== null && ctx.benchmark === null) {
    return note(`No benchmark: ${input.benchmark.label} has no close within the run's period (${formatTimeLabel(formatIsoTimeSafe(input.time[0] as number))} to ${formatTimeLabel(formatIsoTimeSafe(input.time[input.time.length - 1] as number))}).`);
  }
  if (ctx.benchmark === null || ctx.stats === null) {
    return note(`No benchmark: ${input.marketNote}`);
  }
  const s = ctx.stats;
  const benchTotal = lastFinite(ctx.benchmark.values) / firstFinite(ctx.benchmark.values) - 1;
  const rows: [string, string, string][] = [
    ['Benchmark', ctx.benchmark.label, ''],
    ['Benchmark total return', formatSummaryMetric('totalReturn', benchTotal), 'buy and hold over the same bars'],
    ['Alpha (annualised)', formatSummaryMetric('alpha', s.alpha), "Jensen's alpha, zero risk-free rate: (mean r − β·mean b) × bars per year"],
    ['Beta', formatSummaryMetric('beta', s.beta), 'cov(r, b) / var(b) of per-bar returns'],
    ['Correlation', formatSummaryMetric('correlation', s.correlation), 'of per-bar returns'],
    ['Tracking error (annualised)', formatSummaryMetric('trackingError', s.trackingError), 'sd(r − b) × √bars per year'],
    ['Information ratio', formatSummaryMetric('informationRatio', s.informationRatio), 'mean(r − b) × bars per year / tracking error'],
    ['Bars compared', formatInteger(s.observations), `annualised with ${formatNumber(ctx.periodsPerYear.value)} bars per year (${ctx.periodsPerYear.source})`],
  ];
  return `<table class="kv wide" id="benchmark-table">${rows.map(([k, v, d]) => `<tr><th scope="row">${escapeHtml(k)}</th><td class="num">${escapeHtml(v)}</td><td class="muted small">${escapeHtml(d)}</td></tr>`).join('')}</table>`;
}

/** The table of the deepest drawdown periods. */
export function drawdownPeriodsTable(time: ArrayLike<number>, equity: ArrayLike<number>): string {
  const periods = drawdownPeriods(equity, REPORT_TOP_DRAWDOWNS);
  if (periods.length === 0) return note('No drawdown: equity never fell below a previous high.');
  const day = (i: number | null): string => (i === null ? 'not yet' : formatTimeLabel(formatIsoTimeSafe(time[i] as number)));
  const rows = periods
    .map(
      (p, k) =>
        `<tr>${numCell(formatInteger(k + 1))}<td>${escapeHtml(day(p.peakIndex))}</td><td>${escapeHtml(day(p.troughIndex))}</td><td>${escapeHtml(day(p.recoveryIndex))}</td>${numCell(formatSummaryMetric('maxDrawdownPct', p.depthPct), ' neg')}${numCell(formatInteger(p.lengthBars))}${numCell(formatInteger(p.troughIndex - p.peakIndex))}</tr>`,
    )
    .join('\n');
  return `<h3>Top ${formatInteger(REPORT_TOP_DRAWDOWNS)} drawdown periods</h3>
<div class="table-wrap"><table class="data" id="drawdown-table">
<thead><tr><th class="num">#</th><th>Start (peak)</th><th>Trough</th><th>Recovery</th><th class="num">Depth</th><th class="num">Length (bars)</th><th class="num">Peak to trough (bars)</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
${note('A period runs from a high of equity to the first bar back at that high; its length counts bars to the recovery, or to the last bar while not recovered.')}`;
}

/** The rolling Sharpe, volatility and beta charts. */
export async function rollingSection(input: AnalyticsInput, ctx: AnalyticsContext): Promise<string> {
  const w = ctx.rollingWindow;
  const ppy = ctx.periodsPerYear.value;
  const sharpe = rollingSharpe(ctx.returns, w, ppy);
  const vol = rollingVolatility(ctx.returns, w, ppy).map((v) => v * 100);
  const [sharpeSvg, volSvg, betaSvg] = await Promise.all([
    renderLinesChart('rolling-sharpe', input.time, [{ name: 'Rolling Sharpe', color: '#2563eb', values: sharpe }], { description: `Rolling Sharpe ratio over ${w} bars`, yTitle: 'Sharpe', rule: 0 }),
    renderLinesChart(
      'rolling-volatility',
      input.time,
      [
        { name: 'Strategy', color: '#7c3aed', values: vol },
        ...(ctx.benchmarkReturns !== null ? [{ name: 'Benchmark', color: '#9ca3af', values: rollingVolatility(ctx.benchmarkReturns, w, ppy).map((v) => v * 100), dashed: true }] : []),
      ],
      { description: `Rolling annualised volatility over ${w} bars`, yTitle: 'Volatility (%)' },
    ),
    ctx.benchmarkReturns !== null
      ? renderLinesChart('rolling-beta', input.time, [{ name: 'Rolling beta', color: '#059669', values: rollingBeta(ctx.returns, ctx.benchmarkReturns, w) }], { description: `Rolling beta to the benchmark over ${w} bars`, yTitle: 'Beta', rule: 0 })
      : Promise.resolve(null),
  ]);
  return `${note(`Each point uses the last ${formatInteger(w)} bars' returns (a quarter of a year of ${formatNumber(ppy)} bars, at least 6; ${ctx.periodsPerYear.source}); annualised, zero risk-free rate.`)}
<h3>Rolling Sharpe ratio</h3>
${figure('rolling-sharpe', sharpeSvg)}
<h3>Rolling volatility</h3>
${figure('rolling-volatility', volSvg)}
<h3>Rolling beta</h3>
${betaSvg === null ? note(`No benchmark, so no beta: ${input.marketNote}`) : figure('rolling-beta', betaSvg)}`;
}

/** Long, short, net and gross exposure over time. */
export async function exposureSection(input: AnalyticsInput, ctx: AnalyticsContext): Promise<string> {
  const x = ctx.exposure;
  if (x === null) return note(`Exposure needs the run's prices: ${input.marketNote}`);
  const pct = (a: Float64Array): Float64Array => a.map((v) => v * 100);
  const svg = await renderLinesChart(
    'exposure',
    input.time,
    [
      { name: 'Long', color: '#059669', values: pct(x.long) },
      { name: 'Short', color: '#dc2626', values: pct(x.short) },
      { name: 'Net', color: '#2563eb', values: pct(x.net) },
      { name: 'Gross (leverage)', color: '#374151', values: pct(x.gross), dashed: true },
    ],
    { description: 'Exposure in percent of equity', yTitle: '% of equity', height: 220, rule: 0 },
  );
  const mean = (a: Float64Array): number => {
    let s = 0;
    let n = 0;
    for (const v of a) {
      if (!Number.isFinite(v)) continue;
      s += v;
      n++;
    }
    return n > 0 ? s / n : NaN;
  };
  const max = (a: Float64Array): number => a.reduce((m, v) => (Number.isFinite(v) && v > m ? v : m), -Infinity);
  const stats = [
    ['Mean gross', formatSummaryMetric('exposure', mean(x.gross))],
    ['Max gross (leverage)', Number.isFinite(max(x.gross)) ? `${formatFixed(max(x.gross), 2)}x` : 'n/a'],
    ['Mean net', formatSummaryMetric('exposure', mean(x.net))],
  ];
  return `${statLine(stats)}
${figure('exposure', svg)}
${note('Positions rebuilt from the recorded fills, valued at each bar\'s close, over equity: long and short value, net = long + short, gross = long − short (the leverage).')}`;
}

/** Annual returns, the monthly heatmap (rendered by the caller) and the distribution of per-bar returns. */
export async function returnDistributionFigure(ctx: AnalyticsContext): Promise<string> {
  const pct = ctx.returns.map((r) => r * 100);
  const svg = await renderHistogramChart('return-distribution', histogram(pct, 50), 'Return per bar (%)', '#2563eb');
  let worst = Infinity;
  let best = -Infinity;
  let positive = 0;
  let count = 0;
  for (const r of ctx.returns) {
    if (!Number.isFinite(r)) continue;
    count++;
    if (r > 0) positive++;
    if (r < worst) worst = r;
    if (r > best) best = r;
  }
  const stats = [
    ['Bars', formatInteger(count)],
    ['Positive', count > 0 ? formatSummaryMetric('winRate', positive / count) : 'n/a'],
    ['Best', count > 0 ? formatSummaryMetric('totalReturn', best) : 'n/a'],
    ['Worst', count > 0 ? formatSummaryMetric('totalReturn', worst) : 'n/a'],
  ];
  return `<h3>Distribution of returns per bar</h3>
${statLine(stats)}
${figure('return-distribution', svg)}`;
}

/** The annual-returns bar chart. */
export async function annualReturnsFigure(ctx: AnalyticsContext): Promise<string> {
  return `<h3>Annual returns</h3>
${figure('annual-returns', await renderAnnualReturnsChart(ctx.annual))}`;
}

/** Trade P&L, holding times and MAE/MFE charts. */
export async function tradeChartsHtml(input: AnalyticsInput, ctx: AnalyticsContext): Promise<string> {
  if (input.trades.length === 0) return '';
  const excursions = input.trades.flatMap((t, i) => {
    const e = ctx.excursions[i];
    return e === null || e === undefined ? [] : [{ maePct: e.maePct, mfePct: e.mfePct, winner: t.netPnl > 0 }];
  });
  const [pnlSvg, holdSvg, maeSvg] = await Promise.all([
    renderHistogramChart('trade-pnl-distribution', histogram(input.trades.map((t) => t.netPnl), 30), 'Net P&L per trade', '#0891b2'),
    renderHistogramChart('holding-times', histogram(input.trades.map((t) => t.barsHeld), Math.min(30, Math.max(1, new Set(input.trades.map((t) => t.barsHeld)).size))), 'Bars held', '#7c3aed'),
    excursions.length > 0 ? renderExcursionChart(excursions) : Promise.resolve(null),
  ]);
  const mean = (values: readonly number[]): number => (values.length > 0 ? values.reduce((a, v) => a + v, 0) / values.length : NaN);
  const held = input.trades.map((t) => t.barsHeld);
  return `<h3>Distribution of trade P&amp;L</h3>
${figure('trade-pnl-distribution', pnlSvg)}
<h3>Holding times</h3>
${statLine([
  ['Mean', `${formatFixed(mean(held), 1)} bars`],
  ['Shortest', `${formatInteger(Math.min(...held))} bars`],
  ['Longest', `${formatInteger(Math.max(...held))} bars`],
])}
${figure('holding-times', holdSvg)}
<h3>MAE / MFE</h3>
${
  maeSvg === null
    ? note(`MAE and MFE need the run's prices: ${input.marketNote}`)
    : `${statLine([
        ['Mean MAE', formatSummaryMetric('maePct', mean(excursions.map((e) => e.maePct)))],
        ['Mean MFE', formatSummaryMetric('mfePct', mean(excursions.map((e) => e.mfePct)))],
      ])}
${figure('mae-mfe', maeSvg)}
${note('Maximum adverse (MAE) and favourable (MFE) excursion of each trade, in percent of its entry price, over the bars it was open (the entry bar up to the bar before the exit, and the exit price).')}`
}`;
}

/** Per-symbol breakdown and the price chart with its symbol and zoom selector. */
export async function symbolsSection(input: AnalyticsInput, ctx: AnalyticsContext): Promise<{ readonly html: string; readonly css: string }> {
  const names = [...new Set([...(input.market?.symbols.map((s) => s.symbol) ?? []), ...input.trades.map((t) => t.symbol)])];
  const rows = names.map((symbol) => {
    const trades = input.trades.filter((t) => t.symbol === symbol);
    const net = trades.reduce((a, t) => a + t.netPnl, 0);
    const winners = trades.filter((t) => t.netPnl > 0).length;
    const inMarket = ctx.exposure?.timeInMarket.get(symbol);
    return { symbol, trades: trades.length, net, winRate: trades.length > 0 ? winners / trades.length : NaN, inMarket: inMarket ?? NaN };
  });
  const table = `<div class="table-wrap"><table class="data" id="symbols-table">
<thead><tr><th>Symbol</th><th class="num">Trades</th><th class="num">Net P&amp;L</th><th class="num">Win rate</th><th class="num">Time in market</th></tr></thead>
<tbody>
${rows
  .map(
    (r) =>
      `<tr><td>${escapeHtml(r.symbol)}</td>${numCell(formatInteger(r.trades))}${numCell(formatFixed(r.net, 2), r.net > 0 ? ' pos' : r.net < 0 ? ' neg' : '')}${numCell(Number.isFinite(r.winRate) ? formatSummaryMetric('winRate', r.winRate) : '—')}${numCell(Number.isFinite(r.inMarket) ? formatSummaryMetric('exposure', r.inMarket) : '—')}</tr>`,
  )
  .join('\n')}
</tbody>
</table></div>
${note('Time in market: the share of bars with a position in the symbol, rebuilt from the recorded fills.')}`;
  const market = input.market;
  if (market === null || market.symbols.length === 0) return { html: `${table}\n<h3>Price</h3>\n${note(`The price chart needs the run's prices: ${input.marketNote}`)}`, css: '' };

  const tradeCount = new Map(rows.map((r) => [r.symbol, r.trades]));
  const charted = [...market.symbols].sort((a, b) => (tradeCount.get(b.symbol) ?? 0) - (tradeCount.get(a.symbol) ?? 0) || a.symbol.localeCompare(b.symbol)).slice(0, REPORT_MAX_PRICE_SYMBOLS);
  const left = market.symbols.length - charted.length;
  const panes: string[] = [];
  const css: string[] = [];
  for (const [si, s] of charted.entries()) {
    const markers: PriceMarker[] = input.trades
      .filter((t) => t.symbol === s.symbol)
      .flatMap((t) => [
        { time: Date.parse(t.entryTime), price: t.entryPrice, kind: 'entry' as const },
        { time: Date.parse(t.exitTime), price: t.exitPrice, kind: 'exit' as const },
      ]);
    const n = s.time.length;
    const svgs = await Promise.all(PRICE_ZOOM_BARS.map((bars) => renderPriceChart(s.time, s.close, s.indicators, markers, { from: bars === null ? 0 : Math.max(0, n - bars), to: n - 1 })));
    svgs.forEach((svg, zi) => {
      panes.push(figure('price', svg, ` data-symbol="${escapeHtml(s.symbol)}" data-zoom="${zi}" id="price-${si}-${zi}"`));
      css.push(`#price-symbol-${si}:checked ~ #price-zoom-${zi}:checked ~ .price-panes #price-${si}-${zi} { display: block; }`);
    });
    css.push(`#price-symbol-${si}:checked ~ .price-controls label[for="price-symbol-${si}"] { background: var(--accent); color: #fff; }`);
  }
  PRICE_ZOOM_BARS.forEach((_, zi) => css.push(`#price-zoom-${zi}:checked ~ .price-controls label[for="price-zoom-${zi}"] { background: var(--accent); color: #fff; }`));
  const symbolInputs = charted.map((_, si) => `<input type="radio" class="picker" name="price-symbol" id="price-symbol-${si}"${si === 0 ? ' checked' : ''}>`).join('');
  const zoomInputs = PRICE_ZOOM_BARS.map((_, zi) => `<input type="radio" class="picker" name="price-zoom" id="price-zoom-${zi}"${zi === 0 ? ' checked' : ''}>`).join('');
  const symbolLabels = charted.map((s, si) => `<label for="price-symbol-${si}">${escapeHtml(s.symbol)}</label>`).join('');
  const zoomLabels = PRICE_ZOOM_BARS.map((bars, zi) => `<label for="price-zoom-${zi}">${bars === null ? 'All' : `Last ${formatInteger(bars)} bars`}</label>`).join('');
  const indicatorNames = [...new Set(charted.flatMap((s) => s.indicators.map((i) => i.name)))];
  const html = `${table}
<h3>Price, trades and indicators</h3>
<div class="price-picker">${symbolInputs}${zoomInputs}
<div class="price-controls"><span class="picker-label">Symbol</span>${symbolLabels}<span class="picker-label">Zoom</span>${zoomLabels}</div>
<div class="price-panes">
${panes.join('\n')}
</div></div>
${note(`Close with the trades' entries (▲) and exits (▼)${indicatorNames.length > 0 ? ` and the strategy's indicators (${indicatorNames.join(', ')})` : "; the strategy exposes no indicators to draw"}. Prices: ${market.source}.`)}
${left > 0 ? note(`Price charts for the ${formatInteger(charted.length)} symbols with the most trades; ${formatInteger(left)} more left out (the table above lists every symbol).`) : ''}`;
  return { html, css: css.join('\n') };
}

function firstFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) return values[i] as number;
  return NaN;
}

function lastFinite(values: ArrayLike<number>): number {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i])) return values[i] as number;
  return NaN;
}

/** Style rules of the price picker (radio inputs, hidden, with their labels as buttons). */
export const PICKER_CSS = `
.price-picker input.picker { position: absolute; opacity: 0; pointer-events: none; }
.price-controls { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin: 0 0 10px; }
.price-controls .picker-label { color: var(--muted); font-size: 12px; margin: 0 4px 0 10px; }
.price-controls .picker-label:first-child { margin-left: 0; }
.price-controls label { cursor: pointer; font-size: 12.5px; padding: 3px 10px; border-radius: 999px; background: #e8effd; color: var(--accent); }
.price-panes figure.chart { display: none; }
td.small, .small { font-size: 12px; white-space: normal; }
`;
