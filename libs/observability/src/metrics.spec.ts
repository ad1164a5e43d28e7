import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConfigError, epochMs } from '@quantbot/core';
import { register as globalRegistry } from 'prom-client';
import type { MetricsServer } from './metrics';
import { createTradingMetrics, startMetricsServer } from './metrics';
import { SloMonitor } from './slo-monitor';

/** GET over a real socket; resolves with the status, content type and body. */
function get(url: string, method = 'GET'): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createTradingMetrics', () => {
  it('counts orders, rejects by reason and fills, and observes latency and staleness', async () => {
    const metrics = createTradingMetrics();
    metrics.orderSubmitted();
    metrics.orderSubmitted();
    metrics.orderRejected('max-position');
    metrics.orderRejected('halted');
    metrics.orderRejected('max-position');
    metrics.fill();
    metrics.observeLatency(0.02);
    metrics.observeStaleness(120);
    metrics.setTradingState('reducing');
    const text = await metrics.registry.metrics();
    expect(text).toContain('quantbot_orders_total{outcome="submitted"} 2');
    expect(text).toContain('quantbot_orders_total{outcome="rejected"} 3');
    expect(text).toContain('quantbot_order_rejects_total{reason="max-position"} 2');
    expect(text).toContain('quantbot_order_rejects_total{reason="halted"} 1');
    expect(text).toContain('quantbot_fills_total 1');
    expect(text).toContain('quantbot_order_latency_seconds_bucket{le="0.025"} 1');
    expect(text).toContain('quantbot_order_latency_seconds_bucket{le="0.01"} 0');
    expect(text).toContain('quantbot_data_staleness_seconds_sum 120');
    expect(text).toContain('quantbot_trading_state{state="reducing"} 1');
    expect(text).toContain('quantbot_trading_state{state="active"} 0');
  });

  it('starts every series at 0 so they exist before the first event', async () => {
    const text = await createTradingMetrics().registry.metrics();
    expect(text).toContain('quantbot_orders_total{outcome="submitted"} 0');
    expect(text).toContain('quantbot_fills_total 0');
    expect(text).toContain('quantbot_trading_state{state="halted"} 0');
  });

  it('moves the trading state: only the current one is 1', async () => {
    const metrics = createTradingMetrics();
    metrics.setTradingState('active');
    metrics.setTradingState('halted');
    const text = await metrics.registry.metrics();
    expect(text).toContain('quantbot_trading_state{state="halted"} 1');
    expect(text).toContain('quantbot_trading_state{state="active"} 0');
  });

  it('uses a fresh registry per instance and never the global one', async () => {
    const a = createTradingMetrics();
    const b = createTradingMetrics();
    a.fill();
    expect(a.registry).not.toBe(b.registry);
    expect(await b.registry.metrics()).toContain('quantbot_fills_total 0');
    expect(await globalRegistry.metrics()).not.toContain('quantbot_');
  });

  it('applies the prefix and refuses an invalid one', async () => {
    expect(await createTradingMetrics('paper_').registry.metrics()).toContain('paper_fills_total 0');
    expect(() => createTradingMetrics('9bad-')).toThrow(ConfigError);
  });

  it('refuses negative or non-finite observations and unknown states with ConfigErrors', () => {
    const metrics = createTradingMetrics();
    expect(() => metrics.observeLatency(-0.1)).toThrow(/^seconds:/);
    expect(() => metrics.observeStaleness(Number.NaN)).toThrow(/^seconds:/);
    expect(() => metrics.setTradingState('paused' as 'active')).toThrow(/^state:/);
  });
});

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('binds to 127.0.0.1 by default and serves the counters at GET /metrics', async () => {
    const metrics = createTradingMetrics();
    server = await startMetricsServer({ registry: metrics.registry });
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
    metrics.orderSubmitted();
    metrics.orderRejected('halted');
    metrics.fill();
    const response = await get(server.url);
    expect(response.status).toBe(200);
    expect(response.contentType).toBe(metrics.registry.contentType);
    expect(response.body).toContain('quantbot_orders_total{outcome="submitted"} 1');
    expect(response.body).toContain('quantbot_order_rejects_total{reason="halted"} 1');
    expect(response.body).toContain('quantbot_fills_total 1');
  });

  it('answers 404 for other paths and methods', async () => {
    server = await startMetricsServer({ registry: createTradingMetrics().registry });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await get(`${base}/`)).status).toBe(404);
    expect((await get(`${base}/metrics/x`)).status).toBe(404);
    expect((await get(`${base}/metrics`, 'POST')).status).toBe(404);
    expect((await get(`${base}/metrics?name[]=x`)).status).toBe(200);
  });

  it('stops listening on close', async () => {
    const started = await startMetricsServer({ registry: createTradingMetrics().registry });
    await started.close();
    await expect(get(started.url)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects with METRICS_LISTEN_FAILED naming the address when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startMetricsServer({ registry: createTradingMetrics().registry, port })).rejects.toThrow(
        expect.objectContaining({ code: 'METRICS_LISTEN_FAILED', message: expect.stringContaining(`127.0.0.1:${port}`) }),
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('serves equity, drawdown, connections, SLO burn rates and budgets, and the alert path counters', async () => {
    const metrics = createTradingMetrics();
    server = await startMetricsServer({ registry: metrics.registry });
    const before = (await get(server.url)).body;
    // Before any report no channel has a series (a session without a broker has none), and both page statuses exist.
    expect(before).not.toMatch(/^quantbot_broker_connected\{/m);
    expect(before).toContain('quantbot_pages_sent_total{status="firing"} 0');
    expect(before).toContain('quantbot_alert_path_failures_total 0');
    metrics.setEquity(101_250.5);
    metrics.setDrawdown(0.035);
    metrics.setConnectionState('trade-stream', true);
    metrics.setConnectionState('bar-stream', true);
    metrics.setConnectionState('bar-stream', false);
    metrics.setSloBurnRate('orderAckLatency', '5m', 20);
    metrics.setSloBurnRate('orderAckLatency', '1h', 3.5);
    metrics.setSloBudgetRemaining('orderAckLatency', -0.25);
    metrics.alertPathFailure();
    metrics.alertPathFailure();
    metrics.pageSent('firing');
    metrics.pageSent('resolved');
    metrics.pageSent('firing');
    metrics.setTradingState('halted');
    const body = (await get(server.url)).body;
    expect(body).toContain('# TYPE quantbot_equity gauge');
    expect(body).toContain('quantbot_equity 101250.5');
    expect(body).toContain('quantbot_drawdown_ratio 0.035');
    expect(body).toContain('quantbot_broker_connected{channel="trade-stream"} 1');
    expect(body).toContain('quantbot_broker_connected{channel="bar-stream"} 0');
    expect(body).not.toContain('quantbot_broker_connected{channel="rest"}');
    expect(body).toContain('# TYPE quantbot_slo_burn_rate gauge');
    expect(body).toContain('quantbot_slo_burn_rate{slo="orderAckLatency",window="5m"} 20');
    expect(body).toContain('quantbot_slo_burn_rate{slo="orderAckLatency",window="1h"} 3.5');
    expect(body).toContain('quantbot_slo_error_budget_remaining{slo="orderAckLatency"} -0.25');
    expect(body).toContain('# TYPE quantbot_alert_path_failures_total counter');
    expect(body).toContain('quantbot_alert_path_failures_total 2');
    expect(body).toContain('quantbot_pages_sent_total{status="firing"} 2');
    expect(body).toContain('quantbot_pages_sent_total{status="resolved"} 1');
    expect(body).toContain('quantbot_trading_state{state="halted"} 1');
  });

  it("exports a monitor's burn rates and budgets as gauges", async () => {
    const metrics = createTradingMetrics();
    const start = epochMs(Date.UTC(2025, 0, 2, 14, 30));
    const monitor = new SloMonitor({ start });
    monitor.record({ kind: 'trading-state', time: start, state: 'halted' });
    monitor.record({ kind: 'trading-state', time: epochMs(start + 60_000), state: 'active' });
    const now = epochMs(start + 10 * 60_000);
    for (const rate of monitor.burnRates(now)) metrics.setSloBurnRate(rate.slo, rate.window, rate.burnRate);
    for (const status of monitor.status(now)) metrics.setSloBudgetRemaining(status.slo, status.budgetRemaining);
    server = await startMetricsServer({ registry: metrics.registry });
    const body = (await get(server.url)).body;
    // 1 halted minute of the 10 covered by the 1h window, against 1 %: 10; of the 10m window: 10.
    expect(body).toContain('quantbot_slo_burn_rate{slo="killSwitch",window="1h"} 10');
    expect(body).toContain('quantbot_slo_burn_rate{slo="killSwitch",window="5m"} 0');
    expect(body).toContain('quantbot_slo_burn_rate{slo="fillRate",window="6h"} 0');
    expect(body).toMatch(/quantbot_slo_error_budget_remaining\{slo="killSwitch"\} 0\.74358974358974/);
  });

  it('refuses bad values for the new gauges with ConfigErrors naming the field', () => {
    const metrics = createTradingMetrics();
    expect(() => metrics.setEquity(Number.POSITIVE_INFINITY)).toThrow(/^value:/);
    expect(() => metrics.setDrawdown(-0.1)).toThrow(/^ratio:/);
    expect(() => metrics.setConnectionState('websocket' as 'rest', true)).toThrow(/^channel:/);
    expect(() => metrics.setSloBurnRate('fillRate', '5m', Number.NaN)).toThrow(/^burnRate:/);
    expect(() => metrics.setSloBudgetRemaining('fillRate', Number.NaN)).toThrow(/^remaining:/);
  });

  it('refuses a port outside 0-65535 with a ConfigError naming port', async () => {
    await expect(startMetricsServer({ registry: createTradingMetrics().registry, port: 70_000 })).rejects.toThrow(/^port:/);
  });
});
