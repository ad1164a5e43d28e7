import fc from 'fast-check';
import { orderEventRecordJson } from '@quantbot/core';
import type { EpochMs, Fill, Order, OrderRequest, OrderUpdate } from '@quantbot/core';
import { SmaCrossover } from '@quantbot/strategies';
import { universeOf } from '../test/universe-builder';
import { runBacktest } from './backtest-runner';
import { RunRecorder } from './run-recorder';

/** A zig-zag long enough to trade many times, so the journal spans several pieces. */
function zigzag(steps: number): [number, number][] {
  return Array.from({ length: steps }, (_, k) => {
    const p = 100 + 10 * Math.sin(k / 6) + (k % 5) / 3;
    return [p, p + 0.25];
  });
}

describe('RunRecorder with a sink', () => {
  it('hands over exactly the JSON Lines of the records it would keep, in whole lines, and keeps none', () => {
    const universe = universeOf({ AAA: zigzag(6_000), BBB: zigzag(6_000).map(([o, c]) => [o * 2, c * 2]) });
    const run = (recorder: RunRecorder): void => {
      runBacktest({ universe, strategy: new SmaCrossover({ fast: 2, slow: 5, allowShort: true }, 2), startingCash: 1e6, sizing: { kind: 'fixed-shares', shares: 10 }, recorder });
    };
    const kept = new RunRecorder();
    run(kept);
    const pieces = { decisions: [] as string[], orders: [] as string[] };
    // The recorder reuses its buffer: each piece is decoded (copied) as it comes.
    const decoder = new TextDecoder();
    const streamed = new RunRecorder({ sink: { decisions: (bytes) => pieces.decisions.push(decoder.decode(bytes)), orders: (bytes) => pieces.orders.push(decoder.decode(bytes)) } });
    run(streamed);
    streamed.flush();
    streamed.flush(); // a second flush hands over nothing more

    expect(kept.orders.length).toBeGreaterThan(2 * 256);
    expect(pieces.orders.length).toBeGreaterThan(2);
    expect(pieces.decisions.join('')).toBe(kept.decisions.map((d) => `${JSON.stringify(d)}\n`).join(''));
    expect(pieces.orders.join('')).toBe(kept.orders.map((o) => `${orderEventRecordJson(o)}\n`).join(''));
    for (const piece of [...pieces.decisions, ...pieces.orders]) expect(piece.endsWith('\n')).toBe(true);
    expect(streamed.decisions).toEqual([]);
    expect(streamed.orders).toEqual([]);
  });
});

describe('RunRecorder with a sink, on any record', () => {
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('AAA', 'BRK.B', 'a"b\\c', 'café ✓', '\ud83d', 'x\ny'));
  const num = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: -1e9, max: 1e9 }).map((c) => c / 100), fc.double(), fc.constantFrom(-0, NaN, Infinity, 1e21, 5e-7));
  const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
  // What a strategy in plain JavaScript may put where the types say number or string.
  const odd = fc.constantFrom<unknown>('5', true, false, undefined, null, [1, 'a'], { a: 1 }, () => 1, Symbol('s'), Object(3) as unknown, Object('x') as unknown, { toJSON: () => 'j' });
  const rawNum = fc.oneof({ weight: 4, arbitrary: num as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: odd }) as fc.Arbitrary<number>;
  const rawText = fc.oneof({ weight: 4, arbitrary: text as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: odd }) as fc.Arbitrary<string>;
  const time = fc.oneof(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), fc.integer({ min: 0, max: 3e12 }).map((t) => t - (t % 86_400_000)));
  const order = fc.record({
    clientOrderId: rawText,
    symbol: rawText,
    side: fc.oneof(fc.constantFrom('buy', 'sell'), rawText),
    type: fc.oneof(fc.constantFrom('market', 'limit', 'stop', 'stop_limit'), rawText),
    qty: rawNum,
    filledQty: rawNum,
    decidedAt: time,
  });
  const inputs = fc.record({
    open: rawNum,
    high: num,
    low: num,
    close: rawNum,
    volume: num,
    position: rawNum,
    cash: num,
    equity: rawNum,
    strategy: maybe(fc.dictionary(fc.oneof(text, fc.constantFrom('fastSma', '1', '__proto__x')), rawNum, { maxKeys: 4 })),
  });
  const call = fc.oneof(
    fc.record({ kind: fc.constant('submit' as const), order, inputs, limitPrice: maybe(rawNum), stopPrice: maybe(rawNum) }),
    fc.record({ kind: fc.constant('change' as const), action: fc.constantFrom('cancel' as const, 'replace' as const), time, order, inputs, qty: maybe(rawNum), limitPrice: maybe(rawNum), stopPrice: maybe(rawNum) }),
    fc.record({ kind: fc.constant('submitted' as const), order }),
    fc.record({ kind: fc.constant('refused' as const), order, reason: rawText }),
    fc.record({
      kind: fc.constant('update' as const),
      order,
      time,
      // Statuses the table knows, one a venue might add, and names of Object.prototype's members.
      status: fc.constantFrom('accepted', 'canceled', 'expired', 'rejected', 'replaced', 'filled', 'new', 'pending_cancel', 'constructor', 'toString', '__proto__', 'valueOf') as fc.Arbitrary<OrderUpdate['status']>,
      filledQty: rawNum,
      reason: maybe(rawText),
    }),
    fc.record({ kind: fc.constant('fill' as const), order: fc.option(order, { nil: undefined }), time, qty: rawNum, price: rawNum, commission: rawNum }),
  );

  type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;
  type FakeOrder = Call extends { order: infer O } ? Exclude<O, undefined> : never;
  /** The fields of an `Order` the recorder reads. */
  const asOrder = (o: FakeOrder): Order => ({ ...o, request: { decidedAt: o.decidedAt } }) as unknown as Order;
  const asRequest = (o: FakeOrder, limitPrice: number | undefined, stopPrice: number | undefined): OrderRequest =>
    ({ clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, qty: o.qty, timeInForce: 'day', decidedAt: o.decidedAt, ...(limitPrice === undefined ? {} : { limitPrice }), ...(stopPrice === undefined ? {} : { stopPrice }) }) as unknown as OrderRequest;

  /** Makes every call; returns which ones threw (a symbol where a number is compared throws in either recorder). */
  function replay(recorder: RunRecorder, calls: readonly Call[]): boolean[] {
    return calls.map((c) => {
      try {
        replayOne(recorder, c);
        return false;
      } catch {
        return true;
      }
    });
  }

  function replayOne(recorder: RunRecorder, c: Call): void {
    switch (c.kind) {
      case 'submit':
        recorder.submitDecision(asRequest(c.order, c.limitPrice, c.stopPrice), c.inputs);
        break;
      case 'change':
        recorder.changeDecision(c.action, c.time as EpochMs, asOrder(c.order), { ...(c.qty === undefined ? {} : { qty: c.qty }), ...(c.limitPrice === undefined ? {} : { limitPrice: c.limitPrice }), ...(c.stopPrice === undefined ? {} : { stopPrice: c.stopPrice }) }, c.inputs);
        break;
      case 'submitted':
        recorder.submitted(asOrder(c.order));
        break;
      case 'refused':
        recorder.refused(asOrder(c.order), c.reason);
        break;
      case 'update':
        recorder.update({ clientOrderId: c.order.clientOrderId, status: c.status, filledQty: c.filledQty, time: c.time, ...(c.reason === undefined ? {} : { reason: c.reason }) } as unknown as OrderUpdate, asOrder(c.order));
        break;
      case 'fill': {
        const o = c.order;
        const fill = { clientOrderId: o?.clientOrderId ?? 'outside', symbol: o?.symbol ?? 'ZZZ', side: o?.side ?? 'buy', qty: c.qty, price: c.price, commission: c.commission, time: c.time } as unknown as Fill;
        recorder.fill(fill, o === undefined ? undefined : asOrder(o));
        break;
      }
    }
  }

  it('writes the bytes of JSON.stringify of every record it would keep (escapes, odd numbers, values of other types, every kind of call)', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.array(call, { maxLength: 60 }), (calls) => {
        const kept = new RunRecorder();
        const keptThrew = replay(kept, calls);
        const got = { decisions: [] as Uint8Array[], orders: [] as Uint8Array[] };
        const streamed = new RunRecorder({ sink: { decisions: (b) => got.decisions.push(b.slice()), orders: (b) => got.orders.push(b.slice()) } });
        expect(replay(streamed, calls)).toEqual(keptThrew);
        streamed.flush();
        const joined = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
        expect(joined(got.decisions)).toEqual(encoder.encode(kept.decisions.map((d) => `${JSON.stringify(d)}\n`).join('')));
        expect(joined(got.orders)).toEqual(encoder.encode(kept.orders.map((o) => `${orderEventRecordJson(o)}\n`).join('')));
      }),
      { numRuns: 400 },
    );
  });

  it('leaves no part of a line a write threw in, and goes on with whole lines', () => {
    const lines: string[] = [];
    const decoder = new TextDecoder();
    const recorder = new RunRecorder({ sink: { decisions: (b) => lines.push(decoder.decode(b)), orders: (b) => lines.push(decoder.decode(b)) } });
    const good = { clientOrderId: 'a-1', symbol: 'AAA', side: 'buy', type: 'market', qty: 10, filledQty: 0, decidedAt: 0 };
    recorder.submitted(asOrder(good));
    // Throws halfway through its line: a BigInt quantity, then a time with no date.
    expect(() => recorder.submitted(asOrder({ ...good, qty: 10n as unknown as number }))).toThrow(TypeError);
    expect(() => recorder.refused(asOrder({ ...good, decidedAt: Number.NaN }), 'why')).toThrow(RangeError);
    expect(() => recorder.submitDecision(asRequest({ ...good, qty: 10n as unknown as number }, undefined, undefined), { open: 1, high: 1, low: 1, close: 1, volume: 1, position: 0, cash: 1, equity: 1, strategy: undefined })).toThrow(TypeError);
    recorder.submitted(asOrder({ ...good, clientOrderId: 'a-2' }));
    recorder.flush();
    const text = lines.join('');
    expect(text.endsWith('\n')).toBe(true);
    const records = text.trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; clientOrderId: string });
    // The sequence numbers of the records that threw are spent (as without a sink).
    expect(records.map((r) => [r.seq, r.clientOrderId])).toEqual([
      [1, 'a-1'],
      [5, 'a-2'],
    ]);
  });
});
