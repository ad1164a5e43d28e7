import { escapeHtml, formatInteger, statLine } from './html-page';
import { renderChosenParamsChart, renderFoldSharpeChart, renderOosEquityChart } from './validation-report-charts';
import type { ReportMetrics, ReportParamValue, ReportSection, ReportSelectionStatistics } from './validation-report-page';
import { dataTable, figure, fixed, metricText, paramText, tile, toneOf, validationPage } from './validation-report-page';

/** One fold of a walk-forward, as the walk-forward document (`walk_forward.json`) records it. Times are ISO, first and last bar of each window. */
export interface WalkForwardReportFold {
  readonly index: number;
  readonly trainStart: string;
  readonly trainEnd: string;
  readonly testStart: string;
  readonly testEnd: string;
  readonly chosenParams: Readonly<Record<string, ReportParamValue>>;
  readonly inSample: ReportMetrics;
  readonly outOfSample: ReportMetrics;
  readonly trials: number;
  readonly invalid: number;
  readonly statistics: ReportSelectionStatistics | null;
}

/** The verdict of a walk-forward, as the document's `overall` records it. */
export interface WalkForwardReportOverall {
  readonly oosMetrics: ReportMetrics;
  readonly oosPeriod: { readonly start: string; readonly end: string; readonly bars: number };
  readonly oosPsr: number | null;
  readonly meanIsSharpe: number | null;
  readonly meanOosSharpe: number | null;
  readonly overfitRatio: number | null;
  /** `finite`, `infinite` (in-sample edge, none out of sample) or `no-in-sample-edge`. */
  readonly overfitRatioStatus: string;
  readonly pass: boolean;
  readonly reasons: readonly string[];
  readonly thresholds: { readonly maxOverfitRatio: number; readonly minOosSharpe: number };
}

/**
 * What {@link renderWalkForwardReport} shows: a walk-forward document (`walk_forward.json`, the
 * `WalkForwardArtifact` of `@quantbot/validation`, which this library does not import) as plain
 * data, the stitched out-of-sample equity curve (the run folder's `oos_equity.csv`; null for a
 * run recorded before the curve was), the run id, where the data came from and when the page
 * was made.
 */
export interface WalkForwardReportInput {
  readonly runId: string;
  readonly source: string;
  readonly strategy: string;
  readonly objective: string;
  readonly space: { readonly text: string };
  readonly search: { readonly kind: string; readonly samples?: number; readonly seed?: number };
  readonly layout: { readonly train: number; readonly test: number; readonly step: number; readonly anchored: boolean; readonly purge: number; readonly embargo: number };
  readonly folds: readonly WalkForwardReportFold[];
  readonly overall: WalkForwardReportOverall;
  readonly trials: number;
  /** The stitched out-of-sample curve: epoch ms and equity per test bar, folds in order; null when not recorded. */
  readonly oosEquity: { readonly time: ArrayLike<number>; readonly equity: ArrayLike<number> } | null;
  readonly generatedAt: string;
}

/**
 * The fold number (index + 1) of each point of the stitched curve: the fold whose test window,
 * first to last bar inclusive, holds its time; 0 for a point outside every test window.
 */
export function foldOfCurvePoints(time: ArrayLike<number>, folds: readonly Pick<WalkForwardReportFold, 'index' | 'testStart' | 'testEnd'>[]): Int32Array {
  const windows = folds.map((f) => ({ fold: f.index + 1, from: Date.parse(f.testStart), to: Date.parse(f.testEnd) }));
  const out = new Int32Array(time.length);
  let w = 0;
  for (let i = 0; i < time.length; i++) {
    const t = time[i] as number;
    // Times and folds are in order: advance while the point is past the window.
    while (w < windows.length && t > (windows[w] as { to: number }).to) w++;
    const window = windows[w];
    out[i] = window !== undefined && t >= window.from ? window.fold : 0;
  }
  return out;
}

/**
 * The overfit ratio as the page prints it: the library's definition is mean in-sample Sharpe /
 * mean out-of-sample Sharpe over the folds (annualized, an undefined Sharpe counting as 0);
 * `∞` when there was an in-sample edge and none out of sample, and `undefined` without an
 * in-sample edge.
 */
export function overfitRatioText(overall: Pick<WalkForwardReportOverall, 'overfitRatio' | 'overfitRatioStatus'>): string {
  if (overall.overfitRatioStatus === 'infinite') return '∞ (no out-of-sample edge)';
  if (overall.overfitRatioStatus === 'no-in-sample-edge') return 'undefined (no in-sample edge)';
  return fixed(overall.overfitRatio, 3);
}

/** The numeric chosen parameters by fold (one point per fold and parameter), and their names in first-seen order. */
export function chosenParamPoints(folds: readonly Pick<WalkForwardReportFold, 'index' | 'chosenParams'>[]): { readonly params: readonly string[]; readonly points: readonly { readonly fold: number; readonly param: string; readonly value: number }[] } {
  const params: string[] = [];
  const points: { fold: number; param: string; value: number }[] = [];
  for (const f of folds) {
    for (const [param, value] of Object.entries(f.chosenParams)) {
      if (typeof value !== 'number') continue;
      if (!params.includes(param)) params.push(param);
      points.push({ fold: f.index + 1, param, value });
    }
  }
  return { params, points };
}

/**
 * Renders a walk-forward as one self-contained HTML page (inline CSS, charts as inline SVG
 * rendered with Vega-Lite, no script, nothing loaded). Sections, in order: `folds` (each fold's
 * in-sample and out-of-sample Sharpe as bars, and a table of both samples' metrics with the
 * fold's DSR and PBO), `chosen-parameters` (the parameters each fold chose, charted for numeric
 * ones), `oos-equity` (the stitched out-of-sample equity curve, one segment per fold),
 * `overfitting` (mean IS and OOS Sharpe, the overfit ratio, the thresholds and the verdict) and
 * `settings`.
 *
 * @throws ReportRenderError when a chart cannot be rendered.
 */
export async function renderWalkForwardReport(input: WalkForwardReportInput): Promise<string> {
  const o = input.overall;
  const chosen = chosenParamPoints(input.folds);
  const foldNumbers = input.folds.map((f) => f.index + 1);
  const curve = input.oosEquity;
  const foldOfPoint = curve === null ? new Int32Array(0) : foldOfCurvePoints(curve.time, input.folds);
  const [foldSvg, paramsSvg, equitySvg] = await Promise.all([
    renderFoldSharpeChart(input.folds.map((f) => ({ fold: f.index + 1, inSample: f.inSample.sharpe, outOfSample: f.outOfSample.sharpe }))),
    renderChosenParamsChart(chosen.points, chosen.params, foldNumbers),
    renderOosEquityChart(
      curve?.time ?? [],
      curve?.equity ?? [],
      foldOfPoint,
      input.folds.map((f) => ({ fold: f.index + 1, t: Date.parse(f.testStart) })),
    ),
  ]);
  const sections: ReportSection[] = [
    { id: 'folds', title: 'In sample vs out of sample by fold', body: foldsSection(input, foldSvg) },
    { id: 'chosen-parameters', title: 'Chosen parameters by fold', body: chosenSection(input, chosen.params, paramsSvg) },
    { id: 'oos-equity', title: 'Stitched out-of-sample equity', body: equitySection(input, equitySvg) },
    { id: 'overfitting', title: 'Overfit ratio and verdict', body: overfitSection(input) },
    { id: 'settings', title: 'Walk-forward', body: settingsSection(input) },
  ];
  return validationPage({
    eyebrow: 'Quantbot walk-forward report',
    title: `${input.strategy} walk-forward`,
    meta: [input.runId, input.source, `out of sample ${o.oosPeriod.start.slice(0, 10)} → ${o.oosPeriod.end.slice(0, 10)}`, `${formatInteger(input.folds.length)} folds`, `objective ${input.objective}`],
    tiles: [
      `<div class="tile"><div class="tile-label">Verdict</div><div class="tile-value"><span class="badge ${o.pass ? 'badge-pass' : 'badge-fail'}">${o.pass ? 'PASS' : 'FAIL'}</span></div></div>`,
      tile('Overfit ratio (IS / OOS)', overfitRatioText(o)),
      tile('Mean IS Sharpe', metricText('sharpe', o.meanIsSharpe), toneOf(o.meanIsSharpe)),
      tile('Mean OOS Sharpe', metricText('sharpe', o.meanOosSharpe), toneOf(o.meanOosSharpe)),
      tile('OOS total return', metricText('totalReturn', o.oosMetrics.totalReturn), toneOf(o.oosMetrics.totalReturn)),
      tile('OOS max drawdown', metricText('maxDrawdownPct', o.oosMetrics.maxDrawdownPct)),
    ],
    sections,
    footer: `Generated ${input.generatedAt} by Quantbot · Sharpe ratios are annualized · self-contained page, no network access needed`,
  });
}

function foldsSection(input: WalkForwardReportInput, svg: string): string {
  const rows = input.folds.map((f) => {
    const dsr = f.statistics?.deflatedSharpe.value ?? null;
    const pbo = f.statistics?.pbo.value ?? null;
    return `<tr><td class="num">${formatInteger(f.index + 1)}</td>${periodCell(f.trainStart, f.trainEnd)}${periodCell(f.testStart, f.testEnd)}${cell('sharpe', f.inSample.sharpe)}${cell('sharpe', f.outOfSample.sharpe)}${cell('totalReturn', f.inSample.totalReturn)}${cell('totalReturn', f.outOfSample.totalReturn)}${cell('maxDrawdownPct', f.outOfSample.maxDrawdownPct, false)}<td class="num">${formatInteger(f.outOfSample.closedTrades)}</td><td class="num">${formatInteger(f.trials)}</td>${plain(fixed(dsr, 3))}${plain(fixed(pbo, 3))}</tr>`;
  });
  return `${figure('fold-sharpe', svg)}
${dataTable('folds-table', ['Fold', 'Train', 'Test', 'IS Sharpe', 'OOS Sharpe', 'IS return', 'OOS return', 'OOS max DD', 'OOS trades', 'Trials', 'DSR', 'PBO'], rows, { textColumns: 3 })}
<p class="note">Each fold chose the parameters best by ${escapeHtml(input.objective)} on its training window (in sample, IS), then ran them on the test window after it (out of sample, OOS). Grey bars: the in-sample Sharpe of the chosen parameters; blue: the out-of-sample Sharpe. Out-of-sample bars far below the in-sample ones mean the choice did not carry over. DSR and PBO judge each fold's in-sample choice among its trials (— when not computed or undefined).</p>`;
}

function chosenSection(input: WalkForwardReportInput, numeric: readonly string[], svg: string): string {
  const names = [...new Set(input.folds.flatMap((f) => Object.keys(f.chosenParams)))];
  const rows = input.folds.map((f) => `<tr><td class="num">${formatInteger(f.index + 1)}</td>${names.map((n) => `<td class="num">${f.chosenParams[n] === undefined ? '—' : escapeHtml(paramText(f.chosenParams[n] as ReportParamValue))}</td>`).join('')}</tr>`);
  const nonNumeric = names.filter((n) => !numeric.includes(n));
  return `${figure('chosen-params', svg)}
${dataTable('chosen-table', ['Fold', ...names], rows, { textColumns: 1, fit: true })}
<p class="note">The parameters each fold chose in sample. Choices that jump from fold to fold mean the optimum is not stable: the out-of-sample result then owes more to luck than to the parameters.${nonNumeric.length > 0 ? ` Only numeric parameters are charted; ${escapeHtml(nonNumeric.join(', '))} ${nonNumeric.length === 1 ? 'is' : 'are'} in the table.` : ''}</p>`;
}

function equitySection(input: WalkForwardReportInput, svg: string): string {
  const o = input.overall;
  const m = o.oosMetrics;
  const missing = input.oosEquity === null ? '<p class="note">This run folder has no <code>oos_equity.csv</code> (it was written before the stitched curve was recorded): run the walk-forward again to chart it. The figures above are from <code>walk_forward.json</code>.</p>' : '';
  return `${statLine([
    ['Total return', metricText('totalReturn', m.totalReturn)],
    ['CAGR', metricText('cagr', m.cagr)],
    ['Sharpe', metricText('sharpe', m.sharpe)],
    ['Max drawdown', metricText('maxDrawdownPct', m.maxDrawdownPct)],
    ['Trades', formatInteger(m.closedTrades)],
    ['PSR (Sharpe > 0)', fixed(o.oosPsr, 3)],
    ['Bars', formatInteger(o.oosPeriod.bars)],
  ])}
${figure('oos-equity', svg)}
${missing}
<p class="note">The test windows' returns chained from the starting cash, folds in order (alternating colours; a dashed line where each fold's test window starts): the equity an investor would have had trading each fold's choice only on data it had not seen. PSR: the probability that the true Sharpe ratio of these returns is above 0.</p>`;
}

function overfitSection(input: WalkForwardReportInput): string {
  const o = input.overall;
  const reasons = o.reasons.length === 0 ? '<p class="note">Every check passed.</p>' : `<ul>${o.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`;
  return `${statLine([
    ['Mean IS Sharpe', metricText('sharpe', o.meanIsSharpe)],
    ['Mean OOS Sharpe', metricText('sharpe', o.meanOosSharpe)],
    ['Overfit ratio', overfitRatioText(o)],
    ['Largest accepted ratio', fixed(o.thresholds.maxOverfitRatio, 3)],
    ['Smallest accepted mean OOS Sharpe', fixed(o.thresholds.minOosSharpe, 3)],
    ['Verdict', o.pass ? 'PASS' : 'FAIL'],
  ])}
${reasons}
<p class="note">Overfit ratio = mean in-sample Sharpe / mean out-of-sample Sharpe over the folds (annualized; a fold whose Sharpe is undefined counts as 0). 1 means the out-of-sample result kept the in-sample edge; 2 means it kept half. It is ∞ when there was an in-sample edge and none out of sample, and undefined without an in-sample edge; either fails. The walk-forward passes when the ratio is at most ${escapeHtml(fixed(o.thresholds.maxOverfitRatio, 3))} and the mean out-of-sample Sharpe at least ${escapeHtml(fixed(o.thresholds.minOosSharpe, 3))}.</p>`;
}

function settingsSection(input: WalkForwardReportInput): string {
  const l = input.layout;
  const search = input.search.kind === 'random' ? `random, ${formatInteger(input.search.samples ?? 0)} samples, seed ${String(input.search.seed ?? '')}` : input.search.kind;
  const rows: [string, string][] = [
    ['Strategy', input.strategy],
    ['Objective', input.objective],
    ['Space', input.space.text],
    ['Search', search],
    ['Windows', `${l.anchored ? 'anchored' : 'rolling'}, train ${formatInteger(l.train)}, test ${formatInteger(l.test)}, step ${formatInteger(l.step)}, purge ${formatInteger(l.purge)}, embargo ${formatInteger(l.embargo)} bars`],
    ['In-sample trials', formatInteger(input.trials)],
    ['Data', input.source],
    ['Run', input.runId],
  ];
  return `<table class="kv wide">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

/** A window's first and last day, one under the other. */
function periodCell(start: string, end: string): string {
  return `<td class="time period">${escapeHtml(start.slice(0, 10))} →<br>${escapeHtml(end.slice(0, 10))}</td>`;
}

function cell(key: string, value: number | null, toned = true): string {
  const text = metricText(key, value);
  const tone = toned ? toneOf(value) : '';
  return `<td class="num${text === '—' ? ' muted' : tone === '' ? '' : ` ${tone}`}">${escapeHtml(text)}</td>`;
}

function plain(text: string): string {
  return `<td class="num${text === '—' ? ' muted' : ''}">${escapeHtml(text)}</td>`;
}
