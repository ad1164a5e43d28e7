import { ConfigError, SeededRng } from '@quantbot/core';
import { FACTOR_LONG_SHORT_PARAMS, FactorLongShort } from './factor-long-short';
import type { FactorLongShortParams } from './factor-long-short';
import { ImmediateFillContext, runSteps, universeOfCloses } from './step-runner.spec-helper';
import { createStrategy } from './strategy-registry';

const BASE: FactorLongShortParams = {
  factor: 1,
  lookback: 3,
  skip: 0,
  rebalance: 2,
  quantiles: 5,
  topQuantiles: 1,
  allowShort: true,
  factorWeighted: false,
  grossExposure: 1,
};

// Rebalances at steps 0, 2, 4, 6; the 3-bar factor exists from step 3, so step 4 is the first that ranks.
//   step 4 momentum close(4)/close(1) − 1: A +10 %, B −5 %, C +20 %, D 0, E −20 %
//   step 6 momentum close(6)/close(3) − 1: A +20 %, B −5 %, C +9.09 %, D +20 % (tie with A), E −9.09 %
const CLOSES = {
  A: [10, 10, 10, 10, 11, 11, 12, 12],
  B: [20, 20, 20, 20, 19, 19, 19, 18],
  C: [50, 50, 50, 55, 60, 60, 60, 60],
  D: [40, 40, 40, 40, 40, 44, 48, 48],
  E: [25, 25, 25, 22, 20, 20, 20, 20],
};

function run(params: Partial<FactorLongShortParams>, closes: Readonly<Record<string, readonly (number | null)[]>> = CLOSES, positions: Readonly<Record<string, number>> = {}) {
  const universe = universeOfCloses(closes);
  const strategy = new FactorLongShort({ ...BASE, ...params }, universe.symbols.length);
  const ctx = new ImmediateFillContext(universe, 100_000, 10, positions);
  const held: Record<string, number>[] = [];
  const inputs: Readonly<Record<string, number>>[][] = [];
  runSteps(strategy, universe, ctx, () => {
    held.push(Object.fromEntries(universe.symbols.map((s, i) => [s, ctx.position(i)])));
    inputs.push(universe.symbols.map((_, i) => strategy.describeInputs(i)));
  });
  return { strategy, ctx, held, inputs };
}

describe('FactorLongShort', () => {
  it('after a rebalance holds the hand-computed targets: half the equity long the top quintile, half short the bottom', () => {
    const { ctx, held } = run({});
    // Step 4, equity 100 000: long C trunc(50 000 / 60) = 833, short E trunc(−50 000 / 20) = −2500; sells first.
    expect(ctx.orders.filter((o) => o.step === 4)).toEqual([
      { step: 4, symbol: 'E', qty: -2500 },
      { step: 4, symbol: 'C', qty: 833 },
    ]);
    expect(held[4]).toEqual({ A: 0, B: 0, C: 833, D: 0, E: -2500 });
    // Step 6: C and E did not move, so equity is 100 000 + 833 × 0 − 2500 × 0. A and D tie at +20 %;
    // the tie goes by universe order, so D ranks highest: long D trunc(50 000 / 48) = 1041, C closed, E kept.
    expect(ctx.orders.filter((o) => o.step === 6)).toEqual([
      { step: 6, symbol: 'C', qty: -833 },
      { step: 6, symbol: 'D', qty: 1041 },
    ]);
    expect(held[6]).toEqual({ A: 0, B: 0, C: 0, D: 1041, E: -2500 });
  });

  it('trades only on every rebalance-th step, counted from the first step', () => {
    expect(run({}).ctx.orders.map((o) => o.step)).toEqual([4, 4, 6, 6]);
    const rng = new SeededRng(7);
    const walk = (start: number): number[] => {
      const out = [start];
      for (let k = 1; k < 200; k++) out.push(Math.max(1, (out[k - 1] as number) * (1 + 0.03 * (rng.nextFloat() - 0.5))));
      return out;
    };
    const closes = { A: walk(10), B: walk(20), C: walk(30), D: walk(40), E: walk(50), F: walk(60) };
    const { ctx } = run({ lookback: 10, rebalance: 7, quantiles: 3 }, closes);
    const steps = [...new Set(ctx.orders.map((o) => o.step))];
    expect(steps.length).toBeGreaterThan(10);
    expect(steps.every((k) => k % 7 === 0 && k >= 10)).toBe(true);
  });

  it('long only: the top quintile gets the whole gross exposure and nothing is ever short', () => {
    const { ctx, held } = run({ allowShort: false });
    // Step 4: C trunc(100 000 / 60) = 1666, cash left 40. Step 6: equity 40 + 1666 × 60 = 100 000, D trunc(100 000 / 48) = 2083.
    expect(held[4]).toEqual({ A: 0, B: 0, C: 1666, D: 0, E: 0 });
    expect(held[6]).toEqual({ A: 0, B: 0, C: 0, D: 2083, E: 0 });
    expect(ctx.orders.every((o) => o.qty > 0 || o.symbol === 'C')).toBe(true);
    expect(held.every((h) => Object.values(h).every((q) => q >= 0))).toBe(true);
  });

  it('reports the factor and quantile of each symbol at the rebalance', () => {
    const { inputs } = run({});
    const step4 = inputs[4] ?? [];
    expect(step4.map((i) => i['quantile'])).toEqual([4, 2, 5, 3, 1]);
    [0.1, -0.05, 0.2, 0, -0.2].forEach((f, s) => expect(step4[s]?.['factor']).toBeCloseTo(f, 12));
    expect(step4.map((i) => i['targetQty'])).toEqual([0, 0, 833, 0, -2500]);
    expect((inputs[2] ?? []).every((i) => Number.isNaN(i['factor']) && Number.isNaN(i['quantile']))).toBe(true);
  });

  it('factor weighting splits each leg by distance from the mean factor', () => {
    // Two quantiles: long A and C, short E, B and D. Mean factor (0.1 − 0.05 + 0.2 + 0 − 0.2) / 5 = 0.01.
    const { inputs } = run({ quantiles: 2, factorWeighted: true });
    const w = (inputs[4] ?? []).map((i) => i['targetWeight'] as number);
    const expected = [0.5 * (0.09 / 0.28), -0.5 * (0.06 / 0.28), 0.5 * (0.19 / 0.28), -0.5 * (0.01 / 0.28), -0.5 * (0.21 / 0.28)];
    expected.forEach((e, s) => expect(w[s]).toBeCloseTo(e, 12));
    const equal = (run({ quantiles: 2 }).inputs[4] ?? []).map((i) => i['targetWeight']);
    expect(equal).toEqual([0.25, -0.5 / 3, 0.25, -0.5 / 3, -0.5 / 3]);
  });

  it('computes short-term reversal and low volatility as documented', () => {
    const reversal = run({ factor: 2 }).inputs[4] ?? [];
    [-0.1, 0.05, -0.2, -0, 0.2].forEach((f, s) => expect(reversal[s]?.['factor']).toBeCloseTo(f, 12));
    // Low volatility of D at step 6: closes 40, 40, 44, 48; returns ln(48/44), ln(44/40), 0.
    const sd = (returns: readonly number[]): number => {
      const mean = returns.reduce((a, b) => a + b) / returns.length;
      return Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / returns.length);
    };
    const low = run({ factor: 3 }).inputs[6] ?? [];
    expect(low[3]?.['factor']).toBeCloseTo(-sd([Math.log(48 / 44), Math.log(44 / 40), 0]), 12);
    // A at step 6: closes 10, 11, 11, 12.
    expect(low[0]?.['factor']).toBeCloseTo(-sd([Math.log(12 / 11), 0, Math.log(11 / 10)]), 12);
  });

  it('closes a symbol with a bar but too little history, and leaves one without a bar at the rebalance alone', () => {
    // A has no bar at the rebalances of steps 0, 2 and 4, so its position is kept and it is not
    // ranked; F has none at steps 0 and 2, and at step 4 a bar but no close 3 steps back: closed.
    const closes = { ...CLOSES, A: [null, 10, null, 10, null, 11, 12, 12], F: [null, null, null, null, 30, 30, 30, 30] };
    const { ctx, held, inputs } = run({}, closes, { A: 50, F: 100 });
    expect(ctx.orders.filter((o) => o.step < 4)).toEqual([]);
    // Ranked E, B, D, C → quantiles 1, 2, 4, 5. Equity 100 000 + 50 × 10 + 100 × 30 = 103 500:
    // long C trunc(51 750 / 60) = 862, short E trunc(−51 750 / 20) = −2587.
    expect(ctx.orders.filter((o) => o.step === 4)).toEqual([
      { step: 4, symbol: 'E', qty: -2587 },
      { step: 4, symbol: 'F', qty: -100 },
      { step: 4, symbol: 'C', qty: 862 },
    ]);
    expect(held[4]).toEqual({ A: 50, B: 0, C: 862, D: 0, E: -2587, F: 0 });
    expect((inputs[4] ?? []).map((i) => i['quantile'])).toEqual([NaN, 2, 5, 4, 1, NaN]);
  });

  it('leaves a symbol with an order still working alone', () => {
    const universe = universeOfCloses(CLOSES);
    const strategy = new FactorLongShort(BASE, universe.symbols.length);
    // E (symbol 4) has an order working throughout.
    const ctx = new ImmediateFillContext(universe, 100_000);
    ctx.pending.add(4);
    runSteps(strategy, universe, ctx);
    expect(ctx.orders.filter((o) => o.step === 4)).toEqual([{ step: 4, symbol: 'C', qty: 833 }]);
  });

  it('splits quantiles in equal counts from each end, the lowest in 1 and the highest in Q', () => {
    const cases: readonly [number, number, readonly number[]][] = [
      [5, 5, [1, 2, 3, 4, 5]],
      [3, 5, [1, 2, 5]],
      [2, 5, [1, 5]],
      [4, 5, [1, 2, 4, 5]],
      [5, 3, [1, 1, 2, 3, 3]],
      [6, 3, [1, 1, 2, 2, 3, 3]],
      [10, 5, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]],
    ];
    for (const [n, q, expected] of cases) {
      // Symbol i rises by (i + 1) %: the factor grows with i.
      const closes = Object.fromEntries(Array.from({ length: n }, (_, i) => [`S${i}`, [100, 100 * (1 + (i + 1) / 100)]]));
      const { inputs } = run({ lookback: 1, rebalance: 1, quantiles: q, topQuantiles: 1 }, closes);
      expect({ n, q, quantiles: (inputs[1] ?? []).map((i) => i['quantile']) }).toEqual({ n, q, quantiles: expected });
    }
  });

  it('exports and imports its rebalance calendar', () => {
    const universe = universeOfCloses(CLOSES);
    const a = new FactorLongShort({ ...BASE, rebalance: 3 }, universe.symbols.length);
    runSteps(a, universe, new ImmediateFillContext(universe, 100_000));
    // 8 steps, rebalances at 0, 3, 6: step 8 passes (countdown 1 → 0), step 9 rebalances.
    expect(a.exportState()).toEqual({ countdown: 1 });
    const b = new FactorLongShort({ ...BASE, rebalance: 3 }, universe.symbols.length);
    b.importState({ countdown: 2 });
    expect(b.exportState()).toEqual({ countdown: 2 });
    expect(() => b.importState({ countdown: 3 })).toThrow(ConfigError);
    expect(() => b.importState(null)).toThrow(/countdown/);
  });

  it('is registered with its parameters, and refuses inconsistent ones naming the field', () => {
    const { strategy, params } = createStrategy('factor-long-short', { factor: '3', allowShort: 'false' }, 5);
    expect(strategy).toBeInstanceOf(FactorLongShort);
    expect(params).toEqual(expect.objectContaining({ factor: 3, lookback: 60, skip: 5, rebalance: 20, quantiles: 5, topQuantiles: 1, allowShort: false, grossExposure: 1 }));
    expect(FACTOR_LONG_SHORT_PARAMS.map((p) => p.name)).toEqual(['factor', 'lookback', 'skip', 'rebalance', 'quantiles', 'topQuantiles', 'allowShort', 'factorWeighted', 'grossExposure']);
    expect(() => createStrategy('factor-long-short', { skip: '60' }, 5)).toThrow(/factor-long-short\.skip/);
    expect(() => createStrategy('factor-long-short', { quantiles: '3', topQuantiles: '2' }, 5)).toThrow(/topQuantiles/);
    expect(() => createStrategy('factor-long-short', { factor: '4' }, 5)).toThrow(/factor-long-short\.factor/);
    // 60 + 1 bars read, rounded up to the 20-step calendar.
    expect(strategy.warmupBars).toBe(80);
  });
});
