// Shared fixtures for the SimulatedBroker specs: a hand-built bar universe, a sink that records
// every event in order, and a builder for order requests decided at the close of a bar.
import type { BarUniverse, BrokerEventSink, ClientOrderId, EpochMs, Fill, OrderRequest, OrderUpdate, Ticker } from '@quantbot/core';
import { PortfolioLedger, clientOrderId, ticker } from '@quantbot/core';
import type { ExecutionModels } from './execution-models';
import type { ExecutionProfile, ExecutionProfileName } from './execution-profile';
import { resolveExecutionProfile } from './execution-profile';
import { SimulatedBroker } from './simulated-broker';

/** One day in milliseconds: the bars of the test universes are daily. */
export const DAY_MS = 86_400_000;

/** Time of bar 0. */
export const T0 = Date.UTC(2020, 0, 1);

/** The time of bar `k`. */
export function barTime(k: number): EpochMs {
  return (T0 + k * DAY_MS) as EpochMs;
}

/** One bar as written in a test: open, high, low, close, volume. */
export type BarSpec = readonly [open: number, high: number, low: number, close: number, volume: number];

/** The default ticker of single-symbol tests. */
export const AAA = ticker('AAA');

/**
 * A universe built by hand: `bars[s][k]` is the bar of symbol `s` at step `k`; every symbol must
 * have the same number of bars. Every bar exists (`hasBar` 1).
 */
export function buildUniverse(bars: readonly (readonly BarSpec[])[], symbols: readonly Ticker[] = [AAA]): BarUniverse {
  if (bars.length !== symbols.length) throw new Error('one bar list per symbol');
  const length = bars[0]?.length ?? 0;
  const size = symbols.length * length;
  const u = {
    symbols,
    length,
    time: new Float64Array(length),
    open: new Float64Array(size),
    high: new Float64Array(size),
    low: new Float64Array(size),
    close: new Float64Array(size),
    volume: new Float64Array(size),
    hasBar: new Uint8Array(size),
  };
  for (let k = 0; k < length; k++) u.time[k] = barTime(k);
  bars.forEach((series, s) => {
    if (series.length !== length) throw new Error('every symbol needs the same number of bars');
    series.forEach(([open, high, low, close, volume], k) => {
      const at = s * length + k;
      u.open[at] = open;
      u.high[at] = high;
      u.low[at] = low;
      u.close[at] = close;
      u.volume[at] = volume;
      u.hasBar[at] = 1;
    });
  });
  return u;
}

/** One event as the sink heard it, in order. */
export type BrokerEvent = { readonly kind: 'update'; readonly update: OrderUpdate } | { readonly kind: 'fill'; readonly fill: Fill };

/** A sink that records everything and, when given a ledger, books every fill in it. */
export class RecordingSink implements BrokerEventSink {
  readonly events: BrokerEvent[] = [];
  readonly updates: OrderUpdate[] = [];
  readonly fills: Fill[] = [];
  readonly #ledger: PortfolioLedger | undefined;

  constructor(ledger?: PortfolioLedger) {
    this.#ledger = ledger;
  }

  onOrderUpdate(update: OrderUpdate): void {
    this.updates.push(update);
    this.events.push({ kind: 'update', update });
  }

  onFill(fill: Fill): void {
    this.fills.push(fill);
    this.events.push({ kind: 'fill', fill });
    const ledger = this.#ledger;
    if (ledger !== undefined) ledger.applyFill(ledger.indexOf(fill.symbol), fill.side === 'buy' ? fill.qty : -fill.qty, fill.price, fill.commission);
  }

  /** The updates of one order, in order. */
  updatesOf(id: string): OrderUpdate[] {
    return this.updates.filter((u) => u.clientOrderId === id);
  }

  /** The statuses of one order, in order. */
  statusesOf(id: string): string[] {
    return this.updatesOf(id).map((u) => u.status);
  }

  /** The fills of one order, in order. */
  fillsOf(id: string): Fill[] {
    return this.fills.filter((f) => f.clientOrderId === id);
  }
}

/** A profile by name with overrides, as a command line would give it. */
export function profileOf(name: ExecutionProfileName, overrides: Readonly<Record<string, string | number>> = {}): ExecutionProfile {
  return resolveExecutionProfile(name, overrides);
}

/** A broker over `bars`, connected to a ledger with `cash` and a recording sink. */
export function startBroker(options: {
  readonly bars: readonly BarSpec[] | readonly (readonly BarSpec[])[];
  readonly profile?: ExecutionProfile;
  readonly seed?: number;
  readonly cash?: number;
  readonly symbols?: readonly Ticker[];
  readonly models?: Partial<ExecutionModels>;
}): { broker: SimulatedBroker; sink: RecordingSink; ledger: PortfolioLedger; universe: BarUniverse } {
  const first = options.bars[0];
  const isMulti = first !== undefined && Array.isArray(first[0]);
  const perSymbol = (isMulti ? options.bars : [options.bars]) as readonly (readonly BarSpec[])[];
  const symbols = options.symbols ?? [AAA];
  const universe = buildUniverse(perSymbol, symbols);
  const ledger = new PortfolioLedger(symbols, options.cash ?? 1_000_000);
  const sink = new RecordingSink(ledger);
  const broker = new SimulatedBroker({ universe, profile: options.profile ?? profileOf('idealistic'), seed: options.seed ?? 1, ...(options.models !== undefined ? { models: options.models } : {}) });
  broker.connect(ledger, sink);
  return { broker, sink, ledger, universe };
}

/** An order request decided at the close of bar `decidedAtBar`, with defaults for a 100-share gtc market buy of AAA. */
export function orderAt(decidedAtBar: number, fields: Partial<Omit<OrderRequest, 'clientOrderId' | 'decidedAt'>> & { readonly id: string }): OrderRequest {
  const { id, ...rest } = fields;
  return {
    symbol: AAA,
    side: 'buy',
    type: 'market',
    qty: 100,
    timeInForce: 'gtc',
    ...rest,
    clientOrderId: clientOrderId(id),
    decidedAt: barTime(decidedAtBar),
  };
}

/** Brands an id for `cancel` and `replace`. */
export function idOf(value: string): ClientOrderId {
  return clientOrderId(value);
}

/** Processes bars `from` to `to` inclusive. */
export function runBars(broker: SimulatedBroker, from: number, to: number): void {
  for (let k = from; k <= to; k++) broker.processBar(k);
}
