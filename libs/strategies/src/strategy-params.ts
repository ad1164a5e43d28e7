import { ConfigError } from '@quantbot/core';

/** The declaration of one strategy parameter: its type, default and bounds. */
export type ParamSpec =
  | {
      readonly name: string;
      readonly kind: 'integer' | 'number';
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
      readonly description: string;
    }
  | { readonly name: string; readonly kind: 'boolean'; readonly default: boolean; readonly description: string };

/** Parameter values after validation, by name. */
export type ParamValues = Readonly<Record<string, number | boolean>>;

/**
 * Parses `fast=10,slow=30` into name/value pairs. Empty input gives an empty object. A pair
 * without `=` or with an empty name is a `ConfigError` naming the pair.
 */
export function parseParamList(text: string, key = 'params'): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (text.trim() === '') return out;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (eq < 0 || name === '') throw new ConfigError(key, `'${pair}' is not name=value`);
    if (Object.prototype.hasOwnProperty.call(out, name)) throw new ConfigError(key, `'${name}' given twice`);
    out[name] = pair.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Validates raw values (strings from a command line, or numbers and booleans from code) against
 * the specs and fills in defaults. Unknown names and bad values are `ConfigError`s that list the
 * parameters that exist.
 */
export function resolveParams(
  owner: string,
  specs: readonly ParamSpec[],
  raw: Readonly<Record<string, string | number | boolean>>,
): ParamValues {
  const known = specs.map((s) => s.name);
  const values: Record<string, number | boolean> = {};
  for (const name of Object.keys(raw)) {
    if (!known.includes(name)) {
      throw new ConfigError(`${owner}.${name}`, `unknown parameter; ${owner} has: ${describeParams(specs)}`);
    }
  }
  for (const spec of specs) {
    const given = raw[spec.name];
    values[spec.name] = given === undefined ? spec.default : coerce(owner, spec, given);
  }
  return Object.freeze(values);
}

/** `fast (integer, default 10), slow (...)`: for error messages and help text. */
export function describeParams(specs: readonly ParamSpec[]): string {
  if (specs.length === 0) return '(no parameters)';
  return specs.map((s) => `${s.name} (${s.kind}, default ${String(s.default)})`).join(', ');
}

function coerce(owner: string, spec: ParamSpec, given: string | number | boolean): number | boolean {
  const key = `${owner}.${spec.name}`;
  if (spec.kind === 'boolean') {
    if (typeof given === 'boolean') return given;
    if (given === 'true' || given === '1') return true;
    if (given === 'false' || given === '0') return false;
    throw new ConfigError(key, `'${String(given)}' is not a boolean (true|false)`);
  }
  const value = typeof given === 'number' ? given : typeof given === 'string' && given.trim() !== '' ? Number(given) : NaN;
  if (!Number.isFinite(value)) throw new ConfigError(key, `'${String(given)}' is not a number`);
  if (spec.kind === 'integer' && !Number.isInteger(value)) throw new ConfigError(key, `${value} is not an integer`);
  if (spec.min !== undefined && value < spec.min) throw new ConfigError(key, `${value} is below the minimum ${spec.min}`);
  if (spec.max !== undefined && value > spec.max) throw new ConfigError(key, `${value} is above the maximum ${spec.max}`);
  return value;
}
