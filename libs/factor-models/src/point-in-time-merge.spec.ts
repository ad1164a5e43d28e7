import fc from 'fast-check';
import { ConfigError, DataError } from '@quantbot/core';
import { createFactorPanel } from './factor-panel';
import type { FactorPanel } from './factor-panel';
import { mergePointInTime } from './point-in-time-merge';
import type { FundamentalRows, PriceRows } from './point-in-time-merge';

const DAY_MS = 86_400_000;
const dayName = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * DAY_MS).toISOString().slice(0, 10);
const dayNumber = (date: string) => (Date.parse(`${date}T00:00:00Z`) - Date.UTC(2024, 0, 1)) / DAY_MS;

function panelOf(rows: readonly (readonly [string, string])[]): FactorPanel {
  return createFactorPanel({ date: rows.map((r) => r[1]), symbol: rows.map((r) => r[0]), close: rows.map(() => 10), factors: { score: rows.map((_, i) => i) } });
}

const rowsOf = (panel: FactorPanel) => Array.from({ length: panel.rows }, (_, r) => ({ symbol: panel.symbols[panel.symbolIndex[r] as number] as string, date: panel.dates[panel.dateIndex[r] as number] as string }));
const same = (a: number, b: number) => Object.is(a, b);

describe('mergePointInTime', () => {
  const panel = panelOf([
    ['AAA', '2024-03-01'],
    ['AAA', '2024-03-04'],
    ['AAA', '2024-03-05'],
    ['BBB', '2024-03-01'],
    ['BBB', '2024-03-05'],
  ]);

  it('joins prices on symbol and date, NaN where a row has none', () => {
    const prices: PriceRows = { symbol: ['AAA', 'BBB', 'AAA', 'CCC'], date: ['2024-03-04', '2024-03-05', '2024-03-01', '2024-03-01'], values: { volume: [400, 500, 100, 9], vwap: [1.5, NaN, 1.1, 9] } };
    const out = mergePointInTime(panel, { prices });
    // Panel rows are sorted by date then symbol: AAA 03-01, BBB 03-01, AAA 03-04, AAA 03-05, BBB 03-05.
    expect(Array.from(out.panel.factors['volume'] ?? [])).toEqual([100, NaN, 400, NaN, 500]);
    expect(Array.from(out.panel.factors['vwap'] ?? [])).toEqual([1.1, NaN, 1.5, NaN, NaN]);
    expect(out.panel.factorNames).toEqual(['score', 'volume', 'vwap']);
    expect(out.panel.missing['volume']).toBe(2);
    expect(out.findings).toEqual([expect.objectContaining({ kind: 'no-price', detail: expect.stringMatching(/^2 of 5 row\(s\)/) })]);
    expect(panel.factorNames).toEqual(['score']);
  });

  it('takes the latest fundamentals available on or before each row’s date, never a later one', () => {
    const fundamentals: FundamentalRows = {
      symbol: ['AAA', 'AAA', 'AAA', 'BBB', 'BBB'],
      availableDate: ['2024-02-15', '2024-03-04', '2024-03-06', '2024-03-02', '2023-12-01'],
      values: { bookToPrice: [0.5, 0.6, 0.9, NaN, 1.5] },
    };
    const out = mergePointInTime(panel, { fundamentals });
    // AAA 03-01 → 02-15; BBB 03-01 → 2023-12-01; AAA 03-04 → 03-04 (available that day);
    // AAA 03-05 → 03-04 (03-06 is later); BBB 03-05 → 03-02, whose value is missing: it stays
    // missing, not filled from the older report.
    expect(out.fundamentalsDate).toEqual(['2024-02-15', '2023-12-01', '2024-03-04', '2024-03-04', '2024-03-02']);
    expect(Array.from(out.panel.factors['bookToPrice'] ?? [])).toEqual([0.5, 1.5, 0.6, 0.6, NaN]);
    expect(out.findings).toEqual([]);
  });

  it('leaves a row without fundamentals yet missing, with a finding', () => {
    const out = mergePointInTime(panel, { fundamentals: { symbol: ['AAA'], availableDate: ['2024-03-04'], values: { earnings: [2] } } });
    expect(out.fundamentalsDate).toEqual([null, null, '2024-03-04', '2024-03-04', null]);
    expect(Array.from(out.panel.factors['earnings'] ?? [])).toEqual([NaN, NaN, 2, 2, NaN]);
    expect(out.findings).toEqual([expect.objectContaining({ kind: 'no-fundamentals-yet', detail: expect.stringMatching(/^3 of 5 row\(s\)/) })]);
  });

  it('merges prices and fundamentals together', () => {
    const out = mergePointInTime(panel, {
      prices: { symbol: ['AAA'], date: ['2024-03-05'], values: { volume: [7] } },
      fundamentals: { symbol: ['BBB'], availableDate: ['2024-03-01'], values: { earnings: [3] } },
    });
    expect(out.panel.factorNames).toEqual(['score', 'volume', 'earnings']);
    expect(Array.from(out.panel.factors['volume'] ?? [])).toEqual([NaN, NaN, NaN, 7, NaN]);
    expect(Array.from(out.panel.factors['earnings'] ?? [])).toEqual([NaN, 3, NaN, NaN, 3]);
  });

  // A property: on random panels and fundamentals, the merge equals a brute-force as-of merge
  // (scan every fundamentals row of the symbol, keep the latest available on or before the
  // row's date) and no row ever holds a value that became available after its date.
  it('equals a brute-force as-of merge and never reaches past a row’s date (property)', () => {
    const symbols = ['A', 'B', 'C', 'D'];
    const panelRows = fc.uniqueArray(fc.tuple(fc.constantFrom(...symbols), fc.integer({ min: 0, max: 60 })), { minLength: 1, maxLength: 60, selector: ([s, d]) => `${s}${d}` });
    const fundamentalRows = fc.uniqueArray(
      fc.record({ symbol: fc.constantFrom(...symbols, 'E'), day: fc.integer({ min: -20, max: 80 }), missing: fc.boolean() }),
      { maxLength: 40, selector: (f) => `${f.symbol}${f.day}` },
    );
    const priceRows = fc.uniqueArray(fc.tuple(fc.constantFrom(...symbols), fc.integer({ min: 0, max: 60 })), { maxLength: 80, selector: ([s, d]) => `${s}${d}` });
    fc.assert(
      fc.property(panelRows, fundamentalRows, priceRows, (rows, funds, priceKeys) => {
        const p = panelOf(rows.map(([s, d]) => [s, dayName(d)] as const));
        // Each fundamentals value is its availability day (so a leak shows as value > row day)
        // plus a fraction naming the row; some values are missing.
        const fundamentals: FundamentalRows = {
          symbol: funds.map((f) => f.symbol),
          availableDate: funds.map((f) => dayName(f.day)),
          values: { known: funds.map((f, i) => (f.missing ? NaN : f.day + i / 1000)), day: funds.map((f) => f.day) },
        };
        const prices: PriceRows = { symbol: priceKeys.map((k) => k[0]), date: priceKeys.map((k) => dayName(k[1])), values: { price: priceKeys.map((_, i) => 100 + i) } };
        const out = mergePointInTime(p, { prices, fundamentals });
        rowsOf(p).forEach(({ symbol, date }, r) => {
          let best = -1;
          funds.forEach((f, i) => {
            if (f.symbol === symbol && dayName(f.day) <= date && (best < 0 || f.day > (funds[best]?.day as number))) best = i;
          });
          const expectedKnown = best < 0 ? NaN : ((fundamentals.values['known'] as number[])[best] as number);
          expect(same(out.panel.factors['known']?.[r] as number, expectedKnown)).toBe(true);
          expect(out.fundamentalsDate[r]).toBe(best < 0 ? null : dayName(funds[best]?.day as number));
          const day = out.panel.factors['day']?.[r] as number;
          if (!Number.isNaN(day)) expect(day).toBeLessThanOrEqual(dayNumber(date));
          const priceAt = priceKeys.findIndex(([s, d]) => s === symbol && dayName(d) === date);
          expect(same(out.panel.factors['price']?.[r] as number, priceAt < 0 ? NaN : 100 + priceAt)).toBe(true);
        });
      }),
      { seed: 20261206, numRuns: 200 },
    );
  });

  it.each([
    ['neither input', {}, ConfigError, /prices: give prices, fundamentals or both/],
    ['no value column', { prices: { symbol: [], date: [], values: {} } }, ConfigError, /prices\.values: give at least one column/],
    ['a column the panel has', { prices: { symbol: ['AAA'], date: ['2024-03-01'], values: { score: [1] } } }, ConfigError, /prices\.values\.score: 'score' is empty, reserved or already a column/],
    ['a reserved name', { prices: { symbol: ['AAA'], date: ['2024-03-01'], values: { close: [1] } } }, ConfigError, /prices\.values\.close/],
    [
      'a name in both inputs',
      { prices: { symbol: ['AAA'], date: ['2024-03-01'], values: { x: [1] } }, fundamentals: { symbol: ['AAA'], availableDate: ['2024-03-01'], values: { x: [1] } } },
      ConfigError,
      /fundamentals\.values\.x/,
    ],
    ['a short column', { fundamentals: { symbol: ['AAA', 'BBB'], availableDate: ['2024-03-01', '2024-03-01'], values: { x: [1] } } }, ConfigError, /fundamentals\.values\.x: has 1 values for 2 rows/],
    ['a short date column', { fundamentals: { symbol: ['AAA', 'BBB'], availableDate: ['2024-03-01'], values: { x: [1, 2] } } }, ConfigError, /fundamentals\.availableDate: has 1 values for 2 symbols/],
    ['a bad date', { fundamentals: { symbol: ['AAA', 'BBB'], availableDate: ['2024-03-01', '2024-02-30'], values: { x: [1, 2] } } }, DataError, /symbol BBB, field fundamentals\.availableDate\[1\]: '2024-02-30' is not a date/],
    ['a repeated (symbol, availableDate)', { fundamentals: { symbol: ['AAA', 'BBB', 'AAA'], availableDate: ['2024-03-01', '2024-03-01', '2024-03-01'], values: { x: [1, 2, 3] } } }, DataError, /field fundamentals\.availableDate\[2\]: a second row for AAA on 2024-03-01 \(the first is row 0\)/],
    ['a repeated (symbol, date) of prices', { prices: { symbol: ['AAA', 'AAA'], date: ['2024-03-01', '2024-03-01'], values: { x: [1, 2] } } }, DataError, /prices\.date\[1\]: a second row for AAA/],
    ['an empty symbol', { prices: { symbol: [''], date: ['2024-03-01'], values: { x: [1] } } }, DataError, /field prices\.symbol\[0\]: the symbol is empty/],
    ['an infinite value', { prices: { symbol: ['AAA'], date: ['2024-03-01'], values: { x: [Infinity] } } }, DataError, /field prices\.values\.x\[0\]: Infinity is not a finite number/],
  ])('refuses %s naming the field', (_what, options, type, message) => {
    expect(() => mergePointInTime(panel, options as never)).toThrow(type);
    expect(() => mergePointInTime(panel, options as never)).toThrow(message);
  });
});
