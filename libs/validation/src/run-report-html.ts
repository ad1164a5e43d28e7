import type { RunReportInput } from '@quantbot/observability/report';
import { renderRunReport } from '@quantbot/observability/report';

/**
 * The run report's HTML (`renderRunReport`), in a module of its own so that a run loads the
 * renderer and its charting code only when it writes a report (see `writeBacktestRun`).
 */
export function renderRunReportHtml(input: RunReportInput): Promise<string> {
  return renderRunReport(input);
}
