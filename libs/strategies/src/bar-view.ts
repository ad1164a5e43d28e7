import { LookaheadError } from '@quantbot/core';
import type { BarUniverse, EpochMs, Ticker } from '@quantbot/core';
import type { StepView } from './strategy';

/**
 * What a strategy can see of one symbol: the current bar and the bars before it, never after.
 * `ago` counts time steps back from the current one (0 = now, 1 = the previous step). A step
 * where the symbol had no bar reads as NaN. Asking for a step before the first, or a negative
 * `ago` (the future), throws a `RangeError`: the view holds no handle on later data.
 */
export interface BarView {
  readonly symbol: Ticker;
  readonly symbolIndex: number;
  /** Number of time steps visible, including the current one. */
  readonly visibleSteps: number;
  time(ago?: number): EpochMs;
  open(ago?: number): number;
  high(ago?: number): number;
  low(ago?: number): number;
  close(ago?: number): number;
  volume(ago?: number): number;
}

/**
 * The current position in time of a backtest or live session. Only the engine holds it; views
 * read it, so a strategy has no handle with which to move time forward.
 */
export class TimeCursor {
  #index = -1;
  readonly #length: number;

  constructor(length: number) {
    this.#length = length;
  }

  /** The current step, -1 before the first. */
  get index(): number {
    return this.#index;
  }

  /** Moves to step `index`. Steps only go forward, one at a time or by skipping. */
  advanceTo(index: number): void {
    if (!Number.isInteger(index) || index <= this.#index || index >= this.#length) {
      throw new LookaheadError(`cursor cannot move from step ${this.#index} to ${index} (length ${this.#length})`);
    }
    this.#index = index;
  }
}

/** A `BarView` onto one symbol of a `BarUniverse`, bounded by a `TimeCursor`. */
export class UniverseBarView implements BarView {
  readonly symbol: Ticker;
  readonly symbolIndex: number;
  readonly #universe: BarUniverse;
  readonly #cursor: TimeCursor;
  readonly #base: number;

  constructor(universe: BarUniverse, symbolIndex: number, cursor: TimeCursor) {
    const symbol = universe.symbols[symbolIndex];
    if (symbol === undefined) throw new RangeError(`symbol index ${symbolIndex} outside the universe`);
    this.symbol = symbol;
    this.symbolIndex = symbolIndex;
    this.#universe = universe;
    this.#cursor = cursor;
    this.#base = symbolIndex * universe.length;
  }

  get visibleSteps(): number {
    return this.#cursor.index + 1;
  }

  time(ago = 0): EpochMs {
    return this.#universe.time[this.#step(ago)] as EpochMs;
  }

  open(ago = 0): number {
    return this.#universe.open[this.#base + this.#step(ago)] as number;
  }

  high(ago = 0): number {
    return this.#universe.high[this.#base + this.#step(ago)] as number;
  }

  low(ago = 0): number {
    return this.#universe.low[this.#base + this.#step(ago)] as number;
  }

  close(ago = 0): number {
    return this.#universe.close[this.#base + this.#step(ago)] as number;
  }

  volume(ago = 0): number {
    return this.#universe.volume[this.#base + this.#step(ago)] as number;
  }

  #step(ago: number): number {
    const step = this.#cursor.index - ago;
    // `ago < 0` would be the future: refused by the same check as reading before the start.
    if (!(ago >= 0) || step < 0 || !Number.isInteger(ago)) {
      throw new RangeError(`${this.symbol}: cannot read ${ago} steps ago at step ${this.#cursor.index}`);
    }
    return step;
  }
}

/** A `StepView` onto every symbol of a `BarUniverse` at the cursor's step. */
export class UniverseStepView implements StepView {
  readonly views: readonly BarView[];
  readonly #universe: BarUniverse;
  readonly #cursor: TimeCursor;

  constructor(universe: BarUniverse, views: readonly BarView[], cursor: TimeCursor) {
    this.#universe = universe;
    this.views = views;
    this.#cursor = cursor;
  }

  get time(): EpochMs {
    return this.#universe.time[this.#cursor.index] as EpochMs;
  }

  hasBar(symbolIndex: number): boolean {
    if (!Number.isInteger(symbolIndex) || symbolIndex < 0 || symbolIndex >= this.views.length) {
      throw new RangeError(`symbol index ${symbolIndex} outside the universe`);
    }
    return this.#universe.hasBar[symbolIndex * this.#universe.length + this.#cursor.index] === 1;
  }
}
