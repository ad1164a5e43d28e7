import type { LedgerSnapshot } from '@quantbot/core';
import type { CheckpointOrder } from './live-checkpoint';
import { reconcile } from './reconcile';
import type { BrokerAccountView, BrokerOrderView } from './reconcile';

const symbols = ['AAA', 'BBB'];
const ledger: LedgerSnapshot = {
  startingCash: 10_000,
  cash: 9_000,
  fees: 0,
  realizedPnl: 0,
  positions: [
    { symbol: 'AAA', qty: 10, averageCost: 100, mark: 101, realizedPnl: 0 },
    { symbol: 'BBB', qty: 0, averageCost: 0, mark: null, realizedPnl: 0 },
  ],
};
const working = (id: string): CheckpointOrder => ({
  clientOrderId: id, symbol: 'BBB', side: 'buy', qty: 5, filledQty: 0, referencePrice: 20, decidedAt: 1, type: 'market', timeInForce: 'gtc', limitPrice: null, stopPrice: null,
});
const open = (id: string, symbol = 'BBB'): BrokerOrderView => ({
  clientOrderId: id, symbol, side: 'buy', type: 'limit', timeInForce: 'gtc', qty: 5, filledQty: 0, limitPrice: 19, stopPrice: null, createdAt: 2,
});
const broker = (overrides: Partial<BrokerAccountView> = {}): BrokerAccountView => ({
  cash: 9_000,
  positions: [{ symbol: 'AAA', qty: 10, avgEntryPrice: 100, currentPrice: 102 }],
  openOrders: [],
  ...overrides,
});
const options = { sessionPrefix: 'paper-1', policy: 'cancel' as const };

describe('reconcile (the broker is authoritative)', () => {
  it('finds nothing to say when the books agree, and keeps the local cost basis', () => {
    const plan = reconcile({ symbols, ledger, working: [] }, broker(), [], options);
    expect(plan.divergences).toEqual([]);
    expect(plan.ledger.positions[0]).toMatchObject({ symbol: 'AAA', qty: 10, averageCost: 100, mark: 102 });
    expect(plan.ledger.cash).toBe(9_000);
  });

  it('counts fills recovered through REST before comparing: a fill missed while away is no divergence', () => {
    const plan = reconcile(
      { symbols, ledger, working: [working('paper-1-BBB-x-1')] },
      broker({ cash: 8_900, positions: [{ symbol: 'AAA', qty: 10, avgEntryPrice: 100, currentPrice: 102 }, { symbol: 'BBB', qty: 5, avgEntryPrice: 20, currentPrice: 21 }] }),
      [{ fillKey: 'paper-1-BBB-x-1@5', clientOrderId: 'paper-1-BBB-x-1', symbol: 'BBB', side: 'buy', qty: 5, price: 20, commission: 0, time: 3, recovered: true }],
      options,
    );
    expect(plan.divergences.map((d) => d.kind)).toEqual(['order-ended-while-away']);
    expect(plan.working).toEqual([]);
    expect(plan.ledger.positions[1]).toMatchObject({ symbol: 'BBB', qty: 5, averageCost: 20 });
  });

  it('records position and cash divergences, then takes the broker numbers', () => {
    const plan = reconcile({ symbols, ledger, working: [] }, broker({ cash: 8_000, positions: [{ symbol: 'AAA', qty: 7, avgEntryPrice: 99, currentPrice: 102 }] }), [], options);
    expect(plan.divergences).toEqual([
      expect.objectContaining({ kind: 'position', symbol: 'AAA', local: 10, broker: 7 }),
      expect.objectContaining({ kind: 'cash', local: 9_000, broker: 8_000 }),
    ]);
    expect(plan.ledger.positions[0]).toMatchObject({ qty: 7, averageCost: 99 });
    expect(plan.ledger.cash).toBe(8_000);
  });

  it('adopts its own orphans, and cancels or adopts foreign ones on its symbols by policy', () => {
    const view = broker({ openOrders: [open('paper-1-BBB-20240305T150100Z-1'), open('manual-7'), open('manual-8', 'ZZZ')] });
    const cancel = reconcile({ symbols, ledger, working: [] }, view, [], options);
    expect(cancel.working.map((o) => o.clientOrderId)).toEqual(['paper-1-BBB-20240305T150100Z-1']);
    expect(cancel.cancel).toEqual(['manual-7']);
    expect(cancel.divergences.map((d) => [d.kind, d.action.split(':')[0]])).toEqual([
      ['orphan-order', 'adopted'],
      ['foreign-order', 'canceled (policy cancel)'],
      ['foreign-order', 'left alone'],
    ]);
    const adopt = reconcile({ symbols, ledger, working: [] }, view, [], { ...options, policy: 'adopt' });
    expect(adopt.working.map((o) => o.clientOrderId)).toEqual(['paper-1-BBB-20240305T150100Z-1', 'manual-7']);
    expect(adopt.cancel).toEqual([]);
  });
});
