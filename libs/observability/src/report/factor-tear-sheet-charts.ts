import { ConfigError } from '@quantbot/core';
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, CHART_HEIGHT, CHART_WIDTH, chartSampleIndices, noDataSpec, renderVegaLiteSvg } from './html-report-charts';

/** The window of the IC charts' rolling mean, in dates: alphalens' one-month moving average (22 sessions). */
export const FACTOR_IC_ROLLING_WINDOW = 22;

/** The height of each period's IC chart, in CSS pixels (one chart per period, stacked). */
const IC_CHART_HEIGHT = 200;

/**
 * The trailing mean of a series over `window` values: at index i, the mean of the finite values
 * among indices i − window + 1 … i. `NaN` while the window is not yet full (i < window − 1) and
 * when it holds no finite value; a missing value inside a full window is left out, not counted
 * as zero. `window` is a whole number of at least 1.
 *
 * @example rollingMean([1, 2, NaN, 4], 2) // Float64Array [NaN, 1.5, 2, 4]
 */
export function rollingMean(values: ArrayLike<number>, window: number): Float64Array {
  if (!Number.isInteger(window) || window < 1) throw new ConfigError('window', `must be a whole number of at least 1, got ${window}`);
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const entering = values[i] as number;
    if (Number.isFinite(entering)) {
      sum += entering;
      count++;
    }
    if (i >= window) {
      const leaving = values[i - window] as number;
      if (Number.isFinite(leaving)) {
        sum -= leaving;
        count--;
      }
    }
    if (i >= window - 1 && count > 0) out[i] = sum / count;
  }
  return out;
}

/** One point of a cumulative top-minus-bottom curve: `index` into the series' dates, `value` a fraction (0.1 = +10 %). */
export interface CumulativeSpreadPoint {
  readonly index: number;
  readonly value: number;
}

/**
 * The cumulative return of the top-minus-bottom portfolio of one period k: long the top quantile,
 * short the bottom one, formed every k dates and held k dates, so k-date returns compound
 * without overlapping. `spread[d]` is the k-date spread of the portfolio formed at date d
 * (`NaN` when not defined). The curve starts at 0 at the first date with a spread; the holding
 * formed at d ends at d + k, where the curve reads ∏(1 + spread) − 1 over the holdings so far.
 * A holding whose spread is missing earns nothing (cash). The last holding is the last one
 * formed at or before the last date with a spread that ends within the series. With k = 1 this
 * is the daily compounded spread.
 *
 * @example cumulativeSpread([0.1, 0.5, -0.1, NaN], 2) // [{ index: 0, value: 0 }, { index: 2, value: 0.1 }]
 */
export function cumulativeSpread(spread: ArrayLike<number>, period: number): readonly CumulativeSpreadPoint[] {
  if (!Number.isInteger(period) || period < 1) throw new ConfigError('period', `must be a whole number of at least 1, got ${period}`);
  let first = -1;
  let last = -1;
  for (let i = 0; i < spread.length; i++) {
    if (!Number.isFinite(spread[i] as number)) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0) return [];
  const points: CumulativeSpreadPoint[] = [{ index: first, value: 0 }];
  let growth = 1;
  for (let d = first; d <= last && d + period < spread.length; d += period) {
    const value = spread[d] as number;
    if (Number.isFinite(value)) growth *= 1 + value;
    points.push({ index: d + period, value: growth - 1 });
  }
  return points;
}

/** `YYYY-MM-DD` as epoch ms at 00:00 UTC; `NaN` when it is not such a date. */
export function dateToEpochMs(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  return match === null ? NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/**
 * Renders one period's IC chart as an SVG string: the daily IC (grey) and its trailing mean over
 * `window` dates (blue), with a rule at zero. `time` is epoch ms per date; `ic` and `rolling` have
 * one value per date (`NaN` where undefined). At most `REPORT_MAX_CHART_POINTS` dates are drawn
 * (see `chartSampleIndices`).
 */
export function renderIcSeriesChart(period: number, time: ArrayLike<number>, ic: ArrayLike<number>, rolling: ArrayLike<number>, window: number): Promise<string> {
  const daily = 'daily IC';
  const mean = `${window}-date mean`;
  const points: { t: number; v: number; s: string }[] = [];
  for (const i of chartSampleIndices(ic)) {
    const t = time[i] as number;
    if (!Number.isFinite(t)) continue;
    if (Number.isFinite(ic[i] as number)) points.push({ t, v: ic[i] as number, s: daily });
    if (Number.isFinite(rolling[i] as number)) points.push({ t, v: rolling[i] as number, s: mean });
  }
  if (points.length === 0) return renderVegaLiteSvg('ic-series', noDataSpec(`Information coefficient, period ${period}: no data`, IC_CHART_HEIGHT));
  const spec: TopLevelSpec = {
    width: CHART_WIDTH,
    height: IC_CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: `Daily information coefficient of the ${period}-period forward return, with its ${window}-date trailing mean`,
    config: CHART_CONFIG,
    layer: [
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 3] }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
      {
        data: { values: points },
        mark: { type: 'line', interpolate: 'linear' },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: { title: null, grid: false, tickCount: 8 } },
          y: { field: 'v', type: 'quantitative', axis: { title: `IC, period ${period}`, tickCount: 5 } },
          color: { field: 's', type: 'nominal', scale: { domain: [daily, mean], range: ['#b6bcc6', '#2563eb'] }, legend: { title: null, orient: 'top-right' } },
          strokeWidth: { field: 's', type: 'nominal', scale: { domain: [daily, mean], range: [1, 2.2] }, legend: null },
        },
      },
    ],
  };
  return renderVegaLiteSvg('ic-series', spec);
}

/**
 * Renders the mean forward return of each quantile as grouped bars (one colour per period), in
 * basis points, as an SVG string. `returns[k][q − 1]` is quantile q's mean k-period return (a
 * fraction, `null` when not defined: no bar).
 */
export function renderQuantileReturnsChart(periods: readonly number[], quantiles: number, returns: Readonly<Record<string, readonly (number | null)[]>>): Promise<string> {
  const bars: { quantile: number; period: string; bps: number }[] = [];
  for (const period of periods) {
    const row = returns[String(period)] ?? [];
    for (let q = 1; q <= quantiles; q++) {
      const value = row[q - 1];
      if (typeof value === 'number' && Number.isFinite(value)) bars.push({ quantile: q, period: String(period), bps: value * 10_000 });
    }
  }
  if (bars.length === 0) return renderVegaLiteSvg('quantile-returns', noDataSpec('Mean forward return by quantile: no data', CHART_HEIGHT));
  const periodNames = periods.map(String);
  const spec: TopLevelSpec = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Mean forward return by factor quantile and period, basis points',
    config: CHART_CONFIG,
    data: { values: bars },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'quantile',
        type: 'ordinal',
        scale: { domain: Array.from({ length: quantiles }, (_, i) => i + 1), paddingInner: 0.2 },
        axis: { title: 'Quantile (1 = lowest factor values)', labelAngle: 0 },
      },
      xOffset: { field: 'period', type: 'nominal', scale: { domain: periodNames } },
      y: { field: 'bps', type: 'quantitative', axis: { title: 'Mean forward return (bps)', tickCount: 6 } },
      color: { field: 'period', type: 'nominal', scale: { domain: periodNames, scheme: 'tableau10' }, legend: { title: 'Period', orient: 'top-left' } },
    },
  };
  return renderVegaLiteSvg('quantile-returns', spec);
}

/** One period's cumulative top-minus-bottom curve as {@link renderCumulativeSpreadChart} draws it. */
export interface CumulativeSpreadCurve {
  readonly period: number;
  readonly points: readonly CumulativeSpreadPoint[];
}

/**
 * Renders the cumulative top-minus-bottom return of each period (one line per period, percent,
 * from {@link cumulativeSpread}) as an SVG string. `time` is epoch ms per date. Each curve draws
 * at most `REPORT_MAX_CHART_POINTS` points.
 */
export function renderCumulativeSpreadChart(time: ArrayLike<number>, curves: readonly CumulativeSpreadCurve[]): Promise<string> {
  const points: { t: number; v: number; period: string }[] = [];
  for (const curve of curves) {
    const values = Float64Array.from(curve.points, (p) => p.value);
    for (const i of chartSampleIndices(values)) {
      const point = curve.points[i] as CumulativeSpreadPoint;
      const t = time[point.index] as number;
      if (Number.isFinite(t) && Number.isFinite(point.value)) points.push({ t, v: point.value * 100, period: String(curve.period) });
    }
  }
  if (points.length === 0) return renderVegaLiteSvg('cumulative-spread', noDataSpec('Cumulative top minus bottom return: no data', CHART_HEIGHT));
  const periodNames = curves.map((c) => String(c.period));
  const spec: TopLevelSpec = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Cumulative return of the top quantile minus the bottom quantile, percent, one line per period',
    config: CHART_CONFIG,
    layer: [
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 3] }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.6, interpolate: 'linear' },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: { title: null, grid: false, tickCount: 8 } },
          y: { field: 'v', type: 'quantitative', axis: { title: 'Cumulative top − bottom (%)', tickCount: 6 } },
          color: { field: 'period', type: 'nominal', scale: { domain: periodNames, scheme: 'tableau10' }, legend: { title: 'Period', orient: 'top-left' } },
        },
      },
    ],
  };
  return renderVegaLiteSvg('cumulative-spread', spec);
}
