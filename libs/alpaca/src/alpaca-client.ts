import { Pool } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { QuantbotError } from '@quantbot/core';
import type { SeededRng } from '@quantbot/core';
import { AlpacaProtocolError, parseAccount, parseClock, parseOrder, parsePosition } from './alpaca-types';
import type {
  AlpacaAccount,
  AlpacaClock,
  AlpacaOrder,
  AlpacaOrderSide,
  AlpacaOrderType,
  AlpacaPosition,
  AlpacaTimeInForce,
} from './alpaca-types';
import { resolveAlpacaCredentials } from './credentials';
import type { AlpacaCredentials, EnvLike } from './credentials';
import { seededUuid } from './seeded-uuid';

/** Alpaca answered with an HTTP error. `alpacaCode` is Alpaca's numeric code (e.g. 40010001). */
export class AlpacaApiError extends QuantbotError {
  readonly status: number;
  readonly alpacaCode: number | null;
  readonly alpacaMessage: string;

  constructor(method: string, path: string, status: number, alpacaCode: number | null, alpacaMessage: string) {
    const code = alpacaCode === null ? '' : ` (code ${alpacaCode})`;
    super('ALPACA_API', `Alpaca ${method} ${path} failed with HTTP ${status}${code}: ${alpacaMessage}`);
    this.status = status;
    this.alpacaCode = alpacaCode;
    this.alpacaMessage = alpacaMessage;
  }
}

/** No usable answer: a timeout, a refused or reset connection. The request may or may not have been processed. */
export class AlpacaNetworkError extends QuantbotError {
  readonly kind: 'timeout' | 'connection';

  constructor(method: string, path: string, kind: 'timeout' | 'connection', detail: string, cause: unknown) {
    super('ALPACA_NETWORK', `Alpaca ${method} ${path}: ${kind} (${detail})`, { cause });
    this.kind = kind;
  }
}

export interface AlpacaClientOptions {
  /** Explicit credentials, or a function called on the first request. Default: read `env` then. */
  readonly credentials?: AlpacaCredentials | (() => AlpacaCredentials);
  /** Where to look for the key pair when `credentials` is absent. Default: `process.env` (read lazily). */
  readonly env?: EnvLike;
  /** With `env`: trade live (api.alpaca.markets). Default paper. */
  readonly live?: boolean;
  /** With `env`: another root URL (the fake server). */
  readonly baseUrl?: string;
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
  readonly backoffMaxMs?: number;
  /** Longest server-requested wait honoured (longer ones are capped). Default 60 000. */
  readonly maxRetryWaitMs?: number;
  /** Injected for tests; default a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ListOrdersParams {
  readonly status?: 'open' | 'closed' | 'all';
  readonly limit?: number;
  /** ISO timestamp or epoch ms. */
  readonly after?: string | number;
  readonly until?: string | number;
  readonly direction?: 'asc' | 'desc';
  readonly symbols?: readonly string[];
}

export interface SubmitOrderRequest {
  readonly symbol: string;
  readonly qty: number | string;
  readonly side: AlpacaOrderSide;
  readonly type: AlpacaOrderType;
  readonly time_in_force: AlpacaTimeInForce;
  readonly limit_price?: number | string;
  readonly stop_price?: number | string;
  /** Idempotency key. Generated (seeded UUID) when absent; always sent. */
  readonly client_order_id?: string;
  readonly extended_hours?: boolean;
}

export interface ReplaceOrderRequest {
  readonly qty?: number | string;
  readonly limit_price?: number | string;
  readonly stop_price?: number | string;
  readonly time_in_force?: AlpacaTimeInForce;
  /** The replacement's idempotency key. Generated (seeded UUID) when absent. */
  readonly client_order_id?: string;
}

export interface CancelResult {
  readonly id: string;
  readonly status: number;
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** Alpaca Trading API v2 over an undici Pool. Credentials and the pool are created on first use. */
export class AlpacaClient {
  readonly #options: AlpacaClientOptions;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #sleep: (ms: number) => Promise<void>;
  #credentials: AlpacaCredentials | undefined;
  #pool: Pool | undefined;
  #pathPrefix = '';

  constructor(options: AlpacaClientOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async getAccount(): Promise<AlpacaAccount> {
    return parseAccount(await this.#call('GET', '/v2/account'));
  }

  async getClock(): Promise<AlpacaClock> {
    return parseClock(await this.#call('GET', '/v2/clock'));
  }

  async listPositions(): Promise<AlpacaPosition[]> {
    return asArray(await this.#call('GET', '/v2/positions'), 'positions').map(parsePosition);
  }

  async listOrders(params: ListOrdersParams = {}): Promise<AlpacaOrder[]> {
    const query = new URLSearchParams();
    if (params.status !== undefined) query.set('status', params.status);
    if (params.limit !== undefined) query.set('limit', String(params.limit));
    if (params.after !== undefined) query.set('after', toIso(params.after));
    if (params.until !== undefined) query.set('until', toIso(params.until));
    if (params.direction !== undefined) query.set('direction', params.direction);
    if (params.symbols !== undefined && params.symbols.length > 0) query.set('symbols', params.symbols.join(','));
    const qs = query.toString();
    const raw = await this.#call('GET', qs === '' ? '/v2/orders' : `/v2/orders?${qs}`);
    return asArray(raw, 'orders').map(parseOrder);
  }

  async getOrder(id: string): Promise<AlpacaOrder> {
    return parseOrder(await this.#call('GET', `/v2/orders/${encodeURIComponent(id)}`));
  }

  async getOrderByClientId(clientOrderId: string): Promise<AlpacaOrder> {
    const qs = new URLSearchParams({ client_order_id: clientOrderId }).toString();
    return parseOrder(await this.#call('GET', `/v2/orders:by_client_order_id?${qs}`));
  }

  async cancelOrder(id: string): Promise<void> {
    await this.#call('DELETE', `/v2/orders/${encodeURIComponent(id)}`);
  }

  async cancelAllOrders(): Promise<CancelResult[]> {
    const raw = await this.#call('DELETE', '/v2/orders');
    if (raw === undefined) return [];
    return asArray(raw, 'cancel results').map((entry, i) => {
      if (typeof entry !== 'object' || entry === null) {
        throw new AlpacaProtocolError(`cancel results[${i}]`, 'expected an object');
      }
      const e = entry as Record<string, unknown>;
      if (typeof e['id'] !== 'string' || typeof e['status'] !== 'number') {
        throw new AlpacaProtocolError(`cancel results[${i}]`, 'expected id and status');
      }
      return { id: e['id'], status: e['status'] };
    });
  }

  /** Closes the whole position with a market order; returns that order. */
  async closePosition(symbol: string): Promise<AlpacaOrder> {
    return parseOrder(await this.#call('DELETE', `/v2/positions/${encodeURIComponent(symbol)}`));
  }

  /**
   * Submits an order idempotently. After a timeout, a dropped connection, a 429 or a 5xx the
   * client first looks the order up by `client_order_id` and returns it if Alpaca has it; only a
   * 404 from that lookup leads to a resubmission.
   */
  async submitOrder(request: SubmitOrderRequest): Promise<AlpacaOrder> {
    const clientOrderId = request.client_order_id ?? seededUuid(this.#options.rng);
    const body: Record<string, unknown> = {
      symbol: request.symbol,
      qty: String(request.qty),
      side: request.side,
      type: request.type,
      time_in_force: request.time_in_force,
      client_order_id: clientOrderId,
    };
    if (request.limit_price !== undefined) body['limit_price'] = String(request.limit_price);
    if (request.stop_price !== undefined) body['stop_price'] = String(request.stop_price);
    if (request.extended_hours !== undefined) body['extended_hours'] = request.extended_hours;
    const payload = JSON.stringify(body);
    const path = '/v2/orders';

    for (let attempt = 0; ; attempt++) {
      let failure: QuantbotError;
      let serverWaitMs: number | null = null;
      try {
        const res = await this.#send('POST', path, payload);
        if (res.status >= 200 && res.status < 300) return parseOrder(parseJson(res.text, 'order'));
        failure = this.#apiError('POST', path, res);
        if (attempt > 0 && res.status === 422) {
          // A resubmission rejected as a duplicate: the earlier attempt did land after all.
          const existing = await this.#lookupByClientId(clientOrderId);
          if (existing !== null) return existing;
        }
        if (!RETRYABLE_STATUS.has(res.status)) throw failure;
        serverWaitMs = this.#serverWaitMs(res.headers);
      } catch (error) {
        if (!(error instanceof AlpacaNetworkError)) throw error;
        failure = error;
      }
      if (attempt >= this.#maxRetries) throw failure;
      await this.#sleep(this.#waitMs(attempt, serverWaitMs));
      const existing = await this.#lookupByClientId(clientOrderId);
      if (existing !== null) return existing;
    }
  }

  /**
   * Replaces an open order (`PATCH /v2/orders/{id}`): Alpaca creates a new order with the new
   * `client_order_id` and ends the old one `replaced`. Like `submitOrder`, an ambiguous failure
   * is settled by looking the new client order id up, never by sending the replace twice blind.
   */
  async replaceOrder(id: string, changes: ReplaceOrderRequest): Promise<AlpacaOrder> {
    const clientOrderId = changes.client_order_id ?? seededUuid(this.#options.rng);
    const body: Record<string, unknown> = { client_order_id: clientOrderId };
    if (changes.qty !== undefined) body['qty'] = String(changes.qty);
    if (changes.limit_price !== undefined) body['limit_price'] = String(changes.limit_price);
    if (changes.stop_price !== undefined) body['stop_price'] = String(changes.stop_price);
    if (changes.time_in_force !== undefined) body['time_in_force'] = changes.time_in_force;
    const path = `/v2/orders/${encodeURIComponent(id)}`;
    const payload = JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      let failure: QuantbotError;
      let serverWaitMs: number | null = null;
      try {
        const res = await this.#send('PATCH', path, payload);
        if (res.status >= 200 && res.status < 300) return parseOrder(parseJson(res.text, 'order'));
        failure = this.#apiError('PATCH', path, res);
        if (!RETRYABLE_STATUS.has(res.status)) throw failure;
        serverWaitMs = this.#serverWaitMs(res.headers);
      } catch (error) {
        if (!(error instanceof AlpacaNetworkError)) throw error;
        failure = error;
      }
      if (attempt >= this.#maxRetries) throw failure;
      await this.#sleep(this.#waitMs(attempt, serverWaitMs));
      const existing = await this.#lookupByClientId(clientOrderId);
      if (existing !== null) return existing;
    }
  }

  /** Releases the connection pool. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) await pool.close();
  }

  // ------------------------------------------------------------ internals

  async #lookupByClientId(clientOrderId: string): Promise<AlpacaOrder | null> {
    try {
      return await this.getOrderByClientId(clientOrderId);
    } catch (error) {
      if (error instanceof AlpacaApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** A safe (GET/DELETE) request with retries on 429, 5xx and network errors. */
  async #call(method: 'GET' | 'DELETE', path: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      let failure: QuantbotError;
      let serverWaitMs: number | null = null;
      try {
        const res = await this.#send(method, path, undefined);
        if (res.status >= 200 && res.status < 300) {
          return res.text === '' ? undefined : parseJson(res.text, path);
        }
        failure = this.#apiError(method, path, res);
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

  async #send(method: Method, path: string, body: string | undefined): Promise<RawResponse> {
    const credentials = this.#getCredentials();
    const pool = this.#getPool(credentials);
    const headers: Record<string, string> = {
      'APCA-API-KEY-ID': credentials.keyId,
      'APCA-API-SECRET-KEY': credentials.secretKey,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // undici's own headers/body timeouts run on a coarse (~0.5 s) timer; a precise deadline over
    // the whole exchange makes short timeouts exact.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#timeoutMs);
    try {
      const res = await pool.request({
        method,
        path: this.#pathPrefix + path,
        headers,
        body,
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
      throw new AlpacaNetworkError(method, path, kind, this.#redact(codeText), error);
    } finally {
      clearTimeout(timer);
    }
  }

  #apiError(method: string, path: string, res: RawResponse): AlpacaApiError {
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
    return new AlpacaApiError(method, path, res.status, code, this.#redact(message));
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

  #getCredentials(): AlpacaCredentials {
    if (this.#credentials === undefined) {
      const given = this.#options.credentials;
      if (typeof given === 'function') this.#credentials = given();
      else if (given !== undefined) this.#credentials = given;
      else {
        this.#credentials = resolveAlpacaCredentials(this.#options.env ?? process.env, {
          ...(this.#options.live !== undefined ? { live: this.#options.live } : {}),
          ...(this.#options.baseUrl !== undefined ? { baseUrl: this.#options.baseUrl } : {}),
        });
      }
    }
    return this.#credentials;
  }

  #getPool(credentials: AlpacaCredentials): Pool {
    if (this.#pool === undefined) {
      const url = new URL(credentials.baseUrl);
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

function asArray(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  throw new AlpacaProtocolError(what, 'expected a JSON array');
}

function toIso(value: string | number): string {
  return typeof value === 'number' ? new Date(value).toISOString() : value;
}
