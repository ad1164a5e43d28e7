import { judgeDrill, runDrill } from './drill';
import type { Drill, DrillObservation } from './drill';
import { DOCUMENTED_EXIT_CODES, expectedOutcome, fillsBookedOnce, haltedAsExpected, ledgerEqualsBroker, noDuplicateOrders, recoveredWithin } from './invariants';
import type { BrokerOrderFact } from './invariants';

const order = (clientOrderId: string, filledQty = 10): BrokerOrderFact => ({ clientOrderId, symbol: 'AAA', side: 'buy', qty: 10, filledQty, status: filledQty === 10 ? 'filled' : 'new' });

/** What a clean drill would have seen. */
const clean: DrillObservation = {
  sessionId: 's',
  brokerOrders: [order('s-AAA-1-0'), order('s-AAA-2-0')],
  journaledFills: [
    { fillKey: 'f1', clientOrderId: 's-AAA-1-0', qty: 10 },
    { fillKey: 'f2', clientOrderId: 's-AAA-2-0', qty: 10 },
  ],
  ledger: { cash: 98_000, positions: [{ symbol: 'AAA', qty: 20 }] },
  broker: { cash: 98_000, positions: [{ symbol: 'AAA', qty: 20 }] },
  killSwitch: { state: 'active', reason: null },
  outcome: 'stopped',
  outcomeDetail: '',
  recoveryMs: 120,
};
const expected = { outcome: ['stopped'] as const, halted: false, maxRecoveryMs: 1_000 };

describe('the invariants', () => {
  it('pass on a clean observation', () => {
    expect(judgeDrill(expected, clean).every((v) => v.ok)).toBe(true);
  });

  it('report an order sent twice (a fabricated duplicate client order id) as failed, naming it', () => {
    const verdict = noDuplicateOrders([...clean.brokerOrders, order('s-AAA-2-0', 0)]);
    expect(verdict).toEqual({ invariant: 'no-duplicate-orders', ok: false, detail: 'client order id(s) at the broker more than once: s-AAA-2-0 x2' });
    const judged = judgeDrill(expected, { ...clean, brokerOrders: [...clean.brokerOrders, order('s-AAA-2-0', 0)] });
    expect(judged.filter((v) => !v.ok).map((v) => v.invariant)).toEqual(['no-duplicate-orders', 'fills-booked-once']);
  });

  it('report a fill booked twice, a fill lost and a fill the broker never made', () => {
    expect(fillsBookedOnce('s', clean.brokerOrders, [...clean.journaledFills, { fillKey: 'f2', clientOrderId: 's-AAA-2-0', qty: 10 }]).detail).toContain('fill f2 journaled twice');
    expect(fillsBookedOnce('s', clean.brokerOrders, clean.journaledFills.slice(0, 1)).detail).toBe('s-AAA-2-0: broker filled 10, journal holds 0');
    expect(fillsBookedOnce('s', clean.brokerOrders, [...clean.journaledFills, { fillKey: 'f3', clientOrderId: 's-BBB-3-0', qty: 1 }])).toMatchObject({ ok: false, detail: 's-BBB-3-0: journaled but unknown to the broker' });
    // Another session's orders are not this session's fills.
    expect(fillsBookedOnce('s', [...clean.brokerOrders, order('other-AAA-1-0')], clean.journaledFills).ok).toBe(true);
  });

  it('report books apart from the broker, a wrong halt, an undocumented outcome and a slow or missing recovery', () => {
    expect(ledgerEqualsBroker({ cash: 98_000, positions: [{ symbol: 'AAA', qty: 10 }] }, clean.broker)).toMatchObject({ ok: false, detail: 'AAA: ledger 10, broker 20' });
    expect(ledgerEqualsBroker({ cash: 97_999, positions: clean.broker.positions }, clean.broker).detail).toBe('cash: ledger 97999, broker 98000');
    expect(haltedAsExpected(true, { state: 'active', reason: null })).toMatchObject({ ok: false, detail: 'kill switch active; expected halted' });
    expect(haltedAsExpected(false, { state: 'halted', reason: 'x' }).ok).toBe(false);
    expect(expectedOutcome(['outage'], 'stopped')).toMatchObject({ ok: false, detail: 'stopped (exit 0); expected outage (exit 5)' });
    expect(DOCUMENTED_EXIT_CODES['venue-unavailable']).toBe(4);
    expect(recoveredWithin(1_500, 1_000).ok).toBe(false);
    expect(recoveredWithin(null, 1_000)).toMatchObject({ ok: false, detail: 'no recovery measured (limit 1000 ms)' });
  });

  it('a drill that breaks fails every invariant instead of throwing', async () => {
    const broken: Drill = { name: 'broken', fault: 'none', proves: 'nothing', expected: { outcome: ['stopped'], halted: false, maxRecoveryMs: 1 }, run: async () => Promise.reject(new Error('setup failed')) };
    let t = 0;
    const result = await runDrill(broken, { clock: () => (t += 5) });
    expect(result.ok).toBe(false);
    expect(result.error).toBe('setup failed');
    expect(result.verdicts.every((v) => !v.ok && v.detail === 'the drill broke: setup failed')).toBe(true);
  });
});
