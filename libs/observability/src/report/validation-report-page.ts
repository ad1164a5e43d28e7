// The page frame the sweep and walk-forward reports share: the same style sheet and rules as the
// run report (inline CSS and SVG, no script, a Content-Security-Policy that loads nothing).

import type { ReportChartName } from './html-report-charts';
import { PAGE_CSS, escapeHtml } from './html-page';
import { formatSummaryMetric } from '../summary-metric-format';

/** A parameter's value in a sweep or walk-forward document. */
export type ReportParamValue = number | boolean | string;

/** One section of a page: its `id`, its `<h2>` and its HTML. */
export interface ReportSection {
  readonly id: string;
  readonly title: string;
  readonly body: string;
}

/** A DSR or PBO as the documents record it: the value and its inputs, or null and why. */
export interface ReportOptionalStatistic {
  readonly value: number | null;
  readonly reason: string | null;
}

/** The multiple-testing statistics of one selection among trials (DSR of the chosen trial, PBO of the selection). */
export interface ReportSelectionStatistics {
  readonly deflatedSharpe: ReportOptionalStatistic & {
    readonly selectedSharpe?: number;
    readonly expectedMaxSharpe?: number;
    readonly sharpeVariance?: number;
    readonly trials?: number;
    readonly observations?: number;
  };
  readonly pbo: ReportOptionalStatistic & { readonly blocks?: number; readonly combinations?: number; readonly probabilityOfLoss?: number; readonly trials?: number };
}

/** The metrics the documents keep of a backtest (the subset both reports print). */
export interface ReportMetrics {
  readonly totalReturn: number | null;
  readonly cagr: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly maxDrawdownPct: number | null;
  readonly closedTrades: number;
  readonly winRate: number | null;
  readonly bars: number;
}

/** A metric as the run summary prints it (`formatSummaryMetric`), `—` when undefined. */
export function metricText(key: string, value: number | null | undefined): string {
  const text = formatSummaryMetric(key, value);
  return text === 'n/a' ? '—' : text;
}

/** A parameter value as text, the same everywhere on a page (a heatmap axis, a selector, a table). */
export function paramText(value: ReportParamValue): string {
  return String(value);
}

/** `name=value, …` of a point. */
export function describeParams(params: Readonly<Record<string, ReportParamValue>>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${paramText(value)}`)
    .join(', ');
}

/** A headline figure; `tone` colours it, `small` suits a longer text (such as parameters). */
export function tile(label: string, text: string, tone: 'pos' | 'neg' | '' = '', small = false): string {
  return `<div class="tile"><div class="tile-label">${escapeHtml(label)}</div><div class="tile-value${tone === '' ? '' : ` ${tone}`}${small ? ' small' : ''}">${escapeHtml(text)}</div></div>`;
}

/** `pos` / `neg` by sign, '' for zero or undefined. */
export function toneOf(value: number | null | undefined): 'pos' | 'neg' | '' {
  return typeof value === 'number' && Number.isFinite(value) && value !== 0 ? (value > 0 ? 'pos' : 'neg') : '';
}

/** A chart figure, `data-chart` naming it. `attributes` are added as they are (already escaped). */
export function figure(chart: ReportChartName, svg: string, attributes = ''): string {
  return `<figure class="chart" data-chart="${chart}"${attributes}>${svg}</figure>`;
}

/** A data table with a header row; columns after the first are numeric unless `textColumns` says. */
export function dataTable(id: string, head: readonly string[], rows: readonly string[], options: { readonly scroll?: boolean; readonly textColumns?: number; readonly fit?: boolean } = {}): string {
  const textColumns = options.textColumns ?? 1;
  const cells = head.map((h, i) => `<th${i < textColumns ? '' : ' class="num"'}>${escapeHtml(h)}</th>`).join('');
  const fit = options.fit === true;
  return `<div class="table-wrap${options.scroll === true ? ' scroll' : ''}${fit ? ' fit' : ''}"><table class="data${fit ? ' summary' : ''}" id="${id}">
<thead><tr>${cells}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

/** Extra style of the validation reports: the heatmap selector. */
const VALIDATION_CSS = `
.selector { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 0 0 10px; }
.selector-label { color: var(--muted); font-size: 12px; margin-right: 4px; }
.selector label { cursor: pointer; font-size: 12.5px; padding: 3px 10px; border-radius: 999px; background: #eef0f3; color: #374151; border: 1px solid transparent; }
.selector label:hover { background: #e2e8f0; }
input.choice { position: absolute; opacity: 0; width: 1px; height: 1px; pointer-events: none; }
input.choice:focus-visible + * { outline: 2px solid var(--accent); }
.hm-pair, .hm-view { display: none; }
table.data tbody tr.chosen { background: #eef4ff; }
.tile-value.small { font-size: 14px; overflow-wrap: anywhere; }
table.data td.period { white-space: normal; min-width: 88px; }
.badge { display: inline-block; font-size: 12px; font-weight: 700; padding: 2px 10px; border-radius: 999px; }
.badge-pass { background: #dcfce7; color: #166534; }
.badge-fail { background: #fee2e2; color: #991b1b; }
`;

/** The whole page around `sections`; `extraCss` is added to the style sheet (e.g. the selector's rules). */
export function validationPage(options: {
  readonly eyebrow: string;
  readonly title: string;
  readonly meta: readonly string[];
  readonly tiles: readonly string[];
  readonly sections: readonly ReportSection[];
  readonly footer: string;
  readonly extraCss?: string;
}): string {
  const nav = options.sections.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`).join('');
  const body = options.sections.map((s) => `<section id="${s.id}" class="card">\n<h2>${escapeHtml(s.title)}</h2>\n${s.body}\n</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="Quantbot">
<title>${escapeHtml(options.title)} · ${escapeHtml(options.eyebrow)}</title>
<style>${PAGE_CSS}${VALIDATION_CSS}${options.extraCss ?? ''}</style>
</head>
<body>
<header class="page-header">
<div class="eyebrow">${escapeHtml(options.eyebrow)}</div>
<h1>${escapeHtml(options.title)}</h1>
<div class="meta">${options.meta.map((m) => `<span>${escapeHtml(m)}</span>`).join('')}</div>
<div class="tiles">${options.tiles.join('')}</div>
<nav>${nav}</nav>
</header>
<main>
${body}
</main>
<footer>${escapeHtml(options.footer)}</footer>
</body>
</html>
`;
}

/** The DSR and PBO of a selection as `[label, value]` pairs for a stat line, with the reason when one is undefined. */
export function selectionStatisticsStats(statistics: ReportSelectionStatistics | null): string[][] {
  if (statistics === null) return [['DSR / PBO', 'not computed']];
  const dsr = statistics.deflatedSharpe;
  const pbo = statistics.pbo;
  return [
    ['Deflated Sharpe ratio (DSR)', dsr.value === null ? `— (${dsr.reason ?? 'undefined'})` : fixed(dsr.value, 3)],
    ['Probability of backtest overfitting (PBO)', pbo.value === null ? `— (${pbo.reason ?? 'undefined'})` : fixed(pbo.value, 3)],
  ];
}

/** `value` with `digits` decimals, `—` when undefined. */
export function fixed(value: number | null | undefined, digits: number): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}
