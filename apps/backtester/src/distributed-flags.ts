import { ConfigError } from '@quantbot/core';
import type { FlagSpec, FlagValues } from '@quantbot/cli';
import type { BacktestRunConfig, DistributedSweepPool, RunPlan } from '@quantbot/validation';
import { MAX_SUBMITTER_TIMEOUT_SECONDS, TrialQueue, distributedDataSpec, openDistributedSweepPool } from '@quantbot/validation';

/** The environment variable holding the queue database's URL (the same database the system already uses). */
export const DATABASE_URL_ENV = 'DATABASE_URL';

/** Flags of `sweep` and `walk-forward` that send the trials to workers through the database. */
export const DISTRIBUTED_FLAGS: readonly FlagSpec[] = [
  { name: 'distributed', kind: 'boolean', description: `run the trials on 'backtester worker' processes through the Postgres database in ${DATABASE_URL_ENV} (pg-boss), not on this machine's threads; the results are the same` },
  { name: 'queue-schema', kind: 'string', valueName: 'name', description: 'with --distributed: the schema of the queue and its results (default quantbot_sweeps); workers must use the same' },
  { name: 'batch-size', kind: 'number', valueName: 'n', description: 'with --distributed: trials per job (default 8)' },
  { name: 'retry-limit', kind: 'number', valueName: 'n', description: 'with --distributed: retries of a failed job before the run fails naming it (default 3)' },
  { name: 'retry-delay', kind: 'number', valueName: 's', description: 'with --distributed: seconds before a failed job is retried, doubled at each retry (default 5)' },
  { name: 'visibility-timeout', kind: 'number', valueName: 's', description: 'with --distributed: seconds a worker may hold a job before another is given it (default 900; longer than a job takes)' },
  {
    name: 'submitter-timeout',
    kind: 'number',
    valueName: 's',
    description: "with --distributed: this command beats every quarter of it; workers skip the run's jobs once it has not beaten for this long (it crashed) (default 120, at most 604800: 7 days)",
  },
  {
    name: 'stall-timeout',
    kind: 'number',
    valueName: 's',
    description: 'with --distributed: fail (exit 1) when no result and no failure came for this many seconds, naming the batch and its outstanding trials (no worker running on the queue, or all stuck) (default: wait for ever)',
  },
];

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
