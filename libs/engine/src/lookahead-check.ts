import type { BarUniverse, ClientOrderId, EpochMs, Ticker } from '@quantbot/core';
import { ConfigError, formatIsoTime } from '@quantbot/core';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import type { BarView, OrderSpec, StepView, Strategy, StrategyContext } from '@quantbot/strategies';
import { TimeCursor, UniverseBarView, UniverseStepView } from '@quantbot/strategies';
import { runBacktest } from './backtest-runner';
import { StrategyManager } from './strategy-manager';
import type { SizingRule } from '@quantbot/risk-guardrails';

/** One decision a strategy made on one bar: an order intent, as comparable data. */
interface Decision {
  readonly symbolIndex: number;
  readonly action: string;
  readonly prices: readonly number[];
}

/** What the strategy could see of the portfolio at a step (the same for every symbol's call). */
interface StepState {
  readonly cash: number;
  readonly equity: number;
  readonly positions: Float64Array;
  readonly pending: Uint8Array;
}

/** Options of `checkLookahead`. */
export interface LookaheadCheckOptions {
  readonly universe: BarUniverse;
  /**
   * Builds a fresh strategy from the data as it was known: `universe` is the data given to the
   * run (cut at a step, or starting later), `knownAt` the time of the cut (null: the full run).
   * Point-in-time datasets must be filtered to what was announced by `knownAt` here.
   */
  readonly build: (universe: BarUniverse, knownAt: EpochMs | null) => Strategy;
  readonly startingCash: number;
  readonly sizing: SizingRule;
  readonly execution?: ExecutionProfile;
  readonly seed?: number;
  /** How many cut-off points, spread evenly over the series (default 20). */
  readonly cutoffs?: number;
  /** Bars dropped from the start for the warm-up test (default: the strategy's warm-up and twice it). */
  readonly startOffsets?: readonly number[];
  /** Bars after a later start before decisions must agree (default: the strategy's `warmupBars`, else 250). */
  readonly warmupBars?: number;
}

/** A decision that differs between the full run and a run on less data. */
export interface LookaheadDivergence {
  /** `truncation`: the data was cut after `boundary`; `warm-up`: the data started at `boundary`. */
  readonly test: 'truncation' | 'warm-up';
  readonly boundary: string;
  readonly time: string;
  readonly symbol: string;
  /** Decisions of the full run at that time, and of the run on less data. */
  readonly full: readonly string[];
  readonly other: readonly string[];
}

/** The outcome of a lookahead check. */
export interface LookaheadReport {
  readonly passed: boolean;
  readonly strategy: string;
  readonly cutoffs: readonly string[];
  readonly startOffsets: readonly number[];
  readonly warmupBars: number;
  /** Decisions of the full run that were compared against runs on less data. */
  readonly comparedDecisions: number;
  readonly divergenceCount: number;
  /** The first 50 divergences, in time order per test. */
  readonly divergences: readonly LookaheadDivergence[];
}

const MAX_LISTED = 50;

/**
 * Catches lookahead that the `BarView` guard cannot: an indicator precomputed over the whole
 * series, a point-in-time value used before its announcement, anything a strategy was built
 * with. It runs the full backtest once, recording every decision and the portfolio state each
 * decision saw; then it rebuilds the strategy on the data cut at `cutoffs` points and replays it
 * with the same portfolio state: every decision at or before the cut must be identical, since
 * the past is identical. It also starts the strategy later (`startOffsets`) and checks that,
 * after its warm-up, decisions do not depend on how much history preceded the start (prices
 * there may differ by a cent, from rounding an indicator with infinite memory).
 */
export function checkLookahead(options: LookaheadCheckOptions): LookaheadReport {
  const u = options.universe;
  if (u.length < 3) throw new ConfigError('data', 'the lookahead check needs at least 3 bars');
  const fullStrategy = options.build(u, null);
  if (fullStrategy instanceof StrategyManager) {
    // Its sleeves decide on their own fills, which a replay without a broker cannot give them.
    throw new ConfigError('strategy', `the lookahead check takes one strategy, not a strategy manager: check each sleeve's strategy (${fullStrategy.sleeveNames.join(', ')}) on its own`);
  }
  const recorder = new RecordingStrategy(fullStrategy, u.length, u.symbols.length);
  runBacktest({
    universe: u,
    strategy: recorder,
    startingCash: options.startingCash,
    sizing: options.sizing,
    ...(options.execution !== undefined ? { execution: options.execution } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const reference = recorder.decisions;
  const states = recorder.states;
  const warmupBars = options.warmupBars ?? fullStrategy.warmupBars ?? 250;

  const divergences: LookaheadDivergence[] = [];
  let divergenceCount = 0;
  let compared = 0;
  const note = (d: LookaheadDivergence): void => {
    divergenceCount++;
    if (divergences.length < MAX_LISTED) divergences.push(d);
  };

  const count = Math.max(1, Math.min(options.cutoffs ?? 20, u.length - 1));
  const cutSteps: number[] = [];
  for (let i = 1; i <= count; i++) cutSteps.push(Math.min(u.length - 2, Math.floor((u.length * i) / (count + 1))));
  for (const cut of [...new Set(cutSteps)]) {
    const known = u.time[cut] as EpochMs;
    const sliced = sliceUniverse(u, 0, cut + 1);
    const probe = replayDecisions(options.build(sliced, known), sliced, 0, states);
    for (let k = 0; k <= cut; k++) {
      compared += reference[k]?.length ?? 0;
      compareStep(k, reference[k], probe[k], 0, (symbol, full, other) =>
        note({ test: 'truncation', boundary: formatIsoTime(known), time: formatIsoTime(u.time[k] as number), symbol, full, other }),
      );
    }
  }

  const offsets = options.startOffsets ?? [warmupBars, 2 * warmupBars];
  for (const start of offsets) {
    if (!Number.isInteger(start) || start <= 0 || start >= u.length - 1) continue;
    const sliced = sliceUniverse(u, start, u.length);
    const probe = replayDecisions(options.build(sliced, null), sliced, start, states);
    for (let k = start + warmupBars; k < u.length; k++) {
      compared += reference[k]?.length ?? 0;
      compareStep(k, reference[k], probe[k - start], 0.010001, (symbol, full, other) =>
        note({ test: 'warm-up', boundary: formatIsoTime(u.time[start] as number), time: formatIsoTime(u.time[k] as number), symbol, full, other }),
      );
    }
  }

  return Object.freeze({
    passed: divergenceCount === 0,
    strategy: fullStrategy.name,
    cutoffs: [...new Set(cutSteps)].map((k) => formatIsoTime(u.time[k] as number)),
    startOffsets: offsets,
    warmupBars,
    comparedDecisions: compared,
    divergenceCount,
    divergences,
  });

  function compareStep(
    step: number,
    full: readonly Decision[] | undefined,
    other: readonly Decision[] | undefined,
    priceTolerance: number,
    report: (symbol: string, full: readonly string[], other: readonly string[]) => void,
  ): void {
    // Per symbol, then the cancels and replaces (index -1), which carry no symbol.
    for (let s = -1; s < u.symbols.length; s++) {
      const a = (full ?? []).filter((d) => d.symbolIndex === s);
      const b = (other ?? []).filter((d) => d.symbolIndex === s);
      if (!sameDecisions(a, b, priceTolerance)) report(s < 0 ? '(cancel/replace)' : (u.symbols[s] as string), a.map(describe), b.map(describe));
    }
  }
}

function sameDecisions(a: readonly Decision[], b: readonly Decision[], priceTolerance: number): boolean {
  if (a.length !== b.length) return false;
  return a.every((d, i) => {
    const e = b[i] as Decision;
    if (d.action !== e.action || d.prices.length !== e.prices.length) return false;
    return d.prices.every((p, j) => {
      const q = e.prices[j] as number;
      return p === q || (Number.isNaN(p) && Number.isNaN(q)) || Math.abs(p - q) <= Math.max(priceTolerance, 1e-12 * Math.abs(p));
    });
  });
}

function describe(d: Decision): string {
  const prices = d.prices.filter((p) => !Number.isNaN(p));
  return prices.length > 0 ? `${d.action} @ ${prices.join('/')}` : d.action;
}

/** Copies steps [from, to) of a universe into a new one. */
export function sliceUniverse(u: BarUniverse, from: number, to: number): BarUniverse {
  const length = to - from;
  const n = u.symbols.length;
  const column = (source: Float64Array): Float64Array => {
    const out = new Float64Array(n * length);
    for (let s = 0; s < n; s++) out.set(source.subarray(s * u.length + from, s * u.length + to), s * length);
    return out;
  };
  const hasBar = new Uint8Array(n * length);
  for (let s = 0; s < n; s++) hasBar.set(u.hasBar.subarray(s * u.length + from, s * u.length + to), s * length);
  return Object.freeze({
    symbols: u.symbols,
    length,
    time: u.time.slice(from, to),
    open: column(u.open),
    high: column(u.high),
    low: column(u.low),
    close: column(u.close),
    volume: column(u.volume),
    hasBar,
  });
}

/** Records the decisions of a strategy, and the state it decided in, during a real backtest. */
class RecordingStrategy implements Strategy {
  readonly name: string;
  readonly warmupBars: number | undefined;
  readonly decisions: (Decision[] | undefined)[];
  readonly states: (StepState | undefined)[];
  readonly #inner: Strategy;
  readonly #symbolCount: number;

  constructor(inner: Strategy, steps: number, symbolCount: number) {
    this.#inner = inner;
    this.name = inner.name;
    this.warmupBars = inner.warmupBars;
    this.decisions = new Array<Decision[] | undefined>(steps).fill(undefined);
    this.states = new Array<StepState | undefined>(steps).fill(undefined);
    this.#symbolCount = symbolCount;
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    const step = bar.visibleSteps - 1;
    if (this.states[step] === undefined) this.states[step] = captureState(ctx, this.#symbolCount);
    const log = (this.decisions[step] ??= []);
    this.#inner.onBar(bar, new DecisionLog(ctx, log));
  }

  onStep(step: StepView, ctx: StrategyContext): void {
    if (this.#inner.onStep === undefined) return;
    const index = (step.views[0]?.visibleSteps ?? 0) - 1;
    if (this.states[index] === undefined) this.states[index] = captureState(ctx, this.#symbolCount);
    const log = (this.decisions[index] ??= []);
    this.#inner.onStep(step, new DecisionLog(ctx, log));
  }
}

function captureState(ctx: StrategyContext, symbolCount: number): StepState {
  const positions = new Float64Array(symbolCount);
  const pending = new Uint8Array(symbolCount);
  for (let s = 0; s < symbolCount; s++) {
    positions[s] = ctx.position(s);
    pending[s] = ctx.hasPendingOrder(s) ? 1 : 0;
  }
  return { cash: ctx.cash, equity: ctx.equity(), positions, pending };
}

/** A `StrategyContext` that records every order intent, passing it on to `target` if there is one. */
class DecisionLog implements StrategyContext {
  readonly #target: StrategyContext;
  readonly #log: Decision[];

  constructor(target: StrategyContext, log: Decision[]) {
    this.#target = target;
    this.#log = log;
  }

  get time(): EpochMs {
    return this.#target.time;
  }
  get symbols(): readonly Ticker[] {
    return this.#target.symbols;
  }
  get cash(): number {
    return this.#target.cash;
  }
  equity(): number {
    return this.#target.equity();
  }
  position(symbolIndex: number): number {
    return this.#target.position(symbolIndex);
  }
  hasPendingOrder(symbolIndex: number): boolean {
    return this.#target.hasPendingOrder(symbolIndex);
  }
  buy(symbolIndex: number, qty?: number): void {
    this.#log.push({ symbolIndex, action: `buy market ${qty ?? 'sized'}`, prices: [] });
    this.#target.buy(symbolIndex, qty);
  }
  sell(symbolIndex: number, qty?: number): void {
    this.#log.push({ symbolIndex, action: `sell market ${qty ?? 'sized'}`, prices: [] });
    this.#target.sell(symbolIndex, qty);
  }
  closePosition(symbolIndex: number): void {
    if (this.#target.position(symbolIndex) !== 0) this.#log.push({ symbolIndex, action: 'close', prices: [] });
    this.#target.closePosition(symbolIndex);
  }
  submitOrder(spec: OrderSpec): ClientOrderId | undefined {
    this.#log.push({
      symbolIndex: spec.symbolIndex,
      action: `${spec.side} ${spec.type} ${spec.qty ?? 'sized'} ${spec.timeInForce ?? 'gtc'}`,
      prices: [spec.limitPrice ?? NaN, spec.stopPrice ?? NaN, spec.takeProfitPrice ?? NaN, spec.stopLossPrice ?? NaN],
    });
    return this.#target.submitOrder(spec);
  }
  cancelOrder(clientOrderId: ClientOrderId): void {
    // Order ids differ between the full run and a replay; the intent to cancel is what is compared.
    this.#log.push({ symbolIndex: -1, action: 'cancel', prices: [] });
    this.#target.cancelOrder(clientOrderId);
  }
  replaceOrder(clientOrderId: ClientOrderId, changes: { readonly qty?: number; readonly limitPrice?: number; readonly stopPrice?: number }): ClientOrderId {
    this.#log.push({ symbolIndex: -1, action: `replace ${changes.qty ?? ''}`, prices: [changes.limitPrice ?? NaN, changes.stopPrice ?? NaN] });
    return this.#target.replaceOrder(clientOrderId, changes);
  }
}

/**
 * A context with no broker: it answers with the full run's recorded state at each step (plus
 * the orders this replay sent during the step), so a strategy rebuilt on less data decides in
 * exactly the situation the full run's strategy decided in.
 */
class ReplayContext implements StrategyContext {
  time: EpochMs = 0 as EpochMs;
  readonly symbols: readonly Ticker[];
  #state: StepState | undefined;
  readonly #sentThisStep: Uint8Array;
  #ids = 0;

  constructor(symbols: readonly Ticker[]) {
    this.symbols = symbols;
    this.#sentThisStep = new Uint8Array(symbols.length);
  }

  enterStep(time: EpochMs, state: StepState | undefined): void {
    this.time = time;
    this.#state = state;
    this.#sentThisStep.fill(0);
  }

  get cash(): number {
    return this.#state?.cash ?? NaN;
  }
  equity(): number {
    return this.#state?.equity ?? NaN;
  }
  position(symbolIndex: number): number {
    return this.#state?.positions[symbolIndex] ?? 0;
  }
  hasPendingOrder(symbolIndex: number): boolean {
    return this.#state?.pending[symbolIndex] === 1 || this.#sentThisStep[symbolIndex] === 1;
  }
  buy(symbolIndex: number): void {
    this.#sentThisStep[symbolIndex] = 1;
  }
  sell(symbolIndex: number): void {
    this.#sentThisStep[symbolIndex] = 1;
  }
  closePosition(symbolIndex: number): void {
    if (this.position(symbolIndex) !== 0) this.#sentThisStep[symbolIndex] = 1;
  }
  submitOrder(spec: OrderSpec): ClientOrderId {
    this.#sentThisStep[spec.symbolIndex] = 1;
    return `replay-${++this.#ids}` as ClientOrderId;
  }
  cancelOrder(): void {
    // Nothing to cancel: a replay has no broker. The intent is already in the decision log.
  }
  replaceOrder(): ClientOrderId {
    return `replay-${++this.#ids}` as ClientOrderId;
  }
}

/** Runs `strategy` over `universe` (whose step 0 is `offset` of the full run) against recorded states. */
function replayDecisions(strategy: Strategy, universe: BarUniverse, offset: number, states: readonly (StepState | undefined)[]): (Decision[] | undefined)[] {
  const decisions = new Array<Decision[] | undefined>(universe.length).fill(undefined);
  const cursor = new TimeCursor(universe.length);
  const views = universe.symbols.map((_, s) => new UniverseBarView(universe, s, cursor));
  const stepView = new UniverseStepView(universe, views, cursor);
  const replay = new ReplayContext(universe.symbols);
  for (let k = 0; k < universe.length; k++) {
    cursor.advanceTo(k);
    replay.enterStep(universe.time[k] as EpochMs, states[k + offset]);
    const log: Decision[] = [];
    const ctx = new DecisionLog(replay, log);
    for (let s = 0; s < universe.symbols.length; s++) {
      if (universe.hasBar[s * universe.length + k] === 1) strategy.onBar(views[s] as BarView, ctx);
    }
    if (strategy.onStep !== undefined) strategy.onStep(stepView, ctx);
    decisions[k] = log;
  }
  return decisions;
}
