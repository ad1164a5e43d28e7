import type { BrokerChannel, LiveNotice, LiveStepReport } from '@quantbot/live';

/** The broker channels a `--broker alpaca` trader watches, in the order the status line shows them. */
export const BROKER_CHANNELS: readonly BrokerChannel[] = ['trade-stream', 'bar-stream', 'rest'];

/** What the trader knows of a channel: `unknown` until the first word on it. */
export type ChannelState = 'up' | 'down' | 'unknown';

const DAY_MS = 86_400_000;

/** A running trader as its operator sees it: the latest step, the broker's channels, the kill switch. */
export interface TraderSnapshot {
  /** The last bar's time (epoch ms), or undefined before the first step. */
  readonly barTime: number | undefined;
  /** Steps taken by this process. */
  readonly steps: number;
  readonly equity: number | undefined;
  readonly cash: number | undefined;
  /**
   * Equity minus the equity at the end of the previous UTC day as this process saw it (the kill
   * switch's daily-loss reference), or minus the day's first equity when this process saw no
   * earlier day.
   */
  readonly dayPnl: number | undefined;
  /** The highest equity of this process's steps, and how far below it equity is (a ratio, 0 at the peak). */
  readonly peakEquity: number | undefined;
  readonly drawdown: number | undefined;
  readonly positions: number | undefined;
  readonly workingOrders: number | undefined;
  /** Per channel with `--broker alpaca`; undefined with `--broker sim` (no broker to reach). */
  readonly broker: Readonly<Record<BrokerChannel, ChannelState>> | undefined;
  readonly killSwitch: { readonly state: string; readonly reason: string | undefined };
}

/**
 * Follows a running session from its notices (and, with a broker, its streams' events), for the
 * status line and the metrics.
 */
export class TraderView {
  #barTime: number | undefined;
  #steps = 0;
  #equity: number | undefined;
  #cash: number | undefined;
  #peak: number | undefined;
  #positions: number | undefined;
  #workingOrders: number | undefined;
  #day = NaN;
  #dayReference: number | undefined;
  #lastEquityOfDay: number | undefined;
  readonly #broker: Record<BrokerChannel, ChannelState> | undefined;
  #killState = 'active';
  #killReason: string | undefined;

  /** `killSwitch`: the state a resumed checkpoint holds (default active). */
  constructor(options: { readonly withBroker: boolean; readonly killSwitch?: { readonly state: string; readonly reason: string | undefined } }) {
    this.#killState = options.killSwitch?.state ?? 'active';
    this.#killReason = options.killSwitch?.reason;
    this.#broker = options.withBroker ? { 'trade-stream': 'unknown', 'bar-stream': 'unknown', rest: 'unknown' } : undefined;
  }

  /** Takes one notice in. */
  observe(notice: LiveNotice): void {
    switch (notice.kind) {
      case 'step':
        this.#step(notice.report);
        return;
      case 'kill-switch':
        this.#killState = notice.to;
        this.#killReason = notice.reason;
        return;
      case 're-arm':
        if (notice.applied) {
          this.#killState = notice.state;
          this.#killReason = notice.state === 'active' ? undefined : this.#killReason;
        }
        return;
      case 'broker-unhealthy':
        this.#setChannel(notice.channel, 'down');
        return;
      case 'broker-healthy':
        this.#setChannel(notice.channel, 'up');
        return;
      case 'trading':
        // Bars flow: the streams are up, and REST answered the start's reconciliation.
        for (const channel of BROKER_CHANNELS) if (this.#broker?.[channel] === 'unknown') this.#setChannel(channel, 'up');
        return;
      default:
        return;
    }
  }

  /** A stream's own event (`ready`, `reconnecting`, `closed`, …) from the venue. */
  streamEvent(channel: 'trade-stream' | 'bar-stream', state: string): void {
    if (state === 'ready') this.#setChannel(channel, 'up');
    else if (state === 'reconnecting' || state === 'closed') this.#setChannel(channel, 'down');
  }

  snapshot(): TraderSnapshot {
    const equity = this.#equity;
    const peak = this.#peak;
    return {
      barTime: this.#barTime,
      steps: this.#steps,
      equity,
      cash: this.#cash,
      dayPnl: equity === undefined || this.#dayReference === undefined ? undefined : equity - this.#dayReference,
      peakEquity: peak,
      drawdown: equity === undefined || peak === undefined || peak <= 0 ? undefined : Math.max(0, (peak - equity) / peak),
      positions: this.#positions,
      workingOrders: this.#workingOrders,
      broker: this.#broker === undefined ? undefined : { ...this.#broker },
      killSwitch: { state: this.#killState, reason: this.#killReason },
    };
  }

  #step(report: LiveStepReport): void {
    this.#steps++;
    this.#barTime = report.time;
    const day = Math.floor(report.time / DAY_MS);
    if (day !== this.#day) {
      // A new UTC day: its reference is the previous day's last equity, or its own first one.
      this.#dayReference = this.#lastEquityOfDay ?? report.equity;
      this.#day = day;
    }
    this.#lastEquityOfDay = report.equity;
    this.#equity = report.equity;
    this.#cash = report.cash;
    this.#peak = this.#peak === undefined ? report.equity : Math.max(this.#peak, report.equity);
    this.#positions = report.openPositions;
    this.#workingOrders = report.workingOrders;
    if (report.tradingState !== this.#killState) {
      this.#killState = report.tradingState;
      if (report.tradingState === 'active') this.#killReason = undefined;
    }
  }

  #setChannel(channel: BrokerChannel, state: ChannelState): void {
    if (this.#broker !== undefined) this.#broker[channel] = state;
  }
}
