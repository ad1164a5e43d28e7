import { ExponentialSmoothing } from './exponential-smoothing';
import { assertPeriod } from './validation';

/**
 * Exponential moving average with alpha = 2 / (period + 1), in the inputs' units, seeded with
 * the exact simple average of the first `period` inputs (see `ExponentialSmoothing`).
 * warmup = period. `period` is a positive integer (`ConfigError` otherwise); period 1 follows
 * the input.
 */
export class Ema extends ExponentialSmoothing {
  constructor(period: number) {
    assertPeriod('ema.period', period);
    super(`ema(${period})`, period, 2 / (1 + period));
  }
}
