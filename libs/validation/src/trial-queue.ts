import { setTimeout as sleep } from 'node:timers/promises';
import type PgBoss from 'pg-boss';
import { ConfigError, QuantbotError } from '@quantbot/core';
import type { EncodedOutcome } from './distributed-codec';

/** The pg-boss queue every distributed sweep's jobs go to; a job names its sweep. */
export const TRIAL_QUEUE = 'quantbot-trials';

/** The schema the queue and the results live in unless told otherwise. */
export const DEFAULT_TRIAL_QUEUE_SCHEMA = 'quantbot_sweeps';

/** Results of trials, one row per (sweep, stage, task): the first write wins, a repeat only counts itself. */
const RESULTS_TABLE = 'trial_results';

/** One row per sweep whose submitter is alive: when it last beat (the database's clock) and how long workers wait for the next beat. */
const HEARTBEATS_TABLE = 'sweep_heartbeats';

/** A failure of the distributed queue itself (a database that cannot be reached, a table that cannot be made). */
export class TrialQueueError extends QuantbotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRIAL_QUEUE_FAILED', message, options);
  }
}

/** How to reach the queue's database. */
export interface TrialQueueOptions {
  /** A `postgres://` URL of the server (never printed: it may hold a password). */
  readonly connectionString: string;
  /** The schema of the queue and its results (default `quantbot_sweeps`); a test gives its own. */
  readonly schema?: string;
  /**
   * How often, in seconds, expired jobs (a worker that died holding one) are put back for retry
   * (pg-boss maintenance, run by any connected submitter or worker; default 30).
   */
  readonly maintenanceIntervalSeconds?: number;
  /** Connections in this process's pool (default 4). */
  readonly maxConnections?: number;
  /** Hears errors pg-boss reports in the background (maintenance); default: ignored. */
  readonly onError?: (error: Error) => void;
}

/** The retry and visibility policy of a sweep's jobs. */
export interface TrialJobPolicy {
  /** Retries after the first attempt before the job is failed for good. */
  readonly retryLimit: number;
  /** Seconds before the first retry (doubled at each later one with `retryBackoff`). */
  readonly retryDelaySeconds: number;
  readonly retryBackoff: boolean;
  /** Seconds a worker may hold a job before it counts as lost and is retried (the visibility timeout). */
  readonly visibilityTimeoutSeconds: number;
}

/**
 * What a job carries: its sweep, its stage (one per batch of the sweep's executor: a sweep's
 * trials, a walk-forward fold's in-sample trials, a fold's out-of-sample run) and the encoded work.
 */
export interface TrialJobData {
  readonly sweepId: string;
  readonly stage: number;
  /**
   * `trials` (absent in jobs of earlier versions): trials whose metrics and returns are stored;
   * `run`: one run stored whole, trades too (a walk-forward's out-of-sample run).
   */
  readonly kind?: TrialJobKind;
  /** What the job's batch is, e.g. `fold 3 in-sample`; absent for a plain sweep. */
  readonly label?: string;
  /** `encodeExactJson` of a `TrialJobPayload` (kind `trials`) or a `TrialRunPayload` (kind `run`). */
  readonly payload: string;
}

/** The kinds of job (see `TrialJobData.kind`). */
export type TrialJobKind = 'trials' | 'run';

/** A job of a sweep as the queue holds it (pg-boss's state: created, retry, active, completed, cancelled, failed). */
export interface TrialJobState {
  readonly id: string;
  readonly stage: number;
  readonly kind: TrialJobKind;
  readonly label: string | null;
  readonly state: string;
}

/** A job a worker took. */
export interface FetchedTrialJob {
  readonly id: string;
  readonly data: TrialJobData;
  /** 0 for the first attempt. */
  readonly retryCount: number;
  readonly retryLimit: number;
}

/** A job of a sweep that failed for good, with the message of its last attempt. */
export interface FailedTrialJob {
  readonly id: string;
  readonly retryCount: number;
  readonly message: string;
}

/** A stored trial result. */
export interface TrialResultRow {
  readonly seq: number;
  readonly taskId: number;
  readonly metrics: string;
  readonly returns: Uint8Array;
  readonly worker: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The distributed sweeps' queue and results on one Postgres server: pg-boss for the jobs
 * (retries, backoff, visibility timeout) and a results table keyed by (sweep, stage, task), written
 * idempotently. Submitters and workers each open one.
 */
export class TrialQueue {
  readonly schema: string;
  readonly #boss: PgBoss;

  private constructor(boss: PgBoss, schema: string) {
    this.#boss = boss;
    this.schema = schema;
  }

  /**
   * Connects, installs or upgrades pg-boss's tables in the schema, creates the queue and the
   * results table when missing (safe with many processes starting at once). A `ConfigError`
   * (`schema`, `maintenanceIntervalSeconds`) for a bad option; a `TrialQueueError` when the server
   * refuses.
   */
  static async open(options: TrialQueueOptions): Promise<TrialQueue> {
    const schema = options.schema ?? DEFAULT_TRIAL_QUEUE_SCHEMA;
    if (!IDENTIFIER.test(schema)) throw new ConfigError('schema', `'${schema}' is not a plain lower-case SQL identifier`);
    const maintenance = options.maintenanceIntervalSeconds ?? 30;
    if (!Number.isInteger(maintenance) || maintenance < 1) throw new ConfigError('maintenanceIntervalSeconds', `must be a whole number of seconds ≥ 1, got ${maintenance}`);
    // Processes that install the same schema at the same moment can deadlock or collide in
    // pg-boss's install; a fresh instance tried again gets past it.
    // Loaded on first use: a plain backtest, which loads this library, never needs it.
    const { default: PgBossClass } = await import('pg-boss');
    for (let attempt = 1; ; attempt++) {
      const boss = new PgBossClass({
        connectionString: options.connectionString,
        schema,
        max: options.maxConnections ?? 4,
        application_name: 'quantbot-sweeps',
        supervise: true,
        maintenanceIntervalSeconds: maintenance,
        schedule: false,
      });
      boss.on('error', (error: Error) => options.onError?.(error));
      try {
        await boss.start();
        await boss.createQueue(TRIAL_QUEUE, { name: TRIAL_QUEUE, policy: 'standard' });
        await boss.getDb().executeSql(
          `BEGIN;
           SELECT pg_advisory_xact_lock(hashtext('${schema}.${RESULTS_TABLE}'));
           CREATE TABLE IF NOT EXISTS ${schema}.${RESULTS_TABLE} (
             sweep_id text NOT NULL,
             stage integer NOT NULL,
             task_id integer NOT NULL,
             job_id uuid NOT NULL,
             worker text NOT NULL,
             metrics text NOT NULL,
             returns bytea NOT NULL,
             repeat_writes integer NOT NULL DEFAULT 0,
             seq bigserial NOT NULL,
             PRIMARY KEY (sweep_id, stage, task_id)
           );
           CREATE TABLE IF NOT EXISTS ${schema}.${HEARTBEATS_TABLE} (
             sweep_id text PRIMARY KEY,
             beat_at timestamptz NOT NULL,
             timeout_seconds integer NOT NULL
           );
           COMMIT;`,
          [],
        );
        return new TrialQueue(boss, schema);
      } catch (error) {
        await boss.stop({ graceful: false, wait: true, timeout: 1000 }).catch(() => undefined);
        // pg-boss's stop does nothing for an instance whose start failed: close its pool, or the process stays alive.
        const db = boss.getDb() as unknown as { opened?: boolean; close?: () => Promise<void> };
        if (db.opened === true) await db.close?.().catch(() => undefined);
        const code = (error as { code?: unknown }).code;
        if (attempt < 5 && typeof code === 'string' && INSTALL_RACE_CODES.has(code)) {
          await sleep(100 * attempt);
          continue;
        }
        throw new TrialQueueError(`cannot open the sweep queue (schema ${schema}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
  }

  /**
   * Sends jobs with the policy. Workers take waiting jobs highest `priority` first (default 0),
   * then oldest first.
   */
  async submit(jobs: readonly { readonly id: string; readonly data: TrialJobData; readonly priority?: number }[], policy: TrialJobPolicy): Promise<void> {
    if (jobs.length === 0) return;
    await this.#boss.insert(
      jobs.map((job) => ({
        id: job.id,
        name: TRIAL_QUEUE,
        data: job.data,
        priority: job.priority ?? 0,
        retryLimit: policy.retryLimit,
        retryDelay: policy.retryDelaySeconds,
        retryBackoff: policy.retryBackoff,
        expireInSeconds: policy.visibilityTimeoutSeconds,
      })),
    );
  }

  /** The next job no live worker holds, or null when none is waiting. */
  async fetch(): Promise<FetchedTrialJob | null> {
    const [job] = await this.#boss.fetch<TrialJobData>(TRIAL_QUEUE, { batchSize: 1, includeMetadata: true });
    if (job === undefined) return null;
    return { id: job.id, data: job.data, retryCount: job.retryCount, retryLimit: job.retryLimit };
  }

  async complete(jobId: string): Promise<void> {
    await this.#boss.complete(TRIAL_QUEUE, jobId);
  }

  /**
   * Completes a job without its results: a worker skipped it because the sweep's submitter is gone
   * (its heartbeat is older than its timeout). The submitter, were it still alive, would see it among
   * `failedJobs` with `message`.
   */
  async skip(jobId: string, message: string): Promise<void> {
    await this.#boss.complete(TRIAL_QUEUE, jobId, { skipped: message });
  }

  /**
   * Records that the sweep's submitter is alive now (the database's clock), and how many seconds
   * workers wait for its next beat before they skip the sweep's jobs.
   */
  async beat(sweepId: string, timeoutSeconds: number): Promise<void> {
    await this.#boss.getDb().executeSql(
      `INSERT INTO ${this.schema}.${HEARTBEATS_TABLE} (sweep_id, beat_at, timeout_seconds) VALUES ($1, now(), $2)
       ON CONFLICT (sweep_id) DO UPDATE SET beat_at = now(), timeout_seconds = $2`,
      [sweepId, timeoutSeconds],
    );
  }

  /**
   * Seconds since the sweep's submitter last beat, with its timeout; null for a sweep without a
   * heartbeat (its submitter finished, or predates heartbeats).
   */
  async heartbeatOf(sweepId: string): Promise<{ readonly secondsSinceBeat: number; readonly timeoutSeconds: number } | null> {
    const { rows } = await this.#boss.getDb().executeSql(
      `SELECT EXTRACT(EPOCH FROM now() - beat_at)::float8 AS since, timeout_seconds FROM ${this.schema}.${HEARTBEATS_TABLE} WHERE sweep_id = $1`,
      [sweepId],
    );
    const row = rows[0] as { since: number; timeout_seconds: number } | undefined;
    return row === undefined ? null : { secondsSinceBeat: row.since, timeoutSeconds: row.timeout_seconds };
  }

  /** Removes the sweep's heartbeat (its submitter is done). */
  async endHeartbeat(sweepId: string): Promise<void> {
    await this.#boss.getDb().executeSql(`DELETE FROM ${this.schema}.${HEARTBEATS_TABLE} WHERE sweep_id = $1`, [sweepId]);
  }

  /** Fails an attempt: pg-boss retries the job after its delay, or fails it for good after its last attempt. */
  async fail(jobId: string, message: string): Promise<void> {
    await this.#boss.fail(TRIAL_QUEUE, jobId, { message });
  }

  /** Cancels jobs still waiting or running (a sweep that stopped); finished ones are left as they are. */
  async cancel(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length > 0) await this.#boss.cancel(TRIAL_QUEUE, [...jobIds]);
  }

  /**
   * Cancels those of the jobs that are still waiting (created, or due for a retry); a job being
   * run is left to its worker, which completes it (a job whose results are all in may still be
   * active for the moment between its worker storing them and completing it: cancelling it then
   * would show a job that ran as cancelled).
   */
  async cancelWaiting(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const { rows } = await this.#boss.getDb().executeSql(
      `SELECT id FROM ${this.schema}.job WHERE name = $1 AND id = ANY($2::uuid[]) AND state IN ('created', 'retry')`,
      [TRIAL_QUEUE, [...jobIds]],
    );
    await this.cancel((rows as { id: string }[]).map((r) => r.id));
  }

  /**
   * Stores a trial's result once: the first write of (sweep, stage, task) is kept, a later one
   * (a retried job re-running a trial a lost worker had finished) only increments
   * `repeat_writes`. True when this write was the first.
   */
  async writeResult(key: { readonly sweepId: string; readonly stage: number; readonly taskId: number; readonly jobId: string; readonly worker: string }, outcome: EncodedOutcome): Promise<boolean> {
    const { rows } = await this.#boss.getDb().executeSql(
      `INSERT INTO ${this.schema}.${RESULTS_TABLE} (sweep_id, stage, task_id, job_id, worker, metrics, returns)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (sweep_id, stage, task_id) DO UPDATE SET repeat_writes = ${this.schema}.${RESULTS_TABLE}.repeat_writes + 1
       RETURNING (xmax = 0) AS inserted`,
      [key.sweepId, key.stage, key.taskId, key.jobId, key.worker, outcome.metrics, outcome.returns],
    );
    return (rows[0] as { inserted: boolean } | undefined)?.inserted === true;
  }

  /**
   * Results of a stage other than those of `received` tasks (by task id, not by `seq`: rows of
   * concurrent writers commit out of `seq` order, so a later `seq` can be seen before an earlier one).
   */
  async readResults(sweepId: string, stage: number, received: readonly number[], limit = 2000): Promise<readonly TrialResultRow[]> {
    const { rows } = await this.#boss.getDb().executeSql(
      `SELECT seq, task_id, metrics, returns, worker FROM ${this.schema}.${RESULTS_TABLE}
       WHERE sweep_id = $1 AND stage = $2 AND NOT (task_id = ANY($3::int[])) ORDER BY task_id LIMIT $4`,
      [sweepId, stage, received, limit],
    );
    return (rows as { seq: string; task_id: number; metrics: string; returns: Buffer; worker: string }[]).map((r) => ({
      seq: Number(r.seq),
      taskId: r.task_id,
      metrics: r.metrics,
      returns: r.returns,
      worker: r.worker,
    }));
  }

  /** Per stored trial of a sweep: how many times it was written (1 + repeats), and by which worker first. */
  async resultCounts(sweepId: string): Promise<readonly { readonly stage: number; readonly taskId: number; readonly writes: number; readonly worker: string }[]> {
    const { rows } = await this.#boss.getDb().executeSql(
      `SELECT stage, task_id, repeat_writes, worker FROM ${this.schema}.${RESULTS_TABLE} WHERE sweep_id = $1 ORDER BY stage, task_id`,
      [sweepId],
    );
    return (rows as { stage: number; task_id: number; repeat_writes: number; worker: string }[]).map((r) => ({ stage: r.stage, taskId: r.task_id, writes: 1 + r.repeat_writes, worker: r.worker }));
  }

  /** The workers that stored results of a sweep, by name. */
  async workersOf(sweepId: string): Promise<readonly string[]> {
    const { rows } = await this.#boss.getDb().executeSql(`SELECT DISTINCT worker FROM ${this.schema}.${RESULTS_TABLE} WHERE sweep_id = $1 ORDER BY worker`, [sweepId]);
    return (rows as { worker: string }[]).map((r) => r.worker);
  }

  /**
   * Jobs of a sweep (of one stage, when given) that ended without their results: failed for good
   * (every attempt used), with their last error, or skipped by a worker (`skip`), with its reason.
   */
  async failedJobs(sweepId: string, stage?: number): Promise<readonly FailedTrialJob[]> {
    const { rows } = await this.#boss.getDb().executeSql(
      `SELECT id, retry_count, output FROM ${this.schema}.job
       WHERE name = $1 AND (state = 'failed' OR (state = 'completed' AND output ? 'skipped'))
         AND data->>'sweepId' = $2 AND ($3::int IS NULL OR (data->>'stage')::int = $3) ORDER BY id`,
      [TRIAL_QUEUE, sweepId, stage ?? null],
    );
    return (rows as { id: string; retry_count: number; output: unknown }[]).map((r) => ({ id: r.id, retryCount: r.retry_count, message: failureMessage(r.output) }));
  }

  /** The attempts jobs of a sweep have been given so far (1 + retries), by job id. */
  async jobAttempts(sweepId: string): Promise<ReadonlyMap<string, number>> {
    const { rows } = await this.#boss.getDb().executeSql(
      `SELECT id, retry_count, state FROM ${this.schema}.job WHERE name = $1 AND data->>'sweepId' = $2`,
      [TRIAL_QUEUE, sweepId],
    );
    return new Map((rows as { id: string; retry_count: number; state: string }[]).map((r) => [r.id, r.retry_count + (r.state === 'created' ? 0 : 1)]));
  }

  /** Every job of a sweep the queue still holds, by stage, then id. */
  async jobsOf(sweepId: string): Promise<readonly TrialJobState[]> {
    const { rows } = await this.#boss.getDb().executeSql(
      `SELECT id, data->>'stage' AS stage, data->>'kind' AS kind, data->>'label' AS label, state FROM ${this.schema}.job
       WHERE name = $1 AND data->>'sweepId' = $2 ORDER BY (data->>'stage')::int, id`,
      [TRIAL_QUEUE, sweepId],
    );
    return (rows as { id: string; stage: string; kind: string | null; label: string | null; state: string }[]).map((r) => ({
      id: r.id,
      stage: Number(r.stage),
      kind: r.kind === 'run' ? 'run' : 'trials',
      label: r.label,
      state: r.state,
    }));
  }

  /** Removes a sweep's stored results (after the submitter has assembled them). */
  async deleteResults(sweepId: string): Promise<void> {
    await this.#boss.getDb().executeSql(`DELETE FROM ${this.schema}.${RESULTS_TABLE} WHERE sweep_id = $1`, [sweepId]);
  }

  /** Stops pg-boss and closes the pool. */
  async close(): Promise<void> {
    await this.#boss.stop({ graceful: false, wait: true, timeout: 1000 });
  }
}

/** Errors of processes installing the same schema at once, which a second try gets past. */
const INSTALL_RACE_CODES: ReadonlySet<string> = new Set(['40P01', '23505', '42P07', '42710', '42P06']);

function failureMessage(output: unknown): string {
  if (output !== null && typeof output === 'object') {
    const o = output as { message?: unknown; skipped?: unknown; value?: { message?: unknown } };
    if (typeof o.message === 'string') return o.message;
    if (typeof o.skipped === 'string') return o.skipped;
    if (typeof o.value?.message === 'string') return o.value.message;
  }
  return 'no message';
}
