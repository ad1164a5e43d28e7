import { ConfigError } from '@quantbot/core';

export const ALPACA_PAPER_URL = 'https://paper-api.alpaca.markets';
export const ALPACA_LIVE_URL = 'https://api.alpaca.markets';

/** Accepted environment variable names, in order of preference: [key id, secret key]. */
export const ALPACA_CREDENTIAL_ENV_NAMES: readonly (readonly [string, string])[] = [
  ['ALPACA_API_KEY', 'ALPACA_SECRET_KEY'],
  ['APCA_API_KEY_ID', 'APCA_API_SECRET_KEY'],
  ['API_KEY', 'API_SECRET'],
];

export interface AlpacaCredentials {
  readonly keyId: string;
  readonly secretKey: string;
  /** Trading API root, without a trailing slash. */
  readonly baseUrl: string;
  readonly mode: 'paper' | 'live' | 'custom';
}

export interface ResolveCredentialsOptions {
  /** Trade with real money at api.alpaca.markets. Must be explicit; the default is paper. */
  readonly live?: boolean;
  /** A different root URL (the local fake server, a proxy). Wins over `live`. */
  readonly baseUrl?: string;
}

export type EnvLike = Readonly<Record<string, string | undefined>>;

/**
 * Reads the Alpaca key pair from `env`. Call it when the credentials are first needed (the
 * client does so on its first request), never at import. No message ever contains a value.
 */
export function resolveAlpacaCredentials(
  env: EnvLike,
  options: ResolveCredentialsOptions = {},
): AlpacaCredentials {
  let pair: { keyId: string; secretKey: string } | undefined;
  for (const [keyName, secretName] of ALPACA_CREDENTIAL_ENV_NAMES) {
    const keyId = env[keyName]?.trim();
    const secretKey = env[secretName]?.trim();
    if (keyId && secretKey) {
      pair = { keyId, secretKey };
      break;
    }
  }
  if (pair === undefined) {
    const names = ALPACA_CREDENTIAL_ENV_NAMES.map(([k, s]) => `${k}/${s}`).join(', ');
    throw new ConfigError(
      'alpaca credentials',
      `no Alpaca API key pair found in the environment; set one of ${names}`,
    );
  }
  let baseUrl: string;
  let mode: AlpacaCredentials['mode'];
  if (options.baseUrl !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new ConfigError('alpaca baseUrl', 'not a valid URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError('alpaca baseUrl', `unsupported protocol ${parsed.protocol}`);
    }
    baseUrl = options.baseUrl.replace(/\/+$/, '');
    mode = 'custom';
  } else if (options.live === true) {
    baseUrl = ALPACA_LIVE_URL;
    mode = 'live';
  } else {
    baseUrl = ALPACA_PAPER_URL;
    mode = 'paper';
  }
  const credentials: AlpacaCredentials = { keyId: pair.keyId, secretKey: '', baseUrl, mode };
  // The secret is non-enumerable so that logging or JSON-serialising the object does not leak it.
  Object.defineProperty(credentials, 'secretKey', { value: pair.secretKey, enumerable: false });
  return credentials;
}
