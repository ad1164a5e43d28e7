import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, CHART_WIDTH, REPORT_MAX_CHART_POINTS, chartSampleIndices, noDataSpec, renderVegaLiteSvg } from './html-report-charts';
import type { AnnualReturn, HistogramBin } from './run-analytics';

// The run report's charts beyond equity, drawdown and the monthly heatmap: rolling metrics,
// exposure, annual returns, distributions, trade excursions and the per-symbol price chart.

/** The charts of this file; also their figures' `data-chart` attribute. */
export type RunAnalyticsChartName =
  | 'rolling-sharpe'
  | 'rolling-volatility'
  | 'rolling-beta'
  | 'exposure'
  | 'annual-returns'
  | 'return-distribution'
  | 'trade-pnl-distribution'
  | 'holding-times'
  | 'mae-mfe'
  | 'price';

const SMALL_HEIGHT = 180;
const PRICE_HEIGHT = 300;

/** One line of a time-series chart: its legend name, colour and one value per time. */
export interface ChartLine {
  readonly name: string;
  readonly color: string;
  readonly values: ArrayLike<number>;
  /** Draw dashed (a benchmark, a reference). */
  readonly dashed?: boolean;
}

/** Options of {@link renderLinesChart}. */
export interface LinesChartOptions {
  readonly description: string;
  readonly yTitle: string;
  readonly height?: number;
  /** d3 format of the y axis labels. */
  readonly yFormat?: string;
  /** Draw a rule at y = this value. */
  readonly rule?: number;
  readonly maxPoints?: number;
}

/**
 * Renders one or more lines over a shared time axis as an SVG string; each line is downsampled
 * to `maxPoints` with `chartSampleIndices` (its extremes kept). A legend is shown for two or more
 * lines. Without any finite point the chart says "No data".
 */
export function renderLinesChart(chart: RunAnalyticsChartName | 'equity', time: ArrayLike<number>, lines: readonly ChartLine[], options: LinesChartOptions): Promise<string> {
  const height = options.height ?? SMALL_HEIGHT;
  const points: { t: number; v: number; s: string }[] = [];
  for (const line of lines) {
    for (const i of chartSampleIndices(line.values, options.maxPoints ?? REPORT_MAX_CHART_POINTS)) {
      const t = time[i] as number;
      const v = line.values[i] as number;
      if (Number.isFinite(t) && Number.isFinite(v)) points.push({ t, v, s: line.name });
    }
  }
  if (points.length === 0) return renderVegaLiteSvg(chart, noDataSpec(`${options.description}: no data`, height));
  const names = lines.map((l) => l.name);
  const lineLayer = {
    mark: { type: 'line', strokeWidth: 1.4, interpolate: 'linear' },
    encoding: {
      x: { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: { title: null, grid: false, tickCount: 8 } },
      y: { field: 'v', type: 'quantitative', scale: { zero: false }, axis: { title: options.yTitle, tickCount: 5, ...(options.yFormat !== undefined ? { format: options.yFormat } : {}) } },
      color: {
        field: 's',
        type: 'nominal',
        scale: { domain: names, range: lines.map((l) => l.color) },
        legend: lines.length > 1 ? { title: null, orient: 'top', direction: 'horizontal' } : null,
      },
      strokeDash: {
        field: 's',
        type: 'nominal',
        scale: { domain: names, range: lines.map((l) => (l.dashed === true ? [5, 3] : [1, 0])) },
        legend: null,
      },
    },
  };
  const spec = {
    width: CHART_WIDTH,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: options.description,
    config: CHART_CONFIG,
    data: { values: points },
    layer: [
      lineLayer,
      ...(options.rule !== undefined ? [{ data: { values: [{ y: options.rule }] }, mark: { type: 'rule', color: '#9ca3af', strokeDash: [2, 2] }, encoding: { y: { field: 'y', type: 'quantitative' } } }] : []),
    ],
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg(chart, spec);
}

/** Renders the calendar-year returns as bars (gains blue, losses red), labelled with their value. */
export function renderAnnualReturnsChart(years: readonly AnnualReturn[]): Promise<string> {
  const values = years.filter((y) => Number.isFinite(y.returnPct)).map((y) => ({ year: String(y.year), r: y.returnPct }));
  if (values.length === 0) return renderVegaLiteSvg('annual-returns', noDataSpec('Annual returns: no data', SMALL_HEIGHT));
  const spec = {
    width: CHART_WIDTH,
    height: SMALL_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Return of each calendar year, percent',
    config: CHART_CONFIG,
    data: { values },
    encoding: {
      x: { field: 'year', type: 'ordinal', axis: { title: null, labelAngle: 0 } },
      y: { field: 'r', type: 'quantitative', axis: { title: 'Return (%)', tickCount: 5 } },
    },
    layer: [
      { mark: { type: 'bar', cornerRadius: 2 }, encoding: { color: { condition: { test: 'datum.r < 0', value: '#dc2626' }, value: '#2563eb' } } },
      { mark: { type: 'text', dy: -6, fontSize: 10, color: '#374151' }, encoding: { text: { field: 'r', type: 'quantitative', format: '+.1f' } } },
    ],
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg('annual-returns', spec);
}

/** Renders a histogram (bins from `histogram`) as bars; `xTitle` names the measured value. */
export function renderHistogramChart(chart: RunAnalyticsChartName, bins: readonly HistogramBin[], xTitle: string, color: string): Promise<string> {
  if (bins.length === 0) return renderVegaLiteSvg(chart, noDataSpec(`${xTitle}: no data`, SMALL_HEIGHT));
  const spec = {
    width: CHART_WIDTH,
    height: SMALL_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: `Distribution of ${xTitle}`,
    config: CHART_CONFIG,
    data: { values: bins.map((b) => ({ from: b.from, to: b.to, count: b.count })) },
    mark: { type: 'rect', color, stroke: '#ffffff', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'from', type: 'quantitative', scale: { zero: false, nice: false }, axis: { title: xTitle, tickCount: 8 } },
      x2: { field: 'to' },
      y: { field: 'count', type: 'quantitative', axis: { title: 'Count', tickCount: 4 } },
    },
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg(chart, spec);
}

/** One trade on the MAE/MFE scatter. */
export interface ExcursionPoint {
  readonly maePct: number;
  readonly mfePct: number;
  readonly winner: boolean;
}

/** Renders each trade's maximum adverse (x) and favourable (y) excursion, winners blue and losers red. */
export function renderExcursionChart(points: readonly ExcursionPoint[]): Promise<string> {
  const values = points.filter((p) => Number.isFinite(p.maePct) && Number.isFinite(p.mfePct)).map((p) => ({ x: p.maePct, y: p.mfePct, o: p.winner ? 'Winner' : 'Loser' }));
  if (values.length === 0) return renderVegaLiteSvg('mae-mfe', noDataSpec('MAE/MFE: no data', 260));
  const spec = {
    width: CHART_WIDTH,
    height: 260,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Maximum adverse and favourable excursion of each trade, percent of entry price',
    config: CHART_CONFIG,
    data: { values },
    mark: { type: 'point', filled: true, size: 36, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', axis: { title: 'MAE (% of entry)', tickCount: 8 } },
      y: { field: 'y', type: 'quantitative', axis: { title: 'MFE (% of entry)', tickCount: 5 } },
      color: { field: 'o', type: 'nominal', scale: { domain: ['Winner', 'Loser'], range: ['#2563eb', '#dc2626'] }, legend: { title: null, orient: 'top', direction: 'horizontal' } },
    },
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg('mae-mfe', spec);
}

/** An entry or exit of a trade on the price chart. */
export interface PriceMarker {
  readonly time: number;
  readonly price: number;
  readonly kind: 'entry' | 'exit';
}

/**
 * Renders a symbol's close with the strategy's indicator lines and the trades' entry (▲) and
 * exit (▼) markers, over `[from, to]` of the bar indices; lines are downsampled to `maxPoints`.
 */
export function renderPriceChart(
  time: ArrayLike<number>,
  close: ArrayLike<number>,
  indicators: readonly { readonly name: string; readonly values: ArrayLike<number> }[],
  markers: readonly PriceMarker[],
  range: { readonly from: number; readonly to: number },
  maxPoints: number = REPORT_MAX_CHART_POINTS,
): Promise<string> {
  const from = Math.max(0, range.from);
  const to = Math.min(time.length - 1, range.to);
  const slice = (values: ArrayLike<number>): Float64Array => Float64Array.from({ length: Math.max(0, to - from + 1) }, (_, k) => values[from + k] as number);
  const t = slice(time);
  const palette = ['#f59e0b', '#7c3aed', '#059669', '#db2777', '#0891b2'];
  const lines: { t: number; v: number; s: string }[] = [];
  const series = [{ name: 'Close', values: slice(close) }, ...indicators.map((ind) => ({ name: ind.name, values: slice(ind.values) }))];
  for (const s of series) {
    for (const i of chartSampleIndices(s.values, maxPoints)) {
      const v = s.values[i] as number;
      const ti = t[i] as number;
      if (Number.isFinite(v) && Number.isFinite(ti)) lines.push({ t: ti, v, s: s.name });
    }
  }
  if (lines.length === 0) return renderVegaLiteSvg('price', noDataSpec('Price: no data', PRICE_HEIGHT));
  const first = t[0] as number;
  const last = t[t.length - 1] as number;
  const shown = markers.filter((m) => m.time >= first && m.time <= last && Number.isFinite(m.price)).map((m) => ({ t: m.time, v: m.price, k: m.kind === 'entry' ? 'Entry' : 'Exit' }));
  const names = series.map((s) => s.name);
  const spec = {
    width: CHART_WIDTH,
    height: PRICE_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Close, indicators and trade entries and exits',
    config: CHART_CONFIG,
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.3 },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc', domain: [first, last] }, axis: { title: null, grid: false, tickCount: 8 } },
          y: { field: 'v', type: 'quantitative', scale: { zero: false }, axis: { title: 'Price', tickCount: 6 } },
          color: { field: 's', type: 'nominal', scale: { domain: names, range: ['#374151', ...palette].slice(0, names.length) }, legend: { title: null, orient: 'top', direction: 'horizontal' } },
        },
      },
      {
        data: { values: shown },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.95, stroke: '#ffffff', strokeWidth: 0.8 },
        encoding: {
          x: { field: 't', type: 'temporal' },
          y: { field: 'v', type: 'quantitative' },
          shape: { field: 'k', type: 'nominal', scale: { domain: ['Entry', 'Exit'], range: ['triangle-up', 'triangle-down'] }, legend: { title: null, orient: 'top', direction: 'horizontal' } },
          fill: { field: 'k', type: 'nominal', scale: { domain: ['Entry', 'Exit'], range: ['#059669', '#dc2626'] }, legend: null },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg('price', spec);
}
