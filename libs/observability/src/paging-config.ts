import { ConfigError } from '@quantbot/core';
import type { AlertSeverity } from './slo-config';
import { ALERT_SEVERITIES } from './slo-config';

/** Paging settings, from the environment ({@link pagingConfigFromEnv}). */
export interface PagingConfig {
  /** Whether alerts are sent to the webhook at all. */
  readonly enabled: boolean;
  /** The webhook (http or https); null when paging is disabled and none was given. A secret: show it only through {@link redactWebhookUrl}. */
  readonly webhookUrl: string | null;
  /** The least severe alert sent. */
  readonly minSeverity: AlertSeverity;
  /** The bound on each HTTP attempt, in milliseconds. */
  readonly timeoutMs: number;
}

/** The environment variables {@link pagingConfigFromEnv} reads. */
export const PAGING_ENV = {
  enabled: 'SLO_PAGING_ENABLED',
  webhookUrl: 'SLO_PAGING_WEBHOOK_URL',
  minSeverity: 'SLO_PAGING_MIN_SEVERITY',
  timeoutSeconds: 'SLO_PAGING_TIMEOUT_SECONDS',
} as const;

/**
 * Reads the paging settings:
 * - `SLO_PAGING_ENABLED`: `true`/`false`/`1`/`0` (case-insensitive); default false;
 * - `SLO_PAGING_WEBHOOK_URL`: an http or https URL, required when enabled;
 * - `SLO_PAGING_MIN_SEVERITY`: `info`, `warning`, `critical` or `page`; default `critical`;
 * - `SLO_PAGING_TIMEOUT_SECONDS`: a positive number; default 5.
 *
 * Empty values count as unset. A bad value is a `ConfigError` whose key is the variable; a bad
 * URL's message never shows its secret parts (user, password, path, query), only what
 * {@link redactWebhookUrl} shows.
 */
export function pagingConfigFromEnv(env: Readonly<Record<string, string | undefined>>): PagingConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const enabledText = read(PAGING_ENV.enabled)?.toLowerCase();
  let enabled = false;
  if (enabledText !== undefined) {
    if (enabledText === 'true' || enabledText === '1') enabled = true;
    else if (enabledText !== 'false' && enabledText !== '0') throw new ConfigError(PAGING_ENV.enabled, `must be true, false, 1 or 0, got ${JSON.stringify(enabledText)}`);
  }
  const urlText = read(PAGING_ENV.webhookUrl);
  let webhookUrl: string | null = null;
  if (urlText !== undefined) {
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      throw new ConfigError(PAGING_ENV.webhookUrl, 'is not a valid URL (the value is not shown: it may hold a secret)');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(PAGING_ENV.webhookUrl, `must be an http or https URL, got ${url.protocol.replace(/:$/, '')}://…`);
    if (url.hostname === '') throw new ConfigError(PAGING_ENV.webhookUrl, 'must name a host');
    webhookUrl = url.href;
  } else if (enabled) {
    throw new ConfigError(PAGING_ENV.webhookUrl, `is required when ${PAGING_ENV.enabled} is true`);
  }
  const severityText = read(PAGING_ENV.minSeverity)?.toLowerCase() ?? 'critical';
  if (!(ALERT_SEVERITIES as readonly string[]).includes(severityText)) {
    throw new ConfigError(PAGING_ENV.minSeverity, `must be one of ${ALERT_SEVERITIES.join(', ')}, got ${JSON.stringify(severityText)}`);
  }
  const timeoutText = read(PAGING_ENV.timeoutSeconds);
  let timeoutMs = 5000;
  if (timeoutText !== undefined) {
    const seconds = Number(timeoutText);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new ConfigError(PAGING_ENV.timeoutSeconds, `must be a positive number of seconds, got ${JSON.stringify(timeoutText)}`);
    timeoutMs = Math.max(1, Math.round(seconds * 1000));
  }
  return { enabled, webhookUrl, minSeverity: severityText as AlertSeverity, timeoutMs };
}

/**
 * A webhook URL safe to show: scheme and host (with port) only, `https://hooks.example/…`. The
 * user, password, path and query (where webhook tokens live) are left out. Not a URL: `[invalid URL]`.
 */
export function redactWebhookUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return '[invalid URL]';
  }
}

/**
 * The parts of `url` that may be secret (the whole URL, user, password, path, query, fragment),
 * longest first, for scrubbing from free text such as a network error's message.
 */
export function secretPartsOf(url: string): string[] {
  try {
    const parsed = new URL(url);
    const parts = [url, parsed.href, parsed.username, parsed.password, parsed.pathname, parsed.search, parsed.hash];
    for (const segment of parsed.pathname.split('/')) parts.push(segment);
    for (const [, value] of parsed.searchParams) parts.push(value);
    return [...new Set(parts.filter((part) => part.length >= 4 && part !== '/'))].sort((a, b) => b.length - a.length);
  } catch {
    return url.length >= 4 ? [url] : [];
  }
}
