import type { CliIo } from '@quantbot/cli';
import { RUN_FILE_FLAGS, backtestRunConfig, formatFlagHelp, formatRunFile } from '@quantbot/cli';
import { createProgress } from '@quantbot/observability';
import { ConfigError } from '@quantbot/core';
import type { RunPlan, SweepPool, SweepResult } from '@quantbot/validation';
import { describePoint, gridPoints, randomPoints, runSweep, sweepArtifact } from '@quantbot/validation';
import { NO_PROGRESS_STREAM, SWEEP_FLAGS, fmt, objectiveOf, planWithPhases, progressEnabled, spaceOf, searchOf, startPool, trialSettingsOf } from './validation-flags';
import { backtesterDefaults, parseBacktesterFlags } from './run-file-flags';
import { writeValidationRun } from './validation-run-folder';
import { describePlanData } from './summary-format';
import { distributedSetupOf, openDistributedRun } from './distributed-flags';

/** `backtester sweep`: runs every point of a parameter space over the same data and ranks them. */
export async function sweepCommand(argv: readonly string[], io: CliIo, now: Date, clock: () => Date, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const { flags, argv: recorded, recordedFlags, runFile, printConfig } = parseBacktesterFlags('sweep', argv, io);
  if (flags['help'] === true) {
    io.out(`usage: backtester sweep [--space k=a..b:step,...] [flags]\n\nRuns a parameter space over the same data on worker threads and ranks the results; every combination run is a trial.\n\n${formatFlagHelp([...SWEEP_FLAGS, ...RUN_FILE_FLAGS])}`);
    return 0;
  }
  if (printConfig) {
    io.out(formatRunFile(flags, SWEEP_FLAGS, backtesterDefaults(flags, SWEEP_FLAGS)));
    return 0;
  }
  const space = spaceOf(flags, io.cwd);
  const search = searchOf(flags);
  const objective = objectiveOf(flags);
  const points = search.kind === 'grid' ? gridPoints(space) : randomPoints(space, search.samples, search.seed);
  const distributed = distributedSetupOf(flags, env);
  if (distributed !== null && flags['workers'] !== undefined) throw new ConfigError('--workers', 'does not apply with --distributed: the worker processes run the trials');
  // Local threads start before the data loads; distributed jobs need the data's hashes first.
  let pool: SweepPool | null = distributed === null ? startPool(flags, points.length) : null;
  let closePool = async (): Promise<void> => pool?.close();
  let ranOn = (r: SweepResult): string => `${r.workers} thread(s)`;
  let plan: RunPlan;
  let result: SweepResult;
  let sweepMs: number;
  try {
    const config = backtestRunConfig(flags);
    plan = planWithPhases(config, io, 'sweep', progressEnabled(flags));
    if (distributed !== null) {
      const run = await openDistributedRun(distributed, config, plan, io.cwd);
      pool = run.pool;
      closePool = () => run.close();
      ranOn = () => `${run.pool.workerNames.length} worker process(es), ${run.pool.jobsSent} job(s)`;
    }
    // The total is learnt from the sweep's first report: the trials that run, not the skipped points.
    const progress = createProgress({ stream: io.progress ?? NO_PROGRESS_STREAM, total: 0, label: `sweep ${plan.strategyName}`, enabled: progressEnabled(flags) });
    const started = clock().getTime();
    result = await runSweep({
      universe: plan.universe,
      strategy: plan.strategyName,
      ...(plan.strategyFile !== undefined ? { strategyFile: plan.strategyFile.file } : {}),
      ...(search.kind === 'grid' ? { space } : { points }),
      ...trialSettingsOf(plan),
      objective,
      pool: pool as SweepPool,
      onProgress: (p) => progress.update(p.completed, p.total),
    });
    progress.done();
    sweepMs = clock().getTime() - started;
  } finally {
    await closePool();
  }
  const artifact = sweepArtifact(result);
  const runId = writeValidationRun(io, recordedFlags, recorded, now, clock, 'sweep', artifact, plan.seed, { dataLabel: describePlanData(plan), runFile });
  if (flags['json'] === true) {
    io.out(JSON.stringify({ runId, sweepMs, ...artifact }, null, 2));
    return 0;
  }
  const lines = [
    `sweep ${plan.strategyName} on ${describePlanData(plan)}: ${result.trialCount} trial(s), ${result.invalid.length} invalid point(s) skipped, ${ranOn(result)}, ${(sweepMs / 1000).toFixed(2)} s`,
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

