import { resolve } from 'node:path';
import { ConfigError } from '@quantbot/core';
import type { LoadedPromotionGateConfig, PromotionStage, ResearchRegistry } from '@quantbot/research-registry';
import { DEFAULT_PROMOTION_GATES_FILE, PROMOTION_STAGES, loadPromotionGateConfig } from '@quantbot/research-registry';
import type { CliIo, FlagSpec, FlagValues } from '@quantbot/cli';

/** Environment variables as `process.env` holds them. */
export type CliEnv = Readonly<Record<string, string | undefined>>;

/** What an action runs against once its input is checked: the open registry. */
export interface ResearchSession {
  readonly registry: ResearchRegistry;
  /** Where the data lives, for people (never with a password). */
  readonly where: string;
}

/** What an action produced: the exit code, a JSON document for `--json`, and lines for people. */
export interface ActionResult {
  readonly exitCode: number;
  readonly json: unknown;
  /** Lines for stdout without `--json`. */
  readonly text: readonly string[];
  /** Lines for stderr in either mode (warnings). */
  readonly warnings?: readonly string[];
}

/** An input-checked action, ready to run against the database. */
export type PreparedAction = (session: ResearchSession) => Promise<ActionResult>;

/** What {@link ResearchAction.prepare} gets. */
export interface ActionInput {
  readonly flags: FlagValues;
  readonly io: CliIo;
  readonly env: CliEnv;
}

/**
 * One action of `promotion-gate`: its flags and help, and `prepare`, which checks every flag,
 * payload and file *before* the database is opened (so a usage error never opens it) and returns
 * the work to do against it.
 */
export interface ResearchAction {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Its own flags (the common ones are added: --json, --schema, --help). */
  readonly flags: readonly FlagSpec[];
  /** Help text after the flag list: what it does, examples. */
  readonly help: string;
  /**
   * Checks the input and returns the work to do, and the gate configuration the registry must
   * judge by when the action needs one (loaded here, so a bad file fails before the database opens).
   */
  prepare(input: ActionInput): Promise<{ readonly run: PreparedAction; readonly gates?: LoadedPromotionGateConfig }>;
}

/** Flags every action takes. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'json', kind: 'boolean', description: 'print one JSON document (errors too, on stderr)' },
  { name: 'schema', kind: 'string', valueName: 'name', description: 'keep the registry in this Postgres schema (env QUANTBOT_DB_SCHEMA)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/** `--experiment <id>`. */
export const EXPERIMENT_FLAG: FlagSpec = { name: 'experiment', kind: 'string', valueName: 'id', description: 'the experiment (exp-<n>, as create printed it)' };
/** `--snapshot <id>`. */
export const SNAPSHOT_FLAG: FlagSpec = { name: 'snapshot', kind: 'string', valueName: 'id', description: "the parameter snapshot (default: the experiment's current one)" };
/** `--payload <json>`. */
export const PAYLOAD_FLAG: FlagSpec = { name: 'payload', kind: 'string', valueName: 'json', description: 'the input as a JSON string' };
/** `--payload-file <path>`. */
export const PAYLOAD_FILE_FLAG: FlagSpec = { name: 'payload-file', kind: 'string', valueName: 'path', description: 'the input as a JSON file' };
/** `--config <path>`. */
export const CONFIG_FLAG: FlagSpec = { name: 'config', kind: 'string', valueName: 'path', description: `the gate thresholds (default ${DEFAULT_PROMOTION_GATES_FILE})` };
/** `--stage paper|live`. */
export const STAGE_FLAG: FlagSpec = {
  name: 'stage',
  kind: 'string',
  valueName: 'paper|live',
  description: 'judge a promotion to this stage (default: live once the snapshot was promoted, else paper)',
};

/** `--by <name>` on the actions that record evidence. */
export const RECORDED_BY_FLAG: FlagSpec = {
  name: 'by',
  kind: 'string',
  valueName: 'name',
  description: 'who records this evidence (default: env USER); a recorder may not approve the review',
};

/**
 * The snapshot and the recorder of an evidence action: `--by`, else env `USER`. Without either it
 * is a `ConfigError` naming `--by`: evidence is never recorded anonymously, since separation of
 * duties needs to know who recorded it.
 */
export function recordOptions(flags: FlagValues, env: CliEnv): { readonly snapshotId?: string; readonly recordedBy: string } {
  const by = stringFlag(flags, 'by') ?? (env['USER'] !== undefined && env['USER'].trim() !== '' ? env['USER'] : undefined);
  if (by === undefined) throw new ConfigError('--by', 'is required when env USER is unset: who records this evidence');
  return { ...snapshotChoice(flags), recordedBy: by };
}

/** A string flag's value, or undefined when absent. Empty values are refused. */
export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`--${name}`, 'needs a non-empty value');
  return value;
}

/** A required string flag. */
export function requiredFlag(flags: FlagValues, name: string, what: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined) throw new ConfigError(`--${name}`, `is required: ${what}`);
  return value;
}

/** A number flag's value, or undefined. */
export function numberFlag(flags: FlagValues, name: string): number | undefined {
  const value = flags[name];
  return typeof value === 'number' ? value : undefined;
}

/** `--experiment`, required. */
export function experimentFlag(flags: FlagValues): string {
  return requiredFlag(flags, 'experiment', 'the experiment id (exp-<n>)');
}

/** `--stage`, checked, or undefined. */
export function stageFlag(flags: FlagValues, name = 'stage'): PromotionStage | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  if (!(PROMOTION_STAGES as readonly string[]).includes(value)) throw new ConfigError(`--${name}`, `'${value}' is not a stage; expected ${PROMOTION_STAGES.join(' or ')}`);
  return value as PromotionStage;
}

/** `{ snapshotId }` from `--snapshot`, or `{}`. */
export function snapshotChoice(flags: FlagValues): { readonly snapshotId?: string } {
  const snapshotId = stringFlag(flags, 'snapshot');
  return snapshotId === undefined ? {} : { snapshotId };
}

/** `{ stage }` when a stage was chosen, `{}` to let the registry pick the next one. */
export function stageOf(stage: PromotionStage | undefined): { readonly stage?: PromotionStage } {
  return stage === undefined ? {} : { stage };
}

/** The gate file of `--config`, or the default one under the working directory. */
export function gatesFrom(flags: FlagValues, cwd: string): LoadedPromotionGateConfig {
  return loadPromotionGateConfig(resolve(cwd, stringFlag(flags, 'config') ?? DEFAULT_PROMOTION_GATES_FILE));
}
