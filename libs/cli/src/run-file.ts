import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import type * as Yaml from 'yaml';
import type { FlagSpec, FlagValues } from './flags';
import { parseFlags } from './flags';

/** The YAML parser, loaded when a run file is first read: a command line without `--config` does not load it. */
function yaml(): typeof Yaml {
  return require('yaml') as typeof Yaml;
}

/**
 * The flags of every command that reads run files: `--config <file>` (a JSON or YAML run file
 * holding the command's flags) and `--print-config` (print the resolved configuration and exit).
 */
export const RUN_FILE_FLAGS: readonly FlagSpec[] = [
  { name: 'config', kind: 'string', valueName: 'file', description: 'read flags from a run file (JSON, or YAML for .yaml/.yml): keys are flag names without --; flags given here override it' },
  { name: 'print-config', kind: 'boolean', description: 'print the resolved configuration (run file, flags and known defaults) as JSON and exit without running' },
];

/** A command whose flags another command's run file must not hold (named in the error). */
export interface RunFileCommand {
  /** As its help names it, such as `backtester walk-forward`. */
  readonly name: string;
  readonly flags: readonly FlagSpec[];
}

/** Options of {@link parseRunFlags} and {@link readRunFile}. */
export interface RunFileOptions {
  /** The command reading the file, as its help names it (`backtester run`); errors name it. */
  readonly command: string;
  /** The folder `--config` and the command line's relative paths are resolved from. */
  readonly cwd: string;
  /**
   * The flags whose values are paths (`data`, `results-dir`, …). A relative path in a run file is
   * resolved from the file's folder, then written relative to `cwd` (absolute when outside it).
   */
  readonly pathFlags: readonly string[];
  /**
   * Flags whose value is a path only when the predicate says so (`strategy`: a shipped strategy's
   * name, or a strategy file), resolved from the file's folder like `pathFlags` when it is.
   */
  readonly pathWhen?: Readonly<Record<string, (value: string) => boolean>>;
  /** The other commands' flags, so that a key of theirs is refused as theirs, not as unknown. */
  readonly otherCommands?: readonly RunFileCommand[];
}

/** The run file a command read: its path as resolved and the SHA-256 of its bytes. */
export interface RunFileSource {
  readonly path: string;
  /** Hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** What {@link parseRunFlags} resolved. */
export interface ParsedRunFlags {
  /** The run file's flags with the command line's over them (without `config` and `print-config`). */
  readonly flags: FlagValues;
  /**
   * The command line to record: the arguments as given when there is no run file, else the
   * resolved flags as `--name=value` arguments ({@link runFileArgv}), so that the record re-runs
   * without the file.
   */
  readonly argv: readonly string[];
  /** The run file read; null without `--config`. */
  readonly runFile: RunFileSource | null;
  /** `--print-config` was given. */
  readonly printConfig: boolean;
}

// Keys that would carry credentials: they come from the environment, never from a file that may
// be recorded, copied into a manifest or committed.
const SECRET_KEY = /(^|[-_.])(key|keys|secret|secrets|token|password|passphrase|credentials?)($|[-_.])|api-?key|key-?id/i;

/** Flags never read from a run file. */
const COMMAND_LINE_ONLY = new Set(['help', 'config', 'print-config']);

/**
 * Parses a command line that may name a run file (`--config`): the file's flags are read (see
 * {@link readRunFile}) and the command line's flags override them, flag by flag. `specs` are the
 * command's flags without {@link RUN_FILE_FLAGS}, which this adds. Errors are `ConfigError`s
 * naming the flag, or the file and key.
 *
 * @example
 * const { flags, argv: recorded, runFile } = parseRunFlags(argv, BACKTEST_RUN_FLAGS, { command: 'backtester run', cwd, pathFlags: ['data'] });
 */
export function parseRunFlags(argv: readonly string[], specs: readonly FlagSpec[], options: RunFileOptions): ParsedRunFlags {
  const given = parseFlags(argv, [...specs, ...RUN_FILE_FLAGS]);
  const { config, 'print-config': printConfig, ...commandLine } = given;
  if (typeof config !== 'string') return { flags: commandLine, argv, runFile: null, printConfig: printConfig === true };
  const file = readRunFile(resolve(options.cwd, config), specs, options);
  const flags: FlagValues = { ...file.flags, ...commandLine };
  return { flags, argv: runFileArgv(flags, specs), runFile: file.source, printConfig: printConfig === true };
}

/**
 * Reads a run file: a JSON object (or YAML mapping, for `.yaml` and `.yml`) whose keys are the
 * command's flag names without `--`. A number flag takes a number, a boolean flag `true` or
 * `false`, any other flag a string; a `k=v,...` flag (params, risk, kill-switch, execution, space,
 * …) also takes an object of names to strings, numbers or booleans, and an `A,B` flag a list of
 * strings. Relative paths of `options.pathFlags` are resolved from the file's folder.
 *
 * Refused, with a `ConfigError` naming the file (and the key's line where the parser knows it):
 * a missing or unparsable file, unknown keys, another command's keys, wrong types, `config` in
 * the file, and keys that would hold credentials (they come from the environment).
 */
export function readRunFile(path: string, specs: readonly FlagSpec[], options: RunFileOptions): { readonly flags: FlagValues; readonly source: RunFileSource } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ConfigError('--config', `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a run file' : error instanceof Error ? error.message : String(error)}`);
  }
  const text = bytes.toString('utf8');
  const isYaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  const { LineCounter, parseDocument, isMap, isScalar } = yaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  let value: unknown;
  if (isYaml) {
    const error = document.errors[0];
    if (error !== undefined) {
      const line = lineCounter.linePos(error.pos[0]).line;
      throw new ConfigError('--config', `${path}:${line}: not valid YAML: ${error.message.split('\n')[0] as string}`);
    }
    value = document.toJS();
  } else {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ConfigError('--config', `${path}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('--config', `${path}: a run file is an object of flag names (without --) and values, e.g. {"strategy": "sma-crossover"}`);
  }
  // Where each top-level key is, for the errors (JSON is YAML, so one parser gives both).
  const lines = new Map<string, number>();
  if (document.errors.length === 0 && isMap(document.contents)) {
    for (const pair of document.contents.items) {
      if (isScalar(pair.key) && pair.key.range !== undefined && pair.key.range !== null) lines.set(String(pair.key.value), lineCounter.linePos(pair.key.range[0]).line);
    }
  }
  const where = (key: string): string => {
    const line = lines.get(key);
    return line === undefined ? `${path}: key '${key}'` : `${path}:${line}: key '${key}'`;
  };
  const byName = new Map(specs.map((s) => [s.name, s]));
  const folder = dirname(path);
  const flags: Record<string, string | number | boolean> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'config') throw new ConfigError('--config', `${where(key)}: a run file cannot name another run file`);
    if (SECRET_KEY.test(key)) {
      throw new ConfigError('--config', `${where(key)}: credentials never go into a run file (it may be recorded, shared or committed); the trader reads them from the environment (docs/security.md)`);
    }
    const spec = byName.get(key);
    if (spec === undefined || COMMAND_LINE_ONLY.has(key)) {
      if (key.startsWith('--')) throw new ConfigError('--config', `${where(key)}: write flag names without the dashes ('${key.replace(/^-+/, '')}')`);
      const owner = options.otherCommands?.find((c) => c.flags.some((f) => f.name === key));
      if (owner !== undefined) throw new ConfigError('--config', `${where(key)}: --${key} is a flag of ${owner.name}, not of ${options.command}`);
      const known = specs.filter((s) => !COMMAND_LINE_ONLY.has(s.name)).map((s) => s.name);
      throw new ConfigError('--config', `${where(key)}: not a flag of ${options.command}; known keys: ${known.join(', ')}`);
    }
    const flag = flagValue(spec, raw, where(key));
    if (typeof flag === 'string' && isUrlWithCredentials(flag)) {
      throw new ConfigError('--config', `${where(key)}: a URL with a user or password; credentials come from the environment, never from a run file`);
    }
    const isPath = typeof flag === 'string' && (options.pathFlags.includes(key) || options.pathWhen?.[key]?.(flag) === true);
    flags[key] = typeof flag === 'string' && isPath ? resolvePath(flag, folder, options.cwd) : flag;
  }
  return { flags, source: { path, sha256: createHash('sha256').update(bytes).digest('hex') } };
}

function flagValue(spec: FlagSpec, raw: unknown, where: string): string | number | boolean {
  const expected = spec.kind === 'string' ? `a string (${spec.valueName ?? 'text'})` : spec.kind === 'number' ? 'a number' : 'true or false';
  const wrong = (): ConfigError => new ConfigError('--config', `${where}: must be ${expected}${isListFlag(spec) ? ' or an object of names to values' : isArrayFlag(spec) ? ' or a list of strings' : ''}, got ${JSON.stringify(raw) ?? String(raw)}`);
  if (spec.kind === 'number') {
    if (typeof raw !== 'number' || !Number.isFinite(raw)) throw wrong();
    return raw;
  }
  if (spec.kind === 'boolean') {
    if (typeof raw !== 'boolean') throw wrong();
    return raw;
  }
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw) && isArrayFlag(spec)) {
    if (raw.some((item) => typeof item !== 'string' || item.includes(','))) throw wrong();
    return raw.join(',');
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && isListFlag(spec)) {
    const pairs: string[] = [];
    for (const [name, item] of Object.entries(raw as Record<string, unknown>)) {
      const ok = (typeof item === 'string' && !item.includes(',')) || (typeof item === 'number' && Number.isFinite(item)) || typeof item === 'boolean';
      if (!ok || name.includes('=') || name.includes(',')) {
        throw new ConfigError('--config', `${where}: '${name}' must be a string (without commas), a number or true/false, got ${JSON.stringify(item) ?? String(item)}`);
      }
      pairs.push(`${name}=${String(item)}`);
    }
    return pairs.join(',');
  }
  throw wrong();
}

/** A flag whose value is a `k=v,...` list (its value name says so). */
function isListFlag(spec: FlagSpec): boolean {
  return spec.kind === 'string' && (spec.valueName ?? '').includes('=');
}

/** A flag whose value is a comma-separated list of names (`A,B`). */
function isArrayFlag(spec: FlagSpec): boolean {
  return spec.kind === 'string' && spec.valueName === 'A,B';
}

function isUrlWithCredentials(text: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return false;
  try {
    const url = new URL(text);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

function resolvePath(value: string, folder: string, cwd: string): string {
  if (isAbsolute(value)) return value;
  const absolute = resolve(folder, value);
  const fromCwd = relative(resolve(cwd), absolute);
  return fromCwd === '' ? '.' : fromCwd.startsWith('..') || isAbsolute(fromCwd) ? absolute : fromCwd;
}

/**
 * Flags as a command line: `--name=value` for each set flag in the order of `specs` (`--name`
 * for true, `--name=false` for false), without `help`, `config` and `print-config`. Parsing it
 * with `specs` gives the same flags back.
 */
export function runFileArgv(flags: FlagValues, specs: readonly FlagSpec[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const value = flags[spec.name];
    if (value === undefined || COMMAND_LINE_ONLY.has(spec.name)) continue;
    out.push(value === true ? `--${spec.name}` : `--${spec.name}=${String(value)}`);
  }
  return out;
}

/**
 * The resolved configuration as a run file (pretty JSON, keys in the order of `specs`): `flags`,
 * then `defaults` for the flags not set. A `k=v,...` value becomes an object (numbers and
 * booleans as such), an `A,B` value a list, so the output reads back as a run file.
 */
export function formatRunFile(flags: FlagValues, specs: readonly FlagSpec[], defaults: FlagValues = {}): string {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (COMMAND_LINE_ONLY.has(spec.name)) continue;
    const value = flags[spec.name] ?? defaults[spec.name];
    if (value === undefined) continue;
    out[spec.name] = typeof value === 'string' ? displayValue(spec, value) : value;
  }
  return JSON.stringify(out, null, 2);
}

function displayValue(spec: FlagSpec, value: string): unknown {
  if (isArrayFlag(spec)) return value.split(',');
  if (!isListFlag(spec) || value.trim() === '') return value;
  const parts = value.split(',');
  if (parts.some((part) => part.indexOf('=') <= 0)) return value;
  const object: Record<string, string | number | boolean> = {};
  for (const part of parts) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    if (Object.prototype.hasOwnProperty.call(object, name)) return value;
    const text = part.slice(eq + 1).trim();
    object[name] = text === 'true' ? true : text === 'false' ? false : text !== '' && String(Number(text)) === text ? Number(text) : text;
  }
  return object;
}
