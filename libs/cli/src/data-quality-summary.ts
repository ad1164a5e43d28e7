import type { DataQualityOutcome } from '@quantbot/data-quality';

/**
 * One line on how a session's data was checked: `warn: 0 error(s), 2 warning(s), 1 note(s)
 * against nyse calendar`, with repairs and resolved rows when there were any, or `off (not
 * checked)`. What `backtester run` and `live-trader run --broker sim` print.
 */
export function describeDataQuality(outcome: DataQualityOutcome): string {
  const repairs = outcome.repairs.length > 0 ? `, ${outcome.repairs.length} value(s) repaired (listed in the JSON)` : '';
  if (outcome.report === null) return `off (not checked)${repairs}`;
  const c = outcome.report.summary.bySeverity;
  const dropped = outcome.report.summary.byCheck['duplicate-timestamp']?.warning ?? 0;
  const moved = outcome.report.summary.byCheck['unsorted-timestamp']?.warning ?? 0;
  const resolved = dropped + moved > 0 ? `, ${dropped} duplicate row(s) dropped and ${moved} unsorted row(s) sorted (listed below)` : '';
  return `${outcome.mode}: ${c.error} error(s), ${c.warning} warning(s), ${c.info} note(s) against ${outcome.calendar ?? 'no'} calendar${repairs}${resolved}`;
}
