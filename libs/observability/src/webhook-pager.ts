import type { Clock, EpochMs, Notification, Notifier } from '@quantbot/core';
import { ConfigError, SeededRng, formatIsoTime } from '@quantbot/core';
import type { Agent, request as undiciRequest } from 'undici';
import type { Logger } from './logger';
import { redactWebhookUrl, secretPartsOf } from './paging-config';
import type { AlertSeverity } from './slo-config';
import { ALERT_SEVERITIES } from './slo-config';

/**
 * What the pager sends: an SLO alert change ({@link SloAlertChange} fits as it is) or any other
 * alert with a stable key.
 */
export interface PagerAlert {
  /** The deduplication key: one page per key until it resolves (`orderAckLatency/fast-burn`). */
  readonly key: string;
  readonly severity: AlertSeverity;
  /** One line for a human. */
  readonly summary: string;
  readonly detail?: string;
  readonly slo?: string;
  /** The incident number of this key, when the source counts them. */
  readonly episode?: number;
  /** Burn rate by window label (`{ "1h": 20.5, "5m": 31 }`). */
  readonly burnRates?: Readonly<Record<string, number>>;
  /** Fraction of the error budget left. */
  readonly budgetRemaining?: number;
  /** When the alert fired or resolved. */
  readonly time: EpochMs;
}

/**
 * The JSON body POSTed to the webhook. `text` is what Slack-style incoming webhooks display; the
 * other fields are for generic receivers.
 */
export interface WebhookPayload {
  readonly text: string;
  readonly key: string;
  readonly status: 'firing' | 'resolved';
  readonly severity: AlertSeverity;
  readonly summary: string;
  readonly detail: string | null;
  readonly slo: string | null;
  readonly episode: number | null;
  /** Burn rate by window label, rounded to 4 decimals. */
  readonly burnRates: Readonly<Record<string, number>> | null;
  /** Fraction of the error budget left, rounded to 4 decimals. */
  readonly budgetRemaining: number | null;
  readonly session: string | null;
  /** ISO 8601 time of the alert. */
  readonly time: string;
  readonly source: 'quantbot';
}

/**
 * What {@link WebhookPager.page} and {@link WebhookPager.resolve} did: `queued` to be sent,
 * `duplicate` (already paged and not resolved), `below-min-severity` (filtered), `not-open`
 * (a resolve for nothing paged) or `closed` (the pager was closed).
 */
export type PageOutcome = 'queued' | 'duplicate' | 'below-min-severity' | 'not-open' | 'closed';

/** A message the pager gave up on (every attempt failed, or the failure was not worth retrying). */
export interface PagingFailure {
  readonly key: string;
  readonly status: 'firing' | 'resolved';
  readonly attempts: number;
  /** Why the last attempt failed (`HTTP 503`, `no answer within 5000 ms`, `ECONNREFUSED`), without the URL's secret parts. */
  readonly reason: string;
  readonly time: EpochMs;
}

/** The alert path is down: raised once after `pathDownAfter` consecutive failed attempts, until one succeeds. */
export interface PagingPathDown {
  readonly consecutiveFailures: number;
  readonly reason: string;
  readonly since: EpochMs;
  /** A critical notification describing it, for the app to log and show. */
  readonly notification: Notification;
}

/** Counters of a {@link WebhookPager}. */
export interface WebhookPagerStats {
  /** Messages the webhook accepted (2xx). */
  readonly sent: number;
  /** HTTP attempts that failed (timeouts, connection errors, non-2xx answers). */
  readonly failedAttempts: number;
  /** Messages given up on: see {@link PagingFailure}. */
  readonly failures: number;
  /** Messages dropped from a full queue or left unsent when `close` gave up waiting. */
  readonly dropped: number;
  /** Messages waiting to be sent (the one being sent not included). */
  readonly queued: number;
  readonly consecutiveFailures: number;
  readonly pathDown: boolean;
}

/** Options of {@link WebhookPager}. */
export interface WebhookPagerOptions {
  /** The webhook, http or https. A secret: it appears in no message, only as {@link redactWebhookUrl} shows it. */
  readonly url: string;
  /** Timestamps of failures and of the path-down condition. */
  readonly clock: Clock;
  /** The least severe alert sent; default `critical`. */
  readonly minSeverity?: AlertSeverity;
  /** The bound on each HTTP attempt (connect, answer, body), ms; default 5000. */
  readonly timeoutMs?: number;
  /** A session label carried in every payload (a run id, a date). */
  readonly session?: string;
  /** Attempts per message, the first included; default 4. */
  readonly maxAttempts?: number;
  /** First retry delay, ms (doubling each time, half of it jittered); default 1000. */
  readonly backoffBaseMs?: number;
  /** Longest retry delay, ms; default 30 000. */
  readonly backoffMaxMs?: number;
  /** Jitter source; default a `SeededRng` seeded with 1. */
  readonly rng?: SeededRng;
  /** Waits between attempts; default a timer. Inject an instant one in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Most messages waiting; default 100. When full the oldest info or warning goes first, else the oldest. */
  readonly queueCapacity?: number;
  /** Consecutive failed attempts that raise {@link PagingPathDown}; default 3. */
  readonly pathDownAfter?: number;
  /** Called for every message given up on. */
  readonly onFailure?: (failure: PagingFailure) => void;
  /** Called once when the alert path goes down. */
  readonly onPathDown?: (condition: PagingPathDown) => void;
  /** Called when an attempt succeeds after the path was down. */
  readonly onPathRestored?: (time: EpochMs) => void;
  /** Called for every message the webhook accepted (to count pages sent). */
  readonly onSent?: (payload: WebhookPayload) => void;
  /** Where the pager logs sends, failures and drops (never the URL's secret parts). */
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

interface Message {
  readonly key: string;
  readonly severity: AlertSeverity;
  readonly status: 'firing' | 'resolved';
  readonly payload: WebhookPayload;
}

interface HttpClient {
  readonly agent: Agent;
  readonly request: typeof undiciRequest;
}

type AttemptResult = { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly reason: string };

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Sends alerts to a webhook (a generic receiver or a Slack-style incoming webhook) without ever
 * blocking or throwing into the caller:
 *
 * - {@link WebhookPager.page} and {@link WebhookPager.resolve} return at once; messages go out
 *   one at a time, in order, from a bounded queue;
 * - the same key pages once until it is resolved; a resolve is sent only for a key that paged;
 * - each attempt is bounded by `timeoutMs`; timeouts, connection failures, 408/425/429 and
 *   500/502/503/504 are retried with exponential backoff and jitter up to `maxAttempts`; other
 *   answers are not retried;
 * - failures are counted and reported through `onFailure`; after `pathDownAfter` consecutive
 *   failed attempts `onPathDown` raises a local critical condition;
 * - {@link WebhookPager.close} waits, bounded, for what is queued and in flight.
 *
 * @example
 * const config = pagingConfigFromEnv(process.env);
 * const pager = config.enabled && config.webhookUrl !== null
 *   ? new WebhookPager({ url: config.webhookUrl, minSeverity: config.minSeverity, timeoutMs: config.timeoutMs, clock, logger,
 *       onPathDown: (down) => logger.error(down.notification.detail) })
 *   : undefined;
 * for (const change of monitor.evaluate(clock.now())) pager?.handle(change);
 */
export class WebhookPager {
  readonly #url: string;
  readonly #shownUrl: string;
  readonly #secretParts: readonly string[];
  readonly #options: WebhookPagerOptions;
  readonly #minRank: number;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #capacity: number;
  readonly #pathDownAfter: number;
  readonly #rng: SeededRng;
  readonly #sleep: (ms: number) => Promise<void>;
  #client: Promise<HttpClient> | undefined;
  readonly #open = new Set<string>();
  #queue: Message[] = [];
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #closed = false;
  #stopped = false;
  #stop!: () => void;
  readonly #stopping = new Promise<void>((resolve) => (this.#stop = resolve));
  #sent = 0;
  #failedAttempts = 0;
  #failures = 0;
  #dropped = 0;
  #consecutive = 0;
  #pathDown = false;

  /** Throws a `ConfigError` (`url`, `timeoutMs`, `maxAttempts`, `queueCapacity`, `pathDownAfter`) for a bad option; the URL is never shown. */
  constructor(options: WebhookPagerOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new ConfigError('url', 'is not a valid URL (the value is not shown: it may hold a secret)');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError('url', `must be http or https, got ${redactWebhookUrl(options.url)}`);
    this.#url = options.url;
    this.#shownUrl = redactWebhookUrl(options.url);
    this.#secretParts = secretPartsOf(options.url);
    this.#options = options;
    this.#minRank = ALERT_SEVERITIES.indexOf(options.minSeverity ?? 'critical');
    this.#timeoutMs = positive(options.timeoutMs ?? 5000, 'timeoutMs');
    this.#maxAttempts = whole(options.maxAttempts ?? 4, 'maxAttempts');
    this.#capacity = whole(options.queueCapacity ?? 100, 'queueCapacity');
    this.#pathDownAfter = whole(options.pathDownAfter ?? 3, 'pathDownAfter');
    this.#rng = options.rng ?? new SeededRng(1);
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The webhook as it may be shown: `https://hooks.example/…`. */
  get target(): string {
    return this.#shownUrl;
  }

  /** Queues a firing message for `alert` unless it is below the minimum severity or its key already paged and has not resolved. */
  page(alert: PagerAlert): PageOutcome {
    if (this.#closed) return 'closed';
    if (ALERT_SEVERITIES.indexOf(alert.severity) < this.#minRank) return 'below-min-severity';
    if (this.#open.has(alert.key)) return 'duplicate';
    this.#open.add(alert.key);
    this.#enqueue(alert, 'firing');
    return 'queued';
  }

  /** Queues a resolved message for `alert` if its key paged; afterwards the key may page again. */
  resolve(alert: PagerAlert): PageOutcome {
    if (this.#closed) return 'closed';
    if (!this.#open.delete(alert.key)) return 'not-open';
    this.#enqueue(alert, 'resolved');
    return 'queued';
  }

  /** {@link WebhookPager.page} for a firing change, {@link WebhookPager.resolve} for a resolved one. */
  handle(change: PagerAlert & { readonly status: 'firing' | 'resolved' }): PageOutcome {
    return change.status === 'firing' ? this.page(change) : this.resolve(change);
  }

  /** Queues a one-off firing message (no deduplication, nothing to resolve): for notifications. Below the minimum severity it is filtered. */
  announce(alert: PagerAlert): PageOutcome {
    if (this.#closed) return 'closed';
    if (ALERT_SEVERITIES.indexOf(alert.severity) < this.#minRank) return 'below-min-severity';
    this.#enqueue(alert, 'firing');
    return 'queued';
  }

  /** Messages given up on so far. */
  failures(): number {
    return this.#failures;
  }

  /** All counters. */
  stats(): WebhookPagerStats {
    return {
      sent: this.#sent,
      failedAttempts: this.#failedAttempts,
      failures: this.#failures,
      dropped: this.#dropped,
      queued: this.#queue.length,
      consecutiveFailures: this.#consecutive,
      pathDown: this.#pathDown,
    };
  }

  /** Resolves when the queue is empty and nothing is in flight (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    // Each pass awaits the running worker; a worker only starts when a message is queued.
    for (let pass = 0; pass < 1000 && this.#running !== undefined; pass++) await this.#running;
  }

  /**
   * Stops accepting messages and waits up to `graceMs` (default twice the attempt timeout) for the
   * queue to drain; then aborts what is in flight, counts what is left as dropped and closes the
   * connections. Never rejects. Returns the final counters.
   */
  async close(graceMs: number = 2 * this.#timeoutMs): Promise<WebhookPagerStats> {
    this.#closed = true;
    const running = this.#running;
    if (running !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
      const outcome = await Promise.race([running.then(() => 'done' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.#stopped = true;
        this.#stop();
        this.#abort?.abort();
        this.#dropped += this.#queue.length;
        if (this.#queue.length > 0) this.#log('warn', `paging: closed with ${this.#queue.length} message(s) unsent`);
        this.#queue = [];
        await running;
      }
    }
    this.#stopped = true;
    this.#stop();
    const client = await this.#client?.catch(() => undefined);
    await client?.agent.destroy().catch(() => undefined);
    return this.stats();
  }

  #enqueue(alert: PagerAlert, status: 'firing' | 'resolved'): void {
    if (this.#queue.length >= this.#capacity) {
      const lowIndex = this.#queue.findIndex((message) => message.severity === 'info' || message.severity === 'warning');
      const [dropped] = this.#queue.splice(lowIndex === -1 ? 0 : lowIndex, 1);
      this.#dropped++;
      this.#log('warn', `paging: queue full (${this.#capacity}), dropped the ${dropped?.status ?? ''} message of ${dropped?.key ?? ''}`, { severity: dropped?.severity });
    }
    this.#queue.push({ key: alert.key, severity: alert.severity, status, payload: this.#payload(alert, status) });
    this.#running ??= this.#pump();
  }

  #payload(alert: PagerAlert, status: 'firing' | 'resolved'): WebhookPayload {
    const session = this.#options.session ?? null;
    const text = `[${alert.severity.toUpperCase()}] ${status === 'firing' ? 'FIRING' : 'RESOLVED'}: ${alert.summary}${session === null ? '' : ` (session ${session})`}`;
    return {
      text,
      key: alert.key,
      status,
      severity: alert.severity,
      summary: alert.summary,
      detail: alert.detail ?? null,
      slo: alert.slo ?? null,
      episode: alert.episode ?? null,
      burnRates: alert.burnRates === undefined ? null : Object.fromEntries(Object.entries(alert.burnRates).map(([window, rate]) => [window, round4(rate)])),
      budgetRemaining: alert.budgetRemaining === undefined ? null : round4(alert.budgetRemaining),
      session,
      time: formatIsoTime(alert.time),
      source: 'quantbot',
    };
  }

  async #pump(): Promise<void> {
    try {
      // Bounded: each pass removes one message; new ones are capped by the queue's capacity.
      for (let message = this.#queue.shift(); message !== undefined && !this.#stopped; message = this.#queue.shift()) {
        await this.#deliver(message);
      }
    } catch (error) {
      // #deliver catches everything; this is a last guard so a bug never becomes an unhandled rejection.
      this.#log('error', `paging: internal error: ${this.#scrub(error instanceof Error ? error.message : String(error))}`);
    } finally {
      this.#running = undefined;
    }
  }

  async #deliver(message: Message): Promise<void> {
    const body = JSON.stringify(message.payload);
    let reason = '';
    let attempts = 0;
    for (let attempt = 1; attempt <= this.#maxAttempts && !this.#stopped; attempt++) {
      attempts = attempt;
      const result = await this.#attempt(body);
      if (result.ok) {
        this.#sent++;
        this.#consecutive = 0;
        this.#log('info', `paging: sent ${message.status} ${message.key} to ${this.#shownUrl}`, { severity: message.severity, attempts: attempt });
        if (this.#pathDown) {
          this.#pathDown = false;
          this.#call(() => this.#options.onPathRestored?.(this.#options.clock.now()));
        }
        this.#call(() => this.#options.onSent?.(message.payload));
        return;
      }
      reason = result.reason;
      this.#failedAttempts++;
      this.#consecutive++;
      this.#log('warn', `paging: attempt ${attempt} of ${this.#maxAttempts} to ${this.#shownUrl} failed: ${reason}`, { key: message.key });
      if (this.#consecutive >= this.#pathDownAfter && !this.#pathDown) this.#raisePathDown(reason);
      if (!result.retryable || attempt === this.#maxAttempts || this.#stopped) break;
      await Promise.race([this.#sleep(this.#delayMs(attempt)), this.#stopping]);
    }
    this.#failures++;
    const failure: PagingFailure = { key: message.key, status: message.status, attempts, reason, time: this.#options.clock.now() };
    this.#log('error', `paging: gave up on ${message.status} ${message.key} after ${attempts} attempt(s) to ${this.#shownUrl}: ${reason}`, { severity: message.severity });
    this.#call(() => this.#options.onFailure?.(failure));
  }

  async #attempt(body: string): Promise<AttemptResult> {
    let client: HttpClient;
    try {
      client = await this.#httpClient();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, retryable: false, reason: `paging needs the package undici: install it (npm install undici@7.30.2) (${this.#scrub(why)})` };
    }
    const controller = new AbortController();
    this.#abort = controller;
    // undici's own timeouts run on a coarse timer; this deadline bounds the whole exchange.
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const response = await client.request(this.#url, {
        method: 'POST',
        dispatcher: client.agent,
        headers: { 'content-type': 'application/json', 'user-agent': 'quantbot-pager' },
        body,
        signal: controller.signal,
      });
      await response.body.text().catch(() => '');
      if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true };
      return { ok: false, retryable: RETRYABLE_STATUS.has(response.statusCode), reason: `HTTP ${response.statusCode}` };
    } catch (error) {
      if (controller.signal.aborted) return { ok: false, retryable: true, reason: this.#stopped ? 'aborted: the pager closed' : `no answer within ${this.#timeoutMs} ms` };
      const code = (error as { code?: unknown }).code;
      const text = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
      return { ok: false, retryable: true, reason: this.#scrub(text) };
    } finally {
      clearTimeout(timer);
      this.#abort = undefined;
    }
  }

  /**
   * undici, loaded on the first send rather than with the library: it is an optional peer
   * dependency, so that a project using only the logger or the metrics (a backtest) does not
   * install an HTTP client.
   */
  #httpClient(): Promise<HttpClient> {
    this.#client ??= import('undici').then((undici) => ({
      agent: new undici.Agent({ connect: { timeout: this.#timeoutMs }, headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs }),
      request: undici.request,
    }));
    return this.#client;
  }

  /** Exponential backoff from `backoffBaseMs`, capped at `backoffMaxMs`, the upper half jittered. */
  #delayMs(attempt: number): number {
    const base = this.#options.backoffBaseMs ?? 1000;
    const max = this.#options.backoffMaxMs ?? 30_000;
    const full = Math.min(max, base * 2 ** (attempt - 1));
    return Math.round(full / 2 + (full / 2) * this.#rng.nextFloat());
  }

  #raisePathDown(reason: string): void {
    this.#pathDown = true;
    const since = this.#options.clock.now();
    const notification: Notification = {
      severity: 'critical',
      title: 'Alert path down',
      detail: `${this.#consecutive} consecutive attempts to send alerts to ${this.#shownUrl} failed (last: ${reason}); alerts are not reaching anyone`,
      time: since,
    };
    this.#log('error', `paging: ${notification.detail}`);
    this.#call(() => this.#options.onPathDown?.({ consecutiveFailures: this.#consecutive, reason, since, notification }));
  }

  #scrub(text: string): string {
    let out = text;
    for (const part of this.#secretParts) out = out.split(part).join('…');
    return out;
  }

  #log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    const logger = this.#options.logger;
    if (logger === undefined) return;
    this.#call(() => logger[level](this.#scrub(message), fields));
  }

  /** Runs a caller's callback; what it throws is dropped (a callback must never stop the pager). */
  #call(callback: () => void): void {
    try {
      callback();
    } catch {
      // Deliberately ignored: see above.
    }
  }
}

/**
 * The core `Notifier` port over a {@link WebhookPager}: each notification is sent once, as a
 * firing message keyed `notification/<title>` (no deduplication), filtered by the pager's
 * minimum severity. `notify` resolves at once and never rejects.
 */
export function webhookNotifier(pager: WebhookPager): Notifier {
  return {
    notify: (notification) => {
      pager.announce({ key: `notification/${notification.title}`, severity: notification.severity, summary: notification.title, detail: notification.detail, time: notification.time });
      return Promise.resolve();
    },
  };
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function positive(value: number, key: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(key, `must be a positive number, got ${value}`);
  return value;
}

function whole(value: number, key: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(key, `must be a whole number ≥ 1, got ${value}`);
  return value;
}
