import { ConfigError } from '@quantbot/core';
import { ALPACA_PAPER_URL } from './credentials';

/**
 * What talking to an endpoint can do to money, decided from its URL alone:
 * - `paper`: Alpaca's paper trading host; no real money;
 * - `local`: a loopback address (`localhost`, 127.0.0.0/8, `::1`): the local fake;
 * - `live`: Alpaca's live host **or any other host**: a proxy, a tunnel or a typo could reach real
 *   money, so everything that is neither paper nor loopback is treated as live.
 */
export type AlpacaEndpointMode = 'paper' | 'live' | 'local';

/** Hosts that serve Alpaca's market data to paper and live accounts alike (no orders go there). */
const ALPACA_DATA_HOSTS: readonly string[] = ['data.alpaca.markets', 'stream.data.alpaca.markets', 'data.sandbox.alpaca.markets', 'stream.data.sandbox.alpaca.markets'];
const PAPER_HOST = new URL(ALPACA_PAPER_URL).hostname;

/**
 * Classifies the trading endpoint at `url` (REST root or trade-updates stream), by its parsed
 * host only: no DNS lookup, no connection. Throws `ConfigError` (field `field`) for a URL that
 * does not parse or is not http(s)/ws(s).
 *
 * @example
 * classifyTradingEndpoint('https://paper-api.alpaca.markets'); // 'paper'
 * classifyTradingEndpoint('https://api.alpaca.markets');       // 'live'
 * classifyTradingEndpoint('https://my-proxy.example.com');     // 'live': not paper, not loopback
 * classifyTradingEndpoint('http://127.0.0.1:8787');            // 'local'
 */
export function classifyTradingEndpoint(url: string, field = 'url'): AlpacaEndpointMode {
  const host = parseEndpointHost(url, field);
  if (isLoopbackHost(host)) return 'local';
  if (host === PAPER_HOST) return 'paper';
  return 'live';
}

/**
 * Classifies a market-data endpoint (REST or stream). Alpaca's data hosts serve paper and live
 * accounts alike and take no orders, so they are `paper` here (as is the paper trading host) (they never make a session live);
 * loopback is `local`; any other host is `live`, as for trading: a session that talks to an
 * unknown host gets every live safeguard.
 */
export function classifyDataEndpoint(url: string, field = 'url'): AlpacaEndpointMode {
  const host = parseEndpointHost(url, field);
  if (isLoopbackHost(host)) return 'local';
  if (ALPACA_DATA_HOSTS.includes(host) || host === PAPER_HOST) return 'paper';
  return 'live';
}

/**
 * The mode of a session that talks to all of `modes`: `live` if any endpoint is live, else `paper`
 * if any is paper, else `local`. A local fake for orders with Alpaca's data is `paper`.
 */
export function sessionEndpointMode(modes: readonly AlpacaEndpointMode[]): AlpacaEndpointMode {
  if (modes.includes('live')) return 'live';
  if (modes.includes('paper')) return 'paper';
  return 'local';
}

/**
 * True for `localhost`, any 127.0.0.0/8 address and `::1`. Other names (`localhost.`, `fake.localhost`, a name
 * in a hosts file) are not trusted to resolve to loopback: they go through DNS.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  // Only the plain name: `localhost.` is a fully qualified name that the resolver may send to DNS.
  if (h === 'localhost') return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  // IPv4-mapped IPv6 loopback, as the URL parser writes it (::ffff:7f00:1).
  if (/^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(h)) return true;
  const octets = h.split('.');
  return octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255) && octets[0] === '127';
}

function parseEndpointHost(url: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(field, `'${url}' is not a valid URL`);
  }
  // A user name or password in the URL would be sent to the host and printed with it: refused,
  // and the URL is not echoed (it may hold a secret).
  if (parsed.username !== '' || parsed.password !== '') throw new ConfigError(field, 'a URL with a user name or password is refused; give credentials through the environment');
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) throw new ConfigError(field, `unsupported protocol ${parsed.protocol} in '${url}'`);
  // The URL parser has already normalised the host: lower case, IPv4 shorthand (127.1, 0x7f.1)
  // expanded to dotted quads, IPv6 compressed.
  return parsed.hostname;
}
