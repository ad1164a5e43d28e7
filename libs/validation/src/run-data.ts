import { relative, resolve } from 'node:path';
import type { BarSeries, BarUniverse, EpochMs, Ticker } from '@quantbot/core';
import { ConfigError, parseTicker } from '@quantbot/core';
import type { BarSource, DataQualityMode, DataQualityOutcome, ExchangeCalendar } from '@quantbot/data-quality';
import { NYSE_CALENDAR, WEEKDAY_CALENDAR, applyDataQuality } from '@quantbot/data-quality';
import type { BarFileHash, BarPrices } from '@quantbot/market-data';
import { BAR_PRICES, adjustSeriesPrices, alignUniverse, generateSyntheticUniverse, parseBarDate, readBarPath, selectSymbols, seriesFromUniverse, seriesInRange } from '@quantbot/market-data';

/**
 * Where a session's bars come from and how they are checked: the option fields `backtester run`
 * and `live-trader run --broker sim` share. Every field is optional.
 */
export interface RunDataConfig {
  /** A bar file or a folder of them, relative to `cwd`; absent: seeded synthetic data. */
  readonly data?: string;
  /** Symbols to use (default: all loaded; for synthetic data, their names). */
  readonly symbols?: readonly string[];
  /** First and last bar date (inclusive), `YYYY-MM-DD`. */
  readonly start?: string;
  readonly end?: string;
  /** Seed of the synthetic data (default 42). */
  readonly seed?: number;
  /** Bars per symbol of the synthetic data (default 2520). */
  readonly bars?: number;
  /** `strict`, `warn` (default) or `off`. */
  readonly dataQuality?: string;
  /** A one-bar close move beyond this % is a data error (default 50). */
  readonly maxBarMovePct?: number;
  /** `nyse` (default for files), `weekdays` (default for synthetic data) or `none`. */
  readonly calendar?: string;
  /** `forward-fill`, or absent for no repair. */
  readonly repair?: string;
  /**
   * `raw` (default: the prices as written) or `adjusted`: open, high, low and close scaled by
   * each bar's `Adj Close / Close`, volume inversely (`adjustSeriesPrices` of
   * `@quantbot/market-data`); every file must have an `Adj Close` column.
   */
  readonly prices?: string;
}

/** The bars a session uses, checked, and how they were checked. */
export interface RunData {
  /** `orcl.csv`, or `synthetic(seed=42,bars=2520)`. */
  readonly dataLabel: string;
  readonly universe: BarUniverse;
  readonly dataQuality: DataQualityOutcome;
  readonly seed: number;
  /** The prices traded on: `raw`, or `adjusted` (scaled to the files' `Adj Close`). */
  readonly prices: BarPrices;
  /** With `LoadRunDataOptions.hash`: each bar file read, with the SHA-256 of the bytes parsed (absolute paths). */
  readonly hashes?: readonly BarFileHash[];
}

export interface LoadRunDataOptions {
  /** The folder `data` is resolved from (and files are named relative to, in findings). */
  readonly cwd: string;
  /** How many synthetic symbols to make when `symbols` is absent (default 5). */
  readonly syntheticSymbols?: number;
  /** Hears each step as it starts: `read` (the bar files, or the synthetic data), then `check` (the data-quality gate and alignment). */
  readonly onPhase?: (phase: RunDataPhase) => void;
  /** Hash each bar file's bytes as they are read (`RunData.hashes`), for a run manifest. */
  readonly hash?: boolean;
}

/** A step of {@link loadRunData}, for progress. */
export type RunDataPhase = 'read' | 'check';

/**
 * Loads a session's bars and passes them through the data-quality gate, as every session that
 * trades on recorded or synthetic bars does (a backtest, a paper replay): reads the bar files
 * (or makes the seeded synthetic data), selects the symbols and dates, checks (and, only when
 * asked, repairs) them, and aligns the universe. Row problems of the files (file, line, date) are
 * weighed by the gate with its own checks: `strict` refuses data with any error, `warn` reports.
 *
 * Throws a `ConfigError` naming the option field (`start`, `calendar`, `dataQuality`, ...) for a
 * bad value, a `DataQualityError` listing every error for refused data, a `DataError` for
 * unreadable data.
 */
export function loadRunData(config: RunDataConfig, options: LoadRunDataOptions): RunData {
  const { cwd } = options;
  const start = optionalDate(config.start, 'start');
  const end = optionalDate(config.end, 'end');
  if (start !== undefined && end !== undefined && start > end) {
    throw new ConfigError('start', `${String(config.start)} is after the end ${String(config.end)}`);
  }
  const symbols = optionalSymbols(config.symbols);
  const seed = config.seed ?? 42;
  const prices = pricesOption(config.prices);
  if (prices === 'adjusted' && config.data === undefined) {
    throw new ConfigError('prices', 'synthetic data has no adjusted closes: adjusted prices need bar files with an Adj Close column');
  }
  let series: readonly BarSeries[];
  let dataLabel: string;
  let sources: readonly BarSource[] = [];
  let hashes: readonly BarFileHash[] | undefined;
  options.onPhase?.('read');
  if (config.data !== undefined) {
    // Files are named relative to the working directory (as the user names them), so that what a
    // run records does not depend on where the checkout lives.
    const read = readBarPath(resolve(cwd, config.data), { hash: options.hash === true });
    const readings = read.readings;
    hashes = read.hashes;
    // Adjusted before the data-quality gate, so that it checks the prices the session trades on.
    series = readings.map((reading) => (prices === 'adjusted' ? adjustSeriesPrices(reading.series, relative(cwd, reading.file)) : reading.series));
    sources = readings.map((reading) => ({
      ...reading,
      file: relative(cwd, reading.file),
      problems: reading.problems.map((problem) => ({ ...problem, file: relative(cwd, problem.file) })),
    }));
    dataLabel = config.data;
  } else {
    const bars = config.bars ?? 2520;
    if (!Number.isInteger(bars) || bars < 2) throw new ConfigError('bars', `must be a whole number ≥ 2, got ${bars}`);
    const synthetic = generateSyntheticUniverse({ seed, bars, symbols: symbols ?? options.syntheticSymbols ?? 5 });
    series = synthetic.symbols.map((_, i) => seriesFromUniverse(synthetic, i));
    dataLabel = `synthetic(seed=${seed},bars=${bars})`;
  }
  if (symbols !== undefined) series = selectSymbols(series, symbols);
  const range: { start?: EpochMs; end?: EpochMs } = {};
  if (start !== undefined) range.start = start;
  if (end !== undefined) range.end = end;
  options.onPhase?.('check');
  const checked = applyDataQuality(seriesInRange(series, range), {
    mode: dataQualityMode(config.dataQuality),
    calendar: chooseCalendar(config.calendar, config.data !== undefined),
    repair: repairOption(config.repair),
    sources,
    ...(config.maxBarMovePct !== undefined ? { maxBarMovePct: maxBarMovePct(config.maxBarMovePct) } : {}),
  });
  return { dataLabel, universe: alignUniverse(checked.series, range), dataQuality: checked.outcome, seed, prices, ...(hashes !== undefined ? { hashes } : {}) };
}

function pricesOption(prices = 'raw'): BarPrices {
  const known = BAR_PRICES.find((p) => p === prices);
  if (known === undefined) throw new ConfigError('prices', `unknown prices '${prices}'; available: ${BAR_PRICES.join(', ')}`);
  return known;
}

function dataQualityMode(mode = 'warn'): DataQualityMode {
  if (mode !== 'strict' && mode !== 'warn' && mode !== 'off') {
    throw new ConfigError('dataQuality', `unknown mode '${mode}'; available: strict, warn, off`);
  }
  return mode;
}

function maxBarMovePct(value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError('maxBarMovePct', `must be a percentage > 0, got ${String(value)}`);
  return value;
}

function chooseCalendar(name: string | undefined, isFileData: boolean): ExchangeCalendar | null {
  const chosen = name ?? (isFileData ? 'nyse' : 'weekdays');
  if (chosen === 'nyse') return NYSE_CALENDAR;
  if (chosen === 'weekdays') return WEEKDAY_CALENDAR;
  if (chosen === 'none') return null;
  throw new ConfigError('calendar', `unknown calendar '${chosen}'; available: nyse, weekdays, none`);
}

function repairOption(how: string | undefined): 'forward-fill' | null {
  if (how === undefined) return null;
  if (how !== 'forward-fill') throw new ConfigError('repair', `unknown repair '${how}'; available: forward-fill`);
  return how;
}

function optionalDate(text: string | undefined, field: 'start' | 'end'): EpochMs | undefined {
  if (text === undefined) return undefined;
  const time = parseBarDate(text);
  if (time === undefined) throw new ConfigError(field, `'${text}' is not a date (YYYY-MM-DD)`);
  return time;
}

function optionalSymbols(names: readonly string[] | undefined): readonly Ticker[] | undefined {
  if (names === undefined) return undefined;
  const out: Ticker[] = [];
  for (const name of names) {
    const symbol = parseTicker(name.trim().toUpperCase());
    if (symbol === undefined) throw new ConfigError('symbols', `'${name}' is not a valid symbol`);
    out.push(symbol);
  }
  if (out.length === 0) throw new ConfigError('symbols', 'no symbols given');
  return out;
}
