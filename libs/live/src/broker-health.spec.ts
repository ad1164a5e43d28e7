import { BrokerHealth, describeChannelsDown, isMarketOpenAt } from './broker-health';
import type { MarketClockReading } from './broker-health';

const T0 = Date.UTC(2024, 2, 5, 15, 0);
const S = 1_000;

describe('BrokerHealth', () => {
  it('is healthy until a channel goes down, and says when the broker went down and came back', () => {
    const health = new BrokerHealth({ maxOutageMs: 60 * S });
    expect(health.set('trade-stream', true, T0, 'subscribed')).toBeNull();
    expect(health.unhealthySince).toBeUndefined();
    expect(health.set('trade-stream', false, T0 + S, 'reconnecting: socket closed')).toBe('down');
    expect(health.set('bar-stream', false, T0 + 2 * S, 'reconnecting: socket closed')).toBeNull();
    expect(health.set('trade-stream', false, T0 + 3 * S, 'connecting')).toBeNull();
    expect(health.unhealthySince).toBe(T0 + S);
    expect(health.downChannels()).toEqual([
      { channel: 'trade-stream', since: T0 + S, detail: 'connecting' },
      { channel: 'bar-stream', since: T0 + 2 * S, detail: 'reconnecting: socket closed' },
    ]);
    expect(health.set('trade-stream', true, T0 + 4 * S, 'resubscribed')).toBeNull();
    expect(health.set('bar-stream', true, T0 + 5 * S, 'resubscribed')).toBe('up');
    expect(health.unhealthySince).toBeUndefined();
    expect(health.check(T0 + 500 * S, true)).toBeNull();
  });

  it('reports an outage once unhealthy for maxOutageMs of market hours in a row', () => {
    const health = new BrokerHealth({ maxOutageMs: 60 * S });
    expect(health.check(T0, true)).toBeNull();
    health.set('rest', false, T0 + S, 'GET /v2/clock: connect ECONNREFUSED');
    expect(health.check(T0 + 60 * S, true)).toBeNull();
    expect(health.check(T0 + 61 * S, true)).toEqual({ since: T0 + S, countedMs: 60 * S, channels: [{ channel: 'rest', since: T0 + S, detail: 'GET /v2/clock: connect ECONNREFUSED' }] });
  });

  it('does not count time while the market is closed, and restarts the count at the open', () => {
    const health = new BrokerHealth({ maxOutageMs: 60 * S });
    health.set('bar-stream', false, T0, 'reconnecting');
    expect(health.check(T0 + 30 * S, false)).toBeNull();
    expect(health.check(T0 + 600 * S, false)).toBeNull();
    expect(health.check(T0 + 601 * S, true)).toBeNull();
    expect(health.check(T0 + 660 * S, true)).toBeNull();
    expect(health.check(T0 + 661 * S, true)?.countedMs).toBe(60 * S);
  });

  it('refuses a limit that is not positive, naming the option', () => {
    expect(() => new BrokerHealth({ maxOutageMs: 0 })).toThrow(/maxOutageMs: must be a positive number of ms/);
  });

  it('describes the channels that are down', () => {
    expect(describeChannelsDown([{ channel: 'trade-stream', since: T0, detail: 'reconnecting' }])).toBe('trade-stream down since 2024-03-05T15:00:00.000Z (reconnecting)');
  });
});

describe('isMarketOpenAt', () => {
  // Read at wall time T0 when the broker's clock said 14:00 New York-equivalent UTC, market open until 21:00.
  const open: MarketClockReading = { readAt: T0, timestamp: Date.UTC(2024, 2, 5, 15, 0), isOpen: true, nextClose: Date.UTC(2024, 2, 5, 21, 0), nextOpen: Date.UTC(2024, 2, 6, 14, 30) };

  it('is open until the next close, closed until the next open, then open (fail closed)', () => {
    expect(isMarketOpenAt(open, T0)).toBe(true);
    expect(isMarketOpenAt(open, Date.UTC(2024, 2, 5, 20, 59))).toBe(true);
    expect(isMarketOpenAt(open, Date.UTC(2024, 2, 5, 21, 0))).toBe(false);
    expect(isMarketOpenAt(open, Date.UTC(2024, 2, 6, 14, 29))).toBe(false);
    expect(isMarketOpenAt(open, Date.UTC(2024, 2, 6, 14, 30))).toBe(true);
  });

  it("follows the broker's clock, not the trader's, when the two differ", () => {
    // The broker says it is 2024 while the trader's wall clock says 2026 (a replaying fake).
    const skewed: MarketClockReading = { ...open, readAt: Date.UTC(2026, 0, 2, 12, 0) };
    expect(isMarketOpenAt(skewed, Date.UTC(2026, 0, 2, 12, 30))).toBe(true);
    expect(isMarketOpenAt(skewed, Date.UTC(2026, 0, 2, 18, 0))).toBe(false);
  });

  it('is closed before the next open when the reading was taken while closed', () => {
    const closed: MarketClockReading = { ...open, isOpen: false, nextOpen: Date.UTC(2024, 2, 5, 16, 0) };
    expect(isMarketOpenAt(closed, T0)).toBe(false);
    expect(isMarketOpenAt(closed, T0 + 3_600_000)).toBe(true);
  });
});
