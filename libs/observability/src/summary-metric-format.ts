/** Summary fields that are fractions, shown as percent (`0.12` → `12.00%`). */
const FRACTION_AS_PERCENT: ReadonlySet<string> = new Set(['totalReturn', 'cagr', 'annualVolatility', 'winRate', 'exposure', 'fillRate', 'partialFillRatio', 'rejectRate', 'alpha', 'trackingError']);
/** Summary fields that are ratios, shown with three decimals. */
const RATIOS: ReadonlySet<string> = new Set(['sharpe', 'sortino', 'calmar', 'profitFactor', 'executionQualityScore', 'qualityScore', 'beta', 'correlation', 'informationRatio']);
/** Summary fields in currency, shown with two decimals. */
const MONEY: ReadonlySet<string> = new Set(['startingEquity', 'finalEquity', 'totalCommission']);

/**
 * A run summary's metric as text, the one rendering the terminal summary and the HTML report
 * share, so a metric reads the same in both. By the engine's units (`BacktestReport`): fractions
 * (`totalReturn`, `cagr`, `annualVolatility`, `winRate`, `exposure`, fill rates, and the benchmark
 * statistics `alpha` and `trackingError`) become percent
 * with two decimals (`3.0515` → `305.15%`); fields named `…Pct` are already percent
 * (`maxDrawdownPct` 22.1 → `22.10%`); ratios (`sharpe`, `sortino`, `calmar`, `profitFactor`,
 * quality scores, `beta`, `correlation`, `informationRatio`) get three decimals; money two; `turnover` three and `x`; `…Bps` three and
 * ` bps`; `…Ms` ` ms`; other numbers as they are. Null (an undefined statistic) and non-finite
 * numbers are `n/a`; strings are returned unchanged.
 */
export function formatSummaryMetric(key: string, value: number | string | null | undefined): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'n/a';
  if (FRACTION_AS_PERCENT.has(key)) return `${(value * 100).toFixed(2)}%`;
  if (key.endsWith('Pct')) return `${value.toFixed(2)}%`;
  if (RATIOS.has(key)) return value.toFixed(3);
  if (MONEY.has(key)) return value.toFixed(2);
  if (key === 'turnover') return `${value.toFixed(3)}x`;
  if (key.endsWith('Bps')) return `${value.toFixed(3)} bps`;
  if (key.endsWith('Ms')) return `${value.toFixed(0)} ms`;
  return String(value);
}

/** Whether {@link formatSummaryMetric} has a unit rule for `key` (beyond printing the number as it is). */
export function hasSummaryMetricFormat(key: string): boolean {
  return FRACTION_AS_PERCENT.has(key) || RATIOS.has(key) || MONEY.has(key) || key === 'turnover' || key.endsWith('Pct') || key.endsWith('Bps') || key.endsWith('Ms');
}
