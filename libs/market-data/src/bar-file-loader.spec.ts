import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError, ticker } from '@quantbot/core';
import { describeWithPrerequisite, realMarketDataDir, realMarketDataPrerequisite } from '@quantbot/core/testing';
import { formatBarDate } from './bar-date';
import { inferSymbolFromFileName, loadBarFile, loadBarPath, readBarPath } from './bar-file-loader';
import { inferBarInterval } from './bar-interval';
import { readOhlcvCsv } from './ohlcv-csv-parser';

const DATA = realMarketDataDir();
const dataFile = (name: string) => path.join(DATA, name);

function errorOf(action: () => unknown): DataError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError');
}

describe('inferSymbolFromFileName', () => {
  it.each([
    ['orcl-1995-2014.txt', 'ORCL'],
    ['/some/dir/yhoo-2003-2005.txt', 'YHOO'],
    ['nvda-2014.csv', 'NVDA'],
    ['2006-day-001.txt', '2006-DAY-001'],
    ['2005-2006-day-001.txt', '2005-2006-DAY-001'],
    ['spy.csv', 'SPY'],
    ['my data.csv', 'MY-DATA'],
    ['BRK.B.csv', 'BRK.B'],
  ])('infers %s as %s', (name, expected) => {
    expect(inferSymbolFromFileName(name)).toBe(expected);
  });

  it.each(['.csv', '-abc.txt', `${'x'.repeat(40)}.csv`])('rejects %p, which gives no valid ticker', (name) => {
    expect(errorOf(() => inferSymbolFromFileName(name)).message).toContain('cannot infer a ticker');
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'loadBarFile on the shared real data', () => {
  it('loads orcl-1995-2014.txt: 5036 bars from 1995-01-03 to 2014-12-31 with exact first values', () => {
    const series = loadBarFile(dataFile('orcl-1995-2014.txt'));
    expect(series.symbol).toBe('ORCL');
    expect(series.length).toBe(5036);
    expect(formatBarDate(series.time[0] as number)).toBe('1995-01-03');
    expect(series.time[0]).toBe(Date.UTC(1995, 0, 3));
    expect(series.open[0]).toBe(2.179012);
    expect(series.high[0]).toBe(2.191358);
    expect(series.low[0]).toBe(2.117284);
    expect(series.close[0]).toBe(2.117284);
    expect(series.adjClose?.[0]).toBe(1.883304);
    expect(series.volume[0]).toBe(36301200);
    expect(formatBarDate(series.time[series.length - 1] as number)).toBe('2014-12-31');
    expect(series.close[series.length - 1]).toBe(44.970001);
  });

  it.each([
    ['yhoo-1996-2014.txt', 'YHOO', 4713, '1996-04-12', '2014-12-31'],
    ['nvda-1999-2014.txt', 'NVDA', 4012, '1999-01-22', '2014-12-31'],
    ['orcl-2014.txt', 'ORCL', 252, '2014-01-02', '2014-12-31'],
    ['2006-day-001.txt', '2006-DAY-001', 255, '2006-01-02', '2006-12-29'],
    ['2006-week-001.txt', '2006-WEEK-001', 52, '2006-01-06', '2006-12-29'],
    ['2006-month-001.txt', '2006-MONTH-001', 12, '2006-01-31', '2006-12-29'],
  ])('loads %s as %s with %i bars from %s to %s', (name, symbol, bars, first, last) => {
    const series = loadBarFile(dataFile(name));
    expect(series.symbol).toBe(symbol);
    expect(series.length).toBe(bars);
    expect(formatBarDate(series.time[0] as number)).toBe(first);
    expect(formatBarDate(series.time[bars - 1] as number)).toBe(last);
  });

  it('loads the CRLF file 2006-volume-day-001.txt: 255 bars, no adjClose, real volume', () => {
    const series = loadBarFile(dataFile('2006-volume-day-001.txt'));
    expect(series.length).toBe(255);
    expect(series.adjClose).toBeNull();
    expect(series.volume[0]).toBe(164794);
    expect(series.open[0]).toBe(3602);
    expect(series.close[254]).toBe(4157);
    expect(series.volume[254]).toBe(205816);
    expect(Array.from(series.volume).every((v) => v > 0)).toBe(true);
  });

  it('loads the sparse 2006-day-002.txt with gaps of more than a weekend', () => {
    const series = loadBarFile(dataFile('2006-day-002.txt'));
    expect(series.length).toBe(129);
    expect(formatBarDate(series.time[0] as number)).toBe('2006-01-03');
    expect(formatBarDate(series.time[1] as number)).toBe('2006-01-05');
    expect(series.adjClose).toBeNull();
  });

  it('uses an explicit symbol instead of the inferred one', () => {
    expect(loadBarFile(dataFile('orcl-2014.txt'), ticker('ORACLE')).symbol).toBe('ORACLE');
  });

  it('names a missing file in the error', () => {
    const missing = path.join(DATA, 'no-such-file.csv');
    const error = errorOf(() => loadBarFile(missing));
    expect(error.message).toBe(`${missing}: no such file or directory`);
    expect(error.location.file).toBe(missing);
  });

  it('refuses a directory', () => {
    expect(errorOf(() => loadBarFile(DATA)).message).toContain('is a directory');
  });
});

describe('loadBarPath', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-data-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
  const csv = (close: number) => `Date,Open,High,Low,Close,Volume\n2014-01-02,1,2,1,${close},10\n`;

  it('loads the .csv and .txt files of a directory in name order, ignoring other files', () => {
    write('zzz.csv', csv(3));
    write('aaa-2014.txt', csv(1));
    write('MMM.CSV', csv(2));
    write('README.md', '# notes');
    write('notes.json', '{}');
    write('.hidden.csv', 'garbage');
    fs.mkdirSync(path.join(dir, 'sub.csv'));
    const list = loadBarPath(dir);
    expect(list.map((s) => s.symbol)).toEqual(['MMM', 'AAA', 'ZZZ']);
    expect(list.map((s) => s.close[0])).toEqual([2, 1, 3]);
  });

  it('rejects two files that infer the same symbol, naming both', () => {
    write('orcl-2003-2005.txt', csv(1));
    write('orcl-2014.txt', csv(2));
    const error = errorOf(() => loadBarPath(dir));
    expect(error.message).toContain(path.join(dir, 'orcl-2003-2005.txt'));
    expect(error.message).toContain(path.join(dir, 'orcl-2014.txt'));
    expect(error.location.symbol).toBe('ORCL');
  });

  it('passes on a parse error of one file with its path and line', () => {
    write('good.csv', csv(1));
    write('bad.csv', 'Date,Open,High,Low,Close,Volume\n2014-01-02,1,2,1,x,10\n');
    expect(errorOf(() => loadBarPath(dir)).message).toBe(
      `${path.join(dir, 'bad.csv')}:2, field Close: 'x' is not a number`,
    );
  });

  it('rejects a directory without bar files and a missing path', () => {
    write('README.md', '# notes');
    expect(errorOf(() => loadBarPath(dir)).message).toContain('no bar files');
    const missing = path.join(dir, 'missing');
    expect(errorOf(() => loadBarPath(missing)).message).toBe(`${missing}: no such file or directory`);
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'loadBarPath on the shared real data', () => {
  it('loads a single file as a one-element list', () => {
    const list = loadBarPath(dataFile('nvda-2014.txt'));
    expect(list.map((s) => s.symbol)).toEqual(['NVDA']);
    expect(Object.isFrozen(list)).toBe(true);
  });

  it('reports the symbol clash in the shared data folder', () => {
    expect(errorOf(() => loadBarPath(DATA)).message).toMatch(/nvda-1999-2014.txt.*nvda-2014.txt.*both map to symbol NVDA/);
  });
});

describeWithPrerequisite(realMarketDataPrerequisite(), 'bar intervals of files and folders', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-data-interval-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['orcl-1995-2014.txt', 'daily'],
    ['2006-day-001.txt', 'daily'],
    ['2006-day-002.txt', 'daily'],
    ['2006-volume-day-001.txt', 'daily'],
    ['2006-week-001.txt', 'weekly'],
    ['2006-week-002.txt', 'weekly'],
    ['2006-month-001.txt', 'monthly'],
  ])('infers that %s holds %s bars (holidays, weekends and sparse days stay daily)', (name, interval) => {
    expect(inferBarInterval(loadBarFile(dataFile(name)))).toBe(interval);
  });

  it('refuses a folder of daily and weekly files, naming a file of each, in every loader', () => {
    for (const name of ['2006-day-001.txt', '2006-week-001.txt']) fs.copyFileSync(dataFile(name), path.join(dir, name));
    const expected = `${dir}: the folder mixes bar intervals: '${path.join(dir, '2006-day-001.txt')}' holds daily bars, '${path.join(dir, '2006-week-001.txt')}' holds weekly bars; put one interval in a folder`;
    expect(errorOf(() => loadBarPath(dir)).message).toBe(expected);
    expect(errorOf(() => readBarPath(dir)).message).toBe(expected);
  });

  it('refuses a folder of daily and minute files', () => {
    fs.copyFileSync(dataFile('orcl-2014.txt'), path.join(dir, 'orcl-2014.txt'));
    fs.writeFileSync(path.join(dir, 'spy.csv'), 'Date,Open,High,Low,Close,Volume\n2014-01-02 09:30:00,1,2,1,1,10\n2014-01-02 09:31:00,1,2,1,1,10\n');
    expect(errorOf(() => loadBarPath(dir)).message).toMatch(/holds daily bars, '.*spy\.csv' holds intraday bars/);
  });

  it('loads a folder of daily files and lists every row problem of every file when it refuses', () => {
    fs.copyFileSync(dataFile('orcl-2014.txt'), path.join(dir, 'orcl-2014.txt'));
    fs.copyFileSync(dataFile('nvda-2014.txt'), path.join(dir, 'nvda-2014.txt'));
    expect(readBarPath(dir).interval).toBe('daily');
    fs.writeFileSync(path.join(dir, 'bad.csv'), 'Date,Open,High,Low,Close,Volume\n2014-01-02,1,2,1,0,10\n2014-01-03,1,2,1,1,10\n2014-01-03,1,2,1,1,10\n');
    const error = errorOf(() => loadBarPath(dir));
    expect(error.message).toMatch(/bad\.csv:2, field Close: Close 0 is not a positive price; and 1 more problem\(s\): .*bad\.csv:4 \(2014-01-03\): duplicate date/);
  });
});

describe('readBarPath with hash', () => {
  const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
  let folder: string;
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'quantbot-hash-read-'));
    fs.writeFileSync(path.join(folder, 'aaa.csv'), 'Date,Open,High,Low,Close,Volume\n2014-01-02,1,2,1,1.5,10\n2014-01-03,1,2,1,1.25,10\n');
    fs.writeFileSync(path.join(folder, 'bbb.csv'), 'Date,Open,High,Low,Close,Volume\n2014-01-02,3,4,3,3.5,10\n');
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  it('gives the SHA-256 and size of each file read, in reading order, and nothing unless asked', () => {
    const file = path.join(folder, 'aaa.csv');
    const single = readBarPath(file, { hash: true });
    expect(single.hashes).toEqual([{ file, sha256: sha256(fs.readFileSync(file)), bytes: fs.statSync(file).size }]);
    expect(single.readings[0]?.series.close).toEqual(readBarPath(file).readings[0]?.series.close);
    expect(readBarPath(file).hashes).toBeUndefined();
    const both = readBarPath(folder, { hash: true });
    expect(both.hashes?.map((h) => [path.basename(h.file), h.sha256])).toEqual(
      ['aaa.csv', 'bbb.csv'].map((name) => [name, sha256(fs.readFileSync(path.join(folder, name)))]),
    );
  });

  it('reads a file of several read chunks as the whole file reads, clean or with a problem near its end, hashing every byte', () => {
    // 60,000 rows of about 60 bytes: 3.6 MB, read in chunks of 1 MiB.
    const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
    for (let k = 0; k < 60_000; k++) {
      const price = (100 + (k % 997) / 100).toFixed(2);
      lines.push(`${formatBarDate(Date.UTC(1900, 0, 1) + k * 86_400_000)},${price},${price},${price},${price},${price},${1000 + k}`);
    }
    const clean = `${lines.join('\r\n')}\r\n`;
    const withProblem = `${lines.slice(0, -2).join('\n')}\n${lines.at(-1) as string}\n${lines.at(-2) as string}\n`;
    for (const [name, text] of [['clean.csv', clean], ['unsorted.csv', withProblem]] as const) {
      const file = path.join(folder, name);
      fs.writeFileSync(file, text);
      const bytes = fs.readFileSync(file);
      const read = readBarPath(file, { hash: true });
      const expected = readOhlcvCsv(bytes, { source: file, symbol: inferSymbolFromFileName(file) });
      const reading = read.readings[0];
      expect(reading?.series.length).toBe(60_000);
      expect(reading?.problems).toEqual(expected.problems);
      expect(reading?.problems.map((p) => p.kind)).toEqual(name === 'clean.csv' ? [] : ['unsorted-timestamp']);
      const bytesOf = (array: Float64Array | Int32Array | null | undefined): Buffer => (array == null ? Buffer.alloc(0) : Buffer.from(array.buffer, array.byteOffset, array.byteLength));
      expect(bytesOf(reading?.lines).equals(bytesOf(expected.lines))).toBe(true);
      for (const column of ['time', 'open', 'high', 'low', 'close', 'volume', 'adjClose'] as const) {
        expect(reading?.series[column]?.length).toBe(60_000);
        expect(bytesOf(reading?.series[column]).equals(bytesOf(expected.series[column]))).toBe(true);
      }
      expect(read.hashes).toEqual([{ file, sha256: sha256(bytes), bytes: bytes.length }]);
      // Read in chunks, the clean file's columns are views of arrays sized from an estimate of
      // its rows; read whole, the file with a problem gets columns of exactly its bars.
      const column = reading?.series.close as Float64Array;
      expect(column.buffer.byteLength > column.byteLength).toBe(name === 'clean.csv');
    }
  });

  it('reads a file that grows while it is read as the bytes it read: the rows and the hash are of the same bytes', () => {
    const row = (k: number): string => {
      const price = (50 + (k % 89) / 100).toFixed(2);
      return `${formatBarDate(Date.UTC(1950, 0, 1) + k * 86_400_000)},${price},${price},${price},${price},${100 + k}`;
    };
    const lines = ['Date,Open,High,Low,Close,Volume'];
    for (let k = 0; k < 40_000; k++) lines.push(row(k));
    const file = path.join(folder, 'growing.csv');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const sizeBefore = fs.statSync(file).size;
    // After the first chunk has been read, 5,000 more rows are appended: the reading goes on into them.
    const nodeFs = require('node:fs') as typeof fs;
    const realReadSync = nodeFs.readSync;
    let appended = false;
    const spy = jest.spyOn(nodeFs, 'readSync').mockImplementation(((...args: Parameters<typeof fs.readSync>) => {
      const n = realReadSync(...args);
      if (!appended && n > 0) {
        appended = true;
        const more: string[] = [];
        for (let k = 40_000; k < 45_000; k++) more.push(row(k));
        fs.appendFileSync(file, `${more.join('\n')}\n`);
      }
      return n;
    }) as typeof fs.readSync);
    let read: ReturnType<typeof readBarPath>;
    try {
      read = readBarPath(file, { hash: true });
    } finally {
      spy.mockRestore();
    }
    expect(appended).toBe(true);
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBeGreaterThan(sizeBefore);
    expect(read.hashes).toEqual([{ file, sha256: sha256(bytes), bytes: bytes.length }]);
    const reading = read.readings[0];
    const expected = readOhlcvCsv(bytes, { source: file, symbol: inferSymbolFromFileName(file) });
    expect(reading?.problems).toEqual([]);
    expect(reading?.series.length).toBe(45_000);
    expect(Array.from(reading?.series.close ?? [])).toEqual(Array.from(expected.series.close));
    expect(Array.from(reading?.series.time ?? [])).toEqual(Array.from(expected.series.time));
  });
});
