/**
 * What every incremental indicator has in common. Updates are O(1) and allocate nothing.
 * `warmup` is the number of inputs (bars) needed before the first value: after exactly
 * `warmup` calls to `update`, `isReady` turns true and every line is defined; before that,
 * every line reads NaN. So on a series the first defined value sits at index `warmup - 1`.
 */
export interface Indicator {
  /** A label with the parameters, such as `sma(20)`. */
  readonly name: string;
  /** True once every output line has a value. */
  readonly isReady: boolean;
  /** Inputs needed for the first value (see above). */
  readonly warmup: number;
  /** Forgets all inputs; the indicator behaves as if newly constructed. */
  reset(): void;
}

/** An indicator fed one price (usually the close) per bar. */
export interface PriceIndicator extends Indicator {
  /** Feeds the next price; a non-finite price is a `DataError` and changes nothing. */
  update(value: number): void;
}

/** An indicator fed a bar's high, low and close. */
export interface HlcIndicator extends Indicator {
  /** Feeds the next bar; non-finite values or high < low are a `DataError` and change nothing. */
  update(high: number, low: number, close: number): void;
}
