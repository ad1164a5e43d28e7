export { ConfigError, DataError, LedgerError, LookaheadError, OrderStateError, QuantbotError } from './errors';
export type { DataLocation } from './errors';
export { clientOrderId, epochMs, formatIsoTime, parseTicker, ticker } from './ids';
export { civilFromDays, daysFromCivil, daysInMonth } from './civil-date';
export type { CivilDate } from './civil-date';
export type { Brand, ClientOrderId, EpochMs, Ticker } from './ids';
export { barAt } from './bar';
export {
  BAR_INTERVAL_NAMES,
  REGULAR_SESSION_MINUTES,
  TRADING_DAYS_PER_YEAR,
  detectBarInterval,
  isBarIntervalName,
  isIntradayInterval,
  periodsPerYear,
  resolveBarInterval,
} from './bar-interval';
export type { BarIntervalDetection, BarIntervalName } from './bar-interval';
export type { Bar, BarSeries, BarUniverse } from './bar';
export { roundQtyToLot, usEquity } from './instrument';
export type { Instrument } from './instrument';
export { ORDER_TRANSITIONS, isTerminalOrderStatus, orderEventKindBetween, orderStatusLeadsTo } from './order';
export type { Fill, OrderEventKind, OrderRequest, OrderSide, OrderStatus, OrderType, ReversalRule, TimeInForce } from './order';
export { Order } from './order-aggregate';
export type { OrderAccepted, OrderEnded, OrderEvent, OrderFilled, OrderInitialized, OrderUpdated } from './order-aggregate';
export type { DecisionEvent, OrderEventRecord, OrderEventRecordKind } from './run-journal';
export { orderEventRecordJson } from './run-journal';
export { PortfolioLedger } from './portfolio-ledger';
export type { LedgerSnapshot, Position } from './portfolio-ledger';
export { SeededRng } from './rng';
export type { Clock } from './ports/clock';
export type { BarRequest, MarketData } from './ports/market-data';
export type { Broker, BrokerEventSink, OrderChanges, OrderUpdate } from './ports/broker';
export type { JsonValue, Store } from './ports/store';
export { ALERT_SEVERITIES } from './ports/notifier';
export type { AlertSeverity, Notification, Notifier } from './ports/notifier';
export type { AuditEntry, AuditSink } from './ports/audit-sink';
export { canonicalJson, finiteOrNull } from './json';
export { JsonBytes } from './json-bytes';
export type { CanonicalJsonOptions } from './json';
export { VenueUnavailableError } from './ports/live-venue';
export type { BarStep, LiveBroker, LiveVenue, VenueAccount, VenueBar, VenueClock, VenueMoneyMode, VenueOrder, VenuePosition, VenueSnapshot } from './ports/live-venue';
