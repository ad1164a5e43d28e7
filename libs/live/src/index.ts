// @quantbot/live: the live driver, its state and the Alpaca venue. A separate entry point
// backtest (and every sweep worker) installs and loads neither a broker client nor a database.
export * from './live-state';
export * from './live-state-schema';
export { EMPTY_AUDIT_ANCHOR, chainLiveAudit, checkLiveCheckpointIntegrity, hashLiveCheckpoint, verifyLiveAuditChain } from './live-state-integrity';
export type {
  ChainedLiveAudit,
  CheckpointHashInput,
  CheckpointIntegrity,
  LiveAuditAnchor,
  LiveAuditProblem,
  LiveAuditProblemKind,
  LiveAuditVerification,
  StoredCheckpointAnchor,
  StoredLiveAuditLink,
} from './live-state-integrity';
export { decideLiveStart } from './live-start';
export type { LiveStartDecision } from './live-start';
export * from './kysely-live-state-store';
export * from './memory-live-state-store';
export * from './live-bar-buffer';
export * from './live-checkpoint';
export * from './live-session';
export * from './live-runner';
export * from './simulated-live-broker';
export * from './reconcile';
export * from './alpaca-venue';
export { BrokerHealth, describeChannelsDown, isMarketOpenAt } from './broker-health';
export type { BrokerChannel, BrokerOutage, ChannelDown, MarketClockReading } from './broker-health';
