// Buying power is checked twice for a market order, as established event-driven backtesters do:
// at submission against the signal bar's close, and at the fill against the fill price. These
// hand-made series separate the two checks: an order affordable at the next open but not at the
// signal close is rejected at submission, one affordable at the close but not at a gapped-up
// open is rejected at the fill, and the orders of one bar are checked as one plan.
import type { BarUniverse, BrokerEventSink, Fill, OrderUpdate } from '@quantbot/core';
import { PortfolioLedger, ticker } from '@quantbot/core';
import type { BarSpec } from './broker-test-kit.spec-helper';
import { AAA, RecordingSink, buildUniverse, orderAt, profileOf } from './broker-test-kit.spec-helper';
import { NextOpenFillBroker } from './next-open-fill-broker';
import { SimulatedBroker } from './simulated-broker';

const BBB = ticker('BBB');

interface SteppedBroker {
  connect(account: PortfolioLedger, sink: BrokerEventSink): void;
  submit: SimulatedBroker['submit'];
  processBar(step: number): void;
}

const BROKERS: readonly [string, (u: BarUniverse) => SteppedBroker][] = [
  ['SimulatedBroker (idealistic)', (u) => new SimulatedBroker({ universe: u, profile: profileOf('idealistic'), seed: 1 })],
  ['NextOpenFillBroker', (u) => new NextOpenFillBroker(u, 0)],
];

function start(make: (u: BarUniverse) => SteppedBroker, bars: readonly (readonly BarSpec[])[], cash: number, symbols = [AAA]): { broker: SteppedBroker; sink: RecordingSink; ledger: PortfolioLedger } {
  const universe = buildUniverse(bars, symbols);
  const ledger = new PortfolioLedger(symbols, cash);
  const sink = new RecordingSink(ledger);
  const broker = make(universe);
  broker.connect(ledger, sink);
  return { broker, sink, ledger };
}

function lastUpdate(sink: RecordingSink, id: string): OrderUpdate | undefined {
  return sink.updatesOf(id).at(-1);
}

describe.each(BROKERS)('%s: buying power at submission', (_name, make) => {
  it('rejects at submission an order affordable at the next open but not at the signal close', () => {
    // Cash 1,000; 100 shares: 100 × 10.5 = 1,050 at the signal close (too much), 100 × 9 = 900 at the next open (enough).
    const { broker, sink, ledger } = start(make, [[[10, 10.6, 9.9, 10.5, 1e6], [9, 9.5, 8.8, 9.2, 1e6], [9.2, 9.4, 9, 9.1, 1e6]]], 1_000);
    broker.processBar(0);
    broker.submit(orderAt(0, { id: 'b1', qty: 100 }));
    const update = lastUpdate(sink, 'b1');
    expect(update?.status).toBe('rejected');
    expect(update?.reason).toBe("insufficient buying power at submission: needs 1050.00 at the signal bar's close 10.5, cash 1000.00");
    broker.processBar(1);
    broker.processBar(2);
    expect(sink.fills).toEqual([]);
    expect(ledger.cash).toBe(1_000);
  });

  it('accepts an order the cash covers at the close to the cent, and fills it at the next open', () => {
    // 100 × 10 = 1,000 exactly: the check is `cash − cost < 0`, so an exact fit passes.
    const { broker, sink, ledger } = start(make, [[[10, 10.1, 9.9, 10, 1e6], [9.5, 9.6, 9.4, 9.5, 1e6]]], 1_000);
    broker.processBar(0);
    broker.submit(orderAt(0, { id: 'b1', qty: 100 }));
    broker.processBar(1);
    expect(sink.fills.map((f: Fill) => [f.qty, f.price])).toEqual([[100, 9.5]]);
    expect(ledger.cash).toBe(50);
  });

  it('still checks at the fill: affordable at the close, not at a gapped-up open, is rejected at the fill', () => {
    const { broker, sink } = start(make, [[[9, 9.6, 8.9, 9.5, 1e6], [11, 11.5, 10.8, 11.2, 1e6]]], 1_000);
    broker.processBar(0);
    broker.submit(orderAt(0, { id: 'b1', qty: 100 }));
    expect(lastUpdate(sink, 'b1')?.status).not.toBe('rejected');
    broker.processBar(1);
    const update = lastUpdate(sink, 'b1');
    expect(update?.status).toBe('rejected');
    expect(update?.reason).toBe('insufficient buying power: needs 1100.00, cash 1000.00');
    expect(sink.fills).toEqual([]);
  });

  it('checks the orders of one bar as one plan: two buys share the cash, a sale funds a later buy', () => {
    const bars: BarSpec[][] = [
      [[10, 10, 10, 10, 1e6], [10, 10, 10, 10, 1e6]],
      [[20, 20, 20, 20, 1e6], [20, 20, 20, 20, 1e6]],
    ];
    // 1,500 cash: the first buy (1,000) fits, the second (another 1,000) does not.
    const first = start(make, bars, 1_500, [AAA, BBB]);
    first.broker.processBar(0);
    first.broker.submit(orderAt(0, { id: 'a', qty: 100 }));
    first.broker.submit(orderAt(0, { id: 'b', symbol: BBB, qty: 50 }));
    expect(lastUpdate(first.sink, 'a')?.status).not.toBe('rejected');
    expect(lastUpdate(first.sink, 'b')?.status).toBe('rejected');
    expect(lastUpdate(first.sink, 'b')?.reason).toMatch(/needs 1000\.00 .* cash 500\.00$/);

    // Holding 100 AAA with 500 cash: a sale of them at 10 submitted first leaves its 1,000 for
    // the buy of BBB (1,000) after it; without the sale the buy is rejected.
    const second = start(make, bars, 1_500, [AAA, BBB]);
    second.ledger.applyFill(0, 100, 10, 0);
    second.broker.processBar(0);
    second.broker.submit(orderAt(0, { id: 's', side: 'sell', qty: 100 }));
    second.broker.submit(orderAt(0, { id: 'b', symbol: BBB, qty: 50 }));
    expect(lastUpdate(second.sink, 's')?.status).not.toBe('rejected');
    expect(lastUpdate(second.sink, 'b')?.status).not.toBe('rejected');
    const unfunded = start(make, bars, 1_500, [AAA, BBB]);
    unfunded.ledger.applyFill(0, 100, 10, 0);
    unfunded.broker.processBar(0);
    unfunded.broker.submit(orderAt(0, { id: 'b', symbol: BBB, qty: 50 }));
    expect(lastUpdate(unfunded.sink, 'b')?.status).toBe('rejected');

    // The next bar starts again from the account's cash.
    first.broker.processBar(1);
    first.broker.submit(orderAt(1, { id: 'c', symbol: BBB, qty: 10 }));
    expect(lastUpdate(first.sink, 'c')?.status).not.toBe('rejected');
  });
});
