// @quantbot/alpaca/fake: a local fake of Alpaca's Trading and Market Data APIs for tests and
// offline paper trading. A second entry point on purpose: nothing here ships in the main entry.

// The fake Trading API server (REST and WebSocket streams, fault injection).
export { ALPACA_RATE_LIMIT_PER_MINUTE, startFakeAlpacaServer } from './fake-alpaca-server';
export type { FakeAlpacaFaults, FakeAlpacaServer, FakeAlpacaServerOptions, FakeAlpacaState, FakeBar } from './fake-alpaca-server';
export { FAKE_FILL_MODES } from './fake-order-engine';
export type { FakeFillMode, FakeOrderLatency } from './fake-order-engine';
export { clockWire } from './fake-market-clock';
export { FAKE_FAULT_NAMES, applyFakeFault } from './fake-admin';
export type { FakeFaultRequest } from './fake-admin';
export { FAKE_STREAM_KINDS } from './fake-stream-kind';
export type { FakeBarDelivery, FakeKeepAliveFrame } from './fake-bar-delivery';
export type { FakeStreamKind } from './fake-stream-kind';
export type { FakeRoute } from './fake-http';

// The fake Market Data API (bars over REST), alone or on the trading server.
export { FakeBarStore, routeMarketData } from './fake-market-data';
export type { FakeBarImportOptions, FakeBarInput } from './fake-market-data';
export { startFakeMarketDataServer } from './fake-market-data-server';
export type { FakeMarketDataServer, FakeMarketDataServerOptions } from './fake-market-data-server';
export type { FakeReply } from './fake-http';

// Replaying a bar universe into the fake, with its market clock.
export { FakeMarketReplay, FakeReplayError } from './fake-market-replay';
export type { FakeMarketReplayOptions, FakeReplayRunOptions, FakeReplayScheduler, FakeReplayStep, FakeReplayTarget } from './fake-market-replay';
export { SEEDED_MINUTE_DAY_OPEN, seededMinuteDay } from './seeded-minute-day';
