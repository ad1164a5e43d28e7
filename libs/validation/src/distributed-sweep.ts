import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BarUniverse } from '@quantbot/core';
import { ConfigError, DataError } from '@quantbot/core';
import { hashData } from './backtest-run-folder';
import { decodeExactJson, decodeOutcome, decodeRun, encodeExactJson, encodeOutcome, encodeRun, universeHash } from './distributed-codec';
import type { RunDataConfig } from './run-data';
import { loadRunData } from './run-data';
import type { TrialBatchOptions, TrialExecutor } from './sweep';
import { SweepError, SweepPool, openTrialExecutor } from './sweep';
import type { TrialOutcome, TrialRun, TrialSettings, TrialTask } from './sweep-worker';
import type { FailedTrialJob, FetchedTrialJob, TrialJobData, TrialJobKind, TrialJobPolicy, TrialQueue, TrialResultRow } from './trial-queue';

/**
 * The data of a distributed sweep as workers find it: the loading options (`data` as the user
 * gave it, resolved by each worker against its own data root) and two content hashes. A worker
 * refuses a job when the files it finds hash differently (`filesSha256`), or when the universe it
 * loads from them does (`universeSha256`: the arrays every trial reads).
 */
export interface DistributedDataSpec {
  readonly config: RunDataConfig;
  /** SHA-256 of the data files (`hashData`); null for synthetic data. */
  readonly filesSha256: string | null;
  /** `universeHash` of the loaded, checked universe. */
  readonly universeSha256: string;
}

/** What a job asks a worker to do. */
export interface TrialJobPayload {
  readonly data: DistributedDataSpec;
  readonly settings: TrialSettings;
  readonly tasks: readonly TrialTask[];
}

/** What a job of kind `run` asks a worker to do: one run, stored whole (trades too). */
export interface TrialRunPayload {
  readonly data: DistributedDataSpec;
  readonly settings: TrialSettings;
  readonly run: TrialTask;
}

/** The data spec of a universe loaded with `config`: the files' and the universe's hashes. */
export function distributedDataSpec(config: RunDataConfig, universe: BarUniverse, cwd: string): DistributedDataSpec {
  const files = config.data !== undefined ? hashData(resolve(cwd, config.data)) : undefined;
  // Only the fields that shape the data (a run's config has more: strategy, cash, ...).
  const picked: Record<string, unknown> = {};
  for (const key of RUN_DATA_FIELDS) if (config[key] !== undefined) picked[key] = config[key];
  return Object.freeze({ config: Object.freeze(picked as RunDataConfig), filesSha256: files?.sha256 ?? null, universeSha256: universeHash(universe) });
}

const RUN_DATA_FIELDS: readonly (keyof RunDataConfig)[] = ['data', 'symbols', 'start', 'end', 'seed', 'bars', 'dataQuality', 'maxBarMovePct', 'calendar', 'repair', 'prices'];

/**
 * Loads a job's data under `dataRoot` as the submitter did (`loadRunData`), refusing it with a
 * `DataError` naming both hashes when the files or the universe differ from the job's.
 */
export function loadDistributedData(spec: DistributedDataSpec, dataRoot: string): BarUniverse {
  if (spec.config.data !== undefined) {
    let files: ReturnType<typeof hashData>;
    try {
      files = hashData(resolve(dataRoot, spec.config.data));
    } catch (error) {
      throw new DataError(`data ${spec.config.data} under ${dataRoot} cannot be read (${error instanceof Error ? error.message : String(error)}): refused`, {}, { cause: error });
    }
    if (files?.sha256 !== spec.filesSha256) {
      throw new DataError(`data ${spec.config.data} under ${dataRoot} has sha256 ${files?.sha256 ?? 'none'}, the job's is ${spec.filesSha256 ?? 'none'}: refused`);
    }
  }
  const { universe } = loadRunData(spec.config, { cwd: dataRoot });
  const hash = universeHash(universe);
  if (hash !== spec.universeSha256) {
    throw new DataError(`the universe loaded from ${spec.config.data ?? 'synthetic data'} under ${dataRoot} has sha256 ${hash}, the job's is ${spec.universeSha256}: refused`);
  }
  return universe;
}

/** Options of {@link openDistributedSweepPool}. */
export interface DistributedSweepOptions {
  readonly queue: TrialQueue;
  /** The sweep's id (default: a random UUID); every job and result carries it. */
  readonly sweepId?: string;
  /** The universe trials run on (the submitter's own, bound now) and how workers find it. */
  readonly universe: BarUniverse;
  readonly data: DistributedDataSpec;
  /** Trials per job (default 8). */
  readonly batchSize?: number;
  /** Retries of a failed job before the sweep fails (default 3). */
  readonly retryLimit?: number;
  /** Seconds before a failed job's first retry, doubled at each later one (default 5). */
  readonly retryDelaySeconds?: number;
  /** Seconds a worker may hold a job before it is given to another (default 900): longer than a job's trials take. */
  readonly visibilityTimeoutSeconds?: number;
  /** Milliseconds between looks at the results (default 500). */
  readonly pollIntervalMs?: number;
  /** Fail when no new result and no failure came for this long (default: wait for ever); bounds tests. */
  readonly stallTimeoutMs?: number;
  /** Keep the results in the database after the sweep assembled them (default false: deleted). */
  readonly keepResults?: boolean;
  /**
   * Seconds workers wait for this process's next heartbeat before they skip the sweep's jobs
   * (complete them without running them: a crashed submitter leaves no work running); default
   * 120, at most {@link MAX_SUBMITTER_TIMEOUT_SECONDS}. This process beats every quarter of it
   * while the pool is open.
   */
  readonly submitterTimeoutSeconds?: number;
}

/**
 * The longest submitter timeout (`submitterTimeoutSeconds`): 7 days. The heartbeat beats every
 * quarter of it, and a timer longer than 2^31 − 1 ms fires every millisecond instead.
 */
export const MAX_SUBMITTER_TIMEOUT_SECONDS = 604_800;

/** The retry policy of a sweep's jobs, checked (a `ConfigError` names the option field). */
function jobPolicy(options: DistributedSweepOptions): TrialJobPolicy {
  const whole = (field: string, value: number, min: number): number => {
    if (!Number.isInteger(value) || value < min) throw new ConfigError(field, `must be a whole number ≥ ${min}, got ${value}`);
    return value;
  };
  return {
    retryLimit: whole('retryLimit', options.retryLimit ?? 3, 0),
    retryDelaySeconds: whole('retryDelaySeconds', options.retryDelaySeconds ?? 5, 0),
    retryBackoff: true,
    visibilityTimeoutSeconds: whole('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds ?? 900, 1),
  };
}

/**
 * A sweep pool whose trials run on distributed workers (`runTrialWorker`, any number, on any
 * machine that reaches the database and the data) instead of this process's threads. Pass it as
 * `pool` to `runSweep` or `runWalkForward`: each batch of trials they run (a sweep's, a fold's
 * in-sample search) becomes jobs of `batchSize` trials in the queue; this process waits for their
 * results, hands each to the sweep by trial as it arrives (so progress counts every worker's
 * trials), and the sweep ranks and scores them exactly as a local run does: the results are the
 * same, bit for bit. Batches run side by side: a walk-forward queues every fold's in-sample jobs
 * at once, and each fold's out-of-sample run as a job of its own (kind `run`, taken before any
 * trial job) once this process has chosen the fold's point from its in-sample results.
 *
 * A job that fails for good (every attempt used) fails the sweep with a `SweepError` naming the
 * job, its batch (`fold 3 in-sample, stage 3`, for a walk-forward), its trials and its last error;
 * the batch's jobs still waiting are cancelled (a walk-forward then stops its other folds too). `close` it when
 * done (it leaves the queue open: the caller owns it).
 */
export function openDistributedSweepPool(options: DistributedSweepOptions): DistributedSweepPool {
  return new DistributedSweepPool(new DistributedExecutor(options));
}

/** A `SweepPool` over distributed workers (see {@link openDistributedSweepPool}). */
export class DistributedSweepPool extends SweepPool {
  readonly #executor: DistributedExecutor;

  /** Use {@link openDistributedSweepPool}. */
  constructor(executor: DistributedExecutor) {
    super(executor);
    this.#executor = executor;
  }

  /** The sweep's id in the queue. */
  get sweepId(): string {
    return this.#executor.sweepId;
  }

  /** The workers whose results the sweep used, by name (sorted). */
  get workerNames(): readonly string[] {
    return [...this.#executor.workerNames].sort();
  }

  /** Jobs sent so far. */
  get jobsSent(): number {
    return this.#executor.jobsSent;
  }
}

/** A batch whose jobs are in the queue, waiting for its results. */
interface PendingBatch {
  readonly stage: number;
  readonly kind: TrialJobKind;
  readonly label: string | undefined;
  readonly jobs: readonly { readonly id: string; readonly tasks: readonly TrialTask[] }[];
  /** Task ids the batch waits for. */
  readonly expected: ReadonlySet<number>;
  readonly received: Set<number>;
  /** Hands a result over (may throw: the batch then fails with that error). */
  readonly onRow: (row: TrialResultRow) => void;
  readonly signal: AbortSignal | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

class DistributedExecutor implements TrialExecutor {
  readonly workers = 1;
  readonly concurrent = true;
  readonly sweepId: string;
  readonly workerNames = new Set<string>();
  jobsSent = 0;
  readonly #options: DistributedSweepOptions;
  readonly #policy: TrialJobPolicy;
  readonly #batchSize: number;
  readonly #pollMs: number;
  readonly #local = openTrialExecutor(null, 1);
  readonly #pending = new Set<PendingBatch>();
  #stage = 0;
  /** The loop that reads every pending batch's results; null while none is pending. */
  #collecting: Promise<void> | null = null;
  readonly #timeoutSeconds: number;
  /** The heartbeat's timer, from the first job sent until `close`. */
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #firstBeat: Promise<void> | null = null;
  #isClosed = false;

  constructor(options: DistributedSweepOptions) {
    this.#options = options;
    this.#policy = jobPolicy(options);
    this.#batchSize = options.batchSize ?? 8;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) throw new ConfigError('batchSize', `must be a whole number ≥ 1, got ${this.#batchSize}`);
    this.#pollMs = options.pollIntervalMs ?? 500;
    if (!Number.isFinite(this.#pollMs) || this.#pollMs <= 0) throw new ConfigError('pollIntervalMs', `must be a positive number of milliseconds, got ${this.#pollMs}`);
    this.#timeoutSeconds = options.submitterTimeoutSeconds ?? 120;
    if (!Number.isInteger(this.#timeoutSeconds) || this.#timeoutSeconds < 1 || this.#timeoutSeconds > MAX_SUBMITTER_TIMEOUT_SECONDS) {
      throw new ConfigError('submitterTimeoutSeconds', `must be a whole number of seconds from 1 to ${MAX_SUBMITTER_TIMEOUT_SECONDS}, got ${this.#timeoutSeconds}`);
    }
    this.sweepId = options.sweepId ?? randomUUID();
    const hash = universeHash(options.universe);
    if (hash !== options.data.universeSha256) throw new ConfigError('data', `the universe hashes to ${hash}, not to the data spec's ${options.data.universeSha256}`);
    this.#local.bind(options.universe);
  }

  get universe(): BarUniverse | null {
    return this.#local.universe;
  }

  bind(universe: BarUniverse): void {
    if (universe !== this.#local.universe) throw new ConfigError('pool', 'was opened for another universe: pass the same BarUniverse object');
  }

  runHere(settings: TrialSettings, task: TrialTask): TrialRun {
    return this.#local.runHere(settings, task);
  }

  /**
   * Sends the tasks as jobs of `batchSize` trials (stage: a new one per call; priority: earlier
   * stages first, so a walk-forward's folds finish in order) and hands each result over as it arrives.
   */
  async run(settings: TrialSettings, tasks: readonly TrialTask[], onOutcome: (id: number, outcome: TrialOutcome) => void, batch?: TrialBatchOptions): Promise<void> {
    if (tasks.length === 0) return;
    const stage = ++this.#stage;
    const jobs: { readonly id: string; readonly data: TrialJobData; readonly tasks: readonly TrialTask[]; readonly priority: number }[] = [];
    for (let i = 0; i < tasks.length; i += this.#batchSize) {
      const chunk = tasks.slice(i, i + this.#batchSize);
      const payload: TrialJobPayload = { data: this.#options.data, settings, tasks: chunk };
      const data: TrialJobData = { sweepId: this.sweepId, stage, kind: 'trials', ...(batch?.label !== undefined ? { label: batch.label } : {}), payload: encodeExactJson(payload) };
      jobs.push({ id: randomUUID(), data, tasks: chunk, priority: -stage });
    }
    await this.#submitAndCollect(stage, 'trials', batch, jobs, (row) => onOutcome(row.taskId, decodeOutcome(row)));
  }

  /**
   * Sends one task as a job of its own (kind `run`, a new stage, ahead of every trial job) and
   * returns its run, trades included, once a worker has stored it.
   */
  async runApart(settings: TrialSettings, task: TrialTask, batch?: TrialBatchOptions): Promise<TrialRun> {
    const stage = ++this.#stage;
    const payload: TrialRunPayload = { data: this.#options.data, settings, run: task };
    const data: TrialJobData = { sweepId: this.sweepId, stage, kind: 'run', ...(batch?.label !== undefined ? { label: batch.label } : {}), payload: encodeExactJson(payload) };
    let run: TrialRun | null = null;
    await this.#submitAndCollect(stage, 'run', batch, [{ id: randomUUID(), data, tasks: [task], priority: 1 }], (row) => {
      run = decodeRun(row);
    });
    if (run === null) throw new SweepError(`${describeBatch(stage, batch?.label)}: no run was stored`, task.params, null);
    return run;
  }

  async #submitAndCollect(
    stage: number,
    kind: TrialJobKind,
    batch: TrialBatchOptions | undefined,
    jobs: readonly { readonly id: string; readonly data: TrialJobData; readonly tasks: readonly TrialTask[]; readonly priority: number }[],
    onRow: (row: TrialResultRow) => void,
  ): Promise<void> {
    const signal = batch?.signal;
    if (signal?.aborted === true) throw stopped(stage, batch?.label);
    const queue = this.#options.queue;
    await this.#startHeartbeat();
    await queue.submit(jobs, this.#policy);
    this.jobsSent += jobs.length;
    const expected = new Set(jobs.flatMap((j) => j.tasks.map((t) => t.id)));
    await new Promise<void>((resolve, reject) => {
      this.#pending.add({ stage, kind, label: batch?.label, jobs, expected, received: new Set(), onRow, signal, resolve, reject });
      // `#collect` clears `#collecting` in the same turn as it sees no batch left, so a batch added later starts a new one.
      this.#collecting ??= this.#collect();
    });
  }

  /**
   * Beats now (once, however many batches start at the same moment), and every quarter of the
   * timeout until `close` (a failed beat is tried again at the next).
   */
  #startHeartbeat(): Promise<void> {
    this.#firstBeat ??= this.#options.queue.beat(this.sweepId, this.#timeoutSeconds).then(() => {
      if (this.#isClosed) return;
      const queue = this.#options.queue;
      this.#heartbeat = setInterval(() => {
        queue.beat(this.sweepId, this.#timeoutSeconds).catch(() => undefined);
      }, this.#timeoutSeconds * 250);
      this.#heartbeat.unref();
    });
    return this.#firstBeat;
  }

  /** Reads the results of every pending batch until none is left; a batch ends when all its results are in, a job of it failed for good, or it was stopped. */
  async #collect(): Promise<void> {
    const queue = this.#options.queue;
    let idleMs = 0;
    try {
      while (this.#pending.size > 0) {
        try {
          let arrived = 0;
          for (const batch of [...this.#pending]) {
            if (batch.signal?.aborted === true) {
              await this.#finish(batch, stopped(batch.stage, batch.label));
              continue;
            }
            const rows = await queue.readResults(this.sweepId, batch.stage, [...batch.received]);
            let failure: { readonly error: unknown } | null = null;
            for (const row of rows) {
              if (batch.received.has(row.taskId) || !batch.expected.has(row.taskId)) continue;
              batch.received.add(row.taskId);
              this.workerNames.add(row.worker);
              arrived++;
              try {
                batch.onRow(row);
              } catch (error) {
                failure = { error };
                break;
              }
            }
            if (failure !== null) await this.#finish(batch, failure.error);
            else if (batch.received.size >= batch.expected.size) await this.#finish(batch, null);
          }
          if (this.#pending.size === 0) break;
          if (arrived > 0) {
            idleMs = 0;
            continue;
          }
          const failed = await queue.failedJobs(this.sweepId);
          for (const job of failed) {
            for (const batch of this.#pending) {
              const own = batch.jobs.find((j) => j.id === job.id);
              if (own !== undefined) await this.#finish(batch, jobFailure(batch, own, job));
            }
          }
          const stall = this.#options.stallTimeoutMs;
          if (stall !== undefined && idleMs >= stall) {
            for (const batch of [...this.#pending]) {
              const outstanding = batch.expected.size - batch.received.size;
              await this.#finish(batch, new SweepError(`${describeBatch(batch.stage, batch.label)}: no result for ${stall} ms with ${outstanding} of ${batch.expected.size} trial(s) outstanding: are workers running on this queue?`, null, null));
            }
          }
          if (this.#pending.size === 0) break;
          await sleep(this.#pollMs);
          idleMs += this.#pollMs;
        } catch (error) {
          // The queue itself failed (a lost connection): every waiting batch fails with it.
          for (const batch of [...this.#pending]) await this.#finish(batch, error);
        }
      }
    } finally {
      // In the same turn as the loop saw no batch left: a batch added from now on starts a new loop.
      this.#collecting = null;
    }
  }

  /**
   * Ends a batch and resolves it, or rejects it with `error`. After success it cancels the
   * batch's jobs still waiting (repeats: a job due again after its visibility timeout or for a
   * retry) and leaves those being run to their workers (one may have stored its results and not
   * yet completed the job); after a failure it cancels every job of the batch not yet ended.
   */
  async #finish(batch: PendingBatch, error: unknown): Promise<void> {
    if (!this.#pending.delete(batch)) return;
    const ids = batch.jobs.map((j) => j.id);
    await (error === null ? this.#options.queue.cancelWaiting(ids) : this.#options.queue.cancel(ids)).catch(() => undefined);
    if (error === null) batch.resolve();
    else batch.reject(error);
  }

  async close(): Promise<void> {
    for (const batch of [...this.#pending]) await this.#finish(batch, new SweepError(`${describeBatch(batch.stage, batch.label)}: the pool was closed before its results were in`, null, null));
    await this.#collecting;
    this.#isClosed = true;
    if (this.#firstBeat !== null) {
      await this.#firstBeat.catch(() => undefined);
      if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
      this.#heartbeat = null;
      await this.#options.queue.endHeartbeat(this.sweepId);
    }
    await this.#local.close();
    if (this.#options.keepResults !== true) await this.#options.queue.deleteResults(this.sweepId);
  }
}

/** How a failure names a batch: its label (e.g. `fold 3 in-sample`) and stage. */
function describeBatch(stage: number, label: string | undefined): string {
  return label !== undefined ? `${label} (stage ${stage})` : `stage ${stage}`;
}

function stopped(stage: number, label: string | undefined): SweepError {
  return new SweepError(`${describeBatch(stage, label)}: stopped (another batch of the sweep failed)`, null, null);
}

function jobFailure(batch: PendingBatch, job: { readonly id: string; readonly tasks: readonly TrialTask[] }, failed: FailedTrialJob): SweepError {
  const ids = job.tasks.map((t) => t.id);
  const what = [
    ...(batch.label !== undefined ? [batch.label, `stage ${batch.stage}`] : []),
    ...(batch.kind === 'trials' ? [`trials ${ids.length > 0 ? `${Math.min(...ids)}..${Math.max(...ids)}` : '?'}`] : []),
  ];
  return new SweepError(`job ${failed.id} (${what.join(', ')}) failed after ${failed.retryCount + 1} attempt(s): ${failed.message}`, job.tasks[0]?.params ?? null, null);
}

/** Options of {@link runTrialWorker}. */
export interface TrialWorkerOptions {
  readonly queue: TrialQueue;
  /** The name results are stored under (e.g. `host:pid`). */
  readonly workerId: string;
  /** The folder a job's data path is resolved against (the submitter's is its working directory). */
  readonly dataRoot: string;
  /** Threads that run a job's trials in this process (default 1). */
  readonly concurrency?: number;
  /** Milliseconds between looks for a job while none is waiting (default 500). */
  readonly pollIntervalMs?: number;
  /** Stop after this long without a job (default: never). */
  readonly idleExitMs?: number;
  /** Stop after this many jobs (default: no limit). */
  readonly maxJobs?: number;
  /** Stops taking jobs once aborted (the job in hand is finished first). */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TrialWorkerEvent) => void;
}

/** What a worker reports as it goes. */
export type TrialWorkerEvent =
  | {
      readonly kind: 'job-started';
      readonly jobId: string;
      readonly sweepId: string;
      /** What the job's batch is (e.g. `fold 3 out-of-sample`); null for a plain sweep's. */
      readonly label: string | null;
      /** Trials of the job; 1 for a job of kind `run`. */
      readonly trials: number;
      readonly attempt: number;
    }
  | { readonly kind: 'job-completed'; readonly jobId: string; readonly sweepId: string; readonly trials: number; readonly repeated: number }
  | { readonly kind: 'job-skipped'; readonly jobId: string; readonly sweepId: string; readonly reason: string }
  | { readonly kind: 'job-failed'; readonly jobId: string; readonly sweepId: string; readonly message: string };

/** What a worker did before it stopped. */
export interface TrialWorkerSummary {
  readonly jobsCompleted: number;
  readonly jobsFailed: number;
  /** Trials of jobs of kind `trials`. */
  readonly trialsRun: number;
  /** Whole runs of jobs of kind `run` (a walk-forward's out-of-sample runs). */
  readonly runsRun: number;
  /** Jobs completed without running them: their sweep's submitter had stopped beating. */
  readonly jobsSkipped: number;
  readonly stopped: 'signal' | 'idle' | 'max-jobs';
}

/**
 * Takes jobs from the queue and runs them until stopped: for each, loads (once per data) and
 * checks the job's data under `dataRoot` (refusing data whose hashes differ: the attempt fails
 * with that `DataError`'s message), runs its trials on `concurrency` threads (a job of kind `run`:
 * its one run, in this thread, kept whole with its trades), stores each result as it finishes
 * (idempotently: a trial another attempt already stored is not stored again) and completes the job.
 * A job whose sweep's submitter has not beaten for longer than its timeout (see
 * `submitterTimeoutSeconds`) is completed without running it: nobody waits for its results. A trial that throws fails the attempt; pg-boss retries it after the job's
 * delay, and the sweep fails once every attempt has failed. A worker that dies holding a job
 * (killed, its machine lost) leaves it to be retried by another after the job's visibility timeout.
 */
export async function runTrialWorker(options: TrialWorkerOptions): Promise<TrialWorkerSummary> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError('concurrency', `must be a whole number ≥ 1, got ${concurrency}`);
  const pollMs = options.pollIntervalMs ?? 500;
  let loaded: { readonly hash: string; readonly executor: TrialExecutor } | null = null;
  let jobsCompleted = 0;
  let jobsFailed = 0;
  let trialsRun = 0;
  let runsRun = 0;
  let jobsSkipped = 0;
  let idleMs = 0;
  const executorFor = (spec: DistributedDataSpec): TrialExecutor => {
    if (loaded?.hash === spec.universeSha256) return loaded.executor;
    const universe = loadDistributedData(spec, options.dataRoot);
    const previous = loaded;
    loaded = { hash: spec.universeSha256, executor: openTrialExecutor(universe, concurrency) };
    void previous?.executor.close();
    return loaded.executor;
  };
  const handle = async (job: FetchedTrialJob): Promise<void> => {
    const { sweepId, stage } = job.data;
    const label = job.data.label ?? null;
    let trials = 0;
    // The result writes of this job's trials; a failed job waits for them to settle first (a write
    // left in flight that then failed would end the worker on an unhandled rejection).
    const writes: Promise<boolean>[] = [];
    try {
      const heartbeat = await options.queue.heartbeatOf(sweepId);
      if (heartbeat !== null && heartbeat.secondsSinceBeat > heartbeat.timeoutSeconds) {
        const reason = `skipped: the sweep's submitter last beat ${Math.round(heartbeat.secondsSinceBeat)} s ago (timeout ${heartbeat.timeoutSeconds} s), so it is taken for gone`;
        await options.queue.skip(job.id, reason);
        jobsSkipped++;
        options.onEvent?.({ kind: 'job-skipped', jobId: job.id, sweepId, reason });
        return;
      }
      const key = (taskId: number): { sweepId: string; stage: number; taskId: number; jobId: string; worker: string } => ({ sweepId, stage, taskId, jobId: job.id, worker: options.workerId });
      if (job.data.kind === 'run') {
        const payload = decodeExactJson<TrialRunPayload>(job.data.payload);
        trials = 1;
        options.onEvent?.({ kind: 'job-started', jobId: job.id, sweepId, label, trials, attempt: job.retryCount + 1 });
        const run = executorFor(payload.data).runHere(payload.settings, payload.run);
        runsRun++;
        writes.push(options.queue.writeResult(key(payload.run.id), encodeRun(run)));
      } else {
        const payload = decodeExactJson<TrialJobPayload>(job.data.payload);
        trials = payload.tasks.length;
        options.onEvent?.({ kind: 'job-started', jobId: job.id, sweepId, label, trials, attempt: job.retryCount + 1 });
        const executor = executorFor(payload.data);
        await executor.run(payload.settings, payload.tasks, (taskId, outcome) => {
          trialsRun++;
          writes.push(options.queue.writeResult(key(taskId), encodeOutcome(outcome)));
        });
      }
      const firsts = await Promise.all(writes);
      await options.queue.complete(job.id);
      jobsCompleted++;
      options.onEvent?.({ kind: 'job-completed', jobId: job.id, sweepId, trials, repeated: firsts.filter((first) => !first).length });
    } catch (error) {
      await Promise.allSettled(writes);
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      jobsFailed++;
      options.onEvent?.({ kind: 'job-failed', jobId: job.id, sweepId, message });
      await options.queue.fail(job.id, message);
    }
  };
  try {
    for (;;) {
      if (options.signal?.aborted === true) return { jobsCompleted, jobsFailed, jobsSkipped, trialsRun, runsRun, stopped: 'signal' };
      if (options.maxJobs !== undefined && jobsCompleted + jobsFailed + jobsSkipped >= options.maxJobs) return { jobsCompleted, jobsFailed, jobsSkipped, trialsRun, runsRun, stopped: 'max-jobs' };
      const job = await options.queue.fetch();
      if (job === null) {
        if (options.idleExitMs !== undefined && idleMs >= options.idleExitMs) return { jobsCompleted, jobsFailed, jobsSkipped, trialsRun, runsRun, stopped: 'idle' };
        await sleep(pollMs, undefined, options.signal !== undefined ? { signal: options.signal } : undefined).catch(() => undefined);
        idleMs += pollMs;
        continue;
      }
      idleMs = 0;
      await handle(job);
    }
  } finally {
    await (loaded as { readonly executor: TrialExecutor } | null)?.executor.close();
  }
}
