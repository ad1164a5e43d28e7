import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import type { BarSeries, BarUniverse, EpochMs, Ticker } from '@quantbot/core';
import { ConfigError, formatIsoTime, parseTicker } from '@quantbot/core';
import type { BarSource, DataQualityMode, DataQualityOutcome, ExchangeCalendar, FundamentalValues } from '@quantbot/data-quality';
import { NYSE_CALENDAR, PointInTimeSeries, WEEKDAY_CALENDAR, applyDataQuality, generateSyntheticFundamentals } from '@quantbot/data-quality';
import type { SizingRule } from '@quantbot/engine';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import { EXECUTION_PARAMETER_NAMES, EXECUTION_PROFILES, resolveExecutionProfile } from '@quantbot/execution-sim';
import { RunRecorder, checkLookahead, runBacktest, toBacktestReport } from '@quantbot/engine';
import type { ProgressStream, RunAuditAnchor, RunManifest } from '@quantbot/observability';
import { createProgress } from '@quantbot/observability';
import type { BacktestReport, LookaheadReport } from '@quantbot/engine';
import type { JsonValue } from '@quantbot/core';
import type { AuditHead, KillSwitchConfig, RiskLimits } from '@quantbot/risk-guardrails';
import { JsonlAuditSink, parseKillSwitchSettings, resolveRiskLimits } from '@quantbot/risk-guardrails';
import {
  alignUniverse,
  generateSyntheticUniverse,
  parseBarDate,
  readBarPath,
  selectSymbols,
  seriesFromUniverse,
  seriesInRange,
} from '@quantbot/market-data';
import type { StrategyBuildContext } from '@quantbot/strategies';
import { STRATEGY_DEFINITIONS, createStrategy, describeParams, parseParamList } from '@quantbot/strategies';
import type { FlagSpec, FlagValues } from '@quantbot/core';
import { formatFlagHelp, parseFlags } from '@quantbot/core';
import { uniqueRunId, writeBacktestRun } from './backtest-run-folder';

/** Flags of `backtester run`. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  { name: 'data', kind: 'string', valueName: 'file|dir', description: 'bar file (Yahoo CSV or Date,Open,High,Low,Close,Volume,OpenInterest) or a folder of them; default: synthetic data' },
  { name: 'symbols', kind: 'string', valueName: 'A,B', description: 'symbols to trade (default: all loaded)' },
  { name: 'strategy', kind: 'string', valueName: 'name', description: 'strategy name (default sma-crossover)' },
  { name: 'params', kind: 'string', valueName: 'k=v,...', description: 'strategy parameters, e.g. fast=10,slow=30' },
  { name: 'start', kind: 'string', valueName: 'YYYY-MM-DD', description: 'first bar date (inclusive)' },
  { name: 'end', kind: 'string', valueName: 'YYYY-MM-DD', description: 'last bar date (inclusive)' },
  { name: 'cash', kind: 'number', valueName: 'amount', description: 'starting cash (default 100000)' },
  { name: 'size', kind: 'number', valueName: 'shares', description: 'fixed order size in shares (default 100)' },
  { name: 'percent-of-equity', kind: 'number', valueName: 'p', description: 'size orders at floor(cash × p% / close) instead of --size' },
  { name: 'vol-target', kind: 'number', valueName: 'pct', description: 'size entries to this annualized volatility, % of equity (20-bar daily volatility)' },
  { name: 'atr-risk', kind: 'number', valueName: 'pct', description: 'size entries so 2 × ATR(14) risks this % of equity' },
  { name: 'commission-bps', kind: 'number', valueName: 'bps', description: 'commission per fill in basis points of notional (sets the profile\'s feeBps)' },
  { name: 'execution-profile', kind: 'string', valueName: 'name', description: 'idealistic (default), realistic or stressed: how orders fill' },
  { name: 'execution', kind: 'string', valueName: 'k=v,...', description: 'override execution parameters, e.g. latencyMs=500,maxParticipation=0.05' },
  { name: 'fill-model', kind: 'string', valueName: 'name', description: 'simulator (default) or next-open (the simple reference model)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'seed of the synthetic data (default 42)' },
  { name: 'bars', kind: 'number', valueName: 'n', description: 'bars per symbol of the synthetic data (default 2520)' },
  { name: 'data-quality', kind: 'string', valueName: 'mode', description: 'strict (refuse data with any error, all listed), warn (default: run and report; duplicate dates keep the last row, unsorted rows are sorted) or off' },
  { name: 'max-bar-move-pct', kind: 'number', valueName: 'pct', description: 'a one-bar close move beyond this % with no split in the adjusted close is a data error (default 50)' },
  { name: 'calendar', kind: 'string', valueName: 'name', description: 'sessions to check against: nyse (default for files), weekdays (default for synthetic data) or none' },
  { name: 'repair', kind: 'string', valueName: 'how', description: 'opt-in repair: forward-fill (fill missing sessions; every repair is listed)' },
  { name: 'risk', kind: 'string', valueName: 'k=v,...', description: 'pre-trade limits, e.g. maxOrderNotional=50000,maxPositionPctEquity=20,priceBandPct=10,allowShort=false' },
  { name: 'allow-symbols', kind: 'string', valueName: 'A,B', description: 'only these symbols may be traded' },
  { name: 'deny-symbols', kind: 'string', valueName: 'A,B', description: 'these symbols may not be traded' },
  { name: 'kill-switch', kind: 'string', valueName: 'k=v,...', description: 'e.g. reduceAtDrawdownPct=3,haltAtDrawdownPct=5,flattenAtDrawdownPct=8,dailyLossLimitPct=6,cooldownMs=86400000,rearm=auto' },
  { name: 'audit-log', kind: 'string', valueName: 'file', description: 'append every gateway decision to this hash-chained JSONL audit log' },
  { name: 'check-lookahead', kind: 'boolean', description: 'also re-run the strategy on truncated and later-starting data and fail on any decision that changes' },
  { name: 'results-dir', kind: 'string', valueName: 'dir', description: 'where run folders go (default results/runs)' },
  { name: 'report', kind: 'boolean', description: 'also write a self-contained report.html into the run folder' },
  { name: 'json', kind: 'boolean', description: 'print the result as one JSON document' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/** The resolved configuration of a run, as recorded in its summary. */
export interface RunPlan {
  readonly dataLabel: string;
  readonly universe: BarUniverse;
  readonly dataQuality: DataQualityOutcome;
  readonly fundamentals: PointInTimeSeries<FundamentalValues>;
  readonly strategyName: string;
  readonly rawParams: Readonly<Record<string, string>>;
  readonly cash: number;
  readonly sizing: SizingRule;
  readonly execution: ExecutionProfile;
  readonly fillModel: 'simulator' | 'next-open';
  readonly seed: number;
  readonly risk: { readonly limits: RiskLimits; readonly killSwitch: KillSwitchConfig; readonly audit?: JsonlAuditSink };
}

/**
 * Where a re-run writes the audit log its recorded command line names (`--audit-log`): into
 * `path` (a scratch file, never the original), continuing the recorded chain head `startAfter`,
 * while its manifest names `recordAs` (the original log) so its digest can match the recorded one.
 */
export interface AuditLogRedirect {
  readonly path: string;
  readonly startAfter: AuditHead;
  readonly recordAs: string;
}

/** Options of {@link runBacktestFromArgs}. */
export interface BacktestRunOptions {
  /** The folder relative paths (`--data`, `--audit-log`, `--results-dir`) are resolved from. */
  readonly cwd: string;
  /** The start time (names the run id; recorded as `startedAt`). */
  readonly now: Date;
  /** Gives `finishedAt`; default: `now`. */
  readonly clock?: () => Date;
  /** Where the progress bar goes (a terminal); none when absent. */
  readonly progress?: ProgressStream;
  /** Re-runs only: the folder run folders go to, whatever `--results-dir` says. */
  readonly resultsRoot?: string;
  /** Re-runs only: the command line to record in the manifest instead of `backtester run <argv>`. */
  readonly recordedCommandLine?: readonly string[];
  /** Re-runs only: where the audit log goes when `--audit-log` is given. */
  readonly auditLog?: AuditLogRedirect;
  /** Re-runs only: false to skip `report.html` whatever `--report` says. */
  readonly allowReport?: boolean;
}

/** What {@link runBacktestFromArgs} did. */
export interface BacktestRunOutcome {
  readonly runId: string;
  readonly runDir: string;
  readonly manifest: RunManifest;
  /** The document `--json` prints (the report, with `lookahead` when checked). */
  readonly document: BacktestReport & { readonly lookahead?: LookaheadReport };
  readonly report: BacktestReport;
  readonly plan: RunPlan;
  readonly lookahead: LookaheadReport | null;
  readonly reportWritten: boolean;
}

/**
 * Runs one backtest from `backtester run` arguments (see {@link RUN_FLAGS}) and writes its run
 * folder `<results>/<run_id>/` (summary, decisions, orders, trades, equity, manifest; report.html
 * with `--report`). With `--audit-log` the log's head before and after the run is recorded in the
 * manifest (`audit`), which the digest covers. The one function both a run and a re-run of a
 * recorded run go through (see {@link reproduceRun}).
 *
 * Throws a `ConfigError` naming the flag for bad arguments and a `DataError` for bad data.
 */
export async function runBacktestFromArgs(argv: readonly string[], options: BacktestRunOptions): Promise<BacktestRunOutcome> {
  const flags = parseFlags(argv, RUN_FLAGS);
  const { cwd, now } = options;
  const clock = options.clock ?? ((): Date => now);
  const plan = planRun(flags, cwd, options.auditLog);
  const build = (universe: BarUniverse, knownAt: EpochMs | null): StrategyBuildContext => ({
    symbolCount: universe.symbols.length,
    universe,
    fundamentals: knownAt === null ? plan.fundamentals : plan.fundamentals.visibleAt(knownAt),
  });
  const { strategy, params } = createStrategy(plan.strategyName, plan.rawParams, build(plan.universe, null));
  const auditSink = plan.risk.audit;
  // Where the chain stands before the run (throws on a corrupt log, before anything runs).
  const auditFrom = auditSink?.head();
  const recorder = new RunRecorder();
  let stepsDone = 0;
  const progress = createProgress({
    stream: options.progress ?? { isTTY: false, write: () => true },
    total: plan.universe.length,
    label: `backtest ${plan.universe.symbols.length} symbol(s)`,
    enabled: flags['json'] !== true,
  });
  const result = runBacktest({
    recorder,
    onProgress: (done) => {
      progress.tick(done - stepsDone);
      stepsDone = done;
    },
    universe: plan.universe,
    strategy,
    startingCash: plan.cash,
    sizing: plan.sizing,
    execution: plan.execution,
    fillModel: plan.fillModel,
    seed: plan.seed,
    dataQuality: plan.dataQuality,
    risk: plan.risk,
  });
  progress.done();

  const configText = JSON.stringify({
    data: plan.dataLabel,
    symbols: plan.universe.symbols,
    strategy: plan.strategyName,
    params,
    cash: plan.cash,
    sizing: plan.sizing,
    execution: plan.execution,
    fillModel: plan.fillModel,
    seed: plan.seed,
  });
  const resultsRoot = options.resultsRoot ?? resolve(cwd, typeof flags['results-dir'] === 'string' ? flags['results-dir'] : join('results', 'runs'));
  const baseRunId = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${createHash('sha256').update(configText).digest('hex').slice(0, 8)}`;
  const runId = uniqueRunId(resultsRoot, baseRunId);
  const report = toBacktestReport(result, {
    runId,
    strategy: plan.strategyName,
    params: Object.entries(params)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(','),
    data: plan.dataLabel,
    symbols: plan.universe.symbols.join(','),
    sizing: describeSizing(plan.sizing),
    commissionBps: plan.execution.feeBps,
    seed: plan.seed,
  });
  let lookahead: LookaheadReport | null = null;
  if (flags['check-lookahead'] === true) {
    lookahead = checkLookahead({
      universe: plan.universe,
      build: (universe, knownAt) => createStrategy(plan.strategyName, plan.rawParams, build(universe, knownAt)).strategy,
      startingCash: plan.cash,
      sizing: plan.sizing,
      execution: plan.execution,
      seed: plan.seed,
    });
  }
  const document = lookahead !== null ? { ...report, lookahead } : report;
  const audit: RunAuditAnchor | null =
    auditSink === undefined || auditFrom === undefined
      ? null
      : { file: options.auditLog?.recordAs ?? auditSink.path, from: auditFrom, head: auditSink.head() };
  const withReport = flags['report'] === true && options.allowReport !== false;
  const manifest = await writeBacktestRun({
    root: resultsRoot,
    runId,
    document,
    result,
    recorder,
    startedAt: now,
    finishedAt: clock(),
    cwd,
    commandLine: options.recordedCommandLine ?? ['backtester', 'run', ...argv],
    parameters: JSON.parse(configText) as JsonValue,
    seed: plan.seed,
    dataPath: typeof flags['data'] === 'string' ? resolve(cwd, flags['data']) : undefined,
    audit,
    withReport,
  });
  return { runId, runDir: join(resultsRoot, runId), manifest, document, report, plan, lookahead, reportWritten: withReport };
}

/**
 * Resolves parsed `backtester run` flags into a plan: loads and checks the data, builds the
 * sizing, execution and risk settings. `auditLog` redirects `--audit-log` (re-runs only).
 */
export function planRun(flags: FlagValues, cwd: string, auditLog?: AuditLogRedirect): RunPlan {
  const start = optionalDate(flags, 'start');
  const end = optionalDate(flags, 'end');
  if (start !== undefined && end !== undefined && start > end) {
    throw new ConfigError('--start', `${String(flags['start'])} is after --end ${String(flags['end'])}`);
  }
  const symbols = optionalSymbols(flags);
  const dataPath = flags['data'];
  let series: readonly BarSeries[];
  let dataLabel: string;
  let sources: readonly BarSource[] = [];
  if (typeof dataPath === 'string') {
    // Row problems (file, line, date) are weighed by the data-quality gate with its own checks.
    // Files are named relative to the working directory (as the user names them), so that what a
    // run records does not depend on where the checkout lives.
    const { readings } = readBarPath(resolve(cwd, dataPath));
    series = readings.map((reading) => reading.series);
    sources = readings.map((reading) => ({
      ...reading,
      file: relative(cwd, reading.file),
      problems: reading.problems.map((problem) => ({ ...problem, file: relative(cwd, problem.file) })),
    }));
    dataLabel = dataPath;
  } else {
    const seed = numberFlag(flags, 'seed', 42);
    const bars = numberFlag(flags, 'bars', 2520);
    if (!Number.isInteger(bars) || bars < 2) throw new ConfigError('--bars', `must be a whole number ≥ 2, got ${bars}`);
    const synthetic = generateSyntheticUniverse({ seed, bars, ...(symbols !== undefined ? { symbols } : {}) });
    series = synthetic.symbols.map((_, i) => seriesFromUniverse(synthetic, i));
    dataLabel = `synthetic(seed=${seed},bars=${bars})`;
  }
  if (symbols !== undefined) series = selectSymbols(series, symbols);
  const range: { start?: EpochMs; end?: EpochMs } = {};
  if (start !== undefined) range.start = start;
  if (end !== undefined) range.end = end;
  const checked = applyDataQuality(seriesInRange(series, range), {
    mode: dataQualityMode(flags),
    calendar: chooseCalendar(flags, typeof dataPath === 'string'),
    repair: repairFlag(flags),
    sources,
    ...(flags['max-bar-move-pct'] !== undefined ? { maxBarMovePct: maxBarMovePct(flags) } : {}),
  });
  const universe = alignUniverse(checked.series, range);
  const seed = numberFlag(flags, 'seed', 42);
  const firstDay = formatIsoTime(universe.time[0] as number).slice(0, 10);
  const quarters = Math.ceil(((universe.time[universe.length - 1] as number) - (universe.time[0] as number)) / (91 * 86_400_000)) + 4;
  // Synthetic point-in-time fundamentals for the universe's symbols (their only source so far).
  const fundamentals = new PointInTimeSeries(
    generateSyntheticFundamentals({ symbols: universe.symbols, start: shiftYears(firstDay, -1), quarters, seed }),
  );

  const strategyName = typeof flags['strategy'] === 'string' ? flags['strategy'] : 'sma-crossover';
  const rawParams = typeof flags['params'] === 'string' ? parseParamList(flags['params']) : {};

  const sizingFlags = ['size', 'percent-of-equity', 'vol-target', 'atr-risk'].filter((f) => flags[f] !== undefined);
  if (sizingFlags.length > 1) {
    throw new ConfigError(`--${sizingFlags[0] as string}`, `give one sizing rule, not ${sizingFlags.map((f) => `--${f}`).join(' and ')}: either --size or --percent-of-equity, --vol-target or --atr-risk`);
  }
  const sizing: SizingRule =
    flags['percent-of-equity'] !== undefined
      ? { kind: 'percent-of-equity', percent: numberFlag(flags, 'percent-of-equity', 0) }
      : flags['vol-target'] !== undefined
        ? { kind: 'volatility-target', targetAnnualVolPct: numberFlag(flags, 'vol-target', 0), lookbackBars: 20 }
        : flags['atr-risk'] !== undefined
          ? { kind: 'atr-risk', riskPct: numberFlag(flags, 'atr-risk', 0), atrPeriod: 14, atrMultiple: 2 }
          : { kind: 'fixed-shares', shares: numberFlag(flags, 'size', 100) };

  const overrides: Record<string, string> = typeof flags['execution'] === 'string' ? { ...parseParamList(flags['execution'], '--execution') } : {};
  if (flags['commission-bps'] !== undefined) overrides['feeBps'] = String(flags['commission-bps']);
  const profileName = typeof flags['execution-profile'] === 'string' ? flags['execution-profile'] : 'idealistic';
  const fillModel = flags['fill-model'] ?? 'simulator';
  if (fillModel !== 'simulator' && fillModel !== 'next-open') {
    throw new ConfigError('--fill-model', `unknown fill model '${String(fillModel)}'; available: simulator, next-open`);
  }

  return {
    dataLabel,
    universe,
    dataQuality: checked.outcome,
    fundamentals,
    strategyName,
    rawParams,
    cash: numberFlag(flags, 'cash', 100_000),
    sizing,
    execution: resolveExecutionProfile(profileName, overrides),
    fillModel,
    seed,
    risk: planRisk(flags, cwd, auditLog),
  };
}

function describeSizing(rule: SizingRule): string {
  switch (rule.kind) {
    case 'fixed-shares':
      return `${rule.shares} shares`;
    case 'percent-of-equity':
      return `${rule.percent}% of cash`;
    case 'volatility-target':
      return `${rule.targetAnnualVolPct}% annual volatility (${rule.lookbackBars}-bar)`;
    case 'atr-risk':
      return `${rule.riskPct}% of equity per ${rule.atrMultiple} x ATR(${rule.atrPeriod})`;
  }
}

function planRisk(flags: FlagValues, cwd: string, auditLog: AuditLogRedirect | undefined): RunPlan['risk'] {
  const raw: Record<string, string> = typeof flags['risk'] === 'string' ? { ...parseParamList(flags['risk'], '--risk') } : {};
  if (typeof flags['allow-symbols'] === 'string') raw['allowSymbols'] = flags['allow-symbols'];
  if (typeof flags['deny-symbols'] === 'string') raw['denySymbols'] = flags['deny-symbols'];
  const limits = resolveRiskLimits(raw);
  let killSwitch: KillSwitchConfig = {};
  if (typeof flags['kill-switch'] === 'string') {
    try {
      killSwitch = parseKillSwitchSettings(parseParamList(flags['kill-switch'], '--kill-switch'));
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`--kill-switch ${error.key}`, error.message.slice(error.key.length + 2));
      throw error;
    }
  }
  const audit =
    typeof flags['audit-log'] !== 'string'
      ? undefined
      : auditLog !== undefined
        ? new JsonlAuditSink(auditLog.path, { startAfter: auditLog.startAfter })
        : new JsonlAuditSink(resolve(cwd, flags['audit-log']));
  return { limits, killSwitch, ...(audit !== undefined ? { audit } : {}) };
}

function dataQualityMode(flags: FlagValues): DataQualityMode {
  const mode = flags['data-quality'] ?? 'warn';
  if (mode !== 'strict' && mode !== 'warn' && mode !== 'off') {
    throw new ConfigError('--data-quality', `unknown mode '${String(mode)}'; available: strict, warn, off`);
  }
  return mode;
}

function maxBarMovePct(flags: FlagValues): number {
  const value = numberFlag(flags, 'max-bar-move-pct', Number.NaN);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError('--max-bar-move-pct', `must be a percentage > 0, got ${String(flags['max-bar-move-pct'])}`);
  return value;
}

function chooseCalendar(flags: FlagValues, isFileData: boolean): ExchangeCalendar | null {
  const name = flags['calendar'] ?? (isFileData ? 'nyse' : 'weekdays');
  if (name === 'nyse') return NYSE_CALENDAR;
  if (name === 'weekdays') return WEEKDAY_CALENDAR;
  if (name === 'none') return null;
  throw new ConfigError('--calendar', `unknown calendar '${String(name)}'; available: nyse, weekdays, none`);
}

function repairFlag(flags: FlagValues): 'forward-fill' | null {
  const how = flags['repair'];
  if (how === undefined) return null;
  if (how !== 'forward-fill') throw new ConfigError('--repair', `unknown repair '${String(how)}'; available: forward-fill`);
  return how;
}

function shiftYears(day: string, years: number): string {
  return `${String(Number(day.slice(0, 4)) + years).padStart(4, '0')}${day.slice(4, 8)}01`;
}

function optionalDate(flags: FlagValues, name: 'start' | 'end'): EpochMs | undefined {
  const text = flags[name];
  if (typeof text !== 'string') return undefined;
  const time = parseBarDate(text);
  if (time === undefined) throw new ConfigError(`--${name}`, `'${text}' is not a date (YYYY-MM-DD)`);
  return time;
}

function optionalSymbols(flags: FlagValues): readonly Ticker[] | undefined {
  const text = flags['symbols'];
  if (typeof text !== 'string') return undefined;
  const out: Ticker[] = [];
  for (const part of text.split(',')) {
    const symbol = parseTicker(part.trim().toUpperCase());
    if (symbol === undefined) throw new ConfigError('--symbols', `'${part}' is not a valid symbol`);
    out.push(symbol);
  }
  if (out.length === 0) throw new ConfigError('--symbols', 'no symbols given');
  return out;
}

function numberFlag(flags: FlagValues, name: string, fallback: number): number {
  const value = flags[name];
  return typeof value === 'number' ? value : fallback;
}

/** The help text of `backtester run`: flags, strategies and execution profiles. */
export function backtestRunHelp(): string {
  const strategies = STRATEGY_DEFINITIONS.map((d) => `  ${d.name}: ${d.description}\n    params: ${describeParams(d.params)}`).join('\n');
  return [
    'usage: backtester run [flags]',
    '',
    'Runs a backtest. With no flags: SMA crossover 10/30 on seeded synthetic data.',
    '',
    formatFlagHelp(RUN_FLAGS),
    '',
    'strategies:',
    strategies,
    '',
    `execution profiles: ${Object.keys(EXECUTION_PROFILES).join(', ')}`,
    `execution parameters (--execution): ${EXECUTION_PARAMETER_NAMES.join(', ')}`,
  ].join('\n');
}
