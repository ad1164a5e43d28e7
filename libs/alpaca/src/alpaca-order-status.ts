import type { OrderStatus } from '@quantbot/core';
import type { AlpacaOrderStatus } from './alpaca-types';

/**
 * The core order state an Alpaca order status stands for: the one mapping between Alpaca's
 * statuses and core `OrderStatus`, read by the order tracker (and so the Broker port) and, in
 * the other direction through {@link alpacaOrderStatus}, by the fake's wire views.
 *
 * - `new`, `accepted`, `pending_new`, `accepted_for_bidding`: `accepted` (Alpaca has the order and
 *   it is working, or about to be routed);
 * - `partially_filled`, `filled`, `canceled`, `expired`, `replaced`, `rejected`: the same name;
 * - `done_for_day`: `expired` (it gets no further fill that session);
 * - `pending_cancel`, `pending_replace`, `stopped`, `suspended`, `calculated`, `held` (a bracket
 *   or OTO leg waiting for its entry to fill): `null`. They are
 *   Alpaca's own intermediate states with no core counterpart; the order keeps its core state
 *   and the final outcome follows as another status.
 */
export function coreOrderStatus(status: AlpacaOrderStatus): OrderStatus | null {
  switch (status) {
    case 'new':
    case 'accepted':
    case 'pending_new':
    case 'accepted_for_bidding':
      return 'accepted';
    case 'partially_filled':
    case 'filled':
    case 'canceled':
    case 'expired':
    case 'replaced':
    case 'rejected':
      return status;
    case 'done_for_day':
      return 'expired';
    case 'pending_cancel':
    case 'pending_replace':
    case 'stopped':
    case 'suspended':
    case 'calculated':
    case 'held':
      return null;
  }
}

/**
 * The status Alpaca writes for an order in core state `status`, the way the fake reports its
 * orders: a working order is `new` (Alpaca's word for an order routed and working), every other
 * state has Alpaca's status of the same name, and an order not yet acknowledged is
 * `pending_new`. The first Alpaca status, in that preference, that {@link coreOrderStatus} maps to
 * `status`; `pending_new` (read back as `accepted`) for `new`, the one state no status maps to.
 */
export function alpacaOrderStatus(status: OrderStatus): AlpacaOrderStatus {
  return WRITTEN.find((s) => coreOrderStatus(s) === status) ?? 'pending_new';
}

/** Alpaca's statuses in the order the fake prefers to write them. */
const WRITTEN: readonly AlpacaOrderStatus[] = ['new', 'partially_filled', 'filled', 'canceled', 'expired', 'replaced', 'rejected'];
