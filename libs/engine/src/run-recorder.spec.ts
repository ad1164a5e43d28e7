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
  const time = fc.oneof(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), fc.integer({ min: 0, max: 3e12 }).map((t) => t - (t % 86_400_000)));
  const order = fc.record({ clientOrderId: text, symbol: text, side: fc.constantFrom('buy', 'sell'), type: fc.constantFrom('market', 'limit', 'stop', 'stop_limit'), qty: num, filledQty: num, decidedAt: time });
  const inputs = fc.record({
    open: num,
    high: num,
    low: num,
    close: num,
    volume: num,
    position: num,
    cash: num,
    equity: num,
    strategy: maybe(fc.dictionary(fc.oneof(text, fc.constantFrom('fastSma', '1', '__proto__x')), num, { maxKeys: 4 })),
  });
  const call = fc.oneof(
    fc.record({ kind: fc.constant('submit' as const), order, inputs, limitPrice: maybe(num), stopPrice: maybe(num) }),
    fc.record({ kind: fc.constant('change' as const), action: fc.constantFrom('cancel' as const, 'replace' as const), time, order, inputs, qty: maybe(num), limitPrice: maybe(num), stopPrice: maybe(num) }),
    fc.record({ kind: fc.constant('submitted' as const), order }),
    fc.record({ kind: fc.constant('refused' as const), order, reason: text }),
    fc.record({
      kind: fc.constant('update' as const),
      order,
      time,
      status: fc.constantFrom('accepted', 'canceled', 'expired', 'rejected', 'replaced', 'filled', 'new') as fc.Arbitrary<OrderUpdate['status']>,
      filledQty: num,
      reason: maybe(text),
    }),
    fc.record({ kind: fc.constant('fill' as const), order: fc.option(order, { nil: undefined }), time, qty: num, price: num, commission: num }),
  );

  type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;
  type FakeOrder = Call extends { order: infer O } ? Exclude<O, undefined> : never;
  /** The fields of an `Order` the recorder reads. */
  const asOrder = (o: FakeOrder): Order => ({ ...o, request: { decidedAt: o.decidedAt } }) as unknown as Order;
  const asRequest = (o: FakeOrder, limitPrice: number | undefined, stopPrice: number | undefined): OrderRequest =>
    ({ clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, qty: o.qty, timeInForce: 'day', decidedAt: o.decidedAt, ...(limitPrice === undefined ? {} : { limitPrice }), ...(stopPrice === undefined ? {} : { stopPrice }) }) as unknown as OrderRequest;

  function replay(recorder: RunRecorder, calls: readonly Call[]): void {
    for (const c of calls) {
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
  }

  it('writes the bytes of JSON.stringify of every record it would keep (escapes, odd numbers, every kind of call)', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.array(call, { maxLength: 60 }), (calls) => {
        const kept = new RunRecorder();
        replay(kept, calls);
        const got = { decisions: [] as Uint8Array[], orders: [] as Uint8Array[] };
        const streamed = new RunRecorder({ sink: { decisions: (b) => got.decisions.push(b.slice()), orders: (b) => got.orders.push(b.slice()) } });
        replay(streamed, calls);
        streamed.flush();
        const joined = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
        expect(joined(got.decisions)).toEqual(encoder.encode(kept.decisions.map((d) => `${JSON.stringify(d)}\n`).join('')));
        expect(joined(got.orders)).toEqual(encoder.encode(kept.orders.map((o) => `${orderEventRecordJson(o)}\n`).join('')));
      }),
      { numRuns: 400 },
    );
  });
});
