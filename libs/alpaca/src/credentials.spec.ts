import { ConfigError, SeededRng } from '@quantbot/core';
import { AlpacaClient } from './alpaca-client';
import { ALPACA_LIVE_URL, ALPACA_PAPER_URL, resolveAlpacaCredentials } from './credentials';

const SECRET = 'sk-very-secret-value-123';
const KEY = 'PKTESTKEYID0001';

describe('resolveAlpacaCredentials', () => {
  it('reads ALPACA_API_KEY / ALPACA_SECRET_KEY, paper by default', () => {
    const c = resolveAlpacaCredentials({ ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET });
    expect(c).toMatchObject({ keyId: KEY, secretKey: SECRET, baseUrl: ALPACA_PAPER_URL, mode: 'paper' });
  });

  it('accepts the APCA_* and API_KEY/API_SECRET aliases', () => {
    expect(resolveAlpacaCredentials({ APCA_API_KEY_ID: KEY, APCA_API_SECRET_KEY: SECRET }).keyId).toBe(KEY);
    expect(resolveAlpacaCredentials({ API_KEY: KEY, API_SECRET: SECRET }).secretKey).toBe(SECRET);
  });

  it('prefers the ALPACA_* pair when several are set', () => {
    const c = resolveAlpacaCredentials({ API_KEY: 'other', API_SECRET: 'other', ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET });
    expect(c.keyId).toBe(KEY);
  });

  it('is live only when asked explicitly, and takes an override URL', () => {
    const env = { ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET };
    expect(resolveAlpacaCredentials(env, { live: false }).baseUrl).toBe(ALPACA_PAPER_URL);
    expect(resolveAlpacaCredentials(env, { live: true })).toMatchObject({ baseUrl: ALPACA_LIVE_URL, mode: 'live' });
    expect(resolveAlpacaCredentials(env, { baseUrl: 'http://127.0.0.1:9999/' })).toMatchObject({
      baseUrl: 'http://127.0.0.1:9999',
      mode: 'custom',
    });
    expect(() => resolveAlpacaCredentials(env, { baseUrl: 'not a url' })).toThrow(ConfigError);
    expect(() => resolveAlpacaCredentials(env, { baseUrl: 'ftp://x' })).toThrow(/unsupported protocol/);
  });

  it('throws one ConfigError listing every accepted name and no value', () => {
    const env = { ALPACA_API_KEY: KEY, APCA_API_SECRET_KEY: SECRET, API_SECRET: SECRET };
    let error: unknown;
    try {
      resolveAlpacaCredentials(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['ALPACA_API_KEY', 'ALPACA_SECRET_KEY', 'APCA_API_KEY_ID', 'APCA_API_SECRET_KEY', 'API_KEY', 'API_SECRET']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain(KEY);
    expect(message).not.toContain(SECRET);
  });

  it('keeps the secret out of JSON and enumeration', () => {
    const c = resolveAlpacaCredentials({ ALPACA_API_KEY: KEY, ALPACA_SECRET_KEY: SECRET });
    expect(JSON.stringify(c)).not.toContain(SECRET);
    expect(Object.keys(c)).not.toContain('secretKey');
  });
});

describe('AlpacaClient credential loading', () => {
  it('reads the environment lazily, on the first request', async () => {
    const client = new AlpacaClient({ env: {}, now: () => 0, rng: new SeededRng(1) });
    await expect(client.getAccount()).rejects.toThrow(ConfigError);
    await client.close();
  });
});
