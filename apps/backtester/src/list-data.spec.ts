import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPrerequisite, realMarketDataPrerequisite } from '@quantbot/core/testing';
import type { CliIo } from '@quantbot/cli';
import { readYahooCsv, sharedDataFile } from '../test/shared-data';
import { main } from './main';

interface Captured {
  code: number;
  out: string;
  err: string;
}

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'quantbot-list-data-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), cwd: workDir };
  const code = await main(argv, io, new Date(Date.UTC(2026, 0, 2)), () => new Date(Date.UTC(2026, 0, 2)));
  return { code, out, err };
}

interface Listing {
  data: string;
  calendar: string;
  badFiles: number;
  files: {
    file: string;
    symbol: string | null;
    interval: string | null;
    bars: number | null;
    first: string | null;
    last: string | null;
    adjClose: boolean | null;
    gaps: { count: number; sessions: string[] } | null;
    problems: number;
    error: string | null;
  }[];
}

describeWithPrerequisite(realMarketDataPrerequisite(), 'backtester list-data', () => {
  beforeAll(() => {
    const dir = join(workDir, 'data');
    mkdirSync(dir);
    copyFileSync(sharedDataFile('orcl-2014.txt'), join(dir, 'orcl-2014.txt'));
    // Two NYSE sessions missing: Tuesday 2014-01-07 and Thursday 2014-01-09.
    writeFileSync(join(dir, 'GAPPY.csv'), 'Date,Open,High,Low,Close,Volume\n2014-01-02,10,11,9,10,100\n2014-01-03,10,11,9,10,100\n2014-01-06,10,11,9,10,100\n2014-01-08,10,11,9,10,100\n2014-01-10,10,11,9,10,100\n');
    writeFileSync(join(dir, 'corrupt.csv'), 'hello,world\n1,2\n');
    writeFileSync(join(dir, 'BADROW.csv'), 'Date,Open,High,Low,Close,Volume\n2014-01-02,10,11,9,10,100\n2014-01-03,10,11,9,abc,100\n2014-01-06,10,11,9,10,100\n');
    writeFileSync(join(dir, 'README.md'), 'not a bar file\n');
  });

  it('lists each file as JSON: symbol, interval, bars, first and last bar, gaps, adjusted closes; bad files with their error', async () => {
    const result = await cli('list-data', '--json');
    expect(result.code).toBe(1);
    const listing = JSON.parse(result.out) as Listing;
    expect(listing).toMatchObject({ data: 'data', calendar: 'nyse', badFiles: 2 });
    expect(listing.files.map((f) => f.file)).toEqual([join('data', 'BADROW.csv'), join('data', 'GAPPY.csv'), join('data', 'corrupt.csv'), join('data', 'orcl-2014.txt')]);

    const reference = readYahooCsv('orcl-2014.txt');
    const [badRow, gappy, corrupt, orcl] = listing.files;
    expect(orcl).toEqual({
      file: join('data', 'orcl-2014.txt'),
      symbol: 'ORCL',
      interval: 'daily',
      bars: reference.dates.length,
      first: reference.dates[0],
      last: reference.dates[reference.dates.length - 1],
      adjClose: true,
      gaps: { count: 0, sessions: [] },
      gapsNotChecked: null,
      problems: 0,
      error: null,
    });
    expect(gappy).toMatchObject({ symbol: 'GAPPY', interval: 'daily', bars: 5, first: '2014-01-02', last: '2014-01-10', adjClose: false, gaps: { count: 2, sessions: ['2014-01-07', '2014-01-09'] }, error: null });
    expect(corrupt).toMatchObject({ symbol: null, bars: null });
    expect(corrupt?.error).toContain("unknown column 'hello'");
    expect(badRow).toMatchObject({ symbol: 'BADROW', bars: 2, problems: 1 });
    expect(badRow?.error).toBe("line 3 (2014-01-03): 'abc' is not a number");
  });

  it('prints a table, the bad files with their error, without stopping at them', async () => {
    const result = await cli('list-data', '--data', 'data');
    expect(result.code).toBe(1);
    const lines = result.out.trimEnd().split('\n');
    expect(lines[0]).toBe('data: 4 bar file(s), gaps against the nyse calendar, 2 bad');
    expect(lines[1]).toMatch(/^\s+file\s+symbol\s+interval\s+bars\s+first\s+last\s+adj close\s+gaps$/);
    expect(result.out).toMatch(/GAPPY\.csv\s+GAPPY\s+daily\s+5\s+2014-01-02\s+2014-01-10\s+no\s+2: 2014-01-07, 2014-01-09\n/);
    expect(result.out).toMatch(/orcl-2014\.txt\s+ORCL\s+daily\s+252\s+2014-01-02\s+2014-12-31\s+yes\s+0\n/);
    expect(result.out).toMatch(/corrupt\.csv\s+error: .*unknown column 'hello'/);
    expect(result.out).toContain("BADROW.csv");
    expect(result.out).toContain("error: line 3 (2014-01-03): 'abc' is not a number");
  });

  it('writes its JSON document to --json-out, keeping the exit code', async () => {
    const result = await cli('list-data', '--json', '--json-out', 'listing.json');
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    const listing = JSON.parse(readFileSync(join(workDir, 'listing.json'), 'utf8')) as Listing;
    expect(listing.files).toHaveLength(4);
  });

  it('exits 0 for a clean folder and skips gaps for weekly bars', async () => {
    const dir = join(workDir, 'weekly');
    mkdirSync(dir);
    copyFileSync(sharedDataFile('2006-week-001.txt'), join(dir, 'WEEK.txt'));
    const result = await cli('list-data', '--data', 'weekly', '--json');
    expect(result.code).toBe(0);
    const [week] = (JSON.parse(result.out) as Listing).files;
    expect(week).toMatchObject({ symbol: 'WEEK', interval: 'weekly', bars: 52, gaps: null });
  });
});

describe('backtester list-data: bad flags', () => {
  it('names a missing folder and an unknown calendar with exit 2', async () => {
    expect((await cli('list-data', '--data', 'nowhere')).err).toContain('error: --data: nowhere does not exist');
    const calendar = await cli('list-data', '--data', '.', '--calendar', 'lse');
    expect(calendar.code).toBe(2);
    expect(calendar.err).toContain("error: --calendar: unknown calendar 'lse'");
  });
});
