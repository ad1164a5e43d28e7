import { RingBuffer } from './indicators/ring-buffer';
import { Rsi } from './indicators/rsi';
import { Sma } from './indicators/sma';

/** The member signal models of `ensemble`, in the order of their weights. */
export const ENSEMBLE_MEMBERS = Object.freeze(['trend', 'momentum', 'rsi'] as const);

/** Periods of the member signal models, in bars. */
export interface EnsembleMemberPeriods {
  /** SMA period of the trend member. */
  readonly trendPeriod: number;
  /** Lookback of the time-series momentum member. */
  readonly momentumLookback: number;
  /** Wilder RSI period of the mean-reversion member. */
  readonly rsiPeriod: number;
}

/** How far the close sits above its SMA for a trend signal of tanh(1) ≈ 0.76: 5 %. */
const TREND_SCALE = 0.05;
/** The lookback return for a momentum signal of tanh(1) ≈ 0.76: 20 %. */
const MOMENTUM_SCALE = 0.2;
/** Wilder's RSI never forgets: this many periods more, after which a different start moves it by under e^-20 of its value. */
const RSI_CONVERGENCE_PERIODS = 20;

/**
 * The `ensemble` members for every symbol, updated one bar at a time (each symbol's own bars),
 * each a signal in [-1, 1]:
 *
 * - `trend` = tanh((close / SMA(trendPeriod) − 1) / 0.05): above the average is long;
 * - `momentum` = tanh((close / close `momentumLookback` bars ago − 1) / 0.2): time-series momentum;
 * - `rsi` = (50 − RSI(rsiPeriod)) / 50: mean reversion, +1 at RSI 0 (oversold), −1 at RSI 100.
 */
export class EnsembleMembers {
  readonly periods: EnsembleMemberPeriods;
  /**
   * Bars of a symbol after which its signals no longer depend on the bars before them: the SMA and
   * the momentum window are exact after their windows; the RSI after 20 more of its periods.
   */
  readonly warmupBars: number;
  readonly #trend: Sma[];
  readonly #closes: RingBuffer[];
  readonly #rsi: Rsi[];

  constructor(periods: EnsembleMemberPeriods, symbolCount: number) {
    this.periods = Object.freeze({ ...periods });
    this.warmupBars = Math.max(periods.trendPeriod, periods.momentumLookback + 1, periods.rsiPeriod * (1 + RSI_CONVERGENCE_PERIODS) + 1);
    this.#trend = Array.from({ length: symbolCount }, () => new Sma(periods.trendPeriod));
    this.#closes = Array.from({ length: symbolCount }, () => new RingBuffer(periods.momentumLookback + 1));
    this.#rsi = Array.from({ length: symbolCount }, () => new Rsi(periods.rsiPeriod));
  }

  /** Feeds symbol `s`'s close (finite: the caller keeps bad values out). */
  update(s: number, close: number): void {
    (this.#trend[s] as Sma).update(close);
    (this.#closes[s] as RingBuffer).push(close);
    (this.#rsi[s] as Rsi).update(close);
  }

  /** True when every member of symbol `s` has a signal. */
  isReady(s: number): boolean {
    return (this.#trend[s] as Sma).isReady && (this.#closes[s] as RingBuffer).isFull && (this.#rsi[s] as Rsi).isReady;
  }

  /** Writes symbol `s`'s signals, in {@link ENSEMBLE_MEMBERS} order, into `out` from `offset` (NaN while not ready). */
  read(s: number, out: Float64Array, offset: number): void {
    if (!this.isReady(s)) {
      out.fill(NaN, offset, offset + ENSEMBLE_MEMBERS.length);
      return;
    }
    const closes = this.#closes[s] as RingBuffer;
    const close = closes.at(0);
    out[offset] = Math.tanh((close / (this.#trend[s] as Sma).value - 1) / TREND_SCALE);
    out[offset + 1] = Math.tanh((close / closes.at(this.periods.momentumLookback) - 1) / MOMENTUM_SCALE);
    out[offset + 2] = (50 - (this.#rsi[s] as Rsi).value) / 50;
  }
}
