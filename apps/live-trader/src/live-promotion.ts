import { epochMs } from '@quantbot/core';
import { LiveAuthorizationError, authorizeLiveTrading } from '@quantbot/live';
import type { LiveAuthorization, SessionStrategyFile } from '@quantbot/live';
import type { PromotionGateConfig, RegistryTables } from '@quantbot/research-registry';
import { REGISTRY_DATABASE_MIGRATIONS, REGISTRY_SCHEMA_ENV, ResearchRegistry } from '@quantbot/research-registry';
import { openDatabase } from '@quantbot/storage';

/**
 * Live money is refused for anything the research registry has not promoted to `live`: opens
 * the registry the environment names and asks `@quantbot/live` for the session's authorization.
 * Returns the authorization, or why not (the library's reason, without its field).
 */
export async function checkLivePromotion(options: {
  readonly experimentId: string;
  readonly sessionId: string;
  readonly strategy: string;
  readonly params: Readonly<Record<string, string>>;
  /** The strategy file the session trades, if any: the promotion must cover exactly this file (its sha256). */
  readonly strategyFile?: SessionStrategyFile;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now: () => number;
  /** The gate configuration whose capital ramp the stage's cap is computed from (the trader's `--promotion-gates`). */
  readonly gates?: PromotionGateConfig;
}): Promise<{ readonly authorization: LiveAuthorization } | { readonly refusal: string }> {
  const schema = options.env[REGISTRY_SCHEMA_ENV]?.trim();
  const handle = await openDatabase<RegistryTables>({
    migrations: REGISTRY_DATABASE_MIGRATIONS,
    env: options.env,
    cwd: options.cwd,
    ...(schema ? { schema } : {}),
  });
  try {
    const registry = new ResearchRegistry(handle.db, { clock: { now: () => epochMs(options.now()) }, ...(options.gates !== undefined ? { gates: options.gates } : {}) });
    const authorization = await authorizeLiveTrading({
      registry,
      experimentId: options.experimentId,
      sessionId: options.sessionId,
      strategy: options.strategy,
      params: options.params,
      ...(options.strategyFile === undefined ? {} : { strategyFile: options.strategyFile }),
    });
    return { authorization };
  } catch (error) {
    if (error instanceof LiveAuthorizationError) return { refusal: error.reason };
    throw error;
  } finally {
    await handle.close();
  }
}
