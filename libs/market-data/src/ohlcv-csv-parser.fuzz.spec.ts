import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import type { BarSeries } from '@quantbot/core';
import { DataError, ticker } from '@quantbot/core';
import { loadBarFile } from './bar-file-loader';
import { parseOhlcvCsv, readOhlcvCsv } from './ohlcv-csv-parser';

const RUNS = { seed: 20_250_302, numRuns: 400 } as const;
const SOURCE = 'fuzz/orcl.csv';
const SYMBOL = ticker('FUZZ');
const DAY = 86_400_000;

/** Parses `text`; returns the series, or the error when it is a `DataError`, rethrowing anything else. */
function parseOrDataError(text: string): BarSeries | DataError {
  try {
    return parseOhlcvCsv(text, { source: SOURCE, symbol: SYMBOL });
  } catch (error: unknown) {
    if (error instanceof DataError) return error;
    throw error;
  }
}

/** Checks the contract of a DataError from the parser: the code and the source in the message. */
function expectParserDataError(error: DataError): void {
  expect(error.code).toBe('DATA_INVALID');
  expect(error.message).toContain(SOURCE);
  if (error.location.line !== undefined) expect(error.message).toContain(`${SOURCE}:${error.location.line}`);
}

const LAYOUTS = [
  { header: ['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'], ignored: -1 },
  { header: ['Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'OpenInterest'], ignored: 6 },
  { header: ['volume', ' close ', 'LOW', 'high', 'open', 'date'], ignored: -1 },
] as const;

interface ValidCsv {
  readonly header: readonly string[];
  readonly ignoredColumn: number;
  readonly rows: string[][];
  /** Expected epoch ms of each row. */
  readonly times: readonly number[];
}

const validCsvArb: fc.Arbitrary<ValidCsv> = fc
  .record({
    layout: fc.constantFrom(...LAYOUTS),
    start: fc.integer({ min: Date.UTC(1900, 0, 1) / DAY, max: Date.UTC(2100, 0, 1) / DAY }),
    bars: fc.array(
      fc.record({
        gapDays: fc.integer({ min: 1, max: 5 }),
        cents: fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 5, maxLength: 5 }),
        volume: fc.nat(),
      }),
      { minLength: 1, maxLength: 15 },
    ),
  })
  .map(({ layout, start, bars }) => {
    let day = start;
    const times: number[] = [];
    const rows = bars.map((bar) => {
      day += bar.gapDays;
      times.push(day * DAY);
      const values: Record<string, string> = {
        date: new Date(day * DAY).toISOString().slice(0, 10),
        open: ((bar.cents[0] as number) / 100).toFixed(2),
        high: ((bar.cents[1] as number) / 100).toFixed(2),
        low: ((bar.cents[2] as number) / 100).toFixed(2),
        close: ((bar.cents[3] as number) / 100).toFixed(2),
        'adj close': ((bar.cents[4] as number) / 100).toFixed(2),
        volume: String(bar.volume),
        openinterest: '0',
      };
      return layout.header.map((name) => values[name.trim().toLowerCase()] ?? '');
    });
    return { header: layout.header, ignoredColumn: layout.ignored, rows, times };
  });

/** Joins header and rows with the given line endings (one per line), optional BOM and trailing newline. */
function render(csv: ValidCsv, endings: readonly string[], bom: boolean, trailing: string): string {
  const lines = [csv.header.join(','), ...csv.rows.map((row) => row.join(','))];
  const body = lines.map((line, i) => (i === 0 ? line : `${endings[(i - 1) % endings.length] ?? '\n'}${line}`)).join('');
  return `${bom ? '\uFEFF' : ''}${body}${trailing}`;
}

const endingsArb = fc.array(fc.constantFrom('\n', '\r\n'), { minLength: 1, maxLength: 4 });
const renderArb = fc.record({ endings: endingsArb, bom: fc.boolean(), trailing: fc.constantFrom('', '\n', '\r\n', '\n\n', '\r\n \r\n') });

/** Values that are neither a number nor a date. */
const BAD_CELLS = ['', ' ', 'abc', 'x1', '1e999', '-1e999', '--1', '+-1', '1.2.3', 'NaN', 'Infinity', '0x10', '1,5', '"1"', '1e', '.', '-', '\t'];

describe('parseOhlcvCsv (fuzz)', () => {
  it('returns a series or throws a DataError naming the source for random text', () => {
    const textArb = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'Date,12-.\n\r 9e0\uFEFF'), maxLength: 200 }),
      fc
        .tuple(
          fc.constantFrom('Date,Open,High,Low,Close,Volume\n', '\uFEFFdate,open,high,low,close,volume\r\n'),
          fc.string({ maxLength: 200 }),
        )
        .map(([header, rest]) => header + rest),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        const result = parseOrDataError(text);
        if (result instanceof DataError) expectParserDataError(result);
        else expect(result.length).toBe(result.time.length);
      }),
      RUNS,
    );
  });

  it('parses valid CSV with any mix of LF and CRLF, a BOM and trailing blank lines exactly', () => {
    fc.assert(
      fc.property(validCsvArb, renderArb, (csv, { endings, bom, trailing }) => {
        const result = parseOrDataError(render(csv, endings, bom, trailing));
        if (result instanceof DataError) throw new Error(`valid CSV rejected: ${result.message}`);
        expect(Array.from(result.time)).toEqual(csv.times);
        const closeColumn = csv.header.findIndex((name) => name.trim().toLowerCase() === 'close');
        expect(Array.from(result.close)).toEqual(csv.rows.map((row) => Number(row[closeColumn])));
      }),
      RUNS,
    );
  });

  it('rejects one bad cell with a DataError at its line and field (an OpenInterest cell is ignored)', () => {
    const caseArb = validCsvArb.chain((csv) =>
      fc.record({
        csv: fc.constant(csv),
        row: fc.nat({ max: csv.rows.length - 1 }),
        column: fc.nat({ max: csv.header.length - 1 }),
        value: fc.constantFrom(...BAD_CELLS),
        render: renderArb,
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ csv, row, column, value, render: r }) => {
        const rows = csv.rows.map((cells, i) => (i === row ? cells.map((cell, c) => (c === column ? value : cell)) : cells));
        const text = render({ ...csv, rows }, r.endings, r.bom, r.trailing);
        const result = parseOrDataError(text);
        if (column === csv.ignoredColumn && !value.includes(',')) {
          expect(result).not.toBeInstanceOf(DataError);
          return;
        }
        expect(result).toBeInstanceOf(DataError);
        const error = result as DataError;
        expectParserDataError(error);
        expect(error.message).toContain(`${SOURCE}:${row + 2}`);
        expect(error.location.line).toBe(row + 2);
        // A comma inside a cell adds a field: the error is then about the field count.
        if (!value.includes(',')) expect(error.location.field).toBe(csv.header[column]?.trim());
      }),
      RUNS,
    );
  });

  it('rejects a missing or an extra field, and an empty line between rows, at their line', () => {
    const caseArb = validCsvArb.chain((csv) =>
      fc.record({
        csv: fc.constant(csv),
        row: fc.nat({ max: csv.rows.length - 1 }),
        kind: fc.constantFrom('missing', 'extra', 'blank'),
        render: renderArb,
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ csv, row, kind, render: r }) => {
        const rows = csv.rows.map((cells, i) =>
          i !== row ? cells : kind === 'missing' ? cells.slice(0, -1) : kind === 'extra' ? [...cells, '1'] : [],
        );
        const text = render({ ...csv, rows }, r.endings, r.bom, r.trailing);
        const result = parseOrDataError(text);
        if (kind === 'blank' && row === rows.length - 1) {
          // An empty last row is a trailing empty line, which is allowed (one bar fewer).
          if (rows.length === 1) expect(result).toBeInstanceOf(DataError);
          else expect((result as BarSeries).length).toBe(rows.length - 1);
          return;
        }
        expect(result).toBeInstanceOf(DataError);
        const error = result as DataError;
        expectParserDataError(error);
        expect(error.location.line).toBe(row + 2);
        expect(error.message).toContain(`${SOURCE}:${row + 2}`);
      }),
      RUNS,
    );
  });

  it('rejects two rows with swapped dates at the first row out of order', () => {
    const caseArb = validCsvArb
      .filter((csv) => csv.rows.length >= 2)
      .chain((csv) =>
        fc
          .tuple(fc.nat({ max: csv.rows.length - 1 }), fc.nat({ max: csv.rows.length - 1 }))
          .filter(([a, b]) => a < b)
          .map(([a, b]) => ({ csv, a, b })),
      );
    fc.assert(
      fc.property(caseArb, renderArb, ({ csv, a, b }, r) => {
        const dateColumn = csv.header.findIndex((name) => name.trim().toLowerCase() === 'date');
        const dateOf = (i: number): string => csv.rows[i]?.[dateColumn] ?? '';
        const rows = csv.rows.map((cells, i) =>
          i === a || i === b ? cells.map((cell, c) => (c === dateColumn ? dateOf(i === a ? b : a) : cell)) : cells,
        );
        const error = parseOrDataError(render({ ...csv, rows }, r.endings, r.bom, r.trailing));
        expect(error).toBeInstanceOf(DataError);
        expectParserDataError(error as DataError);
        // Row a now holds the later date, so row a + 1 is the first that does not increase.
        expect((error as DataError).location.line).toBe(a + 3);
        expect((error as DataError).message).toMatch(/dates must strictly increase/);
      }),
      RUNS,
    );
  });

  it('resolves any shuffle with repeated dates to increasing times, the last row of each date kept, every moved or dropped row reported', () => {
    const caseArb = fc
      .array(fc.record({ day: fc.integer({ min: 0, max: 30 }), close: fc.integer({ min: 1, max: 10_000 }) }), { minLength: 1, maxLength: 40 })
      .map((rows) => rows.map((row) => ({ ...row, date: new Date(Date.UTC(2014, 0, 1) + row.day * DAY).toISOString().slice(0, 10) })));
    fc.assert(
      fc.property(caseArb, (rows) => {
        const text = `Date,Open,High,Low,Close,Volume\n${rows.map((row) => `${row.date},1,2,1,${row.close},5`).join('\n')}\n`;
        const reading = readOhlcvCsv(text, { source: SOURCE, symbol: SYMBOL });
        const lastClose = new Map<number, number>();
        const lastLine = new Map<number, number>();
        rows.forEach((row, i) => {
          lastClose.set(row.day, row.close);
          lastLine.set(row.day, i + 2);
        });
        const days = [...lastClose.keys()].sort((x, y) => x - y);
        expect(Array.from(reading.series.time)).toEqual(days.map((d) => Date.UTC(2014, 0, 1) + d * DAY));
        expect(Array.from(reading.series.close)).toEqual(days.map((d) => lastClose.get(d)));
        expect(Array.from(reading.lines)).toEqual(days.map((d) => lastLine.get(d)));
        const duplicates = reading.problems.filter((p) => p.kind === 'duplicate-timestamp').length;
        expect(duplicates).toBe(rows.length - days.length);
        expect(reading.problems.every((p) => p.kind === 'duplicate-timestamp' || p.kind === 'unsorted-timestamp')).toBe(true);
        expect(reading.problems.every((p) => p.file === SOURCE && p.date !== null && p.time !== null)).toBe(true);
        // Refusing instead of resolving names the first of those rows.
        const first = reading.problems[0];
        if (first !== undefined) expect(errorLine(text)).toBe(first.line);
        else expect(errorLine(text)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('rejects a garbage header at line 1', () => {
    const headerArb = fc.oneof(
      fc.string({ maxLength: 60 }).filter((s) => !s.includes('\n')),
      fc.constantFrom(
        'Date;Open;High;Low;Close;Volume',
        'Date,Open,High,Low,Close',
        'Date,Open,High,Low,Close,Volume,Volume',
        '"Date","Open","High","Low","Close","Volume"',
      ),
    );
    fc.assert(
      fc.property(validCsvArb, headerArb, (csv, header) => {
        const text = [header, ...csv.rows.map((row) => row.join(','))].join('\n');
        const result = parseOrDataError(text);
        // A random header can only be accepted when it names the columns of the rows.
        if (result instanceof DataError) {
          expectParserDataError(result);
          if (result.location.line !== undefined) expect(result.location.line).toBeGreaterThanOrEqual(1);
        }
      }),
      RUNS,
    );
  });
});

describe('loadBarFile (fuzz)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantbot-fuzz-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file of random bytes as a series or throws a DataError naming the file', () => {
    const file = () => path.join(dir, 'fuzz-bytes.csv');
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(
          fc.constantFrom('Date,Open,High,Low,Close,Volume\n2014-01-02,1,1,1,1,1\n', '\xEF\xBB\xBFDate,Open,High,Low,Close,Volume\r\n'),
          fc.uint8Array({ maxLength: 100 }),
        )
        .map(([head, tail]) => Uint8Array.from([...Buffer.from(head, 'latin1'), ...tail])),
    );
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        fs.writeFileSync(file(), bytes);
        try {
          const series = loadBarFile(file());
          expect(series.symbol).toBe('FUZZ-BYTES');
        } catch (error: unknown) {
          if (!(error instanceof DataError)) throw error;
          expect(error.code).toBe('DATA_INVALID');
          expect(error.message).toContain(file());
        }
      }),
      { ...RUNS, numRuns: 300 },
    );
  });
});

function errorLine(text: string): number | undefined {
  const parsed = parseOrDataError(text);
  return parsed instanceof DataError ? parsed.location.line : undefined;
}
