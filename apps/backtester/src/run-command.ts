import { join } from 'node:path';
import type { CliIo } from '@quantbot/cli';
import { BACKTEST_RUN_FLAGS, backtestRunConfig, backtestRunHelp, formatRunFile } from '@quantbot/cli';
import { formatIsoTime } from '@quantbot/core';
import type { LookaheadReport } from '@quantbot/engine';
import type { Logger } from '@quantbot/observability';
import type { StrategyNotice } from '@quantbot/strategies';
import type { BacktestRunTimings } from '@quantbot/validation';
import { runRecordedBacktest } from '@quantbot/validation';
import { backtesterDefaults, parseBacktesterFlags } from './run-file-flags';
import { formatSummary } from './summary-format';
import { progressEnabled } from './validation-flags';

/**
 * `backtester run`: runs one backtest (`runRecordedBacktest` of `@quantbot/validation`), prints
 * it and writes its run folder `results/runs/<run_id>/` (summary, decisions, orders, trades,
 * equity, manifest; report.html with `--report`; notices.jsonl when the strategy raised notices).
 * The strategy's notices go to stderr, one line each after the run (never into `--json` stdout),
 * and to `logger`. Exit 1 when the lookahead check fails. A run file (`--config`) gives flags under
 * the command line's; the manifest then records the resolved flags and the file's path and hash;
 * `--print-config` prints the resolved configuration and exits.
 */
export async function runCommand(argv: readonly string[], io: CliIo, now: Date, clock: () => Date = () => new Date(), logger?: Logger): Promise<number> {
  const { flags, argv: recorded, runFile, printConfig } = parseBacktesterFlags('run', argv, io);
  if (flags['help'] === true) {
    io.out(backtestRunHelp());
    return 0;
  }
  if (printConfig) {
    io.out(formatRunFile(flags, BACKTEST_RUN_FLAGS, backtesterDefaults(flags, BACKTEST_RUN_FLAGS)));
    return 0;
  }
  const { runId, runDir, manifest, documentJson, report, plan, lookahead, reportWritten, notices, timings } = await runRecordedBacktest(backtestRunConfig(flags), {
    cwd: io.cwd,
    // With a run file, the resolved flags: the record re-runs without the file.
    commandLine: ['backtester', 'run', ...recorded],
    ...(runFile !== null ? { runFile } : {}),
    now,
    clock,
    ...(io.progress !== undefined ? { progress: io.progress } : {}),
    showProgress: progressEnabled(flags),
    onNotice: (notice) => logger?.warn('strategy notice', { time: formatIsoTime(notice.time), strategy: notice.strategy, code: notice.code, message: notice.message }),
  });
  // After the run, so the lines do not cut through the progress bar.
  for (const notice of notices) io.err(formatNotice(notice));
  if (flags['timings'] === true) {
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    io.err(formatTimings(timings, usage.maxRSS * 1024, (cpu.user + cpu.system) / 1e6, usage.minorPageFault + usage.majorPageFault));
  }
  if (flags['json'] === true) io.out(documentJson);
  else {
    const reportLine = reportWritten ? `\nreport: ${join(runDir, 'report.html')}` : '';
    const audit = manifest.audit ?? null;
    const auditLine = audit === null ? '' : `\naudit log: ${audit.file}, records ${audit.from.records + 1}..${audit.head.records}, head ${audit.head.hash.slice(0, 16)} (anchored in the manifest)`;
    io.out(`${formatSummary(report, plan.dataQuality, lookahead)}\n\nrun ${runId} written: ${runDir} (digest ${manifest.digest.slice(0, 16)})${reportLine}${auditLine}`);
  }
  const failure = lookahead === null ? null : lookaheadFailure(lookahead);
  if (failure !== null) {
    io.err(failure);
    return 1;
  }
  return 0;
}

/**
 * `--timings`: one line on stderr, each step in seconds, the process's peak resident memory, the
 * CPU time it has used so far (user and system, all its threads; on a shared machine a steadier
 * figure than the wall time) and the page faults it has taken so far (minor and major: on a
 * machine where a page touched for the first time is costly, they are much of the system time):
 * `timings: read 0.212 s, check 0.081 s, backtest 0.190 s, summary 0.040 s, lookahead 0.000 s, write 0.301 s, total 0.824 s; peak memory 231 MB; cpu 1.52 s; page faults 77675`.
 */
export function formatTimings(timings: BacktestRunTimings, peakRssBytes: number, cpuSeconds: number, pageFaults: number): string {
  const steps: readonly [string, number][] = [
    ['read', timings.readMs],
    ['check', timings.checkMs],
    ['backtest', timings.backtestMs],
    ['summary', timings.summaryMs],
    ['lookahead', timings.lookaheadMs],
    ['write', timings.writeMs],
    ['total', timings.totalMs],
  ];
  return `timings: ${steps.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(3)} s`).join(', ')}; peak memory ${Math.round(peakRssBytes / 1_048_576)} MB; cpu ${cpuSeconds.toFixed(2)} s; page faults ${pageFaults}`;
}

/** A strategy notice as one readable line: `notice 2016-03-01 ensemble meta-learner-fallback: …`. */
export function formatNotice(notice: StrategyNotice): string {
  return `notice ${formatIsoTime(notice.time).slice(0, 10)} ${notice.strategy} ${notice.code}: ${notice.message}`;
}

/** The error line `run` prints (and exits 1 with) for a failed lookahead check; null when it passed. */
export function lookaheadFailure(lookahead: LookaheadReport): string | null {
  if (lookahead.passed) return null;
  const first = lookahead.divergences[0];
  const where = first === undefined ? '' : ` (first: ${first.test} at ${first.time.slice(0, 10)} ${first.symbol}, full run ${JSON.stringify(first.full)} vs ${JSON.stringify(first.other)})`;
  return `error: lookahead check failed: ${lookahead.divergenceCount} decision(s) changed when less data was available${where}`;
}
