import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeHttpFailure, parseFakeRoute } from './fake-http';
import type { FakeReply, FakeRoute, FakeRouteMatcher } from './fake-http';

/** A fault queued for the next request (of its route, when it has one). */
type HttpFault = ({ kind: 'fail'; status: number } | { kind: 'delay'; ms: number } | { kind: 'rateLimit'; seconds: number } | { kind: 'drop' }) & {
  readonly route: FakeRouteMatcher | null;
};

/** What the HTTP side needs: the keys a request must carry, the routes that answer it, the clock and the rate limit. */
export interface FakeHttpFrontendOptions {
  readonly credentials: { readonly keyId: string; readonly secretKey: string };
  /** Answers a request (`body` is its raw text); may throw a `FakeHttpFailure`. */
  readonly route: (method: string, url: URL, body: string) => FakeReply;
  /** The server's clock, epoch ms: the rate-limit windows follow it, never the wall clock. */
  readonly now: () => number;
  /** Requests a key may make per minute of `now`, per API (trading, market data). */
  readonly rateLimitPerMinute: number;
  /** Answers `/__admin/...` requests from loopback clients (no keys, not rate limited, not logged). */
  readonly admin: (method: string, path: string, body: string) => FakeReply;
}

/** One key's rate-limit window on one API: when it started (epoch ms of `now`) and the requests counted in it. */
interface RateWindow {
  start: number;
  count: number;
}

const RATE_WINDOW_MS = 60_000;

/**
 * The fake's HTTP side on `node:http`: records each request, checks Alpaca's key headers (401
 * otherwise), applies Alpaca's rate limit (429 past `rateLimitPerMinute`, `X-Ratelimit-*` headers
 * on every authorized answer), applies the queued request faults, calls the routes and writes their answer as
 * JSON. A `FakeHttpFailure` becomes Alpaca's error body; any other error is a 500. WebSocket
 * upgrades are left to whoever listens for them on `server`.
 */
export class FakeHttpFrontend {
  /** The listening server (WebSocket upgrades attach to it). */
  readonly server: Server;
  /** Requests received, as `METHOD path?query`, in order (the same array for the server's life). */
  readonly requests: string[] = [];
  readonly #options: FakeHttpFrontendOptions;
  readonly #faults: HttpFault[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #rateWindows = new Map<string, RateWindow>();

  constructor(options: FakeHttpFrontendOptions) {
    this.#options = options;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          this.#handle(req, res, Buffer.concat(chunks).toString('utf8'));
        } catch {
          write(res, { status: 500, body: { code: 50000000, message: 'internal server error' } });
        }
      });
    });
  }

  /** The next `n` requests (of `route`, default any) answer `status` with an Alpaca error body, without being processed. */
  failNext(n: number, status: number, route?: FakeRoute): void {
    this.#queue(n, { kind: 'fail', status, route: matcher(route) });
  }

  /** The next `n` requests (of `route`, default any) are processed, then answered after `ms`. */
  delayNext(n: number, ms: number, route?: FakeRoute): void {
    this.#queue(n, { kind: 'delay', ms, route: matcher(route) });
  }

  /** The next `n` requests (of `route`, default any) answer 429 with `Retry-After: seconds`, without being processed. */
  rateLimitNext(n: number, seconds: number, route?: FakeRoute): void {
    this.#queue(n, { kind: 'rateLimit', seconds, route: matcher(route) });
  }

  /** The next `n` requests (of `route`, default any) are processed, then their socket is destroyed without an answer. */
  dropResponseAfterProcessing(n: number, route?: FakeRoute): void {
    this.#queue(n, { kind: 'drop', route: matcher(route) });
  }

  /** Forgets the queued request faults. */
  resetFaults(): void {
    this.#faults.length = 0;
  }

  /**
   * Counts one request of `keyId` on `api` in its current window and returns Alpaca's rate-limit
   * headers for the answer (`X-Ratelimit-Limit`, `X-Ratelimit-Remaining`, `X-Ratelimit-Reset` in
   * epoch seconds) and whether the request is over the limit. A window opens at the first request
   * after the last one ended and lasts a minute of the server's clock.
   */
  #countRequest(keyId: string, api: string): { readonly headers: Record<string, string>; readonly limited: boolean } {
    const now = this.#options.now();
    const limit = this.#options.rateLimitPerMinute;
    const id = `${keyId}\u0000${api}`;
    let window = this.#rateWindows.get(id);
    if (window === undefined || now >= window.start + RATE_WINDOW_MS || now < window.start) {
      window = { start: now, count: 0 };
      this.#rateWindows.set(id, window);
    }
    window.count++;
    return {
      headers: {
        'X-Ratelimit-Limit': String(limit),
        'X-Ratelimit-Remaining': String(Math.max(0, limit - window.count)),
        'X-Ratelimit-Reset': String(Math.ceil((window.start + RATE_WINDOW_MS) / 1000)),
      },
      limited: window.count > limit,
    };
  }

  /** Starts listening; resolves with the bound address. */
  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  /** Drops the delayed answers not yet written. */
  clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Stops listening and closes every connection; resolves when the server is closed. */
  close(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  #queue(n: number, fault: HttpFault): void {
    for (let i = 0; i < n; i++) this.#faults.push(fault);
  }

  #handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const { credentials } = this.#options;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake.local');
    if (url.pathname.startsWith('/__admin/')) {
      // Only from this machine: another host is told the endpoint does not exist.
      write(res, isLoopbackAddress(req.socket.remoteAddress) ? this.#options.admin(method, url.pathname, body) : { status: 404, body: { code: 40400000, message: 'endpoint not found' } });
      return;
    }
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    if (req.headers['apca-api-key-id'] !== credentials.keyId || req.headers['apca-api-secret-key'] !== credentials.secretKey) {
      write(res, { status: 401, body: { code: 40110000, message: 'request is not authorized' } });
      return;
    }
    // Alpaca counts trading and market-data requests against separate limits.
    const rate = this.#countRequest(credentials.keyId, url.pathname.startsWith('/v2/stocks/') ? 'data' : 'trading');
    if (rate.limited) {
      write(res, { status: 429, body: { code: 42910000, message: 'rate limit exceeded' } }, rate.headers);
      return;
    }
    // The first queued fault for this request: one without a route, or one whose route matches.
    const index = this.#faults.findIndex((f) => f.route === null || f.route.matches(method, url.pathname));
    const fault = index < 0 ? undefined : this.#faults.splice(index, 1)[0];
    if (fault?.kind === 'fail') {
      write(res, { status: fault.status, body: { code: fault.status * 100_000, message: `injected failure ${fault.status}` } }, rate.headers);
      return;
    }
    if (fault?.kind === 'rateLimit') {
      write(
        res,
        {
          status: 429,
          headers: { 'retry-after': String(fault.seconds) },
          body: { code: 42910000, message: 'rate limit exceeded' },
        },
        rate.headers,
      );
      return;
    }
    let reply: FakeReply;
    try {
      reply = this.#options.route(method, url, body);
    } catch (error) {
      if (!(error instanceof FakeHttpFailure)) throw error;
      reply = { status: error.status, body: error.body() };
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        write(res, reply, rate.headers);
      }, fault.ms);
      this.#timers.add(timer);
      return;
    }
    write(res, reply, rate.headers);
  }
}

/** Whether a peer address is this machine (IPv4 127/8, IPv6 ::1, or IPv4 loopback mapped into IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

function matcher(route: FakeRoute | undefined): FakeRouteMatcher | null {
  return route === undefined ? null : parseFakeRoute(route);
}

/** Writes `reply` as JSON with `extraHeaders` (nothing when the response is already gone). */
function write(res: ServerResponse, reply: FakeReply, extraHeaders: Readonly<Record<string, string>> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const headers: Record<string, string> = { ...extraHeaders, ...(reply.headers ?? {}) };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] = 'application/json; charset=UTF-8';
  res.writeHead(reply.status, headers);
  res.end(text);
}
