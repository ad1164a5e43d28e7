import fc from 'fast-check';
import type { JsonValue } from './ports/store';
import type { DecisionEvent, OrderEventRecord, OrderEventRecordKind } from './run-journal';
import { decisionEventJson, orderEventRecordJson } from './run-journal';

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
});

/** Input names as a recorder makes them, and the ones JSON orders or escapes differently: integer-like, quoted, empty. */
const inputKey = fc.oneof(fc.constantFrom('open', 'high', 'low', 'close', 'volume', 'position', 'cash', 'equity', 'strategy.fast', 'strategy.slow', '0', '10', '2', '-1', '01', '"', 'a\\b', ''), text);
/** Input values: mostly numbers (NaN and infinities included), some null, and any other JSON value. */
const inputValue: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 8, arbitrary: number },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.jsonValue() as fc.Arbitrary<JsonValue> },
);
const decision: fc.Arbitrary<DecisionEvent> = fc.record({
  seq: fc.nat(),
  time: text,
  symbol: text,
  action: fc.constantFrom('submit' as const, 'cancel' as const, 'replace' as const),
  clientOrderId: text,
  side: fc.option(text, { nil: null }),
  type: fc.option(text, { nil: null }),
  qty: fc.option(number, { nil: null }),
  limitPrice: fc.option(number, { nil: null }),
  stopPrice: fc.option(number, { nil: null }),
  inputs: fc.dictionary(inputKey, inputValue, { maxKeys: 14 }),
});

describe('decisionEventJson', () => {
  it('prints exactly what JSON.stringify prints for a record of the journal’s shape', () => {
    fc.assert(
      fc.property(decision, (d) => {
        expect(decisionEventJson(d)).toBe(JSON.stringify(d));
      }),
      { numRuns: 3_000 },
    );
  });

  it('leaves out an input JSON.stringify leaves out, and keeps integer-like input names first', () => {
    const inputs = { close: 1.5, later: undefined, '7': -0, 'strategy.fast': Number.NaN, '3': 2 } as unknown as DecisionEvent['inputs'];
    const d: DecisionEvent = { seq: 1, time: 't', symbol: 'S', action: 'submit', clientOrderId: 'c', side: 'buy', type: 'market', qty: 100, limitPrice: null, stopPrice: null, inputs };
    expect(decisionEventJson(d)).toBe(JSON.stringify(d));
    expect(decisionEventJson(d)).toContain('"inputs":{"3":2,"7":0,"close":1.5,"strategy.fast":null}');
  });
});
