import { DataError } from '@quantbot/core';
import {
  FACTOR_IC_ROLLING_WINDOW,
  cumulativeSpread,
  dateToEpochMs,
  renderCumulativeSpreadChart,
  renderIcSeriesChart,
  renderQuantileReturnsChart,
  rollingMean,
} from './factor-tear-sheet-charts';
import { REPORT_MAX_CHART_POINTS } from './html-report-charts';
import type { ReportChartName } from './html-report-charts';
import { PAGE_CSS, escapeHtml, formatFixed, formatInteger, formatPercent, numCell, statLine } from './html-page';

/** At most this many findings are listed in the tear sheet; it says how many were left out. */
export const TEAR_SHEET_MAX_FINDING_ROWS = 200;

/** One period's information-coefficient summary; `null` where a value is not defined. */
export interface FactorTearSheetIc {
  readonly mean: number | null;
  readonly std: number | null;
  readonly icir: number | null;
  readonly t: number | null;
  /** The number of dates with a defined IC. */
  readonly n: number;
}

/** A date (`YYYY-MM-DD`) and a value per period (keys `"1"`, `"5"`...), `null` where undefined. */
export interface FactorTearSheetDatedValues {
  readonly date: string;
  readonly [period: `${number}`]: number | null;
}

/** A finding of the evaluation (a date, or `null` for the whole panel; its kind; what happened). */
export interface FactorTearSheetFinding {
  readonly date: string | null;
  readonly kind: string;
  readonly detail: string;
}

/**
 * What {@link renderFactorTearSheet} shows: a factor's evaluation as plain data (the shape of
 * `@quantbot/factor-models`' `FactorEvaluation`, which this library does not import), plus where
 * the panel came from and when the page was made. Returns are fractions of the k-period forward
 * return (0.001 = 10 bps); keys of the per-period records are the periods, of `turnover` the
 * quantiles (`"1"` the lowest factor values).
 */
export interface FactorTearSheetInput {
  readonly factor: string;
  /** Where the panel came from, one line (a file and its size, or the synthetic panel's options). */
  readonly source: string;
  readonly periods: readonly number[];
  readonly quantiles: number;
  readonly ic: Readonly<Record<string, FactorTearSheetIc>>;
  readonly quantileReturns: Readonly<Record<string, readonly (number | null)[]>>;
  readonly topMinusBottom: Readonly<Record<string, number | null>>;
  readonly turnover: Readonly<Record<string, number | null>>;
  readonly rankAutocorrelation: number | null;
  /** Per period k, per quantile: the turnover at a lag of k dates (shown beside lag 1 when given). */
  readonly turnoverByPeriod?: Readonly<Record<string, Readonly<Record<string, number | null>>>>;
  /** Per period k: the rank autocorrelation at a lag of k dates. */
  readonly rankAutocorrelationByPeriod?: Readonly<Record<string, number | null>>;
  /** Per date, the IC of each period; the same dates, in the same order, as `spreadSeries`. */
  readonly icSeries: readonly FactorTearSheetDatedValues[];
  /** Per date, the top-minus-bottom spread of each period. */
  readonly spreadSeries: readonly FactorTearSheetDatedValues[];
  readonly findings: readonly FactorTearSheetFinding[];
  /** When the page was generated, ISO 8601; printed in the footer. */
  readonly generatedAt: string;
}

interface SectionHtml {
  readonly id: string;
  readonly title: string;
  readonly body: string;
}

/**
 * Renders a factor's evaluation as one self-contained HTML tear sheet: inline CSS, charts as
 * inline SVG rendered with Vega-Lite, no scripts and no external resources (a
 * Content-Security-Policy forbids loading any), so the file opens offline.
 *
 * Sections, in order, each an element with an `id` and an `<h2>`: `information-coefficient` (the
 * IC table per period), `ic-series` (one chart per period: the daily IC and its trailing mean over
 * {@link FACTOR_IC_ROLLING_WINDOW} dates), `quantile-returns` (table and grouped bars, bps),
 * `spread` (mean top minus bottom per period, and its cumulative return: long the top quantile
 * and short the bottom, held k dates and re-formed every k dates), `turnover` (per quantile, and
 * the rank autocorrelation) and `findings` (every finding, up to
 * {@link TEAR_SHEET_MAX_FINDING_ROWS} rows, with a count of those left out). Charts are
 * `<figure class="chart" data-chart="..." data-period="...">`; every string from the input is
 * HTML-escaped and a missing number prints as `—`.
 *
 * @throws DataError when `icSeries` and `spreadSeries` do not have the same dates, or a date is
 * not written `YYYY-MM-DD`.
 * @throws ReportRenderError when a chart cannot be rendered.
 */
export async function renderFactorTearSheet(input: FactorTearSheetInput): Promise<string> {
  const { icSeries, spreadSeries, periods } = input;
  if (icSeries.length !== spreadSeries.length) {
    throw new DataError(`icSeries has ${icSeries.length} dates but spreadSeries has ${spreadSeries.length}`, { field: 'spreadSeries' });
  }
  const time = new Float64Array(icSeries.length);
  icSeries.forEach((row, i) => {
    time[i] = dateToEpochMs(row.date);
    if (!Number.isFinite(time[i] as number)) throw new DataError(`'${row.date}' is not a date written YYYY-MM-DD`, { field: `icSeries[${i}].date` });
    if (spreadSeries[i]?.date !== row.date) throw new DataError(`date ${i} is '${row.date}' in icSeries but '${spreadSeries[i]?.date ?? ''}' in spreadSeries`, { field: `spreadSeries[${i}].date` });
  });

  const icCharts = await Promise.all(
    periods.map((period) => {
      const ic = periodColumn(icSeries, period);
      return renderIcSeriesChart(period, time, ic, rollingMean(ic, FACTOR_IC_ROLLING_WINDOW), FACTOR_IC_ROLLING_WINDOW);
    }),
  );
  const curves = periods.map((period) => ({ period, points: cumulativeSpread(periodColumn(spreadSeries, period), period) }));
  const [quantileSvg, spreadSvg] = await Promise.all([renderQuantileReturnsChart(periods, input.quantiles, input.quantileReturns), renderCumulativeSpreadChart(time, curves)]);

  const sections: SectionHtml[] = [
    { id: 'information-coefficient', title: 'Information coefficient', body: icSection(input) },
    { id: 'ic-series', title: 'IC over time', body: icSeriesSection(periods, icCharts, icSeries.length) },
    { id: 'quantile-returns', title: 'Mean forward return by quantile', body: quantileSection(input, quantileSvg) },
    { id: 'spread', title: 'Top minus bottom', body: spreadSection(input, curves, spreadSvg) },
    { id: 'turnover', title: 'Turnover and rank autocorrelation', body: turnoverSection(input) },
    { id: 'findings', title: 'Findings', body: findingsSection(input.findings) },
  ];
  return page(input, sections);
}

/** Column `period` of a dated series, `NaN` where `null`. */
function periodColumn(series: readonly FactorTearSheetDatedValues[], period: number): Float64Array {
  const key = String(period) as `${number}`;
  return Float64Array.from(series, (row) => row[key] ?? NaN);
}

// ---------------------------------------------------------------------------------------------
// Page

function page(input: FactorTearSheetInput, sections: readonly SectionHtml[]): string {
  const dates = input.icSeries;
  const span = dates.length > 0 ? `${dates[0]?.date ?? ''} → ${dates[dates.length - 1]?.date ?? ''}` : 'no dates';
  const nav = sections.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`).join('');
  const body = sections.map((s) => `<section id="${s.id}" class="card">\n<h2>${escapeHtml(s.title)}</h2>\n${s.body}\n</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="Quantbot">
<title>Factor ${escapeHtml(input.factor)} · tear sheet</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<header class="page-header">
<div class="eyebrow">Quantbot factor tear sheet</div>
<h1>${escapeHtml(input.factor)}</h1>
<div class="meta"><span>${escapeHtml(input.source)}</span><span>${escapeHtml(span)}</span><span>${formatInteger(dates.length)} dates</span><span>periods ${escapeHtml(input.periods.join(', '))}</span><span>${formatInteger(input.quantiles)} quantiles</span></div>
${headlineTiles(input)}
<nav>${nav}</nav>
</header>
<main>
${body}
</main>
<footer>Generated ${escapeHtml(input.generatedAt)} by Quantbot · returns are k-period forward returns, not annualized · self-contained page, no network access needed</footer>
</body>
</html>
`;
}

function headlineTiles(input: FactorTearSheetInput): string {
  const first = input.periods[0];
  if (first === undefined) return '';
  const ic = input.ic[String(first)];
  const tile = (label: string, text: string, value: number | null | undefined): string => {
    const tone = typeof value === 'number' && value !== 0 ? (value > 0 ? ' pos' : ' neg') : '';
    return `<div class="tile"><div class="tile-label">${escapeHtml(label)}</div><div class="tile-value${tone}">${escapeHtml(text)}</div></div>`;
  };
  const spread = input.topMinusBottom[String(first)];
  return `<div class="tiles">${[
    tile(`Mean IC (${first})`, fixed(ic?.mean, 4), ic?.mean),
    tile(`ICIR (${first})`, fixed(ic?.icir, 3), ic?.icir),
    tile(`t-stat (${first})`, fixed(ic?.t, 2), ic?.t),
    tile(`Top − bottom (${first}, bps)`, bps(spread), spread),
    tile('Rank autocorrelation', fixed(input.rankAutocorrelation, 3), null),
  ].join('')}</div>`;
}

// ---------------------------------------------------------------------------------------------
// Sections

function icSection(input: FactorTearSheetInput): string {
  const rows = input.periods.map((period) => {
    const ic = input.ic[String(period)];
    return `<tr><td>${formatInteger(period)}</td>${numCell(fixed(ic?.mean, 4))}${numCell(fixed(ic?.std, 4))}${numCell(fixed(ic?.icir, 4))}${numCell(fixed(ic?.t, 2))}${numCell(ic === undefined ? '—' : formatInteger(ic.n))}</tr>`;
  });
  return `${dataTable('ic-table', ['Period', 'Mean IC', 'IC std', 'ICIR', 't-stat', 'Dates'], rows)}
<p class="note">Per date, the Spearman correlation of the factor with the k-period forward return over the names that have both; the mean and sample standard deviation of those ICs, ICIR = mean / std, t = mean / (std / √n) over the n dates with an IC.</p>`;
}

function icSeriesSection(periods: readonly number[], charts: readonly string[], dates: number): string {
  const figures = periods.map((period, i) => `<h3>Period ${formatInteger(period)}</h3>\n${figure('ic-series', charts[i] ?? '', period)}`).join('\n');
  const sampling = dates > REPORT_MAX_CHART_POINTS ? `<p class="note">Each chart draws at most ${formatInteger(REPORT_MAX_CHART_POINTS)} of the ${formatInteger(dates)} dates (the lowest and highest IC of each interval); the tables use every date.</p>` : '';
  return `${figures}
<p class="note">Grey: the IC of each date. Blue: its mean over the last ${FACTOR_IC_ROLLING_WINDOW} dates (the dates without an IC left out), drawn once ${FACTOR_IC_ROLLING_WINDOW} dates have passed. The last k dates have no k-period forward return and so no IC.</p>
${sampling}`;
}

function quantileSection(input: FactorTearSheetInput, svg: string): string {
  const head = ['Quantile', ...input.periods.map((p) => `Period ${p} (bps)`)];
  const rows: string[] = [];
  for (let q = 1; q <= input.quantiles; q++) {
    const cells = input.periods.map((p) => numCell(bps(input.quantileReturns[String(p)]?.[q - 1]))).join('');
    rows.push(`<tr><td>${formatInteger(q)}</td>${cells}</tr>`);
  }
  return `${dataTable('quantile-returns-table', head, rows)}
${figure('quantile-returns', svg)}
<p class="note">Each date, the names with a factor value are split into ${formatInteger(input.quantiles)} quantiles by rank (quantile 1 holds the lowest values); a quantile's mean k-period forward return is taken per date, then averaged over the dates. Not demeaned.</p>`;
}

function spreadSection(input: FactorTearSheetInput, curves: readonly { period: number; points: readonly { value: number }[] }[], svg: string): string {
  const rows = input.periods.map((period, i) => {
    const points = curves[i]?.points ?? [];
    const final = points.length > 1 ? (points[points.length - 1]?.value ?? NaN) : NaN;
    return `<tr><td>${formatInteger(period)}</td>${numCell(bps(input.topMinusBottom[String(period)]))}${numCell(formatPercent(final * 100))}${numCell(formatInteger(Math.max(0, points.length - 1)))}</tr>`;
  });
  return `${dataTable('spread-table', ['Period', 'Mean top − bottom (bps)', 'Cumulative', 'Holdings'], rows)}
${figure('cumulative-spread', svg)}
<p class="note">The spread of a date is the top quantile's mean k-period forward return minus the bottom quantile's. The cumulative curve holds the spread portfolio formed on a date for k dates, then forms the next one (holdings do not overlap), compounding from 0 at the first date with a spread; with k = 1 it is the daily compounded spread.</p>`;
}

function turnoverSection(input: FactorTearSheetInput): string {
  const byPeriod = input.turnoverByPeriod;
  const lags = byPeriod === undefined ? [] : input.periods.filter((k) => k !== 1 && byPeriod[String(k)] !== undefined);
  const rows: string[] = [];
  for (let q = 1; q <= input.quantiles; q++) {
    const cells = [numCell(share(input.turnover[String(q)])), ...lags.map((k) => numCell(share(byPeriod?.[String(k)]?.[String(q)] ?? null)))];
    rows.push(`<tr><td>${formatInteger(q)}</td>${cells.join('')}</tr>`);
  }
  const stats: [string, string][] = [['Rank autocorrelation (lag 1)', fixed(input.rankAutocorrelation, 4)]];
  for (const k of lags) stats.push([`Rank autocorrelation (lag ${k})`, fixed(input.rankAutocorrelationByPeriod?.[String(k)] ?? null, 4)]);
  return `${statLine(stats)}
${dataTable('turnover-table', ['Quantile', 'Turnover', ...lags.map((k) => `Turnover (lag ${k})`)], rows)}
<p class="note">Turnover of a quantile: the share of its names on a date that were not in it on the previous date (lag k: k dates earlier), averaged over the dates. Rank autocorrelation: the correlation of the factor's ranks on a date with those on the previous date (or k dates earlier), averaged over the dates; near 1 the factor changes slowly.</p>`;
}

function findingsSection(findings: readonly FactorTearSheetFinding[]): string {
  if (findings.length === 0) return '<p class="note">No findings.</p>';
  const byKind = new Map<string, number>();
  for (const f of findings) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const shown = findings.slice(0, TEAR_SHEET_MAX_FINDING_ROWS);
  const left = findings.length - shown.length;
  const rows = shown.map((f) => `<tr><td class="time">${f.date === null ? '<span class="muted">—</span>' : escapeHtml(f.date)}</td><td><code>${escapeHtml(f.kind)}</code></td><td class="wrap">${escapeHtml(f.detail)}</td></tr>`);
  const note = left > 0 ? `<p class="note">Showing the first ${formatInteger(shown.length)} of ${formatInteger(findings.length)} findings; ${formatInteger(left)} left out (the counts above include them).</p>` : '';
  return `${statLine([['Findings', formatInteger(findings.length)], ...[...byKind].map(([kind, count]) => [kind, formatInteger(count)])])}
${note}
<div class="table-wrap scroll"><table class="data" id="findings-table">
<thead><tr><th>Date</th><th>Kind</th><th>Detail</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

function figure(chart: ReportChartName, svg: string, period?: number): string {
  return `<figure class="chart" data-chart="${chart}"${period === undefined ? '' : ` data-period="${period}"`}>${svg}</figure>`;
}

function dataTable(id: string, head: readonly string[], rows: readonly string[]): string {
  const cells = head.map((h, i) => `<th${i === 0 ? '' : ' class="num"'}>${escapeHtml(h)}</th>`).join('');
  return `<div class="table-wrap fit"><table class="data summary" id="${id}">
<thead><tr>${cells}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

function fixed(value: number | null | undefined, digits: number): string {
  return typeof value === 'number' ? formatFixed(value, digits) : '—';
}

/** A return (fraction) in basis points, 2 decimals. */
function bps(value: number | null | undefined): string {
  return typeof value === 'number' ? formatFixed(value * 10_000, 2) : '—';
}

/** A share (fraction) in percent. */
function share(value: number | null | undefined): string {
  return typeof value === 'number' ? formatPercent(value * 100) : '—';
}
