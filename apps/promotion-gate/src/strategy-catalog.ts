import { ConfigError } from '@quantbot/core';
import type { JsonObject, StrategyCatalog } from '@quantbot/research-registry';
import { STRATEGY_DEFINITIONS, createStrategy } from '@quantbot/strategies';

/**
 * The registry's strategy catalog, wired to `@quantbot/strategies`: the strategies that exist
 * are the shipped definitions, and parameters are checked by building the strategy (the same
 * parameter parsing and construction the backtester and the trader use), so a type, a range or a
 * rule between parameters (fast < slow) is refused as it would be at run time. Values must be JSON
 * numbers or booleans (no `"10"` strings); errors name the field (`params.fast: ...`).
 */
export const STRATEGY_CATALOG: StrategyCatalog = Object.freeze({
  strategies: (): readonly string[] => STRATEGY_DEFINITIONS.map((d) => d.name),
  checkParams(strategy: string, params: JsonObject): void {
    const raw: Record<string, number | boolean> = {};
    for (const [name, value] of Object.entries(params)) {
      if (typeof value !== 'number' && typeof value !== 'boolean') throw new ConfigError(`params.${name}`, `must be a number or a boolean, got ${JSON.stringify(value)}`);
      raw[name] = value;
    }
    try {
      createStrategy(strategy, raw, 1);
    } catch (error) {
      if (error instanceof ConfigError) {
        // The strategies library names `<strategy>.<param>`; the snapshot's field is `params.<param>`.
        const prefix = `${strategy}.`;
        const field = error.key.startsWith(prefix) ? `params.${error.key.slice(prefix.length)}` : `params (${error.key})`;
        throw error.withKey(field);
      }
      throw error;
    }
  },
});
