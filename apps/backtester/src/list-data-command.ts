import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { ConfigError, QuantbotError } from '@quantbot/core';
import type { ExchangeCalendar } from '@quantbot/data-quality';
import { NYSE_CALENDAR, WEEKDAY_CALENDAR, validateSeries } from '@quantbot/data-quality';
import type { BarInterval, OhlcvCsvReading } from '@quantbot/market-data';
import { BAR_FILE_EXTENSIONS, formatBarDate, inferBarInterval, inferSymbolFromFileName, readBarFile } from '@quantbot/market-data';
import type { CliIo, FlagSpec } from '@quantbot/cli';
import { formatFlagHelp, parseFlags } from '@quantbot/cli';

/** Flags of `backtester list-data`. */
export const LIST_DATA_FLAGS: readonly FlagSpec[] = [
  { name: 'data', kind: 'string', valueName: 'dir', description: 'the folder of bar files to list (default data)' },
  { name: 'calendar', kind: 'string', valueName: 'name', description: 'sessions to find gaps against: nyse (default), weekdays or none' },
  { name: 'json', kind: 'boolean', description: 'print the listing as one JSON document' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

/** Missing sessions listed per file (the count is always whole). */
const LISTED_GAPS = 20;

/** One bar file as `list-data` sees it. */
interface BarFileListing {
  /** The file, relative to the working directory. */
  readonly file: string;
  readonly symbol: string | null;
  readonly interval: BarInterval | null;
  /** Usable bars (rows with a problem are left out). */
  readonly bars: number | null;
  readonly first: string | null;
  readonly last: string | null;
  readonly adjClose: boolean | null;
  /** Sessions of the calendar with no bar between the first and last bar; null when not checked (with why). */
  readonly gaps: { readonly count: number; readonly sessions: readonly string[] } | null;
  readonly gapsNotChecked: string | null;
  /** Row problems of the file (malformed, unsorted, duplicate rows...). */
  readonly problems: number;
  /** Why the file cannot be used: its first problem, or what made it unreadable; null when clean. */
  readonly error: string | null;
}

/**
 * `backtester list-data`: what bar files a folder holds, one entry per file (`.csv`, `.txt`):
 * symbol, interval (from the time axis), bars, first and last bar, whether adjusted closes are
 * present, and the sessions missing against the calendar (data-quality's `missing-session`
 * check). A file that cannot be read, or has row problems, is listed with its error; the listing
 * goes on, and the exit code is 1 when any file is bad.
 */
export function listDataCommand(argv: readonly string[], io: CliIo): number {
  const flags = parseFlags(argv, LIST_DATA_FLAGS);
  if (flags['help'] === true) {
    io.out(`usage: backtester list-data [--data <dir>] [--json]\n\nLists the bar files of a folder: symbol, interval, bars, first and last bar, gaps, adjusted closes.\n\n${formatFlagHelp(LIST_DATA_FLAGS)}`);
    return 0;
  }
  const dataFlag = typeof flags['data'] === 'string' ? flags['data'] : 'data';
  const dir = resolve(io.cwd, dataFlag);
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new ConfigError('--data', `${dataFlag} does not exist`);
  }
  if (!isDirectory) throw new ConfigError('--data', `${dataFlag} is not a folder`);
  const calendarName = typeof flags['calendar'] === 'string' ? flags['calendar'] : 'nyse';
  const calendar = chooseCalendar(calendarName);

  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && BAR_FILE_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext)))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files = names.map((name) => listFile(join(dir, name), relative(io.cwd, join(dir, name)) || name, calendar));
  const bad = files.filter((f) => f.error !== null).length;

  if (flags['json'] === true) {
    io.out(JSON.stringify({ data: dataFlag, calendar: calendarName, files, badFiles: bad }, null, 2));
  } else {
    io.out(formatListing(dataFlag, calendarName, files));
  }
  return bad > 0 ? 1 : 0;
}

function listFile(path: string, file: string, calendar: ExchangeCalendar | null): BarFileListing {
  const none = { symbol: null, interval: null, bars: null, first: null, last: null, adjClose: null, gaps: null, gapsNotChecked: null, problems: 0 };
  let reading: OhlcvCsvReading;
  try {
    reading = readBarFile(path, inferSymbolFromFileName(path));
  } catch (error) {
    const message = error instanceof QuantbotError ? error.message : String(error);
    return { file, ...none, error: message.replace(path, basename(path)) };
  }
  const { series, problems } = reading;
  const first = problems[0];
  let gaps: BarFileListing['gaps'] = null;
  let gapsNotChecked: string | null = calendar === null ? 'no calendar' : null;
  if (calendar !== null && series.length > 0) {
    const findings = validateSeries(series, { calendar });
    const skipped = findings.find((f) => f.check === 'calendar-not-applicable');
    if (skipped !== undefined) gapsNotChecked = skipped.message.replace(`${series.symbol} `, '');
    else {
      const missing = findings.filter((f) => f.check === 'missing-session' && f.time !== null).map((f) => formatBarDate(f.time as number));
      gaps = { count: missing.length, sessions: missing.slice(0, LISTED_GAPS) };
    }
  }
  return {
    file,
    symbol: series.symbol,
    interval: inferBarInterval(series),
    bars: series.length,
    first: series.length > 0 ? formatBarDate(series.time[0] as number) : null,
    last: series.length > 0 ? formatBarDate(series.time[series.length - 1] as number) : null,
    adjClose: series.adjClose !== null,
    gaps,
    gapsNotChecked,
    problems: problems.length,
    error: first === undefined ? null : `line ${first.line}${first.date === null ? '' : ` (${first.date})`}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''}`,
  };
}

function chooseCalendar(name: string): ExchangeCalendar | null {
  if (name === 'nyse') return NYSE_CALENDAR;
  if (name === 'weekdays') return WEEKDAY_CALENDAR;
  if (name === 'none') return null;
  throw new ConfigError('--calendar', `unknown calendar '${name}'; available: nyse, weekdays, none`);
}

function formatListing(data: string, calendar: string, files: readonly BarFileListing[]): string {
  const header = ['file', 'symbol', 'interval', 'bars', 'first', 'last', 'adj close', 'gaps'];
  const rows = files.map((f) =>
    f.symbol === null
      ? [f.file, `error: ${f.error ?? ''}`]
      : [
          f.file,
          f.symbol,
          f.interval ?? '',
          String(f.bars),
          f.first ?? '',
          f.last ?? '',
          f.adjClose === true ? 'yes' : 'no',
          (f.gaps === null ? `not checked (${f.gapsNotChecked ?? ''})` : f.gaps.count === 0 ? '0' : `${f.gaps.count}: ${f.gaps.sessions.slice(0, 5).join(', ')}${f.gaps.count > 5 ? ', ...' : ''}`) +
            (f.error === null ? '' : `; error: ${f.error}`),
        ],
  );
  const widths = header.slice(0, -1).map((h, c) => Math.max(h.length, ...rows.filter((r) => r.length > 2).map((r) => (r[c] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells.length === 2 ? `  ${(cells[0] as string).padEnd(widths[0] as number)}  ${cells[1] as string}` : `  ${cells.map((cell, c) => (c < widths.length ? cell.padEnd(widths[c] as number) : cell)).join('  ')}`;
  const bad = files.filter((f) => f.error !== null).length;
  return [
    `${data}: ${files.length} bar file(s), gaps against the ${calendar} calendar${bad > 0 ? `, ${bad} bad` : ''}`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}
