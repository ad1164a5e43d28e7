import { ConfigError } from '@quantbot/core';
import type { OrderSide } from '@quantbot/core';
import type { BarView } from './bar-view';
import { Atr } from './indicators/atr';
import { RollingExtreme } from './indicators/rolling-extreme';
import { assertPeriod } from './indicators/validation';
import type { Strategy, StrategyContext } from './strategy';
import type { ParamSpec, ParamValues } from './strategy-params';

/** Parameters of `BracketMomentum`. */
export interface BracketMomentumParams {
  /** Breakout window: the close is compared with the previous `lookback` bars, at least 2. */
  readonly lookback: number;
  /** Period of the average true range that scales the bracket, in bars. */
  readonly atrPeriod: number;
  /** Distance from the entry close to the take-profit, in ATRs (positive). */
  readonly takeProfitAtr: number;
  /** Distance from the entry close to the stop-loss, in ATRs (positive). */
  readonly stopLossAtr: number;
  /** When true, a close below the channel opens a short bracket too. */
  readonly allowShort: boolean;
}

/** The parameters `bracket-momentum` accepts. */
export const BRACKET_MOMENTUM_PARAMS: readonly ParamSpec[] = Object.freeze([
  { name: 'lookback', kind: 'integer', default: 20, min: 2, description: 'breakout window, bars before the current one' },
  { name: 'atrPeriod', kind: 'integer', default: 14, min: 1, description: 'ATR period, bars' },
  { name: 'takeProfitAtr', kind: 'number', default: 3, min: 0.1, description: 'take-profit distance from the close, ATRs' },
  { name: 'stopLossAtr', kind: 'number', default: 1.5, min: 0.1, description: 'stop-loss distance from the close, ATRs' },
  { name: 'allowShort', kind: 'boolean', default: false, description: 'go short on a close below the channel' },
]);

/**
 * Channel breakout traded with bracket orders. A close above the highest high of the previous
 * `lookback` bars buys; with `allowShort`, a close below their lowest low sells short. The
 * channel excludes the current bar, and the break must be strict: a close equal to the prior
 * high is no signal. The entry is a `bracket` (quantity from the session's sizing rule) whose
 * take-profit and stop-loss sit `takeProfitAtr` and `stopLossAtr` ATRs from the close, rounded
 * to cents. The strategy never exits by itself: the bracket's legs, created by the broker when
 * the entry fills, close the position.
 *
 * It enters only when the symbol is flat with no working order, once the channel holds
 * `lookback` bars and the ATR is ready (`max(lookback, atrPeriod) + 1` bars). A signal whose
 * rounded prices are not strictly on the right sides of the close (take-profit above and
 * stop-loss below for a long, the reverse for a short) or not positive is skipped: that
 * happens when the ATR is below a cent or a short's take-profit would fall to 0.
 */
export class BracketMomentum implements Strategy {
  readonly name = 'bracket-momentum';
  /**
   * The channel and ATR windows; Wilder's ATR never forgets, so ten of its periods more, after
   * which a different start moves it by less than (1 − 1/p)^(10p) ≈ e^-10 of its value.
   */
  readonly warmupBars: number;
  readonly params: BracketMomentumParams;
  readonly #atr: Atr[];
  /** Highest high and lowest low of the last `lookback` bars before the current one. */
  readonly #highest: RollingExtreme[];
  readonly #lowest: RollingExtreme[];

  constructor(params: BracketMomentumParams, symbolCount: number) {
    assertPeriod('bracket-momentum.lookback', params.lookback, 2);
    assertPeriod('bracket-momentum.atrPeriod', params.atrPeriod, 1);
    assertPositive('bracket-momentum.takeProfitAtr', params.takeProfitAtr);
    assertPositive('bracket-momentum.stopLossAtr', params.stopLossAtr);
    this.params = Object.freeze({ ...params });
    this.warmupBars = Math.max(params.lookback, params.atrPeriod) + 10 * params.atrPeriod;
    this.#atr = Array.from({ length: symbolCount }, () => new Atr(params.atrPeriod));
    this.#highest = Array.from({ length: symbolCount }, () => new RollingExtreme(params.lookback, 'max'));
    this.#lowest = Array.from({ length: symbolCount }, () => new RollingExtreme(params.lookback, 'min'));
  }

  /** Builds the strategy from validated parameter values. */
  static fromParams(values: ParamValues, symbolCount: number): BracketMomentum {
    return new BracketMomentum(
      {
        lookback: values['lookback'] as number,
        atrPeriod: values['atrPeriod'] as number,
        takeProfitAtr: values['takeProfitAtr'] as number,
        stopLossAtr: values['stopLossAtr'] as number,
        allowShort: values['allowShort'] as boolean,
      },
      symbolCount,
    );
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    const s = bar.symbolIndex;
    const high = bar.high();
    const low = bar.low();
    const close = bar.close();
    const atr = this.#atr[s] as Atr;
    const highest = this.#highest[s] as RollingExtreme;
    const lowest = this.#lowest[s] as RollingExtreme;
    atr.update(high, low, close);
    // The channel is read before the current bar joins it: a bar never breaks out of itself.
    const isChannelFull = highest.isFull;
    const priorHigh = highest.value;
    const priorLow = lowest.value;
    highest.push(high);
    lowest.push(low);
    if (!isChannelFull || !atr.isReady || ctx.position(s) !== 0 || ctx.hasPendingOrder(s)) return;

    const range = atr.value;
    const { takeProfitAtr, stopLossAtr } = this.params;
    if (close > priorHigh) {
      const takeProfitPrice = roundToCents(close + takeProfitAtr * range);
      const stopLossPrice = roundToCents(close - stopLossAtr * range);
      if (stopLossPrice > 0 && stopLossPrice < close && close < takeProfitPrice) {
        submitBracket(ctx, s, 'buy', takeProfitPrice, stopLossPrice);
      }
    } else if (this.params.allowShort && close < priorLow) {
      const takeProfitPrice = roundToCents(close - takeProfitAtr * range);
      const stopLossPrice = roundToCents(close + stopLossAtr * range);
      if (takeProfitPrice > 0 && takeProfitPrice < close && close < stopLossPrice) {
        submitBracket(ctx, s, 'sell', takeProfitPrice, stopLossPrice);
      }
    }
  }
}

/** Rounds a price to whole cents: the one place bracket prices are put on the tick grid. */
function roundToCents(price: number): number {
  return Math.round(price * 100) / 100;
}

function submitBracket(ctx: StrategyContext, symbolIndex: number, side: OrderSide, takeProfitPrice: number, stopLossPrice: number): void {
  ctx.submitOrder({ symbolIndex, side, type: 'bracket', takeProfitPrice, stopLossPrice });
}

function assertPositive(key: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(key, `must be a positive number, got ${value}`);
}
