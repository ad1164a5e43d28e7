import type { FactorEvaluation, FactorPanel } from '@quantbot/factor-models';

/** Where the evaluated panel came from, as `--json` prints it under `source`. */
export type FactorSource =
  | { readonly kind: 'synthetic'; readonly seed: number; readonly symbols: number; readonly dates: number; readonly ic: number; readonly rows: number; readonly missing: Readonly<Record<string, number>> }
  | { readonly kind: 'csv'; readonly file: string; readonly symbols: number; readonly dates: number; readonly rows: number; readonly missing: Readonly<Record<string, number>> };

/** At most this many findings are printed one per line; the rest are counted (all are in `--json`). */
const MAX_FINDING_LINES = 20;

const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** One line saying where the panel came from (also the tear sheet's source line). */
export function describeFactorSource(source: FactorSource): string {
  const count = (n: number) => COUNT_FORMAT.format(n);
  if (source.kind === 'csv') return `${source.file}: ${count(source.rows)} rows, ${count(source.symbols)} symbols, ${count(source.dates)} dates`;
  return `synthetic panel (no --panel given): seed ${source.seed}, ${count(source.symbols)} symbols × ${count(source.dates)} dates, planted 1-period IC of 'signal' ${source.ic}`;
}

/**
 * The terminal's view of a factor evaluation: where the panel came from, the IC table per period,
 * the mean forward return of each quantile with the top-minus-bottom spread (bps), the turnover
 * of each quantile, the rank autocorrelation, and the findings (every one counted by kind, the
 * first ones listed).
 */
export function formatFactorEvaluation(evaluation: FactorEvaluation, source: FactorSource, panel: FactorPanel): string {
  const { periods, quantiles } = evaluation;
  const lines: string[] = [];
  lines.push(`factor ${evaluation.factor} on ${describeFactorSource(source)}`);
  const span = panel.dates.length > 0 ? `${panel.dates[0]} .. ${panel.dates[panel.dates.length - 1]}` : 'no dates';
  lines.push(`dates ${span}; periods ${periods.join(', ')}; ${quantiles} quantiles`);
  const missing = Object.entries(source.missing).filter(([, count]) => count > 0);
  if (missing.length > 0) lines.push(`missing values (left out): ${missing.map(([column, count]) => `${column} ${count}`).join(', ')}`);

  lines.push('', 'information coefficient (Spearman rank correlation of the factor with the k-period forward return, per date)');
  lines.push(...table(['period', 'mean IC', 'IC std', 'ICIR', 't-stat', 'dates'], periods.map((k) => {
    const ic = evaluation.ic[String(k)];
    return [String(k), fixed(ic?.mean, 4), fixed(ic?.std, 4), fixed(ic?.icir, 4), fixed(ic?.t, 2), ic === undefined ? 'n/a' : String(ic.n)];
  })));

  lines.push('', 'mean forward return by quantile, bps (quantile 1 = lowest factor values), and top minus bottom');
  const quantileHead = Array.from({ length: quantiles }, (_, q) => `Q${q + 1}`);
  lines.push(...table(['period', ...quantileHead, 'top-bottom'], periods.map((k) => {
    const row = evaluation.quantileReturns[String(k)] ?? [];
    return [String(k), ...quantileHead.map((_, q) => bps(row[q])), bps(evaluation.topMinusBottom[String(k)])];
  })));

  lines.push('', 'turnover by quantile at a lag of k dates (share of its names that were not in it k dates earlier), and the rank autocorrelation at that lag');
  const lags = periods.includes(1) ? periods : [1, ...periods];
  lines.push(...table(['lag', ...quantileHead, 'rank autocorr.'], lags.map((k) => {
    const turnover = k === 1 ? evaluation.turnover : (evaluation.turnoverByPeriod[String(k)] ?? {});
    const autocorrelation = k === 1 ? evaluation.rankAutocorrelation : evaluation.rankAutocorrelationByPeriod[String(k)];
    return [String(k), ...quantileHead.map((_, q) => percent(turnover[String(q + 1)])), fixed(autocorrelation, 4)];
  })));
  lines.push(`rank autocorrelation (lag 1): ${fixed(evaluation.rankAutocorrelation, 4)}`);

  const { findings } = evaluation;
  if (findings.length === 0) {
    lines.push('', 'findings: none');
  } else {
    const byKind = new Map<string, number>();
    for (const f of findings) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
    lines.push('', `findings: ${findings.length} (${[...byKind].map(([kind, count]) => `${kind} ${count}`).join(', ')})`);
    for (const f of findings.slice(0, MAX_FINDING_LINES)) lines.push(`  ${f.date === null ? '' : `${f.date} `}${f.kind}: ${f.detail}`);
    if (findings.length > MAX_FINDING_LINES) lines.push(`  ... and ${findings.length - MAX_FINDING_LINES} more (--json lists every finding)`);
  }
  return lines.join('\n');
}

/** Right-aligned columns, two spaces apart. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `  ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ')}`;
  return [line(head), ...rows.map(line)];
}

function fixed(value: number | null | undefined, digits: number): string {
  return typeof value === 'number' ? value.toFixed(digits) : 'n/a';
}

function bps(value: number | null | undefined): string {
  return typeof value === 'number' ? (value * 10_000).toFixed(2) : 'n/a';
}

function percent(value: number | null | undefined): string {
  return typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : 'n/a';
}
