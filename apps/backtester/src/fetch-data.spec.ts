import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: workDir };
  const code = await main(argv, io, new Date(Date.UTC(2024, 5, 1, 12)), () => new Date(Date.UTC(2024, 5, 1, 12)));
  return { code, out, err };
}

const fetchArgs = (out: string, ...extra: string[]): string[] => [
  'fetch-data',
  '--symbols',
  'AAPL,MSFT',
  '--start',
  '2024-01-02',
  '--end',
  '2024-03-01',
  '--out',
  out,
  '--alpaca-data-url',
  server.url,
  ...extra,
];

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

    // 88 bars, 25 a page: four requests, the later ones continuing from a page token.
    const requests = server.requests.slice(before);
    expect(requests).toHaveLength(4);
    const queries = requests.map((r) => new URL(r.slice(4), 'http://x').searchParams);
    expect(queries.map((q) => q.has('page_token'))).toEqual([false, true, true, true]);
    expect(Object.fromEntries([...(queries[0] ?? [])])).toEqual({
      symbols: 'AAPL,MSFT',
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

  it('refuses to overwrite existing files unless --force', async () => {
    const first = await cli(...fetchArgs('again'));
    expect(first.code).toBe(0);
    writeFileSync(join(workDir, 'again', 'MSFT.csv'), 'mine\n');
    const refused = await cli(...fetchArgs('again'));
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('MSFT.csv already exist(s); pass --force to overwrite');
    expect(readFileSync(join(workDir, 'again', 'MSFT.csv'), 'utf8')).toBe('mine\n');
    const forced = await cli(...fetchArgs('again', '--force'));
    expect(forced.code).toBe(0);
    expect(readFileSync(join(workDir, 'again', 'MSFT.csv'), 'utf8')).toMatch(/^Date,Open,High,Low,Close,Volume\n2024-01-02,/);
  });

  it('fails naming a symbol without bars, and writes nothing at all', async () => {
    const result = await cli('fetch-data', '--symbols', 'AAPL,NOPE', '--start', '2024-01-02', '--end', '2024-01-31', '--out', 'partial', '--alpaca-data-url', server.url);
    expect(result.code).toBe(1);
    expect(result.err).toContain('Alpaca has no 1Day bars (feed iex) for NOPE in 2024-01-02 .. 2024-01-31; nothing was written');
    expect(existsSync(join(workDir, 'partial'))).toBe(false);
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
    expect(result.out).toContain('usage: backtester fetch-data --symbols A,B --start YYYY-MM-DD');
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
