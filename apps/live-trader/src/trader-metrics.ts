import { ConfigError, QuantbotError } from '@quantbot/core';
import type { LiveNotice } from '@quantbot/live';
import { ORDER_LATENCY_BUCKETS_SECONDS, TRADING_STATES, createTradingMetrics, startMetricsServer } from '@quantbot/observability';
import type { MetricsServer, TradingMetrics, TradingStateName } from '@quantbot/observability';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { TraderView } from './trader-view';
import { BROKER_CHANNELS } from './trader-view';

/**
 * The metrics of `live-trader run --metrics-port`: `@quantbot/observability`'s trading metrics
 * (`quantbot_orders_total{outcome}`, `quantbot_order_rejects_total{reason}`, `quantbot_fills_total`,
 * `quantbot_order_latency_seconds`, `quantbot_data_staleness_seconds`, `quantbot_trading_state{state}`)
 * and the trader's own gauges, on one registry, fed from the session's notices.
 */
export interface TraderMetrics {
  readonly registry: Registry;
  /** `@quantbot/observability`'s trading metrics on that registry (SLO burn rates, pages, alert path failures). */
  readonly trading: TradingMetrics;
  /** Takes one notice in (after the view took it: the gauges read the view). */
  observe(notice: LiveNotice): void;
  /** Sets the broker connection gauges from the view (a stream's event changed a channel). */
  refreshConnections(): void;
}

/** Histogram buckets of `quantbot_decision_latency_seconds`: 1 ms to 10 s. */
const DECISION_LATENCY_BUCKETS_SECONDS = [0.001, ...ORDER_LATENCY_BUCKETS_SECONDS];

/**
 * Wires the metrics to a session. `now` is the wall clock (epoch ms): with a broker, a step's data
 * staleness is the wall clock at the decision minus the end of the bar's minute; a replay
 * (`staleness: false`) observes none, its bars' times being history.
 */
export function createTraderMetrics(view: TraderView, options: { readonly now: () => number; readonly staleness: boolean; readonly barMs?: number }): TraderMetrics {
  const trading: TradingMetrics = createTradingMetrics();
  const registry = trading.registry;
  const registers = [registry];
  // Equity, drawdown and the broker connections are @quantbot/observability's (`quantbot_equity`,
  // `quantbot_drawdown_ratio`, `quantbot_broker_connected{channel}`); the rest are the trader's own.
  const gauge = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
  const cash = gauge('quantbot_cash', 'Cash after the latest step, in account currency.');
  const dayPnl = gauge('quantbot_day_pnl', "Equity minus the previous UTC day's last equity seen by this process (or the day's first), in account currency.");
  const positions = gauge('quantbot_open_positions', 'Symbols holding a position other than 0.');
  const working = gauge('quantbot_working_orders', 'Orders sent and not ended.');
  const barTime = gauge('quantbot_last_bar_timestamp_seconds', 'Time of the latest bar the session decided on, in Unix seconds.');
  const steps = new Counter({ name: 'quantbot_steps_total', help: 'Bar steps decided by this process.', registers });
  const decision = new Histogram({
      name: 'quantbot_decision_latency_seconds',
      help: "From a bar's arrival to the end of its step (orders answered by the broker, when any), in seconds.",
      buckets: DECISION_LATENCY_BUCKETS_SECONDS,
      registers,
    });
  const barMs = options.barMs ?? 60_000;

  const refreshConnections = (): void => {
    const broker = view.snapshot().broker;
    if (broker === undefined) return;
    for (const channel of BROKER_CHANNELS) trading.setConnectionState(channel, broker[channel] === 'up');
  };
  const setTradingState = (state: string): void => {
    if ((TRADING_STATES as readonly string[]).includes(state)) trading.setTradingState(state as TradingStateName);
  };
  refreshConnections();
  setTradingState(view.snapshot().killSwitch.state);

  return {
    registry,
    trading,
    refreshConnections,
    observe: (notice) => {
      switch (notice.kind) {
        case 'step': {
          const report = notice.report;
          steps.inc();
          for (let i = 0; i < report.ordersSubmitted; i++) trading.orderSubmitted();
          for (const [code, n] of Object.entries(report.rejects)) for (let i = 0; i < n; i++) trading.orderRejected(code);
          for (let i = 0; i < report.fills; i++) trading.fill();
          const latency = Math.max(0, report.latencyMs) / 1000;
          decision.observe(latency);
          // Only steps that sent orders: from the bar to the broker's answer to them.
          if (report.ordersSubmitted > 0) trading.observeLatency(latency);
          if (options.staleness) trading.observeStaleness(Math.max(0, options.now() - (report.time + barMs)) / 1000);
          setTradingState(report.tradingState);
          const seen = view.snapshot();
          trading.setEquity(report.equity);
          cash.set(report.cash);
          if (seen.dayPnl !== undefined) dayPnl.set(seen.dayPnl);
          if (seen.drawdown !== undefined) trading.setDrawdown(seen.drawdown);
          positions.set(report.openPositions);
          working.set(report.workingOrders);
          barTime.set(report.time / 1000);
          return;
        }
        case 'kill-switch':
          setTradingState(notice.to);
          return;
        case 're-arm':
          if (notice.applied) setTradingState(notice.state);
          return;
        case 'broker-unhealthy':
        case 'broker-healthy':
        case 'trading':
          refreshConnections();
          return;
        default:
          return;
      }
    },
  };
}

/**
 * Serves the registry on `host:port` (port 0: a free one). A port that cannot be bound is a
 * `ConfigError` naming `--metrics-port` (exit 2).
 */
export async function serveTraderMetrics(registry: Registry, port: number, host: string): Promise<MetricsServer> {
  try {
    return await startMetricsServer({ registry, port, host });
  } catch (error) {
    if (error instanceof QuantbotError && error.code === 'METRICS_LISTEN_FAILED') throw new ConfigError('--metrics-port', error.message);
    if (error instanceof ConfigError) throw new ConfigError('--metrics-port', error.message);
    throw error;
  }
}
