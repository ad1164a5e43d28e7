import type { JsonObject } from './canonical-json';

/**
 * The port through which the registry learns which strategies exist and what their parameters
 * may be. The registry is a domain library and does not import the strategies library; the
 * program that opens the registry wires one (the promotion gate wires `@quantbot/strategies`).
 *
 * @example
 * const catalog: StrategyCatalog = {
 *   strategies: () => ['sma-crossover'],
 *   checkParams: (strategy, params) => { if (typeof params['fast'] !== 'number') throw new ConfigError('params.fast', 'must be a number'); },
 * };
 */
export interface StrategyCatalog {
  /** The names of the strategies that exist, for `create` and for messages. */
  strategies(): readonly string[];
  /**
   * Checks `params` against `strategy`'s parameter schema (types, ranges, and rules between
   * parameters such as fast < slow). Throws a `ConfigError` whose key is the field
   * (`params.fast`) when they do not fit; returns nothing when they do.
   */
  checkParams(strategy: string, params: JsonObject): void;
}
