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

/** How an order ended, for execution quality (its fills are added separately, as they happen). */
export interface OrderOutcome {
  readonly side: OrderSide;
  readonly qty: number;
  readonly referencePrice: number;
  readonly decidedAt: number;
  readonly acceptedAt: number | null;
  readonly filledQty: number;
  readonly fillCount: number;
  readonly status: OrderStatus;
  readonly markPriceAtEnd: number | null;
}

/**
 * Accumulates execution quality as a session runs: fills as they happen, orders as they end.
 * Keeps running sums and one growable array of per-fill slippage (for the p95), so a long
 * backtest retains no object per order.
 */
export class ExecutionQualityAccumulator {
  #orders = 0;
  #fills = 0;
  #costNumerator = 0;
  #costDenominator = 0;
  #slipWeighted = 0;
  #slipQty = 0;
  #slippages = new Float64Array(256);
  #slipCount = 0;
  #ordered = 0;
  #filled = 0;
  #withFills = 0;
  #partial = 0;
  #rejected = 0;
  #latencySum = 0;
  #latencyCount = 0;

  /** A fill of `qty` at `price` for an order judged against `referencePrice`. */
  addFill(side: OrderSide, referencePrice: number, qty: number, price: number, commission: number): void {
    this.#fills++;
    if (!(referencePrice > 0) || !Number.isFinite(referencePrice)) return;
    const sign = side === 'buy' ? 1 : -1;
    const slip = ((sign * (price - referencePrice)) / referencePrice) * 10_000;
    this.#pushSlippage(slip);
    this.#slipWeighted += slip * qty;
    this.#slipQty += qty;
    this.#costNumerator += sign * (price - referencePrice) * qty + commission;
  }

  /** An order has ended (or the session ended with it open). */
  addOrder(o: OrderOutcome): void {
    this.#orders++;
    const hasReference = o.referencePrice > 0 && Number.isFinite(o.referencePrice);
    if (hasReference) {
      this.#costDenominator += o.referencePrice * o.qty;
      const unfilled = o.qty - o.filledQty;
      if (unfilled > 0 && o.markPriceAtEnd !== null && o.status !== 'canceled') {
        this.#costNumerator += (o.side === 'buy' ? 1 : -1) * (o.markPriceAtEnd - o.referencePrice) * unfilled;
      }
    }
    if (o.status === 'rejected') this.#rejected++;
    if (o.acceptedAt !== null) {
      this.#latencySum += o.acceptedAt - o.decidedAt;
      this.#latencyCount++;
    }
    // Orders the strategy canceled (or a bracket's other leg canceled) were not meant to fill.
    if (o.status !== 'canceled' && o.status !== 'replaced') {
      this.#ordered += o.qty;
      this.#filled += o.filledQty;
    }
    if (o.filledQty > 0) {
      this.#withFills++;
      if (o.fillCount > 1 || o.filledQty < o.qty) this.#partial++;
    }
  }

  /** Adds everything `other` has accumulated (to report a snapshot without disturbing it). */
  merge(other: ExecutionQualityAccumulator): void {
    this.#orders += other.#orders;
    this.#fills += other.#fills;
    this.#costNumerator += other.#costNumerator;
    this.#costDenominator += other.#costDenominator;
    this.#slipWeighted += other.#slipWeighted;
    this.#slipQty += other.#slipQty;
    const needed = this.#slipCount + other.#slipCount;
    if (needed > this.#slippages.length) {
      let size = this.#slippages.length;
      while (size < needed) size *= 2;
      const bigger = new Float64Array(size);
      bigger.set(this.#slippages.subarray(0, this.#slipCount));
      this.#slippages = bigger;
    }
    this.#slippages.set(other.#slippages.subarray(0, other.#slipCount), this.#slipCount);
    this.#slipCount = needed;
    this.#ordered += other.#ordered;
    this.#filled += other.#filled;
    this.#withFills += other.#withFills;
    this.#partial += other.#partial;
    this.#rejected += other.#rejected;
    this.#latencySum += other.#latencySum;
    this.#latencyCount += other.#latencyCount;
  }

  #pushSlippage(bps: number): void {
    if (this.#slipCount === this.#slippages.length) {
      const bigger = new Float64Array(this.#slippages.length * 2);
      bigger.set(this.#slippages);
      this.#slippages = bigger;
    }
    this.#slippages[this.#slipCount++] = bps;
  }

  /** The statistics so far. */
  result(): ExecutionQuality {
    const n = this.#orders;
    const shortfall = this.#costDenominator > 0 ? (this.#costNumerator / this.#costDenominator) * 10_000 : null;
    const fillRate = this.#ordered > 0 ? this.#filled / this.#ordered : null;
    const rejectRate = n > 0 ? this.#rejected / n : null;
    const score =
      fillRate === null || rejectRate === null || shortfall === null
        ? null
        : 100 * fillRate * (1 - rejectRate) * Math.min(1, Math.max(0, 1 - Math.max(0, shortfall) / 100));
    return Object.freeze({
      orders: n,
      fills: this.#fills,
      implementationShortfallBps: shortfall,
      averageSlippageBps: this.#slipQty > 0 ? this.#slipWeighted / this.#slipQty : null,
      p95SlippageBps: this.#slipCount > 0 ? nthInSortedOrder(this.#slippages.slice(0, this.#slipCount), Math.ceil(0.95 * this.#slipCount) - 1) : null,
      fillRate,
      partialFillRatio: this.#withFills > 0 ? this.#partial / this.#withFills : null,
      rejectRate,
      averageLatencyMs: this.#latencyCount > 0 ? this.#latencySum / this.#latencyCount : null,
      qualityScore: score,
    });
  }
}

/**
 * The value at index `n` of `values` sorted as a typed array sorts (ascending, −0 before +0, NaN
 * last), found by selection in linear expected time; `values` is reordered. Falls back to the
 * sort itself for NaN or when the selection degrades.
 */
function nthInSortedOrder(values: Float64Array, n: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let rounds = 0;
  const maxRounds = 4 * Math.ceil(Math.log2(values.length + 1)) + 8;
  while (lo < hi) {
    if (++rounds > maxRounds) return values.sort()[n] as number;
    // Median of three as the pivot.
    const mid = (lo + hi) >>> 1;
    const a = values[lo] as number;
    const b = values[mid] as number;
    const c = values[hi] as number;
    if (a !== a || b !== b || c !== c) return values.sort()[n] as number;
    const pivot = sortsBefore(a, b) ? (sortsBefore(b, c) ? b : sortsBefore(a, c) ? c : a) : sortsBefore(a, c) ? a : sortsBefore(b, c) ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (sortsBefore(values[i] as number, pivot)) i++;
      while (sortsBefore(pivot, values[j] as number)) j--;
      if (i <= j) {
        const x = values[i] as number;
        const y = values[j] as number;
        if (x !== x || y !== y) return values.sort()[n] as number;
        values[i] = y;
        values[j] = x;
        i++;
        j--;
      }
    }
    if (n <= j) hi = j;
    else if (n >= i) lo = i;
    else return values[n] as number;
  }
  const v = values[n] as number;
  return v !== v ? (values.sort()[n] as number) : v;
}

/** The order of a typed array sort for non-NaN numbers: ascending, −0 before +0. */
function sortsBefore(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && 1 / a < 0 && 1 / b > 0);
}

/** Computes execution quality from complete order records (the batch form of the accumulator). */
export function computeExecutionQuality(records: readonly OrderExecutionRecord[]): ExecutionQuality {
  const acc = new ExecutionQualityAccumulator();
  for (const r of records) {
    let filledQty = 0;
    for (const f of r.fills) {
      acc.addFill(r.side, r.referencePrice, f.qty, f.price, f.commission);
      filledQty += f.qty;
    }
    acc.addOrder({
      side: r.side,
      qty: r.qty,
      referencePrice: r.referencePrice,
      decidedAt: r.decidedAt,
      acceptedAt: r.acceptedAt,
      filledQty,
      fillCount: r.fills.length,
      status: r.status,
      markPriceAtEnd: r.markPriceAtEnd,
    });
  }
  return acc.result();
}
