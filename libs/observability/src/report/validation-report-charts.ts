import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, CHART_HEIGHT, CHART_WIDTH, chartSampleIndices, noDataSpec, renderVegaLiteSvg } from './html-report-charts';
import type { HistogramBin } from './run-analytics';

// The charts of the sweep and walk-forward reports: Vega-Lite specs with their data inline,
// rendered to SVG on the server like the run report's.

/** A heatmap cell as the chart draws it: axis labels, the objective (null: not defined), whether it is the chosen trial. */
export interface HeatmapChartCell {
  readonly x: string;
  readonly y: string;
  readonly value: number | null;
  readonly chosen: boolean;
}

/** The most rows or columns whose cells carry their value as text; larger grids are colour only. */
const HEATMAP_MAX_LABELLED_AXIS = 14;
const HEATMAP_MAX_HEIGHT = 520;

/**
 * Renders the objective over two parameters as a heatmap (rows `y`, columns `x`, in the given
 * orders) as an SVG string. The colour scale is diverging and symmetric around 0 (red below,
 * blue above); a cell whose objective is undefined is grey, a combination without a trial is
 * blank, and the chosen trial's cell is outlined in black.
 */
export function renderObjectiveHeatmap(
  cells: readonly HeatmapChartCell[],
  axes: { readonly x: string; readonly y: string; readonly xValues: readonly string[]; readonly yValues: readonly string[]; readonly objective: string },
): Promise<string> {
  const rowHeight = Math.max(6, Math.min(36, Math.floor(HEATMAP_MAX_HEIGHT / Math.max(1, axes.yValues.length))));
  const height = Math.max(60, rowHeight * axes.yValues.length);
  if (cells.length === 0) return renderVegaLiteSvg('objective-heatmap', noDataSpec(`Objective by ${axes.x} and ${axes.y}: no data`, height));
  const width = Math.min(CHART_WIDTH - 120, Math.max(280, 76 * axes.xValues.length));
  let extent = 0;
  for (const c of cells) if (c.value !== null) extent = Math.max(extent, Math.abs(c.value));
  if (extent === 0) extent = 1;
  const defined = cells.filter((c) => c.value !== null);
  const undefinedCells = cells.filter((c) => c.value === null);
  const labelled = axes.xValues.length <= HEATMAP_MAX_LABELLED_AXIS && axes.yValues.length <= HEATMAP_MAX_LABELLED_AXIS;
  const layer: unknown[] = [];
  if (undefinedCells.length > 0) {
    layer.push({ data: { values: undefinedCells }, mark: { type: 'rect', color: '#e5e7eb' } });
  }
  if (defined.length > 0) {
    layer.push({
      data: { values: defined },
      mark: { type: 'rect' },
      encoding: {
        color: {
          field: 'value',
          type: 'quantitative',
          scale: { scheme: 'redblue', domain: [-extent, extent] },
          legend: { title: axes.objective, orient: 'right', gradientLength: Math.min(200, height) },
        },
      },
    });
    if (labelled) {
      layer.push({
        data: { values: defined },
        mark: { type: 'text', fontSize: 10.5 },
        encoding: {
          text: { field: 'value', type: 'quantitative', format: '.3~f' },
          color: { condition: { test: `abs(datum.value) > ${extent * 0.6}`, value: '#ffffff' }, value: '#1f2937' },
        },
      });
    }
  }
  const chosen = cells.filter((c) => c.chosen);
  if (chosen.length > 0) layer.push({ data: { values: chosen }, mark: { type: 'rect', fill: null, stroke: '#111827', strokeWidth: 2.5 } });
  const spec = {
    width,
    height,
    padding: 4,
    description: `Objective (${axes.objective}) by ${axes.x} and ${axes.y}`,
    config: { ...CHART_CONFIG, axis: { ...CHART_CONFIG.axis, domain: false, ticks: false, grid: false } },
    encoding: {
      x: { field: 'x', type: 'ordinal', scale: { domain: [...axes.xValues], paddingInner: 0.06 }, axis: { title: axes.x, orient: 'bottom', labelAngle: 0, labelOverlap: true } },
      y: { field: 'y', type: 'ordinal', scale: { domain: [...axes.yValues], paddingInner: 0.08 }, sort: null, axis: { title: axes.y, labelOverlap: true } },
    },
    layer,
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg('objective-heatmap', spec);
}

/**
 * Renders the objective over one parameter as an SVG string: a line with points over numeric
 * values, bars over other values (in the given order). Points whose objective is undefined are
 * left out; the chosen trial's value is marked with a dashed rule.
 */
export function renderObjectiveLine(
  points: readonly { readonly x: number | string; readonly value: number | null }[],
  axis: { readonly name: string; readonly numeric: boolean; readonly order: readonly string[]; readonly objective: string; readonly chosen: number | string | null },
): Promise<string> {
  const defined = points.filter((p) => p.value !== null && (!axis.numeric || typeof p.x === 'number'));
  if (defined.length === 0) return renderVegaLiteSvg('objective-line', noDataSpec(`Objective by ${axis.name}: no data`, CHART_HEIGHT));
  const x = axis.numeric
    ? { field: 'x', type: 'quantitative', scale: { zero: false }, axis: { title: axis.name, tickCount: 8 } }
    : { field: 'x', type: 'ordinal', scale: { domain: [...axis.order] }, axis: { title: axis.name, labelAngle: 0 } };
  const layer: unknown[] = [{ data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 3] }, encoding: { y: { field: 'zero', type: 'quantitative' } } }];
  if (axis.numeric) {
    layer.push({ data: { values: defined }, mark: { type: 'line', color: '#2563eb', strokeWidth: 1.8, point: { filled: true, size: 36, color: '#2563eb' } }, encoding: { x, y: { field: 'value', type: 'quantitative', axis: { title: axis.objective } } } });
  } else {
    layer.push({ data: { values: defined }, mark: { type: 'bar', color: '#2563eb' }, encoding: { x, y: { field: 'value', type: 'quantitative', axis: { title: axis.objective } } } });
  }
  if (axis.chosen !== null && axis.numeric) {
    layer.push({ data: { values: [{ x: axis.chosen }] }, mark: { type: 'rule', color: '#111827', strokeDash: [2, 2] }, encoding: { x: { field: 'x', type: 'quantitative' } } });
  }
  const spec = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: `Objective (${axis.objective}) by ${axis.name}`,
    config: CHART_CONFIG,
    layer,
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg('objective-line', spec);
}

/** One bar of a histogram: `[from, to)` (the last bar includes `to`) and how many values fell in it. */

/** Renders the distribution of the trials' Sharpe ratios (pre-binned) as an SVG string, with the chosen trial's Sharpe as a dashed rule. */
export function renderTrialSharpeChart(bins: readonly HistogramBin[], chosen: number | null): Promise<string> {
  if (bins.length === 0) return renderVegaLiteSvg('trial-sharpe', noDataSpec('Sharpe ratios of the trials: no data', CHART_HEIGHT));
  const layer: unknown[] = [
    {
      data: { values: bins },
      mark: { type: 'rect', color: '#60a5fa', stroke: '#ffffff', strokeWidth: 1 },
      encoding: {
        x: { field: 'from', type: 'quantitative', scale: { zero: false, nice: false }, axis: { title: 'Sharpe ratio (annualized)', tickCount: 8 } },
        x2: { field: 'to' },
        y: { field: 'count', type: 'quantitative', axis: { title: 'Trials', tickMinStep: 1 } },
      },
    },
  ];
  if (chosen !== null && Number.isFinite(chosen)) {
    layer.push({ data: { values: [{ x: chosen }] }, mark: { type: 'rule', color: '#111827', strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { x: { field: 'x', type: 'quantitative' } } });
  }
  const spec = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Distribution of the annualized Sharpe ratios of the trials',
    config: CHART_CONFIG,
    layer,
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg('trial-sharpe', spec);
}

/** Renders each fold's in-sample and out-of-sample Sharpe ratio as grouped bars, as an SVG string. Undefined Sharpe ratios get no bar. */
export function renderFoldSharpeChart(folds: readonly { readonly fold: number; readonly inSample: number | null; readonly outOfSample: number | null }[]): Promise<string> {
  const bars: { fold: number; sample: string; sharpe: number }[] = [];
  for (const f of folds) {
    if (f.inSample !== null && Number.isFinite(f.inSample)) bars.push({ fold: f.fold, sample: 'in sample', sharpe: f.inSample });
    if (f.outOfSample !== null && Number.isFinite(f.outOfSample)) bars.push({ fold: f.fold, sample: 'out of sample', sharpe: f.outOfSample });
  }
  if (bars.length === 0) return renderVegaLiteSvg('fold-sharpe', noDataSpec('Sharpe ratio by fold: no data', CHART_HEIGHT));
  const samples = ['in sample', 'out of sample'];
  const spec: TopLevelSpec = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Annualized Sharpe ratio of the chosen parameters by fold, in sample and out of sample',
    config: CHART_CONFIG,
    data: { values: bars },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'fold', type: 'ordinal', scale: { domain: folds.map((f) => f.fold), paddingInner: 0.2 }, axis: { title: 'Fold', labelAngle: 0 } },
      xOffset: { field: 'sample', type: 'nominal', scale: { domain: samples } },
      y: { field: 'sharpe', type: 'quantitative', axis: { title: 'Sharpe ratio (annualized)', tickCount: 6 } },
      color: { field: 'sample', type: 'nominal', scale: { domain: samples, range: ['#9ca3af', '#2563eb'] }, legend: { title: null, orient: 'top', direction: 'horizontal' } },
    },
  };
  return renderVegaLiteSvg('fold-sharpe', spec);
}

const CHOSEN_PARAM_ROW_HEIGHT = 90;

/**
 * Renders the chosen value of each numeric parameter by fold (one small line chart per
 * parameter, each with its own scale) as an SVG string.
 */
export function renderChosenParamsChart(points: readonly { readonly fold: number; readonly param: string; readonly value: number }[], params: readonly string[], folds: readonly number[]): Promise<string> {
  if (points.length === 0) return renderVegaLiteSvg('chosen-params', noDataSpec('Chosen parameters by fold: no numeric parameter', 80));
  const spec = {
    padding: 4,
    description: 'The parameter values each fold chose in sample',
    config: { ...CHART_CONFIG, header: { labelFontSize: 12, labelFontWeight: 600, labelColor: '#374151', labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', title: null } },
    data: { values: points },
    facet: { row: { field: 'param', type: 'nominal', sort: [...params], header: { title: null, labelOrient: 'top', labelAngle: 0, labelAlign: 'left', labelAnchor: 'start' } } },
    spec: {
      width: CHART_WIDTH - 80,
      height: CHOSEN_PARAM_ROW_HEIGHT,
      mark: { type: 'line', color: '#2563eb', strokeWidth: 1.5, point: { filled: true, size: 40, color: '#2563eb' } },
      encoding: {
        x: { field: 'fold', type: 'ordinal', scale: { domain: [...folds] }, axis: { title: 'Fold', labelAngle: 0 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, axis: { title: null, tickCount: 4 } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg('chosen-params', spec);
}

/**
 * Renders the stitched out-of-sample equity curve as an SVG string: one line per fold (so a
 * fold's segment can be told apart) with a dashed rule where each fold's test window starts.
 * `fold[i]` is the fold number of point i; at most `REPORT_MAX_CHART_POINTS` points are drawn.
 */
export function renderOosEquityChart(time: ArrayLike<number>, equity: ArrayLike<number>, fold: ArrayLike<number>, foldStarts: readonly { readonly fold: number; readonly t: number }[]): Promise<string> {
  const points: { t: number; v: number; fold: number; shade: string }[] = [];
  for (const i of chartSampleIndices(equity)) {
    const t = time[i] as number;
    const v = equity[i] as number;
    if (Number.isFinite(t) && Number.isFinite(v)) points.push({ t, v, fold: fold[i] as number, shade: (fold[i] as number) % 2 === 1 ? 'odd' : 'even' });
  }
  if (points.length === 0) return renderVegaLiteSvg('oos-equity', noDataSpec('Stitched out-of-sample equity: no data', CHART_HEIGHT));
  const spec = {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 4,
    description: 'Stitched out-of-sample equity, one segment per fold',
    config: CHART_CONFIG,
    layer: [
      { data: { values: foldStarts }, mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 3] }, encoding: { x: { field: 't', type: 'temporal', scale: { type: 'utc' } } } },
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.5, interpolate: 'linear' },
        encoding: {
          x: { field: 't', type: 'temporal', scale: { type: 'utc' }, axis: { title: null, grid: false, tickCount: 8 } },
          y: { field: 'v', type: 'quantitative', scale: { zero: false }, axis: { title: 'Equity', format: '~s', tickCount: 6 } },
          detail: { field: 'fold', type: 'ordinal' },
          color: { field: 'shade', type: 'nominal', scale: { domain: ['odd', 'even'], range: ['#2563eb', '#7c3aed'] }, legend: null },
        },
      },
    ],
  } as unknown as TopLevelSpec;
  return renderVegaLiteSvg('oos-equity', spec);
}
