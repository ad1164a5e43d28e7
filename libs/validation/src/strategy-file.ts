import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, isAbsolute, resolve } from 'node:path';
import type * as Jiti from 'jiti';
import { ConfigError } from '@quantbot/core';
import type { StrategyDefinition } from '@quantbot/strategies';
import { findStrategy, validateStrategyDefinition } from '@quantbot/strategies';

// This module is the one place a strategy file is read. Its only runtime imports are node
// built-ins, `jiti` and @quantbot packages, so a sweep worker started from the TypeScript sources
// can load it beside `sweep-worker.ts`.

/** The extensions a strategy file may have: TypeScript (loaded without a build step) or JavaScript. */
export const STRATEGY_FILE_EXTENSIONS: readonly string[] = Object.freeze(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

/**
 * What makes a strategy file the strategy it is: its absolute path and the sha256 (hex) of its
 * bytes. Two files with the same name and different bytes are different strategies for run
 * manifests, the research registry and live promotions. Other local files the strategy file
 * imports are not covered by the hash.
 */
export interface StrategyFileIdentity {
  readonly path: string;
  readonly sha256: string;
}

/** A strategy file read and checked: its definition and identity, and the path as the user gave it. */
export interface LoadedStrategyFile {
  readonly definition: StrategyDefinition;
  readonly file: StrategyFileIdentity;
  /** The path as given (`./strategies/my-breakout.ts`), for messages. */
  readonly source: string;
}

/** A strategy resolved from a name or a path: a shipped definition has no `file`. */
export interface ResolvedStrategy {
  readonly definition: StrategyDefinition;
  readonly file?: StrategyFileIdentity;
}

/**
 * True when `ref` names a strategy file rather than a shipped strategy: it has a strategy file
 * extension (`.ts`, `.js`, `.mjs`, ...) or a path separator.
 */
export function isStrategyFileRef(ref: string): boolean {
  return STRATEGY_FILE_EXTENSIONS.includes(extname(ref)) || ref.includes('/') || ref.includes('\\');
}

/**
 * A strategy by `ref`: a shipped strategy's name (`findStrategy`) or a strategy file's path,
 * relative to `cwd` (see {@link loadStrategyFile}). Errors are `ConfigError`s keyed `key`.
 */
export function resolveStrategy(ref: string, cwd: string, key = 'strategy'): ResolvedStrategy {
  if (!isStrategyFileRef(ref)) return { definition: findStrategy(ref) };
  const loaded = loadStrategyFile(ref, cwd, { key });
  return { definition: loaded.definition, file: loaded.file };
}

/** Options of {@link loadStrategyFile}. */
export interface LoadStrategyFileOptions {
  /** The key of the `ConfigError`s thrown (default `strategy`). */
  readonly key?: string;
  /** Refuse the file unless its bytes hash to this (a file that changed since it was first read). */
  readonly expectSha256?: string;
}

/**
 * Reads the strategy file `source` (relative to `cwd`; `.ts` files are transpiled on the fly by
 * jiti, no build step) and checks what it exports: a {@link StrategyDefinition} as the named
 * export `strategy` or the default export, checked by `validateStrategyDefinition`. The file's
 * imports of `@quantbot/strategies` and `@quantbot/core` resolve to the copies this process runs,
 * wherever the file lives. Each call reads the file afresh (no module cache), so a changed file is
 * seen as changed.
 *
 * A missing or unreadable file, an unknown extension, a module that throws while loading, a
 * missing export and a bad definition are `ConfigError`s whose message starts with the path.
 */
export function loadStrategyFile(source: string, cwd: string, options: LoadStrategyFileOptions = {}): LoadedStrategyFile {
  const key = options.key ?? 'strategy';
  const fail = (message: string): never => {
    throw new ConfigError(key, `${source}: ${message}`);
  };
  const path = isAbsolute(source) ? source : resolve(cwd, source);
  if (!STRATEGY_FILE_EXTENSIONS.includes(extname(path))) {
    return fail(`a strategy file must end in ${STRATEGY_FILE_EXTENSIONS.join(', ')}`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return fail(`cannot read the strategy file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (options.expectSha256 !== undefined && options.expectSha256 !== sha256) {
    return fail(`the strategy file changed since it was first read (sha256 ${sha256.slice(0, 12)}…, expected ${options.expectSha256.slice(0, 12)}…)`);
  }
  let exported: unknown;
  try {
    exported = strategyFileJiti()(path);
  } catch (error) {
    return fail(`the strategy file failed to load: ${messageOf(error)}`);
  }
  const module = (typeof exported === 'object' && exported !== null ? exported : {}) as Readonly<Record<string, unknown>>;
  const candidate = module['strategy'] ?? module['default'];
  if (candidate === undefined) return fail('exports no strategy definition: export it as `export const strategy = {...}` or as the default export');
  const definition = validateStrategyDefinition(candidate, source);
  return Object.freeze({ definition, file: Object.freeze({ path, sha256 }), source });
}

type JitiRequire = (id: string) => unknown;
let jiti: JitiRequire | undefined;

/** One jiti instance for the process: no module or transpile cache, the Quantbot libraries aliased to this process's copies. */
function strategyFileJiti(): JitiRequire {
  if (jiti === undefined) {
    // Node's own resolution (never a test runner's mapping): the built libraries in node_modules.
    const resolveHere = createRequire(__filename).resolve;
    const alias: Record<string, string> = {};
    for (const name of ['@quantbot/strategies', '@quantbot/core']) alias[name] = resolveHere(name);
    // jiti is loaded here, on the first strategy file, not with the module.
    const { createJiti } = require('jiti') as typeof Jiti;
    jiti = createJiti(__filename, { moduleCache: false, fsCache: false, alias, interopDefault: false }) as unknown as JitiRequire;
  }
  return jiti;
}

/** The message of what was thrown (an `Error` of any realm has one), else its text. */
function messageOf(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { readonly message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(error);
}
