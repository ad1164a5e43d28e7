import { MemoryAuditSink } from '@quantbot/risk-guardrails';
import type { Strategy } from '@quantbot/strategies';
import { flatRows, universeOf } from '../test/universe-builder';
import { runBacktest } from './backtest-runner';

const DAY = 86_400_000;

/** Buys 900 shares on the first bar and tries to buy more on every bar after. */
const alwaysBuying: Strategy = {
  name: 'always-buying',
  onBar(bar, ctx) {
    if (!ctx.hasPendingOrder(0)) ctx.buy(0, bar.visibleSteps === 1 ? 900 : 10);
  },
};

describe('the order gateway in a backtest', () => {
  it('halts on a crash (daily loss limit), refuses every order while halted, and re-arms after the cooldown', () => {
    // Steady, then a crash of 4% a day for 5 days, then steady again.
    const prices = [100, 100, 100, 96, 92.16, 88.47, 84.93, 81.54, 81.54, 81.54, 81.54, 81.54, 81.54, 81.54];
    const audit = new MemoryAuditSink();
    const result = runBacktest({
      universe: universeOf({ AAA: flatRows(prices) }),
      strategy: alwaysBuying,
      startingCash: 100_000,
      sizing: { kind: 'fixed-shares', shares: 1 },
      risk: {
        killSwitch: { dailyLossLimitPct: 3, flattenAtDrawdownPct: 100, cooldownMs: 3 * DAY, rearm: 'auto' },
        audit,
      },
    });
    const g = result.guardrails;
    // The first day down 4% × ~90% exposure breaches the 3% daily loss limit: halted.
    expect(g.transitions[0]).toEqual(expect.objectContaining({ from: 'active', to: 'halted' }));
    expect(g.rejectedByCode['halted']).toBeGreaterThan(0);
    // After the crash stops and the cooldown passes, it re-arms by itself.
    expect(g.transitions.some((t) => t.from === 'halted' && t.to === 'active')).toBe(true);
    expect(g.state).toBe('active');
    expect(audit.ofKind('state-transition').length).toBeGreaterThanOrEqual(1);
    expect(audit.ofKind('order-rejected').length).toBe(g.rejected);
    // Refused orders are reported as rejected with the gateway's reason, never silently dropped.
    expect(result.rejectedOrders.some((r) => r.reason.startsWith('risk halted:'))).toBe(true);
  });

  it('closes every position when the drawdown reaches the flatten level, then stays halted (manual re-arm)', () => {
    const prices = [100, 100, 90, 80, 70, 70, 70, 70];
    const result = runBacktest({
      universe: universeOf({ AAA: flatRows(prices) }),
      strategy: alwaysBuying,
      startingCash: 100_000,
      sizing: { kind: 'fixed-shares', shares: 1 },
      risk: { killSwitch: { flattenAtDrawdownPct: 5 } },
    });
    const g = result.guardrails;
    expect(g.transitions.map((t) => t.to)).toEqual(['flatten', 'halted']);
    expect(result.openPositions).toEqual([]);
    expect(result.trades).toHaveLength(1);
    expect(g.state).toBe('halted');
  });

  it('refuses orders over a pre-trade limit with a machine-readable reason and a message', () => {
    const result = runBacktest({
      universe: universeOf({ AAA: flatRows([100, 100, 100, 100]) }),
      strategy: alwaysBuying,
      startingCash: 1_000_000,
      sizing: { kind: 'fixed-shares', shares: 1 },
      risk: { limits: { maxOrderNotional: 50_000 } },
    });
    expect(result.guardrails.rejectedByCode['order-notional']).toBe(1);
    expect(result.rejectedOrders[0]?.reason).toMatch(/^risk order-notional: .*90000.*50000/);
    expect(result.guardrails.accepted).toBeGreaterThan(0);
  });
});
