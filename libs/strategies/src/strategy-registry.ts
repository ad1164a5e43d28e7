import { ConfigError } from '@quantbot/core';
import { BRACKET_MOMENTUM_PARAMS, BracketMomentum } from './bracket-momentum';
import { EARNINGS_MOMENTUM_PARAMS, EarningsMomentum } from './earnings-momentum';
import { ENSEMBLE_PARAMS, Ensemble } from './ensemble';
import { FACTOR_LONG_SHORT_PARAMS, FactorLongShort } from './factor-long-short';
import type { PointInTimeFundamentals } from './point-in-time-fundamentals';
import { SMA_CROSSOVER_PARAMS, SmaCrossover } from './sma-crossover';
import type { Strategy, StrategyNotice } from './strategy';
import type { ParamSpec, ParamValues } from './strategy-params';
import { resolveParams } from './strategy-params';

/**
 * What a strategy is built with: the number of symbols and, when the session has them, its
 * fundamentals as a point-in-time view. Nothing in it can show a strategy the future at build
 * time: bars reach a strategy only through `BarView`, fundamentals only as of a bar's time.
 */
export interface StrategyBuildContext {
  readonly symbolCount: number;
  /** The session's fundamentals for its symbols, readable only as of a bar (`pointInTimeFundamentals`). */
  readonly fundamentals?: PointInTimeFundamentals;
  /** Where the strategy reports notices (logged and recorded by the session); dropped when absent. */
  readonly notify?: (notice: StrategyNotice) => void;
}

/**
 * A strategy that can be chosen by name (a shipped one) or loaded from a strategy file: its
 * name, version, parameters (with types, defaults and, for sweeps, ranges) and how to build it.
 */
export interface StrategyDefinition {
  readonly name: string;
  /** The definition's version as its author states it (`1.0.0`); recorded, not compared. */
  readonly version?: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  create(values: ParamValues, context: StrategyBuildContext): Strategy;
  /**
   * The indicators the strategy decides on, as catalog indicators (`INDICATOR_CATALOG`) over a
   * symbol's bars, for charts: the run report draws them on the price chart. Optional: a strategy
   * without it has no indicator lines drawn.
   */
  chartIndicators?(values: ParamValues): readonly ChartIndicator[];
}

/** An indicator a strategy charts: its label and the catalog indicator with its parameters. */
export interface ChartIndicator {
  /** The line's label, such as `SMA 10`. */
  readonly label: string;
  /** A name of `INDICATOR_CATALOG` (its first line is drawn). */
  readonly indicator: string;
  readonly params: Readonly<Record<string, number>>;
}

/** Every strategy shipped with Quantbot, by name. */
export const STRATEGY_DEFINITIONS: readonly StrategyDefinition[] = Object.freeze([
  {
    name: 'sma-crossover',
    version: '1.0.0',
    description: 'Buy when the fast SMA crosses above the slow SMA, exit (or go short) on the cross below.',
    params: SMA_CROSSOVER_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => SmaCrossover.fromParams(values, context.symbolCount),
    chartIndicators: (values: ParamValues) => [
      { label: `SMA ${String(values['fast'])}`, indicator: 'sma', params: { period: values['fast'] as number } },
      { label: `SMA ${String(values['slow'])}`, indicator: 'sma', params: { period: values['slow'] as number } },
    ],
  },
  {
    name: 'bracket-momentum',
    version: '1.0.0',
    description:
      'Buy a close above the prior lookback-bar high (short a close below the low with allowShort) with a bracket order; take-profit and stop-loss are ATR multiples, and only the bracket exits.',
    params: BRACKET_MOMENTUM_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => BracketMomentum.fromParams(values, context.symbolCount),
  },
  {
    name: 'earnings-momentum',
    version: '1.0.0',
    description: 'Hold a symbol while its latest announced EPS is above the one before (point-in-time fundamentals, as known at each bar).',
    params: EARNINGS_MOMENTUM_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => EarningsMomentum.fromParams(values, context),
  },
  {
    name: 'factor-long-short',
    version: '1.0.0',
    description:
      'Every rebalance steps, rank the symbols by a price factor (1 momentum, 2 short-term reversal, 3 low volatility), long the top quantiles and short the bottom ones (allowShort), targeting grossExposure of equity; decided across symbols in onStep.',
    params: FACTOR_LONG_SHORT_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => FactorLongShort.fromParams(values, context.symbolCount),
  },
  {
    name: 'ensemble',
    version: '1.0.0',
    description:
      'Combine trend, time-series momentum and RSI mean-reversion signals with default weights, or with weights a walk-forward ridge meta-learner fits on realised forward returns (metaLearner); long above threshold, short below -threshold (allowShort).',
    params: ENSEMBLE_PARAMS,
    create: (values: ParamValues, context: StrategyBuildContext) => Ensemble.fromParams(values, context.symbolCount, context.notify),
    // The trend member's SMA is the one member on the price's scale (RSI and momentum are not).
    chartIndicators: (values: ParamValues) => [{ label: `SMA ${String(values['trendPeriod'])} (trend member)`, indicator: 'sma', params: { period: values['trendPeriod'] as number } }],
  },
]);

/**
 * Deliberately biased examples that were once in `STRATEGY_DEFINITIONS` and now live only in the
 * test support entry point `@quantbot/strategies/testing`, by name: asking for one says so.
 */
const MOVED_TO_TESTING: ReadonlyMap<string, string> = new Map([
  ['biased-full-series', 'FullSeriesZScore'],
  ['biased-pit-early', 'PeriodEndEarningsMomentum'],
]);

/**
 * The definition named `name`; a `ConfigError` (key `strategy`) listing the strategies that
 * exist otherwise, or saying where a removed, deliberately biased example lives now.
 */
export function findStrategy(name: string): StrategyDefinition {
  const found = STRATEGY_DEFINITIONS.find((d) => d.name === name);
  const moved = MOVED_TO_TESTING.get(name);
  if (found === undefined && moved !== undefined) {
    throw new ConfigError(
      'strategy',
      `'${name}' is a deliberately biased example of lookahead bias and was removed from the shipped strategies; ` +
        `it lives in @quantbot/strategies/testing (${moved}) for tests of the lookahead check, and no session can run it`,
    );
  }
  if (found === undefined) {
    const names = STRATEGY_DEFINITIONS.map((d) => d.name).join(', ');
    throw new ConfigError('strategy', `unknown strategy '${name}'; available: ${names}`);
  }
  return found;
}

/**
 * Builds strategy `strategy` (a shipped strategy's name, or a definition such as one loaded from
 * a strategy file) from raw parameter values (defaults fill the rest), for `context` (or simply a
 * number of symbols).
 */
export function createStrategy(
  strategy: string | StrategyDefinition,
  raw: Readonly<Record<string, string | number | boolean>>,
  context: number | StrategyBuildContext,
): { readonly strategy: Strategy; readonly params: ParamValues } {
  const definition = typeof strategy === 'string' ? findStrategy(strategy) : strategy;
  const params = resolveParams(definition.name, definition.params, raw);
  const build = typeof context === 'number' ? { symbolCount: context } : context;
  return { strategy: definition.create(params, build), params };
}
