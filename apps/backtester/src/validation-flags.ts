import { availableParallelism } from 'node:os';
import { ConfigError } from '@quantbot/core';
import type { CliIo, FlagSpec, FlagValues } from '@quantbot/cli';
import type { ProgressStream } from '@quantbot/observability';
import { createPhaseProgress } from '@quantbot/observability';
import { BACKTEST_RUN_FLAGS, DISTRIBUTED_FLAGS } from '@quantbot/cli';
import type { BacktestRunConfig, RunPlan, SweepObjective, SweepOptions, SweepPool, WalkForwardSearch } from '@quantbot/validation';
import { SWEEP_OBJECTIVES, defaultParameterSpace, planRun, parseParameterSpace, resolveStrategy, startSweepPool } from '@quantbot/validation';

/** The data, cost and sizing flags a sweep or walk-forward shares with `run`. */
const SHARED_NAMES = [
  'data',
  'symbols',
  'strategy',
  'params',
  'start',
  'end',
  'cash',
  'size',
  'percent-of-cash',
  'percent-of-equity',
  'vol-target',
  'atr-risk',
  'commission-bps',
  'execution-profile',
  'execution',
  'fill-model',
  'seed',
  'bars',
  'data-quality',
  'calendar',
  'prices',
  'repair',
  'results-dir',
  'json',
  'quiet',
  'help',
];
const SHARED_FLAGS: readonly FlagSpec[] = BACKTEST_RUN_FLAGS.filter((f) => SHARED_NAMES.includes(f.name));

const SEARCH_FLAGS: readonly FlagSpec[] = [
  { name: 'space', kind: 'string', valueName: 'k=a..b:step,...', description: 'the parameters to search, e.g. fast=5..30:5,slow=20..100:10 (lists: allowShort=true|false); default: derived from the strategy\'s parameter ranges (5 evenly spaced values from min to max, both values of a boolean)' },
  { name: 'objective', kind: 'string', valueName: 'name', description: `what to maximize: ${SWEEP_OBJECTIVES.join(', ')} (default sharpe)` },
  { name: 'search', kind: 'string', valueName: 'grid|random', description: 'every point of the space (default) or a seeded random sample' },
  { name: 'samples', kind: 'number', valueName: 'n', description: 'points of a random search (default 50)' },
  { name: 'search-seed', kind: 'number', valueName: 'n', description: 'seed of a random search (default 1)' },
  { name: 'workers', kind: 'number', valueName: 'n', description: 'threads running trials, this one included (default: all cores); results do not depend on it' },
  ...DISTRIBUTED_FLAGS,
];

/** Where progress goes when the command has no progress stream: nowhere. */
export const NO_PROGRESS_STREAM: ProgressStream = Object.freeze({ isTTY: false, write: () => true });

/** Progress is shown unless `--quiet` (none at all) or `--json` (stdout stays one JSON document; stderr stays clean too). */
export function progressEnabled(flags: FlagValues): boolean {
  return flags['quiet'] !== true && flags['json'] !== true;
}

/**
 * `planRun` with its reading and checking of the data shown as phases on the progress stream
 * (a line for each that takes a second or more; see `createPhaseProgress`).
 */
export function planWithPhases(config: BacktestRunConfig, io: CliIo, label: string, enabled: boolean): RunPlan {
  const phases = createPhaseProgress({ stream: io.progress ?? NO_PROGRESS_STREAM, label, enabled });
  try {
    return planRun(config, { cwd: io.cwd, onPhase: (phase) => phases.phase(phase === 'read' ? 'reading data' : 'checking data') });
  } finally {
    phases.done();
  }
}

export const SWEEP_FLAGS: readonly FlagSpec[] = [...SHARED_FLAGS, ...SEARCH_FLAGS];

export const WALK_FORWARD_FLAGS: readonly FlagSpec[] = [
  ...SHARED_FLAGS,
  ...SEARCH_FLAGS,
  { name: 'train', kind: 'number', valueName: 'bars', description: 'bars in each training window (required)' },
  { name: 'test', kind: 'number', valueName: 'bars', description: 'bars in each test window (required)' },
  { name: 'step', kind: 'number', valueName: 'bars', description: 'bars between test windows (default --test)' },
  { name: 'anchored', kind: 'boolean', description: 'every training window starts at the first bar (default: rolling)' },
  { name: 'purge', kind: 'number', valueName: 'bars', description: 'gap between a training window and its test (default 0)' },
  { name: 'embargo', kind: 'number', valueName: 'bars', description: 'bars after each test window no later fold trains or tests on (default 0)' },
  { name: 'max-overfit-ratio', kind: 'number', valueName: 'x', description: 'fail above this mean in-sample / out-of-sample Sharpe (default 2)' },
  { name: 'min-oos-sharpe', kind: 'number', valueName: 'x', description: 'fail below this mean out-of-sample Sharpe, annualized (default 0)' },
];

/**
 * The space to search: `--space`, or the default space derived from the strategy's parameter
 * ranges (`defaultParameterSpace`; the strategy named by `--strategy`, a strategy file read from
 * `cwd`). A parameter without a range is a `ConfigError` keyed `--space`.
 */
export function spaceOf(flags: FlagValues, cwd: string): ReturnType<typeof parseParameterSpace> {
  const text = flags['space'];
  if (typeof text === 'string') return parseParameterSpace(text);
  const { definition } = resolveStrategy(typeof flags['strategy'] === 'string' ? flags['strategy'] : 'sma-crossover', cwd, '--strategy');
  return defaultParameterSpace(definition.name, definition.params, '--space');
}

export function requireNumber(flags: FlagValues, name: string): number {
  const value = flags[name];
  if (typeof value !== 'number') throw new ConfigError(`--${name}`, 'is required (a number of bars)');
  return value;
}

export function objectiveOf(flags: FlagValues): SweepObjective {
  const raw = flags['objective'] ?? 'sharpe';
  if (!(SWEEP_OBJECTIVES as readonly unknown[]).includes(raw)) throw new ConfigError('--objective', `unknown objective '${String(raw)}'; known: ${SWEEP_OBJECTIVES.join(', ')}`);
  return raw as SweepObjective;
}

export function searchOf(flags: FlagValues): WalkForwardSearch {
  const kind = flags['search'] ?? 'grid';
  if (kind === 'grid') return { kind: 'grid' };
  if (kind !== 'random') throw new ConfigError('--search', `must be grid or random, got '${String(kind)}'`);
  const samples = typeof flags['samples'] === 'number' ? flags['samples'] : 50;
  if (!Number.isInteger(samples) || samples < 1) throw new ConfigError('--samples', `must be a whole number ≥ 1, got ${samples}`);
  const seed = typeof flags['search-seed'] === 'number' ? flags['search-seed'] : 1;
  return { kind: 'random', samples, seed };
}

/** What every trial of a sweep or walk-forward shares, from the run's plan. */
export function trialSettingsOf(plan: RunPlan): Pick<SweepOptions, 'baseParams' | 'startingCash' | 'sizing' | 'execution' | 'fillModel' | 'seed'> {
  return { baseParams: plan.rawParams, startingCash: plan.cash, sizing: plan.sizing, execution: plan.execution, fillModel: plan.fillModel, seed: plan.seed };
}

/**
 * The sweep's threads (`--workers`, default every core; never more than `trials`), started before
 * the data is loaded so that the workers' start-up overlaps it.
 */
export function startPool(flags: FlagValues, trials: number): SweepPool {
  const workers = flags['workers'] ?? availableParallelism();
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1) throw new ConfigError('--workers', `must be a whole number ≥ 1, got ${String(workers)}`);
  return startSweepPool(Math.max(1, Math.min(workers, trials)));
}

export function fmt(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3);
}
