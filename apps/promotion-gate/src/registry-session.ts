import type { Clock } from '@quantbot/core';
import type { DatabaseHandle } from '@quantbot/storage';
import { openDatabase } from '@quantbot/storage';
import type { PromotionGateConfig, RegistryTables } from '@quantbot/research-registry';
import { REGISTRY_DATABASE_MIGRATIONS, REGISTRY_SCHEMA_ENV, ResearchRegistry } from '@quantbot/research-registry';
import type { CliEnv, ResearchSession } from './research-action';
import { STRATEGY_CATALOG } from './strategy-catalog';

/** The environment variable naming the Postgres schema the registry lives in (like `--schema`). */
export const DB_SCHEMA_ENV = REGISTRY_SCHEMA_ENV;

/** An open registry and the handle to close. */
export interface OpenSession extends ResearchSession {
  close(): Promise<void>;
}

/**
 * Opens the registry's database the storage way (env `DATABASE_URL`, else embedded in
 * `$QUANTBOT_DATA_DIR/db`, else `<cwd>/.quantbot/db`), in `schema` (or env `QUANTBOT_DB_SCHEMA`)
 * when given, and wraps it in a registry judging by `gates`, checking strategies and parameters
 * against `@quantbot/strategies`, counting paper days by the NYSE calendar (the registry's
 * default), and stamping evidence with `recorder` when an action names nobody (env `USER`).
 */
export async function openRegistrySession(options: {
  readonly env: CliEnv;
  readonly cwd: string;
  readonly schema: string | undefined;
  readonly clock: Clock;
  readonly gates: PromotionGateConfig | undefined;
}): Promise<OpenSession> {
  const schema = options.schema ?? nonEmpty(options.env[DB_SCHEMA_ENV]);
  const handle: DatabaseHandle<RegistryTables> = await openDatabase<RegistryTables>({
    migrations: REGISTRY_DATABASE_MIGRATIONS,
    env: options.env,
    cwd: options.cwd,
    clock: options.clock,
    ...(schema === undefined ? {} : { schema }),
  });
  const recorder = nonEmpty(options.env['USER']);
  const registry = new ResearchRegistry(handle.db, {
    clock: options.clock,
    strategies: STRATEGY_CATALOG,
    ...(recorder === undefined ? {} : { recorder }),
    ...(options.gates === undefined ? {} : { gates: options.gates }),
  });
  return { registry, where: handle.describe(), close: () => handle.close() };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
