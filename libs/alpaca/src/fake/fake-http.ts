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
