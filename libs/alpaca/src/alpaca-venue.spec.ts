import { AlpacaApiError, AlpacaNetworkError } from './alpaca-errors';
import { isAlpacaUnreachable } from './alpaca-venue';

describe('isAlpacaUnreachable', () => {
  it('is true for no answer and for server errors, also when wrapped, and false otherwise', () => {
    const refused = new AlpacaNetworkError('GET', '/v2/orders/x', 'connection', 'ECONNREFUSED', undefined);
    expect(isAlpacaUnreachable(refused)).toBe(true);
    expect(isAlpacaUnreachable(new Error('step failed', { cause: refused }))).toBe(true);
    expect(isAlpacaUnreachable(new AlpacaApiError('GET', '/v2/orders', 503, null, 'unavailable'))).toBe(true);
    expect(isAlpacaUnreachable(new AlpacaApiError('POST', '/v2/orders', 422, 40010001, 'qty must be > 0'))).toBe(false);
    expect(isAlpacaUnreachable(new Error('a bug'))).toBe(false);
    expect(isAlpacaUnreachable('text')).toBe(false);
  });
});
