import type { JsonObject } from './canonical-json';
import type { StrategyFileRef } from './experiment-input';

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
   * (`params.fast`) when they do not fit; returns nothing when they do. For an experiment of a
   * strategy file, `file` is the file recorded with it: the catalog checks against that file's
   * schema, and refuses (a `ConfigError` keyed `strategy`) a file whose bytes no longer hash to
   * `file.sha256`. May return a promise (the registry awaits it), so a catalog can load what it
   * needs lazily.
   */
  checkParams(strategy: string, params: JsonObject, file?: StrategyFileRef): void | Promise<void>;
}
