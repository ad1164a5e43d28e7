import { describeDataQuality } from '@quantbot/cli';
import type { DataQualityOutcome } from '@quantbot/data-quality';
import type { BacktestReport, LookaheadReport, SleeveDocument } from '@quantbot/engine';
import { formatSummaryMetric } from '@quantbot/observability';

const RAW_PRICES = 'raw (as in the file)';

/**
 * The data a sweep or walk-forward ran on, for its first line: the data label, and the prices
 * when they were adjusted (`orcl.txt, prices adjusted (Adj Close)`).
 */
export function describePlanData(plan: { readonly dataLabel: string; readonly prices: string }): string {
  return plan.prices === 'adjusted' ? `${plan.dataLabel}, prices adjusted (Adj Close)` : plan.dataLabel;
}

/** A readable, fixed-layout summary of a backtest report for the terminal. */
export function formatSummary(report: BacktestReport, dataQuality: DataQualityOutcome, lookahead: LookaheadReport | null): string {
  const s = report.summary;
  const q = report.executionQuality;
  const rows: [string, string][] = [
    ['run', text(s['runId'])],
    ['strategy', `${text(s['strategy'])} (${text(s['params'])})`],
    ['data', `${text(s['data'])}: ${text(s['symbols'])}`],
    ['prices', s['prices'] === undefined ? RAW_PRICES : text(s['prices'])],
    ['period', `${text(s['start']).slice(0, 10)} .. ${text(s['end']).slice(0, 10)} (${text(s['bars'])} bars)`],
    ['sizing', `${text(s['sizing'])}, commission ${text(s['commissionBps'])} bps`],
    ['execution', `${report.execution.profile} profile, ${report.execution.fillModel} (${describeParameters(report.execution.parameters)})`],
    ['bar interval', describeBarInterval(s)],
    ['starting equity', metric(s, 'startingEquity')],
    ['final equity', metric(s, 'finalEquity')],
    ['total return', metric(s, 'totalReturn')],
    ['CAGR', metric(s, 'cagr')],
    ['annual volatility', metric(s, 'annualVolatility')],
    ['Sharpe', metric(s, 'sharpe')],
    ['Sortino', metric(s, 'sortino')],
    ['max drawdown', `${metric(s, 'maxDrawdownPct')} over ${text(s['maxDrawdownDurationBars'])} bars`],
    ['Calmar', metric(s, 'calmar')],
    ['closed trades', metric(s, 'closedTrades')],
    ['win rate', metric(s, 'winRate')],
    ['profit factor', metric(s, 'profitFactor')],
    ['exposure', metric(s, 'exposure')],
    ['turnover', metric(s, 'turnover')],
    ['commission paid', metric(s, 'totalCommission')],
    ['open positions', text(s['openPositions'])],
    ['rejected orders', text(s['rejectedOrders'])],
    ['canceled orders', text(s['canceledOrders'])],
    ['shortfall', `${metric(q, 'implementationShortfallBps')} (avg slippage ${metric(q, 'averageSlippageBps')}, p95 ${metric(q, 'p95SlippageBps')})`],
    ['fills', `fill rate ${metric(q, 'fillRate')}, partial ${metric(q, 'partialFillRatio')}, rejects ${metric(q, 'rejectRate')}, latency ${metric(q, 'averageLatencyMs')}`],
    ['execution score', metric(q, 'qualityScore')],
    ['data quality', describeDataQuality(dataQuality)],
    ['guardrails', describeGuardrails(report)],
  ];
  if (s['notices'] !== undefined) rows.push(['strategy notices', `${text(s['notices'])} (notices.jsonl; each on stderr)`]);
  const manager = report.manager;
  if (manager !== undefined) {
    rows.push(['sleeves', `${manager.sleeves.length}, capital ${money(manager.capital)}, unallocated ${money(manager.unallocated)}, unattributed P&L ${money(manager.unattributed.pnl)}`]);
  }
  if (lookahead !== null) {
    rows.push([
      'lookahead check',
      lookahead.passed
        ? `passed (${lookahead.comparedDecisions} decisions compared, ${lookahead.cutoffs.length} cut-offs, warm-up ${lookahead.warmupBars} bars)`
        : `FAILED: ${lookahead.divergenceCount} decision(s) changed with less data`,
    ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}${v}`);
  for (const p of report.openPositions) {
    lines.push(
      `  open ${String(p['side'])} ${String(p['qty'])} ${String(p['symbol'])} since ${String(p['entryTime']).slice(0, 10)} @ ${String(p['entryPrice'])}, marked ${String(p['markPrice'])}: unrealized ${money(p['unrealizedPnl'] ?? null)}`,
    );
  }
  for (const sleeve of manager?.sleeves ?? []) lines.push(...describeSleeve(sleeve));
  for (const n of report.notices ?? []) lines.push(`  notice ${n.time.slice(0, 10)} ${n.strategy} ${n.code}: ${n.message}`);
  for (const f of (dataQuality.report?.findings ?? []).filter((x) => x.severity === 'error').slice(0, 10)) {
    lines.push(`  data error ${f.symbol} ${f.time === null ? '' : new Date(f.time).toISOString().slice(0, 10)} ${f.field ?? ''}: ${f.message}`);
  }
  for (const f of (dataQuality.report?.findings ?? []).filter((x) => x.severity === 'warning' && (x.check === 'duplicate-timestamp' || x.check === 'unsorted-timestamp'))) {
    lines.push(`  data resolved ${f.file ?? f.symbol}${f.line === undefined ? '' : `:${f.line}`}: ${f.message}`);
  }
  for (const d of lookahead?.divergences.slice(0, 10) ?? []) {
    lines.push(`  lookahead ${d.test} (${d.boundary.slice(0, 10)}): ${d.time.slice(0, 10)} ${d.symbol} full run ${JSON.stringify(d.full)} vs ${JSON.stringify(d.other)}`);
  }
  for (const t of report.guardrails.transitions.slice(0, 10)) {
    lines.push(`  kill switch ${new Date(t.time).toISOString().slice(0, 10)}: ${t.from} -> ${t.to} (${t.reason})`);
  }
  for (const r of report.rejectedOrders) {
    lines.push(`  rejected ${r['clientOrderId'] ?? ''} ${r['symbol'] ?? ''} at ${(r['time'] ?? '').slice(0, 10)}: ${r['reason'] ?? ''}`);
  }
  return lines.join('\n');
}

/** A sleeve's lines: its P&L from its own books, its orders, and its state when it is not active. */
function describeSleeve(s: SleeveDocument): string[] {
  const share = `${Number((s.allocation * 100).toFixed(6))}%`;
  const lines = [
    `  sleeve ${s.name} (${s.strategy}, ${share} = ${money(s.capital)}): ${s.state}, equity ${money(s.finalEquity)}, P&L ${money(s.pnl)} (${formatSummaryMetric('totalReturn', s.totalReturn)}; realized ${money(s.realizedPnl)}, unrealized ${money(s.unrealizedPnl)}, commission ${money(s.commission)}), Sharpe ${formatSummaryMetric('sharpe', s.sharpe)}, max drawdown ${formatSummaryMetric('maxDrawdownPct', s.maxDrawdownPct)}, ${s.closedTrades} trade(s), win rate ${formatSummaryMetric('winRate', s.winRate)}`,
    `    orders: ${s.ordersSent} sent, ${s.ordersRefused} refused, ${s.ordersRejected} rejected, ${s.ordersDropped} dropped while halted; ${s.fills} fill(s), ${s.openPositions.length} open position(s)`,
  ];
  for (const t of s.transitions) lines.push(`    ${t['time']?.slice(0, 10) ?? ''}: ${t['from'] ?? ''} -> ${t['to'] ?? ''} (${t['reason'] ?? ''})`);
  return lines;
}

/** A summary metric as the HTML report shows it too (`formatSummaryMetric`). */
function metric(summary: Readonly<Record<string, number | string | null>>, key: string): string {
  return formatSummaryMetric(key, summary[key]);
}

/** `1m (98280 bars a year)`; a summary without the fields is of daily bars. */
function describeBarInterval(summary: BacktestReport['summary']): string {
  const interval = summary['barInterval'];
  const perYear = summary['periodsPerYear'];
  return typeof interval === 'string' && typeof perYear === 'number' ? `${interval} (${perYear} bars a year)` : '1d (252 bars a year)';
}

function text(value: number | string | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : String(value);
}

function money(value: number | string | null | undefined): string {
  return typeof value === 'number' ? value.toFixed(2) : 'n/a';
}

function describeParameters(parameters: Readonly<Record<string, string | number | null>>): string {
  return Object.entries(parameters)
    .filter(([key]) => key !== 'name')
    .map(([key, value]) => `${key}=${value === null ? 'none' : String(value)}`)
    .join(', ');
}

function describeGuardrails(report: BacktestReport): string {
  const g = report.guardrails;
  const reasons = Object.entries(g.rejectedByCode)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const drawdown = g.maxIntradayDrawdownPct === null ? '' : `, worst intraday drawdown ${g.maxIntradayDrawdownPct.toFixed(2)}%`;
  return `state ${g.state}, ${g.accepted} order(s) passed, ${g.rejected} refused${reasons === '' ? '' : ` (${reasons})`}, ${g.transitions.length} transition(s)${drawdown}`;
}
