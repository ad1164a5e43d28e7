import type { FieldFlags } from '@quantbot/cli';
import { BACKTEST_RUN_FIELD_FLAGS } from '@quantbot/cli';

/**
 * The backtester's one table from the option fields its libraries name in errors to its flags:
 * `run`'s (shared with every command that loads data the same way), then those of `sweep`,
 * `walk-forward`, `replay`, `factors` and the distributed queue's. `main` names the flag of every `ConfigError` through it.
 */
export const BACKTESTER_FIELD_FLAGS: FieldFlags = Object.freeze({
  ...BACKTEST_RUN_FIELD_FLAGS,
  baseParams: '--params',
  space: '--space',
  samples: '--samples',
  objective: '--objective',
  workers: '--workers',
  train: '--train',
  test: '--test',
  step: '--step',
  purge: '--purge',
  embargo: '--embargo',
  maxOverfitRatio: '--max-overfit-ratio',
  minOosSharpe: '--min-oos-sharpe',
  date: '--replay-date',
  limit: '--limit',
  factor: '--factor',
  periods: '--periods',
  quantiles: '--quantiles',
  dates: '--dates',
  ic: '--ic',
  // The distributed queue's (`TrialQueue.open`): `sweep`/`walk-forward --distributed` and `worker`.
  schema: '--queue-schema',
});
