// The building blocks both HTML pages of the report entry point share: escaping, number
// formats, the stat line, table cells and the page's style sheet.

import { formatIsoTime } from '@quantbot/core';

const INTEGER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const SIGNIFICANT_FORMAT = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });
const LARGE_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** Escapes a string for HTML text and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A number as the report prints it: `—` when not finite, integers with thousands separators,
 * at most 2 decimals from 1,000 up and 6 significant digits below (`0.123457`, `12.3457`).
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Number.isInteger(value)) return INTEGER_FORMAT.format(value);
  return Math.abs(value) >= 1000 ? LARGE_FORMAT.format(value) : SIGNIFICANT_FORMAT.format(value);
}

/** An integer with thousands separators. */
export function formatInteger(value: number): string {
  return INTEGER_FORMAT.format(value);
}

const FIXED_FORMATS = new Map<number, Intl.NumberFormat>();

/** `value` with exactly `digits` decimals and thousands separators; `—` when not finite. */
export function formatFixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return '—';
  let format = FIXED_FORMATS.get(digits);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    FIXED_FORMATS.set(digits, format);
  }
  return format.format(value);
}

/** A value already in percent, with 2 decimals: `12.35 %`; `—` when not finite. */
export function formatPercent(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return `${formatFixed(value, 2)} %`;
}

/**
 * A duration in ms as the report prints it: `250 ms`, `12.5 s`, `4.0 min`, `3.5 h`, `1,084.0 days`;
 * `—` when not finite.
 */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${formatFixed(ms, 0)} ms`;
  if (abs < 60_000) return `${formatFixed(ms / 1000, 1)} s`;
  if (abs < 3_600_000) return `${formatFixed(ms / 60_000, 1)} min`;
  if (abs < 86_400_000) return `${formatFixed(ms / 3_600_000, 1)} h`;
  return `${formatFixed(ms / 86_400_000, 1)} days`;
}

/** A row of labelled figures (`[label, value]` pairs) above a chart or table. */
export function statLine(stats: readonly (readonly string[])[]): string {
  const items = stats.map(([label, value]) => `<div class="stat"><span class="stat-label">${escapeHtml(label ?? '')}</span><span class="stat-value">${escapeHtml(value ?? '')}</span></div>`);
  return `<div class="stats">${items.join('')}</div>`;
}

/** A right-aligned table cell; `—` is muted, `toneClass` (` pos`, ` neg`) colours the value. */
export function numCell(text: string, toneClass = ''): string {
  const classes = text === '—' ? 'num muted' : `num${toneClass}`;
  return `<td class="${classes}">${escapeHtml(text)}</td>`;
}

/** An epoch-ms time as ISO 8601, `—` when not finite. */
export function formatIsoTimeSafe(ms: number): string {
  return Number.isFinite(ms) ? formatIsoTime(ms) : '—';
}

/** `2021-03-04T00:00:00.000Z` → `2021-03-04`; `2021-03-04T14:30:00.000Z` → `2021-03-04 14:30`; anything else as it is. */
export function formatTimeLabel(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?Z$/.exec(iso);
  if (match === null) return iso;
  const [, date, hm, rest] = match;
  const seconds = rest === undefined ? '' : rest.replace(/^:00(\.0+)?$/, '');
  if (hm === '00:00' && seconds === '') return date ?? iso;
  return `${date ?? ''} ${hm ?? ''}${seconds}`;
}

/** The style sheet of the report pages (inline: the pages load nothing). */
export const PAGE_CSS = `
:root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f4f5f7; --card: #ffffff; --accent: #2563eb; --pos: #047857; --neg: #b91c1c; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.page-header, main, footer { max-width: 1020px; margin: 0 auto; padding: 0 20px; }
.page-header { padding-top: 28px; }
.eyebrow { color: var(--muted); font-size: 12px; letter-spacing: .08em; text-transform: uppercase; }
h1 { margin: 4px 0 6px; font-size: 26px; line-height: 1.2; overflow-wrap: anywhere; }
h2 { margin: 0 0 14px; font-size: 17px; }
h3 { margin: 18px 0 8px; font-size: 14px; color: #374151; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; background: #f3f4f6; padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; margin: 18px 0 14px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile-label { color: var(--muted); font-size: 12px; }
.tile-value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
nav { display: flex; flex-wrap: wrap; gap: 4px; margin: 8px 0 18px; }
nav a { color: var(--accent); text-decoration: none; font-size: 13px; padding: 3px 10px; border-radius: 999px; background: #e8effd; }
nav a:hover { background: #dbe6fc; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 0 0 16px; }
.stats { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0 0 12px; }
.stat { display: flex; flex-direction: column; }
.stat-label { color: var(--muted); font-size: 12px; }
.stat-value { font-weight: 600; font-variant-numeric: tabular-nums; }
figure.chart { margin: 0; overflow-x: auto; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.note { color: var(--muted); font-size: 12.5px; margin: 8px 0 0; }
.kv-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 0 40px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
table.kv th, table.kv td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.kv th { text-align: left; font-weight: 500; color: #374151; white-space: nowrap; width: 1%; padding-right: 24px; }
table.kv tr:last-child > th, table.kv tr:last-child > td { border-bottom: none; }
table.kv.wide { max-width: 760px; }
table.kv.nested { margin: -2px 0; }
table.kv.nested th, table.kv.nested td { padding: 3px 6px; font-size: 13px; }
table.data { font-size: 12.5px; }
table.data th { text-align: left; font-weight: 600; color: #374151; background: #f9fafb; border-bottom: 1px solid #d1d5db; padding: 6px 6px; white-space: nowrap; position: sticky; top: 0; }
table.data td { padding: 5px 6px; border-bottom: 1px solid #f0f1f3; white-space: nowrap; }
table.data tbody tr:nth-child(even) { background: #fafbfc; }
table.data tbody tr:hover { background: #f1f5fe; }
table.data.nested { font-size: 12.5px; }
table.data.summary { width: auto; min-width: 420px; font-size: 13px; }
table.data.summary th, table.data.summary td { padding: 6px 14px; }
table.data.summary th.num { text-align: right; }
.table-wrap.fit { display: inline-block; max-width: 100%; }
th.num, td.num { text-align: right; }
table.data td.wrap { white-space: normal; min-width: 260px; overflow-wrap: anywhere; }
td.time { color: #374151; }
.muted { color: #9ca3af; }
.pos { color: var(--pos); }
.neg { color: var(--neg); }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
.table-wrap.scroll { max-height: 520px; overflow-y: auto; }
.side, .sev { display: inline-block; font-size: 11.5px; font-weight: 600; padding: 1px 8px; border-radius: 999px; background: #eef0f3; color: #374151; }
.side-long { background: #dcfce7; color: #166534; }
.side-short { background: #fee2e2; color: #991b1b; }
.sev-error { background: #fee2e2; color: #991b1b; }
.sev-warning { background: #fef3c7; color: #92400e; }
.sev-info { background: #e0e7ff; color: #3730a3; }
footer { color: var(--muted); font-size: 12px; padding-top: 4px; padding-bottom: 32px; }
@media print {
  body { background: #fff; }
  nav { display: none; }
  .card { border: none; padding: 0; margin-bottom: 24px; break-inside: avoid; }
  .table-wrap.scroll { max-height: none; overflow: visible; }
}
`;
