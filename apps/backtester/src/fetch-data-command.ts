import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BarSeries, EpochMs, Ticker } from '@quantbot/core';
import { ConfigError, DataError, QuantbotError, SeededRng, epochMs, parseTicker } from '@quantbot/core';
import type { AlpacaAdjustment, AlpacaDataFeed, AlpacaTimeframe, EnvLike } from '@quantbot/alpaca';
import {
  ALPACA_ADJUSTMENTS,
  ALPACA_BARS_MAX_LIMIT,
  ALPACA_CREDENTIAL_ENV_NAMES,
  ALPACA_DATA_FEEDS,
  ALPACA_DATA_URL,
  AlpacaMarketData,
  AlpacaMarketDataClient,
  newYorkMidnight,
  parseAlpacaTimeframe,
  resolveAlpacaCredentials,
} from '@quantbot/alpaca';
import type { BarInterval } from '@quantbot/market-data';
import { alignUniverse, formatBarDate, inferBarInterval, inferSymbolFromFileName, parseBarDate, planBarAppend, readBarFile } from '@quantbot/market-data';
import { terminalColumns, writeFileAtomically } from '@quantbot/observability';
import type { CliIo, FlagSpec, FlagValues } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

const MS_PER_DAY = 86_400_000;
/** The header of the files fetch-data writes, and the only one it appends to. */
const CSV_HEADER = 'Date,Open,High,Low,Close,Volume';
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 16;

/** Flags of `backtester fetch-data`. */
export const FETCH_DATA_FLAGS: readonly FlagSpec[] = [
  { name: 'symbols', kind: 'string', valueName: 'A,B', description: 'stock symbols to download (this and/or --symbols-file)' },
  { name: 'symbols-file', kind: 'string', valueName: 'file', description: 'a file of symbols, one a line or comma-separated; # starts a comment' },
  { name: 'start', kind: 'string', valueName: 'YYYY-MM-DD', description: 'first session (inclusive, New York date); required for a symbol without a file yet' },
  { name: 'end', kind: 'string', valueName: 'YYYY-MM-DD', description: 'last session (inclusive); default: up to now' },
  { name: 'timeframe', kind: 'string', valueName: 'tf', description: 'bar size: 1Day (default), 1Week, 1Month, [1-59]Min, [1-23]Hour' },
  { name: 'out', kind: 'string', valueName: 'dir', description: 'folder for the <SYMBOL>.csv files (required; created if missing)' },
  { name: 'feed', kind: 'string', valueName: 'name', description: 'iex (default, any plan), sip (all exchanges, paid plan) or otc' },
  { name: 'adjustment', kind: 'string', valueName: 'how', description: 'all (default: split and dividend adjusted), split, dividend or raw' },
  { name: 'page-size', kind: 'number', valueName: 'n', description: `bars per request page (default ${ALPACA_BARS_MAX_LIMIT}, the maximum)` },
  { name: 'concurrency', kind: 'number', valueName: 'n', description: `symbols fetched at once (default ${DEFAULT_CONCURRENCY}, at most ${MAX_CONCURRENCY}); 429 answers are retried with backoff` },
  { name: 'alpaca-data-url', kind: 'string', valueName: 'url', description: `market-data host (default ${ALPACA_DATA_URL}; e.g. a local fake)` },
  { name: 'force', kind: 'boolean', description: 'download existing files again from --start and replace them, instead of appending' },
  { name: 'quiet', kind: 'boolean', description: 'no progress lines' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/**
 * `backtester fetch-data`: downloads historical bars from Alpaca's Market Data API into one CSV
 * file per symbol (`<SYMBOL>.csv`, `Date,Open,High,Low,Close,Volume`) that `backtester run
 * --data <dir>` loads as it is. A symbol whose file exists is updated incrementally: its last bar
 * is fetched again with everything after it, an identical last bar is dropped, a different one
 * refuses the symbol (the history changed: `--force` downloads it again), and the new bars are
 * appended by rewriting the file atomically. Symbols are fetched `--concurrency` at a time, each
 * on its own; a failing symbol is named and makes the exit code 1, the others are written.
 * Bars not finished at the clock's time (today's daily bar) are never written.
 */
export async function fetchDataCommand(argv: readonly string[], io: CliIo, clock: () => Date, env: EnvLike = process.env): Promise<number> {
  const flags = parseFlags(argv, FETCH_DATA_FLAGS);
  if (flags['help'] === true) {
    io.out(fetchDataHelp());
    return 0;
  }
  const plan = planFetch(flags, io.cwd);
  // Resolved before any request, so that a missing key pair is one error, not one per symbol.
  const { keyId, secretKey } = resolveAlpacaCredentials(env);

  const client = new AlpacaMarketDataClient({
    credentials: { keyId, secretKey },
    now: () => clock().getTime(),
    // Jitter of retry waits only; seeded from the clock so that parallel downloads spread out.
    rng: new SeededRng(clock().getTime() % 0x1_0000_0000),
    ...(plan.dataUrl !== undefined ? { dataUrl: plan.dataUrl } : {}),
  });
  const data = new AlpacaMarketData({
    client,
    align: alignUniverse,
    timeframe: plan.timeframe.text,
    feed: plan.feed,
    adjustment: plan.adjustment,
    pageLimit: plan.pageSize,
  });
  const progress = new FetchProgress(plan.quiet ? undefined : io.progress, plan.targets.length);
  const outcomes: (SymbolOutcome | undefined)[] = new Array<SymbolOutcome | undefined>(plan.targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.targets.length) {
      const index = next++;
      const target = plan.targets[index] as FetchTarget;
      let outcome: SymbolOutcome;
      try {
        outcome = await fetchSymbol(target, plan, data, clock().getTime());
      } catch (error) {
        outcome = { kind: 'failed', target, message: error instanceof QuantbotError ? error.message : String(error) };
      }
      outcomes[index] = outcome;
      progress.report(target.symbol, outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(plan.concurrency, plan.targets.length) }, () => worker()));
  } finally {
    progress.finish();
    await client.close();
  }

  const done = outcomes.filter((o): o is SymbolOutcome => o !== undefined);
  const written = done.filter((o) => o.kind !== 'failed');
  io.out(
    [
      `fetched ${plan.timeframe.text} bars of ${written.length} symbol(s) from Alpaca (feed ${plan.feed}, adjustment ${plan.adjustment}):`,
      ...written.map((o) => `  ${describeOutcome(o, plan.timeframe)}`),
      ...(written.length > 0 ? [`load them with: backtester run --data ${plan.outDir}`] : []),
    ].join('\n'),
  );
  const failed = done.filter((o): o is FailedSymbol => o.kind === 'failed');
  for (const f of failed) io.err(`error: ${f.target.symbol}: ${f.message}`);
  if (failed.length > 0) {
    io.err(`error: ${failed.length} of ${plan.targets.length} symbol(s) failed: ${failed.map((f) => f.target.symbol).join(', ')} (the others were written)`);
    return 1;
  }
  return 0;
}

/** One symbol to fetch: its file and, unless `--force`, whether the file exists. */
interface FetchTarget {
  readonly symbol: Ticker;
  readonly file: string;
  readonly append: boolean;
}

interface FetchPlan {
  readonly targets: readonly FetchTarget[];
  readonly start: EpochMs | undefined;
  readonly end: EpochMs | undefined;
  readonly timeframe: AlpacaTimeframe;
  readonly feed: AlpacaDataFeed;
  readonly adjustment: AlpacaAdjustment;
  readonly pageSize: number;
  readonly concurrency: number;
  readonly quiet: boolean;
  readonly outDir: string;
  readonly dataUrl: string | undefined;
}

interface WrittenSymbol {
  readonly kind: 'created' | 'appended' | 'up-to-date';
  readonly target: FetchTarget;
  /** The bars written (all of a new file, the appended ones of an existing one). */
  readonly bars: BarSeries | null;
  /** Bars in the file afterwards. */
  readonly total: number;
  readonly lastTime: number;
  readonly duplicates: number;
  readonly unfinished: number;
}

interface FailedSymbol {
  readonly kind: 'failed';
  readonly target: FetchTarget;
  readonly message: string;
}

type SymbolOutcome = WrittenSymbol | FailedSymbol;

/** Fetches one symbol and writes (or appends to) its file; throws what makes it fail. */
async function fetchSymbol(target: FetchTarget, plan: FetchPlan, data: AlpacaMarketData, nowMs: number): Promise<SymbolOutcome> {
  const existing = target.append ? readExistingFile(target, plan.timeframe) : null;
  // An existing file is continued from its last bar, fetched again to check the history is unchanged.
  const start = existing !== null ? (existing.series.time[existing.series.length - 1] as EpochMs) : plan.start;
  if (start === undefined) throw new ConfigError('--start', 'is required');
  const requestStart = start;
  if (existing !== null && plan.end !== undefined && requestStart > plan.end) {
    return upToDate(target, existing.series, 0);
  }
  const [loaded] = await data.loadSeries({ symbols: [target.symbol], start: requestStart, ...(plan.end !== undefined ? { end: plan.end } : {}) });
  const { finished, unfinished } = dropUnfinished(loaded as BarSeries, plan.timeframe, nowMs);

  if (existing === null) {
    if (finished.length === 0) {
      const range = `${formatBarDate(requestStart)} .. ${plan.end === undefined ? 'now' : formatBarDate(plan.end)}`;
      throw new DataError(`Alpaca has no finished ${plan.timeframe.text} bars (feed ${plan.feed}) in ${range}; check the symbol, the dates and the feed`, { symbol: target.symbol });
    }
    writeFileAtomically(target.file, `${CSV_HEADER}\n${csvRows(finished, plan.timeframe)}`);
    return { kind: 'created', target, bars: finished, total: finished.length, lastTime: finished.time[finished.length - 1] as number, duplicates: 0, unfinished };
  }

  const { append, duplicates } = planBarAppend(existing.series, finished, target.file);
  if (append.length === 0) return upToDate(target, existing.series, duplicates, unfinished);
  const text = existing.text.endsWith('\n') ? existing.text : `${existing.text}\n`;
  writeFileAtomically(target.file, `${text}${csvRows(append, plan.timeframe)}`);
  return {
    kind: 'appended',
    target,
    bars: append,
    total: existing.series.length + append.length,
    lastTime: append.time[append.length - 1] as number,
    duplicates,
    unfinished,
  };
}

function upToDate(target: FetchTarget, series: BarSeries, duplicates: number, unfinished = 0): WrittenSymbol {
  return { kind: 'up-to-date', target, bars: null, total: series.length, lastTime: series.time[series.length - 1] as number, duplicates, unfinished };
}

/** The interval a file of each timeframe unit holds, as `inferBarInterval` tells it. */
const INTERVAL_OF_UNIT: Readonly<Record<AlpacaTimeframe['unit'], BarInterval>> = { Min: 'intraday', Hour: 'intraday', Day: 'daily', Week: 'weekly', Month: 'monthly' };

/** An existing file to append to: its text (kept as it is) and its bars; throws what forbids appending. */
function readExistingFile(target: FetchTarget, timeframe: AlpacaTimeframe): { readonly text: string; readonly series: BarSeries } {
  const text = readFileSync(target.file, 'utf8');
  const header = (text.split('\n', 1)[0] ?? '').replace(/^\uFEFF/, '').trim();
  if (header !== CSV_HEADER) {
    throw new DataError(`has the header '${header.slice(0, 80)}'; fetch-data appends only to its own files (${CSV_HEADER}): pass --force to replace it, or use another --out`, { file: target.file });
  }
  const reading = readBarFile(target.file, target.symbol);
  const problem = reading.problems[0];
  if (problem !== undefined) {
    throw new DataError(`line ${problem.line}: ${problem.message}${reading.problems.length > 1 ? ` (and ${reading.problems.length - 1} more problem(s))` : ''}; fix the file or pass --force to download it again`, { file: target.file });
  }
  const interval = inferBarInterval(reading.series);
  const expected = INTERVAL_OF_UNIT[timeframe.unit];
  if (interval !== 'unknown' && interval !== expected) {
    throw new DataError(`holds ${interval} bars, not ${timeframe.text} bars: use the file's timeframe or another --out`, { file: target.file });
  }
  return { text, series: reading.series };
}

/**
 * The end of a bar that starts at `time` (daily-style bars: 00:00 UTC of their session date):
 * minute and hour bars last their size; day, week and month bars end at New York midnight after
 * their last session date.
 */
function barEndMs(time: number, timeframe: AlpacaTimeframe): number {
  switch (timeframe.unit) {
    case 'Min':
      return time + timeframe.amount * 60_000;
    case 'Hour':
      return time + timeframe.amount * 3_600_000;
    case 'Day':
      return newYorkMidnight(time + MS_PER_DAY);
    case 'Week':
      return newYorkMidnight(time + 7 * MS_PER_DAY);
    case 'Month': {
      const date = new Date(time);
      return newYorkMidnight(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + timeframe.amount, 1));
    }
  }
}

/** The bars finished at `nowMs` (a bar still forming would change after it is written), and how many were not. */
function dropUnfinished(series: BarSeries, timeframe: AlpacaTimeframe, nowMs: number): { readonly finished: BarSeries; readonly unfinished: number } {
  let n = series.length;
  while (n > 0 && barEndMs(series.time[n - 1] as number, timeframe) > nowMs) n--;
  if (n === series.length) return { finished: series, unfinished: 0 };
  const cut = (column: Float64Array): Float64Array => column.subarray(0, n);
  return {
    finished: { symbol: series.symbol, length: n, time: cut(series.time), open: cut(series.open), high: cut(series.high), low: cut(series.low), close: cut(series.close), volume: cut(series.volume), adjClose: null },
    unfinished: series.length - n,
  };
}

function planFetch(flags: FlagValues, cwd: string): FetchPlan {
  const symbols = symbolList(flags, cwd);
  let timeframe: AlpacaTimeframe;
  try {
    timeframe = parseAlpacaTimeframe(stringFlag(flags, 'timeframe') ?? '1Day');
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError('--timeframe', error.message.replace(/^timeframe: /, ''));
    throw error;
  }
  const startDate = dateFlag(flags, 'start');
  const endDate = dateFlag(flags, 'end');
  if (startDate !== undefined && endDate !== undefined && endDate < startDate) {
    throw new ConfigError('--end', `${String(flags['end'])} is before --start ${String(flags['start'])}`);
  }
  // Daily bars: the port takes session dates. Intraday bars: the New York sessions of those dates.
  const start = startDate === undefined ? undefined : timeframe.isDaily ? startDate : epochMs(newYorkMidnight(startDate));
  const end = endDate === undefined ? undefined : timeframe.isDaily ? endDate : epochMs(newYorkMidnight(endDate + MS_PER_DAY) - 1000);

  const feed = oneOf(stringFlag(flags, 'feed') ?? 'iex', ALPACA_DATA_FEEDS, '--feed');
  const adjustment = oneOf(stringFlag(flags, 'adjustment') ?? 'all', ALPACA_ADJUSTMENTS, '--adjustment');
  const pageSize = wholeNumber(flags, 'page-size', ALPACA_BARS_MAX_LIMIT, ALPACA_BARS_MAX_LIMIT);
  const concurrency = wholeNumber(flags, 'concurrency', DEFAULT_CONCURRENCY, MAX_CONCURRENCY);

  const out = stringFlag(flags, 'out');
  if (out === undefined) throw new ConfigError('--out', 'is required (the folder for the CSV files)');
  const outDir = resolve(cwd, out);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new ConfigError('--out', `${outDir} exists and is not a folder`);
  const force = flags['force'] === true;
  const targets = symbols.map((symbol) => {
    const file = join(outDir, `${symbol}.csv`);
    return { symbol, file, append: !force && existsSync(file) };
  });
  const fresh = targets.filter((t) => !t.append).map((t) => t.symbol);
  if (start === undefined && fresh.length > 0) {
    throw new ConfigError('--start', `is required (YYYY-MM-DD) for ${fresh.length === symbols.length ? 'the symbols' : `${fresh.join(', ')}, which ha${fresh.length === 1 ? 's' : 've'} no file yet`}`);
  }

  const dataUrl = stringFlag(flags, 'alpaca-data-url');
  return { targets, start, end, timeframe, feed, adjustment, pageSize, concurrency, quiet: flags['quiet'] === true, outDir, dataUrl };
}

/** The symbols of `--symbols` and `--symbols-file`, in order, each once. */
function symbolList(flags: FlagValues, cwd: string): readonly Ticker[] {
  const listed = stringFlag(flags, 'symbols');
  const fileName = stringFlag(flags, 'symbols-file');
  if (listed === undefined && fileName === undefined) {
    throw new ConfigError('--symbols', 'is required, e.g. --symbols AAPL,MSFT (or --symbols-file <file>)');
  }
  const out: Ticker[] = [];
  if (listed !== undefined) {
    for (const part of listed.split(',')) {
      if (part.trim() === '') throw new ConfigError('--symbols', `empty symbol in '${listed}'`);
      addSymbol(out, part, '--symbols');
    }
  }
  if (fileName !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, fileName), 'utf8');
    } catch (error) {
      throw new ConfigError('--symbols-file', `cannot read ${fileName} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    text.split('\n').forEach((line, i) => {
      for (const part of line.replace(/#.*/, '').split(',')) {
        if (part.trim() !== '') addSymbol(out, part, `--symbols-file`, `${fileName}:${i + 1}: `);
      }
    });
    if (out.length === 0) throw new ConfigError('--symbols-file', `${fileName} lists no symbol`);
  }
  return out;
}

function addSymbol(out: Ticker[], part: string, flag: string, where = ''): void {
  const text = part.trim().toUpperCase();
  const symbol = parseTicker(text);
  if (symbol === undefined || symbol.includes('/')) throw new ConfigError(flag, `${where}'${part.trim()}' is not a stock symbol`);
  if (out.includes(symbol)) throw new ConfigError(flag, `${where}${symbol} is listed twice`);
  // The file must load back as the same symbol (run --data infers it from the file name).
  if (inferSymbolFromFileName(`${symbol}.csv`) !== symbol) {
    throw new ConfigError(flag, `${where}${symbol}.csv would not load back as ${symbol}`);
  }
  out.push(symbol);
}

function wholeNumber(flags: FlagValues, name: string, fallback: number, max: number): number {
  const value = flags[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigError(`--${name}`, `must be a whole number in 1..${max}, got ${String(value)}`);
  }
  return value;
}

function dateFlag(flags: FlagValues, name: 'start' | 'end'): EpochMs | undefined {
  const text = flags[name];
  if (text === undefined) return undefined;
  const time = typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? parseBarDate(text.trim()) : undefined;
  if (time === undefined) throw new ConfigError(`--${name}`, `'${String(text)}' is not a date (YYYY-MM-DD)`);
  return time;
}

function stringFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(flag, `unknown value '${value}'; available: ${allowed.join(', ')}`);
}

/** Rows of `Date,Open,High,Low,Close,Volume`, each ending in a newline: daily bars dated YYYY-MM-DD, intraday bars as ISO 8601 UTC. */
function csvRows(series: BarSeries, timeframe: AlpacaTimeframe): string {
  let text = '';
  for (let i = 0; i < series.length; i++) {
    text += `${[formatTime(series.time[i] as number, timeframe), series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i]].join(',')}\n`;
  }
  return text;
}

function formatTime(time: number, timeframe: AlpacaTimeframe): string {
  const iso = new Date(time).toISOString();
  return timeframe.isDaily ? iso.slice(0, 10) : iso.replace(/\.000Z$/, 'Z');
}

/** One line of the closing table for a symbol that was written or is up to date. */
function describeOutcome(outcome: WrittenSymbol, timeframe: AlpacaTimeframe): string {
  const { target, bars } = outcome;
  const notes = [
    ...(outcome.duplicates > 0 ? [`${outcome.duplicates} overlapping bar(s) identical`] : []),
    ...(outcome.unfinished > 0 ? [`${outcome.unfinished} unfinished bar(s) left for a later fetch`] : []),
  ];
  const tail = notes.length > 0 ? ` (${notes.join(', ')})` : '';
  const name = target.symbol.padEnd(8);
  if (bars === null) return `${name} up to date, ${outcome.total} bars to ${formatTime(outcome.lastTime, timeframe)}  ${target.file}${tail}`;
  const range = `${formatTime(bars.time[0] as number, timeframe)} .. ${formatTime(outcome.lastTime, timeframe)}`;
  if (outcome.kind === 'created') return `${name} ${String(bars.length).padStart(7)} bars  ${range}  ${target.file}${tail}`;
  return `${name} +${bars.length} new bars  ${range}, ${outcome.total} in all  ${target.file}${tail}`;
}

/**
 * Progress per symbol on the progress stream: on a terminal one line rewritten in place (80
 * columns when it reports a width of 0), otherwise a plain line per finished symbol; none without
 * a stream (or with `--quiet`). Not `createProgress`: each line names the symbol and its outcome,
 * and a download is slow enough that a line per symbol is what a CI log wants.
 */
class FetchProgress {
  readonly #stream: CliIo['progress'];
  readonly #total: number;
  #done = 0;

  constructor(stream: CliIo['progress'], total: number) {
    this.#stream = stream;
    this.#total = total;
  }

  report(symbol: Ticker, outcome: SymbolOutcome): void {
    this.#done++;
    const stream = this.#stream;
    if (stream === undefined) return;
    const what =
      outcome.kind === 'failed' ? 'failed' : outcome.kind === 'up-to-date' ? 'up to date' : `${outcome.bars?.length ?? 0} ${outcome.kind === 'created' ? 'bars' : 'new bars'}`;
    const line = `fetch-data ${this.#done}/${this.#total} ${symbol}: ${what}`;
    if (stream.isTTY === true) stream.write(`\r\u001b[K${line.slice(0, Math.max(20, terminalColumns(stream.columns) - 1))}`);
    else stream.write(`${line}\n`);
  }

  finish(): void {
    if (this.#stream?.isTTY === true && this.#done > 0) this.#stream.write('\r\u001b[K');
  }
}

function fetchDataHelp(): string {
  const names = ALPACA_CREDENTIAL_ENV_NAMES.map(([k, s]) => `${k}/${s}`).join(', ');
  return [
    'usage: backtester fetch-data (--symbols A,B | --symbols-file <file>) [--start YYYY-MM-DD] [--end YYYY-MM-DD] --out <dir> [flags]',
    '',
    "Downloads historical bars from Alpaca's Market Data API v2 into <dir>/<SYMBOL>.csv",
    '(Date,Open,High,Low,Close,Volume), ready for: backtester run --data <dir>',
    'A file that exists is continued from its last bar: that bar is fetched again and must be',
    'unchanged (else the symbol fails: the history changed; --force downloads it again), and',
    'the newer finished bars are appended. A failing symbol is named and exits 1; the others are kept.',
    '',
    formatFlagHelp(FETCH_DATA_FLAGS),
    '',
    `credentials: an Alpaca key pair in the environment, one of ${names}`,
    'adjustment: research data defaults to all (split and dividend adjusted) so that returns have no false',
    'jumps on splits and ex-dividend days; use raw to see prices as they traded. Adjusted history changes',
    'after every split and dividend: an update then fails on the changed last bar, and --force refetches.',
  ].join('\n');
}
