import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIo, FlagSpec, FlagValues, JsonValue } from '@quantbot/core';
import { ConfigError, formatFlagHelp, parseFlags } from '@quantbot/core';
import { createProgress, gitCommit, toJsonLines, writeRunArtifacts } from '@quantbot/observability';
import type { SweepArtifact, SweepObjective, SweepOptions, SweepPool, SweepResult, WalkForwardArtifact, WalkForwardResult, WalkForwardSearch } from '@quantbot/validation';
import {
  SWEEP_OBJECTIVES,
  describePoint,
  gridPoints,
  parseParameterSpace,
  randomPoints,
  runSweep,
  runWalkForward,
  spaceSize,
  startSweepPool,
  sweepArtifact,
  walkForwardArtifact,
} from '@quantbot/validation';
import type { RunPlan } from '@quantbot/validation';
import { RUN_FLAGS, dataHash, planRun, uniqueRunId } from '@quantbot/validation';

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
  'repair',
  'results-dir',
  'json',
  'help',
];
const SHARED_FLAGS: readonly FlagSpec[] = RUN_FLAGS.filter((f) => SHARED_NAMES.includes(f.name));

const SEARCH_FLAGS: readonly FlagSpec[] = [
  { name: 'space', kind: 'string', valueName: 'k=a..b:step,...', description: 'the parameters to search, e.g. fast=5..30:5,slow=20..100:10 (lists: allowShort=true|false); required' },
  { name: 'objective', kind: 'string', valueName: 'name', description: `what to maximize: ${SWEEP_OBJECTIVES.join(', ')} (default sharpe)` },
  { name: 'search', kind: 'string', valueName: 'grid|random', description: 'every point of the space (default) or a seeded random sample' },
  { name: 'samples', kind: 'number', valueName: 'n', description: 'points of a random search (default 50)' },
  { name: 'search-seed', kind: 'number', valueName: 'n', description: 'seed of a random search (default 1)' },
  { name: 'workers', kind: 'number', valueName: 'n', description: 'threads running trials, this one included (default: all cores); results do not depend on it' },
];

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

/** `backtester sweep`: runs every point of a parameter space over the same data and ranks them. */
export async function sweepCommand(argv: readonly string[], io: CliIo, now: Date, clock: () => Date): Promise<number> {
  const flags = parseFlags(argv, SWEEP_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester sweep --space k=a..b:step,... [flags]\n\nRuns a parameter space over the same data on worker threads and ranks the results; every combination run is a trial.\n\n${formatFlagHelp(SWEEP_FLAGS)}`);
    return 0;
  }
  const space = requireSpace(flags);
  const search = searchOf(flags);
  const objective = objectiveOf(flags);
  const points = search.kind === 'grid' ? gridPoints(space) : randomPoints(space, search.samples, search.seed);
  const pool = startPool(flags, points.length);
  let plan: RunPlan;
  let result: SweepResult;
  let sweepMs: number;
  try {
    plan = planRun(flags, io.cwd);
    const progress = createProgress({ stream: io.progress ?? { isTTY: false, write: () => true }, total: points.length, label: `sweep ${plan.strategyName}`, enabled: flags['json'] !== true });
    let done = 0;
    const started = clock().getTime();
    result = await runSweep({
      universe: plan.universe,
      strategy: plan.strategyName,
      ...(search.kind === 'grid' ? { space } : { points }),
      ...trialSettingsOf(plan),
      objective,
      pool,
      onProgress: (p) => {
        progress.tick(p.completed - done);
        done = p.completed;
      },
    });
    progress.done();
    sweepMs = clock().getTime() - started;
  } finally {
    await pool.close();
  }
  const artifact = sweepArtifact(result);
  const runId = writeValidationRun(io, flags, argv, now, clock, 'sweep', artifact, plan.seed, { dataLabel: plan.dataLabel });
  if (flags['json'] === true) {
    io.out(JSON.stringify({ runId, sweepMs, ...artifact }, null, 2));
    return 0;
  }
  const lines = [
    `sweep ${plan.strategyName} on ${plan.dataLabel}: ${result.trialCount} trial(s), ${result.invalid.length} invalid point(s) skipped, ${result.workers} thread(s), ${(sweepMs / 1000).toFixed(2)} s`,
  ];
  lines.push(`  rank  ${objective.padEnd(12)} params`);
  for (const t of result.trials.slice(0, 10)) lines.push(`  ${String(t.rank).padStart(4)}  ${fmt(t.objectiveValue).padEnd(12)} ${describePoint(t.params)}`);
  const dsr = artifact.statistics?.deflatedSharpe;
  const pbo = artifact.statistics?.pbo;
  if (dsr !== undefined) lines.push(`  deflated Sharpe ratio of the best: ${dsr.value === null ? `n/a (${dsr.reason})` : fmt(dsr.value)}`);
  if (pbo !== undefined) lines.push(`  probability of backtest overfitting: ${pbo.value === null ? `n/a (${pbo.reason})` : fmt(pbo.value)}`);
  lines.push(`written: ${runId}`);
  io.out(lines.join('\n'));
  return 0;
}

/**
 * `backtester walk-forward`: optimizes on each training window, tests the choice on the window
 * after it, and judges the out-of-sample result. Exit 1 when it fails its thresholds.
 */
export async function walkForwardCommand(argv: readonly string[], io: CliIo, now: Date, clock: () => Date): Promise<number> {
  const flags = parseFlags(argv, WALK_FORWARD_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester walk-forward --space k=a..b:step,... --train <bars> --test <bars> [--anchored] [flags]\n\n${formatFlagHelp(WALK_FORWARD_FLAGS)}`);
    return 0;
  }
  const train = requireNumber(flags, 'train');
  const test = requireNumber(flags, 'test');
  const space = requireSpace(flags);
  const search = searchOf(flags);
  const objective = objectiveOf(flags);
  const perFold = search.kind === 'grid' ? spaceSize(space) : search.samples;
  const pool = startPool(flags, perFold);
  let plan: RunPlan;
  let result: WalkForwardResult;
  try {
    plan = planRun(flags, io.cwd);
    const progress = createProgress({ stream: io.progress ?? { isTTY: false, write: () => true }, total: perFold, label: `walk-forward ${plan.strategyName}`, enabled: flags['json'] !== true });
    let seen = 0;
    result = await runWalkForward({
      universe: plan.universe,
      strategy: plan.strategyName,
      space,
      search,
      objective,
      ...trialSettingsOf(plan),
      train,
      test,
      anchored: flags['anchored'] === true,
      ...(typeof flags['step'] === 'number' ? { step: flags['step'] } : {}),
      ...(typeof flags['purge'] === 'number' ? { purge: flags['purge'] } : {}),
      ...(typeof flags['embargo'] === 'number' ? { embargo: flags['embargo'] } : {}),
      thresholds: {
        ...(typeof flags['max-overfit-ratio'] === 'number' ? { maxOverfitRatio: flags['max-overfit-ratio'] } : {}),
        ...(typeof flags['min-oos-sharpe'] === 'number' ? { minOosSharpe: flags['min-oos-sharpe'] } : {}),
      },
      pool,
      onProgress: (p) => {
        const completed = p.fold * p.total + p.completed;
        progress.tick(Math.max(0, completed - seen));
        seen = completed;
      },
    });
    progress.done();
  } finally {
    await pool.close();
  }
  const artifact = walkForwardArtifact(result);
  const runId = writeValidationRun(io, flags, argv, now, clock, 'walk-forward', artifact, plan.seed, { dataLabel: plan.dataLabel });
  if (flags['json'] === true) {
    io.out(JSON.stringify({ runId, ...artifact }, null, 2));
  } else {
    const o = artifact.overall;
    const lines = [`walk-forward ${plan.strategyName} on ${plan.dataLabel}: ${artifact.folds.length} fold(s) (${flags['anchored'] === true ? 'anchored' : 'rolling'}, train ${train}, test ${test}), ${artifact.trials} in-sample trial(s)`];
    lines.push('  fold  test period               chosen                       IS Sharpe  OOS Sharpe');
    artifact.folds.forEach((f, i) => {
      lines.push(`  ${String(i + 1).padStart(4)}  ${f.testStart.slice(0, 10)}..${f.testEnd.slice(0, 10)}  ${describePoint(f.chosenParams).padEnd(28)} ${fmt(f.inSample.sharpe).padStart(9)}  ${fmt(f.outOfSample.sharpe).padStart(10)}`);
    });
    lines.push(`  out of sample: total return ${fmt(o.oosMetrics.totalReturn)}, Sharpe ${fmt(o.oosMetrics.sharpe)}, max drawdown ${fmt(o.oosMetrics.maxDrawdownPct)}%`);
    lines.push(`  mean IS Sharpe ${fmt(o.meanIsSharpe)}, mean OOS Sharpe ${fmt(o.meanOosSharpe)}, overfit ratio ${o.overfitRatio === null ? o.overfitRatioStatus : fmt(o.overfitRatio)}`);
    lines.push(`  ${o.pass ? 'PASS' : 'FAIL'}${o.reasons.length > 0 ? `: ${o.reasons.join('; ')}` : ''}`);
    lines.push(`written: ${runId}`);
    io.out(lines.join('\n'));
  }
  return artifact.overall.pass ? 0 : 1;
}

/** Writes `results/runs/<id>/` with the artifact (`sweep.json` or `walk_forward.json`), its trials and a manifest. */
function writeValidationRun(
  io: CliIo,
  flags: FlagValues,
  argv: readonly string[],
  now: Date,
  clock: () => Date,
  kind: 'sweep' | 'walk-forward',
  artifact: SweepArtifact | WalkForwardArtifact,
  seed: number,
  extra: { readonly dataLabel: string },
): string {
  const root = resolve(io.cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const text = `${JSON.stringify(artifact, null, 2)}\n`;
  const base = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${kind}-${createHash('sha256').update(JSON.stringify(argv)).digest('hex').slice(0, 8)}`;
  const runId = uniqueRunId(root, base);
  const name = kind === 'sweep' ? 'sweep.json' : 'walk_forward.json';
  const trials = kind === 'sweep' ? (artifact as SweepArtifact).results : (artifact as WalkForwardArtifact).folds;
  writeRunArtifacts({
    root,
    runId,
    artifacts: [
      { name, content: text, deterministic: true },
      { name: kind === 'sweep' ? 'trials.jsonl' : 'folds.jsonl', content: toJsonLines(trials), deterministic: true },
    ],
    manifest: {
      startedAt: now.toISOString(),
      finishedAt: clock().toISOString(),
      codeVersion: gitCommit(io.cwd) ?? gitCommit(resolve(__dirname, '..', '..', '..')),
      commandLine: ['backtester', kind, ...argv],
      parameters: { kind, data: extra.dataLabel, cwd: io.cwd, flags: flags as unknown as JsonValue },
      seed,
      dataHash: dataHash(typeof flags['data'] === 'string' ? resolve(io.cwd, flags['data']) : undefined),
    },
  });
  return runId;
}

function requireSpace(flags: FlagValues): ReturnType<typeof parseParameterSpace> {
  const text = flags['space'];
  if (typeof text !== 'string') throw new ConfigError('--space', 'is required, e.g. --space fast=5..30:5,slow=20..100:10');
  return parseParameterSpace(text);
}

function requireNumber(flags: FlagValues, name: string): number {
  const value = flags[name];
  if (typeof value !== 'number') throw new ConfigError(`--${name}`, 'is required (a number of bars)');
  return value;
}

function objectiveOf(flags: FlagValues): SweepObjective {
  const raw = flags['objective'] ?? 'sharpe';
  if (!(SWEEP_OBJECTIVES as readonly unknown[]).includes(raw)) throw new ConfigError('--objective', `unknown objective '${String(raw)}'; known: ${SWEEP_OBJECTIVES.join(', ')}`);
  return raw as SweepObjective;
}

function searchOf(flags: FlagValues): WalkForwardSearch {
  const kind = flags['search'] ?? 'grid';
  if (kind === 'grid') return { kind: 'grid' };
  if (kind !== 'random') throw new ConfigError('--search', `must be grid or random, got '${String(kind)}'`);
  const samples = typeof flags['samples'] === 'number' ? flags['samples'] : 50;
  if (!Number.isInteger(samples) || samples < 1) throw new ConfigError('--samples', `must be a whole number ≥ 1, got ${samples}`);
  const seed = typeof flags['search-seed'] === 'number' ? flags['search-seed'] : 1;
  return { kind: 'random', samples, seed };
}

/** What every trial of a sweep or walk-forward shares, from the run's plan. */
function trialSettingsOf(plan: RunPlan): Pick<SweepOptions, 'baseParams' | 'startingCash' | 'sizing' | 'execution' | 'fillModel' | 'seed'> {
  return { baseParams: plan.rawParams, startingCash: plan.cash, sizing: plan.sizing, execution: plan.execution, fillModel: plan.fillModel, seed: plan.seed };
}

/**
 * The sweep's threads (`--workers`, default every core; never more than `trials`), started before
 * the data is loaded so that the workers' start-up overlaps it.
 */
function startPool(flags: FlagValues, trials: number): SweepPool {
  const workers = flags['workers'] ?? availableParallelism();
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1) throw new ConfigError('--workers', `must be a whole number ≥ 1, got ${String(workers)}`);
  return startSweepPool(Math.max(1, Math.min(workers, trials)));
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3);
}
