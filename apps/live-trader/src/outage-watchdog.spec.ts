import { AlpacaApiError, AlpacaNetworkError } from '@quantbot/alpaca';
import type { AlpacaClient } from '@quantbot/alpaca';
import { createLogger } from '@quantbot/observability';
import { OutageWatchdog, isBrokerUnreachable, withTimeout } from './outage-watchdog';
import { until } from './wait.spec-helper';

describe('isBrokerUnreachable', () => {
  it('is true for no answer and for server errors, also when wrapped, and false otherwise', () => {
    const refused = new AlpacaNetworkError('GET', '/v2/orders/x', 'connection', 'ECONNREFUSED', undefined);
    expect(isBrokerUnreachable(refused)).toBe(true);
    expect(isBrokerUnreachable(new Error('step failed', { cause: refused }))).toBe(true);
    expect(isBrokerUnreachable(new AlpacaApiError('GET', '/v2/orders', 503, null, 'unavailable'))).toBe(true);
    expect(isBrokerUnreachable(new AlpacaApiError('POST', '/v2/orders', 422, 40010001, 'qty must be > 0'))).toBe(false);
    expect(isBrokerUnreachable(new Error('a bug'))).toBe(false);
    expect(isBrokerUnreachable('text')).toBe(false);
  });
});

describe('withTimeout', () => {
  it('settles like the promise, or rejects naming what did not answer', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'x')).resolves.toBe(7);
    await expect(withTimeout(new Promise(() => undefined), 20, 'GET /v2/clock')).rejects.toThrow('GET /v2/clock: no answer within 20 ms');
  });
});

describe('OutageWatchdog', () => {
  const T0 = Date.UTC(2024, 2, 5, 15, 0);
  const openClock = { timestamp: T0, isOpen: true, nextOpen: T0 + 86_400_000, nextClose: T0 + 6 * 3_600_000 };
  const io = { cwd: '.', out: () => undefined, err: (t: string) => said.push(t) };
  const logger = createLogger({ console: false });
  let said: string[] = [];
  let watchdog: OutageWatchdog | undefined;
  afterEach(() => {
    watchdog?.stop();
    said = [];
  });
  const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  it('asks the broker for its clock again once the last reading is five minutes old, while healthy', async () => {
    let now = T0;
    const getClock = jest.fn(async () => ({ ...openClock, timestamp: now }));
    watchdog = new OutageWatchdog({ client: { getClock } as unknown as AlpacaClient, maxOutageMs: 200, now: () => now, io, logger });
    watchdog.clock(openClock);
    watchdog.start(() => undefined);
    await settle(150);
    expect(getClock).not.toHaveBeenCalled();
    now += 300_000;
    await until(() => getClock.mock.calls.length > 0, 'a clock probe', 5_000);
    expect(said).toEqual([]);
  });

  it('says when the broker goes down, probes REST, and calls onOutage once past the limit in market hours', async () => {
    let now = T0;
    const getClock = jest.fn(async () => Promise.reject(new Error('connect ECONNREFUSED')));
    const outages: number[] = [];
    watchdog = new OutageWatchdog({ client: { getClock } as unknown as AlpacaClient, maxOutageMs: 200, now: () => now, io, logger });
    watchdog.clock(openClock);
    watchdog.start((outage) => outages.push(outage.countedMs));
    watchdog.streamState('trade-stream', 'connecting', 'connection 1');
    expect(said).toEqual([]);
    watchdog.streamState('trade-stream', 'reconnecting', 'connection failed');
    expect(said[0]).toMatch(/^broker: unhealthy since .*: trade-stream reconnecting: connection failed/);
    await until(() => (watchdog?.describeDown() ?? '').includes('rest down since'), 'the REST probe to fail', 5_000);
    expect(watchdog.describeDown()).toMatch(/rest down since .*GET \/v2\/clock: connect ECONNREFUSED/);
    expect(outages).toEqual([]);
    now += 250;
    await until(() => outages.length > 0, 'the outage', 5_000);
    now += 1_000;
    await settle(150);
    expect(outages).toHaveLength(1);
  });

  it('does not count an outage after the close', async () => {
    let now = T0;
    watchdog = new OutageWatchdog({ client: { getClock: async () => Promise.reject(new Error('down')) } as unknown as AlpacaClient, maxOutageMs: 200, now: () => now, io, logger });
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
