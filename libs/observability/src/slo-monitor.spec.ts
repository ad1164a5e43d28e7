import type { EpochMs } from '@quantbot/core';
import { epochMs } from '@quantbot/core';
import type { SloConfig } from './slo-config';
import type { SloName } from './slo-config';
import { DEFAULT_SLO_CONFIG, SLO_NAMES, parseSloConfig } from './slo-config';
import type { SloAlertChange, SloObservation } from './slo-monitor';
import { SloMonitor, windowLabel } from './slo-monitor';

const T0 = Date.UTC(2025, 0, 2, 14, 30);
const at = (minutes: number, seconds = 0): EpochMs => epochMs(T0 + minutes * 60_000 + seconds * 1000);

/** Runs a session minute by minute: `feed(minute)` returns that minute's observations; evaluates at the end of each minute. */
function run(minutes: number, feed: (minute: number) => SloObservation[], config: SloConfig = DEFAULT_SLO_CONFIG): { monitor: SloMonitor; changes: { minute: number; change: SloAlertChange }[] } {
  const monitor = new SloMonitor({ config, start: at(0) });
  const changes: { minute: number; change: SloAlertChange }[] = [];
  for (let minute = 1; minute <= minutes; minute++) {
    for (const observation of feed(minute)) monitor.record(observation);
    for (const change of monitor.evaluate(at(minute))) changes.push({ minute, change });
  }
  return { monitor, changes };
}

/** The default configuration with only `slos` enabled (time SLOs left unfed would go stale and alert). */
function only(...slos: SloName[]): SloConfig {
  const input = Object.fromEntries(SLO_NAMES.map((name) => [name, { enabled: slos.includes(name) }]));
  return parseSloConfig(JSON.stringify({ version: 1, slos: input }));
}

const summary = (changes: { minute: number; change: SloAlertChange }[]): string[] => changes.map(({ minute, change }) => `${minute} ${change.status} ${change.key} ${change.severity}`);

/** One order per minute; slow (2 s) in minutes `slow`, otherwise 100 ms. */
const ordersWithSlowMinutes =
  (slow: (minute: number) => boolean) =>
  (minute: number): SloObservation[] => [{ kind: 'order-response', time: at(minute - 1, 30), latencyMs: slow(minute) ? 2000 : 100, rejected: false }];

describe('SloMonitor: event SLOs (order acknowledgement latency)', () => {
  it('pages when both windows burn above the factor, and resolves when the short window recovers', () => {
    const { changes } = run(60, ordersWithSlowMinutes((m) => m > 30 && m <= 40), only('orderAckLatency'));
    // Slow orders at 30:30 … 39:30. Minute 31: 1 bad of 31 → 1h burn 3.2, 5m burn 20: only the
    // warning rule (3× over 2h and 10m). Minute 32: 2/32 → 6.25 over 6h: critical. Minute 35:
    // 5/35 → 14.3; minute 36: 6/36 → 16.7 > 14.4: page. The 5m window (40, 45] is clean at minute
    // 45, the 10m one at 50; the 30m one stays bad past the end.
    expect(summary(changes)).toEqual([
      '31 firing orderAckLatency/steady-burn warning',
      '32 firing orderAckLatency/slow-burn critical',
      '36 firing orderAckLatency/fast-burn page',
      '45 resolved orderAckLatency/fast-burn page',
      '50 resolved orderAckLatency/steady-burn warning',
    ]);
    const page = changes.find(({ change }) => change.key === 'orderAckLatency/fast-burn')?.change;
    expect(page).toMatchObject({
      slo: 'orderAckLatency',
      rule: 'fast-burn',
      episode: 1,
      objective: 0.99,
      burnRateThreshold: 14.4,
      longWindow: '1h',
      shortWindow: '5m',
      since: at(36),
      time: at(36),
    });
    expect(page?.burnRates['1h']).toBeCloseTo((6 / 36) / 0.01, 9);
    expect(page?.burnRates['5m']).toBeCloseTo(1 / 0.01, 9);
    // 6 bad of 36 events against a budget of 1 % of 36: 1 − 6 / 0.36.
    expect(page?.budgetRemaining).toBeCloseTo(1 - 6 / 0.36, 9);
    expect(page?.summary).toBe(
      'orderAckLatency page: burn rate 16.7× over 1h and 100.0× over 5m (alerts above 14.4×); objective: 99% of orders acknowledged within 1000 ms; budget left -1567%',
    );
  });

  it('is deterministic: the same observations and times give the same alerts', () => {
    const feed = ordersWithSlowMinutes((m) => m % 7 === 0 || (m > 20 && m < 28));
    const first = run(120, feed).changes;
    expect(first.length).toBeGreaterThan(0);
    expect(run(120, feed).changes).toEqual(first);
  });

  it('counts a new episode when the same alert fires again after resolving', () => {
    const { changes } = run(150, ordersWithSlowMinutes((m) => (m > 10 && m <= 20) || (m > 100 && m <= 110)), only('orderAckLatency'));
    const pages = changes.filter(({ change }) => change.key === 'orderAckLatency/fast-burn').map(({ change }) => `${change.status}#${change.episode}`);
    expect(pages).toEqual(['firing#1', 'resolved#1', 'firing#2', 'resolved#2']);
  });

  it('does not alert on fewer events than minEvents in the long window', () => {
    const monitor = new SloMonitor({ config: only('orderAckLatency'), start: at(0) });
    for (let i = 0; i < 4; i++) monitor.record({ kind: 'order-response', time: at(1), latencyMs: null, rejected: false });
    expect(monitor.evaluate(at(2))).toEqual([]);
    monitor.record({ kind: 'order-response', time: at(2), latencyMs: 5000, rejected: false });
    expect(monitor.evaluate(at(2)).map((c) => c.key)).toEqual(['orderAckLatency/fast-burn', 'orderAckLatency/slow-burn', 'orderAckLatency/steady-burn']);
  });

  it('feeds rejects to rejectRate only for answered orders, and closed orders to fillRate', () => {
    const monitor = new SloMonitor({ start: at(0) });
    for (let i = 0; i < 10; i++) monitor.record({ kind: 'order-response', time: at(1), latencyMs: 50, rejected: i < 5 });
    for (let i = 0; i < 10; i++) monitor.record({ kind: 'order-response', time: at(1), latencyMs: null, rejected: false });
    for (let i = 0; i < 10; i++) monitor.record({ kind: 'order-closed', time: at(1), filled: i !== 0 });
    const rates = monitor.burnRates(at(2)).filter((r) => r.window === '5m');
    // rejectRate: 5 rejected of 10 answered (the 10 unanswered are not counted) against 2 %.
    expect(rates.find((r) => r.slo === 'rejectRate')?.burnRate).toBeCloseTo(0.5 / 0.02, 9);
    // orderAckLatency: 10 unanswered of 20 against 1 %.
    expect(rates.find((r) => r.slo === 'orderAckLatency')?.burnRate).toBeCloseTo(0.5 / 0.01, 9);
    // fillRate: 1 unfilled of 10 against 10 %: burning exactly the budget.
    expect(rates.find((r) => r.slo === 'fillRate')?.burnRate).toBeCloseTo(1, 9);
  });

  it('pages on any reconciliation drift (objective 99.9 %, minEvents 1)', () => {
    const { changes } = run(30, (minute) => [{ kind: 'reconciliation', time: at(minute - 1, 30), drift: minute === 20 }], only('reconciliationDrift'));
    expect(summary(changes).filter((line) => line.includes('fast-burn'))).toEqual(['20 firing reconciliationDrift/fast-burn page', '25 resolved reconciliationDrift/fast-burn page']);
  });

  it('counts out-of-order events and forgets those older than the retention', () => {
    const monitor = new SloMonitor({ start: at(0) });
    monitor.record({ kind: 'order-closed', time: at(10), filled: false });
    monitor.record({ kind: 'order-closed', time: at(9), filled: true });
    expect(monitor.status(at(10)).find((s) => s.slo === 'fillRate')?.budgetRemaining).toBeCloseTo(1 - 1 / (0.1 * 2), 9);
    // Retention is the longest of the period (390 min) and the windows (360 min).
    expect(monitor.burnRates(at(300)).find((r) => r.slo === 'fillRate' && r.window === '6h')?.burnRate).toBeCloseTo(5, 9);
    monitor.evaluate(at(400));
    expect(monitor.burnRates(at(400)).filter((r) => r.slo === 'fillRate').map((r) => r.burnRate)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(monitor.status(at(400)).find((s) => s.slo === 'fillRate')?.budgetRemaining).toBe(1);
  });
});

describe('SloMonitor: time SLOs', () => {
  it('kill switch: halted time burns the budget; alerts fire and resolve on the computed minutes', () => {
    const { changes, monitor } = run(90, (minute) => {
      if (minute === 61) return [{ kind: 'trading-state', time: at(60), state: 'halted' }];
      if (minute === 71) return [{ kind: 'trading-state', time: at(70), state: 'active' }];
      return [];
    }, only('killSwitch'));
    // Critical (6× over 6h and 30m): b bad minutes of 60 + b covered → b / (60 + b) > 6 % at b = 4.
    // Page (14.4× over 1h and 5m): b / 60 > 14.4 % at b = 9; resolves when the 5m window is clean (minute 75).
    // Warning (3× over 2h and 10m): b / (60 + b) > 3 % at b = 2; resolves at 80.
    expect(summary(changes)).toEqual([
      '62 firing killSwitch/steady-burn warning',
      '64 firing killSwitch/slow-burn critical',
      '69 firing killSwitch/fast-burn page',
      '75 resolved killSwitch/fast-burn page',
      '80 resolved killSwitch/steady-burn warning',
    ]);
    expect(monitor.activeAlerts().map((a) => a.key)).toEqual(['killSwitch/slow-burn']);
    // 10 halted minutes against 1 % of a 390-minute session.
    expect(monitor.status(at(90)).find((s) => s.slo === 'killSwitch')?.budgetRemaining).toBeCloseTo(1 - 10 / 3.9, 9);
  });

  it('market data: bad from the newest data time plus maxAgeSeconds until fresh data arrives', () => {
    const monitor = new SloMonitor({ start: at(0) });
    monitor.record({ kind: 'market-data', time: at(0, 5), dataTime: at(0) });
    // Stale from minute 3 (180 s): at minute 10 the 5m window is all bad, the 1h one covers 10 minutes with 7 bad.
    let rates = monitor.burnRates(at(10)).filter((r) => r.slo === 'marketDataStaleness');
    expect(rates.find((r) => r.window === '5m')?.burnRate).toBeCloseTo(1 / 0.01, 9);
    expect(rates.find((r) => r.window === '1h')?.burnRate).toBeCloseTo(0.7 / 0.01, 9);
    // Older data changes nothing; fresh data ends the bad time.
    monitor.record({ kind: 'market-data', time: at(10), dataTime: at(-5) });
    monitor.record({ kind: 'market-data', time: at(11), dataTime: at(11) });
    rates = monitor.burnRates(at(14)).filter((r) => r.slo === 'marketDataStaleness');
    // Window (9, 14]: bad from 9 to 11 = 2 minutes of 5.
    expect(rates.find((r) => r.window === '5m')?.burnRate).toBeCloseTo(0.4 / 0.01, 9);
  });

  it('market data: no data at all since the start is stale after maxAgeSeconds', () => {
    const monitor = new SloMonitor({ start: at(0) });
    expect(monitor.burnRates(at(3)).find((r) => r.slo === 'marketDataStaleness' && r.window === '5m')?.burnRate).toBe(0);
    expect(monitor.burnRates(at(4)).find((r) => r.slo === 'marketDataStaleness' && r.window === '5m')?.burnRate).toBeCloseTo(0.25 / 0.01, 9);
  });

  it('checkpoint age: saved every minute is all good; a gap goes bad after maxAgeSeconds', () => {
    const saving = run(30, (minute) => [{ kind: 'checkpoint-saved', time: at(minute - 1, 50) }], only('checkpointAge'));
    expect(saving.changes).toEqual([]);
    expect(saving.monitor.burnRates(at(30)).filter((r) => r.slo === 'checkpointAge').every((r) => r.burnRate === 0)).toBe(true);
    const gap = run(30, (minute) => (minute <= 20 ? [{ kind: 'checkpoint-saved', time: at(minute - 1, 50) }] : []), only('checkpointAge'));
    // Last save at 19:50; bad from 21:50 → at minute 30, 8 min 10 s bad of the 10m window.
    expect(gap.monitor.burnRates(at(30)).find((r) => r.slo === 'checkpointAge' && r.window === '10m')?.burnRate).toBeCloseTo((490 / 600) / 0.01, 9);
  });

  it('market closed: no data and no checkpoint overnight is no bad time; at the open each gets its allowance again', () => {
    // Data and checkpoints every minute until the close at minute 60; the market reopens at minute 1000.
    const feed = (minute: number): SloObservation[] => {
      if (minute === 61) return [{ kind: 'market-hours', time: at(60, 30), open: false }];
      if (minute === 1000) return [{ kind: 'market-hours', time: at(999, 30), open: true }];
      if (minute > 60 && minute < 1000) return [];
      return [
        { kind: 'market-data', time: at(minute - 1, 50), dataTime: at(minute - 1) },
        { kind: 'checkpoint-saved', time: at(minute - 1, 50) },
      ];
    };
    const closed = run(1030, feed, only('marketDataStaleness', 'checkpointAge'));
    expect(summary(closed.changes)).toEqual([]);
    const rates = closed.monitor.burnRates(at(1030)).filter((r) => r.slo === 'marketDataStaleness' || r.slo === 'checkpointAge');
    expect(rates.every((r) => r.burnRate === 0)).toBe(true);
    // Without the market-hours observations the same night pages: this is what they prevent.
    const unaware = run(1030, (minute) => feed(minute).filter((o) => o.kind !== 'market-hours'), only('marketDataStaleness', 'checkpointAge'));
    expect(summary(unaware.changes).filter((c) => c.endsWith('firing marketDataStaleness/fast-burn page'))).toHaveLength(1);
    // After the open, no data within maxAgeSeconds is bad again.
    const silentOpen = run(1030, (minute) => (minute >= 1001 ? [] : feed(minute)), only('marketDataStaleness'));
    expect(silentOpen.monitor.burnRates(at(1030)).find((r) => r.slo === 'marketDataStaleness' && r.window === '5m')?.burnRate).toBeCloseTo(1 / 0.01, 9);
  });

  it('broker connection: bad while any reported channel is down', () => {
    const monitor = new SloMonitor({ start: at(0) });
    monitor.record({ kind: 'connection', time: at(0), channel: 'trade-stream', connected: true });
    monitor.record({ kind: 'connection', time: at(0), channel: 'bar-stream', connected: true });
    monitor.record({ kind: 'connection', time: at(10), channel: 'bar-stream', connected: false });
    monitor.record({ kind: 'connection', time: at(11), channel: 'trade-stream', connected: false });
    monitor.record({ kind: 'connection', time: at(12), channel: 'bar-stream', connected: true });
    monitor.record({ kind: 'connection', time: at(13), channel: 'trade-stream', connected: true });
    // Down from 10 to 13: 3 minutes of the 5m window (9, 14] against 0.5 %.
    expect(monitor.burnRates(at(14)).find((r) => r.slo === 'brokerConnection' && r.window === '5m')?.burnRate).toBeCloseTo(0.6 / 0.005, 9);
    // A change dated before the latest one counts at the latest one's time.
    monitor.record({ kind: 'connection', time: at(5), channel: 'rest', connected: false });
    expect(monitor.burnRates(at(14)).find((r) => r.slo === 'brokerConnection' && r.window === '5m')?.burnRate).toBeCloseTo(0.8 / 0.005, 9);
  });
});

describe('SloMonitor: configuration and reporting', () => {
  it('reports burn rates for every window of every enabled SLO, and skips disabled ones', () => {
    const config = parseSloConfig(
      JSON.stringify({
        version: 1,
        defaultAlerts: [{ name: 'only', severity: 'page', longWindowMinutes: 90, shortWindowMinutes: 0.5, burnRate: 2 }],
        slos: { killSwitch: { enabled: false } },
      }),
    );
    const monitor = new SloMonitor({ config, start: at(0) });
    monitor.record({ kind: 'trading-state', time: at(0), state: 'halted' });
    const rates = monitor.burnRates(at(1));
    expect(rates.some((r) => r.slo === 'killSwitch')).toBe(false);
    expect(rates.filter((r) => r.slo === 'fillRate').map((r) => r.window)).toEqual(['30s', '90m']);
    expect(monitor.evaluate(at(1))).toEqual([]);
    expect(monitor.status(at(1)).map((s) => s.slo)).not.toContain('killSwitch');
  });

  it('labels windows in hours, minutes or seconds', () => {
    expect([windowLabel(60), windowLabel(360), windowLabel(5), windowLabel(90), windowLabel(0.5)]).toEqual(['1h', '6h', '5m', '90m', '30s']);
  });

  it('describes each objective in words', () => {
    const status = new SloMonitor({ start: at(0) }).status(at(1));
    expect(Object.fromEntries(status.map((s) => [s.slo, s.description]))).toEqual({
      orderAckLatency: '99% of orders acknowledged within 1000 ms',
      marketDataStaleness: 'market data at most 180 s old 99% of the time',
      brokerConnection: 'broker channels connected 99.5% of the time',
      rejectRate: '98% of answered orders not rejected',
      fillRate: '90% of closed orders filled',
      reconciliationDrift: '99.9% of reconciliations without drift',
      checkpointAge: 'a checkpoint at most 120 s old 99% of the time',
      killSwitch: 'trading not halted 99% of the time',
    });
  });
});
