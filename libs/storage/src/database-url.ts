import { StorageError } from './storage-error';

/** What replaces a password in a URL shown to people. */
export const REDACTED_PASSWORD = '***';

const POSTGRES_PROTOCOLS = new Set(['postgres:', 'postgresql:']);
const DEFAULT_POSTGRES_PORT = 5432;
/** Query parameters that carry secrets in libpq-style URLs (`password`, `sslpassword`). */
const SECRET_PARAMETER = /pass/i;

/** Where a Postgres server URL points, for messages: never the password. */
export interface DatabaseServerAddress {
  /** Host name or address (`[::1]` for IPv6), or a socket directory from `?host=`. */
  readonly host: string;
  readonly port: number;
  /** The database name, or `''` when the URL names none (the server then uses the user name). */
  readonly database: string;
  /** The user name, or `''` when the URL names none. */
  readonly user: string;
  /** `host:port`, as error messages name it. */
  readonly hostPort: string;
}

/**
 * Reads host, port, database and user from a `postgres://` or `postgresql://` URL. `source` names
 * where the URL came from (`DATABASE_URL`, `the url option`) for the error message. Throws a
 * {@link StorageError} `STORAGE_URL_INVALID` that never repeats the URL (it may hold a password)
 * when the text is not a URL or not a Postgres one. Special characters in the password must be
 * percent-encoded, as in any URL.
 */
export function parseDatabaseUrl(url: string, source: string): DatabaseServerAddress {
  const parsed = parseAuthorityUrl(url);
  if (parsed === undefined) {
    throw new StorageError(
      'STORAGE_URL_INVALID',
      `${source} is not a valid URL: expected postgres://user:password@host:port/database (percent-encode special characters)`,
    );
  }
  if (!POSTGRES_PROTOCOLS.has(parsed.protocol)) {
    throw new StorageError(
      'STORAGE_URL_INVALID',
      `${source} (${redactDatabaseUrl(url)}) is not a Postgres URL: it must start with postgres:// or postgresql://`,
    );
  }
  const host = parsed.hostname !== '' ? parsed.hostname : (parsed.searchParams.get('host') ?? 'localhost');
  const portText = parsed.port !== '' ? parsed.port : parsed.searchParams.get('port');
  const port = portText === null || portText === '' ? DEFAULT_POSTGRES_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new StorageError('STORAGE_URL_INVALID', `${source} (${redactDatabaseUrl(url)}) has an invalid port ${JSON.stringify(portText)}`);
  }
  return Object.freeze({
    host,
    port,
    database: safeDecode(parsed.pathname.replace(/^\//, '')),
    user: safeDecode(parsed.username),
    hostPort: `${host}:${port}`,
  });
}

/**
 * The URL with its password (and any `password`-like query parameter) replaced by
 * {@link REDACTED_PASSWORD}, for logs, messages and `describe()`. Text that does not parse as a
 * `scheme://` URL is not echoed at all: it comes back as `<unparseable URL>`.
 *
 * @example redactDatabaseUrl('postgres://bot:hunter2@db:5432/quant') === 'postgres://bot:***@db:5432/quant'
 */
export function redactDatabaseUrl(url: string): string {
  const parsed = parseAuthorityUrl(url);
  if (parsed === undefined) return '<unparseable URL>';
  if (parsed.password !== '') parsed.password = REDACTED_PASSWORD;
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, REDACTED_PASSWORD);
  }
  return parsed.toString();
}

/**
 * `new URL(text)` when the text is a `scheme://authority…` URL whose user information is where a
 * URL keeps it. Anything else (`bot:hunter2@db` parses as scheme `bot:` with an opaque path, and
 * an unencoded `/` in a password pushes the rest into the path) could show a password wherever
 * it is printed, so it counts as unparseable. Node's URL error is dropped on purpose: it carries
 * the input as a property.
 */
function parseAuthorityUrl(text: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return undefined;
  }
  if (parsed.pathname.includes('@') || parsed.search.includes('@') || parsed.hash.includes('@')) return undefined;
  return parsed;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
