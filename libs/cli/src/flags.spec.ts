import { ConfigError } from '@quantbot/core';
import type { FlagSpec } from './flags';
import { parseFlags, withoutFlags } from './flags';

const SPECS: readonly FlagSpec[] = [
  { name: 'data', kind: 'string', description: 'file' },
  { name: 'seed', kind: 'number', description: 'seed' },
  { name: 'json', kind: 'boolean', description: 'json' },
  { name: 'quiet', kind: 'boolean', description: 'quiet' },
];

describe('withoutFlags', () => {
  it('drops the named boolean flags in every spelling and keeps the rest in order', () => {
    const argv = ['--json', '--data', 'a.csv', '--quiet=false', '--seed=3', '--json=true'];
    // parseFlags refuses a repeated flag; the filter handles any spelling regardless.
    const flags = parseFlags(['--json', '--data', 'a.csv', '--quiet=false', '--seed=3'], SPECS);
    const out = withoutFlags(argv, flags, ['json', 'quiet'], SPECS);
    expect(out.argv).toEqual(['--data', 'a.csv', '--seed=3']);
    expect(out.flags).toEqual({ data: 'a.csv', seed: 3 });
  });

  it('keeps a value that merely looks like a dropped flag\'s name', () => {
    const argv = ['--data', 'json', '--quiet'];
    expect(withoutFlags(argv, parseFlags(argv, SPECS), ['json', 'quiet'], SPECS).argv).toEqual(['--data', 'json']);
  });

  it('refuses to drop a flag that takes a value, or one the command does not have', () => {
    expect(() => withoutFlags([], {}, ['data'], SPECS)).toThrow(ConfigError);
    expect(() => withoutFlags([], {}, ['data'], SPECS)).toThrow('--data');
    expect(() => withoutFlags([], {}, ['timings'], SPECS)).toThrow('--timings');
  });
});
