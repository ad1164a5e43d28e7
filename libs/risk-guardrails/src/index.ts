export type { GatewayDecision, PortfolioView, RejectCode, TradingState } from './risk-types';
export {
  RISK_LIMIT_KEYS,
  ORDER_RATE_WINDOW_MS,
  validateRiskLimits,
  resolveRiskLimits,
  riskLimitsToJson,
  orderReferencePrice,
  signedOrderQty,
  isReducingOrder,
  checkRiskLimits,
} from './risk-limits';
export type { RiskLimits, RiskLimitsJson } from './risk-limits';
export { KillSwitch, KillSwitchError, KILL_SWITCH_TRANSITIONS, TRADING_STATES, nextKillSwitchState, parseKillSwitchSettings, validateKillSwitchConfig } from './kill-switch';
export type { KillSwitchConfig, KillSwitchEvent, KillSwitchLevel, KillSwitchSnapshot, KillSwitchSource, KillSwitchTransition } from './kill-switch';
export { OrderGateway } from './order-gateway';
export type { OrderGatewayOptions, OrderGatewaySnapshot } from './order-gateway';
export type { GatewayStatistics } from './gateway-statistics';
export { MemoryAuditSink } from './memory-audit-sink';
export {
  AUDIT_GENESIS_HASH,
  AUDIT_REDACTED,
  AUDIT_SECRET_KEY_PATTERN,
  JsonlAuditSink,
  hashAuditRecord,
  parseAuditRecordLine,
  redactAuditDetail,
} from './jsonl-audit-sink';
export type { AuditHead, AuditLineCheck, AuditRecord, JsonlAuditSinkOptions } from './jsonl-audit-sink';
export { verifyAuditLines, verifyAuditLog, verifyAuditLogAgainstHead } from './audit-verifier';
export type { AnchoredAuditVerification, AuditProblem, AuditProblemKind, AuditVerification } from './audit-verifier';
export {
  DEFAULT_KELLY_CAP,
  DEFAULT_KELLY_SCALE,
  SIZING_RULE_KINDS,
  TRADING_DAYS_PER_YEAR,
  atrRiskShares,
  cappedKellyFraction,
  describeSizingRule,
  fixedShares,
  kellyShares,
  percentOfEquityShares,
  sizeFor,
  sizeOrder,
  validateSizingRule,
  volatilityTargetShares,
} from './position-sizing';
export type { AtrRiskInput, KellyInput, KellySharesInput, PercentOfEquityInput, SizingInput, SizingRule, VolatilityTargetInput } from './position-sizing';
export { DEFAULT_GAP_THRESHOLD_PCT, computeGapStatistics, gapAdjustedExposure, gapRiskBySymbol } from './gap-risk';
export type { GapQuantiles, GapStatistics, GapStatisticsOptions } from './gap-risk';
export { KillFileWatcher, clearKillFile, isKillFilePresent, killFileRequest, readKillFile, writeKillFile } from './kill-file';
export { RearmRequestWatcher, readRearmRequest, rearmRequest, rearmRequestPath, writeRearmRequest } from './rearm-request';
export type { RearmOutcome, RearmRequest, Rearmable } from './rearm-request';
export type { KillFileRequest, Triggerable } from './kill-file';
