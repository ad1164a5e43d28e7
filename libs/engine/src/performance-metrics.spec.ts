import { computeMetrics } from './performance-metrics';

const DAY = 86_400_000;
const times = (n: number) => new Float64Array(n).map((_, k) => k * DAY);

describe('computeMetrics', () => {
  it('measures the largest peak-to-trough drawdown and how long equity stayed under the peak', () => {
    const equity = new Float64Array([100, 110, 99, 88, 95, 111, 105]);
    const m = computeMetrics({ startingEquity: 100, time: times(7), equity, barsInMarket: 7, tradedNotional: 0, totalCommission: 0, trades: [] });
    expect(m.maxDrawdownPct).toBeCloseTo(20, 10);
    expect(m.maxDrawdownDurationBars).toBe(3);
    expect(m.totalReturn).toBeCloseTo(0.05, 12);
    expect(m.finalEquity).toBe(105);
  });

  it('annualizes Sharpe from daily returns with a sample standard deviation', () => {
    const equity = new Float64Array([100, 101, 100, 102, 101]);
    const r = [0, 0.01, 100 / 101 - 1, 0.02, 101 / 102 - 1];
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
    const m = computeMetrics({ startingEquity: 100, time: times(5), equity, barsInMarket: 0, tradedNotional: 0, totalCommission: 0, trades: [] });
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(252), 10);
    const downside = Math.sqrt(r.filter((x) => x < 0).reduce((a, b) => a + b * b, 0) / r.length);
    expect(m.sortino).toBeCloseTo((mean / downside) * Math.sqrt(252), 10);
  });

  it('reports undefined statistics as null instead of inventing them', () => {
    const equity = new Float64Array([100, 100, 100]);
    const m = computeMetrics({ startingEquity: 100, time: times(3), equity, barsInMarket: 0, tradedNotional: 0, totalCommission: 0, trades: [] });
    expect(m.sharpe).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.winRate).toBeNull();
    expect(m.profitFactor).toBeNull();
    expect(m.calmar).toBeNull();
    expect(m.maxDrawdownPct).toBe(0);
  });

  it('computes win rate and profit factor from net trade P&L', () => {
    const trade = (netPnl: number) => ({ netPnl }) as never;
    const m = computeMetrics({
      startingEquity: 100,
      time: times(2),
      equity: new Float64Array([100, 100]),
      barsInMarket: 1,
      tradedNotional: 200,
      totalCommission: 0,
      trades: [trade(30), trade(-10), trade(10), trade(-5)],
    });
    expect(m.winRate).toBe(0.5);
    expect(m.profitFactor).toBeCloseTo(40 / 15, 12);
    expect(m.exposure).toBe(0.5);
    expect(m.turnover).toBe(2);
  });
});
