import { ConfigError } from '@quantbot/core';

/** One command-line flag: its name (without dashes), value kind and help text. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'number' | 'boolean';
  readonly description: string;
  readonly valueName?: string;
}

/** Parsed flags by name; absent flags are absent. */
export type FlagValues = Readonly<Record<string, string | number | boolean>>;

/**
 * Parses `--name value`, `--name=value` and bare `--flag` (booleans). Unknown flags, missing
 * values, repeated flags, non-numeric numbers and stray positional arguments are `ConfigError`s
 * naming the flag.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): FlagValues {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(arg, 'unexpected argument (flags start with --; see --help)');
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = byName.get(name);
    if (spec === undefined) {
      throw new ConfigError(`--${name}`, `unknown flag; known flags: ${specs.map((s) => `--${s.name}`).join(', ')}`);
    }
    if (Object.prototype.hasOwnProperty.call(values, name)) throw new ConfigError(`--${name}`, 'given more than once');
    if (spec.kind === 'boolean') {
      if (eq >= 0) {
        const text = arg.slice(eq + 1);
        if (text !== 'true' && text !== 'false') throw new ConfigError(`--${name}`, `'${text}' is not true or false`);
        values[name] = text === 'true';
      } else {
        values[name] = true;
      }
      continue;
    }
    let text: string;
    if (eq >= 0) {
      text = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`--${name}`, `needs a value (${spec.valueName ?? spec.kind})`);
      text = next;
      i++;
    }
    if (spec.kind === 'number') {
      const value = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(value)) throw new ConfigError(`--${name}`, `'${text}' is not a number`);
      values[name] = value;
    } else {
      values[name] = text;
    }
  }
  return values;
}

/** Help text for a set of flags, one per line, aligned. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const heads = specs.map((s) => `--${s.name}${s.kind === 'boolean' ? '' : ` <${s.valueName ?? s.kind}>`}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return specs.map((s, i) => `  ${(heads[i] as string).padEnd(width)}${s.description}`).join('\n');
}

/**
 * The command line without the boolean flags named (`--name`, `--name=true`, `--name=false`), in
 * the order given otherwise; with the flag values without them. A run records this, leaving out the
 * flags that change only how its results are shown (`--json`, `--quiet`, `--timings`, …), so that
 * those flags do not change what it records or its digest. Throws a `ConfigError` naming a flag of
 * `names` that is not a boolean of `specs` (a string flag's value would be left behind).
 *
 * @example
 * withoutFlags(['--data', 'spy.csv', '--json', '--quiet=true'], { data: 'spy.csv', json: true, quiet: true }, ['json', 'quiet'], BACKTEST_RUN_FLAGS)
 * // → { argv: ['--data', 'spy.csv'], flags: { data: 'spy.csv' } }
 */
export function withoutFlags(
  argv: readonly string[],
  flags: FlagValues,
  names: readonly string[],
  specs: readonly FlagSpec[],
): { readonly argv: readonly string[]; readonly flags: FlagValues } {
  for (const name of names) {
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined || spec.kind !== 'boolean') throw new ConfigError(`--${name}`, 'only boolean flags of the command can be left out of a recorded command line');
  }
  const dropped = new Set(names);
  const kept = argv.filter((arg) => {
    if (!arg.startsWith('--')) return true;
    const eq = arg.indexOf('=');
    return !dropped.has(eq < 0 ? arg.slice(2) : arg.slice(2, eq));
  });
  const rest: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(flags)) if (!dropped.has(name)) rest[name] = value;
  return { argv: kept, flags: rest };
}
