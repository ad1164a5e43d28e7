import type { KillSwitchTransition } from './kill-switch';
import type { RiskLimitsJson } from './risk-limits';
import type { TradingState } from './risk-types';

/**
 * What the order gateway has done so far, as plain JSON data (no Infinity or NaN: those are
 * `null`). Times are in ms; drawdowns in percent of the day's high-water mark of equity.
 */
export interface GatewayStatistics {
  readonly state: TradingState;
  /** Orders accepted. */
  readonly accepted: number;
  /** Orders rejected, whatever the reason. */
  readonly rejected: number;
  /** Rejections by `RejectCode`; codes never seen are absent. */
  readonly rejectedByCode: Readonly<Record<string, number>>;
  /** Time spent in each trading state, measured between the times passed to the gateway. */
  readonly timeInStateMs: Readonly<Record<TradingState, number>>;
  /** Largest intraday drawdown seen, percent; null when no kill-switch level is set (not measured). */
  readonly maxIntradayDrawdownPct: number | null;
  /** Drawdown at the last observation, percent; null when not measured. */
  readonly currentDrawdownPct: number | null;
  /** Every change of trading state, oldest first (escalations, `flattened`, re-arms). */
  readonly transitions: readonly KillSwitchTransition[];
  /** The limits in force. */
  readonly limits: RiskLimitsJson;
}
