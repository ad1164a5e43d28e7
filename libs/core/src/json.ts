import { DataError } from './errors';

/** A number as JSON can carry it: the number when finite, else null (`NaN` and `±Infinity` have no JSON form). */
export function finiteOrNull(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null;
}

/** How {@link canonicalJson} names and reports what JSON cannot hold. */
export interface CanonicalJsonOptions {
  /** The name of the value in error messages; nested fields extend it (`params.window[2]`). Default `$`. */
  readonly root?: string;
  /** Builds the error thrown for an invalid field. Default: a `DataError` naming the field. */
  readonly invalid?: (field: string, message: string) => Error;
}

/**
 * The canonical JSON text of a value: object keys sorted by UTF-16 code units at every depth, no
 * whitespace, numbers as `JSON.stringify` writes them. Equal values give equal text whatever the
 * order their keys were written in, so the text (and its hash) identifies the value: audit
 * records chain by it, parameter snapshots are recognised by it.
 *
 * Throws (see {@link CanonicalJsonOptions.invalid}) naming the field of anything JSON cannot hold
 * exactly: `NaN`, `±Infinity`, `undefined`, functions, bigints, symbols, and objects that are not
 * plain (a `Date` would silently become `{}`).
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) === '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  const invalid = options.invalid ?? ((field: string, message: string) => new DataError(message, { field }));
  return writeCanonical(value, options.root ?? '$', invalid);
}

function writeCanonical(value: unknown, path: string, invalid: (field: string, message: string) => Error): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, `${value} cannot be stored as JSON; use a finite number or null`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw invalid(path, `a ${typeof value} is not a JSON value`);
  }
  if (Array.isArray(value)) return `[${value.map((item, i) => writeCanonical(item, `${path}[${i}]`, invalid)).join(',')}]`;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) throw invalid(path, 'is not a plain JSON object');
  const record = value as { readonly [key: string]: unknown };
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) throw invalid(`${path}.${key}`, 'is undefined; leave the key out or use null');
    members.push(`${JSON.stringify(key)}:${writeCanonical(record[key], `${path}.${key}`, invalid)}`);
  }
  return `{${members.join(',')}}`;
}
