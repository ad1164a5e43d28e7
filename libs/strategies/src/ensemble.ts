import { ConfigError, formatIsoTime } from '@quantbot/core';
import type { EpochMs, JsonValue } from '@quantbot/core';
import type { BarView } from './bar-view';
import { ENSEMBLE_MEMBERS, EnsembleMembers } from './ensemble-members';
import { assertPeriod } from './indicators/validation';
import { fitRidgeWeights } from './ridge-meta-learner';
import type { StepView, Strategy, StrategyContext, StrategyNotice } from './strategy';
import type { ParamSpec, ParamValues } from './strategy-params';

/** Parameters of `Ensemble`. */
export interface EnsembleParams {
  /** SMA period of the trend member, bars. */
  readonly trendPeriod: number;
  /** Lookback of the time-series momentum member, bars. */
  readonly momentumLookback: number;
  /** RSI period of the mean-reversion member, bars. */
  readonly rsiPeriod: number;
  /** Default weights of the members (normalised to Σ|w| = 1; not all zero). */
  readonly weightTrend: number;
  readonly weightMomentum: number;
  readonly weightRsi: number;
  /** A combined score above `threshold` is long, below −`threshold` short (or flat), else flat; 0..1. */
  readonly threshold: number;
  /** When false, a score below −`threshold` is flat instead of short. */
  readonly allowShort: boolean;
  /** Learn the weights by walk-forward ridge regression (else the default weights throughout). */
  readonly metaLearner: boolean;
  /** Sample steps in the training window. */
  readonly trainBars: number;
  /** Steps between refits (the first at the first step). */
  readonly refitEvery: number;
  /** Bars of forward return the meta-learner predicts. */
  readonly horizon: number;
  /** Ridge penalty per sample (0: least squares). */
  readonly ridgeLambda: number;
  /** Fewest samples a fit accepts. */
  readonly minSamples: number;
}

/** The parameters `ensemble` accepts. */
export const ENSEMBLE_PARAMS: readonly ParamSpec[] = Object.freeze([
  { name: 'trendPeriod', kind: 'integer', default: 50, min: 2, max: 1000, description: 'SMA period of the trend member, bars' },
  { name: 'momentumLookback', kind: 'integer', default: 60, min: 1, max: 1000, description: 'lookback of the time-series momentum member, bars' },
  { name: 'rsiPeriod', kind: 'integer', default: 14, min: 2, max: 100, description: 'RSI period of the mean-reversion member, bars' },
  { name: 'weightTrend', kind: 'number', default: 1, min: -10, max: 10, description: 'default weight of the trend member' },
  { name: 'weightMomentum', kind: 'number', default: 1, min: -10, max: 10, description: 'default weight of the momentum member' },
  { name: 'weightRsi', kind: 'number', default: 1, min: -10, max: 10, description: 'default weight of the RSI mean-reversion member' },
  { name: 'threshold', kind: 'number', default: 0.1, min: 0, max: 1, description: 'combined score beyond which the target is long (short), else flat' },
  { name: 'allowShort', kind: 'boolean', default: false, description: 'go short when the score is below -threshold' },
  { name: 'metaLearner', kind: 'boolean', default: false, description: 'learn the member weights by walk-forward ridge regression' },
  { name: 'trainBars', kind: 'integer', default: 250, min: 10, max: 10_000, description: 'sample steps in the meta-learner training window' },
  { name: 'refitEvery', kind: 'integer', default: 20, min: 1, max: 10_000, description: 'steps between meta-learner refits' },
  { name: 'horizon', kind: 'integer', default: 5, min: 1, max: 250, description: 'bars of forward return the meta-learner predicts' },
  { name: 'ridgeLambda', kind: 'number', default: 0.01, min: 0, max: 1000, description: 'ridge penalty per sample (0: least squares)' },
  { name: 'minSamples', kind: 'integer', default: 100, min: ENSEMBLE_MEMBERS.length + 2, description: 'fewest samples a meta-learner fit accepts' },
]);

/** The meta-learner's state: the default weights (off, or not yet fitted), fitted, or why it fell back. */
type LearnerState = 'default' | 'fitted' | 'non-finite-input' | 'too-few-samples' | 'singular' | 'invalid-output';
const LEARNER_STATES: readonly LearnerState[] = ['default', 'fitted', 'non-finite-input', 'too-few-samples', 'singular', 'invalid-output'];

/** What `onBar` found for a symbol at the current step. */
const NO_SIGNAL = 0;
const SIGNAL = 1;
const BAD_CLOSE = 2;

const K = ENSEMBLE_MEMBERS.length;

/**
 * Combines member signal models (`trend`, `momentum`, `rsi`: see `EnsembleMembers`) into one score
 * per symbol, w·s with Σ|w| = 1, and trades it per symbol: long above `threshold`, short below
 * −`threshold` with `allowShort` (else flat), flat in between. Entries are market orders sized by
 * the session's sizing rule; a change of target closes the position first. Decided in `onStep`.
 *
 * The weights are the defaults (normalised) unless `metaLearner` is on. Then a ridge regression
 * (`fitRidgeWeights`) of each symbol's realised forward `horizon`-bar return on its member signals
 * is refitted every `refitEvery` steps (the first at the first step) on the samples of the last
 * `trainBars` sample steps whose return is realised: at step t it uses the samples of steps t'
 * with t − horizon − trainBars < t' ≤ t − horizon, so a sample is used only once its return is
 * known. A sample is a symbol with ready signals at t' and a bar at t' + horizon (else it is
 * dropped). Its normalised coefficients become the weights until the next refit. A fit that
 * cannot be made (too few samples, a constant or collinear member, a non-finite sample or
 * coefficient) falls back to the default weights and says why in a `StrategyNotice`
 * (`meta-learner-fallback`); a later successful fit says so (`meta-learner-fitted`). Notices are
 * raised when the state changes, not at every refit.
 *
 * A bar whose close is not a finite number feeds no indicator and is not traded; with the
 * meta-learner on it enters the window as a non-finite sample, so the fit falls back until it
 * leaves the window.
 */
export class Ensemble implements Strategy {
  readonly name = 'ensemble';
  readonly params: EnsembleParams;
  /**
   * The members' warm-up; with the meta-learner, also a full window of such samples plus the
   * horizon, rounded up to a multiple of `refitEvery` so a later start keeps the refit calendar.
   */
  readonly warmupBars: number;
  readonly #members: EnsembleMembers;
  readonly #symbolCount: number;
  readonly #notify: ((notice: StrategyNotice) => void) | undefined;
  readonly #defaults: Float64Array;
  readonly #weights: Float64Array;
  /** This step's signals per symbol (K each), what `onBar` found, and the score decided on. */
  readonly #signals: Float64Array;
  readonly #status: Uint8Array;
  readonly #score: Float64Array;
  #step = 0;
  #refitCountdown = 0;
  #state: LearnerState = 'default';
  /** The state the last notice told (so a notice marks a change). */
  #toldState: LearnerState = 'default';
  /** Samples waiting for their forward return: `horizon + 1` step slots of signals and entry closes. */
  readonly #pendingX: Float64Array;
  readonly #pendingClose: Float64Array;
  readonly #pendingHas: Uint8Array;
  readonly #pendingTime: Float64Array;
  /** The training window: `trainBars` step slots of realised samples. */
  readonly #windowX: Float64Array;
  readonly #windowY: Float64Array;
  readonly #windowHas: Uint8Array;
  readonly #windowStep: Float64Array;
  readonly #windowTime: Float64Array;
  /** Scratch for a fit, and which slot and symbol each row came from. */
  readonly #fitX: Float64Array;
  readonly #fitY: Float64Array;
  readonly #fitSlot: Int32Array;
  readonly #fitSymbol: Int32Array;

  constructor(params: EnsembleParams, symbolCount: number, notify?: (notice: StrategyNotice) => void) {
    assertPeriod('ensemble.trendPeriod', params.trendPeriod, 2);
    assertPeriod('ensemble.momentumLookback', params.momentumLookback, 1);
    assertPeriod('ensemble.rsiPeriod', params.rsiPeriod, 2);
    assertPeriod('ensemble.trainBars', params.trainBars, 1);
    assertPeriod('ensemble.refitEvery', params.refitEvery, 1);
    assertPeriod('ensemble.horizon', params.horizon, 1);
    assertPeriod('ensemble.minSamples', params.minSamples, K + 2);
    if (!(params.threshold >= 0 && params.threshold <= 1)) throw new ConfigError('ensemble.threshold', `must be in [0, 1], got ${params.threshold}`);
    if (!(params.ridgeLambda >= 0 && Number.isFinite(params.ridgeLambda))) throw new ConfigError('ensemble.ridgeLambda', `must be a finite number ≥ 0, got ${params.ridgeLambda}`);
    const raw = [params.weightTrend, params.weightMomentum, params.weightRsi];
    raw.forEach((w, j) => {
      if (!Number.isFinite(w)) throw new ConfigError(`ensemble.${weightParam(j)}`, `must be a finite number, got ${w}`);
    });
    const total = raw.reduce((sum, w) => sum + Math.abs(w), 0);
    if (total === 0) throw new ConfigError('ensemble.weightTrend', 'the default weights are all 0: at least one member needs a weight');

    this.params = Object.freeze({ ...params });
    this.#symbolCount = symbolCount;
    this.#notify = notify;
    this.#members = new EnsembleMembers(params, symbolCount);
    const m = this.#members.warmupBars;
    const r = params.refitEvery;
    this.warmupBars = params.metaLearner ? r * Math.ceil((m + params.horizon + params.trainBars) / r) : m;
    this.#defaults = Float64Array.from(raw, (w) => w / total);
    this.#weights = Float64Array.from(this.#defaults);
    this.#signals = new Float64Array(symbolCount * K).fill(NaN);
    this.#status = new Uint8Array(symbolCount);
    this.#score = new Float64Array(symbolCount).fill(NaN);
    const slots = params.metaLearner ? params.horizon + 1 : 0;
    const window = params.metaLearner ? params.trainBars : 0;
    this.#pendingX = new Float64Array(slots * symbolCount * K);
    this.#pendingClose = new Float64Array(slots * symbolCount);
    this.#pendingHas = new Uint8Array(slots * symbolCount);
    this.#pendingTime = new Float64Array(slots);
    this.#windowX = new Float64Array(window * symbolCount * K);
    this.#windowY = new Float64Array(window * symbolCount);
    this.#windowHas = new Uint8Array(window * symbolCount);
    this.#windowStep = new Float64Array(window).fill(-1);
    this.#windowTime = new Float64Array(window);
    this.#fitX = new Float64Array(window * symbolCount * K);
    this.#fitY = new Float64Array(window * symbolCount);
    this.#fitSlot = new Int32Array(window * symbolCount);
    this.#fitSymbol = new Int32Array(window * symbolCount);
  }

  /** Builds the strategy from validated parameter values. */
  static fromParams(values: ParamValues, symbolCount: number, notify?: (notice: StrategyNotice) => void): Ensemble {
    const num = (name: string): number => values[name] as number;
    return new Ensemble(
      {
        trendPeriod: num('trendPeriod'),
        momentumLookback: num('momentumLookback'),
        rsiPeriod: num('rsiPeriod'),
        weightTrend: num('weightTrend'),
        weightMomentum: num('weightMomentum'),
        weightRsi: num('weightRsi'),
        threshold: num('threshold'),
        allowShort: values['allowShort'] as boolean,
        metaLearner: values['metaLearner'] as boolean,
        trainBars: num('trainBars'),
        refitEvery: num('refitEvery'),
        horizon: num('horizon'),
        ridgeLambda: num('ridgeLambda'),
        minSamples: num('minSamples'),
      },
      symbolCount,
      notify,
    );
  }

  /** The weights in effect (Σ|w| = 1), in member order `trend`, `momentum`, `rsi`. */
  get weights(): readonly number[] {
    return Array.from(this.#weights);
  }

  /** True while the weights in effect are the meta-learner's (false: the defaults). */
  get isFitted(): boolean {
    return this.#state === 'fitted';
  }

  describeInputs(symbolIndex: number): Readonly<Record<string, number>> {
    const at = symbolIndex * K;
    return {
      trend: this.#signals[at] as number,
      momentum: this.#signals[at + 1] as number,
      rsi: this.#signals[at + 2] as number,
      score: this.#score[symbolIndex] as number,
      weightTrend: this.#weights[0] as number,
      weightMomentum: this.#weights[1] as number,
      weightRsi: this.#weights[2] as number,
      metaFitted: this.#state === 'fitted' ? 1 : 0,
    };
  }

  /**
   * The weights in effect, the learner's state and the refit calendar: what the recent bars do not
   * rebuild. The sample window does rebuild from them (a live checkpoint keeps at least twice
   * `warmupBars`, more than the window needs), so a restart neither refits early nor repeats a notice.
   */
  exportState(): JsonValue {
    return { weights: Array.from(this.#weights), state: this.#state, refitCountdown: this.#refitCountdown };
  }

  importState(state: JsonValue): void {
    const record = typeof state === 'object' && state !== null && !Array.isArray(state) ? (state as { readonly [k: string]: JsonValue }) : undefined;
    const weights = record?.['weights'];
    const learner = record?.['state'];
    const countdown = record?.['refitCountdown'];
    if (!Array.isArray(weights) || weights.length !== K || !weights.every((w) => typeof w === 'number' && Number.isFinite(w))) {
      throw new ConfigError('ensemble state.weights', `expected ${K} finite numbers, got ${JSON.stringify(weights)}`);
    }
    if (typeof learner !== 'string' || !(LEARNER_STATES as readonly string[]).includes(learner)) {
      throw new ConfigError('ensemble state.state', `expected one of ${LEARNER_STATES.join(', ')}, got ${JSON.stringify(learner)}`);
    }
    if (typeof countdown !== 'number' || !Number.isInteger(countdown) || countdown < 0 || countdown >= this.params.refitEvery) {
      throw new ConfigError('ensemble state.refitCountdown', `expected an integer in [0, ${this.params.refitEvery - 1}], got ${JSON.stringify(countdown)}`);
    }
    (weights as number[]).forEach((w, j) => (this.#weights[j] = w));
    this.#state = learner as LearnerState;
    this.#toldState = this.#state;
    this.#refitCountdown = countdown;
  }

  onBar(bar: BarView): void {
    const s = bar.symbolIndex;
    const close = bar.close();
    if (!Number.isFinite(close)) {
      // A bar with no usable close: nothing learns from it, nothing trades on it; once the members
      // are ready it is a sample the meta-learner must refuse.
      this.#status[s] = this.#members.isReady(s) ? BAD_CLOSE : NO_SIGNAL;
      this.#signals.fill(NaN, s * K, s * K + K);
      return;
    }
    this.#members.update(s, close);
    this.#members.read(s, this.#signals, s * K);
    this.#status[s] = this.#members.isReady(s) ? SIGNAL : NO_SIGNAL;
  }

  onStep(step: StepView, ctx: StrategyContext): void {
    if (this.params.metaLearner) {
      this.#realise(step);
      this.#remember(step);
      if (this.#refitCountdown === 0) this.#refit(step.time, ctx);
      this.#refitCountdown = this.#refitCountdown === 0 ? this.params.refitEvery - 1 : this.#refitCountdown - 1;
    }
    for (let s = 0; s < this.#symbolCount; s++) {
      if (this.#status[s] === SIGNAL) this.#decide(s, ctx);
      else this.#score[s] = NaN;
    }
    this.#status.fill(NO_SIGNAL);
    this.#step++;
  }

  #decide(s: number, ctx: StrategyContext): void {
    let score = 0;
    for (let j = 0; j < K; j++) score += (this.#weights[j] as number) * (this.#signals[s * K + j] as number);
    this.#score[s] = score;
    const { threshold, allowShort } = this.params;
    const target = score > threshold ? 1 : score < -threshold && allowShort ? -1 : 0;
    if (ctx.hasPendingOrder(s)) return;
    const position = ctx.position(s);
    if (Math.sign(position) === target) return;
    if (position !== 0) ctx.closePosition(s);
    if (target > 0) ctx.buy(s);
    else if (target < 0) ctx.sell(s);
  }

  /** Moves the samples of step t − horizon whose symbol has a bar now into the training window. */
  #realise(step: StepView): void {
    const origin = this.#step - this.params.horizon;
    if (origin < 0) return;
    const n = this.#symbolCount;
    const pendingSlot = origin % (this.params.horizon + 1);
    const pending = pendingSlot * n;
    const slot = origin % this.params.trainBars;
    this.#windowStep[slot] = origin;
    this.#windowTime[slot] = this.#pendingTime[pendingSlot] as number;
    for (let s = 0; s < n; s++) {
      const at = slot * n + s;
      const has = this.#pendingHas[pending + s] === 1 && step.hasBar(s);
      this.#windowHas[at] = has ? 1 : 0;
      if (!has) continue;
      this.#windowY[at] = (step.views[s] as BarView).close() / (this.#pendingClose[pending + s] as number) - 1;
      for (let j = 0; j < K; j++) this.#windowX[at * K + j] = this.#pendingX[(pending + s) * K + j] as number;
    }
  }

  /** Keeps this step's signals and closes until their forward return is realised. */
  #remember(step: StepView): void {
    const n = this.#symbolCount;
    const pendingSlot = this.#step % (this.params.horizon + 1);
    const pending = pendingSlot * n;
    this.#pendingTime[pendingSlot] = step.time;
    for (let s = 0; s < n; s++) {
      const status = this.#status[s];
      const has = status === SIGNAL || status === BAD_CLOSE;
      this.#pendingHas[pending + s] = has ? 1 : 0;
      if (!has) continue;
      this.#pendingClose[pending + s] = (step.views[s] as BarView).close();
      for (let j = 0; j < K; j++) this.#pendingX[(pending + s) * K + j] = this.#signals[s * K + j] as number;
    }
  }

  #refit(time: EpochMs, ctx: StrategyContext): void {
    const n = this.#symbolCount;
    const { horizon, trainBars } = this.params;
    const last = this.#step - horizon;
    let rows = 0;
    for (let origin = Math.max(0, last - trainBars + 1); origin <= last; origin++) {
      const slot = origin % trainBars;
      if (this.#windowStep[slot] !== origin) continue;
      for (let s = 0; s < n; s++) {
        const at = slot * n + s;
        if (this.#windowHas[at] !== 1) continue;
        for (let j = 0; j < K; j++) this.#fitX[rows * K + j] = this.#windowX[at * K + j] as number;
        this.#fitY[rows] = this.#windowY[at] as number;
        this.#fitSlot[rows] = slot;
        this.#fitSymbol[rows] = s;
        rows++;
      }
    }
    const fit = fitRidgeWeights(this.#fitX, this.#fitY, rows, { lambda: this.params.ridgeLambda, minSamples: this.params.minSamples, memberNames: ENSEMBLE_MEMBERS });
    if (fit.ok) {
      fit.weights.forEach((w, j) => (this.#weights[j] = w));
      this.#state = 'fitted';
      this.#tell(time, 'meta-learner-fitted', `fitted on ${fit.samples} samples; weights ${describeWeights(this.#weights)}`);
      return;
    }
    this.#weights.set(this.#defaults);
    this.#state = fit.reason;
    const where =
      fit.row === undefined
        ? ''
        : ` (${String(ctx.symbols[this.#fitSymbol[fit.row] as number])} at ${formatIsoTime(this.#windowTime[this.#fitSlot[fit.row] as number] as number).slice(0, 10)})`;
    this.#tell(time, 'meta-learner-fallback', `cannot fit (${fit.reason}): ${fit.detail}${where}; using the default weights ${describeWeights(this.#defaults)}`);
  }

  /** Raises a notice when the learner's state differs from the one last told. */
  #tell(time: EpochMs, code: string, message: string): void {
    if (this.#state === this.#toldState) return;
    this.#toldState = this.#state;
    this.#notify?.(Object.freeze({ time, strategy: this.name, code, message }));
  }
}

function weightParam(j: number): string {
  return ['weightTrend', 'weightMomentum', 'weightRsi'][j] as string;
}

function describeWeights(weights: Float64Array): string {
  return ENSEMBLE_MEMBERS.map((name, j) => `${name} ${(weights[j] as number).toFixed(3)}`).join(', ');
}
