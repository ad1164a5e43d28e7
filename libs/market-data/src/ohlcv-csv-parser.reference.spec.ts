import fc from 'fast-check';
import { DataError, ticker } from '@quantbot/core';
import { readOhlcvCsv } from './ohlcv-csv-parser';
import { readOhlcvCsv as readOhlcvCsvReference } from './ohlcv-csv-parser.reference.spec-helper';

// The byte reader against the string reader it replaced (kept as a spec helper): on any input,
// the same series (bit for bit), lines and problems, or the same error.

const RUNS = { seed: 20_261_206, numRuns: 400 } as const;
const OPTIONS = { source: 'ref/orcl.csv', symbol: ticker('REF') };

type Outcome = { readonly reading: unknown } | { readonly error: { readonly message: string; readonly location: unknown } };

function outcome(read: () => unknown): Outcome {
  try {
    return { reading: read() };
  } catch (error: unknown) {
    if (!(error instanceof DataError)) throw error;
    return { error: { message: error.message, location: error.location } };
  }
}

/** Asserts that both readers agree on `text`, given as a string and as its UTF-8 bytes. */
function expectSameAsReference(text: string): void {
  const expected = outcome(() => readOhlcvCsvReference(text, OPTIONS));
  // toEqual compares numbers with Object.is: -0 and 0 differ, NaN equals NaN.
  expect(outcome(() => readOhlcvCsv(text, OPTIONS))).toEqual(expected);
  expect(outcome(() => readOhlcvCsv(Buffer.from(text, 'utf8'), OPTIONS))).toEqual(expected);
}

/** Decimals of every shape the reader meets: signs, many digits, leading zeros, exponents, blanks. */
const decimalArb = fc
  .tuple(
    fc.constantFrom('', '', '-', '+'),
    fc.oneof(fc.stringMatching(/^[0-9]{1,4}$/), fc.stringMatching(/^[0-9]{0,25}$/), fc.constantFrom('9007199254740991', '9007199254740993', '0000')),
    fc.option(fc.stringMatching(/^[0-9]{0,25}$/)),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 400 })))),
  )
  .map(
    ([sign, whole, fraction, exponent]) =>
      `${sign}${whole}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `${exponent[0]}${exponent[1]}${exponent[2]}`}`,
  );

/** What the reader accepts as a number (before the finiteness check). */
const STRICT_DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/** A cell: mostly a valid value, sometimes a bad or odd one. */
const numberCellArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 99_999_999 }).map((cents) => (cents / 100).toString()) },
  { weight: 3, arbitrary: decimalArb },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', ' ', '0', '-0', '-1', 'abc', '1e999', '--1', '+-1', '1.2.3', 'NaN', 'Infinity', '0x10', '.', '-', '1e', '1e+', ' 12.5 ', '\t3', '7\r', '1 2', 'é', '1é'),
  },
);

const dateCellArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.integer({ min: Date.UTC(1990, 0, 1) / 86_400_000, max: Date.UTC(1990, 0, 40) / 86_400_000 }).map((day) => new Date(day * 86_400_000).toISOString().slice(0, 10)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 86_399_999 }), fc.constantFrom(' ', 'T'), fc.constantFrom('', 'Z'), fc.constantFrom(0, 1, 3, 6, 9))
      .map(([ms, separator, zone, digits]) => {
        const iso = new Date(Date.UTC(1990, 0, 3) + ms).toISOString();
        const fraction = digits === 0 ? '' : `.${iso.slice(20, 23).padEnd(digits, '7')}`;
        return `${iso.slice(0, 10)}${separator}${iso.slice(11, 19)}${fraction}${zone}`;
      }),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', '01/03/1990', '1990-02-30', '1990-13-01', '0999-12-31', '10000-01-01', '1990-01-02 25:00:00', '1990-01-02T10:00:00+02:00', ' 1990-01-05 ', '1990-01-05\t', '1990-1-5', 'é'),
  },
);

const LAYOUTS = [
  ['Date', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume'],
  ['Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'OpenInterest'],
  ['volume', ' close ', 'LOW', 'high', 'open', 'date'],
] as const;

/** Rows under a valid header, each from random cells, with random line endings and blank lines. */
const csvArb = fc
  .record({
    layout: fc.constantFrom(...LAYOUTS),
    rows: fc.array(
      fc.record({
        date: dateCellArb,
        numbers: fc.array(numberCellArb, { minLength: 6, maxLength: 6 }),
        shape: fc.constantFrom('row', 'row', 'row', 'row', 'row', 'row', 'short', 'long', 'empty', 'blank', 'repeat'),
        ending: fc.constantFrom('\n', '\r\n', ' \r\n', '\n'),
      }),
      { minLength: 1, maxLength: 25 },
    ),
    bom: fc.boolean(),
    trailing: fc.constantFrom('', '\n', '\r\n', '\n\n', '\r\n \r\n'),
  })
  .map(({ layout, rows, bom, trailing }) => {
    let previous = '';
    const lines = rows.map(({ date, numbers, shape, ending }) => {
      let n = 0;
      const cells = layout.map((name) => (name.trim().toLowerCase() === 'date' ? date : name === 'OpenInterest' ? 'x' : (numbers[n++] as string)));
      let line = cells.join(',');
      if (shape === 'short') line = cells.slice(1).join(',');
      if (shape === 'long') line = `${line},1`;
      if (shape === 'empty') line = '';
      if (shape === 'blank') line = ' \t';
      if (shape === 'repeat' && previous !== '') line = previous;
      previous = line;
      return `${line}${ending}`;
    });
    return `${bom ? '\uFEFF' : ''}${layout.join(',')}\n${lines.join('')}${trailing}`;
  });

describe('readOhlcvCsv against the string reader it replaced', () => {
  it('agrees on rows of valid, bad and odd cells, with any endings, blank lines, duplicates and disorder', () => {
    fc.assert(fc.property(csvArb, expectSameAsReference), RUNS);
  });

  it('agrees on random text (valid code points)', () => {
    const textArb = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 100 }),
      fc.string({ unit: fc.constantFrom(...'Date,Open,High,Low,Close,Volume12-.\n\r 9e0+\t\uFEFF'), maxLength: 300 }),
      fc
        .tuple(fc.constantFrom('Date,Open,High,Low,Close,Volume\n', '\uFEFFdate,open,high,low,close,volume\r\n'), fc.string({ unit: fc.constantFrom(...'0123456789-.,e\n\r :T'), maxLength: 300 }))
        .map(([header, rest]) => header + rest),
    );
    fc.assert(fc.property(textArb, expectSameAsReference), RUNS);
  });

  it('agrees on random bytes read as a file (invalid UTF-8 included)', () => {
    const bytesArb = fc
      .tuple(
        fc.constantFrom('', 'Date,Open,High,Low,Close,Volume\n2014-01-02,1,1,1,1,1\n', '\xEF\xBB\xBFDate,Open,High,Low,Close,Volume\r\n'),
        fc.uint8Array({ maxLength: 200 }),
      )
      .map(([head, tail]) => Buffer.from([...Buffer.from(head, 'latin1'), ...tail]));
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        const expected = outcome(() => readOhlcvCsvReference(bytes.toString('utf8'), OPTIONS));
        expect(outcome(() => readOhlcvCsv(bytes, OPTIONS))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('reads every decimal bit for bit as Number() does: signs, 25 digits, leading zeros, exponents to ±400, blanks', () => {
    const cellArb = fc.tuple(fc.constantFrom('', ' ', '\t'), decimalArb, fc.constantFrom('', ' ', ' \r')).map(([before, text, after]) => ({ cell: `${before}${text}${after}`, text }));
    fc.assert(
      fc.property(cellArb, ({ cell, text }) => {
        const expected = Number(text);
        const { problems, series } = readOhlcvCsv(`Date,Open,High,Low,Close,Volume\n2014-01-02,1,1,1,1,${cell}`, OPTIONS);
        if (!STRICT_DECIMAL.test(text) || !Number.isFinite(expected)) {
          expect(problems.map((p) => p.field)).toEqual(['Volume']);
          return;
        }
        expect(problems).toEqual([]);
        const volume = series.volume[0];
        expect(Object.is(volume, expected)).toBe(true);
        expect(Object.is(volume, Number.parseFloat(text))).toBe(true);
      }),
      { seed: RUNS.seed, numRuns: 3000 },
    );
  });

  it('agrees on 5,000 generated rows with problems scattered through them', () => {
    const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
    for (let i = 0; i < 5_000; i++) {
      const day = new Date(Date.UTC(1990, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      const price = (1 + (i % 997) / 100).toFixed(2);
      if (i % 1999 === 17) lines.push(`${day},${price},x,1,1,1,5`);
      else if (i % 2011 === 3) lines.push(lines[lines.length - 1] as string);
      else lines.push(`${day},${price},${price},${price},${price},${price},${1000 + i}`);
    }
    expectSameAsReference(lines.join('\r\n'));
  });
});
