import type { FlagSpec } from './flags';

/**
 * The flags of `backtester sweep` and `walk-forward` that send the trials to workers through the
 * database (`--distributed` and the queue's flags). They say only how a run reached its workers,
 * never what it computes: the backtester refuses each of them without `--distributed`, and a
 * re-run that checks a recorded run (the promotion gate's) drops them all (`withoutDistributedFlags`).
 */
export const DISTRIBUTED_FLAGS: readonly FlagSpec[] = Object.freeze<FlagSpec[]>([
  { name: 'distributed', kind: 'boolean', description: "run the trials on 'backtester worker' processes through the Postgres database in DATABASE_URL (pg-boss), not on this machine's threads; the results are the same" },
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
]);

/**
 * A recorded command line of a sweep or walk-forward without the `DISTRIBUTED_FLAGS` (each as
 * `--name`, `--name=value` or `--name value`), the rest in order: its re-run runs on this machine's
 * threads (the results are the same), never through a queue.
 *
 * @example
 * withoutDistributedFlags(['--data', 'spy.csv', '--distributed', '--batch-size', '4', '--stall-timeout=60'])
 * // → ['--data', 'spy.csv']
 */
export function withoutDistributedFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.split('=')[0] as string;
    const spec = DISTRIBUTED_FLAGS.find((f) => `--${f.name}` === name);
    if (spec === undefined) {
      out.push(arg);
      continue;
    }
    // A flag with a value written apart (`--batch-size 4`) takes the next argument with it.
    if (spec.kind !== 'boolean' && !arg.includes('=')) i++;
  }
  return out;
}
