/**
 * The records a run leaves in `results/runs/<run_id>/`. Times are ISO 8601 strings (UTC);
 * `seq` orders records of the same time (it is global across a run's decisions, orders and
 * fills, so replay can interleave them exactly as they happened).
 */

// The journal records (decisions and order steps) are defined in core, where the engine that
// writes them can reach them; they are part of this library's API as before.
export type { DecisionEvent, OrderEventRecord, OrderEventRecordKind } from '@quantbot/core';

/** One closed round trip. */
export interface TradeRecord {
  readonly symbol: string;
  readonly side: string;
  readonly qty: number;
  readonly entryTime: string;
  readonly entryPrice: number;
  readonly exitTime: string;
  readonly exitPrice: number;
  readonly pnl: number;
  readonly commission: number;
  readonly netPnl: number;
  readonly barsHeld: number;
}

/** Equity at each step's close (`equity.csv` has the columns `time,equity`). */
export interface EquityCurve {
  /** Epoch ms of each step. */
  readonly time: ArrayLike<number>;
  readonly equity: ArrayLike<number>;
}
