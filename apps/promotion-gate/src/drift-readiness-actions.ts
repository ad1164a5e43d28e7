import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatIsoTime } from '@quantbot/core';
import type { DriftCheck, DriftReport, DriftSummary, ReadinessReport } from '@quantbot/research-registry';
import { formatNumber } from '@quantbot/research-registry';
import type { ResearchAction } from './research-action';
import { CONFIG_FLAG, EXPERIMENT_FLAG, SNAPSHOT_FLAG, experimentFlag, snapshotChoice, stageFlag, stageOf, stringFlag } from './research-action';
import { describeTrials, formatTable, toJsonText } from './checklist-table';
import { gatesFrom } from './research-action';

const UNITS: Readonly<Record<DriftCheck['metric'], string>> = {
  'daily-return-gap': '%',
  'cumulative-return-gap': '%',
  'slippage-gap': 'bps',
  'fill-rate-gap': '',
  'timing-gap': 'ms',
};

const n = (x: number | null, scale = 1): string => (x === null ? '-' : formatNumber(x * scale));

/** The per-day and cumulative gaps and the checks of a drift summary, as text tables. */
export function driftTables(summary: DriftSummary): string[] {
  return [
    ...formatTable(
      ['date', 'return gap %', 'slippage gap bps', 'fill-rate gap', 'timing gap ms', 'orders'],
      summary.rows.map((r) => [r.date, n(r.returnGap, 100), n(r.slippageGapBps), n(r.fillRateGap), n(r.timingGapMs), String(r.ordersCompared)]),
    ),
    '',
    `cumulative: return gap ${n(summary.cumulative.returnGap, 100)} % (sum), slippage gap ${n(summary.cumulative.slippageGapBps)} bps, fill-rate gap ${n(summary.cumulative.fillRateGap)}, timing gap ${n(summary.cumulative.timingGapMs)} ms (order-weighted means), ${summary.cumulative.ordersCompared} order(s) compared`,
    '',
    ...formatTable(
      ['check', 'status', 'value', 'threshold', 'worst day', 'why'],
      summary.checks.map((c) => [c.metric, c.status.toUpperCase(), c.value === null ? 'missing' : `${formatNumber(c.value)} ${UNITS[c.metric]}`.trim(), `|x| ≤ ${formatNumber(c.threshold)} ${UNITS[c.metric]}`.trim(), c.worstDay ?? '-', c.detail]),
    ),
  ];
}

function driftVerdict(report: DriftReport): string {
  if (report.passed) return `WITHIN drift thresholds (${report.stage}, ${report.days} day(s) ${report.streakStart}..${report.streakEnd})`;
  const failing = report.checks.filter((c) => c.status === 'fail').map((c) => c.metric);
  const missing = report.checks.filter((c) => c.status === 'missing').map((c) => c.metric);
  const parts = [
    failing.length === 0 ? '' : `beyond thresholds: ${failing.join(', ')}`,
    missing.length === 0 ? '' : `drift evidence missing: ${missing.join(', ')}${report.days === 0 ? ` (no complete trader-recorded ${report.stage} day)` : report.driftDays === 0 ? ' (no day of the run had orders)' : ''}`,
  ].filter((p) => p !== '');
  return `DRIFT NOT ACCEPTABLE (${report.stage}): ${parts.join('; ')}`;
}

/** `drift`: the trader's executions against the simulator's shadow fills. */
export const DRIFT_ACTION: ResearchAction = {
  name: 'drift',
  summary: 'show how trader-recorded days drift from the simulator (per day, cumulative); exit 1 beyond thresholds or without evidence',
  flags: [
    EXPERIMENT_FLAG,
    SNAPSHOT_FLAG,
    { name: 'stage', kind: 'string', valueName: 'paper|live', description: 'the days of this stage (default: the stage the snapshot trades at now: live once promoted live, else paper)' },
    CONFIG_FLAG,
  ],
  help: `Takes the latest consecutive run of complete trader-recorded days of the stage and prints each day's
gaps (actual minus shadow), the cumulative gaps (return gaps summed; slippage, fill-rate and timing gaps
as order-weighted means) and each check against gates.drift. Exit 0 when every check is within its
threshold, 1 when any is beyond it or has no evidence (the verdict says which).
  drift --experiment exp-1 --stage paper`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const filter = { ...snapshotChoice(flags), ...stageOf(stageFlag(flags)) };
    const gates = gatesFrom(flags, io.cwd);
    return {
      gates,
      run: async ({ registry }) => {
        const report = await registry.driftReport(experimentId, filter);
        const text = [
          `${experimentId} snapshot ${report.snapshotId}: drift of ${report.stage} days from the shadow, gates version ${report.configVersion}, ${report.days} day(s) in the latest run${report.days === 0 ? '' : ` ${report.streakStart}..${report.streakEnd}`} (${report.completeDays} complete recorded), checked ${formatIsoTime(report.generatedAt)}`,
          '',
          ...driftTables(report),
          '',
          driftVerdict(report),
        ];
        return { exitCode: report.passed ? 0 : 1, json: report, text };
      },
    };
  },
};

/** `readiness`: the live readiness report, written as JSON, Markdown and HTML. */
export const READINESS_ACTION: ResearchAction = {
  name: 'readiness',
  summary: 'write the live readiness report (readiness.json, .md, .html); exit 1 unless ready for live',
  flags: [
    EXPERIMENT_FLAG,
    SNAPSHOT_FLAG,
    { name: 'out', kind: 'string', valueName: 'dir', description: 'where to write the report (default results/readiness/<experiment>)' },
    CONFIG_FLAG,
  ],
  help: `Judges the snapshot's promotion to live strictly (as promote would) and writes readiness.json,
readiness.md and a self-contained readiness.html (no network) into --out: the verdict and a sentence per
blocker, the paper run (trader, manual and partial days; risk stability by windows of 10 days), the drift
from the simulator, the walk-forward evidence and the full checklist. Exit 0 when ready, 1 when not.
  readiness --experiment exp-1 --out results/readiness/exp-1`,
  async prepare({ flags, io }) {
    const experimentId = experimentFlag(flags);
    const choice = snapshotChoice(flags);
    const out = resolve(io.cwd, stringFlag(flags, 'out') ?? join('results', 'readiness', experimentId));
    const gates = gatesFrom(flags, io.cwd);
    return {
      gates,
      run: async ({ registry }) => {
        const report = await registry.readiness(experimentId, choice);
        mkdirSync(out, { recursive: true });
        const files = { json: join(out, 'readiness.json'), markdown: join(out, 'readiness.md'), html: join(out, 'readiness.html') };
        writeFileSync(files.json, `${toJsonText(report)}\n`);
        writeFileSync(files.markdown, readinessMarkdown(report));
        writeFileSync(files.html, readinessHtml(report));
        const verdict = report.ready ? `READY for live: ${experimentId} snapshot ${report.snapshotId}` : `NOT READY for live: ${experimentId} snapshot ${report.snapshotId ?? '(none)'}: ${report.reasons.length} blocker(s)`;
        return {
          exitCode: report.ready ? 0 : 1,
          json: { ready: report.ready, reasons: report.reasons, files },
          text: [`wrote readiness.json, readiness.md, readiness.html to ${out}`, verdict, ...report.reasons.map((r) => `  - ${r}`)],
        };
      },
    };
  },
};

/** The readiness report as Markdown. */
export function readinessMarkdown(r: ReadinessReport): string {
  const { paper } = r;
  const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const table = (headers: readonly string[], rows: readonly (readonly string[])[]): string[] => [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  return [
    `# Live readiness: ${r.experimentId}`,
    '',
    `- strategy: ${r.strategy}`,
    `- snapshot: ${r.snapshotId ?? 'none'}${r.paramsHash === null ? '' : ` (params ${r.paramsHash.slice(0, 12)}…)`}`,
    `- generated: ${formatIsoTime(r.generatedAt)}, gates version ${r.configVersion} (sha256 ${r.configSha256.slice(0, 12)}…)`,
    `- trials of the experiment: ${describeTrials(r.checklist.trials)}`,
    `- verdict: **${r.ready ? 'READY' : 'NOT READY'}** for live (strict)`,
    '',
    ...(r.reasons.length === 0 ? [] : ['## Why not', '', ...r.reasons.map((reason) => `- ${reason}`), '']),
    '## Paper trading (trader-recorded days)',
    '',
    `- latest consecutive run: ${paper.streakDays} of ${paper.requiredDays} required day(s)${paper.streakStart === null ? '' : `, ${paper.streakStart}..${paper.streakEnd}`}`,
    `- recorded: ${paper.traderDays} trader day(s) (${paper.partialDays} partial, not counted), ${paper.manualDays} manual day(s) (never counted)`,
    `- total P&L ${n(paper.totalPnl)}, max drawdown ${n(paper.maxDrawdownPct)} %`,
    `- risk stability (windows of ${paper.stability.windowDays} days; informational): ${paper.stability.stable === null ? 'no run' : paper.stability.stable ? 'stable' : 'NOT stable'}: ${paper.stability.detail}`,
    '',
    ...table(
      ['window', 'days', 'from', 'to', 'mean daily P&L', 'std dev', 'max drawdown %'],
      paper.stability.windows.map((w) => [String(w.index + 1), String(w.days), w.start, w.end, n(w.meanDailyPnl), n(w.dailyPnlStdDev), n(w.maxDrawdownPct)]),
    ),
    '',
    '## Drift from the simulator',
    '',
    '```',
    ...driftTables(r.drift),
    '```',
    '',
    '## Open defects',
    '',
    ...(r.openDefects.length === 0
      ? ['None.']
      : r.openDefects.map((d) => `- ${d.id} ${d.severity}${d.severity === 'P1' || d.severity === 'P2' ? ' (blocks live)' : ''}: ${d.title} (opened by ${d.openedBy}${d.incidentId !== null ? `, incident ${d.incidentId}` : ''})`)),
    '',
    '## Walk-forward evidence',
    '',
    r.walkForward === null
      ? 'No verified walk-forward validation.'
      : `${r.walkForward.id}: mean IS Sharpe ${n(r.walkForward.meanIsSharpe)}, mean OOS Sharpe ${n(r.walkForward.meanOosSharpe)}, overfit ratio ${n(r.walkForward.overfitRatio)} (${r.walkForward.overfitRatioStatus}), DSR ${n(r.walkForward.deflatedSharpe)}, PBO ${n(r.walkForward.pbo)}, ${r.walkForward.folds.length} fold(s)`,
    '',
    '## Checklist (promotion to live)',
    '',
    ...table(
      ['gate', 'status', 'measured', 'threshold', 'evidence', 'why'],
      r.checklist.items.map((i) => [i.gate, i.status.toUpperCase(), i.measuredText, i.threshold, i.evidence ?? '-', i.detail]),
    ),
    '',
  ].join('\n');
}

/** Escapes text for HTML (element content and attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The readiness report as one self-contained HTML page: inline style, no script, nothing fetched; every text escaped. */
export function readinessHtml(r: ReadinessReport): string {
  const e = escapeHtml;
  const table = (headers: readonly string[], rows: readonly (readonly string[])[], statusColumn = -1): string =>
    `<table><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map((row) => `<tr>${row.map((c, i) => `<td${i === statusColumn ? ` class="${e(c.toLowerCase())}"` : ''}>${e(c)}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  const { paper, drift } = r;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${e(`Live readiness: ${r.experimentId}`)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}
.pass{color:#176d2c}.fail{color:#b00020;font-weight:bold}.missing{color:#a15c00}.verdict{font-size:1.4em}.ready{color:#176d2c}.not-ready{color:#b00020}</style></head>
<body>
<h1>${e(`Live readiness: ${r.experimentId}`)}</h1>
<p class="verdict ${r.ready ? 'ready' : 'not-ready'}">${r.ready ? 'READY for live' : 'NOT READY for live'} (strict)</p>
<ul><li>strategy: ${e(r.strategy)}</li><li>snapshot: ${e(r.snapshotId ?? 'none')}</li><li>generated: ${e(formatIsoTime(r.generatedAt))}, gates version ${e(String(r.configVersion))}</li><li>trials of the experiment: ${e(describeTrials(r.checklist.trials))}</li></ul>
${r.reasons.length === 0 ? '' : `<h2>Why not</h2><ul>${r.reasons.map((reason) => `<li>${e(reason)}</li>`).join('')}</ul>`}
<h2>Paper trading (trader-recorded days)</h2>
<p>${e(`Latest consecutive run: ${paper.streakDays} of ${paper.requiredDays} required day(s)${paper.streakStart === null ? '' : `, ${paper.streakStart}..${paper.streakEnd}`}. Recorded: ${paper.traderDays} trader day(s) (${paper.partialDays} partial, not counted), ${paper.manualDays} manual day(s) (never counted). Risk stability (windows of ${paper.stability.windowDays} days, informational): ${paper.stability.stable === null ? 'no run' : paper.stability.stable ? 'stable' : 'NOT stable'}: ${paper.stability.detail}`)}</p>
${table(
  ['window', 'days', 'from', 'to', 'mean daily P&L', 'std dev', 'max drawdown %'],
  paper.stability.windows.map((w) => [String(w.index + 1), String(w.days), w.start, w.end, n(w.meanDailyPnl), n(w.dailyPnlStdDev), n(w.maxDrawdownPct)]),
)}
<h2>Drift from the simulator</h2>
${table(
  ['date', 'return gap %', 'slippage gap bps', 'fill-rate gap', 'timing gap ms', 'orders'],
  drift.rows.map((d) => [d.date, n(d.returnGap, 100), n(d.slippageGapBps), n(d.fillRateGap), n(d.timingGapMs), String(d.ordersCompared)]),
)}
${table(
  ['check', 'status', 'value', 'threshold', 'worst day', 'why'],
  drift.checks.map((c) => [c.metric, c.status.toUpperCase(), c.value === null ? 'missing' : formatNumber(c.value), formatNumber(c.threshold), c.worstDay ?? '-', c.detail]),
  1,
)}
<h2>Open defects</h2>
${
  r.openDefects.length === 0
    ? '<p>None.</p>'
    : table(
        ['defect', 'severity', 'title', 'opened by', 'incident'],
        r.openDefects.map((d) => [d.id, d.severity === 'P1' || d.severity === 'P2' ? `${d.severity} (blocks live)` : d.severity, d.title, d.openedBy, d.incidentId ?? '-']),
      )
}
<h2>Walk-forward evidence</h2>
<p>${e(
    r.walkForward === null
      ? 'No verified walk-forward validation.'
      : `${r.walkForward.id}: mean IS Sharpe ${n(r.walkForward.meanIsSharpe)}, mean OOS Sharpe ${n(r.walkForward.meanOosSharpe)}, overfit ratio ${n(r.walkForward.overfitRatio)} (${r.walkForward.overfitRatioStatus}), ${r.walkForward.folds.length} fold(s)`,
  )}</p>
<h2>Checklist (promotion to live)</h2>
${table(
  ['gate', 'status', 'measured', 'threshold', 'evidence', 'why'],
  r.checklist.items.map((i) => [i.gate, i.status.toUpperCase(), i.measuredText, i.threshold, i.evidence ?? '-', i.detail]),
  1,
)}
</body></html>
`;
}
