import type { CliIo } from '@quantbot/cli';
import { RUN_FILE_FLAGS, backtestRunConfig, formatFlagHelp, formatRunFile } from '@quantbot/cli';
import { createProgress } from '@quantbot/observability';
import { ConfigError } from '@quantbot/core';
import type { RunPlan, SweepPool, WalkForwardResult } from '@quantbot/validation';
import { describePoint, runWalkForward, spaceSize, walkForwardArtifact } from '@quantbot/validation';
import { NO_PROGRESS_STREAM, WALK_FORWARD_FLAGS, fmt, objectiveOf, planWithPhases, progressEnabled, requireNumber, spaceOf, searchOf, startPool, trialSettingsOf } from './validation-flags';
import { backtesterDefaults, parseBacktesterFlags } from './run-file-flags';
import { writeValidationRun } from './validation-run-folder';
import { describePlanData } from './summary-format';
import { distributedSetupOf, openDistributedRun } from './distributed-flags';

/**
 * `backtester walk-forward`: optimizes on each training window, tests the choice on the window
 * after it, and judges the out-of-sample result. Exit 1 when it fails its thresholds.
 */
export async function walkForwardCommand(argv: readonly string[], io: CliIo, now: Date, clock: () => Date, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const { flags, argv: recorded, recordedFlags, runFile, printConfig } = parseBacktesterFlags('walk-forward', argv, io);
  if (flags['help'] === true) {
    io.out(`usage: backtester walk-forward [--space k=a..b:step,...] --train <bars> --test <bars> [--anchored] [flags]\n\n${formatFlagHelp([...WALK_FORWARD_FLAGS, ...RUN_FILE_FLAGS])}`);
    return 0;
  }
  if (printConfig) {
    io.out(formatRunFile(flags, WALK_FORWARD_FLAGS, backtesterDefaults(flags, WALK_FORWARD_FLAGS)));
    return 0;
  }
  const train = requireNumber(flags, 'train');
  const test = requireNumber(flags, 'test');
  const space = spaceOf(flags, io.cwd);
  const search = searchOf(flags);
  const objective = objectiveOf(flags);
  const perFold = search.kind === 'grid' ? spaceSize(space) : search.samples;
  const distributed = distributedSetupOf(flags, env);
  if (distributed !== null && flags['workers'] !== undefined) throw new ConfigError('--workers', 'does not apply with --distributed: the worker processes run the trials');
  // Local threads start before the data loads; distributed jobs need the data's hashes first.
  let pool: SweepPool | null = distributed === null ? startPool(flags, perFold) : null;
  let closePool = async (): Promise<void> => pool?.close();
  let plan: RunPlan;
  let result: WalkForwardResult;
  try {
    const config = backtestRunConfig(flags);
    plan = planWithPhases(config, io, 'walk-forward', progressEnabled(flags));
    if (distributed !== null) {
      const run = await openDistributedRun(distributed, config, plan, io.cwd);
      pool = run.pool;
      closePool = () => run.close();
    }
    // One bar over every fold's trials: folds × trials per fold (skipped points excluded), learnt from the first report.
    // Folds report in turn locally, and side by side when distributed: the bar sums each fold's count.
    const progress = createProgress({ stream: io.progress ?? NO_PROGRESS_STREAM, total: 0, label: `walk-forward ${plan.strategyName}`, enabled: progressEnabled(flags) });
    const completedByFold = new Map<number, number>();
    let completed = 0;
    result = await runWalkForward({
      universe: plan.universe,
      strategy: plan.strategyName,
      ...(plan.strategyFile !== undefined ? { strategyFile: plan.strategyFile.file } : {}),
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
      pool: pool as SweepPool,
      onProgress: (p) => {
        completed += p.completed - (completedByFold.get(p.fold) ?? 0);
        completedByFold.set(p.fold, p.completed);
        progress.update(completed, p.folds * p.total);
      },
    });
    progress.done();
  } finally {
    await closePool();
  }
  const artifact = walkForwardArtifact(result);
  const runId = writeValidationRun(io, recordedFlags, recorded, now, clock, 'walk-forward', artifact, plan.seed, { dataLabel: describePlanData(plan), runFile, oosEquity: { time: result.oosTime, equity: result.oosEquity } });
  if (flags['json'] === true) {
    io.out(JSON.stringify({ runId, ...artifact }, null, 2));
  } else {
    const o = artifact.overall;
    const lines = [`walk-forward ${plan.strategyName} on ${describePlanData(plan)}: ${artifact.folds.length} fold(s) (${flags['anchored'] === true ? 'anchored' : 'rolling'}, train ${train}, test ${test}), ${artifact.trials} in-sample trial(s)`];
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

