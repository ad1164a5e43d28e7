import { ConfigError, DataError, QuantbotError } from '@quantbot/core';
import type * as Vega from 'vega';
import type { View } from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { AnnualReturn } from './run-analytics';
import type { RunAnalyticsChartName } from './run-report-charts';

/**
 * The most points a report chart draws from an equity or drawdown curve. Longer curves are
 * reduced with `chartSampleIndices`, which keeps each bucket's extremes, so peaks and troughs
 * stay visible while a 1M-bar run still renders in well under a second.
 */
export const REPORT_MAX_CHART_POINTS = 2000;

/**
 * A chart of a report page; also the value of its figure's `data-chart` attribute: the run
 * report's `equity`, `drawdown` and `monthly-returns`, the factor tear sheet's `ic-series`,
 * `quantile-returns` and `cumulative-spread`, the run report's analytics charts
 * (`RunAnalyticsChartName`: rolling metrics, exposure, distributions, MAE/MFE, price), the sweep
 * report's `objective-heatmap`, `objective-line` and `trial-sharpe`, the walk-forward report's
 * `fold-sharpe`, `chosen-params` and `oos-equity`.
 */
export type ReportChartName =
  | 'equity'
  | 'drawdown'
  | 'monthly-returns'
  | 'ic-series'
  | 'quantile-returns'
  | 'cumulative-spread'
  | 'objective-heatmap'
  | 'objective-line'
  | 'trial-sharpe'
  | 'fold-sharpe'
  | 'chosen-params'
  | 'oos-equity'
  | RunAnalyticsChartName;

/** A chart of the HTML report could not be rendered; `cause` holds vega's own error. */
export class ReportRenderError extends QuantbotError {
  readonly chart: ReportChartName;

  constructor(chart: ReportChartName, message: string, options?: { cause?: unknown }) {
    super('REPORT_RENDER_FAILED', `chart ${chart}: ${message}`, options);
    this.chart = chart;
  }
}

/**
 * Drawdown at each step, in percent of the running peak of equity: `0` at a new high,
 * `-25` when equity is a quarter below its best value so far. The result has one value per
 * input value. A non-finite equity value gives `NaN` there and does not move the peak; while
 * the peak is not positive (no finite equity yet, or an account that never had positive
 * equity) drawdown is undefined and the value is `NaN`.
 *
 * @example drawdownSeries([100, 120, 90, 130]) // Float64Array [0, 0, -25, 0]
 */
export function drawdownSeries(equity: ArrayLike<number>): Float64Array {
  const n = equity.length;
  const out = new Float64Array(n);
  let peak = -Infinity;
  for (let i = 0; i < n; i++) {
    const value = equity[i] as number;
    if (!Number.isFinite(value)) {
      out[i] = NaN;
      continue;
    }
    if (value > peak) peak = value;
    out[i] = peak > 0 ? ((value - peak) / peak) * 100 : NaN;
  }
  return out;
}

/** The return of one calendar month (UTC), from month-end equity to month-end equity. */
export interface MonthlyReturn {
  readonly year: number;
  /** 1 (January) to 12 (December). */
  readonly month: number;
  /** Percent: `2.5` is +2.5 %. `NaN` when the base equity is not positive. */
  readonly returnPct: number;
}

/**
 * Monthly returns of an equity curve, oldest first, one entry per UTC calendar month that has
 * at least one step. A month's return is its last equity over the previous month's last equity;
 * the first month is measured from the first equity of the curve. A month without any step is
 * absent, and the next month is then measured from the last month that has one. Steps whose
 * time or equity is not finite are ignored. Times are epoch ms and must not decrease.
 *
 * @throws DataError when `time` and `equity` differ in length.
 * @example
 * // 100 on Jan 1st, 110 on Jan 31st, 99 on Feb 28th
 * monthlyReturns([jan1, jan31, feb28], [100, 110, 99])
 * // [{ year: 2021, month: 1, returnPct: 10 }, { year: 2021, month: 2, returnPct: -10 }]
 */
export function monthlyReturns(time: ArrayLike<number>, equity: ArrayLike<number>): readonly MonthlyReturn[] {
  if (time.length !== equity.length) {
    throw new DataError(`time has ${time.length} values but equity has ${equity.length}`, { field: 'equity' });
  }
  const out: MonthlyReturn[] = [];
  let base = NaN;
  let last = NaN;
  let year = 0;
  let month = 0;
  // The current month's [start, end) in epoch ms: a Date is built only when a step leaves it.
  let monthStart = Infinity;
  let monthEnd = -Infinity;
  for (let i = 0; i < time.length; i++) {
    const t = time[i] as number;
    const value = equity[i] as number;
    if (!Number.isFinite(t) || !Number.isFinite(value)) continue;
    if (t >= monthStart && t < monthEnd) {
      last = value;
      continue;
    }
    if (month !== 0) {
      out.push(Object.freeze({ year, month, returnPct: monthlyPct(base, last) }));
      base = last;
    } else {
      base = value;
    }
    const date = new Date(t);
    year = date.getUTCFullYear();
    month = date.getUTCMonth() + 1;
    monthStart = Date.UTC(year, month - 1, 1);
    monthEnd = Date.UTC(year, month, 1);
    last = value;
  }
  if (month !== 0) out.push(Object.freeze({ year, month, returnPct: monthlyPct(base, last) }));
  return Object.freeze(out);
}

function monthlyPct(base: number, last: number): number {
  return base > 0 ? ((last - base) / base) * 100 : NaN;
}

/**
 * Indices of the points to draw from a long series, in increasing order: the first and last
 * point, and for each of `⌊(maxPoints − 2) / 2⌋` equal buckets in between, the bucket's lowest and
 * highest finite value (so a drawdown's trough or a spike is never dropped). A series of at most
 * `maxPoints` values is returned whole. `maxPoints` must be an integer of at least 4.
 */
export function chartSampleIndices(values: ArrayLike<number>, maxPoints: number = REPORT_MAX_CHART_POINTS): Uint32Array {
  if (!Number.isInteger(maxPoints) || maxPoints < 4) {
    throw new ConfigError('maxPoints', `must be an integer of at least 4, got ${maxPoints}`);
  }
  const n = values.length;
  if (n <= maxPoints) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const buckets = Math.floor((maxPoints - 2) / 2);
  const inner = n - 2;
  const picked = new Uint32Array(2 + 2 * buckets);
  let count = 0;
  picked[count++] = 0;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    let minIndex = -1;
    let maxIndex = -1;
    let min = Infinity;
    let max = -Infinity;
    for (let i = start; i < end; i++) {
      const value = values[i] as number;
      if (value < min) {
        min = value;
        minIndex = i;
      }
      if (value > max) {
        max = value;
        maxIndex = i;
      }
    }
    if (minIndex < 0) continue; // only non-finite values in this bucket: nothing to draw
    const first = Math.min(minIndex, maxIndex);
    const second = Math.max(minIndex, maxIndex);
    picked[count++] = first;
    if (second !== first) picked[count++] = second;
  }
  picked[count++] = n - 1;
  return picked.slice(0, count);
}

/** Chart width of the time-series charts, in CSS pixels (the whole SVG, axes included). */
export const CHART_WIDTH = 900;
/** Chart height of the time-series charts, in CSS pixels. */
export const CHART_HEIGHT = 260;
const HEATMAP_ROW_HEIGHT = 28;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The look every report chart shares (font, colours of axes and grid). */
export const CHART_CONFIG = {
  font: FONT,
  background: '#ffffff',
  view: { stroke: null },
  axis: {
    labelColor: '#4b5563',
    labelFontSize: 11,
    titleColor: '#374151',
    titleFontSize: 12,
    titleFontWeight: 600,
    gridColor: '#eef0f3',
    domainColor: '#9ca3af',
    tickColor: '#9ca3af',
  },
  legend: { labelColor: '#4b5563', titleColor: '#374151', titleFontWeight: 600 },
} as const;

/** One point of a time-series chart: `t` epoch ms, `v` the value. */
interface TimePoint {
  readonly t: number;
  readonly v: number;
}

/** The finite points of `values` at `indices`, paired with their times. */
function timePoints(time: ArrayLike<number>, values: ArrayLike<number>, indices: Uint32Array): TimePoint[] {
  const points: TimePoint[] = [];
  for (const i of indices) {
    const t = time[i] as number;
    const v = values[i] as number;
    if (Number.isFinite(t) && Number.isFinite(v)) points.push({ t, v });
  }
  return points;
}

/**
 * Renders the equity line chart as an SVG string. The chart draws at most `maxPoints` points
 * (see `chartSampleIndices`).
 */
export function renderEquityChart(time: ArrayLike<number>, equity: ArrayLike<number>, maxPoints: number = REPORT_MAX_CHART_POINTS): Promise<string> {
  const points = timePoints(time, equity, chartSampleIndices(equity, maxPoints));
  if (points.length === 0) return renderVegaLiteSvg('equity', noDataSpec('Equity over time: no data', CHART_HEIGHT));
  const spec: TopLevelSpec = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Equity over time',
    config: CHART_CONFIG,
    data: { values: points },
    mark: { type: 'line', color: '#2563eb', strokeWidth: 1.5, interpolate: 'linear' },
    encoding: {
      x: { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: { title: null, grid: false, tickCount: 8 } },
      y: { field: 'v', type: 'quantitative', scale: { zero: false }, axis: { title: 'Equity', format: '~s', tickCount: 6 } },
    },
  };
  return renderVegaLiteSvg('equity', spec);
}

/**
 * Renders the drawdown area chart (percent below the running peak, from `drawdownSeries`) as
 * an SVG string, drawing at most `maxPoints` points.
 */
export function renderDrawdownChart(time: ArrayLike<number>, drawdownPct: ArrayLike<number>, maxPoints: number = REPORT_MAX_CHART_POINTS): Promise<string> {
  const points = timePoints(time, drawdownPct, chartSampleIndices(drawdownPct, maxPoints));
  if (points.length === 0) return renderVegaLiteSvg('drawdown', noDataSpec('Drawdown: no data', CHART_HEIGHT));
  let deepest = 0;
  for (const p of points) if (p.v < deepest) deepest = p.v;
  const spec: TopLevelSpec = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Drawdown from the running peak, percent',
    config: CHART_CONFIG,
    data: { values: points },
    mark: { type: 'area', color: '#dc2626', fillOpacity: 0.22, line: { color: '#b91c1c', strokeWidth: 1 } },
    encoding: {
      x: { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: { title: null, grid: false, tickCount: 8 } },
      y: {
        field: 'v',
        type: 'quantitative',
        // A flat curve still gets a readable axis down to −1 %.
        scale: { domain: [Math.min(deepest, -1), 0], nice: true },
        axis: { title: 'Drawdown (%)', tickCount: 6 },
      },
    },
  };
  return renderVegaLiteSvg('drawdown', spec);
}

/**
 * Renders the monthly-returns heatmap (years as rows, months as columns) as an SVG string. The
 * colour scale is diverging and symmetric around 0 (red losses, blue gains), set by the months
 * (a year's cell beyond it takes the end colour); each cell is labelled with its return. Months
 * whose return is not finite are left blank. With `years`, a 13th column `Year` holds each
 * year's return (its rows are those of the months).
 */
export function renderMonthlyReturnsChart(returns: readonly MonthlyReturn[], years: readonly AnnualReturn[] = []): Promise<string> {
  const monthCells = returns
    .filter((r) => Number.isFinite(r.returnPct))
    .map((r) => ({ year: String(r.year), month: r.month, returnPct: r.returnPct }));
  if (monthCells.length === 0) return renderVegaLiteSvg('monthly-returns', noDataSpec('Monthly returns: no data', 3 * HEATMAP_ROW_HEIGHT));
  const rows = [...new Set(returns.map((r) => String(r.year)))];
  const yearCells = years.filter((y) => Number.isFinite(y.returnPct) && rows.includes(String(y.year))).map((y) => ({ year: String(y.year), month: 13, returnPct: y.returnPct }));
  const cells = [...monthCells, ...yearCells];
  const withYear = yearCells.length > 0;
  let extent = 0;
  for (const c of monthCells) extent = Math.max(extent, Math.abs(c.returnPct));
  if (extent === 0) extent = 1;
  const spec: TopLevelSpec = {
    width: CHART_WIDTH,
    height: Math.max(1, rows.length) * HEATMAP_ROW_HEIGHT,
    padding: 4,
    description: 'Monthly returns, percent, by year and month',
    config: { ...CHART_CONFIG, axis: { ...CHART_CONFIG.axis, domain: false, ticks: false, grid: false } },
    data: { values: cells },
    encoding: {
      x: {
        field: 'month',
        type: 'ordinal',
        scale: { domain: withYear ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], paddingInner: 0.06 },
        axis: { title: null, orient: 'top', labelAngle: 0, labelExpr: `${JSON.stringify([...MONTH_NAMES, 'Year'])}[datum.value - 1]` },
      },
      y: { field: 'year', type: 'ordinal', scale: { domain: rows, paddingInner: 0.1 }, axis: { title: null } },
    },
    layer: [
      {
        mark: { type: 'rect', cornerRadius: 2 },
        encoding: {
          color: {
            field: 'returnPct',
            type: 'quantitative',
            scale: { scheme: 'redblue', domain: [-extent, extent], clamp: true },
            legend: { title: 'Monthly return (%)', orient: 'bottom', direction: 'horizontal', gradientLength: 260, format: '.1f' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'returnPct', type: 'quantitative', format: '+.1f' },
          color: { condition: { test: `abs(datum.returnPct) > ${extent * 0.6}`, value: '#ffffff' }, value: '#1f2937' },
        },
      },
    ],
  };
  return renderVegaLiteSvg('monthly-returns', spec);
}

/** A chart of the given size that only says "No data" (an empty time axis would read "NaN"). */
export function noDataSpec(description: string, height: number): TopLevelSpec {
  return {
    width: CHART_WIDTH,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description,
    config: CHART_CONFIG,
    data: { values: [{}] },
    mark: { type: 'text', text: 'No data', fontSize: 14, color: '#9ca3af', align: 'center', baseline: 'middle' },
    encoding: { x: { value: CHART_WIDTH / 2 }, y: { value: height / 2 } },
  };
}

/**
 * Compiles a Vega-Lite spec and renders it on the server (no DOM, no canvas) as an SVG string.
 * The spec must carry its data inline: nothing is loaded.
 */
export async function renderVegaLiteSvg(chart: ReportChartName, spec: TopLevelSpec): Promise<string> {
  // Loaded on the first chart, not with the library: Vega takes ~0.2 s to load, which every
  // process that only logs or writes a kill file (a sweep worker, the trader) would pay. Vega is
  // an optional peer dependency: a project that renders no report does not install it.
  let modules: [typeof Vega, typeof VegaLite];
  try {
    modules = await Promise.all([import('vega'), import('vega-lite')]);
  } catch (error: unknown) {
    throw new ReportRenderError(chart, `the report's charts need the packages vega and vega-lite: install them (npm install vega vega-lite) (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
  const [vega, vegaLite] = modules;
  let view: View | undefined;
  try {
    const compiled = vegaLite.compile(spec, { logger: vega.logger(vega.Error) }).spec;
    view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
    return await view.toSVG();
  } catch (error: unknown) {
    throw new ReportRenderError(chart, error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    view?.finalize();
  }
}
