import { formatIsoTime } from '@quantbot/core';
import type { DataQualityOutcome } from '@quantbot/data-quality';
import type { GatewayStatistics } from '@quantbot/risk-guardrails';
import { describeExecutionProfile } from '@quantbot/execution-sim';
import type { BacktestResult } from './backtest-runner';

/**
 * The JSON contract of a backtest (`backtester:run --json`, `summary.json`): `summary`,
 * `trades`, `openPositions`, `rejectedOrders`, `canceledOrders`, `execution`,
 * `executionQuality`, `dataQuality`, `guardrails`. Times are ISO 8601 strings;
 * statistics that are undefined for the run are `null`. Scripts and CI build on this shape:
 * fields may be added, never renamed or removed without a version bump of `schemaVersion`.
 */
export interface BacktestReport {
  readonly schemaVersion: 1;
  readonly summary: Readonly<Record<string, number | string | null>>;
  readonly trades: readonly Readonly<Record<string, number | string>>[];
  readonly openPositions: readonly Readonly<Record<string, number | string>>[];
  readonly rejectedOrders: readonly Readonly<Record<string, string>>[];
  readonly canceledOrders: readonly Readonly<Record<string, string | number>>[];
  /** The fill model and every parameter of the execution profile used. */
  readonly execution: {
    readonly profile: string;
    readonly fillModel: string;
    readonly parameters: Readonly<Record<string, string | number | null>>;
  };
  /** Execution-quality statistics (docs/execution.md defines each). */
  readonly executionQuality: Readonly<Record<string, number | null>>;
  /** The data-quality mode, calendar, report (summary and findings) and any repairs. */
  readonly dataQuality: DataQualityOutcome;
  /** The order gateway's statistics (decisions by reason, trading states, drawdowns, limits). */
  readonly guardrails: GatewayStatistics;
}

/** Turns a result into the JSON contract, with `extra` fields (run id, strategy, data) in `summary`. */
export function toBacktestReport(
  result: BacktestResult,
  extra: Readonly<Record<string, number | string | null>> = {},
): BacktestReport {
  const m = result.metrics;
  const n = result.time.length;
  return {
    schemaVersion: 1,
    summary: {
      ...extra,
      start: n > 0 ? formatIsoTime(result.time[0] as number) : null,
      end: n > 0 ? formatIsoTime(result.time[n - 1] as number) : null,
      bars: m.bars,
      startingEquity: m.startingEquity,
      finalEquity: m.finalEquity,
      totalReturn: m.totalReturn,
      cagr: m.cagr,
      annualVolatility: m.annualVolatility,
      sharpe: m.sharpe,
      sortino: m.sortino,
      maxDrawdownPct: m.maxDrawdownPct,
      maxDrawdownDurationBars: m.maxDrawdownDurationBars,
      calmar: m.calmar,
      closedTrades: m.closedTrades,
      winRate: m.winRate,
      profitFactor: m.profitFactor,
      exposure: m.exposure,
      turnover: m.turnover,
      totalCommission: m.totalCommission,
      openPositions: result.openPositions.length,
      rejectedOrders: result.rejectedOrders.length,
      canceledOrders: result.canceledOrders.length,
      executionProfile: result.execution.name,
      implementationShortfallBps: result.executionQuality.implementationShortfallBps,
      executionQualityScore: result.executionQuality.qualityScore,
    },
    trades: result.trades.map((t) => ({
      symbol: t.symbol,
      side: t.side,
      qty: t.qty,
      entryTime: formatIsoTime(t.entryTime),
      entryPrice: t.entryPrice,
      exitTime: formatIsoTime(t.exitTime),
      exitPrice: t.exitPrice,
      pnl: t.pnl,
      commission: t.commission,
      netPnl: t.netPnl,
      barsHeld: t.barsHeld,
    })),
    openPositions: result.openPositions.map((p) => ({
      symbol: p.symbol,
      side: p.side,
      qty: p.qty,
      entryTime: formatIsoTime(p.entryTime),
      entryPrice: p.entryPrice,
      markTime: formatIsoTime(p.markTime),
      markPrice: p.markPrice,
      unrealizedPnl: p.unrealizedPnl,
      commission: p.commission,
    })),
    rejectedOrders: result.rejectedOrders.map((r) => ({
      clientOrderId: r.clientOrderId,
      symbol: r.symbol,
      time: formatIsoTime(r.time),
      reason: r.reason,
    })),
    canceledOrders: result.canceledOrders.map((c) => ({
      clientOrderId: c.clientOrderId,
      symbol: c.symbol,
      status: c.status,
      time: formatIsoTime(c.time),
      filledQty: c.filledQty,
      reason: c.reason,
    })),
    execution: { profile: result.execution.name, fillModel: result.fillModel, parameters: describeExecutionProfile(result.execution) },
    executionQuality: { ...result.executionQuality },
    dataQuality: result.dataQuality,
    guardrails: result.guardrails,
  };
}
