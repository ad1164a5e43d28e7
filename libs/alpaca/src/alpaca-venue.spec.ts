import { AlpacaApiError, AlpacaNetworkError } from './alpaca-errors';
import { SeededRng } from '@quantbot/core';
import { AlpacaClient } from './alpaca-client';
import { AlpacaVenue, isAlpacaUnreachable } from './alpaca-venue';
import { AlpacaMarketDataClient } from './market-data-client';

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

describe('AlpacaVenue.moneyMode', () => {
  const venueAt = (trading: string, streamCredentials: string, dataStreamUrl?: string): AlpacaVenue => {
    const credentials = { keyId: 'K', secretKey: 'S', baseUrl: trading, mode: 'custom' as const };
    return new AlpacaVenue({
      client: new AlpacaClient({ credentials, now: () => 0, rng: new SeededRng(1) }),
      marketData: new AlpacaMarketDataClient({ credentials: { keyId: 'K', secretKey: 'S' }, now: () => 0, rng: new SeededRng(1) }),
      credentials: { ...credentials, baseUrl: streamCredentials },
      ...(dataStreamUrl !== undefined ? { dataStreamUrl } : {}),
      align: () => {
        throw new Error('not aligned in this test');
      },
      latencyClock: () => 0,
      rng: new SeededRng(1),
    });
  };

  it('is derived from every URL the venue talks to: live if any is neither Alpaca paper nor loopback', () => {
    expect(venueAt('https://paper-api.alpaca.markets', 'https://paper-api.alpaca.markets').moneyMode).toBe('paper');
    expect(venueAt('http://127.0.0.1:1', 'http://127.0.0.1:1', 'ws://127.0.0.1:1').moneyMode).toBe('local');
    expect(venueAt('https://api.alpaca.markets', 'https://paper-api.alpaca.markets').moneyMode).toBe('live');
    // The trade stream's credentials point elsewhere than the client: still live.
    expect(venueAt('http://127.0.0.1:1', 'https://api.alpaca.markets', 'ws://127.0.0.1:1').moneyMode).toBe('live');
    expect(venueAt('http://127.0.0.1:1', 'http://127.0.0.1:1', 'wss://stream.example.com').moneyMode).toBe('live');
  });
});
