import { randomUUID } from 'node:crypto';
import { encodeExactJson } from './distributed-codec';
import type { FetchedTrialJob } from './trial-queue';
import type { TrialQueue } from './trial-queue';
import { distributedDataSpec, runTrialWorker } from './distributed-sweep';
import { loadRunData } from './run-data';

describe('a worker whose trial throws while a result write is in flight', () => {
  it('waits for the write to settle before failing the job, and leaves no rejection unhandled when the write fails', async () => {
    const config = { seed: 7, bars: 120 };
    const { universe } = loadRunData(config, { cwd: process.cwd() });
    const data = distributedDataSpec(config, universe, process.cwd());
    // Trial 0 runs and its result is written; trial 1 has parameters the strategy refuses, so it throws.
    const tasks = [
      { id: 0, params: { fast: 5, slow: 30 }, from: 0, to: 120, scoreFrom: 0 },
      { id: 1, params: { fast: -3, slow: 30 }, from: 0, to: 120, scoreFrom: 0 },
    ];
    const sizing = { kind: 'percent-of-equity', percent: 50 } as const;
    const job: FetchedTrialJob = {
      id: randomUUID(),
      data: { sweepId: 'write-failure', stage: 1, kind: 'trials', payload: encodeExactJson({ data, settings: { strategy: 'sma-crossover', baseParams: {}, startingCash: 100_000, sizing }, tasks }) },
      retryCount: 0,
      retryLimit: 0,
    };
    let handed = false;
    let writesSettled = 0;
    let writesStarted = 0;
    const failedWith: { readonly message: string; readonly settledThen: number }[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    // The database is lost as the first result is written: the write fails 50 ms later.
    const queue = {
      fetch: async () => {
        if (handed) return null;
        handed = true;
        return job;
      },
      heartbeatOf: async () => null,
      writeResult: () => {
        writesStarted++;
        return new Promise<boolean>((_, reject) => setTimeout(() => {
          writesSettled++;
          reject(new Error('connection terminated'));
        }, 50));
      },
      complete: async () => undefined,
      fail: async (_id: string, message: string) => void failedWith.push({ message, settledThen: writesSettled }),
      skip: async () => undefined,
    } as unknown as TrialQueue;
    try {
      const summary = await runTrialWorker({ queue, workerId: 'w', dataRoot: process.cwd(), pollIntervalMs: 10, maxJobs: 1 });
      await new Promise((r) => setTimeout(r, 100));
      expect(summary.jobsFailed).toBe(1);
      expect(writesStarted).toBe(1);
      expect(failedWith).toHaveLength(1);
      // The job failed with the trial's error, after the write in flight had settled.
      expect(failedWith[0]?.settledThen).toBe(1);
      expect(failedWith[0]?.message).not.toContain('connection terminated');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
