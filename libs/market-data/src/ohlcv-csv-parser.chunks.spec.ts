import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { DataError, ticker } from '@quantbot/core';
import type { CsvByteSource, OhlcvCsvReading } from './ohlcv-csv-parser';
import { readCleanOhlcvCsvInChunks, readOhlcvCsv } from './ohlcv-csv-parser';

const RUNS = { seed: 20_261_206, numRuns: 600 } as const;
const SOURCE = 'chunks/bars.csv';
const SYMBOL = ticker('CHUNK');
const DAY = 86_400_000;

/** A reading as plain data (columns as arrays), or the `DataError` thrown instead. */
function outcome(read: () => OhlcvCsvReading | null): unknown {
  try {
    const reading = read();
    if (reading === null) return null;
    const { series } = reading;
    return {
      file: reading.file,
      series: {
        keys: Object.keys(series),
        symbol: series.symbol,
        length: series.length,
        columns: [series.time, series.open, series.high, series.low, series.close, series.volume, series.adjClose].map((c) => (c === null ? null : Array.from(c))),
        lengths: [series.time, series.open, series.high, series.low, series.close, series.volume].map((c) => c.length),
      },
      lines: Array.from(reading.lines),
      problems: reading.problems,
      frozen: [Object.isFrozen(reading), Object.isFrozen(series), Object.isFrozen(reading.problems)],
    };
  } catch (error: unknown) {
    if (error instanceof DataError) return { error: error.message, location: error.location };
    throw error;
  }
}

/** A source handing out `bytes` in reads of at most `step` bytes (as a file may), recording what it gave. */
function sourceOf(bytes: Buffer, step: number): { readonly read: CsvByteSource; readonly given: Buffer[] } {
  let at = 0;
  const given: Buffer[] = [];
  const read: CsvByteSource = (into, offset, length) => {
    let done = 0;
    while (done < length && at < bytes.length) {
      const n = Math.min(step, length - done, bytes.length - at);
      bytes.copy(into, offset + done, at, at + n);
      at += n;
      done += n;
    }
    given.push(Buffer.from(into.subarray(offset, offset + done)));
    return done;
  };
  return { read, given };
}

const HEADERS = [
  ['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'],
  ['Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'OpenInterest'],
  ['volume', ' close ', 'LOW', 'high', 'open', 'date'],
] as const;

/** What a row may be: mostly clean, sometimes one of the problems or oddities a file can hold. */
const ROW_KINDS = ['clean', 'clean', 'clean', 'clean', 'clean', 'clean', 'clean', 'clean', 'clean', 'spaced', 'exponent', 'long', 'timed', 'duplicate', 'earlier', 'bad', 'short', 'empty', 'zero'] as const;

/** Row kinds that keep a file clean. */
const CLEAN_KINDS: readonly string[] = ['clean', 'spaced', 'exponent', 'long'];

/** Text for an ignored column: any characters but the separators, multi-byte ones included. */
const ignoredTextArb = fc.string({ unit: fc.constantFrom('a', '0', ' ', 'é', '€', '😀', '\u2028', '\uFEFF'), maxLength: 6 });

const csvArb = fc
  .record({
    header: fc.constantFrom(...HEADERS),
    start: fc.integer({ min: Date.UTC(1990, 0, 1) / DAY, max: Date.UTC(2030, 0, 1) / DAY }),
    rows: fc.array(
      fc.record({
        kind: fc.constantFrom(...ROW_KINDS),
        gapDays: fc.integer({ min: 1, max: 4 }),
        cents: fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 5, maxLength: 5 }),
        volume: fc.nat(),
        ignored: ignoredTextArb,
      }),
      { minLength: 0, maxLength: 40 },
    ),
    // Half the files clean (values written in any valid way), to be read in chunks to the end.
    clean: fc.boolean(),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    trailing: fc.constantFrom('', '\n', '\r\n', '\n\n', '\r\n \r\n', '\n\t\n  '),
  })
  .map(({ header, start, rows, clean, crlf, bom, trailing }) => {
    let day = start;
    const lines = rows.map((generated) => {
      const row = clean && !CLEAN_KINDS.includes(generated.kind) ? { ...generated, kind: 'clean' } : generated;
      if (row.kind === 'empty') return '';
      day += row.kind === 'duplicate' ? 0 : row.kind === 'earlier' ? -row.gapDays : row.gapDays;
      const price = (i: number): string => {
        const text = ((row.cents[i] as number) / 100).toFixed(2);
        if (row.kind === 'spaced') return ` ${text}\t`;
        if (row.kind === 'exponent') return `${text}e0`;
        if (row.kind === 'long') return `${text}000000000000000001`;
        if (row.kind === 'bad' && i === 3) return 'abc';
        if (row.kind === 'zero' && i === 0) return '0';
        return text;
      };
      const date = new Date(day * DAY).toISOString().slice(0, 10) + (row.kind === 'timed' ? ' 09:30:00' : '');
      const values: Record<string, string> = {
        date,
        open: price(0),
        high: price(1),
        low: price(2),
        close: price(3),
        'adj close': price(4),
        volume: String(row.volume),
        openinterest: row.ignored,
      };
      const cells = header.map((name) => values[name.trim().toLowerCase()] ?? '');
      return (row.kind === 'short' ? cells.slice(1) : cells).join(',');
    });
    const text = [header.join(','), ...lines].join(crlf ? '\r\n' : '\n');
    return Buffer.from(`${bom ? '\uFEFF' : ''}${text}${trailing}`, 'utf8');
  });

/** A reading chunk by chunk, and what the source handed out. */
function readInChunks(bytes: Buffer, chunkBytes: number, sizeHint: number, step: number): { readonly result: unknown; readonly given: Buffer } {
  const { read, given } = sourceOf(bytes, step);
  const result = outcome(() => readCleanOhlcvCsvInChunks(read, { source: SOURCE, symbol: SYMBOL, chunkBytes, sizeHint }));
  return { result, given: Buffer.concat(given) };
}

const whole = (bytes: Buffer): unknown => outcome(() => readOhlcvCsv(bytes, { source: SOURCE, symbol: SYMBOL }));

/** The longest line of `bytes` (line feed included). */
function longestLine(bytes: Buffer): number {
  let longest = 0;
  let from = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) {
    longest = Math.max(longest, at + 1 - from);
    from = at + 1;
  }
  return Math.max(longest, bytes.length - from);
}

describe('readCleanOhlcvCsvInChunks', () => {
  it('reads what readOhlcvCsv reads of the whole input, for random files, chunk sizes and reads, or leaves the file to it', () => {
    const caseArb = fc.record({
      bytes: csvArb,
      chunkBytes: fc.integer({ min: 1, max: 200 }),
      sizeSlack: fc.integer({ min: -60, max: 60 }),
      step: fc.integer({ min: 1, max: 300 }),
    });
    let chunked = 0;
    fc.assert(
      fc.property(caseArb, ({ bytes, chunkBytes, sizeSlack, step }) => {
        const expected = whole(bytes);
        const { result, given } = readInChunks(bytes, chunkBytes, bytes.length + sizeSlack, step);
        if (result === null) {
          // Left to the whole reading: only for what the chunks cannot settle alone.
          const clean = typeof expected === 'object' && expected !== null && 'problems' in expected && (expected as { problems: unknown[] }).problems.length === 0;
          if (clean) expect(longestLine(bytes)).toBeGreaterThan(Math.max(4, chunkBytes) - 1);
          return;
        }
        expect(result).toEqual(expected);
        // Every byte handed out once, in order, to the end: what a hash of the reads covers.
        expect(given.equals(bytes)).toBe(true);
        if (bytes.length > 2 * Math.max(4, chunkBytes)) chunked++;
      }),
      RUNS,
    );
    // The property must have exercised reading in several chunks, not only the fallbacks.
    expect(chunked).toBeGreaterThan(100);
  });

  it('reads a clean file in chunks as short as its lines, the columns trimmed to the rows', () => {
    const lines = ['\uFEFFDate,Open,High,Low,Close,Volume,OpenInterest'];
    for (let day = 1; day <= 28; day++) lines.push(`2014-02-${String(day).padStart(2, '0')},1.5,2,1,1.75,${day * 100},é€😀`);
    const bytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
    for (const chunkBytes of [48, 49, 50, 64, 97]) {
      // The size told right, and told as 0 (the columns, sized from the first chunk, then grow).
      for (const sizeHint of [bytes.length, 0]) {
        const { result, given } = readInChunks(bytes, chunkBytes, sizeHint, 7);
        expect(result).toEqual(whole(bytes));
        expect(given.equals(bytes)).toBe(true);
      }
    }
    const { read } = sourceOf(bytes, 1000);
    const reading = readCleanOhlcvCsvInChunks(read, { source: SOURCE, symbol: SYMBOL, chunkBytes: 64, sizeHint: bytes.length });
    expect(reading?.series.length).toBe(28);
    expect(reading?.series.volume.length).toBe(28);
    expect(reading?.problems).toEqual([]);
  });

  it('leaves a file with a row problem, a line longer than a chunk or no rows to the whole reading', () => {
    const header = 'Date,Open,High,Low,Close,Volume\n';
    const row = (day: number, close = '1.75'): string => `2014-03-${String(day).padStart(2, '0')},1.5,2,1,${close},100\n`;
    const rows = Array.from({ length: 20 }, (_, i) => row(i + 1));
    const cases = [
      header + rows.join('') + row(20), // a duplicate date at the end
      header + rows.slice(0, 10).join('') + row(30, 'abc') + rows.slice(10).join(''), // a bad value
      header + rows.slice(0, 10).join('') + '\n' + rows.slice(10).join(''), // an empty line between rows
      header + rows.slice(0, 10).join('') + `2014-03-11 10:00:00,1,1,1,1,1\n` + rows.slice(11).join(''), // a time of day
      header + rows.join('') + row(21, `1.${'5'.repeat(80)}`), // a line longer than a chunk
      header + '\n'.repeat(200), // no rows
    ];
    for (const text of cases) {
      const bytes = Buffer.from(text, 'utf8');
      expect(readInChunks(bytes, 40, bytes.length, 1000).result).toBeNull();
    }
    // The same files read whole in one chunk: the problems are named by readOhlcvCsv.
    const big = Buffer.from(cases[0] as string, 'utf8');
    expect(readInChunks(big, big.length, big.length, 1000).result).toEqual(whole(big));
    expect((whole(big) as { problems: unknown[] }).problems).toHaveLength(1);
  });
});
