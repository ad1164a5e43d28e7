import { ConfigError, SeededRng } from '@quantbot/core';
import { ENSEMBLE_PARAMS, Ensemble } from './ensemble';
import type { EnsembleParams } from './ensemble';
import { Rsi } from './indicators/rsi';
import type { SentOrder } from './step-runner.spec-helper';
import { ImmediateFillContext, runSteps, universeOfCloses } from './step-runner.spec-helper';
import type { StrategyNotice } from './strategy';
import { createStrategy, findStrategy } from './strategy-registry';
import { WarmupGate } from './warmup-gate';

const SMALL: EnsembleParams = {
  trendPeriod: 5,
  momentumLookback: 4,
  rsiPeriod: 3,
  weightTrend: 2,
  weightMomentum: -1,
  weightRsi: 0.5,
  threshold: 0.1,
  allowShort: true,
  metaLearner: false,
  trainBars: 60,
  refitEvery: 10,
  horizon: 3,
  ridgeLambda: 0.01,
  minSamples: 30,
};

function randomWalk(rng: SeededRng, length: number, start: number, volatility = 0.02): number[] {
  const out = [start];
  for (let k = 1; k < length; k++) out.push((out[k - 1] as number) * Math.exp(volatility * rng.nextNormal()));
  return out;
}

function walks(seed: number, names: readonly string[], length: number): Record<string, number[]> {
  const rng = new SeededRng(seed);
  return Object.fromEntries(names.map((name, i) => [name, randomWalk(rng, length, 20 + 10 * i)]));
}

interface Run {
  readonly strategy: Ensemble;
  readonly ctx: ImmediateFillContext;
  readonly notices: StrategyNotice[];
  /** Per step: the weights in effect and each symbol's inputs after the step's decisions. */
  readonly weights: (readonly number[])[];
  readonly inputs: Readonly<Record<string, number>>[][];
}

function run(params: Partial<EnsembleParams>, closes: Readonly<Record<string, readonly (number | null)[]>>): Run {
  const universe = universeOfCloses(closes);
  const notices: StrategyNotice[] = [];
  const strategy = new Ensemble({ ...SMALL, ...params }, universe.symbols.length, (n) => notices.push(n));
  const ctx = new ImmediateFillContext(universe, 1_000_000, 10);
  const weights: (readonly number[])[] = [];
  const inputs: Readonly<Record<string, number>>[][] = [];
  runSteps(strategy, universe, ctx, () => {
    weights.push(strategy.weights);
    inputs.push(universe.symbols.map((_, s) => strategy.describeInputs(s)));
  });
  return { strategy, ctx, notices, weights, inputs };
}

/** The members' signals of one symbol, per step, computed from its own bars in the plainest way. */
function referenceSignals(closes: readonly (number | null)[], p: EnsembleParams): ([number, number, number] | null)[] {
  const bars: number[] = [];
  let avgGain = NaN;
  let avgLoss = NaN;
  let gainSum = 0;
  let lossSum = 0;
  return closes.map((close) => {
    if (close === null) return null;
    bars.push(close);
    const i = bars.length - 1;
    if (i >= 1) {
      const change = close - (bars[i - 1] as number);
      const gain = Math.max(change, 0);
      const loss = Math.max(-change, 0);
      if (i <= p.rsiPeriod) {
        gainSum += gain;
        lossSum += loss;
        if (i === p.rsiPeriod) {
          avgGain = gainSum / p.rsiPeriod;
          avgLoss = lossSum / p.rsiPeriod;
        }
      } else {
        avgGain = (avgGain * (p.rsiPeriod - 1) + gain) / p.rsiPeriod;
        avgLoss = (avgLoss * (p.rsiPeriod - 1) + loss) / p.rsiPeriod;
      }
    }
    if (i < Math.max(p.trendPeriod - 1, p.momentumLookback, p.rsiPeriod)) return null;
    const sma = bars.slice(i - p.trendPeriod + 1).reduce((a, b) => a + b) / p.trendPeriod;
    const rsi = avgLoss === 0 ? (avgGain === 0 ? 50 : 100) : 100 - 100 / (1 + avgGain / avgLoss);
    return [Math.tanh((close / sma - 1) / 0.05), Math.tanh((close / (bars[i - p.momentumLookback] as number) - 1) / 0.2), (50 - rsi) / 50];
  });
}

describe('Ensemble', () => {
  it('without the meta-learner trades the default-weight combination, computed by hand', () => {
    const closes: Record<string, (number | null)[]> = walks(3, ['AAA', 'BBB'], 150);
    (closes['BBB'] as (number | null)[])[40] = null; // a step without a bar: no signal, no decision
    const { ctx, inputs } = run({}, closes);
    const total = Math.abs(SMALL.weightTrend) + Math.abs(SMALL.weightMomentum) + Math.abs(SMALL.weightRsi);
    const w = [SMALL.weightTrend / total, SMALL.weightMomentum / total, SMALL.weightRsi / total];
    const expected: SentOrder[] = [];
    const names = ['AAA', 'BBB'];
    const signals = names.map((name) => referenceSignals(closes[name] ?? [], SMALL));
    const held = [0, 0];
    let compared = 0;
    for (let k = 0; k < 150; k++) {
      names.forEach((symbol, s) => {
        const signal = signals[s]?.[k] ?? null;
        const got = inputs[k]?.[s] ?? {};
        if (signal === null) {
          expect(got['score']).toBeNaN();
          return;
        }
        const score = signal.reduce((sum, x, j) => sum + x * (w[j] as number), 0);
        expect([got['trend'], got['momentum'], got['rsi']].map((v) => Number((v as number).toFixed(10)))).toEqual(signal.map((v) => Number(v.toFixed(10))));
        expect(got['score']).toBeCloseTo(score, 10);
        compared++;
        const target = score > SMALL.threshold ? 1 : score < -SMALL.threshold ? -1 : 0;
        const position = held[s] as number;
        if (Math.sign(position) === target) return;
        if (position !== 0) expected.push({ step: k, symbol, qty: -position });
        if (target !== 0) expected.push({ step: k, symbol, qty: 10 * target });
        held[s] = 10 * target;
      });
    }
    expect(compared).toBeGreaterThan(250);
    expect(expected.length).toBeGreaterThan(10);
    expect(ctx.orders).toEqual(expected);
  });

  it('long only: a score below -threshold is flat, never short', () => {
    const { ctx } = run({ allowShort: false }, walks(3, ['AAA', 'BBB'], 150));
    const held: Record<string, number> = {};
    for (const o of ctx.orders) {
      held[o.symbol] = (held[o.symbol] ?? 0) + o.qty;
      expect(held[o.symbol]).toBeGreaterThanOrEqual(0);
    }
    expect(ctx.orders.length).toBeGreaterThan(4);
  });

  it('the meta-learner learns only from the past: changing later bars changes nothing before them', () => {
    const names = ['AAA', 'BBB', 'CCC'];
    const a = walks(21, names, 400);
    const rng = new SeededRng(99);
    const cut = 250;
    const b = Object.fromEntries(names.map((name) => [name, (a[name] ?? []).map((c, k) => (k <= cut ? c : c * Math.exp(0.05 * rng.nextNormal())))]));
    const params = { metaLearner: true };
    const ra = run(params, a);
    const rb = run(params, b);
    expect(rb.weights.slice(0, cut + 1)).toEqual(ra.weights.slice(0, cut + 1));
    expect(rb.ctx.orders.filter((o) => o.step <= cut)).toEqual(ra.ctx.orders.filter((o) => o.step <= cut));
    const cutTime = Date.UTC(2020, 0, 1) + cut * 86_400_000;
    expect(ra.notices.length).toBeGreaterThan(1);
    expect(rb.notices.filter((n) => n.time <= cutTime)).toEqual(ra.notices.filter((n) => n.time <= cutTime));
    // The learner did fit before the cut, and the changed bars do move its later weights.
    expect(ra.weights.slice(0, cut + 1).some((w, k) => k > 0 && w.join() !== ra.weights[k - 1]?.join())).toBe(true);
    expect(rb.weights.slice(cut + 1).some((w, k) => w.join() !== ra.weights[cut + 1 + k]?.join())).toBe(true);
    // Refits every 10 steps: weights change only on those steps.
    ra.weights.forEach((w, k) => {
      if (k > 0 && w.join() !== ra.weights[k - 1]?.join()) expect(k % 10).toBe(0);
    });
  });

  it('a refit uses only samples whose forward return is realised: a future close moved by a huge amount changes no weight before it is realised', () => {
    const names = ['AAA', 'BBB', 'CCC'];
    const a = walks(8, names, 200);
    // Moving the close of step 151 changes the realised return of samples from steps 148..150
    // (horizon 3), realised at step 151 at the earliest; the refit at 150 must not see it.
    const b = Object.fromEntries(names.map((name) => [name, (a[name] ?? []).map((c, k) => (k === 151 ? c * 3 : c))]));
    const ra = run({ metaLearner: true, minSamples: 20 }, a);
    const rb = run({ metaLearner: true, minSamples: 20 }, b);
    expect(rb.weights.slice(0, 151)).toEqual(ra.weights.slice(0, 151));
    expect(rb.weights[160]).not.toEqual(ra.weights[160]);
  });

  it('falls back to the default weights with one notice while there are too few samples', () => {
    const { notices, weights, strategy } = run({ metaLearner: true, minSamples: 100_000 }, walks(4, ['AAA', 'BBB'], 200));
    expect(notices).toEqual([
      {
        time: Date.UTC(2020, 0, 1),
        strategy: 'ensemble',
        code: 'meta-learner-fallback',
        message: 'cannot fit (too-few-samples): 0 sample(s), fewer than minSamples 100000; using the default weights trend 0.571, momentum -0.286, rsi 0.143',
      },
    ]);
    expect(weights.every((w) => w.join() === [2 / 3.5, -1 / 3.5, 0.5 / 3.5].join())).toBe(true);
    expect(strategy.isFitted).toBe(false);
  });

  it('falls back with a notice naming the member when a member signal is constant (a singular matrix)', () => {
    // Closes that only rise: the RSI is 100 at every bar, so the rsi signal is -1 throughout.
    const closes = { AAA: Array.from({ length: 200 }, (_, k) => 100 + k), BBB: Array.from({ length: 200 }, (_, k) => 50 + 0.3 * k) };
    const { notices, weights } = run({ metaLearner: true, minSamples: 20 }, closes);
    expect(notices.map((n) => n.code)).toEqual(['meta-learner-fallback', 'meta-learner-fallback']);
    expect(notices[0]?.message).toMatch(/^cannot fit \(too-few-samples\)/);
    expect(notices[1]?.message).toMatch(/^cannot fit \(singular\): the rsi signal is constant over the window, so the signal matrix is singular; using the default weights/);
    expect(weights[199]).toEqual([2 / 3.5, -1 / 3.5, 0.5 / 3.5]);
  });

  it('falls back with a notice naming the symbol and date of a bar whose close is not a number, and recovers once it leaves the window', () => {
    const closes: Record<string, (number | null)[]> = walks(5, ['AAA', 'BBB'], 300);
    (closes['BBB'] as (number | null)[])[150] = NaN;
    const { notices, ctx, inputs } = run({ metaLearner: true, minSamples: 20 }, closes);
    const codes = notices.map((n) => `${new Date(n.time).toISOString().slice(0, 10)} ${n.code}`);
    // Signals from step 4, so the refit of step 20 has 2 × 14 samples and fits. The NaN close of
    // step 150 is the forward return of BBB's sample of step 147, realised at 150: that refit
    // falls back. The bad samples (147, and 150's own) leave the 60-step window once 150 < k − 63:
    // the refit of step 220 fits again.
    expect(codes).toEqual(['2020-01-01 meta-learner-fallback', '2020-01-21 meta-learner-fitted', '2020-05-30 meta-learner-fallback', '2020-08-08 meta-learner-fitted']);
    expect(notices[2]?.message).toMatch(/^cannot fit \(non-finite-input\): the forward return of sample \d+ is NaN \(BBB at 2020-05-27\); using the default weights/);
    expect(ctx.orders.filter((o) => o.step === 150 && o.symbol === 'BBB')).toEqual([]);
    expect(inputs[150]?.[1]?.['score']).toBeNaN();
  });

  it('learns the largest weight for the member that was planted to predict the next return', () => {
    // Each next return is noise plus 0.004 × the rsi member's signal (computed here with the same RSI).
    const rng = new SeededRng(2024);
    const closes: Record<string, number[]> = {};
    for (const name of ['AAA', 'BBB', 'CCC', 'DDD']) {
      const rsi = new Rsi(3);
      const series = [50];
      for (let k = 1; k < 1500; k++) {
        const previous = series[k - 1] as number;
        rsi.update(previous);
        const signal = rsi.isReady ? (50 - rsi.value) / 50 : 0;
        series.push(previous * Math.exp(0.01 * rng.nextNormal() + 0.004 * signal));
      }
      closes[name] = series;
    }
    const { strategy, inputs } = run({ metaLearner: true, horizon: 1, trainBars: 1000, refitEvery: 100, minSamples: 200, weightRsi: 0.01 }, closes);
    const [trend, momentum, rsi] = strategy.weights as [number, number, number];
    expect(strategy.isFitted).toBe(true);
    expect(rsi).toBeGreaterThan(Math.abs(trend));
    expect(rsi).toBeGreaterThan(Math.abs(momentum));
    expect(inputs[1499]?.[0]?.['weightRsi']).toBe(rsi);
    expect(inputs[1499]?.[0]?.['metaFitted']).toBe(1);
  });

  it('restarts from a checkpoint: replaying recent bars then importing the state continues as if never stopped', () => {
    const names = ['AAA', 'BBB', 'CCC'];
    const closes = walks(31, names, 500);
    const universe = universeOfCloses(closes);
    const params = { ...SMALL, metaLearner: true };
    const notices: StrategyNotice[] = [];
    const original = new Ensemble(params, 3, (n) => notices.push(n));
    const ctx = new ImmediateFillContext(universe, 1_000_000, 10);
    const stop = 350;
    let saved: ReturnType<Ensemble['exportState']> = null;
    let positions: Record<string, number> = {};
    runSteps(original, universe, ctx, (k) => {
      if (k !== stop) return;
      saved = original.exportState();
      positions = Object.fromEntries(names.map((n, s) => [n, ctx.position(s)]));
    });
    // The restart sees the last 2 × warmupBars bars up to the stop with orders muted, then imports the state.
    const from = stop + 1 - 2 * original.warmupBars;
    expect(from).toBeGreaterThan(0);
    const recent = universeOfCloses(Object.fromEntries(names.map((n) => [n, (closes[n] ?? []).slice(from)])));
    const restartedNotices: StrategyNotice[] = [];
    const restarted = new Ensemble(params, 3, (n) => restartedNotices.push(n));
    const restartCtx = new ImmediateFillContext(recent, 1_000_000, 10, positions);
    runSteps(new WarmupGate(restarted, stop + 1 - from), recent, restartCtx, (k) => {
      if (k === stop - from) {
        restartedNotices.length = 0;
        restarted.importState(saved);
      }
    });
    const after = (orders: readonly SentOrder[], offset: number): SentOrder[] => orders.filter((o) => o.step + offset > stop).map((o) => ({ ...o, step: o.step + offset }));
    expect(after(restartCtx.orders, from)).toEqual(after(ctx.orders, 0));
    expect(after(ctx.orders, 0).length).toBeGreaterThan(5);
    expect(restarted.weights).toEqual(original.weights);
    expect(restartedNotices).toEqual(notices.filter((n) => n.time > (universe.time[stop] as number)));
  });

  it('validates its state and parameters, naming the field', () => {
    const strategy = new Ensemble({ ...SMALL, metaLearner: true }, 2);
    expect(() => strategy.importState({ weights: [1, 2], state: 'fitted', refitCountdown: 0 })).toThrow(/ensemble state\.weights/);
    expect(() => strategy.importState({ weights: [1, 0, 0], state: 'guessing', refitCountdown: 0 })).toThrow(/ensemble state\.state/);
    expect(() => strategy.importState({ weights: [1, 0, 0], state: 'fitted', refitCountdown: 10 })).toThrow(/ensemble state\.refitCountdown/);
    expect(() => new Ensemble({ ...SMALL, weightTrend: 0, weightMomentum: 0, weightRsi: 0 }, 2)).toThrow(ConfigError);
    expect(() => createStrategy('ensemble', { minSamples: '3' }, 2)).toThrow(/ensemble\.minSamples/);
  });

  it('is registered: defaults, and metaLearner=true from the command line', () => {
    const { strategy, params } = createStrategy('ensemble', { metaLearner: 'true' }, 5);
    expect(strategy).toBeInstanceOf(Ensemble);
    expect(params).toEqual(expect.objectContaining({ metaLearner: true, trainBars: 250, refitEvery: 20, horizon: 5, ridgeLambda: 0.01, minSamples: 100, threshold: 0.1, allowShort: false }));
    expect(ENSEMBLE_PARAMS.map((p) => p.name)).toEqual([
      'trendPeriod', 'momentumLookback', 'rsiPeriod', 'weightTrend', 'weightMomentum', 'weightRsi', 'threshold', 'allowShort', 'metaLearner', 'trainBars', 'refitEvery', 'horizon', 'ridgeLambda', 'minSamples',
    ]);
    // Members: the RSI needs 14 × 21 + 1 bars to forget its start; the learner a window and the horizon more, on the 20-step calendar.
    expect(createStrategy('ensemble', {}, 5).strategy.warmupBars).toBe(295);
    expect(strategy.warmupBars).toBe(560);
  });
});

describe('ensemble chart indicators', () => {
  it('charts the trend member’s SMA with its period, the one member on the price scale', () => {
    const definition = findStrategy('ensemble');
    expect(definition.chartIndicators?.({ trendPeriod: 80 })).toEqual([{ label: 'SMA 80 (trend member)', indicator: 'sma', params: { period: 80 } }]);
  });
});
