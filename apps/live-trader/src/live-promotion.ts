import { QuantbotError, epochMs } from '@quantbot/core';
import type { RegistryTables } from '@quantbot/research-registry';
import { REGISTRY_DATABASE_MIGRATIONS, REGISTRY_SCHEMA_ENV, ResearchRegistry, canonicalJson } from '@quantbot/research-registry';
import { openDatabase } from '@quantbot/storage';
import { createStrategy } from '@quantbot/strategies';

/**
 * Live money is refused for anything the research registry has not promoted to `live`: the
 * experiment must exist, be about this strategy, and hold a `live` promotion of a snapshot whose
 * parameters are the ones about to trade. Returns why not, or null when live trading may start.
 */
export async function checkLivePromotion(options: {
  readonly experimentId: string;
  readonly strategy: string;
  readonly params: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now: () => number;
}): Promise<string | null> {
  const schema = options.env[REGISTRY_SCHEMA_ENV]?.trim();
  const handle = await openDatabase<RegistryTables>({
    migrations: REGISTRY_DATABASE_MIGRATIONS,
    env: options.env,
    cwd: options.cwd,
    ...(schema ? { schema } : {}),
  });
  try {
    const registry = new ResearchRegistry(handle.db, { clock: { now: () => epochMs(options.now()) } });
    let experiment;
    try {
      experiment = await registry.getExperiment(options.experimentId);
    } catch (error) {
      if (error instanceof QuantbotError) return `experiment ${options.experimentId}: ${error.message}`;
      throw error;
    }
    if (experiment.strategy !== options.strategy) {
      return `experiment ${experiment.id} is about ${experiment.strategy}, not ${options.strategy}`;
    }
    const live = (await registry.listPromotions(experiment.id)).filter((p) => p.stage === 'live');
    if (live.length === 0) return `experiment ${experiment.id} has not been promoted to live`;
    const wanted = canonicalJson(createStrategy(options.strategy, options.params, 1).params);
    for (const promotion of live) {
      const snapshot = await registry.resolveSnapshot(experiment.id, { snapshotId: promotion.snapshotId });
      const promoted = canonicalJson(createStrategy(options.strategy, stringValues(snapshot.params), 1).params);
      if (promoted === wanted) return null;
    }
    return `the parameters ${wanted} are not those of a snapshot promoted to live in experiment ${experiment.id}`;
  } finally {
    await handle.close();
  }
}

function stringValues(params: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) out[key] = String(value);
  return out;
}
