// @quantbot/engine/live: the live driver, its state and the Alpaca venue. A separate entry point
// so that a backtest (and every sweep worker) loads neither the Alpaca client nor the database.
export * from './live-state';
export * from './live-state-schema';
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
