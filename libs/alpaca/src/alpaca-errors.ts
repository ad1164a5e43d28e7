import { QuantbotError } from '@quantbot/core';

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

/**
 * An order request to a live-money endpoint from a client not allowed to send one
 * (`allowLiveOrders` unset): refused before anything was sent. The message names the request
 * and the endpoint's host, never a credential.
 */
export class AlpacaLiveOrdersRefusedError extends QuantbotError {
  /** The client option that allows it. */
  readonly field = 'allowLiveOrders';
  readonly host: string;

  constructor(request: string, baseUrl: string) {
    const host = new URL(baseUrl).host;
    super('ALPACA_LIVE_ORDERS_REFUSED', `Alpaca ${request} refused: ${host} is a live-money endpoint and this client was not created with allowLiveOrders (set only after the live safeguards passed)`);
    this.host = host;
  }
}
