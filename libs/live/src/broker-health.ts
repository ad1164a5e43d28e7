import { ConfigError, formatIsoTime } from '@quantbot/core';

/** One way the trader reaches its broker. */
export type BrokerChannel = 'trade-stream' | 'bar-stream' | 'rest';

/** A channel that is down: since when (the trader's wall clock, epoch ms) and the last word on it. */
export interface ChannelDown {
  readonly channel: BrokerChannel;
  readonly since: number;
  readonly detail: string;
}

/** The broker has been unreachable for too long while the market was open. */
export interface BrokerOutage {
  /** When the broker became unhealthy (some channel down, continuously since). */
  readonly since: number;
  /** How long of it counted (market hours only), in ms. */
  readonly countedMs: number;
  readonly channels: readonly ChannelDown[];
}

/**
 * A reading of the broker's market clock, and when (on the trader's wall clock) it was taken.
 * The broker's time is assumed to move with the wall clock from then on.
 */
export interface MarketClockReading {
  /** Trader's wall clock at the reading, epoch ms. */
  readonly readAt: number;
  /** The broker's own time at the reading, epoch ms. */
  readonly timestamp: number;
  readonly isOpen: boolean;
  readonly nextOpen: number;
  readonly nextClose: number;
}

/**
 * Whether the market is open at wall-clock `time` by the last clock reading: open until the
 * reading's next close, closed from then until its next open, and taken as open after that (the
 * next close is not known yet: an outage then counts, failing closed).
 */
export function isMarketOpenAt(reading: MarketClockReading, time: number): boolean {
  const brokerTime = reading.timestamp + (time - reading.readAt);
  if (brokerTime >= reading.nextOpen) return true;
  return reading.isOpen && brokerTime < reading.nextClose;
}

/**
 * The health of the connection to the broker, channel by channel (the trade-update stream, the
 * bar stream, REST). The broker is unhealthy while any channel is down; `check` reports an outage
 * once it has been unhealthy for `maxOutageMs` of market hours in a row (time while the market is
 * closed does not count, and the count restarts at the open). Times are the trader's wall clock.
 *
 * @example
 * const health = new BrokerHealth({ maxOutageMs: 60_000 });
 * health.set('trade-stream', false, t0, 'reconnecting: socket closed');
 * health.check(t0 + 61_000, true); // { since: t0, countedMs: 61_000, channels: [...] }
 */
export class BrokerHealth {
  readonly maxOutageMs: number;
  readonly #down = new Map<BrokerChannel, ChannelDown>();
  #unhealthySince: number | undefined;
  #openSince: number | undefined;

  constructor(options: { readonly maxOutageMs: number }) {
    if (!(options.maxOutageMs > 0)) throw new ConfigError('maxOutageMs', `must be a positive number of ms, got ${options.maxOutageMs}`);
    this.maxOutageMs = options.maxOutageMs;
  }

  /**
   * Records a channel's state at `time`. Returns `'down'` when the broker just became unhealthy,
   * `'up'` when it just became healthy again, else null (a channel already down stays down since
   * its first report).
   */
  set(channel: BrokerChannel, healthy: boolean, time: number, detail: string): 'down' | 'up' | null {
    const wasHealthy = this.#down.size === 0;
    if (healthy) {
      this.#down.delete(channel);
    } else {
      const current = this.#down.get(channel);
      this.#down.set(channel, { channel, since: current?.since ?? time, detail });
    }
    const isHealthy = this.#down.size === 0;
    if (wasHealthy && !isHealthy) {
      this.#unhealthySince = time;
      return 'down';
    }
    if (!wasHealthy && isHealthy) {
      this.#unhealthySince = undefined;
      return 'up';
    }
    return null;
  }

  /** Since when the broker has been unhealthy, or undefined while it is healthy. */
  get unhealthySince(): number | undefined {
    return this.#unhealthySince;
  }

  /** The channels that are down now, in the order they went down. */
  downChannels(): readonly ChannelDown[] {
    return [...this.#down.values()].sort((a, b) => a.since - b.since);
  }

  /** The outage at `time`, or null: unhealthy for `maxOutageMs` of market hours in a row. */
  check(time: number, marketOpen: boolean): BrokerOutage | null {
    if (!marketOpen) {
      this.#openSince = undefined;
      return null;
    }
    this.#openSince ??= time;
    const since = this.#unhealthySince;
    if (since === undefined) return null;
    const countedMs = time - Math.max(since, this.#openSince);
    return countedMs >= this.maxOutageMs ? { since, countedMs, channels: this.downChannels() } : null;
  }
}

/** "trade-stream down since 2024-03-05T15:01:00.000Z (reconnecting: …)", one channel per clause. */
export function describeChannelsDown(channels: readonly ChannelDown[]): string {
  return channels.map((c) => `${c.channel} down since ${formatIsoTime(c.since)} (${c.detail})`).join('; ');
}
