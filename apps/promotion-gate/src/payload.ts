import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, DataError } from '@quantbot/core';
import type { InputSource } from '@quantbot/research-registry';
import type { CliIo, FlagValues } from '@quantbot/cli';

/** An action's input read from `--payload` or `--payload-file`, with where it came from. */
export interface Payload {
  /** The parsed JSON, or undefined when neither flag was given. */
  readonly value: unknown;
  /** For the registry's parsers: errors name `payload.<field>` or the file and field. */
  readonly source: InputSource;
}

/**
 * Reads `--payload '<json>'` or `--payload-file <path>` (relative to the working directory).
 * Giving both, unreadable files and invalid JSON are errors naming the flag or file.
 */
export function readPayload(flags: FlagValues, io: CliIo): Payload {
  const text = flags['payload'];
  const file = flags['payload-file'];
  if (text !== undefined && file !== undefined) throw new ConfigError('--payload', 'give either --payload or --payload-file, not both');
  if (typeof text === 'string') {
    try {
      return { value: JSON.parse(text) as unknown, source: { label: 'payload' } };
    } catch (error) {
      throw new ConfigError('--payload', `is not valid JSON: ${messageOf(error)}`);
    }
  }
  if (typeof file === 'string') {
    const path = resolve(io.cwd, file);
    return { value: readJsonFile(path, '--payload-file'), source: { file: path } };
  }
  return { value: undefined, source: { label: 'payload' } };
}

/** Reads and parses a JSON file; a missing file names `flag`, bad JSON is a `DataError` naming the file. */
export function readJsonFile(path: string, flag: string): unknown {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(flag, `cannot read ${path}: ${messageOf(error)}`);
  }
  try {
    return JSON.parse(content) as unknown;
  } catch (error) {
    throw new DataError(`not valid JSON: ${messageOf(error)}`, { file: path });
  }
}

/**
 * The payload with fields given by flags added: `fields` maps a payload field to its flag name and
 * value (undefined: not given). A field given both ways is a `ConfigError` naming the flag; flags
 * with a payload that is not an object too.
 */
export function withFlagFields(payload: unknown, fields: readonly { readonly field: string; readonly flag: string; readonly value: unknown }[]): unknown {
  const given = fields.filter((f) => f.value !== undefined);
  if (given.length === 0) return payload ?? {};
  if (payload === undefined) return Object.fromEntries(given.map((f) => [f.field, f.value]));
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ConfigError(`--${(given[0] as { flag: string }).flag}`, 'cannot be combined with a payload that is not a JSON object');
  }
  const merged: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  for (const f of given) {
    if (merged[f.field] !== undefined) throw new ConfigError(`--${f.flag}`, `the payload gives ${f.field} too; give it once`);
    merged[f.field] = f.value;
  }
  return merged;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
