import { QuantbotError } from '@quantbot/core';

/**
 * The stable codes of {@link RegistryError}:
 * - `REGISTRY_NOT_FOUND`: no such experiment, or a snapshot that is not one of the experiment's;
 * - `REGISTRY_CONFLICT`: a record that contradicts one already kept (the same run id with another
 *   digest, a paper day recorded twice);
 * - `REGISTRY_NO_SNAPSHOT`: evidence was given for an experiment that has no parameter snapshot
 *   yet and none was named;
 * - `PROMOTION_BLOCKED`: a promotion refused because gates block it (see {@link PromotionBlockedError}).
 */
export type RegistryErrorCode = 'REGISTRY_NOT_FOUND' | 'REGISTRY_CONFLICT' | 'REGISTRY_NO_SNAPSHOT' | 'PROMOTION_BLOCKED';

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
