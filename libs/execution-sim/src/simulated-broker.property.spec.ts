import fc from 'fast-check';
import type { OrderEventKind, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce } from '@quantbot/core';
import { ORDER_TRANSITIONS, PortfolioLedger, clientOrderId, isTerminalOrderStatus, ticker } from '@quantbot/core';
import type { BarSpec, BrokerEvent } from './broker-test-kit.spec-helper';
import { DAY_MS, RecordingSink, T0, barTime, buildUniverse } from './broker-test-kit.spec-helper';
import type { ExecutionProfileName } from './execution-profile';
import { resolveExecutionProfile } from './execution-profile';
import { SimulatedBroker } from './simulated-broker';

const SYMBOLS = [ticker('AAA'), ticker('BBB')];
const RUNS = { seed: 20_240_611, numRuns: 150 } as const;

/** A bar series with consistent OHLC: low ≤ min(open, close), high ≥ max(open, close), prices > 0. */
const barsArb = (length: number): fc.Arbitrary<BarSpec[]> =>
  fc
    .record({
      start: fc.integer({ min: 20, max: 200 }),
      moves: fc.array(
        fc.record({
          gap: fc.integer({ min: -600, max: 600 }),
          body: fc.integer({ min: -500, max: 500 }),
          up: fc.integer({ min: 0, max: 300 }),
          down: fc.integer({ min: 0, max: 300 }),
          volume: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 5_000, max: 500_000 })),
        }),
        { minLength: length, maxLength: length },
      ),
    })
    .map(({ start, moves }) => {
      let close = start;
      return moves.map(({ gap, body, up, down, volume }): BarSpec => {
        const open = close * (1 + gap / 10_000);
        close = open * (1 + body / 10_000);
        const high = Math.max(open, close) * (1 + up / 10_000);
        const low = Math.min(open, close) * (1 - down / 10_000);
        return [open, high, low, close, volume];
      });
    });

/** What the test driver does at the close of a bar. Prices are factors of the symbol's close. */
type Action =
  | {
      readonly kind: 'submit';
      readonly symbol: number;
      readonly side: OrderSide;
      readonly type: OrderType;
      readonly qty: number;
      readonly tif: TimeInForce;
      readonly limit: number;
      readonly stop: number;
      readonly target: number;
      readonly loss: number;
      readonly bracketLimit: boolean;
    }
  | { readonly kind: 'cancel'; readonly which: number; readonly leg: '' | '.tp' | '.sl' }
  | { readonly kind: 'replace'; readonly which: number; readonly qty: number; readonly limit: number };

const factor = (bps: number): fc.Arbitrary<number> => fc.integer({ min: -bps, max: bps }).map((b) => 1 + b / 10_000);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      symbol: fc.integer({ min: 0, max: 1 }),
      side: fc.constantFrom<OrderSide>('buy', 'sell'),
      type: fc.constantFrom<OrderType>('market', 'limit', 'stop', 'stop_limit', 'bracket'),
      qty: fc.integer({ min: 1, max: 500 }),
      tif: fc.constantFrom<TimeInForce>('day', 'gtc'),
      limit: factor(600),
      stop: factor(600),
      target: fc.integer({ min: 20, max: 800 }).map((b) => b / 10_000),
      loss: fc.integer({ min: 20, max: 800 }).map((b) => b / 10_000),
      bracketLimit: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), which: fc.nat(), leg: fc.constantFrom<'' | '.tp' | '.sl'>('', '', '.tp', '.sl') }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), which: fc.nat(), qty: fc.integer({ min: 1, max: 500 }), limit: factor(600) }),
  },
);

interface Scenario {
  readonly bars: readonly (readonly BarSpec[])[];
  readonly profile: ExecutionProfileName;
  readonly latencyMs: number;
  readonly seed: number;
  readonly cash: number;
  /** `actions[k]`: what happens at the close of bar k. */
  readonly actions: readonly (readonly Action[])[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 3, max: 20 }).chain((length) =>
  fc.record({
    bars: fc.tuple(barsArb(length), barsArb(length)),
    profile: fc.constantFrom<ExecutionProfileName>('idealistic', 'realistic', 'stressed'),
    latencyMs: fc.constantFrom(0, 100, DAY_MS / 2, DAY_MS, 2 * DAY_MS),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    cash: fc.constantFrom(5_000, 50_000, 1_000_000),
    actions: fc.array(fc.array(actionArb, { maxLength: 4 }), { minLength: length, maxLength: length }),
  }),
);

interface Outcome {
  readonly events: readonly BrokerEvent[];
  readonly ledger: PortfolioLedger;
}

/** Runs a scenario: at each bar, process it, then act at its close; cancel what is left at the end. */
function run(scenario: Scenario): Outcome {
  const universe = buildUniverse(scenario.bars, SYMBOLS);
  const ledger = new PortfolioLedger(SYMBOLS, scenario.cash);
  const sink = new RecordingSink(ledger);
  const profile = resolveExecutionProfile(scenario.profile, { latencyMs: scenario.latencyMs });
  const broker = new SimulatedBroker({ universe, profile, seed: scenario.seed });
  broker.connect(ledger, sink);
  const submitted: string[] = [];
  let next = 0;
  for (let k = 0; k < universe.length; k++) {
    if (k > 0) broker.processBar(k);
    for (const action of scenario.actions[k] ?? []) {
      if (action.kind === 'submit') {
        const close = universe.close[action.symbol * universe.length + k] as number;
        const isBuy = action.side === 'buy';
        const id = `o${next++}`;
        const order: OrderRequest = {
          clientOrderId: clientOrderId(id),
          symbol: SYMBOLS[action.symbol] as (typeof SYMBOLS)[number],
          side: action.side,
          type: action.type,
          qty: action.qty,
          timeInForce: action.tif,
          decidedAt: barTime(k),
          decisionPrice: close,
          ...(action.type === 'limit' || action.type === 'stop_limit' || (action.type === 'bracket' && action.bracketLimit) ? { limitPrice: close * action.limit } : {}),
          ...(action.type === 'stop' || action.type === 'stop_limit' ? { stopPrice: close * action.stop } : {}),
          ...(action.type === 'bracket'
            ? { takeProfitPrice: close * (isBuy ? 1 + action.target : 1 - action.target), stopLossPrice: close * (isBuy ? 1 - action.loss : 1 + action.loss) }
            : {}),
        };
        submitted.push(id);
        broker.submit(order);
      } else if (submitted.length > 0) {
        const base = submitted[action.which % submitted.length] as string;
        const id = action.kind === 'cancel' ? base + action.leg : base;
        // Commands go only to orders not known to have ended: a cancel of an order that already
        // ended in the same bar is a known defect with its own example test, not checked here.
        const last = sink.updatesOf(id).at(-1);
        if (last !== undefined && isTerminalOrderStatus(last.status)) continue;
        if (action.kind === 'cancel') broker.cancel(clientOrderId(id));
        else {
          const newId = `o${next++}`;
          submitted.push(newId);
          broker.replace(clientOrderId(id), { newClientOrderId: clientOrderId(newId), qty: action.qty, limitPrice: 100 * action.limit });
        }
      }
    }
  }
  broker.cancelAll('end of data');
  return { events: sink.events, ledger };
}

function idOfEvent(e: BrokerEvent): string {
  return e.kind === 'fill' ? e.fill.clientOrderId : e.update.clientOrderId;
}

describe('SimulatedBroker (properties)', () => {
  it('never prints a fill outside the high–low range of its bar', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { events } = run(scenario);
        for (const e of events) {
          if (e.kind !== 'fill') continue;
          const k = (e.fill.time - T0) / DAY_MS;
          const s = SYMBOLS.indexOf(e.fill.symbol);
          const [, high, low] = scenario.bars[s]?.[k] ?? [NaN, NaN, NaN];
          if (!(Number.isInteger(k) && low <= e.fill.price && e.fill.price <= high)) {
            throw new Error(`fill ${e.fill.clientOrderId} at ${e.fill.price} on bar ${k} [${low}, ${high}]`);
          }
        }
      }),
      RUNS,
    );
  });

  it('never fills an order beyond its quantity, and reports the cumulative fill in every update', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { events } = run(scenario);
        const filled = new Map<string, number>();
        const ordered = new Map<string, number>();
        for (const e of events) {
          const id = idOfEvent(e);
          if (e.kind === 'fill') {
            filled.set(id, (filled.get(id) ?? 0) + e.fill.qty);
            const limit = ordered.get(id) ?? 0;
            if ((filled.get(id) ?? 0) > limit) throw new Error(`${id} filled ${filled.get(id)} of ${limit}`);
          } else {
            if (!ordered.has(id)) ordered.set(id, e.update.qty);
            if (e.update.filledQty !== (filled.get(id) ?? 0)) throw new Error(`${id} reports ${e.update.filledQty} filled, fills say ${filled.get(id) ?? 0}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('moves every order through the lifecycle table', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { events } = run(scenario);
        const status = new Map<string, OrderStatus>();
        for (const e of events) {
          if (e.kind !== 'update') continue;
          const id = e.update.clientOrderId;
          const from = status.get(id) ?? 'new';
          const allowed = Object.values(ORDER_TRANSITIONS[from] as Readonly<Partial<Record<OrderEventKind, OrderStatus>>>);
          if (!allowed.includes(e.update.status)) throw new Error(`${id}: ${from} → ${e.update.status}`);
          status.set(id, e.update.status);
        }
      }),
      RUNS,
    );
  });

  it('leaves no order working after cancelAll', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { events } = run(scenario);
        const status = new Map<string, OrderStatus>();
        for (const e of events) if (e.kind === 'update') status.set(e.update.clientOrderId, e.update.status);
        for (const [id, s] of status) if (!isTerminalOrderStatus(s)) throw new Error(`${id} left ${s}`);
      }),
      RUNS,
    );
  });

  it('reports nothing for an order after its final status', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { events } = run(scenario);
        const ended = new Set<string>();
        for (const e of events) {
          const id = idOfEvent(e);
          if (ended.has(id)) throw new Error(`${id}: ${e.kind} after its final status`);
          if (e.kind === 'update' && isTerminalOrderStatus(e.update.status)) ended.add(id);
        }
      }),
      RUNS,
    );
  });

  it('conserves cash and position: the ledger equals the sum of the fills', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { events, ledger } = run(scenario);
        let cash = scenario.cash;
        const position = [0, 0];
        for (const e of events) {
          if (e.kind !== 'fill') continue;
          const signed = e.fill.side === 'buy' ? e.fill.qty : -e.fill.qty;
          const s = SYMBOLS.indexOf(e.fill.symbol);
          cash -= signed * e.fill.price + e.fill.commission;
          position[s] = (position[s] as number) + signed;
        }
        const tolerance = 1e-6 * Math.max(scenario.cash, Math.abs(cash));
        if (!(Math.abs(ledger.cash - cash) <= tolerance)) throw new Error(`ledger cash ${ledger.cash}, fills say ${cash}`);
        if (ledger.qty(0) !== position[0] || ledger.qty(1) !== position[1]) throw new Error(`ledger positions ${ledger.qty(0)}, ${ledger.qty(1)}; fills say ${position.join(', ')}`);
      }),
      RUNS,
    );
  });

  it('replays the same event log from the same inputs and seed', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        expect(run(scenario).events).toEqual(run(scenario).events);
      }),
      { ...RUNS, numRuns: 60 },
    );
  });
});
