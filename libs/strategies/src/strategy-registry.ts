import { ConfigError } from '@quantbot/core';
import { BRACKET_MOMENTUM_PARAMS, BracketMomentum } from './bracket-momentum';
import { SMA_CROSSOVER_PARAMS, SmaCrossover } from './sma-crossover';
import type { Strategy } from './strategy';
import type { ParamSpec, ParamValues } from './strategy-params';
import { resolveParams } from './strategy-params';

/** A strategy that can be chosen by name: its parameters and how to build it. */
export interface StrategyDefinition {
  readonly name: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  create(values: ParamValues, symbolCount: number): Strategy;
}

/** Every strategy shipped with Quantbot, by name. */
export const STRATEGY_DEFINITIONS: readonly StrategyDefinition[] = Object.freeze([
  {
    name: 'sma-crossover',
    description: 'Buy when the fast SMA crosses above the slow SMA, exit (or go short) on the cross below.',
    params: SMA_CROSSOVER_PARAMS,
    create: (values: ParamValues, symbolCount: number) => SmaCrossover.fromParams(values, symbolCount),
  },
  {
    name: 'bracket-momentum',
    description:
      'Buy a close above the prior lookback-bar high (short a close below the low with allowShort) with a bracket order; take-profit and stop-loss are ATR multiples, and only the bracket exits.',
    params: BRACKET_MOMENTUM_PARAMS,
    create: (values: ParamValues, symbolCount: number) => BracketMomentum.fromParams(values, symbolCount),
  },
]);

/** The definition named `name`; a `ConfigError` listing the strategies that exist otherwise. */
export function findStrategy(name: string): StrategyDefinition {
  const found = STRATEGY_DEFINITIONS.find((d) => d.name === name);
  if (found === undefined) {
    const names = STRATEGY_DEFINITIONS.map((d) => d.name).join(', ');
    throw new ConfigError('--strategy', `unknown strategy '${name}'; available: ${names}`);
  }
  return found;
}

/** Builds strategy `name` for `symbolCount` symbols from raw parameter values (defaults fill the rest). */
export function createStrategy(
  name: string,
  raw: Readonly<Record<string, string | number | boolean>>,
  symbolCount: number,
): { readonly strategy: Strategy; readonly params: ParamValues } {
  const definition = findStrategy(name);
  const params = resolveParams(name, definition.params, raw);
  return { strategy: definition.create(params, symbolCount), params };
}
