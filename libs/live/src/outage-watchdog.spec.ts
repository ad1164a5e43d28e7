import type { LiveNotice } from './live-notice';
import { BrokerTimeoutError, OutageWatchdog, withTimeout } from './outage-watchdog';

/** Polls `predicate` every few milliseconds; throws naming `what` when it is still false after `ms`. */
async function until(predicate: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('withTimeout', () => {
  it('settles like the promise, or rejects naming what did not answer', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'x')).resolves.toBe(7);
    await expect(withTimeout(new Promise(() => undefined), 20, 'the market clock')).rejects.toThrow(BrokerTimeoutError);
    await expect(withTimeout(new Promise(() => undefined), 20, 'the market clock')).rejects.toThrow('the market clock: no answer within 20 ms');
  });
});

describe('OutageWatchdog', () => {
  const T0 = Date.UTC(2024, 2, 5, 15, 0);
  const openClock = { timestamp: T0, isOpen: true, nextOpen: T0 + 86_400_000, nextClose: T0 + 6 * 3_600_000 };
  let said: LiveNotice[] = [];
  const notify = (notice: LiveNotice): number => said.push(notice);
  let watchdog: OutageWatchdog | undefined;
  afterEach(() => {
    watchdog?.stop();
    said = [];
  });
  const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  it('asks the broker for its clock again once the last reading is five minutes old, while healthy', async () => {
    let now = T0;
    const getClock = jest.fn(async () => ({ ...openClock, timestamp: now }));
    watchdog = new OutageWatchdog({ probeClock: getClock, maxOutageMs: 200, now: () => now, notify });
    watchdog.clock(openClock);
    watchdog.start(() => undefined);
    await settle(150);
    expect(getClock).not.toHaveBeenCalled();
    now += 300_000;
    await until(() => getClock.mock.calls.length > 0, 'a clock probe', 5_000);
    await until(() => said.length === 2, 'the probe\'s reading', 5_000);
    // Healthy: nothing but the two readings of the broker's clock (the operations side rests the data SLOs on them).
    expect(said).toEqual([
      { kind: 'market-clock', clock: { readAt: T0, ...openClock } },
      { kind: 'market-clock', clock: { readAt: T0 + 300_000, ...openClock, timestamp: T0 + 300_000 } },
    ]);
  });

  it('says when the broker goes down, probes REST, and calls onOutage once past the limit in market hours', async () => {
    let now = T0;
    const getClock = jest.fn(async () => Promise.reject(new Error('connect ECONNREFUSED')));
    const outages: number[] = [];
    watchdog = new OutageWatchdog({ probeClock: getClock, maxOutageMs: 200, now: () => now, notify });
    watchdog.clock(openClock);
    expect(said).toEqual([{ kind: 'market-clock', clock: { readAt: T0, ...openClock } }]);
    said = [];
    watchdog.start((outage) => outages.push(outage.countedMs));
    watchdog.streamState('trade-stream', 'connecting', 'connection 1');
    expect(said).toEqual([]);
    watchdog.streamState('trade-stream', 'reconnecting', 'connection failed');
    expect(said[0]).toEqual({ kind: 'broker-unhealthy', channel: 'trade-stream', detail: 'reconnecting: connection failed', since: T0, maxOutageMs: 200 });
    await until(() => (watchdog?.describeDown() ?? '').includes('rest down since'), 'the REST probe to fail', 5_000);
    expect(watchdog.describeDown()).toMatch(/rest down since .*the market clock: connect ECONNREFUSED/);
    expect(outages).toEqual([]);
    now += 250;
    await until(() => outages.length > 0, 'the outage', 5_000);
    now += 1_000;
    await settle(150);
    expect(outages).toHaveLength(1);
  });

  it('does not count an outage after the close', async () => {
    let now = T0;
    watchdog = new OutageWatchdog({ probeClock: async () => Promise.reject(new Error('down')), maxOutageMs: 200, now: () => now, notify });
    watchdog.clock(openClock); // read at T0: open until T0 + 6 h
    now = T0 + 7 * 3_600_000;
    const outages: number[] = [];
    watchdog.start((outage) => outages.push(outage.countedMs));
    watchdog.streamState('bar-stream', 'reconnecting', 'connection failed');
    now += 1_000;
    await settle(200);
    expect(outages).toEqual([]);
    expect(watchdog.describeDown()).toMatch(/bar-stream down since/);
  });
});
