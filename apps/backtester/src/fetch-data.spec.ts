import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BarUniverse } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import { FakeBarStore, startFakeMarketDataServer } from '@quantbot/alpaca/fake';
import type { FakeMarketDataServer } from '@quantbot/alpaca/fake';
import { generateSyntheticUniverse, loadBarPath } from '@quantbot/market-data';
import { main } from './main';
import type { CliIo } from '@quantbot/cli';

const KEY = 'PKFETCHTEST';
const SECRET = 'fetch-secret-must-not-print';
const CREDENTIAL_VARIABLES = ['ALPACA_API_KEY', 'ALPACA_SECRET_KEY', 'APCA_API_KEY_ID', 'APCA_API_SECRET_KEY', 'API_KEY', 'API_SECRET'];

interface Captured {
  code: number;
  out: string;
  err: string;
}

let workDir: string;
let server: FakeMarketDataServer;
let universe: BarUniverse;
const savedEnv: Record<string, string | undefined> = {};

async function cli(...argv: string[]): Promise<Captured> {
  return cliWith(undefined, ...argv);
}

async function cliWith(progress: CliIo['progress'], ...argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: workDir, ...(progress !== undefined ? { progress } : {}) };
  const code = await main(argv, io, new Date(Date.UTC(2024, 5, 1, 12)), () => new Date(Date.UTC(2024, 5, 1, 12)));
  return { code, out, err };
}

/** `fetch-data` of AAPL and MSFT, 2024-01-02 .. 2024-03-01, into `out`; `extra` flags replace those given here. */
function fetchArgs(out: string, ...extra: string[]): string[] {
  const args = ['fetch-data', '--symbols', 'AAPL,MSFT', '--start', '2024-01-02', '--end', '2024-03-01', '--out', out, '--alpaca-data-url', server.url];
  for (let i = 0; i < extra.length; i++) {
    const flag = extra[i] as string;
    const at = args.indexOf(flag);
    const value = extra[i + 1];
    if (at >= 0 && value !== undefined && !value.startsWith('--')) {
      args[at + 1] = value;
      i++;
    } else args.push(flag);
  }
  return args;
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'quantbot-fetch-data-'));
  // Seeded synthetic business days from 2024-01-02, served as Alpaca would serve them.
  universe = generateSyntheticUniverse({ symbols: [ticker('AAPL'), ticker('MSFT')], bars: 120, seed: 7, start: '2024-01-02' });
  const store = new FakeBarStore();
  store.addUniverse(universe);
  server = await startFakeMarketDataServer({ store, credentials: { keyId: KEY, secretKey: SECRET }, now: () => Date.parse('2024-06-01T12:00:00Z') });
});

afterAll(async () => {
  await server.close();
  rmSync(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const name of CREDENTIAL_VARIABLES) {
    savedEnv[name] = process.env[name];
    delete process.env[name];
  }
  process.env['ALPACA_API_KEY'] = KEY;
  process.env['ALPACA_SECRET_KEY'] = SECRET;
});

afterEach(() => {
  for (const name of CREDENTIAL_VARIABLES) {
    const value = savedEnv[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Rows the universe holds for a symbol between two dates, as the CSV should have them. */
function expectedRows(symbolIndex: number, first: string, last: string): string[] {
  const rows: string[] = [];
  for (let k = 0; k < universe.length; k++) {
    const date = new Date(universe.time[k] as number).toISOString().slice(0, 10);
    if (date < first || date > last) continue;
    const cell = symbolIndex * universe.length + k;
    rows.push([date, universe.open[cell], universe.high[cell], universe.low[cell], universe.close[cell], universe.volume[cell]].join(','));
  }
  return rows;
}

/** The CSV file fetch-data writes for a symbol's bars between two dates. */
function csvOf(symbolIndex: number, first: string, last: string): string {
  return `Date,Open,High,Low,Close,Volume\n${expectedRows(symbolIndex, first, last).join('\n')}\n`;
}

describe('backtester fetch-data', () => {
  it('downloads bars over several pages into one CSV per symbol that run --data loads', async () => {
    const before = server.requests.length;
    const result = await cli(...fetchArgs('data', '--page-size', '25'));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);

    const files = readdirSync(join(workDir, 'data')).sort();
    expect(files).toEqual(['AAPL.csv', 'MSFT.csv']);
    const aapl = readFileSync(join(workDir, 'data', 'AAPL.csv'), 'utf8').split('\n');
    expect(aapl[0]).toBe('Date,Open,High,Low,Close,Volume');
    expect(aapl.slice(1, -1)).toEqual(expectedRows(0, '2024-01-02', '2024-03-01'));
    expect(aapl[aapl.length - 1]).toBe('');
    const msft = readFileSync(join(workDir, 'data', 'MSFT.csv'), 'utf8').split('\n');
    expect(msft.slice(1, -1)).toEqual(expectedRows(1, '2024-01-02', '2024-03-01'));
    expect(aapl).toHaveLength(44 + 2); // 44 business days, header and final newline

    // 44 bars a symbol, 25 a page: two requests a symbol (fetched each on its own), the second
    // continuing from a page token.
    const requests = server.requests.slice(before);
    expect(requests).toHaveLength(4);
    const queries = requests.map((r) => new URL(r.slice(4), 'http://x').searchParams);
    for (const symbol of ['AAPL', 'MSFT']) {
      expect(queries.filter((q) => q.get('symbols') === symbol).map((q) => q.has('page_token'))).toEqual([false, true]);
    }
    expect(Object.fromEntries([...(queries.find((q) => q.get('symbols') === 'AAPL') ?? [])])).toEqual({
      symbols: 'AAPL',
      timeframe: '1Day',
      start: '2024-01-02T00:00:00-05:00',
      end: '2024-03-01T23:59:59-05:00',
      limit: '25',
      feed: 'iex',
      adjustment: 'all',
    });

    expect(result.out).toContain('fetched 1Day bars of 2 symbol(s) from Alpaca (feed iex, adjustment all)');
    expect(result.out).toMatch(/AAPL\s+44 bars {2}2024-01-02 \.\. 2024-03-01/);
    expect(result.out).toMatch(/MSFT\s+44 bars {2}2024-01-02 \.\. 2024-03-01/);

    const loaded = loadBarPath(join(workDir, 'data'));
    expect(loaded.map((s) => [s.symbol, s.length])).toEqual([
      ['AAPL', 44],
      ['MSFT', 44],
    ]);
    const run = await cli('run', '--data', 'data', '--calendar', 'weekdays', '--params', 'fast=5,slow=10', '--results-dir', 'runs', '--json');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as { summary: Record<string, unknown> };
    expect(report.summary).toEqual(expect.objectContaining({ data: 'data', symbols: 'AAPL,MSFT' }));
  });

  it('appends only the new bars on a second run, fetching from the last bar on disk', async () => {
    const first = await cli(...fetchArgs('incremental', '--end', '2024-02-01'));
    expect(first.err).toBe('');
    expect(readFileSync(join(workDir, 'incremental', 'AAPL.csv'), 'utf8')).toBe(csvOf(0, '2024-01-02', '2024-02-01'));

    const before = server.requests.length;
    const second = await cli(...fetchArgs('incremental'));
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    // The file is what one download of the whole range writes: the bar of 2024-02-01, fetched
    // again, is not repeated.
    expect(readFileSync(join(workDir, 'incremental', 'AAPL.csv'), 'utf8')).toBe(csvOf(0, '2024-01-02', '2024-03-01'));
    expect(readFileSync(join(workDir, 'incremental', 'MSFT.csv'), 'utf8')).toBe(csvOf(1, '2024-01-02', '2024-03-01'));
    const starts = server.requests.slice(before).map((r) => new URL(r.slice(4), 'http://x').searchParams.get('start'));
    expect(starts).toEqual(['2024-02-01T00:00:00-05:00', '2024-02-01T00:00:00-05:00']);
    const added = expectedRows(0, '2024-02-02', '2024-03-01').length;
    expect(added).toBeGreaterThan(10);
    expect(second.out).toContain(`AAPL     +${added} new bars  2024-02-02 .. 2024-03-01, 44 in all  ${join(workDir, 'incremental', 'AAPL.csv')} (1 overlapping bar(s) identical)`);

    // A third run finds nothing new.
    const third = await cli(...fetchArgs('incremental'));
    expect(third.code).toBe(0);
    expect(third.out).toMatch(/AAPL\s+up to date, 44 bars to 2024-03-01/);
    expect(readFileSync(join(workDir, 'incremental', 'AAPL.csv'), 'utf8')).toBe(csvOf(0, '2024-01-02', '2024-03-01'));
  });

  it('refuses to append after a bar that differs from the fetched one, naming file and date, and keeps the other symbols', async () => {
    expect((await cli(...fetchArgs('conflict', '--end', '2024-02-01'))).code).toBe(0);
    const file = join(workDir, 'conflict', 'MSFT.csv');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const last = (lines[lines.length - 1] as string).split(',');
    const fetchedClose = Number(last[4]);
    last[4] = String(fetchedClose + 1);
    lines[lines.length - 1] = last.join(',');
    const edited = `${lines.join('\n')}\n`;
    writeFileSync(file, edited);

    const result = await cli(...fetchArgs('conflict'));
    expect(result.code).toBe(1);
    expect(result.err).toContain(`error: MSFT: ${file}, symbol MSFT: the bar of 2024-02-01 differs from the one fetched now (close ${fetchedClose + 1} on disk, ${fetchedClose} now)`);
    expect(result.err).toContain('error: 1 of 2 symbol(s) failed: MSFT (the others were written)');
    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(readFileSync(join(workDir, 'conflict', 'AAPL.csv'), 'utf8')).toBe(csvOf(0, '2024-01-02', '2024-03-01'));

    // --force downloads it again from --start.
    const forced = await cli(...fetchArgs('conflict', '--force'));
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(csvOf(1, '2024-01-02', '2024-03-01'));
  });

  it('refuses to append to a file of another format, naming it', async () => {
    mkdirSync(join(workDir, 'foreign'), { recursive: true });
    writeFileSync(join(workDir, 'foreign', 'AAPL.csv'), 'Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,1,1,1,1,1\n');
    const result = await cli(...fetchArgs('foreign'));
    expect(result.code).toBe(1);
    expect(result.err).toContain(`error: AAPL: ${join(workDir, 'foreign', 'AAPL.csv')}: has the header 'Date,Open,High,Low,Close,Adj Close,Volume'; fetch-data appends only to its own files`);
    expect(readFileSync(join(workDir, 'foreign', 'MSFT.csv'), 'utf8')).toBe(csvOf(1, '2024-01-02', '2024-03-01'));
  });

  it('fetches many symbols from a symbols file, one failing without losing the others, with progress lines', async () => {
    writeFileSync(join(workDir, 'symbols.txt'), '# my list\nAAPL\nNOPE, MSFT\n\n');
    const writes: string[] = [];
    const progress = { isTTY: false, write: (t: string) => writes.push(t) > 0 };
    const result = await cliWith(progress, 'fetch-data', '--symbols-file', 'symbols.txt', '--start', '2024-01-02', '--end', '2024-01-31', '--out', 'many', '--alpaca-data-url', server.url, '--concurrency', '2');
    expect(result.code).toBe(1);
    expect(result.err).toContain('error: NOPE: symbol NOPE: Alpaca has no finished 1Day bars (feed iex) in 2024-01-02 .. 2024-01-31');
    expect(result.err).toContain('error: 1 of 3 symbol(s) failed: NOPE (the others were written)');
    expect(readdirSync(join(workDir, 'many')).sort()).toEqual(['AAPL.csv', 'MSFT.csv']);
    expect(readFileSync(join(workDir, 'many', 'MSFT.csv'), 'utf8')).toBe(csvOf(1, '2024-01-02', '2024-01-31'));
    // One plain line per symbol as it finishes, numbered in finishing order.
    const january = expectedRows(0, '2024-01-02', '2024-01-31').length;
    expect(writes.map((w) => w.replace(/ \d\/3 /, ' k/3 ')).sort()).toEqual([`fetch-data k/3 AAPL: ${january} bars\n`, `fetch-data k/3 MSFT: ${january} bars\n`, 'fetch-data k/3 NOPE: failed\n']);
    expect(writes.map((w) => /(\d)\/3/.exec(w)?.[1])).toEqual(['1', '2', '3']);
  });

  it('rewrites one progress line on a terminal, and prints none with --quiet', async () => {
    const writes: string[] = [];
    const tty = { isTTY: true, columns: 100, write: (t: string) => writes.push(t) > 0 };
    expect((await cliWith(tty, ...fetchArgs('tty'))).code).toBe(0);
    const CLEAR_LINE = '\r\u001b[K';
    expect(writes.map((w) => (w.startsWith(CLEAR_LINE) ? `<clear>${w.slice(CLEAR_LINE.length)}` : w))).toEqual([
      expect.stringMatching(/^<clear>fetch-data 1\/2 (AAPL|MSFT): 44 bars$/),
      expect.stringMatching(/^<clear>fetch-data 2\/2 (AAPL|MSFT): 44 bars$/),
      '<clear>',
    ]);
    writes.length = 0;
    // A terminal that reports a width of 0 gets 80 columns: the lines are not cut.
    expect((await cliWith({ ...tty, columns: 0 }, ...fetchArgs('width0'))).code).toBe(0);
    expect(writes[0]?.startsWith(CLEAR_LINE)).toBe(true);
    expect(writes[0]?.slice(CLEAR_LINE.length)).toMatch(/^fetch-data 1\/2 (AAPL|MSFT): 44 bars$/);
    writes.length = 0;
    expect((await cliWith(tty, ...fetchArgs('quiet', '--quiet'))).code).toBe(0);
    expect(writes).toEqual([]);
  });

  it('asks for --start only for symbols without a file', async () => {
    expect((await cli(...fetchArgs('nostart', '--end', '2024-01-31'))).code).toBe(0);
    const args = fetchArgs('nostart').filter((a, i, all) => a !== '--start' && all[i - 1] !== '--start');
    const update = await cli(...args);
    expect(update.err).toBe('');
    expect(readFileSync(join(workDir, 'nostart', 'AAPL.csv'), 'utf8')).toBe(csvOf(0, '2024-01-02', '2024-03-01'));
    const withNew = await cli('fetch-data', '--symbols', 'AAPL,MSFT,IBM', '--out', 'nostart', '--alpaca-data-url', server.url);
    expect(withNew.code).toBe(2);
    expect(withNew.err).toContain('error: --start: is required (YYYY-MM-DD) for IBM, which has no file yet');
  });

  it('never writes a bar that is not finished at the clock time', async () => {
    // The command's clock is 2024-06-01 12:00 UTC; the server has bars up to then.
    const store = new FakeBarStore();
    const day = (d: string): number => Date.parse(`${d}T04:00:00Z`); // 00:00 New York (EDT)
    store.addBars('AAPL', '1Day', ['2024-05-30', '2024-05-31', '2024-06-01'].map((d, i) => ({ time: day(d), open: 10 + i, high: 11 + i, low: 9 + i, close: 10 + i, volume: 100 })));
    const today = await startFakeMarketDataServer({ store, credentials: { keyId: KEY, secretKey: SECRET }, now: () => Date.parse('2024-06-01T12:00:00Z') });
    try {
      const result = await cli('fetch-data', '--symbols', 'AAPL', '--start', '2024-05-30', '--out', 'today', '--alpaca-data-url', today.url);
      expect(result.err).toBe('');
      expect(readFileSync(join(workDir, 'today', 'AAPL.csv'), 'utf8')).toBe('Date,Open,High,Low,Close,Volume\n2024-05-30,10,11,9,10,100\n2024-05-31,11,12,10,11,100\n');
      expect(result.out).toContain('(1 unfinished bar(s) left for a later fetch)');
    } finally {
      await today.close();
    }
  });

  it('names the environment variables when no key pair is set, and exits 2 without a request', async () => {
    for (const name of CREDENTIAL_VARIABLES) delete process.env[name];
    const before = server.requests.length;
    const result = await cli(...fetchArgs('nocreds'));
    expect(result.code).toBe(2);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.err).toContain('ALPACA_API_KEY/ALPACA_SECRET_KEY, APCA_API_KEY_ID/APCA_API_SECRET_KEY, API_KEY/API_SECRET');
    expect(server.requests.length).toBe(before);
    expect(existsSync(join(workDir, 'nocreds'))).toBe(false);
  });

  it('reports a refused key pair without printing the secret', async () => {
    process.env['ALPACA_SECRET_KEY'] = 'another-secret-value';
    const result = await cli(...fetchArgs('badkey'));
    expect(result.code).toBe(1);
    expect(result.err).toContain('HTTP 403');
    expect(result.err).not.toContain('another-secret-value');
  });

  it.each([
    [['--timeframe', '1Days'], "--timeframe: '1Days' is not an Alpaca timeframe"],
    [['--timeframe', '60Min'], "--timeframe: '60Min'"],
    [['--start', '2024-02-30'], "--start: '2024-02-30' is not a date"],
    [['--start', '01/02/2024'], "--start: '01/02/2024' is not a date"],
    [['--end', '2023-12-31'], '--end: 2023-12-31 is before --start 2024-01-02'],
    [['--symbols', 'AAPL,,MSFT'], "--symbols: empty symbol in 'AAPL,,MSFT'"],
    [['--symbols', 'AAPL,aapl'], '--symbols: AAPL is listed twice'],
    [['--symbols', 'BTC/USD'], "--symbols: 'BTC/USD' is not a stock symbol"],
    [['--feed', 'nasdaq'], "--feed: unknown value 'nasdaq'; available: iex, sip, otc"],
    [['--adjustment', 'none'], "--adjustment: unknown value 'none'"],
    [['--page-size', '0'], '--page-size: must be a whole number in 1..10000'],
    [['--page-size', '20000'], '--page-size'],
  ])('refuses %j with exit 2 before any request', async (override, message) => {
    const args = fetchArgs('invalid');
    const [flag, value] = override as [string, string];
    const at = args.indexOf(flag);
    if (at >= 0) args[at + 1] = value;
    else args.push(flag, value);
    const before = server.requests.length;
    const result = await cli(...args);
    expect(result.err).toContain(`error: ${message}`);
    expect(result.code).toBe(2);
    expect(server.requests.length).toBe(before);
  });

  it('requires --symbols, --start and --out', async () => {
    expect((await cli('fetch-data', '--start', '2024-01-02', '--out', 'x')).err).toContain('--symbols: is required');
    expect((await cli('fetch-data', '--symbols', 'AAPL', '--out', 'x')).err).toContain('--start: is required');
    expect((await cli('fetch-data', '--symbols', 'AAPL', '--start', '2024-01-02')).err).toContain('--out: is required');
  });

  it('prints its help, with no warning, without credentials', async () => {
    for (const name of CREDENTIAL_VARIABLES) delete process.env[name];
    const result = await cli('fetch-data', '--help');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('usage: backtester fetch-data (--symbols A,B | --symbols-file <file>) [--start YYYY-MM-DD]');
    expect(result.out).toContain('--alpaca-data-url <url>');
    const usage = await cli('--help');
    expect(usage.out).toContain('fetch-data   download historical bars from Alpaca');
  });

  it('writes intraday bars with ISO timestamps that the loader reads back', async () => {
    // Minute bars of one session, straight into a fresh store and server.
    const store = new FakeBarStore();
    const open = Date.parse('2024-01-03T14:30:00Z');
    store.addBars('AAPL', '1Min', [0, 1, 2].map((i) => ({ time: open + i * 60_000, open: 10 + i, high: 11 + i, low: 9 + i, close: 10.5 + i, volume: 100 * (i + 1) })));
    // A bar of the evening before (New York time), outside the session day asked for.
    store.addBars('AAPL', '1Min', [{ time: Date.parse('2024-01-03T03:00:00Z'), open: 1, high: 1, low: 1, close: 1, volume: 1 }]);
    const minuteServer = await startFakeMarketDataServer({ store, credentials: { keyId: KEY, secretKey: SECRET }, now: () => Date.parse('2024-06-01T00:00:00Z') });
    try {
      const result = await cli('fetch-data', '--symbols', 'AAPL', '--start', '2024-01-03', '--end', '2024-01-03', '--timeframe', '1Min', '--out', 'minutes', '--alpaca-data-url', minuteServer.url);
      expect(result.err).toBe('');
      expect(readFileSync(join(workDir, 'minutes', 'AAPL.csv'), 'utf8')).toBe(
        'Date,Open,High,Low,Close,Volume\n2024-01-03T14:30:00Z,10,11,9,10.5,100\n2024-01-03T14:31:00Z,11,12,10,11.5,200\n2024-01-03T14:32:00Z,12,13,11,12.5,300\n',
      );
      const [series] = loadBarPath(join(workDir, 'minutes'));
      expect(series?.time[0]).toBe(open);
    } finally {
      await minuteServer.close();
    }
  });
});
