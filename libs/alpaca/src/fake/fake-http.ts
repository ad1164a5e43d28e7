import { ConfigError } from '@quantbot/core';

/** What a fake route answers: an HTTP status, an optional JSON body and extra headers. */
export interface FakeReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Thrown by a fake route: answered as Alpaca's error body `{code, message}` with `status`, plus
 * `details` (fields Alpaca adds to some refusals, e.g. `available` and `held_for_orders` on an
 * insufficient-quantity 403).
 */
export class FakeHttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'FakeHttpFailure';
  }

  /** The error body Alpaca writes: the details, then `code` and `message`. */
  body(): Record<string, unknown> {
    return { ...this.details, code: this.code, message: this.message };
  }
}

/** Alpaca's 422 for a request it understood but refuses (code 40010001). */
export function unprocessable(message: string): FakeHttpFailure {
  return new FakeHttpFailure(422, 40010001, message);
}

/** Alpaca's 400 for a malformed request (code 40010000). */
export function badRequest(message: string): FakeHttpFailure {
  return new FakeHttpFailure(400, 40010000, message);
}

/**
 * The requests a fault targets: `METHOD /path` or `/path` (any method); a path ending in `/*`
 * matches every path under it (`/v2/orders/*`: one order's routes, not `/v2/orders` itself).
 */
export type FakeRoute = string;

/** A `FakeRoute` parsed. */
export interface FakeRouteMatcher {
  readonly text: string;
  matches(method: string, path: string): boolean;
}

const HTTP_METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

/** Parses a `FakeRoute`; a `ConfigError` naming `route` when it is not one. */
export function parseFakeRoute(route: FakeRoute): FakeRouteMatcher {
  const parts = route.trim().split(/\s+/);
  const [first, second] = parts;
  const method = parts.length === 2 ? first?.toUpperCase() : undefined;
  const path = parts.length === 2 ? second : first;
  if (parts.length > 2 || path === undefined || !path.startsWith('/') || (method !== undefined && !HTTP_METHODS.has(method))) {
    throw new ConfigError('route', `'${route}' is not a route: expected 'METHOD /path' or '/path' (a trailing /* matches below it)`);
  }
  const prefix = path.endsWith('/*') ? path.slice(0, -1) : null;
  return {
    text: route.trim(),
    matches: (m, p) => (method === undefined || m === method) && (prefix === null ? p === path : p.startsWith(prefix) && p.length > prefix.length),
  };
}
