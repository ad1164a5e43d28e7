import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import type { CliIo, FlagSpec, FlagValues } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';
import type { TrialWorkerEvent } from '@quantbot/validation';
import { DEFAULT_TRIAL_QUEUE_SCHEMA, TrialQueue, runTrialWorker } from '@quantbot/validation';
import { DATABASE_URL_ENV, databaseUrlOf } from './distributed-flags';

/** Flags of `backtester worker`. */
export const WORKER_FLAGS: readonly FlagSpec[] = [
  { name: 'database-url', kind: 'string', valueName: 'url', description: `the queue's Postgres server (default: ${DATABASE_URL_ENV})` },
  { name: 'queue-schema', kind: 'string', valueName: 'name', description: `the schema of the queue and its results (default ${DEFAULT_TRIAL_QUEUE_SCHEMA}); the submitter's` },
  { name: 'data-root', kind: 'string', valueName: 'dir', description: "the folder a job's data path is resolved against (default: the working directory); the data must hash as the submitter's" },
  { name: 'concurrency', kind: 'number', valueName: 'n', description: "threads running a job's trials in this process (default 1)" },
  { name: 'name', kind: 'string', valueName: 'name', description: 'the name results are stored under (default host:pid)' },
  { name: 'idle-exit-ms', kind: 'number', valueName: 'ms', description: 'stop after this long without a job (default: run until SIGTERM or SIGINT)' },
  { name: 'once', kind: 'boolean', description: 'stop after one job' },
  { name: 'poll-ms', kind: 'number', valueName: 'ms', description: 'how often to look for a job while none is waiting (default 500)' },
  { name: 'maintenance-interval', kind: 'number', valueName: 's', description: 'how often, in seconds, jobs of lost workers are put back for retry (default 30)' },
  { name: 'quiet', kind: 'boolean', description: 'print only the summary line' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

function positive(flags: FlagValues, name: string, integer: boolean): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`--${name}`, `must be a ${integer ? 'whole number' : 'number'} > 0, got ${String(value)}`);
  }
  return value;
}

function describeEvent(event: TrialWorkerEvent): string {
  switch (event.kind) {
    case 'job-started':
      return `job ${event.jobId} of sweep ${event.sweepId}${event.label !== null ? ` (${event.label})` : ''}: ${event.trials} trial(s), attempt ${event.attempt}`;
    case 'job-completed':
      return `job ${event.jobId} done: ${event.trials} trial(s)${event.repeated > 0 ? `, ${event.repeated} already stored by an earlier attempt` : ''}`;
    case 'job-failed':
      return `job ${event.jobId} failed: ${event.message}`;
    case 'job-skipped':
      return `job ${event.jobId} of sweep ${event.sweepId} ${event.reason}`;
  }
}

/**
 * `backtester worker`: takes trial jobs of distributed sweeps and walk-forwards from the Postgres
 * queue, runs them on the data found under `--data-root` (refusing data whose hashes differ from
 * the job's) and stores the results. Runs until SIGTERM or SIGINT (the job in hand is finished
 * first), `--idle-exit-ms` without a job, or one job with `--once`.
 */
export async function workerCommand(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>> = process.env, signals: NodeJS.EventEmitter = process): Promise<number> {
  const flags = parseFlags(argv, WORKER_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester worker [--database-url <url>] [--concurrency n] [flags]\n\nRuns the trials of distributed sweeps and walk-forwards (sweep --distributed) from the Postgres queue until stopped.\n\n${formatFlagHelp(WORKER_FLAGS)}`);
    return 0;
  }
  const url = databaseUrlOf(flags, env, 'database-url');
  const schema = typeof flags['queue-schema'] === 'string' ? flags['queue-schema'] : undefined;
  const concurrency = positive(flags, 'concurrency', true);
  const idleExitMs = positive(flags, 'idle-exit-ms', false);
  const pollMs = positive(flags, 'poll-ms', false);
  const maintenance = positive(flags, 'maintenance-interval', true);
  const workerId = typeof flags['name'] === 'string' ? flags['name'] : `${hostname()}:${process.pid}`;
  const dataRoot = resolve(io.cwd, typeof flags['data-root'] === 'string' ? flags['data-root'] : '.');
  const quiet = flags['quiet'] === true;
  const queue = await TrialQueue.open({ connectionString: url, ...(schema !== undefined ? { schema } : {}), ...(maintenance !== undefined ? { maintenanceIntervalSeconds: maintenance } : {}) });
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  signals.once('SIGTERM', stop);
  signals.once('SIGINT', stop);
  try {
    if (!quiet) io.out(`worker ${workerId}: waiting for jobs (queue schema ${queue.schema}, data root ${dataRoot})`);
    const summary = await runTrialWorker({
      queue,
      workerId,
      dataRoot,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(idleExitMs !== undefined ? { idleExitMs } : {}),
      ...(pollMs !== undefined ? { pollIntervalMs: pollMs } : {}),
      ...(flags['once'] === true ? { maxJobs: 1 } : {}),
      signal: abort.signal,
      ...(quiet ? {} : { onEvent: (event: TrialWorkerEvent) => io.out(describeEvent(event)) }),
    });
    io.out(`worker ${workerId} stopped (${summary.stopped}): ${summary.jobsCompleted} job(s) done, ${summary.jobsFailed} failed, ${summary.trialsRun} trial(s) run, ${summary.runsRun} out-of-sample run(s), ${summary.jobsSkipped} skipped (submitter gone)`);
    return 0;
  } finally {
    signals.off('SIGTERM', stop);
    signals.off('SIGINT', stop);
    await queue.close();
  }
}
