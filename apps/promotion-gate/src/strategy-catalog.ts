import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '@quantbot/core';
import type { JsonObject, StrategyCatalog, StrategyFileRef } from '@quantbot/research-registry';
import type { StrategyDefinition } from '@quantbot/strategies';
import { STRATEGY_DEFINITIONS, createStrategy } from '@quantbot/strategies';

/**
 * The registry's strategy catalog, wired to `@quantbot/strategies`: the strategies that exist
 * are the shipped definitions, and parameters are checked by building the strategy (the same
 * parameter parsing and construction the backtester and the trader use), so a type, a range or a
 * rule between parameters (fast < slow) is refused as it would be at run time. Values must be JSON
 * numbers or booleans (no `"10"` strings); errors name the field (`params.fast: ...`).
 *
 * For an experiment of a strategy file, the file recorded with it is read again (by its absolute
 * path) and must still hash to the recorded sha256: a changed file is refused (key `strategy`,
 * both hashes in the message); the parameters are checked against that file's definition.
 */
export const STRATEGY_CATALOG: StrategyCatalog = Object.freeze({
  strategies: (): readonly string[] => STRATEGY_DEFINITIONS.map((d) => d.name),
  async checkParams(strategy: string, params: JsonObject, file?: StrategyFileRef): Promise<void> {
    const raw: Record<string, number | boolean> = {};
    for (const [name, value] of Object.entries(params)) {
      if (typeof value !== 'number' && typeof value !== 'boolean') throw new ConfigError(`params.${name}`, `must be a number or a boolean, got ${JSON.stringify(value)}`);
      raw[name] = value;
    }
    const definition: string | StrategyDefinition = file === undefined ? strategy : await recordedFileDefinition(strategy, file);
    try {
      createStrategy(definition, raw, 1);
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

/** The definition of the strategy file recorded with an experiment, read afresh and refused unless its bytes hash as recorded. */
async function recordedFileDefinition(strategy: string, file: StrategyFileRef): Promise<StrategyDefinition> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file.path);
  } catch (error) {
    throw new ConfigError('strategy', `cannot read the experiment's strategy file ${file.path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== file.sha256) {
    throw new ConfigError(
      'strategy',
      `the experiment's strategy file ${file.path} changed: its sha256 is now ${sha256}, the experiment recorded ${file.sha256}; a changed file is a different strategy (create a new experiment for it)`,
    );
  }
  // Validation is a slow import: loaded only for an experiment of a strategy file.
  const { loadStrategyFile } = await import('@quantbot/validation');
  const { definition } = loadStrategyFile(file.path, dirname(file.path), { key: 'strategy', expectSha256: file.sha256 });
  if (definition.name !== strategy || (definition.version ?? '') !== file.version) {
    throw new ConfigError('strategy', `${file.path} defines ${definition.name}@${definition.version ?? '?'}, but the experiment recorded ${strategy}@${file.version}`);
  }
  return definition;
}
