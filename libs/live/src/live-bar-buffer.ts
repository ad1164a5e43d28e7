import type { Bar, BarUniverse, Ticker } from '@quantbot/core';
import { QuantbotError } from '@quantbot/core';

/** The live session's bar buffer is full: the session must roll over (checkpoint and restore). */
export class LiveCapacityError extends QuantbotError {
  constructor(capacity: number) {
    super('LIVE_CAPACITY', `the live bar buffer is full (${capacity} steps); roll the session over`);
  }
}

/** A bar that cannot be appended: out of order, or with prices that are not prices. */
export class LiveBarError extends QuantbotError {
  constructor(message: string) {
    super('LIVE_BAR', message);
  }
}

/** One step of bars, JSON-safe: a row per symbol of [open, high, low, close, volume], or null. */
export interface RecentBars {
  readonly times: readonly number[];
  readonly rows: readonly (readonly ((readonly [number, number, number, number, number]) | null)[])[];
}

/**
 * A `BarUniverse` that grows as bars arrive. Its arrays are allocated for `capacity` steps up
 * front (so the layout `[s * length + k]` of the engine stays valid); steps not yet filled have
 * no bar, and nothing reads them, because the session's time cursor never passes the last
 * appended step.
 */
export class LiveBarBuffer {
  readonly universe: BarUniverse;
  #steps = 0;

  constructor(symbols: readonly Ticker[], capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    const cells = symbols.length * capacity;
    const prices = (): Float64Array => new Float64Array(cells).fill(NaN);
    this.universe = {
      symbols: Object.freeze([...symbols]),
      length: capacity,
      time: new Float64Array(capacity).fill(NaN),
      open: prices(),
      high: prices(),
      low: prices(),
      close: prices(),
      volume: prices(),
      hasBar: new Uint8Array(cells),
    };
  }

  /** Steps appended so far. */
  get steps(): number {
    return this.#steps;
  }

  get capacity(): number {
    return this.universe.length;
  }

  get lastTime(): number {
    return this.#steps === 0 ? Number.NEGATIVE_INFINITY : (this.universe.time[this.#steps - 1] as number);
  }

  /**
   * Appends the bars of one time step (`bars[s]` for symbol `s`, undefined when it did not
   * trade). Returns the step index. Time must increase strictly.
   */
  append(time: number, bars: readonly (Bar | undefined)[]): number {
    const u = this.universe;
    if (this.#steps >= u.length) throw new LiveCapacityError(u.length);
    if (!(time > this.lastTime)) throw new LiveBarError(`bar time ${new Date(time).toISOString()} is not after the last step's`);
    if (bars.length !== u.symbols.length) throw new LiveBarError(`expected ${u.symbols.length} symbols' bars, got ${bars.length}`);
    const k = this.#steps;
    bars.forEach((bar, s) => {
      if (bar === undefined) return;
      const { open, high, low, close, volume } = bar;
      if (![open, high, low, close].every((p) => Number.isFinite(p) && p > 0) || !(volume >= 0) || high < low) {
        throw new LiveBarError(`${u.symbols[s] as string} bar at ${new Date(time).toISOString()} is not a valid OHLCV bar`);
      }
      const at = s * u.length + k;
      u.open[at] = open;
      u.high[at] = high;
      u.low[at] = low;
      u.close[at] = close;
      u.volume[at] = volume;
      u.hasBar[at] = 1;
    });
    u.time[k] = time;
    this.#steps = k + 1;
    return k;
  }

  /**
   * Appends the steps of `history` (an aligned universe over the same symbols, in order) that are
   * later than `after` and than the buffer's last step: a restart's catch-up skips what it has.
   */
  appendUniverse(history: BarUniverse, after = Number.NEGATIVE_INFINITY): void {
    if (history.symbols.join(',') !== this.universe.symbols.join(',')) {
      throw new LiveBarError(`history covers ${history.symbols.join(',')}, the session ${this.universe.symbols.join(',')}`);
    }
    for (let k = 0; k < history.length; k++) {
      const time = history.time[k] as number;
      if (!(time > after) || !(time > this.lastTime)) continue;
      const bars = history.symbols.map((_, s) => {
        const at = s * history.length + k;
        if (history.hasBar[at] !== 1) return undefined;
        return {
          time: time as Bar['time'],
          open: history.open[at] as number,
          high: history.high[at] as number,
          low: history.low[at] as number,
          close: history.close[at] as number,
          volume: history.volume[at] as number,
        };
      });
      this.append(time, bars);
    }
  }

  /** The last `count` steps, JSON-safe, for a checkpoint. */
  recent(count: number): RecentBars {
    const u = this.universe;
    const from = Math.max(0, this.#steps - count);
    const times: number[] = [];
    const rows: ((readonly [number, number, number, number, number]) | null)[][] = [];
    for (let k = from; k < this.#steps; k++) {
      times.push(u.time[k] as number);
      rows.push(
        u.symbols.map((_, s) => {
          const at = s * u.length + k;
          return u.hasBar[at] === 1
            ? ([u.open[at] as number, u.high[at] as number, u.low[at] as number, u.close[at] as number, u.volume[at] as number] as const)
            : null;
        }),
      );
    }
    return { times, rows };
  }

  /** Appends steps saved by `recent`. */
  appendRecent(recent: RecentBars): void {
    recent.times.forEach((time, i) => {
      const row = recent.rows[i] ?? [];
      this.append(
        time,
        row.map((cell) => (cell === null ? undefined : { time: time as Bar['time'], open: cell[0], high: cell[1], low: cell[2], close: cell[3], volume: cell[4] })),
      );
    });
  }
}
