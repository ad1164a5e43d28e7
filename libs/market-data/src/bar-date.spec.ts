import fc from 'fast-check';
import { describeBarDateProblem, formatBarDate, parseBarDate, parseBarDateBytes } from './bar-date';

describe('parseBarDate', () => {
  it.each(['0999-12-31', '0050-06-01', '0000-01-01', '10000-01-01', '20140-01-02'])(
    'refuses %s, whose year is outside 1000..9999, and says so',
    (text) => {
      expect(parseBarDate(text)).toBeUndefined();
      expect(describeBarDateProblem(text)).toBe(`'${text}' has a year outside 1000..9999`);
    },
  );

  it.each([
    ['1995-01-03', Date.UTC(1995, 0, 3)],
    ['2016-02-29', Date.UTC(2016, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['2014-12-31 15:30:00', Date.UTC(2014, 11, 31, 15, 30, 0)],
    ['2014-12-31T15:30:00Z', Date.UTC(2014, 11, 31, 15, 30, 0)],
    ['2014-12-31T15:30:00.250Z', Date.UTC(2014, 11, 31, 15, 30, 0, 250)],
    ['1969-12-31', Date.UTC(1969, 11, 31)],
    ['1000-01-01', new Date('1000-01-01T00:00:00Z').getTime()],
    ['9999-12-31', new Date('9999-12-31T00:00:00Z').getTime()],
  ])('reads %s as UTC epoch milliseconds', (text, expected) => {
    expect(parseBarDate(text)).toBe(expected);
  });

  it.each(['2014-02-30', '2014-13-01', '1900-02-29', '2014-04-31', '2014-00-10', '2014-01-01 24:00:00'])(
    'rejects the impossible date %s as not a calendar date',
    (text) => {
      expect(parseBarDate(text)).toBeUndefined();
      expect(describeBarDateProblem(text)).toMatch(/not a real calendar date/);
    },
  );

  it.each(['', '01/02/2014', '2014-1-2', '2014-01-02x', '2014-01-02T10:00', '2014-01-02T10:00:00+02:00', 'abc'])(
    'rejects the malformed text %p as not a date',
    (text) => {
      expect(parseBarDate(text)).toBeUndefined();
      expect(describeBarDateProblem(text)).toMatch(/is not a date/);
    },
  );

  it('formats midnight as a date and other times as ISO 8601', () => {
    expect(formatBarDate(Date.UTC(2014, 0, 2))).toBe('2014-01-02');
    expect(formatBarDate(Date.UTC(2014, 0, 2, 10))).toBe('2014-01-02T10:00:00.000Z');
  });
});

describe('parseBarDateBytes', () => {
  it('reads the UTF-8 bytes of any text as parseBarDate reads the text (NaN for undefined)', () => {
    const dateLike = fc
      .tuple(
        fc.integer({ min: 0, max: 10_999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.constantFrom('', ' 09:30:00', 'T23:59:59.5Z', 'T24:00:00', ' 10:00:00.1234567891', 'Z', 'T10:00:00+02:00'),
      )
      .map(([y, m, d, rest]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}${rest}`);
    const textArb = fc.oneof(dateLike, dateLike, fc.string({ maxLength: 24 }), fc.string({ unit: fc.constantFrom(...'0123456789-: TZ.'), maxLength: 24 }));
    fc.assert(
      fc.property(textArb, fc.nat(3), (text, pad) => {
        const bytes = Buffer.from(`${'x'.repeat(pad)}${text}`, 'utf8');
        expect(parseBarDateBytes(bytes, pad, bytes.length)).toBe(parseBarDate(text) ?? Number.NaN);
      }),
      { seed: 20_261_209, numRuns: 3000 },
    );
  });

  it('reads consecutive days across month and year ends, leap days included', () => {
    for (let time = Date.UTC(1999, 11, 1); time < Date.UTC(2001, 2, 31); time += 86_400_000) {
      const text = new Date(time).toISOString().slice(0, 10);
      expect(parseBarDateBytes(Buffer.from(text), 0, 10)).toBe(time);
    }
    expect(parseBarDateBytes(Buffer.from('2001-02-29'), 0, 10)).toBeNaN();
    expect(parseBarDateBytes(Buffer.from('2000-02-29'), 0, 10)).toBe(Date.UTC(2000, 1, 29));
  });
});
