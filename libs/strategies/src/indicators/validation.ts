import { ConfigError, DataError } from '@quantbot/core';

/**
 * Largest period accepted. Buffers are preallocated at construction, so a typo such as
 * period=1e9 would otherwise try to reserve gigabytes before any data is seen.
 */
export const MAX_PERIOD = 1_000_000;

/** Throws `ConfigError(key)` unless `value` is an integer in [min, MAX_PERIOD]. */
export function assertPeriod(key: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min || value > MAX_PERIOD) {
    throw new ConfigError(key, `must be an integer from ${min} to ${MAX_PERIOD}, got ${value}`);
  }
}

/** Throws `DataError` naming `field` unless `value` is finite. */
export function assertFiniteInput(field: string, value: number): void {
  if (!Number.isFinite(value)) throw new DataError(`expected a finite number, got ${value}`, { field });
}

/** Validates one high/low/close bar: all finite and high >= low. */
export function assertHlc(high: number, low: number, close: number): void {
  assertFiniteInput('high', high);
  assertFiniteInput('low', low);
  assertFiniteInput('close', close);
  if (high < low) throw new DataError(`high ${high} is below low ${low}`, { field: 'high' });
}
