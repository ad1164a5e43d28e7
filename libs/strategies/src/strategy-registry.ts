import { ConfigError } from '@quantbot/core';
import type { BarUniverse } from '@quantbot/core';
import { BRACKET_MOMENTUM_PARAMS, BracketMomentum } from './bracket-momentum';
import type { FundamentalsSource } from './earnings-momentum';
import { EARNINGS_MOMENTUM_PARAMS, EarningsMomentum } from './earnings-momentum';
import { FULL_SERIES_ZSCORE_PARAMS, FullSeriesZScore } from './full-series-zscore';
import { SMA_CROSSOVER_PARAMS, SmaCrossover } from './sma-crossover';
import type { Strategy } from './strategy';
import type { ParamSpec, ParamValues } from './strategy-params';
import { resolveParams } from './strategy-params';

/**
 * What a strategy is built with: the number of symbols, and the data the session has at the
 * moment it is built. Honest strategies read data only through `BarView` and ignore `universe`;
 * the deliberately biased examples use it, which is exactly what the lookahead check catches
 * (it rebuilds them with the data as known at each cut-off).
 */
export interface StrategyBuildContext {
  readonly symbolCount: number;
  readonly universe?: BarUniverse;
  /** Point-in-time fundamentals for the universe's symbols, when the session has them. */
  readonly fundamentals?: FundamentalsSource;
}

/** A strategy that can be chosen by name: its parameters and how to build it. */
export interface StrategyDefinition {
  readonly name: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  create(values: ParamValues, context: StrategyBuildContext): Strategy;
}

/** Every strategy shipped with Quantbot, by name. */
export const STRATEGY_DEFINITIONS: readonly StrategyDefinition[] = Object.freeze([
  {
    name: 'sma-crossover',
    description: 'Buy when the fast SMA crosses above the slow SMA, exit (or go short) on the cross below.',
    params: SMA_CROSSOVER_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => SmaCrossover.fromParams(values, context.symbolCount),
  },
  {
    name: 'bracket-momentum',
    description:
      'Buy a close above the prior lookback-bar high (short a close below the low with allowShort) with a bracket order; take-profit and stop-loss are ATR multiples, and only the bracket exits.',
    params: BRACKET_MOMENTUM_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => BracketMomentum.fromParams(values, context.symbolCount),
  },
  {
    name: 'earnings-momentum',
    description: 'Hold a symbol while its latest announced EPS is above the one before (point-in-time fundamentals, as known at each bar).',
    params: EARNINGS_MOMENTUM_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => EarningsMomentum.fromParams(values, context, 'as-announced'),
  },
  {
    name: 'biased-pit-early',
    description:
      'DELIBERATELY BIASED example, never trade it: earnings-momentum joining fundamentals on fiscal period end, so it uses figures before they were announced. The lookahead check catches it.',
    params: EARNINGS_MOMENTUM_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => EarningsMomentum.fromParams(values, context, 'period-end'),
  },
  {
    name: 'biased-full-series',
    description:
      'DELIBERATELY BIASED example, never trade it: mean reversion on a z-score whose mean and deviation come from the whole series, future included. The lookahead check catches it.',
    params: FULL_SERIES_ZSCORE_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => FullSeriesZScore.fromParams(values, context),
  },
]);

/** The definition named `name`; a `ConfigError` listing the strategies that exist otherwise. */
export function findStrategy(name: string): StrategyDefinition {
  const found = STRATEGY_DEFINITIONS.find((d) => d.name === name);
  if (found === undefined) {
    const names = STRATEGY_DEFINITIONS.map((d) => d.name).join(', ');
    throw new ConfigError('strategy', `unknown strategy '${name}'; available: ${names}`);
  }
  return found;
}

/**
 * Builds strategy `name` from raw parameter values (defaults fill the rest), for `context`
 * (or simply a number of symbols).
 */
export function createStrategy(
  name: string,
  raw: Readonly<Record<string, string | number | boolean>>,
  context: number | StrategyBuildContext,
): { readonly strategy: Strategy; readonly params: ParamValues } {
  const definition = findStrategy(name);
  const params = resolveParams(name, definition.params, raw);
  const build = typeof context === 'number' ? { symbolCount: context } : context;
  return { strategy: definition.create(params, build), params };
}
