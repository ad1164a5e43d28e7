import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BarSeries, EpochMs, Ticker } from '@quantbot/core';
import { ConfigError, DataError, SeededRng, epochMs, parseTicker } from '@quantbot/core';
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
} from '@quantbot/alpaca';
import { alignUniverse, formatBarDate, inferSymbolFromFileName, parseBarDate } from '@quantbot/market-data';
import { writeFileAtomically } from '@quantbot/observability';
import type { CliIo, FlagSpec, FlagValues } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

const MS_PER_DAY = 86_400_000;

/** Flags of `backtester fetch-data`. */
export const FETCH_DATA_FLAGS: readonly FlagSpec[] = [
  { name: 'symbols', kind: 'string', valueName: 'A,B', description: 'stock symbols to download (required)' },
  { name: 'start', kind: 'string', valueName: 'YYYY-MM-DD', description: 'first session (inclusive, New York date; required)' },
  { name: 'end', kind: 'string', valueName: 'YYYY-MM-DD', description: 'last session (inclusive); default: up to now' },
  { name: 'timeframe', kind: 'string', valueName: 'tf', description: 'bar size: 1Day (default), 1Week, 1Month, [1-59]Min, [1-23]Hour' },
  { name: 'out', kind: 'string', valueName: 'dir', description: 'folder for the <SYMBOL>.csv files (required; created if missing)' },
  { name: 'feed', kind: 'string', valueName: 'name', description: 'iex (default, any plan), sip (all exchanges, paid plan) or otc' },
  { name: 'adjustment', kind: 'string', valueName: 'how', description: 'all (default: split and dividend adjusted), split, dividend or raw' },
  { name: 'page-size', kind: 'number', valueName: 'n', description: `bars per request page, all symbols together (default ${ALPACA_BARS_MAX_LIMIT}, the maximum)` },
  { name: 'alpaca-data-url', kind: 'string', valueName: 'url', description: `market-data host (default ${ALPACA_DATA_URL}; e.g. a local fake)` },
  { name: 'force', kind: 'boolean', description: 'overwrite existing files' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/**
 * `backtester fetch-data`: downloads historical bars from Alpaca's Market Data API into one CSV
 * file per symbol (`<SYMBOL>.csv`, `Date,Open,High,Low,Close,Volume`) that `backtester run
 * --data <dir>` loads as it is. Nothing is written unless every symbol has bars; each file is
 * written atomically, and existing files are kept unless `--force`.
 */
export async function fetchDataCommand(argv: readonly string[], io: CliIo, clock: () => Date, env: EnvLike = process.env): Promise<number> {
  const flags = parseFlags(argv, FETCH_DATA_FLAGS);
  if (flags['help'] === true) {
    io.out(fetchDataHelp());
    return 0;
  }
  const plan = planFetch(flags, io.cwd);

  const client = new AlpacaMarketDataClient({
    env,
    now: () => clock().getTime(),
    // Jitter of retry waits only; seeded from the clock so that parallel downloads spread out.
    rng: new SeededRng(clock().getTime() % 0x1_0000_0000),
    ...(plan.dataUrl !== undefined ? { dataUrl: plan.dataUrl } : {}),
  });
  let series: readonly BarSeries[];
  try {
    const data = new AlpacaMarketData({
      client,
      align: alignUniverse,
      timeframe: plan.timeframe.text,
      feed: plan.feed,
      adjustment: plan.adjustment,
      pageLimit: plan.pageSize,
    });
    series = await data.loadSeries({ symbols: plan.symbols, start: plan.start, ...(plan.end !== undefined ? { end: plan.end } : {}) });
  } finally {
    await client.close();
  }

  const empty = series.filter((s) => s.length === 0).map((s) => s.symbol);
  if (empty.length > 0) {
    const range = `${formatBarDate(plan.start)} .. ${plan.end === undefined ? 'now' : formatBarDate(plan.end)}`;
    throw new DataError(
      `Alpaca has no ${plan.timeframe.text} bars (feed ${plan.feed}) for ${empty.join(', ')} in ${range}; nothing was written (check the symbol, the dates and the feed)`,
      { symbol: empty.join(',') },
    );
  }

  const rows: string[] = [];
  for (const s of series) {
    const file = join(plan.outDir, `${s.symbol}.csv`);
    writeFileAtomically(file, toCsv(s, plan.timeframe));
    const first = formatTime(s.time[0] as number, plan.timeframe);
    const last = formatTime(s.time[s.length - 1] as number, plan.timeframe);
    rows.push(`  ${s.symbol.padEnd(8)} ${String(s.length).padStart(7)} bars  ${first} .. ${last}  ${file}`);
  }
  io.out(
    [
      `fetched ${plan.timeframe.text} bars of ${series.length} symbol(s) from Alpaca (feed ${plan.feed}, adjustment ${plan.adjustment}):`,
      ...rows,
      `load them with: backtester run --data ${plan.outDir}`,
    ].join('\n'),
  );
  return 0;
}

interface FetchPlan {
  readonly symbols: readonly Ticker[];
  readonly start: EpochMs;
  readonly end: EpochMs | undefined;
  readonly timeframe: AlpacaTimeframe;
  readonly feed: AlpacaDataFeed;
  readonly adjustment: AlpacaAdjustment;
  readonly pageSize: number;
  readonly outDir: string;
  readonly dataUrl: string | undefined;
}

function planFetch(flags: FlagValues, cwd: string): FetchPlan {
  const symbols = symbolsFlag(flags['symbols']);
  let timeframe: AlpacaTimeframe;
  try {
    timeframe = parseAlpacaTimeframe(stringFlag(flags, 'timeframe') ?? '1Day');
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError('--timeframe', error.message.replace(/^timeframe: /, ''));
    throw error;
  }
  const startDate = dateFlag(flags, 'start');
  if (startDate === undefined) throw new ConfigError('--start', 'is required (YYYY-MM-DD)');
  const endDate = dateFlag(flags, 'end');
  if (endDate !== undefined && endDate < startDate) {
    throw new ConfigError('--end', `${String(flags['end'])} is before --start ${String(flags['start'])}`);
  }
  // Daily bars: the port takes session dates. Intraday bars: the New York sessions of those dates.
  const start = timeframe.isDaily ? startDate : epochMs(newYorkMidnight(startDate));
  const end = endDate === undefined ? undefined : timeframe.isDaily ? endDate : epochMs(newYorkMidnight(endDate + MS_PER_DAY) - 1000);

  const feed = oneOf(stringFlag(flags, 'feed') ?? 'iex', ALPACA_DATA_FEEDS, '--feed');
  const adjustment = oneOf(stringFlag(flags, 'adjustment') ?? 'all', ALPACA_ADJUSTMENTS, '--adjustment');
  const pageSize = flags['page-size'] ?? ALPACA_BARS_MAX_LIMIT;
  if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > ALPACA_BARS_MAX_LIMIT) {
    throw new ConfigError('--page-size', `must be a whole number in 1..${ALPACA_BARS_MAX_LIMIT}, got ${String(pageSize)}`);
  }

  const out = stringFlag(flags, 'out');
  if (out === undefined) throw new ConfigError('--out', 'is required (the folder for the CSV files)');
  const outDir = resolve(cwd, out);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new ConfigError('--out', `${outDir} exists and is not a folder`);
  if (flags['force'] !== true) {
    const existing = symbols.map((s) => join(outDir, `${s}.csv`)).filter((file) => existsSync(file));
    if (existing.length > 0) throw new ConfigError('--out', `${existing.join(', ')} already exist(s); pass --force to overwrite`);
  }

  const dataUrl = stringFlag(flags, 'alpaca-data-url');
  return { symbols, start, end, timeframe, feed, adjustment, pageSize, outDir, dataUrl };
}

function symbolsFlag(value: string | number | boolean | undefined): readonly Ticker[] {
  if (typeof value !== 'string') throw new ConfigError('--symbols', 'is required, e.g. --symbols AAPL,MSFT');
  const out: Ticker[] = [];
  for (const part of value.split(',')) {
    const text = part.trim().toUpperCase();
    if (text === '') throw new ConfigError('--symbols', `empty symbol in '${value}'`);
    const symbol = parseTicker(text);
    if (symbol === undefined || symbol.includes('/')) throw new ConfigError('--symbols', `'${part}' is not a stock symbol`);
    if (out.includes(symbol)) throw new ConfigError('--symbols', `${symbol} is listed twice`);
    // The file must load back as the same symbol (run --data infers it from the file name).
    if (inferSymbolFromFileName(`${symbol}.csv`) !== symbol) {
      throw new ConfigError('--symbols', `${symbol}.csv would not load back as ${symbol}`);
    }
    out.push(symbol);
  }
  return out;
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

/** `Date,Open,High,Low,Close,Volume`: daily bars dated YYYY-MM-DD, intraday bars as ISO 8601 UTC. */
function toCsv(series: BarSeries, timeframe: AlpacaTimeframe): string {
  const lines = ['Date,Open,High,Low,Close,Volume'];
  for (let i = 0; i < series.length; i++) {
    lines.push(
      [
        formatTime(series.time[i] as number, timeframe),
        series.open[i] as number,
        series.high[i] as number,
        series.low[i] as number,
        series.close[i] as number,
        series.volume[i] as number,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function formatTime(time: number, timeframe: AlpacaTimeframe): string {
  const iso = new Date(time).toISOString();
  return timeframe.isDaily ? iso.slice(0, 10) : iso.replace(/\.000Z$/, 'Z');
}

function fetchDataHelp(): string {
  const names = ALPACA_CREDENTIAL_ENV_NAMES.map(([k, s]) => `${k}/${s}`).join(', ');
  return [
    'usage: backtester fetch-data --symbols A,B --start YYYY-MM-DD [--end YYYY-MM-DD] --out <dir> [flags]',
    '',
    "Downloads historical bars from Alpaca's Market Data API v2 into <dir>/<SYMBOL>.csv",
    '(Date,Open,High,Low,Close,Volume), ready for: backtester run --data <dir>',
    '',
    formatFlagHelp(FETCH_DATA_FLAGS),
    '',
    `credentials: an Alpaca key pair in the environment, one of ${names}`,
    'adjustment: research data defaults to all (split and dividend adjusted) so that returns have no false',
    'jumps on splits and ex-dividend days; use raw to see prices as they traded.',
  ].join('\n');
}
