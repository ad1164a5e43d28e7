import { AlpacaApiError, AlpacaNetworkError } from '@quantbot/alpaca';
import { isBrokerUnreachable, withTimeout } from './outage-watchdog';

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
