import { escapeHtml, formatInteger, statLine } from './html-page';
import type { HistogramBin } from './run-analytics';
import { renderObjectiveHeatmap, renderObjectiveLine, renderTrialSharpeChart } from './validation-report-charts';
import type { ReportMetrics, ReportParamValue, ReportSection, ReportSelectionStatistics } from './validation-report-page';
import { dataTable, describeParams, figure, fixed, metricText, paramText, selectionStatisticsStats, tile, toneOf, validationPage } from './validation-report-page';

/** At most this many trials are listed in the ranked table (best first); the page says how many were left out. */
export const SWEEP_REPORT_MAX_TRIAL_ROWS = 200;
/** At most this many heatmaps are drawn (slices of the objective over two parameters); the page says how many were left out. */
export const SWEEP_REPORT_MAX_HEATMAPS = 40;
/** At most this many invalid points are listed with their reason. */
export const SWEEP_REPORT_MAX_INVALID_ROWS = 50;
/** The most bars of the trial Sharpe histogram. */
export const SWEEP_REPORT_MAX_HISTOGRAM_BINS = 30;

/** One trial of a sweep, as the sweep document (`sweep.json`) records it. */
export interface SweepReportTrial {
  /** 1 is the best by the objective. */
  readonly rank: number;
  readonly params: Readonly<Record<string, ReportParamValue>>;
  readonly objectiveValue: number | null;
  readonly metrics: ReportMetrics;
}

/**
 * What {@link renderSweepReport} shows: a sweep document (`sweep.json`, the `SweepArtifact` of
 * `@quantbot/validation`, which this library does not import) as plain data, plus the run id,
 * where the data came from and when the page was made.
 */
export interface SweepReportInput {
  readonly runId: string;
  /** Where the data came from, one line. */
  readonly source: string;
  readonly strategy: string;
  /** The metric the trials are ranked by (`sharpe`, `sortino`, `calmar`, `totalReturn`). */
  readonly objective: string;
  /** The parameter space (its text and each axis's values in order); null when explicit points were swept. */
  readonly space: { readonly text: string; readonly dimensions: readonly { readonly name: string; readonly values: readonly ReportParamValue[] }[] } | null;
  readonly period: { readonly start: string; readonly end: string; readonly bars: number };
  readonly trials: number;
  readonly invalid: number;
  readonly invalidPoints: readonly { readonly params: Readonly<Record<string, ReportParamValue>>; readonly reason: string }[];
  /** Every trial, best first. */
  readonly results: readonly SweepReportTrial[];
  readonly statistics: ReportSelectionStatistics | null;
  /** When the page was generated, ISO 8601; printed in the footer. */
  readonly generatedAt: string;
}

/** A parameter that takes more than one value among the trials, with those values in axis order. */
export interface SweepParameter {
  readonly name: string;
  readonly values: readonly ReportParamValue[];
}

/**
 * The parameters that vary among the trials, in the space's order (else in the order they first
 * appear), each with the values its trials took: in the space's order, else numbers ascending
 * before other values by their text. A parameter with one value is not an axis.
 */
export function sweepParameters(input: Pick<SweepReportInput, 'space' | 'results'>): readonly SweepParameter[] {
  const seen = new Map<string, ReportParamValue[]>();
  for (const trial of input.results) {
    for (const [name, value] of Object.entries(trial.params)) {
      const values = seen.get(name) ?? [];
      if (!values.includes(value)) values.push(value);
      seen.set(name, values);
    }
  }
  const order = input.space?.dimensions.map((d) => d.name) ?? [];
  const names = [...order.filter((n) => seen.has(n)), ...[...seen.keys()].filter((n) => !order.includes(n))];
  const out: SweepParameter[] = [];
  for (const name of names) {
    const values = seen.get(name) ?? [];
    if (values.length < 2) continue;
    const axis = input.space?.dimensions.find((d) => d.name === name)?.values;
    const sorted = axis !== undefined ? [...axis.filter((v) => values.includes(v)), ...values.filter((v) => !axis.includes(v)).sort(compareValues)] : [...values].sort(compareValues);
    out.push({ name, values: sorted });
  }
  return out;
}

function compareValues(a: ReportParamValue, b: ReportParamValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const ta = String(a);
  const tb = String(b);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/**
 * One heatmap of the sweep page: the objective over parameters `x` and `y` with the others held
 * at `fixed`, or (`fixed` null) each cell the best trial over every value of the others.
 */
export interface SweepHeatmapView {
  readonly x: string;
  readonly y: string;
  readonly fixed: Readonly<Record<string, ReportParamValue>> | null;
  /** True for the slice through the chosen (rank 1) trial: the others at its values. */
  readonly throughChosen: boolean;
}

/** A cell of an objective grid: the best trial at `(x, y)` among those the view takes. */
export interface ObjectiveGridCell {
  readonly x: ReportParamValue;
  readonly y: ReportParamValue;
  readonly value: number | null;
  readonly rank: number;
  readonly chosen: boolean;
}

/**
 * The cells of a heatmap view: for each `(x, y)` that has a trial whose other parameters match
 * `view.fixed` (any, when null), the best-ranked such trial (lowest rank). A combination without
 * such a trial has no cell. `chosen` marks the rank-1 trial's cell.
 */
export function objectiveGrid(results: readonly SweepReportTrial[], view: Pick<SweepHeatmapView, 'x' | 'y' | 'fixed'>): readonly ObjectiveGridCell[] {
  const cells = new Map<string, ObjectiveGridCell>();
  const fixed = view.fixed === null ? [] : Object.entries(view.fixed);
  for (const trial of results) {
    const x = trial.params[view.x];
    const y = trial.params[view.y];
    if (x === undefined || y === undefined) continue;
    if (!fixed.every(([name, value]) => trial.params[name] === value)) continue;
    const key = JSON.stringify([x, y]);
    const current = cells.get(key);
    if (current !== undefined && current.rank <= trial.rank) continue;
    cells.set(key, { x, y, value: trial.objectiveValue, rank: trial.rank, chosen: trial.rank === 1 });
  }
  return [...cells.values()];
}

/**
 * The heatmaps of a sweep over `params` (from {@link sweepParameters}): for each pair of
 * parameters (in their order), the slice through the chosen trial, then (with three or more
 * parameters) the best over the others, then one slice per other combination of the other
 * parameters' values that has a trial. At most `maxViews`: every pair's first two views come
 * before any further slice, pairs in order; `total` says how many there were.
 */
export function sweepHeatmapViews(params: readonly SweepParameter[], results: readonly SweepReportTrial[], maxViews: number = SWEEP_REPORT_MAX_HEATMAPS): { readonly views: readonly SweepHeatmapView[]; readonly total: number } {
  const best = results.find((t) => t.rank === 1) ?? results[0];
  const perPair: { essential: SweepHeatmapView[]; more: SweepHeatmapView[] }[] = [];
  for (let i = 0; i < params.length; i++) {
    for (let j = i + 1; j < params.length; j++) {
      const x = (params[i] as SweepParameter).name;
      const y = (params[j] as SweepParameter).name;
      const others = params.filter((p) => p.name !== x && p.name !== y);
      const chosenFixed: Record<string, ReportParamValue> = {};
      for (const o of others) {
        const value = best?.params[o.name];
        if (value !== undefined) chosenFixed[o.name] = value;
      }
      const essential: SweepHeatmapView[] = [{ x, y, fixed: chosenFixed, throughChosen: true }];
      if (others.length > 0) essential.push({ x, y, fixed: null, throughChosen: false });
      const chosenKey = JSON.stringify(others.map((o) => chosenFixed[o.name] ?? null));
      const combos = new Map<string, { index: number[]; fixed: Record<string, ReportParamValue> }>();
      if (others.length > 0) {
        for (const trial of results) {
          const values = others.map((o) => trial.params[o.name]);
          if (values.some((v) => v === undefined)) continue;
          const key = JSON.stringify(values);
          if (key === chosenKey || combos.has(key)) continue;
          const fixedValues: Record<string, ReportParamValue> = {};
          others.forEach((o, k) => (fixedValues[o.name] = values[k] as ReportParamValue));
          combos.set(key, { index: others.map((o, k) => o.values.indexOf(values[k] as ReportParamValue)), fixed: fixedValues });
        }
      }
      const more = [...combos.values()].sort((a, b) => compareIndices(a.index, b.index)).map((c): SweepHeatmapView => ({ x, y, fixed: c.fixed, throughChosen: false }));
      perPair.push({ essential, more });
    }
  }
  const total = perPair.reduce((sum, p) => sum + p.essential.length + p.more.length, 0);
  let budget = maxViews;
  const keptEssential = perPair.map((p) => {
    const kept = p.essential.slice(0, Math.max(0, budget));
    budget -= kept.length;
    return kept;
  });
  const keptMore = perPair.map((p) => {
    const kept = p.more.slice(0, Math.max(0, budget));
    budget -= kept.length;
    return kept;
  });
  const views = perPair.flatMap((_, i) => [...(keptEssential[i] ?? []), ...(keptMore[i] ?? [])]);
  return { views, total };
}

function compareIndices(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

/**
 * Equal-width bins of the finite `values` (`missing`: how many were null or not finite). The
 * number of bins is 2·∛n (Rice's rule) rounded up, between 1 and `maxBins`; the bins run from the
 * smallest value to the largest, the last one including it. All values equal: one bin of width 1
 * centred on them.
 */
export function trialHistogram(values: readonly (number | null)[], maxBins: number = SWEEP_REPORT_MAX_HISTOGRAM_BINS): { readonly bins: readonly HistogramBin[]; readonly missing: number } {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const missing = values.length - finite.length;
  if (finite.length === 0) return { bins: [], missing };
  let min = Infinity;
  let max = -Infinity;
  for (const v of finite) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return { bins: [{ from: min - 0.5, to: max + 0.5, count: finite.length }], missing };
  const count = Math.max(1, Math.min(maxBins, Math.ceil(2 * Math.cbrt(finite.length))));
  const width = (max - min) / count;
  const counts = new Array<number>(count).fill(0);
  for (const v of finite) {
    const bin = Math.min(count - 1, Math.floor((v - min) / width));
    counts[bin] = (counts[bin] as number) + 1;
  }
  return { bins: counts.map((c, i) => ({ from: min + i * width, to: i === count - 1 ? max : min + (i + 1) * width, count: c })), missing };
}

/**
 * Renders a sweep as one self-contained HTML page (inline CSS, charts as inline SVG rendered
 * with Vega-Lite, no script, nothing loaded). Sections, in order: `objective` (with two or more
 * varying parameters, a heatmap of the objective over two of them, chosen with CSS-only
 * selectors: the pair of axes, then the other parameters held at the chosen trial's values, the
 * best over them, or any other of their combinations; with one varying parameter a line or bar
 * chart; at most {@link SWEEP_REPORT_MAX_HEATMAPS} heatmaps, the page says how many were left
 * out), `ranking` (DSR and PBO of choosing the best, and the trials best first, at most
 * {@link SWEEP_REPORT_MAX_TRIAL_ROWS} rows), `sharpe-distribution` (a histogram of the trials'
 * annualized Sharpe ratios, the chosen trial's marked) and `settings`.
 *
 * @throws ReportRenderError when a chart cannot be rendered.
 */
export async function renderSweepReport(input: SweepReportInput): Promise<string> {
  const params = sweepParameters(input);
  const best = input.results.find((t) => t.rank === 1) ?? input.results[0];
  const objectiveSection = await renderObjectiveSection(input, params);
  const sharpe = trialHistogram(input.results.map((t) => t.metrics.sharpe));
  const sharpeSvg = await renderTrialSharpeChart(sharpe.bins, best?.metrics.sharpe ?? null);
  const sections: ReportSection[] = [
    { id: 'objective', title: params.length >= 2 ? 'Objective over two parameters' : 'Objective by parameter', body: objectiveSection.body },
    { id: 'ranking', title: 'Ranked trials', body: rankingSection(input, params) },
    { id: 'sharpe-distribution', title: 'Distribution of trial Sharpe ratios', body: sharpeSection(input, sharpe, sharpeSvg) },
    { id: 'settings', title: 'Sweep', body: settingsSection(input) },
  ];
  const dsr = input.statistics?.deflatedSharpe.value ?? null;
  const pbo = input.statistics?.pbo.value ?? null;
  return validationPage({
    eyebrow: 'Quantbot sweep report',
    title: `${input.strategy} sweep`,
    meta: [input.runId, input.source, `${input.period.start.slice(0, 10)} → ${input.period.end.slice(0, 10)}`, `${formatInteger(input.period.bars)} bars`, `objective ${input.objective}`],
    tiles: [
      tile('Trials', formatInteger(input.trials)),
      tile(`Best ${input.objective}`, metricText(input.objective, best?.objectiveValue), toneOf(best?.objectiveValue)),
      tile('Best parameters', best === undefined ? '—' : describeParams(best.params), '', true),
      tile('Deflated Sharpe (DSR)', fixed(dsr, 3)),
      tile('PBO', fixed(pbo, 3)),
    ],
    sections,
    footer: `Generated ${input.generatedAt} by Quantbot · Sharpe ratios are annualized except where the DSR's inputs say per bar · self-contained page, no network access needed`,
    extraCss: objectiveSection.css,
  });
}

async function renderObjectiveSection(input: SweepReportInput, params: readonly SweepParameter[]): Promise<{ body: string; css: string }> {
  const objective = input.objective;
  if (params.length === 0) {
    return { body: `<p class="note">No parameter takes more than one value among the ${formatInteger(input.results.length)} trial(s): there is nothing to chart.</p>`, css: '' };
  }
  const best = input.results.find((t) => t.rank === 1) ?? input.results[0];
  if (params.length === 1) {
    const p = params[0] as SweepParameter;
    const numeric = p.values.every((v) => typeof v === 'number');
    const cells = objectiveGrid(input.results, { x: p.name, y: p.name, fixed: {} });
    const order = p.values.map(paramText);
    const points = [...cells].sort((a, b) => p.values.indexOf(a.x) - p.values.indexOf(b.x)).map((c) => ({ x: numeric ? (c.x as number) : paramText(c.x), value: c.value }));
    const chosenValue = best?.params[p.name];
    const svg = await renderObjectiveLine(points, { name: p.name, numeric, order, objective, chosen: chosenValue === undefined ? null : typeof chosenValue === 'number' ? chosenValue : paramText(chosenValue) });
    return {
      body: `${figure('objective-line', svg)}
<p class="note">The ${escapeHtml(objective)} of each value of <code>${escapeHtml(p.name)}</code> (the only parameter that varies); the dashed line is the chosen trial's value. A value whose ${escapeHtml(objective)} is undefined is left out.</p>`,
      css: '',
    };
  }
  const { views, total } = sweepHeatmapViews(params, input.results);
  const svgs = await Promise.all(
    views.map((view) => {
      const xs = (params.find((p) => p.name === view.x) as SweepParameter).values;
      const ys = (params.find((p) => p.name === view.y) as SweepParameter).values;
      const cells = objectiveGrid(input.results, view).map((c) => ({ x: paramText(c.x), y: paramText(c.y), value: c.value, chosen: c.chosen }));
      return renderObjectiveHeatmap(cells, { x: view.x, y: view.y, xValues: xs.map(paramText), yValues: ys.map(paramText), objective });
    }),
  );
  // Views grouped by pair, in order; each pair gets its own radio group of views.
  const pairs: { x: string; y: string; views: { view: SweepHeatmapView; svg: string }[] }[] = [];
  views.forEach((view, i) => {
    let pair = pairs.find((p) => p.x === view.x && p.y === view.y);
    if (pair === undefined) {
      pair = { x: view.x, y: view.y, views: [] };
      pairs.push(pair);
    }
    pair.views.push({ view, svg: svgs[i] ?? '' });
  });
  const css: string[] = [];
  const pairRadios = pairs.map((_, p) => `<input type="radio" class="choice" name="hm-axes" id="hm-p${p}"${p === 0 ? ' checked' : ''}>`).join('');
  const pairLabels = pairs.map((pair, p) => `<label for="hm-p${p}">${escapeHtml(pair.x)} × ${escapeHtml(pair.y)}</label>`).join('');
  const panels = pairs.map((pair, p) => {
    css.push(`#hm-p${p}:checked ~ #hm-pair-${p} { display: block; }`, `#hm-p${p}:checked ~ .selector label[for="hm-p${p}"] { background: var(--accent); color: #fff; }`);
    const radios = pair.views.map((_, v) => `<input type="radio" class="choice" name="hm-view-${p}" id="hm-p${p}-v${v}"${v === 0 ? ' checked' : ''}>`).join('');
    const labels = pair.views.map(({ view }, v) => `<label for="hm-p${p}-v${v}">${escapeHtml(viewLabel(view))}</label>`).join('');
    const figures = pair.views.map(({ view, svg }, v) => {
      css.push(`#hm-p${p}-v${v}:checked ~ #hm-view-${p}-${v} { display: block; }`, `#hm-p${p}-v${v}:checked ~ .selector label[for="hm-p${p}-v${v}"] { background: var(--accent); color: #fff; }`);
      return `<div class="hm-view" id="hm-view-${p}-${v}">${figure('objective-heatmap', svg, ` data-x="${escapeHtml(view.x)}" data-y="${escapeHtml(view.y)}"`)}<p class="note">${escapeHtml(viewNote(view))}</p></div>`;
    });
    const selector = pair.views.length > 1 ? `<div class="selector"><span class="selector-label">Other parameters</span>${labels}</div>` : '';
    return `<div class="hm-pair" id="hm-pair-${p}">${radios}${selector}${figures.join('')}</div>`;
  });
  const axesSelector = pairs.length > 1 ? `<div class="selector"><span class="selector-label">Axes (x × y)</span>${pairLabels}</div>` : '';
  const left = total - views.length;
  const capNote = left > 0 ? `<p class="note">${formatInteger(total)} heatmaps could be drawn; the page holds the first ${formatInteger(views.length)} (every pair's slice through the chosen trial and its best over the others come first) and leaves ${formatInteger(left)} slices out. The ranked table lists every trial.</p>` : '';
  const body = `<div class="heatmaps">${pairRadios}${axesSelector}${panels.join('')}</div>
${capNote}
<p class="note">Each cell is the ${escapeHtml(objective)} of a trial (red below 0, blue above; grey: undefined, e.g. no trade; blank: no trial there, such as an invalid point or one a random search did not draw). The outlined cell is the chosen trial (rank 1). A smooth region around the chosen cell suggests a robust choice; an isolated peak suggests one that was lucky.</p>`;
  return { body, css: css.join('\n') };
}

function viewLabel(view: SweepHeatmapView): string {
  if (view.fixed === null) return 'best over the others';
  const fixed = describeParams(view.fixed);
  if (view.throughChosen) return fixed === '' ? 'all trials' : `at the chosen trial: ${fixed}`;
  return fixed;
}

function viewNote(view: SweepHeatmapView): string {
  if (view.fixed === null) return `Each cell: the best trial over every value of the other parameters, at that ${view.x} and ${view.y}.`;
  const fixed = describeParams(view.fixed);
  if (fixed === '') return `The ${view.x} × ${view.y} grid of the trials.`;
  return `The other parameters held at ${fixed}${view.throughChosen ? ' (the chosen trial’s values)' : ''}.`;
}

const RANKING_METRICS: readonly (keyof ReportMetrics & string)[] = ['sharpe', 'sortino', 'calmar', 'totalReturn', 'cagr', 'maxDrawdownPct', 'winRate'];
const METRIC_TITLES: Readonly<Record<string, string>> = {
  sharpe: 'Sharpe',
  sortino: 'Sortino',
  calmar: 'Calmar',
  totalReturn: 'Total return',
  cagr: 'CAGR',
  maxDrawdownPct: 'Max drawdown',
  winRate: 'Win rate',
};

function rankingSection(input: SweepReportInput, params: readonly SweepParameter[]): string {
  const names = params.length > 0 ? params.map((p) => p.name) : [...new Set(input.results.flatMap((t) => Object.keys(t.params)))];
  const metrics = RANKING_METRICS.filter((m) => m !== input.objective);
  const shown = input.results.slice(0, SWEEP_REPORT_MAX_TRIAL_ROWS);
  const rows = shown.map((t) => {
    const paramCells = names.map((n) => `<td>${t.params[n] === undefined ? '<span class="muted">—</span>' : escapeHtml(paramText(t.params[n] as ReportParamValue))}</td>`).join('');
    const metricCells = metrics.map((m) => numCell(metricText(m, t.metrics[m] as number | null), m === 'maxDrawdownPct' ? null : (t.metrics[m] as number | null))).join('');
    return `<tr${t.rank === 1 ? ' class="chosen"' : ''}><td class="num">${formatInteger(t.rank)}</td>${paramCells}${numCell(metricText(input.objective, t.objectiveValue), t.objectiveValue, true)}${metricCells}<td class="num">${formatInteger(t.metrics.closedTrades)}</td></tr>`;
  });
  const left = input.results.length - shown.length;
  const s = input.statistics;
  const dsr = s?.deflatedSharpe;
  const pbo = s?.pbo;
  const inputs: string[][] = [];
  if (dsr !== undefined && dsr.value !== null) {
    inputs.push(['Chosen Sharpe (per bar)', fixed(dsr.selectedSharpe, 4)], ['Expected best of the trials by luck (per bar)', fixed(dsr.expectedMaxSharpe, 4)], ['Observations', formatInteger(dsr.observations ?? 0)]);
  }
  if (pbo !== undefined && pbo.value !== null) inputs.push(['PBO blocks', formatInteger(pbo.blocks ?? 0)], ['Combinations', formatInteger(pbo.combinations ?? 0)], ['P(chosen loses out of sample)', fixed(pbo.probabilityOfLoss, 3)]);
  return `${statLine(selectionStatisticsStats(input.statistics))}
${inputs.length > 0 ? statLine(inputs) : ''}
<p class="note">DSR: the probability that the chosen trial's Sharpe ratio beats the best that ${formatInteger(input.trials)} trials without skill would reach by luck (near 1: the edge survives the number of trials; below 0.95: it may be luck). PBO: over combinatorially symmetric splits of the bars, how often the trial best in sample ranks below the median out of sample (near 0 good, 0.5 and above: the selection does not carry over).</p>
${dataTable('trials-table', ['Rank', ...names, `${METRIC_TITLES[input.objective] ?? input.objective} (objective)`, ...metrics.map((m) => METRIC_TITLES[m] ?? m), 'Trades'], rows, { scroll: true, textColumns: 0 })}
${left > 0 ? `<p class="note">Showing the best ${formatInteger(shown.length)} of ${formatInteger(input.results.length)} trials; ${formatInteger(left)} left out (they are in the run folder's <code>trials.jsonl</code>).</p>` : ''}
${invalidNote(input)}`;
}

function invalidNote(input: SweepReportInput): string {
  if (input.invalid === 0) return '';
  const shown = input.invalidPoints.slice(0, SWEEP_REPORT_MAX_INVALID_ROWS);
  const rows = shown.map((p) => `<tr><td>${escapeHtml(describeParams(p.params))}</td><td class="wrap">${escapeHtml(p.reason)}</td></tr>`);
  const left = input.invalid - shown.length;
  return `<h3>${formatInteger(input.invalid)} invalid point(s), not run and not counted as trials</h3>
${dataTable('invalid-table', ['Parameters', 'Reason'], rows, { textColumns: 2 })}
${left > 0 ? `<p class="note">${formatInteger(left)} more left out.</p>` : ''}`;
}

function numCell(text: string, value: number | null, strong = false): string {
  const tone = toneOf(value);
  const classes = ['num', ...(text === '—' ? ['muted'] : tone === '' ? [] : [tone])].join(' ');
  return `<td class="${classes}">${strong ? `<strong>${escapeHtml(text)}</strong>` : escapeHtml(text)}</td>`;
}

function sharpeSection(input: SweepReportInput, sharpe: { bins: readonly HistogramBin[]; missing: number }, svg: string): string {
  const values = input.results.map((t) => t.metrics.sharpe).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null;
  const median = sorted.length === 0 ? null : sorted.length % 2 === 1 ? (sorted[(sorted.length - 1) / 2] as number) : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  const positive = values.filter((v) => v > 0).length;
  return `${statLine([
    ['Trials with a Sharpe ratio', `${formatInteger(values.length)} of ${formatInteger(input.results.length)}`],
    ['Mean', metricText('sharpe', mean)],
    ['Median', metricText('sharpe', median)],
    ['Best', metricText('sharpe', sorted.length > 0 ? (sorted[sorted.length - 1] as number) : null)],
    ['Above 0', values.length > 0 ? `${((positive / values.length) * 100).toFixed(1)}%` : '—'],
  ])}
${figure('trial-sharpe', svg)}
<p class="note">How many trials reached each annualized Sharpe ratio; the dashed line is the chosen trial's. A chosen trial far out in the right tail of a wide distribution is what the DSR discounts: with many trials, some reach a high Sharpe ratio by luck.${sharpe.missing > 0 ? ` ${formatInteger(sharpe.missing)} trial(s) without a Sharpe ratio (no variation in their returns) are not drawn.` : ''}</p>`;
}

function settingsSection(input: SweepReportInput): string {
  const rows: [string, string][] = [
    ['Strategy', input.strategy],
    ['Objective', input.objective],
    ['Space', input.space?.text ?? 'explicit points'],
    ['Trials', formatInteger(input.trials)],
    ['Invalid points', formatInteger(input.invalid)],
    ['Data', input.source],
    ['Period', `${input.period.start} → ${input.period.end} (${formatInteger(input.period.bars)} bars)`],
    ['Run', input.runId],
  ];
  return `<table class="kv wide">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}
