import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { describeWithPrerequisite } from '@quantbot/core/testing';
import type { TestPrerequisite } from '@quantbot/core/testing';
import { decodeExactJson, encodeExactJson, universeHash } from './distributed-codec';
import type { DistributedDataSpec, TrialWorkerSummary } from './distributed-sweep';
import { distributedDataSpec, openDistributedSweepPool, runTrialWorker } from './distributed-sweep';
import { parseParameterSpace } from './parameter-space';
import { loadRunData } from './run-data';
import type { SweepResult } from './sweep';
import { SweepError, runSweep, trialReturnSeries } from './sweep';
import { TrialQueue } from './trial-queue';
import { sweepArtifact, walkForwardArtifact } from './validation-artifacts';
import { runWalkForward } from './walk-forward';

describe('exact JSON of distributed results', () => {
  it('keeps NaN, ±Infinity, −0 and every finite double through a round trip', () => {
    const values = [NaN, Infinity, -Infinity, -0, 0, 0.1 + 0.2, 5e-324, Number.MAX_VALUE, -1.2345e-300];
    const back = decodeExactJson<{ values: number[] }>(encodeExactJson({ values }));
    back.values.forEach((v, i) => expect(Object.is(v, values[i])).toBe(true));
  });
});

const databaseUrl = process.env['TEST_DATABASE_URL'];
const postgres: TestPrerequisite = {
  name: 'a Postgres server',
  missing: databaseUrl === undefined || databaseUrl.trim() === '' ? 'TEST_DATABASE_URL is not set' : undefined,
  howToProvide: 'set TEST_DATABASE_URL=postgres://user@127.0.0.1:5432/postgres (each run makes and drops its own schema)',
};

describeWithPrerequisite(postgres, 'distributed sweeps on a Postgres server (pg-boss)', () => {
  const url = databaseUrl as string;
  const schema = `qb_test_${randomBytes(6).toString('hex')}`;
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
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
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

  it('gives the local walk-forward, bit for bit', async () => {
    const options = { universe, space, search: { kind: 'grid' } as const, ...settings, train: 200, test: 100, anchored: false };
    const local = walkForwardArtifact(await runWalkForward({ ...options, workers: 1 }));
    const running = await startWorkers(2);
    const pool = openDistributedSweepPool({ queue: submitter, universe, data, batchSize: 4, pollIntervalMs: 50, stallTimeoutMs: 30_000 });
    try {
      const distributed = walkForwardArtifact(await runWalkForward({ ...options, pool }));
      expect(JSON.stringify(distributed)).toEqual(JSON.stringify(local));
      expect(pool.workerNames.length).toBeGreaterThanOrEqual(1);
    } finally {
      await pool.close();
      await running.stop();
    }
  }, 120_000);

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
