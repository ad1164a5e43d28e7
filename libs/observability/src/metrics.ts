import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, QuantbotError } from '@quantbot/core';
import type * as PromClient from 'prom-client';
import type { Registry } from 'prom-client';

/** prom-client, loaded when metrics are first created: a backtest, which has none, does not load it. */
function promClient(): typeof PromClient {
  return require('prom-client') as typeof PromClient;
}

/** The port Prometheus exporters conventionally use for an application like this one. */
export const TYPICAL_METRICS_PORT = 9464;

/** The trading states `trading_state` reports (the kill switch's states). */
export const TRADING_STATES = ['active', 'reducing', 'flatten', 'halted'] as const;

/** One of {@link TRADING_STATES}. */
export type TradingStateName = (typeof TRADING_STATES)[number];

/** The broker channels whose connection `broker_connected{channel}` reports. */
export const BROKER_CHANNELS = ['trade-stream', 'bar-stream', 'rest'] as const;

/** One of {@link BROKER_CHANNELS}. */
export type BrokerChannel = (typeof BROKER_CHANNELS)[number];

/** Histogram buckets of `order_latency_seconds`: 5 ms to 10 s. */
export const ORDER_LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Histogram buckets of `data_staleness_seconds`: 1 s to 4 days (a long weekend of daily bars). */
export const DATA_STALENESS_BUCKETS_SECONDS: readonly number[] = [1, 5, 15, 60, 300, 900, 3600, 14_400, 86_400, 345_600];

/** Trading metrics on a registry of their own. */
export interface TradingMetrics {
  /** The registry holding these metrics only (never prom-client's global one). */
  readonly registry: Registry;
  /** Counts an order sent to the broker: `orders_total{outcome="submitted"}`. */
  orderSubmitted(): void;
  /**
   * Counts a rejected order: `orders_total{outcome="rejected"}` and
   * `order_rejects_total{reason}`. Pass a short stable code (`max-position`, `halted`), not a
   * message: each distinct reason is a time series.
   */
  orderRejected(reason: string): void;
  /** Counts a fill (partial fills count one each): `fills_total`. */
  fill(): void;
  /** Records the time from submission to acknowledgement, in seconds (finite, ≥ 0). */
  observeLatency(seconds: number): void;
  /** Records the age of the latest market data at a decision, in seconds (finite, ≥ 0). */
  observeStaleness(seconds: number): void;
  /** Sets `trading_state{state}` to 1 for `state` and 0 for the others. */
  setTradingState(state: TradingStateName): void;
  /** Sets `equity`: the account's equity in its currency (finite). */
  setEquity(value: number): void;
  /** Sets `drawdown_ratio`: the fall from the equity peak as a fraction (0 at a peak, 0.1 for 10 % down; finite, ≥ 0). */
  setDrawdown(ratio: number): void;
  /** Sets `broker_connected{channel}` to 1 (connected) or 0. A channel has no series until it is first reported. */
  setConnectionState(channel: BrokerChannel, connected: boolean): void;
  /** Sets `slo_burn_rate{slo,window}` (finite, ≥ 0), such as an entry of `SloMonitor.burnRates`. */
  setSloBurnRate(slo: string, window: string, burnRate: number): void;
  /** Sets `slo_error_budget_remaining{slo}`: the fraction of the error budget left (1 untouched, negative overspent). */
  setSloBudgetRemaining(slo: string, remaining: number): void;
  /** Counts an alert message the pager gave up on: `alert_path_failures_total`. */
  alertPathFailure(): void;
  /** Counts a message the webhook accepted: `pages_sent_total{status}` (`firing` or `resolved`). */
  pageSent(status: 'firing' | 'resolved'): void;
}

const METRIC_PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/**
 * Creates the trading metrics, named `<prefix>orders_total`, `<prefix>order_rejects_total`,
 * `<prefix>fills_total`, `<prefix>order_latency_seconds`, `<prefix>data_staleness_seconds`,
 * `<prefix>trading_state`, `<prefix>equity`, `<prefix>drawdown_ratio`,
 * `<prefix>broker_connected`, `<prefix>slo_burn_rate`, `<prefix>slo_error_budget_remaining`,
 * `<prefix>alert_path_failures_total` and `<prefix>pages_sent_total`, on a fresh registry. Labelled series start at 0 (and every trading
 * state at 0) so dashboards see them before the first event. Throws a `ConfigError` naming
 * `prefix` when it is not a valid metric name start.
 *
 * @example
 * const metrics = createTradingMetrics();
 * metrics.orderRejected('max-position');
 * const server = await startMetricsServer({ registry: metrics.registry, port: TYPICAL_METRICS_PORT });
 */
export function createTradingMetrics(prefix = 'quantbot_'): TradingMetrics {
  if (!METRIC_PREFIX.test(prefix)) throw new ConfigError('prefix', `'${prefix}' is not a valid Prometheus metric name prefix`);
  const { Counter, Gauge, Histogram, Registry } = promClient();
  const registry = new Registry();
  const registers = [registry];
  const orders = new Counter({ name: `${prefix}orders_total`, help: 'Orders by outcome.', labelNames: ['outcome'] as const, registers });
  const rejects = new Counter({ name: `${prefix}order_rejects_total`, help: 'Rejected orders by reason.', labelNames: ['reason'] as const, registers });
  const fills = new Counter({ name: `${prefix}fills_total`, help: 'Fills, partial fills included.', registers });
  const latency = new Histogram({
    name: `${prefix}order_latency_seconds`,
    help: 'Time from order submission to broker acknowledgement, in seconds.',
    buckets: [...ORDER_LATENCY_BUCKETS_SECONDS],
    registers,
  });
  const staleness = new Histogram({
    name: `${prefix}data_staleness_seconds`,
    help: 'Age of the latest market data at a decision, in seconds.',
    buckets: [...DATA_STALENESS_BUCKETS_SECONDS],
    registers,
  });
  const tradingState = new Gauge({
    name: `${prefix}trading_state`,
    help: 'The current trading state: 1 for the current state, 0 for the others.',
    labelNames: ['state'] as const,
    registers,
  });
  const equity = new Gauge({ name: `${prefix}equity`, help: "The account's equity, in its currency.", registers });
  const drawdown = new Gauge({ name: `${prefix}drawdown_ratio`, help: 'The fall from the equity peak, as a fraction (0.1 is 10 % down).', registers });
  const connected = new Gauge({
    name: `${prefix}broker_connected`,
    help: 'Broker channel connection: 1 connected, 0 not; a channel appears once reported (a session without a broker has none).',
    labelNames: ['channel'] as const,
    registers,
  });
  const burnRate = new Gauge({
    name: `${prefix}slo_burn_rate`,
    help: 'SLO error budget burn rate over a window (1 spends the budget in exactly one period).',
    labelNames: ['slo', 'window'] as const,
    registers,
  });
  const budget = new Gauge({
    name: `${prefix}slo_error_budget_remaining`,
    help: 'Fraction of the SLO error budget left over the period (1 untouched, 0 spent, negative overspent).',
    labelNames: ['slo'] as const,
    registers,
  });
  const pathFailures = new Counter({ name: `${prefix}alert_path_failures_total`, help: 'Alert messages the pager gave up on.', registers });
  const pages = new Counter({ name: `${prefix}pages_sent_total`, help: 'Alert messages the webhook accepted, by status.', labelNames: ['status'] as const, registers });
  orders.labels('submitted').inc(0);
  orders.labels('rejected').inc(0);
  for (const state of TRADING_STATES) tradingState.labels(state).set(0);
  pages.labels('firing').inc(0);
  pages.labels('resolved').inc(0);

  return {
    registry,
    orderSubmitted: () => orders.labels('submitted').inc(),
    orderRejected: (reason) => {
      orders.labels('rejected').inc();
      rejects.labels(reason === '' ? 'unknown' : reason).inc();
    },
    fill: () => fills.inc(),
    observeLatency: (seconds) => latency.observe(checkSeconds(seconds)),
    observeStaleness: (seconds) => staleness.observe(checkSeconds(seconds)),
    setTradingState: (state) => {
      if (!(TRADING_STATES as readonly string[]).includes(state)) {
        throw new ConfigError('state', `'${String(state)}' is not a trading state (${TRADING_STATES.join(', ')})`);
      }
      for (const other of TRADING_STATES) tradingState.labels(other).set(other === state ? 1 : 0);
    },
    setEquity: (value) => equity.set(checkFinite(value, 'value')),
    setDrawdown: (ratio) => {
      if (!Number.isFinite(ratio) || ratio < 0) throw new ConfigError('ratio', `${ratio} is not a finite fraction ≥ 0`);
      drawdown.set(ratio);
    },
    setConnectionState: (channel, isConnected) => {
      if (!(BROKER_CHANNELS as readonly string[]).includes(channel)) {
        throw new ConfigError('channel', `'${String(channel)}' is not a broker channel (${BROKER_CHANNELS.join(', ')})`);
      }
      connected.labels(channel).set(isConnected ? 1 : 0);
    },
    setSloBurnRate: (slo, window, rate) => {
      if (!Number.isFinite(rate) || rate < 0) throw new ConfigError('burnRate', `${rate} is not a finite burn rate ≥ 0`);
      burnRate.labels(slo, window).set(rate);
    },
    setSloBudgetRemaining: (slo, remaining) => budget.labels(slo).set(checkFinite(remaining, 'remaining')),
    alertPathFailure: () => pathFailures.inc(),
    pageSent: (status) => pages.labels(status).inc(),
  };
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  readonly registry: Registry;
  /** The port; 0 picks a free one (the default, handy in tests). {@link TYPICAL_METRICS_PORT} is usual. */
  readonly port?: number;
  /** The address to bind; default `127.0.0.1`, so metrics are not exposed beyond the host. */
  readonly host?: string;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The scrape URL, such as `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** The bound port (the chosen one when 0 was asked for). */
  readonly port: number;
  /** The bound address. */
  readonly host: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format, the registry's content type) over node:http;
 * any other path or method is a 404. Resolves once listening; rejects with a `QuantbotError`
 * (code `METRICS_LISTEN_FAILED`) naming the address when the port cannot be bound, and throws a
 * `ConfigError` naming `port` for a port outside 0–65535.
 *
 * @example
 * const server = await startMetricsServer({ registry: metrics.registry, port: 9464 });
 * console.error(`metrics at ${server.url}`);
 * await server.close();
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, port = 0, host = '127.0.0.1' } = options;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) throw new ConfigError('port', `${port} is not a port number (0–65535)`);
  const server = createServer((request, response) => {
    void respond(registry, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(new QuantbotError('METRICS_LISTEN_FAILED', `cannot serve metrics on ${host}:${port}: ${error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}/metrics`,
    port: address.port,
    host: address.address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Keep-alive connections would hold `close` open until they time out.
        server.closeAllConnections();
      }),
  };
}

async function respond(registry: Registry, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: metrics are at GET /metrics\n');
    return;
  }
  try {
    const body = await registry.metrics();
    response.writeHead(200, { 'Content-Type': registry.contentType }).end(request.method === 'HEAD' ? undefined : body);
  } catch (error) {
    response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`cannot collect metrics: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

function checkFinite(value: number, key: string): number {
  if (!Number.isFinite(value)) throw new ConfigError(key, `${value} is not a finite number`);
  return value;
}

function checkSeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new ConfigError('seconds', `${seconds} is not a finite number of seconds ≥ 0`);
  return seconds;
}
