import fc from 'fast-check';
import type { OrderEventRecord, OrderEventRecordKind } from './run-journal';
import { orderEventRecordJson } from './run-journal';

const KINDS: readonly OrderEventRecordKind[] = ['submitted', 'rejected', 'accepted', 'partially-filled', 'filled', 'canceled', 'expired', 'replaced'];
/** Numbers as a journal may hold them, and the ones JSON prints differently: NaN, ±Infinity, −0. */
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e21, 5e-324));
/** Strings with quotes, backslashes, control characters, lone surrogates and emoji. */
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('"', '\\', '\n', '\u0000', '\ud800', 'a\udc00b', '😀', 'insufficient buying power: needs 1.00, cash 0.50'));

const record: fc.Arbitrary<OrderEventRecord> = fc.record({
  seq: fc.nat(),
  time: text,
  symbol: text,
  clientOrderId: text,
  event: fc.constantFrom(...KINDS),
  side: text,
  type: text,
  qty: number,
  filledQty: number,
  fillQty: fc.option(number, { nil: null }),
  fillPrice: fc.option(number, { nil: null }),
  commission: fc.option(number, { nil: null }),
  reason: fc.option(text, { nil: null }),
});

describe('orderEventRecordJson', () => {
  it('prints exactly what JSON.stringify prints for a record of the journal’s shape', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(orderEventRecordJson(r)).toBe(JSON.stringify(r));
      }),
      { numRuns: 3_000 },
    );
  });

  it('prints the journal’s fields in their declared order, whatever order the object holds them in, and nothing else', () => {
    fc.assert(
      fc.property(record, fc.string(), (r, extra) => {
        const shuffled = { extra, ...Object.fromEntries(Object.entries(r).reverse()) } as unknown as OrderEventRecord;
        expect(orderEventRecordJson(shuffled)).toBe(JSON.stringify(r));
      }),
      { numRuns: 500 },
    );
  });
});
