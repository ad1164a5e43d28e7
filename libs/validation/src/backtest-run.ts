import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BarIntervalName, BarUniverse, EpochMs } from '@quantbot/core';
import { ConfigError, formatIsoTime, resolveBarInterval } from '@quantbot/core';
import type { DataQualityOutcome, FundamentalValues } from '@quantbot/data-quality';
import type { BarFileHash, BarPrices } from '@quantbot/market-data';
import { PointInTimeSeries, generateSyntheticFundamentals } from '@quantbot/data-quality';
import type { ExecutionProfile } from '@quantbot/execution-sim';
import { resolveExecutionProfile } from '@quantbot/execution-sim';
import {
  RunRecorder,
  STRATEGY_MANAGER_NAME,
  buildStrategyManager,
  checkLookahead,
  parseStrategyManagerSpec,
  runBacktest,
  toBacktestReport,
  toNoticeDocuments,
  toStrategyManagerDocument,
} from '@quantbot/engine';
import type { StrategyManager, StrategyManagerSpec } from '@quantbot/engine';
import type { ProgressStream, RunAuditAnchor, RunManifest } from '@quantbot/observability';
import { ArtifactCompressor, createPhaseProgress, createProgress } from '@quantbot/observability';
import type { BacktestReport, LookaheadReport } from '@quantbot/engine';
import type { JsonValue } from '@quantbot/core';
import type { AuditHead, KillSwitchConfig, RiskLimits, SizingRule } from '@quantbot/risk-guardrails';
import { JsonlAuditSink, describeSizingRule, parseKillSwitchSettings, resolveRiskLimits } from '@quantbot/risk-guardrails';
import type { AnnouncedFundamentalsSource, Strategy, StrategyBuildContext, StrategyDefinition, StrategyNotice } from '@quantbot/strategies';
import { createStrategy, pointInTimeFundamentals } from '@quantbot/strategies';
import { SLEEVE_EQUITY_FILE, sleeveEquityCsv, uniqueRunId, writeBacktestRun } from './backtest-run-folder';
import { loadRunData } from './run-data';
import { marketFromUniverse } from './report-market';
import type { RunDataConfig, RunDataPhase } from './run-data';
import type { LoadedStrategyFile } from './strategy-file';
import { isStrategyFileRef, loadStrategyFile } from './strategy-file';

/**
 * A backtest run as its caller states it: the option fields a command line, a script or a
 * recorded run give (`backtester run` sets them from its flags). Paths are relative to the run's
 * `cwd`; names (strategy, profile, calendar, ...) are resolved and checked by {@link planRun}.
 * Every field is optional; the defaults are those of `backtester run`. The data fields are
 * {@link RunDataConfig}'s.
 */
export interface BacktestRunConfig extends RunDataConfig {
  /**
   * Strategy name (default `sma-crossover`), or the path of a strategy file (`./my-strategy.ts`,
   * `.js`, `.mjs`; see `loadStrategyFile`) relative to `cwd`.
   */
  readonly strategy?: string;
  /** Strategy parameters as text, checked by the strategy's definition. */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * A manager file (JSON: sleeves with their strategy, params, allocation and kill switch; see
   * `parseStrategyManagerSpec` of `@quantbot/engine`) to run several strategies in one portfolio,
   * instead of `strategy` and `params`.
   */
  readonly manager?: string;
  /** Starting cash in currency (default 100 000). */
  readonly cash?: number;
  /** Default: 100 shares per order. */
  readonly sizing?: SizingRule;
  /** Commission in basis points of notional; sets the profile's `feeBps`. */
  readonly commissionBps?: number;
  /** `idealistic` (default), `realistic` or `stressed`. */
  readonly executionProfile?: string;
  /** Execution parameters over the profile's, such as `{ latencyMs: '500' }`. */
  readonly execution?: Readonly<Record<string, string>>;
  /** `simulator` (default) or `next-open`. */
  readonly fillModel?: string;
  /** Seed of the synthetic data and the simulator (default 42). */
  readonly seed?: number;
  /** Pre-trade limits as text (`resolveRiskLimits`). */
  readonly risk?: Readonly<Record<string, string>>;
  /** Comma-separated symbols that alone may be traded / that may not be traded. */
  readonly allowSymbols?: string;
  readonly denySymbols?: string;
  /** Kill-switch settings as text (`parseKillSwitchSettings`). */
  readonly killSwitch?: Readonly<Record<string, string>>;
  /** The hash-chained JSONL audit log every gateway decision is appended to. */
  readonly auditLog?: string;
  /** Also run the lookahead check. */
  readonly checkLookahead?: boolean;
  /** Where run folders go (default `results/runs`). */
  readonly resultsDir?: string;
  /** Also write `report.html` into the run folder. */
  readonly report?: boolean;
  /**
   * The bar interval of the data (`1m`, `5m`, `15m`, `30m`, `1h`, `1d`, `1w`, `1mo`), checked
   * against the one detected from the bar times (`resolveBarInterval` of `@quantbot/core`).
   * Default: detected.
   */
  readonly barInterval?: string;
}

/** How a run on adjusted prices names them in its summary (`summary.prices`). */
const ADJUSTED_PRICES_LABEL = 'adjusted (Adj Close)';

/** The resolved configuration of a run, as recorded in its summary. */
export interface RunPlan {
  readonly dataLabel: string;
  /** The prices traded on: `raw` (as in the files) or `adjusted` (scaled to their `Adj Close`). */
  readonly prices: BarPrices;
  readonly universe: BarUniverse;
  readonly dataQuality: DataQualityOutcome;
  /**
   * The universe's point-in-time fundamentals (synthetic, seeded: their only source so far), made
   * the first time they are read: a run whose strategy never reads fundamentals never makes them.
   */
  readonly fundamentals: PointInTimeSeries<FundamentalValues>;
  readonly strategyName: string;
  /** The strategy file the strategy was loaded from (its definition and identity); absent for a shipped strategy or a manager. */
  readonly strategyFile?: LoadedStrategyFile;
  readonly rawParams: Readonly<Record<string, string>>;
  /** The manager file read (`manager`): its path as given and its sleeves; absent for one strategy. */
  readonly manager?: { readonly source: string; readonly spec: StrategyManagerSpec };
  readonly cash: number;
  readonly sizing: SizingRule;
  readonly execution: ExecutionProfile;
  readonly fillModel: 'simulator' | 'next-open';
  readonly seed: number;
  /** The bar interval the metrics annualise with (detected, or stated and checked). */
  readonly barInterval: BarIntervalName;
  readonly risk: { readonly limits: RiskLimits; readonly killSwitch: KillSwitchConfig; readonly audit?: JsonlAuditSink };
  /** With `PlanRunOptions.hashData`: each bar file read, with the SHA-256 of the bytes parsed. */
  readonly dataHashes?: readonly BarFileHash[];
}

/**
 * Where a re-run writes the audit log its recorded configuration names (`auditLog`): into
 * `path` (a scratch file, never the original), continuing the recorded chain head `startAfter`,
 * while its manifest names `recordAs` (the original log) so its digest can match the recorded one.
 */
export interface AuditLogRedirect {
  readonly path: string;
  readonly startAfter: AuditHead;
  readonly recordAs: string;
}

/** A run file as a manifest records it: its path as the command resolved it and the SHA-256 of its bytes. */
export interface RecordedRunFile {
  readonly path: string;
  readonly sha256: string;
}

/** Options of {@link runRecordedBacktest}. */
export interface BacktestRunOptions {
  /** The folder relative paths (`data`, `auditLog`, `resultsDir`) are resolved from. */
  readonly cwd: string;
  /** The command line the manifest records (its digest covers it), such as `['backtester', 'run', '--seed', '3']`. */
  readonly commandLine: readonly string[];
  /**
   * The run file the command line was resolved from (`--config`): its path and SHA-256, recorded
   * in the manifest's `parameters.runFile` (which the digest covers). Provenance only: the run is
   * defined by `commandLine`, which then holds the resolved flags, so a re-run needs no file.
   */
  readonly runFile?: RecordedRunFile;
  /** The start time (names the run id; recorded as `startedAt`). */
  readonly now: Date;
  /** Gives `finishedAt`; default: `now`. */
  readonly clock?: () => Date;
  /** Where the progress bar goes (a terminal); none when absent. */
  readonly progress?: ProgressStream;
  /** False to keep the progress bar off (a caller printing JSON). Default on. */
  readonly showProgress?: boolean;
  /** Re-runs only: the folder run folders go to, whatever `resultsDir` says. */
  readonly resultsRoot?: string;
  /** Re-runs only: where the audit log goes when `auditLog` is given. */
  readonly auditLog?: AuditLogRedirect;
  /** Re-runs only: false to skip `report.html` whatever `report` says. */
  readonly allowReport?: boolean;
  /** Hears each strategy notice as it is raised (a command prints it); they are recorded either way. */
  readonly onNotice?: (notice: StrategyNotice) => void;
  /** A monotonic clock in ms for {@link BacktestRunTimings} (default `performance.now`); nothing recorded depends on it. */
  readonly timer?: () => number;
}

/**
 * How long each step of a run took, in ms of `BacktestRunOptions.timer` (for `backtester run
 * --timings` and the end-to-end benchmark; never recorded in the run folder).
 */
export interface BacktestRunTimings {
  /** Reading and parsing the bar files (or generating synthetic data). */
  readonly readMs: number;
  /** The data-quality checks (and the rest of the plan: strategy, risk, audit log). */
  readonly checkMs: number;
  /** The bar loop with full accounting and the run recorder. */
  readonly backtestMs: number;
  /** The summary document: metrics, trades, execution quality. */
  readonly summaryMs: number;
  /** The lookahead check (0 unless asked). */
  readonly lookaheadMs: number;
  /** Writing the run folder (and the report with `report`). */
  readonly writeMs: number;
  readonly totalMs: number;
}

/** What {@link runRecordedBacktest} did. */
export interface BacktestRunOutcome {
  readonly runId: string;
  readonly runDir: string;
  readonly manifest: RunManifest;
  /** The run's JSON document (the report, with `lookahead` when checked). */
  readonly document: BacktestReport & { readonly lookahead?: LookaheadReport };
  /** `document` as `JSON.stringify(document, null, 2)` prints it (`summary.json` is cut from this text, not serialized again). */
  readonly documentJson: string;
  readonly report: BacktestReport;
  readonly plan: RunPlan;
  readonly lookahead: LookaheadReport | null;
  readonly reportWritten: boolean;
  /** The notices the strategy raised during the run (not those of the lookahead check's re-runs). */
  readonly notices: readonly StrategyNotice[];
  readonly timings: BacktestRunTimings;
}

/**
 * Runs one backtest and writes its run folder `<results>/<run_id>/` (summary, decisions, orders,
 * trades, equity, manifest; report.html with `report`; notices.jsonl and a `notices` count in the
 * summary when the strategy raised notices). With `auditLog` the log's head before and
 * after the run is recorded in the manifest (`audit`), which the digest covers. The one function
 * both a run and a re-run of a recorded run go through (see {@link reproduceRun}).
 *
 * Throws a `ConfigError` naming the option field for a bad value and a `DataError` for bad data.
 */
export async function runRecordedBacktest(config: BacktestRunConfig, options: BacktestRunOptions): Promise<BacktestRunOutcome> {
  const { cwd, now } = options;
  const clock = options.clock ?? ((): Date => now);
  const progressStream = options.progress ?? { isTTY: false, write: () => true };
  // Reading, checking and writing are shown as phases (a line each when one takes a second or more); the bar loop as a bar.
  const phases = createPhaseProgress({ stream: progressStream, label: 'backtest', enabled: options.showProgress !== false });
  const timer = options.timer ?? ((): number => performance.now());
  const startedAt = timer();
  let checkStartedAt = startedAt;
  let plan: RunPlan;
  try {
    plan = planRun(config, {
      cwd,
      ...(options.auditLog !== undefined ? { auditLog: options.auditLog } : {}),
      // The manifest's data hash, taken from the bytes as they are read (the file is read once).
      hashData: true,
      onPhase: (phase) => {
        if (phase === 'check') checkStartedAt = timer();
        phases.phase(RUN_DATA_PHASE_NAMES[phase]);
      },
    });
  } finally {
    // Also on bad data: the error is then printed on a line of its own.
    phases.done();
  }
  // What the session knows when it builds the strategy: its symbols, and its fundamentals only as
  // a point-in-time view (at a lookahead cut-off, only those announced by the cut).
  const build = (universe: BarUniverse, knownAt: EpochMs | null): StrategyBuildContext => ({
    symbolCount: universe.symbols.length,
    fundamentals: pointInTimeFundamentals(madeOnFirstQuestion(() => (knownAt === null ? plan.fundamentals : plan.fundamentals.visibleAt(knownAt)))),
  });
  // Only the run's own strategy reports notices: the lookahead check's rebuilds would repeat them.
  const notices: StrategyNotice[] = [];
  const notify = (notice: StrategyNotice): void => {
    notices.push(notice);
    options.onNotice?.(notice);
  };
  const context: StrategyBuildContext = { ...build(plan.universe, null), notify };
  const built = plan.manager === undefined ? undefined : buildStrategyManager(plan.manager.spec, plan.manager.source, context);
  const manager: StrategyManager | undefined = built?.manager;
  const { strategy, params }: { readonly strategy: Strategy; readonly params: JsonValue } =
    built !== undefined ? { strategy: built.manager, params: built.params } : createStrategy(strategyOf(plan), plan.rawParams, context);
  const auditSink = plan.risk.audit;
  // Where the chain stands before the run (throws on a corrupt log, before anything runs).
  const auditFrom = auditSink?.head();
  const withReport = config.report === true && options.allowReport !== false;
  const backtestStartedAt = timer();
  // The journal goes out as the bar loop makes it, hashed and compressed on a thread of its own,
  // instead of being held as objects until the folder is written. A report draws the fills from
  // the recorder's records, so a run writing one keeps them.
  const compressor = withReport ? undefined : ArtifactCompressor.start();
  try {
    return await recordAndWrite();
  } finally {
    await compressor?.close();
  }

  async function recordAndWrite(): Promise<BacktestRunOutcome> {
    const journal = compressor === undefined ? undefined : { decisions: compressor.artifact(), orders: compressor.artifact() };
    const recorder = new RunRecorder(journal === undefined ? {} : { sink: { decisions: (bytes) => journal.decisions.writeBytes(bytes), orders: (bytes) => journal.orders.writeBytes(bytes) } });
    // equity.csv is made while the bar loop runs: the loop writes the curve into the compressor's
    // column and each progress report hands the steps done to the thread, so only the last ones remain after it.
    const liveEquity = compressor?.liveEquityCsv(plan.universe.time);
    let stepsDone = 0;
    const progress = createProgress({
      stream: progressStream,
      total: plan.universe.length,
      label: `backtest ${plan.universe.symbols.length} symbol(s)`,
      enabled: options.showProgress !== false,
    });
    const result = runBacktest({
      recorder,
      ...(liveEquity !== undefined ? { equityBuffer: liveEquity.equity } : {}),
      onProgress: (done) => {
        liveEquity?.publish(done);
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
      barInterval: plan.barInterval,
    });
    progress.done();
    recorder.flush();
    // Finished while the summary is made; awaited when the folder is written.
    // With the equity curve, whose last steps are made and compressed on the same thread while this one makes the summary.
    const journalDone = journal === undefined || liveEquity === undefined ? undefined : Promise.all([journal.decisions.finish(), journal.orders.finish(), liveEquity.finish()]);
    journalDone?.catch(() => undefined);
    const summaryStartedAt = timer();

    // Adjusted prices join the configuration (and so the run id and digest) only when chosen: a run
    // on raw prices keeps the configuration, and the digest, it always had.
    const adjusted = plan.prices === 'adjusted';
    const configText = JSON.stringify({
      data: plan.dataLabel,
      ...(adjusted ? { prices: plan.prices } : {}),
      symbols: plan.universe.symbols,
      strategy: plan.strategyName,
      // Only a strategy file adds its identity: runs of shipped strategies keep the configuration
      // (and so the run id and digest) they always had.
      ...(plan.strategyFile !== undefined ? { strategyFile: { path: plan.strategyFile.source, sha256: plan.strategyFile.file.sha256 } } : {}),
      params,
      cash: plan.cash,
      sizing: plan.sizing,
      execution: plan.execution,
      fillModel: plan.fillModel,
      seed: plan.seed,
    });
    const resultsRoot = options.resultsRoot ?? resolve(cwd, config.resultsDir ?? join('results', 'runs'));
    const baseRunId = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${createHash('sha256').update(configText).digest('hex').slice(0, 8)}`;
    const runId = uniqueRunId(resultsRoot, baseRunId);
    const summaryParams =
      plan.manager !== undefined
        ? `${plan.manager.source}: ${plan.manager.spec.sleeves.map((s) => `${s.name} ${s.strategy} ${Number((s.allocation * 100).toFixed(6))}%`).join(', ')}`
        : Object.entries(params as Readonly<Record<string, JsonValue>>)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(',');
    const plain = toBacktestReport(result, {
      runId,
      strategy: plan.strategyName,
      params: summaryParams,
      data: plan.dataLabel,
      symbols: plan.universe.symbols.join(','),
      sizing: describeSizingRule(plan.sizing),
      commissionBps: plan.execution.feeBps,
      seed: plan.seed,
      ...(adjusted ? { prices: ADJUSTED_PRICES_LABEL } : {}),
    });
    // The notice count joins the summary, and the notices the document, only when a strategy raised
    // any; a manager run carries each sleeve's books. A run without them keeps the document it
    // always had (and earlier runs their digest).
    const counted = notices.length === 0 ? plain : { ...plain, summary: { ...plain.summary, notices: notices.length } };
    const report = {
      ...counted,
      ...(manager !== undefined ? { manager: toStrategyManagerDocument(manager) } : {}),
      ...(notices.length > 0 ? { notices: toNoticeDocuments(notices) } : {}),
    };
    const lookaheadStartedAt = timer();
    let lookahead: LookaheadReport | null = null;
    if (config.checkLookahead === true) {
      phases.phase('checking lookahead');
      const check = (name: string | StrategyDefinition, raw: Readonly<Record<string, string | number | boolean>>, cash: number): LookaheadReport =>
        checkLookahead({
          universe: plan.universe,
          build: (universe, knownAt) => createStrategy(name, raw, build(universe, knownAt)).strategy,
          startingCash: cash,
          sizing: plan.sizing,
          execution: plan.execution,
          seed: plan.seed,
        });
      // A manager's sleeves decide on their own fills, which the check's replays cannot give them:
      // each sleeve's strategy is checked on its own, with its share of the cash.
      lookahead =
        plan.manager === undefined
          ? check(strategyOf(plan), plan.rawParams, plan.cash)
          : mergeLookahead(plan.manager.spec.sleeves.map((s) => ({ sleeve: s.name, report: check(s.strategy, s.params, s.allocation * (plan.manager?.spec.capital ?? plan.cash)) })));
    }
    const document = lookahead !== null ? { ...report, lookahead } : report;
    const audit: RunAuditAnchor | null =
      auditSink === undefined || auditFrom === undefined
        ? null
        : { file: options.auditLog?.recordAs ?? auditSink.path, from: auditFrom, head: auditSink.head() };
    const writeStartedAt = timer();
    phases.phase('writing the run folder');
    // One serialization serves the caller (which prints it) and summary.json; made while the
    // compressor thread finishes the journal and the curve's last steps.
    const documentJson = JSON.stringify(document, null, 2);
    const journalContent = journalDone === undefined ? undefined : await journalDone;
    const manifest = await writeBacktestRun({
      root: resultsRoot,
      runId,
      document,
      documentJson,
      result,
      recorder,
      startedAt: now,
      finishedAt: clock(),
      cwd,
      commandLine: options.commandLine,
      parameters: { ...(JSON.parse(configText) as Record<string, JsonValue>), ...(options.runFile !== undefined ? { runFile: { path: options.runFile.path, sha256: options.runFile.sha256 } } : {}) },
      seed: plan.seed,
      dataPath: config.data !== undefined ? resolve(cwd, config.data) : undefined,
      ...(plan.dataHashes !== undefined ? { dataHashes: plan.dataHashes } : {}),
      ...(journalContent !== undefined ? { journal: { decisions: journalContent[0], orders: journalContent[1] }, equity: journalContent[2] } : {}),
      audit,
      withReport,
      ...(withReport ? { market: marketFromUniverse(plan.universe, recorder.orders, plan.strategyName, (JSON.parse(configText) as { params?: unknown }).params, `${plan.dataLabel}, as the run loaded it`) } : {}),
      notices,
      ...(manager !== undefined ? { extraArtifacts: [{ name: SLEEVE_EQUITY_FILE, content: sleeveEquityCsv(manager.sleeveEquityCurves()) }] } : {}),
    });
    phases.done();
    const finishedAt = timer();
    // A run without the read/check phases (no data to load) counts its planning as checks.
    const readEnd = checkStartedAt === startedAt ? startedAt : checkStartedAt;
    const timings: BacktestRunTimings = {
      readMs: readEnd - startedAt,
      checkMs: backtestStartedAt - readEnd,
      backtestMs: summaryStartedAt - backtestStartedAt,
      summaryMs: lookaheadStartedAt - summaryStartedAt,
      lookaheadMs: writeStartedAt - lookaheadStartedAt,
      writeMs: finishedAt - writeStartedAt,
      totalMs: finishedAt - startedAt,
    };
    return { runId, runDir: join(resultsRoot, runId), manifest, document, documentJson, report, plan, lookahead, reportWritten: withReport, notices, timings };
  }
}


/** What each step of loading the data is called on the progress stream. */
const RUN_DATA_PHASE_NAMES: Readonly<Record<RunDataPhase, string>> = Object.freeze({ read: 'reading data', check: 'checking data' });

/** Options of {@link planRun}. */
export interface PlanRunOptions {
  /** The folder relative paths (`data`, `auditLog`) are resolved from. */
  readonly cwd: string;
  /** Re-runs only: where the audit log goes. */
  readonly auditLog?: AuditLogRedirect;
  /** Hears each step of loading the data as it starts (see `loadRunData`). */
  readonly onPhase?: (phase: RunDataPhase) => void;
  /** Hash the bar files as they are read (`RunPlan.dataHashes`), so the manifest need not read them again. */
  readonly hashData?: boolean;
}

/**
 * Loads and checks the data of a run and resolves its settings: reads the bar files (or makes the
 * synthetic data), selects the symbols and dates, passes the data-quality gate, aligns the
 * universe, and resolves the strategy, sizing, execution and risk settings. What `backtester run`,
 * `sweep` and `walk-forward` all start from.
 *
 * Throws a `ConfigError` naming the option field (`start`, `calendar`, `execution.latencyMs`,
 * `killSwitch.rearm`, ...) for a bad value and a `DataError` for bad data.
 */
export function planRun(config: BacktestRunConfig, options: PlanRunOptions): RunPlan {
  const { dataLabel, universe, dataQuality, seed, prices, hashes } = loadRunData(config, {
    cwd: options.cwd,
    ...(options.onPhase !== undefined ? { onPhase: options.onPhase } : {}),
    ...(options.hashData === true ? { hash: true } : {}),
  });
  const barInterval = resolveBarInterval(universe.time, config.barInterval);
  const firstDay = formatIsoTime(universe.time[0] as number).slice(0, 10);
  const quarters = Math.ceil(((universe.time[universe.length - 1] as number) - (universe.time[0] as number)) / (91 * 86_400_000)) + 4;
  // Synthetic point-in-time fundamentals for the universe's symbols (their only source so far),
  // made when first read (on a long or wide universe, tens of thousands of records).
  let fundamentals: PointInTimeSeries<FundamentalValues> | undefined;
  const makeFundamentals = (): PointInTimeSeries<FundamentalValues> =>
    (fundamentals ??= new PointInTimeSeries(generateSyntheticFundamentals({ symbols: universe.symbols, start: shiftYears(firstDay, -1), quarters, seed })));

  const overrides: Record<string, string> = { ...(config.execution ?? {}) };
  if (config.commissionBps !== undefined) overrides['feeBps'] = String(config.commissionBps);
  const fillModel = config.fillModel ?? 'simulator';
  if (fillModel !== 'simulator' && fillModel !== 'next-open') {
    throw new ConfigError('fillModel', `unknown fill model '${fillModel}'; available: simulator, next-open`);
  }

  const manager = config.manager === undefined ? undefined : readManagerFile(config, options.cwd);
  const strategyRef = config.strategy ?? 'sma-crossover';
  const strategyFile = manager === undefined && isStrategyFileRef(strategyRef) ? loadStrategyFile(strategyRef, options.cwd) : undefined;
  return {
    dataLabel,
    prices,
    universe,
    dataQuality,
    get fundamentals() {
      return makeFundamentals();
    },
    ...(manager !== undefined ? { manager } : {}),
    strategyName: manager !== undefined ? STRATEGY_MANAGER_NAME : (strategyFile?.definition.name ?? strategyRef),
    ...(strategyFile !== undefined ? { strategyFile } : {}),
    rawParams: config.params ?? {},
    cash: config.cash ?? 100_000,
    sizing: config.sizing ?? { kind: 'fixed-shares', shares: 100 },
    execution: resolveExecutionProfile(config.executionProfile ?? 'idealistic', overrides),
    fillModel,
    seed,
    barInterval,
    risk: planRisk(config, options.cwd, options.auditLog),
    ...(hashes !== undefined ? { dataHashes: hashes } : {}),
  };
}

/** What a plan's single strategy is built from: its strategy file's definition, or its name. */
function strategyOf(plan: RunPlan): string | StrategyDefinition {
  return plan.strategyFile?.definition ?? plan.strategyName;
}

/** Reads and checks the manager file `config.manager` (relative to `cwd`); refuses it beside a strategy. */
function readManagerFile(config: BacktestRunConfig, cwd: string): { readonly source: string; readonly spec: StrategyManagerSpec } {
  const source = config.manager as string;
  if (config.strategy !== undefined || config.params !== undefined) {
    throw new ConfigError('manager', `the manager file ${source} names the strategies and their parameters: give it without a strategy or params`);
  }
  let text: string;
  try {
    text = readFileSync(resolve(cwd, source), 'utf8');
  } catch (error) {
    throw new ConfigError('manager', `cannot read ${source} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return { source, spec: parseStrategyManagerSpec(text, source) };
}

/** One lookahead report for a manager's sleeves checked one by one: divergences name the sleeve before the symbol (`trend:AAA`). */
function mergeLookahead(reports: readonly { readonly sleeve: string; readonly report: LookaheadReport }[]): LookaheadReport {
  const divergences = reports.flatMap(({ sleeve, report }) => report.divergences.map((d) => ({ ...d, symbol: `${sleeve}:${d.symbol}` })));
  const first = reports[0]?.report;
  return Object.freeze({
    passed: reports.every((r) => r.report.passed),
    strategy: `${STRATEGY_MANAGER_NAME} (${reports.map((r) => `${r.sleeve}: ${r.report.strategy}`).join(', ')})`,
    cutoffs: first?.cutoffs ?? [],
    startOffsets: first?.startOffsets ?? [],
    warmupBars: Math.max(0, ...reports.map((r) => r.report.warmupBars)),
    comparedDecisions: reports.reduce((sum, r) => sum + r.report.comparedDecisions, 0),
    divergenceCount: reports.reduce((sum, r) => sum + r.report.divergenceCount, 0),
    divergences: divergences.slice(0, 50),
  });
}

function planRisk(config: BacktestRunConfig, cwd: string, auditLog: AuditLogRedirect | undefined): RunPlan['risk'] {
  const raw: Record<string, string> = { ...(config.risk ?? {}) };
  if (config.allowSymbols !== undefined) raw['allowSymbols'] = config.allowSymbols;
  if (config.denySymbols !== undefined) raw['denySymbols'] = config.denySymbols;
  const limits = underField('risk', () => resolveRiskLimits(raw));
  const killSwitch: KillSwitchConfig = config.killSwitch === undefined ? {} : underField('killSwitch', () => parseKillSwitchSettings(config.killSwitch ?? {}));
  const audit =
    config.auditLog === undefined
      ? undefined
      : auditLog !== undefined
        ? new JsonlAuditSink(auditLog.path, { startAfter: auditLog.startAfter })
        : new JsonlAuditSink(resolve(cwd, config.auditLog));
  return { limits, killSwitch, ...(audit !== undefined ? { audit } : {}) };
}

/** Runs `resolve`, keying a `ConfigError` it throws under `field` (`haltAtDrawdownPct` → `killSwitch.haltAtDrawdownPct`). */
function underField<T>(field: string, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof ConfigError) throw error.withKey(`${field}.${error.key}`);
    throw error;
  }
}

function shiftYears(day: string, years: number): string {
  return `${String(Number(day.slice(0, 4)) + years).padStart(4, '0')}${day.slice(4, 8)}01`;
}

/**
 * A fundamentals source made by `make` when a strategy first asks it something: the run's
 * fundamentals cost nothing to a strategy that never reads them.
 */
function madeOnFirstQuestion(make: () => AnnouncedFundamentalsSource): AnnouncedFundamentalsSource {
  let source: AnnouncedFundamentalsSource | undefined;
  return { historyAsOf: (symbol, t) => (source ??= make()).historyAsOf(symbol, t) };
}
