import { ConfigError } from '@quantbot/core';
import { classifyDataEndpoint, classifyTradingEndpoint, isLoopbackHost, sessionEndpointMode } from './endpoint-mode';

describe('classifyTradingEndpoint: the endpoint decides the mode, not a flag', () => {
  it.each([
    ['https://paper-api.alpaca.markets', 'paper'],
    ['https://PAPER-API.alpaca.markets/', 'paper'],
    ['wss://paper-api.alpaca.markets/stream', 'paper'],
    ['https://api.alpaca.markets', 'live'],
    ['https://api.alpaca.markets/v2', 'live'],
    ['https://broker-api.alpaca.markets', 'live'],
    ['https://paper-api.alpaca.markets.example.com', 'live'],
    ['https://my-proxy.example.com', 'live'],
    ['http://10.0.0.5:8787', 'live'],
    ['http://192.168.1.20', 'live'],
    ['http://[fe80::1]:8787', 'live'],
    ['http://127.0.0.1:8787', 'local'],
    ['http://127.9.8.7', 'local'],
    ['http://127.1:8787', 'local'],
    ['http://0x7f.0.0.1', 'local'],
    ['http://localhost:8787', 'local'],
    ['http://fake.localhost', 'live'],
    ['http://[::1]:8787', 'local'],
    ['ws://127.0.0.1:8787/stream', 'local'],
    // A fully qualified `localhost.` may be resolved through DNS: not trusted as loopback.
    ['http://localhost.:8787', 'live'],
  ] as const)('%s is %s', (url, mode) => {
    expect(classifyTradingEndpoint(url)).toBe(mode);
  });

  it('refuses what is not an http(s) or ws(s) URL, naming the field', () => {
    expect(() => classifyTradingEndpoint('api.alpaca.markets', 'alpacaUrl')).toThrow(ConfigError);
    expect(() => classifyTradingEndpoint('api.alpaca.markets', 'alpacaUrl')).toThrow(/alpacaUrl: 'api.alpaca.markets' is not a valid URL/);
    expect(() => classifyTradingEndpoint('ftp://127.0.0.1', 'alpacaUrl')).toThrow(/unsupported protocol ftp:/);
  });

  it.each(['http://127.0.0.1@api.alpaca.markets', 'http://paper-api.alpaca.markets@api.alpaca.markets', 'http://api.alpaca.markets@127.0.0.1:8787', 'https://KEY:SECRET-VALUE@proxy.example.com'])(
    'refuses %s (a user name or password in the URL), without echoing it',
    (url) => {
      expect(() => classifyTradingEndpoint(url, 'alpacaUrl')).toThrow('alpacaUrl: a URL with a user name or password is refused; give credentials through the environment');
      expect(() => classifyDataEndpoint(url, 'alpacaUrl')).toThrow(ConfigError);
    },
  );
});

describe('classifyDataEndpoint', () => {
  it("treats Alpaca's data hosts as paper (they take no orders), loopback as local, anything else as live", () => {
    expect(classifyDataEndpoint('https://data.alpaca.markets')).toBe('paper');
    expect(classifyDataEndpoint('wss://stream.data.alpaca.markets')).toBe('paper');
    expect(classifyDataEndpoint('http://127.0.0.1:9')).toBe('local');
    expect(classifyDataEndpoint('https://api.alpaca.markets')).toBe('live');
    expect(classifyDataEndpoint('https://quotes.example.com')).toBe('live');
  });
});

describe('sessionEndpointMode', () => {
  it('is live when any endpoint is live, paper when any is paper, else local', () => {
    expect(sessionEndpointMode(['paper', 'paper'])).toBe('paper');
    expect(sessionEndpointMode(['paper', 'live'])).toBe('live');
    expect(sessionEndpointMode(['local', 'live'])).toBe('live');
    expect(sessionEndpointMode(['local', 'paper'])).toBe('paper');
    expect(sessionEndpointMode(['local', 'local'])).toBe('local');
  });
});

describe('isLoopbackHost', () => {
  it('knows 127.0.0.0/8, ::1 and localhost, and nothing else', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.255.255.254')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.example.com')).toBe(false);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
    expect(isLoopbackHost('localhost.')).toBe(false);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });
});
