import type { EpochMs } from '../ids';

/** The source of "now". Backtests use a simulated clock advanced by the data; live uses the wall clock. */
export interface Clock {
  now(): EpochMs;
}
