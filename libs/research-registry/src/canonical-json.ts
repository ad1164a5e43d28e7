import { createHash } from 'node:crypto';
import type { JsonValue } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';

/** A JSON object: what a parameter snapshot holds. */
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * The canonical JSON text of a value: object keys sorted (by UTF-16 code units, recursively), no
 * whitespace, numbers as `JSON.stringify` writes them (shortest round-trip form, `-0` as `0`).
 * Equal values give equal text whatever the order their keys were written in, so the text (and
 * its hash) identifies a set of parameters.
 *
 * Throws a `ConfigError` naming the path (`params.window[2]`) of anything JSON cannot hold
 * exactly: `NaN`, `Infinity`, `undefined`, functions, bigints, symbols, and objects that are not
 * plain (a `Date`, a `Map`).
 *
 * @example canonicalJson({ slow: 30, fast: 10 }) === '{"fast":10,"slow":30}'
 */
export function canonicalJson(value: unknown, path = 'params'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new ConfigError(path, `${value} cannot be stored as JSON; use a finite number or null`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new ConfigError(path, `a ${typeof value} is not a JSON value`);
  }
  if (Array.isArray(value)) return `[${value.map((item, i) => canonicalJson(item, `${path}[${i}]`)).join(',')}]`;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) throw new ConfigError(path, 'is not a plain JSON object');
  const record = value as { readonly [key: string]: unknown };
  const keys = Object.keys(record).sort(compareCodeUnits);
  const members: string[] = [];
  for (const key of keys) {
    if (record[key] === undefined) throw new ConfigError(`${path}.${key}`, 'is undefined; leave the key out or use null');
    members.push(`${JSON.stringify(key)}:${canonicalJson(record[key], `${path}.${key}`)}`);
  }
  return `{${members.join(',')}}`;
}

/** Hex SHA-256 of the canonical JSON text of `params`: a parameter snapshot's identity. */
export function parameterHash(params: JsonObject): string {
  return createHash('sha256').update(canonicalJson(params), 'utf8').digest('hex');
}

/** Hex SHA-256 of a text (UTF-8). */
export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Checks that `value` is a JSON object that can be snapshotted and returns it as one. Throws a
 * `ConfigError` naming `path` otherwise.
 */
export function asJsonObject(value: unknown, path = 'params'): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(path, `must be a JSON object of parameters, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  canonicalJson(value, path);
  return value as JsonObject;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
