/**
 * The fee model: what a fill costs. Every simulated venue (the simulator under any execution
 * profile, the next-open fill model) charges through these two functions, so there is one fee
 * formula in Quantbot.
 */

/** A fee schedule: basis points of notional, plus per share, with a minimum per order. An `ExecutionProfile` is one. */
export interface FeeSchedule {
  /** Basis points of each fill's notional. */
  readonly feeBps: number;
  /** Currency per share. */
  readonly feePerShare: number;
  /** Minimum fee per order, in currency (0: none). */
  readonly feeMinimum: number;
}

/** A schedule of `feeBps` basis points of notional only (no per-share fee, no minimum). */
export function bpsFeeSchedule(feeBps: number): FeeSchedule {
  return Object.freeze({ feeBps, feePerShare: 0, feeMinimum: 0 });
}

/**
 * Fees of a fill before any minimum: per share plus basis points of notional, written
 * `qty × rate × price` (the operations, in the order, of established event-driven backtesters,
 * so results agree with them to the last bit).
 */
export function rawFee(schedule: FeeSchedule, qty: number, price: number): number {
  const bps = qty * (schedule.feeBps / 10_000) * price;
  return schedule.feePerShare === 0 ? bps : qty * schedule.feePerShare + bps;
}

/**
 * What a fill pays when the order's raw fees so far (this fill included) are `rawTotal` and
 * earlier fills paid `chargedSoFar`: the minimum per order is topped up on the fill that reaches
 * it, and no fill pays a negative amount.
 */
export function feeDue(schedule: FeeSchedule, rawTotal: number, chargedSoFar: number): number {
  return Math.max(0, Math.max(rawTotal, schedule.feeMinimum) - chargedSoFar);
}
