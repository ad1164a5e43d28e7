import { Pool } from 'undici';
import type { QuantbotError, SeededRng } from '@quantbot/core';
import { AlpacaApiError, AlpacaNetworkError } from './alpaca-errors';
import { AlpacaProtocolError } from './alpaca-types';

/** Response headers as Node reports them (lower-case names); declared here so the published types need no Node typings. */
export type HttpHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The key pair sent with every request. */
export interface AlpacaKeyPair {
  readonly keyId: string;
  readonly secretKey: string;
}

/** The HTTP methods Alpaca's REST APIs use. */
export type AlpacaHttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One answer as received: any status, the headers and the body text. */
export interface AlpacaHttpResponse {
  readonly status: number;
  readonly headers: HttpHeaders;
  readonly text: string;
}

/** How requests are sent, timed out and retried (the conventions of `AlpacaClientOptions`). */
/** How requests are timed out and retried; shared by every Alpaca REST client. */
export interface AlpacaRetryOptions {
  /** Wall clock in epoch ms (for `Retry-After` dates and `X-RateLimit-Reset`). */
  readonly now: () => number;
  /** Jitter source for retry backoff. */
  readonly rng: SeededRng;
  /** Headers and body timeout of every request, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  readonly maxRetries?: number;
  /** First backoff step, ms (doubled per attempt, half of it jittered). Default 200. */
  readonly backoffBaseMs?: number;
  /** Largest backoff step, ms. Default 5 000. */
  readonly backoffMaxMs?: number;
  /** Longest server-requested wait honoured (longer ones are capped). Default 60 000. */
  readonly maxRetryWaitMs?: number;
  /** Injected for tests; default a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AlpacaHttpTransportOptions extends AlpacaRetryOptions {
  /** Root URL, read on the first request (it may come from the credentials). */
  readonly baseUrl: () => string;
  /** Called once, on the first request. */
  readonly credentials: () => AlpacaKeyPair;
}

const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Methods that may be repeated blindly: sending them twice does no more than once. */
const SAFE_TO_REPEAT: ReadonlySet<AlpacaHttpMethod> = new Set(['GET', 'DELETE']);

/**
 * Requests to an Alpaca REST API (trading or market data) over an undici Pool, created with the
 * credentials on the first request: a precise timeout on every request, typed errors
 * (`AlpacaApiError`, `AlpacaNetworkError`), the key pair scrubbed from every message, and the
 * retry policy (429, 500/502/503/504 and network errors; `Retry-After` / `X-RateLimit-Reset`
 * honoured, otherwise exponential backoff with seeded jitter). Internal to the library.
 *
 * `requestJson` is the whole policy in one call; it retries only GET and DELETE. Callers that
 * must settle an ambiguous POST or PATCH themselves (the client's idempotent submit and replace)
 * use the parts: `send` (one exchange, the status as answered), `apiError`, `isRetryable`,
 * `retryDelayMs`, `sleep` and `maxRetries`.
 */
export class AlpacaHttpTransport {
  readonly #options: AlpacaHttpTransportOptions;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #sleep: (ms: number) => Promise<void>;
  #credentials: AlpacaKeyPair | undefined;
  #pool: Pool | undefined;
  #pathPrefix = '';

  constructor(options: AlpacaHttpTransportOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Retries allowed after a first attempt. */
  get maxRetries(): number {
    return this.#maxRetries;
  }

  /**
   * Sends `method path` and returns the parsed JSON body of a 2xx answer (`undefined` when the
   * body is empty). Any other status throws an `AlpacaApiError`; no answer throws an
   * `AlpacaNetworkError`. GET and DELETE are retried on 429, 5xx and network errors; POST and
   * PATCH are sent once (a blind repeat could act twice).
   */
  async requestJson(method: AlpacaHttpMethod, path: string, body?: unknown): Promise<unknown> {
    const retries = SAFE_TO_REPEAT.has(method) ? this.#maxRetries : 0;
    for (let attempt = 0; ; attempt++) {
      let failure: QuantbotError;
      let retryable: AlpacaHttpResponse | undefined;
      try {
        const res = await this.send(method, path, body);
        if (isSuccess(res)) return res.text === '' ? undefined : this.parseJson(res.text, path);
        failure = this.apiError(method, path, res);
        if (!this.isRetryable(res)) throw failure;
        retryable = res;
      } catch (error) {
        if (!(error instanceof AlpacaNetworkError)) throw error;
        failure = error;
      }
      if (attempt >= retries) throw failure;
      await this.#sleep(this.retryDelayMs(attempt, retryable));
    }
  }

  /**
   * One exchange, no retry. `body`, when given, is sent as JSON. Returns the answer whatever its
   * status; throws an `AlpacaNetworkError` (`timeout` or `connection`) when there is none.
   */
  async send(method: AlpacaHttpMethod, path: string, body?: unknown): Promise<AlpacaHttpResponse> {
    const credentials = this.#getCredentials();
    const pool = this.#getPool();
    const headers: Record<string, string> = {
      'APCA-API-KEY-ID': credentials.keyId,
      'APCA-API-SECRET-KEY': credentials.secretKey,
      accept: 'application/json',
    };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    // undici's own headers/body timeouts run on a coarse (~0.5 s) timer; a precise deadline over
    // the whole exchange makes short timeouts exact.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#timeoutMs);
    try {
      const res = await pool.request({
        method,
        path: this.#pathPrefix + path,
        headers,
        body: payload,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: deadline.signal,
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const codeText = deadline.signal.aborted ? `no answer within ${this.#timeoutMs} ms` : typeof code === 'string' ? code : 'unknown';
      const kind = deadline.signal.aborted || codeText.includes('TIMEOUT') ? 'timeout' : 'connection';
      throw new AlpacaNetworkError(method, this.#redact(path), kind, this.#redact(codeText), error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether a failed answer is worth another attempt (429 and 500/502/503/504). */
  isRetryable(res: AlpacaHttpResponse): boolean {
    return RETRYABLE_STATUS.has(res.status);
  }

  /** The typed error for a non-2xx answer: Alpaca's `code` and `message` when the body has them. */
  apiError(method: AlpacaHttpMethod, path: string, res: AlpacaHttpResponse): AlpacaApiError {
    let code: number | null = null;
    let message = `HTTP ${res.status}`;
    try {
      const parsed = JSON.parse(res.text) as unknown;
      if (typeof parsed === 'object' && parsed !== null) {
        const p = parsed as Record<string, unknown>;
        if (typeof p['code'] === 'number') code = p['code'];
        if (typeof p['message'] === 'string') message = p['message'];
      }
    } catch {
      if (res.text.trim() !== '') message = res.text.trim().slice(0, 200);
    }
    return new AlpacaApiError(method, this.#redact(path), res.status, code, this.#redact(message));
  }

  /** Parses a body as JSON; anything else is an `AlpacaProtocolError` naming `what`. */
  parseJson(text: string, what: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AlpacaProtocolError(what, 'response body is not valid JSON');
    }
  }

  /**
   * How long to wait before retry number `attempt + 1`, ms: the server's `Retry-After` (seconds
   * or an HTTP date) or, on a 429, `X-RateLimit-Reset` (epoch seconds) in `failed`, capped at
   * `maxRetryWaitMs` plus a little jitter; otherwise exponential backoff, half of it jittered.
   * Without `failed` (no answer at all) always the backoff.
   */
  retryDelayMs(attempt: number, failed?: AlpacaHttpResponse): number {
    const base = this.#options.backoffBaseMs ?? 200;
    const max = this.#options.backoffMaxMs ?? 5_000;
    const rng = this.#options.rng;
    const serverWaitMs = failed === undefined ? null : this.#serverWaitMs(failed);
    if (serverWaitMs !== null) {
      const capped = Math.min(serverWaitMs, this.#options.maxRetryWaitMs ?? 60_000);
      return Math.round(capped + rng.nextFloat() * Math.min(base, 100));
    }
    const step = Math.min(max, base * 2 ** attempt);
    return Math.round(step / 2 + (rng.nextFloat() * step) / 2);
  }

  /** Waits `ms` with the injected (or real) timer. */
  sleep(ms: number): Promise<void> {
    return this.#sleep(ms);
  }

  /** Releases the connection pool. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) await pool.close();
  }

  /** Never let a key or secret into a message, even if a server echoes one back. */
  #redact(text: string): string {
    const c = this.#credentials;
    if (c === undefined) return text;
    let out = text;
    for (const secret of [c.secretKey, c.keyId]) {
      if (secret.length > 0) out = out.split(secret).join('[redacted]');
    }
    return out;
  }

  /**
   * The wait the server asked for: `Retry-After` on any answer; `X-RateLimit-Reset` only on a
   * 429 (Alpaca sends the rate-limit headers on every answer, and a 5xx says nothing about the
   * rate window, so waiting for its reset would stall a retry for up to a minute).
   */
  #serverWaitMs(failed: AlpacaHttpResponse): number | null {
    const { headers } = failed;
    const retryAfter = headerValue(headers, 'retry-after');
    if (retryAfter !== undefined) {
      const seconds = Number(retryAfter);
      if (retryAfter.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date)) return Math.max(0, date - this.#options.now());
    }
    const reset = headerValue(headers, 'x-ratelimit-reset');
    if (reset !== undefined && failed.status === 429) {
      const epochSeconds = Number(reset);
      if (Number.isFinite(epochSeconds)) return Math.max(0, epochSeconds * 1000 - this.#options.now());
    }
    return null;
  }

  #getCredentials(): AlpacaKeyPair {
    this.#credentials ??= this.#options.credentials();
    return this.#credentials;
  }

  #getPool(): Pool {
    if (this.#pool === undefined) {
      const url = new URL(this.#options.baseUrl());
      this.#pathPrefix = url.pathname.replace(/\/+$/, '');
      this.#pool = new Pool(url.origin, {
        connections: 8,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        connect: { timeout: this.#timeoutMs },
      });
    }
    return this.#pool;
  }
}

/** A 2xx answer. */
export function isSuccess(res: AlpacaHttpResponse): boolean {
  return res.status >= 200 && res.status < 300;
}

function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The retry options that are set in `options` (for `exactOptionalPropertyTypes`). */
export function retryOptionsOf(options: AlpacaRetryOptions): AlpacaRetryOptions {
  return {
    now: options.now,
    rng: options.rng,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.backoffBaseMs !== undefined ? { backoffBaseMs: options.backoffBaseMs } : {}),
    ...(options.backoffMaxMs !== undefined ? { backoffMaxMs: options.backoffMaxMs } : {}),
    ...(options.maxRetryWaitMs !== undefined ? { maxRetryWaitMs: options.maxRetryWaitMs } : {}),
    ...(options.sleep !== undefined ? { sleep: options.sleep } : {}),
  };
}
