import { QuantbotError } from '@quantbot/core';

/**
 * The stable codes of {@link RegistryError}:
 * - `REGISTRY_NOT_FOUND`: no such experiment, or a snapshot that is not one of the experiment's;
 * - `REGISTRY_CONFLICT`: a record that contradicts one already kept (the same run id with another
 *   digest, a paper day recorded twice, a complete trading day recorded again otherwise, a trading
 *   day of another session);
 * - `REGISTRY_NO_SNAPSHOT`: evidence was given for an experiment that has no parameter snapshot
 *   yet and none was named;
 * - `REGISTRY_SEPARATION_OF_DUTIES`: an approval by the experiment's owner or by someone who
 *   recorded the snapshot's evidence (the message names who and why);
 * - `REGISTRY_PAPER_DAY_REFUSED`: a paper day that is not a trading day of the exchange calendar,
 *   lies in the future, or is not after the snapshot's paper promotion (the message names the
 *   field and the date);
 * - `REGISTRY_TRADING_DAY_REFUSED`: a trader-recorded day that is not a trading day of the
 *   calendar, lies in the future, or is not after the snapshot's first promotion to its stage (the
 *   message names `date`);
 * - `PROMOTION_BLOCKED`: a promotion refused because gates block it (see {@link PromotionBlockedError}).
 */
export type RegistryErrorCode =
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_CONFLICT'
  | 'REGISTRY_NO_SNAPSHOT'
  | 'REGISTRY_SEPARATION_OF_DUTIES'
  | 'REGISTRY_PAPER_DAY_REFUSED'
  | 'REGISTRY_TRADING_DAY_REFUSED'
  | 'PROMOTION_BLOCKED';

/**
 * Why the research registry refuses an operation. Messages name the experiment, snapshot, run or
 * date at fault. Malformed input is a `ConfigError` or `DataError` naming the field instead.
 */
export class RegistryError extends QuantbotError {
  declare readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
