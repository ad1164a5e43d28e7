import { formatIsoTime } from '@quantbot/core';
import type { DataQualityOutcome } from '@quantbot/data-quality';
import type { GatewayStatistics } from '@quantbot/risk-guardrails';
import { describeExecutionProfile } from '@quantbot/execution-sim';
import type { StrategyNotice } from '@quantbot/strategies';
import type { BacktestResult } from './backtest-runner';
import { computeMetrics } from './performance-metrics';
import type { SleeveState } from './sleeve-state';
import type { StrategyManager } from './strategy-manager';

/**
 * The JSON contract of a backtest (`backtester:run --json`, `summary.json`): `summary`,
 * `trades`, `openPositions`, `rejectedOrders`, `canceledOrders`, `execution`,
 * `executionQuality`, `dataQuality`, `guardrails`. Times are ISO 8601 strings;
 * statistics that are undefined for the run are `null`. Returns and ratios are fractions
 * (`totalReturn` 0.12 = 12 %, `winRate`, `exposure`) except fields named `…Pct` (percent) and
 * `…Bps` (basis points). `summary.barInterval` and `summary.periodsPerYear` say how the annualised
 * figures were computed; they are absent for daily bars (252 periods a year). Scripts and CI build on this shape:
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
  /** A run of a strategy manager: each sleeve's P&L and state (absent for one strategy). */
  readonly manager?: StrategyManagerDocument;
  /** What the strategies told the operator (`StrategyNotice`), in order; absent when none did. */
  readonly notices?: readonly StrategyNoticeDocument[];
}

/** A `StrategyNotice` in a run's JSON: its time as ISO 8601. */
export interface StrategyNoticeDocument {
  readonly time: string;
  readonly strategy: string;
  readonly code: string;
  readonly message: string;
}

/**
 * One sleeve of a manager run, from its own books (see `SleeveReport`): money in currency; the
 * return and risk statistics are those of its own equity curve from its capital (`null` where
 * undefined, as in `PerformanceMetrics`).
 */
export interface SleeveDocument {
  readonly name: string;
  readonly strategy: string;
  readonly allocation: number;
  readonly capital: number;
  readonly state: SleeveState;
  readonly stateReason: string | null;
  readonly finalEquity: number;
  readonly pnl: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly commission: number;
  readonly totalReturn: number;
  readonly cagr: number | null;
  readonly sharpe: number | null;
  readonly maxDrawdownPct: number;
  readonly closedTrades: number;
  readonly winRate: number | null;
  readonly fills: number;
  readonly ordersSent: number;
  readonly ordersRefused: number;
  readonly ordersRejected: number;
  readonly ordersDropped: number;
  readonly openPositions: readonly Readonly<Record<string, number | string>>[];
  readonly transitions: readonly Readonly<Record<string, string>>[];
}

/**
 * The manager part of a run's JSON. The sleeves' `pnl` plus `unattributed.pnl` is the run's P&L
 * (`finalEquity − startingEquity`), up to rounding.
 */
export interface StrategyManagerDocument {
  readonly capital: number;
  readonly unallocated: number;
  readonly unattributed: { readonly pnl: number; readonly commission: number; readonly fills: number };
  readonly sleeves: readonly SleeveDocument[];
}

/** The manager of a finished backtest as its run's JSON (each sleeve's statistics from its recorded equity curve). */
export function toStrategyManagerDocument(manager: StrategyManager): StrategyManagerDocument {
  const report = manager.report();
  const curves = manager.sleeveEquityCurves();
  return {
    capital: report.capital,
    unallocated: report.unallocated,
    unattributed: { pnl: report.unattributed.pnl, commission: report.unattributed.commission, fills: report.unattributed.fills },
    sleeves: report.sleeves.map((s, i): SleeveDocument => {
      const m = computeMetrics({
        startingEquity: s.capital,
        time: curves.time,
        equity: curves.sleeves[i]?.equity ?? new Float64Array(0),
        barsInMarket: 0,
        tradedNotional: 0,
        totalCommission: s.commission,
        trades: manager.closedTrades(s.name),
      });
      return {
        name: s.name,
        strategy: s.strategy,
        allocation: s.allocation,
        capital: s.capital,
        state: s.state,
        stateReason: s.stateReason,
        finalEquity: s.equity,
        pnl: s.pnl,
        realizedPnl: s.realizedPnl,
        unrealizedPnl: s.unrealizedPnl,
        commission: s.commission,
        totalReturn: s.pnl / s.capital,
        cagr: m.cagr,
        sharpe: m.sharpe,
        maxDrawdownPct: s.maxDrawdownPct,
        closedTrades: s.closedTrades,
        winRate: s.closedTrades === 0 ? null : s.winningTrades / s.closedTrades,
        fills: s.fills,
        ordersSent: s.ordersSent,
        ordersRefused: s.ordersRefused,
        ordersRejected: s.ordersRejected,
        ordersDropped: s.ordersDropped,
        openPositions: s.positions.map((p) => ({ symbol: p.symbol, qty: p.qty, averageCost: p.averageCost, markPrice: p.markPrice, unrealizedPnl: p.unrealizedPnl })),
        transitions: s.transitions.map((t) => ({ time: formatIsoTime(t.time), from: t.from, to: t.to, source: t.source, reason: t.reason })),
      };
    }),
  };
}

/** Notices as a run's JSON. */
export function toNoticeDocuments(notices: readonly StrategyNotice[]): readonly StrategyNoticeDocument[] {
  return notices.map((n) => ({ time: formatIsoTime(n.time), strategy: n.strategy, code: n.code, message: n.message }));
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
      // Daily bars (the rule before the interval was known) keep the summary they always had,
      // so runs recorded before still reproduce their digest.
      ...(m.barInterval !== '1d' ? { barInterval: m.barInterval, periodsPerYear: m.periodsPerYear } : {}),
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
