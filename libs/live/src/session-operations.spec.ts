import { epochMs } from '@quantbot/core';
import { DEFAULT_SLO_CONFIG, SloMonitor, parseSloConfig } from '@quantbot/observability';
import type { SloConfig, SloName } from '@quantbot/observability';
import type { LiveStepReport } from './live-session';
import type { OperationsEvent } from './session-operations';
import { SessionOperations } from './session-operations';

const START = Date.UTC(2024, 2, 5, 14, 30);
const MINUTE = 60_000;

/** The default SLO file with only `only` enabled. */
function configWith(only: SloName, overrides: Record<string, unknown> = {}): SloConfig {
  const slos = Object.fromEntries(Object.entries(DEFAULT_SLO_CONFIG.slos).map(([name, settings]) => [name, { ...settings, enabled: name === only, ...(name === only ? overrides : {}) }]));
  return parseSloConfig(JSON.stringify({ ...DEFAULT_SLO_CONFIG, slos }), 'the spec');
}

function step(minute: number, report: Partial<LiveStepReport> = {}): { kind: 'step'; report: LiveStepReport } {
  return {
    kind: 'step',
    report: { step: minute, time: START + (minute - 1) * MINUTE, ordersSubmitted: 0, tradingState: 'active', latencyMs: 20, equity: 100_000, cash: 100_000, openPositions: 0, workingOrders: 0, fills: 0, rejects: {}, ordersEnded: { filled: 0, unfilled: 0 }, ...report },
  };
}

function harness(config: SloConfig) {
  let now = START;
  const events: OperationsEvent[] = [];
  const burnRates: string[] = [];
  const ops = new SessionOperations({
    sessionId: 's',
    monitor: new SloMonitor({ config, start: epochMs(START) }),
    clock: () => now,
    metrics: { setSloBurnRate: (slo, window, rate) => burnRates.push(`${slo}/${window}=${rate}`), setSloBudgetRemaining: () => undefined },
    onEvent: (event) => events.push(event),
  });
  const alerts = (): string[] => events.flatMap((e) => (e.kind === 'alert' ? [`${e.change.key} ${e.change.status}`] : []));
  return { ops, events, burnRates, alerts, at: (minute: number) => (now = START + minute * MINUTE) };
}

describe('SessionOperations: the session notices as SLO observations', () => {
  it('a halted kill switch burns the kill-switch SLO: the fast burn fires while halted and resolves after the re-arm', () => {
    const h = harness(configWith('killSwitch'));
    for (let minute = 1; minute <= 40; minute++) {
      h.at(minute);
      h.ops.observe(step(minute, { tradingState: minute >= 5 && minute < 20 ? 'halted' : 'active' }));
    }
    expect(h.alerts().filter((a) => a.startsWith('killSwitch/fast-burn'))).toEqual(['killSwitch/fast-burn firing', 'killSwitch/fast-burn resolved']);
    // The burn rates reach the metrics at every evaluation.
    expect(h.burnRates.some((r) => r.startsWith('killSwitch/5m='))).toBe(true);
  });

  it("counts the broker's rejections against the reject rate, not the session's own gateway refusals", () => {
    const gateway = harness(configWith('rejectRate', { minEvents: 1 }));
    for (let minute = 1; minute <= 10; minute++) {
      gateway.at(minute);
      gateway.ops.observe(step(minute, { ordersSubmitted: 1, rejects: { 'max-position': 3 } }));
    }
    expect(gateway.alerts()).toEqual([]);

    const broker = harness(configWith('rejectRate', { minEvents: 1 }));
    for (let minute = 1; minute <= 10; minute++) {
      broker.at(minute);
      broker.ops.observe(step(minute, { ordersSubmitted: 1, rejects: { broker: 3 } }));
    }
    expect(broker.alerts()).toContain('rejectRate/fast-burn firing');
  });

  it('a broker channel that stays down burns the connection SLO; an unrelated notice changes nothing', () => {
    const h = harness(configWith('brokerConnection'));
    h.at(1);
    h.ops.observe({ kind: 'broker-unhealthy', channel: 'trade-stream', detail: 'reconnecting', since: START, maxOutageMs: 60_000 });
    h.ops.observe({ kind: 'stop-requested' });
    for (let minute = 2; minute <= 15; minute++) {
      h.at(minute);
      h.ops.observe(step(minute));
    }
    expect(h.alerts()).toContain('brokerConnection/fast-burn firing');
  });

  it('orders that end unfilled (canceled, expired) burn the fill-rate SLO; filled ones do not', () => {
    const filled = harness(configWith('fillRate'));
    const unfilled = harness(configWith('fillRate'));
    for (let minute = 1; minute <= 10; minute++) {
      filled.at(minute);
      unfilled.at(minute);
      filled.ops.observe(step(minute, { ordersEnded: { filled: 1, unfilled: 0 } }));
      unfilled.ops.observe(step(minute, { ordersEnded: { filled: 0, unfilled: 1 } }));
    }
    expect(filled.alerts()).toEqual([]);
    // The default fill-rate objective (90%) leaves a 10% budget: 14.4x is out of reach, 6x is not.
    expect(unfilled.alerts()).toContain('fillRate/slow-burn firing');
  });

  it('the broker clock rests the data and checkpoint SLOs overnight: a night without bars pages nothing, a silent open does', () => {
    const config = parseSloConfig(
      JSON.stringify({ ...DEFAULT_SLO_CONFIG, slos: Object.fromEntries(Object.entries(DEFAULT_SLO_CONFIG.slos).map(([name, settings]) => [name, { ...settings, enabled: name === 'marketDataStaleness' || name === 'checkpointAge' }])) }),
      'the spec',
    );
    const night = (clockNotices: boolean, barsAfterOpen: boolean): string[] => {
      const h = harness(config);
      // The session closes after minute 390 and reopens at minute 1440 (the next morning).
      const clock = { readAt: START, timestamp: START, isOpen: true, nextOpen: START + 1440 * MINUTE, nextClose: START + 390 * MINUTE };
      if (clockNotices) h.ops.observe({ kind: 'market-clock', clock });
      for (let minute = 1; minute <= 1500; minute++) {
        h.at(minute);
        const open = minute <= 390 || minute > 1440;
        if (open && (minute <= 390 || barsAfterOpen)) h.ops.observe(step(minute));
        else h.ops.tick();
      }
      return h.alerts();
    };
    expect(night(true, true)).toEqual([]);
    // Without the broker's clock, the night is stale data: the pages this prevents.
    expect(night(false, true)).toContain('marketDataStaleness/fast-burn firing');
    // With it, an open without bars is still caught.
    expect(night(true, false)).toContain('marketDataStaleness/fast-burn firing');
  });
});
