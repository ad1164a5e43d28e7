import { ConfigError, QuantbotError } from '@quantbot/core';
import type { Strategy } from './strategy';
import type { ParamSpec, ParamValues } from './strategy-params';
import type { StrategyBuildContext, StrategyDefinition } from './strategy-registry';
import { STRATEGY_DEFINITIONS } from './strategy-registry';

const RESERVED_NAMES: readonly string[] = ['biased-full-series', 'biased-pit-early', 'strategy-manager'];

/**
 * Checks that `value` (what a strategy file exports) is a usable {@link StrategyDefinition} and
 * returns it frozen: a non-empty `name` that no shipped strategy has, a `version`, a
 * `description`, `params` whose specs are well formed (known kind, a default of that kind inside
 * `min`..`max`, `min ≤ max`, no name twice) and a `create` function. Its `create` checks what the
 * factory returns (an object with `onBar`) and turns anything but a Quantbot error the factory
 * throws into a `ConfigError` naming `source`. Every problem is a `ConfigError` (key `strategy`)
 * whose message starts with `source` (the file, as the user gave it).
 */
export function validateStrategyDefinition(value: unknown, source: string): StrategyDefinition {
  const fail = (message: string): never => {
    throw new ConfigError('strategy', `${source}: ${message}`);
  };
  if (typeof value !== 'object' || value === null) return fail('exports no strategy definition (export it as `strategy` or as the default export)');
  const record = value as Readonly<Record<string, unknown>>;
  const name = record['name'];
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    return fail(`the definition's name must be a non-empty string of letters, digits, '.', '_' or '-', got ${JSON.stringify(name) ?? 'undefined'}`);
  }
  if (STRATEGY_DEFINITIONS.some((d) => d.name === name) || RESERVED_NAMES.includes(name)) {
    return fail(`the name '${name}' is taken by a shipped strategy; choose another`);
  }
  const version = record['version'];
  if (typeof version !== 'string' || version.trim() === '') return fail(`'${name}' needs a version (a non-empty string such as '1.0.0')`);
  const description = record['description'];
  if (typeof description !== 'string') return fail(`'${name}' needs a description (a string)`);
  const params = record['params'];
  if (!Array.isArray(params)) return fail(`'${name}' needs params (an array of parameter specs; [] for none)`);
  const specs = params.map((spec: unknown, index) => checkParamSpec(spec, `params[${index}]`, fail));
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) fail(`parameter '${spec.name}' is declared twice`);
    seen.add(spec.name);
  }
  const create = record['create'];
  if (typeof create !== 'function') return fail(`'${name}' needs a create(values, context) function that returns the strategy`);
  const factory = create as (values: ParamValues, context: StrategyBuildContext) => unknown;
  return Object.freeze({
    name,
    version,
    description,
    params: Object.freeze(specs),
    create(values: ParamValues, context: StrategyBuildContext): Strategy {
      let built: unknown;
      try {
        built = factory.call(value, values, context);
      } catch (error) {
        if (error instanceof QuantbotError) throw error;
        return fail(`the create function of '${name}' threw: ${messageOf(error)}`);
      }
      if (typeof built !== 'object' || built === null || typeof (built as { onBar?: unknown }).onBar !== 'function') {
        return fail(`the create function of '${name}' must return a strategy (an object with an onBar method)`);
      }
      return built as Strategy;
    },
  });
}

function checkParamSpec(value: unknown, at: string, fail: (message: string) => never): ParamSpec {
  if (typeof value !== 'object' || value === null) return fail(`${at} is not a parameter spec`);
  const spec = value as Readonly<Record<string, unknown>>;
  const name = spec['name'];
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return fail(`${at}.name must be an identifier, got ${JSON.stringify(name) ?? 'undefined'}`);
  const where = `parameter '${name}'`;
  const description = typeof spec['description'] === 'string' ? spec['description'] : '';
  const kind = spec['kind'];
  if (kind === 'boolean') {
    if (typeof spec['default'] !== 'boolean') return fail(`${where} is a boolean: its default must be true or false`);
    return Object.freeze({ name, kind, default: spec['default'], description });
  }
  if (kind !== 'integer' && kind !== 'number') return fail(`${where} has kind ${JSON.stringify(kind) ?? 'undefined'}; use 'integer', 'number' or 'boolean'`);
  const number = (field: string): number | undefined => {
    const v = spec[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(`${where}: ${field} must be a finite number`);
    if (kind === 'integer' && !Number.isInteger(v)) return fail(`${where} is an integer: ${field} ${v} is not`);
    return v;
  };
  const fallback = number('default');
  if (fallback === undefined) return fail(`${where} needs a default`);
  const min = number('min');
  const max = number('max');
  if (min !== undefined && max !== undefined && min > max) fail(`${where}: min ${min} is above max ${max}`);
  if ((min !== undefined && fallback < min) || (max !== undefined && fallback > max)) fail(`${where}: default ${fallback} is outside its range`);
  return Object.freeze({ name, kind, default: fallback, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), description });
}

/** The message of what was thrown (an `Error` of any realm has one), else its text. */
function messageOf(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { readonly message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(error);
}
