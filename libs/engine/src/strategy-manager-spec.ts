import type { JsonValue } from '@quantbot/core';
import { ConfigError } from '@quantbot/core';
import type { StrategyBuildContext } from '@quantbot/strategies';
import { createStrategy } from '@quantbot/strategies';
import type { SleeveConfig, SleeveKillSwitch } from './sleeve';
import { StrategyManager, checkSleeveSettings } from './strategy-manager';

/** One sleeve of a manager file: a shipped strategy by name, its parameters, its share of the capital and its kill switch. */
export interface SleeveSpec {
  readonly name: string;
  readonly strategy: string;
  /** Parameter values by name (numbers, booleans, or text as on a command line); defaults fill the rest. */
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly allocation: number;
  readonly killSwitch?: SleeveKillSwitch;
}

/**
 * A manager file (`backtester run --manager`, `live-trader run --manager`), as data.
 *
 * @example
 * {
 *   "capital": 100000,
 *   "sleeves": [
 *     { "name": "trend", "strategy": "sma-crossover", "params": { "fast": 10, "slow": 30 }, "allocation": 0.5 },
 *     { "name": "breakout", "strategy": "bracket-momentum", "allocation": 0.3,
 *       "killSwitch": { "maxDrawdownPct": 8, "action": "flatten" } }
 *   ]
 * }
 */
export interface StrategyManagerSpec {
  /** What the allocations are fractions of; default the portfolio's equity at the start. */
  readonly capital?: number;
  readonly sleeves: readonly SleeveSpec[];
}

const TOP_KEYS = ['capital', 'sleeves'];
const SLEEVE_KEYS = ['name', 'strategy', 'params', 'allocation', 'killSwitch'];
const KILL_SWITCH_KEYS = ['maxDrawdownPct', 'maxLossPct', 'action'];

/**
 * Reads a manager file's text. `source` names the file in every error: a `ConfigError` keyed
 * `<source>: <field>` (`manager.json: sleeves[1].allocation: must be a fraction ...`) for bad JSON,
 * an unknown or mistyped field, a bad allocation, name or kill switch. Strategies and their
 * parameters are checked by {@link buildStrategyManager}.
 */
export function parseStrategyManagerSpec(text: string, source: string): StrategyManagerSpec {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, `not JSON (${(error as Error).message})`);
  }
  const fail = (field: string, reason: string): never => {
    throw new ConfigError(`${source}: ${field}`, reason);
  };
  const root = objectAt(document, '(root)', fail);
  unknownKeys(root, TOP_KEYS, '', fail);
  const capital = root['capital'];
  if (capital !== undefined && typeof capital !== 'number') fail('capital', `expected a number, got ${describe(capital)}`);
  const list = root['sleeves'];
  if (!Array.isArray(list)) return fail('sleeves', `expected an array of sleeves, got ${describe(list)}`);
  const sleeves = (list as unknown[]).map((value, i): SleeveSpec => {
    const at = `sleeves[${i}]`;
    const s = objectAt(value, at, fail);
    unknownKeys(s, SLEEVE_KEYS, `${at}.`, fail);
    const name = s['name'];
    if (typeof name !== 'string') fail(`${at}.name`, `expected a name, got ${describe(name)}`);
    const strategy = s['strategy'];
    if (typeof strategy !== 'string' || strategy === '') fail(`${at}.strategy`, `expected a strategy name, got ${describe(strategy)}`);
    const allocation = s['allocation'];
    if (typeof allocation !== 'number') fail(`${at}.allocation`, `expected a fraction of the capital (a number), got ${describe(allocation)}`);
    const params = s['params'] === undefined ? {} : objectAt(s['params'], `${at}.params`, fail);
    for (const [key, v] of Object.entries(params)) {
      if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') fail(`${at}.params.${key}`, `expected a number, text or true/false, got ${describe(v)}`);
    }
    let killSwitch: SleeveKillSwitch | undefined;
    if (s['killSwitch'] !== undefined) {
      const k = objectAt(s['killSwitch'], `${at}.killSwitch`, fail);
      unknownKeys(k, KILL_SWITCH_KEYS, `${at}.killSwitch.`, fail);
      for (const field of ['maxDrawdownPct', 'maxLossPct']) {
        if (k[field] !== undefined && typeof k[field] !== 'number') fail(`${at}.killSwitch.${field}`, `expected a percentage (a number), got ${describe(k[field])}`);
      }
      killSwitch = k as unknown as SleeveKillSwitch;
    }
    return {
      name: name as string,
      strategy: strategy as string,
      params: params as Readonly<Record<string, string | number | boolean>>,
      allocation: allocation as number,
      ...(killSwitch !== undefined ? { killSwitch } : {}),
    };
  });
  try {
    checkSleeveSettings(sleeves, capital as number | undefined);
  } catch (error) {
    if (error instanceof ConfigError) throw error.withKey(`${source}: ${error.key}`);
    throw error;
  }
  return { ...(capital !== undefined ? { capital: capital as number } : {}), sleeves };
}

/** What {@link buildStrategyManager} built: the manager, and its settings with every parameter resolved (recorded in checkpoints and run manifests). */
export interface BuiltStrategyManager {
  readonly manager: StrategyManager;
  readonly params: JsonValue;
}

/**
 * Builds a `StrategyManager` from a manager file's spec: each sleeve's strategy from the shipped
 * ones by name (`createStrategy`), for `context` (its notices go to `context.notify`, the manager's
 * too). A bad strategy name or parameter is a `ConfigError` keyed under the sleeve
 * (`manager.json: sleeves[0].params.fast`).
 */
export function buildStrategyManager(
  spec: StrategyManagerSpec,
  source: string,
  context: StrategyBuildContext,
  options: { readonly recordEquity?: boolean } = {},
): BuiltStrategyManager {
  const resolved: JsonValue[] = [];
  const sleeves = spec.sleeves.map((sleeve, i): SleeveConfig => {
    let built: ReturnType<typeof createStrategy>;
    try {
      built = createStrategy(sleeve.strategy, sleeve.params, context);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const key = error.key === 'strategy' ? 'strategy' : error.key.startsWith(`${sleeve.strategy}.`) ? `params.${error.key.slice(sleeve.strategy.length + 1)}` : error.key;
      throw error.withKey(`${source}: sleeves[${i}].${key}`);
    }
    resolved.push({
      name: sleeve.name,
      strategy: sleeve.strategy,
      params: { ...built.params },
      allocation: sleeve.allocation,
      killSwitch: sleeve.killSwitch === undefined ? null : { ...sleeve.killSwitch },
    });
    return { name: sleeve.name, strategy: built.strategy, allocation: sleeve.allocation, ...(sleeve.killSwitch !== undefined ? { killSwitch: sleeve.killSwitch } : {}) };
  });
  const manager = new StrategyManager({
    sleeves,
    ...(spec.capital !== undefined ? { capital: spec.capital } : {}),
    ...(context.notify !== undefined ? { notify: context.notify } : {}),
    ...(options.recordEquity !== undefined ? { recordEquity: options.recordEquity } : {}),
  });
  return { manager, params: { capital: spec.capital ?? null, sleeves: resolved } };
}

function objectAt(value: unknown, field: string, fail: (field: string, reason: string) => never): Readonly<Record<string, unknown>> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  return fail(field, `expected an object, got ${describe(value)}`);
}

function unknownKeys(record: Readonly<Record<string, unknown>>, known: readonly string[], prefix: string, fail: (field: string, reason: string) => never): void {
  for (const key of Object.keys(record)) if (!known.includes(key)) fail(`${prefix}${key}`, `unknown field; expected ${known.join(', ')}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const t = JSON.stringify(value) ?? String(value);
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}
