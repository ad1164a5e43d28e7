import { ticker } from '@quantbot/core';
import type { BarUniverse, ClientOrderId, EpochMs, Ticker } from '@quantbot/core';
import { TimeCursor, UniverseBarView, UniverseStepView } from './bar-view';
import type { BarView } from './bar-view';
import type { OrderSpec, Strategy, StrategyContext } from './strategy';

const DAY = 86_400_000;

/** A universe from closes per symbol (open = high = low = close); `null` is a step without a bar. */
export function universeOfCloses(columns: Readonly<Record<string, readonly (number | null)[]>>): BarUniverse {
  const names = Object.keys(columns);
  const length = Math.max(...names.map((n) => (columns[n] ?? []).length));
  const size = names.length * length;
  const u = {
    symbols: names.map((n) => ticker(n)) as readonly Ticker[],
    length,
    time: new Float64Array(length).map((_, k) => Date.UTC(2020, 0, 1) + k * DAY),
    open: new Float64Array(size).fill(NaN),
    high: new Float64Array(size).fill(NaN),
    low: new Float64Array(size).fill(NaN),
    close: new Float64Array(size).fill(NaN),
    volume: new Float64Array(size).fill(NaN),
    hasBar: new Uint8Array(size),
  };
  names.forEach((name, s) => {
    (columns[name] ?? []).forEach((close, k) => {
      if (close === null) return;
      const at = s * length + k;
      u.open[at] = close;
      u.high[at] = close;
      u.low[at] = close;
      u.close[at] = close;
      u.volume[at] = 1_000;
      u.hasBar[at] = 1;
    });
  });
  return u;
}

/** One order a strategy sent: the step, symbol and signed quantity (sized orders take `sizedShares`). */
export interface SentOrder {
  readonly step: number;
  readonly symbol: string;
  readonly qty: number;
}

/**
 * A context whose orders fill at once at the current close, so positions after a step are what the
 * strategy asked for. Equity is cash plus positions at their latest close.
 */
export class ImmediateFillContext implements StrategyContext {
  time = 0 as EpochMs;
  step = -1;
  cash: number;
  readonly symbols: readonly Ticker[];
  readonly orders: SentOrder[] = [];
  /** Symbols that read as having an order working (orders never work here otherwise). */
  readonly pending = new Set<number>();
  readonly #universe: BarUniverse;
  readonly #positions: Float64Array;
  readonly #sizedShares: number;

  constructor(universe: BarUniverse, cash: number, sizedShares = 10, positions: Readonly<Record<string, number>> = {}) {
    this.#universe = universe;
    this.symbols = universe.symbols;
    this.cash = cash;
    this.#sizedShares = sizedShares;
    this.#positions = Float64Array.from(universe.symbols, (s) => positions[s] ?? 0);
  }

  /** The symbol's latest close at or before the current step. */
  lastClose(s: number): number {
    const u = this.#universe;
    for (let k = this.step; k >= 0; k--) if (u.hasBar[s * u.length + k] === 1) return u.close[s * u.length + k] as number;
    return NaN;
  }

  equity(): number {
    let equity = this.cash;
    this.#positions.forEach((qty, s) => {
      if (qty !== 0) equity += qty * this.lastClose(s);
    });
    return equity;
  }
  position(symbolIndex: number): number {
    return this.#positions[symbolIndex] as number;
  }
  hasPendingOrder(symbolIndex: number): boolean {
    return this.pending.has(symbolIndex);
  }
  buy(symbolIndex: number, qty?: number): void {
    this.#fill(symbolIndex, qty ?? this.#sizedShares);
  }
  sell(symbolIndex: number, qty?: number): void {
    this.#fill(symbolIndex, -(qty ?? this.#sizedShares));
  }
  closePosition(symbolIndex: number): void {
    const qty = this.#positions[symbolIndex] as number;
    if (qty !== 0) this.#fill(symbolIndex, -qty);
  }
  submitOrder(spec: OrderSpec): ClientOrderId | undefined {
    const qty = spec.qty ?? this.#sizedShares;
    this.#fill(spec.symbolIndex, spec.side === 'buy' ? qty : -qty);
    return `order-${this.orders.length}` as ClientOrderId;
  }
  cancelOrder(): void {
    // Orders fill at once: nothing is ever working.
  }
  replaceOrder(clientOrderId: ClientOrderId): ClientOrderId {
    return clientOrderId;
  }

  #fill(s: number, signedQty: number): void {
    if (!Number.isInteger(signedQty) || signedQty === 0) throw new Error(`order for ${String(signedQty)} shares`);
    this.orders.push({ step: this.step, symbol: this.symbols[s] as string, qty: signedQty });
    this.#positions[s] = (this.#positions[s] as number) + signedQty;
    this.cash -= signedQty * this.lastClose(s);
  }
}

/**
 * Runs `strategy` over `universe` as the engine does (onBar for each symbol with a bar, then
 * onStep), against `ctx`; `afterStep` sees each step once decided.
 */
export function runSteps(strategy: Strategy, universe: BarUniverse, ctx: ImmediateFillContext, afterStep?: (step: number) => void): void {
  const cursor = new TimeCursor(universe.length);
  const views = universe.symbols.map((_, s) => new UniverseBarView(universe, s, cursor));
  const stepView = new UniverseStepView(universe, views, cursor);
  for (let k = 0; k < universe.length; k++) {
    cursor.advanceTo(k);
    ctx.step = k;
    ctx.time = universe.time[k] as EpochMs;
    for (let s = 0; s < universe.symbols.length; s++) {
      if (universe.hasBar[s * universe.length + k] === 1) strategy.onBar(views[s] as BarView, ctx);
    }
    strategy.onStep?.(stepView, ctx);
    afterStep?.(k);
  }
}
