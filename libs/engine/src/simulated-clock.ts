import type { Clock, EpochMs } from '@quantbot/core';
import { LookaheadError } from '@quantbot/core';

/** A clock advanced by the data: in a backtest, "now" is the time of the bar being processed. */
export class SimulatedClock implements Clock {
  #now: EpochMs;

  constructor(start: EpochMs | number = Number.NEGATIVE_INFINITY) {
    this.#now = start as EpochMs;
  }

  now(): EpochMs {
    return this.#now;
  }

  /** Moves time forward to `time`; moving backwards is a `LookaheadError` (it would reorder events). */
  advanceTo(time: EpochMs | number): void {
    if (time < this.#now) {
      throw new LookaheadError(`clock cannot move back from ${this.#now} to ${time}`);
    }
    this.#now = time as EpochMs;
  }
}
