// @quantbot/live: the live driver, its state and the broker venue. Its own package, so that a
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
export { decideLiveStart, hasSessionHistory } from './live-start';
export type { LiveStartDecision } from './live-start';
export * from './kysely-live-state-store';
export * from './memory-live-state-store';
export * from './live-bar-buffer';
export * from './live-checkpoint';
export * from './live-session';
export * from './live-runner';
export * from './simulated-live-broker';
export * from './reconcile';
export { StepAggregator, connectVenue } from './venue-connection';
export type { VenueConnection, VenueConnectionOptions } from './venue-connection';
export { BrokerHealth, describeChannelsDown, isMarketOpenAt } from './broker-health';
export type { BrokerChannel, BrokerOutage, ChannelDown, MarketClockReading } from './broker-health';
export { OperatorControls } from './operator-controls';
export { BrokerTimeoutError, OutageWatchdog, withTimeout } from './outage-watchdog';
export type { LiveNotice, LiveNotify } from './live-notice';
export { driveLiveSession, sleepUntilOpen } from './drive-session';
export type { DriveOptions, DriveOutcome, LiveRunSummary, PeriodicCheck, StopRequests } from './drive-session';
export { tradeOnReplay, tradeOnVenue } from './live-trading';
export type { LiveTradingOptions, ReplayTradingOptions, VenueTradingOptions } from './live-trading';
export { LiveAuthorization, LiveAuthorizationError, authorizeLiveTrading, checkLiveSafeguards } from './live-authorization';
export type { AuthorizeLiveOptions, LiveAuthorizationErrorCode } from './live-authorization';
