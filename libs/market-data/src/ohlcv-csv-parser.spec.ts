import fc from 'fast-check';
import { DataError, ticker } from '@quantbot/core';
import { BarFileError, parseOhlcvCsv, readOhlcvCsv } from './ohlcv-csv-parser';

const SYMBOL = ticker('TEST');
const parse = (text: string) => parseOhlcvCsv(text, { source: 'orcl.txt', symbol: SYMBOL });

const YAHOO = [
  'Date,Open,High,Low,Close,Adj Close,Volume',
  '2014-01-02,10.5,11,10,10.75,10.1,1000',
  '2014-01-03,10.75,12,10.5,11.5,10.8,2000',
].join('\n');

function errorOf(action: () => unknown): DataError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError');
}

describe('parseOhlcvCsv', () => {
  it('reads the Yahoo layout with Adj Close into columns', () => {
    const series = parse(YAHOO);
    expect(series.symbol).toBe('TEST');
    expect(series.length).toBe(2);
    expect(Array.from(series.time)).toEqual([Date.UTC(2014, 0, 2), Date.UTC(2014, 0, 3)]);
    expect(Array.from(series.open)).toEqual([10.5, 10.75]);
    expect(Array.from(series.high)).toEqual([11, 12]);
    expect(Array.from(series.low)).toEqual([10, 10.5]);
    expect(Array.from(series.close)).toEqual([10.75, 11.5]);
    expect(Array.from(series.adjClose ?? [])).toEqual([10.1, 10.8]);
    expect(Array.from(series.volume)).toEqual([1000, 2000]);
    expect(Object.isFrozen(series)).toBe(true);
    expect(series.time.length).toBe(2);
  });

  it('reads the OpenInterest layout with CRLF endings, leaving adjClose null', () => {
    const text =
      'Date,Open,High,Low,Close,Volume,OpenInterest\r\n2006-01-02,3602.00,3624.00,3596.00,3617.00,164794,1511674\r\n2006-01-03,3623,3665,3614,3665,554426,1501792\r\n\r\n';
    const series = parse(text);
    expect(series.length).toBe(2);
    expect(series.adjClose).toBeNull();
    expect(Array.from(series.volume)).toEqual([164794, 554426]);
    expect(series.close[1]).toBe(3665);
  });

  it('matches header names case-insensitively, trimmed, in any order', () => {
    const series = parse(' volume , CLOSE,low,High,open,date\n100,4,1,5,2,2014-01-02\n');
    expect(series.open[0]).toBe(2);
    expect(series.high[0]).toBe(5);
    expect(series.low[0]).toBe(1);
    expect(series.close[0]).toBe(4);
    expect(series.volume[0]).toBe(100);
    expect(series.adjClose).toBeNull();
  });

  it('accepts a byte-order mark, trailing empty lines, timestamps and exponents', () => {
    const series = parse('\uFEFFDate,Open,High,Low,Close,Volume\n2014-01-02 09:30:00,1e1,2.5E+1,0.5,+3.,0\n\n\n');
    expect(series.time[0]).toBe(Date.UTC(2014, 0, 2, 9, 30));
    expect(Array.from(series.open)).toEqual([10]);
    expect(series.high[0]).toBe(25);
    expect(series.low[0]).toBe(0.5);
    expect(series.close[0]).toBe(3);
  });

  it('reads every decimal exactly as Number() does', () => {
    const decimal = fc
      .tuple(
        fc.constantFrom('', '-', '+'),
        fc.stringMatching(/^[0-9]{1,20}$/),
        fc.option(fc.stringMatching(/^[0-9]{0,20}$/)),
        fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.integer({ min: 0, max: 400 }))),
      )
      .map(([sign, whole, fraction, exponent]) =>
        `${sign}${whole}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `${exponent[0]}${exponent[1]}${exponent[2]}`}`,
      );
    fc.assert(
      fc.property(decimal, (text) => {
        const expected = Number(text);
        fc.pre(Number.isFinite(expected));
        // Volume takes any finite number here (a negative one is a data-quality finding), prices only positive ones.
        const series = parse(`Date,Open,High,Low,Close,Volume\n2014-01-02,1,1,1,1,${text}`);
        expect(Object.is(series.volume[0], expected)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not check OHLC consistency (high below low is left to data quality)', () => {
    expect(parse('Date,Open,High,Low,Close,Volume\n2014-01-02,5,1,9,5,10').high[0]).toBe(1);
  });

  const HEADER = 'Date,Open,High,Low,Close,Adj Close,Volume';
  const ROW1 = '2014-01-02,10.5,11,10,10.75,10.1,1000';
  it.each([
    ['a non-numeric price', `${HEADER}\n${ROW1}\n2014-01-03,1,2,1,abc,1,5`, "orcl.txt:3, field Close: 'abc' is not a number", 3, 'Close'],
    ['an empty price', `${HEADER}\n2014-01-03,,2,1,1,1,5`, "orcl.txt:2, field Open: '' is not a number", 2, 'Open'],
    ['a price with two points', `${HEADER}\n2014-01-03,1,1.2.3,1,1,1,5`, "field High: '1.2.3' is not a number", 2, 'High'],
    ['a NaN price', `${HEADER}\n2014-01-03,1,2,NaN,1,1,5`, "field Low: 'NaN' is not a number", 2, 'Low'],
    ['an infinite price', `${HEADER}\n2014-01-03,1,2,1,Infinity,1,5`, "'Infinity' is not a number", 2, 'Close'],
    ['an overflowing price', `${HEADER}\n2014-01-03,1,2,1,1e999,1,5`, "'1e999' is not a finite number", 2, 'Close'],
    ['a hex volume', `${HEADER}\n2014-01-03,1,2,1,1,1,0x10`, "field Volume: '0x10' is not a number", 2, 'Volume'],
    ['a bad adjusted close', `${HEADER}\n2014-01-03,1,2,1,1,n/a,5`, "field Adj Close: 'n/a' is not a number", 2, 'Adj Close'],
    ['an unparseable date', `${HEADER}\n${ROW1}\n01/03/2014,1,2,1,1,1,5`, "orcl.txt:3, field Date: '01/03/2014' is not a date", 3, 'Date'],
    ['an impossible date', `${HEADER}\n2014-02-30,1,2,1,1,1,5`, "orcl.txt:2, field Date: '2014-02-30' is not a real calendar date", 2, 'Date'],
    ['an out-of-order date', `${HEADER}\n${ROW1}\n2013-12-31,1,2,1,1,1,5`, "orcl.txt:3, field Date: date '2013-12-31' is before '2014-01-02' on line 2", 3, 'Date'],
    ['a duplicate date', `${HEADER}\n${ROW1}\n2014-01-02,1,2,1,1,1,5`, "orcl.txt:3, field Date: duplicate date '2014-01-02' (line 2 has '2014-01-02')", 3, 'Date'],
    ['an out-of-order date after a CRLF row', `${HEADER}\r\n ${ROW1} \r\n2013-12-31,1,2,1,1,1,5\r\n`, "orcl.txt:3, field Date: date '2013-12-31' is before '2014-01-02' on line 2", 3, 'Date'],
    ['a blank line between rows', `${HEADER}\n${ROW1}\n\n2014-01-06,1,2,1,1,1,5\n`, 'orcl.txt:3: empty line between rows', 3, undefined],
    ['a whitespace-only line between rows', `${HEADER}\n${ROW1}\n  \r\n2014-01-06,1,2,1,1,1,5`, 'orcl.txt:3: empty line', 3, undefined],
    ['too few fields', `${HEADER}\n${ROW1}\n2014-01-03,1,2,1,1,5`, 'orcl.txt:3: expected 7 fields as in the header, found 6', 3, undefined],
    ['too many fields', `${HEADER}\n2014-01-03,1,2,1,1,1,5,9`, 'orcl.txt:2: expected 7 fields as in the header, found 8', 2, undefined],
    ['a missing column', 'Date,Open,High,Low,Adj Close,Volume\n2014-01-03,1,2,1,1,5', "orcl.txt:1: missing column 'Close' in header 'Date,Open,High,Low,Adj Close,Volume'", 1, undefined],
    ['an unknown column', 'Date,Open,High,Low,Close,Volume,Dividends\n2014-01-03,1,2,1,1,5,0', "unknown column 'Dividends'", 1, undefined],
    ['a repeated column', 'Date,Open,High,Low,Close,Volume,close\n2014-01-03,1,2,1,1,5,1', "column 'close' appears twice", 1, undefined],
    ['an empty file', '', 'orcl.txt: empty file', undefined, undefined],
    ['a whitespace-only file', '\r\n \n', 'orcl.txt: empty file', undefined, undefined],
    ['a header without rows', `${HEADER}\r\n\r\n`, 'orcl.txt:1: header but no data rows', 1, undefined],
    ['an empty first line', `\n${HEADER}\n${ROW1}`, 'orcl.txt:1: empty header line', 1, undefined],
  ])('rejects %s with a DataError naming file, line and field', (_case, text, message, line, field) => {
    const error = errorOf(() => parse(text));
    expect(error.message).toContain(message);
    expect(error.code).toBe('DATA_INVALID');
    expect(error.location.file).toBe('orcl.txt');
    expect(error.location.line).toBe(line);
    expect(error.location.field).toBe(field);
  });

  it('parses 5000 generated rows into exactly sized columns', () => {
    const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
    for (let i = 0; i < 5000; i++) {
      const day = new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      lines.push(`${day},12.345678,12.5,12.1,12.4,11.9,1234500`);
    }
    const series = parse(lines.join('\n'));
    expect(series.length).toBe(5000);
    expect(series.close.length).toBe(5000);
    expect(series.open[4999]).toBe(12.345678);
    expect(series.adjClose?.[4999]).toBe(11.9);
  });
});

describe('parseOhlcvCsv error messages', () => {
  it('quote at most 120 characters of a header, however long the unbroken input', () => {
    const text = `Date,Open,High,Low,Close,Volume2014-01-02,1,1,1,1,1${'2014-01-03,1,1,1,1,1'.repeat(500)}`;
    let message = '';
    try {
      parseOhlcvCsv(text, { source: 'one-line.csv', symbol: ticker('ONE') });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^one-line\.csv:1: unknown column/);
    expect(message.length).toBeLessThan(400);
  });
});

describe('readOhlcvCsv: every row problem of a file, located', () => {
  const read = (rows: readonly string[]) =>
    readOhlcvCsv(`Date,Open,High,Low,Close,Volume\n${rows.join('\n')}\n`, { source: 'bars.csv', symbol: SYMBOL });

  it('collects all row problems with file, line, field and date instead of stopping at the first', () => {
    const reading = read([
      '2014-01-02,10,11,9,10,100',
      '2014-01-03,10,11,9,0,100',
      '2014-01-06,10,11,9,abc,100',
      '0999-12-31,10,11,9,10,100',
      '2014-01-07,-1,11,9,10,100',
    ]);
    expect(reading.problems.map((p) => [p.kind, p.file, p.line, p.field, p.date, p.message])).toEqual([
      ['non-positive-price', 'bars.csv', 3, 'Close', '2014-01-03', 'Close 0 is not a positive price'],
      ['malformed-row', 'bars.csv', 4, 'Close', '2014-01-06', "'abc' is not a number"],
      ['malformed-row', 'bars.csv', 5, 'Date', '0999-12-31', "'0999-12-31' has a year outside 1000..9999"],
      ['non-positive-price', 'bars.csv', 6, 'Open', '2014-01-07', 'Open -1 is not a positive price'],
    ]);
    expect(reading.problems[0]?.time).toBe(Date.UTC(2014, 0, 3));
    expect(reading.problems[2]?.time).toBeNull();
    // Only the good row is in the series.
    expect(Array.from(reading.series.time)).toEqual([Date.UTC(2014, 0, 2)]);
    expect(Array.from(reading.lines)).toEqual([2]);
  });

  it('keeps the last row of a duplicated date and sorts unsorted rows, saying so for each', () => {
    const reading = read([
      '2014-01-02,10,11,9,10,100',
      '2014-01-06,10,11,9,10.1,100',
      '2014-01-03,10,11,9,10.2,100',
      '2014-01-03,10,11,9,10.3,100',
      '2014-01-07,10,11,9,10.4,100',
    ]);
    expect(Array.from(reading.series.time)).toEqual([2, 3, 6, 7].map((d) => Date.UTC(2014, 0, d)));
    expect(Array.from(reading.series.close)).toEqual([10, 10.3, 10.1, 10.4]);
    expect(Array.from(reading.lines)).toEqual([2, 5, 3, 6]);
    expect(reading.problems.map((p) => [p.kind, p.line, p.resolution])).toEqual([
      ['unsorted-timestamp', 4, 'moved into date order'],
      ['duplicate-timestamp', 5, 'line 4 dropped: the last row written for a date is kept'],
    ]);
  });

  it('reports a minute row among daily rows once, at the first such line', () => {
    const reading = read(['2014-01-02,10,11,9,10,100', '2014-01-03 09:31:00,10,11,9,10,100', '2014-01-06 09:31:00,10,11,9,10,100']);
    expect(reading.problems).toEqual([
      expect.objectContaining({ kind: 'mixed-interval', line: 3, date: '2014-01-03 09:31:00', field: 'Date' }),
    ]);
    expect(reading.problems[0]?.message).toMatch(/mixes bar intervals \(2 row\(s\) differ from line 2\)/);
  });

  it('finds nothing in a clean file and returns its rows as they are', () => {
    const reading = read(['2014-01-02,10,11,9,10,100', '2014-01-03,10,11,9,10,100']);
    expect(reading.problems).toEqual([]);
    expect(Array.from(reading.lines)).toEqual([2, 3]);
  });
});

describe('parseOhlcvCsv: refusals list every problem', () => {
  it('throws a BarFileError located at the first problem and listing the others', () => {
    const error = errorOf(() => parse('Date,Open,High,Low,Close,Volume\n2014-01-02,1,2,1,0,1\n2014-01-03,1,2,1,x,1\n2014-01-03,1,2,1,1,1'));
    expect(error).toBeInstanceOf(BarFileError);
    expect((error as BarFileError).problems.map((p) => p.line)).toEqual([2, 3]);
    expect(error.message).toBe("orcl.txt:2, field Close: Close 0 is not a positive price; and 1 more problem(s): orcl.txt:3 (2014-01-03): 'x' is not a number");
  });
});

describe('readOhlcvCsv on bytes', () => {
  it('reads the UTF-8 bytes of a file (a view into a larger buffer too) as it reads the text', () => {
    const text = `\uFEFF${YAHOO}\r\n2014-01-06,11.5,12,11,11.25,10.6,1500\r\n`;
    const padded = new Uint8Array(Buffer.byteLength(text) + 10).fill(0x41);
    padded.set(Buffer.from(text, 'utf8'), 5);
    const view = padded.subarray(5, 5 + Buffer.byteLength(text));
    const fromBytes = readOhlcvCsv(view, { source: 'orcl.txt', symbol: SYMBOL });
    expect(fromBytes).toEqual(readOhlcvCsv(text, { source: 'orcl.txt', symbol: SYMBOL }));
    expect(Array.from(fromBytes.series.close)).toEqual([10.75, 11.5, 11.25]);
  });

  it('quotes a value with non-ASCII characters as written', () => {
    const bytes = Buffer.from('Date,Open,High,Low,Close,Volume\n2014-01-02,1,1,1,1€,5\n', 'utf8');
    expect(readOhlcvCsv(bytes, { source: 'orcl.txt', symbol: SYMBOL }).problems[0]?.message).toBe("'1€' is not a number");
  });
});

describe('readOhlcvCsv progress', () => {
  it('reports the rows read after every 100,000 rows and once more with the total', () => {
    const rows = ['Date,Open,High,Low,Close,Volume'];
    const start = Date.UTC(1900, 0, 1);
    for (let i = 0; i < 250_000; i++) rows.push(`${new Date(start + i * 86_400_000).toISOString().slice(0, 10)},1,1,1,1,1`);
    const calls: number[] = [];
    const reading = readOhlcvCsv(rows.join('\n'), { source: 'big.csv', symbol: SYMBOL, onProgress: (rowsDone) => calls.push(rowsDone) });
    expect(reading.series.length).toBe(250_000);
    expect(calls).toEqual([100_000, 200_000, 250_000]);
    const exact: number[] = [];
    readOhlcvCsv(rows.slice(0, 200_001).join('\n'), { source: 'big.csv', symbol: SYMBOL, onProgress: (rowsDone) => exact.push(rowsDone) });
    expect(exact).toEqual([100_000, 200_000]);
  });
});
