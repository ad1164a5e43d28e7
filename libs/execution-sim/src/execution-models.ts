import type { BarUniverse, OrderRequest, SeededRng } from '@quantbot/core';
import type { ExecutionProfile, IntrabarPath } from './execution-profile';
import type { FeeSchedule } from './fee-model';
import { feeDue, rawFee } from './fee-model';
import type { SlippageParameters } from './fill-pricing';
import { adverseCostBps, slipPrice } from './fill-pricing';

/**
 * The cost models of the matching engine. `SimulatedBroker` owns the order book, the order
 * lifecycle, triggers, brackets and buying power; what a fill costs and when and how much can
 * fill are asked of these models. The defaults ({@link executionModelsFor}) are built from an
 * `ExecutionProfile` and are the simulator's behaviour under that profile, to the last bit.
 *
 * Bars are addressed as in a `BarUniverse`: symbol index `s`, step `step` (the flat index of the
 * bar is `s * u.length + step`). A model must be deterministic: randomness comes from the `rng`
 * the broker passes (seeded by its `seed`), never from `Math.random()`.
 */

/** What a fill pays in fees. */
export interface FeeModel {
  /** Fees of one fill of `qty` shares at `price` before any per-order minimum. */
  rawFee(qty: number, price: number): number;
  /**
   * What a fill pays when the order's raw fees so far (this fill included) are `rawTotal` and
   * earlier fills of the order paid `chargedSoFar` (≥ 0).
   */
  feeDue(rawTotal: number, chargedSoFar: number): number;
}

/** Where a taking fill (market, triggered stop) prints, given the price before slippage. */
export interface SlippageModel {
  /**
   * The fill price of taking `qty` shares of symbol `s` on bar `step` at `price` (the open, or a
   * stop price reached inside the bar), moved against the order. Returning `price` unchanged
   * means no slippage; any other price is clamped by the broker to the bar's high–low range.
   */
  fillPrice(price: number, isBuy: boolean, qty: number, u: BarUniverse, s: number, step: number): number;
}

/** When an order reaches the broker. */
export interface LatencyModel {
  /**
   * The time (epoch ms) at which `order`, decided at `order.decidedAt`, arrives at the broker;
   * not before `order.decidedAt`. An order fills only on a bar that starts after its decision
   * and at or after its arrival.
   */
  arrivalTime(order: OrderRequest): number;
}

/** How much of a bar an order can have, and the fill rules daily bars leave open. */
export interface FillModel {
  /**
   * Shares of symbol `s` all orders together may take on bar `step` (`Infinity`: no cap).
   * Orders are served first come first served; what does not fit keeps working.
   */
  barCapacity(u: BarUniverse, s: number, step: number): number;
  /**
   * Where a limit order fills on a bar, or `NaN` when it does not: for a buy, the open when it
   * is at or below the limit, else the limit when the bar reaches it. Sells mirror.
   */
  limitFillPrice(isBuy: boolean, limit: number, open: number, high: number, low: number): number;
  /**
   * When one bar reaches both legs of a bracket: whether the stop-loss (a sell stop for a long,
   * `stopLegIsBuy` false) was reached before the take-profit.
   */
  isStopFirst(u: BarUniverse, s: number, step: number, stopLegIsBuy: boolean): boolean;
  /** Whether an order is rejected on arrival for lack of liquidity; draw from `rng` for randomness. */
  rejectsOnArrival(order: OrderRequest, rng: SeededRng): boolean;
}

/** The four models the matching engine prices and fills orders with. */
export interface ExecutionModels {
  readonly fees: FeeModel;
  readonly slippage: SlippageModel;
  readonly latency: LatencyModel;
  readonly fill: FillModel;
}

/**
 * Fees from a {@link FeeSchedule}: per share plus basis points of notional, with a minimum per
 * order topped up on the fill that reaches it (`rawFee` and `feeDue`, the one fee formula).
 */
export class FeeScheduleModel implements FeeModel {
  readonly schedule: FeeSchedule;

  constructor(schedule: FeeSchedule) {
    this.schedule = Object.freeze({ feeBps: schedule.feeBps, feePerShare: schedule.feePerShare, feeMinimum: schedule.feeMinimum });
  }

  rawFee(qty: number, price: number): number {
    return rawFee(this.schedule, qty, price);
  }

  feeDue(rawTotal: number, chargedSoFar: number): number {
    return feeDue(this.schedule, rawTotal, chargedSoFar);
  }
}

/**
 * Fixed slippage + half-spread + square-root impact, in basis points of price
 * (`adverseCostBps`): `slippageBps + halfSpreadBps + impactK · σ · √(qty / ADV) · 10⁴`, σ and
 * ADV over the `lookbackBars` bars before the fill; the moved price is clamped to the bar's range
 * (`slipPrice`).
 */
export class SquareRootImpactSlippageModel implements SlippageModel {
  readonly parameters: SlippageParameters;

  constructor(parameters: SlippageParameters) {
    this.parameters = Object.freeze({
      slippageBps: parameters.slippageBps,
      halfSpreadBps: parameters.halfSpreadBps,
      impactK: parameters.impactK,
      lookbackBars: parameters.lookbackBars,
    });
  }

  fillPrice(price: number, isBuy: boolean, qty: number, u: BarUniverse, s: number, step: number): number {
    const costBps = adverseCostBps(this.parameters, u, s, step, qty);
    if (costBps === 0) return price;
    const at = s * u.length + step;
    return slipPrice(price, isBuy, costBps, u.low[at] as number, u.high[at] as number);
  }
}

/** The same delay for every order: arrival = decision + `latencyMs`. */
export class FixedLatencyModel implements LatencyModel {
  readonly latencyMs: number;

  constructor(latencyMs: number) {
    this.latencyMs = latencyMs;
  }

  arrivalTime(order: OrderRequest): number {
    return order.decidedAt + this.latencyMs;
  }
}

/** The fill rules a profile sets: `maxParticipation`, `limitFill`, `intrabarPath`, `rejectProbability`. */
export type FillParameters = Pick<ExecutionProfile, 'maxParticipation' | 'limitFill' | 'intrabarPath' | 'rejectProbability'>;

/**
 * The profile's fill rules: at most `floor(maxParticipation × volume)` shares per bar and symbol
 * (bars with volume 0 are not capped); a limit fills when the bar reaches it (`touch`) or trades
 * beyond it (`through`); bracket conflicts resolve by `intrabarPath`; an arriving order is
 * rejected with probability `rejectProbability`, drawn from the broker's seeded generator.
 */
export class ProfileFillModel implements FillModel {
  readonly parameters: FillParameters;
  readonly #cap: number;
  readonly #through: boolean;
  readonly #path: IntrabarPath;
  readonly #rejectProbability: number;

  constructor(parameters: FillParameters) {
    this.parameters = Object.freeze({
      maxParticipation: parameters.maxParticipation,
      limitFill: parameters.limitFill,
      intrabarPath: parameters.intrabarPath,
      rejectProbability: parameters.rejectProbability,
    });
    this.#cap = parameters.maxParticipation;
    this.#through = parameters.limitFill === 'through';
    this.#path = parameters.intrabarPath;
    this.#rejectProbability = parameters.rejectProbability;
  }

  barCapacity(u: BarUniverse, s: number, step: number): number {
    const volume = u.volume[s * u.length + step] as number;
    // A bar without volume (0) carries no liquidity information: no cap is applied to it.
    return Number.isFinite(this.#cap) && volume > 0 ? Math.floor(this.#cap * volume) : Number.POSITIVE_INFINITY;
  }

  limitFillPrice(isBuy: boolean, limit: number, open: number, high: number, low: number): number {
    if (isBuy) {
      if (open <= limit) return open;
      return (this.#through ? low < limit : low <= limit) ? limit : NaN;
    }
    if (open >= limit) return open;
    return (this.#through ? high > limit : high >= limit) ? limit : NaN;
  }

  isStopFirst(u: BarUniverse, s: number, step: number, stopLegIsBuy: boolean): boolean {
    const path = this.#path;
    if (path === 'stop-first') return true;
    if (path === 'target-first') return false;
    // open → low → high → close on an up bar; open → high → low → close on a down bar.
    const at = s * u.length + step;
    const lowFirst = (u.close[at] as number) >= (u.open[at] as number);
    // A long's stop-loss is a sell stop below: reached at the low.
    return stopLegIsBuy ? !lowFirst : lowFirst;
  }

  rejectsOnArrival(_order: OrderRequest, rng: SeededRng): boolean {
    const p = this.#rejectProbability;
    return p > 0 && rng.nextFloat() < p;
  }
}

/**
 * The models of a profile, with any of them replaced by `overrides`: the simulator's behaviour
 * under `profile` when nothing is replaced.
 *
 * @example
 * const models = executionModelsFor(EXECUTION_PROFILES.realistic, { slippage: myModel });
 */
export function executionModelsFor(profile: ExecutionProfile, overrides: Partial<ExecutionModels> = {}): ExecutionModels {
  return Object.freeze({
    fees: overrides.fees ?? new FeeScheduleModel(profile),
    slippage: overrides.slippage ?? new SquareRootImpactSlippageModel(profile),
    latency: overrides.latency ?? new FixedLatencyModel(profile.latencyMs),
    fill: overrides.fill ?? new ProfileFillModel(profile),
  });
}
