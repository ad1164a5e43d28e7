/** Which stream a fault targets: `trading` (`/stream`) or `market-data` (`/v2/{feed}`). */
export type FakeStreamKind = 'trading' | 'market-data';

/** Every `FakeStreamKind`, for validating a fault's target. */
export const FAKE_STREAM_KINDS: readonly FakeStreamKind[] = Object.freeze(['trading', 'market-data']);
