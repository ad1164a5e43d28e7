import type { PromotionStage } from './registry-records';

/**
 * A trading day as the live trader records it (source `trader`): the evidence of one session
 * day of paper (or live) trading, tied to the session and to the digest of the session's journal
 * for that day, so it can be traced and re-checked. The promotion gates count only days recorded
 * this way; days typed in with `record-paper` are `manual` and never counted by a strict gate.
 *
 * Money is in the account currency; times are ISO 8601 text (UTC); rates are fractions.
 */
export interface TradingDayInput {
  /** The exchange session date, `YYYY-MM-DD` (New York). */
  readonly date: string;
  /** The live-trader session that traded it. */
  readonly sessionId: string;
  /** Hex SHA-256 of the session's journal for the day (orders, fills, audit entries): see `@quantbot/live`'s `journalDigest`. */
  readonly journalDigest: string;
  /** Paper or live. */
  readonly stage: PromotionStage;
  /** Live days: the capital-ramp stage (0-based index) it was traded at; paper days: null. */
  readonly capitalStage: number | null;
  /** False for a partial day (the trader stopped before the close). */
  readonly complete: boolean;
  /** Equity at the day's first step (before it traded) and at its last step. */
  readonly startEquity: number;
  readonly equity: number;
  /** `equity − startEquity`. */
  readonly dailyPnl: number;
  /** Drawdown from the session's equity peak at the day's last step, percent (≥ 0). */
  readonly drawdownPct: number;
  /** Largest Σ |position value| at any step of the day. */
  readonly maxGrossExposure: number;
  readonly execution: TradingDayExecution;
  /** The kill switch's moves during the day, oldest first. */
  readonly killSwitch: readonly TradingDayKillSwitchEvent[];
  /** Incidents opened during the day. */
  readonly incidents: readonly TradingDayIncident[];
  /** How the day's executions drifted from the simulator's shadow fills; null when the day had no orders. */
  readonly drift: TradingDayDrift | null;
  /** Every order of the day beside its shadow fill, kept whole as evidence. */
  readonly shadowOrders: readonly ShadowOrderPair[];
}

/** Execution statistics of the day's orders (see `@quantbot/execution-sim`'s `ExecutionQuality`). */
export interface TradingDayExecution {
  /** Orders sent to the venue that day. */
  readonly orders: number;
  readonly fills: number;
  /** Orders refused (by the gateway or by the broker). */
  readonly rejects: number;
  readonly qualityScore: number | null;
  readonly implementationShortfallBps: number | null;
  readonly averageSlippageBps: number | null;
  readonly fillRate: number | null;
  readonly averageLatencyMs: number | null;
}

/**
 * Drift of the day's real executions from the simulator's (the shadow ledger): each gap is
 * actual minus shadow, so a positive slippage gap means paper or live filled worse than the
 * backtest assumes.
 */
export interface TradingDayDrift {
  /** (actual trading P&L − shadow trading P&L) / start equity: a fraction (0.001 = 0.1 %). */
  readonly returnGap: number;
  /** Actual minus shadow quantity-weighted slippage against the decision price, bps; null when either side has no fill. */
  readonly slippageGapBps: number | null;
  /** Actual minus shadow fill rate; null without orders. */
  readonly fillRateGap: number | null;
  /** Mean of (actual first fill time − shadow fill time) over orders filled on both sides, ms; null when none. */
  readonly timingGapMs: number | null;
  /** Orders compared. */
  readonly ordersCompared: number;
  /** The day's P&L from its orders marked at the day's last close, actual and shadow (account currency). */
  readonly actualTradingPnl: number;
  readonly shadowTradingPnl: number;
}

/** One move of the kill switch. */
export interface TradingDayKillSwitchEvent {
  readonly time: string;
  /** The state moved to (`armed`, `halted`, `flattening`, …). */
  readonly state: string;
  readonly reason: string | null;
}

/** An incident opened during the day. */
export interface TradingDayIncident {
  readonly id: string;
  /** `P1` … `P4`. */
  readonly priority: string;
  readonly title: string;
}

/** How one side (actual or shadow) filled an order. */
export interface ShadowFillSide {
  readonly filledQty: number;
  /** Quantity-weighted average fill price; null when nothing filled. */
  readonly averagePrice: number | null;
  /** When it (first) filled; null when nothing filled. */
  readonly filledAt: string | null;
  readonly commission: number;
}

/**
 * One order of the day beside the simulator's fill of the same decision on the same bars, with the
 * actual shortfall attributed: decision price → arrival price (delay) → fill (spread, impact) and
 * fees. Basis points of the decision notional, positive when they cost.
 */
export interface ShadowOrderPair {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  readonly decisionPrice: number;
  readonly decidedAt: string;
  readonly actual: ShadowFillSide;
  readonly shadow: ShadowFillSide;
  /** Null when the order did not fill. */
  readonly attribution: ShortfallAttribution | null;
}

/** Implementation shortfall of one filled order, by cause, in bps of decision price × filled quantity. */
export interface ShortfallAttribution {
  /** The open of the first bar after the decision (what the order could have had on arrival). */
  readonly arrivalPrice: number;
  /** side · (arrival − decision) / decision. */
  readonly delayBps: number;
  /** The modelled half spread of the execution profile (capped by the arrival-to-fill cost when that is smaller). */
  readonly spreadBps: number;
  /** side · (fill − arrival) / decision − spread. */
  readonly impactBps: number;
  /** commission / (decision × filled quantity). */
  readonly feesBps: number;
  /** delay + spread + impact + fees. */
  readonly totalBps: number;
}
