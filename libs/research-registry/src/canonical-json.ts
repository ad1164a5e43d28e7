import { createHash } from 'node:crypto';
import type { CanonicalJsonOptions, JsonValue } from '@quantbot/core';
import { ConfigError, canonicalJson } from '@quantbot/core';

/** A JSON object: what a parameter snapshot holds. */
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * Options of core's `canonicalJson` for what the registry stores: anything JSON cannot hold
 * exactly is a `ConfigError` naming its path from `root` (`params.window[2]`). Equal values give
 * equal text, so the text (and its hash) identifies a set of parameters.
 *
 * @example canonicalJson({ slow: 30, fast: 10 }, configErrorsAt('params')) === '{"fast":10,"slow":30}'
 */
export function configErrorsAt(root: string): CanonicalJsonOptions {
  return { root, invalid: (field, message) => new ConfigError(field, message) };
}

/** Hex SHA-256 of the canonical JSON text of `params`: a parameter snapshot's identity. */
export function parameterHash(params: JsonObject): string {
  return createHash('sha256').update(canonicalJson(params, configErrorsAt('params')), 'utf8').digest('hex');
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
  canonicalJson(value, configErrorsAt(path));
  return value as JsonObject;
}
