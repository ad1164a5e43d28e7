import { Pool } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { QuantbotError, SeededRng } from '@quantbot/core';
import { AlpacaApiError, AlpacaNetworkError } from './alpaca-client';
import { AlpacaProtocolError } from './alpaca-types';

/** The key pair sent with every request. */
export interface AlpacaKeyPair {
  readonly keyId: string;
  readonly secretKey: string;
}

/** How requests are sent, timed out and retried (the conventions of `AlpacaClientOptions`). */
export interface AlpacaHttpTransportOptions {
  /** Root URL, read on the first request (it may come from the credentials). */
  readonly baseUrl: () => string;
  /** Called once, on the first request. */
  readonly credentials: () => AlpacaKeyPair;
  readonly now: () => number;
  readonly rng: SeededRng;
  readonly timeoutMs?: number;
  readonly maxRetries?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly maxRetryWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * Read-only (GET) requests to an Alpaca REST API over an undici Pool, with the behaviour of
 * `AlpacaClient`: a precise timeout on every request, retries on 429, 5xx and network errors
 * (honouring `Retry-After` / `X-RateLimit-Reset`, otherwise exponential backoff with seeded
 * jitter), typed errors, and the key pair scrubbed from every message. Internal to the library.
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

  /** GETs `path` (with its query) and returns the parsed JSON body; retries what may be retried. */
  async getJson(path: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      let failure: QuantbotError;
      let serverWaitMs: number | null = null;
      try {
        const res = await this.#send(path);
        if (res.status >= 200 && res.status < 300) return parseJson(res.text, path);
        failure = this.#apiError(path, res);
        if (!RETRYABLE_STATUS.has(res.status)) throw failure;
        serverWaitMs = this.#serverWaitMs(res.headers);
      } catch (error) {
        if (!(error instanceof AlpacaNetworkError)) throw error;
        failure = error;
      }
      if (attempt >= this.#maxRetries) throw failure;
      await this.#sleep(this.#waitMs(attempt, serverWaitMs));
    }
  }

  /** Releases the connection pool. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) await pool.close();
  }

  async #send(path: string): Promise<RawResponse> {
    const credentials = this.#getCredentials();
    const pool = this.#getPool();
    const headers: Record<string, string> = {
      'APCA-API-KEY-ID': credentials.keyId,
      'APCA-API-SECRET-KEY': credentials.secretKey,
      accept: 'application/json',
    };
    // undici's own timeouts tick at ~0.5 s; a precise deadline over the exchange makes short ones exact.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#timeoutMs);
    try {
      const res = await pool.request({
        method: 'GET',
        path: this.#pathPrefix + path,
        headers,
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
      throw new AlpacaNetworkError('GET', this.#redact(path), kind, this.#redact(codeText), error);
    } finally {
      clearTimeout(timer);
    }
  }

  #apiError(path: string, res: RawResponse): AlpacaApiError {
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
    return new AlpacaApiError('GET', this.#redact(path), res.status, code, this.#redact(message));
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

  #serverWaitMs(headers: IncomingHttpHeaders): number | null {
    const retryAfter = headerValue(headers, 'retry-after');
    if (retryAfter !== undefined) {
      const seconds = Number(retryAfter);
      if (retryAfter.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date)) return Math.max(0, date - this.#options.now());
    }
    const reset = headerValue(headers, 'x-ratelimit-reset');
    if (reset !== undefined) {
      const epochSeconds = Number(reset);
      if (Number.isFinite(epochSeconds)) return Math.max(0, epochSeconds * 1000 - this.#options.now());
    }
    return null;
  }

  #waitMs(attempt: number, serverWaitMs: number | null): number {
    const base = this.#options.backoffBaseMs ?? 200;
    const max = this.#options.backoffMaxMs ?? 5_000;
    const rng = this.#options.rng;
    if (serverWaitMs !== null) {
      const capped = Math.min(serverWaitMs, this.#options.maxRetryWaitMs ?? 60_000);
      return Math.round(capped + rng.nextFloat() * Math.min(base, 100));
    }
    const step = Math.min(max, base * 2 ** attempt);
    return Math.round(step / 2 + (rng.nextFloat() * step) / 2);
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

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AlpacaProtocolError(what, 'response body is not valid JSON');
  }
}
