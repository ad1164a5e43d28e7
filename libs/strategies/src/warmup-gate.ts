import { ConfigError } from '@quantbot/core';
import type { ClientOrderId, EpochMs, Fill, JsonValue, OrderUpdate, Ticker } from '@quantbot/core';
import type { BarView } from './bar-view';
import type { StepView, Strategy, StrategyContext } from './strategy';

/**
 * Lets a strategy see the bars before step `scoreFromStep` with its orders dropped, so its
 * indicators are ready at the first traded bar: the out-of-sample start of a walk-forward fold,
 * or the first live bar after a restart replayed the checkpoint's recent history.
 */
export class WarmupGate implements Strategy {
  readonly name: string;
  readonly warmupBars: number | undefined;
  readonly #inner: Strategy;
  readonly #scoreFromStep: number;
  readonly #muted = new OrderlessContext();

  constructor(inner: Strategy, scoreFromStep: number) {
    this.#inner = inner;
    this.name = inner.name;
    this.warmupBars = inner.warmupBars;
    this.#scoreFromStep = scoreFromStep;
  }

  /** The inner strategy's state; `null` when it keeps none beyond what bars rebuild. */
  exportState(): JsonValue {
    return this.#inner.exportState?.() ?? null;
  }

  importState(state: JsonValue): void {
    if (this.#inner.importState !== undefined) this.#inner.importState(state);
    else if (state !== null) throw new ConfigError('strategy state', `${this.name} keeps no state to import`);
  }

  describeInputs(symbolIndex: number): Readonly<Record<string, number>> {
    return this.#inner.describeInputs?.(symbolIndex) ?? {};
  }

  onBar(bar: BarView, ctx: StrategyContext): void {
    if (bar.visibleSteps - 1 >= this.#scoreFromStep) {
      this.#inner.onBar(bar, ctx);
      return;
    }
    this.#muted.target = ctx;
    this.#inner.onBar(bar, this.#muted);
  }

  onStep(step: StepView, ctx: StrategyContext): void {
    if (this.#inner.onStep === undefined) return;
    const index = (step.views[0]?.visibleSteps ?? 0) - 1;
    if (index >= this.#scoreFromStep) {
      this.#inner.onStep(step, ctx);
      return;
    }
    this.#muted.target = ctx;
    this.#inner.onStep(step, this.#muted);
  }

  onFill(fill: Fill): void {
    this.#inner.onFill?.(fill);
  }

  onOrderUpdate(update: OrderUpdate): void {
    this.#inner.onOrderUpdate?.(update);
  }
}

/** A context that answers every question from its target and drops every order. */
class OrderlessContext implements StrategyContext {
  target: StrategyContext | undefined;

  get #ctx(): StrategyContext {
    if (this.target === undefined) throw new Error('OrderlessContext used before a bar');
    return this.target;
  }
  get time(): EpochMs {
    return this.#ctx.time;
  }
  get symbols(): readonly Ticker[] {
    return this.#ctx.symbols;
  }
  get cash(): number {
    return this.#ctx.cash;
  }
  equity(): number {
    return this.#ctx.equity();
  }
  position(symbolIndex: number): number {
    return this.#ctx.position(symbolIndex);
  }
  hasPendingOrder(symbolIndex: number): boolean {
    return this.#ctx.hasPendingOrder(symbolIndex);
  }
  buy(): void {
    // Dropped: warm-up.
  }
  sell(): void {
    // Dropped: warm-up.
  }
  closePosition(): void {
    // Nothing is open during the warm-up.
  }
  submitOrder(): ClientOrderId | undefined {
    // Dropped: warm-up (undefined is what an unsized order gives too).
    return undefined;
  }
  cancelOrder(): void {
    // No order exists during the warm-up.
  }
  replaceOrder(clientOrderId: ClientOrderId): ClientOrderId {
    return clientOrderId;
  }
}
