import type { VenueClock } from '@quantbot/core';
import { QuantbotError } from '@quantbot/core';
import { BrokerHealth, describeChannelsDown, isMarketOpenAt } from './broker-health';
import type { BrokerChannel, BrokerOutage, MarketClockReading } from './broker-health';
import { containNotify } from './live-notice';
import type { LiveNotify } from './live-notice';

/** How often the watchdog looks, at most (a shorter outage limit looks more often). */
const TICK_MS = 1_000;
/** REST is probed this often while a stream is down, and at least this often anyway to keep the clock fresh. */
const PROBE_MS = 5_000;
const CLOCK_REFRESH_MS = 300_000;

/**
 * Watches the connection to the broker while a session runs: the streams' states (fed by
 * `streamState`) and REST (probed with the market clock while a stream is down, and every few
 * minutes anyway). Transitions are notified as they happen. Once the broker
 * has been unhealthy for `maxOutageMs` of market hours (by the broker's last clock), `onOutage`
 * is called once.
 */
export class OutageWatchdog {
  readonly health: BrokerHealth;
  readonly #probeClock: () => Promise<VenueClock>;
  readonly #now: () => number;
  readonly #notify: LiveNotify;
  #reading: MarketClockReading | undefined;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;
  #lastProbe = -Infinity;
  #fired = false;
  #stopped = false;

  constructor(options: {
    /** Reads the broker's market clock over REST (the probe). */
    readonly probeClock: () => Promise<VenueClock>;
    readonly maxOutageMs: number;
    /** Wall clock, epoch ms. */
    readonly now: () => number;
    readonly notify: LiveNotify;
  }) {
    this.health = new BrokerHealth({ maxOutageMs: options.maxOutageMs });
    this.#probeClock = options.probeClock;
    this.#now = options.now;
    // A failing alert path never stops the watchdog's timer (nor throws out of it).
    this.#notify = containNotify(options.notify).notify;
  }

  /** Records a reading of the broker's clock (at connection, at the open). */
  clock(clock: VenueClock): void {
    this.#reading = { readAt: this.#now(), timestamp: clock.timestamp, isOpen: clock.isOpen, nextOpen: clock.nextOpen, nextClose: clock.nextClose };
    this.#notify({ kind: 'market-clock', clock: this.#reading });
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
      const clock = await withTimeout(this.#probeClock(), Math.min(PROBE_MS, this.health.maxOutageMs), 'the market clock');
      this.clock(clock);
      this.#set('rest', true, 'the market clock answered');
    } catch (error) {
      this.#set('rest', false, `the market clock: ${(error as Error).message}`);
    } finally {
      this.#probing = false;
    }
  }

  #set(channel: BrokerChannel, healthy: boolean, detail: string): void {
    const now = this.#now();
    const change = this.health.set(channel, healthy, now, detail);
    if (change === 'down') this.#notify({ kind: 'broker-unhealthy', channel, detail, since: now, maxOutageMs: this.health.maxOutageMs });
    else if (change === 'up') this.#notify({ kind: 'broker-healthy', channel, detail });
  }
}

/** Something the broker was asked did not answer in time. */
export class BrokerTimeoutError extends QuantbotError {
  readonly what: string;
  readonly ms: number;

  constructor(what: string, ms: number) {
    super('BROKER_TIMEOUT', `${what}: no answer within ${ms} ms`);
    this.what = what;
    this.ms = ms;
  }
}

/** Settles like `promise`, or rejects after `ms` with a `BrokerTimeoutError` naming `what`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BrokerTimeoutError(what, ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
