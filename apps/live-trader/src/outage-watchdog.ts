import { AlpacaApiError, AlpacaNetworkError } from '@quantbot/alpaca';
import type { AlpacaClient, AlpacaClock } from '@quantbot/alpaca';
import type { JsonValue } from '@quantbot/core';
import { BrokerHealth, describeChannelsDown, isMarketOpenAt } from '@quantbot/engine/live';
import type { BrokerChannel, BrokerOutage, MarketClockReading } from '@quantbot/engine/live';
import type { Logger } from '@quantbot/observability';
import type { CliIo } from '@quantbot/cli';

/** The exit code of a trader stopped by (or during) a broker outage. */
export const BROKER_OUTAGE_EXIT_CODE = 5;

/** How often the watchdog looks, at most (a shorter outage limit looks more often). */
const TICK_MS = 1_000;
/** REST is probed this often while a stream is down, and at least this often anyway to keep the clock fresh. */
const PROBE_MS = 5_000;
const CLOCK_REFRESH_MS = 300_000;

/**
 * Watches the connection to Alpaca while a session runs: the streams' states (fed by
 * `streamState`) and REST (probed with the market clock while a stream is down, and every few
 * minutes anyway). Transitions are said on stderr and in the log as they happen. Once the broker
 * has been unhealthy for `maxOutageMs` of market hours (by the broker's last clock), `onOutage`
 * is called once.
 */
export class OutageWatchdog {
  readonly health: BrokerHealth;
  readonly #client: AlpacaClient;
  readonly #now: () => number;
  readonly #io: CliIo;
  readonly #log: Logger;
  #reading: MarketClockReading | undefined;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;
  #lastProbe = -Infinity;
  #fired = false;
  #stopped = false;

  constructor(options: { readonly client: AlpacaClient; readonly maxOutageMs: number; readonly now: () => number; readonly io: CliIo; readonly logger: Logger }) {
    this.health = new BrokerHealth({ maxOutageMs: options.maxOutageMs });
    this.#client = options.client;
    this.#now = options.now;
    this.#io = options.io;
    this.#log = options.logger;
  }

  /** Records a reading of the broker's clock (at connection, at the open). */
  clock(clock: AlpacaClock): void {
    this.#reading = { readAt: this.#now(), timestamp: clock.timestamp, isOpen: clock.isOpen, nextOpen: clock.nextOpen, nextClose: clock.nextClose };
  }

  /**
   * A stream's state change: `ready` is healthy, `reconnecting` and `closed` are down; the steps of
   * a connection attempt (connecting, authenticating, subscribing) change nothing, so a stream
   * that is reconnecting stays down from its first failure until it is ready again.
   */
  streamState(channel: Extract<BrokerChannel, 'trade-stream' | 'bar-stream'>, state: string, detail: string): void {
    // Once stopped the session is closing its own streams: that is no outage.
    if (this.#stopped) return;
    if (state === 'ready') this.#set(channel, true, `${state}: ${detail}`);
    else if (state === 'reconnecting' || state === 'closed') this.#set(channel, false, `${state}: ${detail}`);
  }

  /** Starts looking; `onOutage` is called at most once. */
  start(onOutage: (outage: BrokerOutage) => void): void {
    const tickMs = Math.max(50, Math.min(TICK_MS, Math.floor(this.health.maxOutageMs / 4)));
    this.#timer = setInterval(() => {
      const now = this.#now();
      const unhealthy = this.health.unhealthySince !== undefined;
      const stale = this.#reading === undefined || now - this.#reading.readAt >= CLOCK_REFRESH_MS;
      if ((unhealthy || stale) && now - this.#lastProbe >= Math.min(PROBE_MS, this.health.maxOutageMs / 3)) void this.#probe();
      const open = this.#reading === undefined ? true : isMarketOpenAt(this.#reading, now);
      const outage = this.health.check(now, open);
      if (outage !== null && !this.#fired) {
        this.#fired = true;
        onOutage(outage);
      }
    }, tickMs);
  }

  /** Stops looking; stream states reported afterwards (the session closing them) are ignored. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** What is down now, or undefined while the broker is healthy. */
  describeDown(): string | undefined {
    const down = this.health.downChannels();
    return down.length === 0 ? undefined : describeChannelsDown(down);
  }

  async #probe(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    this.#lastProbe = this.#now();
    try {
      const clock = await withTimeout(this.#client.getClock(), Math.min(PROBE_MS, this.health.maxOutageMs), 'GET /v2/clock');
      this.clock(clock);
      this.#set('rest', true, 'GET /v2/clock answered');
    } catch (error) {
      this.#set('rest', false, `GET /v2/clock: ${(error as Error).message}`);
    } finally {
      this.#probing = false;
    }
  }

  #set(channel: BrokerChannel, healthy: boolean, detail: string): void {
    const now = this.#now();
    const change = this.health.set(channel, healthy, now, detail);
    const fields: { [key: string]: JsonValue } = { channel, healthy, detail };
    if (change === 'down') {
      this.#io.err(`broker: unhealthy since ${new Date(now).toISOString()}: ${channel} ${detail}; the trader stops with exit ${BROKER_OUTAGE_EXIT_CODE} after ${this.health.maxOutageMs} ms of it in market hours`);
      this.#log.warn('broker unhealthy', fields);
    } else if (change === 'up') {
      this.#io.err(`broker: healthy again (${channel} ${detail})`);
      this.#log.info('broker healthy again', fields);
    }
  }
}

/** Settles like `promise`, or rejects after `ms` naming `what`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether `error` (or an error it was caused by) says the broker could not be reached: no answer
 * (a refused or reset connection, a timeout) or a server error (HTTP 5xx), after the client's
 * retries. A step that fails so is part of an outage, not a bug.
 */
export function isBrokerUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof AlpacaNetworkError) return true;
    if (e instanceof AlpacaApiError && e.status >= 500) return true;
  }
  return false;
}
