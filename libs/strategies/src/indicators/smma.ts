import { ExponentialSmoothing } from './exponential-smoothing';
import { assertPeriod } from './validation';

/**
 * Wilder's smoothed moving average (SMMA, also RMA): exponential smoothing with
 * alpha = 1 / period, in the inputs' units, seeded with the exact simple average of the first
 * `period` inputs (see `ExponentialSmoothing`). warmup = period. `period` is a positive
 * integer (`ConfigError` otherwise).
 */
export class Smma extends ExponentialSmoothing {
  constructor(period: number) {
    assertPeriod('smma.period', period);
    super(`smma(${period})`, period, 1 / period);
  }
}
