import { ConfigError } from '@quantbot/core';

/**
 * An app's table from the option fields its libraries name in `ConfigError`s to the flags that
 * set them: `startingCash` → `--cash`. A key ending in `.` maps every field under it, the rest of
 * the field following the flag: with `'execution.': '--execution'`, `execution.latencyMs` becomes
 * `--execution latencyMs`.
 */
export type FieldFlags = Readonly<Record<string, string>>;

/** The flag `table` gives the option field `field`, or undefined when it has none. */
export function flagForField(table: FieldFlags, field: string): string | undefined {
  const exact = table[field];
  if (exact !== undefined) return exact;
  const dot = field.indexOf('.');
  if (dot < 0) return undefined;
  const group = table[field.slice(0, dot + 1)];
  return group === undefined ? undefined : `${group} ${field.slice(dot + 1)}`;
}

/**
 * `error` as the user of a command line should read it: a `ConfigError` keyed by an option field
 * the table knows comes back keyed by its flag (`--cash: must be a positive amount, got 0`), with
 * the library's error as its cause. Anything else comes back as it is.
 *
 * @example
 * catch (error) { throw withFlagNames(error, BACKTESTER_FIELD_FLAGS); }
 */
export function withFlagNames(error: unknown, table: FieldFlags): unknown {
  if (!(error instanceof ConfigError)) return error;
  const flag = flagForField(table, error.key);
  return flag === undefined ? error : error.withKey(flag);
}
