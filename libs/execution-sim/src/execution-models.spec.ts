import type { BarUniverse, OrderRequest } from '@quantbot/core';
import { ConfigError, PortfolioLedger, SeededRng } from '@quantbot/core';
import type { BarSpec } from './broker-test-kit.spec-helper';
import { AAA, DAY_MS, RecordingSink, barTime, buildUniverse, orderAt, profileOf, runBars, startBroker } from './broker-test-kit.spec-helper';
import type { FeeModel, FixedLatencyModel, LatencyModel, SlippageModel } from './execution-models';
import { FeeScheduleModel, ProfileFillModel, SquareRootImpactSlippageModel, executionModelsFor } from './execution-models';
import { EXECUTION_PROFILES } from './execution-profile';
import { feeDue, rawFee } from './fee-model';
import { adverseCostBps, slipPrice } from './fill-pricing';
import { NextOpenFillBroker } from './next-open-fill-broker';

const QUIET: BarSpec = [100, 101, 99, 100, 1_000_000];
const WIDE: BarSpec = [50, 60, 40, 55, 1_000_000];

/** A slippage model that charges a fixed number of cents per share, against the order. */
class CentsPerShareSlippage implements SlippageModel {
  readonly calls: { price: number; isBuy: boolean; qty: number; step: number }[] = [];

  constructor(readonly cents: number) {}

  fillPrice(price: number, isBuy: boolean, qty: number, _u: BarUniverse, _s: number, step: number): number {
    this.calls.push({ price, isBuy, qty, step });
    return isBuy ? price + this.cents / 100 : price - this.cents / 100;
  }
}

describe('custom execution models', () => {
  it('prices market fills with a custom slippage model and keeps the profile’s fees', () => {
    const slippage = new CentsPerShareSlippage(2);
    const { broker, sink } = startBroker({ bars: [QUIET, WIDE, WIDE], profile: profileOf('realistic'), models: { slippage } });
    broker.submit(orderAt(0, { id: 'buy', side: 'buy', qty: 300 }));
    broker.submit(orderAt(0, { id: 'sell', side: 'sell', qty: 200 }));
    broker.processBar(1);
    expect(sink.fillsOf('buy').map((f) => f.price)).toEqual([50.02]);
    expect(sink.fillsOf('sell').map((f) => f.price)).toEqual([49.98]);
    // The realistic fees still apply: $0.005 per share, at least $1 per order.
    expect(sink.fillsOf('buy')[0]?.commission).toBe(1.5);
    expect(sink.fillsOf('sell')[0]?.commission).toBe(1);
    expect(slippage.calls).toEqual([
      { price: 50, isBuy: true, qty: 300, step: 1 },
      { price: 50, isBuy: false, qty: 200, step: 1 },
    ]);
  });

  it('slips a triggered stop from its stop price, and never a limit fill', () => {
    const slippage = new CentsPerShareSlippage(5);
    const { broker, sink } = startBroker({ bars: [QUIET, [100, 104, 99, 103, 1_000_000]], models: { slippage } });
    broker.submit(orderAt(0, { id: 'stop', type: 'stop', stopPrice: 102 }));
    broker.submit(orderAt(0, { id: 'limit', type: 'limit', side: 'sell', limitPrice: 103.5 }));
    broker.processBar(1);
    expect(sink.fillsOf('stop').map((f) => f.price)).toEqual([102.05]);
    expect(sink.fillsOf('limit').map((f) => f.price)).toEqual([103.5]);
    expect(slippage.calls).toHaveLength(1);
  });

  it('clamps whatever a slippage model returns to the bar’s range', () => {
    const { broker, sink } = startBroker({ bars: [QUIET, [100, 100.5, 99.5, 100, 1_000_000]], models: { slippage: new CentsPerShareSlippage(300) } });
    broker.submit(orderAt(0, { id: 'buy' }));
    broker.submit(orderAt(0, { id: 'sell', side: 'sell' }));
    broker.processBar(1);
    expect(sink.fills.map((f) => f.price)).toEqual([100.5, 99.5]);
  });

  it('charges a custom fee model, in the simulator and in the next-open model', () => {
    const flat: FeeModel = { rawFee: () => 7, feeDue: (rawTotal, chargedSoFar) => rawTotal - chargedSoFar };
    const { broker, sink } = startBroker({ bars: [QUIET, QUIET], models: { fees: flat } });
    broker.submit(orderAt(0, { id: 'm' }));
    broker.processBar(1);
    expect(sink.fills[0]?.commission).toBe(7);

    const universe = buildUniverse([[QUIET, QUIET]]);
    const nextOpen = new NextOpenFillBroker(universe, 10, { fees: flat });
    const ledger = new PortfolioLedger([AAA], 1_000_000);
    const nextOpenSink = new RecordingSink(ledger);
    nextOpen.connect(ledger, nextOpenSink);
    nextOpen.submit(orderAt(0, { id: 'n' }));
    nextOpen.processBar(1);
    expect(nextOpenSink.fills[0]).toMatchObject({ price: 100, commission: 7 });
  });

  it('delays orders by a custom latency model', () => {
    const bySide: LatencyModel = { arrivalTime: (order: OrderRequest) => order.decidedAt + (order.side === 'buy' ? 2 * DAY_MS : 0) };
    const { broker, sink } = startBroker({ bars: [QUIET, QUIET, QUIET, QUIET], models: { latency: bySide } });
    broker.submit(orderAt(0, { id: 'buy' }));
    broker.submit(orderAt(0, { id: 'sell', side: 'sell' }));
    runBars(broker, 1, 3);
    expect(sink.fillsOf('sell')[0]?.time).toBe(barTime(1));
    expect(sink.fillsOf('buy')[0]?.time).toBe(barTime(2));
  });

  it('refuses a latency model that delivers an order before it was decided, naming models.latency', () => {
    const early: LatencyModel = { arrivalTime: (order) => order.decidedAt - 1 };
    const { broker } = startBroker({ bars: [QUIET, QUIET], models: { latency: early } });
    expect(() => broker.submit(orderAt(0, { id: 'm' }))).toThrow(ConfigError);
    expect(() => broker.submit(orderAt(0, { id: 'n' }))).toThrow(/models\.latency/);
  });

  it('limits fills by a custom fill model (a fixed share capacity per bar), keeping the rest of the profile’s rules', () => {
    class ThirtySharesPerBar extends ProfileFillModel {
      override barCapacity(): number {
        return 30;
      }
    }
    const fill = new ThirtySharesPerBar(EXECUTION_PROFILES.idealistic);
    const { broker, sink } = startBroker({ bars: [QUIET, QUIET, QUIET, QUIET, QUIET], models: { fill } });
    broker.submit(orderAt(0, { id: 'm', qty: 100 }));
    runBars(broker, 1, 4);
    expect(sink.fillsOf('m').map((f) => f.qty)).toEqual([30, 30, 30, 10]);
    expect(sink.statusesOf('m').at(-1)).toBe('filled');
  });

  it('rejects on arrival as a custom fill model says, drawing from the broker’s seeded generator', () => {
    class RejectSells extends ProfileFillModel {
      override rejectsOnArrival(order: OrderRequest, rng: SeededRng): boolean {
        return order.side === 'sell' && rng.nextFloat() >= 0;
      }
    }
    const { broker, sink } = startBroker({ bars: [QUIET, QUIET], models: { fill: new RejectSells(EXECUTION_PROFILES.idealistic) } });
    broker.submit(orderAt(0, { id: 'buy' }));
    broker.submit(orderAt(0, { id: 'sell', side: 'sell' }));
    broker.processBar(1);
    expect(sink.statusesOf('buy')).toEqual(['accepted', 'filled']);
    expect(sink.statusesOf('sell')).toEqual(['rejected']);
  });

  it('exposes the models it runs with: the profile’s, with the given ones in their place', () => {
    const slippage = new CentsPerShareSlippage(1);
    const { broker } = startBroker({ bars: [QUIET], profile: profileOf('realistic'), models: { slippage } });
    expect(broker.models.slippage).toBe(slippage);
    expect(broker.models.fees).toBeInstanceOf(FeeScheduleModel);
    expect((broker.models.latency as FixedLatencyModel).latencyMs).toBe(100);
    expect((broker.models.fill as ProfileFillModel).parameters).toEqual({ maxParticipation: 0.1, limitFill: 'through', intrabarPath: 'stop-first', rejectProbability: 0 });
  });
});

describe('default models', () => {
  const profile = profileOf('stressed', { feeBps: 3 });
  const universe = buildUniverse([Array.from({ length: 30 }, (_, k): BarSpec => [100 + k, 103 + k, 98 + k, 101 + (k % 3), 50_000 + 1_000 * k])]);

  it('are the profile’s formulas: adverseCostBps + slipPrice, rawFee + feeDue, decision + latencyMs', () => {
    const models = executionModelsFor(profile);
    expect(models.slippage).toBeInstanceOf(SquareRootImpactSlippageModel);
    for (const [price, isBuy, qty] of [[120, true, 500], [121, false, 5_000], [119.5, true, 1]] as const) {
      const at = 25;
      const expected = slipPrice(price, isBuy, adverseCostBps(profile, universe, 0, 25, qty), universe.low[at] as number, universe.high[at] as number);
      expect(models.slippage.fillPrice(price, isBuy, qty, universe, 0, 25)).toBe(expected);
    }
    expect(models.fees.rawFee(300, 12.5)).toBe(rawFee(profile, 300, 12.5));
    expect(models.fees.feeDue(1.5, 0.5)).toBe(feeDue(profile, 1.5, 0.5));
    expect(models.latency.arrivalTime(orderAt(3, { id: 'x' }))).toBe(barTime(3) + 1_000);
  });

  it('cap participation like the profile: floor(maxParticipation × volume), no cap on a bar without volume', () => {
    const fill = new ProfileFillModel(profile);
    expect(fill.barCapacity(universe, 0, 10)).toBe(Math.floor(0.02 * 60_000));
    const silent = buildUniverse([[[10, 11, 9, 10, 0]]]);
    expect(fill.barCapacity(silent, 0, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(new ProfileFillModel(EXECUTION_PROFILES.idealistic).barCapacity(universe, 0, 10)).toBe(Number.POSITIVE_INFINITY);
  });

  it('do not draw from the generator when the reject probability is 0', () => {
    const rng = new SeededRng(3);
    const twin = new SeededRng(3);
    expect(new ProfileFillModel(EXECUTION_PROFILES.realistic).rejectsOnArrival(orderAt(0, { id: 'x' }), rng)).toBe(false);
    expect(rng.nextFloat()).toBe(twin.nextFloat());
  });
});
