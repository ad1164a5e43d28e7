import { ConfigError } from '@quantbot/core';
import type { ReplaySource } from './replay';
import { formatReplay, replayEvents } from './replay';
import type { DecisionEvent, OrderEventRecord, OrderEventRecordKind } from './run-records';

function decision(seq: number, time: string, symbol: string, clientOrderId: string, extra: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    seq,
    time,
    symbol,
    action: 'submit',
    clientOrderId,
    side: 'buy',
    type: 'market',
    qty: 10,
    limitPrice: null,
    stopPrice: null,
    inputs: { close: 101.5, sma20: 99.8 },
    ...extra,
  };
}

function order(seq: number, time: string, symbol: string, clientOrderId: string, event: OrderEventRecordKind, extra: Partial<OrderEventRecord> = {}): OrderEventRecord {
  return {
    seq,
    time,
    symbol,
    clientOrderId,
    event,
    side: 'buy',
    type: 'market',
    qty: 10,
    filledQty: 0,
    fillQty: null,
    fillPrice: null,
    commission: null,
    reason: null,
    ...extra,
  };
}

const DAY1 = '2024-01-02T00:00:00.000Z';
const DAY2 = '2024-01-03T00:00:00.000Z';

// Deliberately out of order in the arrays: replay must merge by time, then seq.
const RUN: ReplaySource = {
  decisions: [
    decision(5, DAY2, 'SPY', 'c-3', { action: 'submit', side: 'sell', type: 'limit', limitPrice: 470.5 }),
    decision(1, DAY1, 'ORCL', 'c-1'),
    decision(4, DAY1, 'SPY', 'c-2', { inputs: {} }),
  ],
  orders: [
    order(7, DAY2, 'SPY', 'c-3', 'rejected', { side: 'sell', type: 'limit', reason: 'max-position' }),
    order(2, DAY1, 'ORCL', 'c-1', 'submitted'),
    order(3, DAY1, 'ORCL', 'c-1', 'filled', { filledQty: 10, fillQty: 10, fillPrice: 101.6, commission: 1 }),
    order(6, DAY2, 'ORCL', 'c-4', 'partially-filled', { filledQty: 4, fillQty: 4, fillPrice: 102 }),
    order(8, '2024-01-03T10:00:00.000Z', 'ORCL', 'c-4', 'canceled', { filledQty: 4, reason: 'end of day' }),
  ],
};

describe('replayEvents', () => {
  it('merges decisions and order events in time order, then seq', () => {
    const entries = replayEvents(RUN);
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(entries.map((entry) => entry.kind)).toEqual(['decision', 'order', 'fill', 'decision', 'decision', 'fill', 'order', 'order']);
  });

  it('orders by time before seq', () => {
    const late = { decisions: [decision(1, DAY2, 'ORCL', 'c-1')], orders: [order(2, DAY1, 'ORCL', 'c-0', 'expired')] };
    expect(replayEvents(late).map((entry) => entry.seq)).toEqual([2, 1]);
  });

  it('describes each entry in one readable line and keeps the record', () => {
    const [first, second, third] = replayEvents(RUN);
    expect(first).toEqual({
      kind: 'decision',
      time: DAY1,
      seq: 1,
      symbol: 'ORCL',
      clientOrderId: 'c-1',
      text: 'submit buy 10 market | close=101.5 sma20=99.8',
      record: RUN.decisions[1],
    });
    expect(second?.text).toBe('submitted buy 10 market');
    expect(third?.text).toBe('filled buy 10 @ 101.6 (10/10) commission=1');
    const texts = replayEvents(RUN).map((entry) => entry.text);
    expect(texts).toContain('submit sell 10 limit limit=470.5 | close=101.5 sma20=99.8');
    expect(texts).toContain('rejected sell 10 limit: max-position');
    expect(texts).toContain('canceled buy 10 market (filled 4/10): end of day');
    expect(texts).toContain('submit buy 10 market');
  });

  it('filters by symbol, case-insensitively', () => {
    expect(replayEvents(RUN, { symbol: 'spy' }).map((entry) => entry.seq)).toEqual([4, 5, 7]);
  });

  it('filters by UTC date', () => {
    expect(replayEvents(RUN, { date: '2024-01-03' }).map((entry) => entry.seq)).toEqual([5, 6, 7, 8]);
    expect(replayEvents(RUN, { date: '2024-01-04' })).toEqual([]);
  });

  it('keeps only rejected, canceled and expired events and anything with a reason when errorsOnly', () => {
    const withReason = { decisions: [], orders: [order(1, DAY1, 'ORCL', 'c-9', 'accepted', { reason: 'adjusted qty' })] };
    expect(replayEvents(RUN, { errorsOnly: true }).map((entry) => entry.seq)).toEqual([7, 8]);
    expect(replayEvents(withReason, { errorsOnly: true }).map((entry) => entry.seq)).toEqual([1]);
  });

  it('keeps the first N entries after filtering', () => {
    expect(replayEvents(RUN, { symbol: 'ORCL', limit: 2 }).map((entry) => entry.seq)).toEqual([1, 2]);
    expect(replayEvents(RUN, { limit: 100 })).toHaveLength(8);
  });

  it.each(['2024-1-2', '2024-02-30', '02/01/2024', '2024-13-01', ''])('refuses the date %j with a ConfigError naming the date', (date) => {
    expect(() => replayEvents(RUN, { date })).toThrow(ConfigError);
    expect(() => replayEvents(RUN, { date })).toThrow(/^date:/);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses the limit %p with a ConfigError naming the limit', (limit) => {
    expect(() => replayEvents(RUN, { limit })).toThrow(/^limit:/);
  });

  it('refuses a record whose time is not ISO 8601', () => {
    expect(() => replayEvents({ decisions: [decision(1, 'yesterday', 'ORCL', 'c-1')], orders: [] })).toThrow(/'yesterday' is not an ISO 8601 time/);
  });
});

describe('formatReplay', () => {
  it('aligns the columns, one line per entry', () => {
    const text = formatReplay(replayEvents(RUN, { limit: 3 }).concat(replayEvents(RUN, { errorsOnly: true })));
    expect(text).toBe(
      [
        '2024-01-02T00:00:00.000Z  1  decision  ORCL  c-1  submit buy 10 market | close=101.5 sma20=99.8',
        '2024-01-02T00:00:00.000Z  2  order     ORCL  c-1  submitted buy 10 market',
        '2024-01-02T00:00:00.000Z  3  fill      ORCL  c-1  filled buy 10 @ 101.6 (10/10) commission=1',
        '2024-01-03T00:00:00.000Z  7  order     SPY   c-3  rejected sell 10 limit: max-position',
        '2024-01-03T10:00:00.000Z  8  order     ORCL  c-4  canceled buy 10 market (filled 4/10): end of day',
        '',
      ].join('\n'),
    );
  });

  it('returns an empty string for no entries', () => {
    expect(formatReplay([])).toBe('');
  });
});
