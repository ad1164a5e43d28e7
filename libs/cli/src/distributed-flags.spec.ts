import { DISTRIBUTED_FLAGS, withoutDistributedFlags } from './distributed-flags';
import type { FlagSpec } from './flags';
import { parseFlags } from './flags';

/** Flags a recorded sweep keeps beside the queue's. */
const OTHERS: readonly FlagSpec[] = [
  { name: 'data', kind: 'string', description: '' },
  { name: 'bars', kind: 'number', description: '' },
  { name: 'quiet', kind: 'boolean', description: '' },
];

/** A value each kind of flag takes on a command line. */
function valueOf(spec: FlagSpec): string {
  return spec.kind === 'number' ? '30' : 'q_test';
}

describe('DISTRIBUTED_FLAGS', () => {
  it('are --distributed and the queue flags, each with help text, and frozen', () => {
    expect(DISTRIBUTED_FLAGS.map((f) => f.name)).toEqual(['distributed', 'queue-schema', 'batch-size', 'retry-limit', 'retry-delay', 'visibility-timeout', 'submitter-timeout', 'stall-timeout']);
    for (const flag of DISTRIBUTED_FLAGS) expect(flag.description).not.toBe('');
    expect(Object.isFrozen(DISTRIBUTED_FLAGS)).toBe(true);
  });
});

describe('withoutDistributedFlags', () => {
  it('drops every distributed flag, its value written apart or with =, and keeps the rest in order', () => {
    const apart = DISTRIBUTED_FLAGS.flatMap((f) => (f.kind === 'boolean' ? [`--${f.name}`] : [`--${f.name}`, valueOf(f)]));
    const joined = DISTRIBUTED_FLAGS.map((f) => (f.kind === 'boolean' ? `--${f.name}=true` : `--${f.name}=${valueOf(f)}`));
    const argv = ['--data', 'spy.csv', ...apart, '--bars', '400', ...joined, '--quiet'];
    // The command line parses with the distributed flags and, once without them, with the others alone.
    expect(() => parseFlags(argv.filter((a) => !joined.includes(a)), [...OTHERS, ...DISTRIBUTED_FLAGS])).not.toThrow();
    const kept = withoutDistributedFlags(argv);
    expect(kept).toEqual(['--data', 'spy.csv', '--bars', '400', '--quiet']);
    expect(parseFlags(kept, OTHERS)).toEqual({ data: 'spy.csv', bars: 400, quiet: true });
  });

  it('drops each distributed flag on its own, taking only its value with it', () => {
    for (const flag of DISTRIBUTED_FLAGS) {
      const given = flag.kind === 'boolean' ? [`--${flag.name}`] : [`--${flag.name}`, valueOf(flag)];
      expect(withoutDistributedFlags(['--bars', '5', ...given, '--data', 'x.csv'])).toEqual(['--bars', '5', '--data', 'x.csv']);
    }
  });

  it('keeps a command line without them as it is, and a flag that only starts like one', () => {
    const argv = ['--data', 'spy.csv', '--distributed-ish', '--batch', '4'];
    expect(withoutDistributedFlags(argv)).toEqual(argv);
    expect(withoutDistributedFlags([])).toEqual([]);
  });
});
