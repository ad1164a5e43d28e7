import type { OrderStatus } from '@quantbot/core';
import { ORDER_TRANSITIONS } from '@quantbot/core';
import { alpacaOrderStatus, coreOrderStatus } from './alpaca-order-status';
import { ALPACA_ORDER_STATUSES, ALPACA_TERMINAL_STATUSES } from './alpaca-types';

describe('coreOrderStatus / alpacaOrderStatus', () => {
  it('maps every Alpaca status to its core state, or to none for Alpaca-only states', () => {
    const mapped = Object.fromEntries(ALPACA_ORDER_STATUSES.map((s) => [s, coreOrderStatus(s)]));
    expect(mapped).toEqual({
      new: 'accepted',
      partially_filled: 'partially_filled',
      filled: 'filled',
      done_for_day: 'expired',
      canceled: 'canceled',
      expired: 'expired',
      replaced: 'replaced',
      pending_cancel: null,
      pending_replace: null,
      accepted: 'accepted',
      pending_new: 'accepted',
      accepted_for_bidding: 'accepted',
      stopped: null,
      rejected: 'rejected',
      suspended: null,
      calculated: null,
      held: null,
    });
  });

  it("agrees with Alpaca on which statuses are final", () => {
    for (const status of ALPACA_ORDER_STATUSES) {
      const core = coreOrderStatus(status);
      const final = core !== null && Object.keys(ORDER_TRANSITIONS[core]).length === 0;
      expect([status, final]).toEqual([status, ALPACA_TERMINAL_STATUSES.includes(status)]);
    }
  });

  it('writes each core state as the Alpaca status that reads back as it (a working order is `new`)', () => {
    const states = Object.keys(ORDER_TRANSITIONS) as OrderStatus[];
    expect(Object.fromEntries(states.map((s) => [s, alpacaOrderStatus(s)]))).toEqual({
      new: 'pending_new',
      accepted: 'new',
      partially_filled: 'partially_filled',
      filled: 'filled',
      canceled: 'canceled',
      expired: 'expired',
      rejected: 'rejected',
      replaced: 'replaced',
    });
    for (const s of states.filter((state) => state !== 'new')) expect(coreOrderStatus(alpacaOrderStatus(s))).toBe(s);
  });
});
