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

  it('gives the drawdown, returns and downside of the plain formulas bit for bit, on curves with flat runs, new highs, zeros, NaN and infinities', () => {
    // The plain formulas, one bar at a time: the drawdown of every bar under its peak, the downside of every negative return.
    const plain = (equity: Float64Array, start: number) => {
      let peak = start;
      let peakStep = -1;
      let maxDd = 0;
      let maxDdBars = 0;
      let downside = 0;
      let shift = 0;
      let sum = 0;
      let previous = start;
      for (let k = 0; k < equity.length; k++) {
        const e = equity[k] as number;
        const r = previous !== 0 ? e / previous - 1 : 0;
        previous = e;
        if (k === 0) shift = r;
        sum += r - shift;
        if (r < 0) downside += r * r;
        if (e >= peak) {
          peak = e;
          peakStep = k;
        } else {
          const dd = peak > 0 ? (peak - e) / peak : 0;
          if (dd > maxDd) maxDd = dd;
          if (k - peakStep > maxDdBars) maxDdBars = k - peakStep;
        }
      }
      const mean = shift + sum / equity.length;
      const downsideDev = Math.sqrt(downside / equity.length);
      return { maxDrawdownPct: maxDd * 100, maxDrawdownDurationBars: maxDdBars, sortino: downsideDev > 0 ? (mean / downsideDev) * Math.sqrt(252) : null };
    };
    let state = 987_654_321;
    const next = (): number => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const specials = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-310];
    for (let curve = 0; curve < 200; curve++) {
      const n = 1 + Math.floor(next() * 300);
      const equity = new Float64Array(n);
      let level = 100;
      for (let k = 0; k < n; k++) {
        const u = next();
        // Flat runs, small and large moves, and now and then a special value.
        level = u < 0.3 ? level : u < 0.95 ? level * (1 + (next() - 0.5) * 0.2) : (specials[Math.floor(next() * specials.length)] as number);
        equity[k] = curve % 5 === 0 && u > 0.98 ? (specials[Math.floor(next() * specials.length)] as number) : level;
      }
      const start = curve % 7 === 0 ? 0 : 100;
      const m = computeMetrics({ startingEquity: start, time: times(n), equity, barsInMarket: 0, tradedNotional: 0, totalCommission: 0, trades: [] });
      const expected = plain(equity, start);
      expect([Object.is(m.maxDrawdownPct, expected.maxDrawdownPct), m.maxDrawdownDurationBars, Object.is(m.sortino, expected.sortino)]).toEqual([
        true,
        expected.maxDrawdownDurationBars,
        true,
      ]);
    }
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

describe('computeMetrics on minute bars', () => {
  const MINUTE = 60_000;
  // Two regular sessions of one-minute bars (14:30Z–21:00Z), a night in between.
  const sessionStart = [Date.UTC(2024, 0, 2, 14, 30), Date.UTC(2024, 0, 3, 14, 30)];
  const minuteTimes = Float64Array.from(sessionStart.flatMap((t0) => Array.from({ length: 390 }, (_, m) => t0 + m * MINUTE)));
  const minuteEquity = minuteTimes.map((_, k) => 100_000 * (1 + 0.002 * Math.sin(k / 9) + 0.00001 * k));

  it('detects the interval and annualises with 252 × 390 one-minute bars a year', () => {
    const m = computeMetrics({ startingEquity: 100_000, time: minuteTimes, equity: minuteEquity, barsInMarket: 0, tradedNotional: 0, totalCommission: 0, trades: [] });
    const returns = Array.from(minuteEquity, (e, k) => e / (k === 0 ? 100_000 : (minuteEquity[k - 1] as number)) - 1);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const sd = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (returns.length - 1));
    const downside = Math.sqrt(returns.filter((x) => x < 0).reduce((a, b) => a + b * b, 0) / returns.length);
    const perYear = 252 * 390;
    expect(m.barInterval).toBe('1m');
    expect(m.periodsPerYear).toBe(perYear);
    expect(m.annualVolatility).toBeCloseTo(sd * Math.sqrt(perYear), 10);
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(perYear), 8);
    expect(m.sortino).toBeCloseTo((mean / downside) * Math.sqrt(perYear), 8);
    // Two sessions are 2/252 of a trading year, however many calendar hours they span.
    const final = minuteEquity[minuteEquity.length - 1] as number;
    expect(m.cagr).toBeCloseTo((final / 100_000) ** (perYear / returns.length) - 1, 10);
  });

  it('annualises with a stated interval', () => {
    const m = computeMetrics({ startingEquity: 100_000, time: minuteTimes, equity: minuteEquity, barsInMarket: 0, tradedNotional: 0, totalCommission: 0, trades: [], barInterval: '5m' });
    const minute = computeMetrics({ startingEquity: 100_000, time: minuteTimes, equity: minuteEquity, barsInMarket: 0, tradedNotional: 0, totalCommission: 0, trades: [] });
    expect(m.periodsPerYear).toBe(252 * 78);
    expect(m.sharpe).toBeCloseTo((minute.sharpe as number) / Math.sqrt(5), 10);
  });

  it('keeps daily figures on calendar time, annualised by √252', () => {
    const m = computeMetrics({ startingEquity: 100, time: times(3), equity: new Float64Array([101, 100, 102]), barsInMarket: 0, tradedNotional: 0, totalCommission: 0, trades: [] });
    expect(m.barInterval).toBe('1d');
    expect(m.periodsPerYear).toBe(252);
    expect(m.cagr).toBeCloseTo(Math.pow(1.02, (365.25 * DAY) / (2 * DAY)) - 1, 10);
  });
});
