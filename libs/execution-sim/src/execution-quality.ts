import type { OrderSide, OrderStatus } from '@quantbot/core';

/** One fill of an order, as execution quality sees it. */
export interface ExecutionFill {
  readonly qty: number;
  readonly price: number;
  readonly commission: number;
  readonly time: number;
}

/**
 * The life of one order, for execution-quality statistics. `referencePrice` is the benchmark
 * the fills are judged against: the decision (arrival) price for an order a strategy decided,
 * the trigger price (stop or limit) for a bracket leg.
 */
export interface OrderExecutionRecord {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  /** Quantity ordered, in shares. */
  readonly qty: number;
  readonly referencePrice: number;
  readonly decidedAt: number;
  /** When the order arrived at the broker (accepted); null if it never did. */
  readonly acceptedAt: number | null;
  readonly fills: readonly ExecutionFill[];
  readonly status: OrderStatus;
  /** Last close of the symbol when the order ended unfilled or partly filled (opportunity cost). */
  readonly markPriceAtEnd: number | null;
  readonly isBracketLeg: boolean;
}

/**
 * Execution quality of a run. Costs are in basis points of the reference notional and positive
 * when they hurt (a buy filled above its reference, a sell below). Rates are fractions.
 */
export interface ExecutionQuality {
  readonly orders: number;
  readonly fills: number;
  /**
   * (Σ side·(fill − reference)·qty + Σ commissions + Σ side·(end mark − reference)·unfilled)
   * / Σ reference·ordered qty × 10⁴, over orders with a reference price.
   */
  readonly implementationShortfallBps: number | null;
  /** Quantity-weighted mean over fills of side·(fill − reference)/reference × 10⁴. */
  readonly averageSlippageBps: number | null;
  /** 95th percentile (nearest rank) of per-fill slippage, bps. */
  readonly p95SlippageBps: number | null;
  /** Filled / ordered quantity, over orders that were not canceled by the strategy itself. */
  readonly fillRate: number | null;
  /** Share of orders with any fill that needed more than one fill or ended partly filled. */
  readonly partialFillRatio: number | null;
  /** Rejected orders / orders. */
  readonly rejectRate: number | null;
  /** Mean time from decision to arrival at the broker, in clock units (ms). */
  readonly averageLatencyMs: number | null;
  /**
   * 100 × fillRate × (1 − rejectRate) × clamp(1 − max(0, shortfall bps) / 100, 0, 1):
   * 100 for free, complete, unrejected execution; 0 at 100 bps of shortfall or no fills.
   */
  readonly qualityScore: number | null;
}

/** Computes execution quality from order records. Orders canceled by the strategy count as unfilled only up to what they filled. */
export function computeExecutionQuality(records: readonly OrderExecutionRecord[]): ExecutionQuality {
  let fills = 0;
  let costNumerator = 0;
  let costDenominator = 0;
  let slipWeighted = 0;
  let slipQty = 0;
  const perFillSlippage: number[] = [];
  let ordered = 0;
  let filled = 0;
  let withFills = 0;
  let partial = 0;
  let rejected = 0;
  let latencySum = 0;
  let latencyCount = 0;

  for (const r of records) {
    const side = r.side === 'buy' ? 1 : -1;
    const hasReference = r.referencePrice > 0 && Number.isFinite(r.referencePrice);
    let filledQty = 0;
    for (const f of r.fills) {
      fills++;
      filledQty += f.qty;
      if (hasReference) {
        const slip = (side * (f.price - r.referencePrice)) / r.referencePrice * 10_000;
        perFillSlippage.push(slip);
        slipWeighted += slip * f.qty;
        slipQty += f.qty;
        costNumerator += side * (f.price - r.referencePrice) * f.qty + f.commission;
      }
    }
    if (hasReference) {
      costDenominator += r.referencePrice * r.qty;
      const unfilled = r.qty - filledQty;
      if (unfilled > 0 && r.markPriceAtEnd !== null && r.status !== 'canceled') {
        costNumerator += side * (r.markPriceAtEnd - r.referencePrice) * unfilled;
      }
    }
    if (r.status === 'rejected') rejected++;
    if (r.acceptedAt !== null) {
      latencySum += r.acceptedAt - r.decidedAt;
      latencyCount++;
    }
    // Orders the strategy canceled (or that a bracket's other leg canceled) were not meant to fill.
    if (r.status !== 'canceled' && r.status !== 'replaced') {
      ordered += r.qty;
      filled += filledQty;
    }
    if (filledQty > 0) {
      withFills++;
      if (r.fills.length > 1 || filledQty < r.qty) partial++;
    }
  }

  perFillSlippage.sort((a, b) => a - b);
  const n = records.length;
  const shortfall = costDenominator > 0 ? (costNumerator / costDenominator) * 10_000 : null;
  const fillRate = ordered > 0 ? filled / ordered : null;
  const rejectRate = n > 0 ? rejected / n : null;
  const score =
    fillRate === null || rejectRate === null || shortfall === null
      ? null
      : 100 * fillRate * (1 - rejectRate) * Math.min(1, Math.max(0, 1 - Math.max(0, shortfall) / 100));
  return Object.freeze({
    orders: n,
    fills,
    implementationShortfallBps: shortfall,
    averageSlippageBps: slipQty > 0 ? slipWeighted / slipQty : null,
    p95SlippageBps: perFillSlippage.length > 0 ? (perFillSlippage[Math.ceil(0.95 * perFillSlippage.length) - 1] as number) : null,
    fillRate,
    partialFillRatio: withFills > 0 ? partial / withFills : null,
    rejectRate,
    averageLatencyMs: latencyCount > 0 ? latencySum / latencyCount : null,
    qualityScore: score,
  });
}
