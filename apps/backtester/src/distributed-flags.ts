import { ConfigError } from '@quantbot/core';
import type { FlagValues } from '@quantbot/cli';
import { DISTRIBUTED_FLAGS } from '@quantbot/cli';
import type { BacktestRunConfig, DistributedSweepPool, RunPlan } from '@quantbot/validation';
import { MAX_SUBMITTER_TIMEOUT_SECONDS, TrialQueue, distributedDataSpec, openDistributedSweepPool } from '@quantbot/validation';

/** The environment variable holding the queue database's URL (the same database the system already uses). */
export const DATABASE_URL_ENV = 'DATABASE_URL';

/** The database URL for the queue: `--database-url` where the command has it, else `DATABASE_URL`; a `ConfigError` naming both when neither is set. */
export function databaseUrlOf(flags: FlagValues, env: Readonly<Record<string, string | undefined>>, flagName: string | null): string {
  const given = flagName !== null && typeof flags[flagName] === 'string' ? (flags[flagName] as string) : env[DATABASE_URL_ENV];
  if (given === undefined || given.trim() === '') {
    throw new ConfigError(flagName !== null ? `--${flagName}` : '--distributed', `needs a Postgres server: set ${DATABASE_URL_ENV}${flagName !== null ? ` or give --${flagName}` : ''} (postgres://user:password@host:5432/db)`);
  }
  return given;
}

function wholeFlag(flags: FlagValues, name: string, min: number, max?: number): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    throw new ConfigError(`--${name}`, `must be a whole number ${max !== undefined ? `from ${min} to ${max}` : `≥ ${min}`}, got ${String(value)}`);
  }
  return value;
}

/** The queue flags checked before any work starts (bad values are exit-2 errors naming the flag). */
export interface DistributedSetup {
  readonly url: string;
  readonly schema: string | undefined;
  readonly batchSize: number | undefined;
  readonly retryLimit: number | undefined;
  readonly retryDelaySeconds: number | undefined;
  readonly visibilityTimeoutSeconds: number | undefined;
  readonly submitterTimeoutSeconds: number | undefined;
  readonly stallTimeoutSeconds: number | undefined;
}

/** The `--distributed` setup, or null when the flag is absent (a queue flag without it is refused). */
export function distributedSetupOf(flags: FlagValues, env: Readonly<Record<string, string | undefined>>): DistributedSetup | null {
  if (flags['distributed'] !== true) {
    const stray = DISTRIBUTED_FLAGS.find((f) => f.name !== 'distributed' && flags[f.name] !== undefined);
    if (stray !== undefined) throw new ConfigError(`--${stray.name}`, 'only applies with --distributed');
    return null;
  }
  const schema = flags['queue-schema'];
  return {
    url: databaseUrlOf(flags, env, null),
    schema: typeof schema === 'string' ? schema : undefined,
    batchSize: wholeFlag(flags, 'batch-size', 1),
    retryLimit: wholeFlag(flags, 'retry-limit', 0),
    retryDelaySeconds: wholeFlag(flags, 'retry-delay', 0),
    visibilityTimeoutSeconds: wholeFlag(flags, 'visibility-timeout', 1),
    submitterTimeoutSeconds: wholeFlag(flags, 'submitter-timeout', 1, MAX_SUBMITTER_TIMEOUT_SECONDS),
    // Bounded like the submitter timeout: a timer of more than 2^31 ms fires at once.
    stallTimeoutSeconds: wholeFlag(flags, 'stall-timeout', 1, MAX_SUBMITTER_TIMEOUT_SECONDS),
  };
}

/** A distributed pool over the plan's universe, with the queue it opened; `close` closes both. */
export async function openDistributedRun(setup: DistributedSetup, config: BacktestRunConfig, plan: RunPlan, cwd: string): Promise<{ readonly pool: DistributedSweepPool; close(): Promise<void> }> {
  const queue = await TrialQueue.open({ connectionString: setup.url, ...(setup.schema !== undefined ? { schema: setup.schema } : {}) });
  try {
    const pool = openDistributedSweepPool({
      queue,
      universe: plan.universe,
      data: distributedDataSpec(config, plan.universe, cwd),
      ...(setup.batchSize !== undefined ? { batchSize: setup.batchSize } : {}),
      ...(setup.retryLimit !== undefined ? { retryLimit: setup.retryLimit } : {}),
      ...(setup.retryDelaySeconds !== undefined ? { retryDelaySeconds: setup.retryDelaySeconds } : {}),
      ...(setup.visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds: setup.visibilityTimeoutSeconds } : {}),
      ...(setup.submitterTimeoutSeconds !== undefined ? { submitterTimeoutSeconds: setup.submitterTimeoutSeconds } : {}),
      ...(setup.stallTimeoutSeconds !== undefined ? { stallTimeoutMs: setup.stallTimeoutSeconds * 1000 } : {}),
      pollIntervalMs: 200,
    });
    return {
      pool,
      async close() {
        try {
          await pool.close();
        } finally {
          await queue.close();
        }
      },
    };
  } catch (error) {
    await queue.close();
    throw error;
  }
}
