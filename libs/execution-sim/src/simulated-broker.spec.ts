import type { OrderSide } from '@quantbot/core';
import { ticker } from '@quantbot/core';
import type { BarSpec } from './broker-test-kit.spec-helper';
import { DAY_MS, barTime, idOf, orderAt, profileOf, runBars, startBroker } from './broker-test-kit.spec-helper';
import type { IntrabarPath } from './execution-profile';

/** A quiet bar around 100 with plenty of volume: the decision bar of most tests. */
const QUIET: BarSpec = [100, 101, 99, 100, 1_000_000];

/** The realistic profile without impact, participation cap or fees: only slippage + half-spread (3 bps). */
const REALISTIC_FIXED_COST = profileOf('realistic', { impactK: 0, maxParticipation: 'none', feePerShare: 0, feeMinimum: 0 });

describe('SimulatedBroker', () => {
  describe('market orders', () => {
    it.each<[OrderSide]>([['buy'], ['sell']])('fills a market %s at the open of the next bar', (side) => {
      const { broker, sink } = startBroker({ bars: [QUIET, [102, 104, 101, 103, 1_000_000]] });
      broker.submit(orderAt(0, { id: 'm1', side }));
      broker.processBar(1);
      expect(sink.fills).toEqual([{ clientOrderId: 'm1', symbol: 'AAA', side, qty: 100, price: 102, commission: 0, time: barTime(1) }]);
    });

    it.each<[OrderSide, number]>([
      ['buy', 100 * (1 + 3 / 10_000)],
      ['sell', 100 * (1 - 3 / 10_000)],
    ])('slips a realistic market %s against the order by slippage plus half-spread', (side, expected) => {
      const { broker, sink } = startBroker({ bars: [QUIET, [100, 101, 99, 100, 1_000_000]], profile: REALISTIC_FIXED_COST });
      broker.submit(orderAt(0, { id: 'm1', side }));
      broker.processBar(1);
      expect(sink.fills[0]?.price).toBeCloseTo(expected, 10);
    });

    it.each<[OrderSide, number]>([
      ['buy', 100.01],
      ['sell', 99.99],
    ])('clamps a slipped market %s to the bar range when the slip would leave it', (side, expected) => {
      const profile = profileOf('idealistic', { slippageBps: 50 });
      const { broker, sink } = startBroker({ bars: [QUIET, [100, 100.01, 99.99, 100, 1_000_000]], profile });
      broker.submit(orderAt(0, { id: 'm1', side }));
      broker.processBar(1);
      expect(sink.fills[0]?.price).toBe(expected);
    });
  });

  describe('limit orders', () => {
    // [case, side, limit, fill bar, fill price under touch, fill price under through]
    const cases: readonly [string, OrderSide, number, BarSpec, number | null, number | null][] = [
      ['opens below the limit', 'buy', 100, [99, 101, 98, 100, 1e6], 99, 99],
      ['low touches the limit exactly', 'buy', 100, [102, 103, 100, 101, 1e6], 100, null],
      ['low trades below the limit', 'buy', 100, [102, 103, 99, 101, 1e6], 100, 100],
      ['low stays above the limit', 'buy', 100, [102, 103, 100.5, 101, 1e6], null, null],
      ['opens above the limit', 'sell', 100, [101, 102, 99, 100, 1e6], 101, 101],
      ['high touches the limit exactly', 'sell', 100, [98, 100, 97, 99, 1e6], 100, null],
      ['high trades above the limit', 'sell', 100, [98, 101, 97, 99, 1e6], 100, 100],
      ['high stays below the limit', 'sell', 100, [98, 99.5, 97, 99, 1e6], null, null],
    ];
    const rows = cases.flatMap(([what, side, limit, bar, touch, through]) => [
      [what, side, limit, 'touch', touch, bar] as const,
      [what, side, limit, 'through', through, bar] as const,
    ]);

    it.each(rows)('%s: a %s limit at %d under limitFill %s fills at %p', (_what, side, limit, limitFill, expected, bar) => {
      const { broker, sink } = startBroker({ bars: [QUIET, bar], profile: profileOf('idealistic', { limitFill }) });
      broker.submit(orderAt(0, { id: 'l1', side, type: 'limit', limitPrice: limit }));
      broker.processBar(1);
      expect(sink.fills.map((f) => f.price)).toEqual(expected === null ? [] : [expected]);
    });

    it('does not slip a limit fill under the realistic profile', () => {
      const { broker, sink } = startBroker({ bars: [QUIET, [102, 103, 99, 101, 1e6]], profile: REALISTIC_FIXED_COST });
      broker.submit(orderAt(0, { id: 'l1', type: 'limit', limitPrice: 100 }));
      broker.processBar(1);
      expect(sink.fills[0]?.price).toBe(100);
    });
  });

  describe('stop orders', () => {
    const cases: readonly [string, OrderSide, number, BarSpec, number | null][] = [
      ['fills a buy stop at the stop when the high reaches it inside the bar', 'buy', 105, [100, 106, 99, 104, 1e6], 105],
      ['fills a buy stop at the open when the bar gaps through the stop', 'buy', 105, [107, 108, 106, 107, 1e6], 107],
      ['leaves a buy stop working when the high stays below it', 'buy', 105, [100, 104.9, 99, 101, 1e6], null],
      ['fills a sell stop at the stop when the low reaches it inside the bar', 'sell', 95, [100, 101, 94, 96, 1e6], 95],
      ['fills a sell stop at the open below the stop when the bar gaps down (gap risk)', 'sell', 95, [92, 93, 90, 91, 1e6], 92],
      ['leaves a sell stop working when the low stays above it', 'sell', 95, [100, 101, 95.1, 99, 1e6], null],
    ];

    it.each(cases)('%s', (_what, side, stop, bar, expected) => {
      const { broker, sink } = startBroker({ bars: [QUIET, bar] });
      broker.submit(orderAt(0, { id: 's1', side, type: 'stop', stopPrice: stop }));
      broker.processBar(1);
      expect(sink.fills.map((f) => f.price)).toEqual(expected === null ? [] : [expected]);
    });

    it('slips a triggered buy stop above the stop under the realistic profile', () => {
      const { broker, sink } = startBroker({ bars: [QUIET, [100, 106, 99, 104, 1e6]], profile: REALISTIC_FIXED_COST });
      broker.submit(orderAt(0, { id: 's1', type: 'stop', stopPrice: 105 }));
      broker.processBar(1);
      expect(sink.fills[0]?.price).toBeCloseTo(105 * (1 + 3 / 10_000), 10);
    });

    it('keeps a triggered stop working as a market order until it has filled completely', () => {
      // The stop triggers on bar 1 but the participation cap lets only 100 of 200 shares trade;
      // a triggered stop is a market order, so the rest fills at bar 2's open although bar 2
      // never comes back up to the stop.
      const profile = profileOf('idealistic', { maxParticipation: 0.1 });
      const { broker, sink } = startBroker({ bars: [QUIET, [100, 106, 99, 104, 1000], [103, 104, 102, 103, 1000]], profile });
      broker.submit(orderAt(0, { id: 's1', type: 'stop', stopPrice: 105, qty: 200 }));
      runBars(broker, 1, 2);
      expect(sink.fills.map((f) => [f.qty, f.price])).toEqual([
        [100, 105],
        [100, 103],
      ]);
    });
  });

  describe('stop-limit orders', () => {
    const cases: readonly [string, OrderSide, number, number, BarSpec, number | null][] = [
      ['fills a buy at the open when the bar gaps through the stop within the limit', 'buy', 105, 110, [107, 108, 106, 107, 1e6], 107],
      ['fills a buy at the stop when it triggers inside the bar at or below the limit', 'buy', 105, 106, [100, 107, 99, 104, 1e6], 105],
      ['does not fill a buy on the trigger bar when the stop is above the limit', 'buy', 105, 103, [100, 106, 99, 104, 1e6], null],
      ['fills a sell at the open when the bar gaps down through the stop within the limit', 'sell', 95, 90, [92, 93, 91, 92, 1e6], 92],
      ['fills a sell at the stop when it triggers inside the bar at or above the limit', 'sell', 95, 94, [100, 101, 93, 96, 1e6], 95],
      ['does not fill a sell on the trigger bar when the stop is below the limit', 'sell', 95, 97, [100, 101, 94, 96, 1e6], null],
    ];

    it.each(cases)('%s', (_what, side, stop, limit, bar, expected) => {
      const { broker, sink } = startBroker({ bars: [QUIET, bar] });
      broker.submit(orderAt(0, { id: 'sl1', side, type: 'stop_limit', stopPrice: stop, limitPrice: limit }));
      broker.processBar(1);
      expect(sink.fills.map((f) => f.price)).toEqual(expected === null ? [] : [expected]);
    });

    it('fills a triggered buy stop-limit as a limit on a later bar when the low reaches the limit', () => {
      const { broker, sink } = startBroker({ bars: [QUIET, [100, 106, 99, 104, 1e6], [104, 105, 102.5, 104, 1e6]] });
      broker.submit(orderAt(0, { id: 'sl1', type: 'stop_limit', stopPrice: 105, limitPrice: 103 }));
      runBars(broker, 1, 2);
      expect(sink.fills.map((f) => [f.price, f.time])).toEqual([[103, barTime(2)]]);
    });
  });

  describe('bracket orders', () => {
    /** Bar 1 (the entry bar) touches both legs; bar 2 only the take-profit. */
    const BARS: readonly BarSpec[] = [QUIET, [100, 111, 94, 100, 1e6], [105, 111, 104, 109, 1e6]];
    const bracket = orderAt(0, { id: 'b1', type: 'bracket', takeProfitPrice: 110, stopLossPrice: 95 });

    it('fills the entry at the next open', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(bracket);
      broker.processBar(1);
      expect(sink.fillsOf('b1').map((f) => [f.qty, f.price])).toEqual([[100, 100]]);
    });

    it('opens an accepted take-profit limit and stop-loss stop for the filled quantity, tagged with the parent', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(bracket);
      broker.processBar(1);
      const legs = sink.updates.filter((u) => u.parentId !== undefined);
      expect(legs.map((u) => ({ id: u.clientOrderId, status: u.status, side: u.side, qty: u.qty, parentId: u.parentId, limit: u.limitPrice, stop: u.stopPrice }))).toEqual([
        { id: 'b1.tp', status: 'accepted', side: 'sell', qty: 100, parentId: 'b1', limit: 110, stop: undefined },
        { id: 'b1.sl', status: 'accepted', side: 'sell', qty: 100, parentId: 'b1', limit: undefined, stop: 95 },
      ]);
    });

    it('does not fill a leg on the entry bar even when that bar touches it', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(bracket);
      broker.processBar(1);
      expect(sink.fills.map((f) => f.clientOrderId)).toEqual(['b1']);
    });

    it('fills the take-profit at its limit on a later bar that touches only it', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(bracket);
      runBars(broker, 1, 2);
      expect(sink.fillsOf('b1.tp').map((f) => [f.qty, f.price, f.parentId])).toEqual([[100, 110, 'b1']]);
    });

    it('cancels the stop-loss when the take-profit fills (one-cancels-other)', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(bracket);
      runBars(broker, 1, 2);
      const last = sink.updatesOf('b1.sl').at(-1);
      expect(last?.status).toBe('canceled');
      expect(last?.reason).toMatch(/^oco/);
    });

    // [case, leg that fills, side, take-profit, stop-loss, profile path, bar 2]
    const both: readonly [string, string, OrderSide, number, number, IntrabarPath | 'realistic', BarSpec][] = [
      ['the realistic profile', 'b1.sl', 'buy', 110, 95, 'realistic', [100, 111, 94, 105, 1e6]],
      ['stop-first', 'b1.sl', 'buy', 110, 95, 'stop-first', [100, 111, 94, 105, 1e6]],
      ['target-first', 'b1.tp', 'buy', 110, 95, 'target-first', [100, 111, 94, 105, 1e6]],
      ['ohlc on an up bar (low first)', 'b1.sl', 'buy', 110, 95, 'ohlc', [100, 111, 94, 105, 1e6]],
      ['ohlc on a flat bar (close = open: low first)', 'b1.sl', 'buy', 110, 95, 'ohlc', [100, 111, 94, 100, 1e6]],
      ['ohlc on a down bar (high first)', 'b1.tp', 'buy', 110, 95, 'ohlc', [100, 111, 94, 97, 1e6]],
      ['ohlc on an up bar, short bracket (low first)', 'b1.tp', 'sell', 90, 105, 'ohlc', [100, 106, 89, 103, 1e6]],
      ['ohlc on a down bar, short bracket (high first)', 'b1.sl', 'sell', 90, 105, 'ohlc', [100, 106, 89, 97, 1e6]],
      ['stop-first, short bracket', 'b1.sl', 'sell', 90, 105, 'stop-first', [100, 106, 89, 103, 1e6]],
      ['target-first, short bracket', 'b1.tp', 'sell', 90, 105, 'target-first', [100, 106, 89, 97, 1e6]],
    ];

    it.each(both)('resolves a bar touching both legs under %s by filling only %s', (_what, expected, side, tp, sl, path, bar) => {
      const profile = path === 'realistic' ? profileOf('realistic') : profileOf('idealistic', { intrabarPath: path });
      const { broker, sink } = startBroker({ bars: [QUIET, QUIET, bar], profile });
      broker.submit(orderAt(0, { id: 'b1', side, type: 'bracket', takeProfitPrice: tp, stopLossPrice: sl }));
      runBars(broker, 1, 2);
      expect(sink.fills.filter((f) => f.parentId !== undefined).map((f) => f.clientOrderId)).toEqual([expected]);
    });

    it('cancels the legs a partly filled entry opens when every order is canceled at the end', () => {
      // The entry fills 100 of 250 under the cap; cancelAll ends it, which opens legs for the 100
      // shares. Those legs must not be left reported as working after cancelAll.
      const profile = profileOf('idealistic', { maxParticipation: 0.1 });
      const { broker, sink } = startBroker({ bars: [QUIET, [100, 101, 99, 100, 1000]], profile });
      broker.submit(orderAt(0, { id: 'b1', qty: 250, type: 'bracket', takeProfitPrice: 110, stopLossPrice: 95 }));
      broker.processBar(1);
      broker.cancelAll('end of data');
      expect([sink.statusesOf('b1.tp').at(-1), sink.statusesOf('b1.sl').at(-1)]).toEqual(['canceled', 'canceled']);
    });
  });

  describe('volume participation', () => {
    const CAPPED = profileOf('idealistic', { maxParticipation: 0.1 });
    const BARS: readonly BarSpec[] = [QUIET, [100, 101, 99, 100, 1000], [100, 101, 99, 100, 1000], [100, 101, 99, 100, 1000]];

    it('splits an order over bars at 10% of each bar volume', () => {
      const { broker, sink } = startBroker({ bars: BARS, profile: CAPPED });
      broker.submit(orderAt(0, { id: 'p1', qty: 250 }));
      runBars(broker, 1, 3);
      expect(sink.fills.map((f) => f.qty)).toEqual([100, 100, 50]);
    });

    it('reports partial fills until the order is complete', () => {
      const { broker, sink } = startBroker({ bars: BARS, profile: CAPPED });
      broker.submit(orderAt(0, { id: 'p1', qty: 250 }));
      runBars(broker, 1, 3);
      expect(sink.updatesOf('p1').map((u) => [u.status, u.filledQty])).toEqual([
        ['accepted', 0],
        ['partially_filled', 100],
        ['partially_filled', 200],
        ['filled', 250],
      ]);
    });

    it('expires a partly filled day order at the end of its session', () => {
      const { broker, sink } = startBroker({ bars: BARS, profile: CAPPED });
      broker.submit(orderAt(0, { id: 'p1', qty: 250, timeInForce: 'day' }));
      runBars(broker, 1, 3);
      expect(sink.updatesOf('p1').map((u) => [u.status, u.filledQty])).toEqual([
        ['accepted', 0],
        ['partially_filled', 100],
        ['expired', 100],
      ]);
    });

    it('applies no cap on a bar without volume', () => {
      const { broker, sink } = startBroker({ bars: [QUIET, [100, 101, 99, 100, 0]], profile: CAPPED });
      broker.submit(orderAt(0, { id: 'p1', qty: 250 }));
      broker.processBar(1);
      expect(sink.fills.map((f) => f.qty)).toEqual([250]);
    });

    it('shares one bar volume between the orders on the same symbol', () => {
      const { broker, sink } = startBroker({ bars: BARS.slice(0, 2), profile: CAPPED });
      broker.submit(orderAt(0, { id: 'p1', qty: 60 }));
      broker.submit(orderAt(0, { id: 'p2', qty: 60 }));
      broker.processBar(1);
      expect(sink.fills.map((f) => [f.clientOrderId, f.qty])).toEqual([
        ['p1', 60],
        ['p2', 40],
      ]);
    });
  });

  describe('time in force', () => {
    const BARS: readonly BarSpec[] = [QUIET, [100, 101, 99, 100, 1e6], [97, 98, 94, 96, 1e6]];

    it('expires a day limit that does not fill on its first eligible bar', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'd1', type: 'limit', limitPrice: 95, timeInForce: 'day' }));
      runBars(broker, 1, 2);
      expect(sink.updatesOf('d1').map((u) => [u.status, u.time, u.reason])).toEqual([
        ['accepted', barTime(0), undefined],
        ['expired', barTime(1), 'day order: session ended'],
      ]);
    });

    it('keeps a gtc limit working until a later bar fills it', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'g1', type: 'limit', limitPrice: 95, timeInForce: 'gtc' }));
      runBars(broker, 1, 2);
      expect(sink.updatesOf('g1').map((u) => u.status)).toEqual(['accepted', 'filled']);
    });
  });

  describe('latency', () => {
    const BARS: readonly BarSpec[] = [QUIET, [101, 102, 100, 101, 1e6], [103, 104, 102, 103, 1e6]];
    const SLOW = profileOf('idealistic', { latencyMs: 2 * DAY_MS });

    it('fills a market order at the open of the first bar at or after its arrival', () => {
      const { broker, sink } = startBroker({ bars: BARS, profile: SLOW });
      broker.submit(orderAt(0, { id: 'm1' }));
      runBars(broker, 1, 2);
      expect(sink.fills.map((f) => [f.price, f.time])).toEqual([[103, barTime(2)]]);
    });

    it('stamps the acceptance at decision time plus latency', () => {
      const { broker, sink } = startBroker({ bars: BARS, profile: SLOW });
      broker.submit(orderAt(0, { id: 'm1' }));
      runBars(broker, 1, 2);
      expect(sink.updatesOf('m1')[0]).toMatchObject({ status: 'accepted', time: barTime(0) + 2 * DAY_MS });
    });
  });

  describe('commands', () => {
    const BARS: readonly BarSpec[] = [QUIET, [100, 101, 99, 100, 1e6], [100, 101, 98.5, 100, 1e6]];

    it('treats a second submission of the same client order id as the first', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'x1' }));
      broker.submit(orderAt(0, { id: 'x1', qty: 300 }));
      broker.processBar(1);
      expect([sink.statusesOf('x1'), sink.fills.map((f) => f.qty)]).toEqual([['accepted', 'filled'], [100]]);
    });

    it('cancels a working order with a canceled update', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'c1', type: 'limit', limitPrice: 90 }));
      broker.processBar(1);
      broker.cancel(idOf('c1'));
      expect(sink.updatesOf('c1').at(-1)).toMatchObject({ status: 'canceled', reason: 'canceled by client', time: barTime(1) });
    });

    it('ignores a cancel of an unknown id', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'c1', type: 'limit', limitPrice: 90 }));
      broker.processBar(1);
      const before = sink.events.length;
      broker.cancel(idOf('nope'));
      expect(sink.events.length).toBe(before);
    });

    it('ignores a second cancel of an order it has just canceled', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'c1', type: 'limit', limitPrice: 90 }));
      broker.processBar(1);
      broker.cancel(idOf('c1'));
      broker.cancel(idOf('c1'));
      expect(sink.statusesOf('c1')).toEqual(['accepted', 'canceled']);
    });

    it('counts only orders not yet in a final state as open', () => {
      const { broker } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'c1', type: 'limit', limitPrice: 90 }));
      broker.submit(orderAt(0, { id: 'c2', type: 'limit', limitPrice: 90 }));
      broker.processBar(1);
      broker.cancel(idOf('c1'));
      expect(broker.openOrderCount).toBe(1);
    });

    it('ends a replaced order with a reason naming its replacement', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'r1', type: 'limit', limitPrice: 90 }));
      broker.processBar(1);
      broker.replace(idOf('r1'), { newClientOrderId: idOf('r2'), qty: 150, limitPrice: 99 });
      expect(sink.updatesOf('r1').at(-1)).toMatchObject({ status: 'replaced', reason: expect.stringContaining('r2') });
    });

    it('works the replacement with the new quantity and limit', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'r1', type: 'limit', limitPrice: 90 }));
      broker.processBar(1);
      broker.replace(idOf('r1'), { newClientOrderId: idOf('r2'), qty: 150, limitPrice: 99 });
      broker.processBar(2);
      expect([sink.statusesOf('r2'), sink.fills.map((f) => [f.clientOrderId, f.qty, f.price])]).toEqual([['accepted', 'filled'], [['r2', 150, 99]]]);
    });

    it('reports every open order canceled with the given reason on cancelAll', () => {
      const { broker, sink } = startBroker({ bars: BARS });
      broker.submit(orderAt(0, { id: 'c1', type: 'limit', limitPrice: 90 }));
      broker.submit(orderAt(0, { id: 'c2', type: 'stop', stopPrice: 120 }));
      broker.processBar(1);
      broker.cancelAll('end of data');
      expect(sink.updates.filter((u) => u.status === 'canceled').map((u) => [u.clientOrderId, u.reason])).toEqual([
        ['c1', 'end of data'],
        ['c2', 'end of data'],
      ]);
    });
  });

  describe('rejections', () => {
    const invalid: readonly [string, Parameters<typeof orderAt>[1], RegExp][] = [
      ['an unknown symbol', { id: 'v1', symbol: ticker('ZZZ') }, /^unknown symbol ZZZ$/],
      ['a fractional quantity', { id: 'v1', qty: 1.5 }, /positive whole number, got 1\.5/],
      ['a zero quantity', { id: 'v1', qty: 0 }, /positive whole number, got 0/],
      ['a limit order without a limit price', { id: 'v1', type: 'limit' }, /limit order needs a positive limit price/],
      ['a stop order without a stop price', { id: 'v1', type: 'stop' }, /stop order needs a positive stop price/],
      ['a buy bracket with the take-profit below the stop-loss', { id: 'v1', type: 'bracket', takeProfitPrice: 90, stopLossPrice: 95 }, /take-profit 90 must be on the profitable side of stop-loss 95/],
      ['a sell bracket with the take-profit above the stop-loss', { id: 'v1', side: 'sell', type: 'bracket', takeProfitPrice: 110, stopLossPrice: 105 }, /take-profit 110 must be on the profitable side/],
    ];

    it.each(invalid)('rejects %s at submission with a reason', (_what, fields, reason) => {
      const { broker, sink } = startBroker({ bars: [QUIET, QUIET] });
      broker.submit(orderAt(0, fields));
      expect(sink.updates.map((u) => [u.status, u.reason])).toEqual([['rejected', expect.stringMatching(reason)]]);
    });

    it('rejects a buy at the fill when the cash does not cover it', () => {
      const { broker, sink } = startBroker({ bars: [QUIET, QUIET], cash: 1_000 });
      broker.submit(orderAt(0, { id: 'v1', qty: 100 }));
      broker.processBar(1);
      expect([sink.fills.length, sink.updatesOf('v1').at(-1)?.status, sink.updatesOf('v1').at(-1)?.reason]).toEqual([
        0,
        'rejected',
        expect.stringMatching(/^insufficient buying power/),
      ]);
    });

    it('rejects every order for liquidity when the reject probability is 1', () => {
      const { broker, sink } = startBroker({ bars: [QUIET, QUIET], profile: profileOf('idealistic', { rejectProbability: 1 }) });
      for (let i = 0; i < 5; i++) broker.submit(orderAt(0, { id: `q${i}` }));
      broker.processBar(1);
      expect(sink.updates.map((u) => [u.status, u.reason])).toEqual(Array.from({ length: 5 }, () => ['rejected', expect.stringContaining('liquidity')]));
    });

    const rejectedIds = (seed: number): string[] => {
      const { broker, sink } = startBroker({ bars: [QUIET, QUIET], profile: profileOf('idealistic', { rejectProbability: 0.5 }), seed });
      for (let i = 0; i < 40; i++) broker.submit(orderAt(0, { id: `q${i}` }));
      broker.processBar(1);
      return sink.updates.filter((u) => u.status === 'rejected').map((u) => u.clientOrderId);
    };

    it('draws the same liquidity rejects from the same seed', () => {
      expect(rejectedIds(7)).toEqual(rejectedIds(7));
    });

    it('draws different liquidity rejects from a different seed', () => {
      expect(rejectedIds(7)).not.toEqual(rejectedIds(8));
    });

    it('rejects some but not all orders at probability one half', () => {
      const rejected = rejectedIds(7).length;
      expect({ someRejected: rejected > 5, someAccepted: rejected < 35 }).toEqual({ someRejected: true, someAccepted: true });
    });
  });

  describe('fees', () => {
    const FEES = { feePerShare: 0.01, feeMinimum: 1 } as const;

    it('charges the per-order minimum on a small fill', () => {
      const { broker, sink } = startBroker({ bars: [QUIET, QUIET], profile: profileOf('idealistic', FEES) });
      broker.submit(orderAt(0, { id: 'f1', qty: 50 }));
      broker.processBar(1);
      expect(sink.fills[0]?.commission).toBe(1);
    });

    it('tops up the minimum on the first partial fill and charges the rest so the order pays its per-share total', () => {
      const profile = profileOf('idealistic', { ...FEES, maxParticipation: 0.1 });
      const bar: BarSpec = [100, 101, 99, 100, 1000];
      const { broker, sink } = startBroker({ bars: [QUIET, bar, bar, bar], profile });
      broker.submit(orderAt(0, { id: 'f1', qty: 250 }));
      runBars(broker, 1, 3);
      const commissions = sink.fills.map((f) => f.commission);
      expect(commissions.map((c) => Math.round(c * 1e9) / 1e9)).toEqual([1, 1, 0.5]);
    });

    it('books the fees in the account cash', () => {
      const { broker, ledger } = startBroker({ bars: [QUIET, QUIET], profile: profileOf('idealistic', FEES), cash: 100_000 });
      broker.submit(orderAt(0, { id: 'f1', qty: 50 }));
      broker.processBar(1);
      expect(ledger.cash).toBe(100_000 - 50 * 100 - 1);
    });
  });

  describe('square-root impact', () => {
    // Bars 0..4 are history, bar 5 the fill bar; lookback 3 uses bars 2, 3 and 4.
    const CLOSES = [100, 102, 99, 103, 101];
    const VOLUMES = [5_000, 1_000, 2_000, 4_000, 3_000];
    const history: BarSpec[] = CLOSES.map((c, k) => [c, c + 1, c - 1, c, VOLUMES[k] as number]);
    const PROFILE = profileOf('idealistic', { impactK: 0.5, slippageBps: 2, halfSpreadBps: 1, lookbackBars: 3 });
    const QTY = 500;

    /** The impact model computed independently: sample σ of simple returns and mean volume over bars 2..4. */
    function expectedCostBps(): number {
      const returns = [2, 3, 4].map((k) => (CLOSES[k] as number) / (CLOSES[k - 1] as number) - 1);
      const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
      const sigma = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1));
      const adv = ((VOLUMES[2] as number) + (VOLUMES[3] as number) + (VOLUMES[4] as number)) / 3;
      return 0.5 * sigma * Math.sqrt(QTY / adv) * 10_000 + 3;
    }

    it.each<[OrderSide, number]>([
      ['buy', 1],
      ['sell', -1],
    ])('moves a market %s by fixed costs plus k·σ·√(q/ADV)', (side, sign) => {
      const { broker, sink } = startBroker({ bars: [...history, [100, 150, 50, 100, 10_000]], profile: PROFILE });
      broker.submit(orderAt(4, { id: 'i1', side, qty: QTY }));
      broker.processBar(5);
      expect(sink.fills[0]?.price).toBeCloseTo(100 * (1 + (sign * expectedCostBps()) / 10_000), 9);
    });

    it('does not look at the fill bar itself', () => {
      const { broker, sink } = startBroker({ bars: [...history, [100, 150, 50, 140, 1]], profile: PROFILE });
      broker.submit(orderAt(4, { id: 'i1', qty: QTY }));
      broker.processBar(5);
      expect(sink.fills[0]?.price).toBeCloseTo(100 * (1 + expectedCostBps() / 10_000), 9);
    });
  });
});
