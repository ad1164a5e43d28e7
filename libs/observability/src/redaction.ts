import { ConfigError } from '@quantbot/core';

/** What a redacted value or substring is replaced with. */
export const REDACTED = '[REDACTED]';

/** The shortest secret a redactor accepts: shorter strings would blank out ordinary words. */
export const MIN_SECRET_LENGTH = 4;

/**
 * Object keys whose values are secrets, matched anywhere in the key and case-insensitively, so
 * `apiKey`, `X-Api-Key`, `dbPassword`, `refresh_token`, `clientSecret` and `privateKeyPem` all
 * match (and so do harmless keys such as `tokenizer`: the rule errs on the side of hiding).
 */
export const DEFAULT_SECRET_KEY_PATTERN = /(api[-_]?key|secret|password|passwd|token|authorization|credential|private[-_]?key)/i;

/** Options of {@link createRedactor}. */
export interface RedactorOptions {
  /**
   * Literal secret values (API keys, passwords) to blank out wherever they occur inside any
   * string. Each must be at least {@link MIN_SECRET_LENGTH} characters: leave unset secrets out
   * rather than passing `''`.
   */
  readonly secrets?: readonly string[];
  /** Keys whose values are replaced as a whole. Default {@link DEFAULT_SECRET_KEY_PATTERN}. */
  readonly keyPattern?: RegExp;
}

/** Removes secrets from strings and from values of any shape. Pure: inputs are never changed. */
export interface Redactor {
  /**
   * Returns `text` with every configured secret, every credential in a header-like
   * `Name: value` pair (`Authorization: Bearer …`, `APCA-API-SECRET-KEY: …`, `api_key=…`), every
   * `Bearer <token>` and the password of every `scheme://user:password@host` URL replaced by
   * {@link REDACTED}.
   */
  redactString(text: string): string;
  /**
   * Returns a redacted deep copy of `value`:
   * - the value of every key matching the key pattern becomes {@link REDACTED} whatever its
   *   type (`null` and `undefined` are kept, so "not configured" stays visible);
   * - every string (values and keys) goes through {@link Redactor.redactString};
   * - an `Error` becomes a plain object `{ name, message, stack, ...own fields, cause }` (a real
   *   `Error` loses its message and stack in `JSON.stringify`), its texts redacted;
   * - arrays, plain and class objects (own enumerable fields), `Map`s (as objects) and `Set`s
   *   (as arrays) are copied; a `Date` is copied; binary views are returned as they are;
   * - a reference to an object that contains it becomes `'[Circular]'`, and anything nested
   *   deeper than 64 levels becomes `'[Truncated]'`.
   */
  redactValue(value: unknown): unknown;
}

const MAX_DEPTH = 64;

/**
 * Header-like pairs whose value is a credential, in free text: `Authorization: Bearer abc`,
 * `"APCA-API-SECRET-KEY":"xyz"`, `api_key=abc`. Group 1 is the name, 2 the separator (with
 * quotes), 3 an optional auth scheme, 4 the value.
 */
const HEADER_PAIR_PATTERN =
  /\b((?:proxy-)?authorization|apca-api-secret-key|apca-api-key-id|x-api-key|api[-_]?key|api[-_]?secret|client[-_]?secret|secret[-_]?key|access[-_]?token|refresh[-_]?token|password|passwd)(["']?\s*[:=]\s*["']?)(?:(bearer|basic|token)\s+)?([^\s"',;&}\]]+)/gi;

/** A bearer token anywhere (8+ token characters, so "bearer of news" is left alone). */
const BEARER_PATTERN = /\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi;

/**
 * The password part of a URL with credentials: `postgres://user:pw@host`, also with no user name
 * (`postgres://:pw@host`) and with a `/` the password should have percent-encoded.
 */
const URL_PASSWORD_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@]+)(@)/gi;

/**
 * Builds a {@link Redactor}. Throws a `ConfigError` naming the field (`secrets[2]`) when a secret
 * is not a string or is shorter than {@link MIN_SECRET_LENGTH} (the message never shows it).
 *
 * @example
 * const redactor = createRedactor({ secrets: [process.env.APCA_API_SECRET_KEY ?? ''].filter(Boolean) });
 * redactor.redactString('Authorization: Bearer abc.def.ghi'); // 'Authorization: Bearer [REDACTED]'
 * redactor.redactValue({ apiKey: 'k', nested: [{ password: 'p' }] }); // both values '[REDACTED]'
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const secrets = validateSecrets(options.secrets ?? []);
  // A global or sticky flag would make `test` stateful (lastIndex); strip them.
  const keyPattern = options.keyPattern ?? DEFAULT_SECRET_KEY_PATTERN;
  const keyTest = new RegExp(keyPattern.source, keyPattern.flags.replace(/[gy]/g, ''));
  const secretPattern =
    secrets.length === 0
      ? undefined
      : new RegExp(
          // Longest first, so a secret that contains another is blanked out as a whole.
          [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'),
          'g',
        );

  const redactString = (text: string): string => {
    let out = secretPattern === undefined ? text : text.replace(secretPattern, REDACTED);
    out = out.replace(HEADER_PAIR_PATTERN, (_match: string, name: string, separator: string, scheme: string | undefined) =>
      scheme === undefined ? `${name}${separator}${REDACTED}` : `${name}${separator}${scheme} ${REDACTED}`,
    );
    out = out.replace(BEARER_PATTERN, `$1 ${REDACTED}`);
    return out.replace(URL_PASSWORD_PATTERN, `$1${REDACTED}$3`);
  };

  const ancestors = new Set<object>();

  const copy = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (value === null || typeof value !== 'object') return value;
    if (ancestors.has(value)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[Truncated]';
    if (value instanceof Date) return new Date(value.getTime());
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
    ancestors.add(value);
    try {
      if (Array.isArray(value)) return value.map((item: unknown) => copy(item, depth + 1));
      if (value instanceof Set) return [...value].map((item: unknown) => copy(item, depth + 1));
      if (value instanceof Map) {
        return copyEntries([...value.entries()].map(([key, inner]: [unknown, unknown]) => [String(key), inner]), depth);
      }
      if (value instanceof Error) return copyError(value, depth);
      return copyEntries(readOwnEntries(value), depth);
    } finally {
      ancestors.delete(value);
    }
  };

  const copyEntries = (entries: readonly (readonly [string, unknown])[], depth: number): { [key: string]: unknown } => {
    const out: { [key: string]: unknown } = {};
    for (const [key, inner] of entries) {
      const redacted = keyTest.test(key) && inner !== null && inner !== undefined ? REDACTED : copy(inner, depth + 1);
      // defineProperty keeps a `__proto__` key a plain key instead of setting the prototype.
      Object.defineProperty(out, redactString(key), { value: redacted, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };

  const copyError = (error: Error, depth: number): { [key: string]: unknown } => {
    const entries: [string, unknown][] = [
      ['name', error.name],
      ['message', error.message],
    ];
    if (error.stack !== undefined) entries.push(['stack', error.stack]);
    for (const [key, inner] of readOwnEntries(error)) {
      if (key !== 'name' && key !== 'message' && key !== 'stack') entries.push([key, inner]);
    }
    // `cause` and AggregateError's `errors` are own but not enumerable.
    if (error instanceof AggregateError && !entries.some(([key]) => key === 'errors')) entries.push(['errors', error.errors]);
    if ('cause' in error && !entries.some(([key]) => key === 'cause')) entries.push(['cause', error.cause]);
    return copyEntries(entries, depth);
  };

  return {
    redactString,
    // `ancestors` is empty between calls: every `add` in `copy` has its `delete` in a `finally`.
    redactValue: (value: unknown): unknown => copy(value, 0),
  };
}

function validateSecrets(secrets: readonly string[]): readonly string[] {
  secrets.forEach((secret: unknown, i) => {
    if (typeof secret !== 'string') throw new ConfigError(`secrets[${i}]`, `must be a string, got ${secret === null ? 'null' : typeof secret}`);
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(
        `secrets[${i}]`,
        `a secret must be at least ${MIN_SECRET_LENGTH} characters (got ${secret.length}); leave unset secrets out of the list`,
      );
    }
  });
  return [...new Set(secrets)];
}

/** Own enumerable string-keyed fields; a getter that throws yields `'[Unreadable]'`. */
function readOwnEntries(value: object): [string, unknown][] {
  return Object.keys(value).map((key): [string, unknown] => {
    try {
      return [key, (value as { [key: string]: unknown })[key]];
    } catch {
      return [key, '[Unreadable]'];
    }
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
