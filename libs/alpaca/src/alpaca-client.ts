import type { QuantbotError } from '@quantbot/core';
import { AlpacaApiError, AlpacaLiveOrdersRefusedError, AlpacaNetworkError } from './alpaca-errors';
import { classifyTradingEndpoint } from './endpoint-mode';
import type { AlpacaEndpointMode } from './endpoint-mode';
import { AlpacaHttpTransport, isSuccess, retryOptionsOf } from './alpaca-http-transport';
import type { AlpacaHttpResponse, AlpacaRetryOptions } from './alpaca-http-transport';
import { AlpacaProtocolError, parseAccount, parseCalendarDay, parseClock, parseOrder, parsePosition } from './alpaca-types';
import type {
  AlpacaAccount,
  AlpacaCalendarDay,
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
import { newYorkMidnight } from './new-york-time';

export { AlpacaApiError, AlpacaLiveOrdersRefusedError, AlpacaNetworkError } from './alpaca-errors';

export interface AlpacaClientOptions extends AlpacaRetryOptions {
  /** Explicit credentials, or a function called on the first request. Default: read `env` then. */
  readonly credentials?: AlpacaCredentials | (() => AlpacaCredentials);
  /** Where to look for the key pair when `credentials` is absent. Default: `process.env` (read lazily). */
  readonly env?: EnvLike;
  /** With `env`: trade live (api.alpaca.markets). Default paper. */
  readonly live?: boolean;
  /** With `env`: another root URL (the fake server). */
  readonly baseUrl?: string;
  /**
   * Lets the requests that create orders (`submitOrder`, `replaceOrder`, and the position closes
   * `closePosition` and `closeAllPositions`, which sell at market) reach a live-money endpoint
   * (Alpaca live, or any host that is neither Alpaca paper nor loopback). Default false: such a
   * request is refused with `AlpacaLiveOrdersRefusedError` before anything is sent. Reads and
   * order cancels are never refused.
   * Set it only after the session's live safeguards passed (`@quantbot/live` checks them).
   */
  readonly allowLiveOrders?: boolean;
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

/**
 * Alpaca Trading API v2. Credentials and the connection pool are created on first use; timeouts,
 * retries, typed errors and redaction are the shared `AlpacaHttpTransport`'s.
 */
export class AlpacaClient {
  readonly #options: AlpacaClientOptions;
  readonly #transport: AlpacaHttpTransport;
  #credentials: AlpacaCredentials | undefined;

  constructor(options: AlpacaClientOptions) {
    this.#options = options;
    this.#transport = new AlpacaHttpTransport({
      baseUrl: () => this.#getCredentials().baseUrl,
      credentials: () => this.#getCredentials(),
      ...retryOptionsOf(options),
    });
  }

  /** What this client's orders do with money, from its trading URL (resolving the credentials). */
  get endpointMode(): AlpacaEndpointMode {
    return classifyTradingEndpoint(this.#getCredentials().baseUrl, 'alpaca baseUrl');
  }

  async getAccount(): Promise<AlpacaAccount> {
    return parseAccount(await this.#transport.requestJson('GET', '/v2/account'));
  }

  async getClock(): Promise<AlpacaClock> {
    return parseClock(await this.#transport.requestJson('GET', '/v2/clock'));
  }

  async listPositions(): Promise<AlpacaPosition[]> {
    return asArray(await this.#transport.requestJson('GET', '/v2/positions'), 'positions').map(parsePosition);
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
    const raw = await this.#transport.requestJson('GET', qs === '' ? '/v2/orders' : `/v2/orders?${qs}`);
    return asArray(raw, 'orders').map(parseOrder);
  }

  async getOrder(id: string): Promise<AlpacaOrder> {
    return parseOrder(await this.#transport.requestJson('GET', `/v2/orders/${encodeURIComponent(id)}`));
  }

  async getOrderByClientId(clientOrderId: string): Promise<AlpacaOrder> {
    const qs = new URLSearchParams({ client_order_id: clientOrderId }).toString();
    return parseOrder(await this.#transport.requestJson('GET', `/v2/orders:by_client_order_id?${qs}`));
  }

  async cancelOrder(id: string): Promise<void> {
    await this.#transport.requestJson('DELETE', `/v2/orders/${encodeURIComponent(id)}`);
  }

  async cancelAllOrders(): Promise<CancelResult[]> {
    const raw = await this.#transport.requestJson('DELETE', '/v2/orders');
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

  /** Trading days between `start` and `end` (inclusive, `YYYY-MM-DD`), with their session times. */
  async getCalendar(range: { readonly start?: string; readonly end?: string } = {}): Promise<AlpacaCalendarDay[]> {
    const query = new URLSearchParams();
    if (range.start !== undefined) query.set('start', range.start);
    if (range.end !== undefined) query.set('end', range.end);
    const qs = query.toString();
    const raw = await this.#transport.requestJson('GET', qs === '' ? '/v2/calendar' : `/v2/calendar?${qs}`);
    return asArray(raw, 'calendar').map((day, i) => parseCalendarDay(day, i, (dateMs, minutes) => newYorkMidnight(dateMs) + minutes * 60_000));
  }

  /**
   * Closes every position with market orders (`DELETE /v2/positions`, HTTP 207): one result per
   * symbol, with the closing order when Alpaca accepted it.
   */
  async closeAllPositions(): Promise<{ readonly symbol: string; readonly status: number; readonly order: AlpacaOrder | null }[]> {
    this.#refuseUnallowedLiveOrder('DELETE /v2/positions');
    const raw = await this.#transport.requestJson('DELETE', '/v2/positions');
    if (raw === undefined) return [];
    return asArray(raw, 'close results').map((entry, i) => {
      if (typeof entry !== 'object' || entry === null) throw new AlpacaProtocolError(`close results[${i}]`, 'expected an object');
      const e = entry as Record<string, unknown>;
      if (typeof e['symbol'] !== 'string' || typeof e['status'] !== 'number') {
        throw new AlpacaProtocolError(`close results[${i}]`, 'expected symbol and status');
      }
      return { symbol: e['symbol'], status: e['status'], order: e['status'] === 200 ? parseOrder(e['body']) : null };
    });
  }

  /** Closes the whole position with a market order; returns that order. */
  async closePosition(symbol: string): Promise<AlpacaOrder> {
    this.#refuseUnallowedLiveOrder('DELETE /v2/positions/{symbol}');
    return parseOrder(await this.#transport.requestJson('DELETE', `/v2/positions/${encodeURIComponent(symbol)}`));
  }

  /**
   * Submits an order idempotently. After a timeout, a dropped connection, a 429 or a 5xx the
   * client first looks the order up by `client_order_id` and returns it if Alpaca has it; only a
   * 404 from that lookup leads to a resubmission.
   */
  async submitOrder(request: SubmitOrderRequest): Promise<AlpacaOrder> {
    this.#refuseUnallowedLiveOrder('POST /v2/orders');
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
    // A resubmission rejected as a duplicate (422) means the earlier attempt did land after all.
    return this.#sendOrderOnce('POST', '/v2/orders', body, clientOrderId, true);
  }

  /**
   * Replaces an open order (`PATCH /v2/orders/{id}`): Alpaca creates a new order with the new
   * `client_order_id` and ends the old one `replaced`. Like `submitOrder`, an ambiguous failure
   * is settled by looking the new client order id up, never by sending the replace twice blind.
   */
  async replaceOrder(id: string, changes: ReplaceOrderRequest): Promise<AlpacaOrder> {
    this.#refuseUnallowedLiveOrder('PATCH /v2/orders');
    const clientOrderId = changes.client_order_id ?? seededUuid(this.#options.rng);
    const body: Record<string, unknown> = { client_order_id: clientOrderId };
    if (changes.qty !== undefined) body['qty'] = String(changes.qty);
    if (changes.limit_price !== undefined) body['limit_price'] = String(changes.limit_price);
    if (changes.stop_price !== undefined) body['stop_price'] = String(changes.stop_price);
    if (changes.time_in_force !== undefined) body['time_in_force'] = changes.time_in_force;
    return this.#sendOrderOnce('PATCH', `/v2/orders/${encodeURIComponent(id)}`, body, clientOrderId, false);
  }

  /** Releases the connection pool. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  // ------------------------------------------------------------ internals

  /**
   * Sends a request that creates an order identified by `clientOrderId` so that it lands at most
   * once: after an ambiguous failure (429, 5xx, no answer) it waits, then looks the order up and
   * returns it if it exists; only when it does not is the request sent again. With
   * `duplicateMeansLanded`, a 422 to a repeat also triggers a lookup.
   */
  async #sendOrderOnce(
    method: 'POST' | 'PATCH',
    path: string,
    body: Readonly<Record<string, unknown>>,
    clientOrderId: string,
    duplicateMeansLanded: boolean,
  ): Promise<AlpacaOrder> {
    const transport = this.#transport;
    for (let attempt = 0; ; attempt++) {
      let failure: QuantbotError;
      let retryable: AlpacaHttpResponse | undefined;
      try {
        const res = await transport.send(method, path, body);
        if (isSuccess(res)) return parseOrder(transport.parseJson(res.text, 'order'));
        failure = transport.apiError(method, path, res);
        if (duplicateMeansLanded && attempt > 0 && res.status === 422) {
          const existing = await this.#lookupByClientId(clientOrderId);
          if (existing !== null) return existing;
        }
        if (!transport.isRetryable(res)) throw failure;
        retryable = res;
      } catch (error) {
        if (!(error instanceof AlpacaNetworkError)) throw error;
        failure = error;
      }
      if (attempt >= transport.maxRetries) throw failure;
      await transport.sleep(transport.retryDelayMs(attempt, retryable));
      const existing = await this.#lookupByClientId(clientOrderId);
      if (existing !== null) return existing;
    }
  }

  async #lookupByClientId(clientOrderId: string): Promise<AlpacaOrder | null> {
    try {
      return await this.getOrderByClientId(clientOrderId);
    } catch (error) {
      if (error instanceof AlpacaApiError && error.status === 404) return null;
      throw error;
    }
  }

  #refuseUnallowedLiveOrder(request: string): void {
    if (this.#options.allowLiveOrders === true) return;
    const url = this.#getCredentials().baseUrl;
    if (classifyTradingEndpoint(url, 'alpaca baseUrl') === 'live') throw new AlpacaLiveOrdersRefusedError(request, url);
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
}

function asArray(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  throw new AlpacaProtocolError(what, 'expected a JSON array');
}

function toIso(value: string | number): string {
  return typeof value === 'number' ? new Date(value).toISOString() : value;
}
