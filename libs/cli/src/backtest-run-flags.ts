import type { SizingRule } from '@quantbot/risk-guardrails';
import { ConfigError } from '@quantbot/core';
import { EXECUTION_PARAMETER_NAMES, EXECUTION_PROFILES } from '@quantbot/execution-sim';
import { STRATEGY_DEFINITIONS, describeParams, parseParamList } from '@quantbot/strategies';
import type { BacktestRunConfig } from '@quantbot/validation';
import type { FieldFlags } from './field-flags';
import { withFlagNames } from './field-flags';
import type { FlagSpec, FlagValues } from './flags';
import { formatFlagHelp, parseFlags } from './flags';
import { RUN_FILE_FLAGS } from './run-file';

/** Flags of `backtester run`; `sweep` and `walk-forward` share the data, cost and risk ones. */
export const BACKTEST_RUN_FLAGS: readonly FlagSpec[] = [
  { name: 'data', kind: 'string', valueName: 'file|dir', description: 'bar file (Yahoo CSV or Date,Open,High,Low,Close,Volume,OpenInterest) or a folder of them; default: synthetic data' },
  { name: 'symbols', kind: 'string', valueName: 'A,B', description: 'symbols to trade (default: all loaded)' },
  { name: 'strategy', kind: 'string', valueName: 'name|file', description: 'strategy name (default sma-crossover) or a strategy file (./my-strategy.ts, .js, .mjs; docs/strategies.md)' },
  { name: 'params', kind: 'string', valueName: 'k=v,...', description: 'strategy parameters, e.g. fast=10,slow=30' },
  { name: 'manager', kind: 'string', valueName: 'file', description: 'run several strategies in one portfolio: a manager file of sleeves (strategy, params, allocation, killSwitch) instead of --strategy and --params; docs/backtester.md' },
  { name: 'start', kind: 'string', valueName: 'YYYY-MM-DD', description: 'first bar date (inclusive)' },
  { name: 'end', kind: 'string', valueName: 'YYYY-MM-DD', description: 'last bar date (inclusive)' },
  { name: 'cash', kind: 'number', valueName: 'amount', description: 'starting cash (default 100000)' },
  { name: 'size', kind: 'number', valueName: 'shares', description: 'fixed order size in shares (default 100)' },
  { name: 'percent-of-cash', kind: 'number', valueName: 'p', description: 'size orders at floor(cash × p% / close) instead of --size: p% of the cash left' },
  { name: 'percent-of-equity', kind: 'number', valueName: 'p', description: 'size orders at floor(equity × p% / close) instead of --size: p% of cash plus open positions' },
  { name: 'vol-target', kind: 'number', valueName: 'pct', description: 'size entries to this annualized volatility, % of equity (20-bar daily volatility)' },
  { name: 'atr-risk', kind: 'number', valueName: 'pct', description: 'size entries so 2 × ATR(14) risks this % of equity' },
  { name: 'commission-bps', kind: 'number', valueName: 'bps', description: 'commission per fill in basis points of notional (sets the profile\'s feeBps)' },
  { name: 'execution-profile', kind: 'string', valueName: 'name', description: 'idealistic (default), realistic or stressed: how orders fill' },
  { name: 'execution', kind: 'string', valueName: 'k=v,...', description: 'override execution parameters, e.g. latencyMs=500,maxParticipation=0.05' },
  { name: 'fill-model', kind: 'string', valueName: 'name', description: 'simulator (default) or next-open (the simple reference model)' },
  { name: 'seed', kind: 'number', valueName: 'n', description: 'seed of the synthetic data (default 42)' },
  { name: 'bar-interval', kind: 'string', valueName: 'interval', description: 'the bar interval of the data, checked against the one detected from its times: 1m, 5m, 15m, 30m, 1h, 1d, 1w or 1mo (default: detected); annualised figures use it' },
  { name: 'bars', kind: 'number', valueName: 'n', description: 'bars per symbol of the synthetic data (default 2520)' },
  { name: 'data-quality', kind: 'string', valueName: 'mode', description: 'strict (refuse data with any error, all listed), warn (default: run and report; duplicate dates keep the last row, unsorted rows are sorted) or off' },
  { name: 'max-bar-move-pct', kind: 'number', valueName: 'pct', description: 'a one-bar close move beyond this % with no split in the adjusted close is a data error (default 50)' },
  { name: 'prices', kind: 'string', valueName: 'raw|adjusted', description: 'raw (default: prices as in the file) or adjusted: open/high/low/close scaled by Adj Close / Close per bar, volume inversely (files need an Adj Close column)' },
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
  { name: 'quiet', kind: 'boolean', description: 'no progress on stderr (by default: a bar on a terminal, otherwise a plain line every 10 s and one at the end)' },
  { name: 'timings', kind: 'boolean', description: 'print on stderr how long each step took (read, check, backtest, summary, lookahead, write), the peak memory, the CPU time used and the page faults taken' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/** The option field of {@link BacktestRunConfig} (and of what it feeds) each `backtester run` flag sets. */
export const BACKTEST_RUN_FIELD_FLAGS: FieldFlags = Object.freeze({
  data: '--data',
  symbols: '--symbols',
  strategy: '--strategy',
  params: '--params',
  manager: '--manager',
  start: '--start',
  end: '--end',
  cash: '--cash',
  startingCash: '--cash',
  'sizing.fixed-shares': '--size',
  'sizing.percent-of-cash': '--percent-of-cash',
  'sizing.percent-of-equity': '--percent-of-equity',
  'sizing.volatility-target': '--vol-target',
  'sizing.atr-risk': '--atr-risk',
  commissionBps: '--commission-bps',
  'execution.feeBps': '--commission-bps',
  executionProfile: '--execution-profile',
  'execution.': '--execution',
  fillModel: '--fill-model',
  seed: '--seed',
  bars: '--bars',
  barInterval: '--bar-interval',
  dataQuality: '--data-quality',
  maxBarMovePct: '--max-bar-move-pct',
  calendar: '--calendar',
  prices: '--prices',
  repair: '--repair',
  'risk.allowSymbols': '--allow-symbols',
  'risk.denySymbols': '--deny-symbols',
  'risk.': '--risk',
  'killSwitch.': '--kill-switch',
  auditLog: '--audit-log',
  resultsDir: '--results-dir',
});

const SIZING_FLAGS = ['size', 'percent-of-cash', 'percent-of-equity', 'vol-target', 'atr-risk'] as const;

/**
 * The run configuration `backtester run` flags state (parsed with {@link BACKTEST_RUN_FLAGS}; a
 * flag of another table that is absent here is ignored). Only what the command line itself owns is
 * checked here: that at most one sizing rule is given, and the `k=v` lists' syntax; values are
 * checked once, by the libraries the configuration goes to.
 */
export function backtestRunConfig(flags: FlagValues): BacktestRunConfig {
  const given = SIZING_FLAGS.filter((f) => flags[f] !== undefined);
  if (given.length > 1) {
    throw new ConfigError(`--${given[0] as string}`, `give one sizing rule, not ${given.map((f) => `--${f}`).join(' and ')}: either --size or --percent-of-cash, --percent-of-equity, --vol-target or --atr-risk`);
  }
  const text = (name: string): string | undefined => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const number = (name: string): number | undefined => (typeof flags[name] === 'number' ? (flags[name] as number) : undefined);
  const list = (name: string): Readonly<Record<string, string>> | undefined => {
    const value = text(name);
    return value === undefined ? undefined : parseParamList(value, `--${name}`);
  };
  const sizing = sizingRule(flags);
  const config: Record<string, unknown> = {
    data: text('data'),
    symbols: text('symbols')?.split(','),
    strategy: text('strategy'),
    params: list('params'),
    manager: text('manager'),
    start: text('start'),
    end: text('end'),
    cash: number('cash'),
    sizing,
    commissionBps: number('commission-bps'),
    executionProfile: text('execution-profile'),
    execution: list('execution'),
    fillModel: text('fill-model'),
    seed: number('seed'),
    bars: number('bars'),
    dataQuality: text('data-quality'),
    maxBarMovePct: number('max-bar-move-pct'),
    calendar: text('calendar'),
    prices: text('prices'),
    repair: text('repair'),
    risk: list('risk'),
    allowSymbols: text('allow-symbols'),
    denySymbols: text('deny-symbols'),
    killSwitch: list('kill-switch'),
    auditLog: text('audit-log'),
    checkLookahead: flags['check-lookahead'] === true ? true : undefined,
    resultsDir: text('results-dir'),
    report: flags['report'] === true ? true : undefined,
    barInterval: text('bar-interval'),
  };
  for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
  return config as BacktestRunConfig;
}

function sizingRule(flags: FlagValues): SizingRule | undefined {
  const number = (name: string): number => flags[name] as number;
  if (flags['percent-of-cash'] !== undefined) return { kind: 'percent-of-cash', percent: number('percent-of-cash') };
  if (flags['percent-of-equity'] !== undefined) return { kind: 'percent-of-equity', percent: number('percent-of-equity') };
  if (flags['vol-target'] !== undefined) return { kind: 'volatility-target', targetAnnualVolPct: number('vol-target'), lookbackBars: 20 };
  if (flags['atr-risk'] !== undefined) return { kind: 'atr-risk', riskPct: number('atr-risk'), atrPeriod: 14, atrMultiple: 2 };
  if (flags['size'] !== undefined) return { kind: 'fixed-shares', shares: number('size') };
  return undefined;
}

/**
 * Reads a command line recorded by `backtester run` (`['backtester', 'run', ...flags]`) back into
 * its configuration, for `reproduceRun` of `@quantbot/validation`; null for any other command.
 * A bad recorded flag is a `ConfigError` naming the flag.
 */
export function readBacktestCommandLine(commandLine: readonly string[]): BacktestRunConfig | null {
  const [program, command, ...argv] = commandLine;
  if (program !== 'backtester' || command !== 'run') return null;
  try {
    return backtestRunConfig(parseFlags(argv, BACKTEST_RUN_FLAGS));
  } catch (error) {
    throw withFlagNames(error, BACKTEST_RUN_FIELD_FLAGS);
  }
}

/** The help text of `backtester run`: flags, strategies and execution profiles. */
export function backtestRunHelp(): string {
  const strategies = STRATEGY_DEFINITIONS.map((d) => `  ${d.name}: ${d.description}\n    params: ${describeParams(d.params)}`).join('\n');
  return [
    'usage: backtester run [flags]',
    '',
    'Runs a backtest. With no flags: SMA crossover 10/30 on seeded synthetic data.',
    '',
    formatFlagHelp([...BACKTEST_RUN_FLAGS, ...RUN_FILE_FLAGS]),
    '',
    'strategies (or --strategy ./my-strategy.ts: a strategy file, docs/strategies.md):',
    strategies,
    '',
    `execution profiles: ${Object.keys(EXECUTION_PROFILES).join(', ')}`,
    `execution parameters (--execution): ${EXECUTION_PARAMETER_NAMES.join(', ')}`,
  ].join('\n');
}
