import { randomBytes, randomUUID } from 'node:crypto';
import { describeWithPrerequisite } from '@quantbot/core/testing';
import { TEST_DATABASE_URL_ENV, dropTestSchema, serverPostgresPrerequisite, testSchemaName } from '@quantbot/storage/testing';
import { decodeExactJson, encodeExactJson, universeHash } from './distributed-codec';
import type { DistributedDataSpec, TrialRunPayload, TrialWorkerSummary } from './distributed-sweep';
import { MAX_SUBMITTER_TIMEOUT_SECONDS, distributedDataSpec, openDistributedSweepPool, runTrialWorker } from './distributed-sweep';
import { parseParameterSpace } from './parameter-space';
import { loadRunData } from './run-data';
import type { SweepResult } from './sweep';
import { SweepError, runSweep, trialReturnSeries } from './sweep';
import { TrialQueue } from './trial-queue';
import { sweepArtifact, walkForwardArtifact } from './validation-artifacts';
import type { WalkForwardResult } from './walk-forward';
import { runWalkForward } from './walk-forward';

describe('exact JSON of distributed results', () => {
  it('keeps NaN, ±Infinity, −0 and every finite double through a round trip', () => {
    const values = [NaN, Infinity, -Infinity, -0, 0, 0.1 + 0.2, 5e-324, Number.MAX_VALUE, -1.2345e-300];
    const back = decodeExactJson<{ values: number[] }>(encodeExactJson({ values }));
    back.values.forEach((v, i) => expect(Object.is(v, values[i])).toBe(true));
  });
});

const databaseUrl = process.env[TEST_DATABASE_URL_ENV];
const postgres = serverPostgresPrerequisite();

describe('distributed sweep pool options', () => {
  it('refuses a submitter timeout whose heartbeat timer would overflow (every 1 ms) or the heartbeat column, naming the field, before any work', () => {
    const config = { seed: 7, bars: 60 };
    const { universe } = loadRunData(config, { cwd: process.cwd() });
    const data = distributedDataSpec(config, universe, process.cwd());
    // Not touched: the options are checked first.
    const queue = {} as TrialQueue;
    expect(MAX_SUBMITTER_TIMEOUT_SECONDS * 250).toBeLessThan(2 ** 31);
    for (const seconds of [MAX_SUBMITTER_TIMEOUT_SECONDS + 1, 9_999_999, 2 ** 31]) {
      expect(() => openDistributedSweepPool({ queue, universe, data, submitterTimeoutSeconds: seconds })).toThrow(
        `submitterTimeoutSeconds: must be a whole number of seconds from 1 to ${MAX_SUBMITTER_TIMEOUT_SECONDS}, got ${seconds}`,
      );
    }
  });
});

describeWithPrerequisite(postgres, 'distributed sweeps on a Postgres server (pg-boss)', () => {
  const url = databaseUrl as string;
  const schema = testSchemaName();
  const config = { seed: 7, bars: 400 };
  const { universe } = loadRunData(config, { cwd: process.cwd() });
  const data = distributedDataSpec(config, universe, process.cwd());
  const space = parseParameterSpace('fast=5..20:5,slow=30..60:10');
  const settings = { strategy: 'sma-crossover', startingCash: 100_000, sizing: { kind: 'percent-of-equity', percent: 50 } as const, objective: 'sharpe' as const };
  let submitter: TrialQueue;

  beforeAll(async () => {
    submitter = await TrialQueue.open({ connectionString: url, schema, maintenanceIntervalSeconds: 1 });
  }, 60_000);

  afterAll(async () => {
    await submitter?.close();
    await dropTestSchema(url, schema);
  }, 60_000);

  /** `count` in-process workers on their own connections until `stop` aborts them. */
  async function startWorkers(count: number, spec: { readonly dataRoot?: string } = {}): Promise<{ stop(): Promise<readonly TrialWorkerSummary[]> }> {
    const abort = new AbortController();
    const queues = await Promise.all(Array.from({ length: count }, () => TrialQueue.open({ connectionString: url, schema, maintenanceIntervalSeconds: 1 })));
    const runs = queues.map((queue, i) => runTrialWorker({ queue, workerId: `w${i + 1}`, dataRoot: spec.dataRoot ?? process.cwd(), pollIntervalMs: 50, signal: abort.signal }));
    return {
      async stop() {
        abort.abort();
        const summaries = await Promise.all(runs);
        await Promise.all(queues.map((q) => q.close()));
        return summaries;
      },
    };
  }

  function comparable(result: SweepResult): { readonly artifact: string; readonly returns: readonly string[] } {
    return { artifact: JSON.stringify(sweepArtifact(result)), returns: trialReturnSeries(result).map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString('hex')) };
  }

  it('cancelWaiting cancels only the jobs still waiting: a job a worker holds is left to it', async () => {
    const sweepId = `cancel-${randomUUID()}`;
    const jobs = [0, 1].map((i) => ({ id: randomUUID(), data: { sweepId, stage: 1, kind: 'trials' as const, payload: encodeExactJson({ n: i }) }, priority: 1 - i }));
    await submitter.submit(jobs, { retryLimit: 0, retryDelaySeconds: 1, retryBackoff: false, visibilityTimeoutSeconds: 60 });
    const taken = await submitter.fetch();
    expect(taken?.id).toBe(jobs[0]?.id);
    await submitter.cancelWaiting(jobs.map((j) => j.id));
    const states = new Map((await submitter.jobsOf(sweepId)).map((j) => [j.id, j.state]));
    expect(states.get(jobs[0]?.id as string)).toBe('active');
    expect(states.get(jobs[1]?.id as string)).toBe('cancelled');
    await submitter.complete(jobs[0]?.id as string);
    expect((await submitter.jobsOf(sweepId)).map((j) => j.state).sort()).toEqual(['cancelled', 'completed']);
  }, 60_000);

  it('gives the local sweep, bit for bit, with 1, 2 and 4 workers, each trial stored exactly once', async () => {
    const local = comparable(await runSweep({ universe, space, ...settings, workers: 1 }));
    for (const workers of [1, 2, 4]) {
      const running = await startWorkers(workers);
      const pool = openDistributedSweepPool({ queue: submitter, universe, data, batchSize: 3, pollIntervalMs: 50, stallTimeoutMs: 30_000, keepResults: true });
      let result: SweepResult;
      let summaries: readonly TrialWorkerSummary[];
      try {
        result = await runSweep({ universe, space, ...settings, pool });
      } finally {
        await pool.close();
        summaries = await running.stop();
      }
      expect(comparable(result)).toEqual(local);
      const counts = await submitter.resultCounts(pool.sweepId);
      expect(counts).toHaveLength(16);
      expect(new Set(counts.map((c) => c.taskId)).size).toBe(16);
      expect(summaries.reduce((n, s) => n + s.trialsRun, 0)).toBe(16);
      await submitter.deleteResults(pool.sweepId);
    }
  }, 120_000);

  const walkForwardOptions = { universe, space, search: { kind: 'grid' } as const, ...settings, train: 150, test: 50, anchored: false };
  const FOLDS = 5;

  /** What must be the same, byte for byte, as a local walk-forward: the artifact and the stitched curve. */
  function comparableWalkForward(result: WalkForwardResult): { readonly artifact: string; readonly curve: readonly string[] } {
    const hex = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
    return { artifact: JSON.stringify(walkForwardArtifact(result)), curve: [hex(result.oosTime), hex(result.oosEquity), hex(result.oosReturns), ...result.folds.map((f) => hex(f.oosReturns))] };
  }

  async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
    for (let waited = 0; ; waited += 50) {
      const value = await read();
      if (done(value)) return value;
      if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('queues every fold at once, runs each fold\'s out-of-sample run as a worker\'s job, and gives the local walk-forward bit for bit with 1, 2 and 4 workers', async () => {
    const localResult = await runWalkForward({ ...walkForwardOptions, workers: 1 });
    expect(localResult.folds).toHaveLength(FOLDS);
    const local = comparableWalkForward(localResult);
    for (const workers of [1, 2, 4]) {
      // A short heartbeat (every second), to see that no beat outlives the pool.
      const pool = openDistributedSweepPool({ queue: submitter, universe, data, batchSize: 4, pollIntervalMs: 50, stallTimeoutMs: 60_000, keepResults: true, submitterTimeoutSeconds: 4 });
      const running = runWalkForward({ ...walkForwardOptions, pool });
      let summaries: readonly TrialWorkerSummary[] = [];
      let result: WalkForwardResult;
      try {
        // No worker yet: every fold's in-sample jobs are queued all the same (fold after fold would queue fold 1's only).
        const queued = await waitFor(() => submitter.jobsOf(pool.sweepId), (jobs) => new Set(jobs.map((j) => j.label)).size === FOLDS, `in-sample jobs of all ${FOLDS} folds`);
        expect(queued.every((j) => j.kind === 'trials' && j.state === 'created')).toBe(true);
        expect([...new Set(queued.map((j) => j.label))].sort()).toEqual(Array.from({ length: FOLDS }, (_, i) => `fold ${i + 1} in-sample`));
        expect(queued).toHaveLength(FOLDS * 4);
        const started = await startWorkers(workers);
        try {
          result = await running;
        } finally {
          summaries = await started.stop();
        }
      } finally {
        await running.catch(() => undefined);
        await pool.close();
      }
      expect(comparableWalkForward(result)).toEqual(local);
      // The folds started at once beat once together, and the pool's close ended the heartbeat for good.
      await new Promise((r) => setTimeout(r, 1200));
      expect(await submitter.heartbeatOf(pool.sweepId)).toBeNull();
      // Each fold's out-of-sample run was a job of its own, run by a worker and stored once.
      const jobs = await submitter.jobsOf(pool.sweepId);
      const runJobs = jobs.filter((j) => j.kind === 'run');
      expect(runJobs.map((j) => j.label).sort()).toEqual(Array.from({ length: FOLDS }, (_, i) => `fold ${i + 1} out-of-sample`));
      // Completed by their workers: a finished batch cancels only its jobs still waiting, never one a worker holds.
      expect(runJobs.every((j) => j.state === 'completed')).toBe(true);
      const counts = await submitter.resultCounts(pool.sweepId);
      const runStages = new Set(runJobs.map((j) => j.stage));
      const oosRows = counts.filter((c) => runStages.has(c.stage));
      expect(oosRows.map((c) => c.taskId).sort()).toEqual(Array.from({ length: FOLDS }, (_, i) => i));
      const names = Array.from({ length: workers }, (_, i) => `w${i + 1}`);
      for (const row of oosRows) expect(names).toContain(row.worker);
      // Exactly once: every in-sample trial and every out-of-sample run stored one time.
      expect(counts).toHaveLength(FOLDS * 16 + FOLDS);
      expect(counts.every((c) => c.writes === 1)).toBe(true);
      expect(summaries.reduce((n, s) => n + s.trialsRun, 0)).toBe(FOLDS * 16);
      expect(summaries.reduce((n, s) => n + s.runsRun, 0)).toBe(FOLDS);
      await submitter.deleteResults(pool.sweepId);
    }
  }, 240_000);

  it('an out-of-sample job that fails for good fails the walk-forward naming the job, its fold and stage, and stops the other folds', async () => {
    // Data whose universe is not the one the job's data loads into.
    const other: DistributedDataSpec = { ...data, universeSha256: 'f'.repeat(64) };
    const abort = new AbortController();
    const queue = await TrialQueue.open({ connectionString: url, schema, maintenanceIntervalSeconds: 1 });
    // A worker that is handed other data for out-of-sample jobs only (so it refuses those, and runs the in-sample ones).
    const sabotaged = {
      fetch: async () => {
        const job = await queue.fetch();
        if (job === null || job.data.kind !== 'run') return job;
        const payload = decodeExactJson<TrialRunPayload>(job.data.payload);
        return { ...job, data: { ...job.data, payload: encodeExactJson({ ...payload, data: other }) } };
      },
      complete: (id: string) => queue.complete(id),
      fail: (id: string, message: string) => queue.fail(id, message),
      writeResult: (...args: Parameters<TrialQueue['writeResult']>) => queue.writeResult(...args),
      heartbeatOf: (sweepId: string) => queue.heartbeatOf(sweepId),
      skip: (id: string, message: string) => queue.skip(id, message),
    } as unknown as TrialQueue;
    const worker = runTrialWorker({ queue: sabotaged, workerId: 'saboteur', dataRoot: process.cwd(), pollIntervalMs: 50, signal: abort.signal });
    const pool = openDistributedSweepPool({ queue: submitter, universe, data, batchSize: 16, retryLimit: 0, pollIntervalMs: 50, stallTimeoutMs: 60_000, keepResults: true });
    try {
      const failure = runWalkForward({ ...walkForwardOptions, pool });
      await expect(failure).rejects.toThrow(SweepError);
      await expect(failure).rejects.toThrow(/^job [0-9a-f-]{36} \(fold [1-5] out-of-sample, stage \d+\) failed after 1 attempt\(s\): DataError: the universe loaded from synthetic data under .* has sha256 [0-9a-f]{64}, the job's is f{64}: refused$/);
      // Nothing of the walk-forward is left to run.
      const jobs = await submitter.jobsOf(pool.sweepId);
      expect(jobs.filter((j) => j.state === 'created' || j.state === 'retry')).toEqual([]);
      expect(jobs.filter((j) => j.kind === 'run' && j.state === 'failed').length).toBeGreaterThanOrEqual(1);
    } finally {
      await pool.close();
      await submitter.deleteResults(pool.sweepId);
      abort.abort();
      const summary = await worker;
      await queue.close();
      expect(summary.runsRun).toBe(0);
    }
  }, 120_000);

  it('workers skip (complete without running) the jobs of a sweep whose submitter stopped beating; a live submitter keeps beating', async () => {
    // A submitter that sent its jobs, beat once with a 1 s timeout and died.
    const sweepId = `dead-${randomBytes(4).toString('hex')}`;
    const tasks = [0, 1, 2].map((id) => ({ id, params: { fast: 5, slow: 30 + 10 * id }, from: 0, to: 400, scoreFrom: 0 }));
    const jobs = tasks.map((task) => ({ id: randomUUID(), data: { sweepId, stage: 1, kind: 'trials' as const, payload: encodeExactJson({ data, settings: { strategy: 'sma-crossover', baseParams: {}, startingCash: 100_000, sizing: settings.sizing }, tasks: [task] }) } }));
    await submitter.beat(sweepId, 1);
    await submitter.submit(jobs, { retryLimit: 0, retryDelaySeconds: 0, retryBackoff: false, visibilityTimeoutSeconds: 60 });
    await new Promise((r) => setTimeout(r, 1500));
    const running = await startWorkers(1);
    await waitFor(() => submitter.jobsOf(sweepId), (all) => all.every((j) => j.state === 'completed'), 'the dead sweep\'s jobs to be completed');
    const [summary] = await running.stop();
    expect(summary).toMatchObject({ jobsSkipped: 3, jobsCompleted: 0, trialsRun: 0 });
    expect(await submitter.resultCounts(sweepId)).toEqual([]);
    const skipped = await submitter.failedJobs(sweepId);
    expect(skipped).toHaveLength(3);
    for (const job of skipped) expect(job.message).toMatch(/^skipped: the sweep's submitter last beat \d+ s ago \(timeout 1 s\), so it is taken for gone$/);
    await submitter.endHeartbeat(sweepId);

    // A live submitter with a 2 s timeout whose workers start 3 s late: it beat meanwhile (every 0.5 s), so they run its jobs.
    const pool = openDistributedSweepPool({ queue: submitter, universe, data, batchSize: 8, pollIntervalMs: 50, stallTimeoutMs: 30_000, submitterTimeoutSeconds: 2 });
    const sweep = runSweep({ universe, space, ...settings, pool });
    await new Promise((r) => setTimeout(r, 3000));
    const late = await startWorkers(1);
    try {
      await expect(sweep).resolves.toMatchObject({ trialCount: 16 });
    } finally {
      await pool.close();
      const [lateSummary] = await late.stop();
      expect(lateSummary).toMatchObject({ jobsSkipped: 0, trialsRun: 16 });
    }
    expect(await submitter.heartbeatOf(pool.sweepId)).toBeNull();
  }, 60_000);

  it('a worker refuses data whose hash differs from the job, and the sweep fails naming the job', async () => {
    const other: DistributedDataSpec = { ...data, config: { ...config, seed: 8 } };
    expect(universeHash(loadRunData(other.config, { cwd: process.cwd() }).universe)).not.toBe(data.universeSha256);
    const running = await startWorkers(1);
    // Same universe here, but the workers are told to load seed 8, which hashes differently.
    const pool = openDistributedSweepPool({ queue: submitter, universe, data: other, batchSize: 16, retryLimit: 1, retryDelaySeconds: 0, pollIntervalMs: 50, stallTimeoutMs: 30_000 });
    try {
      const failure = runSweep({ universe, space, ...settings, pool });
      await expect(failure).rejects.toThrow(SweepError);
      await expect(failure).rejects.toThrow(/^job [0-9a-f-]{36} \(trials 0\.\.15\) failed after 2 attempt\(s\): DataError: the universe loaded from synthetic data under .* has sha256 [0-9a-f]{64}, the job's is [0-9a-f]{64}: refused$/);
    } finally {
      await pool.close();
      const [summary] = await running.stop();
      expect(summary?.jobsFailed).toBe(2);
      expect(summary?.trialsRun).toBe(0);
    }
  }, 60_000);
});
