import { ConfigError, DataError } from '@quantbot/core';

/**
 * Runtime checks for the JSON this library ingests (CLI payloads, run summaries, walk-forward
 * artifacts). Every failure names the field by its path (`folds[2].outOfSample.sharpe`): a
 * `DataError` naming the file when the input came from one, otherwise a `ConfigError` whose key
 * is the path (prefixed with `label`, such as `payload`).
 *
 * Internal: not exported from the package.
 */

/** Where an input came from, for error messages. */
export interface InputSource {
  /** The file the input was read from: failures are `DataError`s naming it and the field. */
  readonly file?: string;
  /** A prefix for field paths when there is no file (`payload` → `payload.metrics.sharpe`). */
  readonly label?: string;
}

/** A JSON object being read. */
export type InputObject = { readonly [key: string]: unknown };

/** Throws the error for a bad field; never returns. */
export type Fail = (field: string, message: string) => never;

/** The failure function for inputs from `source`. */
export function failureFor(source: InputSource = {}): Fail {
  return (field, message) => {
    if (source.file !== undefined) throw new DataError(message, { file: source.file, field: field === '' ? undefined : field });
    const key = [source.label, field].filter((part) => part !== undefined && part !== '').join('.');
    throw new ConfigError(key === '' ? 'input' : key, message);
  };
}

/** `parent.key`, or `key` at the root. */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Describes a value for a message: `"text"`, `12`, `null`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** True for a plain JSON object (not null, not an array). */
export function isInputObject(value: unknown): value is InputObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as an object, or a failure naming `field`. */
export function readObject(value: unknown, field: string, fail: Fail): InputObject {
  if (!isInputObject(value)) fail(field, `must be a JSON object, got ${describeValue(value)}`);
  return value as InputObject;
}

/** The value as an array, or a failure naming `field`. */
export function readArray(value: unknown, field: string, fail: Fail): readonly unknown[] {
  if (!Array.isArray(value)) fail(field, `must be an array, got ${describeValue(value)}`);
  return value as readonly unknown[];
}

/** Fails naming the first key of `object` not in `known` (a misspelt field must not be ignored). */
export function rejectUnknownKeys(object: InputObject, known: readonly string[], parent: string, fail: Fail): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) fail(fieldPath(parent, key), `unknown field; expected one of ${known.join(', ')}`);
  }
}

/** A required non-empty string (trimmed) of at most `maxLength` characters. */
export function readText(object: InputObject, key: string, parent: string, fail: Fail, maxLength = 200): string {
  const value = object[key];
  const field = fieldPath(parent, key);
  if (typeof value !== 'string') fail(field, `is required: a non-empty string, got ${describeValue(value)}`);
  const text = (value as string).trim();
  if (text === '') fail(field, 'must not be empty');
  if (text.length > maxLength) fail(field, `is ${text.length} characters long; at most ${maxLength}`);
  return text;
}

/** An optional string: absent or null gives null; an empty string is refused. */
export function readOptionalText(object: InputObject, key: string, parent: string, fail: Fail, maxLength = 200): string | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  return readText(object, key, parent, fail, maxLength);
}

/** Options of {@link readNumber}. */
export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/** A required finite number within `rule`. */
export function readNumber(object: InputObject, key: string, parent: string, fail: Fail, rule: NumberRule = {}): number {
  const field = fieldPath(parent, key);
  const value = object[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `is required: a finite number, got ${describeValue(value)}`);
  return checkRange(value as number, field, fail, rule);
}

/**
 * A number that may be null (JSON's way of saying "undefined statistic"). Absent reads as null
 * unless `required`; a present non-number is refused.
 */
export function readNullableNumber(object: InputObject, key: string, parent: string, fail: Fail, rule: NumberRule & { readonly required?: boolean } = {}): number | null {
  const field = fieldPath(parent, key);
  const value = object[key];
  if (value === undefined && rule.required !== true) return null;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `must be a finite number or null, got ${describeValue(value)}`);
  return checkRange(value as number, field, fail, rule);
}

/** A required boolean. */
export function readBoolean(object: InputObject, key: string, parent: string, fail: Fail): boolean {
  const value = object[key];
  if (typeof value !== 'boolean') fail(fieldPath(parent, key), `is required: true or false, got ${describeValue(value)}`);
  return value as boolean;
}

/** A boolean that may be null or absent (null). */
export function readNullableBoolean(object: InputObject, key: string, parent: string, fail: Fail): boolean | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') fail(fieldPath(parent, key), `must be true, false or null, got ${describeValue(value)}`);
  return value as boolean;
}

/** One of `choices`. */
export function readChoice<T extends string>(object: InputObject, key: string, parent: string, fail: Fail, choices: readonly T[]): T {
  const value = object[key];
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    fail(fieldPath(parent, key), `must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T;
}

function checkRange(value: number, field: string, fail: Fail, rule: NumberRule): number {
  if (rule.integer === true && !Number.isInteger(value)) fail(field, `must be a whole number, got ${value}`);
  if (rule.min !== undefined && value < rule.min) fail(field, `must be at least ${rule.min}, got ${value}`);
  if (rule.max !== undefined && value > rule.max) fail(field, `must be at most ${rule.max}, got ${value}`);
  return value;
}
