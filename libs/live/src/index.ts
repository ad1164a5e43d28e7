// @quantbot/live: the live driver, its state and the broker venue. Its own package, so that a
// backtest (and every sweep worker) installs and loads neither a broker client nor a database.
export { LIVE_TIME_RANGE_MS, LiveStateError, MAX_LIVE_JSON_DEPTH, MAX_SESSION_ID_LENGTH, checkLiveOperatorAction, checkLiveSave, checkLiveSessionId, checkLiveSetAside } from './live-state';
export type { ListedCheckpoint, LiveAuditRecord, LiveFillRecord, LiveJournalWindow, LiveOperatorAction, LiveOrderRecord, LiveRefusal, LiveRefusalRequest, LiveSaveBatch, LiveStateErrorCode, LiveStateOperation, LiveStateStore, SetAsideCheckpoint, StoredCheckpoint } from './live-state';
export { LIVE_STATE_MIGRATIONS } from './live-state-schema';
export type { LiveAuditTable, LiveCheckpointsTable, LiveFillsTable, LiveOrdersTable, LiveSessionsTable, LiveStateTables } from './live-state-schema';
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
export { KyselyLiveStateStore, openLiveStateStore } from './kysely-live-state-store';
export type { LiveSessionLock, LiveStateStoreHandle, OpenLiveStateStoreOptions } from './kysely-live-state-store';
export { MemoryLiveStateStore } from './memory-live-state-store';
export { LiveBarBuffer, LiveBarError, LiveCapacityError } from './live-bar-buffer';
export type { RecentBars } from './live-bar-buffer';
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CheckpointError, parseLiveCheckpoint } from './live-checkpoint';
export type { CheckpointOrder, LiveCheckpoint, LiveCheckpointV1, LiveCheckpointV2 } from './live-checkpoint';
export { shadowBarsFromUniverse, shadowDayFromStore, simulateShadowDay } from './shadow-ledger';
export type { ShadowBar, ShadowDay, ShadowDayInput, ShadowDayOptions, ShadowSkippedOrder, ShadowWindow } from './shadow-ledger';
export { LiveSession } from './live-session';
export type { LatencyStats, LiveBrokerContext, LiveSessionOptions, LiveStepReport } from './live-session';
export { LiveRunner } from './live-runner';
export type { LiveRunnerOptions } from './live-runner';
export { SimulatedLiveBroker } from './simulated-live-broker';
export { reconcile } from './reconcile';
export type { BrokerAccountView, BrokerOrderView, Divergence, OrphanPolicy, ReconciliationPlan } from './reconcile';
export { StepAggregator, connectVenue } from './venue-connection';
export type { VenueConnection, VenueConnectionOptions } from './venue-connection';
export { BrokerHealth, describeChannelsDown, isMarketOpenAt } from './broker-health';
export type { BrokerChannel, BrokerOutage, ChannelDown, MarketClockReading } from './broker-health';
export { OperatorControls } from './operator-controls';
export { SLEEVE_ACTIONS, SleeveRequestError, SleeveRequestWatcher, pendingSleeveRequests, readSleeveRequest, sleeveRequest, sleeveRequestPath, writeSleeveRequest } from './sleeve-request';
export type { SleeveAction, SleeveRequest, SleeveRequestOutcome } from './sleeve-request';
export { BrokerTimeoutError, OutageWatchdog, withTimeout } from './outage-watchdog';
export { containNotify } from './live-notice';
export type { ContainedNotify, LiveNotice, LiveNotify } from './live-notice';
export { driveLiveSession, sleepUntilOpen } from './drive-session';
export type { DriveOptions, DriveOutcome, LiveRunSummary, LiveSleeveSummary, PeriodicCheck, StopRequests } from './drive-session';
export { tradeOnReplay, tradeOnVenue } from './live-trading';
export type { LiveTradingOptions, ReplayTradingOptions, VenueTradingOptions } from './live-trading';
export { LIVE_MAX_HALT_LEVEL_PCT, LiveAuthorization, LiveAuthorizationError, authorizeLiveTrading, checkLiveSafeguards, findPromotedSnapshot, requireLiveAuthorization } from './live-authorization';
export type { AuthorizeLiveOptions, LiveAuthorizationErrorCode, SessionStrategyFile } from './live-authorization';
export { checkHeldData } from './data-quality-halt';
export type { DataQualityHaltOptions } from './data-quality-halt';
export { DEFAULT_ACK_SLA_MS, INCIDENT_ID_PATTERN, IncidentError, incidentPriority, raiseSeverity } from './incident';
export type {
  Incident,
  IncidentAlert,
  IncidentAlertOutcome,
  IncidentErrorCode,
  IncidentEscalationRecord,
  IncidentFilter,
  IncidentPriority,
  IncidentStatus,
  IncidentStore,
  IncidentTimelineEntry,
} from './incident';
export { INCIDENT_MIGRATIONS } from './incident-schema';
export type { IncidentTables, LiveIncidentDaysTable, LiveIncidentTimelineTable, LiveIncidentsTable } from './incident-schema';
export { KyselyIncidentStore } from './kysely-incident-store';
export { IncidentDesk } from './incident-desk';
export type { IncidentDeskOptions, IncidentEscalation, IncidentResolution } from './incident-desk';
export { KILL_SWITCH_AUDIT_KINDS, ROOT_CAUSE_FOLLOW_UP, buildIncidentReport, describeTimelineEntry, formatIncidentReport, formatIncidentTicket, writeIncidentReport } from './incident-report';
export type { IncidentFollowUp, IncidentHalt, IncidentImpact, IncidentReport, IncidentReportFiles, IncidentSessionFacts } from './incident-report';
export { SessionOperations } from './session-operations';
export type { OperationsEvent, SessionOperationsOptions } from './session-operations';
export { isSessionCloseBar, newYorkDay, readTradingDayJournal, tradingDayJournalDigest } from './trading-day-journal';
export type { TradingDayJournal } from './trading-day-journal';
export { LIVE_BAR_TOLERANCE_MS, TRADING_DAY_START_AUDIT_KIND, TradingDayNotLiveError, TradingDayRecorder } from './trading-day-recorder';
export type { TradingDayOutcome, TradingDayRecorderOptions } from './trading-day-recorder';
