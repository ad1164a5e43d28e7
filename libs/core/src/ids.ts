declare const brand: unique symbol;

/** A nominal type: a `T` that the compiler will not confuse with another `T` of a different brand. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A ticker symbol such as `ORCL`. Upper case, 1 to 32 characters of `A-Z 0-9 . - _ /`. */
export type Ticker = Brand<string, 'Ticker'>;

/** Milliseconds since the Unix epoch, UTC. Daily bars are stamped at 00:00 UTC of their session date. */
export type EpochMs = Brand<number, 'EpochMs'>;

/** An order id chosen by the client; submitting the same id twice must not create two orders. */
export type ClientOrderId = Brand<string, 'ClientOrderId'>;

const TICKER_PATTERN = /^[A-Z0-9][A-Z0-9._\-/]{0,31}$/;

/** Validates and brands a ticker; returns `undefined` when `value` is not a valid ticker. */
export function parseTicker(value: string): Ticker | undefined {
  return TICKER_PATTERN.test(value) ? (value as Ticker) : undefined;
}

/** Brands a ticker, throwing a `TypeError` when it is not valid (for literals in code and tests). */
export function ticker(value: string): Ticker {
  const parsed = parseTicker(value);
  if (parsed === undefined) throw new TypeError(`invalid ticker '${value}'`);
  return parsed;
}

/** Brands a number of milliseconds since the epoch. */
export function epochMs(value: number): EpochMs {
  return value as EpochMs;
}

/** Brands a client order id. */
export function clientOrderId(value: string): ClientOrderId {
  return value as ClientOrderId;
}

/** Formats an epoch time as ISO 8601 (`1995-01-03T00:00:00.000Z`). */
export function formatIsoTime(time: EpochMs | number): string {
  return new Date(time).toISOString();
}
