import { formatIsoTime } from '@quantbot/core';
import type { ChecklistItem, PromotionChecklist, PromotionReadiness, TrialCount } from '@quantbot/research-registry';

/**
 * Text tables for people. Columns are padded to the widest cell; nothing is truncated, so a
 * table may be wide but never loses a value.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The status cell of a checklist line: `PASS`, `FAIL`, `MISSING`, with the stage note for gates not required. */
export function statusCell(item: ChecklistItem): string {
  const status = item.status.toUpperCase();
  return item.required ? status : `${status} (${item.requiredFor.join('/')} only)`;
}

/** Every gate of a checklist as a table: gate, status, measured, threshold, evidence. */
export function checklistTable(checklist: PromotionChecklist): string[] {
  return formatTable(
    ['gate', 'status', 'measured', 'threshold', 'evidence'],
    checklist.items.map((item) => [item.gate, statusCell(item), item.measuredText, item.threshold, item.evidence ?? '-']),
  );
}

/** The gates that block (or warn) as a table with the reason of each. */
export function gateReasonTable(items: readonly ChecklistItem[]): string[] {
  return formatTable(
    ['gate', 'status', 'measured', 'threshold', 'why'],
    items.map((item) => [item.gate, item.status.toUpperCase(), item.measuredText, item.threshold, item.detail]),
  );
}

/** The heading of a checklist: experiment, snapshot, stage, config version, trials. */
export function checklistHeading(checklist: PromotionChecklist): string {
  const snapshot = checklist.snapshotId === null ? 'no snapshot' : `snapshot ${checklist.snapshotId} (params ${checklist.paramsHash?.slice(0, 12)}…)`;
  return `${checklist.experimentId} ${snapshot}: promotion to ${checklist.stage}, gates version ${checklist.configVersion}, ${describeTrials(checklist.trials)}, checked ${formatIsoTime(checklist.generatedAt)}`;
}

/** An experiment's trials with their parts: `17 trial(s) (1 backtest(s) + 16 trial(s) of 1 sweep(s))`. */
export function describeTrials(trials: TrialCount): string {
  return `${trials.total} trial(s) (${trials.backtests} backtest(s) + ${trials.sweepTrials} trial(s) of ${trials.sweeps} sweep(s))`;
}

/** The verdict line of a readiness: ready, or blocked with the gates named. */
export function verdictLine(readiness: PromotionReadiness): string {
  const mode = readiness.strict ? 'strict' : 'non-strict';
  if (readiness.ready) {
    const warned = readiness.warnings.length === 0 ? '' : `; ${readiness.warnings.length} gate(s) without evidence: ${readiness.warnings.map((w) => w.gate).join(', ')}`;
    return `READY for ${readiness.stage} (${mode})${warned}`;
  }
  return `NOT READY for ${readiness.stage} (${mode}): ${readiness.blockers.length} blocker(s): ${readiness.blockers.map((b) => b.gate).join(', ')}`;
}

/**
 * JSON text for `--json`: two-space indented, with non-finite numbers (an infinite overfit ratio)
 * written as the strings `"Infinity"` / `"-Infinity"` / `"NaN"` rather than JSON's lossy `null`.
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}
